//! Trail entries as FHIR R4 `AuditEvent`s following IHE Basic Audit Log
//! Patterns (BALP), and the platform's `AuditEvent`s read back as rows of
//! "who viewed this patient". docs/audit.md is the format's reference.
//!
//! The resource is built only from the stored entry and its id, so a resent
//! event is the same resource: the platform's `PUT AuditEvent/{id}` makes
//! the outbox idempotent.

use serde_json::{json, Map, Value};

use super::{Entry, Stored};
use crate::view::{AccessEntry, AuditAction, EntrySource};

const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const EVENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-event-type";
const RESTFUL: &str = "http://hl7.org/fhir/restful-interaction";
const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
const SOURCE_TYPE: &str = "http://terminology.hl7.org/CodeSystem/security-source-type";
const AGENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/extra-security-role-type";
const BALP: &str = "https://profiles.ihe.net/ITI/BALP/StructureDefinition";
/// ChartGuard's own codes, where BALP and DICOM have none.
pub(crate) const LOCAL: &str = "urn:chartguard:audit";
const STAFF: &str = "urn:chartguard:staff-no";
const DEPARTMENT: &str = "urn:chartguard:department";
const TIER: &str = "urn:chartguard:tier";
const EXPORT: &str = "urn:chartguard:export";

/// Every action, for tests that must cover each.
#[cfg(test)]
pub(crate) const ALL_ACTIONS: [AuditAction; 20] = {
    use AuditAction as A;
    [
        A::Login,
        A::LoginFailed,
        A::Logout,
        A::Lock,
        A::Unlock,
        A::PatientSearch,
        A::PatientOpen,
        A::SectionView,
        A::BreakGlassStart,
        A::BreakGlassEnd,
        A::Export,
        A::Print,
        A::ExportDone,
        A::WatermarkTamper,
        A::CachePurge,
        A::ConfigChange,
        A::AccessDenied,
        A::ReferralDecision,
        A::AccessLogView,
        A::Other,
    ]
};

/// `(type, subtype, action, BALP profile)` of an action.
fn codes(action: AuditAction) -> (Value, Value, &'static str, Option<&'static str>) {
    let dcm = |code: &str, display: &str| json!({"system": DCM, "code": code, "display": display});
    let rest = || json!({"system": EVENT_TYPE, "code": "rest", "display": "RESTful Operation"});
    let interaction = |code: &str| json!({"system": RESTFUL, "code": code});
    let local = |code: &str| json!({"system": LOCAL, "code": code});
    use AuditAction as A;
    match action {
        A::Login | A::LoginFailed => (
            dcm("110114", "User Authentication"),
            dcm("110122", "Login"),
            "E",
            Some("IHE.BasicAudit.Login"),
        ),
        A::Logout => (
            dcm("110114", "User Authentication"),
            dcm("110123", "Logout"),
            "E",
            Some("IHE.BasicAudit.Logout"),
        ),
        A::Lock => (
            dcm("110114", "User Authentication"),
            local("lock"),
            "E",
            None,
        ),
        A::Unlock => (
            dcm("110114", "User Authentication"),
            local("unlock"),
            "E",
            None,
        ),
        A::PatientSearch => (
            rest(),
            interaction("search-type"),
            "E",
            Some("IHE.BasicAudit.PatientQuery"),
        ),
        A::PatientOpen | A::SectionView | A::AccessDenied => (
            rest(),
            interaction("read"),
            "R",
            Some("IHE.BasicAudit.PatientRead"),
        ),
        A::BreakGlassStart => (
            dcm("110113", "Security Alert"),
            dcm("110127", "Emergency Override Started"),
            "E",
            None,
        ),
        A::BreakGlassEnd => (
            dcm("110113", "Security Alert"),
            dcm("110138", "Emergency Override Stopped"),
            "E",
            None,
        ),
        A::Export => (dcm("110106", "Export"), local("export"), "R", None),
        A::Print => (dcm("110106", "Export"), local("print"), "R", None),
        A::ExportDone => (dcm("110106", "Export"), local("export-done"), "R", None),
        A::WatermarkTamper => (
            dcm("110113", "Security Alert"),
            local("watermark-tamper"),
            "E",
            None,
        ),
        A::CachePurge => (
            dcm("110100", "Application Activity"),
            local("cache-purge"),
            "D",
            None,
        ),
        A::ConfigChange => (
            dcm("110113", "Security Alert"),
            dcm("110129", "Security Configuration"),
            "U",
            None,
        ),
        A::ReferralDecision => (rest(), interaction("update"), "U", None),
        A::AccessLogView => (
            dcm("110101", "Audit Log Used"),
            interaction("search-type"),
            "E",
            None,
        ),
        A::Other => (local("other"), local("other"), "E", None),
    }
}

