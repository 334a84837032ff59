//! The OFREP fast lane answers as the router does: the same requests sent to `serve` (whose
//! connection loop gives evaluations to the lane) and to the bare router (served by
//! `axum::serve`, as tether served before the lane) come back with the same status, headers
//! and body; and the lane's requests are counted in the route's metrics.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::json;

use crate::TestServer;
use crate::ofrep::setup;

/// One request: method, path, headers, body (sent with its `Content-Length`).
struct Case {
    name: &'static str,
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn post(name: &'static str, path: &str, auth: Option<(&'static str, &str)>, body: &[u8]) -> Case {
    let headers = auth.map(|(h, v)| (h, v.to_owned())).into_iter().collect();
    Case { name, method: Method::POST, path: path.to_owned(), headers, body: body.to_vec() }
}

/// Status, headers but the date, and body.
type Answer = (u16, BTreeMap<String, Vec<String>>, Vec<u8>);

async fn send(client: &reqwest::Client, base: &str, case: &Case) -> Answer {
    let mut request = client.request(case.method.clone(), format!("{base}{}", case.path));
    for (name, value) in &case.headers {
        request = request.header(*name, value);
    }
    let r = request.body(case.body.clone()).send().await.unwrap();
    let status = r.status().as_u16();
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in r.headers() {
        if name != "date" {
            headers.entry(name.to_string()).or_default().push(value.to_str().unwrap().to_owned());
        }
    }
    (status, headers, r.bytes().await.unwrap().to_vec())
}

/// The lines of the Prometheus text that count the OFREP evaluation routes.
async fn evaluation_counts(s: &TestServer) -> BTreeMap<String, f64> {
    let text = s.get("/metrics").await.text().await.unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("tether_http_requests_total{") && l.contains("/ofrep/v1/evaluate")
        })
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

