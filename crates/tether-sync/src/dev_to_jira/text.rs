//! What tether writes on an issue for a commit or merge request: the remote link back to
//! it, the mention comment (three levels of detail; link-only copies no message text), and
//! the comments and worklog notes of Smart Commits. Documents are `tether_jira::Doc`s,
//! rendered as wiki markup on v2 and ADF on v3 by the client.
//!
//! Each comment links to a URL only it links to (the entity's for the mention comment, the
//! entity's with `#tether-smart-<n>` for the n-th Smart Commit), so a claim cut off before
//! its answer can be settled by finding that link on the issue ([`links_to`]).

use tether_jira::{
    Application, Block, Body, Doc, Icon, Inline, RemoteLink, RemoteObject, RemoteStatus,
};
use tether_store::dev::CommentDetail;

use super::plan::{Entity, EntityKind, EventPlan};

/// The `globalId` of an entity's link on every issue it mentions: stable for the entity
/// (a repository's id and the commit sha or request number), at most 255 characters.
pub fn global_id(entity: &Entity) -> String {
    format!("tether:code:{}", entity.ledger_id)
}

/// `commit abc1234` or `merge request !7`.
pub fn entity_name(e: &Entity) -> String {
    match e.kind {
        EntityKind::Commit => format!("commit {}", e.display),
        EntityKind::PullRequest if e.display.starts_with('!') => {
            format!("merge request {}", e.display)
        }
        EntityKind::PullRequest => format!("pull request {}", e.display),
    }
}

/// The remote link to `e`, whole (Jira replaces a link with the same `globalId` whole).
/// Link-only mode keeps the message out of the title.
pub fn remote_link(
    plan: &EventPlan,
    e: &Entity,
    detail: CommentDetail,
    resolved: bool,
) -> RemoteLink {
    let title = match detail {
        CommentDetail::LinkOnly => format!("{} {}", e.display, plan.repo_name),
        _ => format!("{} {}: {}", e.display, plan.repo_name, e.title),
    };
    let summary = match (e.kind, &e.target_branch) {
        (EntityKind::PullRequest, Some(target)) => format!("{} → {target}", e.branch),
        _ => format!("on {}", e.branch),
    };
    RemoteLink {
        id: None,
        global_id: Some(global_id(e)),
        application: Some(Application {
            kind: Some("tether.code".into()),
            name: Some(plan.forge.clone()),
        }),
        relationship: Some("mentioned in".into()),
        object: RemoteObject {
            url: e.url.clone(),
            title: cut(&title, 255),
            summary: Some(summary),
            icon: Some(Icon { url16x16: None, title: Some(plan.forge.clone()) }),
            status: Some(RemoteStatus { resolved, icon: None }),
        },
    }
}

/// The comment saying who mentioned the issue where.
pub fn mention_comment(plan: &EventPlan, e: &Entity, detail: CommentDetail) -> Doc {
    let who = if e.author_name.is_empty() { "Someone".to_owned() } else { e.author_name.clone() };
    let branch_url = format!("{}/tree/{}", plan.repo_url.trim_end_matches('/'), e.branch);
    let mut first = vec![
        Inline::Text(format!("{who} mentioned this issue in ")),
        Inline::Link { text: entity_name(e), url: e.url.clone() },
        Inline::Text(" of ".into()),
        repo_link(plan),
    ];
    match (&e.target_branch, e.kind) {
        (Some(target), EntityKind::PullRequest) => {
            first.push(Inline::Text(format!(" ({} → {target})", e.branch)));
        }
        _ => {
            first.push(Inline::Text(" on branch ".into()));
            first.push(Inline::Link { text: e.branch.clone(), url: branch_url });
        }
    }
    first.push(Inline::Text(match detail {
        CommentDetail::LinkOnly => ".".into(),
        _ => ":".into(),
    }));
    let mut blocks = vec![Block::Paragraph(first)];
    match detail {
        CommentDetail::LinkOnly => {}
        CommentDetail::Standard => blocks.push(Block::Quote(e.title.clone())),
        CommentDetail::AllDetails => blocks.push(Block::Quote(e.text.trim().to_owned())),
    }
    Doc { blocks }
}

/// The link only the `n`-th Smart Commit command of `e` writes.
pub fn smart_url(e: &Entity, n: usize) -> String {
    format!("{}#tether-smart-{n}", e.url)
}

/// A Smart Commit's note: its text (none in link-only mode), and who it is for, from
/// which commit of which repository.
pub fn smart_note(
    plan: &EventPlan,
    e: &Entity,
    n: usize,
    text: &str,
    who: &str,
    detail: CommentDetail,
) -> Doc {
    let mut blocks = Vec::new();
    if detail != CommentDetail::LinkOnly && !text.trim().is_empty() {
        blocks.push(Block::Paragraph(vec![Inline::Text(text.trim().to_owned())]));
    }
    blocks.push(Block::Paragraph(vec![
        Inline::Text(format!("— on behalf of {who}, by Smart Commit in ")),
        Inline::Link { text: entity_name(e), url: smart_url(e, n) },
        Inline::Text(" of ".into()),
        repo_link(plan),
    ]));
    Doc { blocks }
}

/// Whether a comment or worklog body links to `url` (and not to a longer URL starting
/// with it): ADF holds it as a link mark's `href`, wiki markup as `[text|url]`.
pub fn links_to(body: &Body, url: &str) -> bool {
    match body {
        Body::Wiki(s) => s.contains(&format!("|{}]", url.replace(['|', ']'], ""))),
        Body::Adf(v) => {
            let json = v.to_string();
            let quoted = serde_json::Value::String(url.to_owned()).to_string();
            json.contains(&format!("\"href\":{quoted}"))
        }
    }
}

fn repo_link(plan: &EventPlan) -> Inline {
    if plan.repo_url.is_empty() {
        Inline::Strong(plan.repo_name.clone())
    } else {
        Inline::Link { text: plan.repo_name.clone(), url: plan.repo_url.clone() }
    }
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}