/// The entry `stored` as the `AuditEvent` the platform receives.
pub(crate) fn audit_event(stored: &Stored) -> Value {
    let entry = &stored.entry;
    let (kind, subtype, action, profile) = codes(entry.action);
    let mut event = Map::new();
    event.insert("resourceType".into(), json!("AuditEvent"));
    event.insert("id".into(), json!(stored.id));
    if let Some(profile) = profile {
        event.insert(
            "meta".into(),
            json!({"profile": [format!("{BALP}/{profile}")]}),
        );
    }
    event.insert("type".into(), kind);
    event.insert("subtype".into(), json!([subtype]));
    event.insert("action".into(), json!(action));
    event.insert("recorded".into(), json!(entry.time));
    // 0 success, 4 minor failure (refused, not an error of the system).
    event.insert(
        "outcome".into(),
        json!(if entry.success { "0" } else { "4" }),
    );
    if let Some(code) = &entry.failure {
        event.insert("outcomeDesc".into(), json!(code));
    }
    if let Some(purpose) = &entry.purpose {
        event.insert(
            "purposeOfEvent".into(),
            json!([{"coding": [{"system": ACT_REASON, "code": purpose}]}]),
        );
    }
    event.insert("agent".into(), json!(agents(entry)));
    event.insert(
        "source".into(),
        json!({
            "site": entry.workstation,
            "observer": {"display": format!("ChartGuard {} on {}", entry.app_version, entry.workstation)},
            "type": [{"system": SOURCE_TYPE, "code": "1", "display": "End-user display device, diagnostic display"}],
        }),
    );
    let entities = entities(entry);
    if !entities.is_empty() {
        event.insert("entity".into(), json!(entities));
    }
    Value::Object(event)
}

fn agents(entry: &Entry) -> Vec<Value> {
    let identifier = |value: &str| match &entry.issuer {
        Some(issuer) => json!({"system": issuer, "value": value}),
        None => json!({"value": value}),
    };
    let network = json!({"address": entry.workstation, "type": "1"});
    let mut agents = Vec::new();
    let person = match (&entry.who, &entry.username) {
        (Some(who), _) => {
            let mut roles: Vec<Value> = who
                .roles
                .iter()
                .map(|r| json!({"coding": [{"system": "urn:chartguard:role", "code": r}]}))
                .collect();
            if let Some(department) = &who.department {
                roles.push(json!({"coding": [{"system": DEPARTMENT, "code": department}]}));
            }
            if let Some(tier) = &who.tier {
                roles.push(json!({"coding": [{"system": TIER, "code": tier}]}));
            }
            let mut agent = json!({
                "type": {"coding": [{"system": AGENT_TYPE, "code": "humanuser", "display": "human user"}]},
                "who": {"identifier": identifier(&who.subject), "display": who.name},
                "requestor": true,
                "network": network,
            });
            if let Some(staff_no) = &who.staff_no {
                agent["altId"] = json!(format!("{STAFF}|{staff_no}"));
            }
            if !roles.is_empty() {
                agent["role"] = json!(roles);
            }
            if let Some(purpose) = &entry.purpose {
                agent["purposeOfUse"] =
                    json!([{"coding": [{"system": ACT_REASON, "code": purpose}]}]);
            }
            Some(agent)
        }
        (None, Some(username)) => Some(json!({
            "type": {"coding": [{"system": AGENT_TYPE, "code": "humanuser", "display": "human user"}]},
            "who": {"identifier": identifier(username)},
            "requestor": true,
            "network": network,
        })),
        (None, None) => None,
    };
    agents.extend(person);
    agents.push(json!({
        "type": {"coding": [{"system": DCM, "code": "110150", "display": "Application"}]},
        "who": {"display": format!("ChartGuard {}", entry.app_version)},
        "requestor": agents.is_empty(),
        "network": network,
    }));
    agents
}

