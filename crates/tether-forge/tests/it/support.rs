//! Shared test helpers: fixtures, the headers each forge sends, and a one-line summary of
//! what a delivery was read as.

use tether_forge::{DevEvent, Forge, ForgeError, Incoming, PrAction, PullRequest, Push};

pub const GITHUB_DELIVERY: &str = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
pub const GITLAB_KEY: &str = "f5e5f430-f57b-4e6e-9fac-d9128cd7232f";

/// A fixture file's bytes, from `tests/it/fixtures/<path>`.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/it/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The headers GitHub sends with a JSON delivery of `event`.
pub fn github_headers(event: &str) -> Vec<(String, String)> {
    vec![
        ("X-GitHub-Event".into(), event.into()),
        ("X-GitHub-Delivery".into(), GITHUB_DELIVERY.into()),
        ("X-GitHub-Hook-ID".into(), "292430182".into()),
        ("Content-Type".into(), "application/json".into()),
        ("User-Agent".into(), "GitHub-Hookshot/044aadd".into()),
    ]
}

/// The headers GitLab 17.4 and later sends with `event`.
pub fn gitlab_headers(event: &str) -> Vec<(String, String)> {
    vec![
        ("X-Gitlab-Event".into(), event.into()),
        ("X-Gitlab-Event-UUID".into(), "13792a34-cac6-4fda-95a8-c58e00a3954e".into()),
        ("X-Gitlab-Webhook-UUID".into(), "02affd2d-2cba-4033-917d-ec22d5dc4b38".into()),
        ("Idempotency-Key".into(), GITLAB_KEY.into()),
        ("X-Gitlab-Instance".into(), "https://gitlab.example.com".into()),
        ("User-Agent".into(), "GitLab/17.4.0".into()),
    ]
}

pub fn parse(forge: Forge, event: &str, body: &[u8]) -> Result<Incoming, ForgeError> {
    let headers = match forge {
        Forge::GitHub => github_headers(event),
        Forge::GitLab | Forge::Local => gitlab_headers(event),
    };
    tether_forge::parse(forge, &headers, body)
}

/// One line saying what a delivery was read as, or why it was refused.
pub fn summary(result: &Result<Incoming, ForgeError>) -> String {
    match result {
        Err(e) => format!("error: {e}"),
        Ok(incoming) => match &incoming.event {
            DevEvent::Push(push) => push_summary(push),
            DevEvent::PullRequest(pr) => pr_summary(pr),
            DevEvent::Ignored { reason } => format!("ignored: {reason}"),
        },
    }
}

fn push_summary(p: &Push) -> String {
    let head = match &p.head_commit {
        None => "none",
        Some(c) if c.id == p.after => "after",
        Some(_) => "other",
    };
    let generated: Vec<usize> = p
        .commits
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_merge_generated)
        .map(|(i, _)| i)
        .collect();
    format!(
        "push {repo}@{branch}{default} created={created} deleted={deleted} forced={forced:?} \
         commits={n}/{total} truncated={truncated} head={head} generated={generated:?} private={private}",
        repo = p.repo.full_name,
        branch = p.branch,
        default = if p.is_default_branch { " (default)" } else { "" },
        created = p.created,
        deleted = p.deleted,
        forced = p.forced,
        n = p.commits.len(),
        total = p.total_commits,
        truncated = p.truncated,
        private = p.repo.private,
    )
}

fn pr_summary(p: &PullRequest) -> String {
    let action = match &p.action {
        PrAction::Other(name) => format!("Other({name})"),
        other => format!("{other:?}"),
    };
    format!(
        "pr {repo}#{n} {state:?} action={action} {target}<-{source} into_default={into} \
         author={author:?} actor={actor:?} merge_commit={merge} draft={draft} body={body}",
        repo = p.repo.full_name,
        n = p.number,
        state = p.state,
        target = p.target_branch,
        source = p.source_branch,
        into = p.merged_into_default,
        author = p.author.as_deref(),
        actor = p.actor.as_deref(),
        merge = p.merge_commit_sha.is_some(),
        draft = p.draft,
        body = p.body.is_some(),
    )
}
