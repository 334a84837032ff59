//! Reading an OFREP request body into a context, or refusing it with OFREP's error code, one
//! case a line; expectations refresh with `UPDATE_EXPECT=1`.

use expect_test::{Expect, expect};
use serde_json::Value;
use tether_flags::{Context, request_context};

/// `ok <context as JSON> key=<targetingKey>` or `<OFREP code>: <errorDetails>`.
#[track_caller]
fn check(body: &[u8], expected: Expect) {
    let rendered = match request_context(body) {
        Ok(ctx) => {
            let key = Context::new(&ctx).targeting_key().map(str::to_owned);
            format!("ok {} key={key:?}", Value::Object(ctx))
        }
        Err(e) => format!("{}: {e}", e.code()),
    };
    expected.assert_eq(&rendered);
}

#[test]
#[rustfmt::skip] // one case a line
fn request_bodies() {
    // No context at all.
    check(b"", expect!["ok {} key=None"]);
    check(b" \r\n\t", expect!["ok {} key=None"]);
    check(b"\x0c\n", expect!["ok {} key=None"]); // a form feed is ASCII whitespace, not JSON's
    check(b"{}", expect!["ok {} key=None"]);
    check(br#"{"context": null}"#, expect!["ok {} key=None"]);
    check(br#"{"context": {}}"#, expect!["ok {} key=None"]);
    // A context, with other members ignored and the last of two `context`s counting.
    check(br#"{"context": {"targetingKey": "user-1", "country": "FR"}}"#, expect![[r#"ok {"country":"FR","targetingKey":"user-1"} key=Some("user-1")"#]]);
    check(br#" {"flags": ["a"], "context": {"targetingKey": 7}} "#, expect![[r#"ok {"targetingKey":7} key=None"#]]);
    check(br#"{"context": {"targetingKey": "a"}, "context": {"targetingKey": "b"}}"#, expect![[r#"ok {"targetingKey":"b"} key=Some("b")"#]]);
    check(br#"{"context": {"user": {"email": "a@example.com"}, "app.version": "1.2"}}"#, expect![[r#"ok {"app.version":"1.2","user":{"email":"a@example.com"}} key=None"#]]);
    // Not JSON.
    check(b"{nope", expect!["PARSE_ERROR: the body is not JSON: key must be a string at line 1 column 2"]);
    check(b"{} {}", expect!["PARSE_ERROR: the body is not JSON: trailing characters at line 1 column 4"]);
    check(b"\xef\xbb\xbf{}", expect!["PARSE_ERROR: the body is not JSON: expected value at line 1 column 1"]);
    check(b"{\"context\": {\"k\": \"\xff\"}}", expect!["PARSE_ERROR: the body is not JSON: invalid unicode code point at line 1 column 20"]);
    check(b"\x0c{}", expect!["PARSE_ERROR: the body is not JSON: expected value at line 1 column 1"]);
    check(&[b'['; 200], expect!["PARSE_ERROR: the body is not JSON: recursion limit exceeded at line 1 column 128"]);
    // JSON, but not an object.
    check(b"null", expect!["PARSE_ERROR: the body must be a JSON object"]);
    check(b"[1, 2]", expect!["PARSE_ERROR: the body must be a JSON object"]);
    check(br#""context""#, expect!["PARSE_ERROR: the body must be a JSON object"]);
    // A context that is not an object.
    check(br#"{"context": [1, 2]}"#, expect![[r#"INVALID_CONTEXT: "context" must be a JSON object"#]]);
    check(br#"{"context": "user-1"}"#, expect![[r#"INVALID_CONTEXT: "context" must be a JSON object"#]]);
    check(br#"{"context": false}"#, expect![[r#"INVALID_CONTEXT: "context" must be a JSON object"#]]);
}
