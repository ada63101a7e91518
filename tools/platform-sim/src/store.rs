//! Owns the in-memory, read-only resource store and its indexes: by
//! `(type, id)`, by type (insertion order), and the patient compartment
//! (resources that reference a patient). Built once at start-up; requests
//! only read it, so it needs no locking.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use crate::data::Source;

/// Resource types whose referenced instances `$everything` adds to the compartment.
const SUPPORT_TYPES: [&str; 5] = [
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Location",
    "Medication",
];

/// One stored resource.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The resource as served.
    pub resource: Arc<Value>,
    /// `resourceType`.
    pub kind: String,
    /// `id`.
    pub id: String,
    /// `meta.lastUpdated` in milliseconds since the Unix epoch (0 if unparsable).
    pub last_updated: i64,
}

/// The store, shared by the handlers; a change swaps in a rebuilt store.
pub type SharedStore = Arc<std::sync::RwLock<Arc<Store>>>;

/// The store.
#[derive(Debug, Default)]
pub struct Store {
    entries: Vec<Entry>,
    index: HashMap<(String, String), usize>,
    by_type: BTreeMap<String, Vec<usize>>,
    compartment: HashMap<String, Vec<usize>>,
    patients: Vec<(usize, Source)>,
}

/// Parses a FHIR instant/dateTime/date to milliseconds since the Unix epoch.
/// A date or a dateTime without offset is read as UTC.
pub fn parse_instant(s: &str) -> Option<i64> {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis());
    }
    if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(dt.and_utc().timestamp_millis());
    }
    let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

impl Store {
    /// Builds the store; a later resource with the same type and id replaces an earlier one.
    pub fn new(resources: impl IntoIterator<Item = (Value, Source)>) -> Self {
        let mut store = Store::default();
        let mut sources: HashMap<usize, Source> = HashMap::new();
        for (resource, source) in resources {
            let kind = resource["resourceType"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let id = resource["id"].as_str().unwrap_or_default().to_owned();
            if kind.is_empty() || id.is_empty() {
                continue;
            }
            let last_updated = resource["meta"]["lastUpdated"]
                .as_str()
                .and_then(parse_instant)
                .unwrap_or(0);
            let entry = Entry {
                resource: Arc::new(resource),
                kind: kind.clone(),
                id: id.clone(),
                last_updated,
            };
            let key = (kind.clone(), id);
            let index = match store.index.get(&key) {
                Some(&existing) => {
                    store.entries[existing] = entry;
                    existing
                }
                None => {
                    store.entries.push(entry);
                    let index = store.entries.len() - 1;
                    store.index.insert(key, index);
                    store.by_type.entry(kind.clone()).or_default().push(index);
                    index
                }
            };
            if kind == "Patient" {
                sources.insert(index, source);
            }
        }
        let mut patient_indexes: Vec<usize> = sources.keys().copied().collect();
        patient_indexes.sort_unstable();
        store.patients = patient_indexes
            .into_iter()
            .map(|i| (i, sources[&i]))
            .collect();

        for (index, entry) in store.entries.iter().enumerate() {
            if entry.kind == "Patient" {
                continue;
            }
            let mut seen = HashSet::new();
            for (kind, id) in references(&entry.resource) {
                if kind == "Patient" && seen.insert(id.clone()) {
                    store.compartment.entry(id).or_default().push(index);
                }
            }
        }
        store
    }

    /// A copy with the resource `kind/id` replaced by `change(resource)`, or
    /// removed when `change` returns `None`, its `meta.lastUpdated` set to
    /// `now` and `meta.versionId` counted up. `None` if there is no such
    /// resource.
    pub fn changed(
        &self,
        kind: &str,
        id: &str,
        now: &str,
        change: impl FnOnce(Value) -> Option<Value>,
    ) -> Option<Store> {
        let target = *self.index.get(&(kind.to_owned(), id.to_owned()))?;
        let sources: HashMap<usize, Source> = self.patients.iter().copied().collect();
        let mut change = Some(change);
        let resources = self.entries.iter().enumerate().filter_map(|(i, entry)| {
            let source = sources.get(&i).copied().unwrap_or(Source::Synthetic);
            let resource = (*entry.resource).clone();
            if i != target {
                return Some((resource, source));
            }
            let mut updated = (change.take()?)(resource)?;
            let version = updated["meta"]["versionId"]
                .as_str()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1);
            updated["meta"]["versionId"] = Value::from((version + 1).to_string());
            updated["meta"]["lastUpdated"] = Value::from(now);
            Some((updated, source))
        });
        Some(Store::new(resources.collect::<Vec<_>>()))
    }

