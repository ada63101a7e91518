//! Owns the AuditEvent log that workstations forward their audit trails to
//! (IHE BALP, FHIR R4 `AuditEvent` with client-assigned ids): create by
//! `PUT`, idempotent for a resend of the same event; read and search for
//! department heads and privacy officers; and the `/_sim/audit` hooks.
//!
//! Invariants: a stored event never changes (the same id with other content
//! is a 409); the log is in memory, apart from the clinical store, so
//! `$everything` and `/_sim/resource` never see it; no event content is logged
//! or echoed in an error.

use std::cmp::Reverse;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::fhir::{
    self, bad_request, outcome, parse_query, reference_matches, searchset, DateParam, FhirState,
    Filter, Paging, Token, COMMON_PARAMS,
};
use crate::records::{self, Records, Refusal, Resource};
use crate::store::{parse_instant, Entry};

/// Roles whose tokens may read the audit log.
pub const READER_ROLES: [&str; 2] = ["department_head", "privacy_officer"];

/// AuditEvent search parameters, with their FHIR types.
const SEARCH_PARAMS: [(&str, &str); 7] = [
    ("patient", "reference"),
    ("entity", "reference"),
    ("agent", "reference"),
    ("type", "token"),
    ("subtype", "token"),
    ("date", "date"),
    ("outcome", "token"),
];

#[derive(Debug, Default)]
struct Log {
    events: Records,
    /// Valid PUTs for an id already stored, whatever their content.
    resubmitted: u64,
    /// Those of them whose content differed (answered 409).
    conflicts: u64,
}

/// The audit log, shared by the handlers.
#[derive(Debug, Clone, Default)]
pub struct AuditLog(Arc<Mutex<Log>>);

impl AuditLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, Log> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a PUT did to the log.
enum Outcome {
    Created(Entry),
    Resent(Entry),
    Conflict,
}

/// AuditEvent's entry in the CapabilityStatement.
pub fn capability() -> Value {
    let mut resource = fhir::capability(
        "AuditEvent",
        &["read", "update", "search-type"],
        &SEARCH_PARAMS,
    );
    resource["updateCreate"] = Value::Bool(true);
    resource
}

fn forbidden() -> Response {
    outcome(
        StatusCode::FORBIDDEN,
        "forbidden",
        "reading AuditEvents needs the department_head or privacy_officer role",
    )
}

/// Whether the caller may read the log. A request the bearer middleware did
/// not mark is refused, so a wiring mistake fails closed.
fn may_read(caller: Option<&Extension<Caller>>) -> bool {
    caller.is_some_and(|Extension(caller)| caller.has_any_role(&READER_ROLES))
}

/// The checks beyond type and id, each naming the element at fault.
fn check(event: &Resource) -> Result<(), &'static str> {
    if !event.get("type").is_some_and(Value::is_object) {
        return Err("type must be a Coding object");
    }
    if !event.get("recorded").is_some_and(records::is_instant) {
        return Err("recorded must be an instant with seconds and a zone");
    }
    if event
        .get("agent")
        .and_then(Value::as_array)
        .is_none_or(|agents| agents.is_empty())
    {
        return Err("agent must be a non-empty array");
    }
    if !event.get("source").is_some_and(Value::is_object) {
        return Err("source must be an object");
    }
    Ok(())
}

