//! Runs a sandbox by hand: `cargo run --example serve -- [cloud|dc] [port] [seed-issues]`.

use jira_sandbox::{Flavour, Sandbox, SandboxConfig};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flavour = match args.first().map(String::as_str) {
        Some("dc") => Flavour::data_center("9.12.0"),
        _ => Flavour::Cloud,
    };
    let port: u16 = args.get(1).and_then(|p| p.parse().ok()).unwrap_or(8080);
    let issues: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(100);
    let sandbox = Sandbox::new(SandboxConfig::with_flavour(flavour)).expect("default config");
    sandbox.seed_issues(issues, 1);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    print!("{}", sandbox.banner(&format!("http://{}", listener.local_addr()?)));
    sandbox
        .serve(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
