//! What masking and sanitising cost: the largest Synthea chart as the
//! `clinician` tier sees it, against a warm open of the same chart from the
//! encrypted cache. Run with `scripts/bench.sh mask`; the last line is the
//! figure line.

use std::io::Write as _;

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let bundle = chartguard::bench::largest_synthea_bundle()?;
    let work = tempfile::tempdir()?;
    let runs = 21;
    let report = chartguard::bench::mask_run(&bundle, work.path(), runs)?;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let warm = ms(report.warm_open);
    let mask = ms(report.mask_only);
    let mib = report.bundle_bytes as f64 / f64::from(1 << 20);
    let per_resource_us = mask * 1000.0 / report.shown_records as f64;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "chart: largest Synthea bundle, {} bytes; {} resources, {} of them clinical (billing never enters a chart)",
        report.bundle_bytes, report.resources, report.shown_records
    )?;
    writeln!(out, "medians of {runs} runs, the opens alternating")?;
    writeln!(out, "{:<66} {:>9}", "step", "ms")?;
    let rows = [
        (
            "warm open: SQLCipher cache -> view model, nothing masked",
            warm,
        ),
        (
            "warm open as the clinician tier (reopen: scrubber kept)",
            ms(report.clinician_open),
        ),
        (
            "warm open as the clinician tier (first open: scrubber built)",
            ms(report.first_clinician_open),
        ),
        ("masking engine alone (seal, sanitise, mask, scrub)", mask),
        ("masking per resource shown (microseconds)", per_resource_us),
        ("masking per MB of bundle", mask / mib),
        ("overhead: masking engine / warm open", mask / warm),
    ];
    for (step, value) in rows {
        writeln!(out, "{step:<66} {value:>9.2}")?;
    }
    writeln!(
        out,
        "mask_ms={mask:.2} warm_open_ms={warm:.2} overhead={:.2} per_resource_us={per_resource_us:.1} per_mb_ms={:.2} clinician_open_ms={:.2} first_open_ms={:.2}",
        mask / warm,
        mask / mib,
        ms(report.clinician_open),
        ms(report.first_clinician_open)
    )?;
    Ok(())
}
