//! The `platform-sim` binary: `certs` and `serve` as the run scripts use them.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_platform-sim");

#[test]
fn certs_is_idempotent_and_keys_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        let status = Command::new(BIN)
            .args(["certs", "--dir"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success());
    };
    run();
    let files = ["ca.pem", "ca-key.pem", "server.pem", "server-key.pem"];
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).unwrap())
        .collect();
    run();
    let after: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).unwrap())
        .collect();
    assert_eq!(before, after);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for key in ["ca-key.pem", "server-key.pem"] {
            let mode = std::fs::metadata(dir.path().join(key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
    }
    // A missing leaf is re-issued from the existing CA.
    std::fs::remove_file(dir.path().join("server.pem")).unwrap();
    run();
    assert_eq!(std::fs::read(dir.path().join("ca.pem")).unwrap(), before[0]);
    assert!(dir.path().join("server.pem").exists());
}

#[tokio::test]
async fn serve_announces_ready_serves_tls_and_exits_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--port",
            "0",
            "--no-auth",
            "--patients",
            "4",
            "--dir",
        ])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let base = line
        .trim()
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("got {line:?}"))
        .to_owned();
    assert!(base.starts_with("https://127.0.0.1:") && base.ends_with("/fhir"));

    let client = crate::support::client(&dir.path().join("ca.pem"));
    let response = client
        .get(format!("{base}/Patient/cn-0001"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn serve_without_issuer_requires_no_auth() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .args(["serve", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
}
