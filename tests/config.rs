use chartguard::{Config, ErrorCode};

fn check_rejected(toml: &str, expected_fragment: &str) {
    let err = Config::from_toml(toml).expect_err("config must be rejected");
    assert_eq!(err.code(), ErrorCode::ConfigInvalid);
    let message = err.to_string();
    assert!(
        message.contains(expected_fragment),
        "{message:?} should mention {expected_fragment:?}"
    );
}

const VALID: &str = r#"
[platform]
base_url = "https://hie.example/fhir"

[idp]
issuer = "https://idp.example"
client_id = "chartguard-desktop"
"#;

#[test]
fn a_minimal_config_gets_defaults() {
    let config = Config::from_toml(VALID).expect("valid");
    assert_eq!(config.platform.timeout_secs, 30);
    assert_eq!(config.idp.flows.len(), 2);
    assert!(config.session.offline);
}

#[test]
fn config_mistakes_name_the_key() {
    let cases = [
        (VALID.replace("base_url", "base_ur1"), "base_ur1"),
        (
            VALID.replace("https://hie.example/fhir", "http://hie.example/fhir"),
            "platform.base_url",
        ),
        (
            VALID.replace("https://idp.example", "ftp://idp.example"),
            "idp.issuer",
        ),
        (
            VALID.replace("\"chartguard-desktop\"", "\"  \""),
            "idp.client_id",
        ),
        (VALID.replace("[idp]", "[idp]\nflows = []"), "idp.flows"),
        (
            VALID.replace("[idp]", "[idp]\nflows = [\"telepathy\"]"),
            "telepathy",
        ),
        (format!("{VALID}\n[platform2]\nx = 1\n"), "platform2"),
        (format!("{VALID}\n[ui]\nlocale = \"fr\"\n"), "ui.locale"),
        (
            VALID.replace("[platform]", "[platform]\ntimeout_secs = \"soon\""),
            "line 3",
        ),
    ];
    for (toml, fragment) in cases {
        check_rejected(&toml, fragment);
    }
}

#[test]
fn plain_http_needs_the_dev_flag() {
    let toml = VALID.replace("https://hie.example", "http://hie.example");
    assert!(Config::from_toml(&toml).is_err());
    assert!(Config::from_toml(&format!("{toml}\n[dev]\nallow_http = true\n")).is_ok());
}

#[test]
fn the_embedded_default_points_at_the_demo_platform() {
    let demo = Config::demo();
    assert_eq!(
        demo.platform.base_url.as_str(),
        "https://127.0.0.1:7443/fhir"
    );
    assert!(demo
        .tls
        .ca_bundle
        .expect("demo CA")
        .ends_with("chartguard/demo/ca.pem"));
}

#[test]
fn an_unreadable_ca_bundle_is_a_config_error() {
    let toml = format!("{VALID}\n[tls]\nca_bundle = \"/nonexistent/ca.pem\"\n");
    let config = Config::from_toml(&toml).expect("parses");
    let err = chartguard::Viewer::new(config).expect_err("CA cannot be read");
    assert_eq!(err.code(), ErrorCode::ConfigInvalid);
    assert!(err.to_string().contains("tls.ca_bundle"));
}
