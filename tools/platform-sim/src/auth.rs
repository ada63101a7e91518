//! Owns access-token checks for `/fhir`: bearer JWTs signed by the OpenID
//! issuer (RS256 or ES256), verified against the issuer's JWKS fetched over
//! HTTPS trusting only the demo CA; `iss`, `aud` and `exp` (30 s leeway) are
//! enforced. Also caches the issuer's discovery document for
//! `.well-known/smart-configuration` and the CapabilityStatement.
//!
//! The bearer middleware leaves a [`Caller`] in each request's extensions so
//! that handlers can restrict by role.
//!
//! Invariant: token contents are never logged; failures log a fixed reason.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tokio::sync::Mutex;

/// Why a token was refused (a fixed, PHI-free reason for logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// No `Authorization: Bearer` header.
    Missing,
    /// Not a JWT, or an algorithm other than RS256/ES256.
    Malformed,
    /// No JWKS key matches the token's `kid`.
    UnknownKey,
    /// The signature, issuer, audience or expiry check failed.
    Invalid,
    /// The issuer's keys could not be fetched.
    KeysUnavailable,
}

impl Rejection {
    /// A short reason for logs and the OperationOutcome.
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::Missing => "missing bearer token",
            Rejection::Malformed => "malformed token",
            Rejection::UnknownKey => "unknown signing key",
            Rejection::Invalid => "invalid token",
            Rejection::KeysUnavailable => "issuer keys unavailable",
        }
    }
}

/// Who sent a `/fhir` request, as the bearer middleware established it.
#[derive(Debug, Clone)]
pub enum Caller {
    /// The server runs with `--no-auth`: nobody is checked, everything is allowed.
    Unchecked,
    /// The claims of a verified access token.
    Verified(Arc<Value>),
}

impl Caller {
    /// Whether the caller holds any of `roles` in the token's `roles` claim
    /// (a JSON array of strings); always true with `--no-auth`.
    pub fn has_any_role(&self, roles: &[&str]) -> bool {
        match self {
            Caller::Unchecked => true,
            Caller::Verified(claims) => claims["roles"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .any(|role| roles.contains(&role)),
        }
    }
}

#[derive(Debug, Default)]
struct Cache {
    discovery: Option<Value>,
    keys: Vec<Jwk>,
    keys_fetched: Option<Instant>,
}

/// The issuer's client: discovery, JWKS cache, token verification.
#[derive(Debug)]
pub struct Issuer {
    issuer: String,
    audience: String,
    client: reqwest::Client,
    cache: Mutex<Cache>,
}

/// Minimum time between JWKS fetches triggered by unknown key ids.
const REFETCH_INTERVAL: Duration = Duration::from_secs(1);

impl Issuer {
    /// A client for `issuer` trusting only the CA certificate(s) in `ca_pem`.
    pub fn new(issuer: &str, audience: &str, ca_pem: &[u8]) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .https_only(true)
            .timeout(Duration::from_secs(10))
            .tls_built_in_root_certs(false);
        for cert in reqwest::Certificate::from_pem_bundle(ca_pem).context("parsing ca.pem")? {
            builder = builder.add_root_certificate(cert);
        }
        Ok(Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            client: builder.build()?,
            cache: Mutex::new(Cache::default()),
        })
    }

    /// The issuer URL as configured.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    async fn fetch_json(&self, url: &str) -> anyhow::Result<Value> {
        let response = self.client.get(url).send().await?.error_for_status()?;
        Ok(response.json().await?)
    }

    /// The OpenID discovery document, fetched once and cached.
    pub async fn discovery(&self) -> anyhow::Result<Value> {
        let mut cache = self.cache.lock().await;
        self.discovery_locked(&mut cache).await
    }

    async fn discovery_locked(&self, cache: &mut Cache) -> anyhow::Result<Value> {
        if let Some(doc) = &cache.discovery {
            return Ok(doc.clone());
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        );
        let doc = self.fetch_json(&url).await.context("fetching discovery")?;
        cache.discovery = Some(doc.clone());
        Ok(doc)
    }

    async fn refresh_keys(&self, cache: &mut Cache) -> anyhow::Result<()> {
        let doc = self.discovery_locked(cache).await?;
        let jwks_uri = doc["jwks_uri"]
            .as_str()
            .context("discovery has no jwks_uri")?
            .to_owned();
        cache.keys_fetched = Some(Instant::now());
        let jwks = self.fetch_json(&jwks_uri).await.context("fetching JWKS")?;
        // Keys are parsed one by one so that one unusual key (e.g. an
        // encryption key) does not hide the signing keys.
        cache.keys = jwks["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .collect();
        Ok(())
    }

    fn find_key<'a>(keys: &'a [Jwk], kid: Option<&str>) -> Option<&'a Jwk> {
        match kid {
            Some(kid) => keys
                .iter()
                .find(|k| k.common.key_id.as_deref() == Some(kid)),
            None if keys.len() == 1 => keys.first(),
            None => None,
        }
    }

    /// Verifies a bearer token; returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Value, Rejection> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::Malformed)?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(Rejection::Malformed);
        }
        let kid = header.kid.as_deref();
        let key = {
            let mut cache = self.cache.lock().await;
            let mut found = Self::find_key(&cache.keys, kid).cloned();
            let may_refetch = cache
                .keys_fetched
                .is_none_or(|t| t.elapsed() >= REFETCH_INTERVAL);
            if found.is_none() && may_refetch {
                if let Err(error) = self.refresh_keys(&mut cache).await {
                    tracing::warn!(error = %format!("{error:#}"), "cannot fetch issuer keys");
                    return Err(Rejection::KeysUnavailable);
                }
                found = Self::find_key(&cache.keys, kid).cloned();
            }
            found.ok_or(Rejection::UnknownKey)?
        };
        let decoding = DecodingKey::from_jwk(&key).map_err(|_| Rejection::UnknownKey)?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = 30;
        let trimmed = self.issuer.trim_end_matches('/');
        validation.set_issuer(&[self.issuer.as_str(), trimmed]);
        validation.set_audience(&[self.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        jsonwebtoken::decode::<Value>(token, &decoding, &validation)
            .map(|data| data.claims)
            .map_err(|_| Rejection::Invalid)
    }
}
