//! tether's configuration: one typed struct, from defaults, then `tether.toml`
//! (or `--config FILE`), then `TETHER_*` environment variables, later winning.
//!
//! Every key has an environment variable named `TETHER_` + the key in upper case
//! (`database_url` → `TETHER_DATABASE_URL`). Secrets are `SecretString`s and are
//! printed only as `<redacted>`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "tether.toml";
const ENV_PREFIX: &str = "TETHER_";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port the server listens on.
    pub listen: SocketAddr,
    /// The URL people use to reach tether, for links; defaults to `http://<listen>`.
    pub public_url: Option<String>,
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`.
    pub database_url: SecretString,
    /// Where tether keeps local state (the SQLite database by default, the key file).
    pub data_dir: PathBuf,
    /// The master key (32 bytes, base64 or hex) that encrypts secrets at rest.
    pub master_key: Option<SecretString>,
    /// Where the master key is kept when `master_key` is not set; created with
    /// mode 0600 on first start. Defaults to `<data_dir>/master.key`.
    pub master_key_file: Option<PathBuf>,
    /// Log filter, e.g. `info` or `tether=debug,info`.
    pub log: String,
    /// `human` or `json`.
    pub log_format: LogFormat,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// How long in-flight requests may take to finish after SIGTERM/SIGINT.
    pub shutdown_grace_seconds: u64,
    /// OFREP evaluations per second allowed per SDK key; 0 means no limit.
    pub ofrep_rate_limit: u32,
    /// Failed authentications (API tokens, sign-ins, SDK keys, Connect JWTs) one
    /// client address may make at once; 0 turns the limit off.
    pub auth_failure_burst: u32,
    /// After the burst, failed authentications allowed per minute per address.
    pub auth_failures_per_minute: u32,
    /// A web UI session unused this long ends.
    pub session_idle_minutes: u64,
    /// Every web UI session ends this long after sign-in.
    pub session_absolute_hours: u64,
    /// Whether Jira sites and outgoing webhooks may reach loopback addresses.
    pub outbound_allow_loopback: bool,
    /// Whether they may reach private, link-local and other internal addresses.
    pub outbound_allow_private: bool,
    /// Jira settings (`[jira]`; variables `TETHER_JIRA_<KEY>`).
    pub jira: JiraConfig,
}

/// The `[jira]` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JiraConfig {
    /// The Atlassian Connect app's key, in the descriptor and in the JWTs tether
    /// signs (unique among the apps of a Jira site).
    pub connect_app_key: String,
    /// Where Atlassian publishes the keys that sign Connect install callbacks.
    pub connect_install_keys_url: String,
    /// Hosts Connect installs may come from: exact names or `*.suffix`.
    pub connect_allowed_hosts: Vec<String>,
    /// The Forge app's id (`ari:cloud:ecosystem::app/<uuid>` or the uuid, from `forge
    /// register`); empty: no Forge app, and Forge calls are refused.
    pub forge_app_id: String,
    /// Where Forge publishes the keys of its invocation tokens (a JWKS).
    pub forge_jwks_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

/// The defaults, as a serialisable layer under the file and the environment.
#[derive(Serialize)]
struct Defaults {
    listen: &'static str,
    database_url: &'static str,
    data_dir: &'static str,
    log: &'static str,
    log_format: LogFormat,
    body_limit: usize,
    shutdown_grace_seconds: u64,
    ofrep_rate_limit: u32,
    auth_failure_burst: u32,
    auth_failures_per_minute: u32,
    session_idle_minutes: u64,
    session_absolute_hours: u64,
    outbound_allow_loopback: bool,
    outbound_allow_private: bool,
    jira: JiraDefaults,
}

#[derive(Serialize)]
struct JiraDefaults {
    connect_app_key: &'static str,
    connect_install_keys_url: &'static str,
    connect_allowed_hosts: &'static [&'static str],
    forge_app_id: &'static str,
    forge_jwks_url: &'static str,
}

const DEFAULTS: Defaults = Defaults {
    listen: "127.0.0.1:8080",
    database_url: "sqlite://./tether-data/tether.db",
    data_dir: "./tether-data",
    log: "info",
    log_format: LogFormat::Human,
    body_limit: 1024 * 1024,
    shutdown_grace_seconds: 30,
    ofrep_rate_limit: 0,
    auth_failure_burst: 20,
    auth_failures_per_minute: 10,
    session_idle_minutes: 8 * 60,
    session_absolute_hours: 7 * 24,
    outbound_allow_loopback: false,
    outbound_allow_private: false,
    jira: JiraDefaults {
        connect_app_key: "tether",
        connect_install_keys_url: tether_jira::ATLASSIAN_INSTALL_KEYS_URL,
        connect_allowed_hosts: tether_server::ATLASSIAN_CLOUD_HOSTS,
        forge_app_id: "",
        forge_jwks_url: tether_jira::ATLASSIAN_FORGE_JWKS_URL,
    },
};

