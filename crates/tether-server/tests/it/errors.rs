//! Error shapes: JSON errors under /api, HTML 404 elsewhere, 413, bad JSON, 405.

use serde_json::json;
use tether_server::ServerConfig;

use crate::TestServer;

#[tokio::test]
async fn unknown_api_routes_get_a_json_404() {
    let s = TestServer::start().await;
    let (status, body) = s.get_json("/api/nothing/here").await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({"code": "not_found", "message": "no API route GET /api/nothing/here"}));
}

#[tokio::test]
async fn unknown_pages_get_an_html_404_with_the_layout() {
    let s = TestServer::start().await;
    let r = s.get("/no/such/page").await;
    assert_eq!(r.status(), 404);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("<h1>Not found</h1>"), "{html}");
    assert!(html.contains("<code>/no/such/page</code>"), "{html}");
    assert!(html.contains("href=\"/flags\""), "the 404 page keeps the navigation");
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_in_the_error_shape_declared_or_streamed() {
    let s =
        TestServer::start_with(ServerConfig { body_limit: 64, ..ServerConfig::default() }).await;
    let big = format!("{{\"key\":\"k\",\"name\":\"{}\"}}", "x".repeat(100));
    let (status, err) = s.post_raw("/api/projects", big.clone()).await;
    assert_eq!(status, 413, "{err}");
    assert_eq!(
        err,
        json!({"code": "payload_too_large", "message": "request body is larger than the limit of 64 bytes"})
    );

    // No Content-Length: the body is cut off while it is read.
    let chunks: Vec<Result<String, std::io::Error>> =
        vec![Ok(big[..50].to_owned()), Ok(big[50..].to_owned())];
    let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let (status, err) = s.post_raw("/api/projects", stream).await;
    assert_eq!(status, 413, "{err}");
    assert_eq!(err["code"], "payload_too_large");
    assert!(s.store.list_projects().await.unwrap().is_empty());
}

#[tokio::test]
async fn malformed_json_and_wrong_content_type_get_400_in_the_error_shape() {
    let s = TestServer::start().await;
    let (status, err) = s.post_raw("/api/projects", "{\"key\": ").await;
    assert_eq!(status, 400);
    assert_eq!(err["code"], "bad_request");
    assert!(err["message"].as_str().unwrap().starts_with("malformed JSON"), "{err}");

    let r = s.client.post(s.at("/api/projects")).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let err: serde_json::Value = r.json().await.unwrap();
    assert_eq!(err["message"], "expected a request body with Content-Type: application/json");
}

#[tokio::test]
async fn a_wrong_method_gets_a_json_405() {
    let s = TestServer::start().await;
    let r = s.client.delete(s.at("/api/projects")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let err: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        err,
        json!({"code": "method_not_allowed", "message": "DELETE is not allowed on /api/projects"})
    );
}
