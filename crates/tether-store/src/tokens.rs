//! Members, API access tokens and custom roles. A token is shown once when it is
//! created; the store keeps its SHA-256 and last four characters. Which actions
//! a token may take is `tether-policy`'s business: the store only records the
//! role names, the owning member and the token that created it.

use crate::audit::audit_on;
use crate::sdk_keys::{hash, random_credential};
use crate::{Result, Store, StoreError, with_pool, with_write_tx, with_writer};

/// What identifies an API token at a glance.
pub const API_TOKEN_PREFIX: &str = "tether-api-";

/// A token to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    pub name: String,
    /// `personal` or `service`.
    pub kind: String,
    /// The member it belongs to (its owner).
    pub member: String,
    /// The token that created it, if one did (a token never exceeds its creator).
    pub created_by: Option<i64>,
    /// Role names (built-in or custom).
    pub roles: Vec<String>,
}

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub member: String,
    pub created_by: Option<i64>,
    pub roles: Vec<String>,
    pub hint: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    id: i64,
    name: String,
    kind: String,
    member: String,
    created_by: Option<i64>,
    roles: String,
    hint: String,
    created_at: i64,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
}

const TOKEN_COLUMNS: &str =
    "id, name, kind, member, created_by, roles, hint, created_at, revoked_at, last_used_at";

/// [`TOKEN_COLUMNS`] of a query where `api_tokens` is `t`.
pub(crate) const TOKEN_COLUMNS_T: &str = "t.id, t.name, t.kind, t.member, t.created_by, t.roles, \
     t.hint, t.created_at, t.revoked_at, t.last_used_at";

fn roles_json(roles: &[String]) -> String {
    serde_json::to_string(roles).expect("strings serialise")
}

fn roles_from(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Damaged(format!("roles {text:?}: {e}")))
}

impl TryFrom<TokenRow> for TokenInfo {
    type Error = StoreError;
    fn try_from(r: TokenRow) -> Result<TokenInfo> {
        Ok(TokenInfo {
            roles: roles_from(&r.roles)?,
            id: r.id,
            name: r.name,
            kind: r.kind,
            member: r.member,
            created_by: r.created_by,
            hint: r.hint,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
        })
    }
}

