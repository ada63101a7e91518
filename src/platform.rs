//! The regional platform's FHIR R4 API: patient search and a patient's whole
//! history (`$everything` with paging, or per-type searches where the
//! platform does not offer it). Bounded in every direction: timeouts, a few
//! retries for idempotent reads, a response size cap, paging links that must
//! stay on the platform and must not loop.
//!
//! Returns raw resources; turning them into what the doctor sees is
//! [`crate::chart`]'s job. Logs carry paths and statuses, never bodies.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use rand::Rng as _;
use serde_json::Value;
use url::Url;

use crate::config::Config;
use crate::error::{Error, Remote, Result};
use crate::fhir::{array, reference_target, resource_type, str_field};
use crate::search::PatientQuery;

pub(crate) const PAGE_SIZE: u32 = 200;
const MAX_PAGES: usize = 1000;
/// What one patient's history may add up to over all its pages.
const MAX_HISTORY_BYTES: usize = 512 * 1024 * 1024;
const MAX_ATTEMPTS: u32 = 3;
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// The most audit events "who viewed" reads of one patient.
const MAX_AUDIT_EVENTS: usize = 1000;
/// The most referrals (and their patients, and decisions) an inbox reads.
const MAX_REFERRALS: usize = 500;

/// The resource types fetched one by one when `$everything` is unavailable.
const HISTORY_TYPES: &[&str] = &[
    "Encounter",
    "Condition",
    "AllergyIntolerance",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "DiagnosticReport",
    "Procedure",
    "Immunization",
    "DocumentReference",
    "ServiceRequest",
];

pub(crate) struct Platform {
    http: reqwest::Client,
    /// Base URL, always ending in `/` so that joins stay beneath it.
    base: Url,
    max_body: u64,
    /// How far the latest history fetch has got, for the UI's progress.
    progress: std::sync::Mutex<FetchProgress>,
}

/// How far a history fetch has got: records received, and how many the
/// platform said there are (when it said).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FetchProgress {
    pub(crate) received: u32,
    pub(crate) total: Option<u32>,
}

/// Patients asked for per search: enough to narrow by an ID fragment.
pub(crate) const SEARCH_PAGE: usize = 50;

/// A patient search's answer.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) patients: Vec<Value>,
    /// How many match in all, when the platform says.
    pub(crate) total: Option<u32>,
    /// `patients` are all that match.
    pub(crate) complete: bool,
}

