//! Ticket ingestion's connection and import control: credentials sealed and opened per kind,
//! the OAuth 1.0a flow's tokens, checks, discovery with auto-import, import switches (never
//! for Service Management), type assignments, and turning the integration off.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tether_store::on_each_backend;
use tether_store::testing::TestBackend;
use tether_store::{
    DiscoveredProject, JiraAuthKind, NewJiraSite, Store, StoreError, TicketAuthKind,
    TicketCategory, TicketCredentials, TicketIssueType,
};

use crate::TestStore;

pub(crate) async fn site(store: &Store) -> i64 {
    let site = NewJiraSite {
        name: "acme".into(),
        url: "https://acme.atlassian.net".into(),
        api_url: None,
        deployment: None,
        auth_kind: JiraAuthKind::ApiToken,
        auth_user: "me@acme.test".into(),
        secret: SecretString::from("flag-side-token"),
        options: Default::default(),
    };
    store.create_jira_site(&site, "test").await.unwrap().id
}

pub(crate) fn project(id: &str, key: &str, type_key: &str) -> DiscoveredProject {
    DiscoveredProject {
        id: id.into(),
        key: key.into(),
        name: format!("Project {key}"),
        type_key: Some(type_key.into()),
        category: None,
        team_managed: false,
        can_browse: true,
        can_create: true,
    }
}

on_each_backend!(credentials_are_sealed_and_opened_per_kind);
async fn credentials_are_sealed_and_opened_per_kind(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let site = site(&t.store).await;
    assert!(t.store.ticket_connection(site).await.unwrap().is_none());
    let cases = [
        TicketCredentials::ApiToken {
            email: "svc@acme.test".into(),
            token: "tok-1".to_owned().into(),
        },
        TicketCredentials::Password { username: "svc".into(), password: "pw-2".to_owned().into() },
        TicketCredentials::Pat { token: "pat-3".to_owned().into() },
        TicketCredentials::OAuth1 {
            consumer_key: "tether".into(),
            private_key: "-----BEGIN PRIVATE KEY-----x".to_owned().into(),
            public_key: "-----BEGIN PUBLIC KEY-----y".into(),
        },
    ];
    for creds in cases {
        let c = t.store.put_ticket_connection(site, &creds, "alice").await.unwrap();
        assert_eq!(c.auth_kind, creds.kind(), "{}", t.label);
        assert_eq!(c.authorised, creds.kind() != TicketAuthKind::OAuth1, "{:?}", creds.kind());
        assert!(!format!("{c:?}").contains("tok-1") && !format!("{creds:?}").contains("pat-3"));
        let opened = t.store.ticket_credentials(site).await.unwrap();
        let secret = |c: &TicketCredentials| match c {
            TicketCredentials::ApiToken { token, .. } | TicketCredentials::Pat { token } => {
                token.expose_secret().to_owned()
            }
            TicketCredentials::Password { password, .. } => password.expose_secret().to_owned(),
            TicketCredentials::OAuth1 { private_key, .. } => private_key.expose_secret().to_owned(),
        };
        assert_eq!(secret(&opened.credentials), secret(&creds));
        assert!(opened.oauth1_access_token.is_none());
    }
    let c = t.store.ticket_connection(site).await.unwrap().unwrap();
    assert_eq!((c.auth_user.as_str(), c.oauth1_public_key.is_some()), ("tether", true));

    // The three-legged flow: request token kept until the callback, then the access token.
    assert!(t.store.ticket_oauth1_request(site).await.unwrap().is_none());
    t.store.begin_ticket_oauth1(site, "req-1", &"req-secret".to_owned().into()).await.unwrap();
    let (token, secret) = t.store.ticket_oauth1_request(site).await.unwrap().unwrap();
    assert_eq!((token.as_str(), secret.expose_secret()), ("req-1", "req-secret"));
    let c =
        t.store.finish_ticket_oauth1(site, &"access-1".to_owned().into(), "alice").await.unwrap();
    assert!(c.authorised);
    assert!(t.store.ticket_oauth1_request(site).await.unwrap().is_none(), "used once");
    let opened = t.store.ticket_credentials(site).await.unwrap();
    assert_eq!(opened.oauth1_access_token.unwrap().expose_secret(), "access-1");

    // Another kind's credentials forget the application link's tokens.
    let pat = TicketCredentials::Pat { token: "pat-4".to_owned().into() };
    t.store.put_ticket_connection(site, &pat, "alice").await.unwrap();
    assert!(t.store.ticket_credentials(site).await.unwrap().oauth1_access_token.is_none());
    let err = t.store.begin_ticket_oauth1(site, "r", &"s".to_owned().into()).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "only an oauth1 connection takes request tokens");

    t.store
        .record_ticket_check(
            site,
            true,
            &json!({"messages": []}),
            Some("Svc"),
            Some("Europe/Berlin"),
        )
        .await
        .unwrap();
    let c = t.store.ticket_connection(site).await.unwrap().unwrap();
    let check = c.check.unwrap();
    assert_eq!(
        (check.ok, check.at, c.time_zone.as_deref()),
        (true, crate::START_MS, Some("Europe/Berlin"))
    );
    let log = t.store.audit_log(Some("integration/acme"), 20).await.unwrap();
    assert!(log.iter().any(|e| e.action == "tickets.connection.authorise"));
    assert!(
        log.iter().all(|e| !e.after.as_deref().unwrap_or("").contains("tok-1")),
        "no secret in the audit log"
    );
}

