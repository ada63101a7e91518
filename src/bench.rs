//! Timings of the steps of opening a chart, on the real components, for
//! `benches/open.rs` (cargo feature `bench`; not part of the app). Each
//! figure is the median of several runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use url::Url;

use crate::cache::Cache;
use crate::config::Config;
use crate::error::{Error, Remote, Result};
use crate::platform::{next_link, Platform, PAGE_SIZE};
use crate::secrets::CacheKey;
use crate::view::Freshness;

#[derive(Debug)]
pub struct Report {
    /// Encrypted cache → view model ready for the UI, through the session's
    /// long-lived connection (as in the app, which opens the cache at login).
    pub warm_open: Duration,
    /// The same from an unencrypted SQLite file with the same schema.
    pub plaintext_open: Duration,
    /// Encrypted, through a freshly opened connection each time: no page
    /// decrypted before is still in SQLite's cache (the worst case).
    pub fresh_connection_open: Duration,
    /// The same from the unencrypted file.
    pub fresh_connection_plaintext: Duration,
    /// `serde_json` parse of the fixture bundle file alone.
    pub raw_parse: Duration,
    /// Platform over loopback TLS → view model → written to the cache.
    pub cold_open: Duration,
    /// Plain GETs of the same pages, bodies read, nothing parsed.
    pub raw_get: Duration,
    pub resources: usize,
    pub pages: usize,
    pub bundle_bytes: usize,
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(f: impl FnOnce() -> Result<T>) -> Result<(Duration, T)> {
    let started = Instant::now();
    let value = f()?;
    Ok((started.elapsed(), value))
}

/// The fixtures folder: `CHARTGUARD_FIXTURES`, else `../shared/fixtures`
/// beside the repository.
pub fn fixtures_dir() -> PathBuf {
    std::env::var_os("CHARTGUARD_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"))
}

/// The largest Synthea patient bundle of the fixtures (the hospital and
/// practitioner bundles are not patients).
pub fn largest_synthea_bundle() -> Result<PathBuf> {
    let dir = fixtures_dir().join("synthea");
    let entries = std::fs::read_dir(&dir).map_err(|_| Error::Internal("no Synthea fixtures"))?;
    entries
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
        .max()
        .map(|(_, p)| p)
        .ok_or(Error::Internal("no Synthea bundles in the fixtures"))
}

/// Measures opening `patient_id` from a platform that does not check tokens
/// (the demo platform with `--no-auth`), with scratch files in `work_dir`.
pub async fn run(
    config: &Config,
    patient_id: &str,
    bundle_file: &Path,
    work_dir: &Path,
    runs: usize,
) -> Result<Report> {
    let platform = Platform::new(config)?;
    let token = "benchmark";
    let freshness = || Freshness {
        as_of: "2026-01-01T00:00:00Z".into(),
        from_cache: false,
    };
    let key = CacheKey::random();
    let privacy = crate::policy::Privacy::load(None);
    // What a treating doctor's open costs: the default policy's full tier
    // (records sealed and narratives sanitised; nothing masked).
    let view_as = |tier: &str, resources: Vec<Value>| {
        crate::mask::chart_view_as(&privacy, tier, patient_id, resources, freshness())
    };

    let mut cold = Vec::new();
    let mut resources = Vec::new();
    let mut encrypted = None;
    for run in 0..runs {
        let mut cache = Cache::open(&work_dir.join(format!("cold-{run}")), "bench", &key)?;
        let started = Instant::now();
        resources = platform.history(token, patient_id, None).await?.resources;
        // A copy, as in the app: the unmasked history goes to the cache.
        view_as("treating", resources.clone())?;
        cache.store_history(patient_id, &resources, SystemTime::now())?;
        cold.push(started.elapsed());
        encrypted = Some(cache);
    }
    let encrypted = encrypted.ok_or(Error::Internal("no benchmark runs"))?;

    let pages = page_urls(config, patient_id).await?;
    let http = crate::tls::http_client(config, Duration::from_secs(60))?;
    let mut raw_get = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        for page in &pages {
            let response = http.get(page.clone()).bearer_auth(token).send().await;
            let response = response.map_err(|e| Error::from_http(Remote::Platform, &e))?;
            response
                .bytes()
                .await
                .map_err(|e| Error::from_http(Remote::Platform, &e))?;
        }
        raw_get.push(started.elapsed());
    }

    let plain_path = work_dir.join("plain.db");
    Cache::open_plain_for_benchmark(&plain_path)?.store_history(
        patient_id,
        &resources,
        SystemTime::now(),
    )?;
    let open_from = |cache: &Cache| -> Result<Duration> {
        let (elapsed, _) = time(|| {
            let history = cache.load_history(patient_id)?.ok_or(Error::NotFound)?;
            view_as("treating", history.resources)
        })?;
        Ok(elapsed)
    };
    // The two kinds alternate so that neither gets a warmer machine.
    let encrypted_dir = work_dir.join(format!("cold-{}", runs - 1));
    drop(encrypted);
    let (mut fresh, mut fresh_plain) = (Vec::new(), Vec::new());
    for _ in 0..runs * 4 {
        fresh.push(open_from(&Cache::open(&encrypted_dir, "bench", &key)?)?);
        fresh_plain.push(open_from(&Cache::open_plain_for_benchmark(&plain_path)?)?);
    }
    let (mut warm, mut plaintext) = (Vec::new(), Vec::new());
    let session = Cache::open(&encrypted_dir, "bench", &key)?;
    let session_plain = Cache::open_plain_for_benchmark(&plain_path)?;
    for _ in 0..runs * 4 {
        warm.push(open_from(&session)?);
        plaintext.push(open_from(&session_plain)?);
    }

    let bytes = std::fs::read(bundle_file).map_err(|_| Error::Internal("fixture unreadable"))?;
    let mut parse = Vec::new();
    for _ in 0..runs * 4 {
        let (elapsed, _) = time(|| {
            serde_json::from_slice::<Value>(&bytes)
                .map_err(|_| Error::Malformed(Remote::Platform, "fixture"))
        })?;
        parse.push(elapsed);
    }

    Ok(Report {
        warm_open: median(warm),
        plaintext_open: median(plaintext),
        fresh_connection_open: median(fresh),
        fresh_connection_plaintext: median(fresh_plain),
        raw_parse: median(parse),
        cold_open: median(cold),
        raw_get: median(raw_get),
        resources: resources.len(),
        pages: pages.len(),
        bundle_bytes: bytes.len(),
    })
}

