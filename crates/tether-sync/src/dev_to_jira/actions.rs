//! The side effects on one issue for one entity, each through the ledger: the remote link
//! (an upsert, done every time, never turning a resolved link unresolved) and the mention
//! comment (once). [`Run::once`] is how any side effect that must not happen twice is done:
//! claim, attempt, settle; a claim found cut off (its worker died, or Jira gave no answer)
//! is settled by looking on the issue for what only that side effect writes, after waiting
//! out any request that may still land.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use tether_jira::{Client, Error};
use tether_refs::IssueKey;
use tether_store::dev::{Claim, EffectiveSettings, LedgerKey, LedgerState};
use tether_store::{Store, StoreError};

use super::plan::{Entity, EventPlan};
use super::report::{ActionReport, Outcome};
use super::text;

/// Why processing an event stops before its end.
#[derive(Debug)]
pub(crate) enum Halt {
    /// Jira cannot take it now (or an attempt may still be in flight): the event is tried
    /// again after at least `retry_after`.
    Retry {
        error: String,
        retry_after: Option<Duration>,
    },
    Store(StoreError),
}

impl From<StoreError> for Halt {
    fn from(e: StoreError) -> Halt {
        Halt::Store(e)
    }
}

pub(crate) type Step = Result<ActionReport, Halt>;

/// One event's work on one site.
pub(crate) struct Run<'a> {
    pub store: &'a Store,
    pub client: &'a Client,
    pub site_id: i64,
    pub settings: &'a EffectiveSettings,
    pub plan: &'a EventPlan,
    /// How long a claim is taken to be in flight: longer than the client's timeout, so a
    /// request that got no answer has landed or died before its effect is looked for.
    pub hold: Duration,
    /// Jira users by email (`None`: not found), asked once per event.
    pub users: HashMap<String, Option<String>>,
}

/// The ledger key of an action.
pub(crate) fn ledger<'k>(
    site_id: i64,
    key: &'k str,
    e: &'k Entity,
    action: &'k str,
) -> LedgerKey<'k> {
    LedgerKey { site_id, issue_key: key, entity: &e.ledger_id, action }
}

/// A Jira error that waiting may cure, as a halt; `None` for one it will not.
pub(crate) fn transient(e: &Error) -> Option<Halt> {
    e.is_transient().then(|| Halt::Retry { error: e.to_string(), retry_after: e.retry_after() })
}

