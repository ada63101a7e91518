//! **API Boundary.** [`Viewer`] is the one façade the shell (and any other
//! front end) talks to. Each method is one user action; it returns a type
//! from [`crate::view`] or an [`Error`] with a stable code.
//!
//! Seams for the capabilities that come next: the tier/masking step sits
//! between `Platform::history` and `chart::build_chart`; the audit write
//! comes first in every method that shows PHI; the cache sits in front of
//! `Platform`.

use std::time::{Duration, Instant};

use tokio::sync::{oneshot, Mutex};

use crate::auth::{BrowserOpener, Grant, Identity, Idp};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::platform::{PatientQuery, Platform};
use crate::view::{AppInfo, Chart, PatientSummary, SessionInfo};
use crate::{chart, secrets};

/// Roles that may read patient records, until the policy file's tiers decide.
const CLINICAL_ROLES: &[&str] = &["doctor", "department_head"];

/// Access tokens are renewed this long before they expire.
const REFRESH_MARGIN: Duration = Duration::from_secs(30);

pub struct Viewer {
    config: Config,
    idp: Idp,
    platform: Platform,
    session: Mutex<Option<Session>>,
    cancel_login: std::sync::Mutex<Option<oneshot::Sender<()>>>,
}

/// The logged-in doctor. The access token lives only here, in memory; the
/// refresh token, if the policy allows one, only in the OS keyring.
struct Session {
    identity: Identity,
    access_token: String,
    expires_at: Instant,
    can_refresh: bool,
}

impl std::fmt::Debug for Viewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Viewer").finish_non_exhaustive()
    }
}

impl Viewer {
    pub fn new(config: Config) -> Result<Self> {
        Ok(Viewer {
            idp: Idp::new(&config)?,
            platform: Platform::new(&config)?,
            config,
            session: Mutex::new(None),
            cancel_login: std::sync::Mutex::new(None),
        })
    }

    pub fn app_info(&self) -> AppInfo {
        AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            login_flows: self.config.idp.flows.clone(),
            platform_url: self.config.platform.base_url.to_string(),
            idp_issuer: self.config.idp.issuer.to_string(),
            locale: crate::config::ui_locale(&self.config, sys_locale::get_locale().as_deref()),
        }
    }

    pub async fn session_info(&self) -> Option<SessionInfo> {
        self.session
            .lock()
            .await
            .as_ref()
            .map(|s| session_info(&s.identity))
    }

    pub async fn login_password(&self, username: &str, password: &str) -> Result<SessionInfo> {
        self.require_flow(crate::config::LoginFlow::Password)?;
        if username.trim().is_empty() || password.is_empty() {
            return Err(Error::InvalidCredentials);
        }
        let grant = self.idp.password(username.trim(), password).await;
        self.start_session(grant).await
    }

    /// Logs in through the system browser (or whatever `opener` is). Waits
    /// until the browser comes back, [`Viewer::cancel_login`] is called, or
    /// the wait times out.
    pub async fn login_browser(&self, opener: &dyn BrowserOpener) -> Result<SessionInfo> {
        self.require_flow(crate::config::LoginFlow::Browser)?;
        let (tx, rx) = oneshot::channel();
        *self.cancel_login.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        let grant = self.idp.browser(opener, rx).await;
        self.cancel_login
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        self.start_session(grant).await
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
    /// token at the provider and deletes it from the keyring.
    pub async fn logout(&self) -> Result<()> {
        let Some(session) = self.session.lock().await.take() else {
            return Ok(());
        };
        tracing::info!("logout");
        self.forget_refresh_token(&session.identity.sub).await
    }

    pub async fn search_patients(&self, query: &str) -> Result<Vec<PatientSummary>> {
        let Some(query) = PatientQuery::parse(query) else {
            return Ok(Vec::new());
        };
        let token = self.clinical_access().await?;
        let patients = self.platform.search_patients(&token, &query).await?;
        Ok(patients.iter().filter_map(chart::patient_summary).collect())
    }

    pub async fn open_patient(&self, patient_id: &str) -> Result<Chart> {
        let token = self.clinical_access().await?;
        let resources = self.platform.history(&token, patient_id).await?;
        chart::build_chart(patient_id, &resources)
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

    async fn start_session(&self, grant: Result<Grant>) -> Result<SessionInfo> {
        let grant = grant.inspect_err(|e| tracing::warn!(code = ?e.code(), "login failed"))?;
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
        let info = session_info(&identity);
        *self.session.lock().await = Some(Session {
            identity,
            access_token: grant.access_token,
            expires_at: grant.expires_at,
            can_refresh,
        });
        Ok(info)
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

    /// The access token, for a doctor whose roles allow reading patient
    /// records. IT staff and roles unknown to ChartGuard see no PHI (the
    /// policy file with its tiers will refine this).
    async fn clinical_access(&self) -> Result<String> {
        let clinical = self.session.lock().await.as_ref().map(|s| {
            s.identity
                .roles
                .iter()
                .any(|r| CLINICAL_ROLES.contains(&r.as_str()))
        });
        match clinical {
            None => Err(Error::NotLoggedIn),
            Some(false) => Err(Error::AccessDenied),
            Some(true) => self.access_token().await,
        }
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

fn session_info(identity: &Identity) -> SessionInfo {
    SessionInfo {
        subject: identity.sub.clone(),
        display_name: identity
            .name
            .clone()
            .or_else(|| identity.preferred_username.clone())
            .unwrap_or_else(|| identity.sub.clone()),
        staff_no: identity.staff_no.clone(),
        department: identity.department.clone(),
        roles: identity.roles.clone(),
    }
}
