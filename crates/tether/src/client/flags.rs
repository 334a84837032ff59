//! `tether flags …`: a project's flags through a running tether's API.

use anyhow::Result;
use reqwest::Method;
use serde_json::{Value, json};

use super::{Api, Remote, print, s};
use crate::config::{Config, ConfigError};
use crate::output::{Table, local_time, local_zone};

/// What `tether flags --help` says about versions, the one number users meet.
pub const VERSIONS_HELP: &str = "\
Versions: a flag's definition (name, kind, variations, tags) and each environment's \
configuration (on or off, targeting, rollout) are saved separately, and each counts its own \
saves. `flags get` shows the definition's version and each environment's; `flags toggle` \
reports the environment's. A change based on an older version than the one stored is refused, \
so two people cannot overwrite each other unseen.";

#[derive(Debug, clap::Subcommand)]
pub enum FlagsCommand {
    /// List a project's flags and whether each is on in each environment.
    List {
        /// The project's key (`tether projects list` shows them).
        #[arg(long)]
        project: String,
    },
    /// Show one flag: its definition and each environment's configuration.
    Get {
        /// The project's key.
        #[arg(long)]
        project: String,
        /// The flag's key.
        key: String,
    },
    /// Create a flag (off in every environment).
    Create {
        /// The project's key.
        #[arg(long)]
        project: String,
        /// The flag's key, as applications ask for it: letters, digits, `-`, `_`, `.`.
        #[arg(long)]
        key: String,
        /// A name people read.
        #[arg(long)]
        name: String,
        /// boolean, string, number or json.
        #[arg(long, default_value = "boolean")]
        kind: String,
        /// A variation as KEY=JSON (repeatable); booleans get on=true and off=false.
        #[arg(long = "variation", value_name = "KEY=JSON")]
        variations: Vec<String>,
        /// A tag (repeatable).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// What the flag is for.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Replace a flag's definition, or one environment's configuration, from a JSON file
    /// in the API's format (see /api/openapi.json).
    Update {
        /// The project's key.
        #[arg(long)]
        project: String,
        /// Replace this environment's configuration instead of the definition.
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// The JSON to send.
        #[arg(long, value_name = "FILE")]
        file: std::path::PathBuf,
        /// The flag's key.
        key: String,
    },
    /// Turn a flag on or off in an environment (flip it when neither is given).
    Toggle {
        /// The project's key.
        #[arg(long)]
        project: String,
        /// The environment's key, e.g. production.
        #[arg(long, value_name = "ENV")]
        env: String,
        /// Turn it on.
        #[arg(long, conflicts_with = "off")]
        on: bool,
        /// Turn it off.
        #[arg(long)]
        off: bool,
        /// The flag's key.
        key: String,
    },
    /// Delete a flag.
    Delete {
        /// The project's key.
        #[arg(long)]
        project: String,
        /// The flag's key.
        key: String,
    },
}

fn on_off(v: &Value) -> &'static str {
    if v["on"] == true { "on" } else { "off" }
}

/// `development=on staging=off production=on`.
fn states(flag: &Value) -> String {
    let states: Vec<String> = flag["environments"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| format!("{}={}", s(&e["env"]), on_off(e)))
        .collect();
    states.join(" ")
}

fn list_table(flags: &Value) -> String {
    let mut t = Table::new(&["key", "name", "kind", "environments"]);
    for f in flags.as_array().into_iter().flatten() {
        t.row([s(&f["key"]), s(&f["name"]), s(&f["kind"]), &states(f)]);
    }
    t.render("no flags yet (create one with `tether flags create`)")
}

/// What an environment serves when on, in a few words.
fn serves(e: &Value) -> String {
    let rule = &e["default_rule"];
    if let Some(v) = rule["variation"].as_str() {
        return v.to_owned();
    }
    let parts: Vec<String> = rule["rollout"]["variations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            let weight = v["weight"].as_f64().unwrap_or(0.0) / 1000.0;
            format!("{} {weight}%", s(&v["variation"]))
        })
        .collect();
    let mut text = parts.join(", ");
    let rules = e["rules"].as_array().map_or(0, Vec::len);
    if rules > 0 {
        text.push_str(&format!(" (+{rules} targeting rule{})", if rules == 1 { "" } else { "s" }));
    }
    text
}

fn flag_detail(f: &Value) -> String {
    let zone = local_zone();
    let when = |v: &Value| v.as_i64().map(|ms| local_time(ms, &zone)).unwrap_or_default();
    let mut out = format!("{} ({}), {}\n", s(&f["name"]), s(&f["key"]), s(&f["kind"]));
    if !s(&f["description"]).is_empty() {
        out.push_str(&format!("{}\n", s(&f["description"])));
    }
    out.push_str(&format!(
        "definition: version {}, saved {} by {}\n\n",
        f["version"],
        when(&f["updated_at"]),
        s(&f["updated_by"])
    ));
    let mut t = Table::new(&["environment", "state", "serves when on", "version", "saved", "by"]);
    for e in f["environments"].as_array().into_iter().flatten() {
        t.row([
            s(&e["env"]).to_owned(),
            on_off(e).to_owned(),
            serves(e),
            e["version"].to_string(),
            when(&e["updated_at"]),
            s(&e["updated_by"]).to_owned(),
        ]);
    }
    out.push_str(&t.render("no environments"));
    out
}

