//! Owns the FHIR R4 REST surface under `/fhir` for the clinical data: the
//! CapabilityStatement, SMART configuration, read, search (Patient, the
//! clinical types, and a department's referral inbox), and
//! `Patient/$everything` with `_count`/`_since` paging; and the search
//! helpers (paging, Bundles, tokens, dates, references) that [`crate::audit`]
//! and [`crate::task`] share. Paging state lives in the URL (`_offset`), so
//! any client can follow `next`.
//!
//! Invariants: every answer is `application/fhir+json`; anything unsupported
//! is a 400/404 OperationOutcome, never a panic; handlers only read the store.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::audit::AuditLog;
use crate::auth::Issuer;
use crate::faults::FaultState;
use crate::store::{parse_instant, parse_reference, Entry, SharedStore, Store};
use crate::task::TaskBoard;

/// The FHIR JSON media type.
pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

const DEFAULT_COUNT: usize = 50;
const MAX_COUNT: usize = 500;

/// Per-type searches offered, with their type-specific parameters.
const SEARCHABLE: [(&str, &[&str]); 15] = [
    ("Patient", &["name", "identifier", "birthdate"]),
    ("Encounter", &["patient", "subject"]),
    ("Condition", &["patient", "subject"]),
    ("AllergyIntolerance", &["patient"]),
    ("MedicationRequest", &["patient", "subject"]),
    ("MedicationStatement", &["patient", "subject"]),
    ("Observation", &["patient", "subject", "category", "code"]),
    ("DiagnosticReport", &["patient", "subject"]),
    ("Procedure", &["patient", "subject"]),
    ("Immunization", &["patient"]),
    ("DocumentReference", &["patient", "subject"]),
    (
        "ServiceRequest",
        &[
            "patient",
            "subject",
            "performer",
            "status",
            "_include",
            "_sort",
        ],
    ),
    ("Organization", &[]),
    ("Practitioner", &[]),
    ("Location", &[]),
];

/// The only `_include` offered: a referral inbox shows whom each request is for.
const SERVICE_REQUEST_INCLUDE: &str = "ServiceRequest:subject";

/// Parameters every search accepts.
pub(crate) const COMMON_PARAMS: [&str; 7] = [
    "_id",
    "_count",
    "_offset",
    "_since",
    "_lastUpdated",
    "_format",
    "_pretty",
];

/// State the FHIR handlers read.
#[derive(Debug, Clone)]
pub struct FhirState {
    /// The data; tests can change it through `/_sim/resource`.
    pub store: SharedStore,
    /// Fault settings (paging loop, `$everything` disabled).
    pub faults: FaultState,
    /// The OpenID issuer, if configured.
    pub issuer: Option<Arc<Issuer>>,
    /// Absolute base URL, e.g. `https://127.0.0.1:8443/fhir`.
    pub base_url: String,
    /// AuditEvents forwarded by workstations (apart from the clinical data).
    pub audit: AuditLog,
    /// Tasks answering referrals (apart from the clinical data).
    pub tasks: TaskBoard,
}

impl FhirState {
    /// The data as it is now (a cheap snapshot: changes replace the whole store).
    pub fn store(&self) -> Arc<Store> {
        self.store.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A FHIR JSON response.
pub fn fhir_json(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON))],
        bytes,
    )
        .into_response()
}

/// An OperationOutcome with one error issue.
pub fn outcome(status: StatusCode, code: &str, diagnostics: &str) -> Response {
    fhir_json(
        status,
        &json!({
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
        }),
    )
}

pub(crate) fn bad_request(diagnostics: &str) -> Response {
    outcome(StatusCode::BAD_REQUEST, "invalid", diagnostics)
}

pub(crate) fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// Paging and `_since` common to searches and `$everything`.
pub(crate) struct Paging {
    count: usize,
    offset: usize,
    since: Option<i64>,
    inclusive: bool,
}

