//! The audit trail on disk: one SQLCipher file per workstation account
//! (beside the doctors' caches, never inside one, so no purge, reset or
//! logout touches it), append-only and sealed.
//!
//! Each record carries the SHA-256 of the record before it and a keyed MAC
//! of its own hash (the MAC key lives in the OS keyring, apart from the
//! file's key). An anchor row, sealed the same way, names the first and the
//! last record: deleting, editing or reordering any record, or cutting the
//! trail's end, is found by [`Store::verify`]. The outbox (what the
//! platform has not acknowledged yet) is written in the same transaction
//! as the record it forwards, so a crash loses neither.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};

use super::Entry;
use crate::error::{Error, Result};
use crate::secrets::CacheKey;
use crate::view::{AuditAction, VerifyReport};

type HmacSha256 = Hmac<Sha256>;

/// The trail's tables; a later version only ever adds to them.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS event (
    seq      INTEGER PRIMARY KEY,
    id       TEXT NOT NULL UNIQUE,
    recorded INTEGER NOT NULL,
    action   TEXT NOT NULL,
    patient  TEXT,
    body     TEXT NOT NULL,
    prev     BLOB NOT NULL,
    hash     BLOB NOT NULL,
    mac      BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS event_patient ON event (patient) WHERE patient IS NOT NULL;
CREATE TABLE IF NOT EXISTS outbox (
    seq      INTEGER PRIMARY KEY REFERENCES event (seq),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at  INTEGER NOT NULL DEFAULT 0,
    error    TEXT
);
CREATE TABLE IF NOT EXISTS anchor (
    one       INTEGER PRIMARY KEY CHECK (one = 1),
    first_seq INTEGER NOT NULL,
    first_prev BLOB NOT NULL,
    last_seq  INTEGER NOT NULL,
    last_hash BLOB NOT NULL,
    mac       BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

/// The hash "before" the first record of a new trail.
const GENESIS: [u8; 32] = [0; 32];

/// A record as stored: its place in the chain, its id (the `AuditEvent`'s
/// id on the platform) and what happened.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub(crate) seq: u64,
    pub(crate) id: String,
    pub(crate) entry: Entry,
}

/// Counts for IT: no patient and no person.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counts {
    pub(crate) events: u64,
    pub(crate) oldest_ms: Option<i64>,
    pub(crate) newest_ms: Option<i64>,
    pub(crate) by_action: Vec<(AuditAction, u64)>,
    pub(crate) pending: u64,
    pub(crate) failing: u64,
    pub(crate) oldest_pending_ms: Option<i64>,
    pub(crate) last_error: Option<String>,
    pub(crate) last_sent_ms: Option<i64>,
}

struct Anchor {
    first_seq: u64,
    first_prev: Vec<u8>,
    last_seq: u64,
    last_hash: Vec<u8>,
    mac: Vec<u8>,
}

