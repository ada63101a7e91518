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

/// Writes `text` as a file in `dir` and returns its path.
fn file(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn load_error(machine: Option<&std::path::Path>, user: Option<&std::path::Path>) -> String {
    let err = Config::from_files(machine, user).expect_err("must be refused");
    assert_eq!(err.code(), ErrorCode::ConfigInvalid);
    let message = err.to_string();
    message
        .strip_prefix("configuration error: ")
        .unwrap_or(&message)
        .to_owned()
}

#[test]
fn a_deployed_file_names_the_file_the_key_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    // VALID starts with an empty line: [platform] is line 2, base_url line 3.
    let cases = [
        (
            VALID.replace("[idp]", "[cache]\nttl_hour = 4\n\n[idp]"),
            "cache.ttl_hour (line 6): unknown field `ttl_hour`",
        ),
        (
            VALID.replace("https://hie", "http://hie"),
            "platform.base_url (line 3): plain http is refused",
        ),
        (
            VALID.replace("https://hie.example/fhir", "https://exa mple/"),
            "platform.base_url (line 3): invalid",
        ),
        (
            format!("{VALID}\n[tls]\nca_bundle = \"/nonexistent/ca.pem\"\n"),
            "tls.ca_bundle (line 10): cannot read /nonexistent/ca.pem",
        ),
        (
            format!("{VALID}\n[tls]\nspki_pins = [\"md5/abc\"]\n"),
            "tls.spki_pins (line 10)",
        ),
        (
            format!("{VALID}\n[overrides]\nallow = [\"platform.base_url\"]\n"),
            "overrides.allow (line 10): platform.base_url cannot be set per user",
        ),
        (
            format!("{VALID}\n[ui]\nlocale = \"fr\"\n"),
            "ui.locale (line 10): must be one of zh-CN, en",
        ),
        (
            VALID.replace("[idp]", "[idp]\nflows = \"password\""),
            "idp.flows (line 6): invalid type",
        ),
    ];
    for (text, expected) in cases {
        let path = file(dir.path(), "config.toml", &text);
        let message = load_error(Some(&path), None);
        assert_eq!(
            message.split_once(": ").map(|(file, _)| file),
            Some(path.to_str().unwrap()),
            "{message}"
        );
        assert!(
            message.contains(expected),
            "{message:?} should contain {expected:?}"
        );
    }
}

#[test]
fn users_set_only_the_keys_the_machine_config_allows() {
    let dir = tempfile::tempdir().unwrap();
    let machine = file(
        dir.path(),
        "machine.toml",
        &format!("{VALID}\n[overrides]\nallow = [\"ui.locale\", \"log.level\"]\n"),
    );
    let user = file(
        dir.path(),
        "user.toml",
        "[ui]\nlocale = \"en\"\n\n[log]\nlevel = \"debug\"\n",
    );
    let config = Config::from_files(Some(&machine), Some(&user)).unwrap();
    assert_eq!(config.ui.locale.as_deref(), Some("en"));
    assert_eq!(config.log.level, chartguard::LogLevel::Debug);
    assert_eq!(
        config.platform.base_url.as_str(),
        "https://hie.example/fhir"
    );

    // A key the machine keeps to itself: refused, naming the user's file and line.
    let user = file(
        dir.path(),
        "user.toml",
        "[ui]\nlocale = \"en\"\n\n[platform]\nbase_url = \"https://elsewhere.example/fhir\"\n",
    );
    let message = load_error(Some(&machine), Some(&user));
    assert!(message.starts_with(user.to_str().unwrap()), "{message}");
    assert!(message.contains("platform.base_url (line 5)"), "{message}");
    assert!(message.contains("overrides.allow"), "{message}");

    // An allowed key with a value ChartGuard cannot use: the user's line.
    for (text, expected) in [
        (
            "[ui]\nlocale = \"fr\"\n",
            "ui.locale (line 2): must be one of",
        ),
        (
            "\n[log]\nlevel = \"loud\"\n",
            "log.level (line 3): unknown variant `loud`",
        ),
    ] {
        let user = file(dir.path(), "user.toml", text);
        let message = load_error(Some(&machine), Some(&user));
        assert!(message.starts_with(user.to_str().unwrap()), "{message}");
        assert!(
            message.contains(expected),
            "{message:?} should contain {expected:?}"
        );
    }

    // Without a machine config nothing may be overridden; an empty user
    // file changes nothing.
    let user = file(dir.path(), "user.toml", "[ui]\nlocale = \"en\"\n");
    assert!(load_error(None, Some(&user)).contains("ui.locale (line 2)"));
    let empty = file(dir.path(), "empty.toml", "");
    let config = Config::from_files(None, Some(&empty)).unwrap();
    assert_eq!(config.platform.base_url, Config::demo().platform.base_url);
}

#[cfg(unix)]
#[test]
fn a_machine_config_anyone_can_change_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = file(dir.path(), "config.toml", VALID);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let message = load_error(Some(&path), None);
    assert!(
        message.contains("anyone on this computer can change it"),
        "{message}"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    Config::from_files(Some(&path), None).expect("writable by its owner only");
}
