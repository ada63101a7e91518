//! Errors of the core. Every error has a stable [`ErrorCode`] the UI can act
//! on, and a message that is safe to show and to log: messages are built only
//! from transport facts and static text, never from patient data, tokens or
//! passwords.

use serde::Serialize;
use ts_rs::TS;

/// Stable, machine-readable error codes. The UI decides what to do from the
/// code, never by matching message text. Renaming a variant is a breaking
/// change of the UI contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub enum ErrorCode {
    ConfigInvalid,
    NotLoggedIn,
    InvalidCredentials,
    AccountLocked,
    SessionExpired,
    IdpUnreachable,
    IdpError,
    CertificateUntrusted,
    PlatformUnreachable,
    PlatformError,
    NotFound,
    AccessDenied,
    ClockSkew,
    MissingRole,
    MalformedData,
    KeyringUnavailable,
    /// The privacy policy is invalid: no patient data is shown.
    PolicyInvalid,
    LoginCancelled,
    /// The doctor opened another chart before this one arrived.
    Superseded,
    CacheKeyMissing,
    CacheUnreadable,
    CacheBusy,
    DiskFull,
    /// An export could not be made or written (no font for the text, the
    /// folder not writable…); nothing was left behind.
    ExportFailed,
    /// The print job could not be handed to the printing system.
    PrintFailed,
    /// The audit trail could not be written (or opened): the action was
    /// refused, and nothing was shown.
    AuditUnavailable,
    /// The screen is locked (idle lock): nothing about patients is
    /// answered until the same doctor unlocks it.
    Locked,
    Internal,
}

/// Which remote party an error is about, for messages that name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remote {
    IdentityProvider,
    Platform,
}

impl std::fmt::Display for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Remote::IdentityProvider => "hospital login service",
            Remote::Platform => "regional platform",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("configuration error: {0}")]
    Config(String),
    #[error("not logged in")]
    NotLoggedIn,
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("this account is locked; contact the hospital IT service desk")]
    AccountLocked,
    #[error("the session has expired; please log in again")]
    SessionExpired,
    #[error("the {0} cannot be reached: {1}")]
    Unreachable(Remote, &'static str),
    #[error("the hospital login service refused the login: {0}")]
    Idp(String),
    #[error("the screen is locked; unlock it to continue")]
    Locked,
    #[error("that sign-in is another person's; sign out first to change user")]
    NotSessionOwner,
    #[error("the {0} presented a certificate this workstation does not trust; ask IT to check the configured CA bundle (and tls.spki_pins, where set)")]
    CertificateUntrusted(Remote),
    #[error("the regional platform answered with an error (HTTP {0})")]
    Platform(u16),
    #[error("not found on the regional platform")]
    NotFound,
    #[error("this account may not view patient records")]
    AccessDenied,
    #[error("the login token's time does not match this workstation's clock; ask IT to check the time settings")]
    ClockSkew,
    #[error("this account has no role that may use ChartGuard; ask IT to grant one")]
    MissingRole,
    #[error("the {0} sent data that could not be read: {1}")]
    Malformed(Remote, &'static str),
    #[error("the OS keyring is unavailable: {0}")]
    Keyring(String),
    #[error("login cancelled")]
    LoginCancelled,
    #[error("the privacy policy is invalid, so no patient data is shown: {0}")]
    PolicyInvalid(String),
    /// Bad input on the command line (a file that cannot be read, a tier
    /// the policy does not have). Never reaches the window.
    #[error("{0}")]
    Usage(String),
    #[error("another chart was opened meanwhile")]
    Superseded,
    #[error("the local cache's key is missing from the OS keyring; the cache can be rebuilt from the platform")]
    CacheKeyMissing,
    #[error("the local cache cannot be read (wrong key or damaged file); it can be moved aside and rebuilt from the platform")]
    CacheUnreadable,
    #[error("the local cache is in use by another ChartGuard window")]
    CacheBusy,
    #[error("the local cache is full (its size limit or the disk); ask IT to make room")]
    DiskFull,
    #[error("the export failed: {0}")]
    Export(String),
    #[error("printing failed: {0}")]
    Print(String),
    #[error("the audit trail cannot be written, so nothing is shown: {0}; ask IT to run `chartguard audit verify`")]
    Audit(&'static str),
    #[error("internal error: {0}")]
    Internal(&'static str),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Config(_) => ErrorCode::ConfigInvalid,
            Error::NotLoggedIn => ErrorCode::NotLoggedIn,
            Error::InvalidCredentials => ErrorCode::InvalidCredentials,
            Error::AccountLocked => ErrorCode::AccountLocked,
            Error::SessionExpired => ErrorCode::SessionExpired,
            Error::Unreachable(Remote::IdentityProvider, _) => ErrorCode::IdpUnreachable,
            Error::Unreachable(Remote::Platform, _) => ErrorCode::PlatformUnreachable,
            Error::Idp(_) => ErrorCode::IdpError,
            Error::CertificateUntrusted(_) => ErrorCode::CertificateUntrusted,
            Error::Platform(_) => ErrorCode::PlatformError,
            Error::NotFound => ErrorCode::NotFound,
            Error::AccessDenied => ErrorCode::AccessDenied,
            Error::ClockSkew => ErrorCode::ClockSkew,
            Error::MissingRole => ErrorCode::MissingRole,
            Error::Malformed(..) => ErrorCode::MalformedData,
            Error::Keyring(_) => ErrorCode::KeyringUnavailable,
            Error::LoginCancelled => ErrorCode::LoginCancelled,
            Error::PolicyInvalid(_) => ErrorCode::PolicyInvalid,
            Error::Usage(_) => ErrorCode::ConfigInvalid,
            Error::Superseded => ErrorCode::Superseded,
            Error::CacheKeyMissing => ErrorCode::CacheKeyMissing,
            Error::CacheUnreadable => ErrorCode::CacheUnreadable,
            Error::CacheBusy => ErrorCode::CacheBusy,
            Error::DiskFull => ErrorCode::DiskFull,
            Error::Export(_) => ErrorCode::ExportFailed,
            Error::Audit(_) => ErrorCode::AuditUnavailable,
            Error::Print(_) => ErrorCode::PrintFailed,
            Error::Locked => ErrorCode::Locked,
            Error::NotSessionOwner => ErrorCode::InvalidCredentials,
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Maps a transport error of a request to `remote` onto a PHI-free error.
    /// Certificate failures are told apart from other connection failures so
    /// IT gets a message that points at the CA bundle.
    pub(crate) fn from_http(remote: Remote, err: &reqwest::Error) -> Self {
        if crate::tls::is_certificate_error(err) {
            Error::CertificateUntrusted(remote)
        } else if err.is_timeout() {
            Error::Unreachable(remote, "the request timed out")
        } else if err.is_connect() {
            Error::Unreachable(remote, "the connection failed")
        } else if err.is_decode() || err.is_body() {
            Error::Malformed(remote, "the response was cut off or not valid")
        } else {
            Error::Unreachable(remote, "the request failed")
        }
    }
}

/// What the UI receives for a failed command: `{ code, message }`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ErrorPayload {
    pub code: ErrorCode,
    pub message: String,
}

impl From<&Error> for ErrorPayload {
    fn from(err: &Error) -> Self {
        let message = err.to_string();
        let mut chars = message.chars();
        let message = match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => message,
        };
        ErrorPayload {
            code: err.code(),
            message,
        }
    }
}