pub(crate) struct Store {
    conn: Connection,
    mac_key: CacheKey,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the trail at `path` with the file's key; `mac_key` seals its
    /// records. With `create`, a missing file or schema is made, and an
    /// empty trail without an anchor gets a new one: the returned flag says
    /// so (the caller records, unless the keys are new too, that the trail
    /// was started afresh). Without `create` (`verify`) nothing is written.
    pub(crate) fn open(
        path: &Path,
        db_key: &CacheKey,
        mac_key: CacheKey,
        create: bool,
    ) -> Result<(Store, bool)> {
        if create {
            if let Some(dir) = path.parent() {
                crate::cache::create_private_dir(dir).map_err(|_| unwritable())?;
            }
            crate::cache::create_private_file(path).map_err(|_| unwritable())?;
        }
        let conn = crate::cache::open_keyed(path, db_key).map_err(|e| match e {
            Error::CacheUnreadable => {
                Error::Audit("its file cannot be read (wrong key or damaged)")
            }
            Error::DiskFull => Error::Audit("the disk is full"),
            _ => Error::Audit("its file cannot be opened"),
        })?;
        // Every record reaches the disk before the action it records goes on
        // (FULL: durable across a power cut, not only a crash). Another
        // window of the same account may write at the same moment.
        conn.execute_batch("PRAGMA synchronous = FULL;")
            .map_err(|e| sql(&e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| sql(&e))?;
        let store = Store { conn, mac_key };
        if !create {
            return Ok((store, false));
        }
        store.conn.execute_batch(SCHEMA).map_err(|e| sql(&e))?;
        let anchored = store.ensure_anchor()?;
        Ok((store, anchored))
    }

    /// Anchors an empty trail; whether it did.
    fn ensure_anchor(&self) -> Result<bool> {
        let (anchors, events): (i64, i64) = self
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM anchor), (SELECT count(*) FROM event)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| sql(&e))?;
        // Records without their anchor: `verify` says so; never re-anchor
        // over them, that would bless whatever was done to them.
        if anchors > 0 || events > 0 {
            return Ok(false);
        }
        let anchor = self.sealed_anchor(1, GENESIS.to_vec(), 0, GENESIS.to_vec());
        write_anchor(&self.conn, &anchor)?;
        Ok(true)
    }

    fn sealed_anchor(
        &self,
        first_seq: u64,
        first_prev: Vec<u8>,
        last_seq: u64,
        last_hash: Vec<u8>,
    ) -> Anchor {
        sealed_anchor(&self.mac_key, first_seq, first_prev, last_seq, last_hash)
    }

    /// Appends `entry` to the chain (and, when `forward`, to the outbox) in
    /// one transaction, and returns it as stored. Fails rather than write
    /// after a chain it cannot read.
    pub(crate) fn append(&mut self, entry: &Entry, forward: bool) -> Result<Stored> {
        let body = serde_json::to_string(entry)
            .map_err(|_| Error::Audit("an event could not be serialised"))?;
        let recorded = entry.recorded_ms();
        let id = new_event_id();
        let Store { conn, mac_key } = self;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql(&e))?;
        let anchor = read_anchor(&tx)?.ok_or(Error::Audit("its anchor is missing"))?;
        let seq = anchor.last_seq + 1;
        let prev = anchor.last_hash.clone();
        let fields = Fields {
            seq,
            id: &id,
            recorded,
            action: entry.action,
            patient: entry.patient_id(),
            body: &body,
        };
        let hash = fields.hash(&prev);
        let seal = seal(mac_key, &hash);
        tx.execute(
            "INSERT INTO event (seq, id, recorded, action, patient, body, prev, hash, mac)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                seq as i64,
                id,
                recorded,
                action_name(entry.action),
                fields.patient,
                body,
                prev,
                hash.to_vec(),
                seal
            ],
        )
        .map_err(|e| sql(&e))?;
        if forward {
            tx.execute("INSERT INTO outbox (seq) VALUES (?1)", [seq as i64])
                .map_err(|e| sql(&e))?;
        }
        write_anchor(
            &tx,
            &sealed_anchor(
                mac_key,
                anchor.first_seq,
                anchor.first_prev,
                seq,
                hash.to_vec(),
            ),
        )?;
        tx.commit().map_err(|e| sql(&e))?;
        Ok(Stored {
            seq,
            id,
            entry: entry.clone(),
        })
    }

    /// Checks the whole chain from the anchor's first record to its last:
    /// the first record that does not hold, and why.
    pub(crate) fn verify(&self) -> Result<VerifyReport> {
        let broken = |checked: u64, seq: u64, problem: &str| VerifyReport {
            ok: false,
            checked,
            first_broken: Some(seq),
            problem: Some(problem.to_owned()),
        };
        let Some(anchor) = read_anchor(&self.conn)? else {
            return Ok(broken(0, 1, "the trail's anchor is missing"));
        };
        let digest = anchor_digest(
            anchor.first_seq,
            &anchor.first_prev,
            anchor.last_seq,
            &anchor.last_hash,
        );
        if !seal_holds(&self.mac_key, &digest, &anchor.mac) {
            return Ok(broken(
                0,
                anchor.first_seq,
                "the trail's anchor was altered",
            ));
        }
        let mut statement = self
            .conn
            .prepare("SELECT seq, id, recorded, action, patient, body, prev, hash, mac FROM event ORDER BY seq")
            .map_err(|e| sql(&e))?;
        let mut rows = statement.query([]).map_err(|e| sql(&e))?;
        let mut expected_seq = anchor.first_seq;
        let mut expected_prev = anchor.first_prev.clone();
        let mut checked = 0;
        while let Some(row) = rows.next().map_err(|e| sql(&e))? {
            let row = RawRow::read(row).map_err(|e| sql(&e))?;
            if row.seq < expected_seq {
                return Ok(broken(
                    checked,
                    row.seq,
                    "a record before the trail's start was put back or added",
                ));
            }
            if row.seq > expected_seq {
                return Ok(broken(
                    checked,
                    expected_seq,
                    "this record is missing (deleted)",
                ));
            }
            let fields = Fields {
                seq: row.seq,
                id: &row.id,
                recorded: row.recorded,
                action: match parse_action(&row.action) {
                    Some(action) => action,
                    None => return Ok(broken(checked, row.seq, "this record was edited or moved")),
                },
                patient: row.patient.as_deref(),
                body: &row.body,
            };
            let hash = fields.hash(&row.prev);
            if hash.as_slice() != row.hash.as_slice() {
                return Ok(broken(checked, row.seq, "this record was edited or moved"));
            }
            if row.prev != expected_prev {
                return Ok(broken(
                    checked,
                    row.seq,
                    "this record does not follow the one before it (records deleted, replaced or reordered)",
                ));
            }
            if !seal_holds(&self.mac_key, &row.hash, &row.mac) {
                return Ok(broken(
                    checked,
                    row.seq,
                    "this record's seal does not hold (forged)",
                ));
            }
            if serde_json::from_str::<Entry>(&row.body).is_err() {
                return Ok(broken(checked, row.seq, "this record cannot be read"));
            }
            checked += 1;
            expected_prev = row.hash;
            expected_seq += 1;
        }
        if expected_seq != anchor.last_seq + 1 || expected_prev != anchor.last_hash {
            return Ok(broken(
                checked,
                expected_seq.min(anchor.last_seq),
                "the trail ends early: its last records were deleted",
            ));
        }
        Ok(VerifyReport {
            ok: true,
            checked,
            first_broken: None,
            problem: None,
        })
    }

    /// The records about one patient (by platform id), oldest first.
    pub(crate) fn for_patient(&self, patient_id: &str) -> Result<Vec<Stored>> {
        self.select("WHERE patient = ?1 ORDER BY seq", [patient_id])
    }

    /// The records waiting for the platform whose next try is due at
    /// `now_ms`, oldest first, at most `limit`.
    /// A record that cannot be read (written by a newer version) is set
    /// aside for a day with an error IT sees, so it never blocks the rest.
    pub(crate) fn due(&mut self, now_ms: i64, limit: u32) -> Result<Vec<Stored>> {
        let rows: Vec<(i64, String, String)> = {
            let mut statement = self
                .conn
                .prepare(
                    "SELECT seq, id, body FROM event
                     WHERE seq IN (SELECT seq FROM outbox WHERE next_at <= ?1)
                     ORDER BY seq LIMIT ?2",
                )
                .map_err(|e| sql(&e))?;
            let rows = statement
                .query_map(params![now_ms, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .map_err(|e| sql(&e))?;
            rows.collect::<rusqlite::Result<_>>().map_err(|e| sql(&e))?
        };
        let mut due = Vec::with_capacity(rows.len());
        for (seq, id, body) in rows {
            let seq = u64::try_from(seq).unwrap_or_default();
            match serde_json::from_str(&body) {
                Ok(entry) => due.push(Stored { seq, id, entry }),
                Err(_) => {
                    self.conn
                        .execute(
                            "UPDATE outbox SET attempts = attempts + 1, next_at = ?2,
                                 error = 'a record this version cannot read'
                             WHERE seq = ?1",
                            params![seq as i64, now_ms.saturating_add(86_400_000)],
                        )
                        .map_err(|e| sql(&e))?;
                }
            }
        }
        Ok(due)
    }

    fn select(&self, tail: &str, params: impl rusqlite::Params) -> Result<Vec<Stored>> {
        let mut statement = self
            .conn
            .prepare(&format!("SELECT seq, id, body FROM event {tail}"))
            .map_err(|e| sql(&e))?;
        let rows = statement
            .query_map(params, |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| sql(&e))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, id, body) = row.map_err(|e| sql(&e))?;
            // An unreadable record is for `verify` to report; it is skipped here.
            if let Ok(entry) = serde_json::from_str(&body) {
                out.push(Stored {
                    seq: u64::try_from(seq).unwrap_or_default(),
                    id,
                    entry,
                });
            }
        }
        Ok(out)
    }

    /// The platform has the record `seq`.
    pub(crate) fn delivered(&mut self, seq: u64, now_ms: i64) -> Result<()> {
        let tx = self.conn.transaction().map_err(|e| sql(&e))?;
        tx.execute("DELETE FROM outbox WHERE seq = ?1", [seq as i64])
            .map_err(|e| sql(&e))?;
        set_meta(&tx, "last_sent_ms", &now_ms.to_string())?;
        tx.commit().map_err(|e| sql(&e))
    }

    /// The record `seq` did not reach the platform (`error`, PHI-free):
    /// it is tried again after a wait that grows with each failure.
    /// Returns how often it has failed now.
    pub(crate) fn failed(&mut self, seq: u64, now_ms: i64, error: &str) -> Result<u32> {
        let attempts: Option<u32> = self
            .conn
            .query_row(
                "UPDATE outbox SET attempts = attempts + 1, error = ?2
                 WHERE seq = ?1 RETURNING attempts",
                params![seq as i64, error],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql(&e))?;
        let Some(attempts) = attempts else {
            return Ok(0);
        };
        let wait = i64::try_from(backoff(attempts).as_millis()).unwrap_or(i64::MAX);
        self.conn
            .execute(
                "UPDATE outbox SET next_at = ?2 WHERE seq = ?1",
                params![seq as i64, now_ms.saturating_add(wait)],
            )
            .map_err(|e| sql(&e))?;
        Ok(attempts)
    }

    pub(crate) fn counts(&self) -> Result<Counts> {
        let c = &self.conn;
        let q = |e: rusqlite::Error| sql(&e);
        let (events, oldest_ms, newest_ms): (i64, Option<i64>, Option<i64>) = c
            .query_row(
                "SELECT count(*), min(recorded), max(recorded) FROM event",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(q)?;
        let mut by_action = Vec::new();
        let mut statement = c
            .prepare("SELECT action, count(*) FROM event GROUP BY action ORDER BY action")
            .map_err(q)?;
        let rows = statement
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(q)?;
        for row in rows {
            let (action, n) = row.map_err(q)?;
            if let Some(action) = parse_action(&action) {
                by_action.push((action, u64::try_from(n).unwrap_or_default()));
            }
        }
        let (pending, failing, oldest_pending_ms): (i64, i64, Option<i64>) = c
            .query_row(
                "SELECT count(*), count(*) FILTER (WHERE attempts > 0),
                        (SELECT min(e.recorded) FROM event e JOIN outbox o USING (seq))
                 FROM outbox",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(q)?;
        let last_error = c
            .query_row(
                "SELECT error FROM outbox WHERE error IS NOT NULL ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(q)?;
        let last_sent_ms = self.meta("last_sent_ms")?.and_then(|v| v.parse().ok());
        Ok(Counts {
            events: u64::try_from(events).unwrap_or_default(),
            oldest_ms,
            newest_ms,
            by_action,
            pending: u64::try_from(pending).unwrap_or_default(),
            failing: u64::try_from(failing).unwrap_or_default(),
            oldest_pending_ms,
            last_error,
            last_sent_ms,
        })
    }

    /// Drops the records older than `cutoff` from the trail's start, as far
    /// as they are contiguous and the platform has them (a record still in
    /// the outbox stays, and so does everything after it). The anchor moves
    /// to the new first record, so the rest still verifies.
    pub(crate) fn prune(&mut self, cutoff: SystemTime) -> Result<u64> {
        let cutoff_ms = unix_ms(cutoff);
        let Store { conn, mac_key } = self;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql(&e))?;
        let Some(anchor) = read_anchor(&tx)? else {
            return Ok(0);
        };
        // The first record that must stay: young, or not yet forwarded.
        let keep_from: Option<i64> = tx
            .query_row(
                "SELECT min(seq) FROM event
                 WHERE recorded >= ?1 OR seq IN (SELECT seq FROM outbox)",
                [cutoff_ms],
                |r| r.get(0),
            )
            .map_err(|e| sql(&e))?;
        let keep_from = match keep_from {
            Some(seq) => u64::try_from(seq).unwrap_or_default(),
            None => anchor.last_seq + 1,
        };
        if keep_from <= anchor.first_seq {
            return Ok(0);
        }
        let last_dropped = keep_from - 1;
        let Some(first_prev) = tx
            .query_row(
                "SELECT hash FROM event WHERE seq = ?1",
                [last_dropped as i64],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()
            .map_err(|e| sql(&e))?
        else {
            // A gap where the chain should be: leave it for `verify`.
            return Ok(0);
        };
        let dropped = tx
            .execute("DELETE FROM event WHERE seq <= ?1", [last_dropped as i64])
            .map_err(|e| sql(&e))?;
        write_anchor(
            &tx,
            &sealed_anchor(
                mac_key,
                keep_from,
                first_prev,
                anchor.last_seq,
                anchor.last_hash,
            ),
        )?;
        tx.commit().map_err(|e| sql(&e))?;
        Ok(dropped as u64)
    }

    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| sql(&e))
    }

    pub(crate) fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        set_meta(&self.conn, key, value)
    }
}

