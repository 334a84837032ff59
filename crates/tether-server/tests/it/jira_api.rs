//! The Jira side of the API against a sandbox Jira on loopback: sites (secrets
//! never come back, the connection test), project tracking, links checked
//! against Jira before anything is stored, the sync state, finding issues by
//! flag, and what the Jira integration's own token may do.

use jira_sandbox::{Flavour, Sandbox, SandboxConfig, SecurityLevelSpec, UserSpec};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::TestServer;
use crate::jira_oauth::refused_site;

/// A sandbox Jira served on loopback; stops when dropped.
#[allow(missing_debug_implementations)]
pub struct Jira {
    pub url: String,
    pub sandbox: Sandbox,
    _stop: oneshot::Sender<()>,
}

impl Jira {
    /// A sandbox with issues SAND-1 (In Progress), SAND-2 (Done) and SAND-3,
    /// which only `auditor` may see.
    pub async fn start(flavour: Flavour) -> Jira {
        Jira::start_with(SandboxConfig::with_flavour(flavour)).await
    }

    /// [`Jira::start`] on `config`.
    pub async fn start_with(config: SandboxConfig) -> Jira {
        let sandbox = Sandbox::new(config).unwrap();
        sandbox
            .load_issues(&json!([
                {"key": "SAND-1", "fields": {"summary": "Faster checkout",
                    "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}}}},
                {"key": "SAND-2", "fields": {"summary": "Remember the cart",
                    "status": {"name": "Done", "statusCategory": {"key": "done"}}}},
                {"key": "SAND-3", "fields": {"summary": "Secret plans"}}
            ]))
            .unwrap();
        sandbox.add_user(UserSpec::named("auditor", "Auditor")).unwrap();
        sandbox
            .add_security_level(SecurityLevelSpec {
                name: "Auditors".into(),
                description: String::new(),
                members: vec!["auditor".into()],
            })
            .unwrap();
        sandbox.set_issue_security("SAND-3", Some("Auditors")).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(sandbox.clone().serve(listener, async {
            let _ = stopped.await;
        }));
        Jira { url, sandbox, _stop: stop }
    }

    pub async fn cloud() -> Jira {
        Jira::start(Flavour::Cloud).await
    }
}

pub async fn send(
    s: &TestServer,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = s.client.request(method, s.at(path));
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

use reqwest::Method as M;

/// Registers the sandbox as site `name` (Cloud: email + API token, which reads issues but
/// cannot send flags).
pub async fn add_cloud_site(s: &TestServer, jira: &Jira, name: &str) {
    let body = json!({"name": name, "url": jira.url, "kind": "api_token",
        "user": "admin@sandbox.test", "secret": "sandbox-token"});
    let (status, site) = send(s, M::POST, "/api/jira/sites", Some(body)).await;
    assert_eq!(status, 201, "{site}");
}

/// Registers the sandbox as site `name` with its OAuth credentials (the Cloud path for flags).
pub async fn add_oauth_site(s: &TestServer, jira: &Jira, name: &str) {
    let body = json!({"name": name, "url": jira.url, "kind": "oauth2",
        "user": "sandbox-client", "secret": "sandbox-secret",
        "options": {"token_url": format!("{}/oauth/token", jira.url), "gateway_url": jira.url}});
    let (status, site) = send(s, M::POST, "/api/jira/sites", Some(body)).await;
    assert_eq!(status, 201, "{site}");
}

/// Project `shop` (development, staging, production) with a boolean flag `checkout`.
pub async fn shop(s: &TestServer) {
    let (status, _) =
        send(s, M::POST, "/api/projects", Some(json!({"key": "shop", "name": "Shop"}))).await;
    assert_eq!(status, 201);
    let flag = json!({"key": "checkout", "name": "New checkout", "kind": "boolean",
        "variations": [{"key": "on", "name": "On", "value": true}, {"key": "off", "name": "Off", "value": false}]});
    let (status, body) = send(s, M::POST, "/api/projects/shop/flags", Some(flag)).await;
    assert_eq!(status, 201, "{body}");
}

/// `shop` reporting to a Cloud sandbox registered as site `acme`.
pub async fn tracked_shop(s: &TestServer) -> Jira {
    let jira = Jira::cloud().await;
    add_cloud_site(s, &jira, "acme").await;
    shop(s).await;
    let (status, t) =
        send(s, M::PUT, "/api/projects/shop/jira", Some(json!({"site": "acme"}))).await;
    assert_eq!(status, 200, "{t}");
    jira
}

#[tokio::test]
async fn sites_are_registered_listed_without_secrets_updated_and_removed() {
    let s = TestServer::start().await;
    let jira = Jira::cloud().await;
    add_cloud_site(&s, &jira, "acme").await;
    let (status, site) = send(&s, M::GET, "/api/jira/sites/acme", None).await;
    assert_eq!(status, 200);
    assert_eq!(site["kind"], "api_token");
    assert_eq!(site["user"], "admin@sandbox.test");
    assert_eq!(site["url"], jira.url);
    assert_eq!(site["enabled"], true);
    let dc = json!({"name": "dc", "url": "https://jira.example.com/", "kind": "pat",
        "secret": "a-personal-token", "options": {"requests_per_second": 2.5, "max_concurrency": 2}});
    let (status, created) = send(&s, M::POST, "/api/jira/sites", Some(dc)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["url"], "https://jira.example.com", "trailing slash dropped");
    assert_eq!(created["options"], json!({"requests_per_second": 2.5, "max_concurrency": 2}));
    let oauth1 = json!({"name": "dc-oauth", "url": "https://jira.example.com", "kind": "oauth1",
        "user": "tether", "secret": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----",
        "access_token": "access-token-value"});
    assert_eq!(send(&s, M::POST, "/api/jira/sites", Some(oauth1)).await.0, 201);
    let oauth2 = json!({"name": "cloud-oauth", "url": jira.url, "kind": "oauth2",
        "user": "sandbox-client", "secret": "sandbox-secret",
        "options": {"token_url": format!("{}/oauth/token", jira.url), "gateway_url": jira.url}});
    let (status, created) = send(&s, M::POST, "/api/jira/sites", Some(oauth2)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["options"]["token_url"], format!("{}/oauth/token", jira.url));

    let (status, listed) = send(&s, M::GET, "/api/jira/sites", None).await;
    assert_eq!(status, 200);
    let names: Vec<&str> =
        listed.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["acme", "dc", "dc-oauth", "cloud-oauth"]);
    let text = listed.to_string();
    for secret in
        ["sandbox-token", "a-personal-token", "MIIB", "access-token-value", "sandbox-secret"]
    {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }

    // An update without a secret keeps the stored one: the site still connects.
    let update = json!({"url": jira.url, "kind": "api_token", "user": "admin@sandbox.test"});
    let (status, updated) = send(&s, M::PUT, "/api/jira/sites/acme", Some(update)).await;
    assert_eq!(status, 200, "{updated}");
    let (status, report) = send(&s, M::POST, "/api/jira/sites/acme/test", None).await;
    assert_eq!(status, 200);
    assert!(report["account"].as_str().unwrap().contains("admin@sandbox.test"), "{report}");
    // Accepted; what is left is that an API token cannot send flags on Cloud.
    let messages = report["messages"].as_array().unwrap();
    assert!(messages.iter().all(|m| m.as_str().unwrap().contains("OAuth credentials")), "{report}");
    // Changing the kind needs the new kind's secret.
    let update = json!({"url": jira.url, "kind": "password", "user": "admin"});
    let (status, err) = send(&s, M::PUT, "/api/jira/sites/acme", Some(update)).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("secret")), "{err}");
    let rename = json!({"name": "other", "url": jira.url, "kind": "api_token", "user": "a@b"});
    let (status, err) = send(&s, M::PUT, "/api/jira/sites/acme", Some(rename)).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("name")), "{err}");

    assert_eq!(send(&s, M::DELETE, "/api/jira/sites/dc", None).await.0, 204);
    assert_eq!(send(&s, M::GET, "/api/jira/sites/dc", None).await.0, 404);
    assert_eq!(send(&s, M::DELETE, "/api/jira/sites/dc", None).await.0, 404);
    // A site a project reports to cannot go.
    shop(&s).await;
    send(&s, M::PUT, "/api/projects/shop/jira", Some(json!({"site": "acme"}))).await;
    let (status, err) = send(&s, M::DELETE, "/api/jira/sites/acme", None).await;
    assert_eq!(status, 409, "{err}");
    assert!(err["message"].as_str().unwrap().contains("shop"), "{err}");
    let log = s.store.audit_log(None, 100).await.unwrap();
    assert!(log.iter().all(|e| !e.after.as_deref().unwrap_or("").contains("sandbox-token")));
}

