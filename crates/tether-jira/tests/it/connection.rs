//! The connection test's report: one case a line, each with the problems a person would see.

use jira_sandbox::{
    DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_USER, DevOpsPermission, Flavour, Knobs, OAuthClient,
    PermissionDenial, SandboxConfig,
};
use tether_jira::{Auth, ConnectionReport, Feature, PlatformToken, Problem, Site, test_connection};

use crate::support::{self, fast};

const FEATURES: &[Feature] = &[Feature::ReadIssues, Feature::Comment, Feature::RemoteLinks];

async fn check(site: Site, projects: &[&str]) -> ConnectionReport {
    test_connection(&site, &fast(), projects, FEATURES).await
}

/// Problem variants by name, for one-line expectations.
fn kinds(report: &ConnectionReport) -> Vec<&'static str> {
    report
        .problems
        .iter()
        .map(|p| match p {
            Problem::Unreachable { .. } => "Unreachable",
            Problem::WrongBaseUrl { .. } => "WrongBaseUrl",
            Problem::NotJira { .. } => "NotJira",
            Problem::VersionTooOld { .. } => "VersionTooOld",
            Problem::SurroundingWhitespace { .. } => "SurroundingWhitespace",
            Problem::CredentialsRejected { .. } => "CredentialsRejected",
            Problem::EmailMismatch { .. } => "EmailMismatch",
            Problem::PersonalAccessTokenOnCloud => "PersonalAccessTokenOnCloud",
            Problem::ApiTokenOnDataCenter { .. } => "ApiTokenOnDataCenter",
            Problem::AuthNotForDeployment { .. } => "AuthNotForDeployment",
            Problem::CaptchaRequired { .. } => "CaptchaRequired",
            Problem::ProjectNotFound { .. } => "ProjectNotFound",
            Problem::MissingPermission { .. } => "MissingPermission",
            Problem::DevOpsNeedsApp { .. } => "DevOpsNeedsApp",
            Problem::DevOpsRefused { .. } => "DevOpsRefused",
            Problem::Other { .. } => "Other",
        })
        .collect()
}

/// (name, site, projects to check, problems expected, text one of the messages contains)
type Case<'a> = (&'a str, Site, &'a [&'a str], &'a [&'a str], &'a str);

/// OAuth credentials of the sandbox with only these DevOps permissions.
fn credentials(id: &str, permissions: &[DevOpsPermission]) -> OAuthClient {
    OAuthClient {
        client_id: id.into(),
        client_secret: format!("{id}-secret"),
        user: DEFAULT_USER.into(),
        permissions: permissions.to_vec(),
    }
}

