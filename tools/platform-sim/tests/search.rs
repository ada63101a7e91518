//! Patient and per-type search.

use crate::support::{self, entry_ids};

#[tokio::test]
async fn patient_search_by_name_identifier_and_birthdate() {
    let sim = support::start(|_| {}).await;
    let patients = sim.patients().await;
    let zhang = &patients[0];
    assert_eq!(zhang["id"], "cn-0001");
    let rid = zhang["resident_id"].as_str().unwrap().to_owned();
    let western = patients.iter().find(|p| p["id"] == "w-0003").unwrap();
    let western_family = western["name"]
        .as_str()
        .unwrap()
        .split(' ')
        .next_back()
        .unwrap()
        .to_uppercase();

    let cases: Vec<(String, &str)> = vec![
        ("name=张伟".into(), "Patient/cn-0001"),
        ("name=张".into(), "Patient/cn-0001"),
        ("name=欧阳".into(), "Patient/cn-0002"),
        ("name=欧阳娜娜".into(), "Patient/cn-0002"),
        ("name=娜娜".into(), "Patient/cn-0002"),
        // The pinyin name the record carries (no pinyin logic in search).
        ("name=zhangwei".into(), "Patient/cn-0001"),
        ("name=Zhang%20Wei".into(), "Patient/cn-0001"),
        ("name=ouyang".into(), "Patient/cn-0002"),
        (format!("name={western_family}"), "Patient/w-0003"),
        (format!("identifier={rid}"), "Patient/cn-0001"),
        (
            format!("identifier=https://chartguard.example/fhir/sid/resident-id|{rid}"),
            "Patient/cn-0001",
        ),
        ("birthdate=1958-03-14".into(), "Patient/cn-0001"),
        ("birthdate=eq1958-03-14".into(), "Patient/cn-0001"),
        ("name=王芳&birthdate=1962-11-05".into(), "Patient/cn-0003"),
    ];
    for (query, expected) in cases {
        let bundle = sim.get_json(&format!("Patient?{query}")).await;
        let ids = entry_ids(&bundle);
        assert!(ids.contains(&expected.to_owned()), "{query}: {ids:?}");
        assert_eq!(
            bundle["total"].as_u64().unwrap() as usize,
            ids.len(),
            "{query}"
        );
        assert_eq!(bundle["entry"][0]["search"]["mode"], "match");
        assert!(bundle["entry"][0]["fullUrl"]
            .as_str()
            .unwrap()
            .starts_with(&sim.base));
    }
    let none = sim
        .get_json(
            "Patient?identifier=https://chartguard.example/fhir/sid/mrn/h1|"
                .to_owned()
                .as_str(),
        )
        .await;
    assert_eq!(none["total"], 0);
    let wrong_system = sim
        .get_json(&format!("Patient?identifier=urn:other|{rid}"))
        .await;
    assert_eq!(wrong_system["total"], 0);
    let first = sim.get_json("Patient?_count=5").await;
    assert_eq!(entry_ids(&first).len(), 5);
    assert_eq!(first["total"], 40);
    sim.stop().await;
}

#[tokio::test]
async fn per_type_search_read_and_errors() {
    let sim = support::start(|o| o.patients = 6).await;
    let hba1c = sim
        .get_json("Observation?patient=cn-0001&code=http://loinc.org|4548-4&_count=500")
        .await;
    assert!(hba1c["total"].as_u64().unwrap() >= 12);
    let vitals = sim
        .get_json("Observation?subject=Patient/cn-0001&category=vital-signs")
        .await;
    assert!(entry_ids(&vitals)
        .iter()
        .all(|id| id.starts_with("Observation/")));
    assert!(vitals["total"].as_u64().unwrap() >= 12);
    for kind in [
        "Encounter",
        "Condition",
        "AllergyIntolerance",
        "MedicationRequest",
        "DiagnosticReport",
        "Procedure",
        "Immunization",
        "DocumentReference",
        "ServiceRequest",
    ] {
        let bundle = sim.get_json(&format!("{kind}?patient=cn-0001")).await;
        assert!(bundle["total"].as_u64().unwrap() > 0, "{kind}");
    }
    let org = sim.get_json("Organization?_id=org-h1").await;
    assert_eq!(entry_ids(&org), vec!["Organization/org-h1"]);
    let read = sim.get("Patient/cn-0001").await;
    assert_eq!(read.status(), 200);
    assert!(read.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/fhir+json"));

    for (path, status) in [
        ("Patient/nobody", 404),
        ("Frobnicator/1", 404),
        ("Frobnicator?x=1", 404),
        ("Patient?shoe_size=42", 400),
        ("Patient?birthdate=gt1950", 400),
        ("Observation?patient=cn-0001&_count=x", 400),
    ] {
        let response = sim.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["resourceType"], "OperationOutcome", "{path}");
    }
    let metadata = sim.get_json("metadata").await;
    assert_eq!(metadata["fhirVersion"], "4.0.1");
    sim.stop().await;
}
