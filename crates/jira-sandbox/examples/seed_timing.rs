//! Measures seeding and search speed: `cargo run --release --example seed_timing -- 100000`.

use std::time::Instant;

use jira_sandbox::{Sandbox, SandboxConfig};

#[tokio::main]
async fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let sandbox = Sandbox::new(SandboxConfig::default()).expect("default config");
    let report = sandbox.seed_issues(n, 1);
    println!(
        "seeded {} issues, {} comments, {} histories ({} items), {} worklogs in {:?} ({:.0} issues/s)",
        report.issues,
        report.comments,
        report.histories,
        report.history_items,
        report.worklogs,
        report.elapsed,
        report.issues as f64 / report.elapsed.as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(sandbox.clone().serve(listener, std::future::pending()));
    let client = reqwest::Client::new();
    let started = Instant::now();
    let (mut token, mut pages, mut seen) = (None::<String>, 0, 0);
    loop {
        let mut body = serde_json::json!({
            "jql": "project in (SAND, DEMO, WEB, OPS, HELP) ORDER BY created ASC",
            "maxResults": 100,
            "fields": ["summary", "status", "created", "updated"],
        });
        if let Some(t) = &token {
            body["nextPageToken"] = serde_json::json!(t);
        }
        let page: serde_json::Value = client
            .post(format!("{base}/rest/api/3/search/jql"))
            .basic_auth("admin@sandbox.test", Some("sandbox-token"))
            .json(&body)
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        pages += 1;
        seen += page["issues"].as_array().map_or(0, Vec::len);
        match page["nextPageToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    let elapsed = started.elapsed();
    println!(
        "paged {seen} issues in {pages} pages of 100 in {elapsed:?} ({:.0} pages/s, one client, sequential)",
        pages as f64 / elapsed.as_secs_f64()
    );
}
