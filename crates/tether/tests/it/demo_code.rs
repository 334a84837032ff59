//! `tether demo`'s code ↔ Jira part: the local git repository it writes is scanned and its
//! commits reach the Cloud sandbox (SHOP-1's Development panel, SHOP-3 moved to Done by
//! "Closes SHOP-3"), and the `curl` line it prints delivers a signed GitHub push that links
//! SHOP-2. A second run does it again on its fresh sandbox.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::Sandboxed;

/// The banner's `curl` line (it spans three lines): the URL, the headers, the body file.
fn curl_parts(banner: &str) -> (String, Vec<(String, String)>, String) {
    let from = banner.find("A signed GitHub push").expect("the push's lines");
    let start = from + banner[from..].find("curl -s ").expect("a curl line");
    let end = start + banner[start..].find("--data-binary @").expect("its body file");
    let file = banner[end + "--data-binary @".len()..].lines().next().unwrap().trim().to_owned();
    let text = &banner[start + "curl -s ".len()..end];
    let url = text.split_whitespace().next().unwrap().to_owned();
    let headers = text
        .split("-H '")
        .skip(1)
        .map(|h| {
            let h = &h[..h.find('\'').unwrap()];
            let (name, value) = h.split_once(": ").unwrap();
            (name.to_owned(), value.to_owned())
        })
        .collect();
    (url, headers, file)
}

async fn inspect(jira: &str, path: &str) -> Value {
    reqwest::get(format!("{jira}/_sandbox{path}")).await.unwrap().json().await.unwrap()
}

/// Waits (at most 30 s) until `done` holds for what the sandbox shows at `path`.
async fn until(jira: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = inspect(jira, path).await;
        if done(&got) {
            return got;
        }
        assert!(Instant::now() < deadline, "{path} never showed the change: {got}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn cloud_url(banner: &str) -> String {
    let line = banner.lines().find(|l| l.contains("Jira Cloud sandbox:")).unwrap();
    line[line.find("http://").unwrap()..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn the_demo_scans_a_git_repository_and_prints_a_signed_push() {
    let t = Sandboxed::new();
    let mut demo = t.start(&["demo", "--port", "0", "--jira-port", "0"], &[]).await;
    let text = demo.banner().await;
    let cloud = cloud_url(&text);
    assert!(text.contains(&format!("{cloud}/browse/SHOP-1")), "{text}");
    assert!(!text.contains("does not show the scan yet"), "{text}");
    let panel = inspect(&cloud, "/issues/SHOP-1/development").await;
    let repo = &panel["code"]["repositories"][0];
    assert_eq!(repo["name"], "demo-shop", "{panel}");
    let messages: Vec<&str> = repo["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 2, "the main commit and the branch's: {panel}");
    assert_eq!(panel["code"]["branches"], 1, "SHOP-1-express: {panel}");
    let moved = inspect(&cloud, "/transitions?issue=SHOP-3").await;
    assert_eq!(moved.as_array().unwrap().len(), 1, "{moved}");
    assert_eq!(moved[0]["to_status"], "Done", "{moved}");
    let comments = inspect(&cloud, "/comments?issue=SHOP-1").await;
    assert!(
        comments
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["body_text"].as_str().unwrap().contains("ready for review")),
        "the Smart Commit's comment: {comments}"
    );

    let (url, headers, file) = curl_parts(&text);
    assert!(url.starts_with(&format!("{}/hooks/github/", demo.url)), "{url}");
    let mut req = reqwest::Client::new().post(&url).body(std::fs::read(&file).unwrap());
    for (name, value) in &headers {
        req = req.header(name, value);
    }
    assert_eq!(req.send().await.unwrap().status().as_u16(), 202);
    let links = until(&cloud, "/remote-links?issue=SHOP-2", |v| v[0].is_object()).await;
    assert!(links[0]["object"]["url"].as_str().unwrap().contains("github.com/acme/shop"));
    demo.signal("TERM");
    assert_eq!(demo.child.wait().await.unwrap().code(), Some(0));

    // Again: the repository is written and scanned afresh, reaching the new sandbox.
    let mut again = t.start(&["demo", "--port", "0", "--jira-port", "0"], &[]).await;
    let text = again.banner().await;
    let cloud = cloud_url(&text);
    assert!(!text.contains("does not show the scan yet"), "{text}");
    let moved = inspect(&cloud, "/transitions?issue=SHOP-3").await;
    assert_eq!(moved.as_array().unwrap().len(), 1, "{moved}");
    again.signal("TERM");
    assert_eq!(again.child.wait().await.unwrap().code(), Some(0));
}
