//! Why a delivery was refused, in words a person setting up a webhook can act on.

/// A delivery tether refuses. The server answers `Malformed` and `MissingHeader` with 400
/// and `BadSignature` with 401, storing nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForgeError {
    /// The body is not what the event header announces.
    #[error("the webhook body is malformed: {detail}")]
    Malformed { detail: String },
    /// A header the forge always sends is absent or empty: probably not a forge's webhook.
    #[error("the webhook request has no `{0}` header")]
    MissingHeader(&'static str),
    /// The request does not prove it comes from the forge holding the repository's secret.
    #[error("the webhook request is not authentic: {0}")]
    BadSignature(SignatureProblem),
}

/// What is wrong with a delivery's signature or token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureProblem {
    /// No signature or token at all.
    #[error("it has no `{0}` header (set the secret on the forge's webhook)")]
    Missing(&'static str),
    /// A GitHub signature that is not `sha256=` and 64 hex digits.
    #[error("its `X-Hub-Signature-256` is not `sha256=` followed by 64 hex digits")]
    Unreadable,
    /// Signed or tokened with another secret, or the body changed on the way.
    #[error("it does not match the secret tether holds for this repository")]
    Mismatch,
    /// tether holds an empty secret, which would let anyone sign.
    #[error("tether holds an empty secret for this repository; set a new one on both sides")]
    EmptySecret,
}
