//! The product's integration tests: the `tether` binary as a user runs it.
//! Each test runs the real binary in a folder of its own, on loopback port 0.

mod browser;
mod cli;
mod client;
mod code_cli;
mod code_e2e;
mod demo;
mod demo_code;
mod examples;
mod ingest_cli;
mod ingest_kill;
mod jira_browser;
mod jira_cli;
mod jira_cmd;
mod jira_connect;
mod jira_kill;
mod lifecycle;
mod openfeature;
mod python_jira;
mod sandbox;
mod webhooks;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

pub const BIN: &str = env!("CARGO_BIN_EXE_tether");

/// A folder to run tether in, with the environment that keeps it there.
#[derive(Debug)]
pub struct Sandboxed {
    pub dir: tempfile::TempDir,
}

impl Default for Sandboxed {
    fn default() -> Self {
        Sandboxed::new()
    }
}

impl Sandboxed {
    pub fn new() -> Sandboxed {
        Sandboxed { dir: tempfile::tempdir().unwrap() }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `tether ARGS` in this folder, with no TETHER_* from the caller's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(self.path()).kill_on_drop(true);
        for (key, _) in std::env::vars() {
            if key.starts_with("TETHER_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("TETHER_LISTEN", "127.0.0.1:0");
        // Every Jira and webhook receiver these tests run is on loopback, which the
        // product refuses by default (the outbound tests say so without this).
        cmd.env("TETHER_OUTBOUND_ALLOW_LOOPBACK", "true");
        cmd
    }

    /// Runs to completion: (exit code, stdout, stderr).
    pub async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let out = self.command(args).envs(env.iter().copied()).output().await.unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Starts a long-running command and waits for it to print its URL.
    pub async fn start(&self, args: &[&str], env: &[(&str, &str)]) -> Running {
        let mut child = self
            .command(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        let mut running = Running { child, url: String::new(), stdout, stderr, read: Vec::new() };
        let line = loop {
            let line = running.stdout.recv().await.expect("tether exited before printing its URL");
            running.read.push(line.clone());
            if line.contains("http://") {
                break line;
            }
        };
        let start = line.find("http://").unwrap();
        running.url =
            line[start..].split_whitespace().next().unwrap().trim_end_matches('/').to_owned();
        running
    }
}

/// A tether process and its output, line by line.
#[derive(Debug)]
pub struct Running {
    pub child: Child,
    pub url: String,
    pub stdout: mpsc::UnboundedReceiver<String>,
    pub stderr: mpsc::UnboundedReceiver<String>,
    /// The stdout lines `start` read while looking for the URL.
    read: Vec<String>,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    pub async fn next_stdout_matching(&mut self, want: impl Fn(&str) -> bool) -> Option<String> {
        while let Some(line) = self.stdout.recv().await {
            if want(&line) {
                return Some(line);
            }
        }
        None
    }

    pub async fn next_stderr_matching(&mut self, want: impl Fn(&str) -> bool) -> Option<String> {
        while let Some(line) = self.stderr.recv().await {
            if want(&line) {
                return Some(line);
            }
        }
        None
    }

    /// The demo's banner, line by line, up to "Press Ctrl-C".
    pub async fn banner(&mut self) -> String {
        let mut lines = std::mem::take(&mut self.read);
        while let Some(line) = self.stdout.recv().await {
            if line.contains("Ctrl-C") {
                return lines.join("\n");
            }
            lines.push(line);
        }
        panic!("tether stopped before its banner ended: {}", lines.join("\n"));
    }

    /// Sends a signal by name (TERM, INT, KILL).
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

fn lines(
    stream: impl tokio::io::AsyncRead + Unpin + Send + 'static,
) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The repository's folder of browser tests.
pub fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// The admin API token the demo's banner prints.
pub fn admin_token(banner: &str) -> String {
    banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("Admin API token:"))
        .map(|t| t.trim().to_owned())
        .expect("the demo prints an admin API token")
}

/// `GET url` with a bearer token, as JSON.
pub async fn get_json(url: &str, token: &str) -> serde_json::Value {
    let resp = reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap();
    resp.json().await.unwrap()
}
