//! `Patient/$everything` paging and `_since`.

use std::collections::HashSet;

use crate::support::{self, entry_ids, next_link};
use platform_sim::store::parse_instant;

#[tokio::test]
async fn everything_pages_follow_next_and_return_each_resource_once() {
    let sim = support::start(|o| o.patients = 4).await;
    let all = sim.get_json("Patient/cn-0001/$everything?_count=500").await;
    let expected: Vec<String> = entry_ids(&all);
    assert_eq!(all["total"].as_u64().unwrap() as usize, expected.len());
    assert!(next_link(&all).is_none());
    assert_eq!(expected[0], "Patient/cn-0001");
    for kind in ["Organization/org-h1", "Practitioner/pr-01"] {
        assert!(expected.contains(&kind.to_owned()), "{kind}");
    }

    let mut seen = Vec::new();
    let mut url = format!("{}/Patient/cn-0001/$everything?_count=7", sim.base);
    let mut pages = 0;
    loop {
        let page = sim.get_json(&url).await;
        pages += 1;
        assert!(entry_ids(&page).len() <= 7);
        seen.extend(entry_ids(&page));
        match next_link(&page) {
            Some(next) => url = next,
            None => break,
        }
        assert!(pages < 1000, "paging does not terminate");
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no resource twice");
    assert_eq!(seen, expected);
    assert_eq!(sim.get("Patient/nobody/$everything").await.status(), 404);
    sim.stop().await;
}

#[tokio::test]
async fn since_returns_only_resources_updated_after_the_instant() {
    let sim = support::start(|o| o.patients = 2).await;
    let all = sim.get_json("Patient/cn-0001/$everything?_count=500").await;
    let since = "2025-06-01T08:00:00+08:00";
    let cutoff = parse_instant(since).unwrap();
    let expected: Vec<String> = all["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            parse_instant(e["resource"]["meta"]["lastUpdated"].as_str().unwrap()).unwrap() > cutoff
        })
        .map(|e| {
            format!(
                "{}/{}",
                e["resource"]["resourceType"].as_str().unwrap(),
                e["resource"]["id"].as_str().unwrap()
            )
        })
        .collect();
    assert!(!expected.is_empty() && expected.len() < entry_ids(&all).len());

    let url = format!("{}/Patient/cn-0001/$everything", sim.base);
    let recent: serde_json::Value = sim
        .client
        .get(&url)
        .query(&[("_since", since), ("_count", "500")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(entry_ids(&recent), expected);

    // Per-type search takes `_since` and `_lastUpdated=gt…` too; an unencoded `+` is tolerated.
    let obs_url = format!(
        "{}/Observation?patient=cn-0001&_count=500&_lastUpdated=gt2025-06-01T08:00:00+08:00",
        sim.base
    );
    let obs = sim.get_json(&obs_url).await;
    let expected_obs: Vec<&String> = expected
        .iter()
        .filter(|id| id.starts_with("Observation/"))
        .collect();
    assert_eq!(entry_ids(&obs).iter().collect::<Vec<_>>(), expected_obs);
    assert_eq!(
        sim.get("Patient/cn-0001/$everything?_since=yesterday")
            .await
            .status(),
        400
    );
    sim.stop().await;
}
