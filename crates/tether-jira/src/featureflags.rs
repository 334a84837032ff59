//! Jira Software's Feature Flags API (Cloud): the flag documents tether submits and the
//! operations on them.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Api, Call, Client, seg};
use crate::error::Error;

/// The most flags Jira takes in one `POST /bulk`.
pub const MAX_FLAGS_PER_REQUEST: usize = 100;

/// `POST /rest/featureflags/0.1/bulk`: 1–100 flags.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlagBulkRequest {
    /// ≤5, keys without `:` and not starting with `_`; stored hashed, for delete by property.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    pub flags: Vec<FeatureFlag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_metadata: Option<ProviderMetadata>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProviderMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
}

/// One flag across its environments.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FeatureFlag {
    /// Always `1.0`.
    pub schema_version: String,
    /// Unique per provider.
    pub id: String,
    /// What developers type in code.
    pub key: String,
    /// Must grow with every update of this flag; Jira ignores an older one.
    pub update_sequence_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// 1–100 issue keys.
    pub issue_keys: Vec<String>,
    pub summary: FlagSummary,
    /// At least one.
    pub details: Vec<FlagDetails>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FlagSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub status: FlagStatus,
    /// RFC 3339 timestamp.
    pub last_updated: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FlagDetails {
    pub url: String,
    pub last_updated: String,
    pub environment: FlagEnvironment,
    pub status: FlagStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FlagEnvironment {
    pub name: String,
    /// `development`, `testing`, `staging` or `production`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FlagStatus {
    pub enabled: bool,
    /// What is served when the flag is off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<Rollout>,
}

/// Jira wants one of the three.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Rollout {
    Percentage(f64),
    Text(String),
    Rules(i64),
}

/// The 202 answer: accepted ids, per-flag failures, keys Jira does not know.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FlagBulkResponse {
    pub accepted_feature_flags: Vec<String>,
    pub failed_feature_flags: BTreeMap<String, Vec<FlagError>>,
    pub unknown_issue_keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FlagError {
    pub message: String,
    pub error_trace_id: Option<String>,
}

impl Client {
    /// Submits flags. Safe to repeat: Jira keeps the highest `updateSequenceId` per flag. A 413
    /// comes back as `BadRequest { status: 413 }`: send fewer flags per request.
    pub async fn submit_feature_flags(
        &self,
        request: &FlagBulkRequest,
    ) -> Result<FlagBulkResponse, Error> {
        let mut request = request.clone();
        for f in &mut request.flags {
            if f.schema_version.is_empty() {
                f.schema_version = "1.0".into();
            }
        }
        let body = serde_json::to_value(&request).map_err(|e| Error::Other(e.to_string()))?;
        let call = Call::new(Method::POST, Api::FeatureFlags, "bulk").body(body).idempotent();
        self.json(&call).await
    }

    /// Submits any number of flags with the same request-level `properties`: requests of at most
    /// [`MAX_FLAGS_PER_REQUEST`], and when Jira answers 413 (too large) the request is halved and
    /// sent again, the smaller size kept for the rest, down to a single flag; a single flag Jira
    /// still finds too large ends it with that error. The answers are merged (unknown issue keys
    /// once each).
    ///
    /// On an error, the requests before it stay submitted. Submitting the whole list again is
    /// safe: Jira keeps the highest `updateSequenceId` per flag.
    pub async fn submit_feature_flags_all(
        &self,
        properties: &BTreeMap<String, String>,
        flags: Vec<FeatureFlag>,
    ) -> Result<FlagBulkResponse, Error> {
        let mut merged = FlagBulkResponse::default();
        let mut size = MAX_FLAGS_PER_REQUEST;
        let mut start = 0;
        while start < flags.len() {
            let end = (start + size).min(flags.len());
            let request = FlagBulkRequest {
                properties: properties.clone(),
                flags: flags[start..end].to_vec(),
                provider_metadata: None,
            };
            match self.submit_feature_flags(&request).await {
                Ok(resp) => {
                    merged.accepted_feature_flags.extend(resp.accepted_feature_flags);
                    merged.failed_feature_flags.extend(resp.failed_feature_flags);
                    for key in resp.unknown_issue_keys {
                        if !merged.unknown_issue_keys.contains(&key) {
                            merged.unknown_issue_keys.push(key);
                        }
                    }
                    start = end;
                }
                Err(Error::BadRequest { status: 413, .. }) if end - start > 1 => {
                    size = (end - start) / 2;
                    tracing::debug!(flags = end - start, next = size, "413 from Jira: halving");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(merged)
    }

    /// `GET /flag/{id}`: `None` when Jira has no such flag.
    pub async fn feature_flag(&self, id: &str) -> Result<Option<FeatureFlag>, Error> {
        match self.json(&Call::get(Api::FeatureFlags, format!("flag/{}", seg(id)))).await {
            Ok(f) => Ok(Some(f)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `DELETE /flag/{id}`, optionally only if stored data is older than `update_sequence_id`.
    pub async fn delete_feature_flag(
        &self,
        id: &str,
        update_sequence_id: Option<i64>,
    ) -> Result<(), Error> {
        let mut call = Call::new(Method::DELETE, Api::FeatureFlags, format!("flag/{}", seg(id)));
        if let Some(n) = update_sequence_id {
            call = call.param("_updateSequenceId", n.to_string());
        }
        match self.execute(&call).await {
            Ok(_) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `DELETE /bulkByProperties?k=v&...`: every flag submitted with all these properties.
    pub async fn delete_feature_flags_by_properties(
        &self,
        properties: &BTreeMap<String, String>,
    ) -> Result<(), Error> {
        let mut call = Call::new(Method::DELETE, Api::FeatureFlags, "bulkByProperties");
        for (k, v) in properties {
            call = call.param(k, v.clone());
        }
        self.execute(&call).await.map(|_| ())
    }
}