#[tokio::test]
async fn devops_access_is_checked_per_api_on_cloud_only() {
    use DevOpsPermission::*;
    let config = SandboxConfig {
        oauth_clients: vec![
            OAuthClient::default_client(),
            credentials("flags-only", &[FeatureFlagsRead, FeatureFlagsWrite]),
            credentials(
                "flags-read",
                &[FeatureFlagsRead, DevelopmentInfoRead, DevelopmentInfoWrite],
            ),
            credentials("nothing", &[]),
        ],
        ..SandboxConfig::default()
    };
    let cloud = support::start(config).await;
    let dc = support::dc().await;
    let oauth = |id: &str| Auth::OAuth2 {
        platform: None,
        client_id: id.into(),
        client_secret: format!("{id}-secret").into(),
        token_url: format!("{}/oauth/token", cloud.base),
        gateway_url: cloud.base.clone(),
    };
    let app = cloud.sandbox.install_connect_app("tether", "tether");
    let features = [Feature::ReadIssues, Feature::FeatureFlags, Feature::DevelopmentInformation];
    let cases: Vec<Case<'_>> = vec![
        ("all permissions", cloud.site(cloud.oauth2()), &["SAND"], &[], ""),
        ("connect app", cloud.site(Auth::connect("tether", app.shared_secret)), &[], &[], ""),
        (
            "api token",
            cloud.site(cloud.default_auth()),
            &["SAND"],
            &["DevOpsNeedsApp", "DevOpsNeedsApp"],
            "Jira Cloud's Feature Flags API accepts only apps, never a person's API token",
        ),
        (
            "no devinfo",
            cloud.site(oauth("flags-only")),
            &[],
            &["DevOpsRefused"],
            "may not read through Jira's Development Information API",
        ),
        (
            "flags read only",
            cloud.site(oauth("flags-read")),
            &[],
            &["DevOpsRefused"],
            "grant the 'Feature flags' permission",
        ),
        ("nothing", cloud.site(oauth("nothing")), &[], &["DevOpsRefused", "DevOpsRefused"], ""),
        (
            "with an api token",
            cloud.site(cloud.oauth2().with_platform_token(token())),
            &["SAND"],
            &[],
            "",
        ),
        (
            "with a wrong api token",
            cloud.site(cloud.oauth2().with_platform_token(PlatformToken::new(DEFAULT_EMAIL, "x"))),
            &["SAND"],
            &["CredentialsRejected"],
            "belongs to an Atlassian account whose email is not admin@sandbox.test",
        ),
        ("data center", dc.site(dc.default_auth()), &["SAND"], &[], ""),
    ];
    for (name, site, projects, want, message) in cases {
        let report = test_connection(&site, &fast(), projects, &features).await;
        assert_eq!(kinds(&report), want.to_vec(), "{name}: {:?}", report.messages());
        assert!(report.messages().join(" ").contains(message), "{name}: {:?}", report.messages());
        // OAuth credentials alone act as no user and are told their limit; beside an API
        // token, the token's account is checked (and its permissions in the projects).
        let alone = matches!(&site.auth, Auth::OAuth2 { .. }) && !site.auth.reaches_platform_apis();
        assert_eq!(report.limits.is_empty(), !alone, "{name}: {:?}", report.limits);
        if name == "with an api token" {
            let account = report.account.as_ref().and_then(|a| a.email_address.clone());
            assert_eq!(account.as_deref(), Some(DEFAULT_EMAIL), "{name}");
            assert_eq!(report.projects_ok, ["SAND"], "{name}");
        }
    }
}

fn token() -> PlatformToken {
    PlatformToken::new(DEFAULT_EMAIL, DEFAULT_API_TOKEN)
}

#[tokio::test]
async fn reports_name_each_problem() {
    let cloud = support::cloud().await;
    let dc = support::dc().await;
    let html = support::not_jira(200, "text/html", "<html>intranet</html>").await;
    let closed = support::closed_port().await;
    let try_base = format!("Try {}.", cloud.base);
    let cases: Vec<Case<'_>> = vec![
        ("cloud ok", cloud.site(cloud.default_auth()), &["SAND"], &[], ""),
        ("dc ok", dc.site(dc.default_auth()), &["SAND"], &[], ""),
        ("dc pat ok", dc.site(support::pat()), &["SAND"], &[], ""),
        (
            "browse url",
            Site::new(format!("{}/browse/SAND-1", cloud.base), cloud.default_auth()),
            &["SAND"],
            &["WrongBaseUrl"],
            &try_base,
        ),
        (
            "api url",
            Site::new(format!("{}/rest/api/3/", dc.base), dc.default_auth()),
            &[],
            &["WrongBaseUrl"],
            "Jira's front page",
        ),
        (
            "404 path",
            Site::new(format!("{}/nothing", cloud.base), cloud.default_auth()),
            &[],
            &["WrongBaseUrl"],
            "serverInfo answered 404",
        ),
        ("html", Site::new(html, Auth::Anonymous), &[], &["NotJira"], "not as Jira does"),
        ("closed", Site::new(closed, Auth::Anonymous), &[], &["Unreachable"], "Could not reach"),
        (
            "bad token",
            cloud.site(Auth::api_token(DEFAULT_EMAIL, "wrong")),
            &[],
            &["CredentialsRejected"],
            "belongs to an Atlassian account whose email is not admin@sandbox.test",
        ),
        (
            "padded token",
            cloud.site(Auth::api_token(DEFAULT_EMAIL, format!(" {DEFAULT_API_TOKEN}\n"))),
            &["SAND"],
            &["SurroundingWhitespace"],
            "The API token has spaces",
        ),
        (
            "padded email",
            cloud.site(Auth::api_token(format!("{DEFAULT_EMAIL} "), DEFAULT_API_TOKEN)),
            &[],
            &["SurroundingWhitespace"],
            "The email has spaces",
        ),
        (
            "pat to cloud",
            cloud.site(support::pat()),
            &[],
            &["PersonalAccessTokenOnCloud"],
            "does not accept personal access tokens",
        ),
        (
            "token to dc",
            dc.site(Auth::api_token(DEFAULT_EMAIL, DEFAULT_API_TOKEN)),
            &[],
            &["ApiTokenOnDataCenter"],
            "Jira Data Center 9.12.0, which does not take an email",
        ),
        (
            "password to cloud",
            cloud.site(Auth::password(DEFAULT_USER, "admin")),
            &[],
            &["AuthNotForDeployment"],
            "does not accept account passwords",
        ),
        (
            "unknown project",
            cloud.site(cloud.default_auth()),
            &["NOPE"],
            &["ProjectNotFound"],
            "Project NOPE does not exist",
        ),
    ];
    for (name, site, projects, want, message) in cases {
        let report = check(site, projects).await;
        assert_eq!(kinds(&report), want.to_vec(), "{name}: {:?}", report.messages());
        assert!(report.messages().join(" ").contains(message), "{name}: {:?}", report.messages());
        assert_eq!(report.is_ok(), want.is_empty(), "{name}");
    }
}

