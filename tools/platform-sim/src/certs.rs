//! Owns the demo PKI: a test CA and a loopback server certificate in a directory.
//!
//! Invariants: generation is idempotent (existing files are never overwritten),
//! private keys are written with mode 0600, and the server certificate always
//! chains to the `ca.pem` on disk (if only the leaf is missing it is re-issued
//! from the existing CA key).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};

/// Common name of the generated test CA.
pub const CA_COMMON_NAME: &str = "ChartGuard Demo CA";

/// The four PEM files of the demo PKI.
#[derive(Debug, Clone)]
pub struct CertPaths {
    /// Test CA certificate (the only trust root clients need).
    pub ca_cert: PathBuf,
    /// Test CA private key (PKCS#8).
    pub ca_key: PathBuf,
    /// Server leaf certificate for `127.0.0.1` and `localhost`.
    pub server_cert: PathBuf,
    /// Server private key (PKCS#8).
    pub server_key: PathBuf,
}

impl CertPaths {
    /// The file names inside `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            ca_cert: dir.join("ca.pem"),
            ca_key: dir.join("ca-key.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server-key.pem"),
        }
    }
}

fn ca_params() -> anyhow::Result<CertificateParams> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_COMMON_NAME);
    dn.push(DnType::OrganizationName, "ChartGuard Demo");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2040, 1, 1);
    Ok(params)
}

fn server_params() -> anyhow::Result<CertificateParams> {
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "ChartGuard demo platform");
    params.distinguished_name = dn;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2036, 1, 1);
    Ok(params)
}

/// Creates the CA and server certificate in `dir` unless they already exist.
pub fn ensure(dir: &Path) -> anyhow::Result<CertPaths> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let paths = CertPaths::in_dir(dir);

    let ca_key = if paths.ca_cert.exists() {
        if paths.server_cert.exists() && paths.server_key.exists() {
            return Ok(paths);
        }
        let pem = fs::read_to_string(&paths.ca_key)
            .with_context(|| format!("reading {}", paths.ca_key.display()))?;
        KeyPair::from_pem(&pem).context("parsing the CA key")?
    } else {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let cert = ca_params()?.self_signed(&key)?;
        write_file(&paths.ca_key, key.serialize_pem().as_bytes(), true)?;
        write_file(&paths.ca_cert, cert.pem().as_bytes(), false)?;
        key
    };
    // The issuer is rebuilt from the same name and key: a leaf signed by it
    // verifies against the CA certificate already on disk.
    let issuer = ca_params()?.self_signed(&ca_key)?;
    let server_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let server_cert = server_params()?.signed_by(&server_key, &issuer, &ca_key)?;
    write_file(
        &paths.server_key,
        server_key.serialize_pem().as_bytes(),
        true,
    )?;
    write_file(&paths.server_cert, server_cert.pem().as_bytes(), false)?;
    Ok(paths)
}

fn write_file(path: &Path, contents: &[u8], secret: bool) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(contents)?;
    Ok(())
}

/// A rustls server configuration (ring provider) from the server cert and key.
pub fn server_tls_config(paths: &CertPaths) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let cert_pem = fs::read(&paths.server_cert)
        .with_context(|| format!("reading {}", paths.server_cert.display()))?;
    let key_pem = fs::read(&paths.server_key)
        .with_context(|| format!("reading {}", paths.server_key.display()))?;
    let certs = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .context("parsing server.pem")?;
    if certs.is_empty() {
        bail!("server.pem holds no certificate");
    }
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .context("parsing server-key.pem")?
        .context("server-key.pem holds no key")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
