//! `tether jira sites|track|untrack|link|unlink|links` and `tether issues`: the
//! Jira side of the admin API from the command line. Secrets are never taken as
//! arguments (shell history, `ps`): they come from an environment variable, a
//! file, or standard input.

use std::io::Read;

use anyhow::{Context, Result, bail};
use reqwest::Method;
use serde_json::{Value, json};
use tether_jira::percent_encode;

use super::{Api, Remote, print, s};
use crate::config::{Config, ConfigError};
use crate::output::Table;

/// `tether jira …` (the commands that go through a running tether's API).
#[derive(Debug, clap::Subcommand)]
pub enum JiraCommand {
    /// Register, list, test and remove Jira sites.
    Sites {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        command: SitesCommand,
    },
    /// Point a project at a Jira site and choose the environments Jira shows.
    Track {
        #[command(flatten)]
        remote: Remote,
        /// The project's key.
        #[arg(long)]
        project: String,
        /// The Jira site's name in tether (`tether jira sites list`).
        #[arg(long)]
        site: String,
        /// An environment to show in Jira (repeatable; default: the production ones).
        #[arg(long = "env", value_name = "ENV")]
        envs: Vec<String>,
        /// The environment whose state is the issue's summary (default: the project's primary).
        #[arg(long, value_name = "ENV")]
        primary: Option<String>,
    },
    /// Stop a project reporting to Jira.
    Untrack {
        #[command(flatten)]
        remote: Remote,
        /// The project's key.
        #[arg(long)]
        project: String,
    },
    /// Link a flag to a Jira issue (the issue is checked against Jira first).
    Link {
        #[command(flatten)]
        remote: Remote,
        /// The project's key.
        #[arg(long)]
        project: String,
        /// The flag's key.
        flag: String,
        /// The Jira issue's key, e.g. SHOP-12.
        issue: String,
    },
    /// Remove a flag's link to a Jira issue.
    Unlink {
        #[command(flatten)]
        remote: Remote,
        /// The project's key.
        #[arg(long)]
        project: String,
        /// The flag's key.
        flag: String,
        /// The Jira issue's key, e.g. SHOP-12.
        issue: String,
    },
    /// A flag's linked issues and its delivery state in Jira.
    Links {
        #[command(flatten)]
        remote: Remote,
        /// The project's key.
        #[arg(long)]
        project: String,
        /// The flag's key.
        flag: String,
    },
    /// Re-send or check what a site holds (directly on the database, not the API).
    #[command(flatten)]
    Maintenance(crate::jira_cmd::JiraMaintenance),
    /// Print tether's Forge app manifest (forge/manifest.yml) for this tether's address.
    ForgeManifest {
        /// tether's address as Jira's users and Forge reach it (default: public_url).
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
        /// The app id `forge register` gave (default: jira.forge_app_id, else a placeholder).
        #[arg(long, value_name = "ID")]
        app_id: Option<String>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum SitesCommand {
    /// List the Jira sites (never their secrets).
    List,
    /// Register a site; for Jira Cloud, with OAuth credentials (--kind oauth2).
    ///
    /// Jira Cloud: a site admin creates OAuth credentials in Jira (Settings → Apps →
    /// OAuth credentials → Create credentials) with the permissions "Feature flags"
    /// (flags on issues) and "Development information" (commits and pull requests),
    /// then: --kind oauth2 --user <client id>, the client secret as the secret.
    /// OAuth credentials reach only those DevOps APIs; add an Atlassian account's
    /// API token beside them (--email, --api-token-env) for what needs Jira's other
    /// APIs: checking issue keys, the tether.flags issue property behind JQL, and
    /// comments and transitions from code. An API token alone (--kind api_token)
    /// reads and links issues but cannot show flags: Jira Cloud's Feature Flags API
    /// takes OAuth credentials or an installed app only. Jira Data Center: --kind
    /// pat (or password, oauth1).
    ///
    /// The secret (client secret, API token, password, personal access token, or
    /// the RSA private key for oauth1) is read from --secret-env, --secret-file, or
    /// else standard input. Run `tether jira sites test NAME` afterwards: it says
    /// what is missing.
    Add {
        /// The name tether calls the site by, e.g. acme.
        name: String,
        /// The Jira URL people open, e.g. https://acme.atlassian.net.
        #[arg(long, value_name = "URL")]
        jira_url: String,
        #[command(flatten)]
        credentials: Box<SiteCredentials>,
    },
    /// Test the connection to a site; exits 1 when it found problems.
    Test {
        /// The site's name.
        name: String,
        /// A Jira project key to check permissions in (repeatable).
        #[arg(long = "jira-project", value_name = "KEY")]
        projects: Vec<String>,
    },
    /// Remove a site (refused while a project reports to it).
    Remove {
        /// The site's name.
        name: String,
    },
}

/// How tether logs in to a site (`jira sites add`, `jira migrate-site`).
#[derive(Debug, clap::Args)]
pub struct SiteCredentials {
    /// oauth2 (Jira Cloud's OAuth credentials), api_token, pat, password or oauth1.
    #[arg(long)]
    kind: String,
    /// The client id (oauth2), email (api_token), username (password) or consumer key (oauth1).
    #[arg(long, default_value = "")]
    user: String,
    /// Read the secret from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "secret_file")]
    secret_env: Option<String>,
    /// Read the secret from this file.
    #[arg(long, value_name = "FILE")]
    secret_file: Option<std::path::PathBuf>,
    /// oauth1: read the access token from this environment variable.
    #[arg(long, value_name = "VAR")]
    access_token_env: Option<String>,
    /// oauth2: the email of the Atlassian account whose API token goes beside the
    /// OAuth credentials.
    #[arg(long, requires = "api_token_env")]
    email: Option<String>,
    /// oauth2: read that account's API token from this environment variable.
    #[arg(long, value_name = "VAR", requires = "email")]
    api_token_env: Option<String>,
    /// Where API calls go, when not the Jira URL.
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// oauth2: the token endpoint (default Atlassian's).
    #[arg(long)]
    token_url: Option<String>,
    /// oauth2: the API gateway (default Atlassian's).
    #[arg(long)]
    gateway_url: Option<String>,
}

impl SiteCredentials {
    /// The site JSON the API takes (`POST /api/jira/sites`), the secret read as the
    /// options say.
    pub fn body(self, name: &str, url: &str) -> Result<Value> {
        let secret = read_secret(self.secret_env.as_deref(), self.secret_file.as_deref())?;
        let mut body = json!({"name": name, "url": url, "kind": self.kind, "user": self.user, "secret": secret});
        if let Some(var) = self.access_token_env {
            body["access_token"] = json!(read_env(&var, "--access-token-env")?);
        }
        if let (Some(email), Some(var)) = (self.email, self.api_token_env) {
            body["email"] = json!(email);
            body["api_token"] = json!(read_env(&var, "--api-token-env")?);
        }
        if let Some(u) = self.api_url {
            body["api_url"] = json!(u);
        }
        let mut options = serde_json::Map::new();
        if let Some(u) = self.token_url {
            options.insert("token_url".into(), json!(u));
        }
        if let Some(u) = self.gateway_url {
            options.insert("gateway_url".into(), json!(u));
        }
        body["options"] = Value::Object(options);
        Ok(body)
    }
}

/// `tether issues`'s options.
#[derive(Debug, clap::Args)]
pub struct IssuesArgs {
    /// Only issues linked to this flag key.
    #[arg(long)]
    flag: Option<String>,
    /// Only issues whose flag is on (true) or off (false) in the primary environment.
    #[arg(long, value_name = "true|false")]
    enabled: Option<bool>,
    /// Only this project's links.
    #[arg(long)]
    project: Option<String>,
}

fn read_env(var: &str, what: &str) -> Result<String> {
    std::env::var(var)
        .map_err(|_| ConfigError(format!("{what}: environment variable {var} is not set")).into())
}

fn read_secret(env: Option<&str>, file: Option<&std::path::Path>) -> Result<String> {
    let text = match (env, file) {
        (Some(var), _) => read_env(var, "--secret-env")?,
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?,
        (None, None) => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the secret from stdin")?;
            text
        }
    };
    let text = text.trim_end_matches(['\n', '\r']).to_owned();
    if text.trim().is_empty() {
        return Err(ConfigError("the secret is empty".into()).into());
    }
    Ok(text)
}

fn deployment(site: &Value) -> &'static str {
    match s(&site["deployment"]) {
        "cloud" => "Cloud",
        "dc" => "Data Center",
        _ => "not yet detected",
    }
}