impl Paging {
    pub(crate) fn from(params: &[(String, String)]) -> Result<Self, String> {
        let mut paging = Paging {
            count: DEFAULT_COUNT,
            offset: 0,
            since: None,
            inclusive: false,
        };
        for (key, value) in params {
            match key.as_str() {
                "_count" => {
                    let n: usize = value
                        .parse()
                        .map_err(|_| "_count must be a non-negative integer".to_owned())?;
                    paging.count = n.min(MAX_COUNT);
                }
                "_offset" => {
                    paging.offset = value
                        .parse()
                        .map_err(|_| "_offset must be a non-negative integer".to_owned())?;
                }
                "_since" => {
                    paging.since = Some(instant(value).ok_or_else(|| "bad _since".to_owned())?);
                }
                "_lastUpdated" => {
                    let (inclusive, rest) = if let Some(rest) = value.strip_prefix("gt") {
                        (false, rest)
                    } else if let Some(rest) = value.strip_prefix("ge") {
                        (true, rest)
                    } else {
                        return Err("_lastUpdated supports only gt and ge".to_owned());
                    };
                    paging.since =
                        Some(instant(rest).ok_or_else(|| "bad _lastUpdated".to_owned())?);
                    paging.inclusive = inclusive;
                }
                _ => {}
            }
        }
        Ok(paging)
    }

    pub(crate) fn keeps(&self, entry: &Entry) -> bool {
        match self.since {
            None => true,
            Some(t) if self.inclusive => entry.last_updated >= t,
            Some(t) => entry.last_updated > t,
        }
    }
}

/// A query `+` arrives as a space when the client did not percent-encode it.
fn instant(value: &str) -> Option<i64> {
    parse_instant(&value.trim().replace(' ', "+"))
}

/// Builds a `searchset` Bundle page with `self` and `next` links.
pub(crate) fn searchset(
    state: &FhirState,
    path: &str,
    params: &[(String, String)],
    paging: &Paging,
    matches: &[(&Entry, bool)],
) -> Response {
    searchset_with(state, path, params, paging, matches, |_| Vec::new())
}

