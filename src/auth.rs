//! Login against the hospital's OpenID Connect provider: discovery, the
//! resource-owner password grant (in-app form), authorization code + PKCE in
//! the system browser with a loopback redirect (RFC 8252), refresh, and
//! verification of the ID token's signature and claims.
//!
//! Owns no state between calls: the caller ([`crate::Viewer`]) keeps the
//! access token in memory and the refresh token in the OS keyring. Never logs
//! tokens, passwords or claims.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::JwkSet;
use rand::RngCore as _;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::OnceCell;
use url::Url;

use crate::config::Config;
use crate::error::{Error, Remote, Result};

/// How long the browser flow waits for the doctor before giving up.
const BROWSER_LOGIN_TIMEOUT: Duration = Duration::from_secs(300);
/// Clock difference tolerated between workstation and identity provider.
const CLOCK_LEEWAY_SECS: u64 = 60;

/// Opens a URL in the doctor's browser. The shell uses the system browser;
/// tests drive the identity provider's pages over HTTP instead.
pub trait BrowserOpener: Send + Sync {
    fn open(&self, url: &Url) -> Result<()>;
}

/// The operating system's default browser.
#[derive(Debug, Default)]
pub struct SystemBrowser;

impl BrowserOpener for SystemBrowser {
    fn open(&self, url: &Url) -> Result<()> {
        open::that_detached(url.as_str())
            .map_err(|_| Error::Idp("the system browser could not be started".into()))
    }
}

/// Who logged in, from the verified ID token.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Identity {
    pub(crate) sub: String,
    pub(crate) name: Option<String>,
    pub(crate) preferred_username: Option<String>,
    pub(crate) staff_no: Option<String>,
    #[serde(default)]
    pub(crate) roles: Vec<String>,
    /// Directory groups, where the hospital's provider sends them; the
    /// policy may grant tiers by group as well as by role.
    #[serde(default)]
    pub(crate) groups: Vec<String>,
    pub(crate) department: Option<String>,
    nonce: Option<String>,
    azp: Option<String>,
}

impl Identity {
    /// The name to show for the doctor: their name, else their username.
    pub(crate) fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.preferred_username.as_deref())
            .unwrap_or(&self.sub)
    }
}

/// The outcome of a successful grant.
pub(crate) struct Grant {
    pub(crate) access_token: String,
    pub(crate) expires_at: Instant,
    pub(crate) refresh_token: Option<String>,
    /// Present when the provider sent an ID token (always on login).
    pub(crate) identity: Option<Identity>,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: Url,
    token_endpoint: Url,
    jwks_uri: Url,
    revocation_endpoint: Option<Url>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    token_type: String,
    expires_in: Option<u64>,
    refresh_token: Option<String>,
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct TokenError {
    error: String,
    error_description: Option<String>,
}

/// Which grant a token request was, to word its failure.
#[derive(Clone, Copy, PartialEq, Eq)]
enum GrantKind {
    Password,
    Code,
    Refresh,
}

/// Token lifetimes beyond this are treated as this: a provider's typo must
/// not keep a token "fresh" for years (or overflow the clock arithmetic).
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

pub(crate) struct Idp {
    http: reqwest::Client,
    issuer: Url,
    client_id: String,
    scope: String,
    allow_http: bool,
    discovery: OnceCell<Discovery>,
}

impl Idp {
    pub(crate) fn new(config: &Config) -> Result<Self> {
        let scope = if config.session.offline {
            "openid profile offline_access"
        } else {
            "openid profile"
        };
        Ok(Idp {
            http: crate::tls::http_client(config, Duration::from_secs(20))?,
            issuer: config.idp.issuer.clone(),
            client_id: config.idp.client_id.clone(),
            scope: scope.to_owned(),
            allow_http: config.dev.allow_http,
            discovery: OnceCell::new(),
        })
    }

