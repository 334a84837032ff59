//! Who works on what, and how far it got: a project is claimed under a lease (on PostgreSQL
//! with `FOR UPDATE SKIP LOCKED`, so several tether processes share the projects and never
//! hold the same one), a pass is started with its floor and Jira's clock, advanced page by
//! page through its checkpoint ([`Store::write_ticket_page`]), and finished by moving the
//! cursor; a failure releases the claim until a later time, keeping the checkpoint. Site-level
//! work (checks, catalogues, webhooks) is claimed the same way on the connection.

use super::projects::{PROJECT_COLUMNS, TicketProject};
use crate::{Backend, Result, Store, with_pool, with_writer};

/// What a pass that just finished did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassEnd {
    /// The cursor the next pass searches from (epoch ms by Jira's clock).
    pub cursor_ms: i64,
    /// When the project is next due (epoch ms by tether's clock).
    pub next_due_at: i64,
    /// Whether deleted and moved issues were looked for in this pass.
    pub reconciled: bool,
}

const CLAIMABLE: &str = "FROM ticket_projects p JOIN ticket_connections c ON c.site_id = p.site_id \
    WHERE p.imported AND p.present AND NOT c.paused AND c.check_ok AND c.catalogue_at IS NOT NULL \
    AND (c.auth_kind <> 'oauth1' OR c.oauth1_token IS NOT NULL) \
    AND p.next_due_at <= $3 AND (p.claimed_until IS NULL OR p.claimed_until < $3)";

impl Store {
    /// Claims the project most overdue whose site runs (not paused, checked, authorised, its
    /// catalogues read) for `lease_ms`; `None` when nothing is due.
    pub async fn claim_ticket_project(
        &self,
        worker: &str,
        lease_ms: i64,
    ) -> Result<Option<TicketProject>> {
        let now = self.now();
        let lock = match self.backend {
            Backend::Sqlite(..) => "",
            Backend::Postgres(_) => " FOR UPDATE OF p SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE ticket_projects SET claimed_by = $1, claimed_until = $2 \
             WHERE (site_id, id) = (SELECT p.site_id, p.id {CLAIMABLE} ORDER BY p.next_due_at, p.site_id, p.id LIMIT 1{lock}) \
             RETURNING {PROJECT_COLUMNS}"
        );
        let row = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(worker)
            .bind(now + lease_ms)
            .bind(now)
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }

    /// Starts a pass on a claimed project, unless one is under way (a resumed pass keeps its
    /// start, floor and checkpoint): `started_ms` is Jira's clock at the start, `from_ms` the
    /// floor of its search (`None` for a full pass), `total` how many issues it expects.
    /// Answers the project as it now stands, or `None` when the claim was lost.
    pub async fn start_ticket_pass(
        &self,
        site_id: i64,
        project_id: &str,
        worker: &str,
        started_ms: i64,
        from_ms: Option<i64>,
        total: Option<i64>,
    ) -> Result<Option<TicketProject>> {
        let now = self.now();
        with_writer!(self, pool => sqlx::query(
            "UPDATE ticket_projects SET pass_started_ms = $1, pass_from_ms = $2, pass_total = $3, \
             pass_done = 0, checkpoint = NULL, last_pass_started_at = $4 \
             WHERE site_id = $5 AND id = $6 AND claimed_by = $7 AND claimed_until >= $4 AND pass_started_ms IS NULL"
        )
        .bind(started_ms)
        .bind(from_ms)
        .bind(total)
        .bind(now)
        .bind(site_id)
        .bind(project_id)
        .bind(worker)
        .execute(pool)
        .await
        .map(drop)?);
        let p = self.ticket_project(site_id, project_id).await?;
        Ok((p.claimed_by.as_deref() == Some(worker)).then_some(p))
    }

