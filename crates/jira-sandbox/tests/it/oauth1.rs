//! OAuth 1.0a (Data Center application links): the three-legged dance and RSA-SHA1 signed
//! requests, signed here by a small client written from RFC 5849.

use base64::Engine;
use jira_sandbox::{Flavour, OAuth1ConsumerSpec, SandboxConfig};
use reqwest::{Method, StatusCode};
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha1::Sha1;

use crate::support::{self, Server};

/// A 2048-bit key made for this test only (`openssl genpkey -algorithm RSA`).
const PRIVATE_KEY: &str = concat!(
    "-----BEGIN PRIVATE KEY-----\n",
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCo0BfGTloybaIa\n",
    "QoDCOAgPHD+TNlmoOetLX/n9j4VFrNPonAi9gHi5iNvWN1/HcsWX2dhJI9Ib0jSO\n",
    "SRMkXYJh12llZVYIZSdwgBo8WWoa4DKuNoyW5aJWd3litnVE9d79LuMFJGyEzWe8\n",
    "cv3RrCovWFXzXBka3QNkkQP5uAqJaiKJyj4ZUvf7841ogETC1tefAbBmU5k0Us5q\n",
    "VlM8ru0PPe3th14nRO0cf16c8tZjkJ8QSMpgGuFtzA/yXPKJmB75s82sV73MW8ir\n",
    "0NqbQYX17vREK265NzZaMmujqN2jm1c6HaS3iAfnxEaSISIW5TZZDyN3o/U3lnTV\n",
    "YHlF2ST5AgMBAAECggEAUJDbv99WCbosAqdZhxextPBw4QOv32shAhyglSRhYQLe\n",
    "MaYCP9qoAzgvXvmXgvsiFVo48JMha/iy73MtqQ3ds29YlDU8TY5lN7pTixjLXF9C\n",
    "oMVU7JFUnDqx2mwk5JAJZ8DwRNyA1BKp3xTsURx/F5BrmNUMADeZrm3NPWlZ0gFo\n",
    "AhWK158SHXAHqjchyUun4aE3bHcgufRDIe3CMEi2UE7LooolPo08iL8xkyUFZ1RX\n",
    "V64ssK/8KGObRnVQw2XbH+v5JfHTSYRGttvkDMKmYhDK9UnfxRurV5NTvf5JQ3MI\n",
    "27iaqoIEWuFIcyL/wxgMsb4uAbQGS1dM1pmLD/PLxwKBgQDdK/haDIPcZwD6ccTt\n",
    "GdCmlrP9gkFl3pfXlV9ow8HTs6hGKyb+N5TnNtbdtwVJvWnr3m/kAtLiVEn9q4Yr\n",
    "+kK/Vn9UTUmgjdxYz8/27Dg8/HS9CHIv14gPGrG25KVPXH6JGv774tAa4BMuvRw6\n",
    "1R3YODTwiPViApImXoL2Zr1kmwKBgQDDZWT+ISpSP340tKZADDZN7jz8KONxfEfj\n",
    "qmZ+g7kEtRSSxlobYgVsKYVGBJ7BBD7lnOZyXt0SUY4wCT5YH/EHHNFnnXTMfoTN\n",
    "5cNS95OVGHBl3IYFReUvh3EP8lxpc9PlhRHlbzFXHj5s7AK7Kiiz+e0tbdUfEOBG\n",
    "itESthAT+wKBgQDCFf7nzsm8FSv3mvTr+FZwihlDIxYOtipbhfpm7jpec+78PIwI\n",
    "VHA4ApjFkgFy92RHFzjrR0sWUE9p6yZf20rNq7MrIHO3ECZITX07O4oSgpxS8mF5\n",
    "+FKupodDbxxeK1XjLSyLkDt9ChvrTQrD2hdJkfFrD1T+gDEOuKuGXRxgdwKBgAcV\n",
    "ffvYp/gjZSf0BLL9vlpE8OETemt63gBbBSxBCkwpZH2Nw2aKvzeUqchIEplc1grt\n",
    "DU3IMqufWVBUhXYccliXqt/ezYU8cQQl+FbhsvAM2sZWoGVAi3aVqnuxhbgtAtmn\n",
    "YWa4CUnnRswcIl02whMEVJz5BmkB65+jGMFc6GhRAoGARXc7T4x2To/N2NX/3xA8\n",
    "FPmeYNPysSJy0WisLIcvxjLx5KPz7jCS9id0S2WnezAy9XMlDqotEOsfawSrd64S\n",
    "sQWrece7dJ8S3Vpij5rFfQokohHCZdqZZrS34qDOKArNhi+67bAHg7LgseceJvvv\n",
    "TUeB7uytF8WFc3HvDKN4bfo=\n",
    "-----END PRIVATE KEY-----\n",
);
const PUBLIC_KEY: &str = concat!(
    "-----BEGIN PUBLIC KEY-----\n",
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqNAXxk5aMm2iGkKAwjgI\n",
    "Dxw/kzZZqDnrS1/5/Y+FRazT6JwIvYB4uYjb1jdfx3LFl9nYSSPSG9I0jkkTJF2C\n",
    "YddpZWVWCGUncIAaPFlqGuAyrjaMluWiVnd5YrZ1RPXe/S7jBSRshM1nvHL90awq\n",
    "L1hV81wZGt0DZJED+bgKiWoiico+GVL3+/ONaIBEwtbXnwGwZlOZNFLOalZTPK7t\n",
    "Dz3t7YdeJ0TtHH9enPLWY5CfEEjKYBrhbcwP8lzyiZge+bPNrFe9zFvIq9Dam0GF\n",
    "9e70RCtuuTc2WjJro6jdo5tXOh2kt4gH58RGkiEiFuU2WQ8jd6P1N5Z01WB5Rdkk\n",
    "+QIDAQAB\n",
    "-----END PUBLIC KEY-----\n",
);

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// What to sign and how to spoil it.
#[derive(Debug, Clone)]
struct Sig {
    consumer: &'static str,
    token: Option<String>,
    extra: Vec<(&'static str, String)>,
    method_name: &'static str,
    timestamp: i64,
    nonce: String,
    /// Sign this path instead of the one requested.
    signed_path: Option<&'static str>,
}

impl Sig {
    fn new(token: Option<String>) -> Sig {
        Sig {
            consumer: "tether",
            token,
            extra: Vec::new(),
            method_name: "RSA-SHA1",
            timestamp: now(),
            nonce: format!("n{}", rand::random::<u64>()),
            signed_path: None,
        }
    }

