//! The AuditEvent log that workstations forward to: idempotent create by
//! client id, validation, search, who may read it, and failure injection.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

use crate::support::{self, ec_key, entry_ids, next_link, now, sign, start_issuer, Sim, AUDIENCE};

const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const BALP: &str = "http://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";

/// An AuditEvent as a workstation sends it: `who` read `patient`'s record.
fn event(id: &str, recorded: &str, who: &str, patient: &str) -> Value {
    json!({
        "resourceType": "AuditEvent",
        "id": id,
        "type": {"system": DCM, "code": "110110", "display": "Patient Record"},
        "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": "read"}],
        "action": "R",
        "recorded": recorded,
        "outcome": "0",
        "agent": [{
            "who": {"identifier": {"system": "urn:chartguard:staff", "value": who}},
            "requestor": true,
        }],
        "source": {"observer": {"display": "ws-cardio-01"}},
        "entity": [{
            "what": {"reference": format!("Patient/{patient}")},
            "type": {"system": BALP, "code": "XrequestId"},
        }],
    })
}

async fn clear(sim: &Sim) {
    let response = sim
        .client
        .delete(format!("{}/_sim/audit", sim.root))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

async fn set_faults(sim: &Sim, faults: Value) {
    let response = sim
        .client
        .put(format!("{}/_sim/faults", sim.root))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_event_is_stored_once_and_a_resend_is_counted_not_duplicated() {
    let sim = support::start(|o| o.patients = 2).await;
    let sent = event("ae-0001", "2026-05-01T09:30:00+08:00", "D1001", "cn-0001");

    let created = sim.put("AuditEvent/ae-0001", &sent).await;
    assert_eq!(created.status(), 201);
    assert_eq!(
        created.headers()["location"],
        format!("{}/AuditEvent/ae-0001/_history/1", sim.base).as_str()
    );
    assert_eq!(created.headers()["etag"], "W/\"1\"");
    let stored: Value = created.json().await.unwrap();
    assert_eq!(stored["meta"]["versionId"], "1");
    assert!(stored["meta"]["lastUpdated"].is_string());
    assert_eq!(stored["entity"], sent["entity"]);
    assert_eq!(sim.get_json("AuditEvent/ae-0001").await, stored);

    // The outbox resends after a crash; its own meta does not make it new.
    let mut resent = sent.clone();
    resent["meta"] = json!({"versionId": "7", "lastUpdated": "2026-05-01T01:31:00Z"});
    for _ in 0..2 {
        let response = sim.put("AuditEvent/ae-0001", &resent).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.json::<Value>().await.unwrap(), stored);
    }
    let log = sim.audit_log().await;
    assert_eq!(log["events"], json!([stored]));
    assert_eq!(
        (log["resubmitted"].as_u64(), log["conflicts"].as_u64()),
        (Some(2), Some(0))
    );

    // Audit events are immutable: other content under the same id is refused.
    let mut altered = sent.clone();
    altered["outcome"] = json!("8");
    let conflict = sim.put("AuditEvent/ae-0001", &altered).await;
    assert_eq!(conflict.status(), 409);
    let outcome: Value = conflict.json().await.unwrap();
    assert_eq!(outcome["issue"][0]["code"], "conflict");
    assert_eq!(sim.get_json("AuditEvent/ae-0001").await, stored);
    let log = sim.audit_log().await;
    assert_eq!(
        (log["resubmitted"].as_u64(), log["conflicts"].as_u64()),
        (Some(3), Some(1))
    );

    // Kept apart from the clinical data.
    let everything = sim.get_json("Patient/cn-0001/$everything?_count=500").await;
    assert!(!entry_ids(&everything)
        .iter()
        .any(|id| id.starts_with("AuditEvent/")));
    assert_eq!(sim.get("AuditEvent/ae-9999").await.status(), 404);

    clear(&sim).await;
    let log = sim.audit_log().await;
    assert_eq!(log, json!({"events": [], "resubmitted": 0, "conflicts": 0}));
    assert_eq!(sim.get("AuditEvent/ae-0001").await.status(), 404);
    sim.stop().await;
}

#[tokio::test]
async fn invalid_events_are_refused_naming_the_problem_and_echoing_nothing() {
    let sim = support::start(|o| o.patients = 1).await;
    let secret = "张伟 13800138000";
    let mut valid = event("ae-0002", "2026-05-01T09:30:00+08:00", "D1001", "cn-0001");
    valid["entity"][0]["what"]["display"] = json!(secret);
    let with = |key: &str, value: Value| {
        let mut changed = valid.clone();
        if value.is_null() {
            changed.as_object_mut().unwrap().remove(key);
        } else {
            changed[key] = value;
        }
        changed.to_string()
    };
    let cases: Vec<(&str, &str, String, u16, &str)> = vec![
        (
            "not JSON",
            "ae-0002",
            format!("{{\"note\": \"{secret}\""),
            400,
            "JSON object",
        ),
        (
            "an array",
            "ae-0002",
            format!("[\"{secret}\"]"),
            400,
            "JSON object",
        ),
        (
            "another type",
            "ae-0002",
            with("resourceType", json!("Patient")),
            400,
            "resourceType",
        ),
        (
            "id differs from URL",
            "ae-0003",
            valid.to_string(),
            400,
            "id must equal",
        ),
        (
            "no id",
            "ae-0002",
            with("id", Value::Null),
            400,
            "id must equal",
        ),
        (
            "bad id syntax",
            "ae_0002",
            with("id", json!("ae_0002")),
            400,
            "FHIR id",
        ),
        ("no type", "ae-0002", with("type", Value::Null), 400, "type"),
        (
            "type a string",
            "ae-0002",
            with("type", json!("110110")),
            400,
            "type",
        ),
        (
            "recorded a date",
            "ae-0002",
            with("recorded", json!("2026-05-01")),
            400,
            "recorded",
        ),
        (
            "recorded garbage",
            "ae-0002",
            with("recorded", json!(secret)),
            400,
            "recorded",
        ),
        (
            "no agent",
            "ae-0002",
            with("agent", json!([])),
            400,
            "agent",
        ),
        (
            "no source",
            "ae-0002",
            with("source", Value::Null),
            400,
            "source",
        ),
        (
            "meta a string",
            "ae-0002",
            with("meta", json!(secret)),
            400,
            "meta",
        ),
    ];
    for (name, id, body, status, problem) in cases {
        let response = sim
            .client
            .put(format!("{}/AuditEvent/{id}", sim.base))
            .header("content-type", "application/fhir+json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{name}");
        let text = response.text().await.unwrap();
        assert!(
            !text.contains("张伟") && !text.contains("13800138000"),
            "{name}: {text}"
        );
        let outcome: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{name}");
        let diagnostics = outcome["issue"][0]["diagnostics"].as_str().unwrap();
        assert!(diagnostics.contains(problem), "{name}: {diagnostics}");
    }

    // 64 KiB is the most a body may be.
    let padded = |bytes: usize| {
        let mut body = valid.clone();
        body["entity"][0]["description"] = json!("x".repeat(bytes));
        body
    };
    let too_big = sim.put("AuditEvent/ae-0002", &padded(64 * 1024)).await;
    assert_eq!(too_big.status(), 413);
    let outcome: Value = too_big.json().await.unwrap();
    assert_eq!(outcome["issue"][0]["code"], "too-long");
    assert_eq!(sim.audit_log().await["events"], json!([]), "nothing stored");
    assert_eq!(
        sim.put("AuditEvent/ae-0002", &padded(60 * 1024))
            .await
            .status(),
        201
    );

    // Only PUT: no POST, no DELETE.
    let delete = sim
        .client
        .delete(format!("{}/AuditEvent/ae-0002", sim.base))
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 405);
    sim.stop().await;
}

