//! Which Jira a site is: Cloud or Data Center/Server, its version, and the API it gets.

use std::fmt;

/// A Jira version as serverInfo reports it (`9.12.0`, `8.20.10`, Cloud's `1001.0.0-SNAPSHOT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

/// The oldest Jira Data Center/Server this client supports.
pub const MINIMUM_VERSION: Version = Version { major: 7, minor: 13, patch: 0 };

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Version {
        Version { major, minor, patch }
    }

    /// Reads `major[.minor[.patch]]`, ignoring any suffix (`-SNAPSHOT`, `-m0001`, `#…`).
    pub fn parse(s: &str) -> Option<Version> {
        let core = s.trim().split(['-', '+', '#', ' ']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let mut next = || -> Option<u32> {
            match parts.next() {
                None => Some(0),
                Some(p) => p.parse().ok(),
            }
        };
        let minor = next()?;
        let patch = next()?;
        Some(Version { major, minor, patch })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeploymentKind {
    Cloud,
    /// Data Center or Server: serverInfo says `Server` for both.
    DataCenter,
}

/// What detection found out about a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub kind: DeploymentKind,
    /// `None` when serverInfo could not be read and the host name decided (Cloud).
    pub version: Option<Version>,
}

impl Deployment {
    pub fn is_cloud(&self) -> bool {
        self.kind == DeploymentKind::Cloud
    }

    /// The platform REST API version to use: 3 (ADF bodies) on Cloud, 2 on Data Center.
    pub fn api_version(&self) -> u8 {
        if self.is_cloud() { 3 } else { 2 }
    }

    /// Refuses a Data Center/Server older than [`MINIMUM_VERSION`], with a message saying so.
    pub fn check_supported(&self) -> Result<(), String> {
        match (self.kind, self.version) {
            (DeploymentKind::DataCenter, Some(v)) if v < MINIMUM_VERSION => Err(format!(
                "Jira {v} is too old: tether needs Jira Data Center/Server {MINIMUM_VERSION} or \
                 newer (older versions lack the REST endpoints it uses)"
            )),
            _ => Ok(()),
        }
    }
}

/// Cloud sites live under `*.atlassian.net` (and `*.jira.com` for old ones); this decides when
/// serverInfo cannot be read.
pub fn is_cloud_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host.ends_with(".atlassian.net") || host.ends_with(".jira.com")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        let cases: &[(&str, Option<&str>)] = &[
            ("9.12.0", Some("9.12.0")),
            ("8.20.10", Some("8.20.10")),
            ("7.13", Some("7.13.0")),
            ("10", Some("10.0.0")),
            ("1001.0.0-SNAPSHOT", Some("1001.0.0")),
            ("9.4.0-m0002", Some("9.4.0")),
            (" 7.13.0 ", Some("7.13.0")),
            ("", None),
            ("nine", None),
            ("9.x.0", None),
        ];
        for (input, want) in cases {
            let got = Version::parse(input).map(|v| v.to_string());
            assert_eq!(got.as_deref(), *want, "{input:?}");
        }
    }

    #[test]
    fn minimum_version_is_enforced_on_data_center_only() {
        let dc =
            |v: &str| Deployment { kind: DeploymentKind::DataCenter, version: Version::parse(v) };
        assert!(dc("7.13.0").check_supported().is_ok());
        assert!(dc("9.12.0").check_supported().is_ok());
        let err = dc("7.12.9").check_supported().unwrap_err();
        assert!(err.contains("7.12.9 is too old") && err.contains("7.13.0"), "{err}");
        let cloud = Deployment { kind: DeploymentKind::Cloud, version: Version::parse("1.0.0") };
        assert!(cloud.check_supported().is_ok());
    }

    #[test]
    fn cloud_hosts() {
        for (host, want) in [
            ("acme.atlassian.net", true),
            ("ACME.Atlassian.NET.", true),
            ("old.jira.com", true),
            ("jira.acme.com", false),
            ("atlassian.net.evil.com", false),
        ] {
            assert_eq!(is_cloud_host(host), want, "{host}");
        }
    }
}
