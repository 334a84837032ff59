//! A sandbox on an ephemeral port and a small client that speaks its flavour's auth.

use jira_sandbox::{
    DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_PASSWORD, DEFAULT_PAT, DEFAULT_USER, Flavour,
    Sandbox, SandboxConfig,
};
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::Value;
use tokio::sync::oneshot;

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// The default user, in the flavour's usual way (Cloud: email + token; DC: Basic password).
    Default,
    None,
    Basic(&'static str, &'static str),
    Bearer(&'static str),
    /// The default OAuth 2.0 credentials' access token (Cloud): an app, as the DevOps APIs
    /// (feature flags, development information, builds, deployments) require.
    App,
}

#[derive(Debug)]
pub struct Server {
    pub base: String,
    pub sandbox: Sandbox,
    cloud: bool,
    client: reqwest::Client,
    app_token: tokio::sync::OnceCell<String>,
    _shutdown: oneshot::Sender<()>,
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

pub async fn start(config: SandboxConfig) -> Server {
    let cloud = config.flavour.is_cloud();
    let sandbox = Sandbox::new(config).expect("valid config");
    // Bound before serving: connections queue in the backlog, so no wait for readiness.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(sandbox.clone().serve(listener, async {
        let _ = rx.await;
    }));
    Server {
        base: format!("http://{addr}"),
        sandbox,
        cloud,
        client: reqwest::Client::new(),
        app_token: tokio::sync::OnceCell::new(),
        _shutdown: tx,
    }
}

pub async fn cloud() -> Server {
    start(SandboxConfig::default()).await
}

pub async fn dc() -> Server {
    start(SandboxConfig::with_flavour(Flavour::data_center("9.12.0"))).await
}

impl Server {
    pub async fn call_as(
        &self,
        auth: Auth,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        req = match auth {
            Auth::Default if self.cloud => req.basic_auth(DEFAULT_EMAIL, Some(DEFAULT_API_TOKEN)),
            Auth::Default => req.basic_auth(DEFAULT_USER, Some(DEFAULT_PASSWORD)),
            Auth::None => req,
            Auth::Basic(id, secret) => req.basic_auth(id, Some(secret)),
            Auth::Bearer(token) => req.bearer_auth(token),
            Auth::App => req.bearer_auth(self.app_token().await),
        };
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Resp { status, headers, body }
    }

    /// An access token of the default OAuth 2.0 credentials, fetched once.
    pub async fn app_token(&self) -> &str {
        self.app_token
            .get_or_init(|| async {
                let r = self
                    .client
                    .post(format!("{}/oauth/token", self.base))
                    .json(&serde_json::json!({
                        "grant_type": "client_credentials",
                        "client_id": jira_sandbox::DEFAULT_OAUTH_CLIENT_ID,
                        "client_secret": jira_sandbox::DEFAULT_OAUTH_CLIENT_SECRET,
                    }))
                    .send()
                    .await
                    .expect("token request");
                let body: Value = r.json().await.expect("token JSON");
                body["access_token"].as_str().expect("an access token").to_owned()
            })
            .await
    }

    /// As the default OAuth 2.0 credentials (an app).
    pub async fn app_get(&self, path: &str) -> Resp {
        self.call_as(Auth::App, Method::GET, path, None).await
    }

    pub async fn app_post(&self, path: &str, body: Value) -> Resp {
        self.call_as(Auth::App, Method::POST, path, Some(body)).await
    }

    pub async fn app_delete(&self, path: &str) -> Resp {
        self.call_as(Auth::App, Method::DELETE, path, None).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call_as(Auth::Default, Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.call_as(Auth::Default, Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.call_as(Auth::Default, Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.call_as(Auth::Default, Method::DELETE, path, None).await
    }

    /// Creates an issue in SAND through the API and returns its key.
    pub async fn create(&self, api: u8, summary: &str) -> String {
        let r = self
            .post(
                &format!("/rest/api/{api}/issue"),
                serde_json::json!({"fields": {"project": {"key": "SAND"}, "issuetype": {"name": "Task"}, "summary": summary}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["key"].as_str().expect("key").to_owned()
    }
}

/// Asserts Jira's error shape and returns the messages joined with the field errors.
pub fn jira_error(r: &Resp) -> String {
    assert!(r.body["errorMessages"].is_array(), "not Jira's error shape: {:?}", r.body);
    assert!(r.body["errors"].is_object(), "not Jira's error shape: {:?}", r.body);
    let mut parts: Vec<String> = r.body["errorMessages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect();
    for (k, v) in r.body["errors"].as_object().into_iter().flatten() {
        parts.push(format!("{k}: {}", v.as_str().unwrap_or_default()));
    }
    parts.join(" | ")
}

pub const PAT: &str = DEFAULT_PAT;