/// `PUT /fhir/AuditEvent/{id}`: stores a new event (201), accepts a resend of
/// the same event without storing it again (200), refuses other content
/// under a stored id (409).
pub async fn put(
    State(state): State<FhirState>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let event = match records::parse_put("AuditEvent", &id, body) {
        Ok(event) => event,
        Err(refusal) => return refusal.into_response(),
    };
    if let Err(problem) = check(&event) {
        return Refusal::invalid(problem).into_response();
    }
    let now = state
        .faults
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let result = {
        let mut log = state.audit.lock();
        match log.events.get(&id).cloned() {
            Some(stored) => {
                log.resubmitted += 1;
                if records::same_content(&stored.resource, &event) {
                    Outcome::Resent(stored)
                } else {
                    log.conflicts += 1;
                    Outcome::Conflict
                }
            }
            None => {
                let entry = records::stamp("AuditEvent", &id, event, 1, &now);
                log.events.put(entry.clone());
                Outcome::Created(entry)
            }
        }
    };
    match result {
        Outcome::Created(entry) => records::answer(StatusCode::CREATED, &entry, &state.base_url),
        Outcome::Resent(entry) => records::answer(StatusCode::OK, &entry, &state.base_url),
        Outcome::Conflict => outcome(
            StatusCode::CONFLICT,
            "conflict",
            "an AuditEvent with this id is stored with other content; audit events are immutable",
        ),
    }
}

/// `GET /fhir/AuditEvent/{id}`
pub async fn read(
    State(state): State<FhirState>,
    caller: Option<Extension<Caller>>,
    Path(id): Path<String>,
) -> Response {
    if !may_read(caller.as_ref()) {
        return forbidden();
    }
    let stored = state.audit.lock().events.get(&id).cloned();
    match stored {
        Some(entry) => records::answer(StatusCode::OK, &entry, &state.base_url),
        None => outcome(
            StatusCode::NOT_FOUND,
            "not-found",
            "AuditEvent resource not found",
        ),
    }
}

/// `GET /fhir/AuditEvent?…`: newest `recorded` first.
pub async fn search(
    State(state): State<FhirState>,
    caller: Option<Extension<Caller>>,
    RawQuery(raw): RawQuery,
) -> Response {
    if !may_read(caller.as_ref()) {
        return forbidden();
    }
    let params = parse_query(raw.as_deref());
    if let Some((key, _)) = params.iter().find(|(k, _)| {
        !COMMON_PARAMS.contains(&k.as_str()) && !SEARCH_PARAMS.iter().any(|(p, _)| p == k)
    }) {
        return bad_request(&format!(
            "unsupported search parameter for AuditEvent: {key}"
        ));
    }
    let paging = match Paging::from(&params) {
        Ok(p) => p,
        Err(diagnostics) => return bad_request(&diagnostics),
    };
    let filters = match filters(&params) {
        Ok(filters) => filters,
        Err(diagnostics) => return bad_request(diagnostics),
    };
    let events = state.audit.lock().events.snapshot();
    // Newest first; of events recorded at the same instant, the later arrival first.
    let mut matches: Vec<(usize, i64, &Entry)> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| paging.keeps(e) && filters.iter().all(|f| f(&e.resource)))
        .map(|(arrival, e)| (arrival, recorded(&e.resource), e))
        .collect();
    matches.sort_by_key(|&(arrival, recorded, _)| Reverse((recorded, arrival)));
    let matches: Vec<(&Entry, bool)> = matches.into_iter().map(|(_, _, e)| (e, true)).collect();
    searchset(&state, "AuditEvent", &params, &paging, &matches)
}

/// `recorded` in milliseconds since the epoch (checked on the way in).
fn recorded(event: &Value) -> i64 {
    event["recorded"]
        .as_str()
        .and_then(parse_instant)
        .unwrap_or(0)
}

