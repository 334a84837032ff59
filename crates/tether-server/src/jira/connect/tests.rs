//! Unit tests of reading a request from Jira: its query as `qsh` sees it, and its JWT.

use axum::http::{HeaderMap, HeaderValue, Uri};

use super::{decode_component, presented_jwt, query_pairs};

#[test]
fn the_query_is_decoded_as_connect_hashes_it() {
    let check = |uri: &str, expect: &[(&str, &str)]| {
        let pairs = query_pairs(&uri.parse::<Uri>().unwrap());
        let expect: Vec<(String, String)> =
            expect.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        assert_eq!(pairs, expect, "{uri}");
    };
    check("/p", &[]);
    check("/p?issueKey=SAND-1", &[("issueKey", "SAND-1")]);
    check("/p?issueSummary=Fast+checkout%21", &[("issueSummary", "Fast checkout!")]);
    check("/p?a=1&a=2&flag", &[("a", "1"), ("a", "2"), ("flag", "")]);
    check("/p?x=%2A%7E%20&&y=%", &[("x", "*~ "), ("y", "%")]);
    check("/p?e=%E2%9C%93", &[("e", "✓")]);
    assert_eq!(decode_component("%zz%4"), "%zz%4");
}

#[test]
fn the_jwt_comes_from_the_header_else_the_query() {
    let mut headers = HeaderMap::new();
    let query = vec![("jwt".to_owned(), "from-query".to_owned())];
    assert_eq!(presented_jwt(&headers, &query).as_deref(), Some("from-query"));
    assert_eq!(presented_jwt(&headers, &[]), None);
    headers.insert("authorization", HeaderValue::from_static("JWT from-header"));
    assert_eq!(presented_jwt(&headers, &query).as_deref(), Some("from-header"));
    headers.insert("authorization", HeaderValue::from_static("Bearer tether-api-x"));
    assert_eq!(presented_jwt(&headers, &[]), None, "an API token is not a Connect JWT");
}

#[test]
fn connect_installs_come_only_from_allowed_hosts() {
    let atlassian: Vec<String> =
        crate::ATLASSIAN_CLOUD_HOSTS.iter().map(|h| (*h).to_owned()).collect();
    let loopback = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let cases: &[(&[String], &str, bool)] = &[
        (&atlassian, "https://acme.atlassian.net", true),
        (&atlassian, "https://ACME.Atlassian.net./", true),
        (&atlassian, "https://acme.jira.com", true),
        (&atlassian, "https://atlassian.net", false),
        (&atlassian, "https://evilatlassian.net", false),
        (&atlassian, "https://acme.atlassian.net.evil.example", false),
        (&atlassian, "https://acme.atlassian.net@evil.example", false),
        // The takeover report's installs came from loopback with paths in their names.
        (&atlassian, "http://127.0.0.1:18301/a/b", false),
        (&loopback, "http://127.0.0.1:18301", true),
        (&loopback, "http://localhost:1", true),
        (&loopback, "http://127.0.0.2:1", false),
        (&loopback, "not a url", false),
    ];
    for (allowed, url, want) in cases {
        assert_eq!(super::allowed_base_url(allowed, url), *want, "{url} with {allowed:?}");
    }
}
