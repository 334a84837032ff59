//! What GitHub and GitLab POST to tether, checked and turned into tether's own dev events.
//!
//! The only crate that knows the forges' webhook JSON and headers. Pure: no IO, no clock;
//! it fails only on bad input and never panics on any input.
//!
//! A webhook handler calls [`verify`] with the repository's secret and the raw body (a
//! [`ForgeError::BadSignature`] is a 401, nothing stored), then [`parse`]:
//! [`ForgeError::Malformed`] and [`ForgeError::MissingHeader`] are a 400,
//! [`DevEvent::Ignored`] a 202 with nothing stored, and anything else is stored under its
//! [`DeliveryId`] so a redelivery is recognised. `parse` is a function of the stored
//! headers and body alone, so a worker may parse a stored delivery again.

mod error;
mod github;
mod gitlab;
pub mod headers;
mod merge;
mod model;
mod verify;
mod wire;

pub use error::{ForgeError, SignatureProblem};
pub use github::GITHUB_MAX_PUSH_COMMITS;
pub use headers::{DeliveryId, DeliverySource, Headers};
pub use merge::is_forge_merge_message;
pub use model::{
    Commit, DevEvent, FileChanges, Forge, IgnoreReason, PrAction, PrState, PullRequest, Push, Repo,
    Timestamp,
};
pub use verify::{github_signature, verify, verify_github, verify_gitlab};

/// One delivery, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub forge: Forge,
    /// The event as the forge's event header names it (`push`, `Merge Request Hook`, …).
    pub event_name: String,
    /// What identifies this delivery across retries and redeliveries.
    pub delivery: DeliveryId,
    /// The webhook that sent it (`X-GitHub-Hook-ID`, `X-Gitlab-Webhook-UUID`), for logs.
    pub hook_id: Option<String>,
    pub event: DevEvent,
}

/// Reads a delivery from `forge`: its event, delivery id and meaning. `body` is the raw
/// request body. Authenticity is [`verify`]'s job, not this function's.
pub fn parse(
    forge: Forge,
    headers: &(impl Headers + ?Sized),
    body: &[u8],
) -> Result<Incoming, ForgeError> {
    match forge {
        Forge::GitHub => github::parse(headers, body),
        Forge::GitLab => gitlab::parse(headers, body),
        Forge::Local => Err(ForgeError::Malformed {
            detail: "local repositories are scanned; they send no webhooks".into(),
        }),
    }
}
