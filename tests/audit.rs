//! The operation trail against the real demo platform and identity
//! provider: written before anything is shown (and nothing shown when it
//! cannot be written), tamper-evident in its SQLCipher file, forwarded to
//! the platform through the outbox with nothing lost or duplicated, and
//! the department head's desk built on it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chartguard::view::{AuditAction, EntrySource, ExportRequest, ExportScope, ReferralDecision};
use chartguard::ErrorCode;
use serde_json::Value;
use sha2::Digest as _;

use crate::support::{logged_in, Demo, DEMO_PASSWORD};

const ZHANG_WEI: &str = "cn-0001";

pub(crate) fn trail_file(demo: &Demo) -> PathBuf {
    demo.audit_dir().join("trail.db")
}

/// The trail's file opened directly with its key from the keyring, as
/// someone with the workstation account's keyring could.
#[allow(clippy::disallowed_methods)]
pub(crate) fn raw_trail(path: &Path) -> rusqlite::Connection {
    let digest = sha2::Sha256::digest(path.to_string_lossy().as_bytes());
    let key_id: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let key = keyring::Entry::new("chartguard", &format!("audit-db:{key_id}"))
        .and_then(|e| e.get_password())
        .expect("the trail's key is in the keyring");
    let conn = rusqlite::Connection::open(path).expect("open the trail file");
    conn.execute_batch(&format!(
        "PRAGMA key = \"x'{key}'\"; PRAGMA cipher_page_size = 16384; PRAGMA foreign_keys = OFF;"
    ))
    .expect("key");
    conn
}

async fn verify(demo: &Demo) -> chartguard::view::VerifyReport {
    let config = demo.config();
    tokio::task::spawn_blocking(move || chartguard::verify_trail(&config))
        .await
        .expect("verify ran")
        .expect("the trail can be read")
}

/// The platform's audit log: every AuditEvent it stored, how many resends
/// it saw, and how many of those changed an event.
async fn platform_audit(demo: &Demo) -> Value {
    let url = demo.platform_url.join("/_sim/audit").expect("url");
    demo.http()
        .get(url)
        .send()
        .await
        .expect("platform answers")
        .json()
        .await
        .expect("json")
}

/// Every AuditEvent the platform stored, and how many resends it saw.
async fn platform_events(demo: &Demo) -> (Vec<Value>, u64) {
    let log = platform_audit(demo).await;
    let events = log["events"].as_array().cloned().unwrap_or_default();
    (events, log["resubmitted"].as_u64().unwrap_or(0))
}

fn subtype(event: &Value) -> &str {
    event["subtype"][0]["code"].as_str().unwrap_or_default()
}