    /// The `Authorization` header for `method base+path?query` (query pairs unencoded).
    fn header(&self, method: &str, base: &str, path: &str, query: &[(&str, &str)]) -> String {
        let mut oauth: Vec<(String, String)> = vec![
            ("oauth_consumer_key".into(), self.consumer.into()),
            ("oauth_signature_method".into(), self.method_name.into()),
            ("oauth_timestamp".into(), self.timestamp.to_string()),
            ("oauth_nonce".into(), self.nonce.clone()),
            ("oauth_version".into(), "1.0".into()),
        ];
        if let Some(t) = &self.token {
            oauth.push(("oauth_token".into(), t.clone()));
        }
        for (k, v) in &self.extra {
            oauth.push(((*k).into(), v.clone()));
        }
        let mut params: Vec<(String, String)> = oauth
            .iter()
            .map(|(k, v)| (encode(k), encode(v)))
            .chain(query.iter().map(|(k, v)| (encode(k), encode(v))))
            .collect();
        params.sort();
        let normalized: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let uri = format!("{base}{}", self.signed_path.unwrap_or(path));
        let base_string = format!("{method}&{}&{}", encode(&uri), encode(&normalized.join("&")));
        let key = RsaPrivateKey::from_pkcs8_pem(PRIVATE_KEY).unwrap();
        let sig = SigningKey::<Sha1>::new(key).sign(base_string.as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(sig.to_bytes());
        oauth.push(("oauth_signature".into(), sig));
        let fields: Vec<String> =
            oauth.iter().map(|(k, v)| format!("{}=\"{}\"", encode(k), encode(v))).collect();
        format!("OAuth realm=\"{base}\", {}", fields.join(", "))
    }
}

async fn dc() -> Server {
    let mut config = SandboxConfig::with_flavour(Flavour::data_center("9.12.0"));
    config.oauth1_consumers.push(OAuth1ConsumerSpec {
        consumer_key: "tether".into(),
        name: "tether".into(),
        public_key_pem: PUBLIC_KEY.into(),
    });
    support::start(config).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn send(
    srv: &Server,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    sig: &Sig,
) -> reqwest::Response {
    let header = sig.header(method.as_str(), &srv.base, path, query);
    client()
        .request(method, format!("{}{path}", srv.base))
        .query(query)
        .header("Authorization", header)
        .send()
        .await
        .unwrap()
}

fn form(text: &str) -> std::collections::HashMap<String, String> {
    text.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace("%2D", "-")))
        .collect()
}

/// The dance: request token, approval (oob shows the verifier), access token.
async fn access_token(srv: &Server) -> String {
    let mut sig = Sig::new(None);
    sig.extra.push(("oauth_callback", "oob".into()));
    let r = send(srv, Method::POST, "/plugins/servlet/oauth/request-token", &[], &sig).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    let body = form(&text);
    assert_eq!(body["oauth_callback_confirmed"], "true");
    let request_token = body["oauth_token"].clone();

    let page = client()
        .get(format!("{}/plugins/servlet/oauth/authorize?oauth_token={request_token}", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let verifier = html
        .split("id=\"oauth_verifier\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("no verifier in {html}"))
        .to_owned();

    let mut sig = Sig::new(Some(request_token));
    sig.extra.push(("oauth_verifier", verifier));
    let r = send(srv, Method::POST, "/plugins/servlet/oauth/access-token", &[], &sig).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = form(&r.text().await.unwrap());
    assert!(body.contains_key("oauth_expires_in"));
    body["oauth_token"].clone()
}

#[tokio::test]
async fn three_legged_dance_then_signed_requests() {
    let srv = dc().await;
    let token = access_token(&srv).await;
    let query = [("expand", "groups"), ("odd", "a b+c/é")];
    let r =
        send(&srv, Method::GET, "/rest/api/2/myself", &query, &Sig::new(Some(token.clone()))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!(me["name"], "admin");

    // The comment is written as the user who approved the token.
    let key = srv.create(2, "Signed").await;
    let path = format!("/rest/api/2/issue/{key}/comment");
    let header = Sig::new(Some(token.clone())).header("POST", &srv.base, &path, &[]);
    let r = client()
        .post(format!("{}{path}", srv.base))
        .header("Authorization", header)
        .json(&serde_json::json!({"body": "via OAuth 1.0a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(srv.sandbox.comments(Some(&key))[0].author, "admin");

    // Each way a signed request can be wrong is a 401.
    let replayed = Sig::new(Some(token.clone()));
    assert_eq!(
        send(&srv, Method::GET, "/rest/api/2/myself", &[], &replayed).await.status(),
        StatusCode::OK
    );
    let spoil = |f: &dyn Fn(&mut Sig)| {
        let mut s = Sig::new(Some(token.clone()));
        f(&mut s);
        s
    };
    let cases: Vec<(&str, Sig)> = vec![
        ("replayed nonce", replayed),
        ("stale timestamp", spoil(&|s| s.timestamp -= 3600)),
        ("future timestamp", spoil(&|s| s.timestamp += 3600)),
        ("unknown consumer", spoil(&|s| s.consumer = "someone-else")),
        ("other signature method", spoil(&|s| s.method_name = "HMAC-SHA1")),
        ("signed another path", spoil(&|s| s.signed_path = Some("/rest/api/2/serverInfo"))),
        ("unknown token", spoil(&|s| s.token = Some("not-a-token".into()))),
        ("no token", spoil(&|s| s.token = None)),
    ];
    for (what, sig) in cases {
        let r = send(&srv, Method::GET, "/rest/api/2/myself", &[], &sig).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{what}");
    }
}

#[tokio::test]
async fn authorize_redirects_to_the_callback_and_checks_the_verifier() {
    let srv = dc().await;
    let mut sig = Sig::new(None);
    sig.extra.push(("oauth_callback", "http://127.0.0.1:9/back?x=1".into()));
    let r = send(&srv, Method::POST, "/plugins/servlet/oauth/request-token", &[], &sig).await;
    let request_token = form(&r.text().await.unwrap())["oauth_token"].clone();

    // Exchanging before approval fails.
    let mut early = Sig::new(Some(request_token.clone()));
    early.extra.push(("oauth_verifier", "guess".into()));
    let r = send(&srv, Method::POST, "/plugins/servlet/oauth/access-token", &[], &early).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("oauth_problem=permission_unknown"));

    // Approving as a logged-in user redirects back with the verifier.
    let r = client()
        .get(format!("{}/plugins/servlet/oauth/authorize?oauth_token={request_token}", srv.base))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("http://127.0.0.1:9/back?x=1&oauth_token="), "{location}");
    let verifier = location.split("oauth_verifier=").nth(1).unwrap().to_owned();

    // (verifier, status)
    let cases = [("wrong", StatusCode::UNAUTHORIZED), (verifier.as_str(), StatusCode::OK)];
    for (v, status) in cases {
        let mut s = Sig::new(Some(request_token.clone()));
        s.extra.push(("oauth_verifier", v.to_owned()));
        let r = send(&srv, Method::POST, "/plugins/servlet/oauth/access-token", &[], &s).await;
        assert_eq!(r.status(), status, "verifier {v}");
    }
    // A request token is good for one exchange.
    let mut again = Sig::new(Some(request_token));
    again.extra.push(("oauth_verifier", verifier));
    let r = send(&srv, Method::POST, "/plugins/servlet/oauth/access-token", &[], &again).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let r = client()
        .get(format!("{}/plugins/servlet/oauth/authorize?oauth_token=unknown", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn consumers_are_registered_and_cloud_has_no_application_links() {
    let srv = support::dc().await;
    let sig = Sig::new(None);
    let r = send(&srv, Method::POST, "/plugins/servlet/oauth/request-token", &[], &sig).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "no consumer registered yet");
    assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("consumer_key_unknown"));
    // (body, status)
    let cases = [
        (
            serde_json::json!({"consumerKey": "tether", "publicKeyPem": "not a key"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            serde_json::json!({"consumerKey": "tether", "publicKeyPem": PUBLIC_KEY}),
            StatusCode::CREATED,
        ),
    ];
    for (body, status) in cases {
        let r = srv
            .call_as(support::Auth::None, Method::POST, "/_sandbox/oauth1/consumers", Some(body))
            .await;
        assert_eq!(r.status, status);
    }
    let token = access_token(&srv).await;
    let r = send(&srv, Method::GET, "/rest/api/2/myself", &[], &Sig::new(Some(token))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(srv.sandbox.banner(&srv.base).contains("OAuth 1.0a consumer tether"));

    let cloud = support::cloud().await;
    let r =
        send(&cloud, Method::POST, "/plugins/servlet/oauth/request-token", &[], &Sig::new(None))
            .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
