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
