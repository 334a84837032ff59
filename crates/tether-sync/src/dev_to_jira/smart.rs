//! Smart Commits on one issue: `#comment` adds a comment, `#time` logs work (Jira's
//! duration text, so the site's working day and week apply), `#<transition>` moves the
//! issue by name (with its text as a comment). Each command once per issue, whatever the
//! events that carry its commit, named in the ledger by where it starts in the message.
//!
//! Jira offers REST clients no way to act as another user, so tether acts as its own
//! account and names the person: the Jira user whose email is the commit author's when
//! Jira shows it, else the author as the commit names them.

use tether_refs::{IssueKey, SmartAction, SmartCommand};

use super::actions::{Halt, Run, find_comment, find_worklog, ledger};
use super::plan::Entity;
use super::report::ActionReport;
use super::text;
use super::transition::Wanted;

impl Run<'_> {
    /// Carries out the commands of `e` that name `key`.
    pub(crate) async fn smart(
        &mut self,
        e: &Entity,
        key: &IssueKey,
        commands: &[SmartCommand],
    ) -> Result<Vec<ActionReport>, Halt> {
        let mut out = Vec::new();
        for c in commands.iter().filter(|c| c.keys.contains(key)) {
            let n = c.span.start;
            let action = format!("smart:{n}");
            let who = self.who(e).await?;
            let detail = self.settings.comment_detail;
            let client = self.client;
            let marker = text::smart_url(e, n);
            match &c.action {
                SmartAction::Comment { text: body } => {
                    let doc = text::smart_note(self.plan, e, n, body, &who, detail);
                    let k = ledger(self.site_id, key.as_str(), e, &action);
                    let step = self
                        .once(
                            k,
                            "#comment",
                            || async move { client.add_comment(key.as_str(), &doc).await.map(|c| c.id) },
                            || async move { find_comment(client, key.as_str(), &marker).await },
                        )
                        .await?;
                    out.push(step);
                }
                SmartAction::Time { spent, comment } => {
                    let doc = text::smart_note(self.plan, e, n, comment, &who, detail);
                    let duration = spent.jira_duration();
                    let k = ledger(self.site_id, key.as_str(), e, &action);
                    let step = self
                        .once(
                            k,
                            &format!("#time {duration}"),
                            || async move {
                                client
                                    .add_worklog(key.as_str(), &duration, Some(&doc))
                                    .await
                                    .map(|w| w.id)
                            },
                            || async move { find_worklog(client, key.as_str(), &marker).await },
                        )
                        .await?;
                    out.push(step);
                }
                SmartAction::Transition { name, comment } => {
                    let label = format!("#{name}");
                    let wanted = Wanted::Named(name.clone());
                    let step = self.transition(e, key, &action, &label, wanted).await?;
                    let moved = step.outcome == super::report::Outcome::Done;
                    out.push(step);
                    if moved && !comment.trim().is_empty() {
                        let doc = text::smart_note(self.plan, e, n, comment, &who, detail);
                        let action = format!("{action}:comment");
                        let k = ledger(self.site_id, key.as_str(), e, &action);
                        let step = self
                            .once(
                                k,
                                &format!("#{name} comment"),
                                || async move {
                                    client.add_comment(key.as_str(), &doc).await.map(|c| c.id)
                                },
                                || async move { find_comment(client, key.as_str(), &marker).await },
                            )
                            .await?;
                        out.push(step);
                    }
                }
            }
        }
        Ok(out)
    }
}