#[tokio::test]
async fn bad_sites_get_422_naming_the_field_and_nothing_is_stored() {
    let s = TestServer::start().await;
    let check = |body: Value, field: &'static str, part: &'static str| {
        let s = &s;
        async move { refused_site(s, body, field, part).await }
    };
    let url = "https://acme.atlassian.net";
    check(
        json!({"name": "Bad Name", "url": url, "kind": "pat", "secret": "x"}),
        "name",
        "not a valid key",
    )
    .await;
    check(
        json!({"name": "a", "url": "acme.atlassian.net", "kind": "pat", "secret": "x"}),
        "url",
        "http",
    )
    .await;
    check(
        json!({"name": "a", "url": url, "kind": "magic", "secret": "x"}),
        "kind",
        "api_token, password",
    )
    .await;
    check(json!({"name": "a", "url": url, "kind": "connect", "secret": "x"}), "kind", "installing")
        .await;
    check(
        json!({"name": "a", "url": url, "kind": "api_token", "user": "me", "secret": "x"}),
        "user",
        "email",
    )
    .await;
    check(
        json!({"name": "a", "url": url, "kind": "api_token", "user": "me@x.com"}),
        "secret",
        "API token",
    )
    .await;
    check(json!({"name": "a", "url": url, "kind": "password", "secret": "x"}), "user", "username")
        .await;
    check(json!({"name": "a", "url": url, "kind": "oauth1", "user": "c", "secret": "nope", "access_token": "t"}), "secret", "PEM").await;
    check(json!({"name": "a", "url": url, "kind": "oauth1", "user": "c", "secret": "-----BEGIN PRIVATE KEY-----"}), "access_token", "access token").await;
    check(json!({"name": "a", "url": url, "kind": "pat", "secret": "x", "options": {"token_url": "https://t"}}), "options.token_url", "oauth2").await;
    check(json!({"name": "a", "url": url, "kind": "oauth2", "user": "c", "secret": "x", "options": {"gateway_url": "ftp://g"}}), "options.gateway_url", "http").await;
    check(json!({"name": "a", "url": url, "kind": "pat", "secret": "x", "options": {"max_concurrency": 0}}), "options.max_concurrency", "1 to 64").await;
    check(json!({"name": "a", "url": url, "kind": "pat", "secret": "x", "options": {"requests_per_second": -1}}), "options.requests_per_second", "above 0").await;
    check(
        json!({"name": "a", "url": url, "kind": "pat", "secret": "x", "password": "y"}),
        "password",
        "unknown field",
    )
    .await;
    assert!(s.store.list_jira_sites().await.unwrap().is_empty());
    let body = json!({"name": "a", "url": url, "kind": "pat", "secret": "x"});
    assert_eq!(send(&s, M::POST, "/api/jira/sites", Some(body.clone())).await.0, 201);
    assert_eq!(send(&s, M::POST, "/api/jira/sites", Some(body)).await.0, 409);
}