/// What masking costs, for `benches/mask.rs`.
#[derive(Debug)]
pub struct MaskReport {
    /// Encrypted cache (session connection) → the view model, nothing
    /// masked: the warm open of the cache benchmark.
    pub warm_open: Duration,
    /// The same open as the `clinician` tier sees it: sealing, sanitising,
    /// masking and free-text scrubbing before the chart is built (the
    /// patient's scrubber kept from an earlier open, as on every reopen).
    pub clinician_open: Duration,
    /// The same, the first time the patient is opened in the session: the
    /// patient's scrubber is built as well.
    pub first_clinician_open: Duration,
    /// The masking engine alone (seal, sanitise, mask, scrub) over the
    /// records a chart holds, for the `clinician` tier.
    pub mask_only: Duration,
    /// How many records a chart holds (billing records never enter one).
    pub shown_records: usize,
    pub resources: usize,
    pub bundle_bytes: usize,
}

/// A bundle's resources, its size in bytes, and its patient's id.
fn read_patient_bundle(bundle_file: &Path) -> Result<(Vec<Value>, usize, String)> {
    let resources = crate::preview::read_bundle(bundle_file)?;
    let bundle_bytes = std::fs::metadata(bundle_file).map_or(0, |m| m.len() as usize);
    let patient_id = resources
        .iter()
        .find(|r| crate::fhir::resource_type(r) == Some("Patient"))
        .and_then(|r| crate::fhir::id(r))
        .ok_or(Error::Internal("no patient in the bundle"))?
        .to_owned();
    Ok((resources, bundle_bytes, patient_id))
}

/// Times a warm open of the bundle's patient from the encrypted cache,
/// unmasked and as the `clinician` tier, alternating the two.
pub fn mask_run(bundle_file: &Path, work_dir: &Path, runs: usize) -> Result<MaskReport> {
    let (resources, bundle_bytes, patient_id) = read_patient_bundle(bundle_file)?;
    let freshness = || Freshness {
        as_of: "2026-01-01T00:00:00Z".into(),
        from_cache: true,
    };
    let privacy = crate::policy::Privacy::load(None);
    let mut cache = Cache::open(work_dir, "bench", &CacheKey::random())?;
    cache.store_history(&patient_id, &resources, SystemTime::now())?;
    let load = || cache.load_history(&patient_id)?.ok_or(Error::NotFound);
    let open_as_clinician = |privacy: &crate::policy::Privacy| -> Result<Duration> {
        let (elapsed, _) = time(|| {
            let history = load()?;
            crate::mask::chart_view_as(
                privacy,
                "clinician",
                &patient_id,
                history.resources,
                freshness(),
            )
        })?;
        Ok(elapsed)
    };
    let policy = privacy.policy()?;
    let (tier_name, tier) = policy
        .tiers
        .get_key_value("clinician")
        .ok_or(Error::Internal("no clinician tier"))?;
    let access = crate::policy::Access {
        tier_name,
        tier,
        grounds: crate::policy::Grounds::Role,
        break_glass: false,
    };
    let shown = |mut records: Vec<Value>| {
        records.retain(|r| {
            crate::fhir::resource_type(r)
                .is_some_and(|t| policy.records.types.iter().any(|s| s == t))
        });
        records
    };
    let shown_records = shown(resources.clone()).len();
    let (mut warm, mut clinician, mut first, mut mask_only) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let records = shown(load()?.resources);
        let started = Instant::now();
        let masked = crate::mask::engine::mask_records(
            policy,
            &access,
            records,
            privacy.key(),
            privacy.scrubbers(),
        );
        mask_only.push(started.elapsed());
        drop(masked);
        // A new Privacy has no scrubber kept: the patient's first open.
        first.push(open_as_clinician(&crate::policy::Privacy::load(None))?);
        warm.push(
            time(|| {
                let history = load()?;
                crate::chart::build_chart(
                    &patient_id,
                    &history.resources,
                    freshness(),
                    unmasked_access(),
                )
            })?
            .0,
        );
        clinician.push(open_as_clinician(&privacy)?);
    }
    Ok(MaskReport {
        warm_open: median(warm),
        clinician_open: median(clinician),
        first_clinician_open: median(first),
        mask_only: median(mask_only),
        shown_records,
        resources: resources.len(),
        bundle_bytes,
    })
}

