//! The clinical views the core builds, on every patient the demo platform
//! serves (the third-party fixtures and the synthetic patients): result
//! series, the timeline's encounter detail, documents as text, the
//! forgiving search, recent patients and the trend export.

use std::collections::HashSet;

use chartguard::view::{
    Chart, DocBlock, EncounterItemKind, ExportRequest, ExportScope, ResultFlag,
};
use chartguard::ErrorCode;
use serde_json::Value;

use crate::search::{sim_patients, sim_resident_id};
use crate::support::{Demo, DemoOptions};

fn block_text(block: &DocBlock) -> String {
    match block {
        DocBlock::Heading { text } | DocBlock::Paragraph { text } | DocBlock::Item { text } => {
            text.clone()
        }
        DocBlock::Row { cells } => cells.join(" | "),
    }
}

/// Everything a chart's views show as text.
fn shown_text(chart: &Chart) -> String {
    let mut all = Vec::new();
    for d in &chart.documents {
        all.push(d.title.clone());
        all.extend(d.blocks.iter().map(block_text));
    }
    for e in &chart.encounters {
        all.extend(e.items.iter().map(|i| format!("{} {:?}", i.text, i.detail)));
    }
    for s in &chart.results {
        all.push(s.name.clone());
        all.extend(s.points.iter().map(|p| p.text.clone()));
    }
    all.join("\n")
}

