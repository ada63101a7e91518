//! Owns loading third-party FHIR data the way a FHIR server would.
//!
//! `synthea/*.json` are transaction bundles: each entry gets the uuid of its
//! `urn:uuid:` fullUrl as id, and every `reference` equal to a loaded fullUrl
//! (or a conditional `Type?identifier=system|value`) is rewritten to `Type/id`.
//! The hospital and practitioner bundles are loaded first so that references
//! to them resolve. `hl7-examples/*.json` are single resources (or a Bundle of
//! them) and keep their ids. A file that cannot be read or parsed is logged by
//! file name only and skipped. Resources without `meta.lastUpdated` or
//! `meta.versionId` get fixed values (never the clock).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::Source;

/// `meta.lastUpdated` given to loaded resources that have none.
pub const LOADED_LAST_UPDATED: &str = "2019-06-01T00:00:00Z";

/// Resources loaded from a fixtures directory.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Loaded resources, each paired with its source.
    pub resources: Vec<(Value, Source)>,
    /// Files skipped because they could not be read or parsed.
    pub skipped: usize,
    /// References that could not be resolved (left unchanged).
    pub unresolved: usize,
}

/// Loads `dir/synthea/*.json` and `dir/hl7-examples/*.json`.
pub fn load(dir: &Path) -> Loaded {
    let mut loaded = Loaded::default();
    load_synthea(&dir.join("synthea"), &mut loaded);
    load_hl7(&dir.join("hl7-examples"), &mut loaded);
    loaded
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = read
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_json(path: &Path, loaded: &mut Loaded) -> Option<Value> {
    let parsed = std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).map_err(|e| e.to_string()));
    match parsed {
        Ok(value) => Some(value),
        Err(error) => {
            tracing::warn!(file = %file_name(path), %error, "skipping fixture file");
            loaded.skipped += 1;
            None
        }
    }
}

fn load_synthea(dir: &Path, loaded: &mut Loaded) {
    let mut files = json_files(dir);
    // Shared organisation and practitioner bundles first: patients refer to them.
    files.sort_by_key(|p| {
        let name = file_name(p);
        let shared =
            name.starts_with("hospitalInformation") || name.starts_with("practitionerInformation");
        (!shared, name)
    });

    let mut resources: Vec<Value> = Vec::new();
    let mut full_urls: HashMap<String, String> = HashMap::new();
    for path in &files {
        let Some(bundle) = read_json(path, loaded) else {
            continue;
        };
        let Some(entries) = bundle.get("entry").and_then(Value::as_array) else {
            tracing::warn!(file = %file_name(path), "skipping fixture file without entries");
            loaded.skipped += 1;
            continue;
        };
        for entry in entries {
            let Some(mut resource) = entry.get("resource").cloned() else {
                continue;
            };
            let Some(kind) = resource
                .get("resourceType")
                .and_then(Value::as_str)
                .map(str::to_owned)
            else {
                continue;
            };
            let full_url = entry.get("fullUrl").and_then(Value::as_str);
            let id = full_url
                .and_then(|u| u.strip_prefix("urn:uuid:"))
                .map(str::to_owned)
                .or_else(|| {
                    resource
                        .get("id")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| format!("synthea-{}", resources.len()));
            resource["id"] = json!(id);
            if let Some(url) = full_url {
                full_urls.insert(url.to_owned(), format!("{kind}/{id}"));
            }
            resources.push(resource);
        }
    }

    let mut identifiers: HashMap<(String, String), String> = HashMap::new();
    for resource in &resources {
        let kind = resource["resourceType"].as_str().unwrap_or_default();
        let id = resource["id"].as_str().unwrap_or_default();
        for ident in resource
            .get("identifier")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let system = ident.get("system").and_then(Value::as_str).unwrap_or("");
            if let Some(value) = ident.get("value").and_then(Value::as_str) {
                identifiers
                    .entry((kind.to_owned(), format!("{system}|{value}")))
                    .or_insert_with(|| format!("{kind}/{id}"));
            }
        }
    }

    let resolve = |reference: &str| -> Option<String> {
        if let Some(target) = full_urls.get(reference) {
            return Some(target.clone());
        }
        let (kind, query) = reference.split_once("?identifier=")?;
        identifiers
            .get(&(kind.to_owned(), query.to_owned()))
            .cloned()
    };
    for mut resource in resources {
        rewrite_references(&mut resource, &resolve, &mut loaded.unresolved);
        ensure_meta(&mut resource);
        loaded.resources.push((resource, Source::Synthea));
    }
}

fn rewrite_references(
    value: &mut Value,
    resolve: &dyn Fn(&str) -> Option<String>,
    unresolved: &mut usize,
) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(s) if key == "reference" => {
                        if s.starts_with('#') {
                            continue;
                        }
                        if let Some(target) = resolve(s) {
                            *s = target;
                        } else if s.starts_with("urn:") || s.contains('?') {
                            *unresolved += 1;
                        }
                    }
                    _ => rewrite_references(child, resolve, unresolved),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite_references(item, resolve, unresolved);
            }
        }
        _ => {}
    }
}

fn load_hl7(dir: &Path, loaded: &mut Loaded) {
    for path in json_files(dir) {
        let Some(value) = read_json(&path, loaded) else {
            continue;
        };
        let mut resources = Vec::new();
        if value.get("resourceType").and_then(Value::as_str) == Some("Bundle") {
            for entry in value
                .get("entry")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(resource) = entry.get("resource") {
                    resources.push(resource.clone());
                }
            }
        } else {
            resources.push(value);
        }
        for mut resource in resources {
            let has_id = resource.get("id").and_then(Value::as_str).is_some();
            let has_type = resource
                .get("resourceType")
                .and_then(Value::as_str)
                .is_some();
            if !has_id || !has_type {
                continue;
            }
            ensure_meta(&mut resource);
            loaded.resources.push((resource, Source::Hl7));
        }
    }
}

fn ensure_meta(resource: &mut Value) {
    if !resource.get("meta").is_some_and(Value::is_object) {
        resource["meta"] = json!({});
    }
    let meta = &mut resource["meta"];
    if meta.get("versionId").is_none() {
        meta["versionId"] = json!("1");
    }
    if meta.get("lastUpdated").is_none() {
        meta["lastUpdated"] = json!(LOADED_LAST_UPDATED);
    }
}
