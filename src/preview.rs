//! `chartguard policy preview`: the privacy office's dry run. Shows, as
//! JSON, the chart the core would send to the UI for one tier (or for the
//! tier some token claims resolve to) from a FHIR bundle on disk: masked,
//! sealed and sanitised. No window, no login, no network.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::export;
use crate::fhir::{resource_type, str_field};
use crate::mask;
use crate::policy::{Privacy, Who};
use crate::view::{Chart, ExportScope, Freshness};
use crate::watermark::{self, Person, Stamp};

/// The largest bundle the preview reads.
const MAX_BUNDLE_BYTES: u64 = 256 << 20;

/// What to preview.
#[derive(Debug, Clone)]
pub struct PreviewRequest {
    pub policy: PathBuf,
    /// The tier to show; with `claims` too, the claims must resolve to it.
    pub tier: Option<String>,
    /// Token claims (`roles`, `groups`, `department`, `staff_no`) to resolve
    /// the tier from, as the app would.
    pub claims: Option<PathBuf>,
    pub bundle: PathBuf,
}

/// The claims file of a preview.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Claims {
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    department: Option<String>,
    staff_no: Option<String>,
}

/// Runs a preview; the JSON of the chart on success.
pub fn policy_preview(request: &PreviewRequest) -> Result<String> {
    serde_json::to_string_pretty(&preview_chart(request)?.1)
        .map_err(|_| Error::Internal("the chart could not be written as JSON"))
}

/// Runs a preview; the PDF an export of the whole chart would be for that
/// tier, with labels in `locale`, marked "policy preview" where an export
/// names the doctor and its ID.
pub fn preview_pdf(request: &PreviewRequest, locale: &str) -> Result<Vec<u8>> {
    let (privacy, chart) = preview_chart(request)?;
    let now = chrono::Local::now();
    let time = watermark::local_minute(now);
    let workstation = gethostname::gethostname().to_string_lossy().into_owned();
    let stamp = Stamp {
        person: Some(Person {
            name: PREVIEW_MARK,
            staff_no: None,
            department: None,
            session_ref: "",
        }),
        workstation: &workstation,
        time: &time,
        break_glass: false,
        refresh_in_secs: 60,
    };
    let mark = watermark::spec(&privacy.policy()?.watermark, &stamp);
    let footer = export::Footer {
        export_id: PREVIEW_MARK,
        purpose: export::Purpose::Export,
        exporter: PREVIEW_MARK,
        time: &time,
        zone: *now.offset(),
    };
    let labels = export::Labels::for_locale(locale);
    Ok(export::document(
        &chart,
        ExportScope::Chart,
        &[],
        labels,
        &mark,
        &footer,
        None,
    )?
    .bytes)
}

/// What a preview's PDF names in place of a doctor and an export ID.
const PREVIEW_MARK: &str = "POLICY PREVIEW";

/// The previewed policy and the chart it makes.
fn preview_chart(request: &PreviewRequest) -> Result<(Privacy, Chart)> {
    let privacy = Privacy::load(Some(&request.policy));
    privacy.policy()?;
    let records = read_bundle(&request.bundle)?;
    let patient_id = records
        .iter()
        .find(|r| resource_type(r) == Some("Patient"))
        .and_then(|p| str_field(p, "id"))
        .ok_or_else(|| usage("the bundle holds no Patient with an id"))?
        .to_owned();
    let freshness = Freshness {
        as_of: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        from_cache: false,
    };
    let chart = match (&request.claims, &request.tier) {
        (Some(claims), tier) => {
            let claims = read_claims(claims)?;
            let who = Who {
                roles: &claims.roles,
                groups: &claims.groups,
                department: claims.department.as_deref(),
                staff_no: claims.staff_no.as_deref(),
            };
            let chart = mask::chart_view(&privacy, who, &patient_id, records, freshness, None)?;
            if let Some(tier) = tier.as_ref().filter(|t| **t != chart.access.tier) {
                return Err(usage(&format!(
                    "the claims resolve to tier {:?}, not {tier:?}",
                    chart.access.tier
                )));
            }
            chart
        }
        (None, Some(tier)) => mask::chart_view_as(&privacy, tier, &patient_id, records, freshness)?,
        (None, None) => return Err(usage("give --tier or --claims")),
    };
    Ok((privacy, chart))
}

fn usage(message: &str) -> Error {
    Error::Usage(message.to_owned())
}

fn read_claims(path: &Path) -> Result<Claims> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        usage(&format!(
            "{}: cannot be read ({})",
            path.display(),
            e.kind()
        ))
    })?;
    serde_json::from_str(&text)
        .map_err(|e| usage(&format!("{}: not a claims object: {e}", path.display())))
}

/// The resources of a bundle file (any bundle type, or one resource), with
/// `urn:uuid:` references of transaction bundles turned into `Type/id` as a
/// server would store them.
pub(crate) fn read_bundle(path: &Path) -> Result<Vec<Value>> {
    let unreadable = |why: &str| usage(&format!("{}: {why}", path.display()));
    let size = std::fs::metadata(path)
        .map_err(|e| unreadable(&format!("cannot be read ({})", e.kind())))?
        .len();
    if size > MAX_BUNDLE_BYTES {
        return Err(unreadable("larger than a preview reads (256 MiB)"));
    }
    let text =
        std::fs::read(path).map_err(|e| unreadable(&format!("cannot be read ({})", e.kind())))?;
    let value: Value =
        serde_json::from_slice(&text).map_err(|_| unreadable("is not valid JSON"))?;
    if resource_type(&value) != Some("Bundle") {
        return match resource_type(&value) {
            Some(_) => Ok(vec![value]),
            None => Err(unreadable("is neither a FHIR Bundle nor a resource")),
        };
    }
    let entries = value
        .get("entry")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut targets = HashMap::new();
    let mut records = Vec::new();
    for entry in entries {
        let Some(mut resource) = entry.get("resource").cloned() else {
            continue;
        };
        let full_url = str_field(&entry, "fullUrl").map(str::to_owned);
        if let (Some(url), Some(ty)) = (&full_url, resource_type(&resource).map(str::to_owned)) {
            let id = match str_field(&resource, "id") {
                Some(id) => id.to_owned(),
                None => {
                    let id = url.trim_start_matches("urn:uuid:").to_owned();
                    resource["id"] = Value::String(id.clone());
                    id
                }
            };
            targets.insert(url.clone(), format!("{ty}/{id}"));
        }
        records.push(resource);
    }
    for record in &mut records {
        resolve_references(record, &targets);
    }
    Ok(records)
}

fn resolve_references(node: &mut Value, targets: &HashMap<String, String>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("reference") {
                if let Some(target) = targets.get(reference.as_str()) {
                    *reference = target.clone();
                }
            }
            map.values_mut()
                .for_each(|v| resolve_references(v, targets));
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| resolve_references(v, targets)),
        _ => {}
    }
}
