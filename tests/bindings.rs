//! The TypeScript types in `ui/src/bindings/` are generated from the core's
//! view types. This test regenerates them and fails when the checked-in
//! files differ; `UPDATE_BINDINGS=1 cargo test bindings` rewrites them.

use std::collections::BTreeMap;
use std::path::Path;

use chartguard::view::{
    AccessLog, AppInfo, AuditStatus, Chart, ErrorPayload, ExportReceipt, ExportRequest,
    FetchProgressView, ReferralInbox, SearchResults, SessionInfo, WatermarkTamper, WatermarkView,
};
use ts_rs::TS;

fn generate(dir: &Path) {
    let cfg = ts_rs::Config::new().with_out_dir(dir);
    AppInfo::export_all(&cfg).unwrap();
    SessionInfo::export_all(&cfg).unwrap();
    SearchResults::export_all(&cfg).unwrap();
    FetchProgressView::export_all(&cfg).unwrap();
    Chart::export_all(&cfg).unwrap();
    ErrorPayload::export_all(&cfg).unwrap();
    WatermarkView::export_all(&cfg).unwrap();
    WatermarkTamper::export_all(&cfg).unwrap();
    ExportRequest::export_all(&cfg).unwrap();
    ExportReceipt::export_all(&cfg).unwrap();
    ReferralInbox::export_all(&cfg).unwrap();
    AccessLog::export_all(&cfg).unwrap();
    AuditStatus::export_all(&cfg).unwrap();
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "ts"))
                .map(|p| {
                    (
                        p.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read_to_string(&p).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn ui_bindings_match_the_core_types() {
    let checked_in = crate::support::repo_root().join("ui/src/bindings");
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        for name in read_dir(&checked_in).keys() {
            std::fs::remove_file(checked_in.join(name)).unwrap();
        }
        generate(&checked_in);
    }
    let fresh = tempfile::tempdir().unwrap();
    generate(fresh.path());
    let expected = read_dir(fresh.path());
    assert!(expected.contains_key("Chart.ts"));
    assert_eq!(
        read_dir(&checked_in),
        expected,
        "ui/src/bindings is out of date: run `UPDATE_BINDINGS=1 cargo test --test integration bindings`"
    );
}
