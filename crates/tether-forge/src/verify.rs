//! Whether a delivery comes from the forge holding the repository's secret: GitHub's
//! HMAC-SHA256 signature of the raw body, GitLab's secret token. Both compared in constant
//! time, so a caller cannot learn the secret from how long a refusal takes.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::headers::{Headers, names, value};
use crate::{Forge, ForgeError, SignatureProblem};

type HmacSha256 = Hmac<Sha256>;

/// Checks a delivery from `forge` against the repository's `secret`; `body` is the raw
/// request body, exactly as received.
pub fn verify(
    forge: Forge,
    secret: &SecretString,
    headers: &(impl Headers + ?Sized),
    body: &[u8],
) -> Result<(), ForgeError> {
    match forge {
        Forge::GitHub => verify_github(secret, headers, body),
        Forge::GitLab => verify_gitlab(secret, headers),
        Forge::Local => Err(ForgeError::BadSignature(SignatureProblem::Mismatch)),
    }
}

/// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body keyed by the secret>`.
/// Upper-case hex digits are accepted; the legacy SHA-1 `X-Hub-Signature` is not.
pub fn verify_github(
    secret: &SecretString,
    headers: &(impl Headers + ?Sized),
    body: &[u8],
) -> Result<(), ForgeError> {
    let bad = ForgeError::BadSignature;
    let mac = mac(secret, body).ok_or(bad(SignatureProblem::EmptySecret))?;
    let given = value(headers, names::GITHUB_SIGNATURE_256)
        .ok_or(bad(SignatureProblem::Missing(names::GITHUB_SIGNATURE_256)))?;
    let digest = given
        .get(..7)
        .filter(|prefix| prefix.eq_ignore_ascii_case("sha256="))
        .map(|_| &given[7..])
        .filter(|hex| hex.len() == 64)
        .and_then(|hex| hex::decode(hex).ok())
        .ok_or(bad(SignatureProblem::Unreadable))?;
    mac.verify_slice(&digest).map_err(|_| bad(SignatureProblem::Mismatch))
}

/// GitLab: `X-Gitlab-Token` carries the secret itself.
pub fn verify_gitlab(
    secret: &SecretString,
    headers: &(impl Headers + ?Sized),
) -> Result<(), ForgeError> {
    let bad = ForgeError::BadSignature;
    let secret = secret.expose_secret();
    if secret.is_empty() {
        return Err(bad(SignatureProblem::EmptySecret));
    }
    let given = value(headers, names::GITLAB_TOKEN)
        .ok_or(bad(SignatureProblem::Missing(names::GITLAB_TOKEN)))?;
    // Comparing digests rather than the strings keeps the secret's length out of the
    // timing too: slices of different lengths compare unequal at once.
    let equal = Sha256::digest(given.as_bytes()).ct_eq(&Sha256::digest(secret.as_bytes()));
    if bool::from(equal) { Ok(()) } else { Err(bad(SignatureProblem::Mismatch)) }
}

/// The `X-Hub-Signature-256` value GitHub would send for `body` (for tests, the demo's
/// sample delivery and tether's own test deliveries). `None` for an empty secret.
pub fn github_signature(secret: &SecretString, body: &[u8]) -> Option<String> {
    let mac = mac(secret, body)?;
    Some(format!("sha256={}", hex::encode(mac.finalize().into_bytes())))
}

fn mac(secret: &SecretString, body: &[u8]) -> Option<HmacSha256> {
    let secret = secret.expose_secret();
    if secret.is_empty() {
        return None;
    }
    // HMAC takes keys of any length, so this never fails.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(body);
    Some(mac)
}