on_each_backend!(discovery_and_import_switches);
async fn discovery_and_import_switches(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let site = site(&t.store).await;
    let pat = TicketCredentials::Pat { token: "p".to_owned().into() };
    t.store.put_ticket_connection(site, &pat, "alice").await.unwrap();
    let found = [
        project("1", "WEB", "software"),
        project("2", "OPS", "business"),
        project("3", "HELP", "service_desk"),
    ];
    let projects = t.store.record_ticket_projects(site, &found).await.unwrap();
    assert_eq!(
        projects.iter().map(|p| (p.key.as_str(), p.imported)).collect::<Vec<_>>(),
        [("HELP", false), ("OPS", false), ("WEB", false)],
        "off by default"
    );
    assert!(!t.store.ticket_connection(site).await.unwrap().unwrap().refresh_requested);

    let web = t.store.set_ticket_import(site, "WEB", true, "alice").await.unwrap();
    assert!(web.imported && web.next_due_at == crate::START_MS);
    let err = t.store.set_ticket_import(site, "HELP", true, "alice").await.unwrap_err();
    assert!(err.to_string().contains("Jira Service Management"), "{err}");
    t.store.set_ticket_import(site, "HELP", false, "alice").await.unwrap();

    // Auto-import takes every processable project now and those found later.
    t.store.set_ticket_switches(site, None, Some(true), "alice").await.unwrap();
    let later = [
        project("1", "WEB", "software"),
        project("2", "OPS", "business"),
        project("4", "NEW", "software"),
        project("5", "DESK", "service_desk"),
    ];
    let projects = t.store.record_ticket_projects(site, &later).await.unwrap();
    let state: Vec<(&str, bool, bool)> =
        projects.iter().map(|p| (p.key.as_str(), p.imported, p.present)).collect();
    assert_eq!(
        state,
        [
            ("DESK", false, true),
            ("HELP", false, false),
            ("NEW", true, true),
            ("OPS", true, true),
            ("WEB", true, true)
        ]
    );

    // Import off keeps the project; pause stops and resume makes everything due.
    t.store.set_ticket_import(site, "2", false, "alice").await.unwrap();
    assert!(!t.store.ticket_project(site, "OPS").await.unwrap().imported);
    let c = t.store.set_ticket_switches(site, Some(true), None, "alice").await.unwrap();
    assert!(c.paused && c.auto_import);
    t.clock.advance(std::time::Duration::from_secs(60));
    t.store.set_ticket_switches(site, Some(false), None, "alice").await.unwrap();
    assert_eq!(
        t.store.ticket_project(site, "WEB").await.unwrap().next_due_at,
        crate::START_MS + 60_000
    );
}

