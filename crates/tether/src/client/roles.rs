//! `tether roles …`: custom roles through a running tether's API. Statements are
//! written as on the `/roles` page, one a line (`allow updateOn on
//! proj/shop:env/*:flag/*`), from a file or standard input.

use std::path::PathBuf;

use anyhow::{Context, Result};
use reqwest::Method;
use serde_json::{Value, json};

use super::{Api, Remote, print};
use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum RolesCommand {
    /// List the built-in and custom roles the token may see.
    List,
    /// Show one role's statements (and who holds it).
    Get {
        /// The role's name.
        name: String,
    },
    /// Create or replace a custom role from statements, one a line.
    Put {
        /// The role's name: 1–64 lower-case letters, digits, `-`, `_` or `.`.
        name: String,
        /// A file of statements, one a line (`#` starts a comment); `-` reads stdin.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Delete a custom role nobody holds.
    Delete {
        /// The role's name.
        name: String,
    },
    /// Give an API token other roles (replacing its roles).
    Assign {
        /// The token's id (`tether tokens list` shows it).
        #[arg(value_name = "TOKEN_ID")]
        id: i64,
        /// A role to give; repeat for several.
        #[arg(long = "role", required = true, value_name = "ROLE")]
        roles: Vec<String>,
    },
}

/// Statements from the text form into the API's JSON, refusing a line that is
/// not one (the server says which part is wrong).
fn statements(text: &str) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let statement =
            tether_policy::Statement::parse(line).map_err(|e| anyhow::anyhow!("line {n}: {e}"))?;
        out.push(statement_json(&statement));
    }
    Ok(out)
}

fn statement_json(s: &tether_policy::Statement) -> Value {
    use tether_policy::{ActionSet, ResourceSet};
    let strings = |items: Vec<String>| Value::from(items);
    let mut v = json!({"effect": s.effect().name()});
    match s.actions() {
        ActionSet::Actions(a) => v["actions"] = strings(a.iter().map(|p| p.to_string()).collect()),
        ActionSet::NotActions(a) => {
            v["notActions"] = strings(a.iter().map(|p| p.to_string()).collect())
        }
    }
    match s.resources() {
        ResourceSet::Resources(r) => {
            v["resources"] = strings(r.iter().map(|p| p.to_string()).collect())
        }
        ResourceSet::NotResources(r) => {
            v["notResources"] = strings(r.iter().map(|p| p.to_string()).collect())
        }
    }
    v
}

fn show(role: &Value) {
    let built_in = if role["built_in"] == true { " (built-in)" } else { "" };
    println!("{}{built_in}", role["name"].as_str().unwrap_or(""));
    for line in role["text"].as_array().into_iter().flatten() {
        println!("  {}", line.as_str().unwrap_or(""));
    }
    if let Some(holders) = role["holders"].as_array() {
        let names: Vec<&str> = holders.iter().filter_map(Value::as_str).collect();
        let held = if names.is_empty() { "nobody".to_owned() } else { names.join(", ") };
        println!("  held by: {held}");
    }
}

pub async fn roles(remote: Remote, config: &Config, command: RolesCommand) -> Result<()> {
    let api = Api::new(&remote, config)?;
    let json = remote.json;
    match command {
        RolesCommand::List => {
            let v = api.call(Method::GET, "/api/roles", None).await?;
            print(json, &v, |v| v.as_array().into_iter().flatten().for_each(show));
        }
        RolesCommand::Get { name } => {
            let v = api.call(Method::GET, &format!("/api/roles/{name}"), None).await?;
            print(json, &v, show);
        }
        RolesCommand::Put { name, file } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).context("cannot read stdin")?
            } else {
                std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?
            };
            let body = json!({"statements": statements(&text)?});
            let v = api.call(Method::PUT, &format!("/api/roles/{name}"), Some(body)).await?;
            print(json, &v, show);
        }
        RolesCommand::Delete { name } => {
            api.call(Method::DELETE, &format!("/api/roles/{name}"), None).await?;
            if !json {
                println!("deleted {name}");
            }
        }
        RolesCommand::Assign { id, roles } => {
            let body = json!({"roles": roles});
            let v = api.call(Method::PUT, &format!("/api/tokens/{id}/roles"), Some(body)).await?;
            print(json, &v, |t| {
                let roles: Vec<&str> =
                    t["roles"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                println!(
                    "token {} ({}) now has: {}",
                    t["id"],
                    t["name"].as_str().unwrap_or(""),
                    roles.join(", ")
                );
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn statements_read_as_the_roles_page_writes_them() {
        let v = super::statements(
            "# comment\n\nallow viewProject on proj/shop\ndeny not updateOn on not proj/shop",
        )
        .unwrap();
        assert_eq!(
            serde_json::Value::from(v),
            serde_json::json!([
                {"effect": "allow", "actions": ["viewProject"], "resources": ["proj/shop"]},
                {"effect": "deny", "notActions": ["updateOn"], "notResources": ["proj/shop"]}
            ])
        );
        let err = super::statements("allow viewProject on proj/shop\nallow oops").unwrap_err();
        assert!(err.to_string().starts_with("line 2:"), "{err}");
    }
}
