//! Moving a Jira site to another Jira — Server or Data Center to Cloud after Atlassian's
//! migration, most often — without posting anything twice (`tether jira migrate-site`).
//!
//! The new Jira is connected with the new settings and its deployment detected; every
//! issue key the site's references name (the code ledger, flags' links and what they were
//! sent, findings) is looked up there by key, since ids differ; on each issue found the
//! comments and worklogs tether wrote are found again by the link to their commit or
//! request they carry, and remote links by their stable `globalId`. Then, unless it is a dry
//! run: the old Jira's flag remote links carried over to a Cloud site are deleted (Cloud
//! shows flags through the Feature Flags API, and those links would never change again),
//! and the store moves the site and re-maps the ids in one transaction, handing every flag
//! to the worker to be sent the new site's way.
//!
//! The ledger is keyed on (site, issue key, entity, action), so it holds across the move
//! as it is: what was done is not done again. A comment or worklog tether wrote that is not
//! found on the new site is kept as done (it may have been deleted on purpose): it is not
//! posted again. Issue keys the new site does not have keep their rows; they are listed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use tether_jira::{Client, Error, Options, Site};
use tether_store::dev::{LedgerEntry, LedgerState};
use tether_store::{DetailRemap, JiraSite, NewJiraSite, SiteMove, SiteMoved, Store, StoreError};

use super::clients::{ClientError, auth_for_site, options_for_site};
use super::document::remote_link_global_id;
use super::sync::Pushed;
use crate::dev_to_jira::text::links_to;

/// Why a move could not be made (nothing was changed).
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the new settings do not make a client: {0}")]
    Settings(#[source] ClientError),
    #[error(
        "cannot connect to the new Jira at {url} (check the URL and credentials; nothing was changed): {source}"
    )]
    Connect {
        url: String,
        #[source]
        source: Error,
    },
    #[error(
        "the new Jira failed while reading {what} (nothing was changed; run it again): {source}"
    )]
    Jira {
        what: String,
        #[source]
        source: Error,
    },
}

/// How the references of one kind fared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindCount {
    /// Ledger rows of this kind.
    pub rows: usize,
    /// Found on the new site (and, for comments and worklogs, given their new id).
    pub remapped: usize,
    /// On an issue the new site has, but not found there; kept as done, not posted again.
    pub not_found: usize,
    /// Nothing to find on Jira (a transition, a side effect that failed or was skipped).
    pub kept: usize,
    /// On an issue the new site does not have.
    pub issue_missing: usize,
}

/// An issue key the new site does not know, and what names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingIssue {
    pub key: String,
    pub ledger_rows: usize,
    pub linked_to_flags: bool,
    pub findings: bool,
}

/// What happens to flags on the move.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagMove {
    /// Flags the site holds or was sent.
    pub flags: usize,
    /// Data Center remote links of flags found on the new (Cloud) site: deleted, since
    /// Cloud shows flags through the Feature Flags API (not on a dry run).
    pub stale_links: usize,
    /// What the old Jira was sent is forgotten (another deployment, or Cloud's Feature
    /// Flags API, which a migration does not carry).
    pub forgotten: bool,
}

/// What `migrate-site` found and did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MigrationReport {
    pub site: String,
    pub dry_run: bool,
    pub from_url: String,
    pub from_deployment: Option<String>,
    pub to_url: String,
    /// `cloud` or `dc`, as detected on the new site.
    pub to_deployment: String,
    pub to_version: Option<String>,
    /// Issue keys looked up.
    pub issues: usize,
    pub found: usize,
    /// (key asked for, key the new site answers with): issues moved or renamed there.
    pub renamed: Vec<(String, String)>,
    pub missing: Vec<MissingIssue>,
    /// By kind: `remote link`, `comment`, `worklog`, `transition`, `smart commit`.
    pub ledger: BTreeMap<&'static str, KindCount>,
    pub flags: FlagMove,
    /// Findings linked to issues of the site (by key: nothing to re-map).
    pub findings: usize,
    /// Issues cached for pages, dropped and read again from the new site.
    pub cached_issues: i64,
    /// Tickets ingested from the site: their ids are the old Jira's.
    pub tickets: i64,
    /// What the store changed (`None` on a dry run).
    pub moved: Option<SiteMoved>,
}

