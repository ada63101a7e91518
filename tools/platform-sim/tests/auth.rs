//! Bearer-token checks against a real (in-test) HTTPS OpenID issuer.

use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};

use crate::support::{self, ec_key, now, sign, start_issuer, AUDIENCE, RSA_KEY, RSA_N};

#[tokio::test]
async fn tokens_are_checked_for_signature_issuer_audience_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let ec = ec_key("ec-1");
    let rogue = ec_key("ec-1");
    let rsa = EncodingKey::from_rsa_pem(RSA_KEY.as_bytes()).unwrap();
    let rsa_jwk = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "rsa-1", "e": "AQAB", "n": RSA_N.trim()});
    // An encryption key the verifier must skip without failing.
    let enc_jwk = json!({"kty": "RSA", "use": "enc", "alg": "RSA-OAEP", "kid": "enc-1", "e": "AQAB", "n": RSA_N.trim()});
    let (issuer, issuer_handle) =
        start_issuer(dir.path(), vec![ec.jwk.clone(), rsa_jwk, enc_jwk]).await;
    let sim = support::start_in(dir, |o| {
        o.no_auth = false;
        o.issuer = Some(issuer.clone());
        o.patients = 2;
    })
    .await;

    let claims = |iss: &str, aud: Value, exp: i64| json!({"iss": iss, "aud": aud, "sub": "doctor-1", "exp": exp, "iat": now()});
    let good = claims(&issuer, json!(AUDIENCE), now() + 300);
    let hs_key = EncodingKey::from_secret(b"secret");
    let cases: Vec<(&str, Option<String>, u16)> = vec![
        ("no token", None, 401),
        (
            "valid ES256",
            Some(sign(Algorithm::ES256, "ec-1", &ec.encoding, &good)),
            200,
        ),
        (
            "valid RS256",
            Some(sign(Algorithm::RS256, "rsa-1", &rsa, &good)),
            200,
        ),
        (
            "aud as array",
            Some(sign(
                Algorithm::ES256,
                "ec-1",
                &ec.encoding,
                &claims(&issuer, json!(["other", AUDIENCE]), now() + 300),
            )),
            200,
        ),
        (
            "within leeway",
            Some(sign(
                Algorithm::ES256,
                "ec-1",
                &ec.encoding,
                &claims(&issuer, json!(AUDIENCE), now() - 10),
            )),
            200,
        ),
        (
            "wrong key, same kid",
            Some(sign(Algorithm::ES256, "ec-1", &rogue.encoding, &good)),
            401,
        ),
        (
            "unknown kid",
            Some(sign(Algorithm::ES256, "ec-9", &rogue.encoding, &good)),
            401,
        ),
        (
            "wrong audience",
            Some(sign(
                Algorithm::ES256,
                "ec-1",
                &ec.encoding,
                &claims(&issuer, json!("urn:other"), now() + 300),
            )),
            401,
        ),
        (
            "wrong issuer",
            Some(sign(
                Algorithm::ES256,
                "ec-1",
                &ec.encoding,
                &claims("https://evil.example", json!(AUDIENCE), now() + 300),
            )),
            401,
        ),
        (
            "expired",
            Some(sign(
                Algorithm::ES256,
                "ec-1",
                &ec.encoding,
                &claims(&issuer, json!(AUDIENCE), now() - 120),
            )),
            401,
        ),
        (
            "HS256",
            Some(sign(Algorithm::HS256, "ec-1", &hs_key, &good)),
            401,
        ),
        ("garbage", Some("not.a.jwt".to_owned()), 401),
    ];
    for (name, token, expected) in cases {
        let mut request = sim.client.get(format!("{}/Patient/cn-0001", sim.base));
        if let Some(token) = &token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), expected, "{name}");
        if expected == 401 {
            let challenge = response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(challenge.starts_with("Bearer"), "{name}");
            if token.is_some() {
                assert!(challenge.contains("error=\"invalid_token\""), "{name}");
            }
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["resourceType"], "OperationOutcome", "{name}");
        }
    }

    // Public endpoints need no token and advertise the issuer.
    let metadata = sim.get_json("metadata").await;
    let uris = &metadata["rest"][0]["security"]["extension"][0]["extension"];
    assert!(uris
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["valueUri"] == format!("{issuer}/token")));
    let smart = sim.get_json(".well-known/smart-configuration").await;
    assert_eq!(smart["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(smart["code_challenge_methods_supported"], json!(["S256"]));
    sim.stop().await;
    issuer_handle.shutdown();
}
