//! Forge Invocation Tokens signed as Forge signs them, and every way one is refused.

use std::sync::OnceLock;

use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use rsa::traits::PublicKeyParts;
use serde_json::json;

use super::*;

const NOW: i64 = 1_780_000_000;
const APP: &str = "ari:cloud:ecosystem::app/8f7c2d0e-4c61-4b2f-9a3e-2d1f0c9b8a77";

fn keys() -> &'static (RsaPrivateKey, RsaPrivateKey) {
    static KEYS: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rand::thread_rng();
        (RsaPrivateKey::new(&mut rng, 2048).unwrap(), RsaPrivateKey::new(&mut rng, 2048).unwrap())
    })
}

/// The public half as a JWK, the way a JWKS lists it.
fn jwk(key: &RsaPrivateKey, kid: &str) -> Value {
    let b64 = |n: &BigUint| URL_SAFE_NO_PAD.encode(n.to_bytes_be());
    json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
        "n": b64(key.n()), "e": b64(key.e())})
}

fn sign(header: &Value, claims: &Value, key: &RsaPrivateKey) -> String {
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let input = format!("{}.{}", b64(header), b64(claims));
    let sig = SigningKey::<Sha256>::new(key.clone())
        .sign_with_rng(&mut rand::thread_rng(), input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

fn header() -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": "forge-key-1"})
}

/// An invocation of tether's lifecycle endpoint, as Forge would send it at NOW.
fn claims() -> Value {
    json!({
        "iss": "forge/invocation-token",
        "aud": APP,
        "iat": NOW, "nbf": NOW, "exp": NOW + 300,
        "jti": "b4d9",
        "app": {
            "id": APP,
            "installationId": "ari:cloud:ecosystem::installation/5e1f",
            "apiBaseUrl": "https://api.atlassian.com/ex/jira/5a4db0c5-0001",
            "environment": {"type": "PRODUCTION", "id": "ari:cloud:ecosystem::environment/x"},
            "module": {"type": "core:endpoint", "key": "tether-lifecycle"}
        },
        "context": {"cloudId": "5a4db0c5-0001", "moduleKey": "tether-lifecycle"},
        "principal": "5b10ac8d82e05b22cc7d4ef5"
    })
}

fn with(mut v: Value, pointer: &str, new: Value) -> Value {
    *v.pointer_mut(pointer).expect("present") = new;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

fn check(token: &str) -> Result<ForgeInvocation, ForgeTokenError> {
    let key = ForgeKey::from_jwk(&jwk(&keys().0, "forge-key-1")).expect("an RSA JWK");
    verify_forge_token(token, &key, APP, NOW)
}

#[test]
fn a_token_forge_signed_is_read() {
    let inv = check(&sign(&header(), &claims(), &keys().0)).expect("valid");
    assert_eq!(inv.app_id, APP);
    assert_eq!(inv.installation_id, "ari:cloud:ecosystem::installation/5e1f");
    assert_eq!(inv.cloud_id.as_deref(), Some("5a4db0c5-0001"));
    assert_eq!(inv.module_key.as_deref(), Some("tether-lifecycle"));
    assert_eq!(inv.environment.as_deref(), Some("PRODUCTION"));
    // The bare uuid names the same app.
    let key = ForgeKey::from_jwk(&jwk(&keys().0, "k")).unwrap();
    let bare = APP.trim_start_matches(FORGE_APP_ARI_PREFIX);
    assert!(verify_forge_token(&sign(&header(), &claims(), &keys().0), &key, bare, NOW).is_ok());
    // Without context, the cloudId comes from apiBaseUrl.
    let inv = check(&sign(&header(), &without(claims(), "context"), &keys().0)).unwrap();
    assert_eq!(inv.cloud_id.as_deref(), Some("5a4db0c5-0001"));
}

/// Whether a refusal is the one a case expects.
type Expect = fn(&ForgeTokenError) -> bool;

#[test]
fn tokens_forge_did_not_sign_for_this_app_now_are_refused() {
    let (good, other) = keys();
    let other_app = "ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000";
    let cases: Vec<(&str, String, Expect)> = vec![
        ("another key", sign(&header(), &claims(), other), |e| {
            matches!(e, ForgeTokenError::BadSignature(_))
        }),
        ("hs256", sign(&with(header(), "/alg", json!("HS256")), &claims(), good), |e| {
            matches!(e, ForgeTokenError::UnsupportedAlgorithm(_))
        }),
        ("alg none", sign(&with(header(), "/alg", json!("none")), &claims(), good), |e| {
            matches!(e, ForgeTokenError::UnsupportedAlgorithm(_))
        }),
        ("no kid", sign(&without(header(), "kid"), &claims(), good), |e| {
            matches!(e, ForgeTokenError::MissingKeyId)
        }),
        ("issuer", sign(&header(), &with(claims(), "/iss", json!("connect")), good), |e| {
            matches!(e, ForgeTokenError::WrongIssuer(_))
        }),
        ("audience", sign(&header(), &with(claims(), "/aud", json!(other_app)), good), |e| {
            matches!(e, ForgeTokenError::WrongAudience { .. })
        }),
        ("app id", sign(&header(), &with(claims(), "/app/id", json!(other_app)), good), |e| {
            matches!(e, ForgeTokenError::AppMismatch { .. })
        }),
        ("expired", sign(&header(), &with(claims(), "/exp", json!(NOW - 31)), good), |e| {
            matches!(e, ForgeTokenError::Expired { .. })
        }),
        ("early", sign(&header(), &with(claims(), "/nbf", json!(NOW + 31)), good), |e| {
            matches!(e, ForgeTokenError::NotYetValid { .. })
        }),
        ("no installation", sign(&header(), &without(claims(), "app"), good), |e| {
            matches!(e, ForgeTokenError::MissingClaim("app.id"))
        }),
        ("two parts", "a.b".to_owned(), |e| matches!(e, ForgeTokenError::Malformed(_))),
        ("not json", "e30.bm90IGpzb24.c2ln".to_owned(), |e| {
            matches!(e, ForgeTokenError::Malformed(_))
        }),
    ];
    for (name, token, want) in cases {
        let got = check(&token).expect_err(name);
        assert!(want(&got), "{name}: {got:?}");
    }
    // Within the leeway is fine.
    assert!(check(&sign(&header(), &with(claims(), "/exp", json!(NOW - 29)), good)).is_ok());
}

#[test]
fn jwks_keys_that_are_not_rsa_are_skipped() {
    assert!(
        ForgeKey::from_jwk(&json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"})).is_none()
    );
    assert!(ForgeKey::from_jwk(&json!({"kty": "RSA", "n": "not base64!"})).is_none());
    assert!(ForgeKey::from_jwk(&jwk(&keys().1, "k2")).is_some());
}

#[test]
fn app_ids_are_compared_as_aris() {
    let cases = [
        ("8f7c2d0e", "ari:cloud:ecosystem::app/8f7c2d0e"),
        (" ari:cloud:ecosystem::app/8f7c2d0e ", "ari:cloud:ecosystem::app/8f7c2d0e"),
    ];
    for (input, want) in cases {
        assert_eq!(forge_app_ari(input), want, "{input}");
    }
}
