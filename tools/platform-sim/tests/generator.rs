//! The synthetic data set: checksums, determinism, realism.

use base64::Engine as _;
use platform_sim::data::synthetic::{generate, sid};
use platform_sim::resident_id;
use platform_sim::store::parse_reference;
use serde_json::Value;

#[test]
fn resident_id_checksum_table() {
    let cases = [
        ("11010519491231002X", true),
        ("110105194912310021", false),
        ("11010519491231002x", false),
        ("1101051949123100", false),
        ("", false),
        ("11010519491231002Y", false),
    ];
    for (id, valid) in cases {
        assert_eq!(resident_id::is_valid(id), valid, "{id}");
    }
    assert_eq!(
        resident_id::build("110105", "19491231", 2).as_deref(),
        Some("11010519491231002X")
    );
}

#[test]
fn every_generated_patient_has_a_valid_resident_id_matching_birth_date() {
    let data = generate(42, 40);
    assert_eq!(data.patients.len(), 40);
    for patient in data
        .resources
        .iter()
        .filter(|r| r["resourceType"] == "Patient")
    {
        let id = patient["identifier"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["system"] == sid::RESIDENT_ID)
            .and_then(|i| i["value"].as_str())
            .expect("resident id");
        assert!(resident_id::is_valid(id), "{id}");
        assert_eq!(
            resident_id::birth_date(id).as_deref(),
            patient["birthDate"].as_str()
        );
        let phone = patient["telecom"][0]["value"].as_str().unwrap();
        assert!(phone.len() == 11 && ["13", "15", "18"].iter().any(|p| phone.starts_with(p)));
    }
}

#[test]
fn same_seed_gives_identical_json_and_another_seed_differs() {
    let a = serde_json::to_string(&generate(42, 40).resources).unwrap();
    let b = serde_json::to_string(&generate(42, 40).resources).unwrap();
    let c = serde_json::to_string(&generate(43, 40).resources).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

fn of_patient<'a>(
    data: &'a [Value],
    kind: &'a str,
    pid: &'a str,
) -> impl Iterator<Item = &'a Value> {
    let reference = format!("Patient/{pid}");
    data.iter().filter(move |r| {
        r["resourceType"] == kind
            && (r["subject"]["reference"] == reference.as_str()
                || r["patient"]["reference"] == reference.as_str())
    })
}

#[test]
fn demo_patient_zhang_wei_has_the_documented_history() {
    let data = generate(42, 40).resources;
    let patient = data.iter().find(|r| r["id"] == "cn-0001").unwrap();
    assert_eq!(patient["name"][0]["family"], "张");
    assert_eq!(patient["name"][0]["given"][0], "伟");
    let codes: Vec<&str> = of_patient(&data, "Condition", "cn-0001")
        .filter_map(|c| c["code"]["coding"][0]["code"].as_str())
        .collect();
    for code in ["E11", "I10", "N18.3"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    let hba1c: Vec<f64> = of_patient(&data, "Observation", "cn-0001")
        .filter(|o| o["code"]["coding"][0]["code"] == "4548-4")
        .map(|o| o["valueQuantity"]["value"].as_f64().unwrap())
        .collect();
    assert!(hba1c.len() >= 12);
    assert!(hba1c[0] < 7.6 && *hba1c.last().unwrap() > 7.9, "{hba1c:?}");
    let egfr: Vec<f64> = of_patient(&data, "Observation", "cn-0001")
        .filter(|o| o["code"]["coding"][0]["code"] == "33914-3")
        .map(|o| o["valueQuantity"]["value"].as_f64().unwrap())
        .collect();
    assert!(egfr[0] > *egfr.last().unwrap() + 8.0, "{egfr:?}");

    // Documents and narratives name the patient and the mobile number.
    let phone = patient["telecom"][0]["value"].as_str().unwrap();
    let docs: Vec<String> = of_patient(&data, "DocumentReference", "cn-0001")
        .map(|d| {
            let data = d["content"][0]["attachment"]["data"].as_str().unwrap();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .unwrap(),
            )
            .unwrap()
        })
        .collect();
    assert!(docs.iter().all(|d| d.contains("张伟") && d.contains(phone)));
    assert!(docs
        .iter()
        .any(|d| d.contains("<script>") && d.contains("onerror=")));
    assert!(of_patient(&data, "DocumentReference", "cn-0001")
        .any(|d| d["content"][0]["attachment"]["contentType"] == "application/xml"));
    let narrative = of_patient(&data, "Encounter", "cn-0001").next().unwrap()["text"]["div"]
        .as_str()
        .unwrap();
    assert!(narrative.contains("张伟") && narrative.contains(phone));

    // Sensitive resources are labelled.
    let labels = |kind| -> Vec<String> {
        of_patient(&data, kind, "cn-0001")
            .flat_map(|r| {
                r["meta"]["security"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .map(|c| c["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let condition_labels = labels("Condition");
    assert!(
        condition_labels.contains(&"PSY".to_owned()) && condition_labels.contains(&"R".to_owned())
    );
    let observation_labels = labels("Observation");
    assert!(
        observation_labels.contains(&"HIV".to_owned())
            && observation_labels.contains(&"V".to_owned())
    );
    assert!(of_patient(&data, "ServiceRequest", "cn-0001").count() >= 3);
}

#[test]
fn every_resource_has_meta_and_resolvable_references() {
    let data = generate(7, 40).resources;
    let keys: std::collections::HashSet<(String, String)> = data
        .iter()
        .map(|r| {
            assert!(
                r["meta"]["lastUpdated"].is_string() && r["meta"]["versionId"].is_string(),
                "{}",
                r["id"]
            );
            (
                r["resourceType"].as_str().unwrap().to_owned(),
                r["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(keys.len(), data.len(), "ids are unique");
    for resource in &data {
        for (kind, id) in platform_sim::store::references(resource) {
            assert!(keys.contains(&(kind.clone(), id.clone())), "{kind}/{id}");
        }
    }
    assert!(parse_reference("Patient/cn-0001").is_some());
    let chinese = data
        .iter()
        .filter(|r| r["resourceType"] == "Patient" && r["id"].as_str().unwrap().starts_with("cn-"))
        .count();
    assert_eq!(chinese, 20);
}

#[test]
fn the_cardiology_inbox_has_current_referrals_of_mixed_priority() {
    let data = generate(42, 40).resources;
    let active: Vec<(&str, &str, &str)> = data
        .iter()
        .filter(|r| {
            r["resourceType"] == "ServiceRequest"
                && r["performer"][0]["reference"] == "Organization/dept-cardiology"
                && r["status"] == "active"
        })
        .map(|r| {
            (
                r["id"].as_str().unwrap(),
                r["subject"]["reference"].as_str().unwrap(),
                r["priority"].as_str().unwrap(),
            )
        })
        .collect();
    // Urgent where blood pressure was still at or above 140/90 at referral;
    // the demo patient's stays routine.
    assert_eq!(
        active,
        [
            ("sr-cn-0001-0186", "Patient/cn-0001", "routine"),
            ("sr-cn-0007-0055", "Patient/cn-0007", "urgent"),
            ("sr-cn-0009-0073", "Patient/cn-0009", "routine"),
            ("sr-w-0010-0043", "Patient/w-0010", "urgent"),
            ("sr-w-0018-0060", "Patient/w-0018", "urgent"),
        ]
    );
}
