//! The department head's desk (the referral inbox, accept/decline, "who
//! viewed this patient") and IT's view of the audit trail. The policy's
//! `[desk]` roles open each; the core checks them on every request.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{who, Viewer, MAX_NOTE_CHARS};
use crate::audit::balp;
use crate::error::{Error, ErrorPayload, Result};
use crate::fhir::{array, concept_text, id, reference_target, resource_type, str_field};
use crate::view::{
    AccessGrounds, AccessLog, ActionCount, AuditAction, AuditStatus, Desk, EntrySource, OutboxView,
    ReferralDecision, ReferralInbox, ReferralView,
};

impl Viewer {
    /// The open referrals to the head's department, newest first, each patient
    /// as the head's tier for them allows (a current referral to the
    /// department makes it the full view), with the department's decisions.
    /// Audited as a patient query before it is returned.
    pub async fn referral_inbox(&self) -> Result<ReferralInbox> {
        let identity = self
            .require_desk("referral inbox", |d| d.referral_inbox)
            .await?;
        let performer = self
            .department_performer(&identity, "referral inbox")
            .await?;
        let token = self.access_token().await?;
        let found = self.platform.referrals(&token, &performer).await?;
        let decisions = match self.platform.tasks(&token, &performer).await {
            Ok(tasks) => decisions(&tasks),
            Err(e) => {
                tracing::warn!(code = ?e.code(), "referral decisions unavailable");
                HashMap::new()
            }
        };
        let can_decide = self
            .platform
            .supports(&token, "Task", "update")
            .await
            .unwrap_or(false);
        let patients: HashMap<&str, &Value> = found
            .iter()
            .filter(|r| resource_type(r) == Some("Patient"))
            .filter_map(|p| Some((id(p)?, p)))
            .collect();
        let mut referrals = Vec::new();
        for request in found
            .iter()
            .filter(|r| resource_type(r) == Some("ServiceRequest") && performs(r, &performer))
        {
            let Some(patient) = subject_id(request).and_then(|p| patients.get(p)) else {
                continue;
            };
            if let Some(row) = self.referral_view(&identity, patient, request, &decisions)? {
                referrals.push(row);
            }
        }
        let mut entry = self.doctor_entry(AuditAction::PatientSearch).await;
        entry.query = Some(format!("referrals to {performer}"));
        entry.resource_types = vec!["ServiceRequest".into(), "Patient".into()];
        entry.detail = Some(format!("{} referrals", referrals.len()));
        // A list that arrives after the screen locked is not shown.
        self.require_unlocked().await?;
        self.audit(entry).await?;
        Ok(ReferralInbox {
            referrals,
            can_decide,
        })
    }

    /// Accepts or declines the referral `referral_id` to the head's
    /// department on the platform (a FHIR `Task` on the referral, one per
    /// referral, so deciding again replaces the decision). Declining needs
    /// a note. Audited before it is sent.
    pub async fn decide_referral(
        &self,
        referral_id: &str,
        decision: ReferralDecision,
        note: &str,
    ) -> Result<ReferralView> {
        let identity = self
            .require_desk("referral decision", |d| d.referral_inbox)
            .await?;
        let status = match decision {
            ReferralDecision::Accepted => "accepted",
            ReferralDecision::Declined => "rejected",
            ReferralDecision::Pending => {
                return Err(Error::Usage("a referral is accepted or declined".into()))
            }
        };
        let note = note.trim();
        if note.chars().count() > MAX_NOTE_CHARS
            || (decision == ReferralDecision::Declined && note.is_empty())
        {
            return Err(Error::Usage(
                "declining a referral needs a note of up to 500 characters".into(),
            ));
        }
        let performer = self
            .department_performer(&identity, "referral decision")
            .await?;
        let token = self.access_token().await?;
        let request = self
            .platform
            .read(&token, "ServiceRequest", referral_id)
            .await?;
        if resource_type(&request) != Some("ServiceRequest") || !performs(&request, &performer) {
            let what = "referral decision: not a referral to the department";
            return Err(self.refuse(None, what).await);
        }
        let patient_id = subject_id(&request)
            .ok_or(Error::Malformed(
                crate::error::Remote::Platform,
                "a referral names no patient",
            ))?
            .to_owned();
        let patient = self.platform.read(&token, "Patient", &patient_id).await?;
        let mut entry = self.doctor_entry(AuditAction::ReferralDecision).await;
        entry.patient = Some(self.patient_ref(&patient_id));
        entry.resource_types = vec!["ServiceRequest".into(), "Task".into()];
        entry.detail = Some(format!("ServiceRequest/{referral_id} {status}"));
        entry.note = (!note.is_empty()).then(|| note.to_owned());
        self.audit(entry.clone()).await?;
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut task = json!({
            "resourceType": "Task",
            "id": decision_task_id(referral_id),
            "status": status,
            "intent": "order",
            "focus": {"reference": format!("ServiceRequest/{referral_id}")},
            "for": {"reference": format!("Patient/{patient_id}")},
            "owner": {"reference": performer},
            "requester": {
                "identifier": {"system": self.config.idp.issuer.as_str(), "value": identity.sub},
                "display": identity.display_name(),
            },
            "authoredOn": now,
            "lastModified": now,
        });
        if !note.is_empty() {
            task["statusReason"] = json!({"text": note});
        }
        let stored = match self.platform.put_resource(&token, &task).await {
            Ok(stored) => stored,
            Err(e) => {
                // The decision announced above did not reach the platform.
                self.audit_after(entry.now().failed(e.code())).await;
                return Err(e);
            }
        };
        let stored = if stored.is_object() { stored } else { task };
        let decisions = decisions(std::slice::from_ref(&stored));
        self.referral_view(&identity, &patient, &request, &decisions)?
            .ok_or(Error::AccessDenied)
    }