/// Moves site `site_id` to the Jira `new` describes (its `deployment` is ignored: it is
/// detected), or only reports what that would do when `dry_run`.
pub async fn migrate_site(
    store: &Store,
    base: &Options,
    site_id: i64,
    new: NewJiraSite,
    dry_run: bool,
    actor: &str,
) -> Result<MigrationReport, MigrateError> {
    let old = store.jira_site(site_id).await?;
    let client = connect(&old, &new, base).await?;
    let deployment = client.deployment();
    let to_deployment = if deployment.is_cloud() { "cloud" } else { "dc" };
    let mut report = MigrationReport {
        site: old.name.clone(),
        dry_run,
        from_url: old.url.clone(),
        from_deployment: old.deployment.clone(),
        to_url: new.url.clone(),
        to_deployment: to_deployment.into(),
        to_version: deployment.version.as_ref().map(ToString::to_string),
        ..MigrationReport::default()
    };
    let ledger = store.ledger_for_site(site_id).await?;
    let syncs = store.flag_syncs_on_site(site_id).await?;
    let refs = store.site_references(site_id).await?;
    report.findings = refs.findings.len();
    report.cached_issues = refs.cached_issues;
    report.tickets = refs.tickets;
    report.flags.flags = store.flags_for_site(site_id).await?.len();
    // Flag links the old Jira holds as remote links: only a Data Center site has them.
    let old_dc = old.deployment.as_deref() != Some("cloud");
    let mut flag_links: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if old_dc {
        for s in &syncs {
            let Some(p) = Pushed::parse(s) else { continue };
            for key in p.issue_keys {
                let gid = remote_link_global_id(&s.project, &s.flag_key);
                flag_links.entry(key).or_default().push(gid);
            }
        }
    }
    let mut keys: BTreeSet<String> = ledger.iter().map(|e| e.issue_key.clone()).collect();
    keys.extend(refs.flag_links.iter().cloned());
    keys.extend(refs.findings.iter().cloned());
    keys.extend(flag_links.keys().cloned());
    report.issues = keys.len();

    let urls = entity_urls(store, &ledger).await?;
    let mut by_issue: BTreeMap<&str, Vec<&LedgerEntry>> = BTreeMap::new();
    for e in &ledger {
        by_issue.entry(e.issue_key.as_str()).or_default().push(e);
    }
    let mut issue_ids = Vec::new();
    let mut details = Vec::new();
    let mut stale: Vec<(String, String)> = Vec::new();
    for key in &keys {
        let rows = by_issue.get(key.as_str()).map(Vec::as_slice).unwrap_or_default();
        let issue = match client.issue(key, &["summary"], &[]).await {
            Ok(i) => i,
            Err(Error::NotFound { .. }) => {
                for e in rows {
                    let count = report.ledger.entry(kind_of(e)).or_default();
                    count.rows += 1;
                    count.issue_missing += 1;
                }
                report.missing.push(MissingIssue {
                    key: key.clone(),
                    ledger_rows: rows.len(),
                    linked_to_flags: refs.flag_links.contains(key) || flag_links.contains_key(key),
                    findings: refs.findings.contains(key),
                });
                continue;
            }
            Err(source) => return Err(MigrateError::Jira { what: format!("issue {key}"), source }),
        };
        report.found += 1;
        if issue.key != *key {
            report.renamed.push((key.clone(), issue.key.clone()));
        }
        if !rows.is_empty() {
            issue_ids.push((key.clone(), issue.id.clone()));
        }
        let on_issue = OnIssue::read(&client, key, rows, flag_links.contains_key(key)).await?;
        for e in rows {
            let kind = kind_of(e);
            let count = report.ledger.entry(kind).or_default();
            count.rows += 1;
            match on_issue.find(e, &urls) {
                Found::Same => count.remapped += 1,
                Found::Id(id) => {
                    count.remapped += 1;
                    details.push(DetailRemap {
                        issue_key: e.issue_key.clone(),
                        entity: e.entity.clone(),
                        action: e.action.clone(),
                        detail: id,
                    });
                }
                Found::NotThere => {
                    count.not_found += 1;
                    // The old Jira's comment or worklog id means nothing on the new one.
                    if e.action != "link" {
                        details.push(DetailRemap {
                            issue_key: e.issue_key.clone(),
                            entity: e.entity.clone(),
                            action: e.action.clone(),
                            detail: format!(
                                "not found on {} after the move (was {}); not posted again",
                                new.url, e.detail
                            ),
                        });
                    }
                }
                Found::NothingToFind => count.kept += 1,
            }
        }
        for gid in flag_links.get(key).into_iter().flatten() {
            if deployment.is_cloud() && on_issue.links.contains(gid) {
                stale.push((key.clone(), gid.clone()));
            }
        }
    }
    report.flags.stale_links = stale.len();
    // Only a Data Center site staying one keeps what its links are on.
    report.flags.forgotten = !old_dc || deployment.is_cloud();
    if dry_run {
        return Ok(report);
    }
    for (key, gid) in &stale {
        client.delete_remote_link(key, gid).await.map_err(|source| MigrateError::Jira {
            what: format!("the flag link {gid} on {key}"),
            source,
        })?;
    }
    let site = NewJiraSite { deployment: Some(to_deployment.into()), ..new };
    let mv = SiteMove { site, issue_ids, details, forget_flag_pushes: report.flags.forgotten };
    report.moved = Some(store.move_jira_site(site_id, &mv, actor).await?);
    Ok(report)
}

