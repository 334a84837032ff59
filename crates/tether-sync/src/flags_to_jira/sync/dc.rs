//! Data Center: a flag is one remote link per linked issue under a stable
//! `globalId`, always sent whole (an upsert replaces the link), and deleted from
//! issues no longer linked. A timeout may come after Jira made a link, so links
//! are remembered as held until a later attempt settles them.

use std::collections::BTreeMap;

use tether_jira::{Client, Error};
use tether_store::StoreError;

use super::{
    FailureKind, FlagRef, Outcome, Plan, PushResult, Pushed, Run, issue_keys, remote_link,
};
use crate::flags_to_jira::document::remote_link_global_id;

impl Run<'_> {
    pub(super) async fn data_center(
        &mut self,
        client: &Client,
        plans: Vec<(FlagRef, Plan)>,
    ) -> Result<(), StoreError> {
        for (f, plan) in plans {
            let global_id = remote_link_global_id(&f.project, &f.flag);
            let (seq, view, prev) = match plan {
                Plan::Push { seq, view, prev } => (seq, Some(view), prev),
                Plan::Remove { seq, prev, .. } => (seq, None, prev),
            };
            let wanted: Vec<String> = view.as_deref().map(issue_keys).unwrap_or_default();
            let mut held: Vec<String> = Vec::new();
            let mut unknown: Vec<String> = Vec::new();
            let mut problems: Vec<String> = Vec::new();
            let mut retry: Option<Error> = None;
            let before: Vec<String> =
                prev.as_ref().map(|p| p.issue_keys.clone()).unwrap_or_default();
            let envs: Vec<String> = view
                .as_deref()
                .map(|v| v.environments.iter().map(|e| e.key.clone()).collect())
                .unwrap_or_default();
            let mut stored = prev.clone();
            let gained: Vec<&String> = wanted.iter().filter(|k| !before.contains(k)).collect();
            if !gained.is_empty() {
                // Intent before effect: should this stop between Jira making a
                // link and the record below (a kill, a crash), the issue must
                // already be remembered as perhaps holding one, or a later
                // unlink would leave it there for good.
                let mut maybe = before.clone();
                maybe.extend(gained.into_iter().cloned());
                let intent = Pushed { issue_keys: maybe, environments: envs.clone(), seq };
                self.record(&f, seq, Some(&intent), None).await?;
                stored = Some(intent);
            }
            if let Some(view) = &view {
                let link = remote_link(view);
                for key in &wanted {
                    match client.upsert_remote_link(key, &link).await {
                        Ok(_) => held.push(key.clone()),
                        Err(Error::NotFound { .. }) => unknown.push(key.clone()),
                        Err(e) if FailureKind::of(&e).is_transient() => {
                            // A timeout may come after Jira made the link.
                            held.push(key.clone());
                            retry = Some(e);
                            break;
                        }
                        Err(e) => problems.push(format!("{key}: {e}")),
                    }
                }
            }
            for key in before.iter().filter(|k| !wanted.contains(k)) {
                if retry.is_some() {
                    held.push(key.clone());
                    continue;
                }
                match client.delete_remote_link(key, &global_id).await {
                    Ok(()) => {}
                    Err(e) if FailureKind::of(&e).is_transient() => {
                        retry = Some(e);
                        held.push(key.clone());
                    }
                    Err(e) => {
                        problems.push(format!("{key}: {e}"));
                        held.push(key.clone());
                    }
                }
            }
            if retry.is_some() {
                // Links made before the failure must be remembered, so a later
                // unlink removes them; those of before are still there too.
                for k in &before {
                    if !held.contains(k) {
                        held.push(k.clone());
                    }
                }
            }
            self.stats.unknown_issue_keys.extend(unknown.iter().cloned());
            let pushed =
                (!held.is_empty()).then_some(Pushed { issue_keys: held, environments: envs, seq });
            let mut result = PushResult { unknown_issue_keys: unknown, failed: BTreeMap::new() };
            if !problems.is_empty() {
                result.failed.insert(global_id.clone(), problems.clone());
            }
            if let Some(e) = retry {
                if pushed != stored {
                    self.record(&f, seq, pushed.as_ref(), Some(&result)).await?;
                }
                self.failed(&f, &e).await?;
                continue;
            }
            self.record(&f, seq, pushed.as_ref(), Some(&result)).await?;
            if !problems.is_empty() {
                self.stats.failed += 1;
                self.stats.failures.push((f.to_string(), problems.join("; ")));
            } else if view.is_some() && pushed.is_none() {
                self.stats.unshown += 1;
            } else if view.is_some() {
                self.stats.sent += 1;
            } else {
                self.stats.deleted += 1;
            }
            self.outcomes.insert(f, Outcome::Done);
        }
        Ok(())
    }
}
