//! `chartguard --check`: what IT runs after installing or configuring a
//! workstation, without a window, a login or any patient data. Each check
//! prints one pass/fail line (or JSON with `--json`); a check whose
//! prerequisite failed is skipped, and the exit status is non-zero unless
//! every check passed.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::config::Config;
use crate::error::Result;

/// Clocks further apart than this break token checks and "as of" times.
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// Below this much free space the cache cannot hold a large chart.
const MIN_FREE_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    /// Not run: something it needs failed first.
    Skip,
}

/// One line of the report. `detail` names files, URLs and figures, never
/// patient data (there is none here).
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub outcome: Outcome,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub ok: bool,
    pub checks: Vec<Check>,
}

impl Report {
    fn push(&mut self, name: &'static str, result: Result<String>) -> bool {
        let (outcome, detail) = match result {
            Ok(detail) => (Outcome::Pass, detail),
            Err(e) => (Outcome::Fail, e.to_string()),
        };
        self.checks.push(Check {
            name,
            outcome,
            detail,
        });
        outcome == Outcome::Pass
    }

    fn skip(&mut self, name: &'static str, because: &str) {
        self.checks.push(Check {
            name,
            outcome: Outcome::Skip,
            detail: format!("not run: {because}"),
        });
    }

    /// The report as text, one line per check.
    pub fn lines(&self) -> String {
        let mut out = String::new();
        for check in &self.checks {
            let mark = match check.outcome {
                Outcome::Pass => "PASS",
                Outcome::Fail => "FAIL",
                Outcome::Skip => "SKIP",
            };
            out.push_str(&format!("{mark}  {:<14} {}\n", check.name, check.detail));
        }
        out.push_str(match self.ok {
            true => "all checks passed\n",
            false => "some checks failed\n",
        });
        out
    }
}

/// Runs every check against `config` (or reports why it did not load), in
/// order: config and policy, CA bundle, platform, clock, login service,
/// keyring, cache and audit folders, free disk, the audit trail.
pub async fn run(config: Result<Config>, source: &str) -> Report {
    let mut report = Report {
        ok: false,
        checks: Vec::new(),
    };
    let config = match config {
        Ok(config) => {
            report.push("config", Ok(source.to_owned()));
            config
        }
        Err(e) => {
            report.push("config", Err(e));
            for name in [
                "policy",
                "CA bundle",
                "platform",
                "clock",
                "login service",
                "keyring",
                "cache folder",
                "audit folder",
                "free disk",
                "audit trail",
            ] {
                report.skip(name, "the config did not load");
            }
            return report;
        }
    };
    let privacy = crate::policy::Privacy::load(config.policy.file.as_deref());
    report.push(
        "policy",
        privacy.policy().map(|_| match &config.policy.file {
            Some(path) => path.display().to_string(),
            None => "the built-in default".to_owned(),
        }),
    );
    let tls = report.push("CA bundle", ca_bundle(&config));
    if tls {
        match platform(&config).await {
            Ok((detail, date)) => {
                report.push("platform", Ok(detail));
                report.push("clock", clock(date));
            }
            Err(e) => {
                report.push("platform", Err(e));
                report.skip("clock", "the platform was not reached");
            }
        }
        report.push("login service", login_service(&config).await);
    } else {
        for name in ["platform", "clock", "login service"] {
            report.skip(name, "the CA bundle did not load");
        }
    }
    report.push(
        "keyring",
        crate::secrets::probe()
            .await
            .map(|()| "stores, returns and deletes a secret".to_owned()),
    );
    let cache_dir = config.cache.dir();
    report.push(
        "cache folder",
        config.cache.dir().and_then(|dir| writable(&dir)),
    );
    report.push(
        "audit folder",
        config.audit.dir().and_then(|dir| writable(&dir)),
    );
    match &cache_dir {
        Ok(dir) => {
            report.push("free disk", free_disk(dir));
        }
        Err(_) => report.skip("free disk", "no cache folder"),
    }
    report.push("audit trail", audit_trail(&config).await);
    report.ok = report.checks.iter().all(|c| c.outcome == Outcome::Pass);
    report
}

fn ca_bundle(config: &Config) -> Result<String> {
    crate::tls::client_config(config)?;
    Ok(match &config.tls.ca_bundle {
        Some(path) => format!("{} loads", path.display()),
        None => "the OS trust store".to_owned(),
    })
}

async fn platform(config: &Config) -> Result<(String, Option<SystemTime>)> {
    let platform = crate::platform::Platform::new(config)?;
    let started = Instant::now();
    let (version, date) = platform.capability().await?;
    Ok((
        format!(
            "{}: TLS and metadata, FHIR {version} ({} ms)",
            config.platform.base_url,
            started.elapsed().as_millis()
        ),
        date,
    ))
}

/// The workstation's clock against the platform's `Date` (if it sent one).
fn clock(platform: Option<SystemTime>) -> Result<String> {
    let Some(platform) = platform else {
        return Ok("the platform sent no Date; not compared".into());
    };
    let skew = match SystemTime::now().duration_since(platform) {
        Ok(behind) => behind,
        Err(ahead) => ahead.duration(),
    };
    if skew > MAX_CLOCK_SKEW {
        return Err(crate::error::Error::ClockSkew);
    }
    Ok(format!("within {} s of the platform's", skew.as_secs()))
}

async fn login_service(config: &Config) -> Result<String> {
    let keys = crate::auth::Idp::new(config)?.signing_keys().await?;
    if keys == 0 {
        return Err(crate::error::Error::Idp(
            "its JWKS holds no signing key".into(),
        ));
    }
    Ok(format!(
        "{}: discovery and {keys} signing key(s)",
        config.idp.issuer
    ))
}

/// Makes the folder if needed (private), writes and removes a file in it.
fn writable(dir: &Path) -> Result<String> {
    crate::cache::create_private_dir(dir)?;
    let probe = dir.join(".chartguard-check");
    std::fs::write(&probe, b"check")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| {
            crate::error::Error::Config(format!("{} is not writable: {}", dir.display(), e.kind()))
        })?;
    Ok(format!("{} writable", dir.display()))
}

fn free_disk(dir: &Path) -> Result<String> {
    let free = fs4::available_space(dir).map_err(|e| {
        crate::error::Error::Config(format!(
            "free space of {} unknown: {}",
            dir.display(),
            e.kind()
        ))
    })?;
    let gib = free as f64 / f64::from(1u32 << 30);
    if free < MIN_FREE_BYTES {
        return Err(crate::error::Error::DiskFull);
    }
    Ok(format!("{gib:.1} GiB free for the cache"))
}

async fn audit_trail(config: &Config) -> Result<String> {
    let path = crate::audit::trail_path(config)?;
    if !std::fs::metadata(&path).is_ok_and(|m| m.len() > 0) {
        return Ok("none yet (made at the first login)".to_owned());
    }
    let report = crate::audit::verify(config).await?;
    match report.ok {
        true => Ok(format!("{} records, the chain holds", report.checked)),
        false => Err(crate::error::Error::Usage(format!(
            "broken at record #{}: {}",
            report.first_broken.unwrap_or_default(),
            report.problem.unwrap_or_default()
        ))),
    }
}