impl Store {
    /// Creates or replaces a member with these roles.
    pub async fn put_member(&self, name: &str, roles: &[String], actor: &str) -> Result<()> {
        let now = self.now();
        let after = roles_json(roles);
        with_write_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO members (name, roles, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET roles = excluded.roles",
            )
            .bind(name)
            .bind(&after)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit_on!(&mut *tx, now, actor, "member.put", &format!("member/{name}"), None, Some(after));
        });
        Ok(())
    }

    /// A member's roles, if the member exists.
    pub async fn member_roles(&self, name: &str) -> Result<Option<Vec<String>>> {
        let roles: Option<String> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT roles FROM members WHERE name = $1"
        )
        .bind(name)
        .fetch_optional(pool)
        .await?);
        roles.map(|r| roles_from(&r)).transpose()
    }

    /// Creates a token; returns it with its secret, which cannot be read again.
    pub async fn create_token(&self, new: &NewToken, actor: &str) -> Result<(TokenInfo, String)> {
        let secret = random_credential(API_TOKEN_PREFIX);
        let hint = secret[secret.len() - 4..].to_owned();
        let now = self.now();
        let id: i64 = with_write_tx!(self, tx => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_tokens (name, kind, member, created_by, roles, token_hash, hint, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(&new.name)
            .bind(&new.kind)
            .bind(&new.member)
            .bind(new.created_by)
            .bind(roles_json(&new.roles))
            .bind(hash(&secret))
            .bind(&hint)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let after = serde_json::json!({
                "id": id, "name": new.name, "kind": new.kind, "roles": new.roles, "hint": hint,
                "created_by": new.created_by,
            })
            .to_string();
            let resource = format!("member/{}:token/{}", new.member, new.name);
            audit_on!(&mut *tx, now, actor, "token.create", &resource, None, Some(after));
            id
        });
        Ok((self.token(id).await?, secret))
    }

    pub async fn token(&self, id: i64) -> Result<TokenInfo> {
        let row: TokenRow = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(pool)
        .await?);
        row.try_into()
    }

    /// The live (not revoked) token with this secret, if any; records its use.
    pub async fn token_by_secret(&self, secret: &str) -> Result<Option<TokenInfo>> {
        let row: Option<TokenRow> = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(hash(secret))
        .fetch_optional(pool)
        .await?);
        let Some(row) = row else { return Ok(None) };
        // Recorded at most once a minute: a write on every request would take
        // SQLite's write lock for each read the API serves.
        with_writer!(self, pool => sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 \
             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1 - 60000)"
        )
            .bind(self.now())
            .bind(row.id)
            .execute(pool)
            .await
            .map(drop)?);
        Ok(Some(row.try_into()?))
    }

    pub async fn list_tokens(&self) -> Result<Vec<TokenInfo>> {
        let rows: Vec<TokenRow> = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id"
        ))
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Revokes a token; false if it was not live.
    pub async fn revoke_token(&self, id: i64, actor: &str) -> Result<bool> {
        let now = self.now();
        let done = with_write_tx!(self, tx => {
            let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n > 0 {
                audit_on!(&mut *tx, now, actor, "token.revoke", &format!("token/{id}"), None, None);
            }
            n > 0
        });
        Ok(done)
    }

    /// A custom role's statements (one per line, `tether-policy`'s text form).
    pub async fn role_statements(&self, key: &str) -> Result<Option<String>> {
        let text = with_pool!(self, pool => sqlx::query_scalar("SELECT statements FROM roles WHERE key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await?);
        Ok(text)
    }

    /// Creates or replaces a custom role.
    pub async fn put_role(&self, key: &str, statements: &str, actor: &str) -> Result<()> {
        let now = self.now();
        with_write_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO roles (key, statements, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET statements = excluded.statements, updated_at = excluded.updated_at",
            )
            .bind(key)
            .bind(statements)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit_on!(&mut *tx, now, actor, "role.put", &format!("role/{key}"), None, Some(statements.to_owned()));
        });
        Ok(())
    }

    /// The custom roles: (key, statements text, updated_at), by key.
    pub async fn list_roles(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = with_pool!(self, pool => sqlx::query_as(
            "SELECT key, statements, updated_at FROM roles ORDER BY key"
        )
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }

    /// Who holds a role: the live tokens (by name) and members that name it.
    pub async fn role_holders(&self, key: &str) -> Result<Vec<String>> {
        let mut holders = Vec::new();
        for t in self.list_tokens().await? {
            if t.revoked_at.is_none() && t.roles.iter().any(|r| r == key) {
                holders.push(format!("token {}", t.name));
            }
        }
        let members: Vec<(String, String)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT name, roles FROM members ORDER BY name"
        )
        .fetch_all(pool)
        .await?);
        for (name, roles) in members {
            if roles_from(&roles)?.iter().any(|r| r == key) {
                holders.push(format!("member {name}"));
            }
        }
        Ok(holders)
    }

    /// Deletes a custom role no one holds; `Refused` naming the holders otherwise,
    /// `NotFound` when there is no such role.
    pub async fn delete_role(&self, key: &str, actor: &str) -> Result<()> {
        let holders = self.role_holders(key).await?;
        if !holders.is_empty() {
            return Err(StoreError::Refused(format!(
                "role {key:?} is held by {}; give them other roles first",
                holders.join(", ")
            )));
        }
        let now = self.now();
        let done = with_write_tx!(self, tx => {
            let n = sqlx::query("DELETE FROM roles WHERE key = $1")
                .bind(key)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n > 0 {
                audit_on!(&mut *tx, now, actor, "role.delete", &format!("role/{key}"), None, None);
            }
            n
        });
        if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Gives a live token other roles.
    pub async fn set_token_roles(
        &self,
        id: i64,
        roles: &[String],
        actor: &str,
    ) -> Result<TokenInfo> {
        let now = self.now();
        let after = roles_json(roles);
        let done = with_write_tx!(self, tx => {
            let n = sqlx::query("UPDATE api_tokens SET roles = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(&after)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n > 0 {
                audit_on!(&mut *tx, now, actor, "token.roles", &format!("token/{id}"), None, Some(after.clone()));
            }
            n
        });
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        self.token(id).await
    }
}
