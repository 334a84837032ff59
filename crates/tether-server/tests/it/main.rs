//! The server over real HTTP on loopback: health, metrics, errors, the API and
//! the UI pages. Each test starts its own server on port 0 with its own SQLite
//! (or, for the tests run on each backend, its own PostgreSQL database).

mod api;
mod auth;
mod code_api;
mod code_findings;
mod code_pages;
mod connect;
mod connect_lifecycle;
mod environments_api;
mod errors;
mod flags_api;
mod forge;
mod insights;
mod jira_api;
mod jira_oauth;
mod jira_pages;
mod numbers;
mod observability;
mod ofrep;
mod ofrep_lane;
mod pages;
mod project_page;
mod roles;
mod tickets_connect;
mod tickets_pages;
mod tickets_passthrough;
mod ui_flag_list;
mod ui_flags;
mod ui_targeting;
mod web_security;

use tether_server::{AppState, ServerConfig};
use tether_store::testing::{TestBackend, TestDatabase};
use tether_store::{MasterKey, Store};
use tokio::sync::oneshot;

/// A running server; stops when dropped.
#[allow(missing_debug_implementations)]
pub struct TestServer {
    pub url: String,
    /// Sends the admin token with every request.
    pub client: reqwest::Client,
    /// An admin API token.
    pub token: String,
    pub store: Store,
    pub state: AppState,
    /// The database's URL (another process may open it too).
    pub db_url: String,
    _stop: oneshot::Sender<()>,
    _db: TestDatabase,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(ServerConfig::default()).await
    }

    pub async fn start_with(config: ServerConfig) -> TestServer {
        TestServer::start_on(TestBackend::Sqlite, config).await
    }

    /// A server on a fresh database of `backend` (PostgreSQL: on the `TEST_PG_URL` server).
    pub async fn start_on(backend: TestBackend, config: ServerConfig) -> TestServer {
        let db = TestDatabase::new(backend).await;
        let store = Store::connect(db.url(), MasterKey::generate()).await.unwrap();
        store.migrate().await.unwrap();
        store.put_member("admin", &["admin".to_owned()], "test").await.unwrap();
        let new = tether_store::NewToken {
            name: "test-admin".into(),
            kind: "service".into(),
            member: "admin".into(),
            created_by: None,
            roles: vec!["admin".into()],
        };
        let (_, token) = store.create_token(&new, "test").await.unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        let client = reqwest::Client::builder().default_headers(headers).build().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let state = AppState::new(store.clone(), config);
        tokio::spawn(tether_server::serve(state.clone(), listener, async {
            let _ = stopped.await;
        }));
        TestServer {
            url: format!("http://{addr}"),
            client,
            token,
            store,
            state,
            db_url: db.url().to_owned(),
            _stop: stop,
            _db: db,
        }
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.at(path)).send().await.unwrap()
    }

    /// GET, returning the status and the body parsed as JSON.
    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self.get(path).await;
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// POST a raw body as JSON, returning the status and the body parsed as JSON.
    pub async fn post_raw(
        &self,
        path: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(self.at(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
}
