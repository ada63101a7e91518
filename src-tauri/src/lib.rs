//! The desktop shell: one window, and commands that each parse their
//! arguments, call one [`chartguard::Viewer`] method and map its error to
//! `{code, message}`. No logic lives here (DESIGN.md §1, invariant 6).

use std::path::PathBuf;

use chartguard::view::{
    AccessLog, AppInfo, AuditStatus, Chart, ExportReceipt, ExportRequest, ReferralDecision,
    ReferralInbox, ReferralView, SearchResults, SessionInfo, WatermarkTamper, WatermarkView,
};
use chartguard::{Config, ErrorPayload, SystemBrowser, Viewer};
use tauri::{Manager as _, State};
use tauri_plugin_dialog::DialogExt as _;

pub mod commands_list;

/// The core, or why it could not start (shown in the window, never a crash).
#[derive(Debug)]
pub struct AppState(Result<Viewer, ErrorPayload>);

impl AppState {
    pub fn from_config(config: chartguard::Result<Config>) -> Self {
        AppState(
            config
                .and_then(Viewer::new)
                .map_err(|e| ErrorPayload::from(&e)),
        )
    }

    /// Why the core could not start, if it could not.
    pub fn error(&self) -> Option<&ErrorPayload> {
        self.0.as_ref().err()
    }

    fn viewer(&self) -> Result<&Viewer, ErrorPayload> {
        self.0.as_ref().map_err(Clone::clone)
    }
}

type Reply<T> = Result<T, ErrorPayload>;

fn payload(e: chartguard::Error) -> ErrorPayload {
    ErrorPayload::from(&e)
}

#[tauri::command]
fn app_info(state: State<'_, AppState>) -> Reply<AppInfo> {
    Ok(state.viewer()?.app_info())
}

#[tauri::command]
async fn session_info(state: State<'_, AppState>) -> Reply<Option<SessionInfo>> {
    Ok(state.viewer()?.session_info().await)
}

#[tauri::command]
async fn login_password(
    state: State<'_, AppState>,
    username: String,
    password: String,
) -> Reply<SessionInfo> {
    state
        .viewer()?
        .login_password(&username, &password)
        .await
        .map_err(payload)
}

#[tauri::command]
async fn login_browser(state: State<'_, AppState>) -> Reply<SessionInfo> {
    state
        .viewer()?
        .login_browser(&SystemBrowser)
        .await
        .map_err(payload)
}

#[tauri::command]
fn cancel_login(state: State<'_, AppState>) -> Reply<()> {
    state.viewer()?.cancel_login();
    Ok(())
}

#[tauri::command]
async fn logout(state: State<'_, AppState>) -> Reply<()> {
    state.viewer()?.logout().await.map_err(payload)
}

#[tauri::command]
async fn search_patients(state: State<'_, AppState>, query: String) -> Reply<SearchResults> {
    state
        .viewer()?
        .search_patients(&query)
        .await
        .map_err(payload)
}

#[tauri::command]
async fn open_patient(state: State<'_, AppState>, patient_id: String) -> Reply<Chart> {
    state
        .viewer()?
        .open_patient(&patient_id)
        .await
        .map_err(payload)
}

#[tauri::command]
async fn refresh_patient(state: State<'_, AppState>, patient_id: String) -> Reply<Chart> {
    state
        .viewer()?
        .refresh_patient(&patient_id)
        .await
        .map_err(payload)
}

#[tauri::command]
async fn pin_patient(
    state: State<'_, AppState>,
    patient_id: String,
    pinned: bool,
) -> Reply<Option<bool>> {
    state
        .viewer()?
        .pin_patient(&patient_id, pinned)
        .await
        .map_err(payload)
}

#[tauri::command]
async fn break_glass(
    state: State<'_, AppState>,
    patient_id: String,
    reason: String,
    note: String,
) -> Reply<Chart> {
    state
        .viewer()?
        .break_glass(&patient_id, &reason, &note)
        .await
        .map_err(payload)
}

#[tauri::command]
async fn end_break_glass(state: State<'_, AppState>) -> Reply<()> {
    state.viewer()?.end_break_glass().await;
    Ok(())
}

#[tauri::command]
async fn reset_cache(state: State<'_, AppState>) -> Reply<SessionInfo> {
    state.viewer()?.reset_cache().await.map_err(payload)
}

#[tauri::command]
async fn watermark(state: State<'_, AppState>) -> Reply<WatermarkView> {
    Ok(state.viewer()?.watermark().await)
}

