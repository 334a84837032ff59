//! Request headers as this crate reads them: a small trait any HTTP stack can implement,
//! the names the forges use, and the delivery id taken from them.

use sha2::{Digest, Sha256};

use crate::ForgeError;

/// Read access to a request's headers.
pub trait Headers {
    /// The value of header `name`, matched ASCII case-insensitively (the first one if the
    /// header is repeated), or `None`. Values that are not UTF-8 count as absent.
    fn header(&self, name: &str) -> Option<&str>;
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for [(K, V)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name)).map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> Headers for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

/// The header names the forges send, spelled as their documentation spells them.
pub mod names {
    pub const GITHUB_EVENT: &str = "X-GitHub-Event";
    pub const GITHUB_DELIVERY: &str = "X-GitHub-Delivery";
    pub const GITHUB_HOOK_ID: &str = "X-GitHub-Hook-ID";
    pub const GITHUB_SIGNATURE_256: &str = "X-Hub-Signature-256";
    pub const GITLAB_EVENT: &str = "X-Gitlab-Event";
    pub const GITLAB_TOKEN: &str = "X-Gitlab-Token";
    pub const GITLAB_EVENT_UUID: &str = "X-Gitlab-Event-UUID";
    pub const GITLAB_WEBHOOK_UUID: &str = "X-Gitlab-Webhook-UUID";
    pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
    pub const CONTENT_TYPE: &str = "Content-Type";
}

/// What identifies a delivery, so a redelivered or retried one is recognised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeliveryId {
    value: String,
    source: DeliverySource,
}

/// Where a [`DeliveryId`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliverySource {
    /// GitHub's `X-GitHub-Delivery`, kept on redeliveries.
    GitHubDelivery,
    /// GitLab's `Idempotency-Key` (GitLab 17.4 and later), kept across retries.
    IdempotencyKey,
    /// GitLab's `X-Gitlab-Event-UUID` (GitLab 14.8 and later), when there is no
    /// `Idempotency-Key`.
    GitLabEventUuid,
    /// Older GitLab sends neither: the body's SHA-256, so a retry of the same body is
    /// still recognised.
    BodySha256,
}

/// The longest delivery id accepted: the forges send 36-character UUIDs, and the id becomes
/// a database key.
const MAX_DELIVERY_ID: usize = 128;

impl DeliveryId {
    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn source(&self) -> DeliverySource {
        self.source
    }

    /// The id in header `name`, if the request has one; one that could not be a delivery id
    /// (too long, spaces or control characters) is refused rather than stored.
    pub(crate) fn from_header(
        headers: &(impl Headers + ?Sized),
        name: &'static str,
        source: DeliverySource,
    ) -> Result<Option<DeliveryId>, ForgeError> {
        let Some(value) = value(headers, name) else { return Ok(None) };
        if value.len() > MAX_DELIVERY_ID || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ForgeError::Malformed {
                detail: format!("the `{name}` header is not a delivery id"),
            });
        }
        Ok(Some(DeliveryId { value: value.to_owned(), source }))
    }

    pub(crate) fn body_digest(body: &[u8]) -> DeliveryId {
        DeliveryId { value: hex::encode(Sha256::digest(body)), source: DeliverySource::BodySha256 }
    }
}

impl std::fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.value)
    }
}

/// Header `name` without surrounding whitespace; an empty one counts as absent.
pub(crate) fn value<'h>(headers: &'h (impl Headers + ?Sized), name: &str) -> Option<&'h str> {
    headers.header(name).map(str::trim).filter(|v| !v.is_empty())
}

pub(crate) fn required<'h>(
    headers: &'h (impl Headers + ?Sized),
    name: &'static str,
) -> Result<&'h str, ForgeError> {
    value(headers, name).ok_or(ForgeError::MissingHeader(name))
}