#[tokio::test]
async fn a_good_report_says_who_and_what() {
    let server = support::dc().await;
    let report = check(server.site(server.default_auth()), &["SAND"]).await;
    assert!(report.is_ok(), "{:?}", report.messages());
    assert_eq!(report.account.unwrap().name.as_deref(), Some("admin"));
    assert_eq!(report.server.unwrap().version.as_deref(), Some("9.12.0"));
    assert_eq!(report.projects_ok, vec!["SAND".to_owned()]);
}

#[tokio::test]
async fn missing_permissions_are_named_by_project() {
    let deny = |project: &str, permission: &str| PermissionDenial {
        user: "admin".into(),
        project: Some(project.into()),
        permission: permission.into(),
    };
    let config = SandboxConfig {
        denied_permissions: vec![deny("SAND", "ADD_COMMENTS"), deny("SAND", "LINK_ISSUES")],
        ..SandboxConfig::default()
    };
    let server = support::start(config).await;
    let report = check(server.site(server.default_auth()), &["SAND"]).await;
    assert_eq!(kinds(&report), vec!["MissingPermission", "MissingPermission"]);
    let messages = report.messages();
    assert!(messages[0].contains("'Add Comments' permission (ADD_COMMENTS) in project SAND, which tether needs to comment on issues"), "{messages:?}");
    assert!(
        messages[1].contains(
            "(LINK_ISSUES) in project SAND, which tether needs to link code changes to issues"
        ),
        "{messages:?}"
    );
}

#[tokio::test]
async fn captcha_is_reported_with_the_login_url() {
    let server = support::start(SandboxConfig {
        knobs: Knobs { captcha_after_failures: 1, ..Knobs::default() },
        ..SandboxConfig::with_flavour(Flavour::data_center("9.12.0"))
    })
    .await;
    let report = check(server.site(Auth::password(DEFAULT_USER, "wrong")), &[]).await;
    assert_eq!(kinds(&report), vec!["CaptchaRequired"]);
    let message = &report.messages()[0];
    assert!(
        message.contains("CAPTCHA for admin")
            && message.contains(&format!("at {}/login.jsp", server.base)),
        "{message}"
    );
    // Even the right password is refused until someone solves it.
    let report = check(server.site(server.default_auth()), &[]).await;
    assert_eq!(kinds(&report), vec!["CaptchaRequired"]);
}

#[tokio::test]
async fn too_old_a_version_is_reported() {
    let server = support::start(SandboxConfig::with_flavour(Flavour::data_center("7.6.1"))).await;
    let report = check(server.site(server.default_auth()), &[]).await;
    assert_eq!(kinds(&report), vec!["VersionTooOld"]);
    assert!(report.messages()[0].contains("Jira 7.6.1 is too old"), "{:?}", report.messages());
}

