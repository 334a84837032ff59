//! Instance settings: plain values and secrets, the latter sealed with the master key.

use secrecy::SecretString;

use crate::{Result, Store, StoreError, with_pool, with_writer};

/// The setting that proves which master key this database was first used with.
const KEY_CHECK: &str = "_tether.master_key_check";
const KEY_CHECK_PLAINTEXT: &[u8] = b"tether master key check v1";

impl Store {
    /// Stores a plain (non-secret) setting.
    pub async fn put_setting(&self, key: &str, value: &str) -> Result<()> {
        let now = self.now();
        with_writer!(self, pool => sqlx::query(
            "INSERT INTO settings (key, value, secret, updated_at) VALUES ($1, $2, NULL, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, secret = NULL, \
             updated_at = excluded.updated_at"
        )
        .bind(key)
        .bind(value)
        .bind(now)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// A plain setting, if set. A secret under that name is not returned here.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let value: Option<Option<String>> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT value FROM settings WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(pool)
        .await?);
        Ok(value.flatten())
    }

    /// Stores a secret, encrypted under the master key.
    pub async fn put_secret(&self, key: &str, value: &SecretString) -> Result<()> {
        let sealed = self.key.seal_secret(key, value);
        self.put_sealed(key, sealed).await
    }

    /// A secret, decrypted, if set.
    pub async fn secret(&self, key: &str) -> Result<Option<SecretString>> {
        let Some(sealed) = self.sealed(key).await? else {
            return Ok(None);
        };
        self.key.open_secret(key, &sealed).map(Some)
    }

    /// Removes a setting or secret; true if there was one.
    pub async fn delete_setting(&self, key: &str) -> Result<bool> {
        let done = with_writer!(self, pool => sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(key)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done > 0)
    }

    /// The stored (sealed) bytes of a secret, as they sit in the database.
    pub async fn sealed(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let sealed: Option<Option<Vec<u8>>> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT secret FROM settings WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(pool)
        .await?);
        Ok(sealed.flatten())
    }

    async fn put_sealed(&self, key: &str, sealed: Vec<u8>) -> Result<()> {
        let now = self.now();
        with_writer!(self, pool => sqlx::query(
            "INSERT INTO settings (key, value, secret, updated_at) VALUES ($1, NULL, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = NULL, secret = excluded.secret, \
             updated_at = excluded.updated_at"
        )
        .bind(key)
        .bind(sealed)
        .bind(now)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// Records the master key on first use; afterwards refuses any other key, so
    /// that a wrong key is found at start-up rather than at the first secret read.
    pub(crate) async fn check_master_key(&self) -> Result<()> {
        match self.sealed(KEY_CHECK).await? {
            None => {
                let sealed = self.key.seal(KEY_CHECK, KEY_CHECK_PLAINTEXT);
                self.put_sealed(KEY_CHECK, sealed).await
            }
            Some(sealed) => match self.key.open(KEY_CHECK, &sealed) {
                Some(plain) if plain == KEY_CHECK_PLAINTEXT => Ok(()),
                _ => Err(StoreError::WrongMasterKey),
            },
        }
    }
}