/// The fields a record's hash covers, in a fixed, length-prefixed layout.
struct Fields<'a> {
    seq: u64,
    id: &'a str,
    recorded: i64,
    action: AuditAction,
    patient: Option<&'a str>,
    body: &'a str,
}

impl Fields<'_> {
    fn hash(&self, prev: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"chartguard-audit-v1");
        h.update(prev);
        h.update(self.seq.to_be_bytes());
        h.update(self.recorded.to_be_bytes());
        for part in [
            Some(self.id),
            Some(action_name(self.action)),
            self.patient,
            Some(self.body),
        ] {
            match part {
                Some(text) => {
                    h.update([1]);
                    h.update((text.len() as u64).to_be_bytes());
                    h.update(text.as_bytes());
                }
                None => h.update([0]),
            }
        }
        h.finalize().into()
    }
}

struct RawRow {
    seq: u64,
    id: String,
    recorded: i64,
    action: String,
    patient: Option<String>,
    body: String,
    prev: Vec<u8>,
    hash: Vec<u8>,
    mac: Vec<u8>,
}

impl RawRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
        Ok(RawRow {
            seq: u64::try_from(row.get::<_, i64>(0)?).unwrap_or_default(),
            id: row.get(1)?,
            recorded: row.get(2)?,
            action: row.get(3)?,
            patient: row.get(4)?,
            body: row.get(5)?,
            prev: row.get(6)?,
            hash: row.get(7)?,
            mac: row.get(8)?,
        })
    }
}