    async fn discovery(&self) -> Result<&Discovery> {
        self.discovery
            .get_or_try_init(|| async {
                let url = well_known(&self.issuer, "openid-configuration");
                let doc: Discovery = self.get_json(url).await?;
                if doc.issuer.trim_end_matches('/') != self.issuer.as_str().trim_end_matches('/') {
                    return Err(Error::Idp(
                        "the discovery document names a different issuer than configured".into(),
                    ));
                }
                // The authorization endpoint is opened in the system browser
                // and the others receive secrets: https only.
                let endpoints = [
                    &doc.authorization_endpoint,
                    &doc.token_endpoint,
                    &doc.jwks_uri,
                ]
                .into_iter()
                .chain(doc.revocation_endpoint.as_ref());
                for url in endpoints {
                    let secure =
                        url.scheme() == "https" || (self.allow_http && url.scheme() == "http");
                    if !secure {
                        return Err(Error::Idp(
                            "the discovery document names an endpoint that is not https".into(),
                        ));
                    }
                }
                Ok(doc)
            })
            .await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: Url) -> Result<T> {
        let remote = Remote::IdentityProvider;
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| Error::from_http(remote, &e))?;
        if !response.status().is_success() {
            return Err(Error::Idp(format!(
                "HTTP {} from the login service",
                response.status().as_u16()
            )));
        }
        response
            .json()
            .await
            .map_err(|_| Error::Malformed(remote, "a document was not valid JSON"))
    }

    /// For `chartguard --check`: the discovery document (issuer and https
    /// endpoints as for a login) and how many signing keys its JWKS holds.
    pub(crate) async fn signing_keys(&self) -> Result<usize> {
        let discovery = self.discovery().await?;
        let keys: JwkSet = self.get_json(discovery.jwks_uri.clone()).await?;
        Ok(keys.keys.len())
    }

    /// The in-app form: resource-owner password credentials grant.
    pub(crate) async fn password(&self, username: &str, password: &str) -> Result<Grant> {
        let form = [
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
            ("scope", self.scope.as_str()),
            ("client_id", self.client_id.as_str()),
        ];
        self.token_request(&form, GrantKind::Password, None).await
    }

    pub(crate) async fn refresh(&self, refresh_token: &str) -> Result<Grant> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", self.client_id.as_str()),
        ];
        self.token_request(&form, GrantKind::Refresh, None).await
    }

    /// Revokes a refresh token at the provider (RFC 7009), where it offers
    /// revocation, so a logged-out session cannot be revived from a copy.
    pub(crate) async fn revoke(&self, refresh_token: &str) -> Result<()> {
        let Some(endpoint) = self.discovery().await?.revocation_endpoint.clone() else {
            return Ok(());
        };
        let form = [
            ("token", refresh_token),
            ("token_type_hint", "refresh_token"),
            ("client_id", self.client_id.as_str()),
        ];
        let response = self
            .http
            .post(endpoint)
            .form(&form)
            .send()
            .await
            .map_err(|e| Error::from_http(Remote::IdentityProvider, &e))?;
        match response.status().is_success() {
            true => Ok(()),
            false => Err(Error::Idp(format!(
                "HTTP {} from the revocation endpoint",
                response.status().as_u16()
            ))),
        }
    }

    /// Authorization code + PKCE (S256) in the browser, with a loopback
    /// listener on an ephemeral port as the redirect URI. Ends when the
    /// browser comes back, `cancel` fires, or the wait times out.
    pub(crate) async fn browser(
        &self,
        opener: &dyn BrowserOpener,
        cancel: tokio::sync::oneshot::Receiver<()>,
    ) -> Result<Grant> {
        let discovery = self.discovery().await?;
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(|_| {
            Error::Internal("could not open the loopback port for the login redirect")
        })?;
        let port = listener
            .local_addr()
            .map_err(|_| Error::Internal("loopback port"))?
            .port();
        let redirect_uri = format!("http://127.0.0.1:{port}/callback");
        let verifier = random_token(32);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let state = random_token(16);
        let nonce = random_token(16);

        let mut url = discovery.authorization_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("scope", &self.scope)
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            // Workstations are shared: never reuse another doctor's IdP session.
            .append_pair("prompt", "login");
        opener.open(&url)?;

        let code = tokio::select! {
            code = wait_for_callback(listener, state) => code?,
            _ = cancel => return Err(Error::LoginCancelled),
            _ = tokio::time::sleep(BROWSER_LOGIN_TIMEOUT) => {
                return Err(Error::Idp("the browser login was not completed in time".into()))
            }
        };
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("client_id", self.client_id.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        self.token_request(&form, GrantKind::Code, Some(&nonce))
            .await
    }

    async fn token_request(
        &self,
        form: &[(&str, &str)],
        kind: GrantKind,
        nonce: Option<&str>,
    ) -> Result<Grant> {
        let remote = Remote::IdentityProvider;
        let discovery = self.discovery().await?;
        let started = Instant::now();
        let response = self
            .http
            .post(discovery.token_endpoint.clone())
            .form(form)
            .send()
            .await
            .map_err(|e| Error::from_http(remote, &e))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| Error::from_http(remote, &e))?;
        if !status.is_success() {
            let err: Option<TokenError> = serde_json::from_slice(&body).ok();
            return Err(token_error(kind, status.as_u16(), err));
        }
        let tokens: TokenResponse = serde_json::from_slice(&body)
            .map_err(|_| Error::Malformed(remote, "the token response was not valid"))?;
        if !tokens.token_type.eq_ignore_ascii_case("bearer") {
            return Err(Error::Idp(
                "the login service issued an unsupported token type".into(),
            ));
        }
        let identity = match &tokens.id_token {
            Some(id_token) => {
                let keys: JwkSet = self.get_json(discovery.jwks_uri.clone()).await?;
                Some(validate_id_token(
                    id_token,
                    &keys,
                    &self.issuer,
                    &self.client_id,
                    nonce,
                )?)
            }
            None if kind == GrantKind::Refresh => None,
            None => return Err(Error::Idp("the login service sent no ID token".into())),
        };
        let lifetime =
            Duration::from_secs(tokens.expires_in.unwrap_or(300)).min(MAX_TOKEN_LIFETIME);
        Ok(Grant {
            access_token: tokens.access_token,
            expires_at: started + lifetime,
            refresh_token: tokens.refresh_token,
            identity,
        })
    }
}