#[tauri::command]
async fn report_watermark_tamper(state: State<'_, AppState>, kind: WatermarkTamper) -> Reply<()> {
    state
        .viewer()?
        .report_watermark_tamper(kind)
        .await
        .map_err(payload)
}

/// Asks where to save in the OS's own dialog, so the webview never names a
/// path; `None` when the doctor cancels.
#[tauri::command]
async fn export_pdf<R: tauri::Runtime>(
    window: tauri::WebviewWindow<R>,
    state: State<'_, AppState>,
    request: ExportRequest,
) -> Reply<Option<ExportReceipt>> {
    let viewer = state.viewer()?;
    let Some(path) = choose_pdf_path(&window).await else {
        return Ok(None);
    };
    viewer
        .export_pdf(&request, &path)
        .await
        .map(Some)
        .map_err(payload)
}

async fn choose_pdf_path<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>) -> Option<PathBuf> {
    let (tx, mut rx) = tauri::async_runtime::channel(1);
    window
        .dialog()
        .file()
        .set_parent(window)
        .add_filter("PDF", &["pdf"])
        .set_file_name("chartguard-export.pdf")
        .save_file(move |chosen| {
            let _ = tx.try_send(chosen.and_then(|p| p.as_path().map(PathBuf::from)));
        });
    rx.recv().await.flatten()
}

#[tauri::command]
async fn print_chart(state: State<'_, AppState>, request: ExportRequest) -> Reply<ExportReceipt> {
    state.viewer()?.print(&request).await.map_err(payload)
}

#[tauri::command]
async fn referral_inbox(state: State<'_, AppState>) -> Reply<ReferralInbox> {
    state.viewer()?.referral_inbox().await.map_err(payload)
}

#[tauri::command]
async fn decide_referral(
    state: State<'_, AppState>,
    referral_id: String,
    decision: ReferralDecision,
    note: String,
) -> Reply<ReferralView> {
    state
        .viewer()?
        .decide_referral(&referral_id, decision, &note)
        .await
        .map_err(payload)
}

#[tauri::command]
async fn who_viewed(state: State<'_, AppState>, patient_id: String) -> Reply<AccessLog> {
    state
        .viewer()?
        .who_viewed(&patient_id)
        .await
        .map_err(payload)
}

#[tauri::command]
async fn audit_status(state: State<'_, AppState>) -> Reply<AuditStatus> {
    state.viewer()?.audit_status().await.map_err(payload)
}

/// Every command, in one place, so the builder and the tests agree.
pub fn handlers<R: tauri::Runtime>(
) -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_info,
        session_info,
        login_password,
        login_browser,
        cancel_login,
        logout,
        search_patients,
        open_patient,
        refresh_patient,
        pin_patient,
        break_glass,
        end_break_glass,
        reset_cache,
        watermark,
        report_watermark_tamper,
        export_pdf,
        print_chart,
        referral_inbox,
        decide_referral,
        who_viewed,
        audit_status
    ]
}

// `generate_context!` expands to code that uses eprintln!; the text is
// Tauri's own start-up diagnostics, never patient data.
#[allow(clippy::disallowed_macros)]
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CHARTGUARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in log files.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let state = AppState::from_config(Config::load());
    if let Some(e) = state.error() {
        tracing::error!(code = ?e.code, "ChartGuard could not start its core");
    }
    // Where the OS can (Windows, macOS), the window stays out of screenshots
    // and screen sharing; Linux has no such API.
    let protect = state.viewer().is_ok_and(Viewer::content_protection);
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| {
            if let Some(window) = app.get_webview_window("main") {
                if let Err(e) = window.set_content_protected(protect) {
                    tracing::warn!(error = %e, "content protection could not be set");
                }
            }
            // The audit trail's outbox goes to the platform in the background
            // for as long as the app runs.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                if let Ok(viewer) = handle.state::<AppState>().viewer() {
                    viewer.run_audit_forwarder().await;
                }
            });
            Ok(())
        })
        .manage(state)
        .invoke_handler(handlers())
        .build(tauri::generate_context!())
        .unwrap_or_else(|_| std::process::exit(1));
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            // Closing the app ends the session, so nothing of it is left for
            // the next user of a shared workstation.
            if let Ok(viewer) = handle.state::<AppState>().viewer() {
                let _ = tauri::async_runtime::block_on(viewer.logout());
            }
        }
    });
}