fn anchor_digest(first_seq: u64, first_prev: &[u8], last_seq: u64, last_hash: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"chartguard-audit-anchor-v1");
    h.update(first_seq.to_be_bytes());
    h.update(first_prev);
    h.update(last_seq.to_be_bytes());
    h.update(last_hash);
    h.finalize().to_vec()
}

fn hmac(key: &CacheKey, digest: &[u8]) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(digest);
    mac
}

/// The seal (HMAC-SHA-256 with the sealing key) of a record's hash or the
/// anchor's digest.
fn seal(key: &CacheKey, digest: &[u8]) -> Vec<u8> {
    hmac(key, digest).finalize().into_bytes().to_vec()
}

/// Compared in constant time.
fn seal_holds(key: &CacheKey, digest: &[u8], seal: &[u8]) -> bool {
    hmac(key, digest).verify_slice(seal).is_ok()
}

fn sealed_anchor(
    key: &CacheKey,
    first_seq: u64,
    first_prev: Vec<u8>,
    last_seq: u64,
    last_hash: Vec<u8>,
) -> Anchor {
    let mac = seal(
        key,
        &anchor_digest(first_seq, &first_prev, last_seq, &last_hash),
    );
    Anchor {
        first_seq,
        first_prev,
        last_seq,
        last_hash,
        mac,
    }
}