/// Checks an ID token as OpenID Connect Core §3.1.3.7 asks: signature by
/// one of the provider's keys with an asymmetric algorithm, issuer, audience
/// (and `azp`), expiry with a little leeway, the nonce of this login, and a
/// role for this application.
fn validate_id_token(
    id_token: &str,
    keys: &JwkSet,
    issuer: &Url,
    client_id: &str,
    nonce: Option<&str>,
) -> Result<Identity> {
    use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, Validation};
    let bad = || Error::Idp("the login service sent an ID token that failed verification".into());
    let header = jsonwebtoken::decode_header(id_token).map_err(|_| bad())?;
    let allowed = [
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ];
    if !allowed.contains(&header.alg) {
        return Err(bad());
    }
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        // Without a key id, only an unambiguous key set will do.
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or_else(bad)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| bad())?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[issuer.as_str(), issuer.as_str().trim_end_matches('/')]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = CLOCK_LEEWAY_SECS;
    let identity = jsonwebtoken::decode::<Identity>(id_token, &key, &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature | ErrorKind::ImmatureSignature => Error::ClockSkew,
            _ => bad(),
        })?
        .claims;
    if identity.azp.as_deref().is_some_and(|azp| azp != client_id) {
        return Err(bad());
    }
    if let Some(expected) = nonce {
        if identity.nonce.as_deref() != Some(expected) {
            return Err(bad());
        }
    }
    if identity.roles.is_empty() {
        return Err(Error::MissingRole);
    }
    Ok(identity)
}

fn token_error(kind: GrantKind, status: u16, err: Option<TokenError>) -> Error {
    let Some(err) = err else {
        return Error::Idp(format!("HTTP {status} from the login service"));
    };
    let locked = err
        .error_description
        .as_deref()
        .is_some_and(|d| d.to_ascii_lowercase().contains("locked"));
    match (err.error.as_str(), kind) {
        ("invalid_grant", _) if locked => Error::AccountLocked,
        ("invalid_grant", GrantKind::Password) => Error::InvalidCredentials,
        ("invalid_grant", GrantKind::Refresh) => Error::SessionExpired,
        (code, _) => {
            // The OAuth error code is a protocol token; keep only its safe characters.
            let code: String = code
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(40)
                .collect();
            Error::Idp(format!("{code} (HTTP {status})"))
        }
    }
}

fn well_known(issuer: &Url, name: &str) -> Url {
    let mut url = issuer.clone();
    let path = format!("{}/.well-known/{name}", issuer.path().trim_end_matches('/'));
    url.set_path(&path);
    url
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

const CALLBACK_DONE: &str = "<!doctype html><meta charset=utf-8><title>ChartGuard</title>\
<p>登录完成，请返回 ChartGuard。</p><p>Login complete. You can close this tab and return to ChartGuard.</p>";
const CALLBACK_FAILED: &str = "<!doctype html><meta charset=utf-8><title>ChartGuard</title>\
<p>登录未完成。</p><p>The login was not completed. Return to ChartGuard to try again.</p>";

/// Serves the loopback redirect until a request with our `state` arrives,
/// and returns its authorization code. Each connection is handled on its
/// own task with a short read timeout, so a local process holding
/// connections open cannot block the real callback.
async fn wait_for_callback(listener: TcpListener, state: String) -> Result<String> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let state = std::sync::Arc::new(state);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let (tx, state) = (tx.clone(), state.clone());
                tokio::spawn(async move {
                    if let Some(outcome) = handle_callback(stream, &state).await {
                        let _ = tx.send(outcome).await;
                    }
                });
            }
            Some(outcome) = rx.recv() => return outcome,
        }
    }
}

