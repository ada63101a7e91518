//! The OS keyring (Secret Service on Linux, Keychain on macOS, Credential
//! Manager on Windows), for secrets that must outlive the process: the
//! refresh token of an offline session and the key of the encrypted local
//! cache, one entry of each per doctor; and the audit trail's two keys, one
//! pair per workstation account.
//!
//! keyring calls block (D-Bus round trips), so they run on the blocking pool.

use crate::error::{Error, Result};

const SERVICE: &str = "chartguard";

fn refresh_entry(subject: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, &format!("refresh-token:{subject}")).map_err(keyring_error)
}

fn keyring_error(e: keyring::Error) -> Error {
    // keyring's messages name the platform failure, never the secret.
    let reason = match e {
        keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => {
            "the keyring service is not running or is locked"
        }
        _ => "the keyring refused the request",
    };
    Error::Keyring(reason.into())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| Error::Internal("keyring task failed"))?
}

pub(crate) async fn store_refresh_token(subject: &str, token: &str) -> Result<()> {
    let (subject, token) = (subject.to_owned(), token.to_owned());
    blocking(move || {
        refresh_entry(&subject)?
            .set_password(&token)
            .map_err(keyring_error)
    })
    .await
}

pub(crate) async fn load_refresh_token(subject: &str) -> Result<Option<String>> {
    let subject = subject.to_owned();
    blocking(move || match refresh_entry(&subject)?.get_password() {
        Ok(token) => Ok(Some(token)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keyring_error(e)),
    })
    .await
}

pub(crate) async fn delete_refresh_token(subject: &str) -> Result<()> {
    let subject = subject.to_owned();
    blocking(move || match refresh_entry(&subject)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(keyring_error(e)),
    })
    .await
}

/// The raw 256-bit key of a doctor's encrypted cache (SQLCipher). It leaves
/// this process only towards the OS keyring and SQLCipher; its memory is
/// wiped when dropped.
pub(crate) struct CacheKey([u8; 32]);

impl CacheKey {
    /// A fresh key from the OS CSPRNG.
    pub(crate) fn random() -> Self {
        use rand::RngCore as _;
        let mut key = CacheKey([0; 32]);
        rand::rngs::OsRng.fill_bytes(&mut key.0);
        key
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The key as 64 lower-case hex digits, wiped from memory when dropped.
    pub(crate) fn to_hex(&self) -> zeroize::Zeroizing<String> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = zeroize::Zeroizing::new(String::with_capacity(64));
        for byte in self.0 {
            hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
            hex.push(char::from(DIGITS[usize::from(byte & 0xf)]));
        }
        hex
    }

    /// Reads 64 hex digits (either case); anything else is not a key.
    pub(crate) fn from_hex(hex: &str) -> Option<Self> {
        let hex = hex.as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let digit = |c: u8| char::from(c).to_digit(16);
        let mut key = CacheKey([0; 32]);
        for (byte, pair) in key.0.iter_mut().zip(hex.chunks_exact(2)) {
            let value = (digit(pair[0])? << 4) | digit(pair[1])?;
            *byte = u8::try_from(value).ok()?;
        }
        Some(key)
    }
}

impl PartialEq for CacheKey {
    fn eq(&self, other: &Self) -> bool {
        // Constant time: no timing side channel on a secret.
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
    }
}

impl Eq for CacheKey {}

impl Drop for CacheKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl std::fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CacheKey(..)")
    }
}

fn cache_key_entry(key_id: &str) -> Result<keyring::Entry> {
    key_entry(&format!("cache-key:{key_id}"))
}

fn key_entry(name: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, name).map_err(keyring_error)
}

/// The audit trail's two keys (its file's, and the one that seals its
/// records), named after the trail's `key_id`, and whether they were made
/// now: on first use, when `create` is set. `None`: the keyring has
/// neither (or only one of them).
pub(crate) async fn audit_keys(
    key_id: &str,
    create: bool,
) -> Result<Option<(CacheKey, CacheKey, bool)>> {
    let names = [format!("audit-db:{key_id}"), format!("audit-mac:{key_id}")];
    blocking(move || {
        let mut keys = Vec::with_capacity(2);
        for name in &names {
            match key_entry(name)?.get_password() {
                Ok(hex) => keys.push(CacheKey::from_hex(zeroize::Zeroizing::new(hex).trim())),
                Err(keyring::Error::NoEntry) => keys.push(None),
                Err(e) => return Err(keyring_error(e)),
            }
        }
        let mac = keys.pop().flatten();
        let db = keys.pop().flatten();
        match (db, mac) {
            (Some(db), Some(mac)) => Ok(Some((db, mac, false))),
            (None, None) if create => {
                let (db, mac) = (CacheKey::random(), CacheKey::random());
                key_entry(&names[0])?
                    .set_password(&db.to_hex())
                    .map_err(keyring_error)?;
                key_entry(&names[1])?
                    .set_password(&mac.to_hex())
                    .map_err(keyring_error)?;
                Ok(Some((db, mac, true)))
            }
            _ => Ok(None),
        }
    })
    .await
}

/// The key of the cache named by `key_id` (see `cache::key_id`), `None` when the keyring has none (first run, or
/// the keyring was reset). An entry that is not a key counts as missing:
/// the cache it belonged to cannot be opened either way.
pub(crate) async fn cache_key(key_id: &str) -> Result<Option<CacheKey>> {
    let key_id = key_id.to_owned();
    blocking(move || match cache_key_entry(&key_id)?.get_password() {
        Ok(hex) => {
            let hex = zeroize::Zeroizing::new(hex);
            match CacheKey::from_hex(hex.trim()) {
                Some(key) => Ok(Some(key)),
                None => {
                    tracing::warn!("the keyring holds a cache key entry that is not a key");
                    Ok(None)
                }
            }
        }
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keyring_error(e)),
    })
    .await
}

/// Makes a new random key for the cache `key_id` and stores it in the keyring,
/// replacing any key stored before (a cache made with that one can then no
/// longer be opened: move it aside first).
pub(crate) async fn create_cache_key(key_id: &str) -> Result<CacheKey> {
    let key_id = key_id.to_owned();
    blocking(move || {
        let key = CacheKey::random();
        cache_key_entry(&key_id)?
            .set_password(&key.to_hex())
            .map_err(keyring_error)?;
        Ok(key)
    })
    .await
}

pub(crate) async fn delete_cache_key(key_id: &str) -> Result<()> {
    let key_id = key_id.to_owned();
    blocking(
        move || match cache_key_entry(&key_id)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(e)),
        },
    )
    .await
}

/// For `chartguard --check`: writes, reads back and deletes a throwaway
/// entry, so a keyring that is missing, locked or a non-persistent stand-in
/// is found before a doctor logs in.
pub(crate) async fn probe() -> Result<()> {
    blocking(|| {
        let entry = key_entry("health-check")?;
        let value = CacheKey::random().to_hex();
        entry.set_password(&value).map_err(keyring_error)?;
        let read = entry.get_password().map_err(keyring_error);
        let _ = entry.delete_credential();
        match read {
            Ok(back) if back.as_str() == value.as_str() => Ok(()),
            Ok(_) => Err(Error::Keyring(
                "it did not give back what was stored".into(),
            )),
            Err(e) => Err(e),
        }
    })
    .await
}