/// The invariants of a chart's views, whoever the patient is.
fn check_views(id: &str, chart: &Chart) {
    let keys: HashSet<&str> = chart.results.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        keys.len(),
        chart.results.len(),
        "{id}: series keys are unique"
    );
    for series in &chart.results {
        assert!(!series.points.is_empty(), "{id}: {}", series.key);
        let dates: Vec<_> = series.points.iter().map(|p| &p.effective).collect();
        assert!(
            dates.windows(2).all(|w| w[0] <= w[1]),
            "{id}: {} oldest first",
            series.key
        );
        for p in &series.points {
            if let Some(v) = p.value {
                assert!(v.is_finite(), "{id}: {}", series.key);
            }
        }
    }
    for lab in &chart.labs {
        assert!(
            keys.contains(lab.series.as_str()),
            "{id}: {} has its series",
            lab.name
        );
    }
    let starts: Vec<_> = chart.encounters.iter().map(|e| &e.start).collect();
    assert!(
        starts.windows(2).all(|w| w[0] >= w[1]),
        "{id}: encounters newest first"
    );
    for d in &chart.documents {
        for text in d.blocks.iter().map(block_text) {
            let markup = text.as_bytes().windows(2).any(|w| {
                w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?'))
            });
            assert!(!markup, "{id}: document {} holds markup: {text}", d.id);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_patient_opens_with_series_a_timeline_and_readable_documents() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let patients = sim_patients(&demo).await;
    let mut opened = 0;
    for p in &patients {
        let id = p["id"].as_str().unwrap();
        let synthetic = p["source"] == "synthetic";
        // Every fixture patient, and a few of the generated ones.
        if synthetic && !["cn-0001", "cn-0002", "w-0001"].contains(&id) {
            continue;
        }
        let chart = viewer
            .open_patient(id)
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        check_views(id, &chart);
        opened += 1;
        if p["source"] == "synthea" {
            assert!(
                chart
                    .results
                    .iter()
                    .any(|s| s.points.len() > 1 && s.unit.is_some()),
                "{id}: a Synthea patient has numeric series over time"
            );
            assert!(
                chart
                    .encounters
                    .iter()
                    .any(|e| e.items.iter().any(|i| i.kind == EncounterItemKind::Result)),
                "{id}: its results sit in their encounters"
            );
        }
        // Wang Yi treats only 张伟: everyone else is masked, and no view
        // text names them.
        if id != "cn-0001" {
            assert!(chart.access.masked, "{id}");
            let shown = shown_text(&chart);
            for secret in [p["name"].as_str(), p["resident_id"].as_str()]
                .into_iter()
                .flatten()
            {
                assert!(!shown.contains(secret), "{id}: {secret} shown in a view");
            }
        }
    }
    assert!(
        opened >= 9,
        "five Synthea patients, the HL7 example and three generated: {opened}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_treating_doctor_reads_trends_medications_encounters_and_documents() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let chart = viewer.open_patient("cn-0001").await.unwrap();
    assert!(!chart.access.masked);

    let hba1c = chart
        .results
        .iter()
        .find(|s| s.code.as_deref() == Some("4548-4"))
        .expect("张伟's HbA1c series");
    assert!(hba1c.points.len() > 1, "{hba1c:?}");
    assert_eq!(hba1c.unit.as_deref(), Some("%"));
    let range = hba1c.range.as_ref().expect("its reference range");
    assert_eq!((range.low, range.high), (Some(4.0), Some(6.0)));
    for p in &hba1c.points {
        let v = p.value.unwrap();
        let expected = if v > 6.0 {
            ResultFlag::High
        } else if v < 4.0 {
            ResultFlag::Low
        } else {
            ResultFlag::Normal
        };
        assert_eq!(p.flag, Some(expected), "{p:?}");
        assert!(p.source.is_some(), "every point names its hospital");
    }

    assert!(!chart.medications.is_empty());
    for m in &chart.medications {
        assert!(
            !m.sources.is_empty() && m.sources.iter().any(|s| s.id == m.id),
            "{m:?}"
        );
    }

    let kinds: HashSet<EncounterItemKind> = chart
        .encounters
        .iter()
        .flat_map(|e| e.items.iter().map(|i| i.kind))
        .collect();
    for kind in [
        EncounterItemKind::Diagnosis,
        EncounterItemKind::Result,
        EncounterItemKind::Document,
    ] {
        assert!(
            kinds.contains(&kind),
            "{kind:?} in some encounter: {kinds:?}"
        );
    }
    let document_ids: HashSet<&str> = chart.documents.iter().map(|d| d.id.as_str()).collect();
    for item in chart.encounters.iter().flat_map(|e| &e.items) {
        if item.kind == EncounterItemKind::Document {
            assert!(
                document_ids.contains(item.id.as_str()),
                "a document item opens its document"
            );
        }
    }

    // The demo platform's documents: plain text, hostile HTML and a CDA
    // shared document, all read as text; the treating doctor reads them whole.
    let formats: HashSet<_> = chart.documents.iter().map(|d| d.format).collect();
    assert!(formats.len() >= 2, "{formats:?}");
    let text = shown_text(&chart);
    assert!(
        !text.contains("alert("),
        "hostile markup never survives as text either"
    );
    assert!(
        chart
            .documents
            .iter()
            .all(|d| !d.blocks.is_empty() || d.withheld),
        "{:?}",
        chart.documents
    );
    let resident_id = sim_resident_id(&demo, "cn-0001").await;
    let cda = chart
        .documents
        .iter()
        .find(|d| d.format == chartguard::view::DocumentFormat::Cda)
        .expect("the shared health summary");
    assert!(
        cda.blocks
            .iter()
            .any(|b| matches!(b, DocBlock::Heading { .. })),
        "{cda:?}"
    );
    let cda_text: Vec<String> = cda.blocks.iter().map(block_text).collect();
    assert!(
        !cda_text
            .iter()
            .any(|t| t.contains(&resident_id) || t.contains("张伟")),
        "a CDA header is never rendered: {cda_text:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_masked_doctor_reads_documents_scrubbed() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let chart = viewer.open_patient("cn-0002").await.unwrap();
    assert!(chart.access.masked);
    let shown: Vec<_> = chart
        .documents
        .iter()
        .filter(|d| !d.blocks.is_empty())
        .collect();
    assert!(
        !shown.is_empty(),
        "documents are shown scrubbed, not withheld: {:?}",
        chart.documents
    );
    let patients = sim_patients(&demo).await;
    let name = patients.iter().find(|p| p["id"] == "cn-0002").unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let text = shown_text(&chart);
    assert!(!text.contains(&name), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn search_forgives_pinyin_fragments_and_date_forms() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let resident_id = sim_resident_id(&demo, "cn-0001").await;
    let ids = |found: &[chartguard::view::PatientSummary]| -> Vec<String> {
        found.iter().map(|p| p.id.clone()).collect()
    };
    // The platform finds the pinyin its record carries…
    for query in ["zhangwei", "Zhang Wei", "张伟"] {
        let found = viewer.search_patients(query).await.unwrap();
        assert!(
            ids(&found.patients).contains(&"cn-0001".to_owned()),
            "{query}"
        );
    }
    // …and initials only once this workstation's cache knows the patient.
    let unknown = viewer.search_patients("zw").await.unwrap();
    assert!(!ids(&unknown.patients).contains(&"cn-0001".to_owned()));
    viewer.open_patient("cn-0001").await.unwrap();
    let known = viewer.search_patients("zw").await.unwrap();
    assert!(
        ids(&known.patients).contains(&"cn-0001".to_owned()),
        "{known:?}"
    );
    // A fragment of the ID next to the name finds exactly the one: of the
    // part the doctor's tier shows (search rows are masked by role)…
    let tail = &resident_id[resident_id.len() - 4..];
    let found = viewer.search_patients(&format!("张 {tail}")).await.unwrap();
    assert_eq!(ids(&found.patients), ["cn-0001"]);
    assert!(!found.too_many);
    assert_eq!(found.total, Some(1));
    let wrong = viewer.search_patients("张 000000000000").await.unwrap();
    assert!(wrong.patients.is_empty());
    // …never of the digits it hides (the birth date in the middle).
    let hidden = &resident_id[6..14];
    let probe = viewer
        .search_patients(&format!("张 {}", &hidden[4..]))
        .await
        .unwrap();
    assert!(
        !ids(&probe.patients).contains(&"cn-0001".to_owned()),
        "{probe:?}"
    );

    let birth = &resident_id[6..14];
    for query in [
        birth.to_owned(),
        format!("{}/{}/{}", &birth[..4], &birth[4..6], &birth[6..]),
        format!("zhang {}", &birth[..4]),
    ] {
        let found = viewer.search_patients(&query).await.unwrap();
        assert!(
            ids(&found.patients).contains(&"cn-0001".to_owned()),
            "{query}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_matches_ask_to_narrow_by_birth_date() {
    let demo = Demo::start_with(DemoOptions {
        patients: Some(160),
        ..DemoOptions::default()
    });
    let viewer = demo.logged_in_viewer("wangyi").await;
    let broad = viewer.search_patients("a").await.unwrap();
    assert!(broad.too_many, "{} shown", broad.patients.len());
    assert_eq!(broad.patients.len(), 20);
    let total = broad.total.expect("the platform counts its matches");
    assert!(total > 20, "{total}");

    let patients = sim_patients(&demo).await;
    let birth_year = |id: &str| sim_birth_year(&patients, id);
    let first = &broad
        .patients
        .iter()
        .find(|p| {
            patients
                .iter()
                .any(|s| s["id"] == p.id.as_str() && s["resident_id"].is_string())
        })
        .expect("a generated patient among the matches")
        .id;
    let narrowed = viewer
        .search_patients(&format!("a {}", birth_year(first)))
        .await
        .unwrap();
    assert!(narrowed.patients.iter().any(|p| &p.id == first));
    assert!(narrowed.patients.len() < broad.patients.len() || !narrowed.too_many);
}

/// A generated patient's year of birth, from the resident ID the platform
/// gave them.
fn sim_birth_year(patients: &[Value], id: &str) -> String {
    let p = patients.iter().find(|p| p["id"] == id).unwrap();
    p["resident_id"].as_str().unwrap()[6..10].to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn recent_patients_are_those_opened_newest_first_and_survive_a_new_login() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    assert!(viewer.recent_patients().await.unwrap().is_empty());
    viewer.open_patient("cn-0001").await.unwrap();
    // A patient this doctor sees masked is never cached, so never listed.
    viewer.open_patient("cn-0002").await.unwrap();
    let recent = viewer.recent_patients().await.unwrap();
    assert_eq!(
        recent.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["cn-0001"]
    );
    assert_eq!(recent[0].name, "张*", "masked as search rows are");

    viewer.logout().await.unwrap();
    let err = viewer.recent_patients().await.expect_err("logged out");
    assert_eq!(err.code(), ErrorCode::NotLoggedIn);
    let viewer = crate::support::logged_in(viewer, "wangyi").await;
    assert_eq!(viewer.recent_patients().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trend_exports_its_series_and_nothing_else() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let chart = viewer.open_patient("cn-0001").await.unwrap();
    let hba1c = chart
        .results
        .iter()
        .find(|s| s.code.as_deref() == Some("4548-4"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("trend.pdf");
    let request = |series: Option<&str>| ExportRequest {
        patient_id: "cn-0001".into(),
        scope: ExportScope::Trend,
        locale: "zh-CN".into(),
        series: series.map(str::to_owned),
    };
    let receipt = viewer
        .export_pdf(&request(Some(&hba1c.key)), &out)
        .await
        .unwrap();
    assert!(receipt.pages >= 1);
    let text = crate::export::pdf_text_of(&out);
    assert!(text.contains("糖化血红蛋白"), "{text}");
    assert!(text.contains("参考范围"), "{text}");
    let latest = hba1c.points.last().unwrap().text.clone();
    assert!(text.contains(&latest), "{latest} in {text}");
    assert!(!text.contains("出院小结"), "a trend holds no documents");
    crate::export::review(&out, "trend-zh");

    // A blood pressure's component comes with the panel's other, as drawn.
    let systolic = chart
        .results
        .iter()
        .find(|s| s.code.as_deref() == Some("8480-6"))
        .expect("the systolic series");
    let bp = dir.path().join("bp.pdf");
    viewer
        .export_pdf(&request(Some(&systolic.key)), &bp)
        .await
        .unwrap();
    let text = crate::export::pdf_text_of(&bp);
    assert!(text.contains("收缩压") && text.contains("舒张压"), "{text}");
    crate::export::review(&bp, "trend-bp-zh");

    for bad in [Some("no-such-series"), None] {
        let missing = dir.path().join("missing.pdf");
        let err = viewer
            .export_pdf(&request(bad), &missing)
            .await
            .expect_err("refused");
        assert_eq!(err.code(), ErrorCode::ExportFailed);
        assert!(!missing.exists());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_fetch_of_a_chart_reports_its_progress() {
    let demo = Demo::start();
    let viewer = demo.logged_in_viewer("wangyi").await;
    let largest = sim_patients(&demo)
        .await
        .into_iter()
        .find(|p| p["source"] == "synthea" && p["name"].as_str().unwrap_or("").contains("Babara"))
        .expect("the Synthea patient with the most records");
    let id = largest["id"].as_str().unwrap();
    let chart = viewer.open_patient(id).await.unwrap();
    let progress = viewer.fetch_progress().await.unwrap();
    assert_eq!(progress.received, chart.resource_count, "{progress:?}");
    assert_eq!(
        progress.total,
        Some(chart.resource_count),
        "the platform said how many"
    );

    viewer.logout().await.unwrap();
    assert_eq!(
        viewer.fetch_progress().await.unwrap_err().code(),
        ErrorCode::NotLoggedIn
    );
    // The next doctor learns nothing of the last one's fetch.
    let viewer = crate::support::logged_in(viewer, "zhou").await;
    let progress = viewer.fetch_progress().await.unwrap();
    assert_eq!((progress.received, progress.total), (0, None));
}
