//! Trust configuration for every HTTPS connection the core makes (identity
//! provider and regional platform): rustls with the ring provider, trusting
//! the CA bundle IT configured, or the OS roots when none is configured,
//! and, where IT pinned keys (`tls.spki_pins`), only servers with one of
//! them. Verification is never disabled.

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::{pem::PemObject, CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::error::{Error, Result};

pub(crate) fn client_config(config: &Config) -> Result<rustls::ClientConfig> {
    let mut roots = RootCertStore::empty();
    match &config.tls.ca_bundle {
        Some(path) => {
            let certs = read_ca_bundle(path)
                .map_err(|why| Error::Config(format!("tls.ca_bundle: {why}")))?;
            for cert in certs {
                roots.add(cert).map_err(|_| {
                    Error::Config(format!(
                        "tls.ca_bundle: {} holds a certificate that cannot be used as a trust root",
                        path.display()
                    ))
                })?;
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|_| Error::Internal("TLS protocol versions"))?;
    let pins = config
        .tls
        .spki_pins
        .iter()
        .map(|pin| parse_pin(pin))
        .collect::<Option<Vec<[u8; 32]>>>()
        .ok_or_else(|| Error::Config("tls.spki_pins: a pin is not sha256/ and base64".into()))?;
    let config = match pins.is_empty() {
        true => builder.with_root_certificates(roots),
        false => {
            let chain = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|_| Error::Internal("TLS certificate verifier"))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(PinnedKeys { chain, pins }))
        }
    };
    Ok(config.with_no_client_auth())
}

/// The certificates of a PEM CA bundle, or why it cannot be used (the
/// path and the OS's reason; no key name, the caller adds it).
pub(crate) fn read_ca_bundle(
    path: &Path,
) -> std::result::Result<Vec<CertificateDer<'static>>, String> {
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read {}: {}", path.display(), e.kind()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| format!("{} is not a PEM certificate bundle", path.display()))?;
    match certs.is_empty() {
        true => Err(format!("{} holds no certificate", path.display())),
        false => Ok(certs),
    }
}

/// `sha256/BASE64` (the form `openssl … | base64` and HPKP use) as the
/// 32-byte digest it names.
pub(crate) fn parse_pin(pin: &str) -> Option<[u8; 32]> {
    let encoded = pin.strip_prefix("sha256/")?;
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?
        .try_into()
        .ok()
}

/// SHA-256 of a certificate's SubjectPublicKeyInfo, as pinned.
fn spki_digest(cert: &CertificateDer<'_>) -> Option<[u8; 32]> {
    let parsed = webpki::EndEntityCert::try_from(cert).ok()?;
    Some(Sha256::digest(parsed.subject_public_key_info().as_ref()).into())
}

/// The usual chain verification, and then the server's own key must be
/// one of the pinned ones. Only the server's certificate counts: the
/// handshake proves the server holds its key, while anyone can append
/// someone else's intermediate to a chain of their own.
#[derive(Debug)]
struct PinnedKeys {
    chain: Arc<WebPkiServerVerifier>,
    pins: Vec<[u8; 32]>,
}

impl ServerCertVerifier for PinnedKeys {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let verified = self.chain.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let pinned = spki_digest(end_entity).is_some_and(|digest| self.pins.contains(&digest));
        match pinned {
            true => Ok(verified),
            false => Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.chain.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.chain.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.chain.supported_verify_schemes()
    }
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