#[tokio::test]
async fn search_filters_by_each_parameter_newest_first_and_pages() {
    let sim = support::start(|o| o.patients = 1).await;
    let mut events = vec![
        event("ae-jan-1", "2026-01-05T08:00:00+08:00", "D1001", "cn-0001"),
        event("ae-jan-2", "2026-01-31T23:30:00Z", "D1002", "cn-0002"),
        event("ae-feb-1", "2026-02-01T00:00:00Z", "D1001", "cn-0002"),
        event(
            "ae-mar-1",
            "2026-03-10T10:00:00.250+08:00",
            "H2001",
            "cn-0001",
        ),
        event("ae-dec-1", "2025-12-31T20:00:00Z", "D1001", "w-0001"),
    ];
    // A search of the log by the privacy officer, and a failed login.
    events[3]["type"] = json!({"system": DCM, "code": "110112", "display": "Query"});
    events[3]["subtype"] =
        json!([{"system": "http://hl7.org/fhir/restful-interaction", "code": "search-type"}]);
    events[3]["entity"]
        .as_array_mut()
        .unwrap()
        .push(json!({"what": {"reference": "ServiceRequest/sr-cn-0001-0186"}}));
    events[4]["type"] = json!({"system": DCM, "code": "110114", "display": "User Authentication"});
    events[4]["outcome"] = json!("4");
    events[4]["agent"][0]["who"] = json!({"reference": "Practitioner/pr-01"});
    // Arrival order differs from `recorded` order.
    for event in &events {
        let id = event["id"].as_str().unwrap();
        assert_eq!(
            sim.put(&format!("AuditEvent/{id}"), event).await.status(),
            201
        );
    }

    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "",
            vec!["ae-mar-1", "ae-feb-1", "ae-jan-2", "ae-jan-1", "ae-dec-1"],
        ),
        ("patient=cn-0001", vec!["ae-mar-1", "ae-jan-1"]),
        ("patient=Patient/cn-0002", vec!["ae-feb-1", "ae-jan-2"]),
        (
            "patient=cn-0001,w-0001",
            vec!["ae-mar-1", "ae-jan-1", "ae-dec-1"],
        ),
        ("entity=ServiceRequest/sr-cn-0001-0186", vec!["ae-mar-1"]),
        ("entity=Patient/w-0001", vec!["ae-dec-1"]),
        ("agent=D1001", vec!["ae-feb-1", "ae-jan-1"]),
        ("agent=Practitioner/pr-01", vec!["ae-dec-1"]),
        ("type=110112", vec!["ae-mar-1"]),
        (
            "type=http://dicom.nema.org/resources/ontology/DCM|110114",
            vec!["ae-dec-1"],
        ),
        ("type=urn:other|110110", vec![]),
        ("subtype=search-type", vec!["ae-mar-1"]),
        (
            "subtype=http://hl7.org/fhir/restful-interaction|read",
            vec!["ae-feb-1", "ae-jan-2", "ae-jan-1", "ae-dec-1"],
        ),
        ("outcome=4", vec!["ae-dec-1"]),
        ("outcome=0&agent=D1001", vec!["ae-feb-1", "ae-jan-1"]),
        // Dates without a zone are UTC days: ae-jan-2 is still January.
        ("date=2026-01", vec!["ae-jan-2", "ae-jan-1"]),
        (
            "date=ge2026-01-01&date=lt2026-02-01",
            vec!["ae-jan-2", "ae-jan-1"],
        ),
        ("date=gt2026-01-31", vec!["ae-mar-1", "ae-feb-1"]),
        (
            "date=le2026-01-31",
            vec!["ae-jan-2", "ae-jan-1", "ae-dec-1"],
        ),
        ("date=lt2026", vec!["ae-dec-1"]),
        ("date=eq2026-02-01T00:00:00Z", vec!["ae-feb-1"]),
        // An instant with a zone, its `+` unencoded (it arrives as a space).
        ("date=ge2026-03-10T10:00:00.250+08:00", vec!["ae-mar-1"]),
        ("_id=ae-jan-1,ae-dec-1", vec!["ae-jan-1", "ae-dec-1"]),
    ];
    for (query, expected) in cases {
        let bundle = sim.get_json(&format!("AuditEvent?{query}")).await;
        let ids: Vec<String> = entry_ids(&bundle)
            .into_iter()
            .map(|id| id.trim_start_matches("AuditEvent/").to_owned())
            .collect();
        assert_eq!(ids, expected, "{query}");
        assert_eq!(bundle["total"], expected.len(), "{query}");
    }

    // Paged like the other searches.
    let mut seen = Vec::new();
    let mut url = format!("{}/AuditEvent?agent=D1001,D1002,H2001&_count=2", sim.base);
    loop {
        let page = sim.get_json(&url).await;
        assert_eq!(page["total"], 4);
        assert!(entry_ids(&page).len() <= 2);
        seen.extend(entry_ids(&page));
        match next_link(&page) {
            Some(next) => url = next,
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["ae-mar-1", "ae-feb-1", "ae-jan-2", "ae-jan-1"].map(|id| format!("AuditEvent/{id}"))
    );

    for query in [
        "shoe_size=42",
        "date=ne2026-01-01",
        "date=yesterday",
        "_count=x",
    ] {
        let response = sim.get(&format!("AuditEvent?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let outcome: Value = response.json().await.unwrap();
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{query}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn only_department_heads_and_privacy_officers_read_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let key = ec_key("ec-1");
    let (issuer, issuer_handle) = start_issuer(dir.path(), vec![key.jwk.clone()]).await;
    let sim = support::start_in(dir, |o| {
        o.no_auth = false;
        o.issuer = Some(issuer.clone());
        o.patients = 1;
    })
    .await;
    let token = |roles: Value| {
        let mut claims = json!({"iss": issuer, "aud": AUDIENCE, "sub": "someone",
                                "exp": now() + 300, "iat": now()});
        if !roles.is_null() {
            claims["roles"] = roles;
        }
        sign(Algorithm::ES256, "ec-1", &key.encoding, &claims)
    };
    let doctor = token(json!(["doctor"]));

    // Any valid token may forward events; none may without one.
    let sent = event("ae-0004", "2026-05-01T09:30:00+08:00", "D1001", "cn-0001");
    let url = format!("{}/AuditEvent/ae-0004", sim.base);
    let anonymous = sim.client.put(&url).json(&sent).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let forwarded = sim
        .client
        .put(&url)
        .bearer_auth(&doctor)
        .json(&sent)
        .send()
        .await
        .unwrap();
    assert_eq!(forwarded.status(), 201);

    let cases = [
        ("doctor", doctor.clone(), 403),
        ("no roles claim", token(Value::Null), 403),
        ("roles not an array", token(json!("department_head")), 403),
        ("it admin", token(json!(["it_admin"])), 403),
        (
            "department head",
            token(json!(["doctor", "department_head"])),
            200,
        ),
        ("privacy officer", token(json!(["privacy_officer"])), 200),
    ];
    for (name, token, status) in cases {
        for path in ["AuditEvent/ae-0004", "AuditEvent?patient=cn-0001"] {
            let response = sim
                .client
                .get(format!("{}/{path}", sim.base))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), status, "{name}: {path}");
            if status == 403 {
                let outcome: Value = response.json().await.unwrap();
                assert_eq!(outcome["issue"][0]["code"], "forbidden", "{name}");
            }
        }
    }
    sim.stop().await;
    issuer_handle.shutdown();
}

#[tokio::test]
async fn injected_faults_refuse_or_delay_audit_uploads() {
    let sim = support::start(|o| o.patients = 1).await;
    let sent = event("ae-0005", "2026-05-01T09:30:00+08:00", "D1001", "cn-0001");

    // Refused: nothing stored, nothing counted.
    set_faults(&sim, json!({"status": 503, "retry_after_s": 2, "times": 1})).await;
    let refused = sim.put("AuditEvent/ae-0005", &sent).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "2");
    assert_eq!(
        sim.audit_log().await,
        json!({"events": [], "resubmitted": 0, "conflicts": 0})
    );
    assert_eq!(sim.put("AuditEvent/ae-0005", &sent).await.status(), 201);

    // A cut answer: stored, so the resend is recognised.
    clear(&sim).await;
    set_faults(&sim, json!({"truncate": true, "times": 1})).await;
    let cut = sim.put("AuditEvent/ae-0005", &sent).await;
    assert!(serde_json::from_slice::<Value>(&cut.bytes().await.unwrap()).is_err());
    assert_eq!(sim.put("AuditEvent/ae-0005", &sent).await.status(), 200);
    let log = sim.audit_log().await;
    assert_eq!(
        (log["events"].as_array().unwrap().len(), &log["resubmitted"]),
        (1, &json!(1))
    );

    // A slow platform: the workstation gives up. Whether or not that attempt
    // landed, the resend leaves exactly one event.
    clear(&sim).await;
    set_faults(&sim, json!({"latency_ms": 400})).await;
    let timed_out = sim
        .client
        .put(format!("{}/AuditEvent/ae-0005", sim.base))
        .json(&sent)
        .timeout(Duration::from_millis(100))
        .send()
        .await;
    assert!(timed_out.is_err_and(|e| e.is_timeout()));
    tokio::time::sleep(Duration::from_millis(600)).await;
    set_faults(&sim, json!({})).await;
    let resent = sim.put("AuditEvent/ae-0005", &sent).await.status();
    assert!(resent == 200 || resent == 201, "{resent}");
    assert_eq!(sim.audit_log().await["events"].as_array().unwrap().len(), 1);

    // Stored, then the answer held back until the workstation gave up: the
    // resend is recognised as the same event.
    clear(&sim).await;
    set_faults(&sim, json!({"answer_after_ms": 400})).await;
    let unacknowledged = sim
        .client
        .put(format!("{}/AuditEvent/ae-0005", sim.base))
        .json(&sent)
        .timeout(Duration::from_millis(150))
        .send()
        .await;
    assert!(unacknowledged.is_err_and(|e| e.is_timeout()));
    set_faults(&sim, json!({})).await;
    assert_eq!(sim.put("AuditEvent/ae-0005", &sent).await.status(), 200);
    let log = sim.audit_log().await;
    assert_eq!(log["events"].as_array().unwrap().len(), 1);
    assert_eq!(log["resubmitted"], json!(1));
    sim.stop().await;
}