fn entities(entry: &Entry) -> Vec<Value> {
    let detail = |kind: &str, value: &str| json!({"type": kind, "valueString": value});
    let mut entities = Vec::new();
    let mut about = Vec::new();
    if let Some(session_ref) = &entry.session_ref {
        about.push(detail("session-ref", session_ref));
    }
    if let Some(reason) = &entry.reason {
        about.push(detail("break-glass-reason", reason));
    }
    if let Some(note) = &entry.note {
        about.push(detail("note", note));
    }
    if !entry.resource_types.is_empty() {
        about.push(detail("resource-types", &entry.resource_types.join(",")));
    }
    if let Some(text) = &entry.detail {
        about.push(detail("detail", text));
    }
    if let Some(patient) = &entry.patient {
        let mut details = vec![detail("pseudonym", &patient.pseudonym)];
        details.append(&mut about);
        entities.push(json!({
            "what": {"reference": format!("Patient/{}", patient.id)},
            "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
            "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
            "detail": details,
        }));
    }
    if let Some(query) = &entry.query {
        use base64::Engine as _;
        entities.push(json!({
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            "role": {"system": OBJECT_ROLE, "code": "24", "display": "Query"},
            "query": base64::engine::general_purpose::STANDARD.encode(query),
            "description": "masked query text",
        }));
    }
    if let Some(export_id) = &entry.export_id {
        entities.push(json!({
            "what": {"identifier": {"system": EXPORT, "value": export_id}},
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            "role": {"system": OBJECT_ROLE, "code": "3", "display": "Report"},
        }));
    }
    if entry.patient.is_none() && !about.is_empty() {
        entities.push(json!({
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            "role": {"system": OBJECT_ROLE, "code": "4", "display": "Domain Resource"},
            "detail": about,
        }));
    }
    entities
}

/// Whether "who viewed" lists this action: views, exports and
/// break-the-glass.
pub(crate) fn shows_access(action: AuditAction) -> bool {
    use AuditAction as A;
    matches!(
        action,
        A::PatientOpen
            | A::SectionView
            | A::Export
            | A::Print
            | A::BreakGlassStart
            | A::BreakGlassEnd
            | A::AccessDenied
    )
}

/// A local trail entry as a "who viewed" row.
pub(crate) fn local_entry(stored: &Stored) -> AccessEntry {
    let entry = &stored.entry;
    let who = entry.who.as_ref();
    AccessEntry {
        id: stored.id.clone(),
        time: entry.time.clone(),
        action: entry.action,
        who: who.map_or_else(String::new, |w| w.name.clone()),
        staff_no: who.and_then(|w| w.staff_no.clone()),
        department: who.and_then(|w| w.department.clone()),
        workstation: Some(entry.workstation.clone()),
        purpose: entry.purpose.clone(),
        reason: entry.reason.clone(),
        note: entry.note.clone(),
        detail: entry.export_id.clone().or_else(|| entry.detail.clone()),
        success: entry.success,
        break_glass: entry.break_glass(),
        source: EntrySource::Local,
    }
}