/// One filter per parameter (repeats AND, commas within one OR).
fn filters(params: &[(String, String)]) -> Result<Vec<Filter<'_>>, &'static str> {
    let mut filters: Vec<Filter<'_>> = Vec::new();
    for (key, value) in params {
        let values: Vec<&str> = value.split(',').collect();
        match key.as_str() {
            "_id" => filters.push(Box::new(move |e| {
                e["id"].as_str().is_some_and(|id| values.contains(&id))
            })),
            "patient" => {
                let wanted: Vec<String> = values
                    .iter()
                    .map(|v| format!("Patient/{}", v.strip_prefix("Patient/").unwrap_or(v)))
                    .collect();
                filters.push(Box::new(move |e| {
                    entity_references(e).any(|r| wanted.iter().any(|w| reference_matches(r, w)))
                }));
            }
            "entity" => filters.push(Box::new(move |e| {
                entity_references(e).any(|r| values.iter().any(|w| reference_matches(r, w)))
            })),
            "agent" => filters.push(Box::new(move |e| {
                e["agent"].as_array().into_iter().flatten().any(|agent| {
                    let who = &agent["who"];
                    let identifier = who["identifier"]["value"].as_str();
                    let reference = who["reference"].as_str();
                    values.iter().any(|w| {
                        identifier == Some(*w) || reference.is_some_and(|r| reference_matches(r, w))
                    })
                })
            })),
            "type" => {
                let tokens: Vec<Token> = values.into_iter().map(Token::parse).collect();
                filters.push(Box::new(move |e| {
                    tokens.iter().any(|t| t.matches_coding(&e["type"]))
                }));
            }
            "subtype" => {
                let tokens: Vec<Token> = values.into_iter().map(Token::parse).collect();
                filters.push(Box::new(move |e| {
                    e["subtype"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|coding| tokens.iter().any(|t| t.matches_coding(coding)))
                }));
            }
            "outcome" => filters.push(Box::new(move |e| {
                e["outcome"].as_str().is_some_and(|o| values.contains(&o))
            })),
            "date" => {
                let date = DateParam::parse(value)
                    .ok_or("date must be [eq|ge|le|gt|lt]YYYY[-MM[-DD[Thh:mm:ss[.sss]zone]]]")?;
                filters.push(Box::new(move |e| date.matches(recorded(e))));
            }
            _ => {}
        }
    }
    Ok(filters)
}

fn entity_references(event: &Value) -> impl Iterator<Item = &str> {
    event["entity"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entity| entity["what"]["reference"].as_str())
}

/// `GET /_sim/audit`: every stored event in arrival order, how many valid
/// PUTs came for an id already stored (`resubmitted`), and how many of those
/// had other content (`conflicts`).
pub async fn sim_get(State(state): State<FhirState>) -> Json<Value> {
    let log = state.audit.lock();
    let events: Vec<Value> = log
        .events
        .snapshot()
        .iter()
        .map(|e| (*e.resource).clone())
        .collect();
    Json(json!({
        "events": events,
        "resubmitted": log.resubmitted,
        "conflicts": log.conflicts,
    }))
}

/// `DELETE /_sim/audit`: forgets every event and resets the counts.
pub async fn sim_delete(State(state): State<FhirState>) -> Response {
    *state.audit.lock() = Log::default();
    tracing::info!("audit log cleared");
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(changes: Value) -> Resource {
        let mut event = json!({
            "resourceType": "AuditEvent", "id": "ae-1",
            "type": {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110110"},
            "recorded": "2026-05-01T09:30:00+08:00",
            "agent": [{"requestor": true}],
            "source": {"observer": {"display": "ws-1"}},
        });
        for (key, value) in changes.as_object().unwrap() {
            if value.is_null() {
                event.as_object_mut().unwrap().remove(key);
            } else {
                event[key] = value.clone();
            }
        }
        serde_json::from_value(event).unwrap()
    }

    #[test]
    fn each_required_element_is_checked_by_name() {
        let cases = [
            (json!({}), None),
            (json!({"type": null}), Some("type")),
            (json!({"type": "110110"}), Some("type")),
            (json!({"recorded": null}), Some("recorded")),
            (json!({"recorded": "2026-05-01"}), Some("recorded")),
            (json!({"recorded": "yesterday"}), Some("recorded")),
            (json!({"agent": []}), Some("agent")),
            (json!({"agent": {"requestor": true}}), Some("agent")),
            (json!({"source": null}), Some("source")),
            (json!({"source": []}), Some("source")),
        ];
        for (changes, problem) in cases {
            let result = check(&event(changes.clone()));
            match problem {
                None => assert_eq!(result, Ok(()), "{changes}"),
                Some(element) => {
                    assert!(result.unwrap_err().starts_with(element), "{changes}")
                }
            }
        }
    }
}