/// A configuration that cannot be used; the binary exits with status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Loads the configuration. `explicit` is the `--config` path, which must
    /// exist; without it `tether.toml` in the working folder is read if present.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        // TETHER_API_TOKEN and TETHER_URL are the command-line client's credential and
        // server, TETHER_SDK_KEY the example apps' key: not server configuration.
        Config::load_from(explicit, env_provider())
    }

    fn load_from(explicit: Option<&Path>, env: Env) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(DEFAULTS));
        match explicit {
            Some(path) => {
                std::fs::metadata(path).map_err(|e| {
                    ConfigError(format!("cannot read config file {}: {e}", path.display()))
                })?;
                figment = figment.merge(Toml::file_exact(path));
            }
            None => {
                if Path::new(DEFAULT_CONFIG_FILE).exists() {
                    figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE));
                }
            }
        }
        let figment = figment.merge(env);
        let config: Config = figment.extract().map_err(describe)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        use secrecy::ExposeSecret;
        let url = self.database_url.expose_secret();
        if tether_store::BackendKind::from_url(url).is_none() {
            return Err(ConfigError(format!(
                "database_url: expected sqlite://PATH or postgres://…, got {:?}",
                tether_store::redact_url(url)
            )));
        }
        let app_key = &self.jira.connect_app_key;
        if app_key.is_empty()
            || app_key.len() > 64
            || !app_key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(ConfigError(format!(
                "jira.connect_app_key: expected 1 to 64 letters, digits, '-', '_' or '.', got {app_key:?}"
            )));
        }
        let jwks = &self.jira.forge_jwks_url;
        if !(jwks.starts_with("https://") || jwks.starts_with("http://")) {
            return Err(ConfigError(format!(
                "jira.forge_jwks_url: expected an http:// or https:// URL, got {jwks:?}"
            )));
        }
        let app = self.jira.forge_app_id.trim();
        let uuid = app.strip_prefix(tether_jira::FORGE_APP_ARI_PREFIX).unwrap_or(app);
        if !uuid.chars().all(|c| c.is_ascii_hexdigit() || c == '-') || uuid.len() > 64 {
            return Err(ConfigError(format!(
                "jira.forge_app_id: expected the app id from forge register \
                 (ari:cloud:ecosystem::app/<uuid> or the uuid), got {app:?}"
            )));
        }
        let keys = &self.jira.connect_install_keys_url;
        if !(keys.starts_with("https://") || keys.starts_with("http://")) {
            return Err(ConfigError(format!(
                "jira.connect_install_keys_url: expected an http:// or https:// URL, got {keys:?}"
            )));
        }
        if let Some(bad) = self.jira.connect_allowed_hosts.iter().find(|h| {
            let h = h.strip_prefix("*.").unwrap_or(h);
            h.is_empty()
                || !h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':'))
        }) {
            return Err(ConfigError(format!(
                "jira.connect_allowed_hosts: expected host names or `*.suffix`, got {bad:?}"
            )));
        }
        if self.session_idle_minutes == 0 || self.session_absolute_hours == 0 {
            return Err(ConfigError(
                "session_idle_minutes and session_absolute_hours: expected numbers above 0"
                    .to_owned(),
            ));
        }
        if self.body_limit == 0 {
            return Err(ConfigError("body_limit: expected a number of bytes above 0".to_owned()));
        }
        if let Some(url) = self
            .public_url
            .as_ref()
            .filter(|u| !(u.starts_with("http://") || u.starts_with("https://")))
        {
            return Err(ConfigError(format!(
                "public_url: expected an http:// or https:// URL, got {url:?}"
            )));
        }
        Ok(())
    }

    /// Which addresses Jira sites and outgoing webhooks may reach.
    pub fn outbound(&self) -> tether_jira::OutboundPolicy {
        tether_jira::OutboundPolicy {
            allow_loopback: self.outbound_allow_loopback,
            allow_private: self.outbound_allow_private,
        }
    }

    /// The URL for links: `public_url`, else `http://<listen>`.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    pub fn master_key_path(&self) -> PathBuf {
        self.master_key_file.clone().unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    /// The effective configuration as TOML, with secrets replaced by `<redacted>`.
    pub fn to_redacted_toml(&self) -> String {
        use secrecy::ExposeSecret;
        let redacted = "<redacted>";
        let mut t = toml::Table::new();
        t.insert("listen".into(), self.listen.to_string().into());
        t.insert("public_url".into(), self.public_url().into());
        t.insert(
            "database_url".into(),
            tether_store::redact_url(self.database_url.expose_secret()).into(),
        );
        t.insert("data_dir".into(), self.data_dir.display().to_string().into());
        if self.master_key.is_some() {
            t.insert("master_key".into(), redacted.into());
        }
        t.insert("master_key_file".into(), self.master_key_path().display().to_string().into());
        t.insert("log".into(), self.log.clone().into());
        let format = match self.log_format {
            LogFormat::Human => "human",
            LogFormat::Json => "json",
        };
        t.insert("log_format".into(), format.into());
        t.insert("body_limit".into(), (self.body_limit as i64).into());
        t.insert("shutdown_grace_seconds".into(), (self.shutdown_grace_seconds as i64).into());
        t.insert("ofrep_rate_limit".into(), i64::from(self.ofrep_rate_limit).into());
        t.insert("auth_failure_burst".into(), i64::from(self.auth_failure_burst).into());
        t.insert("session_idle_minutes".into(), (self.session_idle_minutes as i64).into());
        t.insert("session_absolute_hours".into(), (self.session_absolute_hours as i64).into());
        t.insert("outbound_allow_loopback".into(), self.outbound_allow_loopback.into());
        t.insert("outbound_allow_private".into(), self.outbound_allow_private.into());
        t.insert(
            "auth_failures_per_minute".into(),
            i64::from(self.auth_failures_per_minute).into(),
        );
        let mut jira = toml::Table::new();
        jira.insert("connect_app_key".into(), self.jira.connect_app_key.clone().into());
        jira.insert(
            "connect_install_keys_url".into(),
            self.jira.connect_install_keys_url.clone().into(),
        );
        jira.insert("forge_app_id".into(), self.jira.forge_app_id.clone().into());
        jira.insert("forge_jwks_url".into(), self.jira.forge_jwks_url.clone().into());
        jira.insert(
            "connect_allowed_hosts".into(),
            toml::Value::Array(
                self.jira.connect_allowed_hosts.iter().map(|h| h.clone().into()).collect(),
            ),
        );
        t.insert("jira".into(), jira.into());
        toml::to_string(&t).unwrap_or_default()
    }
}

