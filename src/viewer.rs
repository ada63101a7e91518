//! **API Boundary.** [`Viewer`] is the one façade the shell (and any other
//! front end) talks to. Each method is one user action; it returns a type
//! from [`crate::view`] or an [`Error`] with a stable code.
//!
//! Charts come from the doctor's encrypted cache when it has them (at once,
//! labelled with the time they were current) and from the platform
//! otherwise; `refresh_patient` brings a cached chart up to date. When the
//! platform is down the cached chart stays usable.
//!
//! Every method that shows, exports or unseals patient data writes its
//! audit entry to the trail first and fails when that write fails
//! (`audit`); events after the fact (logout, a refusal, a failed login) are
//! written as well as they can be. The trail's outbox is forwarded to the
//! platform by [`Viewer::run_audit_forwarder`].

mod auditing;
mod desk;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{oneshot, Mutex};

use crate::audit::Trail;
use crate::auth::{BrowserOpener, Grant, Identity, Idp};
use crate::cache::{self, Cache, SyncTime};
use crate::config::{Config, LoginFlow};
use crate::error::{Error, ErrorCode, ErrorPayload, Result};
use crate::export::{self, Labels, Purpose};
use crate::fhir::is_cjk;
use crate::glass::{Glass, GlassEnd};
use crate::mask;
use crate::platform::{Found, Platform};
use crate::search::{PatientQuery, SHOWN};

/// How many recently opened patients the search screen offers.
const RECENT_PATIENTS: usize = 10;
use crate::policy::{Privacy, Who};
use crate::secrets;
use crate::view::{
    AppInfo, AuditAction, BreakGlassReasonView, Chart, ExportReceipt, ExportRequest, ExportScope,
    Freshness, ResultSeries, SearchResults, SessionInfo, WatermarkTamper, WatermarkView,
};
use crate::watermark::{self, local_minute, Person, Stamp, WatermarkPolicy};
use auditing::{masked_query, purpose_of, shown_types};

/// The longest note a doctor can give: breaking the glass, declining a referral.
const MAX_NOTE_CHARS: usize = 500;

/// How far before the last sync (platform time) an incremental refresh asks from.
const SINCE_MARGIN: Duration = Duration::from_secs(60);

/// Access tokens are renewed this long before they expire.
const REFRESH_MARGIN: Duration = Duration::from_secs(30);

/// The outbox is tried at least this often (and at once after each event).
const FORWARD_EVERY: Duration = Duration::from_secs(15);

/// Events sent per round trip to the trail.
const FORWARD_BATCH: u32 = 50;

pub struct Viewer {
    config: Config,
    idp: Idp,
    platform: Platform,
    privacy: Privacy,
    glass: Glass,
    session: Mutex<Option<Session>>,
    /// The logged-in doctor's cache. Locked after `session` when both are
    /// needed, and never held across a platform request.
    cache: Mutex<CacheSlot>,
    cancel_login: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    /// Counts chart requests (open, refresh): each new one supersedes the
    /// one before, whose platform fetch is then dropped.
    chart_requests: tokio::sync::watch::Sender<u64>,
    /// This machine's name, for the watermark.
    workstation: String,
    tampering: std::sync::Mutex<watermark::TamperTally>,
    trail: Trail,
    /// Wakes the forwarder when an event is written.
    audit_written: tokio::sync::Notify,
    /// The platform could not be reached: no event is sent before then.
    forwarding_paused_until: std::sync::Mutex<Option<Instant>>,
}

/// The state of the logged-in doctor's cache.
enum CacheSlot {
    /// Nobody logged in, or the cache is switched off.
    Closed,
    /// Whose cache it is: writes from a request of another session are dropped.
    Open { subject: String, cache: Cache },
    /// It could not be opened; charts come from the platform only.
    Unavailable(ErrorPayload),
}

/// The logged-in doctor. The access token lives only here, in memory; the
/// refresh token, if the policy allows one, only in the OS keyring.
struct Session {
    identity: Identity,
    access_token: String,
    expires_at: Instant,
    can_refresh: bool,
    /// Shown in the watermark; the audit trail resolves it to this login.
    reference: String,
    /// The user name of a password login, which unlocking asks the
    /// provider about again; `None` after a browser login.
    username: Option<String>,
    /// The screen is locked: no patient request is answered.
    locked: bool,
}

impl std::fmt::Debug for Viewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Viewer").finish_non_exhaustive()
    }
}

impl Viewer {
    pub fn new(config: Config) -> Result<Self> {
        let privacy = Privacy::load(config.policy.file.as_deref());
        Ok(Viewer {
            trail: Trail::new(&config, settings_digest(&config)),
            audit_written: tokio::sync::Notify::new(),
            forwarding_paused_until: std::sync::Mutex::new(None),
            idp: Idp::new(&config)?,
            platform: Platform::new(&config)?,
            privacy,
            glass: Glass::default(),
            config,
            session: Mutex::new(None),
            cache: Mutex::new(CacheSlot::Closed),
            cancel_login: std::sync::Mutex::new(None),
            chart_requests: tokio::sync::watch::Sender::new(0),
            workstation: workstation(),
            tampering: std::sync::Mutex::default(),
        })
    }

