//! The encrypted local cache: one SQLCipher database per doctor, holding the
//! histories of the patients that doctor opened, so a platform outage
//! degrades to "as of {time}" instead of an empty screen.
//!
//! Invariants:
//! - **This is the only module that opens SQLite files**, and it opens them
//!   only with their key (a raw 256-bit key from the OS keyring, see
//!   [`crate::secrets::CacheKey`]; no PBKDF2 on open). clippy's config
//!   forbids `rusqlite::Connection::open*` everywhere else.
//! - The file name is a hash of the doctor's subject and reveals nothing;
//!   the folder is 0700 and the files 0600 on Unix. Temporary tables and
//!   indexes stay in memory, so nothing with PHI reaches disk outside the
//!   encrypted file and its encrypted WAL.
//! - One process at a time: an exclusive advisory lock on `{file}.lock`
//!   makes a second ChartGuard window get [`Error::CacheBusy`] instead of
//!   writing to the same file.
//! - A wrong key, a damaged file or a schema newer than this code is
//!   [`Error::CacheUnreadable`], never a panic and never an empty history:
//!   the caller can [`move_aside`] the file and rebuild from the platform.
//!   A missing key is the caller's [`Error::CacheKeyMissing`]: when the
//!   keyring has no key but [`cache_path`] exists, the file is moved aside
//!   before a new key is made.
//! - Purged rows are gone for good: `secure_delete` overwrites them, the WAL
//!   is checkpointed and truncated, and large purges are vacuumed.
//!
//! Every call blocks on disk I/O (milliseconds for a chart; a purge can
//! take longer): the Viewer runs them with `block_in_place`.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension as _, Transaction};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};
use crate::fhir::{array, is_cjk, resource_type, str_field};
use crate::secrets::{self, CacheKey};

/// The schema, one step per version: `MIGRATIONS[n]` takes a database at
/// `user_version` n to n + 1. Append only; never edit a released step.
const MIGRATIONS: &[&str] = &[
    // 1: patients with their sync time, pin and search text; their resources.
    "CREATE TABLE patient (
        id TEXT PRIMARY KEY,
        synced_at INTEGER NOT NULL,  -- Unix milliseconds
        pinned INTEGER NOT NULL DEFAULT 0,
        search_text TEXT NOT NULL    -- lower-cased names, one per line
    );
    -- retention: unpinned patients by age
    CREATE INDEX patient_retention ON patient(pinned, synced_at);
    CREATE TABLE patient_identifier (
        patient_id TEXT NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
        value TEXT NOT NULL,
        PRIMARY KEY (value, patient_id)
    ) WITHOUT ROWID;
    -- the cascade from patient
    CREATE INDEX patient_identifier_patient ON patient_identifier(patient_id);
    -- the primary key serves \"open patient X\" (all rows of one patient)
    CREATE TABLE resource (
        patient_id TEXT NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        json BLOB NOT NULL,
        PRIMARY KEY (patient_id, type, id)
    );",
    // 2: when the patient's whole history was last fetched (not just the
    // changes): incremental refreshes cannot see deletions, full ones can.
    "ALTER TABLE patient ADD COLUMN full_synced_at INTEGER NOT NULL DEFAULT 0;",
    // 3: the last sync by the platform's clock, which the next `_since`
    // is asked in; NULL when the platform did not date its answer.
    "ALTER TABLE patient ADD COLUMN platform_synced_at INTEGER;",
    // 4: when the doctor last opened the patient, for "recent patients"
    // (NULL: never opened from this cache). Search text gains pinyin
    // forms: see REINDEXED_AT.
    "ALTER TABLE patient ADD COLUMN opened_at INTEGER;",
];

/// Caches older than this schema version have their patients' search text
/// rebuilt on opening (the way names are indexed changed).
const REINDEXED_AT: usize = 4;

/// A doctor's open cache. Holds the lock until dropped.
pub(crate) struct Cache {
    // Declared before `_lock`: the connection closes before the lock goes.
    conn: Connection,
    _lock: File,
}

impl std::fmt::Debug for Cache {
    // The path would name nothing, but there is nothing useful to show either.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").finish_non_exhaustive()
    }
}

/// A patient's cached history.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CachedHistory {
    pub(crate) resources: Vec<Value>,
    pub(crate) synced_at: SystemTime,
    /// `synced_at` by the platform's clock, when the platform said.
    pub(crate) platform_synced_at: Option<SystemTime>,
}

/// When a sync happened: by the workstation's clock (shown to the doctor,
/// and what retention counts from) and by the platform's (what the next
/// incremental refresh asks from). The two differ when either clock is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SyncTime {
    pub(crate) local: SystemTime,
    pub(crate) platform: Option<SystemTime>,
}

impl From<SystemTime> for SyncTime {
    fn from(local: SystemTime) -> Self {
        SyncTime {
            local,
            platform: None,
        }
    }
}

struct SyncTimes {
    last: SyncTime,
    full: SystemTime,
}

/// Where a doctor's cache lives: `{base}/{hex(sha256(subject))[..32]}.db`.
/// The name does not reveal the subject.
pub(crate) fn cache_path(base: &Path, subject: &str) -> PathBuf {
    let digest = Sha256::digest(subject.as_bytes());
    let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    base.join(format!("{name}.db"))
}

