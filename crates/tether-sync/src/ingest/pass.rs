//! One pass over a claimed project: issues updated since its cursor (all of them the first
//! time), page by page in key order, each page completed while the next is fetched, then
//! converted and written with the checkpoint in one transaction beside the reading of the pages
//! after it; then its boards and sprints, deleted and moved issues when a reconciliation is due,
//! and the cursor moved to the pass's start (Jira's clock) less the look-back.

use std::collections::BTreeMap;

use futures_util::future::OptionFuture;
use tether_jira::Client;
use tether_jira::tickets::{FieldCatalog, IssuePage, Ticket, ingest_jql};
use tether_store::{PassEnd, StoreError, TicketPage, TicketProject};
use tokio_util::task::AbortOnDropHandle;

use super::connection::ConnectionError;
use super::convert::{self, People};
use super::engine::{Ingester, millis};
use super::{enrich, reconcile};

/// Why a pass stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error("storage failed")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error("Jira failed")]
    Jira(#[from] tether_jira::Error),
    /// The lease ran out and another worker holds the project now.
    #[error("the project's claim was lost")]
    LostClaim,
    /// A task of the pass was cancelled: the runtime is shutting down.
    #[error("the pass was cancelled")]
    Cancelled,
}

/// What the reader of a pass hands its writer, in order.
enum ToWrite {
    /// A completed page and the checkpoint to store with it (its last key).
    Page(Vec<convert::Complete>, Option<String>),
    /// The search starts over from the first key (the checkpoint's issue is gone).
    Restart,
}

/// What a finished pass did.
#[derive(Debug, Default, Clone, Copy)]
pub struct PassStats {
    pub issues: usize,
    pub removed: usize,
}

