//! The `tether` binary: command line, configuration, logging, and the server's
//! life cycle. The only crate that reads environment variables, files and signals.

/// mimalloc instead of glibc's malloc: a request on the OFREP hot path allocates a few
/// dozen small blocks across threads, where glibc spent about a tenth of the server's CPU
/// (perf); see README "OFREP at the HTTP floor" for the figures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod admin;
mod client;
mod config;
mod dblock;
mod demo;
mod demo_code;
mod git;
mod ingest_cmd;
mod jira_cmd;
mod output;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand};

use crate::config::{ConfigError, LogFormat};

/// Feature flags and code changes tied to Jira issues, with Jira's data brought home.
#[derive(Debug, Parser)]
#[command(name = "tether", version, about, propagate_version = true)]
struct Cli {
    /// Configuration file (default: ./tether.toml if it exists).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log output format; overrides `log_format` from the configuration.
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (applies pending migrations first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Try tether on its embedded defaults: SQLite in ./tether-data, sample projects, and
    /// bundled Jira sandboxes (Cloud and Data Center) their flags report to.
    Demo(demo::DemoArgs),
    /// Manage flags through a running tether's API.
    #[command(after_help = client::flags::VERSIONS_HELP)]
    Flags {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        command: client::flags::FlagsCommand,
    },
    /// Manage projects through a running tether's API.
    Projects {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        command: client::projects::ProjectsCommand,
    },
    /// Custom roles (and which roles a token has) through a running tether's API.
    Roles {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        command: client::roles::RolesCommand,
    },
    /// Manage a project's environments through a running tether's API.
    Environments {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        command: client::projects::EnvironmentsCommand,
    },
    /// Create, list and revoke the SDK keys applications evaluate flags with, through a
    /// running tether's API.
    SdkKeys {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        command: client::projects::SdkKeysCommand,
    },
    /// Jira sites, which site and environments a project reports to, and flag ↔
    /// issue links (through a running tether's API); backfill and reconcile a
    /// site (on the database).
    Jira {
        #[command(subcommand)]
        command: client::jira::JiraCommand,
    },
    /// Issues linked to flags, through a running tether's API.
    Issues {
        #[command(flatten)]
        remote: client::Remote,
        #[command(flatten)]
        args: client::jira::IssuesArgs,
    },
    /// JQL over the ingested tickets (Jira's fields and tether's: flag, flagEnabled,
    /// flagState[env], "commit", repository, pullRequest, development[…]), through a running
    /// tether's API.
    Search {
        #[command(flatten)]
        remote: client::Remote,
        #[command(flatten)]
        args: client::search::SearchArgs,
    },
    /// Code repositories (GitHub and GitLab webhooks, local clones) whose commits and merge
    /// requests reach their Jira issues, through a running tether's API.
    Repos {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        command: client::dev::ReposCommand,
    },
    /// What a text says about Jira issues (keys, closing words, Smart Commits); reads
    /// standard input when no text is given, so it fits a git commit-msg hook.
    Refs {
        #[command(subcommand)]
        command: RefsCommand,
    },
    /// Code scanners' findings (SARIF) and the Jira issues made from them.
    Findings {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        command: client::dev::FindingsCommand,
    },
    /// Ticket ingestion from Jira: status, run now (with progress), pause, resume, remove
    /// data (on the database, whether or not a server runs).
    Ingest {
        #[command(subcommand)]
        command: ingest_cmd::IngestCommand,
    },
    /// Create, list and revoke API access tokens (on the database, so the first token can
    /// be made before any exists).
    Tokens {
        #[command(subcommand)]
        command: admin::TokensCommand,
    },
    /// Run the bundled Jira-compatible sandbox on its own (for trying tether or a Jira client).
    JiraSandbox(run::SandboxArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
enum RefsCommand {
    /// Print the keys, closing intents and Smart Commit commands of a text.
    Extract(client::dev::RefsArgs),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate the configuration and print the effective values, secrets redacted.
    Check,
}

fn main() -> ExitCode {
    output::quiet_on_closed_pipe();
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", cause_chain(&err));
            if err.downcast_ref::<ConfigError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// `outer: inner: innermost`, leaving out a cause whose text the message before
/// it already includes (some libraries print their source in their own message).
fn cause_chain(err: &anyhow::Error) -> String {
    let mut out = String::new();
    let mut previous = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !previous.is_empty() && previous.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
        previous = text;
    }
    out
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    if let Command::Completions { shell } = cli.command {
        let mut cmd = Cli::command();
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut cmd, "tether", &mut script);
        return output::write_stdout(&script).context("cannot write the completion script");
    }
    if let Command::Refs { command: RefsCommand::Extract(args) } = cli.command {
        let require = args.require();
        let found = client::dev::refs(args)?;
        if require && !found {
            anyhow::bail!("the text mentions no Jira issue key");
        }
        return Ok(());
    }
    if let Command::JiraSandbox(args) = cli.command {
        return run::runtime()?.block_on(run::jira_sandbox(args));
    }
    let mut config = config::Config::load(cli.config.as_deref())?;
    if let Some(format) = cli.log_format {
        config.log_format = format;
    }
    match cli.command {
        Command::Config { command: ConfigCommand::Check } => run::config_check(&config),
        Command::Serve => run::runtime()?.block_on(run::serve(config)),
        Command::Migrate => run::runtime()?.block_on(run::migrate(config)),
        Command::Demo(args) => run::runtime()?.block_on(demo::demo(config, args)),
        Command::Flags { remote, command } => {
            run::runtime()?.block_on(client::flags::flags(remote, &config, command))
        }
        Command::Projects { remote, command } => {
            run::runtime()?.block_on(client::projects::projects(remote, &config, command))
        }
        Command::Roles { remote, command } => {
            run::runtime()?.block_on(client::roles::roles(remote, &config, command))
        }
        Command::Environments { remote, command } => {
            run::runtime()?.block_on(client::projects::environments(remote, &config, command))
        }
        Command::SdkKeys { remote, command } => {
            run::runtime()?.block_on(client::projects::sdk_keys(remote, &config, command))
        }
        Command::Jira { command: client::jira::JiraCommand::Maintenance(command) } => {
            let public_url = config.public_url();
            let outbound = config.outbound();
            run::runtime()?.block_on(run::with_existing_store(config, |store| async move {
                jira_cmd::run(&store, public_url, outbound, command).await
            }))
        }
        Command::Jira {
            command: client::jira::JiraCommand::ForgeManifest { public_url, app_id },
        } => {
            let url = public_url.unwrap_or_else(|| config.public_url());
            let configured =
                Some(config.jira.forge_app_id.clone()).filter(|a| !a.trim().is_empty());
            let app = app_id
                .or(configured)
                .unwrap_or_else(|| tether_server::FORGE_PLACEHOLDER_APP_ID.to_owned());
            print!("{}", tether_server::forge_manifest(&url, &app));
            Ok(())
        }
        Command::Jira { command } => run::runtime()?.block_on(client::jira::jira(&config, command)),
        Command::Search { remote, args } => {
            run::runtime()?.block_on(client::search::search(remote, &config, args))
        }
        Command::Issues { remote, args } => {
            run::runtime()?.block_on(client::jira::issues(remote, &config, args))
        }
        Command::Repos { command: client::dev::ReposCommand::Scan { name, now: true }, .. } => {
            run::runtime()?.block_on(run::with_store(config, |store| async move {
                client::dev::scan_now(&store, &name).await
            }))
        }
        Command::Repos { remote, command } => {
            run::runtime()?.block_on(client::dev::repos(remote, &config, command))
        }
        Command::Findings { remote, command } => {
            run::runtime()?.block_on(client::dev::findings(remote, &config, command))
        }
        Command::Ingest { command } => {
            let cfg = config.clone();
            run::runtime()?.block_on(run::with_existing_store(config, |store| async move {
                ingest_cmd::run(&cfg, &store, command).await
            }))
        }
        // Only `tokens create` may start a data folder: it makes the first token.
        Command::Tokens { command: command @ admin::TokensCommand::Create { .. } } => {
            run::runtime()?.block_on(run::with_store(config, |store| async move {
                admin::tokens(&store, command).await
            }))
        }
        Command::Tokens { command } => run::runtime()?
            .block_on(run::with_existing_store(config, |store| async move {
                admin::tokens(&store, command).await
            })),
        Command::Completions { .. } | Command::JiraSandbox(_) | Command::Refs { .. } => {
            unreachable!("handled above")
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every option and argument of every command says what it is for in `--help`.
    #[test]
    fn every_option_has_help_text() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", cmd.get_name());
            if cmd.get_about().is_none() {
                missing.push(format!("{path} (the command)"));
            }
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") || arg.get_help().is_some() {
                    continue;
                }
                missing.push(format!("{path} {id}"));
            }
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "", &mut missing);
        assert!(missing.is_empty(), "without help text:\n{}", missing.join("\n"));
    }
}
