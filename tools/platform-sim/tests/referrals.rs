//! A department head's referral inbox: ServiceRequest by performer and
//! status, with the patients.

use serde_json::Value;

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