pub(crate) async fn run_pass(
    ing: &Ingester,
    project: TicketProject,
) -> Result<PassStats, PassError> {
    let client = ing.clients.get(project.site_id).await?;
    let catalog = convert::catalog(&ing.store.ticket_fields(project.site_id).await?);
    let mut stats = PassStats::default();
    stats.removed += reconcile::webhook_deletions(ing, &client, &project).await?;
    let project = match project.in_pass() {
        true => project,
        false => start(ing, &client, project).await?,
    };
    let lease = millis(ing.options.lease);
    let from = project.pass_from_ms;
    let site = project.site_id;
    // Pages are written by `writer` while `reader` fetches and completes the next ones (a page
    // completed while the next is fetched), so a write is not on the fetching's path. Pages are
    // written in order, so the checkpoint only ever names a key whose page and every page
    // before it are stored.
    //
    // The writer and each search run as tasks of their own, so the CPU work of one side
    // (converting and binding a page on the writer's; reading a page's issues on the reader's)
    // runs beside the other's requests instead of holding them back: when the pass's one task
    // polled both, the sandbox's answers waited while a page was converted and Jira sat idle
    // meanwhile (see the README's ingestion figures). The tasks are aborted if the pass is
    // dropped.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<ToWrite>(1);
    let (owned_ing, owned_project) = (ing.clone(), project.clone());
    let writer = async move {
        let (ing, project) = (&owned_ing, &owned_project);
        let mut written = 0;
        while let Some(next) = rx.recv().await {
            match next {
                ToWrite::Page(page, checkpoint) => {
                    written += write_complete(ing, project, page, checkpoint, lease).await?;
                }
                ToWrite::Restart => {
                    if !ing.store.restart_ticket_pass(site, &project.id, &ing.name).await? {
                        return Err(PassError::LostClaim);
                    }
                }
            }
        }
        Ok::<_, PassError>(written)
    };
    let writer = AbortOnDropHandle::new(tokio::spawn(writer));
    // A search for the page after `after`, already under way when this returns.
    let search = |after: Option<String>| {
        let jql = ingest_jql(&project.id, from, after.as_deref());
        let (client, size) = (client.clone(), ing.options.page_size);
        AbortOnDropHandle::new(tokio::spawn(async move { client.issue_page(&jql, size).await }))
    };
    let reader = async {
        // Moved in, so the writer's channel closes when the reader ends, however it ends.
        let tx = tx;
        let mut after = project.checkpoint.clone();
        let mut restarted = false;
        let mut next = joined(search(after.clone())).await?;
        loop {
            if next.issues.is_empty() {
                // A checkpoint Jira can no longer place (its issue moved away or went) makes
                // the rest look empty: start the search over once, rather than end the pass
                // early.
                if let Some(key) = after.as_deref()
                    && !restarted
                    && !still_here(&client, key, &project.id).await?
                {
                    restarted = true;
                    after = None;
                    if tx.send(ToWrite::Restart).await.is_err() {
                        return Ok(());
                    }
                    next = joined(search(None)).await?;
                    continue;
                }
                return Ok(());
            }
            let IssuePage { issues, more, .. } = next;
            let last = issues.last().map(|i| i.key.clone());
            // Asked for before this page is read, so Jira works on it meanwhile.
            let fetching = match (more, &last) {
                (true, Some(k)) => Some(search(Some(k.clone()))),
                _ => None,
            };
            let tickets: Vec<Ticket> =
                issues.into_iter().map(|r| Ticket::read(r, &catalog)).collect();
            let fetch_next = OptionFuture::from(fetching.map(joined));
            let (complete, fetched) = tokio::join!(enrich::complete(&client, tickets), fetch_next);
            // The writer stopped (its error is the pass's): nothing more to send it.
            if tx.send(ToWrite::Page(complete?, last.clone())).await.is_err() {
                return Ok(());
            }
            after = last;
            match fetched {
                Some(page) => next = page?,
                None => return Ok(()),
            }
        }
    };
    // A failed read still lets the pages read before it be written: the writer ends when the
    // reader (and with it the sender) is gone.
    let (written, read): (Result<usize, PassError>, Result<(), PassError>) =
        tokio::join!(joined(writer), reader);
    stats.issues += written?;
    read?;
    boards(ing, &client, &project).await?;
    let due = project.cursor_ms.is_some()
        && project.reconciled_at.is_none_or(|at| {
            ing.store.clock().now_ms() - at >= millis(ing.options.reconcile_interval)
        });
    if due {
        stats.removed += reconcile::project(ing, &client, &catalog, &project).await?;
    }
    let started = project.pass_started_ms.unwrap_or_else(|| ing.store.clock().now_ms());
    let end = PassEnd {
        cursor_ms: started - millis(ing.options.look_back),
        next_due_at: ing.store.clock().now_ms() + millis(ing.options.poll_interval),
        // A full pass read everything there is: nothing older than it to find.
        reconciled: due || project.cursor_ms.is_none(),
    };
    if !ing.store.finish_ticket_pass(site, &project.id, &ing.name, end).await? {
        return Err(PassError::LostClaim);
    }
    Ok(stats)
}

/// What a task of the pass answered; its panic goes on as the pass's own.
async fn joined<T, E>(task: AbortOnDropHandle<Result<T, E>>) -> Result<T, PassError>
where
    PassError: From<E>,
{
    match task.await {
        Ok(answer) => Ok(answer?),
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => Err(PassError::Cancelled),
        },
    }
}

/// Starts a pass: its start by Jira's own clock (so tether's clock can be wrong without losing
/// updates), its floor (the cursor; none for the first, full pass) and how many issues it
/// expects (for progress).
async fn start(
    ing: &Ingester,
    client: &Client,
    project: TicketProject,
) -> Result<TicketProject, PassError> {
    let jira_now = match client.server_time_ms().await {
        Ok(Some(t)) => t,
        Ok(None) | Err(_) => ing.store.clock().now_ms(),
    };
    let from = project.cursor_ms;
    let total = client.count_issues(&ingest_jql(&project.id, from, None)).await.ok().flatten();
    let total = total.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    ing.store
        .start_ticket_pass(project.site_id, &project.id, &ing.name, jira_now, from, total)
        .await?
        .ok_or(PassError::LostClaim)
}

/// Completes, converts and writes one page with its checkpoint; answers how many issues.
pub(crate) async fn write_page(
    ing: &Ingester,
    client: &Client,
    project: &TicketProject,
    tickets: Vec<Ticket>,
    checkpoint: Option<String>,
    lease: i64,
) -> Result<usize, PassError> {
    let complete = enrich::complete(client, tickets).await?;
    write_complete(ing, project, complete, checkpoint, lease).await
}

