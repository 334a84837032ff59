//! Jira Cloud's DevOps APIs as a whole: which of them tether uses, who may call them (apps
//! only: OAuth credentials or an installed app, never a person's API token), and a harmless
//! probe of whether a credential may read and write through one.

use std::fmt;

use reqwest::Method;

use crate::auth::Auth;
use crate::client::{Api, Call, Client, seg};
use crate::error::Error;

/// A DevOps API tether calls on Jira Cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DevOpsApi {
    /// `/rest/featureflags/0.1`: flags on issues.
    FeatureFlags,
    /// `/rest/devinfo/0.10`: commits, branches and pull requests on issues.
    DevelopmentInformation,
}

impl DevOpsApi {
    /// The name Atlassian's documentation gives it.
    pub fn name(self) -> &'static str {
        match self {
            DevOpsApi::FeatureFlags => "Feature Flags API",
            DevOpsApi::DevelopmentInformation => "Development Information API",
        }
    }

    /// The permission of OAuth credentials (site admin → Apps → OAuth credentials) that opens
    /// it, as the admin page names it.
    pub fn permission(self) -> &'static str {
        match self {
            DevOpsApi::FeatureFlags => "Feature flags",
            DevOpsApi::DevelopmentInformation => "Development information",
        }
    }

    /// What tether sends through it.
    pub fn used_for(self) -> &'static str {
        match self {
            DevOpsApi::FeatureFlags => "show flags on issues",
            DevOpsApi::DevelopmentInformation => "show commits and pull requests on issues",
        }
    }

    fn api(self) -> Api {
        match self {
            DevOpsApi::FeatureFlags => Api::FeatureFlags,
            DevOpsApi::DevelopmentInformation => Api::DevInfo,
        }
    }

    /// A path naming something that does not exist, under the API's own shape.
    fn probe_path(self) -> String {
        let id = seg(PROBE_ID);
        match self {
            DevOpsApi::FeatureFlags => format!("flag/{id}"),
            DevOpsApi::DevelopmentInformation => format!("repository/{id}"),
        }
    }
}

impl fmt::Display for DevOpsApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Reading or writing (submitting and deleting) through a DevOps API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn describe(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// The id the probe reads and deletes: no provider sends one like it, so the delete removes
/// nothing.
const PROBE_ID: &str = "tether-connection-test~probe";

impl Auth {
    /// Whether Jira Cloud lets these credentials call the DevOps APIs at all: only apps may
    /// (OAuth credentials, an installed Connect app); a person's API token, password or any
    /// other login is refused with 401 whatever the person may do in Jira.
    pub fn reaches_devops_apis(&self) -> bool {
        matches!(self, Auth::OAuth2 { .. } | Auth::Connect { .. })
    }

    /// Whether these credentials may call Jira's platform and agile REST APIs (issues,
    /// comments, transitions, properties, search, `/myself`). Not OAuth credentials for
    /// self-hosted tools: Atlassian describes them as a system-to-system integration not
    /// associated with any Jira user, granted per DevOps API, and Jira refuses them elsewhere;
    /// with an API token beside them, that token makes these calls.
    pub fn reaches_platform_apis(&self) -> bool {
        !matches!(self, Auth::OAuth2 { platform: None, .. })
    }
}

impl Client {
    /// Checks that this client may `access` `api` without changing anything: a read of, or a
    /// delete of, something that does not exist. `Ok` when Jira let the call through (it
    /// answers 404 or 202 then); the 401 or 403 otherwise.
    pub async fn probe_devops(&self, api: DevOpsApi, access: Access) -> Result<(), Error> {
        let method = match access {
            Access::Read => Method::GET,
            Access::Write => Method::DELETE,
        };
        match self.execute(&Call::new(method, api.api(), api.probe_path())).await {
            Ok(_) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
