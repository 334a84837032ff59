//! Making the Jira issue a person asked for a finding (a `dev.finding.issue` row): once,
//! through the ledger; the issue carries the label `tether-finding-<id>`, so an attempt
//! whose answer was lost is settled by searching for it instead of making a second one.
//! The finding keeps the issue's key and status.

use futures_util::TryStreamExt;
use serde_json::json;
use tether_jira::{Block, Doc, Inline, NewIssue, Search};
use tether_store::dev::{Claim, Finding, LedgerKey, LedgerState};
use tether_store::{DevFindingWork, Store, StoreError};

use super::DevContext;
use super::event::Settled;
use crate::SyncError;
use crate::jira::clients::ClientError;

/// The label that finds a finding's issue.
pub fn finding_label(finding_id: i64) -> String {
    format!("tether-finding-{finding_id}")
}

/// The summary of a finding's issue.
pub fn issue_summary(f: &Finding) -> String {
    let first = f.message.lines().next().unwrap_or_default();
    let s = format!("[{}] {}: {first}", f.severity, f.rule_id);
    s.chars().take(250).collect()
}

/// The description of a finding's issue: rule, severity, location, tool, the message, and
/// the link back to the finding.
pub fn issue_description(f: &Finding, link: &str) -> Doc {
    let mut items = vec![
        vec![Inline::Strong("Rule: ".into()), Inline::Code(f.rule_id.clone())],
        vec![Inline::Strong("Severity: ".into()), Inline::Text(f.severity.clone())],
        vec![Inline::Strong("Tool: ".into()), Inline::Text(f.tool.clone())],
    ];
    if !f.rule_name.is_empty() {
        items.insert(
            1,
            vec![Inline::Strong("Rule name: ".into()), Inline::Text(f.rule_name.clone())],
        );
    }
    if !f.location.is_empty() {
        items.push(vec![Inline::Strong("Location: ".into()), Inline::Code(f.location.clone())]);
    }
    if let Some(help) = &f.help_uri {
        items.push(vec![Inline::Link { text: "Rule documentation".into(), url: help.clone() }]);
    }
    Doc {
        blocks: vec![
            Block::Quote(f.message.clone()),
            Block::BulletList(items),
            Block::Paragraph(vec![
                Inline::Text("Found by a code scan; ".into()),
                Inline::Link { text: "the finding in tether".into(), url: link.into() },
                Inline::Text(".".into()),
            ]),
        ],
    }
}

/// Makes the issue.
pub async fn process(
    store: &Store,
    ctx: &DevContext,
    work: &DevFindingWork,
) -> Result<Settled, SyncError> {
    let finding = match store.finding(work.finding_id).await {
        Ok(f) => f,
        Err(StoreError::NotFound) => return Ok(Settled::Done),
        Err(e) => return Err(e.into()),
    };
    if finding.issue_key.is_some() {
        return Ok(Settled::Done);
    }
    let failed = |why: String| async move {
        let request = json!({"project": work.project, "issue_type": work.issue_type, "state": "failed", "error": why});
        store.set_finding_request(work.finding_id, Some(&request.to_string())).await?;
        Ok::<Settled, SyncError>(Settled::Done)
    };
    let client = match ctx.clients.get(work.site_id).await {
        Ok((_, c)) => c,
        Err(ClientError::Jira { source, .. }) if source.is_transient() => {
            return Ok(Settled::Retry {
                error: source.to_string(),
                retry_after: source.retry_after(),
            });
        }
        Err(e) => return failed(crate::error_chain(&e)).await,
    };
    let entity = format!("finding:{}", finding.id);
    let k =
        LedgerKey { site_id: work.site_id, issue_key: "", entity: &entity, action: "create issue" };
    let label = finding_label(finding.id);
    match store.ledger_claim(k).await? {
        Claim::Won => {}
        Claim::Held(entry) => match entry.state {
            LedgerState::Done => {
                return record(store, &client, &finding, work.site_id, &entry.detail).await;
            }
            LedgerState::Started => {
                let age = store.clock().now_ms() - entry.updated_at;
                let hold = i64::try_from(ctx.hold.as_millis()).unwrap_or(i64::MAX);
                if age < hold {
                    let wait = std::time::Duration::from_millis((hold - age).max(1) as u64);
                    return Ok(Settled::Retry {
                        error: "an earlier attempt may still be in flight".into(),
                        retry_after: Some(wait),
                    });
                }
                let jql = format!("labels = \"{label}\"");
                match client
                    .search(Search::jql(jql).fields(&["summary"]))
                    .try_collect::<Vec<_>>()
                    .await
                {
                    Ok(found) if !found.is_empty() => {
                        let key = found[0].key.clone();
                        store.ledger_settle(k, LedgerState::Done, &key).await?;
                        return record(store, &client, &finding, work.site_id, &key).await;
                    }
                    Ok(_) => {
                        if !store.ledger_reclaim(k, entry.updated_at).await? {
                            return Ok(Settled::Retry {
                                error: "another worker took it over".into(),
                                retry_after: None,
                            });
                        }
                    }
                    Err(e) if e.is_transient() => {
                        return Ok(Settled::Retry {
                            error: e.to_string(),
                            retry_after: e.retry_after(),
                        });
                    }
                    Err(e) => return failed(e.to_string()).await,
                }
            }
            _ => return failed(entry.detail).await,
        },
    }
    let link = format!("{}/code/findings/{}", ctx.public_url.trim_end_matches('/'), finding.id);
    let new = NewIssue {
        project_key: work.project.clone(),
        issue_type: work.issue_type.clone(),
        summary: issue_summary(&finding),
        description: Some(issue_description(&finding, &link)),
        labels: vec![label],
        fields: Default::default(),
    };
    match client.create_issue(&new).await {
        Ok(created) => {
            store.ledger_settle(k, LedgerState::Done, &created.key).await?;
            record(store, &client, &finding, work.site_id, &created.key).await
        }
        Err(e) if e.may_have_applied() => {
            Ok(Settled::Retry { error: e.to_string(), retry_after: Some(ctx.hold) })
        }
        Err(e) if e.is_transient() => {
            store.ledger_release(k).await?;
            Ok(Settled::Retry { error: e.to_string(), retry_after: e.retry_after() })
        }
        Err(e) => {
            let why = e.to_string();
            store.ledger_settle(k, LedgerState::Failed, &why).await?;
            failed(why).await
        }
    }
}

/// Keeps the issue on the finding, with its status when Jira gives it.
async fn record(
    store: &Store,
    client: &tether_jira::Client,
    f: &Finding,
    site_id: i64,
    key: &str,
) -> Result<Settled, SyncError> {
    let status = client.issue(key, &["status"], &[]).await.ok().and_then(|i| i.fields.status);
    let status = status.map(|s| {
        let cat = s.status_category.map(|c| c.key).unwrap_or_default();
        (s.name, cat)
    });
    store
        .set_finding_issue(
            f.id,
            site_id,
            key,
            status.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
            "tether",
        )
        .await?;
    Ok(Settled::Done)
}
