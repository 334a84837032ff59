//! Fuzz target `forge`: tether-forge's `parse` for GitHub and GitLab and its `verify`, on any
//! headers and body. The input is a delivery as it comes over HTTP: `Name: value` header lines,
//! an empty line, then the raw body (any bytes). A delivery must be read the same way twice
//! with a usable delivery id, and a signature or token made with the secret must verify while
//! another secret's must not.

#![no_main]

use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;
use tether_forge::headers::names;
use tether_forge::{
    DeliverySource, DevEvent, Forge, ForgeError, Incoming, github_signature,
    is_forge_merge_message, parse, verify, verify_github, verify_gitlab,
};

const SECRET: &str = "fuzz-webhook-secret";

fuzz_target!(|data: &[u8]| {
    let (headers, body) = split(data);
    for forge in [Forge::GitHub, Forge::GitLab] {
        let first = parse(forge, headers.as_slice(), body);
        assert_eq!(first, parse(forge, headers.as_slice(), body), "{forge:?} read twice");
        match &first {
            Ok(incoming) => check_incoming(forge, incoming),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        let secret = SecretString::from(SECRET.to_owned());
        let _ = verify(forge, &secret, headers.as_slice(), body);
    }
    check_signatures(&headers, body);
});

/// Headers up to the first empty line, the body after it; input with no header block is all
/// body. Header lines that are not `Name: value` are dropped, as an HTTP stack would refuse them.
fn split(data: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let Some(end) = data.windows(2).position(|w| w == b"\n\n") else { return (Vec::new(), data) };
    let Ok(head) = std::str::from_utf8(&data[..end]) else { return (Vec::new(), data) };
    let headers = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    (headers, &data[end + 2..])
}

fn check_incoming(forge: Forge, incoming: &Incoming) {
    assert_eq!(incoming.forge, forge);
    let id = incoming.delivery.as_str();
    assert!(
        !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()),
        "{id:?}"
    );
    if incoming.delivery.source() == DeliverySource::BodySha256 {
        assert!(id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id:?}");
    }
    match &incoming.event {
        DevEvent::Push(push) => {
            assert!(push.total_commits >= push.commits.len(), "{push:?}");
            for commit in push.commits.iter().chain(&push.head_commit) {
                let _ = is_forge_merge_message(&commit.message);
            }
        }
        DevEvent::PullRequest(pr) => assert_eq!(pr.repo.forge, forge),
        DevEvent::Ignored { .. } => {}
    }
}

/// The checks hold for any body and any other headers: the right signature or token first in
/// the headers verifies, another secret's does not.
fn check_signatures(headers: &[(String, String)], body: &[u8]) {
    let secret = SecretString::from(SECRET.to_owned());
    let other = SecretString::from(format!("{SECRET}-other"));
    let signature = github_signature(&secret, body).expect("a non-empty secret");
    let mut signed = vec![(names::GITHUB_SIGNATURE_256.to_owned(), signature)];
    signed.extend_from_slice(headers);
    assert_eq!(verify_github(&secret, signed.as_slice(), body), Ok(()));
    assert!(matches!(
        verify_github(&other, signed.as_slice(), body),
        Err(ForgeError::BadSignature(_))
    ));

    let mut token = vec![(names::GITLAB_TOKEN.to_owned(), SECRET.to_owned())];
    token.extend_from_slice(headers);
    assert_eq!(verify_gitlab(&secret, token.as_slice()), Ok(()));
    assert!(matches!(verify_gitlab(&other, token.as_slice()), Err(ForgeError::BadSignature(_))));
}