#[tokio::test]
async fn the_connection_test_reports_what_answered_and_what_to_fix() {
    let s = TestServer::start().await;
    let config = SandboxConfig { server_title: "Acme Jira".into(), ..SandboxConfig::default() };
    let cloud = Jira::start_with(config).await;
    add_oauth_site(&s, &cloud, "acme").await;
    let (status, report) =
        send(&s, M::POST, "/api/jira/sites/acme/test", Some(json!({"projects": ["sand"]}))).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["deployment"], "cloud");
    // Jira's name for itself is kept: the Integrations page names the site by it.
    assert_eq!(report["server_title"], "Acme Jira", "{report}");
    let site = s.store.jira_site_by_name("acme").await.unwrap();
    assert_eq!(site.options.get("server_title"), Some(&json!("Acme Jira")), "{:?}", site.options);
    // OAuth credentials act as no user: no account, no project permissions; the DevOps APIs
    // checked and what needs an API token beside them are said instead.
    assert_eq!(report["projects_ok"], json!([]));
    assert_eq!(report["account"], json!(null), "{report}");
    assert_eq!(
        report["checked"],
        json!([
            "Feature Flags API: read and write allowed",
            "Development Information API: read and write allowed"
        ])
    );
    assert_eq!(report["limits"], json!([tether_jira::OAUTH_CREDENTIALS_LIMIT]));
    assert_eq!(
        s.store.jira_site_by_name("acme").await.unwrap().deployment.as_deref(),
        Some("cloud")
    );

    let wrong = json!({"name": "wrong", "url": cloud.url, "kind": "api_token",
        "user": "admin@sandbox.test", "secret": "not-the-token"});
    assert_eq!(send(&s, M::POST, "/api/jira/sites", Some(wrong)).await.0, 201);
    let (status, report) = send(&s, M::POST, "/api/jira/sites/wrong/test", None).await;
    assert_eq!(status, 200);
    assert_eq!(report["ok"], false, "{report}");
    let messages = report["messages"].to_string();
    assert!(messages.contains("rejected the credentials"), "{messages}");
    assert!(!report.to_string().contains("not-the-token"));

    // An API token reaches Jira, but not the Feature Flags API: the test says so now.
    add_cloud_site(&s, &cloud, "token").await;
    let (_, report) = send(&s, M::POST, "/api/jira/sites/token/test", None).await;
    assert_eq!(report["ok"], false, "{report}");
    let messages = report["messages"].to_string();
    assert!(messages.contains("Feature Flags API accepts only apps"), "{messages}");
    assert!(messages.contains("Development Information API accepts only apps"), "{messages}");
    assert!(messages.contains("settings → Apps → OAuth credentials"), "{messages}");

    let dc = Jira::start(Flavour::data_center("9.12.0")).await;
    let pat = json!({"name": "dc", "url": dc.url, "kind": "pat", "secret": "sandbox-pat"});
    assert_eq!(send(&s, M::POST, "/api/jira/sites", Some(pat)).await.0, 201);
    let (_, report) = send(&s, M::POST, "/api/jira/sites/dc/test", None).await;
    assert_eq!(
        (report["ok"].as_bool(), report["deployment"].as_str()),
        (Some(true), Some("dc")),
        "{report}"
    );
    assert_eq!(report["version"], "9.12.0");
    let token_on_dc = json!({"name": "dc-token", "url": dc.url, "kind": "api_token",
        "user": "admin@sandbox.test", "secret": "sandbox-token"});
    assert_eq!(send(&s, M::POST, "/api/jira/sites", Some(token_on_dc)).await.0, 201);
    let (_, report) = send(&s, M::POST, "/api/jira/sites/dc-token/test", None).await;
    assert_eq!(report["ok"], false);
    assert!(report["messages"].to_string().contains("personal access token"), "{report}");
    assert_eq!(send(&s, M::POST, "/api/jira/sites/nope/test", None).await.0, 404);
}

