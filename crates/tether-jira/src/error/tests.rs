//! Unit tests of the error classification a background worker relies on.

use std::time::Duration;

use super::*;

#[test]
fn errors_say_whether_and_when_to_try_again() {
    let secs = |s| Some(Duration::from_secs(s));
    // (error, transient, retry after)
    let cases: Vec<(Error, bool, Option<Duration>)> = vec![
        (Error::RateLimited { retry_after: secs(30) }, true, secs(30)),
        (Error::RateLimited { retry_after: None }, true, None),
        (Error::Unavailable { status: 503, retry_after: secs(5) }, true, secs(5)),
        (Error::Unavailable { status: 500, retry_after: None }, true, None),
        (Error::Unavailable { status: 504, retry_after: None }, true, None),
        (Error::Transport("operation timed out".into()), true, None),
        (Error::Transport("connection refused".into()), true, None),
        (Error::BadRequest { status: 408, messages: vec![] }, true, None),
        (Error::BadRequest { status: 400, messages: vec!["bad JQL".into()] }, false, None),
        (Error::BadRequest { status: 409, messages: vec![] }, false, None),
        (Error::BadRequest { status: 410, messages: vec![] }, false, None),
        (Error::BadRequest { status: 413, messages: vec![] }, false, None),
        (Error::Unauthorized { denied_reason: None }, false, None),
        (Error::Unauthorized { denied_reason: Some("CAPTCHA_CHALLENGE".into()) }, false, None),
        (Error::Forbidden { messages: vec![] }, false, None),
        (Error::NotFound { messages: vec![] }, false, None),
        (Error::Decode { endpoint: "GET /myself".into(), detail: "eof".into() }, false, None),
        (Error::Other("Jira 7.6 is too old".into()), false, None),
    ];
    for (err, transient, retry_after) in cases {
        assert_eq!(err.is_transient(), transient, "{err:?}");
        assert_eq!(err.retry_after(), retry_after, "{err:?}");
    }
}