#[tokio::test]
async fn the_fast_lane_answers_every_evaluation_as_the_router_does() {
    let s = TestServer::start().await;
    let key = setup(&s).await;
    // The router alone, on a listener of its own, sharing the server's state.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let router_base = format!("http://{}", listener.local_addr().unwrap());
    let app = tether_server::router(s.state.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();

    let bearer = format!("Bearer {key}");
    let token = format!("Bearer {}", s.token);
    let single = "/ofrep/v1/evaluate/flags/banner";
    let bulk = "/ofrep/v1/evaluate/flags";
    let fr =
        serde_json::to_vec(&json!({"context": {"targetingKey": "u1", "country": "FR"}})).unwrap();
    let vip = serde_json::to_vec(&json!({"context": {"targetingKey": "vip"}})).unwrap();
    let mut cases = vec![
        post("single, Bearer", single, Some(("authorization", &bearer)), &fr),
        post("single, X-API-Key", single, Some(("x-api-key", &key)), &vip),
        post("single, rollout", "/ofrep/v1/evaluate/flags/limit", Some(("x-api-key", &key)), &vip),
        post(
            "single, rollout without a key",
            "/ofrep/v1/evaluate/flags/limit",
            Some(("x-api-key", &key)),
            b"{}",
        ),
        post(
            "single, disabled",
            "/ofrep/v1/evaluate/flags/dark-mode",
            Some(("x-api-key", &key)),
            b"",
        ),
        post(
            "single, unknown flag",
            "/ofrep/v1/evaluate/flags/nope",
            Some(("x-api-key", &key)),
            &fr,
        ),
        post("single, not JSON", single, Some(("x-api-key", &key)), b"{\"context\": "),
        post("single, not an object", single, Some(("x-api-key", &key)), b"[1]"),
        post(
            "single, context not an object",
            single,
            Some(("x-api-key", &key)),
            b"{\"context\": 3}",
        ),
        post("single, no key", single, None, &fr),
        post("single, unknown key", single, Some(("x-api-key", "tsk_nope")), &fr),
        post("single, an API token", single, Some(("authorization", &token)), &fr),
        post(
            "single, percent-encoded key",
            "/ofrep/v1/evaluate/flags/ban%6Eer",
            Some(("x-api-key", &key)),
            &fr,
        ),
        post(
            "single, trailing slash",
            "/ofrep/v1/evaluate/flags/banner/",
            Some(("x-api-key", &key)),
            &fr,
        ),
        post("bulk", bulk, Some(("authorization", &bearer)), &fr),
        post("bulk, empty body", bulk, Some(("x-api-key", &key)), b""),
        post("bulk, not JSON", bulk, Some(("x-api-key", &key)), b"nope"),
        post("bulk, no key", bulk, None, b"{}"),
        post("bulk, with a query", &format!("{bulk}?x=1"), Some(("x-api-key", &key)), &vip),
        Case {
            name: "single, GET",
            method: Method::GET,
            path: single.to_owned(),
            headers: vec![("x-api-key", key.clone())],
            body: vec![],
        },
    ];
    let etag = send(&client, &s.url, &cases[14]).await.1["etag"][0].clone();
    let mut revalidated = post("bulk, If-None-Match", bulk, Some(("x-api-key", &key)), &fr);
    revalidated.headers.push(("if-none-match", etag.clone()));
    cases.push(revalidated);
    let mut stale = post("bulk, another If-None-Match", bulk, Some(("x-api-key", &key)), &fr);
    stale.headers.push(("if-none-match", "\"0-0000000000000000\"".to_owned()));
    cases.push(stale);
    let mut big =
        post("single, over the body limit", single, Some(("x-api-key", &key)), &[b' '; 1]);
    big.body = vec![b' '; tether_server::ServerConfig::default().body_limit + 1];
    cases.push(big);

    for case in &cases {
        let through_lane = send(&client, &s.url, case).await;
        let through_router = send(&client, &router_base, case).await;
        assert_eq!(through_lane, through_router, "{}", case.name);
    }
    // The cases cover what they are named for.
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for case in &cases {
            v.push(send(&client, &s.url, case).await.0);
        }
        v
    };
    for status in [200, 304, 400, 401, 403, 404, 405, 413] {
        assert!(statuses.contains(&status), "no case answered {status}: {statuses:?}");
    }
}

#[tokio::test]
async fn the_lanes_evaluations_are_counted_under_their_routes() {
    let s = TestServer::start().await;
    let key = setup(&s).await;
    // Not the server's client, which sends the admin token.
    let client = reqwest::Client::new();
    let before = evaluation_counts(&s).await;
    for flag in ["banner", "banner", "nope"] {
        let r = client
            .post(s.at(&format!("/ofrep/v1/evaluate/flags/{flag}")))
            .header("x-api-key", &key)
            .json(&json!({"context": {"targetingKey": "u1"}}))
            .send()
            .await
            .unwrap();
        assert!(r.status() == 200 || r.status() == 404, "{}", r.status());
    }
    let r = client.post(s.at("/ofrep/v1/evaluate/flags")).header("x-api-key", &key).send();
    assert_eq!(r.await.unwrap().status(), 200);
    let after = evaluation_counts(&s).await;
    let grew = |series: &str| {
        after.get(series).copied().unwrap_or(0.0) - before.get(series).copied().unwrap_or(0.0)
    };
    let single = "route=\"/ofrep/v1/evaluate/flags/{key}\"";
    let bulk = "route=\"/ofrep/v1/evaluate/flags\"";
    assert_eq!(
        grew(&format!("tether_http_requests_total{{method=\"POST\",{single},status=\"200\"}}")),
        2.0,
        "{after:?}"
    );
    assert_eq!(
        grew(&format!("tether_http_requests_total{{method=\"POST\",{single},status=\"404\"}}")),
        1.0,
        "{after:?}"
    );
    assert_eq!(
        grew(&format!("tether_http_requests_total{{method=\"POST\",{bulk},status=\"200\"}}")),
        1.0,
        "{after:?}"
    );
}
