//! Exports and print jobs, checked in the files they make: poppler's
//! `pdftotext` finds the watermark and the export ID on every page, the
//! patient's name in Chinese, and masked identifiers still masked; no masked
//! export of any fixture patient holds their name, ID, phone or street.
//! `pdftoppm` renders the first pages for a look (tests/export-artifacts/).

use std::path::{Path, PathBuf};
use std::process::Command;

use chartguard::view::{ExportRequest, ExportScope, WatermarkTamper};
use chartguard::{preview_pdf, ErrorCode, PreviewRequest};

use crate::support::{logged_in, Demo};
use crate::tiers::{default_policy, patient_bundles, secrets_of};

/// How to extract text.
#[derive(Clone, Copy, PartialEq)]
enum Read {
    /// Everything, in reading order.
    All,
    /// Without the diagonal watermark tiles.
    Upright,
    /// Everything, in the order it was drawn (the tiles come last).
    Drawn,
}

/// The text of a PDF (one page, or all), as poppler extracts it.
fn pdf_text(pdf: &Path, page: Option<u32>, read: Read) -> String {
    let mut command = Command::new("pdftotext");
    command.arg("-enc").arg("UTF-8");
    if let Some(n) = page {
        command.args(["-f", &n.to_string(), "-l", &n.to_string()]);
    }
    match read {
        Read::All => {}
        Read::Upright => {
            command.arg("-nodiag");
        }
        Read::Drawn => {
            command.arg("-raw");
        }
    }
    let output = command
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(
        output.status.success(),
        "pdftotext failed on {}",
        pdf.display()
    );
    String::from_utf8(output.stdout).expect("UTF-8 text")
}

/// All the text of a PDF.
pub(crate) fn pdf_text_of(pdf: &Path) -> String {
    pdf_text(pdf, None, Read::All)
}

/// Renders the first two pages for a visual check.
pub(crate) fn review(pdf: &Path, name: &str) {
    render_for_review(pdf, name);
}

