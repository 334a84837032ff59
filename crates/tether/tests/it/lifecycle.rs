//! The server's life: start, serve, and stop on SIGTERM/SIGINT letting requests
//! in flight finish; the demo's first run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{Sandboxed, admin_token, get_json};

/// Sends the headers and the first half of a POST body, leaving the request in
/// flight until [`finish`] sends the rest.
async fn start_slow_post(base: &str, token: &str, key: &str) -> (TcpStream, String) {
    let addr = base.trim_start_matches("http://");
    let body = format!("{{\"key\":\"{key}\",\"name\":\"Slow {key}\"}}");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/projects HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let half = body.len() / 2;
    stream.write_all(&body.as_bytes()[..half]).await.unwrap();
    stream.flush().await.unwrap();
    (stream, body[half..].to_owned())
}

/// Sends the rest of the body and reads the whole response.
async fn finish(mut stream: TcpStream, rest: String) -> String {
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_lets_requests_in_flight_finish() {
    let t = Sandboxed::new();
    let (code, token, err) =
        t.run(&["tokens", "create", "--name", "load", "--role", "admin"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let token = token.trim().to_owned();
    let mut server = t.start(&["serve"], &[]).await;
    let client = reqwest::Client::new();

    // Background load on keep-alive connections until the server goes away.
    let answered = Arc::new(AtomicU32::new(0));
    let first_answer = Arc::new(tokio::sync::Notify::new());
    let load = {
        let (client, url, answered) = (client.clone(), server.url.clone(), answered.clone());
        let first_answer = first_answer.clone();
        tokio::spawn(async move {
            for _ in 0..100_000 {
                match client.get(format!("{url}/readyz")).send().await {
                    Ok(r) if r.status() == 200 => {
                        first_answer.notify_one();
                        answered.fetch_add(1, Ordering::Relaxed)
                    }
                    Ok(r) => panic!("unexpected status under load: {}", r.status()),
                    Err(_) => break,
                };
            }
            answered.load(Ordering::Relaxed)
        })
    };
    // The load is running before anything else happens (on a busy machine the
    // task may take a while to get its first answer).
    tokio::time::timeout(Duration::from_secs(20), first_answer.notified())
        .await
        .expect("the load generator got no answer in 20 s");
    let mut in_flight = Vec::new();
    for i in 0..5 {
        in_flight.push(start_slow_post(&server.url, &token, &format!("slow-{i}")).await);
    }
    // Make sure those requests reached the server before the signal.
    assert_eq!(client.get(format!("{}/healthz", server.url)).send().await.unwrap().status(), 200);

    server.signal("TERM");
    server
        .next_stderr_matching(|l| l.contains("shutting down"))
        .await
        .expect("tether logged nothing about shutting down");

    // Each request that was in flight when the signal came completes.
    for (stream, rest) in in_flight {
        let response = finish(stream, rest).await;
        assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    }
    let status = tokio::time::timeout(Duration::from_secs(30), server.child.wait())
        .await
        .expect("tether did not exit after SIGTERM")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(load.await.unwrap() > 0, "the load generator got no answers at all");

    // What the slow requests wrote was committed.
    let again = t.start(&["serve"], &[]).await;
    let projects: serde_json::Value = client
        .get(format!("{}/api/projects", again.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(projects.as_array().unwrap().len(), 5, "{projects}");
}

#[tokio::test]
async fn sigint_stops_the_server_cleanly() {
    let t = Sandboxed::new();
    let mut server = t.start(&["serve"], &[("TETHER_LOG_FORMAT", "json")]).await;
    assert_eq!(reqwest::get(format!("{}/healthz", server.url)).await.unwrap().status(), 200);
    server.signal("INT");
    let Some(line) = server.next_stderr_matching(|l| l.contains("shutting down")).await else {
        panic!("no shutdown line; tether exited with {:?}", server.child.wait().await);
    };
    let event: serde_json::Value =
        serde_json::from_str(&line).expect("JSON logs with --log-format json");
    assert_eq!(event["signal"], "SIGINT", "{event}");
    assert_eq!(server.child.wait().await.unwrap().code(), Some(0));
}

#[tokio::test]
async fn the_demo_prints_where_to_look_and_serves_a_sample_project() {
    let t = Sandboxed::new();
    let mut demo = t.start(&["demo", "--port", "0"], &[]).await;
    let banner = demo.banner().await;
    let token = admin_token(&banner);
    assert!(banner.contains(&format!("status:   {}/status", demo.url)), "{banner}");
    let client = reqwest::Client::new();
    let page = client.get(format!("{}/flags", demo.url)).bearer_auth(&token).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("Demo shop"), "{page}");
    // Without the token the flag pages ask to sign in.
    let anonymous = reqwest::get(format!("{}/flags", demo.url)).await.unwrap();
    assert_eq!(anonymous.url().path(), "/signin");
    demo.signal("INT");
    assert_eq!(demo.child.wait().await.unwrap().code(), Some(0));
    // A second demo run reuses the data and does not fail on the existing project.
    let mut again = t.start(&["demo", "--port", "0"], &[]).await;
    let projects = get_json(&format!("{}/api/projects", again.url), &token).await;
    let keys: Vec<&str> =
        projects.as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["demo", "warehouse"], "the same token works on the next run: {projects}");
    again.signal("TERM");
    assert_eq!(again.child.wait().await.unwrap().code(), Some(0));
}
