//! DESIGN.md invariant 4: nothing the core logs during a whole journey
//! (failed and successful login, search, open, a platform failure, logout)
//! carries patient data, a token or a password.

use std::sync::{Arc, Mutex, OnceLock};

use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;

use crate::support::{Demo, DEMO_PASSWORD};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs, once for the whole test binary, a global subscriber that keeps
/// every log line at the most verbose level of the core. Global rather than
/// per-thread: tracing caches per call site whether anyone listens, and
/// tests on other threads would otherwise make those caches lie.
fn captured_logs() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_env_filter("chartguard=trace,info")
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
        captured
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_journey_logs_no_phi_tokens_or_passwords() {
    let captured = captured_logs();
    let demo = Demo::start();

    let viewer = demo.viewer();
    let wrong_password = "wrong-pass-7731";
    assert!(viewer
        .login_password("wangyi", wrong_password)
        .await
        .is_err());
    viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .unwrap();
    let found = viewer.search_patients("张伟").await.unwrap().patients;
    let chart = viewer.open_patient("cn-0001").await.unwrap();
    demo.faults(json!({ "truncate": true })).await;
    assert!(viewer.refresh_patient("cn-0001").await.is_err());
    assert!(
        viewer
            .open_patient("cn-0001")
            .await
            .unwrap()
            .freshness
            .from_cache
    );
    demo.faults(json!({})).await;
    viewer.logout().await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("login succeeded") && logs.contains("logout"),
        "journey not logged: {logs}"
    );
    let mut forbidden = vec![
        chart.patient.name.clone(),
        chart.patient.id.clone(),
        DEMO_PASSWORD.to_owned(),
        wrong_password.to_owned(),
        "eyJ".to_owned(), // any JWT (access, refresh or ID token)
        "王毅".to_owned(),
    ];
    forbidden.extend(chart.patient.phone.clone());
    forbidden.extend(chart.patient.address.clone());
    forbidden.extend(chart.patient.identifiers.iter().map(|i| i.value.clone()));
    forbidden.extend(found.iter().map(|p| p.name.clone()));
    forbidden.extend(chart.problems.iter().map(|p| p.text.clone()));
    for needle in forbidden {
        assert!(
            !logs.contains(&needle),
            "the log carries {needle:?}:\n{logs}"
        );
    }
}
