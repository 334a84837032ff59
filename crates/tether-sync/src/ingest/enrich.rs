//! Completing a page of issues with what search embeds only in part: the rest of each
//! truncated changelog (Cloud's bulk endpoint, else per issue), comments and worklogs beyond
//! the embedded ones, and each issue's remote links (which search never embeds). Requests run
//! concurrently under the client's own cap and pace.

use futures_util::future::try_join_all;
use tether_jira::tickets::Ticket;
use tether_jira::{Client, Error};

use super::convert::Complete;

/// Completes every issue of a page; fails with the first error Jira gave (after the client's
/// retries), so the page is written whole or not at all.
pub async fn complete(client: &Client, mut tickets: Vec<Ticket>) -> Result<Vec<Complete>, Error> {
    let truncated: Vec<&str> =
        tickets.iter().filter(|t| !t.changelog.complete).map(|t| t.id.as_str()).collect();
    if !truncated.is_empty()
        && client.deployment().is_cloud()
        && let Some(mut logs) = client.bulk_changelogs(&truncated).await?
    {
        for t in tickets.iter_mut().filter(|t| !t.changelog.complete) {
            if let Some(histories) = logs.remove(&t.id) {
                t.changelog.items = histories;
                t.changelog.complete = true;
            }
        }
    }
    try_join_all(tickets.into_iter().map(|t| one(client, t))).await
}

async fn one(client: &Client, mut t: Ticket) -> Result<Complete, Error> {
    if !t.changelog.complete
        && let Some(h) = gone_is_none(client.full_changelog(&t.id).await)?
    {
        t.changelog.items = h;
        t.changelog.complete = true;
    }
    if !t.comments.complete
        && let Some(c) = gone_is_none(client.raw_comments(&t.id).await)?
    {
        t.comments.items = c;
        t.comments.complete = true;
    }
    if !t.worklogs.complete
        && let Some(w) = gone_is_none(client.worklogs(&t.id).await)?
    {
        t.worklogs.items = w;
        t.worklogs.complete = true;
    }
    let remote_links = gone_is_none(client.remote_links(&t.id).await)?;
    Ok(Complete { ticket: t, remote_links })
}

/// An issue deleted (or hidden) since the search found it: what was not read stays as stored;
/// the next reconciliation removes the ticket.
fn gone_is_none<T>(r: Result<T, Error>) -> Result<Option<T>, Error> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}
