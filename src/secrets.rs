//! The OS keyring (Secret Service on Linux, Keychain on macOS, Credential
//! Manager on Windows), for secrets that must outlive the process: today the
//! refresh token of an offline session, one entry per doctor.
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