/// The name of the keyring entry that holds the key of the cache file at
/// `path`: derived from the file's full path, so it names neither the doctor
/// nor the folder, and a cache in another folder has a key of its own.
pub(crate) fn key_id(path: &Path) -> String {
    let digest = Sha256::digest(path.to_string_lossy().as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn lock_path(db: &Path) -> PathBuf {
    with_suffix(db, ".lock")
}

/// `path` with `suffix` appended to its file name (`x.db` → `x.db-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

impl Cache {
    /// Opens (creating if absent) the cache of `subject` under `base` with
    /// its key, checks the key really opens it and brings the schema up to
    /// date. The app goes through [`open_with_keyring`].
    #[cfg(any(test, feature = "bench"))]
    pub(crate) fn open(base: &Path, subject: &str, key: &CacheKey) -> Result<Cache> {
        create_private_dir(base)?;
        let path = cache_path(base, subject);
        let lock = lock_exclusive(&path)?;
        Cache::open_locked(&path, lock, key)
    }

    /// [`Cache::open`] of the file at `path`, whose lock the caller holds.
    fn open_locked(path: &Path, lock: File, key: &CacheKey) -> Result<Cache> {
        // SQLite gives the -wal and -shm files the mode of the database file,
        // so creating it 0600 first covers all three.
        create_private_file(path)?;
        let conn = open_keyed(path, key)?;
        let mut cache = Cache { conn, _lock: lock };
        cache.migrate()?;
        tracing::debug!(schema = MIGRATIONS.len(), "local cache opened");
        Ok(cache)
    }

    fn migrate(&mut self) -> Result<()> {
        let current = user_version(&self.conn).or_cache_error()?;
        if current > MIGRATIONS.len() {
            // Written by a newer ChartGuard: reading it with an older schema
            // could misread it, and downgrading would lose data.
            tracing::warn!(
                found = current,
                known = MIGRATIONS.len(),
                "the local cache has a newer schema"
            );
            return Err(Error::CacheUnreadable);
        }
        for (version, step) in MIGRATIONS.iter().enumerate().skip(current) {
            let tx = self.conn.transaction().or_cache_error()?;
            tx.execute_batch(step).or_cache_error()?;
            if version + 1 == REINDEXED_AT {
                // In the same transaction: a cache at this version has been
                // re-indexed, whenever the app stopped.
                reindex_all(&tx)?;
            }
            set_user_version(&tx, version + 1).or_cache_error()?;
            tx.commit().or_cache_error()?;
            tracing::info!(version = version + 1, "local cache schema migrated");
        }
        Ok(())
    }

    /// Replaces everything cached for the patient with `resources` (the
    /// patient's whole history) and records `synced_at`. A pin survives.
    pub(crate) fn store_history(
        &mut self,
        patient_id: &str,
        resources: &[Value],
        synced: impl Into<SyncTime>,
    ) -> Result<()> {
        let synced = synced.into();
        let (synced_at, platform_synced_at) = (
            unix_millis(synced.local)?,
            synced.platform.map(unix_millis).transpose()?,
        );
        let tx = self.conn.transaction().or_cache_error()?;
        tx.execute(
            "INSERT INTO patient (id, synced_at, full_synced_at, platform_synced_at, search_text)
             VALUES (?1, ?2, ?2, ?3, '')
             ON CONFLICT (id) DO UPDATE SET synced_at = excluded.synced_at,
                                            full_synced_at = excluded.full_synced_at,
                                            platform_synced_at = excluded.platform_synced_at",
            params![patient_id, synced_at, platform_synced_at],
        )
        .or_cache_error()?;
        tx.execute(
            "DELETE FROM resource WHERE patient_id = ?1",
            params![patient_id],
        )
        .or_cache_error()?;
        upsert_resources(&tx, patient_id, resources)?;
        index_patient(&tx, patient_id)?;
        tx.commit().or_cache_error()
    }

    /// Incremental refresh: upserts `changed` (by resourceType + id), deletes
    /// the `deleted` `(resourceType, id)` pairs and records `synced_at`. Only
    /// for a cached patient: merging into nothing would pass a partial
    /// history off as a whole one.
    pub(crate) fn merge_history(
        &mut self,
        patient_id: &str,
        changed: &[Value],
        deleted: &[(String, String)],
        synced: impl Into<SyncTime>,
    ) -> Result<()> {
        let synced = synced.into();
        let (synced_at, platform_synced_at) = (
            unix_millis(synced.local)?,
            synced.platform.map(unix_millis).transpose()?,
        );
        let tx = self.conn.transaction().or_cache_error()?;
        let updated = tx
            .execute(
                "UPDATE patient SET synced_at = ?2, platform_synced_at = ?3 WHERE id = ?1",
                params![patient_id, synced_at, platform_synced_at],
            )
            .or_cache_error()?;
        if updated == 0 {
            return Err(Error::Internal(
                "an incremental refresh of a patient who is not cached",
            ));
        }
        upsert_resources(&tx, patient_id, changed)?;
        {
            let mut delete = tx
                .prepare_cached(
                    "DELETE FROM resource WHERE patient_id = ?1 AND type = ?2 AND id = ?3",
                )
                .or_cache_error()?;
            for (ty, id) in deleted {
                delete
                    .execute(params![patient_id, ty, id])
                    .or_cache_error()?;
            }
        }
        index_patient(&tx, patient_id)?;
        tx.commit().or_cache_error()
    }

    /// When the patient's whole history was last fetched (by
    /// [`Cache::store_history`]); `None` when not cached.
    pub(crate) fn full_synced_at(&self, patient_id: &str) -> Result<Option<SystemTime>> {
        Ok(self.sync_times(patient_id)?.map(|times| times.full))
    }

    /// The patient's last sync and last full sync; `None` when not cached.
    fn sync_times(&self, patient_id: &str) -> Result<Option<SyncTimes>> {
        let millis: Option<(i64, i64, Option<i64>)> = self
            .conn
            .query_row(
                "SELECT synced_at, full_synced_at, platform_synced_at FROM patient WHERE id = ?1",
                params![patient_id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .or_cache_error()?;
        Ok(millis.map(|(last, full, platform)| SyncTimes {
            last: SyncTime {
                local: from_unix_millis(last),
                platform: platform.map(from_unix_millis),
            },
            full: from_unix_millis(full),
        }))
    }

    /// The cached history and when it was synced; `None` when the patient is
    /// not cached.
    pub(crate) fn load_history(&self, patient_id: &str) -> Result<Option<CachedHistory>> {
        let Some(SyncTimes { last, .. }) = self.sync_times(patient_id)? else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT json FROM resource WHERE patient_id = ?1 ORDER BY rowid")
            .or_cache_error()?;
        let rows = stmt
            .query_map(params![patient_id], |row| row.get::<_, Vec<u8>>(0))
            .or_cache_error()?;
        let mut resources = Vec::new();
        for json in rows {
            resources.push(parse_stored(&json.or_cache_error()?)?);
        }
        Ok(Some(CachedHistory {
            resources,
            synced_at: last.local,
            platform_synced_at: last.platform,
        }))
    }

    /// Cached Patient resources whose name contains `text` (case-insensitive,
    /// also the joined CJK family + given name) or with an identifier equal
    /// to `text`; most recently synced first.
    ///
    /// Names are matched by scanning the patient table: it holds the few
    /// hundred patients a retention window keeps, and no index serves a
    /// substring of a two-character Chinese name.
    pub(crate) fn search_patients(&self, text: &str) -> Result<Vec<Value>> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.json FROM patient p
                 JOIN resource r ON r.patient_id = p.id AND r.type = 'Patient' AND r.id = p.id
                 WHERE instr(p.search_text, ?1) > 0 OR instr(p.search_text, ?3) > 0
                    OR p.id IN (SELECT patient_id FROM patient_identifier WHERE value = ?2)
                 ORDER BY p.synced_at DESC, p.id",
            )
            .or_cache_error()?;
        let rows = stmt
            // "zhang wei" finds the pinyin form "zhangwei" too.
            .query_map(
                params![
                    text.to_lowercase(),
                    text,
                    text.to_lowercase().replace(' ', "")
                ],
                |row| row.get::<_, Vec<u8>>(0),
            )
            .or_cache_error()?;
        let mut found = Vec::new();
        for json in rows {
            found.push(parse_stored(&json.or_cache_error()?)?);
        }
        Ok(found)
    }

    /// Notes that the doctor opened the patient now. No effect when the
    /// patient is not cached.
    pub(crate) fn mark_opened(&mut self, patient_id: &str, at: SystemTime) -> Result<()> {
        self.conn
            .execute(
                "UPDATE patient SET opened_at = ?2 WHERE id = ?1",
                params![patient_id, unix_millis(at)?],
            )
            .or_cache_error()?;
        Ok(())
    }

    /// The Patient records of the `limit` patients opened most recently,
    /// newest first.
    pub(crate) fn recent_patients(&self, limit: usize) -> Result<Vec<Value>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.json FROM patient p
                 JOIN resource r ON r.patient_id = p.id AND r.type = 'Patient' AND r.id = p.id
                 WHERE p.opened_at IS NOT NULL
                 ORDER BY p.opened_at DESC, p.id LIMIT ?1",
            )
            .or_cache_error()?;
        let rows = stmt
            .query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
                row.get::<_, Vec<u8>>(0)
            })
            .or_cache_error()?;
        let mut found = Vec::new();
        for json in rows {
            found.push(parse_stored(&json.or_cache_error()?)?);
        }
        Ok(found)
    }

    /// Pins a patient (kept by retention) or unpins them. No effect when the
    /// patient is not cached.
    pub(crate) fn set_pinned(&mut self, patient_id: &str, pinned: bool) -> Result<()> {
        self.conn
            .execute(
                "UPDATE patient SET pinned = ?2 WHERE id = ?1",
                params![patient_id, pinned],
            )
            .or_cache_error()?;
        Ok(())
    }

    /// Whether the patient is cached and pinned.
    pub(crate) fn is_pinned(&self, patient_id: &str) -> Result<bool> {
        let pinned: Option<bool> = self
            .conn
            .query_row(
                "SELECT pinned FROM patient WHERE id = ?1",
                params![patient_id],
                |row| row.get(0),
            )
            .optional()
            .or_cache_error()?;
        Ok(pinned.unwrap_or(false))
    }

    /// Retention: removes every unpinned patient whose last sync is older
    /// than `cutoff`; returns how many.
    pub(crate) fn purge_older_than(&mut self, cutoff: SystemTime) -> Result<usize> {
        let cutoff = unix_millis(cutoff)?;
        let removed = self
            .conn
            .execute(
                "DELETE FROM patient WHERE pinned = 0 AND synced_at < ?1",
                params![cutoff],
            )
            .or_cache_error()?;
        if removed > 0 {
            self.scrub()?;
            tracing::info!(patients = removed, "local cache: retention purge");
        }
        Ok(removed)
    }

    /// Forgets one patient (the platform withdrew the record or the access).
    pub(crate) fn remove_patient(&mut self, patient_id: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM patient WHERE id = ?1", params![patient_id])
            .or_cache_error()?;
        checkpoint(&self.conn)
    }

    /// Caps the file at `max_bytes` (rounded down to whole pages): a write
    /// that would grow it further fails with [`Error::DiskFull`], as on a
    /// full disk, and [`Cache::with_room`] makes room.
    pub(crate) fn limit_size(&self, max_bytes: u64) -> Result<()> {
        let pages = (max_bytes / u64::from(PAGE_SIZE)).max(1);
        self.conn
            .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
            .or_cache_error()
    }

    /// Runs `write` (one transaction), and while it fails for want of space
    /// (the size cap, or a full disk) removes the least recently synced
    /// unpinned patients other than `keep`, a quarter of them at a time,
    /// and tries again. [`Error::DiskFull`] when nothing is left to remove.
    pub(crate) fn with_room(
        &mut self,
        keep: &str,
        mut write: impl FnMut(&mut Cache) -> Result<()>,
    ) -> Result<()> {
        loop {
            match write(self) {
                Err(Error::DiskFull) => {}
                done => return done,
            }
            let evictable: i64 = self
                .conn
                .query_row(
                    "SELECT count(*) FROM patient WHERE pinned = 0 AND id != ?1",
                    params![keep],
                    |row| row.get(0),
                )
                .or_cache_error()?;
            if evictable == 0 {
                return Err(Error::DiskFull);
            }
            let evicted = self
                .conn
                .execute(
                    "DELETE FROM patient WHERE id IN (
                         SELECT id FROM patient WHERE pinned = 0 AND id != ?1
                         ORDER BY synced_at LIMIT ?2)",
                    params![keep, (evictable + 3) / 4],
                )
                .or_cache_error()?;
            checkpoint(&self.conn)?;
            tracing::info!(
                patients = evicted,
                "local cache full: oldest patients removed"
            );
        }
    }

    /// Removes all patient data (purge on logout); returns how many patients.
    /// The schema stays, and with it whatever later tables (the audit trail)
    /// must outlive a purge.
    pub(crate) fn purge_all(&mut self) -> Result<usize> {
        let removed = self
            .conn
            .execute("DELETE FROM patient", [])
            .or_cache_error()?;
        self.scrub()?;
        tracing::info!(patients = removed, "local cache: purged");
        Ok(removed)
    }

    /// Makes deleted rows unrecoverable, even with the key: `secure_delete`
    /// has overwritten them in the pages, but older copies of those pages can
    /// still sit in the WAL (until it is truncated) and in free pages (until
    /// a vacuum, when much was freed).
    fn scrub(&mut self) -> Result<()> {
        let (free, total): (i64, i64) = self
            .conn
            .query_row(
                "SELECT (SELECT freelist_count FROM pragma_freelist_count),
                        (SELECT page_count FROM pragma_page_count)",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .or_cache_error()?;
        if free * 4 >= total {
            self.conn.execute_batch("VACUUM").or_cache_error()?;
        }
        checkpoint(&self.conn)
    }
}

