//! What code ↔ Jira calls, against the sandbox: the Development Information API (apps only,
//! split to fit its limits, entities deleted), worklogs, users by email, and create
//! metadata on Cloud and on Data Center old and new.

use std::collections::BTreeMap;

use jira_sandbox::{
    DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET, DevOpsPermission, Flavour, SandboxConfig,
};
use secrecy::SecretString;
use tether_jira::{
    Auth, DevAuthor, DevBranch, DevCommit, DevEntityKind, DevPullRequest, DevRepository, Doc,
    Error, NewIssue,
};

use crate::support::{self, fast};

fn oauth2(base: &str) -> Auth {
    Auth::OAuth2 {
        platform: None,
        client_id: DEFAULT_OAUTH_CLIENT_ID.into(),
        client_secret: SecretString::from(DEFAULT_OAUTH_CLIENT_SECRET.to_owned()),
        token_url: format!("{base}/oauth/token"),
        gateway_url: base.to_owned(),
    }
}

fn commit(n: usize, keys: &[&str]) -> DevCommit {
    DevCommit {
        id: format!("{n:040x}"),
        issue_keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        update_sequence_id: 1,
        hash: format!("{n:040x}"),
        flags: vec![],
        message: format!("SAND-1 change {n}"),
        author: DevAuthor { name: "Ada".into(), email: "ada@example.com".into(), username: None },
        file_count: 2,
        url: format!("https://git.example.com/shop/commit/{n:040x}"),
        author_timestamp: "2026-01-01T00:00:00Z".into(),
        display_id: format!("{n:07x}"),
    }
}

fn repository(commits: Vec<DevCommit>) -> DevRepository {
    DevRepository {
        id: "tether-1".into(),
        name: "shop".into(),
        url: "https://git.example.com/shop".into(),
        update_sequence_id: 1,
        description: None,
        commits,
        branches: vec![],
        pull_requests: vec![],
    }
}

async fn with_issue(server: &support::Server) -> tether_jira::Client {
    let admin = server.client().await;
    let new = NewIssue {
        project_key: "SAND".into(),
        issue_type: "Task".into(),
        summary: "Checkout".into(),
        ..NewIssue::default()
    };
    admin.create_issue(&new).await.unwrap();
    admin
}

#[tokio::test]
async fn development_information_reaches_the_panel_and_splits_to_fit() {
    let cloud = support::start(SandboxConfig::default()).await;
    let admin = with_issue(&cloud).await;
    // A person's API token is refused: the API is for apps.
    let refused =
        admin.submit_devinfo_all(repository(vec![commit(0, &["SAND-1"])]), &BTreeMap::new()).await;
    assert!(matches!(refused, Err(Error::Unauthorized { .. })), "{refused:?}");
    let app = cloud.client_with(oauth2(&cloud.base), fast()).await;
    // 900 commits: more than a list (400) holds, and with the rest more than one request.
    let mut repo = repository((0..900).map(|n| commit(n, &["SAND-1", "NOPE-9"])).collect());
    repo.branches.push(DevBranch {
        // Jira (Tomcat) refuses encoded slashes in paths: branch ids carry none.
        id: "feature-SAND-1".into(),
        issue_keys: vec!["SAND-1".into()],
        update_sequence_id: 1,
        name: "feature/SAND-1".into(),
        last_commit: commit(1, &["SAND-1"]),
        create_pull_request_url: None,
        url: "https://git.example.com/shop/tree/feature/SAND-1".into(),
    });
    repo.pull_requests.push(DevPullRequest {
        id: "7".into(),
        issue_keys: vec!["SAND-1".into()],
        update_sequence_id: 1,
        status: "OPEN".into(),
        title: "x".repeat(2000),
        author: DevAuthor { name: "Ada".into(), email: String::new(), username: None },
        comment_count: 0,
        source_branch: "feature/SAND-1".into(),
        destination_branch: Some("main".into()),
        last_update: "2026-01-02T00:00:00Z".into(),
        url: "https://git.example.com/shop/pull/7".into(),
        display_id: "#7".into(),
    });
    let got = app.submit_devinfo_all(repo, &BTreeMap::new()).await.unwrap();
    assert!(got.failed_devinfo_entities.is_empty(), "{:?}", got.failed_devinfo_entities);
    assert_eq!(got.unknown_issue_keys, ["NOPE-9"]);
    assert_eq!(got.accepted_devinfo_entities["tether-1"].commits.len(), 900);
    let panel = cloud.sandbox.development("SAND-1").unwrap().code;
    assert_eq!((panel.commits, panel.branches, panel.pull_requests), (900, 1, 1));
    assert_eq!(panel.pull_request_status.as_deref(), Some("OPEN"));
    // The title was cut to what Jira keeps.
    let title = &panel.repositories[0].pull_requests[0].title;
    assert_eq!(title.chars().count(), tether_jira::MAX_MESSAGE);
    // A deleted branch goes; a repeat of the delete is not an error.
    for _ in 0..2 {
        app.delete_devinfo_entity("tether-1", DevEntityKind::Branch, "feature-SAND-1", Some(5))
            .await
            .unwrap();
    }
    assert_eq!(cloud.sandbox.development("SAND-1").unwrap().code.branches, 0);
    // Read and write access, as a connection test checks them.
    let probe = BTreeMap::from([("tetherProbe".to_owned(), "none".to_owned())]);
    assert!(!app.devinfo_exists_by_properties(&probe).await.unwrap());
    app.delete_devinfo_by_properties(&probe).await.unwrap();
    cloud
        .sandbox
        .set_oauth_permissions(DEFAULT_OAUTH_CLIENT_ID, vec![DevOpsPermission::DevelopmentInfoRead])
        .unwrap();
    assert!(app.devinfo_exists_by_properties(&probe).await.is_ok());
    let denied = app.delete_devinfo_by_properties(&probe).await;
    assert!(matches!(denied, Err(Error::Forbidden { .. })), "{denied:?}");
}

#[tokio::test]
async fn worklogs_users_and_create_metadata_on_both_flavours() {
    for server in support::both().await {
        let admin = with_issue(&server).await;
        let comment = Doc::text("Logged from commit abc1234");
        let w = admin.add_worklog("SAND-1", "1d 2h", Some(&comment)).await.unwrap();
        let logs = admin.issue_worklogs("SAND-1").await.unwrap();
        assert_eq!(logs.len(), 1, "cloud={}", server.cloud);
        assert_eq!(logs[0].id, w.id);
        assert_eq!(logs[0].time_spent_seconds, Some(10 * 3600));
        assert!(logs[0].comment.as_ref().unwrap().plain_text().contains("abc1234"));
        let found = admin.users_with_email("ADMIN@sandbox.test").await.unwrap();
        assert_eq!(found.len(), 1, "cloud={}", server.cloud);
        assert!(admin.users_with_email("nobody@example.com").await.unwrap().is_empty());
        let types = admin.issue_types_to_create("SAND").await.unwrap();
        assert!(types.iter().any(|t| t.name == "Task"), "{types:?}");
        assert!(types.iter().all(|t| !t.subtask));
    }
}

#[tokio::test]
async fn create_metadata_on_data_center_before_the_paged_resources() {
    for version in ["7.13.0", "8.4.0", "10.3.0"] {
        let dc = support::start(SandboxConfig::with_flavour(Flavour::data_center(version))).await;
        let admin = dc.client().await;
        let types = admin.issue_types_to_create("SAND").await.unwrap();
        assert!(types.iter().any(|t| t.name == "Task"), "{version}: {types:?}");
    }
}
