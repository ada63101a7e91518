//! Owns the answers to referrals: FHIR R4 `Task`s whose focus is a
//! ServiceRequest and whose status says whether the department accepted or
//! declined it. Create or replace by `PUT`, read, search by focus, owner and
//! status.
//!
//! Invariants: a Task is workflow state, not a clinical record: it is kept in
//! memory apart from the clinical store, never shows in `$everything`, and
//! never changes the ServiceRequest it answers; a Task's focus is a
//! ServiceRequest that exists when the Task is written.

use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::fhir::{
    self, bad_request, outcome, parse_query, reference_matches, searchset, FhirState, Filter,
    Paging, COMMON_PARAMS,
};
use crate::records::{self, Records, Refusal, Resource};
use crate::store::{parse_reference, Entry, Store};

/// The statuses a referral's Task may have.
const STATUSES: [&str; 6] = [
    "requested",
    "accepted",
    "rejected",
    "cancelled",
    "in-progress",
    "completed",
];

/// Task search parameters, with their FHIR types.
const SEARCH_PARAMS: [(&str, &str); 3] = [
    ("focus", "reference"),
    ("owner", "reference"),
    ("status", "token"),
];

/// The Tasks, shared by the handlers.
#[derive(Debug, Clone, Default)]
pub struct TaskBoard(Arc<Mutex<Records>>);

impl TaskBoard {
    fn lock(&self) -> std::sync::MutexGuard<'_, Records> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Task's entry in the CapabilityStatement.
pub fn capability() -> Value {
    let mut resource = fhir::capability("Task", &["read", "update", "search-type"], &SEARCH_PARAMS);
    resource["updateCreate"] = Value::Bool(true);
    resource
}

/// The `reference` of an optional element that, when present, must be a
/// literal `Type/id` reference.
fn optional_reference<'a>(task: &'a Resource, element: &str) -> Result<Option<&'a str>, ()> {
    match task.get(element) {
        None => Ok(None),
        Some(value) => value["reference"]
            .as_str()
            .filter(|r| parse_reference(r).is_some())
            .map(Some)
            .ok_or(()),
    }
}

/// The checks of a Task's own elements, each naming the element at fault.
fn check(task: &Resource) -> Result<(), &'static str> {
    if !task
        .get("status")
        .and_then(Value::as_str)
        .is_some_and(|s| STATUSES.contains(&s))
    {
        return Err(
            "status must be one of requested, accepted, rejected, cancelled, in-progress, completed",
        );
    }
    if task.get("intent").and_then(Value::as_str) != Some("order") {
        return Err("intent must be order");
    }
    match optional_reference(task, "focus") {
        Ok(Some(focus))
            if parse_reference(focus).is_some_and(|(kind, _)| kind == "ServiceRequest") => {}
        _ => return Err("focus.reference must be ServiceRequest/{id}"),
    }
    if optional_reference(task, "for").is_err() {
        return Err("for.reference must be a reference such as Patient/{id}");
    }
    if !matches!(optional_reference(task, "owner"), Ok(Some(_))) {
        return Err("owner.reference must be a reference such as Organization/{id}");
    }
    if let Some(reason) = task.get("statusReason") {
        if !reason.is_object() || reason.get("text").is_some_and(|t| !t.is_string()) {
            return Err("statusReason must be a CodeableConcept with text");
        }
    }
    if task
        .get("authoredOn")
        .is_some_and(|v| !records::is_date_time(v))
    {
        return Err("authoredOn must be a dateTime");
    }
    if task
        .get("lastModified")
        .is_some_and(|v| !records::is_date_time(v))
    {
        return Err("lastModified must be a dateTime");
    }
    Ok(())
}

/// The checks against the clinical data: the focus exists, and `for`, when
/// given, is whom it is for.
fn check_focus(task: &Resource, store: &Store) -> Result<(), Refusal> {
    let focus = task["focus"]["reference"]
        .as_str()
        .and_then(parse_reference);
    let Some(request) = focus.and_then(|(_, id)| store.get("ServiceRequest", &id)) else {
        return Err(Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not-found",
            "focus names no ServiceRequest on this platform",
        ));
    };
    let subject = request.resource["subject"]["reference"]
        .as_str()
        .and_then(parse_reference);
    let patient = task
        .get("for")
        .and_then(|f| f["reference"].as_str())
        .and_then(parse_reference);
    if patient.is_some() && patient != subject {
        return Err(Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "business-rule",
            "for must be the subject of the focus ServiceRequest",
        ));
    }
    Ok(())
}

