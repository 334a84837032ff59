//! The `tether` binary: command line, configuration, logging, and the server's
//! life cycle. The only crate that reads environment variables, files and signals.

mod admin;
mod client;
mod config;
mod dblock;
mod demo;
mod git;
mod jira_cmd;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

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
    Flags {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        command: client::FlagsCommand,
    },
    /// Manage projects through a running tether's API.
    Projects {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        command: client::ProjectsCommand,
    },
    /// Manage a project's environments through a running tether's API.
    Environments {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        command: client::EnvironmentsCommand,
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
    /// Create, list and revoke API access tokens.
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
        clap_complete::generate(shell, &mut cmd, "tether", &mut std::io::stdout());
        return Ok(());
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
            run::runtime()?.block_on(client::flags(remote, &config, command))
        }
        Command::Projects { remote, command } => {
            run::runtime()?.block_on(client::projects(remote, &config, command))
        }
        Command::Environments { remote, command } => {
            run::runtime()?.block_on(client::environments(remote, &config, command))
        }
        Command::Jira { command: client::jira::JiraCommand::Maintenance(command) } => {
            let public_url = config.public_url();
            run::runtime()?.block_on(run::with_store(config, |store| async move {
                jira_cmd::run(&store, public_url, command).await
            }))
        }
        Command::Jira { command } => run::runtime()?.block_on(client::jira::jira(&config, command)),
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
        Command::Tokens { command } => run::runtime()?
            .block_on(run::with_store(config, |store| async move {
                admin::tokens(&store, command).await
            })),
        Command::Completions { .. } | Command::JiraSandbox(_) | Command::Refs { .. } => {
            unreachable!("handled above")
        }
    }
}