/// Opens the doctor's cache with its key from the OS keyring, making the key
/// on first use (no key and no cache yet). A cache whose key is gone (the
/// keyring was reset) is [`Error::CacheKeyMissing`]: the caller moves it
/// aside with [`move_aside`] and calls again to start a fresh one.
pub(crate) async fn open_with_keyring(base: &Path, subject: &str) -> Result<Cache> {
    create_private_dir(base)?;
    let path = cache_path(base, subject);
    // Locked before the key is looked up: two windows starting at once
    // would otherwise both make a key, the second overwriting the one the
    // first encrypted the new file with.
    let lock = lock_exclusive(&path)?;
    let key_id = key_id(&path);
    let key = match secrets::cache_key(&key_id).await? {
        Some(key) => key,
        // An empty file is what a crash before the first write leaves.
        None if std::fs::metadata(&path).is_ok_and(|m| m.len() > 0) => {
            return Err(Error::CacheKeyMissing)
        }
        None => secrets::create_cache_key(&key_id).await?,
    };
    tokio::task::spawn_blocking(move || Cache::open_locked(&path, lock, &key))
        .await
        .map_err(|_| Error::Internal("the local cache task failed"))?
}

/// Moves an unreadable cache file (and its -wal and -shm) aside as
/// `{file}.unreadable-{unix seconds}`, so a fresh cache can be built from
/// the platform and IT can still examine the old one. Never deletes it.
/// Refused with [`Error::CacheBusy`] while another window has it open.
pub(crate) fn move_aside(path: &Path) -> Result<PathBuf> {
    let _lock = lock_exclusive(path)?;
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut target = with_suffix(path, &format!(".unreadable-{secs}"));
    let mut n = 1;
    while target.exists() {
        target = with_suffix(path, &format!(".unreadable-{secs}-{n}"));
        n += 1;
    }
    // The WAL and shared-memory files first: should this stop half-way,
    // what stays behind is an older but consistent database, never a fresh
    // database next to the old one's WAL.
    for suffix in ["-wal", "-shm"] {
        let side = with_suffix(path, suffix);
        match std::fs::rename(&side, with_suffix(&target, suffix)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&e, "the local cache could not be moved aside")),
        }
    }
    std::fs::rename(path, &target)
        .map_err(|e| io_error(&e, "the local cache could not be moved aside"))?;
    tracing::warn!("local cache moved aside");
    Ok(target)
}

pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| io_error(&e, "the local cache's folder cannot be created"))
}

fn private_file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

pub(crate) fn create_private_file(path: &Path) -> Result<()> {
    private_file_options()
        .open(path)
        .map(drop)
        .map_err(|e| io_error(&e, "the local cache file cannot be created"))
}

/// Waits for the exclusive advisory lock of the file at `db` (shared by
/// every window of this account, e.g. the audit trail's), held as long as
/// the returned file is open.
pub(crate) fn lock_blocking(db: &Path) -> Result<File> {
    let lock = private_file_options()
        .open(lock_path(db))
        .map_err(|e| io_error(&e, "a lock file cannot be created"))?;
    fs4::fs_std::FileExt::lock_exclusive(&lock)
        .map_err(|e| io_error(&e, "a file cannot be locked"))?;
    Ok(lock)
}

/// Takes the exclusive advisory lock of the cache at `db`, held as long as
/// the returned file is open.
fn lock_exclusive(db: &Path) -> Result<File> {
    let lock = private_file_options()
        .open(lock_path(db))
        .map_err(|e| io_error(&e, "the local cache's lock file cannot be created"))?;
    match fs4::fs_std::FileExt::try_lock_exclusive(&lock) {
        Ok(true) => Ok(lock),
        Ok(false) => Err(Error::CacheBusy),
        Err(e) => Err(io_error(&e, "the local cache cannot be locked")),
    }
}

/// Only for `benches/open.rs`: the same schema and settings in an
/// unencrypted file, to measure what the encryption costs. Never used by
/// the app.
#[cfg(feature = "bench")]
impl Cache {
    pub(crate) fn open_plain_for_benchmark(path: &Path) -> Result<Cache> {
        let lock = lock_exclusive(path)?;
        #[allow(clippy::disallowed_methods)]
        let conn = Connection::open(path).or_cache_error()?;
        conn.execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE};"))
            .or_cache_error()?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .or_cache_error()?;
        conn.execute_batch(
            "PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
        )
        .or_cache_error()?;
        let mut cache = Cache { conn, _lock: lock };
        cache.migrate()?;
        Ok(cache)
    }
}

/// Page size of the cache file, in bytes.
const PAGE_SIZE: u32 = 16384;

/// Opens the database with its key and proves the key is right: SQLCipher
/// only notices a wrong key (or a file that is no database) on first read.
/// The audit trail's store opens its file through here too.
pub(crate) fn open_keyed(path: &Path, key: &CacheKey) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    // The one place a SQLite file is opened; the key is applied right below,
    // before anything reads the file.
    #[allow(clippy::disallowed_methods)]
    let conn = Connection::open_with_flags(path, flags).or_cache_error()?;
    // SQLCipher's own log goes to stderr, past tracing and its file; what
    // matters of it reaches tracing through the errors below.
    conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(()))
        .or_cache_error()?;
    // Built in a buffer of its final size, so no partial copy of the key is
    // left behind in freed memory by a reallocation. (rusqlite and SQLite
    // make copies of their own that this cannot wipe.)
    let mut pragma = zeroize::Zeroizing::new(String::with_capacity(96));
    pragma.push_str("PRAGMA key = \"x'");
    pragma.push_str(&key.to_hex());
    pragma.push_str("'\";");
    conn.execute_batch(&pragma).or_cache_error()?;
    // Larger pages than SQLCipher's 4 KiB default: a chart is read whole,
    // and every page costs an HMAC check on top of its decryption.
    conn.execute_batch(&format!("PRAGMA cipher_page_size = {PAGE_SIZE};"))
        .or_cache_error()?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
        row.get::<_, i64>(0)
    })
    .or_cache_error()?;
    // journal_mode answers with the mode in force; anything but WAL means
    // the file could not be switched (e.g. a read-only folder).
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .or_cache_error()?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Internal("the local cache cannot use its journal"));
    }
    conn.execute_batch(
        "PRAGMA secure_delete = ON;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )
    .or_cache_error()?;
    Ok(conn)
}