    /// Starts the running pass's search over (its floor and start stay): the checkpoint is
    /// dropped, so the next page is the first. For a checkpoint Jira can no longer place.
    pub async fn restart_ticket_pass(
        &self,
        site_id: i64,
        project_id: &str,
        worker: &str,
    ) -> Result<bool> {
        let n = with_writer!(self, pool => sqlx::query(
            "UPDATE ticket_projects SET checkpoint = NULL, pass_done = 0 WHERE site_id = $1 AND id = $2 AND claimed_by = $3"
        )
        .bind(site_id)
        .bind(project_id)
        .bind(worker)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Ends a pass: the cursor moves, the checkpoint goes, the claim is released until
    /// `end.next_due_at`. False when the claim was lost (nothing changes then).
    pub async fn finish_ticket_pass(
        &self,
        site_id: i64,
        project_id: &str,
        worker: &str,
        end: PassEnd,
    ) -> Result<bool> {
        let now = self.now();
        let n = with_writer!(self, pool => sqlx::query(
            "UPDATE ticket_projects SET cursor_ms = $1, next_due_at = $2, \
             reconciled_at = CASE WHEN $3 THEN $4 ELSE reconciled_at END, \
             last_pass_finished_at = $4, last_pass_issues = pass_done, pass_started_ms = NULL, \
             pass_from_ms = NULL, checkpoint = NULL, pass_total = NULL, claimed_by = NULL, \
             claimed_until = NULL, failures = 0, last_error = NULL, last_error_at = NULL \
             WHERE site_id = $5 AND id = $6 AND claimed_by = $7"
        )
        .bind(end.cursor_ms)
        .bind(end.next_due_at)
        .bind(end.reconciled)
        .bind(now)
        .bind(site_id)
        .bind(project_id)
        .bind(worker)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Gives a claimed project back after a failure: due again at `retry_at`, the error kept
    /// for people to read, the pass (and its checkpoint) left to resume.
    pub async fn fail_ticket_project(
        &self,
        site_id: i64,
        project_id: &str,
        worker: &str,
        error: &str,
        retry_at: i64,
    ) -> Result<bool> {
        let n = with_writer!(self, pool => sqlx::query(
            "UPDATE ticket_projects SET claimed_by = NULL, claimed_until = NULL, next_due_at = $1, \
             failures = failures + 1, last_error = $2, last_error_at = $3 \
             WHERE site_id = $4 AND id = $5 AND claimed_by = $6"
        )
        .bind(retry_at)
        .bind(error)
        .bind(self.now())
        .bind(site_id)
        .bind(project_id)
        .bind(worker)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Extends a claim the worker still holds; false once lost.
    pub async fn renew_ticket_claim(
        &self,
        site_id: i64,
        project_id: &str,
        worker: &str,
        lease_ms: i64,
    ) -> Result<bool> {
        let now = self.now();
        let n = with_writer!(self, pool => sqlx::query(
            "UPDATE ticket_projects SET claimed_until = $1 WHERE site_id = $2 AND id = $3 AND claimed_by = $4 AND claimed_until >= $5"
        )
        .bind(now + lease_ms)
        .bind(site_id)
        .bind(project_id)
        .bind(worker)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Ends every ingestion claim at once, as if each lease had run out. Only for when every
    /// worker holding one is known to be gone (a test that killed its worker, an operator
    /// after a crash who does not want to wait).
    pub async fn expire_ticket_claims(&self) -> Result<u64> {
        let n = with_writer!(self, pool => {
            let a = sqlx::query("UPDATE ticket_projects SET claimed_until = 0 WHERE claimed_until IS NOT NULL")
                .execute(pool)
                .await?
                .rows_affected();
            let b = sqlx::query("UPDATE ticket_connections SET claimed_until = 0 WHERE claimed_until IS NOT NULL")
                .execute(pool)
                .await?
                .rows_affected();
            a + b
        });
        Ok(n)
    }

    /// Claims one site whose site-level work is due: a refresh was asked for, its catalogues
    /// are older than `stale_before` (or never read), or its last check failed before
    /// `failed_before`. Answers the site id.
    pub async fn claim_ticket_site(
        &self,
        worker: &str,
        lease_ms: i64,
        stale_before: i64,
        failed_before: i64,
    ) -> Result<Option<i64>> {
        let now = self.now();
        let lock = match self.backend {
            Backend::Sqlite(..) => "",
            Backend::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE ticket_connections SET claimed_by = $1, claimed_until = $2 WHERE site_id = (\
             SELECT site_id FROM ticket_connections WHERE NOT paused \
             AND (auth_kind <> 'oauth1' OR oauth1_token IS NOT NULL) \
             AND (claimed_until IS NULL OR claimed_until < $3) \
             AND (refresh_requested OR catalogue_at IS NULL OR catalogue_at < $4 \
                  OR (check_ok IS NOT NULL AND NOT check_ok AND checked_at < $5)) \
             ORDER BY site_id LIMIT 1{lock}) RETURNING site_id"
        );
        let id: Option<i64> = with_pool!(self, pool => sqlx::query_scalar(&sql)
            .bind(worker)
            .bind(now + lease_ms)
            .bind(now)
            .bind(stale_before)
            .bind(failed_before)
            .fetch_optional(pool)
            .await?);
        Ok(id)
    }

    /// Releases a site's claim; `done` records its catalogues as read now, `error` what went
    /// wrong (cleared on success).
    pub async fn release_ticket_site(
        &self,
        site_id: i64,
        worker: &str,
        done: bool,
        error: Option<&str>,
    ) -> Result<()> {
        let now = self.now();
        with_writer!(self, pool => sqlx::query(
            "UPDATE ticket_connections SET claimed_by = NULL, claimed_until = NULL, \
             catalogue_at = CASE WHEN $1 THEN $2 ELSE catalogue_at END, \
             last_error = $3, last_error_at = CASE WHEN $3 IS NULL THEN last_error_at ELSE $2 END \
             WHERE site_id = $4 AND claimed_by = $5"
        )
        .bind(done)
        .bind(now)
        .bind(error)
        .bind(site_id)
        .bind(worker)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// Records the Jira webhook registered for a site (or none).
    pub async fn set_ticket_webhook(
        &self,
        site_id: i64,
        webhook_id: Option<&str>,
        token: Option<&secrecy::SecretString>,
    ) -> Result<()> {
        let sealed =
            token.map(|t| self.key.seal_secret(&format!("ticket_connection:{site_id}:webhook"), t));
        with_writer!(self, pool => sqlx::query(
            "UPDATE ticket_connections SET webhook_id = $1, webhook_token = $2 WHERE site_id = $3"
        )
        .bind(webhook_id)
        .bind(sealed)
        .bind(site_id)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// Whether `token` is the one in the URL of the webhook registered for the site (compared
    /// as SHA-256 digests, so the comparison's time says nothing of the token).
    pub async fn ticket_webhook_token_matches(&self, site_id: i64, token: &str) -> Result<bool> {
        use secrecy::ExposeSecret;
        use sha2::{Digest, Sha256};
        let sealed: Option<Option<Vec<u8>>> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT webhook_token FROM ticket_connections WHERE site_id = $1"
        )
        .bind(site_id)
        .fetch_optional(pool)
        .await?);
        let Some(sealed) = sealed.flatten() else { return Ok(false) };
        let stored =
            self.key.open_secret(&format!("ticket_connection:{site_id}:webhook"), &sealed)?;
        Ok(Sha256::digest(stored.expose_secret().as_bytes()) == Sha256::digest(token.as_bytes()))
    }
}
