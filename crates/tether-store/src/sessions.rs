//! Web UI sessions. Signing in makes a session: a random id the browser keeps in
//! a cookie and the database keeps only as its SHA-256, tied to the API token the
//! person signed in with. A session ends at sign-out (revoked), after idling, at
//! its absolute expiry, or when its token is revoked; every read checks all four
//! against the store's clock.

use std::time::Duration;

use crate::sdk_keys::{hash, random_credential};
use crate::tokens::{TOKEN_COLUMNS_T, TokenRow};
use crate::{Result, Store, TokenInfo, with_pool, with_write_tx, with_writer};

/// What marks a session id.
const SESSION_PREFIX: &str = "tether-session-";

/// How long sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Ends a session no request used for this long.
    pub idle: Duration,
    /// Ends every session this long after sign-in, used or not.
    pub absolute: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            idle: Duration::from_secs(8 * 3600),
            absolute: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Starts a session for `token_id`; returns its id, which the store cannot
    /// read back (only its hash is kept).
    pub async fn create_session(&self, token_id: i64, limits: SessionLimits) -> Result<String> {
        let id = random_credential(SESSION_PREFIX);
        let now = self.now();
        with_write_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO ui_sessions (id_hash, token_id, created_at, last_seen_at, expires_at) \
                 VALUES ($1, $2, $3, $3, $4)",
            )
            .bind(hash(&id))
            .bind(token_id)
            .bind(now)
            .bind(now.saturating_add(ms(limits.absolute)))
            .execute(&mut *tx)
            .await?;
        });
        Ok(id)
    }

    /// The token of a live session (not revoked, not idle past `limits.idle`, not
    /// past its expiry, its token not revoked); records the use.
    pub async fn session_token(
        &self,
        session_id: &str,
        limits: SessionLimits,
    ) -> Result<Option<TokenInfo>> {
        let now = self.now();
        let idle_since = now.saturating_sub(ms(limits.idle));
        let row: Option<TokenRow> = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS_T} FROM ui_sessions s JOIN api_tokens t ON t.id = s.token_id \
             WHERE s.id_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
             AND s.last_seen_at > $3 AND t.revoked_at IS NULL"
        ))
        .bind(hash(session_id))
        .bind(now)
        .bind(idle_since)
        .fetch_optional(pool)
        .await?);
        let Some(row) = row else { return Ok(None) };
        // At most once a minute, as for tokens: a write per page would take
        // SQLite's write lock for every read.
        with_writer!(self, pool => sqlx::query(
            "UPDATE ui_sessions SET last_seen_at = $1 WHERE id_hash = $2 AND last_seen_at < $1 - 60000"
        )
        .bind(now)
        .bind(hash(session_id))
        .execute(pool)
        .await
        .map(drop)?);
        Ok(Some(row.try_into()?))
    }

    /// Ends a session (sign-out); `false` when there was no live one.
    pub async fn revoke_session(&self, session_id: &str) -> Result<bool> {
        let now = self.now();
        let done = with_write_tx!(self, tx => {
            sqlx::query("UPDATE ui_sessions SET revoked_at = $1 WHERE id_hash = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(hash(session_id))
                .execute(&mut *tx)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }

    /// Forgets sessions that ended more than a day ago; returns how many.
    pub async fn prune_sessions(&self) -> Result<u64> {
        let before = self.now().saturating_sub(24 * 3600 * 1000);
        let done = with_write_tx!(self, tx => {
            sqlx::query(
                "DELETE FROM ui_sessions WHERE expires_at < $1 OR revoked_at < $1 OR last_seen_at < $1",
            )
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(done)
    }
}
