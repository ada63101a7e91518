//! The names of every command the webview may call. Shared by `build.rs`
//! (app manifest) and the test that checks the capability grants exactly these.

pub const ALL: &[&str] = &[
    "app_info",
    "session_info",
    "login_password",
    "login_browser",
    "cancel_login",
    "logout",
    "search_patients",
    "open_patient",
    "refresh_patient",
    "pin_patient",
    "break_glass",
    "end_break_glass",
    "reset_cache",
    "watermark",
    "report_watermark_tamper",
    "export_pdf",
    "print_chart",
    "referral_inbox",
    "decide_referral",
    "who_viewed",
    "audit_status",
    "diagnostics",
];
