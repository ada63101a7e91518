//! The encrypted local cache, as the UI sees it: the errors it can raise
//! carry stable codes and messages that name no patient, path or SQL.
//!
//! The cache itself is crate-private (only the `Viewer` uses it); its tests
//! against real SQLCipher files in temporary folders are the unit tests in
//! `src/cache.rs` (`cargo test --lib cache`).

use chartguard::{Error, ErrorCode, ErrorPayload};

#[test]
fn cache_errors_have_stable_codes_and_actionable_messages() {
    let cases = [
        (
            Error::CacheKeyMissing,
            ErrorCode::CacheKeyMissing,
            "The local cache's key is missing from the OS keyring; the cache can be rebuilt from the platform",
        ),
        (
            Error::CacheUnreadable,
            ErrorCode::CacheUnreadable,
            "The local cache cannot be read (wrong key or damaged file); it can be moved aside and rebuilt from the platform",
        ),
        (
            Error::CacheBusy,
            ErrorCode::CacheBusy,
            "The local cache is in use by another ChartGuard window",
        ),
        (
            Error::DiskFull,
            ErrorCode::DiskFull,
            "The local cache is full (its size limit or the disk); ask IT to make room",
        ),
    ];
    for (error, code, message) in cases {
        let payload = ErrorPayload::from(&error);
        assert_eq!(payload.code, code, "{error:?}");
        assert_eq!(payload.message, message, "{error:?}");
    }
}

#[test]
fn cache_error_codes_serialise_as_their_names() {
    for (code, json) in [
        (ErrorCode::CacheKeyMissing, "\"CacheKeyMissing\""),
        (ErrorCode::CacheUnreadable, "\"CacheUnreadable\""),
        (ErrorCode::CacheBusy, "\"CacheBusy\""),
        (ErrorCode::DiskFull, "\"DiskFull\""),
    ] {
        assert_eq!(serde_json::to_string(&code).unwrap(), json);
    }
}