fn read_anchor(conn: &Connection) -> Result<Option<Anchor>> {
    conn.query_row(
        "SELECT first_seq, first_prev, last_seq, last_hash, mac FROM anchor WHERE one = 1",
        [],
        |r| {
            Ok(Anchor {
                first_seq: u64::try_from(r.get::<_, i64>(0)?).unwrap_or_default(),
                first_prev: r.get(1)?,
                last_seq: u64::try_from(r.get::<_, i64>(2)?).unwrap_or_default(),
                last_hash: r.get(3)?,
                mac: r.get(4)?,
            })
        },
    )
    .optional()
    .map_err(|e| sql(&e))
}

fn write_anchor(conn: &Connection, anchor: &Anchor) -> Result<()> {
    conn.execute(
        "INSERT INTO anchor (one, first_seq, first_prev, last_seq, last_hash, mac)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (one) DO UPDATE SET first_seq = excluded.first_seq,
             first_prev = excluded.first_prev, last_seq = excluded.last_seq,
             last_hash = excluded.last_hash, mac = excluded.mac",
        params![
            anchor.first_seq as i64,
            anchor.first_prev,
            anchor.last_seq as i64,
            anchor.last_hash,
            anchor.mac
        ],
    )
    .map(drop)
    .map_err(|e| sql(&e))
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
    .map(drop)
    .map_err(|e| sql(&e))
}

