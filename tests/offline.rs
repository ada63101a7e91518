//! The encrypted cache in the doctor's journey: a second open is instant
//! and labelled with its time, a platform outage leaves cached charts and
//! search usable, a failed refresh changes nothing, and a damaged or busy
//! cache is reported without stopping the doctor from working online.

use chartguard::ErrorCode;
use serde_json::json;
use sha2::Digest as _;

use crate::support::{opened_from_cache, Demo, DEMO_PASSWORD};

#[tokio::test(flavor = "multi_thread")]
async fn the_second_open_comes_from_the_cache_then_refreshes() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;

    let first = viewer.open_patient("cn-0001").await.unwrap();
    assert!(!first.freshness.from_cache);

    let second = viewer.open_patient("cn-0001").await.unwrap();
    assert!(second.freshness.from_cache);
    assert_eq!(second.freshness.as_of, first.freshness.as_of);
    assert_eq!(second.patient.name, "张伟");
    assert_eq!(second.problems.len(), first.problems.len());
    assert_eq!(second.encounters.len(), first.encounters.len());
    assert_eq!(second.sealed, first.sealed);

    let refreshed = viewer.refresh_patient("cn-0001").await.unwrap();
    assert!(!refreshed.freshness.from_cache);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_platform_down_cached_charts_and_search_still_work() {
    let mut demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let fresh = viewer.open_patient("cn-0001").await.unwrap();

    demo.stop_platform();

    let cached = viewer
        .open_patient("cn-0001")
        .await
        .expect("the cached chart opens");
    assert!(cached.freshness.from_cache);
    assert_eq!(cached.freshness.as_of, fresh.freshness.as_of);
    let err = viewer
        .refresh_patient("cn-0001")
        .await
        .expect_err("platform is down");
    assert_eq!(err.code(), ErrorCode::PlatformUnreachable);

    let found = viewer
        .search_patients("张伟")
        .await
        .expect("search falls back to the cache");
    assert!(found.offline);
    assert_eq!(
        found
            .patients
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>(),
        ["cn-0001"]
    );
    let resident_id = &cached.patient.identifiers[0].value;
    assert!(!viewer
        .search_patients(resident_id)
        .await
        .unwrap()
        .patients
        .is_empty());
    let not_cached = viewer.search_patients("Portillo").await.unwrap();
    assert!(not_cached.offline && not_cached.patients.is_empty());

    let err = viewer
        .open_patient("cn-0002")
        .await
        .expect_err("never cached");
    assert_eq!(err.code(), ErrorCode::PlatformUnreachable);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_refresh_leaves_the_cached_chart_as_it_was() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let fresh = viewer.open_patient("cn-0001").await.unwrap();
    // (A paging loop needs more than one page; an incremental refresh of an
    // unchanged chart has one. history.rs covers it on a full fetch.)
    let faults = [
        json!({ "truncate": true }),
        json!({ "status": 500 }),
        json!({ "latency_ms": 200, "status": 503 }),
    ];
    for fault in faults {
        demo.faults(fault.clone()).await;
        assert!(viewer.refresh_patient("cn-0001").await.is_err(), "{fault}");
        let cached = viewer.open_patient("cn-0001").await.unwrap();
        assert!(cached.freshness.from_cache, "{fault}");
        assert_eq!(cached.freshness.as_of, fresh.freshness.as_of, "{fault}");
        assert_eq!(
            cached.resource_count, fresh.resource_count,
            "{fault}: nothing half-written"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_or_impostor_platform_leaves_the_cached_chart_visible() {
    let mut demo = Demo::start();
    let toml = demo
        .config_toml()
        .replace("[platform]\n", "[platform]\ntimeout_secs = 1\n");
    let viewer = chartguard::Viewer::new(chartguard::Config::from_toml(&toml).unwrap()).unwrap();
    viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .unwrap();
    let fresh = viewer.open_patient("cn-0001").await.unwrap();
    let still_cached = |chart: chartguard::view::Chart, what: &str| {
        assert!(chart.freshness.from_cache, "{what}");
        assert_eq!(chart.freshness.as_of, fresh.freshness.as_of, "{what}");
        assert_eq!(chart.resource_count, fresh.resource_count, "{what}");
    };

    demo.faults(json!({ "latency_ms": 3000 })).await;
    let slow = viewer.refresh_patient("cn-0001").await.unwrap_err();
    assert_eq!(slow.code(), ErrorCode::PlatformUnreachable, "{slow}");
    still_cached(viewer.open_patient("cn-0001").await.unwrap(), "slow");

    demo.replace_platform_with_impostor();
    let impostor = viewer.refresh_patient("cn-0001").await.unwrap_err();
    assert_eq!(
        impostor.code(),
        ErrorCode::CertificateUntrusted,
        "{impostor}"
    );
    still_cached(viewer.open_patient("cn-0001").await.unwrap(), "impostor");
    let found = viewer.search_patients("张伟").await.unwrap_err();
    assert_eq!(
        found.code(),
        ErrorCode::CertificateUntrusted,
        "an untrusted platform is not an outage: no silent offline mode"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_cache_is_reported_and_can_be_rebuilt() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    viewer.open_patient("cn-0001").await.unwrap();
    viewer.logout().await.unwrap();
    let db = demo.cache_file();
    std::fs::write(&db, vec![0x5a; 64 * 1024]).unwrap();

    let session = viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .unwrap();
    let problem = session.cache_problem.expect("the damage is reported");
    assert_eq!(problem.code, ErrorCode::CacheUnreadable);
    // The doctor keeps working from the platform meanwhile.
    assert!(!opened_from_cache(&viewer, "cn-0001").await);

    let session = viewer.reset_cache().await.unwrap();
    assert!(session.cache_problem.is_none());
    let kept_aside = std::fs::read_dir(demo.cache_dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".unreadable-")
        })
        .count();
    assert_eq!(
        kept_aside, 1,
        "the damaged file is kept for IT, not deleted"
    );
    assert!(!opened_from_cache(&viewer, "cn-0001").await);
    assert!(opened_from_cache(&viewer, "cn-0001").await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_window_of_the_same_doctor_works_without_the_cache() {
    let demo = Demo::start();
    let first = demo.logged_in_viewer("wangyi").await;
    assert!(first.session_info().await.unwrap().cache_problem.is_none());

    let second = demo.viewer();
    let session = second
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        session.cache_problem.map(|p| p.code),
        Some(ErrorCode::CacheBusy)
    );
    assert!(!opened_from_cache(&second, "cn-0001").await);
    assert!(!opened_from_cache(&second, "cn-0001").await);
}

#[tokio::test(flavor = "multi_thread")]
async fn purge_on_logout_leaves_nothing_cached() {
    let demo = Demo::start();
    let viewer = demo.viewer_with("purge_on_logout = true");
    viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .unwrap();
    viewer.open_patient("cn-0001").await.unwrap();
    assert!(opened_from_cache(&viewer, "cn-0001").await);

    viewer.logout().await.unwrap();
    let session = viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .unwrap();
    assert!(session.cache_problem.is_none(), "the cache itself is fine");

    assert!(!opened_from_cache(&viewer, "cn-0001").await);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_cache_nothing_is_written() {
    let demo = Demo::start();
    let viewer = demo.viewer_with("enabled = false");
    viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .unwrap();
    assert_eq!(viewer.open_patient("cn-0001").await.unwrap().pinned, None);
    assert_eq!(viewer.pin_patient("cn-0001", true).await.unwrap(), None);
    assert!(!opened_from_cache(&viewer, "cn-0001").await);
    assert!(!demo.cache_dir().exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_incremental_refresh_keeps_the_whole_chart() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let full = viewer.open_patient("cn-0001").await.unwrap();

    let refreshed = viewer.refresh_patient("cn-0001").await.unwrap();

    assert!(!refreshed.freshness.from_cache);
    assert_eq!(refreshed.resource_count, full.resource_count);
    assert_eq!(refreshed.problems.len(), full.problems.len());
    let reopened = viewer.open_patient("cn-0001").await.unwrap();
    assert_eq!(reopened.freshness.as_of, refreshed.freshness.as_of);
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_purges_expired_patients_but_keeps_pinned_ones() {
    let mut demo = Demo::start();
    // Every patient expires at once (retention runs at login and before
    // every open): only the pinned one survives.
    let viewer = demo.viewer_with("ttl_hours = 0");
    viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        viewer.open_patient("cn-0001").await.unwrap().pinned,
        Some(false)
    );
    assert_eq!(
        viewer.pin_patient("cn-0001", true).await.unwrap(),
        Some(true)
    );
    viewer.open_patient("cn-0002").await.unwrap();
    viewer.logout().await.unwrap();
    viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .unwrap();
    demo.stop_platform();

    let kept = viewer.open_patient("cn-0001").await.unwrap();
    assert!(kept.freshness.from_cache);
    assert_eq!(kept.pinned, Some(true));
    let err = viewer.open_patient("cn-0002").await.expect_err("purged");
    assert_eq!(err.code(), ErrorCode::PlatformUnreachable);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_the_platform_withdraws_leaves_the_cache() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    viewer.open_patient("cn-0001").await.unwrap();
    assert!(opened_from_cache(&viewer, "cn-0001").await);

    demo.faults(json!({ "status": 403 })).await;
    let err = viewer
        .refresh_patient("cn-0001")
        .await
        .expect_err("withdrawn");
    assert_eq!(err.code(), ErrorCode::AccessDenied);
    // Not offline: a refusal never falls back to cached data.
    let err = viewer.search_patients("张伟").await.expect_err("refused");
    assert_eq!(err.code(), ErrorCode::AccessDenied);

    demo.faults(json!({})).await;
    let reopened = viewer.open_patient("cn-0001").await.unwrap();
    assert!(
        !reopened.freshness.from_cache,
        "the cached copy was dropped"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rebuilt_cache_gets_a_new_key_so_the_old_file_stays_unreadable() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("zhou").await;
    viewer.logout().await.unwrap();
    let db = demo.cache_file();
    // The entry is named after a hash of the cache file's path.
    let key_id: String = sha2::Sha256::digest(db.to_string_lossy().as_bytes())[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let entry = keyring::Entry::new("chartguard", &format!("cache-key:{key_id}")).unwrap();
    let old_key = entry
        .get_password()
        .expect("the cache key is in the keyring");
    std::fs::write(&db, vec![0x11; 8192]).unwrap();

    let session = viewer.login_password("zhou", DEMO_PASSWORD).await.unwrap();
    assert_eq!(
        session.cache_problem.map(|p| p.code),
        Some(ErrorCode::CacheUnreadable)
    );
    assert!(viewer.reset_cache().await.unwrap().cache_problem.is_none());

    assert_ne!(entry.get_password().unwrap(), old_key);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_on_the_platform_reaches_the_cached_chart() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let before = viewer.open_patient("cn-0001").await.unwrap();
    let problem = before.problems[0].id.clone();

    let fields = json!({ "code": { "text": "Updated by the hospital" } });
    demo.change_resource("Condition", &problem, Some(fields))
        .await;
    let refreshed = viewer.refresh_patient("cn-0001").await.unwrap();

    let text = |chart: &chartguard::view::Chart| {
        chart
            .problems
            .iter()
            .find(|p| p.id == problem)
            .map(|p| p.text.clone())
    };
    assert_eq!(text(&refreshed).as_deref(), Some("Updated by the hospital"));
    assert_eq!(
        refreshed.resource_count, before.resource_count,
        "replaced, not added"
    );
    let reopened = viewer.open_patient("cn-0001").await.unwrap();
    assert!(reopened.freshness.from_cache);
    assert_eq!(text(&reopened).as_deref(), Some("Updated by the hospital"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_reaches_the_chart_when_the_platform_clock_runs_behind() {
    let demo = Demo::start();
    // Two hours behind: a `_since` asked in the workstation's time would
    // lie after every change the platform stamps, and miss them all.
    demo.faults(json!({ "clock_offset_s": -7200 })).await;
    let viewer = demo.logged_in_viewer("wangyi").await;
    let before = viewer.open_patient("cn-0001").await.unwrap();
    let problem = before.problems[0].id.clone();

    let fields = json!({ "code": { "text": "Changed on a slow clock" } });
    demo.change_resource("Condition", &problem, Some(fields))
        .await;
    let refreshed = viewer.refresh_patient("cn-0001").await.unwrap();

    assert!(refreshed
        .problems
        .iter()
        .any(|p| p.id == problem && p.text == "Changed on a slow clock"));
    let as_of = humantime::parse_rfc3339(&refreshed.freshness.as_of).unwrap();
    assert!(
        as_of.elapsed().unwrap_or_default() < std::time::Duration::from_secs(600),
        "\"as of\" is the workstation's time, not the platform's"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deletion_on_the_platform_leaves_the_chart_at_the_next_full_refresh() {
    let demo = Demo::start();
    // Every refresh is a full one here; by default one an hour.
    let viewer = demo.viewer_with("full_sync_minutes = 0");
    viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .unwrap();
    let before = viewer.open_patient("cn-0001").await.unwrap();
    let problem = before.problems[0].id.clone();

    demo.change_resource("Condition", &problem, None).await;
    let refreshed = viewer.refresh_patient("cn-0001").await.unwrap();

    assert!(refreshed.problems.iter().all(|p| p.id != problem));
    assert_eq!(refreshed.resource_count, before.resource_count - 1);
    let reopened = viewer.open_patient("cn-0001").await.unwrap();
    assert!(reopened.freshness.from_cache);
    assert!(
        reopened.problems.iter().all(|p| p.id != problem),
        "gone from the cache too"
    );
}

/// Set in the copies of this test binary that
/// [`app_instances_started_together_share_one_cache`] starts: each is one
/// app instance.
const INSTANCE_CONFIG: &str = "CHARTGUARD_TEST_INSTANCE_CONFIG";

#[tokio::test(flavor = "multi_thread")]
async fn app_instances_started_together_share_one_cache() {
    if let Ok(config) = std::env::var(INSTANCE_CONFIG) {
        return run_instance(&config).await;
    }
    let demo = Demo::start();
    let reports = tempfile::TempDir::new().unwrap();
    let start_at = std::time::SystemTime::now() + std::time::Duration::from_millis(1500);
    let start_ms = start_at
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    // Separate processes, like two windows opened by a double click: the
    // first run of a doctor, so each would make the cache and its key.
    let children: Vec<_> = (0..4)
        .map(|n| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "offline::app_instances_started_together_share_one_cache",
                    "--quiet",
                ])
                .env(INSTANCE_CONFIG, demo.config_toml())
                .env("CHARTGUARD_TEST_START_MS", start_ms.to_string())
                .env("CHARTGUARD_TEST_REPORT", reports.path().join(n.to_string()))
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
        assert!(status.success(), "an instance failed: {status}");
    }
    let outcomes: Vec<String> = (0..4)
        .map(|n| std::fs::read_to_string(reports.path().join(n.to_string())).unwrap())
        .collect();
    assert!(
        outcomes.iter().all(|o| o == "cache" || o == "busy"),
        "{outcomes:?}"
    );
    assert!(outcomes.iter().any(|o| o == "cache"), "{outcomes:?}");

    // What they left is one readable cache whose key is in the keyring.
    let viewer = demo.logged_in_viewer("wangyi").await;
    assert!(viewer.session_info().await.unwrap().cache_problem.is_none());
    let chart = viewer.open_patient("cn-0001").await.unwrap();
    assert!(chart.freshness.from_cache);
    assert_eq!(chart.patient.name, "张伟");
}

/// One app instance: logs in at the agreed moment, opens a chart (which
/// must work with or without the cache), holds the cache a while so the
/// others meet it busy, and reports whether it had it.
async fn run_instance(config: &str) {
    let config = chartguard::Config::from_toml(config).unwrap();
    let start_ms: u64 = std::env::var("CHARTGUARD_TEST_START_MS")
        .unwrap()
        .parse()
        .unwrap();
    let start = std::time::UNIX_EPOCH + std::time::Duration::from_millis(start_ms);
    if let Ok(wait) = start.duration_since(std::time::SystemTime::now()) {
        tokio::time::sleep(wait).await;
    }
    let viewer = chartguard::Viewer::new(config).unwrap();
    let session = viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .unwrap();
    let outcome = match session.cache_problem.map(|p| p.code) {
        None => "cache",
        Some(ErrorCode::CacheBusy) => "busy",
        Some(other) => panic!("instance cache problem: {other:?}"),
    };
    assert_eq!(
        viewer.open_patient("cn-0001").await.unwrap().patient.name,
        "张伟"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let report = std::env::var("CHARTGUARD_TEST_REPORT").unwrap();
    std::fs::write(report, outcome).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_cache_gives_up_old_patients_and_never_the_chart() {
    let demo = Demo::start();
    // Every doctor treats every patient here, so that every chart is cached
    // (a masked view keeps no copy).
    let policy = include_str!("../src/policy/default.toml").replace(
        "[[assign]]\nrole = \"doctor\"\ntier = \"clinician\"",
        "[[assign]]\nrole = \"doctor\"\ntier = \"treating\"",
    );
    assert_ne!(policy, include_str!("../src/policy/default.toml"));
    let viewer = demo.viewer_with_policy("max_size_mib = 1", &policy);
    viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .unwrap();
    viewer.open_patient("cn-0001").await.unwrap();
    viewer.pin_patient("cn-0001", true).await.unwrap();
    let others: Vec<String> = (2..=8).map(|n| format!("cn-{n:04}")).collect();
    for id in &others {
        viewer.open_patient(id).await.unwrap();
    }
    assert!(viewer.session_info().await.unwrap().cache_problem.is_none());
    assert!(std::fs::metadata(demo.cache_file()).unwrap().len() <= 1 << 20);
    assert!(opened_from_cache(&viewer, "cn-0001").await, "pinned");
    assert!(opened_from_cache(&viewer, &others[6]).await, "the latest");
    assert!(
        !opened_from_cache(&viewer, &others[0]).await,
        "the oldest made room"
    );

    // A chart larger than the whole cache still opens, from the platform,
    // and the doctor is told the cache is full.
    let largest = crate::search::sim_patients(&demo)
        .await
        .into_iter()
        .filter(|p| p["source"] == "synthea")
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    for id in &largest {
        assert!(!viewer
            .open_patient(id)
            .await
            .unwrap()
            .patient
            .name
            .is_empty());
    }
    let problem = viewer.session_info().await.unwrap().cache_problem;
    assert_eq!(problem.map(|p| p.code), Some(ErrorCode::DiskFull));

    // Nothing was damaged: the next session has its cache and the pinned chart.
    viewer.logout().await.unwrap();
    let session = viewer
        .login_password("wangyi", DEMO_PASSWORD)
        .await
        .unwrap();
    assert!(session.cache_problem.is_none());
    assert!(opened_from_cache(&viewer, "cn-0001").await);
}