fn user_version(conn: &Connection) -> rusqlite::Result<usize> {
    let version: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    Ok(version as usize)
}

fn set_user_version(conn: &Connection, version: usize) -> rusqlite::Result<()> {
    // Never near u32::MAX: one migration per schema change.
    conn.pragma_update(None, "user_version", version as u32)
}

/// Writes every WAL frame into the database and truncates the WAL to zero
/// bytes, so no old page versions survive in it.
fn checkpoint(conn: &Connection) -> Result<()> {
    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
        .or_cache_error()?;
    if busy != 0 {
        // Only this connection uses the file (the lock sees to that).
        return Err(Error::Internal(
            "the local cache's journal could not be emptied",
        ));
    }
    Ok(())
}

fn upsert_resources(tx: &Transaction<'_>, patient_id: &str, resources: &[Value]) -> Result<()> {
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO resource (patient_id, type, id, json) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (patient_id, type, id) DO UPDATE SET json = excluded.json",
        )
        .or_cache_error()?;
    for resource in resources {
        let json = serde_json::to_vec(resource)
            .map_err(|_| Error::Internal("a resource could not be serialised for the cache"))?;
        let (ty, id) = resource_key(resource, &json);
        insert
            .execute(params![patient_id, ty, id, json])
            .or_cache_error()?;
    }
    Ok(())
}

/// Rebuilds every patient's search text. A patient whose stored record no
/// longer reads is left unfindable by name rather than failing the cache.
fn reindex_all(tx: &Transaction<'_>) -> Result<()> {
    let ids: Vec<String> = {
        let mut stmt = tx.prepare("SELECT id FROM patient").or_cache_error()?;
        let rows = stmt.query_map([], |row| row.get(0)).or_cache_error()?;
        rows.collect::<rusqlite::Result<_>>().or_cache_error()?
    };
    let mut unreadable = 0usize;
    for id in &ids {
        if index_patient(tx, id).is_err() {
            unreadable += 1;
            tx.execute(
                "UPDATE patient SET search_text = '' WHERE id = ?1",
                params![id],
            )
            .or_cache_error()?;
        }
    }
    tracing::info!(
        patients = ids.len(),
        unreadable,
        "local cache search text rebuilt"
    );
    Ok(())
}

/// Rebuilds the patient's search text and identifiers from their stored
/// Patient resource (the one whose id is the patient's).
fn index_patient(tx: &Transaction<'_>, patient_id: &str) -> Result<()> {
    let json: Option<Vec<u8>> = tx
        .query_row(
            "SELECT json FROM resource WHERE patient_id = ?1 AND type = 'Patient' AND id = ?1",
            params![patient_id],
            |row| row.get(0),
        )
        .optional()
        .or_cache_error()?;
    let patient = json.as_deref().map(parse_stored).transpose()?;
    let text = patient.as_ref().map(search_text).unwrap_or_default();
    tx.execute(
        "UPDATE patient SET search_text = ?2 WHERE id = ?1",
        params![patient_id, text],
    )
    .or_cache_error()?;
    tx.execute(
        "DELETE FROM patient_identifier WHERE patient_id = ?1",
        params![patient_id],
    )
    .or_cache_error()?;
    let mut insert = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO patient_identifier (patient_id, value) VALUES (?1, ?2)",
        )
        .or_cache_error()?;
    for value in patient.as_ref().map(identifiers).unwrap_or_default() {
        insert
            .execute(params![patient_id, value])
            .or_cache_error()?;
    }
    Ok(())
}

/// The `(resourceType, id)` a resource is stored under. A resource without
/// them (not valid FHIR, but kept all the same: the cache must not lose
/// what the platform sent) gets a key derived from its content.
fn resource_key(resource: &Value, json: &[u8]) -> (String, String) {
    let ty = resource_type(resource).unwrap_or("").to_owned();
    let id = match str_field(resource, "id") {
        Some(id) => id.to_owned(),
        None => {
            let digest = Sha256::digest(json);
            let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            format!("#sha256:{hex}")
        }
    };
    (ty, id)
}

/// What a cached patient is found by: each name's text, family, given names,
/// "given family", "family given" and family + given joined without a space
/// for CJK names (张伟), lower-cased, one per line so that no match spans
/// two of them.
fn search_text(patient: &Value) -> String {
    let mut lines: Vec<String> = Vec::new();
    for name in array(patient, "name") {
        let family = str_field(name, "family").map(str::trim);
        let given: Vec<&str> = array(name, "given")
            .filter_map(Value::as_str)
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .collect();
        lines.extend(str_field(name, "text").map(str::to_owned));
        lines.extend(family.map(str::to_owned));
        lines.extend(given.iter().map(|g| (*g).to_owned()));
        if let Some(family) = family.filter(|_| !given.is_empty()) {
            let given_joined = given.join(" ");
            lines.push(format!("{given_joined} {family}"));
            lines.push(format!("{family} {given_joined}"));
            if family.chars().chain(given.concat().chars()).any(is_cjk) {
                lines.push(format!("{family}{}", given.concat()));
            }
        }
    }
    // zhangwei and zw for 张伟 (a search with spaces is also tried
    // without them).
    let pinyin: Vec<String> = lines
        .iter()
        .filter(|l| !l.contains(' '))
        .flat_map(|l| crate::search::pinyin_forms(l))
        .collect();
    lines.extend(pinyin);
    let mut lines: Vec<String> = lines
        .iter()
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty())
        .collect();
    lines.sort();
    lines.dedup();
    lines.join("\n")
}

/// The patient's identifier values (resident ID, MRN, insurance number…).
fn identifiers(patient: &Value) -> Vec<String> {
    array(patient, "identifier")
        .filter_map(|i| str_field(i, "value"))
        .map(|v| v.trim().to_owned())
        .collect()
}

fn parse_stored(json: &[u8]) -> Result<Value> {
    // Only this module writes these rows; unreadable JSON means damage.
    serde_json::from_slice(json).map_err(|_| Error::CacheUnreadable)
}

fn unix_millis(t: SystemTime) -> Result<i64> {
    t.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .ok_or(Error::Internal("a sync time outside the cache's range"))
}

