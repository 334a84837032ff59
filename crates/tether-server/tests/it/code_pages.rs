//! The code pages over HTTP: adding a webhook repository shows its address and secret once;
//! the repository's settings with where each value comes from, set and reset per field, a
//! bad pattern refused inline; the delivery log says what was done; the issue page lists
//! the commits that mention it next to its flags; findings offer "Create Jira issue".

use std::time::Duration;

use serde_json::json;
use tether_sync::Worker;
use tether_sync::dev_to_jira::DevContext;
use tether_sync::jira::JiraClients;

use crate::TestServer;
use crate::jira_api::{Jira, add_cloud_site, send};

async fn html(s: &TestServer, path: &str) -> (u16, String) {
    let r = s.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post_form(s: &TestServer, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = client.post(s.at(path)).bearer_auth(&s.token).form(form).send().await.unwrap();
    let status = r.status().as_u16();
    let location =
        r.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

/// The settings row of `field`, tags stripped, spaces squeezed.
fn row(page: &str, field: &str) -> String {
    text_of_row(page, &format!("data-setting=\"{field}\""))
}

/// The Integrations page's row of repository `name`, without the time it ends with.
fn integration_row(page: &str, name: &str) -> String {
    let section = &page[page.find("id=\"code\"").expect("the code section")..];
    let text = text_of_row(section, &format!("data-repo=\"{name}\""));
    let words: Vec<&str> = text.split(' ').collect();
    assert_eq!(words.last(), Some(&"UTC"), "{text}");
    words[..words.len() - 3].join(" ")
}

fn text_of_row(page: &str, marker: &str) -> String {
    let at = page.find(marker).unwrap_or_else(|| panic!("no row {marker}"));
    let start = at + page[at..].find('>').unwrap() + 1;
    let end = start + page[start..].find("</tr>").unwrap();
    let mut out = String::new();
    let mut in_tag = false;
    for c in page[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn repositories_settings_log_and_the_issue_page() {
    let s = TestServer::start().await;
    let jira = Jira::cloud().await;
    add_cloud_site(&s, &jira, "acme").await;
    let (status, _) = html(&s, "/code").await;
    assert_eq!(status, 200);
    let (status, _, page) =
        post_form(&s, "/code/repositories", &[("name", "shop"), ("source", "github")]).await;
    assert_eq!(status, 201);
    let secret_at = page.find("id=\"hook-secret\">").expect("the secret is shown")
        + "id=\"hook-secret\">".len();
    let secret = &page[secret_at..secret_at + 64];
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()), "{secret}");
    let url_at =
        page.find("id=\"hook-url\">").expect("the URL is shown") + "id=\"hook-url\">".len();
    let hook_url = page[url_at..url_at + page[url_at..].find('<').unwrap()].to_owned();
    let (_, page) = html(&s, "/code/repositories/shop").await;
    assert!(!page.contains(secret), "the secret is not shown again");
    // Settings: instance sets the site; the repository a prefix, refused when bad, then reset.
    let (status, location, _) =
        post_form(&s, "/code/settings", &[("field", "site"), ("value", "acme")]).await;
    assert_eq!((status, location.as_str()), (303, "/code/settings"));
    let (status, _, page) = post_form(
        &s,
        "/code/repositories/shop/settings",
        &[("field", "key_prefix"), ("value", "(JIRA")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        row(&page, "key_prefix").contains("not a valid regular expression"),
        "{}",
        row(&page, "key_prefix")
    );
    post_form(&s, "/code/repositories/shop/settings", &[("field", "comments"), ("value", "off")])
        .await;
    let (_, page) = html(&s, "/code/repositories/shop").await;
    assert!(
        row(&page, "site").starts_with("Jira site site acme instance"),
        "{}",
        row(&page, "site")
    );
    assert!(
        row(&page, "comments").starts_with("Comments comments off repository"),
        "{}",
        row(&page, "comments")
    );
    post_form(&s, "/code/repositories/shop/settings", &[("field", "comments"), ("reset", "1")])
        .await;
    let (_, page) = html(&s, "/code/repositories/shop").await;
    assert!(
        row(&page, "comments").starts_with("Comments comments on default"),
        "{}",
        row(&page, "comments")
    );
    // A delivery, processed: the log says what was done; the issue page lists the commit.
    let id = s.store.repository_by_name("shop").await.unwrap().id;
    assert!(hook_url.ends_with(&format!("/hooks/github/{id}")), "{hook_url}");
    let body = json!({"ref": "refs/heads/main", "before": "0000000000000000000000000000000000000000",
        "after": "1111111111111111111111111111111111111111",
        "commits": [{"id": "1111111111111111111111111111111111111111", "message": "SAND-1 faster cart",
            "timestamp": "2026-01-02T10:00:00Z", "url": "https://github.com/acme/shop/commit/1111111",
            "author": {"name": "Ada", "email": "ada@example.com"}}],
        "repository": {"full_name": "acme/shop", "html_url": "https://github.com/acme/shop", "default_branch": "main"}})
    .to_string();
    let sig = tether_forge::github_signature(&secret.to_owned().into(), body.as_bytes()).unwrap();
    let r = reqwest::Client::new()
        .post(s.at(&format!("/hooks/github/{id}")))
        .header("X-GitHub-Event", "push")
        .header("X-GitHub-Delivery", "d-1")
        .header("X-Hub-Signature-256", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let (_, page) = html(&s, "/integrations").await;
    assert_eq!(
        integration_row(&page, "shop"),
        format!("shop github {hook_url} push: waiting to be processed")
    );
    let clients = JiraClients::new(
        s.store.clone(),
        tether_jira::Options { requests_per_second: None, ..Default::default() },
    );
    let mut ctx = DevContext::new(clients, Default::default(), "http://tether.test");
    ctx.hold = Duration::from_millis(1);
    let worker = Worker::new(s.store.clone(), "w").with_code(ctx);
    for _ in 0..3 {
        worker.tick().await.unwrap();
    }
    let (_, page) = html(&s, "/code/repositories/shop").await;
    assert!(page.contains("push to main (1 commits)"), "{page}");
    assert!(
        page.contains("<td>SAND-1</td><td>remote link</td><td class=\"ok\">done</td>"),
        "{page}"
    );
    assert!(page.contains("<td>SAND-1</td><td>comment</td><td class=\"ok\">done</td>"));
    let (_, page) = html(&s, "/integrations").await;
    let row = integration_row(&page, "shop");
    assert!(row.ends_with("push to main (1 commits): done"), "{row}");
    let (status, page) = html(&s, "/issues/SAND-1").await;
    assert_eq!(status, 200);
    assert!(page.contains("data-section=\"code\""));
    assert!(
        page.contains(
            "<a href=\"https://github.com/acme/shop/commit/1111111\">SAND-1 faster cart</a>"
        ),
        "{page}"
    );
    // Findings: a SARIF log, then "Create Jira issue" asks for the project, then offers its types.
    let sarif = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "clippy"}},
        "results": [{"ruleId": "clippy::unwrap_used", "level": "warning", "message": {"text": "used unwrap"}}]}]});
    assert_eq!(
        send(&s, reqwest::Method::POST, "/api/code/repositories/shop/findings", Some(sarif))
            .await
            .0,
        200
    );
    let (_, page) = html(&s, "/code/findings").await;
    assert!(page.contains("Create Jira issue"));
    let finding = s.store.findings(Some(id)).await.unwrap()[0].id;
    let (_, page) = html(&s, &format!("/code/findings/{finding}?project=SAND")).await;
    assert!(page.contains("<option value=\"Bug\">Bug</option>"), "{page}");
    let (status, location, _) = post_form(
        &s,
        &format!("/code/findings/{finding}/form"),
        &[("project", "SAND"), ("issue_type", "Bug")],
    )
    .await;
    assert_eq!(status, 303);
    assert!(
        location.starts_with(&format!("{}/secure/CreateIssueDetails!init.jspa?", jira.url)),
        "{location}"
    );
}