/// `PUT /fhir/Task/{id}`: creates (201) or replaces (200, next version) a
/// Task. A replace with the same content is no change and keeps the version.
pub async fn put(
    State(state): State<FhirState>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let task = match records::parse_put("Task", &id, body) {
        Ok(task) => task,
        Err(refusal) => return refusal.into_response(),
    };
    if let Err(problem) = check(&task) {
        return Refusal::invalid(problem).into_response();
    }
    if let Err(refusal) = check_focus(&task, &state.store()) {
        return refusal.into_response();
    }
    let now = state
        .faults
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (status, entry) = {
        let mut board = state.tasks.lock();
        match board.get(&id).cloned() {
            None => {
                let entry = records::stamp("Task", &id, task, 1, &now);
                board.put(entry.clone());
                (StatusCode::CREATED, entry)
            }
            Some(stored) if records::same_content(&stored.resource, &task) => {
                (StatusCode::OK, stored)
            }
            Some(stored) => {
                let version = records::version(&stored) + 1;
                let entry = records::stamp("Task", &id, task, version, &now);
                board.put(entry.clone());
                (StatusCode::OK, entry)
            }
        }
    };
    records::answer(status, &entry, &state.base_url)
}

/// `GET /fhir/Task/{id}`
pub async fn read(State(state): State<FhirState>, Path(id): Path<String>) -> Response {
    let stored = state.tasks.lock().get(&id).cloned();
    match stored {
        Some(entry) => records::answer(StatusCode::OK, &entry, &state.base_url),
        None => outcome(
            StatusCode::NOT_FOUND,
            "not-found",
            "Task resource not found",
        ),
    }
}

/// `GET /fhir/Task?…`: in the order the Tasks were created.
pub async fn search(State(state): State<FhirState>, RawQuery(raw): RawQuery) -> Response {
    let params = parse_query(raw.as_deref());
    if let Some((key, _)) = params.iter().find(|(k, _)| {
        !COMMON_PARAMS.contains(&k.as_str()) && !SEARCH_PARAMS.iter().any(|(p, _)| p == k)
    }) {
        return bad_request(&format!("unsupported search parameter for Task: {key}"));
    }
    let paging = match Paging::from(&params) {
        Ok(p) => p,
        Err(diagnostics) => return bad_request(&diagnostics),
    };
    let mut filters: Vec<Filter<'_>> = Vec::new();
    for (key, value) in &params {
        let values: Vec<&str> = value.split(',').collect();
        let element = match key.as_str() {
            "_id" => {
                filters.push(Box::new(move |t| {
                    t["id"].as_str().is_some_and(|id| values.contains(&id))
                }));
                continue;
            }
            "status" => {
                filters.push(Box::new(move |t| {
                    t["status"].as_str().is_some_and(|s| values.contains(&s))
                }));
                continue;
            }
            "focus" => "focus",
            "owner" => "owner",
            _ => continue,
        };
        filters.push(Box::new(move |t| {
            t[element]["reference"]
                .as_str()
                .is_some_and(|r| values.iter().any(|w| reference_matches(r, w)))
        }));
    }
    let tasks = state.tasks.lock().snapshot();
    let matches: Vec<(&Entry, bool)> = tasks
        .iter()
        .filter(|t| paging.keeps(t) && filters.iter().all(|f| f(&t.resource)))
        .map(|t| (t, true))
        .collect();
    searchset(&state, "Task", &params, &paging, &matches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_element_is_checked_by_name() {
        let base = json!({
            "resourceType": "Task", "id": "t-1", "status": "accepted", "intent": "order",
            "focus": {"reference": "ServiceRequest/sr-1"},
            "for": {"reference": "Patient/cn-0001"},
            "owner": {"reference": "Organization/dept-cardiology"},
            "statusReason": {"text": "bed available"},
            "authoredOn": "2026-05-02T10:00:00+08:00",
        });
        let cases = [
            (json!({}), None),
            (json!({"for": null}), None),
            (json!({"statusReason": null}), None),
            (json!({"status": "draft"}), Some("status")),
            (json!({"status": null}), Some("status")),
            (json!({"intent": "plan"}), Some("intent")),
            (json!({"focus": null}), Some("focus")),
            (
                json!({"focus": {"reference": "Patient/cn-0001"}}),
                Some("focus"),
            ),
            (json!({"focus": {"display": "a referral"}}), Some("focus")),
            (json!({"for": {"display": "someone"}}), Some("for")),
            (json!({"owner": null}), Some("owner")),
            (json!({"owner": {"reference": "cardiology"}}), Some("owner")),
            (json!({"statusReason": "no beds"}), Some("statusReason")),
            (json!({"statusReason": {"text": 3}}), Some("statusReason")),
            (json!({"authoredOn": "soon"}), Some("authoredOn")),
            (json!({"lastModified": 17}), Some("lastModified")),
        ];
        for (changes, problem) in cases {
            let mut task = base.clone();
            for (key, value) in changes.as_object().unwrap() {
                if value.is_null() {
                    task.as_object_mut().unwrap().remove(key);
                } else {
                    task[key] = value.clone();
                }
            }
            let task: Resource = serde_json::from_value(task).unwrap();
            match problem {
                None => assert_eq!(check(&task), Ok(()), "{changes}"),
                Some(element) => {
                    assert!(check(&task).unwrap_err().starts_with(element), "{changes}")
                }
            }
        }
    }
}
