//! Owns what the two kinds of resource that clients write share (AuditEvent,
//! Task): the body limit and the checks every PUT passes (JSON object, type,
//! id syntax, id equal to the URL's), the version stamp, and [`Records`], an
//! in-memory list of resources by id in arrival order.
//!
//! Invariants: records live apart from the clinical [`crate::store::Store`]
//! (nothing here is in `$everything` or touched by `/_sim/resource`); an error
//! names the element at fault, never a value the client sent.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::fhir::{fhir_json, outcome};
use crate::store::{parse_instant, Entry};

/// The largest request body a PUT may send (64 KiB).
pub const MAX_BODY: usize = 64 * 1024;

/// A resource as a client sent it, before it is stored.
pub type Resource = Map<String, Value>;

/// Whether `id` has FHIR id syntax: `[A-Za-z0-9\-\.]{1,64}`.
pub fn is_fhir_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Whether `value` is a FHIR instant: a full date and time with seconds and
/// a zone.
pub fn is_instant(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok())
}

/// Whether `value` is a FHIR date or dateTime.
pub fn is_date_time(value: &Value) -> bool {
    value.as_str().and_then(parse_instant).is_some()
}

/// Why a write is refused: the status, the OperationOutcome issue code, and
/// a message that names the element at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    status: StatusCode,
    code: &'static str,
    diagnostics: String,
}

impl Refusal {
    /// A refusal with this status and issue code.
    pub fn new(status: StatusCode, code: &'static str, diagnostics: impl Into<String>) -> Self {
        Self {
            status,
            code,
            diagnostics: diagnostics.into(),
        }
    }

    /// A 400 `invalid`: the resource fails a check.
    pub fn invalid(diagnostics: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", diagnostics)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        outcome(self.status, self.code, &self.diagnostics)
    }
}

/// The body of `PUT /fhir/{kind}/{id}` as a resource of that type and id.
pub fn parse_put(
    kind: &str,
    id: &str,
    body: Result<Bytes, BytesRejection>,
) -> Result<Resource, Refusal> {
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-long",
                "the body is larger than 64 KiB",
            ))
        }
        Err(_) => return Err(Refusal::invalid("the body could not be read")),
    };
    if !is_fhir_id(id) {
        return Err(Refusal::invalid(
            "the id in the URL is not a FHIR id ([A-Za-z0-9-.]{1,64})",
        ));
    }
    let Ok(Value::Object(resource)) = serde_json::from_slice::<Value>(&body) else {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "structure",
            "the body is not a JSON object",
        ));
    };
    if resource.get("resourceType").and_then(Value::as_str) != Some(kind) {
        return Err(Refusal::invalid(format!("resourceType must be {kind}")));
    }
    if resource.get("id").and_then(Value::as_str) != Some(id) {
        return Err(Refusal::invalid("id must equal the id in the URL"));
    }
    if resource.get("meta").is_some_and(|meta| !meta.is_object()) {
        return Err(Refusal::invalid("meta must be an object"));
    }
    Ok(resource)
}

/// Whether a stored resource and a client's have the same content, `meta` aside.
pub fn same_content(stored: &Value, sent: &Resource) -> bool {
    let Some(stored) = stored.as_object() else {
        return false;
    };
    let without_meta = |map: &Resource| -> Resource {
        map.iter()
            .filter(|(key, _)| *key != "meta")
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    };
    without_meta(stored) == without_meta(sent)
}

/// The resource as stored: `meta.versionId` and `meta.lastUpdated` set, any
/// other `meta` the client sent kept.
pub fn stamp(kind: &str, id: &str, mut resource: Resource, version: u64, now: &str) -> Entry {
    let meta = resource
        .entry("meta")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(meta) = meta {
        meta.insert("versionId".to_owned(), Value::from(version.to_string()));
        meta.insert("lastUpdated".to_owned(), Value::from(now));
    }
    Entry {
        resource: Arc::new(Value::Object(resource)),
        kind: kind.to_owned(),
        id: id.to_owned(),
        last_updated: parse_instant(now).unwrap_or(0),
    }
}

/// The version number of a stored resource.
pub fn version(entry: &Entry) -> u64 {
    entry.resource["meta"]["versionId"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// The answer to a read or write of one resource: the resource with its
/// `ETag`, and for a create (201) a `Location` naming the version.
pub fn answer(status: StatusCode, entry: &Entry, base_url: &str) -> Response {
    let mut response = fhir_json(status, &entry.resource);
    let version = version(entry);
    if let Ok(etag) = HeaderValue::from_str(&format!("W/\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    if status == StatusCode::CREATED {
        let location = format!("{base_url}/{}/{}/_history/{version}", entry.kind, entry.id);
        if let Ok(location) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    response
}

/// Resources of one kind by id, in arrival order; a replaced one keeps its place.
#[derive(Debug, Default)]
pub struct Records {
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
}

impl Records {
    /// The resource with this id.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.index.get(id).map(|&i| &self.entries[i])
    }

    /// Stores `entry`, replacing the one with the same id if there is one.
    pub fn put(&mut self, entry: Entry) {
        match self.index.get(&entry.id) {
            Some(&i) => self.entries[i] = entry,
            None => {
                self.index.insert(entry.id.clone(), self.entries.len());
                self.entries.push(entry);
            }
        }
    }

    /// Every resource, in arrival order (cheap: the resources are shared).
    pub fn snapshot(&self) -> Vec<Entry> {
        self.entries.clone()
    }

    /// Forgets every resource.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.index.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fhir_id_syntax() {
        let long = "a".repeat(64);
        let too_long = "a".repeat(65);
        let cases = [
            ("ae-2026.01", true),
            ("A9", true),
            (long.as_str(), true),
            ("", false),
            (too_long.as_str(), false),
            ("a_b", false),
            ("a/b", false),
            ("张伟", false),
            ("a b", false),
        ];
        for (id, valid) in cases {
            assert_eq!(is_fhir_id(id), valid, "{id:?}");
        }
    }

    #[test]
    fn content_is_compared_without_meta() {
        let stored = serde_json::json!({"resourceType": "Task", "id": "t", "status": "accepted",
            "meta": {"versionId": "3"}});
        let same: Resource = serde_json::from_value(
            serde_json::json!({"status": "accepted", "id": "t", "resourceType": "Task"}),
        )
        .unwrap();
        let other: Resource = serde_json::from_value(
            serde_json::json!({"resourceType": "Task", "id": "t", "status": "rejected"}),
        )
        .unwrap();
        assert!(same_content(&stored, &same));
        assert!(!same_content(&stored, &other));
    }
}
