//! Failure injection through `/_sim/faults`.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{self, next_link, Sim};

async fn set_faults(sim: &Sim, faults: Value) {
    let response = sim
        .client
        .put(format!("{}/_sim/faults", sim.root))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "PUT /_sim/faults {faults}");
}

async fn reset(sim: &Sim) {
    let response = sim
        .client
        .delete(format!("{}/_sim/faults", sim.root))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn each_fault_mode_behaves_as_documented() {
    let sim = support::start(|o| o.patients = 2).await;

    // Forced status with Retry-After.
    set_faults(&sim, json!({"status": 503, "retry_after_s": 7})).await;
    let response = sim.get("Patient/cn-0001").await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["resourceType"], "OperationOutcome");
    assert_eq!(sim.get("metadata").await.status(), 503);
    let shown: Value = sim
        .client
        .get(format!("{}/_sim/faults", sim.root))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["status"], 503);
    reset(&sim).await;
    assert_eq!(sim.get("Patient/cn-0001").await.status(), 200);

    // `times` limits status faults to the next N requests.
    set_faults(&sim, json!({"status": 429, "times": 2})).await;
    let statuses = [
        sim.get("Patient/cn-0001").await.status().as_u16(),
        sim.get("Patient/cn-0001").await.status().as_u16(),
        sim.get("Patient/cn-0001").await.status().as_u16(),
    ];
    assert_eq!(statuses, [429, 429, 200]);

    // Truncated body: consistent Content-Length, invalid JSON.
    set_faults(&sim, json!({"truncate": true, "times": 1})).await;
    let full_len = {
        let response = sim.get("Patient/cn-0002").await;
        // This request consumed the single truncation.
        let length: usize = response.headers()["content-length"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let bytes = response.bytes().await.unwrap();
        assert_eq!(bytes.len(), length);
        assert!(serde_json::from_slice::<Value>(&bytes).is_err());
        length
    };
    let whole = sim.get("Patient/cn-0002").await.bytes().await.unwrap();
    assert_eq!(full_len, whole.len() / 2);

    // Latency.
    set_faults(&sim, json!({"latency_ms": 300})).await;
    let started = Instant::now();
    assert_eq!(sim.get("Patient/cn-0001").await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Paging loop: `next` points back at the first page.
    set_faults(&sim, json!({"paging_loop": true})).await;
    let first = sim.get_json("Patient/cn-0001/$everything?_count=5").await;
    let next = next_link(&first).unwrap();
    let second = sim.get_json(&next).await;
    assert_eq!(second["entry"], first["entry"]);
    assert_eq!(next_link(&second).unwrap(), next);

    // `$everything` disabled: 404 not-supported, per-type search still works.
    set_faults(&sim, json!({"everything_disabled": true})).await;
    let response = sim.get("Patient/cn-0001/$everything").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["issue"][0]["code"], "not-supported");
    assert_eq!(sim.get("Condition?patient=cn-0001").await.status(), 200);

    // A skewed clock dates the answers.
    set_faults(&sim, json!({"clock_offset_s": -7200})).await;
    let response = sim.get("Patient/cn-0001").await;
    let date = response.headers()["date"].to_str().unwrap().to_owned();
    let behind = std::time::SystemTime::now()
        .duration_since(httpdate::parse_http_date(&date).unwrap())
        .unwrap();
    assert!(
        (Duration::from_secs(7190)..Duration::from_secs(7210)).contains(&behind),
        "{date}"
    );
    reset(&sim).await;

    // Bad settings are refused; DELETE resets.
    let bad = sim
        .client
        .put(format!("{}/_sim/faults", sim.root))
        .json(&json!({"nonsense": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    reset(&sim).await;
    let shown: Value = sim
        .client
        .get(format!("{}/_sim/faults", sim.root))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        shown,
        json!({"latency_ms": 0, "answer_after_ms": 0, "status": null, "retry_after_s": null, "truncate": false,
                             "paging_loop": false, "everything_disabled": false, "times": null,
                             "clock_offset_s": 0})
    );
    sim.stop().await;
}
