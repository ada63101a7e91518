//! `chartguard --check` against the real demo platform and identity
//! provider: all pass when the workstation is right, and each failure IT
//! meets is named on its own line (platform down, a CA that does not
//! match, a config with a typo, a broken audit trail).

use chartguard::check::{self, Outcome, Report};

use crate::support::{make_certs, Demo};

fn outcome(report: &Report, name: &str) -> (Outcome, String) {
    let check = report
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check {name}"));
    (check.outcome, check.detail.clone())
}

#[tokio::test]
async fn a_well_configured_workstation_passes_every_check() {
    let demo = Demo::start();
    let report = check::run(Ok(demo.config()), "test config").await;
    assert!(report.ok, "{}", report.lines());
    let names: Vec<&str> = report.checks.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "config",
            "policy",
            "CA bundle",
            "platform",
            "clock",
            "login service",
            "keyring",
            "cache folder",
            "audit folder",
            "free disk",
            "audit trail"
        ]
    );
    assert!(outcome(&report, "platform").1.contains("FHIR 4.0.1"));
    assert!(outcome(&report, "login service").1.contains("signing key"));
    assert!(report.lines().ends_with("all checks passed\n"));
}

#[tokio::test]
async fn a_platform_that_is_down_fails_its_line_and_skips_the_clock() {
    let mut demo = Demo::start();
    demo.stop_platform();
    let report = check::run(Ok(demo.config()), "test config").await;
    assert!(!report.ok);
    let (platform, why) = outcome(&report, "platform");
    assert_eq!(platform, Outcome::Fail);
    assert!(why.contains("regional platform cannot be reached"), "{why}");
    assert_eq!(outcome(&report, "clock").0, Outcome::Skip);
    assert_eq!(outcome(&report, "login service").0, Outcome::Pass);
    assert!(report.lines().contains("FAIL  platform"));
}

#[tokio::test]
async fn a_ca_bundle_that_does_not_match_is_named() {
    let demo = Demo::start();
    let other = tempfile::tempdir().unwrap();
    let foreign = make_certs(other.path()).join("ca.pem");
    let toml = demo
        .config_toml()
        .replace(&format!("{:?}", demo.ca()), &format!("{foreign:?}"));
    let config = chartguard::Config::from_toml(&toml).unwrap();
    let report = check::run(Ok(config), "test config").await;
    assert_eq!(outcome(&report, "CA bundle").0, Outcome::Pass, "it loads");
    for name in ["platform", "login service"] {
        let (result, why) = outcome(&report, name);
        assert_eq!(result, Outcome::Fail, "{name}");
        assert!(why.contains("does not trust"), "{name}: {why}");
    }
}

/// The pin of a certificate's key, made the way the IT guide says.
fn spki_pin(cert: &std::path::Path) -> String {
    let done = std::process::Command::new("sh")
        .arg("-c")
        .arg(
            "openssl x509 -in \"$1\" -pubkey -noout | openssl pkey -pubin -outform der \
             | openssl dgst -sha256 -binary | base64",
        )
        .arg("sh")
        .arg(cert)
        .output()
        .expect("openssl");
    assert!(done.status.success());
    format!("sha256/{}", String::from_utf8(done.stdout).unwrap().trim())
}

#[tokio::test]
async fn pinned_keys_admit_the_servers_key_and_refuse_any_other() {
    let demo = Demo::start();
    let other = tempfile::tempdir().unwrap();
    let server = spki_pin(&demo.ca().with_file_name("server.pem"));
    let foreign = spki_pin(&make_certs(other.path()).join("server.pem"));
    let pinned = |pins: &[&str]| {
        let toml = demo
            .config_toml()
            .replace("[tls]\n", &format!("[tls]\nspki_pins = {pins:?}\n"));
        chartguard::Config::from_toml(&toml).unwrap()
    };

    // The server's key among the pins (a backup key beside it): all pass,
    // and a doctor logs in over the pinned connections.
    let report = check::run(Ok(pinned(&[&foreign, &server])), "test config").await;
    assert!(report.ok, "{}", report.lines());
    let viewer = chartguard::Viewer::new(pinned(&[&foreign, &server])).unwrap();
    crate::support::logged_in(viewer, "wangyi").await;

    // Only another key pinned: the same trusted chain is refused, for the
    // platform and the login service alike.
    let report = check::run(Ok(pinned(&[&foreign])), "test config").await;
    for name in ["platform", "login service"] {
        let (result, why) = outcome(&report, name);
        assert_eq!(result, Outcome::Fail, "{name}");
        assert!(why.contains("tls.spki_pins"), "{name}: {why}");
    }
    let viewer = chartguard::Viewer::new(pinned(&[&foreign])).unwrap();
    let err = viewer
        .login_password("wangyi", "chartguard-demo")
        .await
        .expect_err("pinned to another key");
    assert_eq!(err.code(), chartguard::ErrorCode::CertificateUntrusted);
}

