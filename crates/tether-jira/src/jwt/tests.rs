//! Unit tests of Connect JWT verification: one refusal a line, and a token made outside Rust.

use serde_json::json;

use super::*;

const NOW: i64 = 1_700_000_000;
const SECRET: &str = "shh-secret";

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
}

/// A token with any header and claims, HMAC-SHA256-signed under `key`.
fn token(header: Value, claims: Value, key: &str) -> String {
    let input = format!("{}.{}", b64(&header), b64(&claims));
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

fn hs256() -> Value {
    json!({"alg": "HS256", "typ": "JWT"})
}

fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
    q.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// Claims for `GET /flags?issueKey=DEMO-1`, valid at NOW.
fn claims() -> Value {
    let query = pairs(&[("issueKey", "DEMO-1")]);
    json!({
        "iss": "jira:42",
        "sub": "557058:abc",
        "iat": NOW,
        "exp": NOW + 180,
        "qsh": query_string_hash("GET", "/flags", &query),
        "aud": "https://tether.example",
        "context": {"user": {"accountId": "557058:abc"}},
    })
}

fn with(mut claims: Value, key: &str, v: Value) -> Value {
    if v.is_null() {
        claims.as_object_mut().unwrap().remove(key);
    } else {
        claims[key] = v;
    }
    claims
}

/// Verifies against `GET /flags?issueKey=DEMO-1` at NOW, context tokens refused.
fn check(token: &str) -> Result<ConnectClaims, JwtError> {
    let query = pairs(&[("issueKey", "DEMO-1"), ("jwt", token)]);
    verify_connect_jwt(token, &secret(SECRET), "GET", "/flags", &query, NOW, false)
}

#[test]
fn a_valid_token_gives_its_claims() {
    let got = check(&token(hs256(), claims(), SECRET)).unwrap();
    assert_eq!(got.iss, "jira:42");
    assert_eq!(got.sub.as_deref(), Some("557058:abc"));
    assert_eq!((got.iat, got.exp), (Some(NOW), NOW + 180));
    assert_eq!(got.aud, vec!["https://tether.example".to_owned()]);
    assert_eq!(got.all["context"]["user"]["accountId"], "557058:abc");
    assert!(!got.is_context());
    // The user details in `context` stay out of Debug.
    assert!(!format!("{got:?}").contains("accountId"), "{got:?}");
}

#[test]
fn refusals_name_what_is_wrong() {
    let good = token(hs256(), claims(), SECRET);
    let (h, c, s) = split(&good).unwrap();
    let flipped_sig = format!("{h}.{c}.{}{}", if s.starts_with('A') { "B" } else { "A" }, &s[1..]);
    let other_claims = format!("{h}.{}.{s}", b64(&with(claims(), "iss", json!("jira:666"))));
    let unsigned = |alg: &str| format!("{}.{c}.", b64(&json!({"alg": alg, "typ": "JWT"})));
    let signed_with = |alg: Value| token(json!({"alg": alg}), claims(), SECRET);
    let claims_with = |k: &str, v: Value| token(hs256(), with(claims(), k, v), SECRET);
    let malformed = |what| Err(JwtError::Malformed(what));
    let cases: Vec<(&str, String, Result<(), JwtError>)> = vec![
        ("valid", good.clone(), Ok(())),
        ("padding added after signing", format!("{h}==.{c}.{s}"), Err(JwtError::BadSignature)),
        ("signature altered", flipped_sig, Err(JwtError::BadSignature)),
        ("claims altered", other_claims, Err(JwtError::BadSignature)),
        ("wrong secret", token(hs256(), claims(), "other-secret"), Err(JwtError::BadSignature)),
        ("empty signature", format!("{h}.{c}."), Err(JwtError::BadSignature)),
        (
            "alg none",
            unsigned("none"),
            Err(JwtError::UnsupportedAlgorithm { alg: "none".into(), expected: "HS256" }),
        ),
        (
            "alg None",
            unsigned("None"),
            Err(JwtError::UnsupportedAlgorithm { alg: "None".into(), expected: "HS256" }),
        ),
        (
            "alg hs256 lower-case",
            signed_with(json!("hs256")),
            Err(JwtError::UnsupportedAlgorithm { alg: "hs256".into(), expected: "HS256" }),
        ),
        (
            "alg HS512",
            signed_with(json!("HS512")),
            Err(JwtError::UnsupportedAlgorithm { alg: "HS512".into(), expected: "HS256" }),
        ),
        (
            "alg RS256",
            signed_with(json!("RS256")),
            Err(JwtError::UnsupportedAlgorithm { alg: "RS256".into(), expected: "HS256" }),
        ),
        ("no alg", signed_with(Value::Null), malformed("the header has no \"alg\"")),
        (
            // exp = i64::MAX overflowed `exp + leeway` in a debug build (a panic, not a 401).
            "exp_at_i64_max_does_not_overflow",
            claims_with("exp", json!(i64::MAX)),
            Ok(()),
        ),
        (
            // iat = i64::MIN overflowed `iat - leeway`.
            "iat_at_i64_min_does_not_overflow",
            claims_with("iat", json!(i64::MIN)),
            Ok(()),
        ),
        (
            "expired beyond leeway",
            claims_with("exp", json!(NOW - 31)),
            Err(JwtError::Expired { exp: NOW - 31, now: NOW }),
        ),
        ("expired within leeway", claims_with("exp", json!(NOW - 30)), Ok(())),
        ("exp as a fraction", claims_with("exp", json!((NOW + 10) as f64 + 0.5)), Ok(())),
        (
            "issued in the future",
            claims_with("iat", json!(NOW + 31)),
            Err(JwtError::NotYetValid { not_before: NOW + 31, now: NOW }),
        ),
        ("issued a little ahead", claims_with("iat", json!(NOW + 30)), Ok(())),
        (
            "not before later",
            claims_with("nbf", json!(NOW + 120)),
            Err(JwtError::NotYetValid { not_before: NOW + 120, now: NOW }),
        ),
        ("no exp", claims_with("exp", Value::Null), Err(JwtError::MissingClaim("exp"))),
        ("exp as text", claims_with("exp", json!("soon")), Err(JwtError::MissingClaim("exp"))),
        ("no iss", claims_with("iss", Value::Null), Err(JwtError::MissingClaim("iss"))),
        ("no qsh", claims_with("qsh", Value::Null), Err(JwtError::MissingClaim("qsh"))),
        (
            "qsh of another method",
            claims_with(
                "qsh",
                json!(query_string_hash("POST", "/flags", &pairs(&[("issueKey", "DEMO-1")]))),
            ),
            Err(JwtError::QshMismatch),
        ),
        (
            "qsh of another query",
            claims_with(
                "qsh",
                json!(query_string_hash("GET", "/flags", &pairs(&[("issueKey", "DEMO-2")]))),
            ),
            Err(JwtError::QshMismatch),
        ),
        (
            "qsh with the context path left in",
            claims_with(
                "qsh",
                json!(query_string_hash("GET", "/jira/flags", &pairs(&[("issueKey", "DEMO-1")]))),
            ),
            Err(JwtError::QshMismatch),
        ),
        (
            "context qsh",
            claims_with("qsh", json!("context-qsh")),
            Err(JwtError::ContextQshNotAllowed),
        ),
        ("one part", "abc".into(), malformed("a JWT has three parts separated by dots")),
        ("two parts", format!("{h}.{c}"), malformed("a JWT has three parts separated by dots")),
        ("four parts", format!("{good}.x"), malformed("a JWT has three parts separated by dots")),
        ("empty", String::new(), malformed("a JWT has three parts separated by dots")),
        (
            "header not base64",
            format!("!!.{c}.{s}"),
            malformed("the header is not base64url-encoded JSON"),
        ),
        (
            "header not an object",
            format!("{}.{c}.{s}", b64(&json!(["HS256"]))),
            malformed("the header is not base64url-encoded JSON"),
        ),
        (
            "signature not base64",
            format!("{h}.{c}.***"),
            malformed("the signature is not base64url"),
        ),
        (
            "claims not JSON, but signed",
            {
                let input = format!("{h}.{}", URL_SAFE_NO_PAD.encode(b"not json"));
                let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
                mac.update(input.as_bytes());
                format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
            },
            malformed("the claims are not base64url-encoded JSON"),
        ),
    ];
    for (name, token, want) in cases {
        assert_eq!(check(&token).map(|_| ()), want, "{name}");
    }
}

#[test]
fn context_tokens_pass_only_where_allowed() {
    let t = token(hs256(), with(claims(), "qsh", json!(CONTEXT_QSH)), SECRET);
    let verify = |allow| verify_connect_jwt(&t, &secret(SECRET), "POST", "/any", &[], NOW, allow);
    assert_eq!(verify(false).unwrap_err(), JwtError::ContextQshNotAllowed);
    assert!(verify(true).unwrap().is_context());
    // Allowing context tokens does not loosen the check of request-bound ones.
    let bound = token(hs256(), claims(), SECRET);
    let err = verify_connect_jwt(&bound, &secret(SECRET), "POST", "/any", &[], NOW, true);
    assert_eq!(err.unwrap_err(), JwtError::QshMismatch);
}

#[test]
fn a_token_made_with_openssl_verifies() {
    // Made outside Rust for `POST /installed` under the secret `shh-secret`:
    //   qsh = printf '%s' 'POST&/installed&' | sha256sum
    //   sig = printf '%s' "$H.$C" | openssl dgst -sha256 -hmac shh-secret -binary | base64url
    let t = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJqaXJhOjQyIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDAxODAsInFzaCI6IjRhMmUxZGU4Y2E3NGU2Y2FmZTg4NjJkMzMyZmEzYWM3YThlNTFlNjkyYmM2ZDc5OGVhNGRmZWRjMTQ5NDhiZjQifQ.BaM8tVv3wzbeVAjwP1omqic3IZUlctbNR1yhi7jVnTE";
    assert_eq!(connect_jwt_issuer(t).unwrap(), "jira:42");
    let claims = verify_connect_jwt(t, &secret(SECRET), "post", "/installed", &[], NOW, false);
    assert_eq!(
        claims.unwrap().qsh,
        "4a2e1de8ca74e6cafe8862d332fa3ac7a8e51e692bc6d798ea4dfedc14948bf4"
    );
    let wrong = verify_connect_jwt(t, &secret("shh-secreT"), "POST", "/installed", &[], NOW, false);
    assert_eq!(wrong.unwrap_err(), JwtError::BadSignature);
}

#[test]
fn tokens_from_connect_jwt_verify() {
    // What this crate signs for Jira, Jira's side would verify the same way.
    let query = pairs(&[("fields", "summary,status"), ("jql", "project = \"A B\"")]);
    let t =
        crate::connect_jwt("tether", &secret(SECRET), "GET", "/rest/api/3/search/jql", &query, NOW);
    let got = verify_connect_jwt(
        &t,
        &secret(SECRET),
        "GET",
        "/rest/api/3/search/jql",
        &query,
        NOW + 60,
        false,
    );
    assert_eq!(got.unwrap().iss, "tether");
}

#[test]
fn the_issuer_is_read_without_verifying() {
    let cases: Vec<(String, Result<String, JwtError>)> = vec![
        (token(hs256(), claims(), "any secret at all"), Ok("jira:42".into())),
        (
            token(hs256(), with(claims(), "iss", Value::Null), SECRET),
            Err(JwtError::MissingClaim("iss")),
        ),
        (
            token(hs256(), with(claims(), "iss", json!(7)), SECRET),
            Err(JwtError::MissingClaim("iss")),
        ),
        ("x.y".into(), Err(JwtError::Malformed("a JWT has three parts separated by dots"))),
        ("e30.!!.x".into(), Err(JwtError::Malformed("the claims are not base64url-encoded JSON"))),
    ];
    for (t, want) in cases {
        assert_eq!(connect_jwt_issuer(&t), want, "{t}");
    }
}

#[test]
fn messages_say_what_to_do() {
    let cases: &[(JwtError, &str)] = &[
        (JwtError::BadSignature, "new one on every reinstall"),
        (JwtError::Expired { exp: 10, now: 100 }, "expired at 10 (now 100, 30s of leeway)"),
        (JwtError::NotYetValid { not_before: 200, now: 100 }, "clock is ahead"),
        (
            JwtError::UnsupportedAlgorithm { alg: "none".into(), expected: "HS256" },
            "\"none\"; only HS256",
        ),
        (JwtError::QshMismatch, "context path"),
        (JwtError::ContextQshNotAllowed, "bound to the request"),
        (JwtError::MissingClaim("qsh"), "no \"qsh\" claim"),
    ];
    for (err, part) in cases {
        assert!(err.to_string().contains(part), "{err}");
    }
}

mod install {
    //! RS256 install and uninstall callbacks, signed as Atlassian signs them.

    use std::sync::OnceLock;

    use rsa::RsaPrivateKey;
    use rsa::pkcs1v15::SigningKey;
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    use rsa::signature::{RandomizedSigner, SignatureEncoding};

    use super::*;

    const APP: &str = "https://tether.example";

    fn keys() -> &'static (RsaPrivateKey, RsaPrivateKey) {
        static KEYS: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
        KEYS.get_or_init(|| {
            let mut rng = rand::thread_rng();
            (
                RsaPrivateKey::new(&mut rng, 2048).unwrap(),
                RsaPrivateKey::new(&mut rng, 2048).unwrap(),
            )
        })
    }

    fn public(key: &RsaPrivateKey) -> InstallKey {
        let pem = key.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
        InstallKey::from_pem(&pem).expect("an SPKI PEM")
    }

    fn rs256(header: Value, claims: Value, key: &RsaPrivateKey) -> String {
        let input = format!("{}.{}", b64(&header), b64(&claims));
        let signer = SigningKey::<Sha256>::new(key.clone());
        let sig = signer.sign_with_rng(&mut rand::thread_rng(), input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    /// Claims of `POST /connect/installed` for APP, valid at NOW.
    fn install_claims() -> Value {
        json!({
            "iss": "jira:42",
            "iat": NOW,
            "exp": NOW + 180,
            "qsh": query_string_hash("POST", "/connect/installed", &[]),
            "aud": APP,
        })
    }

    fn with_claim(claims: Value, key: &str, v: Value) -> Value {
        with(claims, key, v)
    }

    fn header() -> Value {
        json!({"alg": "RS256", "typ": "JWT", "kid": "0e50fccb-239d-41ac-8ad8-a6dfa9f9b42d"})
    }

    fn check(token: &str) -> Result<(), JwtError> {
        let key = public(&keys().0);
        verify_connect_install_jwt(token, &key, "POST", "/connect/installed", &[], NOW, APP)
            .map(|c| assert_eq!(c.iss, "jira:42"))
    }

    #[test]
    fn install_callbacks_are_checked_against_atlassians_published_key() {
        let (ours, other) = keys();
        let kid = "0e50fccb-239d-41ac-8ad8-a6dfa9f9b42d".to_owned();
        let with = |k: &str, v: Value| with_claim(install_claims(), k, v);
        let cases: Vec<(&str, String, Result<(), JwtError>)> = vec![
            ("valid", rs256(header(), install_claims(), ours), Ok(())),
            (
                "aud with a trailing slash",
                rs256(header(), with("aud", json!([format!("{APP}/")])), ours),
                Ok(()),
            ),
            (
                // A forged install signed with a key of the attacker's choosing.
                "signed_with_another_key_is_refused",
                rs256(header(), install_claims(), other),
                Err(JwtError::BadKeySignature { kid: kid.clone() }),
            ),
            (
                // The takeover: HS256 under a shared secret the attacker put in the payload.
                "hs256_self_signed_install_is_refused",
                token(hs256(), install_claims(), "attacker-secret"),
                Err(JwtError::UnsupportedAlgorithm { alg: "HS256".into(), expected: "RS256" }),
            ),
            (
                "no kid",
                rs256(json!({"alg": "RS256", "typ": "JWT"}), install_claims(), ours),
                Err(JwtError::MissingKeyId),
            ),
            (
                "audience of another app",
                rs256(header(), with("aud", json!("https://evil.example")), ours),
                Err(JwtError::WrongAudience {
                    found: vec!["https://evil.example".into()],
                    expected: APP.into(),
                }),
            ),
            (
                "no audience",
                rs256(header(), with("aud", Value::Null), ours),
                Err(JwtError::WrongAudience { found: vec![], expected: APP.into() }),
            ),
            (
                "qsh of another request",
                rs256(
                    header(),
                    with("qsh", json!(query_string_hash("POST", "/connect/uninstalled", &[]))),
                    ours,
                ),
                Err(JwtError::QshMismatch),
            ),
            (
                "context qsh",
                rs256(header(), with("qsh", json!(CONTEXT_QSH)), ours),
                Err(JwtError::ContextQshNotAllowed),
            ),
            (
                "expired",
                rs256(header(), with("exp", json!(NOW - 31)), ours),
                Err(JwtError::Expired { exp: NOW - 31, now: NOW }),
            ),
            (
                "claims altered after signing",
                {
                    let t = rs256(header(), install_claims(), ours);
                    let parts: Vec<&str> = t.split('.').collect();
                    format!("{}.{}.{}", parts[0], b64(&with("iss", json!("jira:99"))), parts[2])
                },
                Err(JwtError::BadKeySignature { kid: kid.clone() }),
            ),
        ];
        for (name, t, want) in cases {
            assert_eq!(check(&t), want, "{name}");
        }
        let h = connect_jwt_header(&rs256(header(), install_claims(), ours)).unwrap();
        assert_eq!((h.alg.as_str(), h.kid.as_deref()), ("RS256", Some(kid.as_str())));
    }

    #[test]
    fn install_keys_read_spki_and_pkcs1_pem_and_refuse_the_rest() {
        use rsa::pkcs1::EncodeRsaPublicKey;
        let key = keys().0.to_public_key();
        let spki = key.to_public_key_pem(LineEnding::LF).unwrap();
        let pkcs1 = key.to_pkcs1_pem(LineEnding::LF).unwrap();
        assert!(InstallKey::from_pem(&spki).is_some());
        assert!(InstallKey::from_pem(&format!("\n{pkcs1}\n")).is_some());
        assert!(InstallKey::from_pem("not a key").is_none());
        assert!(InstallKey::from_pem("").is_none());
        assert_eq!(format!("{:?}", InstallKey::from_pem(&spki).unwrap()), "InstallKey(RSA)");
    }
}
