//! Break-the-glass: at most one unsealing at a time, for one doctor and one
//! patient, until its deadline. The core owns the clock: a timer ends the
//! unsealing when its time runs out, and every check of it looks at the
//! deadline as well, so a late timer never leaves records unsealed.
//! Every start and end goes to the audit seam.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crate::audit::{self, Event, GlassEnd};

#[derive(Debug, Default)]
pub(crate) struct Glass {
    state: Arc<Mutex<Option<Unsealed>>>,
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
}

impl Glass {
    /// Unseals the patient's records for the doctor for `duration`; ends any
    /// other unsealing first. Returns when it will end.
    pub(crate) fn start(
        &self,
        subject: &str,
        patient_id: &str,
        reason: &str,
        duration: Duration,
    ) -> SystemTime {
        let until = SystemTime::now() + duration;
        let mut state = self.lock();
        let serial = self
            .started
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if state.take().is_some() {
            audit::record(&Event::BreakGlassEnd(GlassEnd::Ended));
        }
        audit::record(&Event::BreakGlassStart {
            reason,
            minutes: duration.as_secs().div_ceil(60),
        });
        *state = Some(Unsealed {
            subject: subject.to_owned(),
            patient_id: patient_id.to_owned(),
            deadline: Instant::now() + duration,
            until,
            serial,
        });
        drop(state);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let shared = Arc::clone(&self.state);
            runtime.spawn(async move {
                tokio::time::sleep(duration).await;
                let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
                if state.as_ref().is_some_and(|u| u.serial == serial) {
                    *state = None;
                    audit::record(&Event::BreakGlassEnd(GlassEnd::Expired));
                }
            });
        }
        until
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
            *state = None;
            audit::record(&Event::BreakGlassEnd(GlassEnd::Expired));
        }
        state
    }

    /// Ends the unsealing, if there is one.
    pub(crate) fn end(&self, why: GlassEnd) {
        if self.lock().take().is_some() {
            audit::record(&Event::BreakGlassEnd(why));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Unsealed>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsealing_is_for_one_doctor_and_one_patient_until_its_deadline() {
        let glass = Glass::default();
        assert_eq!(glass.active_until("doc", "p1"), None);
        let until = glass.start("doc", "p1", "emergency", Duration::from_millis(200));
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
        glass.start("doc", "p1", "emergency", Duration::from_secs(60));
        glass.start("doc", "p2", "consult", Duration::from_secs(60));
        assert_eq!(glass.active_until("doc", "p1"), None);
        assert!(glass.active_until("doc", "p2").is_some());
        glass.end(GlassEnd::Ended);
        assert_eq!(glass.active_until("doc", "p2"), None);
    }

    #[tokio::test]
    async fn an_ended_unsealings_timer_leaves_the_next_one_alone() {
        let glass = Glass::default();
        glass.start("doc", "p1", "emergency", Duration::from_millis(150));
        glass.end(GlassEnd::Ended);
        glass.start("doc", "p1", "consult", Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(glass.active_until("doc", "p1").is_some());
    }

    #[tokio::test]
    async fn the_timer_ends_it_without_anyone_asking() {
        let glass = Glass::default();
        glass.start("doc", "p1", "emergency", Duration::from_millis(100));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(glass.lock().is_none(), "the timer cleared the state");
    }
}