/// A client for the new settings, deployment detected (Jira Server 6 and later, as code ↔
/// Jira takes).
async fn connect(
    old: &JiraSite,
    new: &NewJiraSite,
    base: &Options,
) -> Result<Client, MigrateError> {
    let site = JiraSite {
        url: new.url.clone(),
        api_url: new.api_url.clone(),
        deployment: None,
        auth_kind: new.auth_kind,
        auth_user: new.auth_user.clone(),
        options: new.options.clone(),
        enabled: true,
        ..old.clone()
    };
    let auth = auth_for_site(&site, &new.secret).map_err(MigrateError::Settings)?;
    let options = Options { refuse_old_data_center: false, ..options_for_site(&site, base) };
    let jira = Site { web_url: site.url.clone(), api_url: site.api_url.clone(), auth };
    Client::connect(jira, options)
        .await
        .map_err(|source| MigrateError::Connect { url: new.url.clone(), source })
}

/// The URL of each (repository id, entity, issue key) the ledger names, from the mentions.
async fn entity_urls(
    store: &Store,
    ledger: &[LedgerEntry],
) -> Result<HashMap<(String, String), String>, StoreError> {
    let mut out = HashMap::new();
    let entities: BTreeSet<&str> = ledger.iter().map(|e| e.entity.as_str()).collect();
    for entity in entities {
        let Some(repo) = entity.split(':').next().and_then(|r| r.parse::<i64>().ok()) else {
            continue;
        };
        for m in store.mentions_of_entity(repo, entity).await? {
            out.insert((m.entity, m.issue_key), m.url);
        }
    }
    Ok(out)
}

/// The kind a ledger row is reported under.
fn kind_of(e: &LedgerEntry) -> &'static str {
    match e.action.as_str() {
        "link" => "remote link",
        "comment" => "comment",
        "transition" => "transition",
        _ => "smart commit",
    }
}

/// What tether wrote on one issue of the new site, read once.
struct OnIssue {
    comments: Vec<(String, tether_jira::Body)>,
    worklogs: Vec<(String, tether_jira::Body)>,
    /// `globalId`s of the issue's remote links.
    links: BTreeSet<String>,
}

enum Found {
    /// Found, and nothing in the row changes (a remote link: its `globalId` is ours).
    Same,
    /// Found under this id.
    Id(String),
    /// Should be there and is not.
    NotThere,
    /// Nothing on Jira to find.
    NothingToFind,
}

impl OnIssue {
    async fn read(
        client: &Client,
        key: &str,
        rows: &[&LedgerEntry],
        flag_links: bool,
    ) -> Result<OnIssue, MigrateError> {
        let jira =
            |what: &str, source| MigrateError::Jira { what: format!("{what} of {key}"), source };
        let done = |e: &&&LedgerEntry| e.state == LedgerState::Done;
        let wants_links = flag_links || rows.iter().filter(done).any(|e| e.action == "link");
        let wants_comments =
            rows.iter().filter(done).any(|e| e.action != "link" && e.action != "transition");
        let wants_worklogs = rows.iter().filter(done).any(|e| e.action.starts_with("smart:"));
        let mut out =
            OnIssue { comments: Vec::new(), worklogs: Vec::new(), links: BTreeSet::new() };
        if wants_links {
            let links = client.remote_links(key).await.map_err(|e| jira("the remote links", e))?;
            out.links = links.into_iter().filter_map(|l| l.global_id).collect();
        }
        if wants_comments {
            let comments = client.comments(key).await.map_err(|e| jira("the comments", e))?;
            out.comments = comments.into_iter().filter_map(|c| Some((c.id, c.body?))).collect();
        }
        if wants_worklogs {
            let logs = client.issue_worklogs(key).await.map_err(|e| jira("the worklogs", e))?;
            out.worklogs = logs.into_iter().filter_map(|w| Some((w.id, w.comment?))).collect();
        }
        Ok(out)
    }

    fn find(&self, e: &LedgerEntry, urls: &HashMap<(String, String), String>) -> Found {
        if e.state != LedgerState::Done {
            return Found::NothingToFind;
        }
        let url = urls.get(&(e.entity.clone(), e.issue_key.clone()));
        let in_bodies = |bodies: &[(String, tether_jira::Body)], url: &str| {
            bodies.iter().find(|(_, b)| links_to(b, url)).map(|(id, _)| id.clone())
        };
        match e.action.as_str() {
            "link" => {
                if self.links.contains(&format!("tether:code:{}", e.entity)) {
                    Found::Same
                } else {
                    Found::NotThere
                }
            }
            "transition" => Found::NothingToFind,
            "comment" => match url.and_then(|u| in_bodies(&self.comments, u)) {
                Some(id) => Found::Id(id),
                None => Found::NotThere,
            },
            action => {
                // `smart:<n>` (a #comment, a #time worklog or a transition by name) and
                // `smart:<n>:comment` (a transition's note): what Smart Commits write
                // links to the commit's URL with the command's fragment.
                let mut parts = action.split(':').skip(1);
                let n = parts.next().unwrap_or_default();
                let marker = url.map(|u| format!("{u}#tether-smart-{n}"));
                let is_id = !e.detail.is_empty() && e.detail.bytes().all(|b| b.is_ascii_digit());
                if !is_id {
                    return Found::NothingToFind;
                }
                let Some(marker) = marker else { return Found::NotThere };
                in_bodies(&self.comments, &marker)
                    .or_else(|| in_bodies(&self.worklogs, &marker))
                    .map_or(Found::NotThere, Found::Id)
            }
        }
    }
}
