//! Patient search: by name (Chinese and Western), by identifier, by birth date.

use chartguard::ErrorCode;
use serde_json::Value;

use crate::support::Demo;

/// The demo platform's own list of its patients, to pick test subjects.
pub(crate) async fn sim_patients(demo: &Demo) -> Vec<Value> {
    let url = demo.platform_url.join("/_sim/patients").unwrap();
    demo.http()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The resident ID the demo platform gave its patient `id`.
pub(crate) async fn sim_resident_id(demo: &Demo, id: &str) -> String {
    sim_patients(demo)
        .await
        .into_iter()
        .find(|p| p["id"] == id)
        .and_then(|p| p["resident_id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("the demo platform has no {id} with a resident ID"))
}

#[tokio::test(flavor = "multi_thread")]
async fn search_finds_patients_by_name_id_and_birth_date() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let patients = sim_patients(&demo).await;
    let zhang = patients
        .iter()
        .find(|p| p["id"] == "cn-0001")
        .expect("demo patient 张伟");
    let resident_id = zhang["resident_id"].as_str().unwrap();

    // Search knows no care relationship yet: rows are masked by the
    // doctor's role alone (the chart of a treated patient is not).
    let by_name = viewer.search_patients("张伟").await.unwrap().patients;
    assert!(
        by_name.iter().any(|p| p.id == "cn-0001" && p.name == "张*"),
        "{by_name:?}"
    );

    let by_id = viewer.search_patients(resident_id).await.unwrap().patients;
    assert_eq!(
        by_id.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["cn-0001"]
    );
    let shown = by_id[0]
        .identifiers
        .iter()
        .find(|i| i.kind == chartguard::view::IdentifierKind::ResidentId)
        .expect("resident ID");
    assert_eq!(
        shown.value,
        format!("{}********{}", &resident_id[..6], &resident_id[14..])
    );

    let birth_date = viewer
        .open_patient("cn-0001")
        .await
        .unwrap()
        .patient
        .birth_date
        .expect("the treating doctor sees the birth date");
    let by_birth = viewer.search_patients(&birth_date).await.unwrap().patients;
    assert!(by_birth.iter().any(|p| p.id == "cn-0001"));
    assert!(by_birth
        .iter()
        .all(|p| p.birth_date.as_deref() == Some(&birth_date[..4])));

    let western = viewer.search_patients("Portillo").await.unwrap().patients;
    assert!(!western.is_empty());
    assert!(
        western
            .iter()
            .all(|p| p.name.contains("***") && !p.name.contains("Portillo")),
        "{western:?}"
    );

    assert!(viewer
        .search_patients("   ")
        .await
        .unwrap()
        .patients
        .is_empty());
    assert!(viewer
        .search_patients("Zzyzx-nobody")
        .await
        .unwrap()
        .patients
        .is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn search_needs_a_login() {
    let demo = Demo::start();
    let err = demo
        .viewer()
        .search_patients("张伟")
        .await
        .expect_err("not logged in");
    assert_eq!(err.code(), ErrorCode::NotLoggedIn);
}