#[tokio::test]
async fn a_project_chooses_its_site_and_tracked_environments() {
    let s = TestServer::start().await;
    let jira = Jira::cloud().await;
    add_cloud_site(&s, &jira, "acme").await;
    shop(&s).await;
    let (status, err) = send(&s, M::GET, "/api/projects/shop/jira", None).await;
    assert_eq!(status, 404, "{err}");
    assert!(err["message"].as_str().unwrap().contains("no Jira site"));
    let (status, t) =
        send(&s, M::PUT, "/api/projects/shop/jira", Some(json!({"site": "acme"}))).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(
        t,
        json!({"project": "shop", "site": "acme", "environments": null, "primary_environment": null,
            "tracked": ["production"], "primary": "production", "version": 1, "updated_at": t["updated_at"]})
    );
    let body = json!({"site": "acme", "environments": ["staging", "production"],
        "primary_environment": "staging", "version": 1});
    let (status, t) = send(&s, M::PUT, "/api/projects/shop/jira", Some(body)).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(
        (t["tracked"].clone(), t["primary"].clone(), t["version"].clone()),
        (json!(["staging", "production"]), json!("staging"), json!(2))
    );
    let (status, got) = send(&s, M::GET, "/api/projects/shop/jira", None).await;
    assert_eq!((status, &got), (200, &t));

    let check = |body: Value, status: u16, field: Option<&'static str>| {
        let s = &s;
        async move {
            let (got, err) = send(s, M::PUT, "/api/projects/shop/jira", Some(body.clone())).await;
            assert_eq!((got, err["field"].as_str()), (status, field), "{body} -> {err}");
        }
    };
    check(json!({"site": "nope"}), 422, Some("site")).await;
    check(json!({"site": "acme", "environments": ["prod"]}), 422, Some("environments[0]")).await;
    check(json!({"site": "acme", "environments": []}), 422, Some("environments")).await;
    check(
        json!({"site": "acme", "environments": ["staging"], "primary_environment": "production"}),
        422,
        Some("primary_environment"),
    )
    .await;
    check(json!({"site": "acme", "version": 1}), 412, None).await;
    assert_eq!(
        s.store.project_jira("shop").await.unwrap().unwrap().version,
        2,
        "refusals change nothing"
    );
    assert_eq!(
        send(&s, M::PUT, "/api/projects/nope/jira", Some(json!({"site": "acme"}))).await.0,
        404
    );

    assert_eq!(send(&s, M::DELETE, "/api/projects/shop/jira", None).await.0, 204);
    assert_eq!(send(&s, M::DELETE, "/api/projects/shop/jira", None).await.0, 404);
    assert_eq!(send(&s, M::GET, "/api/projects/shop/jira", None).await.0, 404);
}

