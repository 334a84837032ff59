//! GitLab deliveries: fixtures in the documented shapes of `Push Hook`, `Tag Push Hook` and
//! `Merge Request Hook`, the delivery headers of each GitLab generation, and what is refused.

use expect_test::expect_file;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tether_forge::{DeliverySource, DevEvent, Forge};

use crate::support::{GITLAB_KEY, fixture, gitlab_headers, parse, summary};

#[test]
#[rustfmt::skip] // one case a line
fn fixtures() {
    #[track_caller]
    fn check(event: &str, name: &str, expected: &str) {
        let got = summary(&parse(Forge::GitLab, event, &fixture(&format!("gitlab/{name}"))));
        assert_eq!(got, expected, "{name}");
    }
    check("Push Hook", "push.json", "push acme/shop@main (default) created=false deleted=false forced=None commits=2/4 truncated=true head=after generated=[1] private=false");
    check("Push Hook", "push_branch_created.json", "push acme/shop@PROJ-3-search created=true deleted=false forced=None commits=1/1 truncated=false head=after generated=[] private=true");
    check("Push Hook", "push_branch_deleted.json", "push acme/shop@PROJ-3-search created=false deleted=true forced=None commits=0/0 truncated=false head=none generated=[] private=true");
    check("Tag Push Hook", "tag_push.json", "ignored: `v1.0.0` is a tag, not a branch");
    check("Merge Request Hook", "mr_opened.json", r#"pr acme/shop#3 Open action=Opened main<-PROJ-1-cart into_default=false author=Some("ada") actor=Some("ada") merge_commit=false draft=false body=true"#);
    check("Merge Request Hook", "mr_merged.json", r#"pr acme/shop#3 Merged action=Merged main<-PROJ-1-cart into_default=true author=None actor=Some("grace") merge_commit=true draft=false body=true"#);
    check("Merge Request Hook", "mr_closed.json", r#"pr acme/shop#4 Declined action=Closed main<-PROJ-1-cart into_default=false author=None actor=Some("ada") merge_commit=false draft=false body=false"#);
    check("Merge Request Hook", "mr_update_commits.json", r#"pr acme/shop#3 Open action=Synchronized main<-PROJ-1-cart into_default=false author=None actor=Some("ada") merge_commit=false draft=true body=false"#);
    check("Merge Request Hook", "mr_approved.json", r#"pr acme/shop#3 Open action=Other(approved) main<-PROJ-1-cart into_default=false author=None actor=Some("grace") merge_commit=false draft=false body=false"#);
    // Instance-wide hooks say what they carry in the body.
    check("System Hook", "push.json", "push acme/shop@main (default) created=false deleted=false forced=None commits=2/4 truncated=true head=after generated=[1] private=false");
    check("System Hook", "mr_merged.json", r#"pr acme/shop#3 Merged action=Merged main<-PROJ-1-cart into_default=true author=None actor=Some("grace") merge_commit=true draft=false body=true"#);
    check("System Hook", "tag_push.json", "ignored: `v1.0.0` is a tag, not a branch");
    check("Pipeline Hook", "push.json", "ignored: tether does not use `Pipeline Hook` events");
    check("Note Hook", "mr_opened.json", "ignored: tether does not use `Note Hook` events");
}

/// Every field of a push and of a merged merge request, as read.
#[test]
fn full_readings() {
    for (event, name) in [("Push Hook", "push"), ("Merge Request Hook", "mr_merged")] {
        let incoming = parse(Forge::GitLab, event, &fixture(&format!("gitlab/{name}.json")));
        let got = format!("{incoming:#?}\n");
        expect_file![format!("snapshots/gitlab_{name}.txt")].assert_eq(&got);
    }
}

/// GitLab lists the newest 20 commits of a larger push and counts all of them.
#[test]
fn a_push_of_25_commits_lists_20_and_says_so() {
    let commits: Vec<Value> = (5..25)
        .map(|i| json!({"id": format!("{i:040x}"), "message": format!("PROJ-{i} step"), "title": format!("PROJ-{i} step"), "timestamp": "2024-05-02T10:00:00+02:00", "url": format!("https://gitlab.example.com/acme/shop/-/commit/{i:040x}"), "author": {"name": "Ada", "email": "ada@example.com"}, "added": [], "modified": ["a"], "removed": []}))
        .collect();
    let mut body: Value = serde_json::from_slice(&fixture("gitlab/push.json")).unwrap();
    body["commits"] = Value::Array(commits);
    body["total_commits_count"] = json!(25);
    body["after"] = json!(format!("{:040x}", 24));
    body["checkout_sha"] = json!(format!("{:040x}", 24));
    let read = parse(Forge::GitLab, "Push Hook", body.to_string().as_bytes());
    assert_eq!(
        summary(&read),
        "push acme/shop@main (default) created=false deleted=false forced=None commits=20/25 truncated=true head=after generated=[] private=false"
    );
    let Ok(DevEvent::Push(push)) = read.map(|i| i.event) else { unreachable!() };
    assert_eq!(push.commits[0].message, "PROJ-5 step");
    assert_eq!(push.commits[19].files.count(), 1);
}

#[test]
#[rustfmt::skip] // one case a line
fn delivery_ids() {
    #[track_caller]
    fn check(drop: &[&str], expected: (&str, DeliverySource)) {
        let body = fixture("gitlab/push.json");
        let headers: Vec<_> = gitlab_headers("Push Hook").into_iter().filter(|(k, _)| !drop.contains(&k.as_str())).collect();
        let incoming = tether_forge::parse(Forge::GitLab, &headers, &body).unwrap();
        assert_eq!((incoming.delivery.as_str(), incoming.delivery.source()), expected, "without {drop:?}");
    }
    let digest = hex::encode(Sha256::digest(fixture("gitlab/push.json")));
    check(&[], (GITLAB_KEY, DeliverySource::IdempotencyKey));
    check(&["Idempotency-Key"], ("13792a34-cac6-4fda-95a8-c58e00a3954e", DeliverySource::GitLabEventUuid));
    check(&["Idempotency-Key", "X-Gitlab-Event-UUID"], (&digest, DeliverySource::BodySha256));
}

#[test]
fn hook_id_is_the_webhook_uuid() {
    let incoming = parse(Forge::GitLab, "Push Hook", &fixture("gitlab/push.json")).unwrap();
    assert_eq!(incoming.hook_id.as_deref(), Some("02affd2d-2cba-4033-917d-ec22d5dc4b38"));
    assert_eq!((incoming.forge, incoming.event_name.as_str()), (Forge::GitLab, "Push Hook"));
}

/// A merge request merged into another branch than the default closes nothing.
#[test]
fn merged_into_another_branch_is_not_into_default() {
    let mut body: Value = serde_json::from_slice(&fixture("gitlab/mr_merged.json")).unwrap();
    body["object_attributes"]["target_branch"] = json!("release/1.x");
    let read = parse(Forge::GitLab, "Merge Request Hook", body.to_string().as_bytes());
    assert_eq!(
        summary(&read),
        r#"pr acme/shop#3 Merged action=Merged release/1.x<-PROJ-1-cart into_default=false author=None actor=Some("grace") merge_commit=true draft=false body=true"#
    );
}

/// Payloads cut down to what older GitLab versions send, with `null` where it sends one.
#[test]
#[rustfmt::skip] // one case a line
fn tolerated_shapes() {
    #[track_caller]
    fn check(event: &str, body: Value, expected: &str) {
        assert_eq!(summary(&parse(Forge::GitLab, event, body.to_string().as_bytes())), expected, "{body}");
    }
    let project = json!({"path_with_namespace": "g/p", "web_url": "https://gl/g/p"});
    check("Push Hook", json!({"ref": "refs/heads/x", "before": "a", "after": "b", "project": project}), "push g/p@x created=false deleted=false forced=None commits=0/0 truncated=false head=none generated=[] private=true");
    check("Push Hook", json!({"ref": "refs/heads/x", "before": "a", "after": "b", "checkout_sha": null, "project": {"path_with_namespace": "g/p", "web_url": "u", "default_branch": null, "visibility_level": 20}, "commits": null, "total_commits_count": null}), "push g/p@x created=false deleted=false forced=None commits=0/0 truncated=false head=none generated=[] private=false");
    check("Push Hook", json!({"ref": "refs/heads/x", "before": "a", "after": "b", "project": project, "commits": [{"id": "b", "message": "only a message", "url": "u", "timestamp": "2024-01-01T00:00:00Z", "author": {"name": "A", "email": "a@x"}}], "total_commits_count": 0}), "push g/p@x created=false deleted=false forced=None commits=1/1 truncated=false head=after generated=[] private=true");
    check("Push Hook", json!({"ref": "refs/tags/v2", "before": "a", "after": "b", "project": project}), "ignored: `v2` is a tag, not a branch");
    check("Merge Request Hook", json!({"project": project, "object_attributes": {"iid": 1, "title": "t", "state": "locked", "url": "u", "source_branch": "s", "target_branch": "x"}}), "pr g/p#1 Open action=Other() x<-s into_default=false author=None actor=None merge_commit=false draft=false body=false");
    check("Merge Request Hook", json!({"user": null, "project": project, "object_attributes": {"iid": 1, "title": null, "description": null, "state": "opened", "action": "update", "oldrev": null, "last_commit": null, "merge_commit_sha": null, "url": "u", "source_branch": "s", "target_branch": "x", "work_in_progress": true}}), "pr g/p#1 Open action=Edited x<-s into_default=false author=None actor=None merge_commit=false draft=true body=false");
}

#[test]
#[rustfmt::skip] // one case a line
fn commit_fields() {
    let read = parse(Forge::GitLab, "Push Hook", &fixture("gitlab/push.json")).unwrap();
    let DevEvent::Push(push) = read.event else { panic!("not a push") };
    let [first, merge] = &push.commits[..] else { panic!("two commits") };
    assert_eq!(first.message, "PROJ-1 Add the cart\n\nSee the design notes.");
    assert_eq!((first.author_email.as_deref(), first.author_username.as_deref()), (Some("ada@example.com"), None));
    assert_eq!((first.timestamp.text.as_str(), first.timestamp.epoch_ms), ("2024-05-02T11:58:01+02:00", Some(1_714_643_881_000)));
    assert_eq!((first.files.added.len(), first.files.modified.len(), first.files.removed.len()), (1, 1, 0));
    // GitLab's stand-in for a hidden email is no email.
    assert_eq!((merge.author_name.as_str(), merge.author_email.as_deref()), ("Grace Hopper", None));
    assert!(merge.is_merge_generated && !first.is_merge_generated);
}

#[test]
#[rustfmt::skip] // one case a line
fn refused() {
    #[track_caller]
    fn check(event: Option<&str>, body: &str, expected: &str) {
        let headers: Vec<(&str, &str)> = event.map(|e| ("X-Gitlab-Event", e)).into_iter().collect();
        assert_eq!(summary(&tether_forge::parse(Forge::GitLab, &headers, body.as_bytes())), expected, "{event:?} {body}");
    }
    check(None, "{}", "error: the webhook request has no `X-Gitlab-Event` header");
    check(Some("Push Hook"), "", "error: the webhook body is malformed: Push Hook payload: EOF while parsing a value at line 1 column 0");
    check(Some("Push Hook"), r#"{"ref": "refs/heads/x", "before": "a", "after": "b"}"#, "error: the webhook body is malformed: Push Hook payload: missing field `project` at line 1 column 52");
    check(Some("Push Hook"), r#"{"ref": "refs/heads/x", "before": "a", "after": "b", "project": {"web_url": "u"}}"#, "error: the webhook body is malformed: Push Hook payload: missing field `path_with_namespace` at line 1 column 80");
    check(Some("Push Hook"), r#"{"ref": 1}"#, "error: the webhook body is malformed: Push Hook payload: invalid type: integer `1`, expected a string at line 1 column 9");
    check(Some("Tag Push Hook"), "{}", "error: the webhook body is malformed: Tag Push Hook payload: missing field `ref` at line 1 column 2");
    check(Some("Merge Request Hook"), r#"{"project": {"path_with_namespace": "g/p", "web_url": "u"}}"#, "error: the webhook body is malformed: Merge Request Hook payload: missing field `object_attributes` at line 1 column 59");
    check(Some("System Hook"), "nope", "error: the webhook body is malformed: System Hook payload: expected ident at line 1 column 2");
    check(Some("System Hook"), r#"{"event_name": "project_create"}"#, "ignored: tether does not use `System Hook` events");
    check(Some("Pipeline Hook"), "nope", "ignored: tether does not use `Pipeline Hook` events");
}