pub(crate) fn actions(conn: &rusqlite::Connection) -> Vec<String> {
    conn.prepare("SELECT action FROM event ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[tokio::test]
async fn every_look_at_a_patient_is_in_the_trail_and_reaches_the_platform_once() {
    let demo = Demo::start();
    let viewer = logged_in(demo.viewer(), "wangyi").await;
    viewer.search_patients("张伟").await.expect("search");
    let chart = viewer.open_patient(ZHANG_WEI).await.expect("open");
    assert_eq!(chart.access.tier, "treating");
    viewer
        .break_glass(ZHANG_WEI, "emergency", "unconscious on arrival")
        .await
        .expect("break the glass");
    viewer.end_break_glass().await;

    let recorded = actions(&raw_trail(&trail_file(&demo)));
    for wanted in [
        "configChange",
        "login",
        "patientSearch",
        "patientOpen",
        "breakGlassStart",
        "breakGlassEnd",
    ] {
        assert!(
            recorded.iter().any(|a| a == wanted),
            "{wanted} in {recorded:?}"
        );
    }
    assert!(verify(&demo).await.ok);

    let sent = viewer.forward_audit().await.expect("forwarded");
    assert_eq!(sent as usize, recorded.len(), "every record went");
    let (events, resubmitted) = platform_events(&demo).await;
    assert_eq!(events.len(), recorded.len());
    assert_eq!(resubmitted, 0);
    // The trail's ids are the platform's: nothing arrived twice.
    let local_ids: Vec<String> = raw_trail(&trail_file(&demo))
        .prepare("SELECT id FROM event ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let platform_ids: Vec<&str> = events.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(platform_ids, local_ids);

    let glass = events
        .iter()
        .find(|e| subtype(e) == "110127")
        .expect("break the glass arrived as DCM 110127");
    assert_eq!(glass["type"]["code"], "110113");
    assert_eq!(glass["purposeOfEvent"][0]["coding"][0]["code"], "ETREAT");
    assert_eq!(glass["entity"][0]["what"]["reference"], "Patient/cn-0001");
    assert_eq!(glass["agent"][0]["altId"], "urn:chartguard:staff-no|D1001");
    let read = events
        .iter()
        .find(|e| subtype(e) == "read")
        .expect("the chart read");
    assert!(read["meta"]["profile"][0]
        .as_str()
        .unwrap()
        .ends_with("IHE.BasicAudit.PatientRead"));
    let search = events
        .iter()
        .find(|e| subtype(e) == "search-type")
        .expect("the search");
    let text = search.to_string();
    assert!(!text.contains("张伟"), "the query text is masked: {text}");
    let login = events
        .iter()
        .find(|e| subtype(e) == "110122")
        .expect("login");
    assert_eq!(login["type"]["code"], "110114");

    // Nothing is left to send, and sending again sends nothing.
    assert_eq!(viewer.forward_audit().await.expect("forward"), 0);
    assert_eq!(platform_events(&demo).await.0.len(), recorded.len());
}

#[tokio::test]
async fn when_the_trail_cannot_be_written_nothing_is_shown() {
    let demo = Demo::start();
    let printer = "[export]\nprint_command = [\"sh\", \"-c\", \"cat > /dev/null\"]";
    let viewer = logged_in(demo.viewer_with_sections(printer), "wangyi").await;
    viewer
        .open_patient(ZHANG_WEI)
        .await
        .expect("shown while the trail works");
    // Someone holds the trail's file (another process, a backup tool): the
    // write times out.
    let holder = raw_trail(&trail_file(&demo));
    holder
        .execute_batch("BEGIN EXCLUSIVE;")
        .expect("hold the file");

    let opened = viewer.open_patient(ZHANG_WEI).await;
    assert_eq!(opened.unwrap_err().code(), ErrorCode::AuditUnavailable);
    let refreshed = viewer.refresh_patient(ZHANG_WEI).await;
    assert_eq!(refreshed.unwrap_err().code(), ErrorCode::AuditUnavailable);
    let searched = viewer.search_patients("张伟").await;
    assert_eq!(searched.unwrap_err().code(), ErrorCode::AuditUnavailable);
    let out = demo.audit_dir().join("export.pdf");
    let request = ExportRequest {
        patient_id: ZHANG_WEI.into(),
        scope: ExportScope::Summary,
        locale: "zh-CN".into(),
        series: None,
    };
    let exported = viewer.export_pdf(&request, &out).await;
    assert_eq!(exported.unwrap_err().code(), ErrorCode::AuditUnavailable);
    assert!(!out.exists(), "no file without its audit entry");
    let printed = viewer.print(&request).await;
    assert_eq!(printed.unwrap_err().code(), ErrorCode::AuditUnavailable);
    let glass = viewer.break_glass(ZHANG_WEI, "emergency", "test").await;
    assert_eq!(glass.unwrap_err().code(), ErrorCode::AuditUnavailable);
    assert!(
        !viewer.watermark().await.break_glass,
        "the glass stays whole when its start cannot be audited"
    );

    holder.execute_batch("ROLLBACK;").expect("let go");
    drop(holder);
    let chart = viewer.open_patient(ZHANG_WEI).await.expect("shown again");
    assert_eq!(chart.patient.id, ZHANG_WEI);
    assert!(verify(&demo).await.ok);
}

#[tokio::test]
async fn a_login_without_a_trail_is_refused() {
    let demo = Demo::start();
    // A file where the trail's folder should be: it cannot be created.
    let blocker = demo.audit_dir();
    std::fs::write(&blocker, b"not a folder").expect("blocker");
    let viewer = demo.viewer();
    let login = viewer.login_password("wangyi", DEMO_PASSWORD).await;
    assert_eq!(login.unwrap_err().code(), ErrorCode::AuditUnavailable);
    assert!(
        viewer.session_info().await.is_none(),
        "no session without its audit entry"
    );
}

/// A trail of a few events, made without any platform: failed logins
/// against a login service that is not there.
async fn small_trail(dir: &Path) -> chartguard::Config {
    let config = chartguard::Config::from_toml(&format!(
        "[platform]\nbase_url = \"https://127.0.0.1:9/fhir\"\n\n[idp]\nissuer = \"https://127.0.0.1:9\"\n\
         client_id = \"c\"\n\n[audit]\ndir = {:?}\n\n[cache]\nenabled = false\n",
        dir
    ))
    .expect("config");
    let viewer = chartguard::Viewer::new(config.clone()).expect("viewer");
    for user in ["a", "b", "c", "d", "e"] {
        let failed = viewer.login_password(user, "x").await;
        assert_eq!(failed.unwrap_err().code(), ErrorCode::IdpUnreachable);
    }
    config
}

async fn report(config: &chartguard::Config) -> chartguard::view::VerifyReport {
    let config = config.clone();
    tokio::task::spawn_blocking(move || chartguard::verify_trail(&config))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn editing_deleting_reordering_or_cutting_records_is_found() {
    type Tamper = fn(&rusqlite::Connection);
    let cases: [(&str, Tamper, u64, &str); 5] = [
        (
            "edit",
            |c| {
                c.execute(
                    "UPDATE event SET body = replace(body, '\"username\":\"c\"', '\"username\":\"z\"') WHERE seq = 4",
                    [],
                )
                .map(drop)
                .unwrap()
            },
            4,
            "edited",
        ),
        (
            "delete",
            |c| {
                c.execute("DELETE FROM event WHERE seq = 3", [])
                    .map(drop)
                    .unwrap()
            },
            3,
            "missing",
        ),
        (
            "reorder",
            |c| {
                c.execute_batch(
                    "UPDATE event SET seq = 100 WHERE seq = 2;
                     UPDATE event SET seq = 2 WHERE seq = 3;
                     UPDATE event SET seq = 3 WHERE seq = 100;",
                )
                .unwrap()
            },
            2,
            "edited or moved",
        ),
        (
            "cut the end",
            |c| {
                c.execute("DELETE FROM event WHERE seq >= 5", [])
                    .map(drop)
                    .unwrap()
            },
            5,
            "ends early",
        ),
        (
            "rewind the anchor",
            |c| {
                c.execute("UPDATE anchor SET last_seq = 4", [])
                    .map(drop)
                    .unwrap()
            },
            1,
            "anchor",
        ),
    ];
    for (name, tamper, at, why) in cases {
        let dir = tempfile::tempdir().unwrap();
        let config = small_trail(dir.path()).await;
        let before = report(&config).await;
        assert!(before.ok, "{name}: {before:?}");
        assert_eq!(before.checked, 6, "the settings and five failed logins");
        tamper(&raw_trail(&dir.path().join("trail.db")));
        let after = report(&config).await;
        assert!(!after.ok, "{name}");
        assert_eq!(after.first_broken, Some(at), "{name}: {after:?}");
        assert!(
            after.problem.as_deref().unwrap_or_default().contains(why),
            "{name}: {after:?}"
        );
    }
}

#[tokio::test]
async fn the_outbox_keeps_events_while_the_platform_is_down_and_a_resend_is_the_same_event() {
    let demo = Demo::start();
    let viewer = logged_in(demo.viewer(), "wangyi").await;
    viewer.open_patient(ZHANG_WEI).await.expect("open");
    demo.faults(serde_json::json!({"status": 503})).await;
    assert_eq!(viewer.forward_audit().await.expect("tried"), 0);
    assert!(platform_events(&demo).await.0.is_empty());
    demo.faults(serde_json::json!({"status": null})).await;
    // Failed events wait (5 s) before the next try.
    tokio::time::sleep(Duration::from_millis(5200)).await;

    // The platform stores the first upload but answers too late: the round
    // is abandoned mid-flight (as when the app is killed), so the event is
    // still in the outbox although the platform has it.
    demo.faults(serde_json::json!({"answer_after_ms": 3000}))
        .await;
    let abandoned = tokio::time::timeout(Duration::from_millis(1500), viewer.forward_audit()).await;
    assert!(abandoned.is_err(), "the round was cut off");
    demo.faults(serde_json::json!({"answer_after_ms": 0})).await;

    let mut sent = 0;
    for _ in 0..3 {
        sent += viewer.forward_audit().await.expect("forward");
    }
    assert!(sent >= 3, "login, settings and the chart read: {sent}");
    let log = platform_audit(&demo).await;
    let events = log["events"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        log["resubmitted"], 1,
        "the unacknowledged event was sent again"
    );
    assert_eq!(log["conflicts"], 0, "as the same event, not a changed one");
    let trail = raw_trail(&trail_file(&demo));
    let in_trail: i64 = trail
        .query_row("SELECT count(*) FROM event", [], |r| r.get(0))
        .unwrap();
    let waiting: i64 = trail
        .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!(waiting, 0, "all delivered");
    assert_eq!(events.len() as i64, in_trail, "nothing lost");
}

#[tokio::test]
async fn purging_patient_data_leaves_the_trail_whole() {
    let demo = Demo::start();
    let viewer = logged_in(demo.viewer_with("purge_on_logout = true"), "wangyi").await;
    viewer.open_patient(ZHANG_WEI).await.expect("open");
    viewer.logout().await.expect("logout purges the cache");
    let recorded = actions(&raw_trail(&trail_file(&demo)));
    assert!(recorded.contains(&"patientOpen".to_owned()));
    assert!(recorded.contains(&"cachePurge".to_owned()), "{recorded:?}");
    assert!(recorded.contains(&"logout".to_owned()));
    assert!(verify(&demo).await.ok);
}

#[tokio::test]
async fn the_department_head_sees_the_referrals_and_who_viewed_with_break_the_glass_marked() {
    let demo = Demo::start();
    // A doctor of the department reads 张伟's chart and breaks the glass.
    let doctor = logged_in(demo.viewer(), "wangyi").await;
    doctor.open_patient(ZHANG_WEI).await.expect("open");
    doctor
        .break_glass(ZHANG_WEI, "emergency", "chest pain, old records needed")
        .await
        .expect("break");
    doctor.end_break_glass().await;
    doctor.forward_audit().await.expect("forwarded");

    // The head works at another workstation: their own trail.
    let head_dir = tempfile::tempdir().unwrap();
    let toml = demo.config_toml().replace(
        &format!("dir = {:?}", demo.audit_dir()),
        &format!("dir = {:?}", head_dir.path()),
    );
    let head = chartguard::Viewer::new(chartguard::Config::from_toml(&toml).unwrap()).unwrap();
    let head = logged_in(head, "lihua").await;
    let session = head.session_info().await.unwrap();
    assert!(session.desk.referral_inbox && session.desk.access_log);
    assert!(!session.desk.audit_status);

    let inbox = head.referral_inbox().await.expect("inbox");
    assert!(inbox.can_decide);
    assert!(inbox.referrals.len() >= 5, "{}", inbox.referrals.len());
    assert!(
        inbox
            .referrals
            .iter()
            .all(|r| r.status == "active" || r.status == "on-hold"),
        "only open referrals wait for a decision"
    );
    assert!(
        inbox
            .referrals
            .iter()
            .all(|r| !r.patient.name.contains('*')),
        "every open referral to the department gives the full view"
    );
    let zhang = inbox
        .referrals
        .iter()
        .find(|r| r.patient.id == ZHANG_WEI)
        .expect("张伟's referral");
    assert_eq!(
        zhang.patient.name, "张伟",
        "a referral to the department: the full view"
    );
    assert!(inbox
        .referrals
        .iter()
        .any(|r| r.priority.as_deref() == Some("urgent")));
    let dates: Vec<_> = inbox
        .referrals
        .iter()
        .map(|r| r.authored_on.clone())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest first");

    let declined = head
        .decide_referral(&zhang.id, ReferralDecision::Declined, "  ")
        .await;
    assert!(declined.is_err(), "declining needs a note");
    let accepted = head
        .decide_referral(&zhang.id, ReferralDecision::Accepted, "")
        .await
        .expect("accepted");
    assert_eq!(accepted.decision, ReferralDecision::Accepted);
    let again = head.referral_inbox().await.unwrap();
    let zhang = again
        .referrals
        .iter()
        .find(|r| r.patient.id == ZHANG_WEI)
        .unwrap();
    assert_eq!(
        zhang.decision,
        ReferralDecision::Accepted,
        "the platform kept it"
    );

    // The head opens the chart from the inbox (now in their cache and trail).
    head.open_patient(ZHANG_WEI).await.expect("open");
    let log = head.who_viewed(ZHANG_WEI).await.expect("who viewed");
    assert!(log.platform_problem.is_none());
    let glass = log
        .entries
        .iter()
        .find(|e| e.action == AuditAction::BreakGlassStart)
        .expect("the break-the-glass");
    assert!(glass.break_glass);
    assert_eq!(glass.who, "王毅");
    assert_eq!(glass.staff_no.as_deref(), Some("D1001"));
    assert_eq!(glass.reason.as_deref(), Some("emergency"));
    assert_eq!(
        glass.note.as_deref(),
        Some("chest pain, old records needed")
    );
    assert_eq!(glass.source, EntrySource::Platform);
    let read = log
        .entries
        .iter()
        .find(|e| e.action == AuditAction::PatientOpen && e.who == "王毅" && !e.break_glass)
        .expect("the plain read");
    assert_eq!(read.purpose.as_deref(), Some("TREAT"));
    assert!(log
        .entries
        .iter()
        .any(|e| e.action == AuditAction::PatientOpen && e.break_glass));
    let times: Vec<_> = log.entries.iter().map(|e| e.time.clone()).collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");
    // The head's own look is in their trail, not forwarded yet.
    assert!(log
        .entries
        .iter()
        .any(|e| e.who == "李华" && e.source == EntrySource::Local));

    // The platform down: this workstation's events only, and it says so.
    demo.faults(serde_json::json!({"status": 503})).await;
    let offline = head.who_viewed(ZHANG_WEI).await;
    demo.faults(serde_json::json!({"status": null})).await;
    let offline = offline.expect("the chart is in the head's cache");
    assert_eq!(
        offline.platform_problem.map(|p| p.code),
        Some(ErrorCode::PlatformError)
    );
    assert!(!offline.entries.is_empty());
    assert!(offline
        .entries
        .iter()
        .all(|e| e.source == EntrySource::Local));
}

#[tokio::test]
async fn who_viewed_and_the_trail_status_are_only_for_their_roles() {
    let demo = Demo::start();
    let doctor = logged_in(demo.viewer(), "wangyi").await;
    assert_eq!(
        doctor.who_viewed(ZHANG_WEI).await.unwrap_err().code(),
        ErrorCode::AccessDenied
    );
    assert_eq!(
        doctor.referral_inbox().await.unwrap_err().code(),
        ErrorCode::AccessDenied
    );
    assert_eq!(
        doctor.audit_status().await.unwrap_err().code(),
        ErrorCode::AccessDenied
    );
    drop(doctor);

    // A patient with no referral to cardiology: not the head's to review.
    let head = logged_in(demo.viewer(), "lihua").await;
    assert_eq!(
        head.who_viewed("example").await.unwrap_err().code(),
        ErrorCode::AccessDenied
    );
    drop(head);

    let it = logged_in(demo.viewer(), "itadmin").await;
    assert_eq!(
        it.open_patient(ZHANG_WEI).await.unwrap_err().code(),
        ErrorCode::AccessDenied
    );
    let status = it.audit_status().await.expect("status");
    assert!(status.verify.ok, "{:?}", status.verify);
    assert!(status.events >= 5);
    assert_eq!(status.retention_days, 180);
    assert!(status.outbox.enabled);
    assert!(status.outbox.pending >= 1, "nothing forwarded yet");
    let count = |action| {
        status
            .by_action
            .iter()
            .find(|c| c.action == action)
            .map_or(0, |c| c.count)
    };
    assert_eq!(count(AuditAction::Login), 3);
    // The doctor's three desk screens, the head's patient outside the
    // department, IT's chart.
    assert_eq!(
        count(AuditAction::AccessDenied),
        5,
        "every refusal is audited"
    );
    // Metadata only: no person and no patient in what IT sees.
    let text = serde_json::to_string(&status).unwrap();
    for phi in ["张伟", "cn-0001", "王毅", "李华", "D1001"] {
        assert!(!text.contains(phi), "{phi} in {text}");
    }
}

#[tokio::test]
async fn a_trail_file_removed_behind_its_back_is_recorded_in_the_new_trail() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_trail(dir.path()).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("trail.db{suffix}")));
    }
    let viewer = chartguard::Viewer::new(config.clone()).expect("viewer");
    let failed = viewer.login_password("f", "x").await;
    assert_eq!(failed.unwrap_err().code(), ErrorCode::IdpUnreachable);
    let first: String = raw_trail(&dir.path().join("trail.db"))
        .query_row("SELECT body FROM event ORDER BY seq LIMIT 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        first.contains("configChange") && first.contains("missing or emptied"),
        "{first}"
    );
    assert!(report(&config).await.ok);
}

