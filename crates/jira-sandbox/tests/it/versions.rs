//! Data Center versions 6.x to 11.x: what serverInfo says, and which endpoints exist (personal
//! access tokens from 8.14, paged create metadata from 8.4, the legacy one until 9.0, user keys
//! `JIRAUSER…` from 8.0); and create metadata in each form.

use jira_sandbox::{ConfigError, Flavour, Sandbox, SandboxConfig};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::support::{self, Auth, PAT};

async fn dc(version: &str) -> support::Server {
    support::start(SandboxConfig::with_flavour(Flavour::data_center(version))).await
}

#[tokio::test]
async fn server_info_and_endpoints_follow_the_version() {
    // (version, versionNumbers, PAT accepted, paged createmeta, legacy createmeta, user key)
    type Case = (&'static str, [u64; 3], bool, bool, bool, &'static str);
    let cases: &[Case] = &[
        ("6.4", [6, 4, 0], false, false, true, "admin"),
        ("7.13.0", [7, 13, 0], false, false, true, "admin"),
        ("8.4.0", [8, 4, 0], false, true, true, "JIRAUSER10000"),
        ("8.14.1", [8, 14, 1], true, true, true, "JIRAUSER10000"),
        ("9.12.0", [9, 12, 0], true, true, false, "JIRAUSER10000"),
    ];
    for &(version, numbers, pat, paged, legacy, key) in cases {
        let srv = dc(version).await;
        let info = srv.call_as(Auth::None, Method::GET, "/rest/api/2/serverInfo", None).await.body;
        assert_eq!(
            (info["version"].as_str(), info["deploymentType"].as_str()),
            (Some(version), Some("Server"))
        );
        assert_eq!(info["versionNumbers"], serde_json::json!(numbers), "{version}");
        let status = |b: bool| if b { StatusCode::OK } else { StatusCode::NOT_FOUND };
        let me = srv.call_as(Auth::Bearer(PAT), Method::GET, "/rest/api/2/myself", None).await;
        let want = if pat { StatusCode::OK } else { StatusCode::UNAUTHORIZED };
        assert_eq!(me.status, want, "{version}: PAT");
        assert_eq!(srv.get("/rest/api/2/myself").await.body["key"], key, "{version}");
        let r = srv.get("/rest/api/2/issue/createmeta/SAND/issuetypes").await;
        assert_eq!(r.status, status(paged), "{version}: paged createmeta");
        let r = srv.get("/rest/api/2/issue/createmeta?projectKeys=SAND").await;
        assert_eq!(r.status, status(legacy), "{version}: legacy createmeta");
    }
}

#[test]
fn versions_the_sandbox_cannot_play_are_config_errors() {
    for bad in ["5.2.0", "12.0", "latest", ""] {
        let r = Sandbox::new(SandboxConfig::with_flavour(Flavour::data_center(bad)));
        assert_eq!(r.err(), Some(ConfigError::UnsupportedVersion(bad.to_owned())), "{bad}");
    }
}

#[tokio::test]
async fn legacy_create_metadata_lists_projects_types_and_fields() {
    for srv in [support::cloud().await, dc("8.20.0").await] {
        srv.sandbox.seed_issues(1, 1);
        let r =
            srv.get("/rest/api/2/issue/createmeta?projectKeys=SAND,OPS&issuetypeNames=Task").await;
        let projects: Vec<(&str, Vec<&str>)> = r.body["projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let types = p["issuetypes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["name"].as_str().unwrap())
                    .collect();
                (p["key"].as_str().unwrap(), types)
            })
            .collect();
        assert_eq!(projects, [("SAND", vec!["Task"]), ("OPS", vec!["Task"])]);
        assert!(r.body["projects"][0]["issuetypes"][0].get("fields").is_none());
        let r = srv
            .get("/rest/api/2/issue/createmeta?projectIds=10000&expand=projects.issuetypes.fields")
            .await;
        let fields = &r.body["projects"][0]["issuetypes"][0]["fields"];
        let required: Vec<&str> = fields
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, f)| f["required"] == true)
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(required, ["issuetype", "project", "reporter", "summary"]);
        assert_eq!(fields["priority"]["defaultValue"]["name"], "Medium");
        let types = r.body["projects"][0]["issuetypes"].as_array().map(Vec::len);
        assert_eq!(types, Some(5), "every type of a software project");
    }
}

#[tokio::test]
async fn paged_create_metadata_includes_priority() {
    let srv = support::cloud().await;
    let r = srv.get("/rest/api/3/issue/createmeta/SAND/issuetypes/10001").await;
    let ids: Vec<&str> = r.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fieldId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"priority"), "{ids:?}");
    let priority = r.body["fields"].as_array().unwrap().iter().find(|f| f["fieldId"] == "priority");
    let allowed: Vec<&Value> =
        priority.unwrap()["allowedValues"].as_array().unwrap().iter().collect();
    assert_eq!(allowed.len(), 5);
}
