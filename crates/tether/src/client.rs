//! `tether flags …`, `tether projects …` and `tether environments …`: a
//! command-line client of the admin API of a running tether, so that every
//! change goes through the same validation, policy checks and audit as any
//! other API call.

pub mod dev;
pub mod jira;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::config::{Config, ConfigError};

/// Where the API is and who is calling.
#[derive(Debug, clap::Args)]
pub struct Remote {
    /// The tether server (default: the configured public_url).
    #[arg(long, global = true, value_name = "URL")]
    url: Option<String>,
    /// An API token (tether-api-…).
    #[arg(
        long,
        global = true,
        env = "TETHER_API_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<String>,
    /// Print the API's JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum FlagsCommand {
    /// List a project's flags and their state per environment.
    List {
        #[arg(long)]
        project: String,
    },
    /// Show one flag.
    Get {
        #[arg(long)]
        project: String,
        key: String,
    },
    /// Create a flag (off in every environment).
    Create {
        #[arg(long)]
        project: String,
        #[arg(long)]
        key: String,
        #[arg(long)]
        name: String,
        /// boolean, string, number or json.
        #[arg(long, default_value = "boolean")]
        kind: String,
        /// A variation as KEY=JSON (repeatable); booleans get on=true and off=false.
        #[arg(long = "variation", value_name = "KEY=JSON")]
        variations: Vec<String>,
        #[arg(long = "tag")]
        tags: Vec<String>,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Replace a flag's definition, or one environment's configuration, from a JSON file
    /// in the API's format (see /api/openapi.json).
    Update {
        #[arg(long)]
        project: String,
        /// Replace this environment's configuration instead of the definition.
        #[arg(long)]
        env: Option<String>,
        #[arg(long, value_name = "FILE")]
        file: std::path::PathBuf,
        key: String,
    },
    /// Turn a flag on or off in an environment (flip it when neither is given).
    Toggle {
        #[arg(long)]
        project: String,
        #[arg(long)]
        env: String,
        #[arg(long, conflicts_with = "off")]
        on: bool,
        #[arg(long)]
        off: bool,
        key: String,
    },
    /// Delete a flag.
    Delete {
        #[arg(long)]
        project: String,
        key: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ProjectsCommand {
    /// List the projects the token may see.
    List,
    /// Show one project.
    Get { key: String },
    /// Create a project (development, staging, production; production primary).
    Create {
        #[arg(long)]
        key: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum EnvironmentsCommand {
    /// List a project's environments.
    List {
        #[arg(long)]
        project: String,
    },
    /// Add an environment: every flag off (serving its off variation), or with
    /// another environment's flag configurations.
    Create {
        #[arg(long)]
        project: String,
        #[arg(long)]
        key: String,
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
        #[arg(long)]
        project: String,
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
        env: String,
    },
    /// Delete an environment with its flag configurations and SDK keys.
    Delete {
        #[arg(long)]
        project: String,
        /// The project version the change is based on (refused if it moved).
        #[arg(long, value_name = "VERSION")]
        if_match: Option<i64>,
        env: String,
    },
}

/// A client of a running tether's admin API: the CLI's, and the demo's own
/// calls to the server it started.
pub(crate) struct Api {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    /// The API at `base`, called with `token`.
    pub(crate) fn at(base: &str, token: &str) -> Api {
        Api {
            base: base.trim_end_matches('/').to_owned(),
            token: token.trim().to_owned(),
            http: reqwest::Client::new(),
        }
    }

    fn new(remote: &Remote, config: &Config) -> Result<Api> {
        let token = remote.token.clone().filter(|t| !t.trim().is_empty()).ok_or_else(|| {
            ConfigError("an API token is needed: --token or TETHER_API_TOKEN (make one with `tether tokens create`)".into())
        })?;
        let base = remote.url.clone().unwrap_or_else(|| config.public_url());
        Ok(Api::at(&base, &token))
    }

    /// Sends a request; an API error becomes an error naming its code and field.
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        self.send(method, path, body, None).await
    }

    /// Sends a request without a body, based on a version (`If-Match`) if given.
    async fn call_if_match(
        &self,
        method: reqwest::Method,
        path: &str,
        version: Option<i64>,
    ) -> Result<Value> {
        self.send(method, path, None, version).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        if_match: Option<i64>,
    ) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(method.clone(), &url).bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        if let Some(version) = if_match {
            req = req.header(reqwest::header::IF_MATCH, format!("\"{version}\""));
        }
        let r =
            req.send().await.with_context(|| format!("cannot reach tether at {}", self.base))?;
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        let value: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status.is_success() {
            return Ok(value);
        }
        let message =
            value["message"].as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
        match value["field"].as_str() {
            Some(field) if !field.is_empty() => {
                bail!("{method} {path}: {status}: {field}: {message}")
            }
            _ => bail!("{method} {path}: {status}: {message}"),
        }
    }
}

fn print(json: bool, value: &Value, table: impl FnOnce(&Value)) {
    if json {
        println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
    } else {
        table(value);
    }
}

fn flag_line(f: &Value) -> String {
    let states: Vec<String> = f["environments"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{}={}",
                e["env"].as_str().unwrap_or("?"),
                if e["on"].as_bool() == Some(true) { "on" } else { "off" }
            )
        })
        .collect();
    format!(
        "{:<28} {:<8} v{:<4} {}",
        f["key"].as_str().unwrap_or(""),
        f["kind"].as_str().unwrap_or(""),
        f["version"],
        states.join(" ")
    )
}

pub async fn flags(remote: Remote, config: &Config, command: FlagsCommand) -> Result<()> {
    let api = Api::new(&remote, config)?;
    let json = remote.json;
    use reqwest::Method;
    match command {
        FlagsCommand::List { project } => {
            let flags =
                api.call(Method::GET, &format!("/api/projects/{project}/flags"), None).await?;
            print(json, &flags, |v| {
                for f in v.as_array().into_iter().flatten() {
                    println!("{}", flag_line(f));
                }
            });
        }
        FlagsCommand::Get { project, key } => {
            let flag = api
                .call(Method::GET, &format!("/api/projects/{project}/flags/{key}"), None)
                .await?;
            print(json, &flag, |f| {
                println!(
                    "{} ({}): {}",
                    f["name"].as_str().unwrap_or(""),
                    f["key"].as_str().unwrap_or(""),
                    f["description"].as_str().unwrap_or("")
                );
                println!("{}", flag_line(f));
                println!(
                    "last saved {} by {}",
                    f["updated_at"],
                    f["updated_by"].as_str().unwrap_or("")
                );
            });
        }
        FlagsCommand::Create { project, key, name, kind, variations, tags, description } => {
            let variations = parse_variations(&kind, &variations)?;
            let body = json!({"key": key, "name": name, "kind": kind, "variations": variations, "tags": tags, "description": description});
            let flag = api
                .call(Method::POST, &format!("/api/projects/{project}/flags"), Some(body))
                .await?;
            print(json, &flag, |f| println!("created {}", flag_line(f)));
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
            print(json, &saved, |v| println!("saved {key}, version {}", v["version"]));
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
                let state = if v["on"].as_bool() == Some(true) { "on" } else { "off" };
                println!("{key} is {state} in {env} (version {})", v["version"]);
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

pub async fn projects(remote: Remote, config: &Config, command: ProjectsCommand) -> Result<()> {
    let api = Api::new(&remote, config)?;
    let json = remote.json;
    use reqwest::Method;
    let line = |p: &Value| {
        let envs: Vec<&str> = p["environments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["key"].as_str())
            .collect();
        format!(
            "{:<20} {:<30} {}",
            p["key"].as_str().unwrap_or(""),
            p["name"].as_str().unwrap_or(""),
            envs.join(",")
        )
    };
    match command {
        ProjectsCommand::List => {
            let v = api.call(Method::GET, "/api/projects", None).await?;
            print(json, &v, |v| {
                v.as_array().into_iter().flatten().for_each(|p| println!("{}", line(p)))
            });
        }
        ProjectsCommand::Get { key } => {
            let v = api.call(Method::GET, &format!("/api/projects/{key}"), None).await?;
            print(json, &v, |p| println!("{}", line(p)));
        }
        ProjectsCommand::Create { key, name } => {
            let v = api
                .call(Method::POST, "/api/projects", Some(json!({"key": key, "name": name})))
                .await?;
            print(json, &v, |p| println!("created {}", line(p)));
        }
    }
    Ok(())
}

fn environment_line(e: &Value) -> String {
    format!(
        "{:<20} {:<24} {:<12} {}",
        e["key"].as_str().unwrap_or(""),
        e["name"].as_str().unwrap_or(""),
        e["kind"].as_str().unwrap_or(""),
        if e["primary"].as_bool() == Some(true) { "primary" } else { "" }
    )
    .trim_end()
    .to_owned()
}

pub async fn environments(
    remote: Remote,
    config: &Config,
    command: EnvironmentsCommand,
) -> Result<()> {
    let api = Api::new(&remote, config)?;
    let json = remote.json;
    use reqwest::Method;
    let base = |project: &str| format!("/api/projects/{project}/environments");
    match command {
        EnvironmentsCommand::List { project } => {
            let v = api.call(Method::GET, &base(&project), None).await?;
            print(json, &v, |v| {
                v.as_array().into_iter().flatten().for_each(|e| println!("{}", environment_line(e)))
            });
        }
        EnvironmentsCommand::Create { project, key, name, kind, primary, copy_from } => {
            let mut body = json!({"key": key, "name": name, "kind": kind, "primary": primary});
            if let Some(from) = copy_from {
                body["copy_from"] = json!(from);
            }
            let v = api.call(Method::POST, &base(&project), Some(body)).await?;
            print(json, &v, |e| println!("created {}", environment_line(e)));
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
            print(json, &v, |e| println!("saved {}", environment_line(e)));
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
