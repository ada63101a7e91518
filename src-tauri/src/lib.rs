//! The desktop shell: one window, and commands that each parse their
//! arguments, call one [`chartguard::Viewer`] method and map its error to
//! `{code, message}`. No logic lives here (DESIGN.md §1, invariant 6).

use std::path::PathBuf;

use chartguard::view::{
    AccessLog, AppInfo, AuditStatus, Chart, ExportReceipt, ExportRequest, FetchProgressView,
    PatientSummary, ReferralDecision, ReferralInbox, ReferralView, SearchResults, SessionInfo,
    WatermarkTamper, WatermarkView,
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
async fn lock(state: State<'_, AppState>) -> Reply<()> {
    state.viewer()?.lock().await.map_err(payload)
}

#[tauri::command]
async fn unlock_password(state: State<'_, AppState>, password: String) -> Reply<SessionInfo> {
    state
        .viewer()?
        .unlock_password(&password)
        .await
        .map_err(payload)
}

#[tauri::command]
async fn unlock_browser(state: State<'_, AppState>) -> Reply<SessionInfo> {
    state
        .viewer()?
        .unlock_browser(&SystemBrowser)
        .await
        .map_err(payload)
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
async fn fetch_progress(state: State<'_, AppState>) -> Reply<FetchProgressView> {
    state.viewer()?.fetch_progress().await.map_err(payload)
}

#[tauri::command]
async fn recent_patients(state: State<'_, AppState>) -> Reply<Vec<PatientSummary>> {
    state.viewer()?.recent_patients().await.map_err(payload)
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

/// For the help desk; answers before login too.
#[tauri::command]
async fn diagnostics(state: State<'_, AppState>) -> Reply<String> {
    Ok(state.viewer()?.diagnostics().await)
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

/// How many daily log files are kept.
const LOG_FILES_KEPT: usize = 14;

/// Logs to a file in the OS's log folder (`[log] dir`), a new one each day
/// and the last 14 kept, and to stderr in debug builds or at a terminal.
/// ChartGuard's own targets log at `[log] level` (`CHARTGUARD_LOG`, a level
/// name, overrides); libraries only warnings and errors, whatever the level:
/// at debug and trace they print URLs and headers, which name patients.
fn init_logging(config: Option<&Config>) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::layer::{Layer as _, SubscriberExt as _};
    use tracing_subscriber::util::SubscriberInitExt as _;
    let level = std::env::var("CHARTGUARD_LOG")
        .ok()
        .filter(|l| ["error", "warn", "info", "debug", "trace"].contains(&l.as_str()))
        .unwrap_or_else(|| config.map_or("info", |c| c.log.level.as_str()).to_owned());
    let filter = || {
        tracing_subscriber::EnvFilter::new(format!(
            "warn,chartguard={level},chartguard_app={level}"
        ))
    };
    let stderr = (cfg!(debug_assertions) || std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .then(|| {
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                // Colour codes only for a person at a terminal.
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_filter(filter())
        });
    let dir = config
        .map(|c| c.log.dir())
        .unwrap_or_else(|| Config::demo().log.dir());
    let appender = dir.ok().and_then(|dir| {
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("chartguard")
            .filename_suffix("log")
            .max_log_files(LOG_FILES_KEPT)
            .build(dir)
            .ok()
    });
    let (file, guard) = match appender {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(filter());
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    let file_missing = file.is_none();
    tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .init();
    if file_missing {
        tracing::warn!("the log folder cannot be written; logging to stderr only");
    }
    guard
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
        lock,
        unlock_password,
        unlock_browser,
        search_patients,
        recent_patients,
        fetch_progress,
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
        audit_status,
        diagnostics
    ]
}

// `generate_context!` expands to code that uses eprintln!; the text is
// Tauri's own start-up diagnostics, never patient data.
#[allow(clippy::disallowed_macros)]
pub fn run() {
    let config = Config::load();
    // Kept to the end: dropping it flushes the log file.
    let _log = init_logging(config.as_ref().ok());
    let state = AppState::from_config(config);
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
