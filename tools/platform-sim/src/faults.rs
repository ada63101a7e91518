//! Owns failure injection for tests: the fault settings behind
//! `PUT/GET/DELETE /_sim/faults` and the middleware that applies them to every
//! `/fhir` request (latency, forced status with `Retry-After`, truncated
//! bodies). Paging loops and a disabled `$everything` are read by the FHIR
//! handlers. With `times` set, status and truncation apply to that many
//! requests and are then cleared.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Timelike;
use serde::{Deserialize, Serialize};

use crate::fhir::outcome;

/// The injectable faults. The JSON form is the `/_sim/faults` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Delay before answering each `/fhir` request.
    pub latency_ms: u64,
    /// Handle each `/fhir` request at once, then hold its answer this long:
    /// an upload the platform stored but did not acknowledge before the
    /// client gave up (or was killed).
    pub answer_after_ms: u64,
    /// Answer every `/fhir` request with this status and an OperationOutcome.
    pub status: Option<u16>,
    /// `Retry-After` seconds sent with `status`.
    pub retry_after_s: Option<u64>,
    /// Send only the first half of each body (with a matching Content-Length).
    pub truncate: bool,
    /// Every `next` link points back to the first page.
    pub paging_loop: bool,
    /// `$everything` answers 404 `not-supported`.
    pub everything_disabled: bool,
    /// Apply `status`/`truncate` to only the next N requests, then clear them.
    pub times: Option<u32>,
    /// The platform's clock runs this many seconds off the machine's (its
    /// `Date` headers and the `meta.lastUpdated` it stamps on changes), as
    /// a badly synchronised server's would.
    pub clock_offset_s: i64,
}

/// Shared, mutable fault settings.
#[derive(Debug, Clone, Default)]
pub struct FaultState(Arc<Mutex<Faults>>);

impl FaultState {
    /// The current settings.
    pub fn get(&self) -> Faults {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The platform's idea of the current time, in whole seconds.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let offset = chrono::TimeDelta::seconds(self.get().clock_offset_s);
        let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()) + offset;
        now.with_nanosecond(0).unwrap_or(now)
    }

    fn set(&self, faults: Faults) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = faults;
    }

    /// The settings for one request, counting down `times`.
    fn take_for_request(&self) -> Faults {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let current = guard.clone();
        if current.status.is_some() || current.truncate {
            match current.times {
                Some(n) if n <= 1 => {
                    guard.status = None;
                    guard.retry_after_s = None;
                    guard.truncate = false;
                    guard.times = None;
                }
                Some(n) => guard.times = Some(n - 1),
                None => {}
            }
        }
        current
    }
}

/// `GET /_sim/faults`
pub async fn get_faults(State(state): State<FaultState>) -> Json<Faults> {
    Json(state.get())
}

/// `PUT /_sim/faults`
pub async fn put_faults(State(state): State<FaultState>, body: axum::body::Bytes) -> Response {
    let faults: Faults = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("invalid fault settings: {e}\n"),
            )
                .into_response()
        }
    };
    if let Some(status) = faults.status {
        if StatusCode::from_u16(status).is_err() || status < 200 {
            return (StatusCode::BAD_REQUEST, "status must be 200..=999\n").into_response();
        }
    }
    if faults.times == Some(0) {
        return (StatusCode::BAD_REQUEST, "times must be at least 1\n").into_response();
    }
    state.set(faults.clone());
    tracing::info!("fault settings changed");
    Json(faults).into_response()
}

/// `DELETE /_sim/faults`
pub async fn delete_faults(State(state): State<FaultState>) -> Json<Faults> {
    state.set(Faults::default());
    tracing::info!("fault settings reset");
    Json(Faults::default())
}

/// Applies latency, forced status and truncation to a `/fhir` request, and
/// dates every answer by the platform's (possibly skewed) clock.
pub async fn middleware(State(state): State<FaultState>, request: Request, next: Next) -> Response {
    let date = state.now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let mut response = faulty(&state, request, next).await;
    if let Ok(value) = HeaderValue::from_str(&date) {
        response.headers_mut().insert(header::DATE, value);
    }
    response
}

async fn faulty(state: &FaultState, request: Request, next: Next) -> Response {
    let faults = state.take_for_request();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    if let Some(code) = faults.status {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let issue = match code {
            429 => "throttled",
            503 => "transient",
            _ => "exception",
        };
        let mut response = outcome(status, issue, "injected fault");
        if let Some(seconds) = faults.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        return response;
    }
    let response = next.run(request).await;
    if faults.answer_after_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.answer_after_ms)).await;
    }
    if !faults.truncate {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return outcome(StatusCode::INTERNAL_SERVER_ERROR, "exception", "body error");
    };
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(half.len()));
    Response::from_parts(parts, Body::from(half))
}
