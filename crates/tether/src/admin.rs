//! Operator commands that act on the database directly, like `migrate`: they
//! work before any API token exists (`tether tokens create` makes the first).

use anyhow::{Context, Result, bail};
use tether_store::{NewToken, Store, TokenInfo};

use crate::config::ConfigError;

/// The member that owns tokens made from the command line unless told otherwise;
/// created with the admin role on first use.
pub const DEFAULT_MEMBER: &str = "admin";

#[derive(Debug, clap::Subcommand)]
pub enum TokensCommand {
    /// Create an API access token and print it (shown this once).
    Create {
        /// A name that says what the token is for.
        #[arg(long)]
        name: String,
        /// Role names (built-in: reader, writer, admin, jira-integration); repeatable.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The member the token belongs to; its roles bound the token.
        #[arg(long, default_value = DEFAULT_MEMBER)]
        member: String,
        /// `personal` or `service`.
        #[arg(long, default_value = "service")]
        kind: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List tokens (never their secrets).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id.
    Revoke {
        /// The token's id (`tether tokens list` shows it).
        id: i64,
    },
}

pub async fn tokens(store: &Store, command: TokensCommand) -> Result<()> {
    match command {
        TokensCommand::Create { name, roles, member, kind, json } => {
            let (info, secret) = create_token(store, &name, &roles, &member, &kind).await?;
            if json {
                let mut v = token_json(&info);
                v["token"] = secret.into();
                crate::output::print_json(&v);
            } else {
                eprintln!(
                    "created token {} ({}), roles {}; it is shown this once:",
                    info.id,
                    info.name,
                    info.roles.join(", ")
                );
                println!("{secret}");
            }
            Ok(())
        }
        TokensCommand::List { json } => {
            let tokens = store.list_tokens().await?;
            let list = serde_json::Value::Array(tokens.iter().map(token_json).collect());
            if json {
                crate::output::print_json(&list);
            } else {
                println!("{}", tokens_table(&tokens));
            }
            Ok(())
        }
        TokensCommand::Revoke { id } => {
            if store.revoke_token(id, "cli").await? {
                println!("revoked token {id}");
                Ok(())
            } else {
                bail!("no live token with id {id}")
            }
        }
    }
}

/// Creates a token for `member` (creating the default member on first use).
pub async fn create_token(
    store: &Store,
    name: &str,
    roles: &[String],
    member: &str,
    kind: &str,
) -> Result<(TokenInfo, String)> {
    if !matches!(kind, "personal" | "service") {
        return Err(
            ConfigError(format!("--kind: expected personal or service, got {kind:?}")).into()
        );
    }
    for role in roles {
        if !tether_policy::Role::BUILT_IN.contains(&role.as_str())
            && store.role_statements(role).await?.is_none()
        {
            return Err(ConfigError(format!("--role: no role named {role:?}")).into());
        }
    }
    if store.member_roles(member).await?.is_none() {
        if member != DEFAULT_MEMBER {
            return Err(ConfigError(format!("--member: no member named {member:?}")).into());
        }
        store.put_member(DEFAULT_MEMBER, &["admin".to_owned()], "cli").await?;
    }
    let new = NewToken {
        name: name.to_owned(),
        kind: kind.to_owned(),
        member: member.to_owned(),
        created_by: None,
        roles: roles.to_vec(),
    };
    store.create_token(&new, "cli").await.context("cannot create the token")
}

fn tokens_table(tokens: &[TokenInfo]) -> String {
    let zone = crate::output::local_zone();
    let when = |ms: Option<i64>| ms.map(|ms| crate::output::local_time(ms, &zone));
    let mut t = crate::output::Table::new(&[
        "id",
        "name",
        "kind",
        "member",
        "roles",
        "ends with",
        "last used",
        "state",
    ]);
    for token in tokens {
        let state = match when(token.revoked_at) {
            Some(at) => format!("revoked {at}"),
            None => "live".to_owned(),
        };
        t.row([
            token.id.to_string(),
            token.name.clone(),
            token.kind.clone(),
            token.member.clone(),
            token.roles.join(","),
            format!("…{}", token.hint),
            when(token.last_used_at).unwrap_or_else(|| "never".to_owned()),
            state,
        ]);
    }
    t.render("no tokens yet (create one with `tether tokens create`)")
}

fn token_json(t: &TokenInfo) -> serde_json::Value {
    serde_json::json!({
        "id": t.id, "name": t.name, "kind": t.kind, "member": t.member, "roles": t.roles,
        "hint": t.hint, "created_at": t.created_at, "revoked_at": t.revoked_at, "last_used_at": t.last_used_at,
    })
}
