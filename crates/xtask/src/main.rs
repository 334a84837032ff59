//! `cargo xtask`: the project's automation, in Rust. `cargo xtask tidy` checks the
//! source tree's house rules (the same check runs as a test); `cargo xtask bench ofrep`
//! load-tests tether's OFREP endpoints over loopback.

mod bench;
mod tidy;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "tether's project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks the source tree's house rules.
    Tidy,
    /// Benchmarks.
    #[command(subcommand)]
    Bench(bench::Bench),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Tidy => match tidy::check(&tidy::workspace_root()) {
            Ok(()) => {
                println!("tidy: ok");
                ExitCode::SUCCESS
            }
            Err(problems) => {
                for p in &problems {
                    eprintln!("{p}");
                }
                eprintln!("tidy: {} problem(s)", problems.len());
                ExitCode::FAILURE
            }
        },
        Command::Bench(bench) => match bench::run(bench) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}
