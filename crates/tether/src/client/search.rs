//! `tether search 'JQL'`: JQL over the ingested tickets through a running tether's
//! `/api/search`, as a table (key, site, status, type, assignee, updated, summary) or the
//! API's JSON; pages are fetched 100 at a time until `--limit` rows (or all with `--all`).

use anyhow::Result;
use reqwest::Method;
use serde_json::{Value, json};

use super::{Api, Remote, print, s};
use crate::config::Config;
use crate::output::{Table, local_time, local_zone};

#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// The query, as in Jira, with tether's fields beside Jira's: e.g.
    /// 'project = WEB AND status WAS "In Progress" AND flag IS NOT EMPTY ORDER BY created DESC'.
    /// Quote reserved words used as values or fields ("commit", "true", "on").
    #[arg(value_name = "JQL", default_value = "")]
    jql: String,
    /// At most this many tickets.
    #[arg(long, default_value_t = 50, conflicts_with = "all")]
    limit: usize,
    /// Every matching ticket, however many.
    #[arg(long)]
    all: bool,
}

/// Rows per request (the API's maximum).
const PAGE: usize = 100;

pub async fn search(remote: Remote, config: &Config, args: SearchArgs) -> Result<()> {
    let api = Api::new(&remote, config)?;
    let want = if args.all { usize::MAX } else { args.limit.max(1) };
    let mut issues: Vec<Value> = Vec::new();
    let mut token: Option<String> = None;
    let mut is_last = true;
    while issues.len() < want {
        let body = json!({
            "jql": args.jql,
            "maxResults": (want - issues.len()).min(PAGE),
            "nextPageToken": token,
        });
        let page = api.call(Method::POST, "/api/search", Some(body)).await?;
        issues.extend(page["issues"].as_array().into_iter().flatten().cloned());
        is_last = page["isLast"] != false;
        if is_last {
            break;
        }
        token = page["nextPageToken"].as_str().map(str::to_owned);
        if args.all && issues.len().is_multiple_of(PAGE * 10) {
            eprintln!("{} tickets so far…", issues.len());
        }
    }
    let value = json!({"issues": issues, "isLast": is_last});
    let zone = local_zone();
    print(remote.json, &value, |v| {
        let mut t =
            Table::new(&["key", "site", "status", "type", "assignee", "updated", "summary"]);
        for i in v["issues"].as_array().into_iter().flatten() {
            let f = &i["fields"];
            let updated = f["updated"]
                .as_str()
                .and_then(|u| jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%.f%z", u).ok())
                .and_then(|p| p.to_timestamp().ok())
                .map(|t| local_time(t.as_millisecond(), &zone))
                .unwrap_or_default();
            t.row([
                s(&i["key"]),
                s(&i["tether"]["site"]),
                s(&f["status"]["name"]),
                s(&f["issuetype"]["name"]),
                s(&f["assignee"]["displayName"]),
                &updated,
                s(&f["summary"]),
            ]);
        }
        println!("{}", t.render("no ticket matches"));
        if !is_last {
            eprintln!("more tickets match: raise --limit (now {}) or give --all", args.limit);
        }
    });
    Ok(())
}
