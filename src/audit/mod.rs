//! The operation trail (痕迹管理, DESIGN.md §7): every look at a patient,
//! every export, break-the-glass, login and security event is written here
//! **before** the data is shown; if it cannot be written, the action fails
//! and nothing is shown.
//!
//! - this file: what one event holds ([`Entry`]) and the [`Trail`] the
//!   Viewer writes to (opened on first use with its keys from the keyring);
//! - `store.rs`: the append-only, hash-chained, sealed SQLCipher store and
//!   its outbox;
//! - `balp.rs`: events as FHIR `AuditEvent`s following IHE BALP (what the
//!   platform receives), and the platform's events read back for "who
//!   viewed this patient".
//!
//! An entry holds no patient name or identifier other than the platform's
//! id (and a keyed pseudonym); a search's query text is masked. Break-the-
//! glass notes are the doctor's own words and are kept as written, in the
//! encrypted file and on the platform; never in a log.

pub(crate) mod balp;
pub(crate) mod store;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::view::{AuditAction, VerifyReport};
pub(crate) use store::{Counts, Store, Stored};

/// The person who acted, as their verified login names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Actor {
    pub(crate) subject: String,
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) staff_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) department: Option<String>,
    #[serde(default)]
    pub(crate) roles: Vec<String>,
    /// Their tier for the patient of this event, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tier: Option<String>,
}

/// The patient an event is about: the platform's id, and the keyed
/// pseudonym that stands for it wherever the id must not appear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PatientRef {
    pub(crate) id: String,
    pub(crate) pseudonym: String,
}

/// One event of the trail. Every field but `action`, `success`, `time`,
/// `workstation` and `app_version` is optional: each action fills what
/// concerns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Entry {
    pub(crate) action: AuditAction,
    pub(crate) success: bool,
    /// The error code when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) failure: Option<String>,
    /// RFC 3339, UTC, milliseconds.
    pub(crate) time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) who: Option<Actor>,
    /// The login service that vouches for `who` (or `username`): kept with
    /// the entry so the event sent for it never changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) issuer: Option<String>,
    /// For a failed login: the user name typed (never the password).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) patient: Option<PatientRef>,
    /// The kinds of records shown or exported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) resource_types: Vec<String>,
    /// A search's query, masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) query: Option<String>,
    /// Purpose of use (HL7 v3 ActReason): `TREAT`, or `ETREAT` while the
    /// glass is broken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) purpose: Option<String>,
    /// The break-the-glass reason code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
    /// The break-the-glass note, or a referral decision's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    /// The session reference on the doctor's watermark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) session_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) export_id: Option<String>,
    /// Anything else that identifies what happened: the export's scope,
    /// the tamper kind, how many patients a purge removed, the referral,
    /// where a chart came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) detail: Option<String>,
    pub(crate) workstation: String,
    pub(crate) app_version: String,
}