on_each_backend!(type_assignments_default_and_stay_as_edited);
async fn type_assignments_default_and_stay_as_edited(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let site = site(&t.store).await;
    let pat = TicketCredentials::Pat { token: "p".to_owned().into() };
    t.store.put_ticket_connection(site, &pat, "alice").await.unwrap();
    t.store.record_ticket_projects(site, &[project("1", "WEB", "software")]).await.unwrap();
    let ty = |id: &str, name: &str, subtask, level| TicketIssueType {
        id: id.into(),
        name: name.into(),
        subtask,
        hierarchy_level: level,
    };
    let types = [
        ty("10", "Bug", false, Some(0)),
        ty("11", "Spike", false, Some(0)),
        ty("12", "Sub-task", true, Some(-1)),
        ty("13", "Epic", false, Some(1)),
    ];
    t.store.put_ticket_issue_types(site, &types).await.unwrap();
    t.store.default_type_assignments(site, "1", &types).await.unwrap();
    t.store
        .set_type_assignment(site, "1", "11", TicketCategory::StoryFeature, "alice")
        .await
        .unwrap();
    // Defaults again (a later discovery) leave the edited one alone.
    t.store.default_type_assignments(site, "1", &types).await.unwrap();
    let got: Vec<(String, Option<String>, TicketCategory, bool)> = t
        .store
        .type_assignments(site, "1")
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.issue_type_id, a.name, a.category, a.edited))
        .collect();
    let want = [
        ("10", "Bug", TicketCategory::Bug, false),
        ("13", "Epic", TicketCategory::Epic, false),
        ("11", "Spike", TicketCategory::StoryFeature, true),
        ("12", "Sub-task", TicketCategory::SubTask, false),
    ]
    .map(|(id, n, c, e)| (id.to_owned(), Some(n.to_owned()), c, e));
    assert_eq!(got, want);
}

on_each_backend!(turning_the_integration_off_removes_everything);
async fn turning_the_integration_off_removes_everything(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let site = site(&t.store).await;
    let pat = TicketCredentials::Pat { token: "p".to_owned().into() };
    t.store.put_ticket_connection(site, &pat, "alice").await.unwrap();
    t.store.record_ticket_projects(site, &[project("1", "WEB", "software")]).await.unwrap();
    assert!(t.store.delete_ticket_connection(site, "alice").await.unwrap());
    assert!(t.store.ticket_connection(site).await.unwrap().is_none());
    assert!(t.store.ticket_projects(site).await.unwrap().is_empty());
    assert!(!t.store.delete_ticket_connection(site, "alice").await.unwrap());
    // The site itself stays for the flag side.
    assert_eq!(t.store.jira_site(site).await.unwrap().name, "acme");
}

fn page(site: i64, project: &str, keys: &[&str], checkpoint: &str) -> tether_store::TicketPage {
    let tickets = keys
        .iter()
        .enumerate()
        .map(|(i, k)| tether_store::NewTicket {
            id: format!("{project}{i}"),
            key: (*k).to_owned(),
            project_id: project.to_owned(),
            summary: format!("Ticket {k}"),
            fields: "{}".into(),
            custom: "{}".into(),
            labels: vec!["a".into()],
            changes: vec![tether_store::NewChange {
                history_id: format!("h{k}"),
                field: "status".into(),
                ..Default::default()
            }],
            comments: Some(vec![tether_store::NewComment {
                id: format!("c{k}"),
                body: "hi".into(),
                ..Default::default()
            }]),
            sprint_ids: vec![1],
            ..Default::default()
        })
        .collect();
    tether_store::TicketPage {
        site_id: site,
        project_id: project.to_owned(),
        tickets,
        users: vec![tether_store::TicketUser {
            id: "u1".into(),
            email: Some("a@b.test".into()),
            ..Default::default()
        }],
        sprints: vec![tether_store::NewSprint { id: 1, name: "S1".into(), ..Default::default() }],
        checkpoint: Some(checkpoint.to_owned()),
        ..Default::default()
    }
}

