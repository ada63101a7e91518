//! Opening a patient: the whole shared history from the platform, turned
//! into the chart the doctor sees, for synthetic, Synthea and HL7 data, and
//! what happens when the platform misbehaves.

use chartguard::view::Chart;
use chartguard::{ErrorCode, Viewer};
use serde_json::json;

use crate::search::sim_patients;
use crate::support::Demo;

async fn open(viewer: &Viewer, id: &str) -> Chart {
    viewer
        .open_patient(id)
        .await
        .unwrap_or_else(|e| panic!("opening {id}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn chinese_demo_patient_shows_problems_meds_labs_and_encounters() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let chart = open(&viewer, "cn-0001").await;

    assert_eq!(chart.patient.name, "张伟");
    assert!(chart.patient.phone.is_some());
    assert!(chart
        .problems
        .iter()
        .any(|p| p.code.as_deref().is_some_and(|c| c.starts_with("E11"))));
    assert!(chart
        .problems
        .iter()
        .any(|p| p.code.as_deref() == Some("I10")));
    assert!(!chart.medications.is_empty());
    assert!(chart
        .medications
        .iter()
        .all(|m| m.status.as_deref() == Some("active")
            || m.status.as_deref() == Some("on-hold")
            || m.status.as_deref() == Some("intended")));
    let hba1c = chart
        .labs
        .iter()
        .find(|l| l.code.as_deref() == Some("4548-4"))
        .expect("HbA1c");
    assert!(hba1c.value.parse::<f64>().is_ok(), "{hba1c:?}");
    // Only the latest result per code is in the summary.
    assert_eq!(
        chart
            .labs
            .iter()
            .filter(|l| l.code.as_deref() == Some("4548-4"))
            .count(),
        1
    );
    assert!(chart.encounters.len() > 3);
    assert!(
        chart.encounters.iter().all(|e| e.hospital.is_some()),
        "every encounter names its hospital"
    );
    assert!(
        chart
            .encounters
            .windows(2)
            .all(|w| w[0].start >= w[1].start),
        "newest first"
    );
    assert!(chart.problems.iter().all(|p| p.source.is_some()));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_synthea_patient_opens_with_its_hospitals() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let synthea: Vec<String> = sim_patients(&demo)
        .await
        .into_iter()
        .filter(|p| p["source"] == "synthea")
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(synthea.len(), 5, "the five Synthea patients are loaded");
    for id in synthea {
        let chart = open(&viewer, &id).await;
        assert!(!chart.patient.name.is_empty());
        assert!(chart.resource_count > 50, "{id}: {}", chart.resource_count);
        assert!(!chart.encounters.is_empty(), "{id}");
        assert!(
            chart.encounters.iter().all(|e| e.hospital.is_some()),
            "{id}: hospitals resolved"
        );
        assert!(!chart.labs.is_empty() || !chart.problems.is_empty(), "{id}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hl7_example_patient_opens_masked_for_a_doctor_without_a_referral() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let chart = open(&viewer, "example").await;
    assert_eq!(chart.access.tier, "clinician");
    assert!(chart.access.masked);
    assert_eq!(chart.patient.name, "P*** J*** C***");
    assert_eq!(chart.patient.birth_date.as_deref(), Some("1974"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_everything_the_history_comes_from_per_type_searches() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let whole = open(&viewer, "cn-0001").await;

    demo.faults(json!({ "everything_disabled": true })).await;
    let by_type = open(&viewer, "cn-0001").await;

    assert_eq!(by_type.problems.len(), whole.problems.len());
    assert_eq!(by_type.medications.len(), whole.medications.len());
    assert_eq!(by_type.allergies.len(), whole.allergies.len());
    assert_eq!(by_type.encounters.len(), whole.encounters.len());
    assert!(by_type.encounters.iter().all(|e| e.hospital.is_some()));
}

#[tokio::test(flavor = "multi_thread")]
async fn platform_failures_give_clear_errors() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let cases = [
        (json!({ "paging_loop": true }), ErrorCode::MalformedData),
        (json!({ "truncate": true }), ErrorCode::MalformedData),
        (json!({ "status": 500 }), ErrorCode::PlatformError),
        (json!({ "status": 503 }), ErrorCode::PlatformError),
    ];
    for (faults, expected) in cases {
        demo.faults(faults.clone()).await;
        let err = viewer.open_patient("cn-0001").await.expect_err("must fail");
        assert_eq!(err.code(), expected, "{faults}");
    }
    demo.faults(json!({})).await;
    let err = viewer
        .open_patient("no-such-patient")
        .await
        .expect_err("unknown");
    assert_eq!(err.code(), ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_brief_overload_is_retried_after_retry_after() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    demo.faults(json!({ "status": 429, "retry_after_s": 1, "times": 1 }))
        .await;
    let started = std::time::Instant::now();
    let chart = open(&viewer, "cn-0001").await;
    assert_eq!(chart.patient.name, "张伟");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "waited for Retry-After"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn opening_another_patient_drops_the_first_fetch() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    demo.faults(json!({ "latency_ms": 1500 })).await;

    let (first, second) = tokio::join!(viewer.open_patient("cn-0002"), async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        viewer.open_patient("cn-0001").await
    });

    assert_eq!(first.expect_err("superseded").code(), ErrorCode::Superseded);
    assert_eq!(second.unwrap().patient.name, "张伟");
    demo.faults(json!({})).await;
    let reopened = open(&viewer, "cn-0002").await;
    assert!(
        !reopened.freshness.from_cache,
        "the dropped fetch wrote nothing"
    );
}