impl Platform {
    /// How far the latest history fetch has got.
    pub(crate) fn progress(&self) -> FetchProgress {
        *self
            .progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets the last fetch's progress (the session that made it ended).
    pub(crate) fn reset_progress(&self) {
        self.set_progress(|p| *p = FetchProgress::default());
    }

    fn set_progress(&self, change: impl FnOnce(&mut FetchProgress)) {
        change(
            &mut self
                .progress
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
    }

    pub(crate) fn new(config: &Config) -> Result<Self> {
        let mut base = config.platform.base_url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(Platform {
            http: crate::tls::http_client(
                config,
                Duration::from_secs(config.platform.timeout_secs),
            )?,
            base,
            max_body: config.platform.max_response_mib * 1024 * 1024,
            progress: std::sync::Mutex::new(FetchProgress::default()),
        })
    }

    /// The patients matching `query` (one page of up to [`SEARCH_PAGE`]),
    /// and how many match in all when the platform says.
    pub(crate) async fn search_patients(&self, token: &str, query: &PatientQuery) -> Result<Found> {
        let mut url = self.url("Patient")?;
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(name) = &query.name {
                pairs.append_pair("name", name);
            }
            if let Some(birth) = &query.birth {
                pairs.append_pair("birthdate", birth);
            }
            if let Some(identifier) = query.identifier_for_platform() {
                pairs.append_pair("identifier", identifier);
            }
            pairs.append_pair("_count", &SEARCH_PAGE.to_string());
        }
        let bundle = self.get(url, token).await?;
        let patients: Vec<Value> = bundle_entries(&bundle)?
            .into_iter()
            .filter(|(mode, r)| {
                mode.is_none_or(|m| m == "match") && resource_type(r) == Some("Patient")
            })
            .map(|(_, r)| r)
            .collect();
        let total = bundle
            .get("total")
            .and_then(Value::as_u64)
            .map(|t| u32::try_from(t).unwrap_or(u32::MAX));
        Ok(Found {
            complete: next_link(&bundle).is_none()
                && total.is_none_or(|t| t as usize <= patients.len()),
            patients,
            total,
        })
    }

    /// Every resource of the patient's shared history, and the platform's
    /// own time of the answer. With `since` (a platform time), only what
    /// changed after that instant (`_since`).
    pub(crate) async fn history(
        &self,
        token: &str,
        patient_id: &str,
        since: Option<SystemTime>,
    ) -> Result<History> {
        let id = checked_id(patient_id)?;
        self.reset_progress();
        let since = since.map(|t| humantime::format_rfc3339_seconds(t).to_string());
        let mut url = self.url(&format!("Patient/{id}/$everything"))?;
        url.query_pairs_mut()
            .append_pair("_count", &PAGE_SIZE.to_string());
        if let Some(since) = &since {
            url.query_pairs_mut().append_pair("_since", since);
        }
        match self.all_pages(url, token).await {
            Err(Error::NotFound | Error::Platform(400 | 405 | 501)) => {
                tracing::info!("$everything unavailable; falling back to per-type searches");
                self.reset_progress();
                self.history_by_type(token, id, since.as_deref()).await
            }
            other => other,
        }
    }

    async fn history_by_type(&self, token: &str, id: &str, since: Option<&str>) -> Result<History> {
        let first = self
            .get_page(self.url(&format!("Patient/{id}"))?, token)
            .await?;
        let (patient, platform_time) = (first.body, first.date);
        if resource_type(&patient) != Some("Patient") {
            return Err(Error::Malformed(
                Remote::Platform,
                "a patient read returned something else",
            ));
        }
        let mut resources = vec![patient];
        for ty in HISTORY_TYPES {
            let mut url = self.url(ty)?;
            url.query_pairs_mut()
                .append_pair("patient", id)
                .append_pair("_count", &PAGE_SIZE.to_string());
            if let Some(since) = since {
                url.query_pairs_mut()
                    .append_pair("_lastUpdated", &format!("gt{since}"));
            }
            resources.extend(self.all_pages(url, token).await?.resources);
        }
        // Provenance: the hospitals the encounters name.
        let orgs: HashSet<String> = resources
            .iter()
            .filter_map(|r| r.get("serviceProvider"))
            .filter_map(reference_target)
            .filter(|(ty, _)| *ty == "Organization")
            .filter_map(|(_, id)| checked_id(id).ok().map(str::to_owned))
            .collect();
        for org in orgs {
            match self
                .get(self.url(&format!("Organization/{org}"))?, token)
                .await
            {
                Ok(resource) => resources.push(resource),
                Err(Error::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(History {
            resources,
            platform_time,
        })
    }

    /// Follows `Bundle.link[next]` to the end and returns every resource.
    /// Stops with an error when the paging loops, does not advance, leaves
    /// the platform, or grows beyond what a workstation should hold.
    async fn all_pages(&self, first: Url, token: &str) -> Result<History> {
        let mut seen = HashSet::new();
        let mut next = Some(first);
        let mut resources = Vec::new();
        let mut platform_time = None;
        let mut total_bytes = 0usize;
        while let Some(url) = next.take() {
            if !seen.insert(url.to_string()) {
                return Err(Error::Malformed(
                    Remote::Platform,
                    "its paging links go round in a loop",
                ));
            }
            if seen.len() > MAX_PAGES {
                return Err(Error::Malformed(
                    Remote::Platform,
                    "the history has too many pages",
                ));
            }
            let page = self.get_page(url, token).await?;
            let bundle = page.body;
            // The first answer dates the snapshot: later pages only add to it.
            platform_time = platform_time.or(page.date);
            total_bytes += page.bytes;
            if total_bytes > MAX_HISTORY_BYTES {
                return Err(Error::Malformed(
                    Remote::Platform,
                    "the history is larger than allowed",
                ));
            }
            let entries = bundle_entries(&bundle)?;
            next = next_link(&bundle)
                .map(|link| on_platform(&self.base, link))
                .transpose()?;
            if entries.is_empty() && next.is_some() {
                return Err(Error::Malformed(
                    Remote::Platform,
                    "its paging does not advance",
                ));
            }
            let (received, total) = (entries.len(), bundle.get("total").and_then(Value::as_u64));
            self.set_progress(|p| {
                p.received = p
                    .received
                    .saturating_add(u32::try_from(received).unwrap_or(u32::MAX));
                // Per-type searches each have their own total: they add up.
                if seen.len() == 1 {
                    p.total = match (p.total, total) {
                        (Some(sum), Some(t)) => {
                            Some(sum.saturating_add(u32::try_from(t).unwrap_or(u32::MAX)))
                        }
                        (None, t) => t.map(|t| u32::try_from(t).unwrap_or(u32::MAX)),
                        (sum, None) => sum,
                    };
                }
            });
            resources.extend(entries.into_iter().map(|(_, r)| r));
        }
        Ok(History {
            resources,
            platform_time,
        })
    }

    /// Stores the `AuditEvent` `event` under its own id (`PUT`, so a resend
    /// after a crash is the same event, not a second one). One attempt: the
    /// outbox retries.
    pub(crate) async fn put_audit_event(&self, token: &str, event: &Value) -> Result<()> {
        let id = checked_id(str_field(event, "id").unwrap_or_default())?;
        // Any 2xx means the platform has it; its answer is not read.
        self.put_status(&format!("AuditEvent/{id}"), token, event)
            .await
            .map(drop)
    }

    /// The platform's audit events about the patient, newest first (at
    /// most `MAX_AUDIT_EVENTS`).
    pub(crate) async fn audit_events(&self, token: &str, patient_id: &str) -> Result<Vec<Value>> {
        let mut url = self.url("AuditEvent")?;
        url.query_pairs_mut()
            .append_pair("patient", &format!("Patient/{}", checked_id(patient_id)?))
            .append_pair("_count", "200");
        self.search(url, token, MAX_AUDIT_EVENTS).await
    }

    /// The open referrals (active or on hold) whose performer is
    /// `performer` (e.g. `Organization/dept-cardiology`), with their
    /// patients (`_include`).
    pub(crate) async fn referrals(&self, token: &str, performer: &str) -> Result<Vec<Value>> {
        let mut url = self.url("ServiceRequest")?;
        url.query_pairs_mut()
            .append_pair("performer", performer)
            .append_pair("status", "active,on-hold")
            .append_pair("_include", "ServiceRequest:subject")
            .append_pair("_sort", "-authored")
            .append_pair("_count", "100");
        self.search(url, token, MAX_REFERRALS).await
    }

    /// The workflow tasks owned by `owner`: the department's decisions on
    /// its referrals.
    pub(crate) async fn tasks(&self, token: &str, owner: &str) -> Result<Vec<Value>> {
        let mut url = self.url("Task")?;
        url.query_pairs_mut()
            .append_pair("owner", owner)
            .append_pair("_count", "200");
        self.search(url, token, MAX_REFERRALS).await
    }

    /// One resource by type and id.
    pub(crate) async fn read(&self, token: &str, kind: &str, id: &str) -> Result<Value> {
        let url = self.url(&format!("{kind}/{}", checked_id(id)?))?;
        self.get(url, token).await
    }

    /// Creates or replaces `resource` under its id and returns what the
    /// platform stored.
    pub(crate) async fn put_resource(&self, token: &str, resource: &Value) -> Result<Value> {
        let kind = resource_type(resource).ok_or(Error::Internal("a resource without a type"))?;
        let id = checked_id(str_field(resource, "id").unwrap_or_default())?;
        self.put(&format!("{kind}/{id}"), token, resource).await
    }

    /// For `chartguard --check`: the CapabilityStatement over TLS without a
    /// token (FHIR serves it to anyone), its FHIR version, and the
    /// platform's clock (`Date`).
    pub(crate) async fn capability(&self) -> Result<(String, Option<SystemTime>)> {
        let remote = Remote::Platform;
        let response = self
            .http
            .get(self.url("metadata")?)
            .header(reqwest::header::ACCEPT, "application/fhir+json")
            .send()
            .await
            .map_err(|e| Error::from_http(remote, &e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(Error::Platform(status));
        }
        let date = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        let statement: Value = response
            .json()
            .await
            .map_err(|_| Error::Malformed(remote, "its metadata was not valid FHIR JSON"))?;
        if resource_type(&statement) != Some("CapabilityStatement") {
            return Err(Error::Malformed(
                remote,
                "its metadata is not a CapabilityStatement",
            ));
        }
        let version = str_field(&statement, "fhirVersion")
            .unwrap_or("unknown")
            .to_owned();
        Ok((version, date))
    }

    /// Whether the platform's CapabilityStatement offers `interaction` on
    /// resources of type `kind`.
    pub(crate) async fn supports(
        &self,
        token: &str,
        kind: &str,
        interaction: &str,
    ) -> Result<bool> {
        let statement = self.get(self.url("metadata")?, token).await?;
        let offered = array(&statement, "rest")
            .flat_map(|rest| array(rest, "resource"))
            .filter(|r| str_field(r, "type") == Some(kind))
            .flat_map(|r| array(r, "interaction"))
            .any(|i| str_field(i, "code") == Some(interaction));
        Ok(offered)
    }

    /// A search's matches (not its `_include`d resources unless asked),
    /// across pages, up to `limit` resources.
    async fn search(&self, first: Url, token: &str, limit: usize) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            if !seen.insert(url.to_string()) {
                return Err(Error::Malformed(
                    Remote::Platform,
                    "its paging links go round in a loop",
                ));
            }
            let bundle = self.get(url, token).await?;
            out.extend(bundle_entries(&bundle)?.into_iter().map(|(_, r)| r));
            if out.len() >= limit {
                out.truncate(limit);
                break;
            }
            next = next_link(&bundle)
                .map(|link| on_platform(&self.base, link))
                .transpose()?;
        }
        Ok(out)
    }

    /// One `PUT` of a JSON resource, not retried (the caller decides);
    /// what the platform stored.
    async fn put(&self, path: &str, token: &str, body: &Value) -> Result<Value> {
        let remote = Remote::Platform;
        let response = self.put_status(path, token, body).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Error::from_http(remote, &e))?;
        if bytes.len() as u64 > self.max_body {
            return Err(Error::Malformed(
                remote,
                "a response was larger than allowed",
            ));
        }
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes)
            .map_err(|_| Error::Malformed(remote, "a response was not valid FHIR JSON"))
    }

    /// One `PUT`, answered with a 2xx, or the error its status means.
    async fn put_status(&self, path: &str, token: &str, body: &Value) -> Result<reqwest::Response> {
        let remote = Remote::Platform;
        let response = self
            .http
            .put(self.url(path)?)
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/fhir+json")
            .header(reqwest::header::CONTENT_TYPE, "application/fhir+json")
            .body(
                serde_json::to_vec(body)
                    .map_err(|_| Error::Internal("a resource could not be serialised"))?,
            )
            .send()
            .await
            .map_err(|e| Error::from_http(remote, &e))?;
        let status = response.status().as_u16();
        tracing::debug!(status, "platform PUT");
        match status {
            200..=299 => Ok(response),
            401 => Err(Error::SessionExpired),
            403 => Err(Error::AccessDenied),
            404 | 410 => Err(Error::NotFound),
            _ => Err(Error::Platform(status)),
        }
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base
            .join(path)
            .map_err(|_| Error::Internal("platform URL could not be built"))
    }

    /// One idempotent GET with bounded retries: connection failures, 429 and
    /// 502–504 are retried with backoff and jitter, honouring `Retry-After`.
    async fn get(&self, url: Url, token: &str) -> Result<Value> {
        self.get_page(url, token).await.map(|page| page.body)
    }

    /// [`Platform::get`], also telling the size and date of the answer.
    async fn get_page(&self, url: Url, token: &str) -> Result<Page> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.get_once(url.clone(), token).await;
            let retry = match &outcome {
                Err(Retryable::Yes(_, after)) if attempt < MAX_ATTEMPTS => Some(*after),
                _ => None,
            };
            match (outcome, retry) {
                (Ok(value), _) => return Ok(value),
                (Err(_), Some(after)) => {
                    let backoff = Duration::from_millis(250 * 2u64.pow(attempt - 1));
                    let jitter = Duration::from_millis(rand::thread_rng().gen_range(0..250));
                    tokio::time::sleep(after.unwrap_or(backoff + jitter).min(MAX_RETRY_AFTER))
                        .await;
                }
                (Err(Retryable::Yes(e, _) | Retryable::No(e)), None) => return Err(e),
            }
        }
    }

    async fn get_once(&self, url: Url, token: &str) -> Result<Page, Retryable> {
        let remote = Remote::Platform;
        let response = self
            .http
            .get(url)
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/fhir+json")
            .send()
            .await
            .map_err(|e| {
                let err = Error::from_http(remote, &e);
                match err {
                    Error::CertificateUntrusted(_) => Retryable::No(err),
                    _ => Retryable::Yes(err, None),
                }
            })?;
        let status = response.status().as_u16();
        // Paths name patient ids: only the status is logged.
        tracing::debug!(status, "platform GET");
        match status {
            200..=299 => {}
            401 => return Err(Retryable::No(Error::SessionExpired)),
            // The platform withdrew this doctor's access (consent, policy).
            403 => return Err(Retryable::No(Error::AccessDenied)),
            404 | 410 => return Err(Retryable::No(Error::NotFound)),
            // Redirects are not followed (they could carry the token elsewhere).
            300..=399 => return Err(Retryable::No(Error::Platform(status))),
            429 | 502..=504 => {
                let after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                return Err(Retryable::Yes(
                    Error::Platform(status),
                    Some(after).flatten(),
                ));
            }
            _ => return Err(Retryable::No(Error::Platform(status))),
        }
        if response
            .content_length()
            .is_some_and(|len| len > self.max_body)
        {
            return Err(Retryable::No(Error::Malformed(
                remote,
                "a response was larger than allowed",
            )));
        }
        let date = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        let mut body = Vec::new();
        let mut response = response;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| Retryable::Yes(Error::from_http(remote, &e), None))?
        {
            if body.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(Retryable::No(Error::Malformed(
                    remote,
                    "a response was larger than allowed",
                )));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body)
            .map(|value| Page {
                body: value,
                bytes: body.len(),
                date,
            })
            .map_err(|_| {
                Retryable::No(Error::Malformed(
                    remote,
                    "a response was not valid FHIR JSON",
                ))
            })
    }
}

