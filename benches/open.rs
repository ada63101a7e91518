//! How fast a chart opens, measured on real components in one run: the
//! largest Synthea patient from the demo platform over loopback TLS, the
//! encrypted cache, and baselines on the same machine at the same time
//! (unencrypted SQLite with the same schema, a bare JSON parse, bare GETs).
//!
//! `scripts/bench.sh` runs it; the last line printed is the figure line.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use chartguard::Config;
use serde_json::Value;

type Failure = Box<dyn std::error::Error>;

/// The largest Synthea patient bundle and its patient's id.
fn largest_synthea_patient() -> Result<(PathBuf, String), Failure> {
    let file = chartguard::bench::largest_synthea_bundle()?;
    let bundle: Value = serde_json::from_slice(&std::fs::read(&file)?)?;
    let id = bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["resource"]["resourceType"] == "Patient")
        .and_then(|e| e["fullUrl"].as_str())
        .and_then(|url| url.strip_prefix("urn:uuid:"))
        .ok_or("no patient in the bundle")?
        .to_owned();
    Ok((file, id))
}

fn main() -> Result<(), Failure> {
    let (bundle, patient_id) = largest_synthea_patient()?;
    let work = tempfile::tempdir()?;
    let sim_bin = std::env::var_os("CHARTGUARD_SIM_BIN").ok_or("set CHARTGUARD_SIM_BIN")?;
    let certs = work.path().join("certs");
    let status = Command::new(&sim_bin)
        .arg("certs")
        .arg("--dir")
        .arg(&certs)
        .status()?;
    if !status.success() {
        return Err("platform-sim certs failed".into());
    }
    let mut sim = Command::new(&sim_bin)
        .args(["serve", "--no-auth", "--port", "0", "--dir"])
        .arg(&certs)
        .arg("--fixtures")
        .arg(chartguard::bench::fixtures_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut ready = String::new();
    BufReader::new(sim.stdout.take().ok_or("no stdout")?).read_line(&mut ready)?;
    let platform_url = ready
        .strip_prefix("READY ")
        .ok_or("platform-sim did not start")?
        .trim();

    let config = Config::from_toml(&format!(
        "[platform]\nbase_url = \"{platform_url}\"\n\n[idp]\nissuer = \"https://127.0.0.1:9\"\n\
         client_id = \"bench\"\n\n[tls]\nca_bundle = {:?}\n",
        certs.join("ca.pem")
    ))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let runs = 7;
    let report = runtime.block_on(chartguard::bench::run(
        &config,
        &patient_id,
        &bundle,
        work.path(),
        runs,
    ));
    let _ = sim.kill();
    let report = report?;

    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let ratio = report.warm_open.as_secs_f64() / report.plaintext_open.as_secs_f64();
    let fresh_ratio = report.fresh_connection_open.as_secs_f64()
        / report.fresh_connection_plaintext.as_secs_f64();
    let rows = [
        (
            "warm open: SQLCipher cache -> view model (session connection)",
            ms(report.warm_open),
        ),
        (
            "baseline: same from plaintext SQLite, same schema",
            ms(report.plaintext_open),
        ),
        (
            "warm open through a fresh connection (no page cache)",
            ms(report.fresh_connection_open),
        ),
        (
            "baseline: same from plaintext SQLite",
            ms(report.fresh_connection_plaintext),
        ),
        (
            "baseline: serde_json parse of the bundle file",
            ms(report.raw_parse),
        ),
        (
            "cold open: platform over TLS -> view model -> cache",
            ms(report.cold_open),
        ),
        ("baseline: plain GETs of the same pages", ms(report.raw_get)),
        ("encrypted / plaintext (session connection)", ratio),
        ("encrypted / plaintext (fresh connection)", fresh_ratio),
    ];
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "chart: largest Synthea bundle, {} bytes; {} resources in {} pages",
        report.bundle_bytes, report.resources, report.pages
    )?;
    writeln!(
        out,
        "medians of {runs} runs (opens and parse: {} runs)",
        runs * 4
    )?;
    writeln!(out, "{:<64} {:>9}", "step", "ms")?;
    for (step, value) in rows {
        writeln!(out, "{step:<64} {value:>9.2}")?;
    }
    writeln!(
        out,
        "warm_open_ms={:.2} plaintext_ms={:.2} ratio={:.2} fresh_conn_ms={:.2} fresh_conn_plaintext_ms={:.2} fresh_ratio={:.2} parse_ms={:.2} cold_open_ms={:.2} raw_get_ms={:.2}",
        ms(report.warm_open),
        ms(report.plaintext_open),
        ratio,
        ms(report.fresh_connection_open),
        ms(report.fresh_connection_plaintext),
        fresh_ratio,
        ms(report.raw_parse),
        ms(report.cold_open),
        ms(report.raw_get)
    )?;
    Ok(())
}