/// The action's stable name in the file (serde's, so the body and the
/// column agree).
pub(crate) fn action_name(action: AuditAction) -> &'static str {
    use AuditAction as A;
    match action {
        A::Login => "login",
        A::LoginFailed => "loginFailed",
        A::Logout => "logout",
        A::Lock => "lock",
        A::Unlock => "unlock",
        A::PatientSearch => "patientSearch",
        A::PatientOpen => "patientOpen",
        A::SectionView => "sectionView",
        A::BreakGlassStart => "breakGlassStart",
        A::BreakGlassEnd => "breakGlassEnd",
        A::Export => "export",
        A::Print => "print",
        A::ExportDone => "exportDone",
        A::WatermarkTamper => "watermarkTamper",
        A::CachePurge => "cachePurge",
        A::ConfigChange => "configChange",
        A::AccessDenied => "accessDenied",
        A::ReferralDecision => "referralDecision",
        A::AccessLogView => "accessLogView",
        A::Other => "other",
    }
}

fn parse_action(name: &str) -> Option<AuditAction> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// How long an event waits after its `attempts`-th failed delivery: 5 s,
/// doubling, at most ten minutes.
pub(crate) fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(5)
        .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1).min(16)))
        .min(Duration::from_secs(600))
}

/// 128 random bits as 32 hex digits: the `AuditEvent` id on the platform,
/// so a resent event is recognised as the same one.
fn new_event_id() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn unwritable() -> Error {
    Error::Audit("its folder is not writable")
}