#[tokio::test]
async fn a_pinned_key_sent_after_someone_elses_certificate_does_not_count() {
    let mut demo = Demo::start();
    let server_pem = demo.ca().with_file_name("server.pem");
    let server = spki_pin(&server_pem);
    // Another CA the bundle also trusts issues the impostor's certificate;
    // the impostor sends the real server's certificate after its own.
    let other = tempfile::tempdir().unwrap();
    let certs = make_certs(other.path());
    let chain = [
        std::fs::read(certs.join("server.pem")).unwrap(),
        std::fs::read(&server_pem).unwrap(),
    ]
    .concat();
    std::fs::write(certs.join("server.pem"), chain).unwrap();
    let bundle = other.path().join("bundle.pem");
    let cas = [
        std::fs::read(demo.ca()).unwrap(),
        std::fs::read(certs.join("ca.pem")).unwrap(),
    ];
    std::fs::write(&bundle, cas.concat()).unwrap();
    demo.replace_platform_serving(&certs);

    let toml = demo
        .config_toml()
        .replace(&format!("{:?}", demo.ca()), &format!("{bundle:?}"))
        .replace("[tls]\n", &format!("[tls]\nspki_pins = [{server:?}]\n"));
    let report = check::run(chartguard::Config::from_toml(&toml), "test config").await;
    let (platform, why) = outcome(&report, "platform");
    assert_eq!(platform, Outcome::Fail, "{}", report.lines());
    assert!(why.contains("tls.spki_pins"), "{why}");
    assert_eq!(outcome(&report, "login service").0, Outcome::Pass);
}

#[tokio::test]
async fn a_config_with_a_typo_fails_first_and_nothing_else_runs() {
    let demo = Demo::start();
    let toml = demo
        .config_toml()
        .replace("[cache]\n", "[cache]\nttl_hour = 4\n");
    let config = chartguard::Config::from_toml(&toml);
    let report = check::run(config, "test config").await;
    let (result, why) = outcome(&report, "config");
    assert_eq!(result, Outcome::Fail);
    assert!(why.contains("ttl_hour"), "{why}");
    assert!(report.checks[1..]
        .iter()
        .all(|c| c.outcome == Outcome::Skip));
    assert!(!report.ok);
}

#[tokio::test]
async fn an_unreadable_ca_bundle_and_a_broken_trail_fail_their_lines() {
    let demo = Demo::start();
    // A trail with a record deleted from its middle.
    let viewer = crate::support::logged_in(demo.viewer(), "wangyi").await;
    viewer.open_patient("cn-0001").await.unwrap();
    viewer.logout().await.unwrap();
    crate::audit::raw_trail(&demo.audit_dir().join("trail.db"))
        .execute("DELETE FROM event WHERE seq = 2", [])
        .unwrap();
    let report = check::run(Ok(demo.config()), "test config").await;
    let (result, why) = outcome(&report, "audit trail");
    assert_eq!(result, Outcome::Fail);
    assert!(why.contains("record #2"), "{why}");

    let toml = demo
        .config_toml()
        .replace(&format!("{:?}", demo.ca()), "\"/nonexistent/ca.pem\"");
    let report = check::run(chartguard::Config::from_toml(&toml), "test config").await;
    let (result, why) = outcome(&report, "CA bundle");
    assert_eq!(result, Outcome::Fail);
    assert!(
        why.contains("tls.ca_bundle") && why.contains("/nonexistent/ca.pem"),
        "{why}"
    );
    assert_eq!(outcome(&report, "platform").0, Outcome::Skip);
}

#[tokio::test]
async fn diagnostics_carry_the_settings_the_checks_and_the_last_log_lines_before_login() {
    let demo = Demo::start();
    let logs = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..60).map(|i| format!("line {i}")).collect();
    std::fs::write(
        logs.path().join("chartguard.2026-11-27.log"),
        "yesterday-marker\n",
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(
        logs.path().join("chartguard.2026-11-28.log"),
        lines.join("\n"),
    )
    .unwrap();
    let toml = format!("{}\n[log]\ndir = {:?}\n", demo.config_toml(), logs.path());
    let viewer = chartguard::Viewer::new(chartguard::Config::from_toml(&toml).unwrap()).unwrap();
    let text = viewer.diagnostics().await;
    assert!(text.starts_with("ChartGuard "), "{text}");
    assert!(text.contains(&format!("platform: {}", demo.platform_url)));
    assert!(text.contains("PASS  platform") && text.contains("all checks passed"));
    assert!(
        text.contains("line 20\n") && text.ends_with("line 59\n"),
        "{text}"
    );
    assert!(
        !text.contains("line 19\n") && !text.contains("yesterday-marker"),
        "the newest file's last 40"
    );
}
