//! Permission tiers end to end: the privacy office's preview over every
//! fixture (no masked tier lets the patient's name, IDs, phones or street
//! through), the tiers the demo's doctors get for the same patient, break
//! the glass with its expiry, and a broken policy that fails closed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chartguard::view::AccessGrounds;
use chartguard::{cli, policy_preview, ErrorCode, PreviewRequest};
use serde_json::Value;

use crate::support::{fixtures_dir, logged_in, Demo, DEMO_PASSWORD};

/// The default policy, as a file (the preview needs one).
pub(crate) fn default_policy(dir: &Path) -> PathBuf {
    let path = dir.join("policy.toml");
    std::fs::write(&path, include_str!("../src/policy/default.toml")).unwrap();
    path
}

/// The patient bundles of the fixtures: every Synthea patient and the HL7
/// example patient.
pub(crate) fn patient_bundles() -> Vec<PathBuf> {
    let synthea = fixtures_dir().join("synthea");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&synthea)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.starts_with("hospital") && !name.starts_with("practitioner")
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "the five Synthea patients");
    files.push(fixtures_dir().join("hl7-examples/patient-example.json"));
    files
}

/// What identifies the patient of a bundle: every name in its usual
/// written forms, each name part, identifiers, phones and street lines.
pub(crate) fn secrets_of(bundle: &Path) -> Vec<String> {
    let value: Value = serde_json::from_slice(&std::fs::read(bundle).unwrap()).unwrap();
    let patient = if value["resourceType"] == "Patient" {
        value
    } else {
        value["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"].clone())
            .find(|r| r["resourceType"] == "Patient")
            .unwrap()
    };
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    let mut secrets = Vec::new();
    for name in patient["name"].as_array().into_iter().flatten() {
        let given = strings(&name["given"]);
        if let Some(family) = name["family"].as_str() {
            secrets.push(format!("{} {family}", given.join(" ")));
            secrets.push(family.to_owned());
        }
        secrets.extend(given.into_iter().filter(|g| g.chars().count() > 2));
    }
    for identifier in patient["identifier"].as_array().into_iter().flatten() {
        if let Some(v) = identifier["value"].as_str().filter(|v| v.len() >= 5) {
            secrets.push(v.to_owned());
        }
    }
    for telecom in patient["telecom"].as_array().into_iter().flatten() {
        secrets.extend(telecom["value"].as_str().map(str::to_owned));
    }
    for address in patient["address"].as_array().into_iter().flatten() {
        secrets.extend(strings(&address["line"]));
    }
    assert!(secrets.len() >= 4, "{}: {secrets:?}", bundle.display());
    secrets
}

fn preview(policy: &Path, tier: &str, bundle: &Path) -> String {
    policy_preview(&PreviewRequest {
        policy: policy.to_owned(),
        tier: Some(tier.to_owned()),
        claims: None,
        bundle: bundle.to_owned(),
    })
    .unwrap_or_else(|e| panic!("{tier} {}: {e}", bundle.display()))
}

#[test]
fn no_masked_tier_shows_a_fixture_patients_name_id_phone_or_street() {
    let dir = tempfile::tempdir().unwrap();
    let policy = default_policy(dir.path());
    for bundle in patient_bundles() {
        let secrets = secrets_of(&bundle);
        let treating = preview(&policy, "treating", &bundle);
        assert!(
            treating.contains(&secrets[0]),
            "the treating tier sees {:?} in {}",
            secrets[0],
            bundle.display()
        );
        for tier in ["clinician", "deidentified"] {
            let shown = preview(&policy, tier, &bundle);
            let chart: Value = serde_json::from_str(&shown).unwrap();
            assert_eq!(chart["access"]["tier"], tier);
            assert_eq!(chart["access"]["masked"], true);
            for secret in &secrets {
                assert!(
                    !shown.contains(secret.as_str()),
                    "{tier} shows {secret:?} of {}",
                    bundle.display()
                );
            }
        }
    }
}