/// A patient's history (or what changed in it) as the platform sent it.
#[derive(Debug)]
pub(crate) struct History {
    pub(crate) resources: Vec<Value>,
    /// The platform's clock when it answered (its `Date` header), so the
    /// next `_since` is asked in the platform's time, not the workstation's.
    pub(crate) platform_time: Option<SystemTime>,
}

/// One answer: its JSON body, its size and its `Date`.
struct Page {
    body: Value,
    bytes: usize,
    date: Option<SystemTime>,
}

enum Retryable {
    /// Worth another try, after the server's `Retry-After` if it gave one.
    Yes(Error, Option<Duration>),
    No(Error),
}

/// Patient ids go into URL paths: only FHIR's id alphabet is accepted.
fn checked_id(id: &str) -> Result<&str> {
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !id.chars().all(|c| c == '.');
    if valid {
        Ok(id)
    } else {
        Err(Error::NotFound)
    }
}

/// Paging links are followed only while they stay beneath the platform's
/// base URL: the bearer token must never be sent anywhere else.
fn on_platform(base: &Url, link: &str) -> Result<Url> {
    let url = base
        .join(link)
        .map_err(|_| Error::Malformed(Remote::Platform, "a paging link is not a URL"))?;
    if url.origin() != base.origin() || !url.path().starts_with(base.path()) {
        return Err(Error::Malformed(
            Remote::Platform,
            "a paging link points outside the platform",
        ));
    }
    Ok(url)
}