impl Run<'_> {
    /// The link from `key` to `e`: struck through once the entity is finished or closed
    /// the issue, and never again unstruck. `Ok(None)` when Jira has no such issue (or
    /// tether's account cannot see it): nothing else is done on it.
    pub(crate) async fn link(
        &mut self,
        e: &Entity,
        key: &IssueKey,
        closed_it: bool,
    ) -> Result<Option<ActionReport>, Halt> {
        let k = ledger(self.site_id, key.as_str(), e, "link");
        let was_resolved =
            self.store.ledger_entry(k).await?.is_some_and(|p| p.detail == "resolved");
        let resolved = was_resolved || e.finished || closed_it;
        let link = text::remote_link(self.plan, e, self.settings.comment_detail, resolved);
        let state = if resolved { "resolved" } else { "open" };
        match self.client.upsert_remote_link(key.as_str(), &link).await {
            Ok(up) => {
                self.store.ledger_settle(k, LedgerState::Done, state).await?;
                let made = match up {
                    tether_jira::Upsert::Created => "created",
                    tether_jira::Upsert::Replaced => "updated",
                };
                let detail = if resolved { format!("{made}, struck through") } else { made.into() };
                Ok(Some(ActionReport::new("remote link", Outcome::Done, detail)))
            }
            Err(Error::NotFound { .. }) => Ok(None),
            Err(err) => match transient(&err) {
                Some(halt) => Err(halt),
                None => {
                    Ok(Some(ActionReport::new("remote link", Outcome::Failed, err.to_string())))
                }
            },
        }
    }

    /// The mention comment, once per issue and entity whatever the events that carry it.
    pub(crate) async fn comment(&mut self, e: &Entity, key: &IssueKey) -> Step {
        let doc = text::mention_comment(self.plan, e, self.settings.comment_detail);
        let client = self.client;
        let url = e.url.clone();
        self.once(
            ledger(self.site_id, key.as_str(), e, "comment"),
            "comment",
            || async move { client.add_comment(key.as_str(), &doc).await.map(|c| c.id) },
            || async move { find_comment(client, key.as_str(), &url).await },
        )
        .await
    }

    /// Does a side effect that must not happen twice: claims it in the ledger, attempts it,
    /// settles it. `find` looks on the issue for what the side effect writes, for a claim
    /// whose attempt was cut off.
    pub(crate) async fn once<A, AF, F, FF>(
        &self,
        k: LedgerKey<'_>,
        label: &str,
        attempt: A,
        find: F,
    ) -> Step
    where
        A: FnOnce() -> AF,
        AF: Future<Output = Result<String, Error>>,
        F: FnOnce() -> FF,
        FF: Future<Output = Result<Option<String>, Error>>,
    {
        match self.store.ledger_claim(k).await? {
            Claim::Won => {}
            Claim::Held(entry) => match entry.state {
                LedgerState::Done => {
                    return Ok(ActionReport::new(label, Outcome::AlreadyDone, entry.detail));
                }
                LedgerState::Started => {
                    let age = self.store.clock().now_ms() - entry.updated_at;
                    let hold = i64::try_from(self.hold.as_millis()).unwrap_or(i64::MAX);
                    if age < hold {
                        let wait = Duration::from_millis((hold - age).max(1) as u64);
                        return Err(Halt::Retry {
                            error: format!("{label}: an earlier attempt may still be in flight"),
                            retry_after: Some(wait),
                        });
                    }
                    match find().await {
                        Ok(Some(id)) => {
                            self.store.ledger_settle(k, LedgerState::Done, &id).await?;
                            let detail = format!("{id} (found from an interrupted attempt)");
                            return Ok(ActionReport::new(label, Outcome::Done, detail));
                        }
                        Ok(None) => {
                            if !self.store.ledger_reclaim(k, entry.updated_at).await? {
                                return Err(Halt::Retry {
                                    error: format!("{label}: another worker took it over"),
                                    retry_after: None,
                                });
                            }
                        }
                        // The claim stays: releasing it would let the next try act
                        // without looking, after an attempt that may have applied.
                        Err(err) => return self.unsure(k, label, err).await,
                    }
                }
                LedgerState::Failed | LedgerState::Skipped | LedgerState::Unknown => {
                    let detail = format!("{} before: {}", entry.state.as_str(), entry.detail);
                    return Ok(ActionReport::new(label, Outcome::Skipped, detail));
                }
            },
        }
        match attempt().await {
            Ok(id) => {
                self.store.ledger_settle(k, LedgerState::Done, &id).await?;
                Ok(ActionReport::new(label, Outcome::Done, id))
            }
            Err(err) if err.may_have_applied() => {
                // Left claimed: once the hold has passed, a later attempt looks for it.
                Err(Halt::Retry { error: format!("{label}: {err}"), retry_after: Some(self.hold) })
            }
            Err(err) => self.refused(k, label, err).await,
        }
    }

    /// Jira refused before acting: the claim is released to be tried again when waiting may
    /// help, else settled as failed.
    async fn refused(&self, k: LedgerKey<'_>, label: &str, err: Error) -> Step {
        if let Some(halt) = transient(&err) {
            self.store.ledger_release(k).await?;
            return Err(halt);
        }
        let detail = err.to_string();
        self.store.ledger_settle(k, LedgerState::Failed, &detail).await?;
        Ok(ActionReport::new(label, Outcome::Failed, detail))
    }

    /// Looking for what an interrupted attempt wrote failed: tried again later (the claim
    /// kept, so the next try looks again) when waiting may help, else settled as unknown,
    /// never attempted again.
    async fn unsure(&self, k: LedgerKey<'_>, label: &str, err: Error) -> Step {
        if let Some(halt) = transient(&err) {
            return Err(halt);
        }
        let detail = format!("cannot tell whether an interrupted attempt applied: {err}");
        self.store.ledger_settle(k, LedgerState::Unknown, &detail).await?;
        Ok(ActionReport::new(label, Outcome::Unknown, detail))
    }

    /// How the author of `e` is named in what tether writes for them: the Jira user with
    /// their email where Jira shows one, else their name and email as the commit gives them.
    pub(crate) async fn who(&mut self, e: &Entity) -> Result<String, Halt> {
        let plain = match &e.author_email {
            Some(email) => format!("{} <{email}>", e.author_name),
            None => e.author_name.clone(),
        };
        let Some(email) = e.author_email.clone() else { return Ok(plain) };
        if !self.users.contains_key(&email) {
            let found = match self.client.users_with_email(&email).await {
                Ok(users) if users.len() == 1 => users[0].display_name.clone(),
                Ok(_) => None,
                Err(err) => match transient(&err) {
                    Some(halt) => return Err(halt),
                    // Some sites refuse user search to this account: name the author instead.
                    None => None,
                },
            };
            self.users.insert(email.clone(), found);
        }
        Ok(self.users.get(&email).cloned().flatten().unwrap_or(plain))
    }
}

/// The id of the comment on `key` that links to `url`, if there is one.
pub(crate) async fn find_comment(
    client: &Client,
    key: &str,
    url: &str,
) -> Result<Option<String>, Error> {
    let comments = client.comments(key).await?;
    Ok(comments
        .into_iter()
        .find(|c| c.body.as_ref().is_some_and(|b| text::links_to(b, url)))
        .map(|c| c.id))
}

/// The id of the worklog on `key` whose comment links to `url`, if there is one.
pub(crate) async fn find_worklog(
    client: &Client,
    key: &str,
    url: &str,
) -> Result<Option<String>, Error> {
    let logs = client.issue_worklogs(key).await?;
    Ok(logs
        .into_iter()
        .find(|w| w.comment.as_ref().is_some_and(|b| text::links_to(b, url)))
        .map(|w| w.id))
}