fn unmasked_access() -> crate::view::AccessView {
    crate::view::AccessView {
        tier: "none".into(),
        grounds: crate::view::AccessGrounds::Role,
        masked: false,
        can_break_glass: false,
        break_glass_until: None,
    }
}

/// The `$everything` page URLs of the patient, found by one untimed pass.
async fn page_urls(config: &Config, patient_id: &str) -> Result<Vec<Url>> {
    let http = crate::tls::http_client(config, Duration::from_secs(60))?;
    let mut base = config.platform.base_url.clone();
    base.set_path(&format!("{}/", base.path().trim_end_matches('/')));
    let mut next = Some(
        base.join(&format!(
            "Patient/{patient_id}/$everything?_count={PAGE_SIZE}"
        ))
        .map_err(|_| Error::Internal("page URL"))?,
    );
    let mut pages = Vec::new();
    while let Some(url) = next.take() {
        let response = http.get(url.clone()).bearer_auth("benchmark").send().await;
        let bundle: Value = response
            .map_err(|e| Error::from_http(Remote::Platform, &e))?
            .json()
            .await
            .map_err(|e| Error::from_http(Remote::Platform, &e))?;
        pages.push(url);
        next = next_link(&bundle).and_then(|link| base.join(link).ok());
        if pages.len() > 1000 {
            return Err(Error::Malformed(Remote::Platform, "too many pages"));
        }
    }
    Ok(pages)
}

#[derive(Debug)]
pub struct ExportReport {
    /// The baseline: masking and building the chart from its records, as
    /// opening it does.
    pub open: Duration,
    /// Reading the font file and finding its Chinese face.
    pub font_load: Duration,
    /// Layout, drawing, font subsetting and compression of the whole chart.
    pub render: Duration,
    /// What a doctor waits for once the chart is built: font and render.
    pub export: Duration,
    pub pages: u32,
    pub bytes: usize,
    pub resources: usize,
    pub bundle_bytes: usize,
}

/// Times an export of the whole chart of the bundle's patient, as the
/// `treating` tier sees it (the most text), against building that chart.
pub fn export_run(bundle_file: &Path, runs: usize) -> Result<ExportReport> {
    use crate::export::{self, ExportFont, Footer, Labels, Purpose};
    use crate::view::ExportScope;
    let (resources, bundle_bytes, patient_id) = read_patient_bundle(bundle_file)?;
    let privacy = crate::policy::Privacy::load(None);
    let freshness = || Freshness {
        as_of: "2026-01-01T00:00:00Z".into(),
        from_cache: true,
    };
    let stamp = crate::watermark::Stamp {
        person: Some(crate::watermark::Person {
            name: "王毅",
            staff_no: Some("D1001"),
            department: None,
            session_ref: "S-BENCH000",
        }),
        workstation: "WS-BENCH",
        time: "2026-01-01 09:30",
        break_glass: false,
        refresh_in_secs: 60,
    };
    let mark = crate::watermark::spec(&privacy.policy()?.watermark, &stamp);
    let footer = Footer {
        export_id: "E-BENCH000",
        purpose: Purpose::Export,
        exporter: "王毅 D1001",
        time: "2026-01-01 09:30",
        zone: chrono::FixedOffset::east_opt(8 * 3600).ok_or(Error::Internal("zone"))?,
    };
    let (mut open, mut font_load, mut render, mut export_total) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut pages, mut bytes) = (0, 0);
    for _ in 0..runs {
        let records = resources.clone();
        let (opened, chart) = time(|| {
            crate::mask::chart_view_as(&privacy, "treating", &patient_id, records, freshness())
        })?;
        open.push(opened);
        let (loaded, font) = time(|| ExportFont::load(None))?;
        let (rendered, pdf) = time(|| {
            export::render(
                &chart,
                ExportScope::Chart,
                &[],
                Labels::for_locale("zh-CN"),
                &mark,
                &footer,
                &font,
            )
        })?;
        font_load.push(loaded);
        render.push(rendered);
        export_total.push(loaded + rendered);
        (pages, bytes) = (pdf.pages, pdf.bytes.len());
    }
    Ok(ExportReport {
        open: median(open),
        font_load: median(font_load),
        render: median(render),
        export: median(export_total),
        pages,
        bytes,
        resources: resources.len(),
        bundle_bytes,
    })
}
