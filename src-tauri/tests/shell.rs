//! The shell's wiring, checked without a desktop around it: every command is
//! registered, granted by the capability and nothing more, the CSP is strict,
//! and a bad config reaches the window as a `{code, message}` instead of a crash.

use chartguard::{Config, ErrorCode};
use chartguard_app::{commands_list, AppState};
use serde_json::Value;

fn read_json(path: &str) -> Value {
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_capability_grants_exactly_the_app_commands() {
    let capability = read_json("capabilities/main-window.json");
    let mut granted: Vec<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = commands_list::ALL
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    granted.sort();
    expected.sort();
    assert_eq!(granted, expected);
}

#[test]
fn every_listed_command_is_handled() {
    let source =
        std::fs::read_to_string(format!("{}/src/lib.rs", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let handler = source
        .split("generate_handler![")
        .nth(1)
        .unwrap()
        .split(']')
        .next()
        .unwrap();
    let mut handled: Vec<&str> = handler
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let mut listed = commands_list::ALL.to_vec();
    handled.sort();
    listed.sort();
    assert_eq!(handled, listed);
}

#[test]
fn the_content_security_policy_is_strict() {
    let conf = read_json("tauri.conf.json");
    let csp = &conf["app"]["security"]["csp"];
    let all = csp.to_string();
    for forbidden in ["unsafe-inline", "unsafe-eval", "http:", "https:", "*"] {
        let found = csp
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "connect-src")
            .any(|(_, v)| v.as_str().unwrap().contains(forbidden));
        assert!(!found, "CSP allows {forbidden}: {all}");
    }
    assert_eq!(csp["script-src"], "'self'");
    assert_eq!(csp["connect-src"], "ipc: http://ipc.localhost");
    assert_eq!(conf["app"]["withGlobalTauri"], false);
    assert!(!conf["identifier"].as_str().unwrap().ends_with(".app"));
}

#[test]
fn a_broken_config_is_reported_by_every_command() {
    let state = AppState::from_config(Config::from_toml("[platform]\nbase_url = 3\n"));
    let err = state.error().expect("config error is kept");
    assert_eq!(err.code, ErrorCode::ConfigInvalid);
    assert!(
        err.message.contains("base_url") || err.message.contains("line 2"),
        "{}",
        err.message
    );

    let valid = "[platform]\nbase_url = \"https://hie.example/fhir\"\n\n\
                 [idp]\nissuer = \"https://idp.example\"\nclient_id = \"chartguard-desktop\"\n";
    let ok = AppState::from_config(Config::from_toml(valid));
    assert!(ok.error().is_none(), "{:?}", ok.error());
}

/// Web inspector access in a shipped build would let anyone remove the
/// watermark or read the page: Tauri enables devtools in debug builds only,
/// unless its `devtools` feature is on. It must stay off.
#[test]
fn release_builds_have_no_devtools() {
    let manifest =
        std::fs::read_to_string(format!("{}/Cargo.toml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let tauri = manifest
        .lines()
        .find(|l| l.starts_with("tauri = "))
        .expect("the tauri dependency");
    assert!(tauri.contains("custom-protocol"), "{tauri}");
    assert!(!tauri.contains("devtools"), "{tauri}");
}