#[tokio::test]
async fn a_group_page_sets_what_its_repositories_inherit() {
    let s = TestServer::start().await;
    let (status, location, _) = post_form(&s, "/code/groups", &[("group_name", "web")]).await;
    assert_eq!((status, location.as_str()), (303, "/code"));
    let (_, page) = html(&s, "/code").await;
    assert!(page.contains("<a href=\"/code/groups/web\">web</a>"), "{page}");
    let (status, _, _) = post_form(
        &s,
        "/code/repositories",
        &[("name", "shop"), ("source", "gitlab"), ("group", "web")],
    )
    .await;
    assert_eq!(status, 201);
    let (status, location, _) =
        post_form(&s, "/code/groups/web", &[("field", "transitions"), ("value", "21, 31")]).await;
    assert_eq!((status, location.as_str()), (303, "/code/groups/web"));
    let (status, page) = html(&s, "/code/groups/web").await;
    assert_eq!(status, 200);
    assert!(
        row(&page, "transitions").starts_with("Transitions transitions 21, 31 group web"),
        "{}",
        row(&page, "transitions")
    );
    assert!(page.contains("value=\"21, 31\""), "the form shows what the group sets");
    let (_, page) = html(&s, "/code/repositories/shop").await;
    assert!(
        row(&page, "transitions").starts_with("Transitions transitions 21, 31 group web"),
        "{}",
        row(&page, "transitions")
    );
    // A bad value is refused on the group's page, naming the field; a reset inherits again.
    let (status, _, page) =
        post_form(&s, "/code/groups/web", &[("field", "comments"), ("value", "maybe")]).await;
    assert_eq!(status, 422);
    assert!(row(&page, "comments").contains("expected on or off"), "{}", row(&page, "comments"));
    post_form(&s, "/code/groups/web", &[("field", "transitions"), ("reset", "1")]).await;
    let (_, page) = html(&s, "/code/repositories/shop").await;
    assert!(row(&page, "transitions").starts_with("Transitions transitions off default"));
    assert_eq!(html(&s, "/code/groups/nope").await.0, 404);
}
