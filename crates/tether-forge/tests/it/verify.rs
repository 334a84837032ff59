//! Authenticity: GitHub's `X-Hub-Signature-256` and GitLab's `X-Gitlab-Token`.

use secrecy::SecretString;
use tether_forge::{Forge, ForgeError, SignatureProblem, github_signature, verify};

/// The test values GitHub's "Validating webhook deliveries" page gives.
const DOC_SECRET: &str = "It's a Secret to Everybody";
const DOC_BODY: &[u8] = b"Hello, World!";
const DOC_SIGNATURE: &str =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

#[test]
#[rustfmt::skip] // one case a line
fn github_signatures() {
    #[track_caller]
    fn check(secret_text: &str, signature: Option<&str>, body: &[u8], expected: Result<(), SignatureProblem>) {
        let headers: Vec<(&str, &str)> = signature.map(|s| ("X-Hub-Signature-256", s)).into_iter().collect();
        let got = verify(Forge::GitHub, &secret(secret_text), &headers, body);
        assert_eq!(got, expected.map_err(ForgeError::BadSignature), "{signature:?}");
    }
    use SignatureProblem::*;
    let upper = format!("sha256={}", DOC_SIGNATURE[7..].to_uppercase());
    let bare = &DOC_SIGNATURE[7..];
    check(DOC_SECRET, Some(DOC_SIGNATURE), DOC_BODY, Ok(()));
    check(DOC_SECRET, Some(&upper), DOC_BODY, Ok(()));
    check(DOC_SECRET, Some(&format!("SHA256={bare}")), DOC_BODY, Ok(()));
    check(DOC_SECRET, Some(&format!(" {DOC_SIGNATURE} ")), DOC_BODY, Ok(()));
    check(DOC_SECRET, Some(DOC_SIGNATURE), b"Hello, World?", Err(Mismatch));
    check(DOC_SECRET, Some(DOC_SIGNATURE), b"", Err(Mismatch));
    check("It's a secret to everybody", Some(DOC_SIGNATURE), DOC_BODY, Err(Mismatch));
    check(DOC_SECRET, Some(&format!("sha256={}0", &bare[..63])), DOC_BODY, Err(Mismatch));
    check(DOC_SECRET, Some(bare), DOC_BODY, Err(Unreadable));
    check(DOC_SECRET, Some(&format!("sha1={bare}")), DOC_BODY, Err(Unreadable));
    check(DOC_SECRET, Some(&DOC_SIGNATURE[..70]), DOC_BODY, Err(Unreadable));
    check(DOC_SECRET, Some(&format!("{DOC_SIGNATURE}00")), DOC_BODY, Err(Unreadable));
    check(DOC_SECRET, Some(&format!("sha256={}zz", &bare[..62])), DOC_BODY, Err(Unreadable));
    check(DOC_SECRET, Some("sha25é=00"), DOC_BODY, Err(Unreadable));
    check(DOC_SECRET, Some("é"), DOC_BODY, Err(Unreadable));
    check(DOC_SECRET, Some(""), DOC_BODY, Err(Missing("X-Hub-Signature-256")));
    check(DOC_SECRET, None, DOC_BODY, Err(Missing("X-Hub-Signature-256")));
    check("", Some(DOC_SIGNATURE), DOC_BODY, Err(EmptySecret));
}

#[test]
fn github_signature_is_what_github_sends() {
    assert_eq!(github_signature(&secret(DOC_SECRET), DOC_BODY).as_deref(), Some(DOC_SIGNATURE));
    assert_eq!(github_signature(&secret(""), DOC_BODY), None);
    let body = br#"{"zen": "Design for failure."}"#;
    let signature = github_signature(&secret("s3cr3t"), body).unwrap();
    let headers = [("x-hub-signature-256", signature.as_str())];
    assert_eq!(verify(Forge::GitHub, &secret("s3cr3t"), &headers, body), Ok(()));
}

#[test]
#[rustfmt::skip] // one case a line
fn gitlab_tokens() {
    #[track_caller]
    fn check(secret_text: &str, token: Option<&str>, expected: Result<(), SignatureProblem>) {
        let headers: Vec<(&str, &str)> = token.map(|t| ("X-Gitlab-Token", t)).into_iter().collect();
        // The token is not a signature of the body: any body goes.
        let got = verify(Forge::GitLab, &secret(secret_text), &headers, b"{}");
        assert_eq!(got, expected.map_err(ForgeError::BadSignature), "{token:?}");
    }
    use SignatureProblem::*;
    check("glpat-webhook-9f8e", Some("glpat-webhook-9f8e"), Ok(()));
    check("glpat-webhook-9f8e", Some("glpat-webhook-9f8E"), Err(Mismatch));
    check("glpat-webhook-9f8e", Some("glpat-webhook-9f8"), Err(Mismatch));
    check("glpat-webhook-9f8e", Some("glpat-webhook-9f8ee"), Err(Mismatch));
    check("glpat-webhook-9f8e", Some("x"), Err(Mismatch));
    check("glpat-webhook-9f8e", Some(""), Err(Missing("X-Gitlab-Token")));
    check("glpat-webhook-9f8e", None, Err(Missing("X-Gitlab-Token")));
    check("", Some(""), Err(EmptySecret));
    check("", None, Err(EmptySecret));
}

#[test]
#[rustfmt::skip] // one case a line
fn refusals_say_what_to_do() {
    #[track_caller]
    fn check(problem: SignatureProblem, expected: &str) {
        assert_eq!(ForgeError::BadSignature(problem).to_string(), expected);
    }
    check(SignatureProblem::Missing("X-Gitlab-Token"), "the webhook request is not authentic: it has no `X-Gitlab-Token` header (set the secret on the forge's webhook)");
    check(SignatureProblem::Mismatch, "the webhook request is not authentic: it does not match the secret tether holds for this repository");
    check(SignatureProblem::EmptySecret, "the webhook request is not authentic: tether holds an empty secret for this repository; set a new one on both sides");
}

/// Local repositories are scanned: nothing a webhook sends is taken as theirs.
#[test]
fn local_repositories_take_no_webhooks() {
    let headers = [("X-Gitlab-Token", "s3cr3t"), ("X-Gitlab-Event", "Push Hook")];
    assert!(matches!(
        verify(Forge::Local, &secret("s3cr3t"), &headers, b"{}"),
        Err(ForgeError::BadSignature(_))
    ));
    assert!(matches!(
        tether_forge::parse(Forge::Local, &headers, b"{}"),
        Err(ForgeError::Malformed { .. })
    ));
}