    /// "Who viewed this patient": the views, exports and break-the-glass
    /// events the platform has (from every workstation) and this
    /// workstation's trail, newest first, break-the-glass marked. Only for
    /// a patient the head has a relationship with (a referral to their
    /// department, a care team); reading it is audited too.
    pub async fn who_viewed(&self, patient_id: &str) -> Result<AccessLog> {
        self.require_desk("access log", |d| d.access_log).await?;
        let patient = Some(patient_id);
        let chart = self.open_chart(patient_id).await;
        let chart = self.audit_refusal(patient, "access log", chart).await?;
        if chart.access.grounds == AccessGrounds::Role {
            let what = "access log of a patient outside the department";
            return Err(self.refuse(patient, what).await);
        }
        let mut entry = self.doctor_entry(AuditAction::AccessLogView).await;
        entry.patient = Some(self.patient_ref(patient_id));
        entry.resource_types = vec!["AuditEvent".into()];
        self.audit(entry).await?;

        let mut entries = Vec::new();
        let mut platform_problem = None;
        let fetched = async {
            let token = self.access_token().await?;
            self.platform.audit_events(&token, patient_id).await
        };
        match fetched.await {
            Ok(events) => entries.extend(
                events
                    .iter()
                    .filter_map(balp::platform_entry)
                    .filter(|e| balp::shows_access(e.action)),
            ),
            Err(e) => {
                tracing::warn!(code = ?e.code(), "the platform's audit events are unavailable");
                platform_problem = Some(ErrorPayload::from(&e));
            }
        }
        let on_platform: HashMap<String, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        for stored in self.trail.for_patient(patient_id).await? {
            if !balp::shows_access(stored.entry.action) {
                continue;
            }
            match on_platform.get(&stored.id) {
                Some(&i) => entries[i].source = EntrySource::Both,
                None => entries.push(balp::local_entry(&stored)),
            }
        }
        // RFC 3339 in UTC throughout: text order is time order.
        entries.sort_by(|a, b| b.time.cmp(&a.time));
        self.require_unlocked().await?;
        Ok(AccessLog {
            entries,
            platform_problem,
        })
    }

    /// The trail's metadata for IT: how many events of each kind, what
    /// waits for the platform, and a fresh verification of the chain. No
    /// patient and no person.
    pub async fn audit_status(&self) -> Result<AuditStatus> {
        self.require_desk("audit status", |d| d.audit_status)
            .await?;
        let verify = self.trail.verify().await?;
        let counts = self.trail.counts().await?;
        let time = |ms: Option<i64>| {
            ms.and_then(chrono::DateTime::from_timestamp_millis)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        };
        Ok(AuditStatus {
            events: counts.events,
            oldest: time(counts.oldest_ms),
            newest: time(counts.newest_ms),
            by_action: counts
                .by_action
                .iter()
                .map(|&(action, count)| ActionCount { action, count })
                .collect(),
            outbox: OutboxView {
                enabled: self.trail.forwards(),
                pending: counts.pending,
                failing: counts.failing,
                oldest_pending: time(counts.oldest_pending_ms),
                last_sent: time(counts.last_sent_ms),
                last_error: counts.last_error,
            },
            verify,
            retention_days: self.trail.retention_days(),
        })
    }