on_each_backend!(claims_are_exclusive_and_a_lost_claim_writes_nothing);
async fn claims_are_exclusive_and_a_lost_claim_writes_nothing(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    let site = site(s).await;
    s.put_ticket_connection(site, &TicketCredentials::Pat { token: "p".to_owned().into() }, "t")
        .await
        .unwrap();
    s.record_ticket_check(site, true, &json!({}), None, None).await.unwrap();
    s.record_ticket_projects(
        site,
        &[project("1", "WEB", "software"), project("2", "OPS", "business")],
    )
    .await
    .unwrap();
    s.set_ticket_switches(site, None, Some(true), "t").await.unwrap();
    assert!(
        s.claim_ticket_project("a", 60_000).await.unwrap().is_none(),
        "not before the catalogues are read"
    );
    assert_eq!(s.claim_ticket_site("a", 60_000, 0, 0).await.unwrap(), Some(site));
    assert_eq!(s.claim_ticket_site("b", 60_000, 0, 0).await.unwrap(), None, "claimed");
    s.release_ticket_site(site, "a", true, None).await.unwrap();
    let a = s.claim_ticket_project("a", 60_000).await.unwrap().unwrap();
    let b = s.claim_ticket_project("b", 60_000).await.unwrap().unwrap();
    assert_ne!(a.id, b.id);
    assert!(s.claim_ticket_project("c", 60_000).await.unwrap().is_none());
    let started = s.start_ticket_pass(site, &a.id, "a", 5, None, Some(3)).await.unwrap().unwrap();
    assert_eq!((started.pass_started_ms, started.pass_total), (Some(5), Some(3)));
    assert!(
        s.write_ticket_page(&page(site, &a.id, &["WEB-1", "WEB-2"], "WEB-2"), "a", 60_000)
            .await
            .unwrap()
    );
    let once = s.ticket_checksums(site).await.unwrap();
    // The same page again (a resumed pass) changes nothing.
    assert!(
        s.write_ticket_page(&page(site, &a.id, &["WEB-1", "WEB-2"], "WEB-2"), "a", 60_000)
            .await
            .unwrap()
    );
    assert_eq!(s.ticket_checksums(site).await.unwrap(), once);
    let p = s.ticket_project(site, &a.id).await.unwrap();
    assert_eq!((p.checkpoint.as_deref(), p.pass_done), (Some("WEB-2"), 4));

    // The lease runs out: another worker takes over and resumes; the first writes nothing.
    t.clock.advance(std::time::Duration::from_secs(61));
    let c = s.claim_ticket_project("c", 60_000).await.unwrap().unwrap();
    let c =
        if c.id == a.id { c } else { s.claim_ticket_project("c", 60_000).await.unwrap().unwrap() };
    assert_eq!(
        (c.id.as_str(), c.checkpoint.as_deref(), c.in_pass()),
        (a.id.as_str(), Some("WEB-2"), true)
    );
    assert!(
        !s.write_ticket_page(&page(site, &a.id, &["WEB-3"], "WEB-3"), "a", 60_000).await.unwrap()
    );
    assert!(s.ticket(site, "WEB-3").await.unwrap().is_none());
    let end = tether_store::PassEnd {
        cursor_ms: 1,
        next_due_at: t.clock.now_ms() + 300_000,
        reconciled: true,
    };
    assert!(
        !s.finish_ticket_pass(site, &a.id, "a", end).await.unwrap(),
        "a lost claim finishes nothing"
    );
    assert!(s.finish_ticket_pass(site, &a.id, "c", end).await.unwrap());
    let p = s.ticket_project(site, &a.id).await.unwrap();
    assert_eq!(
        (p.cursor_ms, p.checkpoint.clone(), p.in_pass(), p.last_pass_issues),
        (Some(1), None, false, Some(4))
    );
    let stats = s.ticket_stats(site).await.unwrap();
    assert_eq!(
        (stats.tickets, stats.changes, stats.comments, stats.sprint_memberships, stats.users),
        (2, 2, 2, 2, 1)
    );
    assert_eq!(s.delete_tickets(site, &[format!("{}0", a.id)]).await.unwrap(), 1);
    assert_eq!(s.ticket_stats(site).await.unwrap().comments, 1, "its comments went with it");
}

/// A site's ticket connection, checked, with one imported project (WEB, of id `id`) that worker
/// "t" has claimed.
async fn claimed_project(s: &Store, site: i64, id: &str) -> tether_store::TicketProject {
    s.put_ticket_connection(site, &TicketCredentials::Pat { token: "p".to_owned().into() }, "t")
        .await
        .unwrap();
    s.record_ticket_check(site, true, &json!({}), None, None).await.unwrap();
    s.record_ticket_projects(site, &[project(id, "WEB", "software")]).await.unwrap();
    s.set_ticket_switches(site, None, Some(true), "t").await.unwrap();
    assert_eq!(s.claim_ticket_site("t", 60_000, 0, 0).await.unwrap(), Some(site));
    s.release_ticket_site(site, "t", true, None).await.unwrap();
    s.claim_ticket_project("t", 60_000).await.unwrap().unwrap()
}

