//! What masking and sanitising cost: the largest Synthea chart as the
//! `clinician` tier sees it, against a warm open of the same chart from the
//! encrypted cache. Run with `scripts/bench.sh mask`; the last line is the
//! figure line.

use std::io::Write as _;
use std::path::PathBuf;

type Failure = Box<dyn std::error::Error>;

fn fixtures() -> PathBuf {
    std::env::var_os("CHARTGUARD_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"))
}

fn largest_synthea_bundle() -> Result<PathBuf, Failure> {
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(fixtures().join("synthea"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            name.ends_with(".json")
                && !name.starts_with("hospital")
                && !name.starts_with("practitioner")
        })
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.len(), p)))
        .collect();
    files.sort();
    Ok(files.pop().ok_or("no Synthea bundles in the fixtures")?.1)
}

fn main() -> Result<(), Failure> {
    let bundle = largest_synthea_bundle()?;
    let work = tempfile::tempdir()?;
    let runs = 21;
    let report = chartguard::bench::mask_run(&bundle, work.path(), runs)?;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let warm = ms(report.warm_open);
    let masked = ms(report.clinician_open);
    let mask = (masked - warm).max(0.0);
    let mib = report.bundle_bytes as f64 / f64::from(1 << 20);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "chart: largest Synthea bundle, {} bytes; {} resources",
        report.bundle_bytes, report.resources
    )?;
    writeln!(out, "medians of {runs} runs, the two opens alternating")?;
    writeln!(out, "{:<64} {:>9}", "step", "ms")?;
    let rows = [
        (
            "warm open: SQLCipher cache -> view model, nothing masked",
            warm,
        ),
        (
            "warm open as the clinician tier (seal, sanitise, mask, scrub)",
            masked,
        ),
        ("masking + sanitising (the difference)", mask),
        (
            "first open of the patient in a session (scrubber built too)",
            ms(report.first_clinician_open),
        ),
        (
            "masking per resource (microseconds)",
            mask * 1000.0 / report.resources as f64,
        ),
        ("masking per MB of bundle", mask / mib),
        ("overhead: masking / warm open", mask / warm),
    ];
    for (step, value) in rows {
        writeln!(out, "{step:<64} {value:>9.2}")?;
    }
    writeln!(
        out,
        "mask_ms={mask:.2} warm_open_ms={warm:.2} overhead={:.2} per_resource_us={:.1} per_mb_ms={:.2}",
        mask / warm,
        mask * 1000.0 / report.resources as f64,
        mask / mib
    )?;
    Ok(())
}
