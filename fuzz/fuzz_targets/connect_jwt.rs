//! Fuzz target `connect_jwt`: tether-jira's readers of the Connect JWTs Jira sends
//! (`connect_jwt_issuer`, `connect_jwt_header`, `verify_connect_jwt`,
//! `verify_connect_install_jwt`) on any token and request, with a fixed shared secret and a
//! fixed RSA key. The input is text:
//!
//! ```text
//! POST /connect/installed?a=1&b=2      the request: method, path, query
//! eyJhbGciOi...                        a token as it came, or
//! {"alg":"RS256","kid":"k1"}           a header and
//! {"iss":"jira:1","qsh":"$qsh",...}    claims the target signs (RS256 with the key when the
//!                                      header says RS256, else HS256 with the secret);
//!                                      `"$qsh"` becomes the request's query string hash
//! ```
//!
//! The same tokens go through `forge_token_kid` and `verify_forge_token` (the Forge Invocation
//! Tokens tether's Forge remote verifies), with the RSA key as Forge's JWKS would publish it.
//!
//! A verified token must be what it claims; a changed signature, another secret or another
//! key must refuse it; a token tether signs for a request must verify for that request.

#![no_main]

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use secrecy::SecretString;
use sha2::Sha256;
use tether_jira::{
    ForgeKey, ForgeTokenError, InstallKey, JwtError, connect_jwt, connect_jwt_header,
    connect_jwt_issuer, forge_app_ari, forge_token_kid, query_string_hash,
    verify_connect_install_jwt, verify_connect_jwt, verify_forge_token,
};

const NOW: i64 = 1_700_000_000;
const SECRET: &str = "fuzz-shared-secret";
const APP_BASE_URL: &str = "https://tether.example/jira";
/// The Forge app whose tokens the target verifies.
const FORGE_APP: &str = "8f7c2d0e-4c61-4b2f-9a3e-2d1f0c9b8a77";
/// 512-bit keys made for this target alone (`openssl genpkey -algorithm RSA -pkeyopt
/// rsa_keygen_bits:512`): weak on purpose, since signing every input with an instrumented
/// bignum library costs milliseconds per input at 1024 bits and more at 2048.
const PRIVATE_KEY: &str = include_str!("../keys/install-test-key.pem");
const OTHER_KEY: &str = include_str!("../keys/other-test-key.pem");

struct Keys {
    signing: SigningKey<Sha256>,
    public: InstallKey,
    other_public: InstallKey,
    forge: ForgeKey,
    other_forge: ForgeKey,
}

/// The key as a JWKS publishes it.
fn jwk(key: &RsaPrivateKey) -> ForgeKey {
    let b64 = |n: &rsa::BigUint| URL_SAFE_NO_PAD.encode(n.to_bytes_be());
    let public = key.to_public_key();
    let jwk = serde_json::json!({"kty": "RSA", "n": b64(public.n()), "e": b64(public.e())});
    ForgeKey::from_jwk(&jwk).expect("an RSA JWK")
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let private = RsaPrivateKey::from_pkcs8_pem(PRIVATE_KEY).expect("the fixture key");
        let other = RsaPrivateKey::from_pkcs8_pem(OTHER_KEY).expect("the other fixture key");
        let pem =
            |k: &RsaPrivateKey| k.to_public_key().to_public_key_pem(LineEnding::LF).expect("PEM");
        Keys {
            public: InstallKey::from_pem(&pem(&private)).expect("an SPKI key"),
            other_public: InstallKey::from_pem(&pem(&other)).expect("an SPKI key"),
            forge: jwk(&private),
            other_forge: jwk(&other),
            signing: SigningKey::new(private),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.split('\n');
    let request = lines.next().unwrap_or_default();
    let (method, target) = request.split_once(' ').unwrap_or((request, "/"));
    let (path, query_text) = target.split_once('?').unwrap_or((target, ""));
    let query: Vec<(String, String)> =
        form_urlencoded::parse(query_text.as_bytes()).into_owned().collect();

    let second = lines.next().unwrap_or_default();
    let token = if second.starts_with('{') {
        let claims = lines.next().unwrap_or_default();
        let claims =
            claims.replace("\"$qsh\"", &format!("{:?}", query_string_hash(method, path, &query)));
        sign(second, &claims)
    } else {
        second.to_owned()
    };
    check_token(&token, method, path, &query);

    // What tether signs for a request verifies for that same request, whatever it is.
    let secret = SecretString::from(SECRET.to_owned());
    let ours = connect_jwt("fuzz-app", &secret, method, path, &query, NOW);
    let verified = verify_connect_jwt(&ours, &secret, method, path, &query, NOW, false);
    assert!(verified.is_ok(), "{method:?} {path:?} {query:?}: {verified:?}");
});