    pub fn app_info(&self) -> AppInfo {
        AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            login_flows: self.config.idp.flows.clone(),
            platform_url: self.config.platform.base_url.to_string(),
            idp_issuer: self.config.idp.issuer.to_string(),
            locale: crate::config::ui_locale(&self.config, sys_locale::get_locale().as_deref()),
            break_glass_reasons: self
                .privacy
                .policy()
                .map(|p| {
                    p.break_glass
                        .reasons
                        .iter()
                        .map(|r| BreakGlassReasonView {
                            code: r.code.clone(),
                            en: r.en.clone(),
                            zh: r.zh.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            break_glass_minutes: self.privacy.policy().map_or(0, |p| {
                u32::try_from(p.break_glass.duration.as_secs().div_ceil(60)).unwrap_or(u32::MAX)
            }),
            idle_lock_minutes: self.config.session.idle_lock_minutes,
        }
    }

    pub async fn session_info(&self) -> Option<SessionInfo> {
        let session = self.session.lock().await;
        let session = session.as_ref()?;
        Some(self.session_view(session).await)
    }

    async fn session_view(&self, session: &Session) -> SessionInfo {
        let identity = &session.identity;
        SessionInfo {
            desk: self.desk(identity),
            subject: identity.sub.clone(),
            display_name: identity.display_name().to_owned(),
            staff_no: identity.staff_no.clone(),
            department: identity.department.clone(),
            roles: identity.roles.clone(),
            cache_problem: self.cache_problem().await,
            locked: session.locked,
            unlock_with_password: session.username.is_some()
                && self.config.idp.flows.contains(&LoginFlow::Password),
        }
    }

    /// Locks the screen (the idle lock, or the doctor's Lock button): until
    /// [`Viewer::unlock_password`] or [`Viewer::unlock_browser`] with the
    /// same doctor, every patient request is refused with `Locked`.
    pub async fn lock(&self) -> Result<()> {
        let doctor = {
            let mut session = self.session.lock().await;
            let session = session.as_mut().ok_or(Error::NotLoggedIn)?;
            if session.locked {
                return Ok(());
            }
            session.locked = true;
            (session.identity.clone(), session.reference.clone())
        };
        tracing::info!("screen locked");
        self.audit_after(self.entry(AuditAction::Lock, Some(&doctor)))
            .await;
        Ok(())
    }

    /// Unlocks with the password of the doctor whose session it is.
    pub async fn unlock_password(&self, password: &str) -> Result<SessionInfo> {
        self.require_flow(LoginFlow::Password)?;
        let username = {
            let session = self.session.lock().await;
            let session = session.as_ref().ok_or(Error::NotLoggedIn)?;
            session.username.clone().ok_or(Error::InvalidCredentials)?
        };
        let grant = match password.is_empty() {
            true => Err(Error::InvalidCredentials),
            false => self.idp.password(&username, password).await,
        };
        self.unlock(grant).await
    }

    /// Unlocks through the system browser; the provider's answer must name
    /// the doctor whose session it is.
    pub async fn unlock_browser(&self, opener: &dyn BrowserOpener) -> Result<SessionInfo> {
        self.require_flow(LoginFlow::Browser)?;
        let grant = self.browser_grant(opener).await;
        self.unlock(grant).await
    }

    /// Takes a fresh grant of the same doctor: new tokens (the previous
    /// refresh token revoked), the identity as the provider states it now
    /// (roles may have changed), the same session: its watermark reference,
    /// its cache, any break-the-glass. Another person's grant is refused,
    /// recorded with who it was, and the screen stays locked.
    async fn unlock(&self, grant: Result<Grant>) -> Result<SessionInfo> {
        let Some(doctor) = self.doctor().await else {
            return Err(Error::NotLoggedIn);
        };
        let refused = |e: Error, detail: Option<String>| {
            let mut entry = self
                .entry(AuditAction::Unlock, Some(&doctor))
                .failed(e.code());
            entry.detail = detail;
            (e, entry)
        };
        let checked = match grant {
            Err(e) => Err(refused(e, None)),
            Ok(grant) => match &grant.identity {
                Some(identity) if identity.sub == doctor.0.sub => Ok(grant),
                other => {
                    let who = other.as_ref().map_or("no identity".to_owned(), |i| {
                        format!("sign-in of another person: {}", i.sub)
                    });
                    Err(refused(Error::NotSessionOwner, Some(who)))
                }
            },
        };
        let grant = match checked {
            Ok(grant) => grant,
            Err((e, entry)) => {
                tracing::warn!(code = ?e.code(), "unlock refused");
                if !matches!(e, Error::LoginCancelled) {
                    self.audit_after(entry).await;
                }
                return Err(e);
            }
        };
        let subject = doctor.0.sub.clone();
        let can_refresh = match (&grant.refresh_token, self.config.session.offline) {
            (Some(refresh), true) => {
                let _ = self.forget_refresh_token(&subject).await;
                Some(self.keep_refresh_token(&subject, refresh).await)
            }
            _ => None,
        };
        let info = {
            let mut guard = self.session.lock().await;
            let session = guard.as_mut().ok_or(Error::NotLoggedIn)?;
            if let Some(identity) = grant.identity {
                session.identity = identity;
            }
            if let Some(can_refresh) = can_refresh {
                session.can_refresh = can_refresh;
            }
            session.access_token = grant.access_token;
            session.expires_at = grant.expires_at;
            session.locked = false;
            self.session_view(session).await
        };
        tracing::info!("screen unlocked");
        self.audit_after(self.entry(AuditAction::Unlock, Some(&doctor)))
            .await;
        Ok(info)
    }

    pub async fn login_password(&self, username: &str, password: &str) -> Result<SessionInfo> {
        self.require_flow(LoginFlow::Password)?;
        if username.trim().is_empty() || password.is_empty() {
            return Err(Error::InvalidCredentials);
        }
        let grant = self.idp.password(username.trim(), password).await;
        self.start_session(grant, Some(username.trim())).await
    }

    /// Logs in through the system browser (or whatever `opener` is). Waits
    /// until the browser comes back, [`Viewer::cancel_login`] is called, or
    /// the wait times out.
    pub async fn login_browser(&self, opener: &dyn BrowserOpener) -> Result<SessionInfo> {
        self.require_flow(LoginFlow::Browser)?;
        let grant = self.browser_grant(opener).await;
        self.start_session(grant, None).await
    }

    /// The provider's answer to a login in the system browser, which
    /// [`Viewer::cancel_login`] can cut short.
    async fn browser_grant(&self, opener: &dyn BrowserOpener) -> Result<Grant> {
        let (tx, rx) = oneshot::channel();
        *self.cancel_login.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        let grant = self.idp.browser(opener, rx).await;
        self.cancel_login
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        grant
    }

    pub fn cancel_login(&self) {
        if let Some(tx) = self
            .cancel_login
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            // The login may have just finished; nothing to cancel then.
            let _ = tx.send(());
        }
    }

    /// Ends the session: forgets the access token, revokes the refresh
    /// token at the provider and deletes it from the keyring, closes the
    /// cache (purging it first where the policy says so).
    pub async fn logout(&self) -> Result<()> {
        let Some(session) = self.session.lock().await.take() else {
            return Ok(());
        };
        tracing::info!("logout");
        self.platform.reset_progress();
        self.glass.end(GlassEnd::Logout);
        self.record_glass_ends().await;
        let doctor = (session.identity.clone(), session.reference.clone());
        self.audit_after(self.entry(AuditAction::Logout, Some(&doctor)))
            .await;
        let subject = &session.identity.sub;
        let slot = std::mem::replace(&mut *self.cache.lock().await, CacheSlot::Closed);
        let purged = match (slot, self.config.cache.purge_on_logout) {
            (CacheSlot::Open { mut cache, .. }, true) => {
                blocking_io(|| cache.purge_all()).inspect(|&n| {
                    tracing::info!(purged = n, "cache purged at logout");
                })
            }
            _ => Ok(0),
        };
        if let Ok(n @ 1..) = purged {
            let mut entry = self.entry(AuditAction::CachePurge, Some(&doctor));
            entry.detail = Some(format!("logout: {n} patients"));
            self.audit_after(entry).await;
        }
        let purged = purged.map(drop);
        if let Err(e) = &purged {
            // Without its key the file cannot be read by anyone.
            tracing::warn!(code = ?e.code(), "purge failed; the cache key is destroyed instead");
            if let Ok(dir) = self.config.cache.dir() {
                let key_id = cache::key_id(&cache::cache_path(&dir, subject));
                let _ = secrets::delete_cache_key(&key_id).await;
            }
        }
        let forgotten = self.forget_refresh_token(subject).await;
        purged.and(forgotten)
    }

    /// Searches the platform; when it cannot be reached, the patients in
    /// this workstation's cache (marked `offline`).
    pub async fn search_patients(&self, query: &str) -> Result<SearchResults> {
        let access = self.require_patient_access().await;
        let identity = self.audit_refusal(None, "patient search", access).await?;
        let Some(parsed) = PatientQuery::parse(query) else {
            return Ok(SearchResults {
                patients: Vec::new(),
                offline: false,
                too_many: false,
                total: None,
            });
        };
        let (found, offline) = match self.find_on_platform(&identity, &parsed).await {
            Ok(found) => (found, false),
            Err(e) if is_offline(&e) => {
                tracing::info!(code = ?e.code(), "platform unavailable; searching the cache");
                match self.find_in_cache(&identity, &parsed).await {
                    Some(found) => (found, true),
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        let narrowed = parsed.narrows_locally() || offline;
        // Masked before narrowing: an ID fragment matches only what the
        // doctor's tier shows of the identifiers.
        let mut patients: Vec<_> =
            mask::search_rows(&self.privacy, who(&identity), found.patients)?
                .into_iter()
                .filter(|p| parsed.keeps(p))
                .collect();
        // How many match, as far as anyone can tell: the platform's total,
        // or what is left here when the platform's answer was whole.
        let total = match (narrowed, found.complete) {
            (false, _) => found
                .total
                .or(found.complete.then_some(patients.len() as u32)),
            (true, true) => Some(patients.len() as u32),
            (true, false) => None,
        };
        let too_many = patients.len() > SHOWN || !found.complete;
        patients.truncate(SHOWN);
        // Results that arrive after the screen locked are not shown.
        self.require_unlocked().await?;
        let mut entry = self.doctor_entry(AuditAction::PatientSearch).await;
        entry.query = Some(masked_query(&parsed));
        entry.resource_types = vec!["Patient".into()];
        entry.detail = Some(format!(
            "{} shown{}{}",
            patients.len(),
            if too_many { " of more" } else { "" },
            if offline {
                " from the cache (platform unreachable)"
            } else {
                ""
            }
        ));
        self.audit(entry).await?;
        Ok(SearchResults {
            patients,
            offline,
            too_many,
            total,
        })
    }

    /// The platform's answer to `query`, with the patients this
    /// workstation's cache knows by a pinyin form of their name: pinyin
    /// ("zhangwei", "zw") then finds a Chinese name on platforms whose
    /// records carry no pinyin too.
    async fn find_on_platform(&self, identity: &Identity, query: &PatientQuery) -> Result<Found> {
        let token = self.access_token().await?;
        let mut found = self.platform.search_patients(&token, query).await?;
        let Some(name) = query.name.as_deref().filter(|n| !n.chars().any(is_cjk)) else {
            return Ok(found);
        };
        let known = self
            .with_cache(Some(&identity.sub), |cache| cache.search_patients(name))
            .await
            .unwrap_or_default();
        let mut added = 0;
        for patient in known {
            let id = crate::fhir::id(&patient).map(str::to_owned);
            let new = !found
                .patients
                .iter()
                .any(|p| crate::fhir::id(p) == id.as_deref());
            if new && query.born_as_asked(&patient) {
                found.patients.push(patient);
                added += 1;
            }
        }
        found.total = found.total.map(|t| t.saturating_add(added));
        Ok(found)
    }

    /// The cache's answer to `query` while the platform is down; `None`
    /// without a cache. It finds by name or identifier: a birth date alone
    /// finds nothing there.
    async fn find_in_cache(&self, identity: &Identity, query: &PatientQuery) -> Option<Found> {
        let Some(text) = query.name.as_deref().or(query.identifier.as_deref()) else {
            return Some(Found {
                patients: Vec::new(),
                total: None,
                complete: true,
            });
        };
        let patients = self
            .with_cache(Some(&identity.sub), |cache| cache.search_patients(text))
            .await?;
        Some(Found {
            patients: patients
                .into_iter()
                .filter(|p| query.born_as_asked(p))
                .collect(),
            total: None,
            complete: true,
        })
    }

    /// The patient's chart: from the cache at once when it is there (the UI
    /// then calls [`Viewer::refresh_patient`]), else from the platform.
    pub async fn open_patient(&self, patient_id: &str) -> Result<Chart> {
        let subject = self.doctor().await.map(|(identity, _)| identity.sub);
        let chart = self
            .as_current_chart_request(self.open_chart(patient_id))
            .await;
        let chart = self.audit_shown(patient_id, chart).await?;
        self.note_opened(subject, patient_id).await;
        Ok(self.with_pin(chart).await)
    }

    /// Writes the audit entry of a chart about to be shown, or of the
    /// refusal to show it. The chart is returned only when its entry is in
    /// the trail.
    /// A chart that arrives after the screen locked is not shown.
    async fn audit_shown(&self, patient_id: &str, chart: Result<Chart>) -> Result<Chart> {
        let chart = self.audit_refusal(Some(patient_id), "chart", chart).await?;
        self.require_unlocked().await?;
        let mut entry = self.doctor_entry(AuditAction::PatientOpen).await;
        if let Some(who) = &mut entry.who {
            who.tier = Some(chart.access.tier.clone());
        }
        entry.patient = Some(self.patient_ref(patient_id));
        entry.purpose = Some(purpose_of(&chart).into());
        entry.resource_types = shown_types(&chart);
        entry.detail = Some(
            match chart.freshness.from_cache {
                true => "from the cache",
                false => "from the platform",
            }
            .into(),
        );
        self.audit(entry).await?;
        Ok(chart)
    }

    /// Notes in the cache of the doctor who asked (`subject`) that they
    /// opened the patient, for "recent patients"; nothing when another
    /// doctor's session has begun meanwhile.
    async fn note_opened(&self, subject: Option<String>, patient_id: &str) {
        let Some(subject) = subject else { return };
        let now = SystemTime::now();
        self.with_cache(Some(&subject), |cache| cache.mark_opened(patient_id, now))
            .await;
    }

    /// How far the chart being fetched from the platform has got. Holds no
    /// patient data, so it needs no audit entry, but a session all the same.
    pub async fn fetch_progress(&self) -> Result<crate::view::FetchProgressView> {
        self.require_patient_access().await?;
        let p = self.platform.progress();
        Ok(crate::view::FetchProgressView {
            received: p.received,
            total: p.total,
        })
    }

    /// The patients this doctor opened most recently on this workstation,
    /// newest first, masked as their tier for each says. Only patients the
    /// cache keeps (a doctor who sees a patient masked keeps none).
    pub async fn recent_patients(&self) -> Result<Vec<crate::view::PatientSummary>> {
        let access = self.require_patient_access().await;
        let identity = self.audit_refusal(None, "recent patients", access).await?;
        let patients = self
            .with_cache(Some(&identity.sub), |cache| {
                cache.recent_patients(RECENT_PATIENTS)
            })
            .await
            .unwrap_or_default();
        let patients = mask::search_rows(&self.privacy, who(&identity), patients)?;
        self.require_unlocked().await?;
        if !patients.is_empty() {
            let mut entry = self.doctor_entry(AuditAction::PatientSearch).await;
            entry.query = Some("recent patients".into());
            entry.resource_types = vec!["Patient".into()];
            entry.detail = Some(format!("{} shown", patients.len()));
            self.audit(entry).await?;
        }
        Ok(patients)
    }

    async fn open_chart(&self, patient_id: &str) -> Result<Chart> {
        let identity = self.require_patient_access().await?;
        self.expire_cached().await;
        match self
            .with_cache(None, |cache| cache.load_history(patient_id))
            .await
            .flatten()
        {
            Some(history) => {
                let freshness = Freshness {
                    as_of: rfc3339(history.synced_at),
                    from_cache: true,
                };
                self.chart_view(&identity, patient_id, history.resources, freshness)
            }
            None => self.refresh_chart(patient_id).await,
        }
    }

    /// Brings the patient's chart up to date from the platform and returns
    /// it. A cached patient is refreshed incrementally (what changed since
    /// the last sync, merged); otherwise the whole history is fetched. The
    /// chart is built before anything is written, and the write is one
    /// transaction: on any failure the cached copy stays exactly as it was.
    /// A record the platform withdrew (403, 404) leaves the cache too.
    pub async fn refresh_patient(&self, patient_id: &str) -> Result<Chart> {
        let subject = self.doctor().await.map(|(identity, _)| identity.sub);
        let chart = self
            .as_current_chart_request(self.refresh_chart(patient_id))
            .await;
        let chart = self.audit_shown(patient_id, chart).await?;
        self.note_opened(subject, patient_id).await;
        Ok(self.with_pin(chart).await)
    }

    async fn refresh_chart(&self, patient_id: &str) -> Result<Chart> {
        let identity = self.require_patient_access().await?;
        let subject = identity.sub.clone();
        let token = self.access_token().await?;
        let started = SystemTime::now();
        let full_sync_due =
            Duration::from_secs(self.config.cache.full_sync_minutes.saturating_mul(60));
        let cached = self
            .with_cache(Some(&subject), |cache| {
                // Only a full fetch shows deletions: due, it replaces the copy.
                let last_full = cache.full_synced_at(patient_id)?;
                match last_full.map(|t| t.elapsed().unwrap_or(Duration::ZERO)) {
                    Some(age) if age < full_sync_due => cache.load_history(patient_id),
                    _ => Ok(None),
                }
            })
            .await
            .flatten();
        // Asked in the platform's own clock where it told us, so a skewed
        // workstation (or platform) clock cannot make a refresh miss changes.
        // The margin covers changes committed while it was answering.
        let since = cached.as_ref().map(|history| {
            history
                .platform_synced_at
                .unwrap_or(history.synced_at)
                .checked_sub(SINCE_MARGIN)
                .unwrap_or(SystemTime::UNIX_EPOCH)
        });
        let fetched = match self.platform.history(&token, patient_id, since).await {
            Ok(fetched) => fetched,
            Err(e @ (Error::AccessDenied | Error::NotFound)) => {
                self.with_cache(Some(&subject), |cache| cache.remove_patient(patient_id))
                    .await;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let synced_at = SyncTime {
            local: started,
            platform: fetched.platform_time,
        };
        let freshness = Freshness {
            as_of: rfc3339(started),
            from_cache: false,
        };
        let fetched = fetched.resources;
        let incremental = cached.is_some();
        let chart = match cached {
            Some(history) => {
                let merged = merge_changes(history.resources, &fetched);
                tracing::debug!(changed = fetched.len(), "incremental refresh");
                self.chart_view(&identity, patient_id, merged, freshness)?
            }
            // A copy: the unmasked history goes to the cache below.
            None => self.chart_view(&identity, patient_id, fetched.clone(), freshness)?,
        };
        // `subject` guards the writes: should the doctor have logged out
        // meanwhile, nothing lands in the next doctor's cache.
        if chart.access.masked {
            // A doctor who sees this patient masked keeps no copy of the
            // whole history on the workstation: the cache's key is in their
            // own keyring, so what it holds they could read.
            self.with_cache(Some(&subject), |cache| cache.remove_patient(patient_id))
                .await;
            return Ok(chart);
        }
        self.with_cache(Some(&subject), |cache| {
            cache.with_room(patient_id, |cache| match incremental {
                true => cache.merge_history(patient_id, &fetched, &[], synced_at),
                false => cache.store_history(patient_id, &fetched, synced_at),
            })
        })
        .await;
        Ok(chart)
    }

    /// Breaks the glass: unseals the patient's sealed records for this
    /// doctor for the policy's time, with a reason from the policy's list
    /// and a note (both audited), and returns the unsealed chart. Refused
    /// when the doctor's tier for the patient may not break the glass.
    pub async fn break_glass(&self, patient_id: &str, reason: &str, note: &str) -> Result<Chart> {
        let access = self.require_patient_access().await;
        let identity = self
            .audit_refusal(Some(patient_id), "break the glass", access)
            .await?;
        let policy = self.privacy.policy()?;
        if !policy.break_glass.reasons.iter().any(|r| r.code == reason) {
            return Err(Error::Internal(
                "not a break-the-glass reason of the policy",
            ));
        }
        if note.trim().is_empty() || note.chars().count() > MAX_NOTE_CHARS {
            return Err(Error::Internal(
                "break the glass needs a note of up to 500 characters",
            ));
        }
        // Only a tier that may break the glass gets a start in the trail.
        let chart = self.open_chart(patient_id).await;
        let chart = self
            .audit_refusal(Some(patient_id), "break the glass", chart)
            .await?;
        let may = policy
            .tiers
            .get(&chart.access.tier)
            .is_some_and(|tier| tier.break_glass);
        if !may {
            return Err(self
                .refuse(Some(patient_id), "break the glass: not for this tier")
                .await);
        }
        let mut started = self.doctor_entry(AuditAction::BreakGlassStart).await;
        started.patient = Some(self.patient_ref(patient_id));
        started.purpose = Some("ETREAT".into());
        started.reason = Some(reason.to_owned());
        started.note = Some(note.trim().to_owned());
        started.detail = Some(format!(
            "{} minutes",
            policy.break_glass.duration.as_secs().div_ceil(60)
        ));
        self.audit(started.clone()).await?;
        self.glass.start(
            &identity.sub,
            patient_id,
            policy.break_glass.duration,
            started,
        );
        let opened = match self.open_patient(patient_id).await {
            Ok(chart) if chart.access.break_glass_until.is_some() => return Ok(chart),
            Ok(_) => Err(Error::AccessDenied),
            Err(e) => Err(e),
        };
        self.glass.end(GlassEnd::Ended);
        self.record_glass_ends().await;
        opened
    }

    /// Ends the doctor's break-the-glass before its time.
    pub async fn end_break_glass(&self) {
        self.glass.end(GlassEnd::Ended);
        self.record_glass_ends().await;
    }

    /// Keeps a cached patient in the cache beyond the retention period (or
    /// lets them expire again). Returns whether the patient is now pinned:
    /// `None` when there is no cache to keep them in.
    pub async fn pin_patient(&self, patient_id: &str, pinned: bool) -> Result<Option<bool>> {
        let subject = self.require_patient_access().await?.sub;
        Ok(self
            .with_cache(Some(&subject), |cache| {
                cache.set_pinned(patient_id, pinned)?;
                cache.is_pinned(patient_id)
            })
            .await)
    }

    /// The chart with whether it is pinned in the cache (`None`: it cannot
    /// be kept, without a cache or for a doctor who sees it masked).
    async fn with_pin(&self, mut chart: Chart) -> Chart {
        let id = chart.patient.id.clone();
        chart.pinned = match chart.access.masked {
            true => None,
            false => self.with_cache(None, |cache| cache.is_pinned(&id)).await,
        };
        chart
    }

    /// The on-screen watermark now: the doctor, this workstation, the time
    /// to the minute and the session reference (before login, workstation
    /// and time). Coloured for break-the-glass while the glass is broken.
    pub async fn watermark(&self) -> WatermarkView {
        let now = chrono::Local::now();
        let doctor = self.doctor().await;
        let break_glass = doctor
            .as_ref()
            .is_some_and(|(identity, _)| self.glass.active_for(&identity.sub));
        self.mark(doctor.as_ref(), break_glass, now)
    }

    /// For the help desk, without a login: the version, a summary of the
    /// config, the health check's lines and the last lines of the log (all
    /// PHI-free by construction: the config and the checks hold none, and
    /// no log line names a patient).
    pub async fn diagnostics(&self) -> String {
        let c = &self.config;
        let report = crate::check::run(Ok(c.clone()), &Config::source()).await;
        let log_dir = c.log.dir();
        let folder = |dir: Result<std::path::PathBuf>| {
            dir.map_or_else(|e| e.to_string(), |d| d.display().to_string())
        };
        let mut text = format!(
            "ChartGuard {} on {} ({} {})\n\
             config: {}\n\
             platform: {}\n\
             login service: {} (flows {:?})\n\
             CA bundle: {}\n\
             cache: {} in {}, {} h, purge at logout {}\n\
             audit: {}, kept {} days, forwarded {}\n\
             log: {} in {}\n\n{}",
            env!("CARGO_PKG_VERSION"),
            self.workstation,
            std::env::consts::OS,
            std::env::consts::ARCH,
            Config::source(),
            c.platform.base_url,
            c.idp.issuer,
            c.idp.flows,
            c.tls
                .ca_bundle
                .as_ref()
                .map_or("the OS trust store".into(), |p| p.display().to_string()),
            if c.cache.enabled { "on" } else { "off" },
            folder(c.cache.dir()),
            c.cache.ttl_hours,
            c.cache.purge_on_logout,
            folder(c.audit.dir()),
            c.audit.retention_days,
            c.audit.forward,
            c.log.level.as_str(),
            folder(c.log.dir()),
            report.lines(),
        );
        if let Ok(dir) = log_dir {
            text.push_str("\nrecent log lines:\n");
            text.push_str(&recent_log_lines(&dir, RECENT_LOG_LINES));
        }
        text
    }

    /// Whether the window asks the OS to keep it out of screen captures.
    pub fn content_protection(&self) -> bool {
        self.watermark_policy().content_protection
    }

    /// The UI found its watermark removed or hidden (and restored it).
    /// Audited at most every few seconds per kind, with the reports in
    /// between counted (a script may remove it in a loop).
    pub async fn report_watermark_tamper(&self, kind: WatermarkTamper) -> Result<()> {
        let due = self
            .tampering
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .note(kind, Instant::now());
        if let Some(repeats) = due {
            let mut entry = self.doctor_entry(AuditAction::WatermarkTamper).await;
            let kind = match kind {
                WatermarkTamper::Removed => "removed",
                WatermarkTamper::Hidden => "hidden",
            };
            entry.detail = Some(format!("{kind}, {repeats} more since the last report"));
            self.audit(entry).await?;
        }
        Ok(())
    }

    /// The logged-in doctor and their session reference.
    async fn doctor(&self) -> Option<(Identity, String)> {
        let session = self.session.lock().await;
        session
            .as_ref()
            .map(|s| (s.identity.clone(), s.reference.clone()))
    }

    fn mark(
        &self,
        doctor: Option<&(Identity, String)>,
        break_glass: bool,
        now: chrono::DateTime<chrono::Local>,
    ) -> WatermarkView {
        let time = local_minute(now);
        let stamp = Stamp {
            person: doctor.map(|(identity, reference)| Person {
                name: identity.display_name(),
                staff_no: identity.staff_no.as_deref(),
                department: identity.department.as_deref(),
                session_ref: reference,
            }),
            workstation: &self.workstation,
            time: &time,
            break_glass,
            refresh_in_secs: 60 - chrono::Timelike::second(&now).min(59),
        };
        watermark::spec(self.watermark_policy(), &stamp)
    }

    /// An invalid policy shows no patient data, but the screen is still marked.
    fn watermark_policy(&self) -> &WatermarkPolicy {
        static DEFAULT: std::sync::OnceLock<WatermarkPolicy> = std::sync::OnceLock::new();
        match self.privacy.policy() {
            Ok(policy) => &policy.watermark,
            Err(_) => DEFAULT.get_or_init(WatermarkPolicy::default),
        }
    }

    /// Exports part of the patient's chart, as the doctor's tier sees it
    /// now, to a PDF at `path`: the place the doctor chose (`.pdf` is added
    /// to a name without it). The export is audited before the file is
    /// written, and its ID is on every page.
    pub async fn export_pdf(&self, request: &ExportRequest, path: &Path) -> Result<ExportReceipt> {
        let target = export::export_target(path)?;
        let made = self.make_export(request, Purpose::Export).await?;
        let written = match self.require_session(&made.session_ref).await {
            Ok(()) => blocking_io(|| export::write_file(&target, &made.pdf.bytes)),
            Err(e) => Err(e),
        };
        self.audit_export_done(&request.patient_id, &made.export_id, written.as_ref().err())
            .await;
        written.map(|()| export::receipt(made.export_id, &made.pdf))
    }

    /// Prints part of the patient's chart: the same document as an export
    /// (footer "Print"), handed to the configured print command on its
    /// standard input. Never raw window printing.
    pub async fn print(&self, request: &ExportRequest) -> Result<ExportReceipt> {
        let command = self.config.export.print_command.clone();
        export::print_program(&command)?;
        let made = self.make_export(request, Purpose::Print).await?;
        let (id, pdf) = (made.export_id.clone(), made.pdf);
        let (spooled, pdf) = match self.require_session(&made.session_ref).await {
            Ok(()) => tokio::task::spawn_blocking(move || {
                let spooled = export::spool(&command, &id, &pdf.bytes);
                (spooled, pdf)
            })
            .await
            .map_err(|_| Error::Internal("the print job stopped"))?,
            Err(e) => (Err(e), pdf),
        };
        self.audit_export_done(&request.patient_id, &made.export_id, spooled.as_ref().err())
            .await;
        spooled.map(|()| export::receipt(made.export_id, &pdf))
    }

    /// Builds the export of `request` as one snapshot: the doctor and the
    /// session as they were when it was asked for, the chart as the tier
    /// sees it now (by the same pipeline as the chart on screen), the
    /// break-the-glass colour exactly when the chart holds unsealed
    /// records, and one timestamp for mark and footer.
    async fn make_export(&self, request: &ExportRequest, purpose: Purpose) -> Result<Made> {
        let patient = Some(request.patient_id.as_str());
        let access = self.require_patient_access().await;
        self.audit_refusal(patient, "export", access).await?;
        let doctor = self.doctor().await.ok_or(Error::NotLoggedIn)?;
        let chart = self.open_chart(&request.patient_id).await;
        let chart = self.audit_refusal(patient, "export", chart).await?;
        self.require_session(&doctor.1).await?;
        // A trend names its series; one the chart does not hold (any more)
        // is refused before anything is recorded as exported. A series of
        // a panel (blood pressure) is exported with the panel's others, as
        // the screen draws them.
        let series: Vec<ResultSeries> = match (request.scope, request.series.as_deref()) {
            (ExportScope::Trend, Some(key)) => {
                let chosen =
                    chart.results.iter().find(|s| s.key == key).ok_or_else(|| {
                        Error::Export("those results are not in this chart".into())
                    })?;
                chart
                    .results
                    .iter()
                    .filter(|s| {
                        s.key == chosen.key || (chosen.panel.is_some() && s.panel == chosen.panel)
                    })
                    .cloned()
                    .collect()
            }
            (ExportScope::Trend, None) => {
                return Err(Error::Export("no results were chosen for the trend".into()))
            }
            _ => Vec::new(),
        };
        let now = chrono::Local::now();
        let break_glass = chart.access.break_glass_until.is_some();
        let export_id = watermark::new_reference("E");
        let action = match purpose {
            Purpose::Print => AuditAction::Print,
            _ => AuditAction::Export,
        };
        let mut entry = self.entry(action, Some(&doctor));
        if let Some(who) = &mut entry.who {
            who.tier = Some(chart.access.tier.clone());
        }
        entry.patient = Some(self.patient_ref(&request.patient_id));
        entry.purpose = Some(purpose_of(&chart).into());
        entry.resource_types = shown_types(&chart);
        entry.export_id = Some(export_id.clone());
        entry.detail = Some(match series.first() {
            // The code only: a series without one is named by free text.
            Some(series) => format!(
                "scope trend {}",
                series
                    .code
                    .as_deref()
                    .filter(|c| c.len() <= 32
                        && c.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
                    .unwrap_or("uncoded")
            ),
            None => format!("scope {:?}", request.scope).to_lowercase(),
        });
        self.audit(entry).await?;
        let mark = self.mark(Some(&doctor), break_glass, now);
        let identity = &doctor.0;
        let exporter = match &identity.staff_no {
            Some(staff_no) => format!("{} {staff_no}", identity.display_name()),
            None => identity.display_name().to_owned(),
        };
        let font_path = self.config.export.font.clone();
        let (scope, labels) = (request.scope, Labels::for_locale(&request.locale));
        let id = export_id.clone();
        let pdf = tokio::task::spawn_blocking(move || {
            let footer = export::Footer {
                export_id: &id,
                purpose,
                exporter: &exporter,
                time: &local_minute(now),
                zone: *now.offset(),
            };
            let series: Vec<&ResultSeries> = series.iter().collect();
            export::document(
                &chart,
                scope,
                &series,
                labels,
                &mark,
                &footer,
                font_path.as_deref(),
            )
        })
        .await
        .map_err(|_| Error::Internal("the export stopped"))
        .and_then(|made| made);
        let pdf = match pdf {
            Ok(pdf) => pdf,
            Err(e) => {
                self.audit_export_done(&request.patient_id, &export_id, Some(&e))
                    .await;
                return Err(e);
            }
        };
        Ok(Made {
            pdf,
            export_id,
            session_ref: doctor.1,
        })
    }

    /// The outcome of an export or print audited before it was made.
    async fn audit_export_done(&self, patient_id: &str, export_id: &str, failure: Option<&Error>) {
        let mut entry = self.doctor_entry(AuditAction::ExportDone).await;
        entry.patient = Some(self.patient_ref(patient_id));
        entry.export_id = Some(export_id.to_owned());
        if let Some(e) = failure {
            entry = entry.failed(e.code());
        }
        self.audit_after(entry).await;
    }

    /// Fails unless the session `reference` is still the current one: an
    /// export made for a doctor who has since logged out is not written.
    /// The session `reference` names is the current one, and unlocked.
    async fn require_session(&self, reference: &str) -> Result<()> {
        match self.doctor().await {
            Some((_, current)) if current == reference => self.require_unlocked().await,
            _ => Err(Error::NotLoggedIn),
        }
    }

    /// Moves the doctor's unreadable cache aside and starts a fresh one, to
    /// be filled from the platform. The old file stays for IT, but its key
    /// is destroyed, so nobody can read it any more.
    pub async fn reset_cache(&self) -> Result<SessionInfo> {
        let subject = self
            .session
            .lock()
            .await
            .as_ref()
            .ok_or(Error::NotLoggedIn)?
            .identity
            .sub
            .clone();
        {
            let mut slot = self.cache.lock().await;
            let resettable = matches!(&*slot, CacheSlot::Unavailable(problem)
                if matches!(problem.code, ErrorCode::CacheUnreadable | ErrorCode::CacheKeyMissing));
            if resettable {
                let path = cache::cache_path(&self.config.cache.dir()?, &subject);
                if path.exists() {
                    if let Err(e) = cache::move_aside(&path) {
                        *slot = CacheSlot::Unavailable(ErrorPayload::from(&e));
                        return Err(e);
                    }
                }
                secrets::delete_cache_key(&cache::key_id(&path)).await?;
                let mut entry = self.doctor_entry(AuditAction::CachePurge).await;
                entry.detail = Some(
                    "reset: the unreadable cache was moved aside and its key destroyed".into(),
                );
                self.audit_after(entry).await;
            }
        }
        self.open_cache(&subject).await;
        self.session_info().await.ok_or(Error::NotLoggedIn)
    }

    /// Runs `request` as the doctor's current chart request. When another
    /// one starts (the doctor opened another patient), this one stops at its
    /// next await with [`Error::Superseded`]: its platform fetch is dropped,
    /// and since every cache write is one synchronous transaction, nothing
    /// is left half-written.
    async fn as_current_chart_request(
        &self,
        request: impl std::future::Future<Output = Result<Chart>>,
    ) -> Result<Chart> {
        let mut ticket = 0;
        self.chart_requests.send_modify(|n| {
            *n += 1;
            ticket = *n;
        });
        let mut newer = self.chart_requests.subscribe();
        tokio::select! {
            biased;
            _ = newer.wait_for(|n| *n != ticket) => {
                tracing::debug!("chart request superseded");
                Err(Error::Superseded)
            }
            result = request => result,
        }
    }

    fn require_flow(&self, flow: crate::config::LoginFlow) -> Result<()> {
        if self.config.idp.flows.contains(&flow) {
            Ok(())
        } else {
            Err(Error::Config(format!(
                "idp.flows: the {flow:?} login is not enabled on this workstation"
            )))
        }
    }

    async fn start_session(
        &self,
        grant: Result<Grant>,
        username: Option<&str>,
    ) -> Result<SessionInfo> {
        let grant = match grant {
            Ok(grant) => grant,
            Err(e) => {
                tracing::warn!(code = ?e.code(), "login failed");
                if !matches!(e, Error::LoginCancelled) {
                    let mut entry = self.entry(AuditAction::LoginFailed, None).failed(e.code());
                    entry.username = username.map(str::to_owned);
                    self.audit_after(entry).await;
                }
                return Err(e);
            }
        };
        let identity = grant
            .identity
            .ok_or(Error::Internal("login without identity"))?;
        // A new login on a shared workstation ends whoever was logged in.
        if let Err(e) = self.logout().await {
            tracing::warn!(code = ?e.code(), "the previous session's refresh token was not removed");
        }
        let can_refresh = match (&grant.refresh_token, self.config.session.offline) {
            (Some(refresh), true) => self.keep_refresh_token(&identity.sub, refresh).await,
            _ => false,
        };
        tracing::info!(can_refresh, "login succeeded");
        let reference = crate::watermark::new_reference("S");
        // The session exists only once its start is in the trail.
        let login = self.entry(
            AuditAction::Login,
            Some(&(identity.clone(), reference.clone())),
        );
        if let Err(e) = self.audit(login).await {
            let _ = self.forget_refresh_token(&identity.sub).await;
            return Err(e);
        }
        self.open_cache(&identity.sub).await;
        let session = Session {
            identity,
            access_token: grant.access_token,
            expires_at: grant.expires_at,
            can_refresh,
            reference,
            username: username.map(str::to_owned),
            locked: false,
        };
        let info = self.session_view(&session).await;
        *self.session.lock().await = Some(session);
        Ok(info)
    }

    /// Opens the doctor's cache and applies the retention policy. A cache
    /// that cannot be opened is reported in the session, not as a failed
    /// login: the doctor can still work from the platform.
    async fn open_cache(&self, subject: &str) {
        if !self.config.cache.enabled {
            return;
        }
        let opened = match self.config.cache.dir() {
            Ok(dir) => cache::open_with_keyring(&dir, subject)
                .await
                .and_then(|cache| {
                    cache.limit_size(self.config.cache.max_size_mib.saturating_mul(1 << 20))?;
                    Ok(cache)
                }),
            Err(e) => Err(e),
        };
        *self.cache.lock().await = match opened {
            Ok(cache) => CacheSlot::Open {
                subject: subject.to_owned(),
                cache,
            },
            Err(e) => {
                tracing::warn!(code = ?e.code(), "local cache unavailable");
                CacheSlot::Unavailable(ErrorPayload::from(&e))
            }
        };
        self.expire_cached().await;
    }

    /// Retention: patients not refreshed within the TTL leave the cache
    /// (unless pinned). Cheap; run at login and before every open.
    async fn expire_cached(&self) {
        let ttl = Duration::from_secs(self.config.cache.ttl_hours.saturating_mul(3600));
        let cutoff = SystemTime::now()
            .checked_sub(ttl)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        if let Some(purged) = self
            .with_cache(None, |cache| cache.purge_older_than(cutoff))
            .await
        {
            if purged > 0 {
                tracing::info!(purged, "expired patients purged");
                let mut entry = self.doctor_entry(AuditAction::CachePurge).await;
                entry.detail = Some(format!("retention: {purged} patients"));
                self.audit_after(entry).await;
            }
        }
    }

    /// Runs `f` on the open cache (of `subject`, when given). A cache
    /// failure does not fail the doctor's action: it is logged, the cache is
    /// set aside for the session (and reported), and `None` is returned, as
    /// when there is no cache.
    async fn with_cache<T>(
        &self,
        subject: Option<&str>,
        f: impl FnOnce(&mut Cache) -> Result<T>,
    ) -> Option<T> {
        let mut slot = self.cache.lock().await;
        let CacheSlot::Open {
            subject: owner,
            cache,
        } = &mut *slot
        else {
            return None;
        };
        if subject.is_some_and(|s| s != owner) {
            return None;
        }
        match blocking_io(|| f(cache)) {
            Ok(value) => Some(value),
            Err(e) => {
                tracing::warn!(code = ?e.code(), "local cache failed; continuing without it");
                *slot = CacheSlot::Unavailable(ErrorPayload::from(&e));
                None
            }
        }
    }

    async fn cache_problem(&self) -> Option<ErrorPayload> {
        match &*self.cache.lock().await {
            CacheSlot::Unavailable(problem) => Some(problem.clone()),
            _ => None,
        }
    }

    /// Stores a refresh token; if the keyring refuses, the session goes on
    /// without one and ends when its access token expires.
    async fn keep_refresh_token(&self, subject: &str, token: &str) -> bool {
        match secrets::store_refresh_token(subject, token).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(code = ?e.code(), "refresh token not stored; session ends at token expiry");
                false
            }
        }
    }

    async fn forget_refresh_token(&self, subject: &str) -> Result<()> {
        if let Ok(Some(token)) = secrets::load_refresh_token(subject).await {
            if let Err(e) = self.idp.revoke(&token).await {
                // Deleting it locally still ends the session on this workstation.
                tracing::warn!(code = ?e.code(), "refresh token not revoked at the login service");
            }
        }
        secrets::delete_refresh_token(subject).await
    }

    /// The screens the policy opens for `identity`'s roles (none while the
    /// policy is invalid).
    fn desk(&self, identity: &Identity) -> crate::view::Desk {
        self.privacy
            .policy()
            .map(|p| p.desk.desk(&identity.roles))
            .unwrap_or_default()
    }

    /// Only doctors whose roles allow reading patient records get past
    /// here. IT staff and roles unknown to ChartGuard see no PHI (the policy
    /// file with its tiers will refine this).
    /// Returns the doctor's subject.
    /// The logged-in doctor, if the policy could let them see patient data
    /// at all (which tier, and so what they see, is decided per patient).
    /// Refuses while the screen is locked.
    pub(super) async fn require_unlocked(&self) -> Result<()> {
        match self.session.lock().await.as_ref() {
            Some(session) if session.locked => Err(Error::Locked),
            _ => Ok(()),
        }
    }

    async fn require_patient_access(&self) -> Result<Identity> {
        let session = self.session.lock().await;
        let session = session.as_ref().ok_or(Error::NotLoggedIn)?;
        if session.locked {
            return Err(Error::Locked);
        }
        let identity = &session.identity;
        if self.privacy.policy()?.may_see_patients(who(identity)) {
            Ok(identity.clone())
        } else {
            Err(Error::AccessDenied)
        }
    }

    /// The chart of the patient whose history this is, as the doctor's tier
    /// for that patient lets them see it now.
    fn chart_view(
        &self,
        identity: &Identity,
        patient_id: &str,
        history: Vec<serde_json::Value>,
        freshness: Freshness,
    ) -> Result<Chart> {
        let glass_until = self.glass.active_until(&identity.sub, patient_id);
        mask::chart_view(
            &self.privacy,
            who(identity),
            patient_id,
            history,
            freshness,
            glass_until,
        )
    }

    /// A valid access token, renewed shortly before it expires. A refused
    /// renewal ends the session (the UI returns to the login screen).
    async fn access_token(&self) -> Result<String> {
        let mut guard = self.session.lock().await;
        let session = guard.as_mut().ok_or(Error::NotLoggedIn)?;
        if Instant::now() + REFRESH_MARGIN < session.expires_at {
            return Ok(session.access_token.clone());
        }
        let renewed = match session.can_refresh {
            true => self.renew(session).await,
            false => Err(Error::SessionExpired),
        };
        match renewed {
            Ok(token) => Ok(token),
            Err(Error::SessionExpired | Error::InvalidCredentials | Error::AccountLocked) => {
                let sub = session.identity.sub.clone();
                *guard = None;
                // The token is dead either way; a failed delete changes nothing for the doctor.
                let _ = secrets::delete_refresh_token(&sub).await;
                Err(Error::SessionExpired)
            }
            Err(e) => Err(e),
        }
    }

    async fn renew(&self, session: &mut Session) -> Result<String> {
        let refresh = secrets::load_refresh_token(&session.identity.sub)
            .await?
            .ok_or(Error::SessionExpired)?;
        let grant = self.idp.refresh(&refresh).await?;
        if let Some(identity) = grant.identity {
            if identity.sub != session.identity.sub {
                return Err(Error::SessionExpired);
            }
            // Roles can change (or be withdrawn) during a shift.
            session.identity = identity;
        }
        session.access_token = grant.access_token;
        session.expires_at = grant.expires_at;
        if let Some(rotated) = &grant.refresh_token {
            // The old token is spent once rotated: without the new one the
            // session ends at this token's expiry.
            session.can_refresh = self
                .keep_refresh_token(&session.identity.sub, rotated)
                .await;
        }
        tracing::info!("access token renewed");
        Ok(session.access_token.clone())
    }
}

/// Runs disk work (SQLCipher: milliseconds for a chart, longer for a
/// VACUUM after a purge) without stalling the other tasks of a worker
/// thread, where the runtime allows it.
pub(crate) fn blocking_io<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Failures after which the cache stands in for the platform: it cannot be
/// reached or is overloaded. Never a refusal (403) or a bad request.
fn is_offline(e: &Error) -> bool {
    matches!(e, Error::Unreachable(..) | Error::Platform(429 | 500..=599))
}

/// The cached history with the changed resources put in (by type and id).
fn merge_changes(
    mut history: Vec<serde_json::Value>,
    changed: &[serde_json::Value],
) -> Vec<serde_json::Value> {
    use crate::fhir::{id, resource_type};
    let key = |r: &serde_json::Value| Some((resource_type(r)?.to_owned(), id(r)?.to_owned()));
    let positions: std::collections::HashMap<_, _> = history
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((key(r)?, i)))
        .collect();
    for resource in changed {
        match key(resource).and_then(|k| positions.get(&k)) {
            Some(&i) => history[i] = resource.clone(),
            None => history.push(resource.clone()),
        }
    }
    history
}

/// An export made, before it is written or printed.
struct Made {
    pdf: export::Pdf,
    export_id: String,
    /// The session it was made in.
    session_ref: String,
}

/// How many of the log's last lines the diagnostics carry.
const RECENT_LOG_LINES: usize = 40;

/// The last `n` lines of the newest `chartguard*.log` in `dir` (the file
/// that is being written).
fn recent_log_lines(dir: &Path, n: usize) -> String {
    let newest = std::fs::read_dir(dir).ok().and_then(|entries| {
        entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|f| f.to_string_lossy().starts_with("chartguard"))
            })
            .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
    });
    let Some(text) = newest.and_then(|p| std::fs::read_to_string(p).ok()) else {
        return "(no log file yet)\n".to_owned();
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines[lines.len().saturating_sub(n)..].join("\n");
    out.push('\n');
    out
}

/// This machine's name: on the watermark and in every audit event.
pub(crate) fn workstation() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// A short digest of the settings in force (the config and the policy file
/// as loaded), so the trail records when they change between runs.
fn settings_digest(config: &Config) -> String {
    use sha2::Digest as _;
    let mut hash = sha2::Sha256::new();
    hash.update(format!("{config:?}"));
    if let Some(path) = &config.policy.file {
        hash.update(std::fs::read(path).unwrap_or_default());
    }
    hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

fn who(identity: &Identity) -> Who<'_> {
    Who {
        roles: &identity.roles,
        groups: &identity.groups,
        department: identity.department.as_deref(),
        staff_no: identity.staff_no.as_deref(),
    }
}