fn sites_table(sites: &[&Value]) -> String {
    let mut t = Table::new(&["name", "kind", "jira url", "deployment", "state"]);
    for site in sites {
        let state = if site["enabled"] == false { "disabled: Connect app uninstalled" } else { "" };
        t.row([s(&site["name"]), s(&site["kind"]), s(&site["url"]), deployment(site), state]);
    }
    t.render("no Jira sites yet (add one with `tether jira sites add`)")
}

fn tracking_line(t: &Value) -> String {
    let tracked: Vec<String> = t["tracked"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| if e == &t["primary"] { format!("{} (primary)", s(e)) } else { s(e).to_owned() })
        .collect();
    format!("{} reports to {}; Jira shows {}", s(&t["project"]), s(&t["site"]), tracked.join(", "))
}

fn issue_line(i: &Value) -> String {
    let unknown = if i["unknown"] == true { "  (unknown to Jira)" } else { "" };
    format!(
        "{:<12} {:<14} {}{unknown}",
        s(&i["key"]),
        s(&i["status"]),
        i["summary"].as_str().unwrap_or("(not read from Jira yet)")
    )
}

pub async fn jira(config: &Config, command: JiraCommand) -> Result<()> {
    let remote = match &command {
        JiraCommand::Sites { remote, .. }
        | JiraCommand::Track { remote, .. }
        | JiraCommand::Untrack { remote, .. }
        | JiraCommand::Link { remote, .. }
        | JiraCommand::Unlink { remote, .. }
        | JiraCommand::Links { remote, .. } => remote,
        JiraCommand::Maintenance(_) | JiraCommand::ForgeManifest { .. } => {
            unreachable!("main runs these without the API")
        }
    };
    let api = Api::new(remote, config)?;
    let json = remote.json;
    match command {
        JiraCommand::Sites { command, .. } => sites(&api, json, command).await?,
        JiraCommand::Track { project, site, envs, primary, .. } => {
            let mut body = json!({"site": site});
            if !envs.is_empty() {
                body["environments"] = json!(envs);
            }
            if let Some(p) = primary {
                body["primary_environment"] = json!(p);
            }
            let t =
                api.call(Method::PUT, &format!("/api/projects/{project}/jira"), Some(body)).await?;
            print(json, &t, |t| println!("{}", tracking_line(t)));
        }
        JiraCommand::Untrack { project, .. } => {
            api.call(Method::DELETE, &format!("/api/projects/{project}/jira"), None).await?;
            if !json {
                println!("{project} reports to no Jira site now");
            }
        }
        JiraCommand::Link { project, flag, issue, .. } => {
            let path = format!("/api/projects/{project}/flags/{flag}/issues");
            let i = api.call(Method::POST, &path, Some(json!({"issue": issue}))).await?;
            print(json, &i, |i| {
                // Empty when the site's OAuth credentials could not ask Jira about the issue.
                let seen = match (s(&i["summary"]), s(&i["status"])) {
                    ("", "") => String::new(),
                    (summary, status) => format!(" ({summary}, {status})"),
                };
                println!("linked {}{seen} to {flag}", s(&i["key"]))
            });
        }
        JiraCommand::Unlink { project, flag, issue, .. } => {
            let path =
                format!("/api/projects/{project}/flags/{flag}/issues/{}", percent_encode(&issue));
            api.call(Method::DELETE, &path, None).await?;
            if !json {
                println!("unlinked {} from {flag}", issue.trim().to_ascii_uppercase());
            }
        }
        JiraCommand::Links { project, flag, .. } => {
            let path = format!("/api/projects/{project}/flags/{flag}/issues");
            let v = api.call(Method::GET, &path, None).await?;
            print(json, &v, |v| {
                match v["site"]["name"].as_str() {
                    Some(site) => println!("{flag} on {site}:"),
                    None => println!("{flag}: its project reports to no Jira site"),
                }
                for i in v["issues"].as_array().into_iter().flatten() {
                    println!("  {}", issue_line(i));
                }
                let sync = &v["sync"];
                if !sync.is_null() {
                    println!("delivery: {}", s(&sync["state"]));
                    let unknown =
                        sync["unknown_issue_keys"].as_array().cloned().unwrap_or_default();
                    if !unknown.is_empty() {
                        let keys: Vec<&str> = unknown.iter().map(s).collect();
                        println!("  Jira does not know: {}", keys.join(", "));
                    }
                    for f in sync["failures"].as_array().into_iter().flatten() {
                        let messages: Vec<&str> =
                            f["messages"].as_array().into_iter().flatten().map(s).collect();
                        println!("  refused: {}", messages.join("; "));
                    }
                    if let Some(e) = sync["last_error"].as_str() {
                        println!("  last error: {e}");
                    }
                }
            });
        }
        JiraCommand::Maintenance(_) | JiraCommand::ForgeManifest { .. } => {
            unreachable!("main runs these without the API")
        }
    }
    Ok(())
}