/// One request to the loopback listener: `None` when it is not our
/// callback (a stray favicon fetch, a probe), else the login's outcome.
async fn handle_callback(mut stream: TcpStream, state: &str) -> Option<Result<String>> {
    let target = read_request_target(&mut stream).await?;
    let Ok(url) = Url::parse("http://127.0.0.1").and_then(|base| base.join(&target)) else {
        respond(&mut stream, 400, CALLBACK_FAILED).await;
        return None;
    };
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if url.path() != "/callback" || param("state").as_deref() != Some(state) {
        respond(&mut stream, 404, CALLBACK_FAILED).await;
        return None;
    }
    if let Some(code) = param("code") {
        respond(&mut stream, 200, CALLBACK_DONE).await;
        return Some(Ok(code));
    }
    respond(&mut stream, 200, CALLBACK_FAILED).await;
    Some(Err(match param("error").as_deref() {
        Some("access_denied") => Error::LoginCancelled,
        _ => Error::Idp("the login service did not complete the login".into()),
    }))
}

async fn read_request_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let read = async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Some(())
    };
    tokio::time::timeout(Duration::from_secs(3), read)
        .await
        .ok()??;
    let head = std::str::from_utf8(&buf).ok()?;
    let mut parts = head.lines().next()?.split(' ');
    (parts.next()? == "GET").then_some(())?;
    parts.next().map(str::to_owned)
}

