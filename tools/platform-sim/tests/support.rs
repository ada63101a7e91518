//! Starting a server in-process and talking to it, and an in-test OpenID
//! issuer whose tokens it checks.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use platform_sim::certs;
use platform_sim::server::{self, Options, Running};
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256};
use serde_json::{json, Value};

pub(crate) struct Sim {
    pub(crate) running: Running,
    pub(crate) client: reqwest::Client,
    pub(crate) base: String,
    pub(crate) root: String,
    _dir: tempfile::TempDir,
}

pub(crate) fn client(ca_pem: &Path) -> reqwest::Client {
    let pem = std::fs::read(ca_pem).expect("ca.pem");
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA"))
        .build()
        .expect("client")
}

/// A server without auth (unless `configure` sets an issuer), in a fresh PKI dir.
pub(crate) async fn start(configure: impl FnOnce(&mut Options)) -> Sim {
    let dir = tempfile::tempdir().expect("tempdir");
    start_in(dir, configure).await
}

pub(crate) async fn start_in(dir: tempfile::TempDir, configure: impl FnOnce(&mut Options)) -> Sim {
    let mut options = Options::new(dir.path());
    options.no_auth = true;
    configure(&mut options);
    let running = server::start(options).await.expect("server starts");
    let base = running.base_url.clone();
    let root = base.trim_end_matches("/fhir").to_owned();
    Sim {
        client: client(&dir.path().join("ca.pem")),
        running,
        base,
        root,
        _dir: dir,
    }
}

impl Sim {
    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        let url = if path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}/{path}", self.base)
        };
        self.client.get(url).send().await.expect("request")
    }

    pub(crate) async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("json")
    }

    pub(crate) async fn put(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .put(format!("{}/{path}", self.base))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// What `/_sim/audit` shows: the stored events and the resend counts.
    pub(crate) async fn audit_log(&self) -> Value {
        let response = self
            .client
            .get(format!("{}/_sim/audit", self.root))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "GET /_sim/audit");
        response.json().await.expect("json")
    }

    pub(crate) async fn patients(&self) -> Vec<Value> {
        let url = format!("{}/_sim/patients", self.root);
        let list: Value = self
            .client
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list.as_array().unwrap().clone()
    }

    pub(crate) async fn stop(self) {
        self.running.shutdown().await.expect("clean shutdown");
    }
}

/// Ids of a searchset's entries, as `Type/id`.
pub(crate) fn entry_ids(bundle: &Value) -> Vec<String> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{}/{}",
                e["resource"]["resourceType"].as_str().unwrap(),
                e["resource"]["id"].as_str().unwrap()
            )
        })
        .collect()
}

pub(crate) fn next_link(bundle: &Value) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == "next")
        .and_then(|l| l["url"].as_str())
        .map(str::to_owned)
}

/// The third-party fixtures: `CHARTGUARD_FIXTURES` or `../shared/fixtures` from the repo root.
pub(crate) fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os("CHARTGUARD_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures"));
    assert!(
        dir.join("synthea").is_dir(),
        "fixtures not found at {} (set CHARTGUARD_FIXTURES)",
        dir.display()
    );
    dir
}

pub(crate) const AUDIENCE: &str = "urn:chartguard:platform";
pub(crate) const RSA_KEY: &str = include_str!("keys/rsa-test-key.pem");
pub(crate) const RSA_N: &str = include_str!("keys/rsa-test-key.n.txt");

pub(crate) struct EcKey {
    pub(crate) encoding: EncodingKey,
    pub(crate) jwk: Value,
}

pub(crate) fn ec_key(kid: &str) -> EcKey {
    let pair = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let raw = pair.public_key_raw();
    assert_eq!(raw.len(), 65);
    EcKey {
        encoding: EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes()).unwrap(),
        jwk: json!({"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                    "x": URL_SAFE_NO_PAD.encode(&raw[1..33]), "y": URL_SAFE_NO_PAD.encode(&raw[33..])}),
    }
}

/// Serves discovery and JWKS over HTTPS with the demo server certificate
/// (a real, in-test OpenID issuer).
pub(crate) async fn start_issuer(
    dir: &std::path::Path,
    keys: Vec<Value>,
) -> (String, axum_server::Handle) {
    let paths = certs::ensure(dir).unwrap();
    let tls = certs::server_tls_config(&paths).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let issuer = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let discovery = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
    });
    let jwks = json!({"keys": keys});
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { Json(discovery) }),
        )
        .route("/jwks", get(move || async move { Json(jwks) }));
    let handle = axum_server::Handle::new();
    let server = axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(tls),
    )
    .handle(handle.clone());
    tokio::spawn(server.serve(app.into_make_service()));
    handle.listening().await.unwrap();
    (issuer, handle)
}

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub(crate) fn sign(alg: Algorithm, kid: &str, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key).unwrap()
}