fn sql(e: &rusqlite::Error) -> Error {
    use rusqlite::ffi::ErrorCode as C;
    match e {
        rusqlite::Error::SqliteFailure(failure, _) => match failure.code {
            C::DiskFull => Error::Audit("the disk is full"),
            C::DatabaseBusy | C::DatabaseLocked => Error::Audit("its file is busy"),
            C::NotADatabase | C::DatabaseCorrupt => Error::Audit("its file is damaged"),
            C::ReadOnly | C::CannotOpen | C::PermissionDenied => {
                Error::Audit("its file is not writable")
            }
            code => {
                tracing::warn!(
                    ?code,
                    extended = failure.extended_code,
                    "audit trail failure"
                );
                Error::Audit("its file failed")
            }
        },
        _ => Error::Audit("its file failed"),
    }
}

#[cfg(test)]
mod tests {
    //! Real SQLCipher files; the rows are tampered with through a second
    //! connection, as someone with the file's key could.

    use super::*;
    use crate::view::AuditAction;

    fn entry(action: AuditAction, patient: Option<&str>) -> Entry {
        let mut entry = Entry::new(action, "ws");
        entry.patient = patient.map(|id| crate::audit::PatientRef {
            id: id.into(),
            pseudonym: "P".into(),
        });
        entry
    }

    struct Trail {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
        key: CacheKey,
        mac_hex: String,
        store: Store,
    }

    impl Trail {
        fn new(records: usize) -> Trail {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("trail.db");
            let (key, mac) = (CacheKey::random(), CacheKey::random());
            let mac_hex = mac.to_hex().to_string();
            let (mut store, anchored) = Store::open(&path, &key, mac, true).unwrap();
            assert!(anchored, "a new trail is anchored");
            for i in 0..records {
                store
                    .append(
                        &entry(AuditAction::PatientOpen, Some(&format!("p{i}"))),
                        true,
                    )
                    .unwrap();
            }
            Trail {
                _dir: dir,
                path,
                key,
                mac_hex,
                store,
            }
        }

        /// Another connection to the same file, with its key.
        fn raw(&self) -> Connection {
            crate::cache::open_keyed(&self.path, &self.key).unwrap()
        }
    }

