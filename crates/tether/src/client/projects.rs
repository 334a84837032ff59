//! `tether projects …`, `tether environments …` and `tether sdk-keys …`
//! through a running tether's API.

use anyhow::Result;
use reqwest::Method;
use serde_json::{Value, json};

use super::{Api, Remote, print, s};
use crate::config::Config;
use crate::output::{Table, local_time, local_zone};

#[derive(Debug, clap::Subcommand)]
pub enum ProjectsCommand {
    /// List the projects the token may see.
    List,
    /// Show one project.
    Get {
        /// The project's key.
        key: String,
    },
    /// Create a project (development, staging, production; production primary).
    Create {
        /// The project's key, used in URLs and commands: letters, digits, `-`, `_`.
        #[arg(long)]
        key: String,
        /// A name people read.
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum EnvironmentsCommand {
    /// List a project's environments.
    List {
        /// The project's key.
        #[arg(long)]
        project: String,
    },
    /// Add an environment: every flag off (serving its off variation), or with
    /// another environment's flag configurations.
    Create {
        /// The project's key.
        #[arg(long)]
        project: String,
        /// The environment's key, e.g. qa.
        #[arg(long)]
        key: String,
        /// A name people read.
        #[arg(long)]
        name: String,
        /// development, testing, staging or production.
        #[arg(long)]
        kind: String,
        /// Make it the primary environment (the old one is demoted).
        #[arg(long)]
        primary: bool,
        /// Start with this environment's flag configurations.
        #[arg(long, value_name = "ENV")]
        copy_from: Option<String>,
    },
    /// Change an environment's name or kind, or make it primary.
    Update {
        /// The project's key.
        #[arg(long)]
        project: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// development, testing, staging or production.
        #[arg(long)]
        kind: Option<String>,
        /// Make it the primary environment (the old one is demoted).
        #[arg(long)]
        primary: bool,
        /// The project version the change is based on (refused if it moved).
        #[arg(long, value_name = "VERSION")]
        if_match: Option<i64>,
        /// The environment's key.
        env: String,
    },
    /// Delete an environment with its flag configurations and SDK keys.
    Delete {
        /// The project's key.
        #[arg(long)]
        project: String,
        /// The project version the change is based on (refused if it moved).
        #[arg(long, value_name = "VERSION")]
        if_match: Option<i64>,
        /// The environment's key.
        env: String,
    },
}

/// `tether sdk-keys …`: the keys applications evaluate flags with, one environment each.
#[derive(Debug, clap::Subcommand)]
pub enum SdkKeysCommand {
    /// Create an SDK key and print it (shown this once; afterwards only its last characters).
    Create {
        /// The project's key.
        #[arg(long)]
        project: String,
        /// The environment the key evaluates in, e.g. production.
        #[arg(long, value_name = "ENV")]
        env: String,
    },
    /// List an environment's SDK keys (never the keys themselves).
    List {
        /// The project's key.
        #[arg(long)]
        project: String,
        /// The environment's key.
        #[arg(long, value_name = "ENV")]
        env: String,
    },
    /// Revoke an SDK key by id (applications using it stop evaluating at once).
    Revoke {
        /// The project's key.
        #[arg(long)]
        project: String,
        /// The environment's key.
        #[arg(long, value_name = "ENV")]
        env: String,
        /// The key's id (`tether sdk-keys list` shows it).
        id: i64,
    },
}

fn projects_table(projects: &[&Value]) -> String {
    let mut t = Table::new(&["key", "name", "environments"]);
    for p in projects {
        let envs: Vec<&str> =
            p["environments"].as_array().into_iter().flatten().map(|e| s(&e["key"])).collect();
        t.row([s(&p["key"]), s(&p["name"]), &envs.join(", ")]);
    }
    t.render("no projects yet (create one with `tether projects create`)")
}

fn environments_table(envs: &[&Value]) -> String {
    let mut t = Table::new(&["key", "name", "kind", "primary"]);
    for e in envs {
        t.row([
            s(&e["key"]),
            s(&e["name"]),
            s(&e["kind"]),
            if e["primary"] == true { "yes" } else { "" },
        ]);
    }
    t.render("no environments")
}

/// One project in a sentence: `shop (Shop): development, staging, production`.
fn project_line(p: &Value) -> String {
    let envs: Vec<&str> =
        p["environments"].as_array().into_iter().flatten().map(|e| s(&e["key"])).collect();
    format!("{} ({}): {}", s(&p["key"]), s(&p["name"]), envs.join(", "))
}

/// One environment in a sentence: `qa (QA, testing, primary)`.
fn environment_line(e: &Value) -> String {
    let primary = if e["primary"] == true { ", primary" } else { "" };
    format!("{} ({}, {}{primary})", s(&e["key"]), s(&e["name"]), s(&e["kind"]))
}

pub async fn projects(remote: Remote, config: &Config, command: ProjectsCommand) -> Result<()> {
    let api = Api::new(&remote, config)?;
    let json = remote.json;
    match command {
        ProjectsCommand::List => {
            let v = api.call(Method::GET, "/api/projects", None).await?;
            print(json, &v, |v| {
                println!(
                    "{}",
                    projects_table(&v.as_array().into_iter().flatten().collect::<Vec<_>>())
                )
            });
        }
        ProjectsCommand::Get { key } => {
            let v = api.call(Method::GET, &format!("/api/projects/{key}"), None).await?;
            print(json, &v, |p| println!("{}", projects_table(&[p])));
        }
        ProjectsCommand::Create { key, name } => {
            let v = api
                .call(Method::POST, "/api/projects", Some(json!({"key": key, "name": name})))
                .await?;
            print(json, &v, |p| println!("created project {}", project_line(p)));
        }
    }
    Ok(())
}

pub async fn environments(
    remote: Remote,
    config: &Config,
    command: EnvironmentsCommand,
) -> Result<()> {
    let api = Api::new(&remote, config)?;
    let json = remote.json;
    let base = |project: &str| format!("/api/projects/{project}/environments");
    match command {
        EnvironmentsCommand::List { project } => {
            let v = api.call(Method::GET, &base(&project), None).await?;
            print(json, &v, |v| {
                let envs: Vec<&Value> = v.as_array().into_iter().flatten().collect();
                println!("{}", environments_table(&envs))
            });
        }
        EnvironmentsCommand::Create { project, key, name, kind, primary, copy_from } => {
            let mut body = json!({"key": key, "name": name, "kind": kind, "primary": primary});
            if let Some(from) = copy_from {
                body["copy_from"] = json!(from);
            }
            let v = api.call(Method::POST, &base(&project), Some(body)).await?;
            print(json, &v, |e| {
                println!("created environment {} in {project}", environment_line(e))
            });
        }
        EnvironmentsCommand::Update { project, name, kind, primary, if_match, env } => {
            let mut body = json!({});
            if let Some(name) = name {
                body["name"] = json!(name);
            }
            if let Some(kind) = kind {
                body["kind"] = json!(kind);
            }
            if primary {
                body["primary"] = json!(true);
            }
            if let Some(version) = if_match {
                body["version"] = json!(version);
            }
            let path = format!("{}/{env}", base(&project));
            let v = api.call(Method::PATCH, &path, Some(body)).await?;
            print(json, &v, |e| println!("saved environment {}", environment_line(e)));
        }
        EnvironmentsCommand::Delete { project, if_match, env } => {
            let path = format!("{}/{env}", base(&project));
            api.call_if_match(Method::DELETE, &path, if_match).await?;
            if !json {
                println!("deleted {env}");
            }
        }
    }
    Ok(())
}

pub async fn sdk_keys(remote: Remote, config: &Config, command: SdkKeysCommand) -> Result<()> {
    let api = Api::new(&remote, config)?;
    let json = remote.json;
    let base =
        |project: &str, env: &str| format!("/api/projects/{project}/environments/{env}/sdk-keys");
    match command {
        SdkKeysCommand::Create { project, env } => {
            let v = api.call(Method::POST, &base(&project, &env), None).await?;
            if json {
                print(json, &v, |_| {});
            } else {
                eprintln!("created an SDK key for {project}/{env}; it is shown this once:");
                println!("{}", s(&v["key"]));
            }
        }
        SdkKeysCommand::List { project, env } => {
            let v = api.call(Method::GET, &base(&project, &env), None).await?;
            print(json, &v, |v| {
                let zone = local_zone();
                let when = |v: &Value| v.as_i64().map(|ms| local_time(ms, &zone));
                let mut t = Table::new(&["id", "ends with", "created", "state"]);
                for k in v.as_array().into_iter().flatten() {
                    let state = match when(&k["revoked_at"]) {
                        Some(at) => format!("revoked {at}"),
                        None => "live".to_owned(),
                    };
                    t.row([
                        k["id"].to_string(),
                        format!("…{}", s(&k["hint"])),
                        when(&k["created_at"]).unwrap_or_default(),
                        state,
                    ]);
                }
                println!(
                    "{}",
                    t.render(&format!(
                        "no SDK keys for {project}/{env} (create one with `tether sdk-keys create`)"
                    ))
                );
            });
        }
        SdkKeysCommand::Revoke { project, env, id } => {
            api.call(Method::DELETE, &format!("{}/{id}", base(&project, &env)), None).await?;
            if !json {
                println!("revoked SDK key {id} of {project}/{env}");
            }
        }
    }
    Ok(())
}
