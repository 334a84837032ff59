//! Ingested tickets (`tickets`) and what hangs on them: written a page at a time in the
//! transaction that also advances the project's checkpoint, read back for the Tickets page.

use std::collections::BTreeMap;

use crate::{Result, Store, with_pool};

/// How much a site's ingestion holds, table by table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TicketStats {
    pub tickets: i64,
    pub changes: i64,
    pub comments: i64,
    pub worklogs: i64,
    pub remote_links: i64,
    pub sprint_memberships: i64,
    pub sprints: i64,
    pub users: i64,
    pub statuses: i64,
}

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

    /// How many rows of each kind a site's ingestion holds.
    pub async fn ticket_stats(&self, site_id: i64) -> Result<TicketStats> {
        let mut n = [0i64; 9];
        let tables = [
            "tickets",
            "ticket_changes",
            "ticket_comments",
            "ticket_worklogs",
            "ticket_remote_links",
            "ticket_sprint_issues",
            "ticket_sprints",
            "ticket_users",
            "ticket_statuses",
        ];
        for (slot, table) in n.iter_mut().zip(tables) {
            *slot = with_pool!(self, pool => sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM {table} WHERE site_id = $1"
            ))
            .bind(site_id)
            .fetch_one(pool)
            .await?);
        }
        let [
            tickets,
            changes,
            comments,
            worklogs,
            remote_links,
            sprint_memberships,
            sprints,
            users,
            statuses,
        ] = n;
        Ok(TicketStats {
            tickets,
            changes,
            comments,
            worklogs,
            remote_links,
            sprint_memberships,
            sprints,
            users,
            statuses,
        })
    }
}
