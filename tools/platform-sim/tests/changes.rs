//! Test hooks that change the data as a hospital would: `/_sim/resource`.

use serde_json::{json, Value};

use crate::support;

#[tokio::test]
async fn an_updated_resource_gets_a_new_version_and_shows_in_since_searches() {
    let sim = support::start(|o| o.patients = 2).await;
    let before = sim.get_json("Patient/cn-0001").await;
    let url = format!("{}/_sim/resource/Patient/cn-0001", sim.root);

    let response = sim
        .client
        .put(&url)
        .json(&json!({ "gender": "other" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let after = sim.get_json("Patient/cn-0001").await;
    assert_eq!(after["gender"], "other");
    assert_eq!(after["name"], before["name"], "other elements stay");
    let version = |r: &Value| {
        r["meta"]["versionId"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert_eq!(version(&after), version(&before) + 1);
    // A minute ago: after every generated instant, before the update.
    let minute_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 60;
    let since = chrono::DateTime::from_timestamp(minute_ago as i64, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let changed = sim
        .get_json(&format!(
            "Patient/cn-0001/$everything?_since={}",
            urlencode(&since)
        ))
        .await;
    assert_eq!(
        support::entry_ids(&changed),
        vec!["Patient/cn-0001".to_owned()]
    );
}

#[tokio::test]
async fn a_deleted_resource_is_gone_and_unknown_ones_are_refused() {
    let sim = support::start(|o| o.patients = 2).await;
    let everything = sim.get_json("Patient/cn-0001/$everything?_count=500").await;
    let condition = support::entry_ids(&everything)
        .into_iter()
        .find(|id| id.starts_with("Condition/"))
        .expect("a condition");
    let url = |path: &str| format!("{}/_sim/resource/{path}", sim.root);

    assert_eq!(
        sim.client
            .delete(url(&condition))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(sim.get(&condition).await.status(), 404);
    let after = sim.get_json("Patient/cn-0001/$everything?_count=500").await;
    assert!(!support::entry_ids(&after).contains(&condition));

    let missing = sim
        .client
        .delete(url("Condition/no-such"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A").replace('+', "%2B")
}
