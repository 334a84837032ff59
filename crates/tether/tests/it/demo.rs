//! `tether demo` with its bundled Jira sandboxes, as a newcomer runs it: the
//! banner's addresses work, a toggle in tether shows on the Cloud sandbox's
//! issue (OAuth credentials, Feature Flags API) and on the Data Center sandbox's
//! issue (remote link), Ctrl-C leaves nothing listening, and a second run
//! starts over with fresh sandboxes on the same data.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Sandboxed, admin_token, get_json};

/// The first URL on the banner line that starts with `label`.
fn url_after(banner: &str, label: &str) -> String {
    let line = banner
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in {banner}"));
    let start = line.find("http://").unwrap_or_else(|| panic!("no URL in {line:?}"));
    line[start..].split_whitespace().next().unwrap().to_owned()
}

/// An issue's development panel, as the sandbox's /browse page draws it.
async fn development(jira: &str, issue: &str) -> Value {
    let url = format!("{jira}/_sandbox/issues/{issue}/development");
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// Waits (at most 30 s) until `done` holds for the issue's development panel.
async fn panel_until(jira: &str, issue: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let panel = development(jira, issue).await;
        if done(&panel) {
            return panel;
        }
        assert!(Instant::now() < deadline, "{issue} never showed the change: {panel}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn toggle(tether: &str, token: &str, project: &str, flag: &str, on: bool) {
    let path =
        format!("{tether}/api/projects/{project}/flags/{flag}/environments/production/toggle");
    let resp = reqwest::Client::new()
        .post(path)
        .bearer_auth(token)
        .json(&json!({"on": on}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

fn remote_link_title(panel: &Value) -> String {
    panel["remote_links"][0]["title"].as_str().unwrap_or_default().to_owned()
}

async fn refused(url: &str) -> bool {
    let addr = url.trim_start_matches("http://");
    tokio::net::TcpStream::connect(addr).await.is_err()
}

#[tokio::test]
async fn the_demo_shows_flag_state_on_issues_in_both_jira_sandboxes() {
    let t = Sandboxed::new();
    let mut demo = t.start(&["demo", "--port", "0", "--jira-port", "0"], &[]).await;
    let text = demo.banner().await;
    let token = admin_token(&text);
    let cloud = url_after(&text, "Jira Cloud sandbox:");
    let dc = url_after(&text, "Jira Data Center sandbox:");
    assert_eq!(url_after(&text, "and watch SHOP-1"), format!("{cloud}/browse/SHOP-1"), "{text}");
    assert_eq!(url_after(&text, "and watch WH-1"), format!("{dc}/browse/WH-1"), "{text}");
    let flag_page = url_after(&text, "toggle \"New checkout\"");
    assert_eq!(flag_page, format!("{}/flags/demo/new-checkout?env=production", demo.url));
    assert!(!text.contains("has not shown the flags yet"), "{text}");

    // Cloud: tether sends with OAuth credentials (no app installed), and SHOP-1 shows the flag.
    let apps: Value =
        reqwest::get(format!("{cloud}/_sandbox/connect/apps")).await.unwrap().json().await.unwrap();
    assert_eq!(apps, json!([]), "{apps}");
    let sites = get_json(&format!("{}/api/jira/sites", demo.url), &token).await;
    let kinds: Vec<&str> =
        sites.as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["oauth2", "pat"], "{sites}");
    // Each site was tested once registered, which kept its Jira's title.
    let titles: Vec<&str> = sites
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["options"]["server_title"].as_str().unwrap_or("none"))
        .collect();
    assert_eq!(titles, ["Demo Jira Cloud sandbox", "Demo Jira Data Center sandbox"], "{sites}");
    assert!(text.contains(&format!("{}/atlassian-connect.json", demo.url)), "{text}");
    assert!(text.contains("forge install"), "{text}");
    let panel = development(&cloud, "SHOP-1").await;
    let flag = &panel["feature_flags"][0];
    assert_eq!(flag["display_name"], "New checkout", "{panel}");
    assert_eq!(flag["enabled"], true, "{panel}");
    let envs: Vec<&str> = flag["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(envs, ["Staging", "Production"], "{panel}");
    let shop4 = development(&cloud, "SHOP-4").await;
    assert_eq!(shop4["feature_flags"].as_array().unwrap().len(), 2, "two flags: {shop4}");
    let page = reqwest::get(format!("{cloud}/browse/SHOP-1")).await.unwrap().text().await.unwrap();
    assert!(page.contains("New checkout"), "{page}");

    // The Cloud sandbox's projects were ingested: the Tickets page lists them.
    let tickets = url_after(&text, &format!("{}/tickets", demo.url));
    assert_eq!(tickets, format!("{}/tickets", demo.url), "{text}");
    let list = get_json(&format!("{}/api/tickets?project=SHOP&limit=500", demo.url), &token).await;
    let keys: Vec<&str> =
        list["tickets"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect();
    for key in ["SHOP-1", "SHOP-2", "SHOP-3", "SHOP-4"] {
        assert!(keys.contains(&key), "{key}: {keys:?}");
    }
    let shop1 = get_json(
        &format!(
            "{}/api/tickets/sites/{}/tickets/SHOP-1",
            demo.url,
            list["tickets"][0]["site"].as_str().unwrap()
        ),
        &token,
    )
    .await;
    assert_eq!(
        (shop1["status"].as_str(), shop1["issue_type"].as_str()),
        (Some("In Progress"), Some("Story")),
        "{shop1}"
    );
    let all = get_json(&format!("{}/api/tickets?limit=500", demo.url), &token).await;
    assert!(all["tickets"].as_array().unwrap().len() > 100, "the generated issues too");
    let page = reqwest::Client::new().get(&tickets).bearer_auth(&token).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("data-ticket=\"SHOP-"));

    toggle(&demo.url, &token, "demo", "new-checkout", false).await;
    panel_until(&cloud, "SHOP-1", |p| p["feature_flags"][0]["enabled"] == false).await;

    // Data Center: WH-1 carries a remote link whose title follows the flag.
    let panel = development(&dc, "WH-1").await;
    let title = remote_link_title(&panel);
    assert!(title.contains("Bulk picking") && title.contains("on in Production"), "{panel}");
    toggle(&demo.url, &token, "warehouse", "bulk-picking", false).await;
    let panel = panel_until(&dc, "WH-1", |p| remote_link_title(p).contains("off in Production"));
    assert_eq!(panel.await["remote_links"].as_array().unwrap().len(), 1);

    // Ctrl-C stops tether and both sandboxes.
    demo.signal("INT");
    assert_eq!(demo.child.wait().await.unwrap().code(), Some(0));
    for url in [&demo.url, &cloud, &dc] {
        assert!(refused(url).await, "{url} still answers after Ctrl-C");
    }

    // A second run keeps tether's data and shows it on fresh sandboxes; the
    // first run's sandbox sites are gone rather than left failing.
    let mut again = t.start(&["demo", "--port", "0", "--jira-port", "0"], &[]).await;
    let text = again.banner().await;
    let cloud = url_after(&text, "Jira Cloud sandbox:");
    let panel = development(&cloud, "SHOP-1").await;
    assert_eq!(panel["feature_flags"][0]["enabled"], false, "the toggle was kept: {panel}");
    let sites = get_json(&format!("{}/api/jira/sites", again.url), &token).await;
    let urls: Vec<&str> =
        sites.as_array().unwrap().iter().map(|s| s["url"].as_str().unwrap()).collect();
    assert_eq!(urls.len(), 2, "{sites}");
    assert!(urls.contains(&cloud.as_str()), "{sites}");
    again.signal("TERM");
    assert_eq!(again.child.wait().await.unwrap().code(), Some(0));
}

#[tokio::test]
async fn the_demo_without_jira_starts_no_sandbox() {
    let t = Sandboxed::new();
    let mut demo = t.start(&["demo", "--port", "0", "--no-jira"], &[]).await;
    let text = demo.banner().await;
    assert!(!text.contains("sandbox"), "{text}");
    let sites = get_json(&format!("{}/api/jira/sites", demo.url), &admin_token(&text)).await;
    assert_eq!(sites, json!([]));

    // The banner's `export` line is all the command line needs next.
    let export = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("export "))
        .unwrap_or_else(|| panic!("no export line in {text}"));
    let vars: Vec<(&str, &str)> = export.split(' ').filter_map(|kv| kv.split_once('=')).collect();
    assert_eq!(
        vars.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        ["TETHER_URL", "TETHER_API_TOKEN", "TETHER_SDK_KEY"]
    );
    assert_eq!(vars[0].1, demo.url);
    assert!(text.contains(&format!("SDK key (production): {}\n", vars[2].1)), "{text}");
    let (code, out, err) = t.run(&["flags", "list", "--project", "demo"], &vars).await;
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    assert!(lines.next().unwrap_or_default().starts_with("KEY  "), "a header row: {out}");
    assert!(lines.any(|l| l.starts_with("new-checkout ")), "{out}");
    demo.signal("TERM");
    assert_eq!(demo.child.wait().await.unwrap().code(), Some(0));
}

#[tokio::test]
async fn a_demo_behind_a_public_url_still_shows_flags_on_the_cloud_sandbox() {
    // With OAuth credentials Jira never calls tether back, so an address the sandbox cannot
    // reach (it calls only loopback) no longer stops the demo, as a Connect install did.
    let t = Sandboxed::new();
    let env = [("TETHER_PUBLIC_URL", "https://tether.example.com")];
    let mut demo = t.start(&["demo", "--port", "0", "--jira-port", "0"], &env).await;
    // tether's own addresses are https here, so the first http:// one is the Cloud sandbox's.
    let cloud = demo.url.clone();
    let rest = demo.banner().await;
    let flag_page = "https://tether.example.com/flags/demo/new-checkout?env=production";
    assert!(rest.contains(flag_page), "{rest}");
    let panel = development(&cloud, "SHOP-1").await;
    assert_eq!(panel["feature_flags"][0]["display_name"], "New checkout", "{panel}");
    demo.signal("TERM");
    assert_eq!(demo.child.wait().await.unwrap().code(), Some(0));
}
