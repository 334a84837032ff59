//! Deployment detection, version parsing and the minimum version, over HTTP.

use jira_sandbox::{Flavour, SandboxConfig};
use tether_jira::{Auth, Client, DeploymentKind, Error, Site, Version};

use crate::support::{self, fast};

#[tokio::test]
async fn detects_flavour_version_and_api() {
    // (flavour, kind, version, api version)
    let cases: Vec<(Flavour, DeploymentKind, Option<Version>, u8)> = vec![
        (Flavour::Cloud, DeploymentKind::Cloud, None, 3),
        (
            Flavour::data_center("9.12.0"),
            DeploymentKind::DataCenter,
            Some(Version::new(9, 12, 0)),
            2,
        ),
        (
            Flavour::data_center("7.13.0"),
            DeploymentKind::DataCenter,
            Some(Version::new(7, 13, 0)),
            2,
        ),
        (
            Flavour::data_center("8.20.10"),
            DeploymentKind::DataCenter,
            Some(Version::new(8, 20, 10)),
            2,
        ),
    ];
    for (flavour, kind, version, api) in cases {
        let server = support::start(SandboxConfig::with_flavour(flavour.clone())).await;
        let client = server.client().await;
        let d = client.deployment();
        assert_eq!(d.kind, kind, "{flavour:?}");
        if version.is_some() {
            assert_eq!(d.version, version, "{flavour:?}");
        }
        assert_eq!(client.api_version(), api, "{flavour:?}");
    }
}

#[tokio::test]
async fn data_center_older_than_7_13_is_refused_clearly() {
    let server = support::start(SandboxConfig::with_flavour(Flavour::data_center("7.12.3"))).await;
    let err = Client::connect(server.site(server.default_auth()), fast()).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Other(_)), "{err:?}");
    assert!(msg.contains("7.12.3 is too old") && msg.contains("7.13.0 or newer"), "{msg}");
}

#[tokio::test]
async fn atlassian_net_host_means_cloud_when_server_info_fails() {
    let html = support::not_jira(200, "text/html", "<html>login</html>").await;
    let site = Site {
        web_url: "https://acme.atlassian.net".into(),
        api_url: Some(html.clone()),
        auth: Auth::api_token("me@acme.test", "t"),
    };
    let client = Client::connect(site, fast()).await.expect("host fallback");
    assert!(client.deployment().is_cloud());
    assert_eq!(client.deployment().version, None);
    // Elsewhere the failure is reported.
    let err = Client::connect(Site::new(html, Auth::Anonymous), fast()).await.unwrap_err();
    assert!(
        matches!(err, Error::Decode { ref endpoint, .. } if endpoint.ends_with("serverInfo")),
        "{err:?}"
    );
}
