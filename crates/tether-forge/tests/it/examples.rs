//! Every `push` and `pull_request` example GitHub publishes (npm `@octokit/webhooks-examples`,
//! for github.com and each GitHub Enterprise Server version) read, and checked field by
//! field against its JSON. Needs `npm ci` in `tests/examples` and `TEST_FORGE_EXAMPLES=1`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tether_forge::{DevEvent, Forge, IgnoreReason, PrAction, PrState, parse};

use crate::support::github_headers;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/examples/node_modules/@octokit/webhooks-examples")
}

/// Each `index.json` of the package: a list of `{name, examples: [payload, …]}`.
fn example_files() -> Vec<PathBuf> {
    let dir = examples_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!("{}: {e}; run `npm ci` in crates/tether-forge/tests/examples", dir.display())
    });
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path().join("index.json"))
        .filter(|file| file.is_file())
        .collect();
    files.sort();
    files
}

#[test]
#[cfg_attr(
    not(forge_examples),
    ignore = "needs `npm ci` in crates/tether-forge/tests/examples and TEST_FORGE_EXAMPLES=1"
)]
fn every_github_example_reads_as_its_json_says() {
    let (mut pushes, mut tags, mut prs, mut others) = (0, 0, 0, 0);
    for file in example_files() {
        let groups: Vec<Value> = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        for group in &groups {
            let name = group["name"].as_str().unwrap();
            for (i, example) in group["examples"].as_array().unwrap().iter().enumerate() {
                let at = format!("{} {name}[{i}]", file.display());
                let body = serde_json::to_vec(example).unwrap();
                let incoming = parse(Forge::GitHub, &github_headers(name), &body)
                    .unwrap_or_else(|e| panic!("{at}: {e}"));
                match (name, &incoming.event) {
                    ("push", DevEvent::Push(_)) => pushes += 1,
                    ("push", DevEvent::Ignored { reason: IgnoreReason::Tag(_) }) => tags += 1,
                    ("pull_request", _) => prs += 1,
                    (_, DevEvent::Ignored { reason: IgnoreReason::EventType(e) }) if e == name => {
                        others += 1
                    }
                    (_, event) => panic!("{at}: read as {event:?}"),
                }
                match name {
                    "push" => check_push(&at, example, &incoming.event),
                    "pull_request" => check_pull_request(&at, example, &incoming.event),
                    _ => {}
                }
            }
        }
    }
    eprintln!("{pushes} branch pushes, {tags} tag pushes, {prs} pull requests, {others} others");
    assert!(pushes > 0 && tags > 0 && prs > 0 && others > 0, "the package holds no examples?");
}

fn check_push(at: &str, json: &Value, event: &DevEvent) {
    let full_ref = json["ref"].as_str().unwrap();
    if let Some(tag) = full_ref.strip_prefix("refs/tags/") {
        assert_eq!(event, &DevEvent::Ignored { reason: IgnoreReason::Tag(tag.to_owned()) }, "{at}");
        return;
    }
    let DevEvent::Push(push) = event else { panic!("{at}: {event:?}") };
    let repo = &json["repository"];
    assert_eq!(Some(push.branch.as_str()), full_ref.strip_prefix("refs/heads/"), "{at}");
    assert_eq!(push.repo.full_name, repo["full_name"], "{at}");
    assert_eq!(push.repo.web_url, repo["html_url"], "{at}");
    assert_eq!(push.repo.default_branch.as_deref(), repo["default_branch"].as_str(), "{at}");
    assert_eq!(Some(push.repo.private), repo["private"].as_bool(), "{at}");
    assert_eq!(push.is_default_branch, repo["default_branch"] == push.branch.as_str(), "{at}");
    assert_eq!(push.before, json["before"], "{at}");
    assert_eq!(push.after, json["after"], "{at}");
    assert_eq!(Some(push.created), json["created"].as_bool(), "{at}");
    assert_eq!(Some(push.deleted), json["deleted"].as_bool(), "{at}");
    assert_eq!(push.forced, json["forced"].as_bool(), "{at}");
    let commits = json["commits"].as_array().unwrap();
    assert_eq!(push.commits.len(), commits.len(), "{at}");
    assert_eq!(push.total_commits, commits.len(), "{at}");
    assert!(!push.truncated, "{at}");
    for (commit, expected) in push.commits.iter().zip(commits) {
        check_commit(at, commit, expected);
    }
    match (&push.head_commit, &json["head_commit"]) {
        (None, Value::Null) => {}
        (Some(head), expected) => check_commit(at, head, expected),
        (None, expected) => panic!("{at}: head_commit {expected} not read"),
    }
}