on_each_backend!(deleting_the_jira_site_deletes_every_ingested_row);
/// A site deleted with its ticket integration on: nothing it brought stays behind (on
/// PostgreSQL the page tables have no foreign key to the connection; a trigger deletes them).
async fn deleting_the_jira_site_deletes_every_ingested_row(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    let site = site(s).await;
    let p = claimed_project(s, site, "1").await;
    let mut written = page(site, &p.id, &["WEB-1", "WEB-2"], "WEB-2");
    written.tickets[0].worklogs =
        Some(vec![tether_store::NewWorklog { id: "w1".into(), ..Default::default() }]);
    written.tickets[0].remote_links = Some(vec![tether_store::NewRemoteLink {
        id: "r1".into(),
        url: "https://example.test/".into(),
        title: "t".into(),
        ..Default::default()
    }]);
    assert!(s.write_ticket_page(&written, "t", 60_000).await.unwrap());
    let stored: Vec<(String, i64)> =
        s.ticket_checksums(site).await.unwrap().into_iter().map(|(t, n, _)| (t, n)).collect();
    for table in ["tickets", "ticket_changes", "ticket_comments", "ticket_worklogs"] {
        assert!(stored.iter().any(|(t, n)| t == table && *n > 0), "{table} written: {stored:?}");
    }
    // PostgreSQL's word index (`text ~`) follows its tickets, by a trigger.
    let words = async || -> Option<i64> {
        if backend != TestBackend::Postgres {
            return None;
        }
        let pool = sqlx::PgPool::connect(&t.url).await.unwrap();
        let n = sqlx::query_scalar("SELECT count(*) FROM ticket_words WHERE site_id = $1")
            .bind(site)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        Some(n)
    };
    let pg = backend == TestBackend::Postgres;
    assert_eq!(words().await, pg.then_some(2));
    assert_eq!(s.delete_tickets(site, &[written.tickets[1].id.clone()]).await.unwrap(), 1);
    assert_eq!(words().await, pg.then_some(1));
    assert!(s.delete_jira_site(site, "t").await.unwrap());
    assert_eq!(words().await, pg.then_some(0));
    let left: Vec<(String, i64)> = s
        .ticket_checksums(site)
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, n, _)| *n > 0)
        .map(|(t, n, _)| (t, n))
        .collect();
    assert_eq!(left, [], "rows outlived their site");
    let stats = s.ticket_stats(site).await.unwrap();
    assert_eq!((stats.remote_links, stats.sprint_memberships), (0, 0));
}

on_each_backend!(a_page_adds_the_catalogue_entries_its_tickets_name);
/// A site whose catalogues lack what its tickets name (a hand-made export, an entry added
/// since the catalogues were read): the page adds them, never overwriting a known category
/// with none, and gives each new type its default assignment in the ticket's project.
async fn a_page_adds_the_catalogue_entries_its_tickets_name(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    let site = site(s).await;
    assert_eq!(claimed_project(s, site, "10").await.id, "10");
    let known = tether_store::TicketStatus {
        id: "3".into(),
        name: "In Progress".into(),
        category_key: Some("indeterminate".into()),
        category_name: Some("In Progress".into()),
    };
    let catalogue =
        tether_store::SiteCatalogue { statuses: vec![known.clone()], ..Default::default() };
    s.put_ticket_catalogue(site, &catalogue).await.unwrap();
    let mut p = page(site, "10", &["WEB-1"], "WEB-1");
    p.tickets[0].status_id = Some("3".into());
    p.tickets[0].issue_type_id = Some("name:Sous-tâche".into());
    p.statuses = vec![
        tether_store::TicketStatus { category_key: None, category_name: None, ..known.clone() },
        tether_store::TicketStatus {
            id: "name:Erledigt".into(),
            name: "Erledigt".into(),
            category_key: Some("done".into()),
            category_name: None,
        },
    ];
    p.issue_types = vec![TicketIssueType {
        id: "name:Sous-tâche".into(),
        name: "Sous-tâche".into(),
        subtask: true,
        hierarchy_level: Some(-1),
    }];
    p.priorities = vec![("2".into(), "High".into())];
    p.resolutions = vec![("name:Fixed".into(), "Fixed".into())];
    assert!(s.write_ticket_page(&p, "t", 60_000).await.unwrap());

    let statuses = s.ticket_statuses(site).await.unwrap();
    let got: Vec<_> = statuses.iter().map(|x| (x.id.as_str(), x.category_key.as_deref())).collect();
    assert_eq!(got, [("name:Erledigt", Some("done")), ("3", Some("indeterminate"))], "by name");
    let types = s.ticket_issue_types(site).await.unwrap();
    assert_eq!(types, p.issue_types);
    let assigned = s.type_assignments(site, "10").await.unwrap();
    let got: Vec<_> =
        assigned.iter().map(|a| (a.issue_type_id.as_str(), a.category, a.edited)).collect();
    assert_eq!(got, [("name:Sous-tâche", TicketCategory::SubTask, false)]);
}
