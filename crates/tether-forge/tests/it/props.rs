//! Properties: no input makes parsing or verifying panic, and what parses is consistent.

use proptest::prelude::*;
use secrecy::SecretString;
use tether_forge::{DevEvent, Forge, parse, verify};

use crate::support::{fixture, github_headers, gitlab_headers};

const EVENTS: &[(Forge, &str)] = &[
    (Forge::GitHub, "push"),
    (Forge::GitHub, "pull_request"),
    (Forge::GitHub, "ping"),
    (Forge::GitLab, "Push Hook"),
    (Forge::GitLab, "Tag Push Hook"),
    (Forge::GitLab, "Merge Request Hook"),
    (Forge::GitLab, "System Hook"),
];

fn headers(forge: Forge, event: &str) -> Vec<(String, String)> {
    match forge {
        Forge::GitHub => github_headers(event),
        Forge::GitLab | Forge::Local => gitlab_headers(event),
    }
}

/// Whatever parses must be coherent, or a downstream step would act on nonsense.
fn assert_coherent(event: &DevEvent) {
    match event {
        DevEvent::Push(p) => {
            assert!(p.total_commits >= p.commits.len());
            assert!(p.total_commits == p.commits.len() || p.truncated);
            assert_eq!(p.is_default_branch, p.repo.default_branch.as_deref() == Some(&*p.branch));
            assert!(!p.branch.is_empty());
        }
        DevEvent::PullRequest(pr) => {
            assert!(!pr.merged_into_default || pr.state == tether_forge::PrState::Merged);
            assert!(pr.merge_commit_sha.is_none() || pr.state == tether_forge::PrState::Merged);
        }
        DevEvent::Ignored { .. } => {}
    }
}

/// Fixture bodies with a few bytes overwritten: mostly still JSON-shaped, so the readers'
/// deeper paths are reached, not just the JSON parser's first error.
fn mutated_fixture() -> impl Strategy<Value = Vec<u8>> {
    let names = prop::sample::select(vec![
        "github/push_commits.json",
        "github/pr_merged.json",
        "gitlab/push.json",
        "gitlab/mr_merged.json",
    ]);
    (names, prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6)).prop_map(
        |(name, edits)| {
            let mut body = fixture(name);
            for (at, byte) in edits {
                let i = at.index(body.len());
                body[i] = byte;
            }
            body
        },
    )
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        which in prop::sample::select(EVENTS),
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let (forge, event) = which;
        let h = headers(forge, event);
        if let Ok(incoming) = parse(forge, &h, &body) {
            assert_coherent(&incoming.event);
        }
        let _ = verify(forge, &SecretString::from("s".to_owned()), &h, &body);
    }

    #[test]
    fn mutated_payloads_never_panic(
        which in prop::sample::select(EVENTS),
        body in mutated_fixture(),
    ) {
        let (forge, event) = which;
        if let Ok(incoming) = parse(forge, &headers(forge, event), &body) {
            assert_coherent(&incoming.event);
        }
    }

    #[test]
    fn arbitrary_headers_never_panic(
        forge in prop::sample::select(vec![Forge::GitHub, Forge::GitLab]),
        pairs in prop::collection::vec(("[A-Za-z-]{0,24}", "\\PC{0,80}"), 0..8),
        secret in "\\PC{0,16}",
    ) {
        let body = fixture("gitlab/push.json");
        let _ = parse(forge, &pairs, &body);
        let _ = verify(forge, &SecretString::from(secret), &pairs, &body);
    }
}
