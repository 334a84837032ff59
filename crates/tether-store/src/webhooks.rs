//! Outgoing webhook subscriptions (their secrets sealed with the master key)
//! and the log of delivery attempts. Deliveries themselves are outbox work:
//! every flag, segment or environment change writes one `event` row in its own
//! transaction (see [`crate::OutboxKind::Event`]) and `tether-sync` fans it out to
//! the matching webhooks.

use secrecy::SecretString;

use crate::audit::audit_on;
use crate::outbox::kinds::Event;
use crate::{Result, Store, StoreError, with_pool, with_write_tx, with_writer};

/// Which events a webhook wants; an empty list means "all".
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WebhookFilter {
    #[serde(default)]
    pub projects: Vec<String>,
    #[serde(default)]
    pub environments: Vec<String>,
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub events: Vec<String>,
}

impl WebhookFilter {
    pub fn matches(&self, e: &Event) -> bool {
        fn ok(list: &[String], value: Option<&str>) -> bool {
            list.is_empty() || value.is_some_and(|v| list.iter().any(|x| x == v))
        }
        ok(&self.events, Some(&e.event))
            && ok(&self.projects, Some(&e.project))
            && (self.environments.is_empty()
                || e.environment.is_none()
                || ok(&self.environments, e.environment.as_deref()))
            && (self.flags.is_empty() || ok(&self.flags, e.flag.as_deref()))
    }
}

#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub name: String,
    pub url: String,
    pub secret: SecretString,
    pub filter: WebhookFilter,
    pub enabled: bool,
    /// The token creating it: its deliveries are limited to what that token may view.
    pub created_by: Option<i64>,
}

/// A stored webhook, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub filter: WebhookFilter,
    pub enabled: bool,
    /// The token that created it (none for webhooks made before this was kept).
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryRecord {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub attempt: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub at: i64,
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: i64,
    name: String,
    url: String,
    filter: String,
    enabled: bool,
    created_by: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<WebhookRow> for Webhook {
    type Error = StoreError;
    fn try_from(r: WebhookRow) -> Result<Webhook> {
        Ok(Webhook {
            filter: serde_json::from_str(&r.filter)
                .map_err(|e| StoreError::Damaged(format!("webhook filter: {e}")))?,
            id: r.id,
            name: r.name,
            url: r.url,
            enabled: r.enabled,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn secret_context(name: &str) -> String {
    format!("webhook:{name}")
}

impl Store {
    pub async fn create_webhook(&self, new: &NewWebhook, actor: &str) -> Result<Webhook> {
        let now = self.now();
        let sealed = self.key.seal_secret(&secret_context(&new.name), &new.secret);
        let filter = serde_json::to_string(&new.filter).expect("a filter serialises");
        let id: i64 = with_write_tx!(self, tx => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO webhooks (name, url, secret, filter, enabled, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $7, $6, $6) RETURNING id",
            )
            .bind(&new.name)
            .bind(&new.url)
            .bind(&sealed)
            .bind(&filter)
            .bind(new.enabled)
            .bind(now)
            .bind(new.created_by)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("a webhook named {:?} exists", new.name)),
                other => other,
            })?;
            let after = serde_json::json!({"name": new.name, "url": new.url, "filter": new.filter, "enabled": new.enabled}).to_string();
            audit_on!(&mut *tx, now, actor, "webhook.create", &format!("webhook/{}", new.name), None, Some(after));
            id
        });
        self.webhook(id).await
    }

    pub async fn webhook(&self, id: i64) -> Result<Webhook> {
        let row: WebhookRow = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, name, url, filter, enabled, created_by, created_at, updated_at FROM webhooks WHERE id = $1"
        )
        .bind(id)
        .fetch_one(pool)
        .await?);
        row.try_into()
    }

    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>> {
        let rows: Vec<WebhookRow> = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, name, url, filter, enabled, created_by, created_at, updated_at FROM webhooks ORDER BY id"
        )
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The webhook's signing secret, decrypted.
    pub async fn webhook_secret(&self, id: i64) -> Result<SecretString> {
        let (name, sealed): (String, Vec<u8>) = with_pool!(self, pool => sqlx::query_as(
            "SELECT name, secret FROM webhooks WHERE id = $1"
        )
        .bind(id)
        .fetch_one(pool)
        .await?);
        self.key.open_secret(&secret_context(&name), &sealed)
    }

    /// Deletes a webhook and its delivery log; false if there was none.
    pub async fn delete_webhook(&self, id: i64, actor: &str) -> Result<bool> {
        let now = self.now();
        let done = with_write_tx!(self, tx => {
            let name: Option<String> = sqlx::query_scalar("DELETE FROM webhooks WHERE id = $1 RETURNING name")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(name) = &name {
                audit_on!(&mut *tx, now, actor, "webhook.delete", &format!("webhook/{name}"), None, None);
            }
            name.is_some()
        });
        Ok(done)
    }

    /// Records one delivery attempt.
    pub async fn record_delivery(&self, record: &DeliveryRecord) -> Result<()> {
        with_writer!(self, pool => sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, event, attempt, status_code, error, duration_ms, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(record.webhook_id)
        .bind(&record.event)
        .bind(record.attempt)
        .bind(record.status_code)
        .bind(&record.error)
        .bind(record.duration_ms)
        .bind(record.at)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// A webhook's delivery attempts, newest first.
    pub async fn deliveries(&self, webhook_id: i64, limit: i64) -> Result<Vec<DeliveryRecord>> {
        let rows = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, webhook_id, event, attempt, status_code, error, duration_ms, at FROM webhook_deliveries \
             WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2"
        )
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }
}