fn from_unix_millis(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn io_error(e: &io::Error, what: &'static str) -> Error {
    if e.kind() == io::ErrorKind::StorageFull {
        Error::DiskFull
    } else {
        // The path names nothing, but the OS message adds nothing the UI can act on.
        tracing::warn!(kind = ?e.kind(), "{what}");
        Error::Internal(what)
    }
}

/// Maps SQLite's failures onto PHI-free errors (SQLite's own messages can
/// quote SQL or values; they are never passed on).
fn sql_error(e: &rusqlite::Error) -> Error {
    use rusqlite::ffi::ErrorCode as C;
    match e {
        rusqlite::Error::SqliteFailure(failure, _) => match failure.code {
            C::NotADatabase | C::DatabaseCorrupt => Error::CacheUnreadable,
            C::DiskFull => Error::DiskFull,
            C::DatabaseBusy | C::DatabaseLocked => Error::CacheBusy,
            code => {
                tracing::warn!(
                    ?code,
                    extended = failure.extended_code,
                    "local cache failure"
                );
                Error::Internal("the local cache failed")
            }
        },
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::IntegralValueOutOfRange(..) => Error::CacheUnreadable,
        _ => Error::Internal("the local cache failed"),
    }
}

trait OrCacheError<T> {
    fn or_cache_error(self) -> Result<T>;
}

impl<T> OrCacheError<T> for rusqlite::Result<T> {
    fn or_cache_error(self) -> Result<T> {
        self.map_err(|e| sql_error(&e))
    }
}

#[cfg(test)]
mod tests {
    //! Real SQLCipher files in temporary folders. They live here rather than
    //! in `tests/` because the cache is crate-private: only the Viewer uses it.

    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use serde_json::{json, Value};
    use tempfile::TempDir;

    use super::*;
    use crate::error::ErrorCode;

    const DOCTOR: &str = "7f3c2a9e-doctor-wangyi";
    const NAME: &str = "张伟";
    const PHONE: &str = "13812345678";
    const RESIDENT_ID: &str = "11010519491231002X";

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn key() -> CacheKey {
        CacheKey::random()
    }

    fn zhang_wei() -> Vec<Value> {
        vec![
            json!({
                "resourceType": "Patient", "id": "cn-0001",
                "name": [{"use": "official", "family": "张", "given": ["伟"]}],
                "telecom": [{"system": "phone", "value": PHONE}],
                "identifier": [{"system": "urn:oid:2.16.156.10011.1.1", "value": RESIDENT_ID}],
                "birthDate": "1949-12-31"
            }),
            json!({
                "resourceType": "Condition", "id": "c1",
                "subject": {"reference": "Patient/cn-0001"},
                "code": {"text": "2型糖尿病"}
            }),
            json!({
                "resourceType": "Observation", "id": "o1",
                "subject": {"reference": "Patient/cn-0001"},
                "code": {"text": "HbA1c"}, "valueQuantity": {"value": 7.2, "unit": "%"}
            }),
            json!({
                "resourceType": "DocumentReference", "id": "d1",
                "description": format!("{NAME}，电话 {PHONE}，复诊")
            }),
        ]
    }

    fn adan_portillo() -> Vec<Value> {
        vec![
            json!({
                "resourceType": "Patient", "id": "w-0002",
                "name": [{"family": "Portillo", "given": ["Adán", "José"]}],
                "identifier": [{"value": "MRN-778812"}]
            }),
            json!({"resourceType": "Encounter", "id": "e1", "status": "finished"}),
        ]
    }

    fn ids(resources: &[Value]) -> Vec<String> {
        resources
            .iter()
            .map(|r| format!("{}/{}", r["resourceType"], r["id"]).replace('"', ""))
            .collect()
    }

    fn code<T: std::fmt::Debug>(result: Result<T>) -> ErrorCode {
        result.expect_err("an error").code()
    }

    /// Every file the cache wrote, as bytes (database, WAL, shm, lock).
    fn files_of(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                (p, bytes)
            })
            .collect()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn assert_no_plaintext(dir: &Path) {
        let needles = [
            NAME,
            PHONE,
            RESIDENT_ID,
            "2型糖尿病",
            "Portillo",
            "resourceType",
        ];
        let files = files_of(dir);
        assert!(files
            .iter()
            .any(|(p, _)| p.extension().is_some_and(|e| e == "db")));
        for (path, bytes) in files {
            for needle in needles {
                assert!(
                    !contains(&bytes, needle.as_bytes()),
                    "{needle:?} in plaintext in {}",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn store_then_load_returns_every_resource_and_the_sync_time() {
        let dir = TempDir::new().unwrap();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key()).unwrap();
        let synced_at = UNIX_EPOCH + Duration::from_millis(1_764_300_000_123);
        cache
            .store_history("cn-0001", &zhang_wei(), synced_at)
            .unwrap();
        cache
            .store_history("w-0002", &adan_portillo(), at(1_764_300_100))
            .unwrap();

        let loaded = cache.load_history("cn-0001").unwrap().unwrap();
        assert_eq!(loaded.resources, zhang_wei());
        assert_eq!(loaded.synced_at, synced_at);
        let other = cache.load_history("w-0002").unwrap().unwrap();
        assert_eq!(other.resources, adan_portillo());
        assert_eq!(cache.load_history("cn-9999").unwrap(), None);
    }

    #[test]
    fn a_reopened_cache_still_holds_the_history() {
        let dir = TempDir::new().unwrap();
        let key = key();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key).unwrap();
        cache
            .store_history("cn-0001", &zhang_wei(), at(1_764_300_000))
            .unwrap();
        drop(cache);
        let cache = Cache::open(dir.path(), DOCTOR, &key).unwrap();
        let loaded = cache.load_history("cn-0001").unwrap().unwrap();
        assert_eq!(loaded.resources, zhang_wei());
    }

    /// A history of about `kib` KiB of incompressible notes.
    fn history_of(patient_id: &str, kib: usize) -> Vec<Value> {
        let mut resources = vec![json!({"resourceType": "Patient", "id": patient_id})];
        for i in 0..kib {
            let note: String = (0..1024)
                .map(|_| char::from(b'a' + rand::random::<u8>() % 26))
                .collect();
            resources.push(json!({
                "resourceType": "Observation", "id": format!("o{i}"),
                "subject": {"reference": format!("Patient/{patient_id}")}, "note": [{"text": note}]
            }));
        }
        resources
    }

    #[test]
    fn a_full_cache_makes_room_from_the_oldest_unpinned_patients() {
        let dir = TempDir::new().unwrap();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key()).unwrap();
        cache.limit_size(1 << 20).unwrap();
        let store = |cache: &mut Cache, id: &str, kib: usize, secs: u64| {
            let history = history_of(id, kib);
            cache.with_room(id, |c| c.store_history(id, &history, at(secs)))
        };
        store(&mut cache, "pinned", 200, 1).unwrap();
        cache.set_pinned("pinned", true).unwrap();
        for (n, id) in ["old", "middle", "recent"].iter().enumerate() {
            store(&mut cache, id, 200, 10 + n as u64).unwrap();
        }

        store(&mut cache, "new", 300, 20).unwrap();

        let cached = |cache: &Cache, id: &str| cache.load_history(id).unwrap().is_some();
        assert!(
            !cached(&cache, "old"),
            "the oldest unpinned patient made room"
        );
        for id in ["pinned", "recent", "new"] {
            assert!(cached(&cache, id), "{id}");
        }
        let pages: i64 = cache
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        assert!(pages * i64::from(PAGE_SIZE) <= 1 << 20);

        // Larger than the whole cap: refused, and what is cached now stays
        // (except what was given up to try).
        let too_big = store(&mut cache, "huge", 2048, 30);
        assert!(matches!(too_big, Err(Error::DiskFull)), "{too_big:?}");
        assert!(!cached(&cache, "huge"), "nothing half-written");
        let pinned = cache.load_history("pinned").unwrap();
        assert_eq!(
            pinned.map(|h| h.resources.len()),
            Some(201),
            "pinned patients are never given up"
        );
    }

    #[test]
    fn both_clocks_of_a_sync_are_kept() {
        let dir = TempDir::new().unwrap();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key()).unwrap();
        let full = SyncTime {
            local: at(10_000),
            platform: Some(at(3_000)),
        };
        cache.store_history("cn-0001", &zhang_wei(), full).unwrap();
        let loaded = cache.load_history("cn-0001").unwrap().unwrap();
        assert_eq!(
            (loaded.synced_at, loaded.platform_synced_at),
            (at(10_000), Some(at(3_000)))
        );

        let undated = at(20_000);
        cache.merge_history("cn-0001", &[], &[], undated).unwrap();
        let loaded = cache.load_history("cn-0001").unwrap().unwrap();
        assert_eq!(
            (loaded.synced_at, loaded.platform_synced_at),
            (at(20_000), None),
            "an undated answer does not keep a stale platform time"
        );
        assert_eq!(cache.full_synced_at("cn-0001").unwrap(), Some(at(10_000)));
    }

    #[test]
    fn store_replaces_the_previous_history() {
        let dir = TempDir::new().unwrap();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key()).unwrap();
        cache
            .store_history("cn-0001", &zhang_wei(), at(1_000))
            .unwrap();
        let mut newer = zhang_wei();
        newer.retain(|r| r["resourceType"] != "Observation");
        newer.push(json!({"resourceType": "Observation", "id": "o2", "code": {"text": "eGFR"}}));
        cache.store_history("cn-0001", &newer, at(2_000)).unwrap();

        let loaded = cache.load_history("cn-0001").unwrap().unwrap();
        assert_eq!(
            ids(&loaded.resources),
            [
                "Patient/cn-0001",
                "Condition/c1",
                "DocumentReference/d1",
                "Observation/o2"
            ]
        );
        assert_eq!(loaded.synced_at, at(2_000));
    }

    #[test]
    fn store_keeps_a_pin_and_a_resource_without_id() {
        let dir = TempDir::new().unwrap();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key()).unwrap();
        cache
            .store_history("cn-0001", &zhang_wei(), at(10))
            .unwrap();
        cache.set_pinned("cn-0001", true).unwrap();
        let mut history = zhang_wei();
        history.push(json!({"resourceType": "Observation", "code": {"text": "no id"}}));
        history.push(json!({"resourceType": "Observation", "code": {"text": "no id either"}}));
        cache.store_history("cn-0001", &history, at(20)).unwrap();

        assert_eq!(
            cache.load_history("cn-0001").unwrap().unwrap().resources,
            history
        );
        assert_eq!(
            cache.purge_older_than(at(1_000)).unwrap(),
            0,
            "still pinned"
        );
    }

    #[test]
    fn merge_upserts_changed_and_deletes_removed_resources() {
        let dir = TempDir::new().unwrap();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key()).unwrap();
        cache
            .store_history("cn-0001", &zhang_wei(), at(1_000))
            .unwrap();
        let changed = [
            json!({"resourceType": "Condition", "id": "c1", "code": {"text": "2型糖尿病，已控制"}}),
            json!({"resourceType": "Observation", "id": "o3", "code": {"text": "HbA1c"}}),
        ];
        let deleted = [
            ("DocumentReference".to_owned(), "d1".to_owned()),
            ("Observation".to_owned(), "not-cached".to_owned()),
        ];
        cache
            .merge_history("cn-0001", &changed, &deleted, at(2_000))
            .unwrap();

        let loaded = cache.load_history("cn-0001").unwrap().unwrap();
        assert_eq!(
            ids(&loaded.resources),
            [
                "Patient/cn-0001",
                "Condition/c1",
                "Observation/o1",
                "Observation/o3"
            ]
        );
        assert_eq!(loaded.resources[1], changed[0]);
        assert_eq!(loaded.synced_at, at(2_000));
    }

    #[test]
    fn merge_reindexes_a_changed_patient_resource() {
        let dir = TempDir::new().unwrap();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key()).unwrap();
        cache
            .store_history("cn-0001", &zhang_wei(), at(1_000))
            .unwrap();
        let renamed = json!({
            "resourceType": "Patient", "id": "cn-0001",
            "name": [{"family": "张", "given": ["伟明"]}],
            "identifier": [{"value": "MRN-1"}]
        });
        cache
            .merge_history("cn-0001", std::slice::from_ref(&renamed), &[], at(2_000))
            .unwrap();
        assert_eq!(
            cache.search_patients("张伟明").unwrap(),
            std::slice::from_ref(&renamed)
        );
        assert_eq!(cache.search_patients("MRN-1").unwrap(), [renamed]);
        assert!(cache.search_patients(RESIDENT_ID).unwrap().is_empty());
    }

    #[test]
    fn merge_into_an_uncached_patient_is_refused() {
        let dir = TempDir::new().unwrap();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key()).unwrap();
        let result = cache.merge_history("cn-0001", &zhang_wei(), &[], at(1));
        assert_eq!(code(result), ErrorCode::Internal);
        assert_eq!(cache.load_history("cn-0001").unwrap(), None);
    }

    #[test]
    fn stored_plaintext_never_reaches_the_database_or_wal_files() {
        let dir = TempDir::new().unwrap();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key()).unwrap();
        cache.store_history("cn-0001", &zhang_wei(), at(1)).unwrap();
        cache
            .store_history("w-0002", &adan_portillo(), at(2))
            .unwrap();
        let wal = with_suffix(&cache_path(dir.path(), DOCTOR), "-wal");
        assert!(
            std::fs::metadata(&wal).unwrap().len() > 0,
            "the history sits in the WAL while the cache is open"
        );
        assert_no_plaintext(dir.path());
        drop(cache);
        assert_no_plaintext(dir.path());
    }

    #[test]
    fn search_finds_cached_patients_by_name_or_exact_identifier() {
        let dir = TempDir::new().unwrap();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key()).unwrap();
        cache.store_history("cn-0001", &zhang_wei(), at(1)).unwrap();
        cache
            .store_history("w-0002", &adan_portillo(), at(2))
            .unwrap();
        let cases: &[(&str, &[&str])] = &[
            ("张伟", &["cn-0001"]),
            ("伟", &["cn-0001"]),
            (" 张 ", &["cn-0001"]),
            ("adán", &["w-0002"]),
            ("PORTILLO", &["w-0002"]),
            ("Adán José Portillo", &["w-0002"]),
            ("portillo adán", &["w-0002"]),
            (RESIDENT_ID, &["cn-0001"]),
            ("MRN-778812", &["w-0002"]),
            ("MRN-7788", &[]),
            ("19491231", &[]),
            ("o", &["w-0002"]),
            ("zhangwei", &["cn-0001"]),
            ("Zhang Wei", &["cn-0001"]),
            ("zw", &["cn-0001"]),
            ("wei", &["cn-0001"]),
            ("王", &[]),
            ("", &[]),
        ];
        for (query, expected) in cases {
            let found: Vec<String> = cache
                .search_patients(query)
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(found, *expected, "query {query:?}");
        }
    }

    #[test]
    fn purge_all_leaves_nothing_readable_even_with_the_right_key() {
        let dir = TempDir::new().unwrap();
        let key = key();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key).unwrap();
        cache.store_history("cn-0001", &zhang_wei(), at(1)).unwrap();
        cache
            .store_history("w-0002", &adan_portillo(), at(2))
            .unwrap();
        cache.set_pinned("cn-0001", true).unwrap();

        assert_eq!(cache.purge_all().unwrap(), 2);
        assert_eq!(cache.load_history("cn-0001").unwrap(), None);
        assert!(cache.search_patients(NAME).unwrap().is_empty());
        let wal = with_suffix(&cache_path(dir.path(), DOCTOR), "-wal");
        assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0, "WAL truncated");
        drop(cache);

        let cache = Cache::open(dir.path(), DOCTOR, &key).unwrap();
        assert_eq!(cache.load_history("cn-0001").unwrap(), None);
        assert!(cache.search_patients(NAME).unwrap().is_empty());
        let leftovers: (i64, i64, i64, i64) = cache
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM patient), (SELECT count(*) FROM resource),
                        (SELECT count(*) FROM patient_identifier),
                        (SELECT freelist_count FROM pragma_freelist_count)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            leftovers,
            (0, 0, 0, 0),
            "rows, or free pages that held them"
        );
        assert_no_plaintext(dir.path());
    }

    #[test]
    fn purge_older_than_removes_stale_unpinned_patients_only() {
        // (patient, synced at, pinned, kept by a cutoff at 1000)
        let cases = [
            ("aged", 999, false, false),
            ("pinned", 10, true, true),
            ("edge", 1_000, false, true),
            ("recent", 5_000, false, true),
        ];
        let dir = TempDir::new().unwrap();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key()).unwrap();
        for (id, synced, pinned, _) in cases {
            let patient = json!({"resourceType": "Patient", "id": id, "name": [{"text": id}]});
            cache.store_history(id, &[patient], at(synced)).unwrap();
            cache.set_pinned(id, pinned).unwrap();
        }

        assert_eq!(cache.purge_older_than(at(1_000)).unwrap(), 1);
        for (id, _, _, kept) in cases {
            assert_eq!(cache.load_history(id).unwrap().is_some(), kept, "{id}");
            assert_eq!(
                cache.search_patients(id).unwrap().len(),
                usize::from(kept),
                "{id}"
            );
        }
        let wal = with_suffix(&cache_path(dir.path(), DOCTOR), "-wal");
        assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0, "WAL truncated");
        cache.set_pinned("pinned", false).unwrap();
        assert_eq!(cache.purge_older_than(at(1_000)).unwrap(), 1);
        assert_eq!(cache.load_history("pinned").unwrap(), None);
    }

    #[test]
    fn a_wrong_key_is_unreadable() {
        let dir = TempDir::new().unwrap();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key()).unwrap();
        cache.store_history("cn-0001", &zhang_wei(), at(1)).unwrap();
        drop(cache);
        assert_eq!(
            code(Cache::open(dir.path(), DOCTOR, &key())),
            ErrorCode::CacheUnreadable
        );
    }

    /// Opens and reads everything; the first error, if any.
    fn open_and_read(dir: &Path, key: &CacheKey) -> Result<()> {
        let cache = Cache::open(dir, DOCTOR, key)?;
        for i in 0..50 {
            cache.load_history(&format!("p-{i}"))?;
        }
        cache.search_patients("patient")?;
        Ok(())
    }

    type Damage = fn(&Path);

    #[test]
    fn a_damaged_file_is_unreadable_not_a_panic() {
        let damages: &[(&str, Damage)] = &[
            ("truncated to half its size", |db| {
                let len = std::fs::metadata(db).unwrap().len();
                File::options()
                    .write(true)
                    .open(db)
                    .unwrap()
                    .set_len(len / 2)
                    .unwrap();
            }),
            ("random bytes", |db| {
                let mut bytes = vec![0u8; 64 * 1024];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
                std::fs::write(db, bytes).unwrap();
            }),
            ("a plaintext SQLite header", |db| {
                let mut bytes = b"SQLite format 3\0".to_vec();
                bytes.resize(8192, 0);
                std::fs::write(db, bytes).unwrap();
            }),
        ];
        for (damage, apply) in damages {
            let dir = TempDir::new().unwrap();
            let key = key();
            let mut cache = Cache::open(dir.path(), DOCTOR, &key).unwrap();
            for i in 0..50 {
                let history: Vec<Value> = (0..20)
                    .map(|j| {
                        json!({"resourceType": "Observation", "id": format!("o{j}"),
                                    "note": [{"text": "x".repeat(400)}]})
                    })
                    .chain([json!({"resourceType": "Patient", "id": format!("p-{i}"),
                                   "name": [{"text": format!("patient {i}")}]})])
                    .collect();
                cache
                    .store_history(&format!("p-{i}"), &history, at(1))
                    .unwrap();
            }
            drop(cache); // checkpoints the WAL into the file
            let db = cache_path(dir.path(), DOCTOR);
            assert!(std::fs::metadata(&db).unwrap().len() > 100_000);
            apply(&db);
            assert_eq!(
                open_and_read(dir.path(), &key).map_err(|e| e.code()),
                Err(ErrorCode::CacheUnreadable),
                "{damage}"
            );
        }
    }

    #[test]
    fn move_aside_keeps_the_old_file_and_open_builds_a_fresh_cache() {
        let dir = TempDir::new().unwrap();
        let mut cache = Cache::open(dir.path(), DOCTOR, &key()).unwrap();
        cache.store_history("cn-0001", &zhang_wei(), at(1)).unwrap();
        drop(cache);
        let db = cache_path(dir.path(), DOCTOR);
        let old_bytes = std::fs::read(&db).unwrap();
        let new_key = key();
        assert_eq!(
            code(Cache::open(dir.path(), DOCTOR, &new_key)),
            ErrorCode::CacheUnreadable
        );

        let aside = move_aside(&db).unwrap();
        let name = aside.file_name().unwrap().to_str().unwrap();
        let db_name = db.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with(&format!("{db_name}.unreadable-")),
            "{name}"
        );
        assert_eq!(std::fs::read(&aside).unwrap(), old_bytes);

        let cache = Cache::open(dir.path(), DOCTOR, &new_key).unwrap();
        assert_eq!(cache.load_history("cn-0001").unwrap(), None);
        assert!(aside.exists());
        drop(cache);
        // A second move in the same second does not overwrite the first.
        let again = move_aside(&db).unwrap();
        assert_ne!(again, aside);
        assert!(aside.exists() && again.exists());
    }

    #[test]
    fn move_aside_is_refused_while_the_cache_is_open() {
        let dir = TempDir::new().unwrap();
        let cache = Cache::open(dir.path(), DOCTOR, &key()).unwrap();
        let db = cache_path(dir.path(), DOCTOR);
        assert_eq!(code(move_aside(&db)), ErrorCode::CacheBusy);
        drop(cache);
        move_aside(&db).unwrap();
    }

    #[test]
    fn move_aside_takes_the_wal_along() {
        let dir = TempDir::new().unwrap();
        let key = key();
        create_private_dir(dir.path()).unwrap();
        let db = cache_path(dir.path(), DOCTOR);
        // A WAL that was never checkpointed, as a crashed instance leaves it.
        let conn = open_keyed(&db, &key).unwrap();
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        let wal = with_suffix(&db, "-wal");
        assert!(std::fs::metadata(&wal).unwrap().len() > 0);

        let aside = move_aside(&db).unwrap();
        assert!(!wal.exists() && !db.exists());
        assert!(with_suffix(&aside, "-wal").exists());
        drop(conn);
    }

    #[test]
    fn a_second_open_of_the_same_cache_is_busy() {
        let dir = TempDir::new().unwrap();
        let key = key();
        let first = Cache::open(dir.path(), DOCTOR, &key).unwrap();
        assert_eq!(
            code(Cache::open(dir.path(), DOCTOR, &key)),
            ErrorCode::CacheBusy
        );
        drop(first);
        Cache::open(dir.path(), DOCTOR, &key).unwrap();
    }

    #[test]
    fn two_doctors_get_separate_files_that_their_keys_alone_open() {
        let dir = TempDir::new().unwrap();
        let (key_a, key_b) = (key(), key());
        let mut a = Cache::open(dir.path(), "doctor-a", &key_a).unwrap();
        let b = Cache::open(dir.path(), "doctor-b", &key_b).unwrap();
        assert_ne!(
            cache_path(dir.path(), "doctor-a"),
            cache_path(dir.path(), "doctor-b")
        );
        a.store_history("cn-0001", &zhang_wei(), at(1)).unwrap();
        assert_eq!(b.load_history("cn-0001").unwrap(), None);
        drop((a, b));

        // Doctor B's key on doctor A's file: copy A's file under B's name.
        std::fs::copy(
            cache_path(dir.path(), "doctor-a"),
            cache_path(dir.path(), "doctor-b"),
        )
        .unwrap();
        std::fs::remove_file(with_suffix(&cache_path(dir.path(), "doctor-b"), "-wal")).ok();
        assert_eq!(
            code(Cache::open(dir.path(), "doctor-b", &key_b)),
            ErrorCode::CacheUnreadable
        );
    }

    /// A database at schema `version`, made the way that version made it.
    fn database_at_version(dir: &Path, key: &CacheKey, version: usize) {
        create_private_dir(dir).unwrap();
        let db = cache_path(dir, DOCTOR);
        if version == 0 {
            // What a crash between creating the file and keying it leaves.
            std::fs::write(&db, b"").unwrap();
            return;
        }
        let conn = open_keyed(&db, key).unwrap();
        for step in &MIGRATIONS[..version] {
            conn.execute_batch(step).unwrap();
        }
        set_user_version(&conn, version).unwrap();
    }

    #[test]
    fn every_earlier_schema_migrates_to_the_current_one() {
        for version in 0..MIGRATIONS.len() {
            let dir = TempDir::new().unwrap();
            let key = key();
            database_at_version(dir.path(), &key, version);
            let mut cache = Cache::open(dir.path(), DOCTOR, &key).unwrap();
            let now = user_version(&cache.conn).unwrap();
            assert_eq!(now, MIGRATIONS.len(), "from version {version}");
            cache.store_history("cn-0001", &zhang_wei(), at(1)).unwrap();
            assert_eq!(cache.search_patients(NAME).unwrap().len(), 1);
            assert_eq!(
                cache.load_history("cn-0001").unwrap().unwrap().resources,
                zhang_wei()
            );
        }
    }

    #[test]
    fn a_cache_from_before_pinyin_finds_its_patients_by_pinyin_after_the_migration() {
        let dir = TempDir::new().unwrap();
        let key = key();
        database_at_version(dir.path(), &key, REINDEXED_AT - 1);
        {
            let conn = open_keyed(&cache_path(dir.path(), DOCTOR), &key).unwrap();
            let patient = serde_json::to_vec(&zhang_wei()[0]).unwrap();
            conn.execute_batch(
                "INSERT INTO patient (id, synced_at, search_text) VALUES ('cn-0001', 1, '张伟'), ('broken', 1, 'li na');",
            )
            .unwrap();
            conn.execute(
                "INSERT INTO resource (patient_id, type, id, json) VALUES ('cn-0001', 'Patient', 'cn-0001', ?1), ('broken', 'Patient', 'broken', X'7B7B')",
                params![patient],
            )
            .unwrap();
        }
        let cache = Cache::open(dir.path(), DOCTOR, &key).unwrap();
        let found: Vec<String> = cache
            .search_patients("zhangwei")
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(found, ["cn-0001"]);
        assert!(
            cache.search_patients("li na").unwrap().is_empty(),
            "an unreadable record is not found, and fails nothing"
        );
    }

    #[test]
    fn a_newer_schema_is_unreadable_and_left_as_it_is() {
        let dir = TempDir::new().unwrap();
        let key = key();
        let newer = MIGRATIONS.len() + 1;
        database_at_version(dir.path(), &key, MIGRATIONS.len());
        let conn = open_keyed(&cache_path(dir.path(), DOCTOR), &key).unwrap();
        set_user_version(&conn, newer).unwrap();
        drop(conn);

        assert_eq!(
            code(Cache::open(dir.path(), DOCTOR, &key)),
            ErrorCode::CacheUnreadable
        );
        let conn = open_keyed(&cache_path(dir.path(), DOCTOR), &key).unwrap();
        let version = user_version(&conn).unwrap();
        assert_eq!(version, newer);
    }

    #[test]
    fn cache_path_does_not_reveal_the_subject() {
        let base = Path::new("/var/cache/chartguard");
        let subjects = [
            "doctor-a",
            "doctor-b",
            "王毅",
            "7f3c2a9e-4b1d-4c5e-9f00-1234567890ab",
        ];
        let mut names = Vec::new();
        for subject in subjects {
            let path = cache_path(base, subject);
            assert_eq!(path.parent(), Some(base));
            assert_eq!(path, cache_path(base, subject), "stable");
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let stem = name.strip_suffix(".db").unwrap();
            assert_eq!(stem.len(), 32, "{name}");
            assert!(stem.chars().all(|c| c.is_ascii_hexdigit()), "{name}");
            assert!(!path.to_string_lossy().contains(subject), "{name}");
            names.push(name);
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), subjects.len());
    }

    #[cfg(unix)]
    #[test]
    fn the_folder_and_files_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let parent = TempDir::new().unwrap();
        let base = parent.path().join("cache");
        let mut cache = Cache::open(&base, DOCTOR, &key()).unwrap();
        cache.store_history("cn-0001", &zhang_wei(), at(1)).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&base), 0o700);
        let db = cache_path(&base, DOCTOR);
        for file in [
            db.clone(),
            with_suffix(&db, "-wal"),
            with_suffix(&db, "-shm"),
            lock_path(&db),
        ] {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }

    #[test]
    fn sqlite_failures_map_to_codes_the_ui_can_act_on() {
        use rusqlite::ffi;
        let failure = |code: std::ffi::c_int| {
            rusqlite::Error::SqliteFailure(ffi::Error::new(code), Some("SELECT 张伟".into()))
        };
        let cases = [
            (failure(ffi::SQLITE_NOTADB), ErrorCode::CacheUnreadable),
            (failure(ffi::SQLITE_CORRUPT), ErrorCode::CacheUnreadable),
            (failure(ffi::SQLITE_FULL), ErrorCode::DiskFull),
            (failure(ffi::SQLITE_BUSY), ErrorCode::CacheBusy),
            (failure(ffi::SQLITE_IOERR), ErrorCode::Internal),
            (failure(ffi::SQLITE_CONSTRAINT), ErrorCode::Internal),
            (rusqlite::Error::QueryReturnedNoRows, ErrorCode::Internal),
        ];
        for (error, expected) in cases {
            let mapped = sql_error(&error);
            assert_eq!(mapped.code(), expected, "{error:?}");
            assert!(!mapped.to_string().contains("张伟"), "{mapped}");
        }
        let full = io::Error::from(io::ErrorKind::StorageFull);
        assert_eq!(io_error(&full, "x").code(), ErrorCode::DiskFull);
    }

    #[test]
    fn search_text_holds_every_form_of_each_name() {
        let cases = [
            (
                json!({"name": [{"family": "张", "given": ["伟"]}]}),
                "伟\n张\n张 伟\n张伟\n伟 张\nwei\nw\nzhang\nz\nzhangwei\nzw",
            ),
            (
                json!({"name": [{"family": "欧阳", "given": ["娜娜"], "text": "欧阳娜娜"}]}),
                // 娜 is read na, and nuo (婀娜): every reading is a form.
                "娜娜\n娜娜 欧阳\n欧阳\n欧阳 娜娜\n欧阳娜娜\nnana\nnanuo\nnuona\nnuonuo\nnn\nouyang\noy\nouyangnana\nouyangnanuo\nouyangnuona\nouyangnuonuo\noynn",
            ),
            (
                json!({"name": [{"family": "Portillo", "given": ["Adán"]}]}),
                "adán\nadán portillo\nportillo\nportillo adán",
            ),
            (json!({"name": [{"text": "  "}]}), ""),
            (json!({"name": "not a list"}), ""),
        ];
        for (patient, expected) in cases {
            let mut expected: Vec<&str> = expected.split('\n').filter(|l| !l.is_empty()).collect();
            expected.sort_unstable();
            assert_eq!(search_text(&patient), expected.join("\n"), "{patient}");
        }
    }

    #[test]
    fn a_cache_key_shows_nothing_and_round_trips_as_hex() {
        let key = key();
        assert_eq!(format!("{key:?}"), "CacheKey(..)");
        let hex = key.to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(CacheKey::from_hex(&hex), Some(key));
        assert_eq!(
            CacheKey::from_hex(&hex.to_uppercase()).map(|k| k.to_hex()),
            Some(hex)
        );
        for bad in ["", "00", &"g".repeat(64), &"0".repeat(63), &"0".repeat(65)] {
            assert!(CacheKey::from_hex(bad).is_none(), "{bad}");
        }
        assert_ne!(CacheKey::random(), CacheKey::random());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_cache_key_round_trips_through_the_os_keyring() {
        use crate::secrets::{cache_key, create_cache_key, delete_cache_key};
        // A subject of its own: other tests use the keyring in parallel.
        let subject = format!("cache-key-test-{}", std::process::id());
        assert_eq!(cache_key(&subject).await.unwrap(), None);
        let created = create_cache_key(&subject).await.unwrap();
        assert_eq!(cache_key(&subject).await.unwrap(), Some(created));
        let entry = keyring::Entry::new("chartguard", &format!("cache-key:{subject}")).unwrap();
        assert_eq!(entry.get_password().unwrap().len(), 64, "stored as hex");
        delete_cache_key(&subject).await.unwrap();
        assert_eq!(cache_key(&subject).await.unwrap(), None);
        delete_cache_key(&subject).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_cache_whose_key_is_gone_is_moved_aside_and_rebuilt() {
        use crate::secrets::delete_cache_key;
        let dir = TempDir::new().unwrap();
        let subject = format!("cache-open-test-{}", std::process::id());
        let base = dir.path();

        let mut cache = open_with_keyring(base, &subject).await.unwrap();
        cache.store_history("cn-0001", &zhang_wei(), at(1)).unwrap();
        drop(cache);
        let cache = open_with_keyring(base, &subject).await.unwrap();
        assert!(cache.load_history("cn-0001").unwrap().is_some(), "same key");
        drop(cache);

        let key_id = key_id(&cache_path(base, &subject));
        delete_cache_key(&key_id).await.unwrap(); // the keyring was reset
        let missing = open_with_keyring(base, &subject).await;
        assert_eq!(code(missing), ErrorCode::CacheKeyMissing);
        let aside = move_aside(&cache_path(base, &subject)).unwrap();
        let cache = open_with_keyring(base, &subject).await.unwrap();
        assert_eq!(cache.load_history("cn-0001").unwrap(), None);
        assert!(aside.exists());
        drop(cache);
        delete_cache_key(&key_id).await.unwrap();
    }
}
