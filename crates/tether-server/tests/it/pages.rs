//! The web UI shell: status page, navigation, stylesheet.

use crate::TestServer;

#[tokio::test]
async fn the_status_page_shows_version_backend_health_and_outbox() {
    let s = TestServer::start().await;
    assert_eq!(s.get("/").await.url().path(), "/flags", "the start page is the flag list");
    let html = s.get("/status").await.text().await.unwrap();
    let field = |name: &str| {
        let start = html
            .find(&format!("data-field=\"{name}\""))
            .unwrap_or_else(|| panic!("no {name}: {html}"));
        let rest = &html[start..];
        let value = &rest[rest.find('>').unwrap() + 1..rest.find("</dd>").unwrap()];
        value.to_owned()
    };
    assert_eq!(field("version"), tether_server::VERSION);
    assert_eq!(field("backend"), "SQLite");
    assert_eq!(field("health"), "ready");
    let n = s.store.schema_status().await.unwrap().expected;
    assert_eq!(field("migrations"), format!("{n}/{n} applied"));
    assert_eq!(field("outbox-depth"), "0");
    assert_eq!(field("outbox-age"), "none waiting");
}

#[tokio::test]
async fn every_navigation_entry_renders_with_itself_marked_current() {
    let s = TestServer::start().await;
    let status_html = s.get("/status").await.text().await.unwrap();
    let links: Vec<&str> = status_html
        .split("<li><a href=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    assert_eq!(
        links,
        ["/flags", "/jira", "/code", "/tickets", "/insights", "/integrations", "/roles", "/status"]
    );
    for link in links {
        let r = s.get(link).await;
        assert_eq!(r.status(), 200, "{link}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains(&format!("<a href=\"{link}\" aria-current=\"page\">")),
            "{link}: {html}"
        );
        assert!(html.contains("/static/tether.css"));
    }
    let css = s.get("/static/tether.css").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.text().await.unwrap().contains("aria-current"));
}

#[tokio::test]
async fn the_flags_page_lists_projects_escaped() {
    let s = TestServer::start().await;
    let body = serde_json::json!({"key": "shop", "name": "<script>alert(1)</script>"}).to_string();
    assert_eq!(s.post_raw("/api/projects", body).await.0, 201);
    let html = s.get("/flags").await.text().await.unwrap();
    assert!(html.contains("<code>shop</code>"), "{html}");
    assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"), "{html}");
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("Production (primary)"), "{html}");
}

/// The Integrations page once said "No integrations are configured yet" while two
/// Jira sites were, and named a Connect site by its clientKey.
#[tokio::test]
async fn the_integrations_page_lists_jira_sites_by_title_or_host_without_client_keys() {
    use tether_store::{JiraAuthKind, NewJiraSite};
    let s = TestServer::start().await;
    crate::ui_flags::setup(&s).await;
    let (_, empty) = crate::ui_flags::html(&s, "/integrations").await;
    assert!(empty.contains("No Jira site yet"), "{empty}");
    let site = |name: &str, url: &str, kind, user: &str, title: Option<&str>| NewJiraSite {
        name: name.into(),
        url: url.into(),
        api_url: None,
        deployment: Some("cloud".into()),
        auth_kind: kind,
        auth_user: user.into(),
        secret: "s3cret".to_owned().into(),
        options: title
            .map(|t| serde_json::json!({"server_title": t}).as_object().unwrap().clone())
            .unwrap_or_default(),
    };
    let connect = s
        .store
        .create_jira_site(
            &site(
                "127.0.0.1-18301",
                "http://127.0.0.1:18301",
                JiraAuthKind::Connect,
                "jira:OsBnTZ",
                None,
            ),
            "t",
        )
        .await
        .unwrap();
    s.store
        .create_jira_site(
            &site(
                "acme",
                "https://acme.example",
                JiraAuthKind::ApiToken,
                "ops@acme.example",
                Some("Acme Jira"),
            ),
            "t",
        )
        .await
        .unwrap();
    s.store.set_project_jira("shop", connect.id, None, None, None, "t").await.unwrap();
    let (status, html) = crate::ui_flags::html(&s, "/integrations").await;
    assert_eq!(status, 200);
    let row = |name: &str| {
        let start = html.find(&format!("data-site=\"{name}\"")).unwrap_or_else(|| panic!("{html}"));
        let rest = &html[start..];
        rest[..rest.find("</tr>").unwrap()].to_owned()
    };
    let cloud = row("127.0.0.1-18301");
    assert!(
        cloud.contains(">127.0.0.1:18301</a>") && cloud.contains("Atlassian Connect app"),
        "{cloud}"
    );
    assert!(cloud.contains(">shop</a>"), "shop reports there: {cloud}");
    let acme = row("acme");
    assert!(
        acme.contains(">Acme Jira</a>") && acme.contains("API token of ops@acme.example"),
        "{acme}"
    );
    // A title is not the host (every Jira is "Jira" until named): the host is shown under it,
    // once; a site named by its host shows it once.
    assert!(acme.contains("<span class=\"muted\">acme.example</span>"), "{acme}");
    assert_eq!(cloud.matches("127.0.0.1:18301").count(), 2, "the link and its text: {cloud}");
    // On Cloud an API token reads issues only.
    assert!(acme.contains("flags on Jira Cloud need OAuth credentials"), "{acme}");
    assert!(!html.contains("OsBnTZ") && !html.contains("s3cret"), "{html}");
    assert!(!html.contains("No Jira site yet"), "{html}");
}