async fn sites(api: &Api, json: bool, command: SitesCommand) -> Result<()> {
    match command {
        SitesCommand::List => {
            let v = api.call(Method::GET, "/api/jira/sites", None).await?;
            print(json, &v, |v| {
                println!("{}", sites_table(&v.as_array().into_iter().flatten().collect::<Vec<_>>()))
            });
        }
        SitesCommand::Add { name, jira_url, credentials } => {
            let body = credentials.body(&name, &jira_url)?;
            let v = api.call(Method::POST, "/api/jira/sites", Some(body)).await?;
            print(json, &v, |v| {
                println!(
                    "added {} ({}, {}, deployment {})",
                    s(&v["name"]),
                    s(&v["kind"]),
                    s(&v["url"]),
                    deployment(v)
                )
            });
        }
        SitesCommand::Test { name, projects } => {
            let body = if projects.is_empty() { None } else { Some(json!({"projects": projects})) };
            let r = api.call(Method::POST, &format!("/api/jira/sites/{name}/test"), body).await?;
            print(json, &r, |r| {
                let what = match s(&r["deployment"]) {
                    "cloud" => "Jira Cloud",
                    "dc" => "Jira Data Center",
                    _ => "Jira",
                };
                let version = r["version"].as_str().map(|v| format!(" {v}")).unwrap_or_default();
                let account = r["account"].as_str().map(|a| format!(" as {a}")).unwrap_or_default();
                let verdict = if r["ok"] == true { "ok" } else { "problems" };
                println!("{name}: {verdict}: {what}{version}{account}");
                for c in r["checked"].as_array().into_iter().flatten() {
                    println!("  checked: {}", s(c));
                }
                for m in r["messages"].as_array().into_iter().flatten() {
                    println!("  - {}", s(m));
                }
                for l in r["limits"].as_array().into_iter().flatten() {
                    println!("  note: {}", s(l));
                }
            });
            if r["ok"] != true {
                bail!("the connection test of {name} found problems");
            }
        }
        SitesCommand::Remove { name } => {
            api.call(Method::DELETE, &format!("/api/jira/sites/{name}"), None).await?;
            if !json {
                println!("removed {name}");
            }
        }
    }
    Ok(())
}

