//! Third-party fixtures: Synthea transaction bundles and HL7 examples.

use std::collections::HashSet;

use platform_sim::data::{fixtures, Source};
use platform_sim::store::{parse_reference, Store};
use serde_json::Value;

use crate::support::{self, entry_ids};

fn contained_ids(resource: &Value) -> HashSet<String> {
    resource["contained"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str().map(|id| format!("#{id}")))
        .collect()
}

fn all_references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match child.as_str() {
                    Some(s) if key == "reference" => out.push(s.to_owned()),
                    _ => all_references(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| all_references(i, out)),
        _ => {}
    }
}

#[test]
fn every_synthea_reference_resolves_to_a_stored_resource() {
    let loaded = fixtures::load(&support::fixtures_dir());
    assert_eq!(loaded.skipped, 0);
    assert_eq!(loaded.unresolved, 0);
    let synthea: Vec<Value> = loaded
        .resources
        .iter()
        .filter(|(_, s)| *s == Source::Synthea)
        .map(|(r, _)| r.clone())
        .collect();
    assert!(synthea.len() > 1000);
    let store = Store::new(loaded.resources);
    let mut checked = 0;
    for resource in &synthea {
        assert!(
            resource["meta"]["lastUpdated"].is_string()
                && resource["meta"]["versionId"].is_string()
        );
        let contained = contained_ids(resource);
        let mut references = Vec::new();
        all_references(resource, &mut references);
        for reference in references {
            checked += 1;
            if reference.starts_with('#') {
                assert!(contained.contains(&reference), "{reference}");
                continue;
            }
            let (kind, id) =
                parse_reference(&reference).unwrap_or_else(|| panic!("unresolved {reference}"));
            assert!(store.get(&kind, &id).is_some(), "dangling {reference}");
        }
    }
    assert!(checked > 5000, "{checked}");
    assert!(
        store.get("Patient", "example").is_some(),
        "HL7 example patient"
    );
}

#[tokio::test]
async fn synthea_patient_is_searchable_and_has_a_history() {
    let sim = support::start(|o| {
        o.patients = 2;
        o.fixtures = Some(support::fixtures_dir());
    })
    .await;
    let bundle = sim.get_json("Patient?name=Portillo").await;
    let ids = entry_ids(&bundle);
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(
        bundle["entry"][0]["resource"]["name"][0]["family"],
        "Portillo"
    );
    let everything = sim
        .get_json(&format!("{}/$everything?_count=500", ids[0]))
        .await;
    assert!(everything["total"].as_u64().unwrap() > 100);
    let sources: Vec<Value> = sim
        .patients()
        .await
        .into_iter()
        .map(|p| p["source"].clone())
        .collect();
    for source in ["synthetic", "synthea", "hl7"] {
        assert!(sources.contains(&Value::from(source)), "{source}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn a_missing_fixtures_directory_is_not_fatal() {
    let sim = support::start(|o| {
        o.patients = 2;
        o.fixtures = Some("/nonexistent/fixtures".into());
    })
    .await;
    assert_eq!(sim.patients().await.len(), 2);
    sim.stop().await;
}