#[tokio::test]
async fn a_tier_that_may_not_break_the_glass_leaves_a_refusal_not_a_start() {
    let demo = Demo::start();
    let policy = include_str!("../src/policy/default.toml").replace(
        "sealed = [\"R\", \"V\", \"sensitive\"]\nbreak_glass = true",
        "sealed = [\"R\", \"V\", \"sensitive\"]\nbreak_glass = false",
    );
    assert!(!policy.contains("break_glass = true\n\n[tiers.deidentified]"));
    let zhou = logged_in(demo.viewer_with_policy("", &policy), "zhou").await;
    let refused = zhou.break_glass(ZHANG_WEI, "emergency", "test").await;
    assert_eq!(refused.unwrap_err().code(), ErrorCode::AccessDenied);
    let out = demo.audit_dir().join("x.pdf");
    let it = logged_in(demo.viewer(), "itadmin").await;
    let request = ExportRequest {
        patient_id: ZHANG_WEI.into(),
        scope: ExportScope::Chart,
        locale: "en".into(),
        series: None,
    };
    assert_eq!(
        it.export_pdf(&request, &out).await.unwrap_err().code(),
        ErrorCode::AccessDenied
    );
    let trail = raw_trail(&trail_file(&demo));
    let recorded = actions(&trail);
    assert!(
        !recorded.iter().any(|a| a == "breakGlassStart"),
        "{recorded:?}"
    );
    let refusals: Vec<String> = trail
        .prepare("SELECT body FROM event WHERE action = 'accessDenied' ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    assert!(refusals[0].contains("break the glass: not for this tier"));
    assert!(refusals[0].contains("cn-0001"));
    assert!(
        refusals[1].contains("\"detail\":\"export\""),
        "{}",
        refusals[1]
    );
}
