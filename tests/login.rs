//! Both login flows against the real OpenID provider, and the errors a
//! doctor can meet: wrong password, locked account, provider down, a
//! certificate the workstation does not trust; and the idle lock, which
//! only the same doctor's credentials open.

use std::sync::{Arc, Mutex};

use chartguard::{BrowserOpener, ErrorCode, Viewer};
use url::Url;

use crate::support::{Demo, DemoOptions, DEMO_PASSWORD, KEYRING};

#[tokio::test(flavor = "multi_thread")]
async fn doctor_logs_in_with_the_password_form() {
    let demo = Demo::start();
    let viewer = demo.viewer();
    assert!(viewer.session_info().await.is_none());

    let session = viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .expect("login");

    assert_eq!(session.display_name, "王毅");
    assert_eq!(session.staff_no.as_deref(), Some("D1001"));
    assert_eq!(session.roles, vec!["doctor".to_owned()]);
    assert_eq!(
        viewer.session_info().await.map(|s| s.subject),
        Some("doc-wangyi".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn login_failures_have_their_own_codes() {
    let demo = Demo::start();
    let viewer = demo.viewer();
    let cases = [
        ("wangyi", "wrong-password", ErrorCode::InvalidCredentials),
        ("nobody", DEMO_PASSWORD, ErrorCode::InvalidCredentials),
        ("wangyi", "", ErrorCode::InvalidCredentials),
        ("locked", DEMO_PASSWORD, ErrorCode::AccountLocked),
    ];
    for (user, password, expected) in cases {
        let err = viewer
            .login_password(user, password)
            .await
            .expect_err("login must fail");
        assert_eq!(err.code(), expected, "{user}");
    }
    assert!(viewer.session_info().await.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_login_service_is_reported_as_such() {
    let demo = Demo::start();
    // A port nothing listens on.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let toml = demo.config_toml().replace(
        demo.issuer.as_str().trim_end_matches('/'),
        &format!("https://127.0.0.1:{free}"),
    );
    let viewer = Viewer::new(chartguard::Config::from_toml(&toml).unwrap()).unwrap();
    let err = viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .expect_err("down");
    assert_eq!(err.code(), ErrorCode::IdpUnreachable);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_from_an_unknown_ca_is_refused() {
    let demo = Demo::start();
    let other = Demo::start();
    // Trust the other demo's CA only: this demo's certificates are foreign.
    let toml = demo
        .config_toml()
        .replace(&format!("{:?}", demo.ca()), &format!("{:?}", other.ca()));
    let viewer = Viewer::new(chartguard::Config::from_toml(&toml).unwrap()).unwrap();
    let err = viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .expect_err("untrusted");
    assert_eq!(err.code(), ErrorCode::CertificateUntrusted);
    assert!(err.to_string().contains("CA bundle"), "{err}");
}

/// Plays the doctor's browser: follows the provider's redirects, fills in
/// its login form, and delivers the final redirect to the app's loopback
/// listener, as a real browser would.
struct ScriptedBrowser {
    http: reqwest::Client,
    username: &'static str,
    seen: Arc<Mutex<Vec<Url>>>,
}

impl BrowserOpener for ScriptedBrowser {
    fn open(&self, url: &Url) -> chartguard::Result<()> {
        self.seen.lock().unwrap().push(url.clone());
        let (http, url, username) = (self.http.clone(), url.clone(), self.username);
        tokio::spawn(async move { drive_login(http, url, username).await });
        Ok(())
    }
}

async fn drive_login(http: reqwest::Client, mut url: Url, username: &str) {
    let mut posted = false;
    for _ in 0..10 {
        let response = http.get(url.clone()).send().await.expect("page loads");
        if let Some(location) = response.headers().get("location") {
            url = url.join(location.to_str().unwrap()).unwrap();
            if url.scheme() == "http" {
                // The app's loopback redirect: deliver it like a browser would.
                let reply = reqwest::get(url).await.expect("loopback answers");
                assert!(reply.status().is_success());
                return;
            }
            continue;
        }
        assert!(!posted, "the login form came back: wrong credentials?");
        let html = response.text().await.unwrap();
        let action = html
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the login page has a form");
        let form = [
            ("username", username),
            ("password", crate::support::DEMO_PASSWORD),
        ];
        let response = http
            .post(url.join(action).unwrap())
            .form(&form)
            .send()
            .await
            .unwrap();
        posted = true;
        let location = response.headers().get("location").expect("form redirects");
        url = url.join(location.to_str().unwrap()).unwrap();
    }
    panic!("the login did not finish");
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_logs_in_through_the_browser_with_pkce() {
    let demo = Demo::start();
    let viewer = demo.viewer();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let browser = ScriptedBrowser {
        http: demo.http(),
        username: "lihua",
        seen: seen.clone(),
    };

    let session = viewer.login_browser(&browser).await.expect("browser login");

    assert_eq!(session.display_name, "李华");
    assert!(session.roles.contains(&"department_head".to_owned()));
    let opened = seen.lock().unwrap()[0].clone();
    let param = |k: &str| {
        opened
            .query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(param("prompt").as_deref(), Some("login"));
    let redirect = Url::parse(&param("redirect_uri").unwrap()).unwrap();
    assert_eq!(redirect.host_str(), Some("127.0.0.1"));
    assert_ne!(redirect.port(), None);
    // The session works against the platform with the token from this flow.
    assert!(!viewer
        .search_patients("张伟")
        .await
        .expect("search")
        .patients
        .is_empty());
}

struct NeverReturns;

impl BrowserOpener for NeverReturns {
    fn open(&self, _: &Url) -> chartguard::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_login_can_be_cancelled() {
    let demo = Demo::start();
    let viewer = Arc::new(demo.viewer());
    let waiting = tokio::spawn({
        let viewer = viewer.clone();
        async move { viewer.login_browser(&NeverReturns).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    viewer.cancel_login();
    let err = waiting.await.unwrap().expect_err("cancelled");
    assert_eq!(err.code(), ErrorCode::LoginCancelled);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_renews_its_token_from_the_keyring() {
    // Tokens live 5 s: every platform call renews through the refresh token
    // kept in the OS keyring.
    let demo = Demo::start_with(DemoOptions {
        access_ttl_secs: Some(5),
        ..DemoOptions::default()
    });
    // Each keyring test has a doctor of its own: tests run in parallel.
    let _keyring = KEYRING.lock().await;
    let viewer = demo.logged_in_viewer("chen").await;
    let entry = keyring::Entry::new("chartguard", "refresh-token:doc-chen").unwrap();
    let first = entry
        .get_password()
        .expect("refresh token is in the OS keyring");

    assert!(!viewer
        .search_patients("张伟")
        .await
        .expect("renewed")
        .patients
        .is_empty());
    let rotated = entry.get_password().expect("still in the keyring");
    assert_ne!(first, rotated, "the provider rotates refresh tokens");

    viewer.logout().await.expect("logout");
    assert!(matches!(entry.get_password(), Err(keyring::Error::NoEntry)));
    let err = viewer
        .search_patients("张伟")
        .await
        .expect_err("logged out");
    assert_eq!(err.code(), ErrorCode::NotLoggedIn);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_refresh_token_ends_the_session() {
    let demo = Demo::start_with(DemoOptions {
        access_ttl_secs: Some(5),
        ..DemoOptions::default()
    });
    let viewer = demo.logged_in_viewer("zhou").await;
    let entry = keyring::Entry::new("chartguard", "refresh-token:doc-zhou").unwrap();
    entry.set_password("not-a-valid-refresh-token").unwrap();

    let err = viewer
        .search_patients("张伟")
        .await
        .expect_err("cannot renew");
    assert_eq!(err.code(), ErrorCode::SessionExpired);
    assert!(viewer.session_info().await.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn it_staff_see_no_patient_records() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("itadmin").await;
    for err in [
        viewer.search_patients("张伟").await.expect_err("denied"),
        viewer
            .open_patient("cn-0001")
            .await
            .map(|_| ())
            .expect_err("denied"),
    ] {
        assert_eq!(err.code(), ErrorCode::AccessDenied);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_login_ends_the_previous_doctors_session() {
    let demo = Demo::start();
    let _keyring = KEYRING.lock().await;
    let viewer = demo.viewer();
    viewer.login_password("chen", DEMO_PASSWORD).await.unwrap();
    let entry = keyring::Entry::new("chartguard", "refresh-token:doc-chen").unwrap();
    assert!(entry.get_password().is_ok());

    viewer.login_password("lihua", DEMO_PASSWORD).await.unwrap();

    assert!(matches!(entry.get_password(), Err(keyring::Error::NoEntry)));
    assert_eq!(viewer.session_info().await.unwrap().subject, "head-lihua");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_screen_answers_nothing_until_the_same_doctor_unlocks_it() {
    let demo = Demo::start();
    let viewer = crate::support::logged_in(demo.viewer(), "wangyi").await;
    viewer.open_patient("cn-0001").await.expect("open");
    let reference = |lines: Vec<String>| {
        let text = lines.join(" ");
        text.split_whitespace()
            .find(|word| word.starts_with("S-"))
            .map(str::to_owned)
    };
    let before = reference(viewer.watermark().await.lines);
    assert!(before.is_some());

    let whole_chart = chartguard::view::ExportRequest {
        patient_id: "cn-0001".into(),
        scope: chartguard::view::ExportScope::Chart,
        locale: "zh-CN".into(),
        series: None,
    };
    let folder = tempfile::tempdir().unwrap();
    let exported = folder.path().join("chart.pdf");

    viewer.lock().await.expect("lock");
    assert!(viewer.session_info().await.unwrap().locked);
    let refused = [
        viewer.search_patients("张伟").await.map(drop),
        viewer.open_patient("cn-0001").await.map(drop),
        viewer.refresh_patient("cn-0001").await.map(drop),
        viewer.pin_patient("cn-0001", true).await.map(drop),
        viewer
            .break_glass("cn-0001", "emergency", "a note")
            .await
            .map(drop),
        viewer.referral_inbox().await.map(drop),
        viewer.who_viewed("cn-0001").await.map(drop),
        viewer.export_pdf(&whole_chart, &exported).await.map(drop),
        viewer.print(&whole_chart).await.map(drop),
    ];
    assert!(!exported.exists(), "no file written while locked");
    for (i, result) in refused.into_iter().enumerate() {
        assert_eq!(
            result.expect_err("locked").code(),
            ErrorCode::Locked,
            "call {i}"
        );
    }

    // A wrong password, and another doctor signing in through the browser:
    // both refused, the screen stays locked.
    let err = viewer
        .unlock_password("wrong")
        .await
        .expect_err("wrong password");
    assert_eq!(err.code(), ErrorCode::InvalidCredentials);
    let zhou = ScriptedBrowser {
        http: demo.http(),
        username: "zhou",
        seen: Arc::default(),
    };
    let err = viewer
        .unlock_browser(&zhou)
        .await
        .expect_err("another doctor");
    assert_eq!(err.code(), ErrorCode::InvalidCredentials);
    assert!(err.to_string().contains("another person"), "{err}");
    assert!(viewer.session_info().await.unwrap().locked);
    assert_eq!(
        viewer
            .open_patient("cn-0001")
            .await
            .map(drop)
            .unwrap_err()
            .code(),
        ErrorCode::Locked
    );

    // The doctor herself: the same session goes on, watermark and all.
    let info = viewer.unlock_password(DEMO_PASSWORD).await.expect("unlock");
    assert!(!info.locked && info.unlock_with_password);
    viewer.open_patient("cn-0001").await.expect("open again");
    assert_eq!(reference(viewer.watermark().await.lines), before);

    let trail = crate::audit::raw_trail(&crate::audit::trail_file(&demo));
    let actions = crate::audit::actions(&trail);
    let tail: Vec<&str> = actions
        .iter()
        .map(String::as_str)
        .skip_while(|a| *a != "lock")
        .collect();
    assert_eq!(
        tail,
        ["lock", "unlock", "unlock", "unlock", "patientOpen"],
        "{actions:?}"
    );
    let unlocks: Vec<String> = trail
        .prepare("SELECT body FROM event WHERE action = 'unlock' ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let failed: Vec<bool> = unlocks
        .iter()
        .map(|body| body.contains("\"success\":false"))
        .collect();
    assert_eq!(failed, [true, true, false]);
    // The trail tells a mistyped password from another person's sign-in.
    assert!(!unlocks[0].contains("another person"));
    assert!(
        unlocks[1].contains("sign-in of another person"),
        "{}",
        unlocks[1]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_browser_login_the_lock_screen_asks_the_browser() {
    let demo = Demo::start();
    let viewer = demo.viewer();
    let browser = ScriptedBrowser {
        http: demo.http(),
        username: "lihua",
        seen: Arc::default(),
    };
    let session = viewer.login_browser(&browser).await.expect("browser login");
    assert!(!session.unlock_with_password);
    viewer.lock().await.unwrap();
    let err = viewer.unlock_password(DEMO_PASSWORD).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidCredentials);
    let info = viewer.unlock_browser(&browser).await.expect("unlock");
    assert!(!info.locked);
    viewer
        .referral_inbox()
        .await
        .expect("the desk answers again");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chart_on_its_way_when_the_screen_locks_is_not_shown() {
    let demo = Demo::start();
    let viewer = Arc::new(crate::support::logged_in(demo.viewer(), "wangyi").await);
    demo.faults(serde_json::json!({ "latency_ms": 1500 })).await;
    let opening = tokio::spawn({
        let viewer = viewer.clone();
        async move { viewer.open_patient("cn-0001").await.map(drop) }
    });
    let searching = tokio::spawn({
        let viewer = viewer.clone();
        async move { viewer.search_patients("张伟").await.map(drop) }
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    viewer.lock().await.unwrap();
    for task in [opening, searching] {
        assert_eq!(task.await.unwrap().unwrap_err().code(), ErrorCode::Locked);
    }
}
