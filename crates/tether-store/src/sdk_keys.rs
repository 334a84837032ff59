//! SDK keys: per-environment credentials for evaluation only. A key is shown
//! once when created; the store keeps its SHA-256 and its last four characters.

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::audit::audit_on;
use crate::{Result, Store, with_pool, with_write_tx};

/// What identifies an SDK key at a glance: `tether-sdk-…` and its last characters.
pub const SDK_KEY_PREFIX: &str = "tether-sdk-";

/// A stored SDK key, without the key itself.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SdkKeyInfo {
    pub id: i64,
    /// The key's last four characters.
    pub hint: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// The environment an SDK key evaluates in.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SdkKeyScope {
    pub project: String,
    pub env: String,
    /// The environment's id, which a re-created environment does not share.
    pub env_id: i64,
}

/// Credentials are high-entropy random strings, so a plain SHA-256 is enough
/// to keep them unreadable at rest (no salt or slow hash needed).
pub(crate) fn hash(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `prefix` followed by 24 random bytes in hex.
pub(crate) fn random_credential(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

impl Store {
    /// Creates an SDK key for one environment and returns it; it cannot be read again.
    pub async fn create_sdk_key(&self, project: &str, env: &str, actor: &str) -> Result<String> {
        let mut bytes = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let key = format!(
            "{SDK_KEY_PREFIX}{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let hint = key[key.len() - 4..].to_owned();
        let now = self.now();
        with_write_tx!(self, tx => {
            let env_id: i64 = sqlx::query_scalar(
                "SELECT e.id FROM environments e JOIN projects p ON p.id = e.project_id \
                 WHERE p.key = $1 AND e.key = $2",
            )
            .bind(project)
            .bind(env)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO sdk_keys (environment_id, key_hash, hint, created_at) VALUES ($1, $2, $3, $4)")
                .bind(env_id)
                .bind(hash(&key))
                .bind(&hint)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let after = format!("{{\"hint\":\"{hint}\"}}");
            audit_on!(&mut *tx, now, actor, "sdk_key.create", &format!("proj/{project}:env/{env}"), None, Some(after));
        });
        Ok(key)
    }

    /// The environment a (not revoked) SDK key belongs to.
    pub async fn sdk_key_scope(&self, key: &str) -> Result<Option<SdkKeyScope>> {
        let scope = with_pool!(self, pool => sqlx::query_as(
            "SELECT p.key AS project, e.key AS env, e.id AS env_id FROM sdk_keys k \
             JOIN environments e ON e.id = k.environment_id JOIN projects p ON p.id = e.project_id \
             WHERE k.key_hash = $1 AND k.revoked_at IS NULL"
        )
        .bind(hash(key))
        .fetch_optional(pool)
        .await?);
        Ok(scope)
    }

    pub async fn list_sdk_keys(&self, project: &str, env: &str) -> Result<Vec<SdkKeyInfo>> {
        let keys = with_pool!(self, pool => sqlx::query_as(
            "SELECT k.id, k.hint, k.created_at, k.revoked_at FROM sdk_keys k \
             JOIN environments e ON e.id = k.environment_id JOIN projects p ON p.id = e.project_id \
             WHERE p.key = $1 AND e.key = $2 ORDER BY k.id"
        )
        .bind(project)
        .bind(env)
        .fetch_all(pool)
        .await?);
        Ok(keys)
    }

    /// Revokes an SDK key of an environment; false if there was no such live key.
    pub async fn revoke_sdk_key(
        &self,
        project: &str,
        env: &str,
        id: i64,
        actor: &str,
    ) -> Result<bool> {
        let now = self.now();
        let done = with_write_tx!(self, tx => {
            let n = sqlx::query(
                "UPDATE sdk_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL AND environment_id = \
                 (SELECT e.id FROM environments e JOIN projects p ON p.id = e.project_id WHERE p.key = $3 AND e.key = $4)",
            )
            .bind(now)
            .bind(id)
            .bind(project)
            .bind(env)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                let resource = format!("proj/{project}:env/{env}");
                audit_on!(&mut *tx, now, actor, "sdk_key.revoke", &resource, Some(format!("{{\"id\":{id}}}")), None);
            }
            n > 0
        });
        Ok(done)
    }
}