impl Entry {
    /// A successful `action` now on `workstation`, with nothing else filled.
    pub(crate) fn new(action: AuditAction, workstation: &str) -> Entry {
        Entry {
            action,
            success: true,
            failure: None,
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            who: None,
            issuer: None,
            username: None,
            patient: None,
            resource_types: Vec::new(),
            query: None,
            purpose: None,
            reason: None,
            note: None,
            session_ref: None,
            export_id: None,
            detail: None,
            workstation: workstation.to_owned(),
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    /// The same entry, dated now (for the outcome of what it announced).
    pub(crate) fn now(mut self) -> Entry {
        self.time = Entry::new(self.action, &self.workstation).time;
        self
    }

    pub(crate) fn failed(mut self, code: crate::error::ErrorCode) -> Entry {
        self.success = false;
        self.failure = Some(format!("{code:?}"));
        self
    }

    pub(crate) fn patient_id(&self) -> Option<&str> {
        self.patient.as_ref().map(|p| p.id.as_str())
    }

    pub(crate) fn recorded_ms(&self) -> i64 {
        chrono::DateTime::parse_from_rfc3339(&self.time).map_or(0, |t| t.timestamp_millis())
    }

    pub(crate) fn break_glass(&self) -> bool {
        matches!(
            self.action,
            AuditAction::BreakGlassStart | AuditAction::BreakGlassEnd
        ) || self.purpose.as_deref() == Some("ETREAT")
    }
}

/// Where the trail lives: `{audit.dir}/trail.db`.
pub(crate) fn trail_path(config: &Config) -> Result<PathBuf> {
    Ok(config.audit.dir()?.join("trail.db"))
}

/// The trail the Viewer writes to. Opened on first use (its keys come from
/// the OS keyring), and again after a failure: a locked keyring at start
/// does not leave the workstation without a trail for the day.
pub(crate) struct Trail {
    path: Result<PathBuf>,
    forward: bool,
    retention: Duration,
    /// Config and policy as loaded, to record a change since the last run.
    settings_digest: String,
    store: Mutex<Option<Store>>,
}

impl std::fmt::Debug for Trail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trail").finish_non_exhaustive()
    }
}

impl Trail {
    pub(crate) fn new(config: &Config, settings_digest: String) -> Trail {
        Trail {
            path: trail_path(config),
            forward: config.audit.forward,
            retention: Duration::from_secs(u64::from(config.audit.retention_days) * 86_400),
            settings_digest,
            store: Mutex::new(None),
        }
    }

    pub(crate) fn forwards(&self) -> bool {
        self.forward
    }

    pub(crate) fn retention_days(&self) -> u32 {
        u32::try_from(self.retention.as_secs() / 86_400).unwrap_or(u32::MAX)
    }

    /// Writes `entry`; only when this succeeds may what it records go on.
    pub(crate) async fn record(&self, entry: Entry) -> Result<Stored> {
        let forward = self.forward;
        let stored = self.with(move |store| store.append(&entry, forward)).await;
        if let Err(e) = &stored {
            tracing::error!(code = ?e.code(), "audit event not written; the action is refused");
        }
        stored
    }

    pub(crate) async fn verify(&self) -> Result<VerifyReport> {
        self.with(|store| store.verify()).await
    }

    pub(crate) async fn for_patient(&self, patient_id: &str) -> Result<Vec<Stored>> {
        let id = patient_id.to_owned();
        self.with(move |store| store.for_patient(&id)).await
    }

    pub(crate) async fn counts(&self) -> Result<Counts> {
        self.with(|store| store.counts()).await
    }

    pub(crate) async fn due(&self, now_ms: i64, limit: u32) -> Result<Vec<Stored>> {
        self.with(move |store| store.due(now_ms, limit)).await
    }

    pub(crate) async fn delivered(&self, seq: u64, now_ms: i64) -> Result<()> {
        self.with(move |store| store.delivered(seq, now_ms)).await
    }

    pub(crate) async fn failed(&self, seq: u64, now_ms: i64, error: &str) -> Result<u32> {
        let error = error.to_owned();
        self.with(move |store| store.failed(seq, now_ms, &error))
            .await
    }

    /// Runs `job` on the store, opening it first if needed.
    async fn with<T>(&self, job: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        let mut slot = self.store.lock().await;
        if slot.is_none() {
            *slot = Some(self.open().await?);
        }
        let store = slot
            .as_mut()
            .ok_or(Error::Audit("its file cannot be opened"))?;
        let done = crate::viewer::blocking_io(|| job(store));
        if done.is_err() {
            // Opened afresh next time: the file may have been fixed meanwhile.
            *slot = None;
        }
        done
    }

