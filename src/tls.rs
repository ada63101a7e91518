//! Trust configuration for every HTTPS connection the core makes (identity
//! provider and regional platform): rustls with the ring provider, trusting
//! the CA bundle IT configured, or the OS roots when none is configured.
//! Verification is never disabled.

use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::{pem::PemObject, CertificateDer};

use crate::config::Config;
use crate::error::{Error, Result};

pub(crate) fn client_config(config: &Config) -> Result<rustls::ClientConfig> {
    let mut roots = RootCertStore::empty();
    match &config.tls.ca_bundle {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| {
                Error::Config(format!(
                    "tls.ca_bundle: cannot read {}: {}",
                    path.display(),
                    e.kind()
                ))
            })?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|_| {
                    Error::Config(format!(
                        "tls.ca_bundle: {} is not a PEM certificate bundle",
                        path.display()
                    ))
                })?;
                roots.add(cert).map_err(|_| {
                    Error::Config(format!(
                        "tls.ca_bundle: {} holds a certificate that cannot be used as a trust root",
                        path.display()
                    ))
                })?;
            }
            if roots.is_empty() {
                return Err(Error::Config(format!(
                    "tls.ca_bundle: {} holds no certificate",
                    path.display()
                )));
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| Error::Internal("TLS protocol versions"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// An HTTP client for one remote: preconfigured TLS, timeouts, and no
/// redirects at all: a redirect could carry the bearer token, or replay a
/// token request with its secrets, to somewhere else.
pub(crate) fn http_client(
    config: &Config,
    timeout: std::time::Duration,
) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .use_preconfigured_tls(client_config(config)?)
        .https_only(!config.dev.allow_http)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(timeout)
        .user_agent(concat!("ChartGuard/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|_| Error::Internal("HTTP client set-up"))
}

/// Whether a request failed because the server's certificate was rejected.
/// rustls' error sits somewhere in the source chain, often wrapped in
/// `io::Error`s whose `source()` skips the wrapped error, so those are
/// opened with `get_ref()` instead.
pub(crate) fn is_certificate_error(err: &reqwest::Error) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if matches!(
            e.downcast_ref::<rustls::Error>(),
            Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented)
        ) {
            return true;
        }
        current = match e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner),
            None => e.source(),
        };
    }
    false
}
