//! What ingestion reads, against the sandbox in both flavours: catalogues, projects with
//! their types, keyset pages that cover every issue once, id listings, complete changelogs
//! beyond what search embeds, comments and worklogs, boards and sprints, and the connection
//! checks with their gaps.

use jira_sandbox::{Knobs, PermissionDenial, ProjectSpec, ProjectType, SandboxConfig};
use tether_jira::tickets::{FieldCatalog, Gap, Ticket, check_ingestion, ingest_jql};
use tether_jira::{Auth, Problem};

use crate::support::{self, Server, fast};

async fn seeded(server: &Server, n: usize) {
    server.sandbox.seed_issues(n, 7);
}

fn project_id<'a>(projects: &'a [tether_jira::tickets::TicketProject], key: &str) -> &'a str {
    &projects.iter().find(|p| p.key == key).expect("project").id
}

#[tokio::test]
async fn catalogues_and_projects_read_in_both_flavours() {
    for server in support::both().await {
        seeded(&server, 40).await;
        let client = server.client().await;
        let statuses = client.statuses().await.unwrap();
        assert!(
            statuses.iter().any(|s| s.status_category.as_ref().is_some_and(|c| c.key == "done"))
        );
        let types = client.issue_types().await.unwrap();
        assert!(types.iter().any(|t| t.subtask), "sub-task types are listed");
        assert_eq!(client.priorities().await.unwrap().len(), 5);
        assert!(!client.resolutions().await.unwrap().is_empty());
        let catalog = FieldCatalog::new(&client.fields().await.unwrap());
        assert_eq!(catalog.sprint_field(), Some("customfield_10020"));
        let projects = client.ticket_projects().await.unwrap();
        let kinds: Vec<(&str, Option<&str>)> =
            projects.iter().map(|p| (p.key.as_str(), p.project_type_key.as_deref())).collect();
        for want in
            [("WEB", Some("software")), ("OPS", Some("business")), ("HELP", Some("service_desk"))]
        {
            assert!(kinds.contains(&want), "{}: {kinds:?}", server.base);
        }
        let web = project_id(&projects, "WEB");
        let creatable = client.creatable_issue_types(web).await.unwrap();
        assert!(creatable.is_some_and(|t| !t.is_empty()));
        let boards = client.boards(web).await.unwrap();
        assert!(boards.iter().any(|b| b.kind.as_deref() == Some("kanban")));
        for b in &boards {
            let sprints = client.sprints(b.id).await.unwrap();
            assert_eq!(b.kind.as_deref() == Some("kanban"), sprints.is_empty(), "{}", b.name);
        }
    }
}

#[tokio::test]
async fn keyset_pages_cover_every_issue_once_with_complete_changelogs() {
    for server in support::both().await {
        seeded(&server, 300).await;
        // Search embeds only the newest histories; the rest comes from elsewhere.
        server.sandbox.set_knobs(Knobs { embedded_changelog_cap: 2, ..Knobs::default() });
        let client = server.client().await;
        let projects = client.ticket_projects().await.unwrap();
        let demo = project_id(&projects, "DEMO").to_owned();
        let catalog = FieldCatalog::new(&client.fields().await.unwrap());
        let mut after: Option<String> = None;
        let mut seen: Vec<Ticket> = Vec::new();
        loop {
            let page =
                client.issue_page(&ingest_jql(&demo, None, after.as_deref()), 30).await.unwrap();
            let tickets: Vec<Ticket> =
                page.issues.into_iter().map(|r| Ticket::read(r, &catalog)).collect();
            after = tickets.last().map(|t| t.key.clone());
            seen.extend(tickets);
            if !page.more {
                break;
            }
        }
        let ids = client.project_issue_ids(&demo).await.unwrap();
        assert_eq!(seen.len(), ids.len(), "{}", server.base);
        let mut keys: Vec<&str> = seen.iter().map(|t| t.key.as_str()).collect();
        keys.dedup();
        assert_eq!(keys.len(), seen.len(), "no issue twice");
        let truncated: Vec<&Ticket> = seen.iter().filter(|t| !t.changelog.complete).collect();
        assert!(!truncated.is_empty(), "the cap truncates some changelogs");
        let t = truncated[0];
        let full = client.full_changelog(&t.id).await.unwrap();
        assert!(full.len() > t.changelog.items.len());
        if server.cloud {
            let ids: Vec<&str> = truncated.iter().map(|t| t.id.as_str()).collect();
            let bulk = client.bulk_changelogs(&ids).await.unwrap().expect("Cloud has it");
            assert_eq!(bulk.get(&t.id).map(Vec::len), Some(full.len()));
        }
        let with_comments = seen.iter().find(|t| !t.comments.items.is_empty()).unwrap();
        let comments = client.raw_comments(&with_comments.id).await.unwrap();
        assert_eq!(comments.len(), with_comments.comments.items.len());
        let with_worklogs = seen.iter().find(|t| !t.worklogs.items.is_empty()).unwrap();
        assert_eq!(
            client.worklogs(&with_worklogs.id).await.unwrap().len(),
            with_worklogs.worklogs.items.len()
        );
        assert!(client.raw_issue(&t.id).await.unwrap().is_some());
        assert!(client.raw_issue("999999").await.unwrap().is_none(), "404 is None");
        assert!(client.server_time_ms().await.unwrap().is_some());
    }
}

