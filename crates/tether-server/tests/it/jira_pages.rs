//! The Jira pages of the web UI over HTTP, against a sandbox Jira: the `/jira`
//! page (sites, the connection test, project tracking), the flag's
//! Integrations tab, what an issue shows, and the pages Jira opens to create or
//! connect a flag. Every form works without JavaScript and answers a refusal
//! inline, with nothing stored.

use serde_json::json;

use crate::TestServer;
use crate::jira_api::{Jira, add_cloud_site, send, shop, token_with, tracked_shop};

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

/// The text of the element with `id`, tags stripped and spaces squeezed.
fn text_of(html: &str, id: &str) -> String {
    let start = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id}: {html}"));
    let open = start + html[start..].find('>').unwrap() + 1;
    let tag_start = html[..start].rfind('<').unwrap();
    let tag: String = html[tag_start + 1..].chars().take_while(|c| c.is_alphanumeric()).collect();
    let end = open + html[open..].find(&format!("</{tag}>")).unwrap();
    let mut out = String::new();
    let mut in_tag = false;
    for c in html[open..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn the_jira_pages_ask_to_sign_in_and_come_back() {
    let s = TestServer::start().await;
    let anonymous =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for path in [
        "/jira",
        "/issues/SAND-1",
        "/jira/issue-flags?issueKey=SAND-1",
        "/jira/create-flag?issueKey=SAND-1&issueSummary=Faster%20checkout",
        "/jira/link-flag?issueKey=SAND-1",
    ] {
        let r = anonymous.get(s.at(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 303, "{path}");
        let to = r.headers()["location"].to_str().unwrap();
        assert!(to.starts_with("/signin?next=/"), "{path} -> {to}");
        assert!(!to.contains(' '), "{to}");
    }
    // Opened from Jira's site, the browser holds back the SameSite=Strict cookie:
    // the page loads itself again from tether's own site instead of asking to sign in.
    let from_jira = |path: &str| {
        anonymous
            .get(s.at(path))
            .header("sec-fetch-site", "cross-site")
            .header("sec-fetch-mode", "navigate")
            .send()
    };
    let r =
        from_jira("/jira/create-flag?issueKey=SAND-1&issueSummary=A%20%22quote%22").await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    assert!(
        page.contains(
            "content=\"0;url=/jira/create-flag?issueKey=SAND-1&amp;issueSummary=A%20%22quote%22\""
        ),
        "{page}"
    );
    let r = from_jira("//evil.example/x").await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let page = r.text().await.unwrap();
    assert!(!page.contains("http-equiv"), "only tether's own pages reload: {page}");
    let r = anonymous
        .post(s.at("/jira/sites"))
        .form(&[("kind", "pat"), ("name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "forms need sign-in too");
    assert!(s.store.list_jira_sites().await.unwrap().is_empty());
}

#[tokio::test]
async fn sites_are_added_tested_and_removed_on_the_jira_page() {
    let s = TestServer::start().await;
    let jira = Jira::cloud().await;
    let (status, page) = html(&s, "/jira").await;
    assert_eq!(status, 200);
    assert!(page.contains("No Jira site is connected yet."), "{page}");
    for kind in ["api_token", "oauth2", "pat", "password", "oauth1"] {
        assert!(page.contains(&format!("id=\"add-{kind}\"")), "a form for {kind}");
    }
    assert!(page.contains("/atlassian-connect.json"), "the Connect install is explained");
    let oauth = page.find("id=\"add-oauth2\"").unwrap();
    assert!(oauth < page.find("id=\"add-api_token\"").unwrap(), "OAuth credentials lead");
    assert!(page.contains("Settings → Apps → OAuth credentials → Create credentials"), "{page}");
    assert!(page.contains("December 2026"), "Connect's end of support is said");

    // A refusal comes back inline, as typed, without the secret.
    let form = [
        ("kind", "api_token"),
        ("name", "acme"),
        ("url", "acme.atlassian.net"),
        ("user", "admin@sandbox.test"),
        ("secret", "sandbox-token"),
    ];
    let (status, _, page) = post_form(&s, "/jira/sites", &form).await;
    assert_eq!(status, 422);
    assert!(page.contains("expected an http:// or https:// URL"), "{page}");
    assert!(page.contains("value=\"acme.atlassian.net\""), "typed value kept");
    assert!(page.contains("<details class=\"card add-site\" id=\"add-api_token\" open>"), "{page}");
    assert!(!page.contains("sandbox-token"), "secrets never come back");
    assert!(s.store.list_jira_sites().await.unwrap().is_empty());

    let url = jira.url.clone();
    let form = [
        ("kind", "api_token"),
        ("name", "acme"),
        ("url", url.as_str()),
        ("user", "admin@sandbox.test"),
        ("secret", "sandbox-token"),
    ];
    let (status, to, _) = post_form(&s, "/jira/sites", &form).await;
    assert_eq!((status, to.as_str()), (303, "/jira?saved=site"));
    let (_, page) = html(&s, "/jira?saved=site").await;
    assert_eq!(text_of(&page, "notice"), "Saved the Jira site.");
    assert!(page.contains("data-site=\"acme\""), "{page}");
    assert!(!page.contains("sandbox-token"));
    let (status, _, page) = post_form(&s, "/jira/sites", &form).await;
    assert_eq!(status, 409, "the name is taken");
    assert!(page.contains("a Jira site named"), "{page}");

    let (status, _, page) = post_form(&s, "/jira/sites/acme/test", &[]).await;
    assert_eq!(status, 200);
    let report = text_of(&page, "report");
    assert!(report.starts_with("The connection test found problems. Jira Cloud"), "{report}");
    assert!(report.contains("admin@sandbox.test"), "{report}");
    assert!(report.contains("accepts only apps"), "an API token cannot send flags: {report}");

    let bad = [("kind", "pat"), ("name", "wrong"), ("url", url.as_str()), ("secret", "nope")];
    assert_eq!(post_form(&s, "/jira/sites", &bad).await.0, 303);
    let (_, _, page) = post_form(&s, "/jira/sites/wrong/test", &[]).await;
    let report = text_of(&page, "report");
    assert!(report.starts_with("The connection test found problems."), "{report}");
    assert!(report.contains("personal access tokens"), "the message says what to do: {report}");

    let (status, to, _) = post_form(&s, "/jira/sites/wrong/delete", &[]).await;
    assert_eq!((status, to.as_str()), (303, "/jira?saved=removed"));
    assert_eq!(s.store.list_jira_sites().await.unwrap().len(), 1);
    assert_eq!(post_form(&s, "/jira/sites/wrong/delete", &[]).await.0, 404);
}

#[tokio::test]
async fn a_project_picks_its_site_and_environments_on_the_jira_page() {
    let s = TestServer::start().await;
    let jira = Jira::cloud().await;
    add_cloud_site(&s, &jira, "acme").await;
    shop(&s).await;
    let (_, page) = html(&s, "/jira").await;
    assert!(text_of(&page, "project-shop").contains("Reports to no Jira site"), "{page}");

    let form = [("site", "acme"), ("env", "production"), ("primary", ""), ("version", "0")];
    let (status, to, _) = post_form(&s, "/jira/projects/shop", &form).await;
    assert_eq!((status, to.as_str()), (303, "/jira?saved=project"));
    let t = s.store.project_jira("shop").await.unwrap().unwrap();
    assert_eq!(t.environments, None, "the default set stays the default");
    assert_eq!(t.tracked, ["production"]);

    let form = [
        ("site", "acme"),
        ("env", "staging"),
        ("env", "production"),
        ("primary", "staging"),
        ("version", "1"),
    ];
    assert_eq!(post_form(&s, "/jira/projects/shop", &form).await.0, 303);
    let (_, page) = html(&s, "/jira").await;
    let tracking = text_of(&page, "project-shop");
    assert!(
        tracking.contains("Reports to acme; Jira shows Staging (primary), Production."),
        "{tracking}"
    );

    // Refusals come back inline and change nothing.
    let form = [("site", "acme"), ("env", "staging"), ("primary", "production"), ("version", "2")];
    let (status, _, page) = post_form(&s, "/jira/projects/shop", &form).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Primary environment: &#34;production&#34; is not a tracked environment"),
        "{page}"
    );
    let (status, _, page) =
        post_form(&s, "/jira/projects/shop", &[("site", "acme"), ("version", "2")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Tracked environments: track at least one environment"), "{page}");
    let stale = [("site", "acme"), ("env", "production"), ("version", "1")];
    let (status, _, page) = post_form(&s, "/jira/projects/shop", &stale).await;
    assert_eq!(status, 409);
    assert!(page.contains("someone changed this project"), "{page}");
    assert_eq!(s.store.project_jira("shop").await.unwrap().unwrap().version, 2);

    assert_eq!(post_form(&s, "/jira/projects/shop", &[("site", "")]).await.0, 303);
    assert!(s.store.project_jira("shop").await.unwrap().is_none());
}

#[tokio::test]
async fn issues_are_connected_and_disconnected_on_the_integrations_tab() {
    let s = TestServer::start().await;
    let jira = tracked_shop(&s).await;
    let (status, page) = html(&s, "/flags/shop/checkout?tab=integrations").await;
    assert_eq!(status, 200);
    assert!(page.contains("No Jira issues are connected to this flag."), "{page}");
    assert!(text_of(&page, "jira-site").contains("acme: Production (primary)"), "{page}");

    let (status, _, page) =
        post_form(&s, "/flags/shop/checkout/jira/link", &[("issue", "SAND-99")]).await;
    assert_eq!(status, 422);
    let error = text_of(&page, "issue-error");
    assert!(
        error.contains("has no issue SAND-99") && error.contains("nothing was linked"),
        "{error}"
    );
    assert!(page.contains("value=\"SAND-99\" "), "the key comes back as typed: {page}");
    assert!(page.contains("aria-current=\"page\">Integrations</a>"), "still on the tab");
    assert!(s.store.flag("shop", "checkout").await.unwrap().flag.jira_issues().is_empty());

    let (status, to, _) =
        post_form(&s, "/flags/shop/checkout/jira/link", &[("issue", "sand-1")]).await;
    assert_eq!((status, to.as_str()), (303, "/flags/shop/checkout?tab=integrations"));
    let (_, page) = html(&s, "/flags/shop/checkout?tab=integrations").await;
    assert!(page.contains(&format!("<a href=\"{}/browse/SAND-1\">SAND-1</a>", jira.url)), "{page}");
    assert!(page.contains("Faster checkout"), "{page}");
    assert!(page.contains("<span class=\"status cat-indeterminate\">In Progress</span>"), "{page}");
    assert_eq!(
        text_of(&page, "jira-sync").split('.').next().unwrap(),
        "A change is waiting to be delivered to Jira"
    );

    let (status, to, _) =
        post_form(&s, "/flags/shop/checkout/jira/unlink", &[("issue", "SAND-1")]).await;
    assert_eq!((status, to.as_str()), (303, "/flags/shop/checkout?tab=integrations"));
    assert!(s.store.flag("shop", "checkout").await.unwrap().flag.jira_issues().is_empty());

    // Without a site the tab says to pick one, and connecting says so too.
    send(&s, reqwest::Method::DELETE, "/api/projects/shop/jira", None).await;
    let (status, _, page) =
        post_form(&s, "/flags/shop/checkout/jira/link", &[("issue", "SAND-1")]).await;
    assert_eq!(status, 409);
    assert!(text_of(&page, "issue-error").contains("pick a site"), "{page}");
    assert!(text_of(&page, "jira-site").contains("Choose a site"), "{page}");
}

#[tokio::test]
async fn the_tab_shows_unknown_keys_and_failures_from_the_last_delivery() {
    let s = TestServer::start().await;
    let _jira = tracked_shop(&s).await;
    for issue in ["SAND-1", "SAND-2"] {
        assert_eq!(
            post_form(&s, "/flags/shop/checkout/jira/link", &[("issue", issue)]).await.0,
            303
        );
    }
    let site = s.store.jira_site_by_name("acme").await.unwrap();
    let sync = s.store.flag_sync(site.id, "shop", "checkout").await.unwrap().unwrap();
    let pushed = json!({"issue_keys": ["SAND-1", "SAND-2"], "environments": ["production"], "seq": sync.seq});
    let result =
        json!({"unknown_issue_keys": ["SAND-2"], "failed": {"shop/checkout": ["bad summary"]}});
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
    let (_, page) = html(&s, "/flags/shop/checkout?tab=integrations").await;
    assert!(page.contains("data-state=\"failing\""), "{page}");
    assert_eq!(
        text_of(&page, "unknown-keys"),
        "Jira does not know: SAND-2. Check the keys, or disconnect them."
    );
    assert_eq!(text_of(&page, "failures"), "shop/checkout: bad summary");
    assert!(page.contains("unknown to Jira"), "the issue row is marked");
    assert!(
        text_of(&page, "jira-sync").contains("to SAND-1, SAND-2, showing production"),
        "{page}"
    );
}

#[tokio::test]
async fn an_issue_shows_its_flags_as_jira_does() {
    let s = TestServer::start().await;
    let _jira = tracked_shop(&s).await;
    assert_eq!(
        post_form(&s, "/flags/shop/checkout/jira/link", &[("issue", "SAND-1")]).await.0,
        303
    );
    let rollout = json!({"on": true, "off_variation": "off", "default_rule": {"rollout": {"variations": [
        {"variation": "on", "weight": 12500}, {"variation": "off", "weight": 87500}]}}});
    let path = "/api/projects/shop/flags/checkout/environments/production";
    assert_eq!(send(&s, reqwest::Method::PUT, path, Some(rollout)).await.0, 200);

    let (status, page) = html(&s, "/issues/sand-1").await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&page, "headline"), "New checkout", "one flag: its name");
    assert_eq!(text_of(&page, "issue-summary"), "Faster checkout");
    let card = text_of(&page, "flag-shop-checkout");
    assert_eq!(card, "New checkout checkout");
    // Both shares and the default treatment, never "rollout 1 rule" (issue 12 §5).
    let words = "12.5% On · 87.5% Off, default treatment Off";
    assert!(
        page.contains(&format!(
            "<span class=\"pill on\">On</span> in Production (primary) · {words}"
        )),
        "{page}"
    );
    assert!(page.contains(&format!("<td>{words}</td><td><code>Off</code></td>")), "{page}");
    assert!(page.contains("Last saved <time"), "{page}");

    let flag = json!({"key": "banner", "name": "Banner", "kind": "boolean",
        "variations": [{"key": "on", "value": true}, {"key": "off", "value": false}],
        "custom_properties": {"jira.issues": {"name": "Jira issues", "values": ["SAND-1"]}}});
    assert_eq!(
        send(&s, reqwest::Method::POST, "/api/projects/shop/flags", Some(flag)).await.0,
        201
    );
    let (_, page) = html(&s, "/jira/issue-flags?issueKey=SAND-1").await;
    assert_eq!(text_of(&page, "headline"), "2 flags", "several: their count");
    assert!(page.contains("data-flag=\"shop/banner\""));

    // Disconnect from the issue's side.
    let (status, to, _) =
        post_form(&s, "/issues/SAND-1/unlink", &[("project", "shop"), ("flag", "banner")]).await;
    assert_eq!((status, to.as_str()), (303, "/issues/SAND-1"));
    let (_, page) = html(&s, "/issues/SAND-1").await;
    assert_eq!(text_of(&page, "headline"), "New checkout");

    let (_, page) = html(&s, "/jira").await;
    assert!(
        page.contains("<a href=\"/issues/SAND-1\">SAND-1</a>"),
        "the Jira page lists it: {page}"
    );
    let (status, page) = html(&s, "/issues/SAND-7").await;
    assert_eq!(status, 200);
    assert!(page.contains("No flags are connected to SAND-7."), "{page}");
    assert_eq!(html(&s, "/issues/not-a-key").await.0, 404);
}

#[tokio::test]
async fn a_flag_is_created_from_an_issue_prefilled_and_linked() {
    let s = TestServer::start().await;
    let _jira = tracked_shop(&s).await;
    let (status, page) =
        html(&s, "/jira/create-flag?issueKey=SAND-2&issueSummary=Remember%20the%20cart!").await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"name\" name=\"name\" value=\"Remember the cart!\""), "{page}");
    assert!(page.contains("id=\"key\" name=\"key\" value=\"remember-the-cart\""), "{page}");
    assert!(page.contains("<option value=\"shop\" selected>Shop</option>"), "{page}");
    assert_eq!(text_of(&page, "issue-key"), "SAND-2");

    let form = |key: &'static str, issue: &'static str| {
        [
            ("issue_key", issue),
            ("issue_summary", "Remember the cart!"),
            ("project", "shop"),
            ("name", "Remember the cart"),
            ("key", key),
            ("description", ""),
        ]
    };
    let (status, _, page) = post_form(&s, "/jira/create-flag", &form("Bad Key", "SAND-2")).await;
    assert_eq!(status, 422);
    assert!(text_of(&page, "key-error").contains("not a valid key"), "{page}");
    assert!(page.contains("value=\"Bad Key\""), "typed value kept");
    let (status, _, page) =
        post_form(&s, "/jira/create-flag", &form("remember-the-cart", "SAND-404")).await;
    assert_eq!(status, 422);
    assert!(text_of(&page, "issue-error").contains("has no issue SAND-404"), "{page}");
    assert_eq!(
        send(&s, reqwest::Method::GET, "/api/projects/shop/flags/remember-the-cart", None).await.0,
        404
    );

    let (status, to, _) =
        post_form(&s, "/jira/create-flag", &form("remember-the-cart", "SAND-2")).await;
    assert_eq!((status, to.as_str()), (303, "/flags/shop/remember-the-cart?tab=integrations"));
    let f = s.store.flag("shop", "remember-the-cart").await.unwrap();
    assert_eq!(f.flag.jira_issues(), ["SAND-2"]);
    assert!(f.environments.iter().all(|e| !e.config.on), "created off everywhere");
    let (status, _, page) =
        post_form(&s, "/jira/create-flag", &form("remember-the-cart", "SAND-2")).await;
    assert_eq!(status, 422);
    assert!(text_of(&page, "key-error").contains("already has a flag"), "{page}");

    let (status, page) = html(&s, "/jira/create-flag?issueSummary=No%20key").await;
    assert_eq!(status, 422);
    assert!(text_of(&page, "issue-error").contains("Open this page from a Jira issue"), "{page}");
}

#[tokio::test]
async fn an_existing_flag_is_chosen_and_connected_from_an_issue() {
    let s = TestServer::start().await;
    let _jira = tracked_shop(&s).await;
    let flag = json!({"key": "banner", "name": "Holiday banner", "kind": "boolean",
        "variations": [{"key": "on", "value": true}, {"key": "off", "value": false}]});
    assert_eq!(
        send(&s, reqwest::Method::POST, "/api/projects/shop/flags", Some(flag)).await.0,
        201
    );
    let (status, page) = html(&s, "/jira/link-flag?issueKey=SAND-1").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("data-flag=\"shop/checkout\"") && page.contains("data-flag=\"shop/banner\"")
    );
    let (_, page) = html(&s, "/jira/link-flag?issueKey=SAND-1&q=holiday").await;
    assert!(
        !page.contains("data-flag=\"shop/checkout\"") && page.contains("data-flag=\"shop/banner\""),
        "{page}"
    );

    let form = [("issue_key", "SAND-1"), ("project", "shop"), ("flag", "banner"), ("q", "holiday")];
    let (status, to, _) = post_form(&s, "/jira/link-flag", &form).await;
    assert_eq!(status, 303);
    assert_eq!(to, "/jira/issue-flags?issueKey=SAND-1&linked=Holiday%20banner");
    let (_, page) = html(&s, &to).await;
    assert_eq!(text_of(&page, "notice"), "Connected Holiday banner to this issue.");
    assert_eq!(text_of(&page, "headline"), "Holiday banner");
    let (_, page) = html(&s, "/jira/link-flag?issueKey=SAND-1&q=holiday").await;
    assert!(page.contains("<span class=\"muted\">connected</span>"), "{page}");

    let form = [("issue_key", "SAND-3"), ("project", "shop"), ("flag", "checkout"), ("q", "")];
    let (status, _, page) = post_form(&s, "/jira/link-flag", &form).await;
    assert_eq!(status, 422);
    assert!(text_of(&page, "link-error").contains("cannot see it"), "{page}");
    assert!(s.store.flag("shop", "checkout").await.unwrap().flag.jira_issues().is_empty());

    // A reader may look but not connect.
    let reader = token_with(&s, "reader", &["reader"]).await;
    let r = reader.get(s.at("/jira/link-flag?issueKey=SAND-1")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = reader
        .post(s.at("/jira/link-flag"))
        .form(&[("issue_key", "SAND-2"), ("project", "shop"), ("flag", "checkout")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.text().await.unwrap().contains("createFlagLink"));
}

#[tokio::test]
async fn forms_posted_from_other_sites_are_refused() {
    let s = TestServer::start().await;
    let _jira = tracked_shop(&s).await;
    for path in [
        "/flags/shop/checkout/jira/link",
        "/jira/link-flag",
        "/jira/create-flag",
        "/jira/sites",
        "/jira/projects/shop",
    ] {
        let r = reqwest::Client::new()
            .post(s.at(path))
            .bearer_auth(&s.token)
            .header("sec-fetch-site", "cross-site")
            .form(&[
                ("issue", "SAND-1"),
                ("issue_key", "SAND-1"),
                ("project", "shop"),
                ("flag", "checkout"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{path}");
    }
    assert!(s.store.flag("shop", "checkout").await.unwrap().flag.jira_issues().is_empty());
}

#[tokio::test]
async fn create_from_an_issue_offers_every_flag_kind() {
    let s = TestServer::start().await;
    let _jira = tracked_shop(&s).await;
    let (_, page) = html(&s, "/jira/create-flag?issueKey=SAND-2&issueSummary=Cart").await;
    for kind in ["boolean\" selected", "string\"", "number\"", "json\""] {
        assert!(page.contains(&format!("<option value=\"{kind}")), "{kind}: {page}");
    }
    // (kind, the variations' values, the off variation)
    let cases = [
        ("string", json!(["control", "treatment"]), "control"),
        ("number", json!([0, 1]), "zero"),
        ("json", json!([{}, {"enabled": true}]), "off"),
        ("boolean", json!([false, true]), "off"),
    ];
    for (kind, values, off) in cases {
        let key = format!("cart-{kind}");
        let form = [
            ("issue_key", "SAND-2"),
            ("project", "shop"),
            ("name", "Cart"),
            ("key", key.as_str()),
            ("kind", kind),
        ];
        let (status, _, page) = post_form(&s, "/jira/create-flag", &form).await;
        assert_eq!(status, 303, "{kind}: {page}");
        let f = s.store.flag("shop", &key).await.unwrap();
        assert_eq!(f.flag.kind.as_str(), kind);
        let got: Vec<&serde_json::Value> = f.flag.variations.iter().map(|v| &v.value).collect();
        assert_eq!(serde_json::to_value(got).unwrap(), values, "{kind}");
        assert!(f.environments.iter().all(|e| !e.config.on && e.config.off_variation == off));
        assert_eq!(f.flag.jira_issues(), ["SAND-2"]);
    }
}

#[tokio::test]
async fn the_chooser_lists_only_flags_of_projects_reporting_to_the_issues_site() {
    let s = TestServer::start().await;
    let _acme = tracked_shop(&s).await;
    let beta = Jira::cloud().await;
    add_cloud_site(&s, &beta, "beta").await;
    let project = json!({"key": "ops", "name": "Ops"});
    assert_eq!(send(&s, reqwest::Method::POST, "/api/projects", Some(project)).await.0, 201);
    let flag = json!({"key": "maintenance", "name": "Maintenance", "kind": "boolean",
        "variations": [{"key": "on", "value": true}, {"key": "off", "value": false}]});
    assert_eq!(send(&s, reqwest::Method::POST, "/api/projects/ops/flags", Some(flag)).await.0, 201);
    let site = json!({"site": "beta"});
    assert_eq!(send(&s, reqwest::Method::PUT, "/api/projects/ops/jira", Some(site)).await.0, 200);

    // SAND-2 is seen on acme once a flag of shop is linked to it: only shop's flags are offered.
    let link = json!({"issue": "SAND-2"});
    let path = "/api/projects/shop/flags/checkout/issues";
    assert_eq!(send(&s, reqwest::Method::POST, path, Some(link)).await.0, 201);
    let (_, page) = html(&s, "/jira/link-flag?issueKey=SAND-2").await;
    assert!(page.contains("data-flag=\"shop/checkout\""), "{page}");
    assert!(!page.contains("data-flag=\"ops/maintenance\""), "another site's project: {page}");
    // An issue tether has not seen on any site: every flag, the site cannot be told.
    let (_, page) = html(&s, "/jira/link-flag?issueKey=SAND-1").await;
    assert!(
        page.contains("data-flag=\"shop/checkout\"")
            && page.contains("data-flag=\"ops/maintenance\"")
    );
}

#[tokio::test]
async fn the_101st_issue_link_is_refused_and_the_flag_page_says_so() {
    let s = TestServer::start().await;
    let _jira = tracked_shop(&s).await;
    for n in 1..=100 {
        s.store.link_flag_issue("shop", "checkout", &format!("BULK-{n}"), "t").await.unwrap();
    }
    let (status, _, page) =
        post_form(&s, "/flags/shop/checkout/jira/link", &[("issue", "SAND-1")]).await;
    assert_eq!(status, 422, "{page}");
    assert!(text_of(&page, "issue-error").contains("at most 100 Jira issues"), "{page}");
    assert!(text_of(&page, "issues-full").contains("linked to 100 issues"), "{page}");
    let link = json!({"issue": "SAND-1"});
    let path = "/api/projects/shop/flags/checkout/issues";
    let (status, err) = send(&s, reqwest::Method::POST, path, Some(link)).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("issue")), "{err}");
    assert_eq!(s.store.flag("shop", "checkout").await.unwrap().flag.jira_issues().len(), 100);
    // Below the limit the note is gone and a link goes through.
    s.store.unlink_flag_issue("shop", "checkout", "BULK-100", "t").await.unwrap();
    let (status, _, _) =
        post_form(&s, "/flags/shop/checkout/jira/link", &[("issue", "SAND-1")]).await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn the_101st_issue_key_in_a_flag_definition_is_refused_too() {
    // `POST /api/projects/shop/flags` with `jira.issues` = BULK-1 … BULK-101: refused whole
    // before Jira is asked, as one link more would be.
    let s = TestServer::start().await;
    let _jira = tracked_shop(&s).await;
    let keys: Vec<String> = (1..=101).map(|n| format!("BULK-{n}")).collect();
    let flag = json!({"key": "banner", "name": "Banner", "kind": "boolean",
        "variations": [{"key": "on", "value": true}, {"key": "off", "value": false}],
        "custom_properties": {"jira.issues": {"name": "Jira issues", "values": keys}}});
    let (status, err) =
        send(&s, reqwest::Method::POST, "/api/projects/shop/flags", Some(flag)).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["field"], "custom_properties[\"jira.issues\"].values", "{err}");
    assert!(err["message"].as_str().unwrap().contains("at most 100 Jira issues"), "{err}");
    let (status, _) = send(&s, reqwest::Method::GET, "/api/projects/shop/flags/banner", None).await;
    assert_eq!(status, 404, "nothing created");
}