/// A platform `AuditEvent` as a "who viewed" row; `None` when it is not a
/// readable AuditEvent. Events from other systems are read leniently: what
/// they do not say stays empty.
pub(crate) fn platform_entry(event: &Value) -> Option<AccessEntry> {
    use crate::fhir::str_field;
    if str_field(event, "resourceType") != Some("AuditEvent") {
        return None;
    }
    let id = str_field(event, "id")?.to_owned();
    let time = str_field(event, "recorded")?.to_owned();
    let action = action_of(event);
    let agents = event.get("agent").and_then(Value::as_array);
    let person = agents.and_then(|agents| {
        agents
            .iter()
            .find(|a| a.get("requestor").and_then(Value::as_bool) == Some(true))
    });
    let coded = |agent: &Value, system: &str| -> Option<String> {
        agent.get("role")?.as_array()?.iter().find_map(|role| {
            role.get("coding")?.as_array()?.iter().find_map(|c| {
                (str_field(c, "system") == Some(system))
                    .then(|| str_field(c, "code").map(str::to_owned))?
            })
        })
    };
    let purpose = event
        .pointer("/purposeOfEvent/0/coding/0/code")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let details: Vec<&Value> = event
        .get("entity")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("detail").and_then(Value::as_array))
        .flatten()
        .collect();
    let detail_of = |kind: &str| {
        details
            .iter()
            .find(|d| str_field(d, "type") == Some(kind))
            .and_then(|d| str_field(d, "valueString"))
            .map(str::to_owned)
    };
    let export_id = event
        .get("entity")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find_map(|e| {
            let identifier = e.pointer("/what/identifier")?;
            (str_field(identifier, "system") == Some(EXPORT))
                .then(|| str_field(identifier, "value").map(str::to_owned))?
        });
    let success = str_field(event, "outcome").is_none_or(|o| o == "0");
    Some(AccessEntry {
        id,
        time,
        action,
        who: person
            .and_then(|p| p.pointer("/who/display"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        staff_no: person.and_then(|p| str_field(p, "altId")).map(|alt| {
            alt.strip_prefix(&format!("{STAFF}|"))
                .unwrap_or(alt)
                .to_owned()
        }),
        department: person.and_then(|p| coded(p, DEPARTMENT)),
        workstation: event
            .pointer("/source/site")
            .and_then(Value::as_str)
            .map(str::to_owned),
        break_glass: matches!(
            action,
            AuditAction::BreakGlassStart | AuditAction::BreakGlassEnd
        ) || purpose.as_deref() == Some("ETREAT"),
        purpose,
        reason: detail_of("break-glass-reason"),
        note: detail_of("note"),
        detail: export_id.or_else(|| detail_of("detail")),
        success,
        source: EntrySource::Platform,
    })
}

/// Which action a platform event records, from its type and subtype.
fn action_of(event: &Value) -> AuditAction {
    use crate::fhir::str_field;
    fn code(coding: &Value) -> Option<(&str, &str)> {
        Some((str_field(coding, "system")?, str_field(coding, "code")?))
    }
    let kind = event.get("type").and_then(code);
    let subtypes: Vec<(&str, &str)> = crate::fhir::array(event, "subtype")
        .filter_map(code)
        .collect();
    let has = |system: &str, value: &str| subtypes.iter().any(|&(s, c)| s == system && c == value);
    let failed = str_field(event, "outcome").is_some_and(|o| o != "0");
    use AuditAction as A;
    match kind {
        Some((DCM, "110106")) if has(LOCAL, "print") => A::Print,
        Some((DCM, "110106")) if has(LOCAL, "export-done") => A::ExportDone,
        Some((DCM, "110106")) => A::Export,
        Some((DCM, "110113")) if has(DCM, "110127") => A::BreakGlassStart,
        Some((DCM, "110113")) if has(DCM, "110138") => A::BreakGlassEnd,
        Some((DCM, "110113")) if has(LOCAL, "watermark-tamper") => A::WatermarkTamper,
        Some((DCM, "110113")) if has(DCM, "110129") => A::ConfigChange,
        Some((DCM, "110114")) if has(DCM, "110123") => A::Logout,
        Some((DCM, "110114")) if has(LOCAL, "lock") => A::Lock,
        Some((DCM, "110114")) if has(LOCAL, "unlock") => A::Unlock,
        Some((DCM, "110100")) if has(LOCAL, "cache-purge") => A::CachePurge,
        Some((DCM, "110114")) if has(DCM, "110122") && failed => A::LoginFailed,
        Some((DCM, "110114")) if has(DCM, "110122") => A::Login,
        Some((DCM, "110101")) => A::AccessLogView,
        Some((EVENT_TYPE, "rest")) if has(RESTFUL, "read") || has(RESTFUL, "vread") => {
            if failed {
                A::AccessDenied
            } else {
                A::PatientOpen
            }
        }
        Some((EVENT_TYPE, "rest")) if has(RESTFUL, "search-type") => A::PatientSearch,
        Some((EVENT_TYPE, "rest")) if has(RESTFUL, "update") => A::ReferralDecision,
        _ => A::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, PatientRef};

    fn stored(action: AuditAction) -> Stored {
        let mut entry = Entry::new(action, "WS-07");
        entry.who = Some(Actor {
            subject: "doc-wangyi".into(),
            name: "王毅".into(),
            staff_no: Some("D1001".into()),
            department: Some("cardiology".into()),
            roles: vec!["doctor".into()],
            tier: Some("treating".into()),
        });
        entry.patient = Some(PatientRef {
            id: "cn-0001".into(),
            pseudonym: "P-4F2A".into(),
        });
        Stored {
            seq: 7,
            id: "0123456789abcdef0123456789abcdef".into(),
            entry,
        }
    }

    #[test]
    fn every_action_reads_back_as_itself_from_its_audit_event() {
        use AuditAction as A;
        for action in ALL_ACTIONS {
            // Told apart from a login or a read only by their outcome (below),
            // or the same codes as a read.
            if matches!(action, A::LoginFailed | A::AccessDenied | A::SectionView) {
                continue;
            }
            let event = audit_event(&stored(action));
            assert_eq!(action_of(&event), action, "{action:?}");
        }
        let mut failed = stored(AuditAction::LoginFailed);
        failed.entry.success = false;
        assert_eq!(action_of(&audit_event(&failed)), AuditAction::LoginFailed);
        let mut denied = stored(AuditAction::AccessDenied);
        denied.entry.success = false;
        assert_eq!(action_of(&audit_event(&denied)), AuditAction::AccessDenied);
    }

    #[test]
    fn break_the_glass_is_dcm_110127_with_purpose_etreat_and_reads_back_with_its_reason() {
        let mut glass = stored(AuditAction::BreakGlassStart);
        glass.entry.purpose = Some("ETREAT".into());
        glass.entry.reason = Some("emergency".into());
        glass.entry.note = Some("unconscious on arrival".into());
        let event = audit_event(&glass);
        assert_eq!(event["type"]["code"], "110113");
        assert_eq!(event["subtype"][0]["code"], "110127");
        assert_eq!(event["purposeOfEvent"][0]["coding"][0]["code"], "ETREAT");
        assert_eq!(event["entity"][0]["what"]["reference"], "Patient/cn-0001");
        let row = platform_entry(&event).unwrap();
        assert!(row.break_glass);
        assert_eq!(row.who, "王毅");
        assert_eq!(row.staff_no.as_deref(), Some("D1001"));
        assert_eq!(row.department.as_deref(), Some("cardiology"));
        assert_eq!(row.reason.as_deref(), Some("emergency"));
        assert_eq!(row.note.as_deref(), Some("unconscious on arrival"));
        assert_eq!(row.workstation.as_deref(), Some("WS-07"));
        assert_eq!(row.id, glass.id);
    }

    #[test]
    fn a_patient_read_follows_balp_and_an_export_names_its_id() {
        let event = audit_event(&stored(AuditAction::PatientOpen));
        assert_eq!(
            event["meta"]["profile"][0],
            "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead"
        );
        assert_eq!(event["subtype"][0]["code"], "read");
        assert_eq!(
            event["agent"][0]["who"]["identifier"]["value"],
            "doc-wangyi"
        );
        assert_eq!(event["agent"][0]["requestor"], true);
        assert_eq!(event["agent"][1]["requestor"], false);
        let mut export = stored(AuditAction::Export);
        export.entry.export_id = Some("E-7KQ2M9XD".into());
        let event = audit_event(&export);
        assert_eq!(event["type"]["code"], "110106");
        assert_eq!(
            platform_entry(&event).unwrap().detail.as_deref(),
            Some("E-7KQ2M9XD")
        );
    }

    #[test]
    fn a_search_carries_only_its_masked_query() {
        let mut search = stored(AuditAction::PatientSearch);
        search.entry.patient = None;
        search.entry.query = Some("name:张*".into());
        let event = audit_event(&search);
        let text = event.to_string();
        assert!(!text.contains("cn-0001"));
        assert_eq!(event["entity"][0]["role"]["code"], "24");
    }

    #[test]
    fn the_event_is_made_from_the_stored_entry_alone() {
        // What was appended and what the outbox reads back later (another
        // process, after a restart) make the same resource.
        let dir = tempfile::tempdir().unwrap();
        let keys = (
            crate::secrets::CacheKey::random(),
            crate::secrets::CacheKey::random(),
        );
        let (mut store, _) =
            crate::audit::Store::open(&dir.path().join("t.db"), &keys.0, keys.1, true).unwrap();
        let mut entry = stored(AuditAction::BreakGlassStart).entry;
        entry.issuer = Some("https://idp.example".into());
        entry.reason = Some("emergency".into());
        let appended = store.append(&entry, true).unwrap();
        let read_back = store.due(i64::MAX, 10).unwrap().remove(0);
        assert_eq!(audit_event(&appended), audit_event(&read_back));
        assert_eq!(
            audit_event(&read_back)["agent"][0]["who"]["identifier"]["system"],
            "https://idp.example"
        );
    }

    #[test]
    fn foreign_or_broken_events_read_leniently_or_not_at_all() {
        assert!(platform_entry(&json!({"resourceType": "Patient", "id": "x"})).is_none());
        assert!(platform_entry(&json!({"resourceType": "AuditEvent"})).is_none());
        let foreign = json!({"resourceType": "AuditEvent", "id": "a", "recorded": "2026-01-01T00:00:00Z",
            "type": {"system": "x", "code": "y"}});
        let row = platform_entry(&foreign).unwrap();
        assert_eq!(row.action, AuditAction::Other);
        assert!(row.who.is_empty());
    }
}