#[tokio::test]
async fn the_capability_statement_lists_audit_event_and_task() {
    let sim = support::start(|o| o.patients = 1).await;
    let metadata = sim.get_json("metadata").await;
    let resources = metadata["rest"][0]["resource"].as_array().unwrap();
    let of = |kind: &str| resources.iter().find(|r| r["type"] == kind).unwrap();
    let names = |resource: &Value, key: &str, field: &str| -> Vec<String> {
        resource[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v[field].as_str().unwrap().to_owned())
            .collect()
    };
    let audit = of("AuditEvent");
    assert_eq!(
        names(audit, "interaction", "code"),
        ["read", "update", "search-type"]
    );
    for param in [
        "patient", "entity", "agent", "type", "subtype", "date", "outcome",
    ] {
        assert!(
            names(audit, "searchParam", "name").contains(&param.to_owned()),
            "{param}"
        );
    }
    let task = of("Task");
    assert_eq!(
        names(task, "interaction", "code"),
        ["read", "update", "search-type"]
    );
    for param in ["focus", "owner", "status"] {
        assert!(
            names(task, "searchParam", "name").contains(&param.to_owned()),
            "{param}"
        );
    }
    let referrals = of("ServiceRequest");
    assert_eq!(
        referrals["searchInclude"],
        json!(["ServiceRequest:subject"])
    );
    for param in ["performer", "status"] {
        assert!(
            names(referrals, "searchParam", "name").contains(&param.to_owned()),
            "{param}"
        );
    }
    sim.stop().await;
}
