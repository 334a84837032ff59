//! The demo's code ↔ Jira part: a small local git repository whose commits mention the
//! Cloud sandbox's issues (one says "Closes SHOP-3"), added to tether and scanned the way a
//! user would through the API, and a GitHub webhook repository with a sample push signed
//! with its secret, for the `curl` line the banner prints.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use jira_sandbox::Sandbox;
use reqwest::Method;
use serde_json::{Value, json};
use tether_store::Store;

use crate::client::Api;
use crate::demo::wait_until;
use crate::git::write::{Who, Writer};

/// The local repository's name in tether.
const LOCAL: &str = "demo-shop";
/// The GitHub webhook repository's name in tether.
const GITHUB: &str = "demo-shop-github";

/// One commit of the sample history: (branch, message, files it sets, author).
type SampleCommit =
    (&'static str, &'static str, &'static [(&'static str, &'static str)], &'static str);

/// The sample repository's history.
const HISTORY: &[SampleCommit] = &[
    ("main", "Shop skeleton", &[("README.md", "# Demo shop\n")], "Grace Hopper"),
    (
        "main",
        "SHOP-1 remember the card of returning customers\n\nThe checkout reads the saved card first.",
        &[("checkout.rs", "fn checkout() {}\n")],
        "Ada Lovelace",
    ),
    (
        "main",
        "Closes SHOP-3: 50 results per search page",
        &[("search.rs", "const PAGE_SIZE: usize = 50;\n")],
        "Grace Hopper",
    ),
    (
        "main",
        "Closes SHOP-4: launch the new checkout and recommendations behind their flags",
        &[("launch.md", "new-checkout and recommendations on in production\n")],
        "Grace Hopper",
    ),
    (
        "SHOP-1-express",
        "SHOP-1 express checkout button #comment ready for review",
        &[("express.rs", "fn express() {}\n")],
        "Ada Lovelace",
    ),
];

/// Adds the demo's repositories and scans the local one; returns the banner's part.
pub(crate) async fn connect(
    store: &Store,
    api: &Api,
    url: &str,
    site: &str,
    (cloud, cloud_url): (&Sandbox, &str),
    data_dir: &Path,
) -> Result<String> {
    // Each run starts the code part afresh, like the in-memory sandboxes it writes to.
    for name in [LOCAL, GITHUB] {
        if let Ok(repo) = store.repository_by_name(name).await {
            store.delete_repository(repo.id, "demo").await?;
        }
    }
    let path = data_dir.join("demo-repo");
    write_repository(&path)?;
    let path_text = path.canonicalize().unwrap_or(path.clone()).display().to_string();

    // The site signs in with OAuth 2.0 credentials, which the Development panel takes.
    let settings = json!({"site": site, "transitions": "automatic"});
    let body = json!({"name": LOCAL, "source": "local", "path": path_text, "settings": settings});
    api.call(Method::POST, "/api/code/repositories", Some(body)).await?;
    api.call(Method::POST, &format!("/api/code/repositories/{LOCAL}/scan"), None).await?;

    let body = json!({"name": GITHUB, "source": "github", "settings": {"site": site}});
    let github = api.call(Method::POST, "/api/code/repositories", Some(body)).await?;
    let curl = sample_push(&github, data_dir)?;

    let scanned = wait_until(Duration::from_secs(15), || {
        // Both SHOP-1 commits and its branch (two events), and SHOP-3's transition.
        cloud.development("SHOP-1").is_some_and(|d| d.code.commits == 2 && d.code.branches == 1)
            && !cloud.transitions_done(Some("SHOP-3")).is_empty()
    })
    .await;
    let mut out = format!(
        "\n  Code ↔ Jira: a local git repository at {path_text} (repository {LOCAL}), scanned:\n    \
         its commits on SHOP-1's Development panel: {cloud_url}/browse/SHOP-1\n    \
         \"Closes SHOP-3\" moved SHOP-3 to Done:      {cloud_url}/browse/SHOP-3\n    \
         what each commit did:                     {url}/code/repositories/{LOCAL}\n  \
         A signed GitHub push (it mentions SHOP-2) to the repository {GITHUB}:\n    {curl}\n"
    );
    if !scanned {
        out.push_str(&format!(
            "  (Jira does not show the scan yet; {url}/code/repositories/{LOCAL} says why.)\n"
        ));
    }
    Ok(out)
}

/// Writes the sample history into a new repository at `path` (any earlier one removed).
fn write_repository(path: &Path) -> Result<()> {
    if path.exists() {
        std::fs::remove_dir_all(path)
            .with_context(|| format!("cannot remove the old demo repository {}", path.display()))?;
    }
    let writer = Writer::init(path)?;
    let main = writer.default_branch()?;
    let mut files = BTreeMap::new();
    let mut heads: BTreeMap<String, gix::ObjectId> = BTreeMap::new();
    // Three days ago at 09:30 UTC, an hour apart: the same commits all day, and recent
    // enough for the delivery insight's "first commit → flag on" to read as days.
    let today = tether_store::now_ms() / 1000 / 86_400;
    let mut seconds = (today - 3) * 86_400 + 34_200;
    for (branch, message, changes, author) in HISTORY {
        let branch = if *branch == "main" { main.as_str() } else { branch };
        for (name, content) in *changes {
            files.insert((*name).to_owned(), (*content).to_owned());
        }
        let parent = heads.get(branch).or_else(|| heads.get(&main)).copied();
        let email =
            format!("{}@example.com", author.split(' ').next().unwrap_or("dev").to_lowercase());
        let who = Who { name: author, email: &email, seconds };
        let id = writer.commit(branch, parent.as_slice(), &files, message, who)?;
        heads.insert(branch.to_owned(), id);
        seconds += 3600;
    }
    Ok(())
}

/// Writes a sample GitHub push for the webhook repository `created` beside the data and
/// returns the `curl` line that delivers it signed with the repository's secret.
fn sample_push(created: &Value, data_dir: &Path) -> Result<String> {
    let hook_url = created["hook_url"].as_str().context("the repository has no webhook URL")?;
    let secret = created["secret"].as_str().context("the repository has no secret")?;
    let sha = "5ca1ab1e00000000000000000000000000000001";
    let commit = json!({"id": sha, "message": "SHOP-2 winter sale banner copy",
        "timestamp": "2026-12-05T10:00:00Z", "url": format!("https://github.com/acme/shop/commit/{sha}"),
        "author": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "added": [], "modified": ["banner.html"], "removed": []});
    let body = json!({"ref": "refs/heads/main",
        "before": "0000000000000000000000000000000000000000", "after": sha,
        "created": false, "deleted": false, "forced": false,
        "commits": [commit], "head_commit": commit,
        "repository": {"id": 1, "name": "shop", "full_name": "acme/shop",
            "html_url": "https://github.com/acme/shop", "default_branch": "main"},
        "pusher": {"name": "ada", "email": "ada@example.com"}, "sender": {"login": "ada"}})
    .to_string();
    let signature = tether_forge::github_signature(&secret.to_owned().into(), body.as_bytes())
        .context("cannot sign the sample push")?;
    let file = data_dir.join("demo-github-push.json");
    std::fs::write(&file, &body).with_context(|| format!("cannot write {}", file.display()))?;
    let file = file.canonicalize().unwrap_or(file);
    Ok(format!(
        "curl -s {hook_url} -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \\\n      \
         -H 'X-GitHub-Delivery: demo-push-1' -H 'X-Hub-Signature-256: {signature}' \\\n      \
         --data-binary @{}",
        file.display()
    ))
}
