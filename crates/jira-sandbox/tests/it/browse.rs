//! `/browse/{key}`, the issue page for people, and its JSON form
//! `/_sandbox/issues/{key}/development`: flags from the Feature Flags API, remote links.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::featureflags::flag;
use crate::support::{self, Auth, Server};

/// The page, anonymously, as a browser asks for it; asserts HTML and returns it.
async fn page(srv: &Server, key: &str, want: StatusCode) -> String {
    let r = reqwest::get(format!("{}/browse/{key}", srv.base)).await.unwrap();
    assert_eq!(r.status(), want);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/html"), "{ct}");
    r.text().await.unwrap()
}

async fn development(srv: &Server, key: &str) -> support::Resp {
    let path = format!("/_sandbox/issues/{key}/development");
    srv.call_as(Auth::None, Method::GET, &path, None).await
}

/// A flag with a hostile name, rules in production and a percentage in staging.
fn checkout_flag(id: &str, keys: &[&str]) -> Value {
    let mut f = flag(id, 3, keys);
    f["displayName"] = json!("Checkout <b>v2</b> & more");
    f["summary"]["status"] =
        json!({"enabled": true, "defaultValue": "off", "rollout": {"rules": 2}});
    f["details"] = json!([
        {"url": "https://tether.test/f/prod", "lastUpdated": "2024-01-31T10:15:00Z",
         "environment": {"name": "production", "type": "production"},
         "status": {"enabled": true, "rollout": {"rules": 2}}},
        {"url": "javascript:alert(1)", "lastUpdated": "2024-01-30T09:00:00Z",
         "environment": {"name": "staging"},
         "status": {"enabled": false, "rollout": {"percentage": 12.5}}},
    ]);
    f
}

