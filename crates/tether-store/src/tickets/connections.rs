//! The ingestion connection of a Jira site (`ticket_connections`): its credentials, sealed
//! (an API token, a password, a personal access token, or an application link's RSA key with
//! the OAuth 1.0a tokens of its three-legged flow), the switches that apply to the whole site
//! (paused, auto-import), the last check, and turning the integration off, which removes every
//! ticket it brought.

use secrecy::SecretString;
use serde_json::Value;

use crate::audit::audit_on;
use crate::{Result, Store, StoreError, with_pool, with_write_tx, with_writer};

/// How the ingestion connection logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketAuthKind {
    /// Cloud: Basic email + API token.
    ApiToken,
    /// Data Center: Basic username + password (supported, discouraged).
    Password,
    /// Data Center 8.14+: Bearer personal access token.
    Pat,
    /// Data Center: an application link, OAuth 1.0a signed with tether's RSA key.
    OAuth1,
}

impl TicketAuthKind {
    pub const ALL: [TicketAuthKind; 4] = [
        TicketAuthKind::ApiToken,
        TicketAuthKind::Password,
        TicketAuthKind::Pat,
        TicketAuthKind::OAuth1,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketAuthKind::ApiToken => "api_token",
            TicketAuthKind::Password => "password",
            TicketAuthKind::Pat => "pat",
            TicketAuthKind::OAuth1 => "oauth1",
        }
    }

    pub fn parse(s: &str) -> Option<TicketAuthKind> {
        TicketAuthKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Credentials to store; each kind carries exactly what it needs.
#[derive(Debug, Clone)]
pub enum TicketCredentials {
    ApiToken {
        email: String,
        token: SecretString,
    },
    Password {
        username: String,
        password: SecretString,
    },
    Pat {
        token: SecretString,
    },
    /// An application link: the consumer key and tether's key pair. The access token comes
    /// later, from the three-legged flow ([`Store::finish_ticket_oauth1`]).
    OAuth1 {
        consumer_key: String,
        private_key: SecretString,
        public_key: String,
    },
}

impl TicketCredentials {
    pub fn kind(&self) -> TicketAuthKind {
        match self {
            TicketCredentials::ApiToken { .. } => TicketAuthKind::ApiToken,
            TicketCredentials::Password { .. } => TicketAuthKind::Password,
            TicketCredentials::Pat { .. } => TicketAuthKind::Pat,
            TicketCredentials::OAuth1 { .. } => TicketAuthKind::OAuth1,
        }
    }

    fn user(&self) -> &str {
        match self {
            TicketCredentials::ApiToken { email, .. } => email,
            TicketCredentials::Password { username, .. } => username,
            TicketCredentials::Pat { .. } => "",
            TicketCredentials::OAuth1 { consumer_key, .. } => consumer_key,
        }
    }

    fn secret(&self) -> &SecretString {
        match self {
            TicketCredentials::ApiToken { token, .. } | TicketCredentials::Pat { token } => token,
            TicketCredentials::Password { password, .. } => password,
            TicketCredentials::OAuth1 { private_key, .. } => private_key,
        }
    }
}

/// What [`Store::ticket_credentials`] opens: the credentials, and for OAuth 1.0a the access
/// token once authorised.
#[derive(Debug, Clone)]
pub struct TicketSecrets {
    pub credentials: TicketCredentials,
    pub oauth1_access_token: Option<SecretString>,
}

/// The last check of a connection: whether ingestion may run, and its report (JSON written by
/// whoever checked: messages, notes, what was found).
#[derive(Debug, Clone, PartialEq)]
pub struct TicketCheck {
    pub ok: bool,
    pub at: i64,
    pub report: Value,
}

/// An ingestion connection, without its secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketConnection {
    pub site_id: i64,
    pub auth_kind: TicketAuthKind,
    /// The email, username or consumer key.
    pub auth_user: String,
    /// OAuth 1.0a: the public key to paste into Jira's application link.
    pub oauth1_public_key: Option<String>,
    /// Whether the credentials are complete: always, except an application link not
    /// authorised yet.
    pub authorised: bool,
    pub paused: bool,
    pub auto_import: bool,
    pub check: Option<TicketCheck>,
    /// The service account, as Jira names it, and its time zone (from `myself`).
    pub account: Option<String>,
    pub time_zone: Option<String>,
    pub refresh_requested: bool,
    pub catalogue_at: Option<i64>,
    pub webhook_id: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct ConnectionRow {
    site_id: i64,
    auth_kind: String,
    auth_user: String,
    oauth1_public_key: Option<String>,
    has_token: bool,
    paused: bool,
    auto_import: bool,
    check_ok: Option<bool>,
    check_report: Option<String>,
    checked_at: Option<i64>,
    account: Option<String>,
    time_zone: Option<String>,
    refresh_requested: bool,
    catalogue_at: Option<i64>,
    webhook_id: Option<String>,
    last_error: Option<String>,
    last_error_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

const COLUMNS: &str = "site_id, auth_kind, auth_user, oauth1_public_key, \
    (oauth1_token IS NOT NULL) AS has_token, paused, auto_import, check_ok, check_report, \
    checked_at, account, time_zone, refresh_requested, catalogue_at, webhook_id, last_error, \
    last_error_at, created_at, updated_at";

impl TryFrom<ConnectionRow> for TicketConnection {
    type Error = StoreError;
    fn try_from(r: ConnectionRow) -> Result<TicketConnection> {
        let auth_kind = TicketAuthKind::parse(&r.auth_kind).ok_or_else(|| {
            StoreError::Damaged(format!("ticket connection auth kind {:?}", r.auth_kind))
        })?;
        let check = match (r.check_ok, r.checked_at) {
            (Some(ok), Some(at)) => Some(TicketCheck {
                ok,
                at,
                report: r
                    .check_report
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| StoreError::Damaged(format!("ticket check report: {e}")))?
                    .unwrap_or(Value::Null),
            }),
            _ => None,
        };
        Ok(TicketConnection {
            site_id: r.site_id,
            authorised: auth_kind != TicketAuthKind::OAuth1 || r.has_token,
            auth_kind,
            auth_user: r.auth_user,
            oauth1_public_key: r.oauth1_public_key,
            paused: r.paused,
            auto_import: r.auto_import,
            check,
            account: r.account,
            time_zone: r.time_zone,
            refresh_requested: r.refresh_requested,
            catalogue_at: r.catalogue_at,
            webhook_id: r.webhook_id,
            last_error: r.last_error,
            last_error_at: r.last_error_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn context(site_id: i64, what: &str) -> String {
    format!("ticket_connection:{site_id}:{what}")
}

/// The site's name, for audit entries.
async fn site_resource(store: &Store, site_id: i64) -> Result<String> {
    Ok(format!("integration/{}", store.jira_site(site_id).await?.name))
}

impl Store {
    /// Sets a site's ingestion connection, replacing any credentials it had (a new
    /// application link starts unauthorised). The switches and projects stay.
    pub async fn put_ticket_connection(
        &self,
        site_id: i64,
        credentials: &TicketCredentials,
        actor: &str,
    ) -> Result<TicketConnection> {
        let resource = site_resource(self, site_id).await?;
        let now = self.now();
        let sealed = self.key.seal_secret(&context(site_id, "secret"), credentials.secret());
        let public_key = match credentials {
            TicketCredentials::OAuth1 { public_key, .. } => Some(public_key.clone()),
            _ => None,
        };
        let kind = credentials.kind().as_str();
        let user = credentials.user().to_owned();
        with_write_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO ticket_connections (site_id, auth_kind, auth_user, secret, oauth1_public_key, \
                 oauth1_token, oauth1_request, check_ok, check_report, checked_at, refresh_requested, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL, NULL, NULL, $6, $7, $7) \
                 ON CONFLICT (site_id) DO UPDATE SET auth_kind = excluded.auth_kind, auth_user = excluded.auth_user, \
                 secret = excluded.secret, oauth1_public_key = excluded.oauth1_public_key, oauth1_token = NULL, \
                 oauth1_request = NULL, check_ok = NULL, check_report = NULL, checked_at = NULL, \
                 refresh_requested = excluded.refresh_requested, last_error = NULL, last_error_at = NULL, \
                 updated_at = excluded.updated_at",
            )
            .bind(site_id)
            .bind(kind)
            .bind(&user)
            .bind(&sealed)
            .bind(&public_key)
            .bind(true)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let after = serde_json::json!({"auth_kind": kind, "auth_user": user}).to_string();
            audit_on!(&mut *tx, now, actor, "tickets.connection.set", &resource, None, Some(after));
        });
        self.ticket_connection(site_id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn ticket_connection(&self, site_id: i64) -> Result<Option<TicketConnection>> {
        let row: Option<ConnectionRow> = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM ticket_connections WHERE site_id = $1"
        ))
        .bind(site_id)
        .fetch_optional(pool)
        .await?);
        row.map(TryInto::try_into).transpose()
    }

    pub async fn list_ticket_connections(&self) -> Result<Vec<TicketConnection>> {
        let rows: Vec<ConnectionRow> = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM ticket_connections ORDER BY site_id"
        ))
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The connection's credentials, opened.
    pub async fn ticket_credentials(&self, site_id: i64) -> Result<TicketSecrets> {
        type Row = (String, String, Vec<u8>, Option<String>, Option<Vec<u8>>);
        let (kind, user, secret, public_key, token): Row = with_pool!(self, pool => sqlx::query_as(
            "SELECT auth_kind, auth_user, secret, oauth1_public_key, oauth1_token FROM ticket_connections WHERE site_id = $1"
        )
        .bind(site_id)
        .fetch_one(pool)
        .await?);
        let secret = self.key.open_secret(&context(site_id, "secret"), &secret)?;
        let credentials = match TicketAuthKind::parse(&kind) {
            Some(TicketAuthKind::ApiToken) => {
                TicketCredentials::ApiToken { email: user, token: secret }
            }
            Some(TicketAuthKind::Password) => {
                TicketCredentials::Password { username: user, password: secret }
            }
            Some(TicketAuthKind::Pat) => TicketCredentials::Pat { token: secret },
            Some(TicketAuthKind::OAuth1) => TicketCredentials::OAuth1 {
                consumer_key: user,
                private_key: secret,
                public_key: public_key.unwrap_or_default(),
            },
            None => {
                return Err(StoreError::Damaged(format!("ticket connection auth kind {kind:?}")));
            }
        };
        let oauth1_access_token = token
            .map(|t| self.key.open_secret(&context(site_id, "oauth1_token"), &t))
            .transpose()?;
        Ok(TicketSecrets { credentials, oauth1_access_token })
    }

    /// OAuth 1.0a, step 1 done: keeps the request token (and its secret) until the callback.
    pub async fn begin_ticket_oauth1(
        &self,
        site_id: i64,
        request_token: &str,
        request_secret: &SecretString,
    ) -> Result<()> {
        use secrecy::ExposeSecret;
        let pair =
            serde_json::json!({"token": request_token, "secret": request_secret.expose_secret()});
        let sealed = self.key.seal_secret(
            &context(site_id, "oauth1_request"),
            &SecretString::from(pair.to_string()),
        );
        let n = with_writer!(self, pool => sqlx::query(
            "UPDATE ticket_connections SET oauth1_request = $1, updated_at = $2 WHERE site_id = $3 AND auth_kind = 'oauth1'"
        )
        .bind(&sealed)
        .bind(self.now())
        .bind(site_id)
        .execute(pool)
        .await?
        .rows_affected());
        if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// The request token waiting for its callback, as `(token, secret)`, if any.
    pub async fn ticket_oauth1_request(
        &self,
        site_id: i64,
    ) -> Result<Option<(String, SecretString)>> {
        use secrecy::ExposeSecret;
        let sealed: Option<Option<Vec<u8>>> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT oauth1_request FROM ticket_connections WHERE site_id = $1"
        )
        .bind(site_id)
        .fetch_optional(pool)
        .await?);
        let Some(sealed) = sealed.flatten() else { return Ok(None) };
        let pair = self.key.open_secret(&context(site_id, "oauth1_request"), &sealed)?;
        let v: Value = serde_json::from_str(pair.expose_secret())
            .map_err(|e| StoreError::Damaged(format!("oauth1 request token: {e}")))?;
        let token = v["token"].as_str().unwrap_or_default().to_owned();
        let secret = SecretString::from(v["secret"].as_str().unwrap_or_default().to_owned());
        Ok(Some((token, secret)))
    }

    /// OAuth 1.0a, step 3 done: stores the access token and forgets the request token.
    pub async fn finish_ticket_oauth1(
        &self,
        site_id: i64,
        access_token: &SecretString,
        actor: &str,
    ) -> Result<TicketConnection> {
        let resource = site_resource(self, site_id).await?;
        let now = self.now();
        let sealed = self.key.seal_secret(&context(site_id, "oauth1_token"), access_token);
        with_write_tx!(self, tx => {
            let n = sqlx::query(
                "UPDATE ticket_connections SET oauth1_token = $1, oauth1_request = NULL, check_ok = NULL, \
                 checked_at = NULL, check_report = NULL, refresh_requested = $2, updated_at = $3 \
                 WHERE site_id = $4 AND auth_kind = 'oauth1'",
            )
            .bind(&sealed)
            .bind(true)
            .bind(now)
            .bind(site_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            audit_on!(&mut *tx, now, actor, "tickets.connection.authorise", &resource, None, None);
        });
        self.ticket_connection(site_id).await?.ok_or(StoreError::NotFound)
    }

    /// Records a check: whether ingestion may run, its report, and the account with its time
    /// zone as `myself` showed them.
    pub async fn record_ticket_check(
        &self,
        site_id: i64,
        ok: bool,
        report: &Value,
        account: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<()> {
        with_writer!(self, pool => sqlx::query(
            "UPDATE ticket_connections SET check_ok = $1, check_report = $2, checked_at = $3, \
             account = COALESCE($4, account), time_zone = COALESCE($5, time_zone) WHERE site_id = $6"
        )
        .bind(ok)
        .bind(report.to_string())
        .bind(self.now())
        .bind(account)
        .bind(time_zone)
        .bind(site_id)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// Pauses or resumes all of a site's ingestion, and turns auto-import on or off (`None`
    /// leaves a switch as it is). Auto-import on imports every processable project, and those
    /// discovered later.
    pub async fn set_ticket_switches(
        &self,
        site_id: i64,
        paused: Option<bool>,
        auto_import: Option<bool>,
        actor: &str,
    ) -> Result<TicketConnection> {
        let resource = site_resource(self, site_id).await?;
        let now = self.now();
        with_write_tx!(self, tx => {
            let n = sqlx::query(
                "UPDATE ticket_connections SET paused = COALESCE($1, paused), \
                 auto_import = COALESCE($2, auto_import), updated_at = $3 WHERE site_id = $4",
            )
            .bind(paused)
            .bind(auto_import)
            .bind(now)
            .bind(site_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            if auto_import == Some(true) {
                sqlx::query(
                    "UPDATE ticket_projects SET imported = $1, next_due_at = $2 WHERE site_id = $3 \
                     AND NOT imported AND present AND type_key IN ('software', 'business')",
                )
                .bind(true)
                .bind(now)
                .bind(site_id)
                .execute(&mut *tx)
                .await?;
            }
            if paused == Some(false) {
                // Resumed: whatever was waiting runs now.
                sqlx::query("UPDATE ticket_projects SET next_due_at = $1 WHERE site_id = $2 AND imported")
                    .bind(now)
                    .bind(site_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let after = serde_json::json!({"paused": paused, "auto_import": auto_import}).to_string();
            audit_on!(&mut *tx, now, actor, "tickets.settings", &resource, None, Some(after));
        });
        self.ticket_connection(site_id).await?.ok_or(StoreError::NotFound)
    }

    /// Asks for the site's projects to be discovered again (and its catalogues read).
    pub async fn request_ticket_refresh(&self, site_id: i64) -> Result<()> {
        with_writer!(self, pool => sqlx::query(
            "UPDATE ticket_connections SET refresh_requested = $1, catalogue_at = NULL WHERE site_id = $2"
        )
        .bind(true)
        .bind(site_id)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// Turns a site's ticket integration off: the connection and every ticket, project,
    /// history entry, comment and person it brought are deleted. Returns whether there was one.
    pub async fn delete_ticket_connection(&self, site_id: i64, actor: &str) -> Result<bool> {
        let resource = site_resource(self, site_id).await?;
        let now = self.now();
        let done = with_write_tx!(self, tx => {
            for table in super::DATA_TABLES {
                sqlx::query(&format!("DELETE FROM {table} WHERE site_id = $1"))
                    .bind(site_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let n = sqlx::query("DELETE FROM ticket_connections WHERE site_id = $1")
                .bind(site_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n > 0 {
                audit_on!(&mut *tx, now, actor, "tickets.connection.delete", &resource, None, None);
            }
            n > 0
        });
        Ok(done)
    }
}