fn check_commit(at: &str, commit: &tether_forge::Commit, json: &Value) {
    assert_eq!(commit.id, json["id"], "{at}");
    assert_eq!(commit.message, json["message"], "{at}");
    assert_eq!(commit.url, json["url"], "{at}");
    assert_eq!(commit.timestamp.text, json["timestamp"], "{at}");
    assert!(commit.timestamp.epoch_ms.is_some(), "{at}: {} not read as a time", json["timestamp"]);
    assert_eq!(commit.author_name, json["author"]["name"], "{at}");
    assert_eq!(commit.author_email.as_deref(), json["author"]["email"].as_str(), "{at}");
    assert_eq!(commit.author_username.as_deref(), json["author"]["username"].as_str(), "{at}");
    let count = |key: &str| json[key].as_array().map_or(0, Vec::len);
    assert_eq!(commit.files.added.len(), count("added"), "{at}");
    assert_eq!(commit.files.modified.len(), count("modified"), "{at}");
    assert_eq!(commit.files.removed.len(), count("removed"), "{at}");
    let first_line = json["message"].as_str().unwrap().lines().next().unwrap_or_default();
    assert_eq!(commit.is_merge_generated, first_line.starts_with("Merge pull request #"), "{at}");
}

fn check_pull_request(at: &str, json: &Value, event: &DevEvent) {
    let DevEvent::PullRequest(pr) = event else { panic!("{at}: {event:?}") };
    let wire = &json["pull_request"];
    let repo = &json["repository"];
    let merged = wire["merged"].as_bool() == Some(true);
    assert_eq!(Some(pr.number), wire["number"].as_u64(), "{at}");
    assert_eq!(pr.title, wire["title"], "{at}");
    assert_eq!(pr.body.as_deref(), wire["body"].as_str().filter(|b| !b.trim().is_empty()), "{at}");
    let state = match (wire["state"].as_str(), merged) {
        (_, true) => PrState::Merged,
        (Some("closed"), false) => PrState::Declined,
        (Some("open"), false) => PrState::Open,
        (other, _) => panic!("{at}: state {other:?}"),
    };
    assert_eq!(pr.state, state, "{at}");
    let action = match (json["action"].as_str().unwrap(), merged) {
        ("opened", _) => PrAction::Opened,
        ("edited", _) => PrAction::Edited,
        ("synchronize", _) => PrAction::Synchronized,
        ("reopened", _) => PrAction::Reopened,
        ("closed", true) => PrAction::Merged,
        ("closed", false) => PrAction::Closed,
        (other, _) => PrAction::Other(other.to_owned()),
    };
    assert_eq!(pr.action, action, "{at}");
    assert_eq!(Some(pr.draft), wire["draft"].as_bool(), "{at}");
    assert_eq!(pr.source_branch, wire["head"]["ref"], "{at}");
    assert_eq!(pr.target_branch, wire["base"]["ref"], "{at}");
    assert_eq!(pr.head_sha.as_deref(), wire["head"]["sha"].as_str(), "{at}");
    assert_eq!(pr.url, wire["html_url"], "{at}");
    assert_eq!(pr.author.as_deref(), wire["user"]["login"].as_str(), "{at}");
    assert_eq!(pr.actor.as_deref(), json["sender"]["login"].as_str(), "{at}");
    let merge_commit = if merged { wire["merge_commit_sha"].as_str() } else { None };
    assert_eq!(pr.merge_commit_sha.as_deref(), merge_commit, "{at}");
    let into_default = merged && wire["base"]["ref"] == repo["default_branch"];
    assert_eq!(pr.merged_into_default, into_default, "{at}");
    assert_eq!(pr.repo.full_name, repo["full_name"], "{at}");
    assert_eq!(Some(pr.repo.private), repo["private"].as_bool(), "{at}");
    assert_eq!(pr.updated.as_ref().map(|t| t.text.as_str()), wire["updated_at"].as_str(), "{at}");
}
