//! The audit seam: every operation that unseals patient data reports here
//! first. For now each event is a structured, PHI-free log line (target
//! `chartguard::audit`); the tamper-evident trail and its forwarding to the
//! platform build on this one function.

/// Why a break-the-glass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GlassEnd {
    /// The doctor ended it.
    Ended,
    /// Its time ran out.
    Expired,
    /// The doctor logged out (or another doctor logged in).
    Logout,
}

/// An auditable event. Holds no patient data: the patient is named by the
/// request it belongs to, not here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    BreakGlassStart { reason: &'a str, minutes: u64 },
    BreakGlassEnd(GlassEnd),
}

/// Records `event`. Must succeed before the data it concerns is shown.
pub(crate) fn record(event: &Event<'_>) {
    match event {
        Event::BreakGlassStart { reason, minutes } => {
            tracing::warn!(target: "chartguard::audit", reason, minutes, "break the glass: started");
        }
        Event::BreakGlassEnd(why) => {
            tracing::warn!(target: "chartguard::audit", why = ?why, "break the glass: ended");
        }
    }
}
