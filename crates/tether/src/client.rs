//! The command-line client of a running tether's admin API (`tether flags …`,
//! `projects`, `environments`, `sdk-keys`, `roles`, `jira …`, `issues`), so that
//! every change goes through the same validation, policy checks and audit as any
//! other API call. Here: where the API is, who calls, and how answers print.

pub mod dev;
pub mod flags;
pub mod jira;
pub mod projects;
pub mod roles;
pub mod search;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::config::{Config, ConfigError};

/// Where the API is and who is calling.
#[derive(Debug, clap::Args)]
pub struct Remote {
    /// The tether server (default: the configured public_url; `tether demo` prints an
    /// `export TETHER_URL=…` line).
    #[arg(long, global = true, env = "TETHER_URL", value_name = "URL")]
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
            ConfigError(
                "an API token is needed: --token or TETHER_API_TOKEN (make one with `tether \
                 tokens create`; `tether demo` prints one)"
                    .into(),
            )
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
        let r = req.send().await.with_context(|| {
            format!(
                "cannot reach tether at {} (is it running? `tether serve` and `tether demo` \
                 print their URL; give it with --url or TETHER_URL)",
                self.base
            )
        })?;
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
        // Jira-shaped answers (`/api/search`) carry their messages in `errorMessages`.
        let jira_messages: Vec<&str> = value["errorMessages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let message = match value["message"].as_str() {
            Some(m) => m.to_owned(),
            None if !jira_messages.is_empty() => jira_messages.join(" "),
            None => value.to_string(),
        };
        match value["field"].as_str() {
            Some(field) if !field.is_empty() => {
                bail!("{method} {path}: {status}: {field}: {message}")
            }
            _ => bail!("{method} {path}: {status}: {message}"),
        }
    }
}

/// The API's JSON (`--json`, times as ISO 8601 with the local offset), or `table`'s text.
fn print(json: bool, value: &Value, table: impl FnOnce(&Value)) {
    if json {
        crate::output::print_json(value);
    } else {
        table(value);
    }
}

/// A JSON string's text, or nothing.
fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}