    async fn open(&self) -> Result<Store> {
        let path = self
            .path
            .as_ref()
            .map_err(|_| Error::Audit("its folder is not configured"))?;
        let (mut store, restarted) = open_store(path, true).await?;
        if restarted {
            tracing::warn!("the audit trail was missing or empty; a new trail starts");
            let mut entry = Entry::new(AuditAction::ConfigChange, &crate::viewer::workstation());
            entry.success = false;
            entry.detail = Some(
                "the trail's file was missing or emptied while its keys remained; \
                 a new trail starts here"
                    .into(),
            );
            store.append(&entry, self.forward)?;
        }
        let retention = self.retention;
        let digest = self.settings_digest.clone();
        // Without forwarding, nothing tells a record the platform has: the
        // trail keeps everything.
        let prune = self.forward;
        crate::viewer::blocking_io(|| {
            if !prune {
                return Ok(());
            }
            let cutoff = SystemTime::now()
                .checked_sub(retention)
                .unwrap_or(SystemTime::UNIX_EPOCH);
            let pruned = store.prune(cutoff)?;
            if pruned > 0 {
                tracing::info!(
                    pruned,
                    "audit records past retention removed (the platform has them)"
                );
            }
            Ok::<_, Error>(())
        })?;
        let previous = store.meta("settings_digest")?;
        if previous.as_deref() != Some(digest.as_str()) {
            let mut entry = Entry::new(AuditAction::ConfigChange, &crate::viewer::workstation());
            entry.detail = Some(match previous {
                Some(old) => format!("settings {old} -> {digest}"),
                None => format!("settings {digest} (first run)"),
            });
            store.append(&entry, self.forward)?;
            store.set_meta("settings_digest", &digest)?;
        }
        Ok(store)
    }
}

/// Opens the trail at `path` with its keys from the keyring (made on first
/// use when `create`). A trail whose keys are gone cannot be read by anyone:
/// it is reported, never replaced. Also tells whether the trail had to be
/// started afresh although its keys were there (its file removed or
/// emptied): the caller records that as the new trail's first event.
/// Without `create` nothing is written (`verify`).
pub(crate) async fn open_store(path: &Path, create: bool) -> Result<(Store, bool)> {
    if let Some(dir) = path.parent() {
        crate::cache::create_private_dir(dir)
            .map_err(|_| Error::Audit("its folder is not writable"))?;
    }
    // Two windows starting at once must not both make keys: the second
    // would replace the ones the first encrypts the new file with.
    let lock = crate::cache::lock_blocking(path)
        .map_err(|_| Error::Audit("its lock file cannot be taken"))?;
    let exists = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
    if !exists && !create {
        return Err(Error::Audit(
            "there is no trail on this workstation account yet",
        ));
    }
    let key_id = crate::cache::key_id(path);
    let keys = crate::secrets::audit_keys(&key_id, create && !exists)
        .await
        .map_err(|e| {
            tracing::warn!(code = ?e.code(), "audit keys unavailable");
            Error::Audit("the OS keyring is unavailable")
        })?;
    let (db_key, mac_key, made_now) =
        keys.ok_or(Error::Audit("its keys are missing from the OS keyring"))?;
    let path = path.to_owned();
    let (store, anchored) = tokio::task::spawn_blocking(move || {
        let opened = Store::open(&path, &db_key, mac_key, create);
        drop(lock);
        opened
    })
    .await
    .map_err(|_| Error::Audit("its file cannot be opened"))??;
    // A new anchor with old keys: the file was removed or emptied.
    Ok((store, anchored && !made_now))
}

/// Checks the trail of this workstation account that `config` names, with
/// its keys from the keyring, without a window (`chartguard audit verify`).
pub fn verify_trail(config: &Config) -> Result<VerifyReport> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|_| Error::Internal("no runtime for the keyring"))?;
    runtime.block_on(verify(config))
}

/// [`verify_trail`] on the caller's runtime (`chartguard --check`).
pub(crate) async fn verify(config: &Config) -> Result<VerifyReport> {
    let (store, _) = open_store(&trail_path(config)?, false).await?;
    tokio::task::spawn_blocking(move || store.verify())
        .await
        .map_err(|_| Error::Internal("the check stopped"))?
}