#[tokio::test]
async fn the_issue_page_shows_its_flags_escaped() {
    let srv = support::cloud().await;
    let key = srv.create(3, "<script>alert('x')</script> & co").await;
    let other = srv.create(3, "Another").await;
    let r = srv
        .app_post(
            "/rest/featureflags/0.1/bulk",
            json!({"flags": [checkout_flag("checkout", &[&key]), flag("second", 1, &[&key, &other]),
                             flag("elsewhere", 1, &[&other])]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);

    let html = page(&srv, &key, StatusCode::OK).await;
    assert!(html.contains(&key), "{html}");
    // The summary stays text: no script element comes out of it.
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"), "{html}");
    for want in [
        "<a href=\"https://tether.test/f\">Checkout &lt;b&gt;v2&lt;/b&gt; &amp; more</a>",
        "Enabled; rollout 2 rules; serves <code>off</code> when off",
        "last updated 2024-01-31T10:15:00.000Z",
        "<td><a href=\"https://tether.test/f/prod\">production</a></td><td>production</td><td>Enabled</td><td>2 rules</td>",
        // A non-web URL is not a link.
        "<td>staging</td><td></td><td>Disabled</td><td>12.5%</td>",
        "Flag second",
        "25%",
        "To Do",
        "Unassigned",
    ] {
        assert!(html.contains(want), "{want}\n{html}");
    }
    assert!(!html.contains("javascript:"), "{html}");
    assert!(!html.contains("Flag elsewhere"), "a flag of another issue: {html}");
    assert!(html.contains("No remote links."), "{html}");

    let html = page(&srv, "SAND-404", StatusCode::NOT_FOUND).await;
    assert!(html.contains("There is no issue SAND-404."), "{html}");
    let html = page(&srv, "<i>x", StatusCode::NOT_FOUND).await;
    assert!(html.contains("&lt;i&gt;x") && !html.contains("<i>"), "{html}");
}

#[tokio::test]
async fn the_issue_page_shows_remote_links_struck_through_when_resolved() {
    // Data Center: no Feature Flags API, so remote links are how flags reach an issue.
    let srv = support::dc().await;
    let key = srv.create(2, "Linked").await;
    let link = |id: &str, title: &str, resolved: bool| {
        json!({"globalId": id, "relationship": "controlled by", "application": {"type": "dev.tether", "name": "tether"},
               "object": {"url": format!("https://tether.test/flags/{id}"), "title": title, "summary": "on in production",
                          "icon": {"url16x16": "https://tether.test/flag.png", "title": "Feature flag"},
                          "status": {"resolved": resolved, "icon": {"url16x16": "https://tether.test/on.png", "title": "On <now>"}}}})
    };
    for body in [link("live", "new-checkout", false), link("gone", "old <checkout>", true)] {
        let r = srv.post(&format!("/rest/api/2/issue/{key}/remotelink"), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let html = page(&srv, &key, StatusCode::OK).await;
    for want in [
        "<img src=\"https://tether.test/flag.png\" alt=\"Feature flag\" width=\"16\" height=\"16\"> <a href=\"https://tether.test/flags/live\">new-checkout</a>",
        "<a href=\"https://tether.test/flags/gone\"><s>old &lt;checkout&gt;</s></a>",
        "<img src=\"https://tether.test/on.png\" alt=\"On &lt;now&gt;\" width=\"16\" height=\"16\">",
        "(controlled by)",
        "No feature flags.",
        "Data Center 9.12.0",
    ] {
        assert!(html.contains(want), "{want}\n{html}");
    }
    assert!(!html.contains("<s>new-checkout"), "{html}");
}

#[tokio::test]
async fn the_development_json_holds_the_same() {
    let srv = support::cloud().await;
    let key = srv.create(3, "Both").await;
    srv.put(&format!("/rest/api/3/issue/{key}"), json!({"fields": {"assignee": {"accountId": srv.get("/rest/api/3/myself").await.body["accountId"]}}}))
        .await;
    srv.app_post(
        "/rest/featureflags/0.1/bulk",
        json!({"flags": [checkout_flag("checkout", &[&key])]}),
    )
    .await;
    let link = json!({"globalId": "g", "object": {"url": "https://tether.test/x", "title": "x", "status": {"resolved": true}}});
    srv.post(&format!("/rest/api/3/issue/{key}/remotelink"), link).await;

    let r = development(&srv, &key).await;
    assert_eq!(r.status, StatusCode::OK);
    let link_id = r.body["remote_links"][0]["id"].clone();
    assert_eq!(
        r.body,
        json!({
            "issue_key": key, "summary": "Both", "status": "To Do",
            "assignee": {"name": "admin", "display_name": "Sandbox Admin"},
            "feature_flags": [{
                "id": "checkout", "key": "checkout-key", "display_name": "Checkout <b>v2</b> & more",
                "url": "https://tether.test/f", "enabled": true, "default_value": "off",
                "rollout": {"rules": 2}, "last_updated": "2024-01-31T10:15:00.000Z",
                "update_sequence_id": 3,
                "environments": [
                    {"name": "production", "type": "production", "url": "https://tether.test/f/prod",
                     "enabled": true, "default_value": null, "rollout": {"rules": 2},
                     "last_updated": "2024-01-31T10:15:00Z"},
                    {"name": "staging", "type": null, "url": "javascript:alert(1)",
                     "enabled": false, "default_value": null, "rollout": {"percentage": 12.5},
                     "last_updated": "2024-01-30T09:00:00Z"},
                ],
            }],
            "remote_links": [{
                "id": link_id, "global_id": "g", "relationship": null, "application": null,
                "title": "x", "url": "https://tether.test/x", "summary": null, "resolved": true,
                "icon": null, "status_icon": null,
            }],
            "builds": [], "deployments": [],
            "code": {"branches": 0, "commits": 0, "pull_requests": 0, "pull_request_status": null,
                     "last_updated": null, "repositories": []},
        })
    );
    assert!(link_id.is_u64(), "{link_id}");
    assert_eq!(development(&srv, "SAND-404").await.status, StatusCode::NOT_FOUND);
}