#[tokio::test]
async fn an_issue_is_checked_against_jira_before_it_is_linked() {
    let s = TestServer::start().await;
    let jira = Jira::cloud().await;
    add_cloud_site(&s, &jira, "acme").await;
    shop(&s).await;
    // No site yet: the message says to pick one.
    let (status, err) = send(
        &s,
        M::POST,
        "/api/projects/shop/flags/checkout/issues",
        Some(json!({"issue": "SAND-1"})),
    )
    .await;
    assert_eq!(status, 409, "{err}");
    assert!(err["message"].as_str().unwrap().contains("pick a site"), "{err}");
    send(&s, M::PUT, "/api/projects/shop/jira", Some(json!({"site": "acme"}))).await;

    let (status, linked) = send(
        &s,
        M::POST,
        "/api/projects/shop/flags/checkout/issues",
        Some(json!({"issue": " sand-1 "})),
    )
    .await;
    assert_eq!(status, 201, "{linked}");
    assert_eq!(linked["key"], "SAND-1");
    assert_eq!(linked["summary"], "Faster checkout");
    assert_eq!(linked["status"], "In Progress");
    assert_eq!(linked["status_category"], "indeterminate");
    assert_eq!(linked["url"], format!("{}/browse/SAND-1", jira.url));
    // Linking again is not an error.
    let (status, _) = send(
        &s,
        M::POST,
        "/api/projects/shop/flags/checkout/issues",
        Some(json!({"issue": "SAND-1"})),
    )
    .await;
    assert_eq!(status, 200);

    let version = s.store.flag("shop", "checkout").await.unwrap().version;
    let audits = s.store.audit_log(None, 1000).await.unwrap().len();
    let refuse = |issue: &'static str, part: &'static str| {
        let s = &s;
        async move {
            let (status, err) = send(
                s,
                M::POST,
                "/api/projects/shop/flags/checkout/issues",
                Some(json!({"issue": issue})),
            )
            .await;
            assert_eq!((status, err["field"].as_str()), (422, Some("issue")), "{issue}: {err}");
            assert!(err["message"].as_str().unwrap().contains(part), "{err} lacks {part:?}");
        }
    };
    refuse("SAND-99", "has no issue SAND-99").await;
    refuse("SAND-3", "cannot see it").await; // exists, but in a security level the account is not in
    refuse("NOPE-1", "nothing was linked").await;
    refuse("not a key", "is not a Jira issue key").await;
    let after = s.store.flag("shop", "checkout").await.unwrap();
    assert_eq!(after.version, version, "nothing stored");
    assert_eq!(after.flag.jira_issues(), ["SAND-1"]);
    assert_eq!(s.store.audit_log(None, 1000).await.unwrap().len(), audits);

    let (status, _) = send(
        &s,
        M::POST,
        "/api/projects/shop/flags/checkout/issues",
        Some(json!({"issue": "SAND-2"})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, links) = send(&s, M::GET, "/api/projects/shop/flags/checkout/issues", None).await;
    assert_eq!(status, 200);
    assert_eq!(links["site"], json!({"name": "acme", "url": jira.url}));
    assert_eq!(links["tracked_environments"], json!(["production"]));
    let issues = links["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 2);
    assert_eq!(issues[1]["key"], "SAND-2");
    assert_eq!(issues[1]["status"], "Done");
    assert_eq!(issues[1]["status_category"], "done");
    // Linking wrote the flag, so Jira is owed a delivery.
    assert_eq!(links["sync"]["state"], "pending", "{links}");
    assert_eq!(links["sync"]["pushed_seq"], Value::Null);

    assert_eq!(
        send(&s, M::DELETE, "/api/projects/shop/flags/checkout/issues/sand-1", None).await.0,
        204
    );
    let (status, err) =
        send(&s, M::DELETE, "/api/projects/shop/flags/checkout/issues/SAND-1", None).await;
    assert_eq!(status, 404, "{err}");
    assert_eq!(s.store.flag("shop", "checkout").await.unwrap().flag.jira_issues(), ["SAND-2"]);
    assert_eq!(send(&s, M::GET, "/api/projects/shop/flags/nope/issues", None).await.0, 404);
    // Handlers only read Jira: what Jira is shown goes through the outbox.
    assert!(jira.sandbox.feature_flags().is_empty());
    assert!(jira.sandbox.remote_links(None).is_empty());
}

#[tokio::test]
async fn jira_being_unreachable_refuses_the_link_and_says_so() {
    let s = TestServer::start().await;
    let jira = Jira::cloud().await;
    let gone = "http://127.0.0.1:9";
    let site = json!({"name": "gone", "url": gone, "kind": "api_token",
        "user": "admin@sandbox.test", "secret": "sandbox-token"});
    assert_eq!(send(&s, M::POST, "/api/jira/sites", Some(site)).await.0, 201);
    drop(jira);
    shop(&s).await;
    send(&s, M::PUT, "/api/projects/shop/jira", Some(json!({"site": "gone"}))).await;
    let (status, err) = send(
        &s,
        M::POST,
        "/api/projects/shop/flags/checkout/issues",
        Some(json!({"issue": "SAND-1"})),
    )
    .await;
    assert_eq!(status, 503, "{err}");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("cannot check SAND-1") && message.contains("nothing was linked"),
        "{message}"
    );
    assert!(s.store.flag("shop", "checkout").await.unwrap().flag.jira_issues().is_empty());
}

#[tokio::test]
async fn the_jira_issues_property_is_checked_like_a_link() {
    let s = TestServer::start().await;
    let _jira = tracked_shop(&s).await;
    let flag = |key: &str, issues: &[&str]| {
        json!({"key": key, "name": key, "kind": "boolean",
            "variations": [{"key": "on", "value": true}, {"key": "off", "value": false}],
            "custom_properties": {"jira.issues": {"name": "Jira issues", "values": issues}}})
    };
    let (status, err) = send(
        &s,
        M::POST,
        "/api/projects/shop/flags",
        Some(flag("banner", &["SAND-1", "SAND-404"])),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["field"], "custom_properties[\"jira.issues\"].values");
    assert!(err["message"].as_str().unwrap().contains("SAND-404"), "{err}");
    assert_eq!(
        send(&s, M::GET, "/api/projects/shop/flags/banner", None).await.0,
        404,
        "not created"
    );

    let (status, created) =
        send(&s, M::POST, "/api/projects/shop/flags", Some(flag("banner", &["SAND-1"]))).await;
    assert_eq!(status, 201, "{created}");
    let (_, found) = send(&s, M::GET, "/api/issues?flag=banner", None).await;
    assert_eq!(found[0]["issue"], "SAND-1", "{found}");
    assert_eq!(found[0]["summary"], "Faster checkout", "the check cached the issue");

    let mut update = flag("banner", &["SAND-1", "SAND-3"]);
    update["version"] = json!(1);
    let (status, err) = send(&s, M::PUT, "/api/projects/shop/flags/banner", Some(update)).await;
    assert_eq!(status, 422, "{err}");
    assert!(err["message"].as_str().unwrap().contains("SAND-3"), "{err}");
    // Keys already linked are not asked again; removing one needs no check.
    let mut update = flag("banner", &[]);
    update["version"] = json!(1);
    let (status, saved) = send(&s, M::PUT, "/api/projects/shop/flags/banner", Some(update)).await;
    assert_eq!(status, 200, "{saved}");
}

#[tokio::test]
async fn the_sync_state_shows_what_jira_answered() {
    let s = TestServer::start().await;
    let _jira = tracked_shop(&s).await;
    for issue in ["SAND-1", "SAND-2"] {
        let (status, _) = send(
            &s,
            M::POST,
            "/api/projects/shop/flags/checkout/issues",
            Some(json!({"issue": issue})),
        )
        .await;
        assert_eq!(status, 201);
    }
    let site = s.store.jira_site_by_name("acme").await.unwrap();
    let sync = s.store.flag_sync(site.id, "shop", "checkout").await.unwrap().unwrap();
    let pushed = json!({"issue_keys": ["SAND-1", "SAND-2"], "environments": ["production"], "seq": sync.seq});
    let result = json!({"unknown_issue_keys": ["SAND-2"], "failed": {"shop/checkout": ["summary.url is not a URL"]}});
    s.store
        .record_flag_push(
            site.id,
            "shop",
            "checkout",
            sync.seq,
            Some(&pushed.to_string()),
            Some(&result.to_string()),
        )
        .await
        .unwrap();
    let (_, links) = send(&s, M::GET, "/api/projects/shop/flags/checkout/issues", None).await;
    let sync_view = &links["sync"];
    assert_eq!(sync_view["state"], "failing", "{links}");
    assert_eq!(sync_view["pushed_seq"], sync.seq);
    assert_eq!(sync_view["pushed_issue_keys"], json!(["SAND-1", "SAND-2"]));
    assert_eq!(sync_view["pushed_environments"], json!(["production"]));
    assert_eq!(sync_view["unknown_issue_keys"], json!(["SAND-2"]));
    assert_eq!(
        sync_view["failures"],
        json!([{"flag": "shop/checkout", "messages": ["summary.url is not a URL"]}])
    );
    assert_eq!(links["issues"][1]["unknown"], true);
    assert_eq!(links["issues"][0]["unknown"], false);

    let clean = json!({"unknown_issue_keys": [], "failed": {}});
    s.store
        .record_flag_push(
            site.id,
            "shop",
            "checkout",
            sync.seq,
            Some(&pushed.to_string()),
            Some(&clean.to_string()),
        )
        .await
        .unwrap();
    let (_, links) = send(&s, M::GET, "/api/projects/shop/flags/checkout/issues", None).await;
    assert_eq!(links["sync"]["state"], "synced", "{links}");
    s.store
        .record_flag_push_error(site.id, "shop", "checkout", "Jira is unavailable (HTTP 503)")
        .await
        .unwrap();
    let (_, links) = send(&s, M::GET, "/api/projects/shop/flags/checkout/issues", None).await;
    assert_eq!(links["sync"]["state"], "failing");
    assert_eq!(links["sync"]["last_error"], "Jira is unavailable (HTTP 503)");
}

#[tokio::test]
async fn issues_are_found_by_flag_and_state_and_show_every_flag_as_jira_does() {
    let s = TestServer::start().await;
    let jira = tracked_shop(&s).await;
    let flag = json!({"key": "banner", "name": "Banner", "kind": "boolean",
        "variations": [{"key": "on", "value": true}, {"key": "off", "value": false}]});
    assert_eq!(send(&s, M::POST, "/api/projects/shop/flags", Some(flag)).await.0, 201);
    for (flag, issue) in [("checkout", "SAND-1"), ("checkout", "SAND-2"), ("banner", "SAND-1")] {
        let path = format!("/api/projects/shop/flags/{flag}/issues");
        assert_eq!(send(&s, M::POST, &path, Some(json!({"issue": issue}))).await.0, 201);
    }
    let rollout = json!({"on": true, "off_variation": "off", "default_rule": {"rollout": {"variations": [
        {"variation": "on", "weight": 25000}, {"variation": "off", "weight": 75000}]}}});
    let (status, body) = send(
        &s,
        M::PUT,
        "/api/projects/shop/flags/checkout/environments/production",
        Some(rollout),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let (status, all) = send(&s, M::GET, "/api/issues", None).await;
    assert_eq!(status, 200);
    let summary: Vec<(String, Vec<String>)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let flags = i["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["flag"].as_str().unwrap().to_owned())
                .collect();
            (i["issue"].as_str().unwrap().to_owned(), flags)
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("SAND-1".into(), vec!["banner".into(), "checkout".into()]),
            ("SAND-2".into(), vec!["checkout".into()])
        ]
    );
    assert_eq!(all[0]["summary"], "Faster checkout");
    assert_eq!(all[0]["url"], format!("{}/browse/SAND-1", jira.url));

    let (_, on) = send(&s, M::GET, "/api/issues?enabled=true", None).await;
    let keys = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["issue"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&on), ["SAND-1", "SAND-2"]);
    assert_eq!(
        on[0]["flags"],
        json!([{"project": "shop", "flag": "checkout", "name": "New checkout", "enabled": true, "environment": "production"}])
    );
    let (_, off) = send(&s, M::GET, "/api/issues?flag=banner&enabled=false", None).await;
    assert_eq!(keys(&off), ["SAND-1"]);
    let (_, none) = send(&s, M::GET, "/api/issues?flag=checkout&enabled=false", None).await;
    assert_eq!(none, json!([]));
    let (status, err) = send(&s, M::GET, "/api/issues?enabled=maybe", None).await;
    assert_eq!(status, 400, "{err}");
    let (_, other) = send(&s, M::GET, "/api/issues?project=shop&flag=nope", None).await;
    assert_eq!(other, json!([]));

    let (status, view) = send(&s, M::GET, "/api/issues/sand-1/flags", None).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["issue"], "SAND-1");
    assert_eq!(view["summary"], "Faster checkout");
    let flags = view["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 2);
    let checkout = &flags[1];
    assert_eq!(checkout["key"], "checkout");
    assert_eq!(checkout["primary"]["key"], "production");
    assert_eq!(checkout["primary"]["enabled"], true);
    assert_eq!(
        checkout["primary"]["rollout"],
        json!({"percentage": 25.0, "default_treatment": "Off", "shares": [
            {"variation": "On", "percentage": 25.0}, {"variation": "Off", "percentage": 75.0}]})
    );
    assert_eq!(checkout["primary"]["rollout_text"], "25% On · 75% Off, default treatment Off");
    assert_eq!(checkout["primary"]["default_value"], "Off", "the off variation's name");
    assert_eq!(checkout["url"], format!("{}/flags/shop/checkout", s.state.config.public_url));
    assert_eq!(checkout["issue_keys"], json!(["SAND-1", "SAND-2"]));
    assert_eq!(flags[0]["primary"]["enabled"], false);
    let (_, none) = send(&s, M::GET, "/api/issues/SAND-9/flags", None).await;
    assert_eq!(none["flags"], json!([]));
}

