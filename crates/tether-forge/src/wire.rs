//! What the GitHub and GitLab readers share: tolerant deserialisation helpers, the
//! all-zero object id, and timestamps.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::{ForgeError, Timestamp};

/// For fields the forges send as `null` as often as they leave them out: both read as the
/// default.
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Reads `body` as `what`'s payload, naming `what` in the error.
pub(crate) fn from_json<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, ForgeError> {
    let malformed =
        |detail: String| ForgeError::Malformed { detail: format!("{what} payload: {detail}") };
    // serde would also read a struct from a JSON array, by position; no forge sends one.
    if body.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|&b| b == b'[') {
        return Err(malformed("a JSON array, not an object".to_owned()));
    }
    serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))
}

/// The id the forges give a side of a ref change that does not exist (before a creation,
/// after a deletion): 40 zeros for SHA-1, 64 for SHA-256 repositories.
pub(crate) fn is_zero_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b == b'0')
}

/// `Some` only for a non-blank string.
pub(crate) fn non_blank(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// The branch named by a full ref, or why the ref is not one.
pub(crate) fn branch_of(full_ref: &str) -> Result<&str, crate::IgnoreReason> {
    if let Some(tag) = full_ref.strip_prefix("refs/tags/") {
        return Err(crate::IgnoreReason::Tag(tag.to_owned()));
    }
    match full_ref.strip_prefix("refs/heads/") {
        Some(branch) if !branch.is_empty() => Ok(branch),
        _ => Err(crate::IgnoreReason::NotABranch(full_ref.to_owned())),
    }
}

pub(crate) fn timestamp(text: String) -> Timestamp {
    let epoch_ms = epoch_ms(&text);
    Timestamp { text, epoch_ms }
}

/// RFC 3339 (both forges' commit times), or `2017-09-15 16:52:00 UTC` (GitLab's
/// `updated_at` in many hook payloads).
fn epoch_ms(text: &str) -> Option<i64> {
    let parsed = OffsetDateTime::parse(text, &Rfc3339).ok().or_else(|| {
        let utc = text.strip_suffix(" UTC")?.replacen(' ', "T", 1) + "Z";
        OffsetDateTime::parse(&utc, &Rfc3339).ok()
    })?;
    i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests;