/// A Cloud site whose `/myself` answers `myself`, whatever the credentials: the sandbox logs a
/// token in only with its own account's email, so it cannot show a token accepted for another
/// email, which Cloud can (an account whose email changed, or an alias).
async fn cloud_stub(myself: serde_json::Value) -> String {
    use axum::routing::get;
    let app = axum::Router::new()
        .route(
            "/rest/api/2/serverInfo",
            get(|| async {
                axum::Json(serde_json::json!({"deploymentType": "Cloud", "version": "1001.0.0"}))
            }),
        )
        .route("/rest/api/3/myself", get(move || async move { axum::Json(myself) }));
    support::serve(app).await
}

#[tokio::test]
async fn a_token_of_another_account_is_named() {
    let me = |email: Option<&str>| {
        let mut v = serde_json::json!({"accountId": "557058:f00", "displayName": "Kim Other"});
        if let Some(e) = email {
            v["emailAddress"] = e.into();
        }
        v
    };
    // (name, email /myself answers, problems expected, text the message contains)
    let cases: &[(&str, Option<&str>, &[&str], &str)] = &[
        ("same email", Some("me@example.com"), &[], ""),
        ("same email, other case", Some("Me@Example.COM"), &[], ""),
        ("hidden email", None, &[], ""),
        ("hidden email, empty", Some(""), &[], ""),
        (
            "another account",
            Some("kim@example.com"),
            &["EmailMismatch"],
            "The API token does not belong to me@example.com: Jira accepted it as the account \
             Kim Other <kim@example.com>, so tether would act as that account",
        ),
    ];
    for (name, email, want, message) in cases {
        let base = cloud_stub(me(*email)).await;
        let report = check(Site::new(base, Auth::api_token("me@example.com", "token")), &[]).await;
        assert_eq!(kinds(&report), want.to_vec(), "{name}: {:?}", report.messages());
        assert!(report.messages().join(" ").contains(message), "{name}: {:?}", report.messages());
        assert_eq!(report.account.and_then(|a| a.display_name).as_deref(), Some("Kim Other"));
    }
}

#[tokio::test]
async fn a_cloud_site_reports_its_cloud_id() {
    // What matches Forge installations to the site: asked of Cloud whatever the credentials,
    // never of Data Center (which has no cloudId).
    let cloud = support::cloud().await;
    let dc = support::dc().await;
    let id = Some(jira_sandbox::CLOUD_ID.to_owned());
    let cases: [(&str, Site, Option<String>); 3] = [
        ("oauth credentials", cloud.site(cloud.oauth2()), id.clone()),
        ("api token", cloud.site(cloud.default_auth()), id),
        ("data center", dc.site(dc.default_auth()), None),
    ];
    for (name, site, want) in cases {
        assert_eq!(check(site, &[]).await.cloud_id, want, "{name}");
    }
}

/// OAuth credentials act as no Jira user: the test makes no platform call (no `/myself`, no
/// project permissions), says which DevOps APIs it checked, and names what needs an API token
/// beside them; an API token's report has no such limit.
#[tokio::test]
async fn oauth_credentials_report_the_devops_apis_checked_and_what_they_cannot_do() {
    let cloud = support::cloud().await;
    let features = [Feature::ReadIssues, Feature::FeatureFlags, Feature::DevelopmentInformation];
    let oauth = test_connection(&cloud.site(cloud.oauth2()), &fast(), &["SAND"], &features).await;
    assert!(oauth.is_ok(), "{:?}", oauth.messages());
    assert_eq!(oauth.account, None);
    assert_eq!(oauth.projects_ok, Vec::<String>::new());
    assert_eq!(
        oauth.checked,
        [
            "Feature Flags API: read and write allowed",
            "Development Information API: read and write allowed"
        ]
    );
    assert_eq!(oauth.limits, [tether_jira::OAUTH_CREDENTIALS_LIMIT]);
    for needed in ["API token beside", "tether.flags", "issue keys", "transition"] {
        assert!(oauth.limits[0].contains(needed), "{needed}");
    }
    let token = test_connection(&cloud.site(cloud.default_auth()), &fast(), &["SAND"], &[]).await;
    assert!(token.limits.is_empty() && token.account.is_some(), "{token:?}");
}
