//! Deleted and moved issues, which polling by `updated` cannot see: a project's issue ids (a
//! cheap listing) compared with what is stored. A stored ticket Jira no longer lists is read by
//! id: gone (404) is deleted; moved to a project tether imports is followed (new key and
//! project, same history); moved elsewhere is deleted. An issue Jira lists and tether lacks is
//! read and written. Jira's `issue_deleted` webhooks are acted on at the next pass.

use std::collections::BTreeSet;

use tether_jira::Client;
use tether_jira::tickets::{FieldCatalog, Ticket};
use tether_store::TicketProject;

use super::engine::{Ingester, millis};
use super::pass::{PassError, write_page};

/// Issues read per written batch when catching up on missing ones.
const BATCH: usize = 50;

/// Compares the project's ids with Jira's and repairs the difference; answers how many
/// tickets were removed.
pub(crate) async fn project(
    ing: &Ingester,
    client: &Client,
    catalog: &FieldCatalog,
    project: &TicketProject,
) -> Result<usize, PassError> {
    let site = project.site_id;
    let lease = millis(ing.options.lease);
    let in_jira: BTreeSet<String> =
        client.project_issue_ids(&project.id).await?.into_iter().map(|i| i.id).collect();
    let stored: BTreeSet<String> =
        ing.store.ticket_ids(site, &project.id).await?.into_iter().collect();
    let mut remove = Vec::new();
    let mut follow = Vec::new();
    for id in stored.difference(&in_jira) {
        let Some(raw) = client.raw_issue(id).await? else {
            remove.push(id.clone());
            continue;
        };
        let t = Ticket::read(raw, catalog);
        match t.project_id.as_deref() {
            // Listed again once Jira's index catches up.
            Some(p) if p == project.id => {}
            Some(p) if ing.store.ticket_project(site, p).await.is_ok_and(|x| x.imported) => {
                follow.push(t)
            }
            _ => remove.push(id.clone()),
        }
    }
    for batch in follow.chunks(BATCH) {
        write_page(ing, client, project, batch.to_vec(), None, lease).await?;
    }
    let missing: Vec<&String> = in_jira.difference(&stored).collect();
    for batch in missing.chunks(BATCH) {
        let mut tickets = Vec::new();
        for id in batch {
            if let Some(raw) = client.raw_issue(id).await? {
                tickets.push(Ticket::read(raw, catalog));
            }
        }
        write_page(ing, client, project, tickets, None, lease).await?;
    }
    let removed = ing.store.delete_tickets(site, &remove).await?;
    if !ing.store.renew_ticket_claim(site, &project.id, &ing.name, lease).await? {
        return Err(PassError::LostClaim);
    }
    Ok(removed as usize)
}

/// Acts on the `jira:issue_deleted` events Jira's webhooks delivered for a project: an issue
/// Jira no longer answers for is deleted now instead of at the next reconciliation. Other
/// events only made the project due. Answers how many tickets were removed.
pub(crate) async fn webhook_deletions(
    ing: &Ingester,
    client: &Client,
    project: &TicketProject,
) -> Result<usize, PassError> {
    let events = ing.store.ticket_hooks(project.site_id, &project.id).await?;
    let Some(last) = events.last().map(|e| e.id) else { return Ok(0) };
    let mut gone = Vec::new();
    for e in events.iter().filter(|e| e.event == "jira:issue_deleted") {
        if let Some(id) = &e.issue_id
            && client.raw_issue(id).await?.is_none()
        {
            gone.push(id.clone());
        }
    }
    let removed = ing.store.delete_tickets(project.site_id, &gone).await?;
    ing.store.drop_ticket_hooks(project.site_id, last).await?;
    Ok(removed as usize)
}
