//! The web UI shell: status page, navigation, stylesheet.

use crate::TestServer;

#[tokio::test]
async fn the_status_page_shows_version_backend_health_and_outbox() {
    let s = TestServer::start().await;
    let r = s.get("/").await;
    assert_eq!(r.url().path(), "/status", "the start page redirects to the status page");
    let html = r.text().await.unwrap();
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
        ["/flags", "/jira", "/integrations", "/tickets", "/insights", "/roles", "/status"]
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
