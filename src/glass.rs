//! Break-the-glass: at most one unsealing at a time, for one doctor and one
//! patient, until its deadline. The core owns the clock: a timer ends the
//! unsealing when its time runs out, and every check of it looks at the
//! deadline as well, so a late timer never leaves records unsealed.
//! The Viewer audits every start before it happens; every end (by the
//! doctor, a logout, or the clock) leaves here an audit entry that the
//! Viewer writes to the trail ([`Glass::take_ended`]).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crate::audit::Entry;
use crate::view::AuditAction;

/// Why a break-the-glass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GlassEnd {
    /// The doctor ended it (or broke the glass for another patient).
    Ended,
    /// Its time ran out.
    Expired,
    /// The doctor logged out (or another doctor logged in).
    Logout,
}

impl GlassEnd {
    fn name(self) -> &'static str {
        match self {
            GlassEnd::Ended => "ended",
            GlassEnd::Expired => "expired",
            GlassEnd::Logout => "logout",
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Glass {
    state: Arc<Mutex<Option<Unsealed>>>,
    /// Ends not yet in the audit trail.
    ended: Arc<Mutex<Vec<Entry>>>,
    /// Numbers the unsealings, never reused: an ended unsealing's timer
    /// must not end a later one.
    started: std::sync::atomic::AtomicU64,
}

#[derive(Debug)]
struct Unsealed {
    subject: String,
    patient_id: String,
    deadline: Instant,
    until: SystemTime,
    /// Tells this unsealing's timer from a later one's.
    serial: u64,
    /// The audited start: its end is recorded with the same doctor,
    /// patient and reason.
    started: Entry,
}

impl Unsealed {
    fn ended(self, why: GlassEnd) -> Entry {
        let mut entry = self.started;
        let now = Entry::new(AuditAction::BreakGlassEnd, &entry.workstation);
        entry.action = AuditAction::BreakGlassEnd;
        entry.time = now.time;
        entry.note = None;
        entry.detail = Some(why.name().to_owned());
        entry
    }
}

impl Glass {
    /// Unseals the patient's records for the doctor for `duration`; ends any
    /// other unsealing first. `started` is the audited start (already in
    /// the trail). Returns when it will end.
    pub(crate) fn start(
        &self,
        subject: &str,
        patient_id: &str,
        duration: Duration,
        started: Entry,
    ) -> SystemTime {
        let until = SystemTime::now() + duration;
        let mut state = self.lock();
        let serial = self
            .started
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(previous) = state.take() {
            self.note_end(previous, GlassEnd::Ended);
        }
        *state = Some(Unsealed {
            subject: subject.to_owned(),
            patient_id: patient_id.to_owned(),
            deadline: Instant::now() + duration,
            until,
            serial,
            started,
        });
        drop(state);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let shared = Arc::clone(&self.state);
            let ended = Arc::clone(&self.ended);
            runtime.spawn(async move {
                tokio::time::sleep(duration).await;
                let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
                if state.as_ref().is_some_and(|u| u.serial == serial) {
                    if let Some(unsealed) = state.take() {
                        ended
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(unsealed.ended(GlassEnd::Expired));
                    }
                }
            });
        }
        until
    }

    /// The ends that happened since the last call, for the audit trail.
    pub(crate) fn take_ended(&self) -> Vec<Entry> {
        std::mem::take(&mut *self.ended.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Ends taken that could not be written: kept, in order, for the next try.
    pub(crate) fn put_back(&self, entries: Vec<Entry>) {
        let mut ended = self.ended.lock().unwrap_or_else(PoisonError::into_inner);
        let later = std::mem::replace(&mut *ended, entries);
        ended.extend(later);
    }

    fn note_end(&self, unsealed: Unsealed, why: GlassEnd) {
        self.ended
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(unsealed.ended(why));
    }

    /// Until when the doctor has unsealed this patient's records, if they have.
    pub(crate) fn active_until(&self, subject: &str, patient_id: &str) -> Option<SystemTime> {
        self.live()
            .as_ref()
            .filter(|u| u.subject == subject && u.patient_id == patient_id)
            .map(|u| u.until)
    }

    /// Whether the doctor has the glass broken for any patient.
    pub(crate) fn active_for(&self, subject: &str) -> bool {
        self.live().as_ref().is_some_and(|u| u.subject == subject)
    }

    /// The state, with an unsealing past its deadline ended first.
    fn live(&self) -> std::sync::MutexGuard<'_, Option<Unsealed>> {
        let mut state = self.lock();
        if state.as_ref().is_some_and(|u| Instant::now() >= u.deadline) {
            if let Some(unsealed) = state.take() {
                self.note_end(unsealed, GlassEnd::Expired);
            }
        }
        state
    }

    /// Ends the unsealing, if there is one.
    pub(crate) fn end(&self, why: GlassEnd) {
        let ended = self.lock().take();
        if let Some(unsealed) = ended {
            self.note_end(unsealed, why);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Unsealed>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started() -> Entry {
        let mut entry = Entry::new(AuditAction::BreakGlassStart, "ws");
        entry.note = Some("note".into());
        entry
    }

    #[test]
    fn an_unsealing_is_for_one_doctor_and_one_patient_until_its_deadline() {
        let glass = Glass::default();
        assert_eq!(glass.active_until("doc", "p1"), None);
        let until = glass.start("doc", "p1", Duration::from_millis(200), started());
        assert_eq!(glass.active_until("doc", "p1"), Some(until));
        assert_eq!(glass.active_until("doc", "p2"), None);
        assert_eq!(glass.active_until("other", "p1"), None);
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(
            glass.active_until("doc", "p1"),
            None,
            "expired by its deadline"
        );
    }

    #[test]
    fn a_new_unsealing_ends_the_previous_one_and_end_ends_it() {
        let glass = Glass::default();
        glass.start("doc", "p1", Duration::from_secs(60), started());
        glass.start("doc", "p2", Duration::from_secs(60), started());
        assert_eq!(glass.active_until("doc", "p1"), None);
        assert!(glass.active_until("doc", "p2").is_some());
        glass.end(GlassEnd::Ended);
        assert_eq!(glass.active_until("doc", "p2"), None);
        let ends: Vec<_> = glass.take_ended().into_iter().map(|e| e.detail).collect();
        assert_eq!(ends, [Some("ended".to_owned()), Some("ended".to_owned())]);
    }

    #[tokio::test]
    async fn an_ended_unsealings_timer_leaves_the_next_one_alone() {
        let glass = Glass::default();
        glass.start("doc", "p1", Duration::from_millis(150), started());
        glass.end(GlassEnd::Ended);
        glass.start("doc", "p1", Duration::from_secs(60), started());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(glass.active_until("doc", "p1").is_some());
    }

    #[tokio::test]
    async fn the_timer_ends_it_without_anyone_asking() {
        let glass = Glass::default();
        glass.start("doc", "p1", Duration::from_millis(100), started());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(glass.lock().is_none(), "the timer cleared the state");
        let ended = glass.take_ended();
        assert_eq!(ended.len(), 1, "the expiry is left for the trail");
        assert_eq!(ended[0].action, AuditAction::BreakGlassEnd);
        assert_eq!(ended[0].detail.as_deref(), Some("expired"));
        assert_eq!(ended[0].note, None, "the note belongs to the start");
        assert!(glass.take_ended().is_empty(), "taken once");
    }
}
