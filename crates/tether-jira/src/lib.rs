//! tether's Jira REST client: typed wire types, five ways to authenticate (with the OAuth 1.0a
//! dance in [`oauth1`]), deployment detection, paging as streams, retries and rate limits, a
//! connection test, the check of Connect JWTs Jira sends ([`verify_connect_jwt`]), and what
//! ticket ingestion reads ([`tickets`]).
//!
//! Only this crate knows Jira's JSON. It shares no code with `jira-sandbox`, which its tests run
//! against, so that a misreading of Jira cannot be copied from one into the other.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tether_jira::Error> {
//! use futures_util::TryStreamExt;
//! use tether_jira::{Auth, Client, Options, Search, Site};
//! let site = Site::new("https://acme.atlassian.net", Auth::api_token("me@acme.com", "token"));
//! let client = Client::connect(site, Options::default()).await?;
//! let issues: Vec<_> = client.search(Search::jql("project = \"DEMO\"")).try_collect().await?;
//! # Ok(()) }
//! ```

mod auth;
mod client;
mod connection;
mod dev_ops;
mod devinfo;
mod devops;
mod error;
mod featureflags;
mod forge;
mod install_keys;
mod jwt;
pub mod oauth1;
mod ops;
mod outbound;
mod paging;
mod text;
pub mod tickets;
mod version;
mod wire;

pub use auth::{
    ATLASSIAN_GATEWAY_URL, ATLASSIAN_TOKEN_URL, Auth, OAuth1Request, PlatformToken,
    canonical_request, connect_jwt, oauth1_base_string, oauth1_header, percent_encode,
    query_string_hash, rsa_sha1_sign,
};
pub use client::{Client, Options, Site};
pub use connection::{
    ConnectionReport, Feature, OAUTH_CREDENTIALS_LIMIT, Problem, test_connection,
};
pub use dev_ops::Worklog;
pub use devinfo::{
    DevAuthor, DevBranch, DevCommit, DevEntityError, DevEntityIds, DevEntityKind, DevErrorMessage,
    DevInfoRequest, DevInfoResult, DevProviderMetadata, DevPullRequest, DevRepository,
    DevRepositoryErrors, MAX_ENTITIES, MAX_ENTITIES_PER_LIST, MAX_MESSAGE, MAX_REPOSITORIES,
};
pub use devops::{Access, DevOpsApi};
pub use error::Error;
pub use featureflags::{
    FeatureFlag, FlagBulkRequest, FlagBulkResponse, FlagDetails, FlagEnvironment, FlagError,
    FlagStatus, FlagSummary, MAX_FLAGS_PER_REQUEST, ProviderMetadata, Rollout,
};
pub use forge::{
    ATLASSIAN_FORGE_JWKS_URL, FORGE_APP_ARI_PREFIX, FORGE_ISSUER, FORGE_LEEWAY_S, ForgeInvocation,
    ForgeKey, ForgeKeys, ForgeTokenError, forge_app_ari, forge_token_kid, verify_forge_token,
};
pub use install_keys::{ATLASSIAN_INSTALL_KEYS_URL, ConnectInstallKeys, InstallKeyError};
pub use jwt::{
    CONNECT_JWT_LEEWAY_S, CONTEXT_QSH, ConnectClaims, InstallKey, JwtError, JwtHeader,
    connect_jwt_header, connect_jwt_issuer, verify_connect_install_jwt, verify_connect_jwt,
};
pub use ops::{IssueEdit, NewIssue, Upsert};
pub use outbound::{OutboundPolicy, Refused};
pub use paging::Search;
pub use text::{Block, Body, Doc, Inline, adf_to_text, escape_wiki, wiki_to_text};
pub use version::{Deployment, DeploymentKind, MINIMUM_VERSION, Version, is_cloud_host};
pub use wire::{
    Application, BulkFetch, ChangeItem, Changelog, ChangelogPage, Comment, CommentPage,
    CreatedIssue, FieldMeta, History, Icon, Issue, IssueFields, IssueTypeRef, JqlSearchPage,
    NamedRef, OffsetSearchPage, PermissionGrant, Project, ProjectRef, RemoteLink,
    RemoteLinkCreated, RemoteObject, RemoteStatus, ServerInfo, Status, StatusCategory, Transition,
    User, parse_timestamp,
};