#[tokio::test]
async fn checks_pass_for_an_admin_and_name_what_is_missing() {
    let denied = |project: &str, permission: &str| PermissionDenial {
        user: "admin".into(),
        project: Some(project.into()),
        permission: permission.into(),
    };
    let mut config = SandboxConfig {
        denied_permissions: vec![denied("WEB", "CREATE_ISSUES"), denied("OPS", "BROWSE_PROJECTS")],
        ..SandboxConfig::default()
    };
    config.projects.push(ProjectSpec::new("WEB", "Web", ProjectType::Software));
    config.projects.push(ProjectSpec::new("OPS", "Ops", ProjectType::Business));
    let server = support::start(config).await;
    let check = check_ingestion(&server.site(server.default_auth()), &fast()).await;
    assert!(check.can_run(), "{:?}", check.messages());
    assert!(check.gaps.contains(&Gap::CreateIssues { project: "WEB".into(), team_managed: false }));
    assert!(!check.projects.iter().any(|p| p.project.key == "OPS"), "OPS cannot be browsed");
    let demo = check.projects.iter().find(|p| p.project.key == "SAND").unwrap();
    assert!(demo.browse && demo.create && demo.creatable_types.is_some());
    assert_eq!(check.time_zone(), Some("UTC"));

    // A token for Cloud pasted with spaces, and an API token against Data Center.
    let padded = Auth::api_token(jira_sandbox::DEFAULT_EMAIL, " sandbox-token\n");
    let check = check_ingestion(&server.site(padded), &fast()).await;
    assert!(
        check.gaps.contains(&Gap::Connection(Problem::SurroundingWhitespace { what: "API token" }))
    );
    let dc = support::dc().await;
    let check = check_ingestion(&dc.site(server.default_auth()), &fast()).await;
    assert!(!check.can_run());
    assert!(check.messages().iter().any(|m| m.contains("Data Center")), "{:?}", check.messages());
    let check = check_ingestion(&dc.site(support::pat()), &fast()).await;
    assert!(check.can_run(), "{:?}", check.messages());
}

#[tokio::test]
async fn a_jira_older_than_7_13_is_refused() {
    let old =
        support::start(SandboxConfig::with_flavour(jira_sandbox::Flavour::data_center("7.12.0")))
            .await;
    let check = check_ingestion(&old.site(Auth::password("admin", "admin")), &fast()).await;
    assert!(!check.can_run());
    assert!(check.messages().iter().any(|m| m.contains("7.13")), "{:?}", check.messages());
}

/// A 503 while reading a project's permissions was taken for "no Browse projects, no Create
/// issues": the check recorded gaps that were not there and dropped the type assignments.
#[tokio::test]
async fn a_jira_failing_during_the_checks_leaves_them_incomplete_not_wrong() {
    let server = support::cloud().await;
    server.sandbox.set_knobs(Knobs {
        fault_rate: 1.0,
        fault_statuses: vec![503],
        fault_path_prefix: Some("/rest/api/3/mypermissions".into()),
        ..Knobs::default()
    });
    let check = check_ingestion(&server.site(server.default_auth()), &fast()).await;
    assert!(!check.can_run(), "{:?}", check.messages());
    assert!(check.projects.is_empty(), "nothing found is kept: {:?}", check.projects);
    assert!(
        !check.gaps.iter().any(|g| matches!(g, Gap::BrowseUsers | Gap::CreateIssuesNowhere)),
        "{:?}",
        check.gaps
    );
    assert!(check.messages().iter().any(|m| m.contains("incomplete")), "{:?}", check.messages());
    server.sandbox.set_knobs(Knobs::default());
    let check = check_ingestion(&server.site(server.default_auth()), &fast()).await;
    assert!(check.can_run() && !check.projects.is_empty(), "{:?}", check.messages());
}
