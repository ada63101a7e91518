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
    pub(crate) department: Option<String>,
    nonce: Option<String>,
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

pub(crate) struct Idp {
    http: reqwest::Client,
    issuer: Url,
    client_id: String,
    scope: String,
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

    /// Authorization code + PKCE (S256) in the browser, with a one-shot
    /// loopback listener on an ephemeral port as the redirect URI. Ends when
    /// the browser comes back, `cancel` fires, or the wait times out.
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
            code = wait_for_callback(&listener, &state) => code?,
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
            Some(id_token) => Some(self.verify_id_token(id_token, nonce).await?),
            None if kind == GrantKind::Refresh => None,
            None => return Err(Error::Idp("the login service sent no ID token".into())),
        };
        Ok(Grant {
            access_token: tokens.access_token,
            expires_at: started + Duration::from_secs(tokens.expires_in.unwrap_or(300)),
            refresh_token: tokens.refresh_token,
            identity,
        })
    }

    async fn verify_id_token(&self, id_token: &str, nonce: Option<&str>) -> Result<Identity> {
        use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, Validation};
        let bad =
            || Error::Idp("the login service sent an ID token that failed verification".into());
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
        let keys: JwkSet = self
            .get_json(self.discovery().await?.jwks_uri.clone())
            .await?;
        let jwk = match &header.kid {
            Some(kid) => keys.find(kid),
            None => keys.keys.first(),
        }
        .ok_or_else(bad)?;
        let key = DecodingKey::from_jwk(jwk).map_err(|_| bad())?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[
            self.issuer.as_str(),
            self.issuer.as_str().trim_end_matches('/'),
        ]);
        validation.set_audience(&[&self.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = CLOCK_LEEWAY_SECS;
        let data = jsonwebtoken::decode::<Identity>(id_token, &key, &validation).map_err(|e| {
            match e.kind() {
                ErrorKind::ExpiredSignature | ErrorKind::ImmatureSignature => Error::Idp(
                    "the login token's time does not match this workstation's clock; ask IT to check the time settings"
                        .into(),
                ),
                _ => bad(),
            }
        })?;
        let identity = data.claims;
        if let Some(expected) = nonce {
            if identity.nonce.as_deref() != Some(expected) {
                return Err(bad());
            }
        }
        if identity.roles.is_empty() {
            return Err(Error::Idp(
                "this account has no role that may use ChartGuard".into(),
            ));
        }
        Ok(identity)
    }
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
/// and returns its authorization code. Requests without our state (a stray
/// favicon fetch, another page) are answered and ignored.
async fn wait_for_callback(listener: &TcpListener, state: &str) -> Result<String> {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let Some(target) = read_request_target(&mut stream).await else {
            continue;
        };
        let Ok(url) = Url::parse("http://127.0.0.1").and_then(|base| base.join(&target)) else {
            respond(&mut stream, 400, CALLBACK_FAILED).await;
            continue;
        };
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        if url.path() != "/callback" || param("state").as_deref() != Some(state) {
            respond(&mut stream, 404, CALLBACK_FAILED).await;
            continue;
        }
        if let Some(code) = param("code") {
            respond(&mut stream, 200, CALLBACK_DONE).await;
            return Ok(code);
        }
        respond(&mut stream, 200, CALLBACK_FAILED).await;
        return Err(match param("error").as_deref() {
            Some("access_denied") => Error::LoginCancelled,
            _ => Error::Idp("the login service did not complete the login".into()),
        });
    }
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
    tokio::time::timeout(Duration::from_secs(10), read)
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
}
