//! Ingested tickets (`tickets`) and what hangs on them: written a page at a time in the
//! transaction that also advances the project's checkpoint, read back for the Tickets page.

use std::collections::BTreeMap;

use crate::{Result, Store, with_pool};

impl Store {
    /// How many tickets each project of a site holds, by Jira project id.
    pub async fn ticket_counts(&self, site_id: i64) -> Result<BTreeMap<String, i64>> {
        let rows: Vec<(String, i64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT project_id, COUNT(*) FROM tickets WHERE site_id = $1 GROUP BY project_id"
        )
        .bind(site_id)
        .fetch_all(pool)
        .await?);
        Ok(rows.into_iter().collect())
    }
}