    /// All entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry for `kind/id`.
    pub fn get(&self, kind: &str, id: &str) -> Option<&Entry> {
        self.index
            .get(&(kind.to_owned(), id.to_owned()))
            .map(|&i| &self.entries[i])
    }

    /// Entries of one type, in load order.
    pub fn of_type<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.by_type
            .get(kind)
            .into_iter()
            .flatten()
            .map(|&i| &self.entries[i])
    }

    /// Whether any resource of this type is stored.
    pub fn has_type(&self, kind: &str) -> bool {
        self.by_type.contains_key(kind)
    }

    /// Patients with their source, in load order.
    pub fn patients(&self) -> impl Iterator<Item = (&Entry, Source)> + '_ {
        self.patients.iter().map(|&(i, s)| (&self.entries[i], s))
    }

    /// Resources that reference `Patient/{id}` (not the patient itself).
    pub fn compartment<'a>(&'a self, patient_id: &str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.compartment
            .get(patient_id)
            .into_iter()
            .flatten()
            .map(|&i| &self.entries[i])
    }

    /// The patient, its compartment, then the organisations, practitioners,
    /// locations and medications those reference; each resource once.
    /// The flag is `true` for the patient and its compartment ("match").
    pub fn everything(&self, patient_id: &str) -> Option<Vec<(&Entry, bool)>> {
        let patient = self
            .index
            .get(&("Patient".to_owned(), patient_id.to_owned()))?;
        let mut out = vec![(&self.entries[*patient], true)];
        let mut seen: HashSet<usize> = HashSet::from([*patient]);
        if let Some(members) = self.compartment.get(patient_id) {
            for &i in members {
                if seen.insert(i) {
                    out.push((&self.entries[i], true));
                }
            }
        }
        let mut support = Vec::new();
        for (entry, _) in &out {
            for (kind, id) in references(&entry.resource) {
                if !SUPPORT_TYPES.contains(&kind.as_str()) {
                    continue;
                }
                if let Some(&i) = self.index.get(&(kind, id)) {
                    if seen.insert(i) {
                        support.push(i);
                    }
                }
            }
        }
        out.extend(support.into_iter().map(|i| (&self.entries[i], false)));
        Some(out)
    }
}

/// Every literal reference in a resource as `(type, id)`; contained (`#…`),
/// conditional and `urn:` references are skipped. Absolute URLs and
/// `_history` suffixes are reduced to their `Type/id`.
pub fn references(resource: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect_references(resource, &mut out);
    out
}

fn collect_references(value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "reference" {
                    if let Some(parsed) = child.as_str().and_then(parse_reference) {
                        out.push(parsed);
                    }
                } else {
                    collect_references(child, out);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_references(item, out);
            }
        }
        _ => {}
    }
}

/// `Type/id` (optionally absolute or with `/_history/n`) to `(Type, id)`.
pub fn parse_reference(reference: &str) -> Option<(String, String)> {
    if reference.starts_with('#') || reference.starts_with("urn:") || reference.contains('?') {
        return None;
    }
    let path = match reference.find("/_history/") {
        Some(i) => &reference[..i],
        None => reference,
    };
    let mut parts = path.rsplit('/');
    let id = parts.next()?;
    let kind = parts.next()?;
    let type_like = kind.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    (type_like && !id.is_empty()).then(|| (kind.to_owned(), id.to_owned()))
}
