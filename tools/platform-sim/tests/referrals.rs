//! A department head's referral inbox (ServiceRequest by performer and
//! status, with the patients) and the Tasks that accept or decline referrals.

use serde_json::{json, Value};

use crate::support::{self, entry_ids, next_link};

const INBOX: &str = "ServiceRequest?performer=Organization/dept-cardiology&status=active,on-hold";

fn modes(bundle: &Value) -> Vec<(String, String)> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let r = &e["resource"];
            (
                format!(
                    "{}/{}",
                    r["resourceType"].as_str().unwrap(),
                    r["id"].as_str().unwrap()
                ),
                e["search"]["mode"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_cardiology_inbox_lists_its_referrals_newest_first_with_their_patients() {
    let sim = support::start(|_| {}).await;
    let inbox = sim
        .get_json(&format!(
            "{INBOX}&_include=ServiceRequest:subject&_sort=-authored"
        ))
        .await;
    let matched: Vec<&Value> = inbox["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["search"]["mode"] == "match")
        .map(|e| &e["resource"])
        .collect();
    assert_eq!(inbox["total"], matched.len(), "total counts matches only");
    assert!(matched.len() >= 3);
    for request in &matched {
        assert_eq!(request["status"], "active");
        assert_eq!(
            request["performer"][0]["reference"],
            "Organization/dept-cardiology"
        );
    }
    let authored: Vec<&str> = matched
        .iter()
        .map(|r| r["authoredOn"].as_str().unwrap())
        .collect();
    let mut newest_first = authored.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(authored, newest_first);
    assert!(matched.iter().any(|r| r["id"] == "sr-cn-0001-0186"));

    // Each request's patient once, after the matches.
    let subjects: Vec<String> = matched
        .iter()
        .map(|r| r["subject"]["reference"].as_str().unwrap().to_owned())
        .collect();
    let included: Vec<(String, String)> = modes(&inbox).split_off(matched.len());
    assert_eq!(
        included,
        subjects
            .iter()
            .map(|s| (s.clone(), "include".to_owned()))
            .collect::<Vec<_>>()
    );

    // A bare id, the default order, and more than one status.
    let bare = sim
        .get_json("ServiceRequest?performer=dept-cardiology&status=active")
        .await;
    let inbox_ids: Vec<String> = matched
        .iter()
        .map(|r| format!("ServiceRequest/{}", r["id"].as_str().unwrap()))
        .collect();
    let mut bare_ids = entry_ids(&bare);
    let mut sorted_inbox_ids = inbox_ids.clone();
    bare_ids.sort();
    sorted_inbox_ids.sort();
    assert_eq!(bare_ids, sorted_inbox_ids);
    let all = sim
        .get_json("ServiceRequest?performer=dept-cardiology&status=active,completed")
        .await;
    assert!(all["total"].as_u64().unwrap() > bare["total"].as_u64().unwrap());
    let completed = sim
        .get_json("ServiceRequest?performer=dept-cardiology&status=completed&_sort=authored")
        .await;
    let oldest_first: Vec<&str> = completed["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["authoredOn"].as_str().unwrap())
        .collect();
    assert!(oldest_first.windows(2).all(|w| w[0] <= w[1]));

    // Paged: each page carries the patients of its own matches.
    let mut url = format!(
        "{}/{INBOX}&_include=ServiceRequest:subject&_sort=-authored&_count=2",
        sim.base
    );
    let mut paged = Vec::new();
    loop {
        let page = sim.get_json(&url).await;
        let page_modes = modes(&page);
        let page_matches: Vec<&(String, String)> =
            page_modes.iter().filter(|(_, m)| m == "match").collect();
        assert!(page_matches.len() <= 2);
        let page_subjects: Vec<String> = page["entry"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["search"]["mode"] == "match")
            .map(|e| {
                e["resource"]["subject"]["reference"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let page_included: Vec<String> = page_modes
            .iter()
            .filter(|(_, m)| m == "include")
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(page_included, page_subjects);
        paged.extend(page_matches.into_iter().map(|(id, _)| id.clone()));
        match next_link(&page) {
            Some(next) => url = next,
            None => break,
        }
    }
    assert_eq!(paged, inbox_ids);

    for query in [
        "ServiceRequest?_include=ServiceRequest:performer",
        "ServiceRequest?_sort=priority",
        "Condition?_include=Condition:subject",
        "Condition?performer=dept-cardiology",
    ] {
        let response = sim.get(query).await;
        assert_eq!(response.status(), 400, "{query}");
    }
    sim.stop().await;
}

fn task(id: &str, status: &str, request: &str, patient: &str) -> Value {
    json!({
        "resourceType": "Task",
        "id": id,
        "status": status,
        "intent": "order",
        "focus": {"reference": format!("ServiceRequest/{request}")},
        "for": {"reference": format!("Patient/{patient}")},
        "owner": {"reference": "Organization/dept-cardiology"},
        "authoredOn": "2026-05-02T10:00:00+08:00",
        "lastModified": "2026-05-02T10:00:00+08:00",
    })
}

#[tokio::test]
async fn a_task_accepts_or_declines_a_referral_without_changing_it() {
    let sim = support::start(|_| {}).await;
    let request_before = sim.get_json("ServiceRequest/sr-cn-0001-0186").await;

    let requested = task("t-0186", "requested", "sr-cn-0001-0186", "cn-0001");
    let created = sim.put("Task/t-0186", &requested).await;
    assert_eq!(created.status(), 201);
    assert_eq!(
        created.headers()["location"],
        format!("{}/Task/t-0186/_history/1", sim.base).as_str()
    );
    let stored: Value = created.json().await.unwrap();
    assert_eq!(stored["meta"]["versionId"], "1");

    // The same Task again changes nothing; an answer is the next version.
    let same = sim.put("Task/t-0186", &requested).await;
    assert_eq!(same.status(), 200);
    assert_eq!(same.json::<Value>().await.unwrap(), stored);
    let mut accepted = requested.clone();
    accepted["status"] = json!("accepted");
    accepted["lastModified"] = json!("2026-05-02T11:00:00+08:00");
    let replaced = sim.put("Task/t-0186", &accepted).await;
    assert_eq!(replaced.status(), 200);
    assert_eq!(replaced.headers()["etag"], "W/\"2\"");
    let read = sim.get_json("Task/t-0186").await;
    assert_eq!(
        (&read["status"], &read["meta"]["versionId"]),
        (&json!("accepted"), &json!("2"))
    );

    // Declining another referral, with a reason.
    let mut rejected = task("t-0055", "rejected", "sr-cn-0007-0055", "cn-0007");
    rejected["statusReason"] = json!({"text": "请先完善心脏超声检查"});
    assert_eq!(sim.put("Task/t-0055", &rejected).await.status(), 201);

    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("focus=ServiceRequest/sr-cn-0001-0186", vec!["Task/t-0186"]),
        ("focus=sr-cn-0007-0055", vec!["Task/t-0055"]),
        (
            "owner=Organization/dept-cardiology",
            vec!["Task/t-0186", "Task/t-0055"],
        ),
        ("owner=Organization/dept-nephrology", vec![]),
        (
            "owner=Organization/dept-cardiology&status=rejected",
            vec!["Task/t-0055"],
        ),
        (
            "status=accepted,rejected",
            vec!["Task/t-0186", "Task/t-0055"],
        ),
        ("", vec!["Task/t-0186", "Task/t-0055"]),
    ];
    for (query, expected) in cases {
        let bundle = sim.get_json(&format!("Task?{query}")).await;
        assert_eq!(entry_ids(&bundle), expected, "{query}");
    }

    // The referral itself, and the patient's record, are untouched.
    assert_eq!(
        sim.get_json("ServiceRequest/sr-cn-0001-0186").await,
        request_before
    );
    let everything = sim.get_json("Patient/cn-0001/$everything?_count=500").await;
    assert!(!entry_ids(&everything)
        .iter()
        .any(|id| id.starts_with("Task/")));

    let with = |key: &str, value: Value| {
        let mut changed = requested.clone();
        changed["id"] = json!("t-bad");
        if value.is_null() {
            changed.as_object_mut().unwrap().remove(key);
        } else {
            changed[key] = value;
        }
        changed
    };
    let cases = [
        (
            "no such referral",
            with("focus", json!({"reference": "ServiceRequest/sr-nobody"})),
            422,
        ),
        (
            "for another patient",
            with("for", json!({"reference": "Patient/cn-0002"})),
            422,
        ),
        (
            "focus not a referral",
            with("focus", json!({"reference": "Patient/cn-0001"})),
            400,
        ),
        ("no focus", with("focus", Value::Null), 400),
        ("unknown status", with("status", json!("draft")), 400),
        ("intent not order", with("intent", json!("proposal")), 400),
        ("no owner", with("owner", Value::Null), 400),
        (
            "another type",
            with("resourceType", json!("ServiceRequest")),
            400,
        ),
    ];
    for (name, body, status) in cases {
        let response = sim.put("Task/t-bad", &body).await;
        assert_eq!(response.status().as_u16(), status, "{name}");
        let outcome: Value = response.json().await.unwrap();
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{name}");
    }
    assert_eq!(sim.get("Task/t-bad").await.status(), 404);
    assert_eq!(sim.get("Task?subject=cn-0001").await.status(), 400);
    sim.stop().await;
}
