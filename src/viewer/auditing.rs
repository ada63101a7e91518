//! The Viewer's side of the audit trail: the entries its actions write
//! (who, from the session; where, this workstation), and the forwarding
//! of the trail's outbox to the platform.

use std::time::SystemTime;

use super::{is_offline, Viewer, FORWARD_BATCH, FORWARD_EVERY};
use crate::audit::{self, Actor, Entry, PatientRef};
use crate::auth::Identity;
use crate::error::{Error, Result};
use crate::view::{AuditAction, Chart};

impl Viewer {
    /// An entry for `action` now, by `doctor` (with their session
    /// reference) when there is one.
    pub(super) fn entry(&self, action: AuditAction, doctor: Option<&(Identity, String)>) -> Entry {
        let mut entry = Entry::new(action, &self.workstation);
        entry.issuer = Some(self.config.idp.issuer.to_string());
        if let Some((identity, reference)) = doctor {
            entry.who = Some(actor(identity));
            entry.session_ref = Some(reference.clone());
        }
        entry
    }

    /// [`Viewer::entry`] by whoever is logged in.
    pub(super) async fn doctor_entry(&self, action: AuditAction) -> Entry {
        let doctor = self.doctor().await;
        self.entry(action, doctor.as_ref())
    }

    pub(super) fn patient_ref(&self, patient_id: &str) -> PatientRef {
        PatientRef {
            id: patient_id.to_owned(),
            pseudonym: crate::mask::ops::pseudonym(self.privacy.key(), patient_id),
        }
    }

    /// Writes `entry` to the trail, after any break-the-glass ends not
    /// written yet (so the trail keeps their order). Only when this
    /// succeeds may the action it records go on.
    pub(super) async fn audit(&self, entry: Entry) -> Result<()> {
        self.record_glass_ends_or_fail().await?;
        self.trail.record(entry).await?;
        self.audit_written.notify_one();
        Ok(())
    }

    /// Writes an entry of something that has already happened (a logout, a
    /// refusal, a failed login): a failure is logged, and the action's own
    /// outcome stands.
    pub(super) async fn audit_after(&self, entry: Entry) {
        if let Err(e) = self.audit(entry).await {
            tracing::error!(code = ?e.code(), "an audit event after the fact was not written");
        }
    }

    /// Writes the break-the-glass ends (by the doctor, a logout or the
    /// clock) that are not in the trail yet.
    pub(super) async fn record_glass_ends(&self) {
        if let Err(e) = self.record_glass_ends_or_fail().await {
            tracing::error!(code = ?e.code(), "a break-the-glass end was not written; kept for the next try");
        }
    }

    async fn record_glass_ends_or_fail(&self) -> Result<()> {
        let mut ended = self.glass.take_ended().into_iter();
        while let Some(entry) = ended.next() {
            if let Err(e) = self.trail.record(entry.clone()).await {
                self.glass
                    .put_back(std::iter::once(entry).chain(ended).collect());
                return Err(e);
            }
        }
        Ok(())
    }

    /// Audits the refusal of `what` (about `patient_id`, when there is
    /// one) and returns it as the error.
    pub(super) async fn refuse(&self, patient_id: Option<&str>, what: &str) -> Error {
        let mut entry = self
            .doctor_entry(AuditAction::AccessDenied)
            .await
            .failed(Error::AccessDenied.code());
        entry.patient = patient_id.map(|id| self.patient_ref(id));
        entry.detail = Some(what.to_owned());
        self.audit_after(entry).await;
        Error::AccessDenied
    }

    /// `result`, with an `AccessDenied` in it audited as the refusal of `what`.
    pub(super) async fn audit_refusal<T>(
        &self,
        patient_id: Option<&str>,
        what: &str,
        result: Result<T>,
    ) -> Result<T> {
        match result {
            Err(Error::AccessDenied) => Err(self.refuse(patient_id, what).await),
            other => other,
        }
    }