    /// The logged-in person, when the policy's desk roles give them the
    /// screen `name`; a refusal is audited.
    async fn require_desk(
        &self,
        name: &str,
        screen: impl Fn(&Desk) -> bool,
    ) -> Result<crate::auth::Identity> {
        self.require_unlocked().await?;
        let (identity, _) = self.doctor().await.ok_or(Error::NotLoggedIn)?;
        let desk = self.privacy.policy()?.desk.desk(&identity.roles);
        if screen(&desk) {
            return Ok(identity);
        }
        Err(self
            .refuse(None, &format!("{name}: not a role of the policy's [desk]"))
            .await)
    }

    /// `Organization/dept-{department}` (as the policy spells it) for the
    /// head's department.
    async fn department_performer(
        &self,
        identity: &crate::auth::Identity,
        name: &str,
    ) -> Result<String> {
        let Some(department) = identity
            .department
            .as_deref()
            .filter(|d| !d.trim().is_empty())
        else {
            let what = format!("{name}: the login names no department");
            return Err(self.refuse(None, &what).await);
        };
        Ok(self
            .privacy
            .policy()?
            .relationships
            .referral_performer
            .replace("{department}", department))
    }

    fn referral_view(
        &self,
        identity: &crate::auth::Identity,
        patient: &Value,
        request: &Value,
        decisions: &HashMap<String, (ReferralDecision, Option<String>)>,
    ) -> Result<Option<ReferralView>> {
        let Some(request_id) = id(request).map(str::to_owned) else {
            return Ok(None);
        };
        let Some((summary, masked)) = crate::mask::referral_row(
            &self.privacy,
            who(identity),
            patient.clone(),
            request.clone(),
        )?
        else {
            return Ok(None);
        };
        let reason = array(&masked, "reasonCode")
            .find_map(concept_text)
            .or_else(|| masked.get("code").and_then(concept_text));
        let requester = masked
            .get("requester")
            .and_then(|r| str_field(r, "display"))
            .map(str::to_owned);
        let (decision, decision_note) = decisions
            .get(&request_id)
            .cloned()
            .unwrap_or((ReferralDecision::Pending, None));
        Ok(Some(ReferralView {
            id: request_id,
            patient: summary,
            status: str_field(&masked, "status").unwrap_or("unknown").to_owned(),
            decision,
            priority: str_field(&masked, "priority").map(str::to_owned),
            authored_on: str_field(&masked, "authoredOn").map(str::to_owned),
            reason,
            requester,
            decision_note,
        }))
    }
}

/// The decision per referral id, from the department's Tasks.
fn decisions(tasks: &[Value]) -> HashMap<String, (ReferralDecision, Option<String>)> {
    tasks
        .iter()
        .filter(|t| resource_type(t) == Some("Task"))
        .filter_map(|task| {
            let (kind, referral) = reference_target(task.get("focus")?)?;
            if kind != "ServiceRequest" {
                return None;
            }
            let decision = match str_field(task, "status")? {
                "accepted" | "in-progress" | "completed" => ReferralDecision::Accepted,
                "rejected" | "cancelled" => ReferralDecision::Declined,
                _ => ReferralDecision::Pending,
            };
            let note = task.get("statusReason").and_then(concept_text);
            Some((referral.to_owned(), (decision, note)))
        })
        .collect()
}

/// The Task that holds the department's decision on a referral: one per
/// referral (FHIR ids are at most 64 characters).
fn decision_task_id(referral_id: &str) -> String {
    use sha2::Digest as _;
    let id = format!("decision-{referral_id}");
    match id.len() <= 64 {
        true => id,
        false => {
            let digest = sha2::Sha256::digest(referral_id.as_bytes());
            let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            format!("decision-{hex}")
        }
    }
}

fn subject_id(request: &Value) -> Option<&str> {
    match reference_target(request.get("subject")?)? {
        ("Patient", id) => Some(id),
        _ => None,
    }
}

/// Whether the referral is to `performer`.
fn performs(request: &Value, performer: &str) -> bool {
    array(request, "performer").any(|p| str_field(p, "reference") == Some(performer))
}