async fn respond(stream: &mut TcpStream, status: u16, body: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // The browser tab may already be gone; the login outcome does not depend on it.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_map_to_stable_codes() {
        use crate::error::ErrorCode::*;
        let err = |e: &str, d: Option<&str>| {
            Some(TokenError {
                error: e.into(),
                error_description: d.map(Into::into),
            })
        };
        let cases = [
            (
                GrantKind::Password,
                err("invalid_grant", Some("invalid credentials")),
                InvalidCredentials,
            ),
            (
                GrantKind::Password,
                err("invalid_grant", Some("account locked")),
                AccountLocked,
            ),
            (
                GrantKind::Refresh,
                err("invalid_grant", None),
                SessionExpired,
            ),
            (GrantKind::Code, err("invalid_client", None), IdpError),
            (GrantKind::Password, None, IdpError),
        ];
        for (kind, input, expected) in cases {
            assert_eq!(token_error(kind, 400, input).code(), expected);
        }
    }

    #[test]
    fn well_known_keeps_issuer_path() {
        let cases = [
            (
                "https://idp.example",
                "https://idp.example/.well-known/openid-configuration",
            ),
            (
                "https://idp.example/realms/h1/",
                "https://idp.example/realms/h1/.well-known/openid-configuration",
            ),
        ];
        for (issuer, expected) in cases {
            assert_eq!(
                well_known(&Url::parse(issuer).unwrap(), "openid-configuration").as_str(),
                expected
            );
        }
    }

    mod id_token {
        use super::super::*;
        use crate::error::ErrorCode;
        use jsonwebtoken::{Algorithm, EncodingKey, Header};
        use ring::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING};
        use serde_json::{json, Value};

        const ISSUER: &str = "https://idp.example";
        const CLIENT: &str = "chartguard-desktop";

        /// A P-256 key pair made for the test, and its public JWK set.
        struct TestKey {
            pkcs8: Vec<u8>,
            jwks: JwkSet,
        }

        fn test_key(kid: &str) -> TestKey {
            let rng = ring::rand::SystemRandom::new();
            let alg = &ECDSA_P256_SHA256_FIXED_SIGNING;
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
            let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap();
            let point = pair.public_key().as_ref(); // 0x04 ‖ x ‖ y
            let jwk = json!({
                "kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            });
            TestKey {
                pkcs8: pkcs8.as_ref().to_vec(),
                jwks: serde_json::from_value(json!({ "keys": [jwk] })).unwrap(),
            }
        }

        fn now() -> u64 {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        }

        fn claims(change: impl FnOnce(&mut Value)) -> Value {
            let mut claims = json!({
                "iss": ISSUER, "aud": CLIENT, "sub": "doc-1", "iat": now(), "exp": now() + 300,
                "nonce": "n-1", "roles": ["doctor"], "name": "王毅",
            });
            change(&mut claims);
            claims
        }

        fn es256(key: &TestKey, kid: Option<&str>, claims: &Value) -> String {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = kid.map(str::to_owned);
            jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_der(&key.pkcs8)).unwrap()
        }

        fn check(token: &str, keys: &JwkSet, nonce: Option<&str>) -> Result<Identity> {
            validate_id_token(token, keys, &Url::parse(ISSUER).unwrap(), CLIENT, nonce)
        }

        #[test]
        fn id_tokens_are_checked_like_oidc_core_says() {
            let key = test_key("k1");
            let other = test_key("k1");
            let hs256 = jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims(|_| {}),
                &EncodingKey::from_secret(b"shared secret"),
            )
            .unwrap();
            let cases: Vec<(&str, String, Option<&str>, Option<ErrorCode>)> = vec![
                (
                    "valid",
                    es256(&key, Some("k1"), &claims(|_| {})),
                    Some("n-1"),
                    None,
                ),
                (
                    "refresh without nonce",
                    es256(&key, Some("k1"), &claims(|_| {})),
                    None,
                    None,
                ),
                (
                    "single key, no kid",
                    es256(&key, None, &claims(|_| {})),
                    Some("n-1"),
                    None,
                ),
                (
                    "other issuer",
                    es256(
                        &key,
                        Some("k1"),
                        &claims(|c| c["iss"] = json!("https://evil.example")),
                    ),
                    Some("n-1"),
                    Some(ErrorCode::IdpError),
                ),
                (
                    "other audience",
                    es256(
                        &key,
                        Some("k1"),
                        &claims(|c| c["aud"] = json!("someone-else")),
                    ),
                    Some("n-1"),
                    Some(ErrorCode::IdpError),
                ),
                (
                    "azp of another client",
                    es256(
                        &key,
                        Some("k1"),
                        &claims(|c| c["azp"] = json!("someone-else")),
                    ),
                    Some("n-1"),
                    Some(ErrorCode::IdpError),
                ),
                (
                    "expired",
                    es256(
                        &key,
                        Some("k1"),
                        &claims(|c| c["exp"] = json!(now() - 3600)),
                    ),
                    Some("n-1"),
                    Some(ErrorCode::ClockSkew),
                ),
                (
                    "replayed nonce",
                    es256(&key, Some("k1"), &claims(|c| c["nonce"] = json!("n-0"))),
                    Some("n-1"),
                    Some(ErrorCode::IdpError),
                ),
                (
                    "no nonce in the login",
                    es256(
                        &key,
                        Some("k1"),
                        &claims(|c| {
                            c.as_object_mut().unwrap().remove("nonce");
                        }),
                    ),
                    Some("n-1"),
                    Some(ErrorCode::IdpError),
                ),
                (
                    "no role",
                    es256(&key, Some("k1"), &claims(|c| c["roles"] = json!([]))),
                    Some("n-1"),
                    Some(ErrorCode::MissingRole),
                ),
                (
                    "signed by a foreign key",
                    es256(&other, Some("k1"), &claims(|_| {})),
                    Some("n-1"),
                    Some(ErrorCode::IdpError),
                ),
                (
                    "unknown key id",
                    es256(&key, Some("k2"), &claims(|_| {})),
                    Some("n-1"),
                    Some(ErrorCode::IdpError),
                ),
                (
                    "symmetric algorithm",
                    hs256,
                    Some("n-1"),
                    Some(ErrorCode::IdpError),
                ),
                (
                    "not a JWT",
                    "garbage".to_owned(),
                    Some("n-1"),
                    Some(ErrorCode::IdpError),
                ),
            ];
            for (name, token, nonce, expected) in cases {
                let outcome = check(&token, &key.jwks, nonce);
                assert_eq!(outcome.as_ref().err().map(Error::code), expected, "{name}");
                if let Ok(identity) = outcome {
                    assert_eq!(identity.sub, "doc-1", "{name}");
                    assert_eq!(identity.name.as_deref(), Some("王毅"), "{name}");
                }
            }
        }
    }
}