fn sign(header: &str, claims: &str) -> String {
    let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
    let signature = if header.contains("RS256") {
        keys().signing.sign(input.as_bytes()).to_vec()
    } else {
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
        mac.update(input.as_bytes());
        mac.finalize().into_bytes().to_vec()
    };
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn check_token(token: &str, method: &str, path: &str, query: &[(String, String)]) {
    let issuer = connect_jwt_issuer(token);
    let header = connect_jwt_header(token);
    let secret = SecretString::from(SECRET.to_owned());
    let keys = keys();

    let strict = verify_connect_jwt(token, &secret, method, path, query, NOW, false);
    let lenient = verify_connect_jwt(token, &secret, method, path, query, NOW, true);
    if let Ok(claims) = &strict {
        assert_eq!(lenient.as_ref(), Ok(claims), "allowing context tokens refused a request token");
    }
    for claims in [&strict, &lenient].into_iter().flatten() {
        assert_eq!(issuer.as_deref(), Ok(claims.iss.as_str()));
        assert_eq!(header.as_ref().map(|h| h.alg.as_str()), Ok("HS256"));
        let other = SecretString::from(format!("{SECRET}-other"));
        let refused = verify_connect_jwt(token, &other, method, path, query, NOW, true);
        assert_eq!(refused, Err(JwtError::BadSignature), "verified under another secret");
        assert!(
            verify_connect_jwt(&tampered(token), &secret, method, path, query, NOW, true).is_err()
        );
        // The `jwt` query parameter is left out of the hash.
        let mut with_jwt = query.to_vec();
        with_jwt.push(("jwt".to_owned(), token.to_owned()));
        let again = verify_connect_jwt(token, &secret, method, path, &with_jwt, NOW, true);
        assert_eq!(again.as_ref(), Ok(claims), "the jwt parameter changed the answer");
    }

    let install =
        verify_connect_install_jwt(token, &keys.public, method, path, query, NOW, APP_BASE_URL);
    if let Ok(claims) = &install {
        assert_eq!(issuer.as_deref(), Ok(claims.iss.as_str()));
        let header = header.as_ref().expect("a verified token has a header");
        assert_eq!((header.alg.as_str(), header.kid.is_some()), ("RS256", true));
        assert!(!claims.is_context(), "a context token verified as an install callback");
        assert!(
            claims.aud.iter().any(|a| a.trim_end_matches('/') == APP_BASE_URL),
            "{:?}",
            claims.aud
        );
        let other = verify_connect_install_jwt(
            token,
            &keys.other_public,
            method,
            path,
            query,
            NOW,
            APP_BASE_URL,
        );
        assert!(
            matches!(other, Err(JwtError::BadKeySignature { .. })),
            "verified under another key"
        );
        let changed = verify_connect_install_jwt(
            &tampered(token),
            &keys.public,
            method,
            path,
            query,
            NOW,
            APP_BASE_URL,
        );
        assert!(changed.is_err(), "a changed signature verified");
    }
    if let Err(e) = &install {
        assert!(!e.to_string().is_empty());
    }

    let kid = forge_token_kid(token);
    let forge = verify_forge_token(token, &keys.forge, FORGE_APP, NOW);
    if let Ok(invocation) = &forge {
        assert!(kid.is_ok(), "a verified Forge token names its key: {kid:?}");
        assert_eq!(forge_app_ari(&invocation.app_id), forge_app_ari(FORGE_APP));
        let other = verify_forge_token(token, &keys.other_forge, FORGE_APP, NOW);
        assert!(
            matches!(other, Err(ForgeTokenError::BadSignature(_))),
            "verified under another key: {other:?}"
        );
        assert!(verify_forge_token(&tampered(token), &keys.forge, FORGE_APP, NOW).is_err());
        let elsewhere = verify_forge_token(token, &keys.forge, "another-app", NOW);
        assert!(elsewhere.is_err(), "verified for another app");
    }
    if let Err(e) = &forge {
        assert!(!e.to_string().is_empty());
    }
}

/// The token with one signature character changed.
fn tampered(token: &str) -> String {
    let mut out = token.trim().to_owned();
    match out.pop() {
        Some('A') => out.push('B'),
        Some(_) => out.push('A'),
        None => {}
    }
    out
}
