//! `tether repos …` (repositories through a running tether's API; `scan --now` on the
//! database directly), `tether refs extract` (what a text says about issues: no server, so
//! it fits a git hook) and `tether findings …` (SARIF files through the API).

use std::io::Read;

use anyhow::{Context, Result, bail};
use reqwest::Method;
use serde_json::{Value, json};
use tether_jira::percent_encode;
use tether_refs::{MatchSettings, Matcher, SmartAction, extract};

use super::{Api, Remote, print};
use crate::config::Config;
use crate::output::Table;

/// A JSON string field, or nothing.
fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

#[derive(Debug, clap::Subcommand)]
pub enum ReposCommand {
    /// Add a repository: a GitHub or GitLab webhook (prints the address and the secret to
    /// paste into the forge, shown once) or a local clone to scan.
    Add {
        /// The repository's name in tether (lower case, digits, `.`, `_`, `-`).
        name: String,
        /// github, gitlab or local.
        #[arg(long)]
        source: String,
        /// The clone's absolute path (local repositories; optional for forges, to complete
        /// pushes the forge cut short).
        #[arg(long)]
        path: Option<String>,
        /// The repository's web page, for links (local repositories).
        #[arg(long)]
        web_url: Option<String>,
        /// The group whose settings it inherits (field by field) before the instance's.
        #[arg(long)]
        group: Option<String>,
        /// The Jira site mentions go to (else the group's or instance's).
        #[arg(long)]
        site: Option<String>,
    },
    /// List the repositories.
    List,
    /// Scan a repository's local clone for new commits: queued on the server, or `--now`
    /// here on the database (run where tether's database is).
    Scan {
        /// The repository to scan.
        name: String,
        /// Scan here and now on the database instead of queueing it on the server.
        #[arg(long)]
        now: bool,
    },
    /// A repository's dev events: what matched, what was done, what failed and why.
    Events {
        /// The repository whose events to show.
        name: String,
        /// How many of the newest events to show.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Remove a repository with its events and findings.
    Remove {
        /// The repository to remove.
        name: String,
    },
}

pub async fn repos(remote: Remote, config: &Config, command: ReposCommand) -> Result<()> {
    let api = Api::new(&remote, config)?;
    let repo_path = |name: &str| format!("/api/code/repositories/{}", percent_encode(name));
    match command {
        ReposCommand::Add { name, source, path, web_url, group, site } => {
            let mut body = json!({"name": name, "source": source, "path": path, "web_url": web_url, "group": group});
            if let Some(site) = site {
                body["settings"] = json!({"site": site});
            }
            let created = api.call(Method::POST, "/api/code/repositories", Some(body)).await?;
            print(remote.json, &created, |r| {
                println!(
                    "added repository {} ({})",
                    r["name"].as_str().unwrap_or(""),
                    r["source"].as_str().unwrap_or("")
                );
                if let Some(url) = r["hook_url"].as_str() {
                    println!("webhook URL:    {url}");
                    println!("webhook secret: {}", r["secret"].as_str().unwrap_or(""));
                    println!(
                        "(the secret is shown this once; `POST {}/secret` makes a new one)",
                        repo_path(r["name"].as_str().unwrap_or(""))
                    );
                }
            });
        }
        ReposCommand::List => {
            let list = api.call(Method::GET, "/api/code/repositories", None).await?;
            print(remote.json, &list, |l| {
                let mut t = Table::new(&["name", "source", "group", "webhook URL or path"]);
                for r in l.as_array().into_iter().flatten() {
                    let place = r["hook_url"].as_str().or(r["path"].as_str()).unwrap_or("");
                    t.row([s(&r["name"]), s(&r["source"]), s(&r["group"]), place]);
                }
                println!("{}", t.render("no repositories yet (add one with `tether repos add`)"));
            });
        }
        ReposCommand::Scan { name, now: false } => {
            let queued =
                api.call(Method::POST, &format!("{}/scan", repo_path(&name)), None).await?;
            print(remote.json, &queued, |_| {
                println!("scan of {name} queued; see `tether repos events {name}`")
            });
        }
        ReposCommand::Scan { now: true, .. } => unreachable!("run on the database by main"),
        ReposCommand::Events { name, limit } => {
            let events = api
                .call(Method::GET, &format!("{}/events?limit={limit}", repo_path(&name)), None)
                .await?;
            print(remote.json, &events, |l| {
                for e in l.as_array().into_iter().flatten() {
                    event_lines(e);
                }
            });
        }
        ReposCommand::Remove { name } => {
            api.call(Method::DELETE, &repo_path(&name), None).await?;
            println!("removed repository {name}");
        }
    }
    Ok(())
}

fn event_lines(e: &Value) {
    let report = &e["report"];
    let at = e["received_at"]
        .as_i64()
        .map(|ms| crate::output::local_time(ms, &crate::output::local_zone()))
        .unwrap_or_default();
    println!(
        "#{} {at} {} {} [{}] {}",
        e["id"],
        e["source"].as_str().unwrap_or(""),
        e["delivery_id"].as_str().unwrap_or(""),
        e["state"].as_str().unwrap_or(""),
        report["summary"].as_str().unwrap_or("")
    );
    if let Some(err) = report["error"].as_str() {
        println!("    error: {err}");
    }
    for n in report["notes"].as_array().into_iter().flatten() {
        println!("    note: {}", n.as_str().unwrap_or(""));
    }
    for ent in report["entities"].as_array().into_iter().flatten() {
        println!(
            "    {} {}",
            ent["entity"].as_str().unwrap_or(""),
            ent["title"].as_str().unwrap_or("")
        );
        for i in ent["issues"].as_array().into_iter().flatten() {
            for a in i["actions"].as_array().into_iter().flatten() {
                println!(
                    "      {} {}: {} {}",
                    i["key"].as_str().unwrap_or(""),
                    a["action"].as_str().unwrap_or(""),
                    a["outcome"].as_str().unwrap_or(""),
                    a["detail"].as_str().unwrap_or("")
                );
            }
        }
    }
}

/// `tether repos scan NAME --now`: on the database, printing what it did and how long the
/// scan took.
pub async fn scan_now(store: &tether_store::Store, name: &str) -> Result<()> {
    let repo = store
        .repository_by_name(name)
        .await
        .with_context(|| format!("no repository named {name:?}"))?;
    let s = crate::git::scan_repository(store, &repo).await?;
    println!(
        "scanned {name}: {} commits read, {} branches, {} events stored, in {} ms",
        s.commits_read, s.branches, s.events_stored, s.millis
    );
    Ok(())
}

/// `tether refs extract`.
#[derive(Debug, clap::Args)]
pub struct RefsArgs {
    /// The text (a commit message, branch name, title); standard input when none is given.
    text: Vec<String>,
    /// A custom key pattern (replaces the default one).
    #[arg(long)]
    regex: Option<String>,
    /// A prefix keys must carry (such as `JIRA#`).
    #[arg(long)]
    prefix: Option<String>,
    /// Only keys of this Jira project (repeatable).
    #[arg(long = "project", value_name = "KEY")]
    projects: Vec<String>,
    /// Exit with status 1 when the text mentions no issue (a commit-msg hook).
    #[arg(long)]
    require: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl RefsArgs {
    /// Whether the caller wants a failing status when no issue is mentioned.
    pub fn require(&self) -> bool {
        self.require
    }
}

/// What a text says about issues: its keys, the keys closing words close, and its Smart
/// Commit commands. Returns whether it mentioned any issue.
pub fn refs(args: RefsArgs) -> Result<bool> {
    let text = if args.text.is_empty() {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("cannot read standard input")?;
        s
    } else {
        args.text.join(" ")
    };
    let settings = MatchSettings {
        key_regex: args.regex,
        key_prefix: args.prefix,
        project_keys: args.projects,
    };
    let matcher = match Matcher::new(&settings) {
        Ok(m) => m,
        Err(e) => bail!("{e}"),
    };
    // A git hook hands the message with its comment lines; they are not part of it.
    let message: String =
        text.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n");
    let refs = extract(&message, &matcher);
    let commands: Vec<Value> = refs
        .commands
        .iter()
        .map(|c| {
            let keys: Vec<String> = c.keys.iter().map(ToString::to_string).collect();
            match &c.action {
                SmartAction::Comment { text } => json!({"keys": keys, "command": "comment", "text": text}),
                SmartAction::Time { spent, comment } => {
                    json!({"keys": keys, "command": "time", "time": spent.jira_duration(), "text": comment})
                }
                SmartAction::Transition { name, comment } => {
                    json!({"keys": keys, "command": "transition", "name": name, "text": comment})
                }
            }
        })
        .collect();
    let ignored: Vec<Value> = refs
        .ignored
        .iter()
        .map(|c| json!({"command": &message[c.span.clone()], "why": c.reason.to_string()}))
        .collect();
    let keys: Vec<String> = refs.keys.iter().map(|k| k.key.to_string()).collect();
    let closes: Vec<String> = refs.closes.iter().map(ToString::to_string).collect();
    if args.json {
        let out = json!({"keys": keys, "closes": closes, "commands": commands, "ignored": ignored});
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("keys: {}", keys.join(" "));
        println!("closes: {}", closes.join(" "));
        for c in &commands {
            let keys: Vec<&str> =
                c["keys"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let what = c["name"].as_str().or(c["time"].as_str()).unwrap_or("");
            println!(
                "command: #{} {what} {} → {}",
                c["command"].as_str().unwrap_or(""),
                c["text"].as_str().unwrap_or(""),
                keys.join(" ")
            );
        }
        for i in &ignored {
            println!(
                "ignored: {}: {}",
                i["command"].as_str().unwrap_or(""),
                i["why"].as_str().unwrap_or("")
            );
        }
    }
    Ok(!keys.is_empty())
}

#[derive(Debug, clap::Subcommand)]
pub enum FindingsCommand {
    /// Import the findings of a SARIF file (Semgrep, Trivy, CodeQL, clippy-sarif, …) into a
    /// repository; `-` reads standard input.
    Import {
        /// The repository the findings belong to.
        #[arg(long)]
        repo: String,
        /// The SARIF file, or `-` for standard input.
        file: String,
    },
    /// A repository's findings, with the Jira issue made for each.
    List {
        /// The repository whose findings to list.
        #[arg(long)]
        repo: String,
    },
}

pub async fn findings(remote: Remote, config: &Config, command: FindingsCommand) -> Result<()> {
    let api = Api::new(&remote, config)?;
    match command {
        FindingsCommand::Import { repo, file } => {
            let text = if file == "-" {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s).context("cannot read standard input")?;
                s
            } else {
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {file}"))?
            };
            let sarif: Value =
                serde_json::from_str(&text).with_context(|| format!("{file} is not JSON"))?;
            let path = format!("/api/code/repositories/{}/findings", percent_encode(&repo));
            let got = api.call(Method::POST, &path, Some(sarif)).await?;
            print(remote.json, &got, |g| {
                println!(
                    "imported into {repo}: {} new, {} updated, {} unchanged",
                    g["added"], g["updated"], g["unchanged"]
                );
                for w in g["warnings"].as_array().into_iter().flatten() {
                    println!("warning: {}", w.as_str().unwrap_or(""));
                }
            });
        }
        FindingsCommand::List { repo } => {
            let path = format!("/api/code/repositories/{}/findings", percent_encode(&repo));
            let list = api.call(Method::GET, &path, None).await?;
            print(remote.json, &list, |l| {
                let mut t = Table::new(&["id", "severity", "rule", "location", "jira issue"]);
                for f in l.as_array().into_iter().flatten() {
                    let issue = match f["issue_key"].as_str() {
                        Some(k) => format!("{k} ({})", f["issue_status"].as_str().unwrap_or("?")),
                        None => String::new(),
                    };
                    let id = f["id"].to_string();
                    t.row([
                        id.as_str(),
                        s(&f["severity"]),
                        s(&f["rule_id"]),
                        s(&f["location"]),
                        &issue,
                    ]);
                }
                println!("{}", t.render(&format!("no findings in {repo}")));
            });
        }
    }
    Ok(())
}