/// Runs the command line as the binary does.
fn run_cli(args: &[&str]) -> (Option<i32>, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::run(
        args.iter().map(std::ffi::OsString::from),
        &mut out,
        &mut err,
    );
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn the_preview_refuses_a_policy_that_does_not_validate_naming_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("typo.toml");
    let text = include_str!("../src/policy/default.toml")
        .replace("[tiers.clinician]\n", "[tiers.clinician]\nmaskd = true\n");
    std::fs::write(&policy, &text).unwrap();
    let line = text.lines().position(|l| l.starts_with("maskd")).unwrap() + 1;
    let bundle = fixtures_dir().join("hl7-examples/patient-example.json");
    let (code, out, err) = run_cli(&[
        "policy",
        "preview",
        "--policy",
        policy.to_str().unwrap(),
        "--tier",
        "clinician",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(out.is_empty(), "nothing shown: {out}");
    for expected in ["typo.toml", "maskd", &format!("line {line}")] {
        assert!(err.contains(expected), "{expected:?} in {err}");
    }
}

#[test]
fn the_preview_resolves_the_tier_from_claims_as_the_app_does() {
    let dir = tempfile::tempdir().unwrap();
    let policy = default_policy(dir.path());
    let bundle = dir.path().join("referred.json");
    std::fs::write(
        &bundle,
        serde_json::json!({ "resourceType": "Bundle", "type": "collection", "entry": [
            { "resource": { "resourceType": "Patient", "id": "p1",
                            "name": [{ "family": "欧阳", "given": ["娜娜"] }] } },
            { "resource": { "resourceType": "ServiceRequest", "id": "sr1", "status": "active",
                            "subject": { "reference": "Patient/p1" },
                            "performer": [{ "reference": "Organization/dept-cardiology" }] } }
        ] })
        .to_string(),
    )
    .unwrap();
    let claims = |name: &str, department: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            serde_json::json!({ "roles": ["doctor"], "department": department, "staff_no": "D9" })
                .to_string(),
        )
        .unwrap();
        path
    };
    let cases = [
        (claims("cardio.json", "cardiology"), "treating", "欧阳娜娜"),
        (claims("nephro.json", "nephrology"), "clinician", "欧阳**"),
    ];
    for (claims, tier, name) in cases {
        let (code, out, err) = run_cli(&[
            "policy",
            "preview",
            "--policy",
            policy.to_str().unwrap(),
            "--claims",
            claims.to_str().unwrap(),
            bundle.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(0), "{err}");
        let chart: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(chart["access"]["tier"], tier);
        assert_eq!(chart["patient"]["name"], name);
    }
    let (code, _, err) = run_cli(&[
        "policy",
        "preview",
        "--policy",
        policy.to_str().unwrap(),
        "--claims",
        dir.path().join("nephro.json").to_str().unwrap(),
        "--tier",
        "treating",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("resolve to tier \"clinician\""), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_doctor_sees_the_same_patient_as_their_tier_allows() {
    let demo = Demo::start();
    let resident_id = crate::search::sim_resident_id(&demo, "cn-0001").await;
    let masked_id = format!("{}********{}", &resident_id[..6], &resident_id[14..]);
    let shown_id = |chart: &chartguard::view::Chart| {
        chart
            .patient
            .identifiers
            .iter()
            .find(|i| i.kind == chartguard::view::IdentifierKind::ResidentId)
            .map(|i| i.value.clone())
    };

    // A cardiology doctor: the patient is referred to their department.
    let wangyi = logged_in(demo.viewer(), "wangyi").await;
    let treating = wangyi.open_patient("cn-0001").await.unwrap();
    assert_eq!(treating.access.tier, "treating");
    assert_eq!(treating.access.grounds, AccessGrounds::Referral);
    assert_eq!(treating.patient.name, "张伟");
    assert_eq!(shown_id(&treating).as_deref(), Some(resident_id.as_str()));
    assert_eq!(treating.sealed, 1, "the very restricted (V) record only");

    // An endocrinology doctor: no relationship, so masked, and R and
    // sensitive records sealed as well.
    let zhou = logged_in(demo.viewer(), "zhou").await;
    let clinician = zhou.open_patient("cn-0001").await.unwrap();
    assert_eq!(clinician.access.tier, "clinician");
    assert!(clinician.access.masked);
    assert_eq!(clinician.patient.name, "张*");
    assert_eq!(shown_id(&clinician), Some(masked_id));
    assert!(clinician
        .patient
        .phone
        .as_deref()
        .is_some_and(|p| p.contains("****")));
    assert!(clinician.sealed > treating.sealed);
    assert!(clinician.access.can_break_glass);
    assert!(
        clinician.problems.len() < treating.problems.len(),
        "the sealed PSY problem is missing"
    );

    // The cardiology head reviews the referral to her department in full,
    // and sees a patient not referred to her masked.
    let lihua = logged_in(demo.viewer(), "lihua").await;
    let reviewed = lihua.open_patient("cn-0001").await.unwrap();
    assert_eq!(
        (
            reviewed.access.tier.as_str(),
            reviewed.patient.name.as_str()
        ),
        ("treating", "张伟")
    );
    let other = lihua.open_patient("example").await.unwrap();
    assert_eq!(other.access.tier, "clinician");
    assert!(other.patient.name.contains("***"));

    // IT sees no patient data at all.
    let it = logged_in(demo.viewer(), "itadmin").await;
    assert_eq!(
        it.search_patients("张伟").await.unwrap_err().code(),
        ErrorCode::AccessDenied
    );
    assert_eq!(
        it.open_patient("cn-0001").await.unwrap_err().code(),
        ErrorCode::AccessDenied
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn breaking_the_glass_unseals_until_its_time_runs_out() {
    let demo = Demo::start();
    let policy = include_str!("../src/policy/default.toml")
        .replace("duration = \"30m\"", "duration = \"3s\"");
    let zhou = logged_in(demo.viewer_with_policy("", &policy), "zhou").await;
    let sealed = zhou.open_patient("cn-0001").await.unwrap();
    assert!(sealed.sealed > 0 && sealed.access.can_break_glass);

    assert_eq!(zhou.app_info().break_glass_minutes, 1, "3 s, rounded up");
    let reasons = zhou.app_info().break_glass_reasons;
    assert!(reasons
        .iter()
        .any(|r| r.code == "emergency" && r.zh == "急诊抢救"));
    assert!(zhou
        .break_glass("cn-0001", "no-such-reason", "x")
        .await
        .is_err());
    assert!(zhou
        .break_glass("cn-0001", "emergency", "   ")
        .await
        .is_err());

    let unsealed = zhou
        .break_glass("cn-0001", "emergency", "胸痛急诊，需查既往史")
        .await
        .unwrap();
    assert_eq!(unsealed.sealed, 0);
    assert!(unsealed.access.break_glass_until.is_some());
    assert!(!unsealed.access.can_break_glass);
    assert!(
        unsealed.problems.len() > sealed.problems.len(),
        "the sealed problems show"
    );
    // Still masked: breaking the glass unseals records, it does not make
    // the doctor a treating one.
    assert_eq!(unsealed.patient.name, "张*");
    // Only for that patient.
    let other = zhou.open_patient("cn-0002").await.unwrap();
    assert!(other.access.break_glass_until.is_none());

    // The time runs out while the chart is open: the next look is sealed.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let after = zhou.open_patient("cn-0001").await.unwrap();
    assert_eq!(after.sealed, sealed.sealed);
    assert!(after.access.break_glass_until.is_none());

    // Ended by the doctor.
    zhou.break_glass("cn-0001", "consult", "会诊")
        .await
        .unwrap();
    zhou.end_break_glass().await;
    assert_eq!(
        zhou.open_patient("cn-0001").await.unwrap().sealed,
        sealed.sealed
    );

    // Ended by logout.
    zhou.break_glass("cn-0001", "consult", "会诊")
        .await
        .unwrap();
    zhou.logout().await.unwrap();
    zhou.login_password("zhou", DEMO_PASSWORD).await.unwrap();
    assert_eq!(
        zhou.open_patient("cn-0001").await.unwrap().sealed,
        sealed.sealed
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_policy_shows_no_patient_data() {
    let demo = Demo::start();
    let broken =
        include_str!("../src/policy/default.toml").replace("op = \"redact\"", "op = \"shred\"");
    let viewer = logged_in(demo.viewer_with_policy("", &broken), "wangyi").await;
    for result in [
        viewer.search_patients("张伟").await.map(|_| ()),
        viewer.open_patient("cn-0001").await.map(|_| ()),
    ] {
        let err = result.expect_err("fails closed");
        assert_eq!(err.code(), ErrorCode::PolicyInvalid);
        assert!(err.to_string().contains("shred"), "{err}");
    }
    assert!(viewer.app_info().break_glass_reasons.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_doctor_who_sees_a_patient_masked_keeps_no_copy_of_them() {
    let mut demo = Demo::start();
    let zhou = logged_in(demo.viewer(), "zhou").await;
    let first = zhou.open_patient("cn-0001").await.unwrap();
    assert!(first.access.masked);
    assert_eq!(first.pinned, None, "nothing to keep offline");
    let again = zhou.open_patient("cn-0001").await.unwrap();
    assert!(!again.freshness.from_cache, "not cached");

    // The treating doctor's own cache does keep it.
    let wangyi = logged_in(demo.viewer(), "wangyi").await;
    wangyi.open_patient("cn-0001").await.unwrap();
    assert!(
        wangyi
            .open_patient("cn-0001")
            .await
            .unwrap()
            .freshness
            .from_cache
    );

    demo.stop_platform();
    let offline = zhou.open_patient("cn-0001").await.unwrap_err();
    assert_eq!(offline.code(), ErrorCode::PlatformUnreachable);
}