/// Without whitespace, so a wrapped line cannot hide a match.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Renders the first two pages for a visual check.
fn render_for_review(pdf: &Path, name: &str) {
    let dir = crate::support::repo_root().join("tests/export-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let status = Command::new("pdftoppm")
        .args(["-r", "70", "-l", "2", "-png"])
        .arg(pdf)
        .arg(dir.join(name))
        .status()
        .expect("pdftoppm (poppler-utils) is installed");
    assert!(status.success());
    assert!(dir.join(format!("{name}-1.png")).exists());
}

fn request(patient_id: &str, scope: ExportScope, locale: &str) -> ExportRequest {
    ExportRequest {
        patient_id: patient_id.into(),
        scope,
        locale: locale.into(),
        series: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_carries_the_watermark_and_the_export_id() {
    let demo = Demo::start();
    let wangyi = logged_in(demo.viewer(), "wangyi").await;
    let mark = wangyi.watermark().await;
    assert_eq!(mark.lines[0], "王毅 D1001");
    let session_ref = mark.lines[1].rsplit(" · ").next().unwrap().to_owned();
    assert!(session_ref.starts_with("S-"), "{:?}", mark.lines);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chart.pdf");
    let receipt = wangyi
        .export_pdf(&request("cn-0001", ExportScope::Chart, "zh-CN"), &path)
        .await
        .unwrap();
    assert!(receipt.export_id.starts_with("E-"));
    assert_eq!(receipt.bytes, std::fs::metadata(&path).unwrap().len());
    assert!(receipt.pages >= 1);

    let all = pdf_text(&path, None, Read::Upright);
    assert!(all.contains("张伟"), "the Chinese name extracts as written");
    assert!(all.contains("区域共享病历"));
    for page in 1..=receipt.pages {
        let upright = pdf_text(&path, Some(page), Read::Upright);
        let footer = format!("第 {page}/{} 页", receipt.pages);
        for expected in [
            receipt.export_id.as_str(),
            "王毅 D1001",
            &session_ref,
            &footer,
        ] {
            assert!(upright.contains(expected), "page {page} lacks {expected:?}");
        }
        // The diagonal tiles are text too, beyond what the footer says.
        let drawn = squeezed(&pdf_text(&path, Some(page), Read::Drawn));
        for token in ["D1001", &session_ref] {
            let in_footer = squeezed(&upright).matches(token).count();
            assert!(
                drawn.matches(token).count() >= in_footer + 6,
                "page {page}: the tiles repeat {token:?}"
            );
        }
    }
    render_for_review(&path, "treating-zh");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_masked_export_keeps_identifiers_masked() {
    let demo = Demo::start();
    let resident_id = crate::search::sim_resident_id(&demo, "cn-0001").await;
    let zhou = logged_in(demo.viewer(), "zhou").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("masked");
    let receipt = zhou
        .export_pdf(&request("cn-0001", ExportScope::Summary, "en"), &path)
        .await
        .unwrap();
    let path = path.with_extension("pdf");
    let text = squeezed(&pdf_text(&path, None, Read::All));
    let masked_id = format!("{}********{}", &resident_id[..6], &resident_id[14..]);
    assert!(text.contains(&masked_id), "the masked ID is shown");
    assert!(!text.contains(&resident_id), "the full ID is not");
    assert!(text.contains("张*") && !text.contains("张伟"));
    assert!(text.contains("maskedview"));
    assert!(text.contains(&receipt.export_id));
    render_for_review(&path, "clinician-en");
}

#[test]
fn no_masked_export_of_a_fixture_names_the_patient() {
    let dir = tempfile::tempdir().unwrap();
    let policy = default_policy(dir.path());
    for bundle in patient_bundles() {
        let secrets = secrets_of(&bundle);
        for tier in ["treating", "clinician", "deidentified"] {
            let pdf = dir.path().join(format!("{tier}.pdf"));
            let request = PreviewRequest {
                policy: policy.clone(),
                tier: Some(tier.into()),
                claims: None,
                bundle: bundle.clone(),
            };
            std::fs::write(&pdf, preview_pdf(&request, "en").unwrap()).unwrap();
            let text = squeezed(&pdf_text(&pdf, None, Read::All));
            assert!(text.contains("POLICYPREVIEW"));
            if tier == "treating" {
                assert!(
                    text.contains(&squeezed(&secrets[0])),
                    "the treating tier's export names {:?}",
                    secrets[0]
                );
                continue;
            }
            for secret in &secrets {
                assert!(
                    !text.contains(&squeezed(secret)),
                    "a {tier} export shows {secret:?} of {}",
                    bundle.display()
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn print_hands_the_same_document_to_the_print_command() {
    let demo = Demo::start();
    let dir = tempfile::tempdir().unwrap();
    let spooled = dir.path().join("spooled.pdf");
    let title = dir.path().join("title.txt");
    let script = format!(
        "cat > {spooled:?}; printf %s \"$1\" > {title:?}",
        spooled = spooled,
        title = title
    );
    let sections =
        format!("[export]\nprint_command = [\"sh\", \"-c\", {script:?}, \"lp\", \"{{title}}\"]\n");
    let wangyi = logged_in(demo.viewer_with_sections(&sections), "wangyi").await;
    let receipt = wangyi
        .print(&request("cn-0001", ExportScope::Labs, "en"))
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&title).unwrap(), receipt.export_id);
    assert_eq!(receipt.bytes, std::fs::metadata(&spooled).unwrap().len());
    let text = pdf_text(&spooled, None, Read::Upright);
    assert!(text.contains(&format!("Print {}", receipt.export_id)));
    assert!(text.contains("Recent labs") && !text.contains("Encounters"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_print_system_that_fails_or_is_missing_is_reported() {
    let demo = Demo::start();
    for (command, says) in [
        (r#"["sh", "-c", "cat > /dev/null; exit 3"]"#, "failed"),
        (r#"["chartguard-no-such-lp"]"#, "not installed"),
        ("[]", "no print command"),
    ] {
        let sections = format!("[export]\nprint_command = {command}\n");
        let viewer = logged_in(demo.viewer_with_sections(&sections), "wangyi").await;
        let err = viewer
            .print(&request("cn-0001", ExportScope::Chart, "en"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::PrintFailed);
        assert!(err.to_string().contains(says), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn exports_go_only_to_a_pdf_file_the_doctor_named() {
    let demo = Demo::start();
    let wangyi = logged_in(demo.viewer(), "wangyi").await;
    let dir = tempfile::tempdir().unwrap();
    let chart = request("cn-0001", ExportScope::Allergies, "en");

    // A name without .pdf gets it added, whatever dots the name holds.
    let dotted = dir.path().join("visit 2024.01.05");
    wangyi.export_pdf(&chart, &dotted).await.unwrap();
    let written = dir.path().join("visit 2024.01.05.pdf");
    assert!(written.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&written).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "readable by this OS user only");
    }
    // The dialog did not ask about the completed name: it replaces nothing.
    let before = std::fs::read(&written).unwrap();
    let err = wangyi.export_pdf(&chart, &dotted).await.unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&written).unwrap(), before);
    // A name the dialog confirmed is replaced.
    wangyi.export_pdf(&chart, &written).await.unwrap();
    assert_ne!(std::fs::read(&written).unwrap(), before, "a new export ID");

    let refused: [(PathBuf, &str); 2] = [
        (PathBuf::from("relative.pdf"), "full path"),
        (dir.path().join("missing/dir/x.pdf"), "could not be written"),
    ];
    for (path, says) in refused {
        let err = wangyi.export_pdf(&chart, &path).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::ExportFailed);
        assert!(err.to_string().contains(says), "{err}");
    }

    // A write that fails half-way (a full disk) leaves nothing behind.
    #[cfg(target_os = "linux")]
    {
        let full = dir.path().join("full.pdf");
        std::os::unix::fs::symlink("/dev/full", &full).unwrap();
        let err = wangyi.export_pdf(&chart, &full).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::ExportFailed);
        assert!(!err.to_string().contains("full.pdf"), "no path in {err}");
        assert!(
            std::fs::symlink_metadata(&full).is_err(),
            "the partial file is gone"
        );
    }

    // IT may not export patients any more than view them.
    let it = logged_in(demo.viewer(), "itadmin").await;
    let err = it
        .export_pdf(&chart, &dir.path().join("it.pdf"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::AccessDenied);
    assert!(!dir.path().join("it.pdf").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_holds_unsealed_records_only_while_the_glass_is_broken() {
    let demo = Demo::start();
    let zhou = logged_in(demo.viewer(), "zhou").await;
    let dir = tempfile::tempdir().unwrap();
    let export = |name: &str| dir.path().join(name);
    let chart = request("cn-0001", ExportScope::Chart, "en");

    zhou.export_pdf(&chart, &export("sealed.pdf"))
        .await
        .unwrap();
    zhou.break_glass("cn-0001", "emergency", "unconscious, no relatives")
        .await
        .unwrap();
    zhou.export_pdf(&chart, &export("unsealed.pdf"))
        .await
        .unwrap();
    zhou.end_break_glass().await;
    zhou.export_pdf(&chart, &export("again.pdf")).await.unwrap();

    let text = |name: &str| pdf_text(&export(name), None, Read::Upright);
    let sealed = text("sealed.pdf");
    assert!(sealed.contains("restricted records are sealed"));
    let unsealed = text("unsealed.pdf");
    assert!(!unsealed.contains("restricted records are sealed"));
    assert!(unsealed.contains("Break-the-glass access until"));
    assert!(unsealed.contains("张*"), "unsealing does not unmask");
    assert!(text("again.pdf").contains("restricted records are sealed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_watermark_names_the_workstation_before_login_and_turns_purple_under_break_the_glass() {
    let demo = Demo::start();
    let viewer = demo.viewer();
    let before = viewer.watermark().await;
    assert_eq!(before.lines.len(), 1, "{:?}", before.lines);
    assert!(before.lines[0].contains(" · "), "workstation · time");
    assert!((1..=60).contains(&before.refresh_in_secs));

    let zhou = logged_in(viewer, "zhou").await;
    let normal = zhou.watermark().await;
    assert_eq!(normal.lines[0], "周敏 D1003");
    assert!(!normal.break_glass);
    zhou.break_glass("cn-0001", "emergency", "chest pain, unconscious")
        .await
        .unwrap();
    let glass = zhou.watermark().await;
    assert!(glass.break_glass);
    assert_ne!(glass.color, normal.color);
    zhou.end_break_glass().await;
    assert_eq!(zhou.watermark().await.color, normal.color);

    assert!(zhou
        .report_watermark_tamper(WatermarkTamper::Removed)
        .await
        .is_ok());
}