pub async fn flags(remote: Remote, config: &Config, command: FlagsCommand) -> Result<()> {
    let api = Api::new(&remote, config)?;
    let json = remote.json;
    match command {
        FlagsCommand::List { project } => {
            let flags =
                api.call(Method::GET, &format!("/api/projects/{project}/flags"), None).await?;
            print(json, &flags, |v| println!("{}", list_table(v)));
        }
        FlagsCommand::Get { project, key } => {
            let flag = api
                .call(Method::GET, &format!("/api/projects/{project}/flags/{key}"), None)
                .await?;
            print(json, &flag, |f| println!("{}", flag_detail(f)));
        }
        FlagsCommand::Create { project, key, name, kind, variations, tags, description } => {
            let variations = parse_variations(&kind, &variations)?;
            let body = json!({"key": key, "name": name, "kind": kind, "variations": variations, "tags": tags, "description": description});
            let flag = api
                .call(Method::POST, &format!("/api/projects/{project}/flags"), Some(body))
                .await?;
            print(json, &flag, |f| {
                println!("created {} in {project}: {}", s(&f["key"]), states(f))
            });
        }
        FlagsCommand::Update { project, env, file, key } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| ConfigError(format!("cannot read {}: {e}", file.display())))?;
            let body: Value = serde_json::from_str(&text)
                .map_err(|e| ConfigError(format!("{} is not JSON: {e}", file.display())))?;
            let path = match &env {
                Some(env) => format!("/api/projects/{project}/flags/{key}/environments/{env}"),
                None => format!("/api/projects/{project}/flags/{key}"),
            };
            let saved = api.call(Method::PUT, &path, Some(body)).await?;
            print(json, &saved, |v| match &env {
                Some(env) => println!(
                    "saved {key} in {env} ({env}'s configuration is now version {})",
                    v["version"]
                ),
                None => println!("saved {key} (its definition is now version {})", v["version"]),
            });
        }
        FlagsCommand::Toggle { project, env, on, off, key } => {
            let body = match (on, off) {
                (true, _) => json!({"on": true}),
                (_, true) => json!({"on": false}),
                _ => json!({}),
            };
            let path = format!("/api/projects/{project}/flags/{key}/environments/{env}/toggle");
            let saved = api.call(Method::POST, &path, Some(body)).await?;
            print(json, &saved, |v| {
                println!(
                    "{key} is {} in {env} ({env}'s configuration is now version {})",
                    on_off(v),
                    v["version"]
                );
            });
        }
        FlagsCommand::Delete { project, key } => {
            api.call(Method::DELETE, &format!("/api/projects/{project}/flags/{key}"), None).await?;
            if !json {
                println!("deleted {key}");
            }
        }
    }
    Ok(())
}

/// `KEY=JSON` pairs; a boolean flag without any gets `on=true`, `off=false`.
fn parse_variations(kind: &str, given: &[String]) -> Result<Vec<Value>> {
    if given.is_empty() && kind == "boolean" {
        return Ok(vec![
            json!({"key": "on", "value": true}),
            json!({"key": "off", "value": false}),
        ]);
    }
    given
        .iter()
        .map(|v| {
            let (key, value) = v.split_once('=').ok_or_else(|| {
                ConfigError(format!(
                    "--variation {v:?}: expected KEY=JSON, e.g. big=100 or name='\"x\"'"
                ))
            })?;
            let value: Value =
                serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
            Ok(json!({"key": key, "value": value}))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn a_flag_reads_without_a_dangling_colon_or_raw_times() {
        let flag = json!({
            "key": "dark-mode", "name": "Dark mode", "kind": "boolean", "description": "",
            "version": 1, "updated_at": 1_796_469_381_096_i64, "updated_by": "admin/cli",
            "environments": [
                {"env": "production", "on": true, "version": 2, "updated_at": 1_796_469_381_096_i64,
                 "updated_by": "admin/cli", "rules": [],
                 "default_rule": {"rollout": {"variations": [{"variation": "on", "weight": 10000}, {"variation": "off", "weight": 90000}]}}}
            ]
        });
        let text = super::flag_detail(&flag);
        let first = text.lines().next().unwrap();
        assert_eq!(first, "Dark mode (dark-mode), boolean");
        assert!(!text.contains("1796469381096"), "{text}");
        assert!(text.contains("definition: version 1, saved 2026-12-0"), "{text}");
        let row = text.lines().last().unwrap();
        assert!(row.starts_with("production") && row.contains("on 10%, off 90%"), "{row}");
    }
}