/// `(search.mode, resource)` of every entry of a Bundle.
fn bundle_entries(bundle: &Value) -> Result<Vec<(Option<&str>, Value)>> {
    if resource_type(bundle) != Some("Bundle") {
        return Err(Error::Malformed(
            Remote::Platform,
            "a search did not return a Bundle",
        ));
    }
    Ok(array(bundle, "entry")
        .filter_map(|e| {
            let resource = e.get("resource").filter(|r| r.is_object())?;
            let mode = e.get("search").and_then(|s| str_field(s, "mode"));
            Some((mode, resource.clone()))
        })
        .collect())
}

pub(crate) fn next_link(bundle: &Value) -> Option<&str> {
    array(bundle, "link")
        .find(|l| str_field(l, "relation") == Some("next"))
        .and_then(|l| str_field(l, "url"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_outside_the_fhir_alphabet_are_refused() {
        for bad in [
            "",
            ".",
            "..",
            "../metadata",
            "a/b",
            "x?y=1",
            &"a".repeat(65),
        ] {
            assert!(checked_id(bad).is_err(), "{bad}");
        }
        assert_eq!(checked_id("cn-0001").ok(), Some("cn-0001"));
    }

    #[test]
    fn paging_links_must_stay_beneath_the_platform() {
        let base = Url::parse("https://hie.example/fhir/").unwrap();
        let cases = [
            (
                "https://hie.example/fhir/Patient/p/$everything?_page=2",
                true,
            ),
            ("Patient?name=x&_offset=50", true),
            ("https://evil.example/fhir/Patient", false),
            ("http://hie.example/fhir/Patient", false),
            ("https://hie.example:8443/fhir/Patient", false),
            ("https://hie.example/admin/export", false),
            ("/fhirish/Patient", false),
            ("https://hie.example/fhir/../admin", false),
        ];
        for (link, allowed) in cases {
            assert_eq!(on_platform(&base, link).is_ok(), allowed, "{link}");
        }
    }
}