/// [`searchset`] with resources that `include` adds for the page's matches
/// (`search.mode` include, after them, not counted in `total`).
fn searchset_with<'a>(
    state: &FhirState,
    path: &str,
    params: &[(String, String)],
    paging: &Paging,
    matches: &[(&'a Entry, bool)],
    include: impl Fn(&[(&'a Entry, bool)]) -> Vec<&'a Entry>,
) -> Response {
    let total = matches.len();
    let page: Vec<(&Entry, bool)> = matches
        .iter()
        .skip(paging.offset)
        .take(paging.count)
        .copied()
        .collect();
    let included = include(&page);
    let page: Vec<Value> = page
        .into_iter()
        .chain(included.into_iter().map(|entry| (entry, false)))
        .map(|(entry, is_match)| {
            json!({
                "fullUrl": format!("{}/{}/{}", state.base_url, entry.kind, entry.id),
                "resource": &*entry.resource,
                "search": {"mode": if is_match { "match" } else { "include" }},
            })
        })
        .collect();
    let link = |offset: usize| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params.iter().filter(|(k, _)| k != "_offset") {
            query.append_pair(k, v);
        }
        if offset > 0 {
            query.append_pair("_offset", &offset.to_string());
        }
        let query = query.finish();
        if query.is_empty() {
            format!("{}/{path}", state.base_url)
        } else {
            format!("{}/{path}?{query}", state.base_url)
        }
    };
    let mut links = vec![json!({"relation": "self", "url": link(paging.offset)})];
    let next = paging.offset.saturating_add(paging.count);
    if paging.count > 0 && next < total {
        let target = if state.faults.get().paging_loop {
            0
        } else {
            next
        };
        links.push(json!({"relation": "next", "url": link(target)}));
    }
    fhir_json(
        StatusCode::OK,
        &json!({
            "resourceType": "Bundle",
            "type": "searchset",
            "total": total,
            "link": links,
            "entry": page,
        }),
    )
}

/// `GET /fhir/{type}/{id}`
pub async fn read(
    State(state): State<FhirState>,
    Path((kind, id)): Path<(String, String)>,
) -> Response {
    let store = state.store();
    match store.get(&kind, &id) {
        Some(entry) => {
            let mut response = fhir_json(StatusCode::OK, &entry.resource);
            if let Some(version) = entry.resource["meta"]["versionId"].as_str() {
                if let Ok(etag) = HeaderValue::from_str(&format!("W/\"{version}\"")) {
                    response.headers_mut().insert(header::ETAG, etag);
                }
            }
            response
        }
        None if is_known_type(&store, &kind) => outcome(
            StatusCode::NOT_FOUND,
            "not-found",
            &format!("{kind} resource not found"),
        ),
        None => unknown_type(),
    }
}

fn is_known_type(store: &Store, kind: &str) -> bool {
    store.has_type(kind) || SEARCHABLE.iter().any(|(t, _)| *t == kind)
}

fn unknown_type() -> Response {
    outcome(
        StatusCode::NOT_FOUND,
        "not-supported",
        "resource type not supported",
    )
}

/// `GET /fhir/{type}/{id}/{operation}`: only `Patient/{id}/$everything`.
pub async fn operation(
    State(state): State<FhirState>,
    Path((kind, id, op)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let store = state.store();
    if kind != "Patient" || op != "$everything" {
        return outcome(
            StatusCode::NOT_FOUND,
            "not-supported",
            "operation not supported",
        );
    }
    if state.faults.get().everything_disabled {
        return outcome(
            StatusCode::NOT_FOUND,
            "not-supported",
            "$everything is not supported",
        );
    }
    let params = parse_query(raw.as_deref());
    if let Some((key, _)) = params
        .iter()
        .find(|(k, _)| !["_count", "_offset", "_since", "_format", "_pretty"].contains(&k.as_str()))
    {
        return bad_request(&format!("unsupported parameter for $everything: {key}"));
    }
    let paging = match Paging::from(&params) {
        Ok(p) => p,
        Err(diagnostics) => return bad_request(&diagnostics),
    };
    let Some(all) = store.everything(&id) else {
        return outcome(StatusCode::NOT_FOUND, "not-found", "Patient not found");
    };
    let matches: Vec<(&Entry, bool)> = all.into_iter().filter(|(e, _)| paging.keeps(e)).collect();
    searchset(
        &state,
        &format!("Patient/{id}/$everything"),
        &params,
        &paging,
        &matches,
    )
}

/// `GET /fhir/{type}?…`
pub async fn search(
    State(state): State<FhirState>,
    Path(kind): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let store = state.store();
    let params = parse_query(raw.as_deref());
    let specific: &[&str] = match SEARCHABLE.iter().find(|(t, _)| *t == kind) {
        Some((_, specific)) => specific,
        None if store.has_type(&kind) => &["patient"],
        None => return unknown_type(),
    };
    if let Some((key, _)) = params
        .iter()
        .find(|(k, _)| !COMMON_PARAMS.contains(&k.as_str()) && !specific.contains(&k.as_str()))
    {
        return bad_request(&format!("unsupported search parameter for {kind}: {key}"));
    }
    let paging = match Paging::from(&params) {
        Ok(p) => p,
        Err(diagnostics) => return bad_request(&diagnostics),
    };
    let mut include_subject = false;
    let mut newest_first = None;
    for (key, value) in &params {
        match (key.as_str(), value.as_str()) {
            ("_include", SERVICE_REQUEST_INCLUDE) => include_subject = true,
            ("_include", _) => {
                return bad_request(&format!("_include supports only {SERVICE_REQUEST_INCLUDE}"))
            }
            ("_sort", "-authored") => newest_first = Some(true),
            ("_sort", "authored") => newest_first = Some(false),
            ("_sort", _) => return bad_request("_sort supports only authored and -authored"),
            _ => {}
        }
    }

    // The patient compartment narrows the candidates when a patient is given.
    let patient = params
        .iter()
        .find(|(k, _)| k == "patient" || k == "subject")
        .map(|(_, v)| v.strip_prefix("Patient/").unwrap_or(v).to_owned());
    let candidates: Vec<&Entry> = match &patient {
        Some(pid) => store.compartment(pid).filter(|e| e.kind == kind).collect(),
        None => store.of_type(&kind).collect(),
    };

    let mut filters: Vec<Filter<'_>> = Vec::new();
    for (key, value) in &params {
        let value = value.as_str();
        match key.as_str() {
            "_id" => {
                let ids: Vec<&str> = value.split(',').collect();
                filters.push(Box::new(move |r| {
                    r["id"].as_str().is_some_and(|id| ids.contains(&id))
                }));
            }
            "name" => {
                let needle = value.trim().to_lowercase();
                filters.push(Box::new(move |r| name_matches(r, &needle)));
            }
            "identifier" => {
                let (system, wanted) = match value.split_once('|') {
                    Some((s, v)) if !s.is_empty() => (Some(s), v),
                    Some((_, v)) => (None, v),
                    None => (None, value),
                };
                filters.push(Box::new(move |r| identifier_matches(r, system, wanted)));
            }
            "birthdate" => {
                let date = value.strip_prefix("eq").unwrap_or(value);
                let valid = date.len() >= 4 && date.chars().all(|c| c.is_ascii_digit() || c == '-');
                if !valid {
                    return bad_request(
                        "birthdate supports YYYY[-MM[-DD]] with optional eq prefix",
                    );
                }
                filters.push(Box::new(move |r| {
                    r["birthDate"].as_str().is_some_and(|b| {
                        b.starts_with(date)
                            && (b.len() == date.len()
                                || b.as_bytes().get(date.len()) == Some(&b'-'))
                    })
                }));
            }
            "category" => {
                let token = Token::parse(value);
                filters.push(Box::new(move |r| {
                    r["category"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|c| token.matches_concept(c))
                }));
            }
            "code" => {
                let tokens: Vec<Token> = value.split(',').map(Token::parse).collect();
                filters.push(Box::new(move |r| {
                    tokens.iter().any(|t| t.matches_concept(&r["code"]))
                }));
            }
            "performer" => {
                let wanted: Vec<&str> = value.split(',').collect();
                filters.push(Box::new(move |r| {
                    r["performer"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p["reference"].as_str())
                        .any(|reference| wanted.iter().any(|w| reference_matches(reference, w)))
                }));
            }
            "status" => {
                let wanted: Vec<&str> = value.split(',').collect();
                filters.push(Box::new(move |r| {
                    r["status"].as_str().is_some_and(|s| wanted.contains(&s))
                }));
            }
            _ => {}
        }
    }
    let mut matches: Vec<(&Entry, bool)> = candidates
        .into_iter()
        .filter(|e| paging.keeps(e) && filters.iter().all(|f| f(&e.resource)))
        .map(|e| (e, true))
        .collect();
    if let Some(newest_first) = newest_first {
        // Requests without a (readable) authoredOn go last either way.
        matches.sort_by_key(|(e, _)| {
            let authored = e.resource["authoredOn"].as_str().and_then(parse_instant);
            let key = authored.map(|t| if newest_first { -t } else { t });
            (key.is_none(), key)
        });
    }
    searchset_with(&state, &kind, &params, &paging, &matches, |page| {
        if !include_subject {
            return Vec::new();
        }
        let mut seen = std::collections::HashSet::new();
        page.iter()
            .filter_map(|(e, _)| e.resource["subject"]["reference"].as_str())
            .filter_map(parse_reference)
            .filter(|(kind, _)| kind == "Patient")
            .filter_map(|(_, id)| store.get("Patient", &id))
            .filter(|patient| seen.insert(patient.id.clone()))
            .collect()
    })
}

/// A search criterion over a resource.
pub(crate) type Filter<'a> = Box<dyn Fn(&Value) -> bool + 'a>;

fn name_matches(resource: &Value, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    resource["name"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|name| {
            let family = name["family"].as_str().unwrap_or_default();
            let given: Vec<&str> = name["given"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let text = name["text"].as_str().unwrap_or_default();
            let given_joined = given.join("");
            let mut candidates = vec![
                family.to_owned(),
                text.to_owned(),
                format!("{family}{given_joined}"),
                format!("{} {family}", given.join(" ")),
            ];
            candidates.extend(given.iter().map(|g| (*g).to_owned()));
            candidates.iter().any(|c| c.to_lowercase().contains(needle))
        })
}

fn identifier_matches(resource: &Value, system: Option<&str>, value: &str) -> bool {
    resource["identifier"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|i| {
            i["value"].as_str() == Some(value)
                && system.is_none_or(|s| i["system"].as_str() == Some(s))
        })
}

/// Whether a literal reference points at `wanted`, given as `Type/id` (or an
/// absolute URL ending so) or as a bare `id` of any type.
pub(crate) fn reference_matches(reference: &str, wanted: &str) -> bool {
    let Some((kind, id)) = parse_reference(reference) else {
        return false;
    };
    if !wanted.contains('/') {
        return id == wanted;
    }
    parse_reference(wanted)
        .is_some_and(|(wanted_kind, wanted_id)| kind == wanted_kind && id == wanted_id)
}

/// A token search value: `code`, `system|code` or `system|`.
pub(crate) struct Token<'a> {
    system: Option<&'a str>,
    code: Option<&'a str>,
}

impl<'a> Token<'a> {
    pub(crate) fn parse(value: &'a str) -> Self {
        match value.split_once('|') {
            Some((system, code)) => Token {
                system: (!system.is_empty()).then_some(system),
                code: (!code.is_empty()).then_some(code),
            },
            None => Token {
                system: None,
                code: Some(value),
            },
        }
    }

    fn matches_concept(&self, concept: &Value) -> bool {
        concept["coding"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| self.matches_coding(c))
    }

    /// Whether a `Coding` has this token's system and code.
    pub(crate) fn matches_coding(&self, coding: &Value) -> bool {
        self.system
            .is_none_or(|s| coding["system"].as_str() == Some(s))
            && self
                .code
                .is_none_or(|code| coding["code"].as_str() == Some(code))
    }
}

/// A `date` search value: its prefix and the span its precision covers
/// (`2026-01` is all of January), in milliseconds since the Unix epoch; read
/// as UTC unless it has a zone, like [`parse_instant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateParam {
    prefix: DatePrefix,
    start: i64,
    end: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DatePrefix {
    Eq,
    Ge,
    Le,
    Gt,
    Lt,
}

impl DateParam {
    /// Parses `[eq|ge|le|gt|lt]YYYY[-MM[-DD[Thh:mm:ss[.sss]zone]]]`.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        // A query `+` arrives as a space when the client did not percent-encode it.
        let value = value.trim().replace(' ', "+");
        let (prefix, rest) = match value.get(..2) {
            Some("eq") => (DatePrefix::Eq, &value[2..]),
            Some("ge") => (DatePrefix::Ge, &value[2..]),
            Some("le") => (DatePrefix::Le, &value[2..]),
            Some("gt") => (DatePrefix::Gt, &value[2..]),
            Some("lt") => (DatePrefix::Lt, &value[2..]),
            _ => (DatePrefix::Eq, value.as_str()),
        };
        let (start, end) = date_span(rest)?;
        Some(DateParam { prefix, start, end })
    }

    /// Whether an instant (milliseconds since the epoch) satisfies the value.
    pub(crate) fn matches(&self, t: i64) -> bool {
        match self.prefix {
            DatePrefix::Eq => self.start <= t && t < self.end,
            DatePrefix::Ge => t >= self.start,
            DatePrefix::Le => t < self.end,
            DatePrefix::Gt => t >= self.end,
            DatePrefix::Lt => t < self.start,
        }
    }
}

/// The `[start, end)` a date value covers, in milliseconds since the epoch.
fn date_span(value: &str) -> Option<(i64, i64)> {
    let midnight = |date: chrono::NaiveDate| {
        date.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let year_month = |year: i32, month: u32| chrono::NaiveDate::from_ymd_opt(year, month, 1);
    match value.len() {
        4 if all_digits(value) => {
            let year: i32 = value.parse().ok()?;
            Some((
                midnight(year_month(year, 1)?)?,
                midnight(year_month(year + 1, 1)?)?,
            ))
        }
        7 => {
            let (year, month) = value.split_once('-')?;
            if !all_digits(year) || !all_digits(month) {
                return None;
            }
            let (year, month): (i32, u32) = (year.parse().ok()?, month.parse().ok()?);
            let next = if month == 12 {
                year_month(year + 1, 1)
            } else {
                year_month(year, month + 1)
            };
            Some((midnight(year_month(year, month)?)?, midnight(next?)?))
        }
        10 => {
            let day = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
            Some((midnight(day)?, midnight(day.succ_opt()?)?))
        }
        _ if value.contains('T') => {
            let t = parse_instant(value)?;
            let precision = if value.contains('.') { 1 } else { 1000 };
            Some((t, t + precision))
        }
        _ => None,
    }
}

/// One resource type's entry in the CapabilityStatement.
pub(crate) fn capability(kind: &str, interactions: &[&str], params: &[(&str, &str)]) -> Value {
    let mut search_params: Vec<Value> = params
        .iter()
        .map(|(name, kind)| json!({"name": name, "type": kind}))
        .collect();
    search_params.push(json!({"name": "_id", "type": "token"}));
    search_params.push(json!({"name": "_lastUpdated", "type": "date"}));
    search_params.push(json!({"name": "_count", "type": "number"}));
    let interactions: Vec<Value> = interactions.iter().map(|i| json!({"code": i})).collect();
    json!({"type": kind, "interaction": interactions, "searchParam": search_params})
}

async fn oauth_endpoints(state: &FhirState) -> Option<Value> {
    let issuer = state.issuer.as_ref()?;
    match issuer.discovery().await {
        Ok(doc) => Some(doc),
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "issuer discovery unavailable");
            None
        }
    }
}

/// `GET /fhir/metadata`
pub async fn metadata(State(state): State<FhirState>) -> Response {
    let mut resources: Vec<Value> = SEARCHABLE
        .iter()
        .map(|(kind, specific)| {
            let params: Vec<(&str, &str)> = specific
                .iter()
                .filter(|p| !p.starts_with('_'))
                .map(|p| {
                    let kind = match *p {
                        "patient" | "subject" | "performer" => "reference",
                        "name" => "string",
                        "birthdate" => "date",
                        _ => "token",
                    };
                    (*p, kind)
                })
                .collect();
            let mut resource = capability(kind, &["read", "search-type"], &params);
            if *kind == "Patient" {
                resource["operation"] = json!([{
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }]);
            }
            if *kind == "ServiceRequest" {
                resource["searchInclude"] = json!([SERVICE_REQUEST_INCLUDE]);
            }
            resource
        })
        .collect();
    resources.push(crate::audit::capability());
    resources.push(crate::task::capability());
    let mut rest = json!({"mode": "server", "resource": resources});
    if let Some(doc) = oauth_endpoints(&state).await {
        let mut uris = Vec::new();
        if let Some(token) = doc["token_endpoint"].as_str() {
            uris.push(json!({"url": "token", "valueUri": token}));
        }
        if let Some(authorize) = doc["authorization_endpoint"].as_str() {
            uris.push(json!({"url": "authorize", "valueUri": authorize}));
        }
        rest["security"] = json!({
            "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}]}],
            "extension": [{"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris", "extension": uris}],
        });
    }
    fhir_json(
        StatusCode::OK,
        &json!({
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2026-06-01",
            "kind": "instance",
            "software": {"name": "ChartGuard platform-sim", "version": env!("CARGO_PKG_VERSION")},
            "implementation": {"description": "ChartGuard demo regional platform", "url": state.base_url},
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "rest": [rest],
        }),
    )
}

/// `GET /fhir/.well-known/smart-configuration`
pub async fn smart_configuration(State(state): State<FhirState>) -> Response {
    if state.issuer.is_none() {
        return outcome(
            StatusCode::NOT_FOUND,
            "not-supported",
            "no issuer configured",
        );
    }
    let Some(doc) = oauth_endpoints(&state).await else {
        return outcome(
            StatusCode::SERVICE_UNAVAILABLE,
            "transient",
            "issuer discovery unavailable",
        );
    };
    fhir_json(
        StatusCode::OK,
        &json!({
            "issuer": doc["issuer"],
            "authorization_endpoint": doc["authorization_endpoint"],
            "token_endpoint": doc["token_endpoint"],
            "jwks_uri": doc["jwks_uri"],
            "capabilities": ["launch-standalone", "client-public", "context-standalone-patient", "permission-user", "permission-offline"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", "offline_access", "user/*.read"],
        }),
    )
}

/// Fallback for unknown paths.
pub async fn not_found() -> Response {
    outcome(StatusCode::NOT_FOUND, "not-found", "no such endpoint")
}

/// Fallback for unsupported methods.
pub async fn method_not_allowed() -> Response {
    outcome(
        StatusCode::METHOD_NOT_ALLOWED,
        "not-supported",
        "method not allowed: only AuditEvent and Task take PUT; everything else is read-only",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_values_cover_the_span_of_their_precision() {
        let at = |s: &str| parse_instant(s).unwrap();
        let cases = [
            ("2026-01", "2026-01-31T23:59:59Z", true),
            ("2026-01", "2026-02-01T00:00:00Z", false),
            ("eq2026", "2026-12-31T23:00:00Z", true),
            ("ge2026-01-01", "2026-01-01T00:00:00Z", true),
            ("ge2026-01-01", "2025-12-31T23:59:59Z", false),
            ("gt2026-01-01", "2026-01-01T12:00:00Z", false),
            ("gt2026-01-01", "2026-01-02T00:00:00Z", true),
            ("lt2026-02-01", "2026-01-31T23:59:59Z", true),
            ("lt2026-02-01", "2026-02-01T00:00:00Z", false),
            ("le2026-02-01", "2026-02-01T23:59:59Z", true),
            ("le2026-02-01", "2026-02-02T00:00:00Z", false),
            ("eq2026-05-01T09:30:00+08:00", "2026-05-01T01:30:00Z", true),
            ("ge2026-05-01T09:30:00 08:00", "2026-05-01T01:30:00Z", true),
        ];
        for (value, recorded, expected) in cases {
            let param = DateParam::parse(value).unwrap();
            assert_eq!(param.matches(at(recorded)), expected, "{value} {recorded}");
        }
        for bad in [
            "ne2026-01-01",
            "2026-1",
            "20260101",
            "2026-13",
            "ge",
            "2026-01-01T10:00",
        ] {
            assert!(DateParam::parse(bad).is_none(), "{bad}");
        }
    }
}