pub async fn issues(remote: Remote, config: &Config, args: IssuesArgs) -> Result<()> {
    let api = Api::new(&remote, config)?;
    let mut query = Vec::new();
    if let Some(f) = &args.flag {
        query.push(format!("flag={}", percent_encode(f)));
    }
    if let Some(e) = args.enabled {
        query.push(format!("enabled={e}"));
    }
    if let Some(p) = &args.project {
        query.push(format!("project={}", percent_encode(p)));
    }
    let path = if query.is_empty() {
        "/api/issues".to_owned()
    } else {
        format!("/api/issues?{}", query.join("&"))
    };
    let v = api.call(Method::GET, &path, None).await?;
    print(remote.json, &v, |v| {
        let mut t = Table::new(&["issue", "status", "summary", "flags"]);
        for i in v.as_array().into_iter().flatten() {
            let flags: Vec<String> = i["flags"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    let state = if f["enabled"] == true { "on" } else { "off" };
                    format!("{}/{}={state}", s(&f["project"]), s(&f["flag"]))
                })
                .collect();
            t.row([s(&i["issue"]), s(&i["status"]), s(&i["summary"]), &flags.join(" ")]);
        }
        println!(
            "{}",
            t.render("no issues are linked to flags (link one with `tether jira link`)")
        );
    });
    Ok(())
}
