//! Atlassian Connect JWT: an installed app signs requests with its shared secret and `qsh`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{self, Auth};

/// A JWT for `method path` with a query that is already canonical (sorted, encoded).
pub fn jwt(
    iss: &str,
    secret: &str,
    method: &str,
    path: &str,
    canonical_query: &str,
    exp_offset: i64,
) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
        as i64;
    let qsh: String = Sha256::digest(format!("{method}&{path}&{canonical_query}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "typ": "JWT"}).to_string());
    let claims = URL_SAFE_NO_PAD
        .encode(json!({"iss": iss, "iat": now, "exp": now + exp_offset, "qsh": qsh}).to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{header}.{claims}").as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{header}.{claims}.{sig}")
}

#[tokio::test]
async fn connect_app_signs_requests() {
    let srv = support::cloud().await;
    let key = srv.create(3, "Connected").await;
    let r = srv
        .call_as(
            Auth::None,
            Method::POST,
            "/_sandbox/connect/install",
            Some(json!({"key": "dev.tether", "name": "tether"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let secret = r.body["sharedSecret"].as_str().unwrap().to_owned();
    assert_eq!(r.body["user"], "addon_dev.tether");
    let client = reqwest::Client::new();
    let send = |method: Method, path_and_query: String, token: String, body: Option<Value>| {
        let mut req = client.request(method, format!("{}{path_and_query}", srv.base));
        if !token.is_empty() {
            req = req.header("Authorization", format!("JWT {token}"));
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };

    let path = format!("/rest/api/3/issue/{key}/comment");
    let adf = json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "from the app"}]}]});
    let good = jwt("dev.tether", &secret, "POST", &path, "", 60);
    let r = send(Method::POST, path.clone(), good, Some(json!({"body": adf}))).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(srv.sandbox.comments(Some(&key))[0].author, "addon_dev.tether");

    // The token is bound to its request, its secret and its lifetime.
    let cases: Vec<(&str, String)> = vec![
        (
            "other path",
            jwt("dev.tether", &secret, "POST", "/rest/api/3/issue/SAND-9/comment", "", 60),
        ),
        ("other method", jwt("dev.tether", &secret, "GET", &path, "", 60)),
        ("wrong secret", jwt("dev.tether", "guess", "POST", &path, "", 60)),
        ("unknown app", jwt("dev.other", &secret, "POST", &path, "", 60)),
        ("expired", jwt("dev.tether", &secret, "POST", &path, "", -600)),
    ];
    for (what, token) in cases {
        let r = send(Method::POST, path.clone(), token, Some(json!({"body": adf}))).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{what}");
    }
    // In the query string, with parameters sorted and encoded for qsh.
    let token = jwt(
        "dev.tether",
        &secret,
        "GET",
        "/rest/api/3/search/jql",
        "fields=key&jql=project%20%3D%20SAND",
        60,
    );
    let r = send(
        Method::GET,
        format!("/rest/api/3/search/jql?jql=project%20%3D%20SAND&fields=key&jwt={token}"),
        String::new(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["issues"][0]["key"], key.as_str());
}
