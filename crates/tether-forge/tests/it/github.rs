//! GitHub deliveries: fixtures in the documented shapes of `push` and `pull_request`, the
//! headers GitHub sends, and what is refused.

use expect_test::expect_file;
use serde_json::json;
use tether_forge::{DeliverySource, DevEvent, Forge, ForgeError, GITHUB_MAX_PUSH_COMMITS};

use crate::support::{GITHUB_DELIVERY, fixture, github_headers, parse, summary};

#[test]
#[rustfmt::skip] // one case a line
fn fixtures() {
    #[track_caller]
    fn check(event: &str, name: &str, expected: &str) {
        let got = summary(&parse(Forge::GitHub, event, &fixture(&format!("github/{name}"))));
        assert_eq!(got, expected, "{name}");
    }
    check("push", "push_commits.json", "push acme/shop@main (default) created=false deleted=false forced=Some(false) commits=3/3 truncated=false head=after generated=[2] private=false");
    check("push", "push_branch_created.json", "push acme/shop@PROJ-3-search created=true deleted=false forced=Some(false) commits=0/0 truncated=false head=after generated=[] private=false");
    check("push", "push_branch_deleted.json", "push acme/shop@PROJ-3-search created=false deleted=true forced=Some(false) commits=0/0 truncated=false head=none generated=[] private=false");
    check("push", "push_forced.json", "push acme/shop@PROJ-4-index created=false deleted=false forced=Some(true) commits=1/1 truncated=false head=after generated=[] private=false");
    check("push", "push_tag.json", "ignored: `v1.0.0` is a tag, not a branch");
    check("pull_request", "pr_opened.json", r#"pr acme/shop#7 Open action=Opened main<-PROJ-1-cart into_default=false author=Some("ada") actor=Some("ada") merge_commit=false draft=false body=false"#);
    check("pull_request", "pr_merged.json", r#"pr acme/shop#7 Merged action=Merged main<-PROJ-1-cart into_default=true author=Some("ada") actor=Some("grace") merge_commit=true draft=false body=true"#);
    check("pull_request", "pr_closed_unmerged.json", r#"pr acme/shop#8 Declined action=Closed main<-PROJ-1-cart into_default=false author=Some("ada") actor=Some("ada") merge_commit=false draft=false body=true"#);
    check("pull_request", "pr_synchronize_draft.json", r#"pr acme/shop#9 Open action=Synchronized main<-PROJ-1-cart into_default=false author=Some("ada") actor=Some("ada") merge_commit=false draft=true body=false"#);
    check("ping", "ping.json", "ignored: tether does not use `ping` events");
    check("issues", "ping.json", "ignored: tether does not use `issues` events");
}

/// Every field of a push and of a merged pull request, as read.
#[test]
fn full_readings() {
    for (event, name) in [("push", "push_commits"), ("pull_request", "pr_merged")] {
        let incoming = parse(Forge::GitHub, event, &fixture(&format!("github/{name}.json")));
        let got = format!("{incoming:#?}\n");
        expect_file![format!("snapshots/github_{name}.txt")].assert_eq(&got);
    }
}

#[test]
fn delivery_and_hook_ids() {
    let incoming = parse(Forge::GitHub, "push", &fixture("github/push_commits.json")).unwrap();
    assert_eq!(incoming.delivery.as_str(), GITHUB_DELIVERY);
    assert_eq!(incoming.delivery.source(), DeliverySource::GitHubDelivery);
    assert_eq!(incoming.hook_id.as_deref(), Some("292430182"));
    assert_eq!(incoming.event_name, "push");
    assert_eq!(incoming.forge, Forge::GitHub);
}

/// Payloads cut down to what the documentation marks required, with `null` wherever it
/// allows one: all still read, with the unknowns read the safe way.
#[test]
#[rustfmt::skip] // one case a line
fn tolerated_shapes() {
    #[track_caller]
    fn check(event: &str, body: serde_json::Value, expected: &str) {
        assert_eq!(summary(&parse(Forge::GitHub, event, body.to_string().as_bytes())), expected, "{body}");
    }
    let repo = json!({"full_name": "a/b", "html_url": "https://github.com/a/b"});
    let zero = "0".repeat(40);
    check("push", json!({"ref": "refs/heads/x", "before": zero, "after": "ab12", "repository": repo}), "push a/b@x created=true deleted=false forced=None commits=0/0 truncated=false head=none generated=[] private=true");
    check("push", json!({"ref": "refs/heads/x", "before": "ab12", "after": zero, "commits": null, "head_commit": null, "repository": repo}), "push a/b@x created=false deleted=true forced=None commits=0/0 truncated=false head=none generated=[] private=true");
    check("push", json!({"ref": "refs/heads/x", "before": "a", "after": "b", "repository": {"full_name": "a/b", "html_url": "u", "private": false, "visibility": "internal", "default_branch": "x"}}), "push a/b@x (default) created=false deleted=false forced=None commits=0/0 truncated=false head=none generated=[] private=true");
    check("push", json!({"ref": "refs/heads/x", "before": "a", "after": "b", "repository": {"full_name": "a/b", "html_url": "u", "visibility": "public"}}), "push a/b@x created=false deleted=false forced=None commits=0/0 truncated=false head=none generated=[] private=false");
    check("push", json!({"ref": "refs/heads/x", "before": "a", "after": "b", "repository": repo, "commits": [{"id": "b", "url": "u", "message": null, "author": null, "added": null}]}), "push a/b@x created=false deleted=false forced=None commits=1/1 truncated=false head=none generated=[] private=true");
    check("push", json!({"ref": "refs/notes/commits", "before": "a", "after": "b", "repository": repo}), "ignored: `refs/notes/commits` is not a branch");
    let pr = json!({"number": 3, "title": null, "body": null, "state": "closed", "merged": null, "merged_at": "2024-01-01T00:00:00Z", "merge_commit_sha": "m", "html_url": "u", "head": {"ref": "h", "sha": "s"}, "base": {"ref": "x"}, "user": null});
    check("pull_request", json!({"action": "closed", "pull_request": pr, "repository": repo, "sender": null}), "pr a/b#3 Merged action=Merged x<-h into_default=false author=None actor=None merge_commit=true draft=false body=false");
    check("pull_request", json!({"action": "labeled", "pull_request": pr, "repository": repo}), "pr a/b#3 Merged action=Other(labeled) x<-h into_default=false author=None actor=None merge_commit=true draft=false body=false");
}

#[test]
fn a_full_push_is_flagged_as_possibly_truncated() {
    let commit = |i: usize| json!({"id": format!("{i:040x}"), "url": "u", "message": "m"});
    let commits: Vec<_> = (0..GITHUB_MAX_PUSH_COMMITS).map(commit).collect();
    let repo = json!({"full_name": "a/b", "html_url": "u"});
    for (n, truncated) in [(GITHUB_MAX_PUSH_COMMITS - 1, false), (GITHUB_MAX_PUSH_COMMITS, true)] {
        let body = json!({"ref": "refs/heads/x", "before": "a", "after": "b", "repository": repo, "commits": commits[..n]});
        let Ok(DevEvent::Push(push)) =
            parse(Forge::GitHub, "push", body.to_string().as_bytes()).map(|i| i.event)
        else {
            panic!("{n} commits: not a push");
        };
        assert_eq!((push.commits.len(), push.total_commits, push.truncated), (n, n, truncated));
    }
}

/// GitHub's other content type: the JSON in a `payload` form field.
#[test]
fn form_encoded_deliveries() {
    let json = fixture("github/pr_merged.json");
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", std::str::from_utf8(&json).unwrap())
        .finish();
    let mut headers = github_headers("pull_request");
    headers[3].1 = "application/x-www-form-urlencoded; charset=utf-8".into();
    let read = tether_forge::parse(Forge::GitHub, &headers, form.as_bytes());
    assert_eq!(summary(&read), summary(&parse(Forge::GitHub, "pull_request", &json)));
    let without_payload = tether_forge::parse(Forge::GitHub, &headers, b"other=1");
    assert!(matches!(without_payload, Err(ForgeError::Malformed { .. })), "{without_payload:?}");
}

#[test]
#[rustfmt::skip] // one case a line
fn refused() {
    #[track_caller]
    fn check(headers: &[(&str, &str)], body: &str, expected: &str) {
        assert_eq!(summary(&tether_forge::parse(Forge::GitHub, headers, body.as_bytes())), expected, "{headers:?} {body}");
    }
    let ok = r#"{"ref": "refs/heads/x", "before": "a", "after": "b", "repository": {"full_name": "a/b", "html_url": "u"}}"#;
    let push = [("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "d-1")];
    check(&push, ok, "push a/b@x created=false deleted=false forced=None commits=0/0 truncated=false head=none generated=[] private=true");
    check(&[("x-github-event", "push"), ("x-github-delivery", "d-1")], ok, "push a/b@x created=false deleted=false forced=None commits=0/0 truncated=false head=none generated=[] private=true");
    check(&[("X-GitHub-Delivery", "d-1")], ok, "error: the webhook request has no `X-GitHub-Event` header");
    check(&[("X-GitHub-Event", " "), ("X-GitHub-Delivery", "d-1")], ok, "error: the webhook request has no `X-GitHub-Event` header");
    check(&[("X-GitHub-Event", "push")], ok, "error: the webhook request has no `X-GitHub-Delivery` header");
    check(&[("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "d 1")], ok, "error: the webhook body is malformed: the `X-GitHub-Delivery` header is not a delivery id");
    check(&push, "", "error: the webhook body is malformed: push payload: EOF while parsing a value at line 1 column 0");
    check(&push, "{not json", "error: the webhook body is malformed: push payload: key must be a string at line 1 column 2");
    check(&push, "[]", "error: the webhook body is malformed: push payload: a JSON array, not an object");
    check(&push, r#"{"before": "a", "after": "b", "repository": {"full_name": "a/b", "html_url": "u"}}"#, "error: the webhook body is malformed: push payload: missing field `ref` at line 1 column 82");
    check(&push, r#"{"ref": "refs/heads/x", "before": "a", "after": "b", "repository": {"html_url": "u"}}"#, "error: the webhook body is malformed: push payload: missing field `full_name` at line 1 column 84");
    check(&push, r#"{"ref": "refs/heads/x", "before": "a", "after": "b", "repository": {"full_name": "a/b", "html_url": "u"}, "commits": [{"url": "u"}]}"#, "error: the webhook body is malformed: push payload: missing field `id` at line 1 column 130");
    check(&[("X-GitHub-Event", "pull_request"), ("X-GitHub-Delivery", "d-1")], r#"{"action": "opened", "pull_request": {"number": "7"}}"#, "error: the webhook body is malformed: pull_request payload: invalid type: string \"7\", expected u64 at line 1 column 51");
    // An event tether does not use is answered without reading its body.
    check(&[("X-GitHub-Event", "star"), ("X-GitHub-Delivery", "d-1")], "{not json", "ignored: tether does not use `star` events");
}

/// serde reads a struct from a JSON array by position, so an array of the right length
/// was read as a push to `x`.
#[test]
fn a_json_array_is_not_read_as_a_push() {
    // ["refs/heads/x", "a", "b", null, null, null, [], null, {"full_name": "a/b", "html_url": "u"}]
    let body = json!(["refs/heads/x", "a", "b", null, null, null, [], null, {"full_name": "a/b", "html_url": "u"}]);
    let read = parse(Forge::GitHub, "push", body.to_string().as_bytes());
    assert_eq!(
        summary(&read),
        "error: the webhook body is malformed: push payload: a JSON array, not an object"
    );
}
