//! A sandbox on an ephemeral port, clients for it, and a tiny server that is not Jira.

use std::time::Duration;

use jira_sandbox::{
    DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_PASSWORD, DEFAULT_PAT, DEFAULT_USER, Flavour,
    Sandbox, SandboxConfig,
};
use tether_jira::{Auth, Client, NewIssue, Options, Site};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

#[derive(Debug)]
pub struct Server {
    pub base: String,
    pub sandbox: Sandbox,
    pub cloud: bool,
    _shutdown: oneshot::Sender<()>,
}

pub async fn start(config: SandboxConfig) -> Server {
    let cloud = config.flavour.is_cloud();
    let sandbox = Sandbox::new(config).expect("valid config");
    // Bound before serving: connections wait in the backlog, so nobody waits for readiness.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(sandbox.clone().serve(listener, async {
        let _ = rx.await;
    }));
    Server { base: format!("http://{addr}"), sandbox, cloud, _shutdown: tx }
}

pub async fn cloud() -> Server {
    start(SandboxConfig::default()).await
}

pub async fn dc() -> Server {
    start(SandboxConfig::with_flavour(Flavour::data_center("9.12.0"))).await
}

/// Both flavours, for table-driven tests.
pub async fn both() -> Vec<Server> {
    vec![cloud().await, dc().await]
}

/// No pacing and millisecond backoffs, so retries cost nothing; Retry-After is still obeyed.
pub fn fast() -> Options {
    Options {
        max_concurrency: 4,
        requests_per_second: None,
        max_retries: 5,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(5),
        timeout: Duration::from_secs(20),
        page_size: 50,
        outbound: tether_jira::OutboundPolicy::OPEN,
        refuse_old_data_center: true,
    }
}

impl Server {
    /// The default user the way the flavour logs in: email + API token, or user + password.
    pub fn default_auth(&self) -> Auth {
        if self.cloud {
            Auth::api_token(DEFAULT_EMAIL, DEFAULT_API_TOKEN)
        } else {
            Auth::password(DEFAULT_USER, DEFAULT_PASSWORD)
        }
    }

    /// The sandbox's default OAuth credentials (every DevOps permission), through its own token
    /// endpoint and gateway: what Jira Cloud's DevOps APIs take.
    pub fn oauth2(&self) -> Auth {
        Auth::OAuth2 {
            platform: None,
            client_id: jira_sandbox::DEFAULT_OAUTH_CLIENT_ID.into(),
            client_secret: jira_sandbox::DEFAULT_OAUTH_CLIENT_SECRET.to_owned().into(),
            token_url: format!("{}/oauth/token", self.base),
            gateway_url: self.base.clone(),
        }
    }

    /// A client that may call the DevOps APIs: OAuth credentials on Cloud.
    pub async fn devops_client(&self) -> Client {
        self.client_with(self.oauth2(), fast()).await
    }

    pub fn site(&self, auth: Auth) -> Site {
        Site::new(self.base.clone(), auth)
    }

    pub async fn client_with(&self, auth: Auth, options: Options) -> Client {
        Client::connect(self.site(auth), options).await.expect("connect")
    }

    pub async fn client(&self) -> Client {
        self.client_with(self.default_auth(), fast()).await
    }

    /// A fresh issue in SAND, created through `client`, or as the admin when `client` holds
    /// OAuth credentials (which Jira refuses on issues).
    pub async fn new_issue(&self, client: &Client, summary: &str) -> String {
        let admin;
        let client = if client.reaches_platform_apis() {
            client
        } else {
            admin = self.client().await;
            &admin
        };
        let new = NewIssue {
            project_key: "SAND".into(),
            issue_type: "Task".into(),
            summary: summary.into(),
            ..NewIssue::default()
        };
        client.create_issue(&new).await.expect("create issue").key
    }
}

pub fn pat() -> Auth {
    Auth::personal_access_token(DEFAULT_PAT)
}

/// A server answering every request with the same status and body, like a web server that is
/// not Jira. Returns its base URL.
pub async fn not_jira(status: u16, content_type: &str, body: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let head = head.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut seen = Vec::new();
                // Read the request head so the client is not reset mid-send.
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(body.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

/// Serves `app` on an ephemeral loopback port for the rest of the test; returns its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A loopback address nothing listens on.
pub async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

/// A throwaway 1024-bit RSA key for OAuth 1.0a signing in tests; the unit tests use it too.
pub const TEST_KEY: &str = include_str!("../fixtures/oauth1-test-key.pem");