    /// Sends the trail's waiting events to the platform, oldest first, each
    /// as an `AuditEvent` under its own id (so a resend after a crash is
    /// not a second event). Returns how many arrived. The platform takes
    /// them with the logged-in doctor's token: without a session they wait
    /// for the next login. A platform that is down stops the round; an event
    /// it refuses waits longer each time and is shown to IT in
    /// [`Viewer::audit_status`]. A platform that cannot be reached pauses
    /// all sending for as long as the failed event waits.
    pub async fn forward_audit(&self) -> Result<u32> {
        self.record_glass_ends().await;
        if !self.trail.forwards() || self.session.lock().await.is_none() {
            return Ok(0);
        }
        let paused = *self
            .forwarding_paused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if paused.is_some_and(|until| std::time::Instant::now() < until) {
            return Ok(0);
        }
        let token = match self.access_token().await {
            Ok(token) => token,
            Err(_) => return Ok(0),
        };
        let mut sent = 0;
        loop {
            let now = audit::store::unix_ms(SystemTime::now());
            let due = self.trail.due(now, FORWARD_BATCH).await?;
            if due.is_empty() {
                return Ok(sent);
            }
            for stored in due {
                let event = audit::balp::audit_event(&stored);
                match self.platform.put_audit_event(&token, &event).await {
                    Ok(()) => {
                        let now = audit::store::unix_ms(SystemTime::now());
                        self.trail.delivered(stored.seq, now).await?;
                        sent += 1;
                    }
                    Err(e) => {
                        let now = audit::store::unix_ms(SystemTime::now());
                        let message = e.to_string();
                        let attempts = self.trail.failed(stored.seq, now, &message).await?;
                        tracing::warn!(code = ?e.code(), "an audit event did not reach the platform; it waits");
                        // Down, or our token: the next events would fare no better.
                        if is_offline(&e) || matches!(e, Error::SessionExpired) {
                            *self
                                .forwarding_paused_until
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                                Some(std::time::Instant::now() + audit::store::backoff(attempts));
                            return Ok(sent);
                        }
                    }
                }
            }
        }
    }

    /// Forwards the outbox for as long as the app runs: at once after each
    /// event, and every few seconds (for events that waited on the
    /// platform or on a login, and break-the-glass that expired).
    pub async fn run_audit_forwarder(&self) {
        loop {
            let _ = tokio::time::timeout(FORWARD_EVERY, self.audit_written.notified()).await;
            if let Err(e) = self.forward_audit().await {
                tracing::warn!(code = ?e.code(), "audit forwarding paused");
            }
        }
    }
}

fn actor(identity: &Identity) -> Actor {
    Actor {
        subject: identity.sub.clone(),
        name: identity.display_name().to_owned(),
        staff_no: identity.staff_no.clone(),
        department: identity.department.clone(),
        roles: identity.roles.clone(),
        tier: None,
    }
}

/// Purpose of use: emergency treatment while the chart is unsealed.
pub(super) fn purpose_of(chart: &Chart) -> &'static str {
    match chart.access.break_glass_until {
        Some(_) => "ETREAT",
        None => "TREAT",
    }
}

/// The kinds of records a chart shows.
pub(super) fn shown_types(chart: &Chart) -> Vec<String> {
    let sections = [
        (true, "Patient"),
        (!chart.problems.is_empty(), "Condition"),
        (!chart.medications.is_empty(), "MedicationRequest"),
        (!chart.allergies.is_empty(), "AllergyIntolerance"),
        (!chart.labs.is_empty(), "Observation"),
        (!chart.encounters.is_empty(), "Encounter"),
    ];
    sections
        .into_iter()
        .filter(|(shown, _)| *shown)
        .map(|(_, kind)| kind.to_owned())
        .collect()
}

/// A search's query as the trail keeps it: its kind, and enough of it to
/// recognise, never a whole name or identifier.
pub(super) fn masked_query(query: &crate::search::PatientQuery) -> String {
    let keep = |text: &str, first: usize, last: usize| -> String {
        let chars: Vec<char> = text.chars().collect();
        let n = chars.len();
        if n <= first + last {
            return chars
                .iter()
                .enumerate()
                .map(|(i, c)| if i == 0 { *c } else { '*' })
                .collect();
        }
        chars
            .iter()
            .enumerate()
            .map(|(i, c)| if i < first || i >= n - last { *c } else { '*' })
            .collect()
    };
    let parts = [
        query
            .name
            .as_deref()
            .map(|t| format!("name:{}", keep(t, 1, 0))),
        query
            .birth
            .as_deref()
            .map(|t| format!("birthdate:{}", keep(t, 4, 0))),
        query
            .identifier
            .as_deref()
            .map(|t| format!("identifier:{}", keep(t, 3, 2))),
    ];
    parts.into_iter().flatten().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::PatientQuery;

    #[test]
    fn a_query_is_kept_masked() {
        let masked = |text: &str| masked_query(&PatientQuery::parse(text).unwrap());
        assert_eq!(masked("张伟"), "name:张*");
        assert_eq!(
            masked("110105196503152252"),
            "identifier:110*************52"
        );
        assert_eq!(masked("12345"), "identifier:1****");
        assert_eq!(masked("1965-03-15"), "birthdate:1965******");
        assert_eq!(
            masked("zhang 1965 2252"),
            "name:z**** birthdate:1*** identifier:2***"
        );
    }
}
