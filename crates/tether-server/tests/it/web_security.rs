//! The web UI's sessions, CSRF defences and security headers, over HTTP as a
//! browser sends it (cookies kept, redirects not followed).

use serde_json::json;

use crate::TestServer;
use crate::ui_flags::{browser_like, csrf_token, setup};

/// Signs `client` in with `token`; returns the session cookie's value.
async fn sign_in(s: &TestServer, client: &reqwest::Client, token: &str) -> String {
    let r = client
        .post(s.at("/signin"))
        .form(&[("token", token), ("next", "/flags")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    let value = cookie.split(';').next().unwrap().strip_prefix("tether_session=").unwrap();
    value.to_owned()
}

async fn production_on(s: &TestServer) -> bool {
    let f = s.store.flag("shop", "banner").await.unwrap();
    f.environments.iter().find(|e| e.env == "production").unwrap().config.on
}

#[tokio::test]
async fn the_session_cookie_was_the_raw_api_token() {
    // Reported: the cookie held the API token, never expired, and still worked
    // after sign-out.
    let s = TestServer::start().await;
    let browser = browser_like();
    let id = sign_in(&s, &browser, &s.token).await;
    assert_ne!(id, s.token, "the cookie is a session id, not the token");
    assert!(id.starts_with("tether-session-"), "{id}");
    assert_eq!(browser.get(s.at("/flags")).send().await.unwrap().status(), 200);

    // Signing in again makes a new session; the old id ends.
    let again = sign_in(&s, &browser, &s.token).await;
    assert_ne!(again, id, "rotated at sign-in");
    let stolen =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let with = |cookie: &str| {
        stolen.get(s.at("/flags")).header("cookie", format!("tether_session={cookie}"))
    };
    assert_eq!(with(&id).send().await.unwrap().status(), 303, "the replaced session ended");
    assert_eq!(with(&again).send().await.unwrap().status(), 200);
    // The token itself is not a session.
    assert_eq!(with(&s.token).send().await.unwrap().status(), 303);

    // Sign-out ends the session for whoever holds its id.
    let token = csrf_token(&browser, &s, "/flags").await;
    let r = browser.post(s.at("/signout")).form(&[("csrf", token.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(with(&again).send().await.unwrap().status(), 303, "revoked at sign-out");
}

#[tokio::test]
async fn the_session_cookie_is_secure_behind_https() {
    let config = tether_server::ServerConfig {
        public_url: "https://flags.example.com".into(),
        ..tether_server::ServerConfig::default()
    };
    let s = TestServer::start_with(config).await;
    let r = browser_like()
        .post(s.at("/signin"))
        .header("origin", "https://flags.example.com")
        .form(&[("token", s.token.as_str())])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    for part in ["HttpOnly", "SameSite=Strict", "Secure", "Max-Age="] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
}

#[tokio::test]
async fn csrf_the_api_accepted_the_ui_session_cookie() {
    // Reported: a cookie-only `POST …/toggle` with `text/plain` was accepted.
    let s = TestServer::start().await;
    setup(&s).await;
    let browser = browser_like();
    let id = sign_in(&s, &browser, &s.token).await;
    let before = production_on(&s).await;
    let r = reqwest::Client::new()
        .post(s.at("/api/projects/shop/flags/banner/environments/production/toggle"))
        .header("cookie", format!("tether_session={id}"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the API takes bearer tokens only");
    assert_eq!(production_on(&s).await, before, "nothing toggled");
}

#[tokio::test]
async fn csrf_ui_forms_relied_on_sec_fetch_site_alone() {
    // Reported: a form post without Sec-Fetch-Site and with a foreign Origin was written.
    let s = TestServer::start().await;
    setup(&s).await;
    let browser = browser_like();
    sign_in(&s, &browser, &s.token).await;
    let page = "/flags/shop/banner?env=production";
    let token = csrf_token(&browser, &s, page).await;
    let version = s.store.flag("shop", "banner").await.unwrap().environments[2].version.to_string();
    let toggle = s.at("/flags/shop/banner/production/toggle");
    let before = production_on(&s).await;
    let off = if before { "false" } else { "true" };
    // (what, extra form fields, Origin, status)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Option<&'a str>, u16);
    let cases: [Case<'_>; 4] = [
        ("a foreign Origin", vec![("csrf", &token)], Some("https://evil.example"), 403),
        ("no token", vec![], None, 403),
        ("another session's token", vec![("csrf", "0".repeat(64).leak())], None, 403),
        ("from tether's own page", vec![("csrf", &token)], Some("http://127.0.0.1:8080"), 303),
    ];
    for (what, extra, origin, want) in cases {
        let mut form = vec![("version", version.as_str()), ("on", off), ("confirm", "yes")];
        form.extend(extra);
        let mut req = browser.post(&toggle).form(&form);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), want, "{what}: {:?}", r.text().await);
        if want == 403 {
            assert_eq!(production_on(&s).await, before, "{what}: nothing written");
        }
    }
    assert_ne!(production_on(&s).await, before, "the real form toggled");
    let r = browser
        .post(&toggle)
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "cross-site by Sec-Fetch-Site");
}

#[tokio::test]
async fn pages_carry_security_headers_and_only_jira_may_frame_its_pages() {
    let s = TestServer::start().await;
    setup(&s).await;
    let body = json!({"name": "acme", "url": "https://acme.atlassian.net", "kind": "api_token",
        "user": "me@acme.test", "secret": "token"});
    let r = s.client.post(s.at("/api/jira/sites")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let r = s.get("/flags").await;
    let h = r.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert_eq!(h["x-frame-options"], "DENY");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let r = s.get("/jira/issue-flags?issueKey=SHOP-1").await;
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors 'self' https://acme.atlassian.net"), "{csp}");
    assert!(!r.headers().contains_key("x-frame-options"));
    let api = s.get("/api/projects").await;
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
}
