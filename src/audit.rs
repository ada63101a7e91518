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
    /// A doctor logged in; the session reference on their watermark
    /// resolves to this event.
    SessionStart {
        subject: &'a str,
        session_ref: &'a str,
    },
    BreakGlassStart {
        reason: &'a str,
        minutes: u64,
    },
    BreakGlassEnd(GlassEnd),
    /// An export or print job is about to be made; its ID is on every page.
    Export {
        export_id: &'a str,
        session_ref: &'a str,
        /// The patient's keyed pseudonym (never their id in a log).
        patient: &'a str,
        tier: &'a str,
        /// Unsealed records are in it.
        break_glass: bool,
        scope: crate::view::ExportScope,
        print: bool,
    },
    /// The export was written or printed (`ok`), or that failed.
    ExportDone {
        export_id: &'a str,
        ok: bool,
    },
    /// The on-screen watermark was removed or hidden (and restored).
    WatermarkTamper {
        session_ref: Option<&'a str>,
        kind: crate::view::WatermarkTamper,
        /// Reports of this kind held back since the last such event.
        repeats: u32,
    },
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
        Event::SessionStart {
            subject,
            session_ref,
        } => {
            tracing::info!(target: "chartguard::audit", subject, session_ref, "session started");
        }
        Event::Export {
            export_id,
            session_ref,
            patient,
            tier,
            break_glass,
            scope,
            print,
        } => {
            tracing::info!(
                target: "chartguard::audit",
                export_id, session_ref, patient, tier, break_glass, scope = ?scope, print,
                "export"
            );
        }
        Event::ExportDone { export_id, ok } => {
            tracing::info!(target: "chartguard::audit", export_id, ok, "export finished");
        }
        Event::WatermarkTamper {
            session_ref,
            kind,
            repeats,
        } => {
            let kind = match kind {
                crate::view::WatermarkTamper::Removed => "removed",
                crate::view::WatermarkTamper::Hidden => "hidden",
            };
            tracing::warn!(target: "chartguard::audit", session_ref, kind, repeats, "watermark tampered with");
        }
    }
}