/// `TETHER_*` variables; `TETHER_JIRA_<KEY>` sets `<key>` of the `[jira]` table.
fn env_provider() -> Env {
    Env::prefixed(ENV_PREFIX).ignore(&["api_token", "url", "sdk_key"]).map(|key| {
        match key.as_str().strip_prefix("jira_").or_else(|| key.as_str().strip_prefix("JIRA_")) {
            Some(rest) => format!("jira.{rest}").into(),
            None => key.into(),
        }
    })
}

/// What is wrong with one value, naming the key only where the line does not
/// already (figment's own text repeats it, in nested backticks).
fn kind_text(kind: &figment::error::Kind) -> String {
    use figment::error::Kind;
    let list = |names: &[&str]| names.join(", ");
    match kind {
        Kind::UnknownField(_, expected) => format!("unknown key; the keys are {}", list(expected)),
        Kind::UnknownVariant(found, expected) => {
            format!("{found:?} is not one of {}", list(expected))
        }
        Kind::MissingField(_) => "missing".to_owned(),
        Kind::InvalidType(found, expected) => format!("expected {expected}, found {found}"),
        Kind::InvalidValue(found, expected) => format!("expected {expected}, found {found}"),
        other => other.to_string(),
    }
}

/// Turns figment's error into one line per problem naming where it came from
/// (the file, or the exact environment variable), the key, and what was expected.
fn describe(err: figment::Error) -> ConfigError {
    let lines: Vec<String> = err
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let source = e.metadata.as_ref().map(|m| {
                if m.name.contains("environment") {
                    format!(
                        "environment variable {ENV_PREFIX}{}",
                        key.replace('.', "_").to_uppercase()
                    )
                } else {
                    match &m.source {
                        Some(figment::Source::File(path)) => {
                            format!("config file {}", path.display())
                        }
                        _ => m.name.to_string(),
                    }
                }
            });
            let what = kind_text(&e.kind);
            match (source, key.is_empty()) {
                (Some(source), false) => format!("{source}: key `{key}`: {what}"),
                (Some(source), true) => format!("{source}: {what}"),
                (None, false) => format!("key `{key}`: {what}"),
                (None, true) => what,
            }
        })
        .collect();
    ConfigError(lines.join("\n"))
}

#[cfg(test)]
mod tests;
