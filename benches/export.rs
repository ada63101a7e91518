//! What a PDF export of the largest Synthea chart costs (the whole chart,
//! watermark on every page, font subset and embedded), beside building the
//! same chart as an open does. Target: under 1 s. Run with
//! `scripts/bench.sh export`; the last line is the figure line.

use std::io::Write as _;

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let bundle = chartguard::bench::largest_synthea_bundle()?;
    let runs = 11;
    let report = chartguard::bench::export_run(&bundle, runs)?;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "chart: largest Synthea bundle, {} bytes, {} resources; exported whole, treating tier, zh-CN",
        report.bundle_bytes, report.resources
    )?;
    writeln!(out, "medians of {runs} runs")?;
    writeln!(out, "{:<60} {:>9}", "step", "ms")?;
    let rows = [
        (
            "baseline: build the chart (mask + view model)",
            ms(report.open),
        ),
        (
            "font: read the CJK font file, find its face",
            ms(report.font_load),
        ),
        (
            "render: layout, watermark, subset, compress",
            ms(report.render),
        ),
        ("export: font + render (target < 1000)", ms(report.export)),
        ("export / baseline", ms(report.export) / ms(report.open)),
    ];
    for (step, value) in rows {
        writeln!(out, "{step:<60} {value:>9.2}")?;
    }
    writeln!(
        out,
        "export_ms={:.1} pages={} bytes={} open_ms={:.1} font_ms={:.1} render_ms={:.1}",
        ms(report.export),
        report.pages,
        report.bytes,
        ms(report.open),
        ms(report.font_load),
        ms(report.render)
    )?;
    Ok(())
}
