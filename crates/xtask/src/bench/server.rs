//! Building the release `tether` binary and running servers under the benchmark (`tether
//! serve`, or the floor server): started on `127.0.0.1:0`, the address read from their
//! "listening" line, stopped with SIGTERM (then SIGKILL if they linger) when the guard is
//! stopped or dropped.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use rustix::process::{Pid, Signal, kill_process};

/// How long the server may take to say it is listening (it migrates first).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long it may take to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
const LISTENING: &str = "tether is listening on http://";

/// `cargo build --release` of the given packages; returns the path of each binary built,
/// as (name, path). The target folder is cargo's (so `CARGO_TARGET_DIR` is honoured).
pub fn cargo_build_release(root: &Path, packages: &[&str]) -> Result<Vec<(String, PathBuf)>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root).args(["build", "--release", "--message-format=json-render-diagnostics"]);
    for p in packages {
        cmd.args(["-p", p]);
    }
    eprintln!("bench: cargo build --release -p {}", packages.join(" -p "));
    let out = cmd.stderr(Stdio::inherit()).output().context("cannot run cargo")?;
    if !out.status.success() {
        bail!("cargo build --release failed ({})", out.status);
    }
    let mut bins = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        if let (Some(name), Some(exe)) =
            (msg["target"]["name"].as_str(), msg["executable"].as_str())
        {
            bins.push((name.to_owned(), PathBuf::from(exe)));
        }
    }
    Ok(bins)
}

/// A running server (`tether serve` or the floor); stopped when dropped.
#[derive(Debug)]
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub pid: u32,
    name: &'static str,
}

impl Server {
    /// Starts `tether serve` on the database at `db_url` with the master key (base64), in
    /// `dir` (so no `tether.toml` of the caller's is read), and waits for its address.
    pub fn start(bin: &Path, db_url: &str, master_key: &str, dir: &Path) -> Result<Server> {
        let mut cmd = Command::new(bin);
        cmd.arg("serve").current_dir(dir);
        // Only this configuration: nothing inherited (a rate limit would skew the numbers).
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("TETHER_") {
                cmd.env_remove(name);
            }
        }
        cmd.env("TETHER_DATABASE_URL", db_url)
            .env("TETHER_MASTER_KEY", master_key)
            .env("TETHER_DATA_DIR", dir)
            .env("TETHER_LISTEN", "127.0.0.1:0")
            .env("TETHER_LOG", "warn")
            .env("TETHER_SHUTDOWN_GRACE_SECONDS", "5");
        Server::spawn(cmd, "tether", LISTENING)
    }

    /// Starts the floor server (`xtask bench floor-server`, this very binary) answering
    /// `body_file`'s bytes.
    pub fn floor(body_file: &Path) -> Result<Server> {
        let exe = std::env::current_exe().context("cannot find this xtask binary")?;
        let mut cmd = Command::new(exe);
        cmd.args(["bench", "floor-server", "--body"]).arg(body_file);
        Server::spawn(cmd, "the floor server", super::floor::LISTENING)
    }

    /// Spawns `cmd` (a server told to listen on `addr`, which says nothing of it) and waits
    /// until `ready` says yes.
    pub fn spawn_polling(
        mut cmd: Command,
        name: &'static str,
        addr: SocketAddr,
        mut ready: impl FnMut() -> bool,
    ) -> Result<Server> {
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::inherit());
        let child = cmd.spawn().with_context(|| format!("cannot start {name}"))?;
        let pid = child.id();
        let mut server = Server { child: Some(child), addr, pid, name };
        let deadline = Instant::now() + START_TIMEOUT;
        while !ready() {
            if let Some(child) = server.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!("{name} exited with {status} before it was listening");
            }
            if Instant::now() > deadline {
                bail!("{name} was not listening on {addr} within {START_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    /// Spawns `cmd` and waits for its line `listening` + address.
    fn spawn(mut cmd: Command, name: &'static str, listening: &'static str) -> Result<Server> {
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child = cmd.spawn().with_context(|| format!("cannot start {name}"))?;
        let pid = child.id();
        let stdout = child.stdout.take().expect("stdout is piped");
        // From here on the guard stops the server whatever happens.
        let mut server =
            Server { child: Some(child), addr: SocketAddr::from(([0, 0, 0, 0], 0)), pid, name };

        // Read its stdout on a thread: the first "listening" line gives the address; later
        // lines (there should be none) are passed on so that the server never blocks on a
        // full pipe.
        let (tx, rx) = mpsc::channel::<Result<String, String>>();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                match (line.strip_prefix(listening), tx.take()) {
                    (Some(addr), Some(tx)) => {
                        let _ = tx.send(Ok(addr.trim().to_owned()));
                    }
                    (_, t) => {
                        tx = t;
                        eprintln!("{name}: {line}");
                    }
                }
            }
            if let Some(tx) = tx {
                let _ = tx.send(Err(format!("{name} exited before it was listening")));
            }
        });
        let addr = match rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok(addr)) => addr,
            Ok(Err(e)) => bail!("{e} (see its messages above)"),
            Err(_) => bail!("{name} did not say it was listening within {START_TIMEOUT:?}"),
        };
        let addr: SocketAddr =
            addr.parse().with_context(|| format!("{name} announced an odd address {addr:?}"))?;
        if addr.ip() != IpAddr::V4(Ipv4Addr::LOCALHOST) {
            bail!("{name} listens on {addr}, not on 127.0.0.1");
        }
        server.addr = addr;
        Ok(server)
    }

    /// Sends SIGTERM and waits for the server to exit (SIGKILL after a while); its status.
    pub fn stop(&mut self) -> Result<ExitStatus> {
        let Some(mut child) = self.child.take() else { bail!("the server was already stopped") };
        stop_child(&mut child, self.name)
    }
}

fn stop_child(child: &mut Child, name: &str) -> Result<ExitStatus> {
    if let Some(status) = child.try_wait()? {
        return Ok(status);
    }
    let pid = Pid::from_child(child);
    kill_process(pid, Signal::TERM).with_context(|| format!("cannot send SIGTERM to {name}"))?;
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!("bench: {name} did not stop within {STOP_TIMEOUT:?} of SIGTERM; killing it");
    child.kill()?;
    Ok(child.wait()?)
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take()
            && let Err(e) = stop_child(&mut child, self.name)
        {
            eprintln!("bench: cannot stop {} (pid {}): {e:#}", self.name, self.pid);
        }
    }
}