    #[test]
    fn an_untouched_trail_verifies_and_each_record_follows_the_one_before() {
        let trail = Trail::new(5);
        let report = trail.store.verify().unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!(report.checked, 5);
        let prevs: Vec<(Vec<u8>, Vec<u8>)> = trail
            .raw()
            .prepare("SELECT prev, hash FROM event ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(prevs[0].0, GENESIS);
        for pair in prevs.windows(2) {
            assert_eq!(pair[1].0, pair[0].1);
        }
    }

    #[test]
    fn a_record_rewritten_with_a_fresh_hash_but_no_mac_key_is_a_forgery() {
        let trail = Trail::new(4);
        let raw = trail.raw();
        let (prev, id, recorded): (Vec<u8>, String, i64) = raw
            .query_row(
                "SELECT prev, id, recorded FROM event WHERE seq = 4",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        let forged_body =
            serde_json::to_string(&entry(AuditAction::PatientOpen, Some("someone-else"))).unwrap();
        let hash = Fields {
            seq: 4,
            id: &id,
            recorded,
            action: AuditAction::PatientOpen,
            patient: Some("someone-else"),
            body: &forged_body,
        }
        .hash(&prev);
        raw.execute(
            "UPDATE event SET body = ?1, patient = 'someone-else', hash = ?2 WHERE seq = 4",
            params![forged_body, hash.to_vec()],
        )
        .unwrap();
        let report = trail.store.verify().unwrap();
        assert_eq!(report.first_broken, Some(4), "{report:?}");
        assert!(report.problem.unwrap().contains("seal"));
    }

    #[test]
    fn a_wrong_mac_key_breaks_every_seal() {
        let trail = Trail::new(2);
        let Trail {
            path,
            key,
            mac_hex,
            store,
            _dir,
        } = trail;
        drop(store);
        let (other, _) = Store::open(&path, &key, CacheKey::random(), false).unwrap();
        let report = other.verify().unwrap();
        assert!(!report.ok);
        assert!(report.problem.unwrap().contains("anchor"));
        let (right, _) =
            Store::open(&path, &key, CacheKey::from_hex(&mac_hex).unwrap(), false).unwrap();
        assert!(right.verify().unwrap().ok);
    }

    #[test]
    fn pruning_drops_only_old_forwarded_records_and_the_rest_still_verifies() {
        let mut trail = Trail::new(6);
        // Every record is younger than the cutoff below; only those the
        // platform has (1-3) may go.
        for seq in 1..=3 {
            trail.store.delivered(seq, 0).unwrap();
        }
        let future = SystemTime::now() + Duration::from_secs(3600);
        let dropped = trail.store.prune(future).unwrap();
        assert_eq!(dropped, 3, "record 4 still waits for the platform");
        let report = trail.store.verify().unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!(report.checked, 3);
        // Young records are kept whatever the outbox says.
        for seq in 4..=6 {
            trail.store.delivered(seq, 0).unwrap();
        }
        assert_eq!(trail.store.prune(SystemTime::UNIX_EPOCH).unwrap(), 0);
        trail
            .store
            .append(&entry(AuditAction::Logout, None), true)
            .unwrap();
        assert!(trail.store.verify().unwrap().ok);
    }

    #[test]
    fn the_outbox_waits_longer_after_each_failure_and_forgets_delivered_records() {
        let mut trail = Trail::new(2);
        assert_eq!(trail.store.due(0, 10).unwrap().len(), 2);
        trail
            .store
            .failed(1, 1_000, "the regional platform answered 503")
            .unwrap();
        let due: Vec<u64> = trail
            .store
            .due(1_000, 10)
            .unwrap()
            .iter()
            .map(|s| s.seq)
            .collect();
        assert_eq!(due, [2], "record 1 waits 5 s");
        assert_eq!(trail.store.due(6_000, 10).unwrap().len(), 2);
        trail.store.failed(1, 6_000, "again").unwrap();
        assert_eq!(trail.store.due(15_000, 10).unwrap().len(), 1, "then 10 s");
        trail.store.delivered(2, 7_000).unwrap();
        let counts = trail.store.counts().unwrap();
        assert_eq!((counts.pending, counts.failing), (1, 1));
        assert_eq!(counts.last_error.as_deref(), Some("again"));
        assert_eq!(counts.last_sent_ms, Some(7_000));
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(40), Duration::from_secs(600));
    }

    #[test]
    fn an_emptied_trail_is_found_by_verify_and_anchored_afresh_only_when_opened_to_write() {
        let trail = Trail::new(3);
        trail
            .raw()
            .execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM outbox; DELETE FROM event; DELETE FROM anchor;")
            .unwrap();
        let Trail {
            path,
            key,
            mac_hex,
            store,
            _dir,
        } = trail;
        drop(store);
        let mac = || CacheKey::from_hex(&mac_hex).unwrap();
        let (reader, anchored) = Store::open(&path, &key, mac(), false).unwrap();
        assert!(!anchored, "verify writes nothing");
        let report = reader.verify().unwrap();
        assert!(!report.ok && report.problem.unwrap().contains("anchor"));
        drop(reader);
        let (_, anchored) = Store::open(&path, &key, mac(), true).unwrap();
        assert!(anchored, "the caller is told, to record it");
    }

    #[test]
    fn the_action_names_in_the_file_are_serdes() {
        for action in crate::audit::balp::ALL_ACTIONS {
            assert_eq!(parse_action(action_name(action)), Some(action));
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                serde_json::Value::String(action_name(action).into())
            );
        }
    }

    #[test]
    fn records_of_one_patient_are_found_by_platform_id() {
        let trail = Trail::new(3);
        let found = trail.store.for_patient("p1").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].seq, 2);
        assert_eq!(found[0].id.len(), 32);
    }
}