/// A token with the given roles, owned by the admin member.
pub async fn token_with(s: &TestServer, name: &str, roles: &[&str]) -> reqwest::Client {
    let new = tether_store::NewToken {
        name: name.into(),
        kind: "service".into(),
        member: "admin".into(),
        created_by: None,
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
    };
    let (_, token) = s.store.create_token(&new, "test").await.unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    reqwest::Client::builder().default_headers(headers).build().unwrap()
}

#[tokio::test]
async fn the_jira_integration_token_links_and_watches_but_cannot_toggle() {
    let s = TestServer::start().await;
    let _jira = tracked_shop(&s).await;
    let jira_token = token_with(&s, "jira-app", &["jira-integration"]).await;
    let call = |method: M, path: &str, body: Option<Value>| {
        let mut req = jira_token.request(method, s.at(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_eq!(call(M::GET, "/api/projects/shop", None).await.0, 200);
    assert_eq!(call(M::GET, "/api/projects/shop/flags/checkout/issues", None).await.0, 200);
    let (status, body) =
        call(M::POST, "/api/projects/shop/flags/checkout/issues", Some(json!({"issue": "SAND-1"})))
            .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        call(M::DELETE, "/api/projects/shop/flags/checkout/issues/SAND-1", None).await.0,
        204
    );
    let hook =
        json!({"name": "jira", "url": "http://127.0.0.1:9/hook", "secret": "a-long-enough-secret"});
    let (status, created) = call(M::POST, "/api/webhooks", Some(hook)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(call(M::DELETE, &format!("/api/webhooks/{id}"), None).await.0, 204);

    let (status, err) = call(
        M::POST,
        "/api/projects/shop/flags/checkout/environments/production/toggle",
        Some(json!({"on": true})),
    )
    .await;
    assert_eq!(status, 403, "{err}");
    assert!(err["message"].as_str().unwrap().contains("updateOn"), "{err}");
    let (status, err) = call(
        M::POST,
        "/api/jira/sites",
        Some(json!({"name": "x", "url": "https://x", "kind": "pat", "secret": "s"})),
    )
    .await;
    assert_eq!(status, 403, "{err}");
    assert!(err["message"].as_str().unwrap().contains("createIntegration"), "{err}");
    assert_eq!(call(M::PUT, "/api/projects/shop/jira", Some(json!({"site": "acme"}))).await.0, 403);
    assert!(
        !s.store.flag("shop", "checkout").await.unwrap().environments.iter().any(|e| e.config.on)
    );

    // A reader sees links but cannot make them.
    let reader = token_with(&s, "reader", &["reader"]).await;
    let r = reader
        .post(s.at("/api/projects/shop/flags/checkout/issues"))
        .json(&json!({"issue": "SAND-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let body: Value = r.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("createFlagLink"), "{body}");
}