/// Converts and writes one completed page with its checkpoint; answers how many issues.
async fn write_complete(
    ing: &Ingester,
    project: &TicketProject,
    complete: Vec<convert::Complete>,
    checkpoint: Option<String>,
    lease: i64,
) -> Result<usize, PassError> {
    let named = convert::Named::of(complete.iter().map(|c| &c.ticket));
    let mut people = People::default();
    let mut sprints = BTreeMap::new();
    let tickets: Vec<_> = complete
        .into_iter()
        .map(|c| convert::ticket(c, &project.id, &mut people, &mut sprints))
        .collect();
    let n = tickets.len();
    let page = TicketPage {
        site_id: project.site_id,
        project_id: project.id.clone(),
        tickets,
        users: people.into_vec(),
        sprints: sprints.into_values().collect(),
        statuses: named.statuses,
        issue_types: named.issue_types,
        priorities: named.priorities,
        resolutions: named.resolutions,
        checkpoint,
    };
    if !ing.store.write_ticket_page(&page, &ing.name, lease).await? {
        return Err(PassError::LostClaim);
    }
    Ok(n)
}

/// Whether the issue a checkpoint names is still in the project.
async fn still_here(client: &Client, key: &str, project_id: &str) -> Result<bool, PassError> {
    let catalog = FieldCatalog::default();
    Ok(match client.raw_issue(key).await? {
        Some(raw) => Ticket::read(raw, &catalog).project_id.as_deref() == Some(project_id),
        None => false,
    })
}

/// A project's boards and their sprints (Kanban boards have none).
async fn boards(ing: &Ingester, client: &Client, project: &TicketProject) -> Result<(), PassError> {
    if project.type_key.as_deref() != Some("software") {
        return Ok(());
    }
    let boards = client.boards(&project.id).await?;
    let mut sprints = Vec::new();
    for b in &boards {
        for s in client.sprints(b.id).await? {
            sprints.push(tether_store::NewSprint {
                id: s.id,
                board_id: s.origin_board_id.or(Some(b.id)),
                name: s.name,
                state: s.state,
                goal: s.goal.filter(|g| !g.is_empty()),
                start_at: s.start_date.as_deref().and_then(tether_jira::parse_timestamp),
                end_at: s.end_date.as_deref().and_then(tether_jira::parse_timestamp),
                complete_at: s.complete_date.as_deref().and_then(tether_jira::parse_timestamp),
            });
        }
    }
    let boards: Vec<_> = boards
        .into_iter()
        .map(|b| tether_store::TicketBoard { id: b.id, name: b.name, kind: b.kind })
        .collect();
    ing.store.put_ticket_boards(project.site_id, &project.id, &boards, &sprints).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_of_the_pass_answers_what_it_answered() {
        let ok = AbortOnDropHandle::new(tokio::spawn(async { Ok::<_, PassError>(7) }));
        assert_eq!(joined(ok).await.unwrap(), 7);
        let failed =
            AbortOnDropHandle::new(tokio::spawn(async { Err::<u8, _>(PassError::LostClaim) }));
        assert!(matches!(joined(failed).await, Err(PassError::LostClaim)));
    }

    #[tokio::test]
    async fn a_cancelled_task_is_a_cancelled_pass_and_a_panic_stays_a_panic() {
        let forever = tokio::spawn(std::future::pending::<Result<u8, PassError>>());
        forever.abort();
        assert!(matches!(joined(AbortOnDropHandle::new(forever)).await, Err(PassError::Cancelled)));
        let panics = AbortOnDropHandle::new(tokio::spawn(async {
            if true {
                panic!("the writer's panic");
            }
            Ok::<u8, PassError>(0)
        }));
        let caught = tokio::spawn(joined(panics)).await.expect_err("the panic goes on");
        let message = caught.into_panic();
        assert_eq!(message.downcast_ref::<&str>(), Some(&"the writer's panic"));
    }

    #[tokio::test]
    async fn dropping_the_handle_stops_the_task() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = AbortOnDropHandle::new(tokio::spawn(async move {
            let _keep = tx;
            std::future::pending::<()>().await;
        }));
        drop(task);
        // The task's sender is dropped with the task: the receiver hears it close.
        assert!(rx.await.is_err());
    }
}
