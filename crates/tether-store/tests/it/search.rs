//! JQL over ingested tickets, on both backends: Jira's operators and history searches
//! answered from the stored rows, tether's own fields from flags and code mentions, values
//! checked to exist, and nothing outside the caller's sites.

use secrecy::SecretString;
use serde_json::json;
use tether_flags::{EnvConfig, Flag, FlagKind, Serve, Variation};
use tether_jql::dates::{Clock, WeekStart};
use tether_store::dev::{Mention, NewRepository, RepoSource};
use tether_store::on_each_backend;
use tether_store::testing::TestBackend;
use tether_store::{
    EnvKind, JiraAuthKind, NewChange, NewComment, NewEnvironment, NewJiraSite, NewProject,
    NewSprint, NewTicket, SearchError, SearchScope, Store, TicketCredentials, TicketIssueType,
    TicketPage, TicketStatus, TicketUser,
};

use crate::TestStore;
use crate::tickets::project;

/// 2025-12-01T00:00Z and a day.
pub(crate) const DEC_1: i64 = 1_764_547_200_000;
pub(crate) const DAY: i64 = 86_400_000;

pub(crate) fn at(day_of_december: i64, hour: i64) -> Option<i64> {
    Some(DEC_1 + (day_of_december - 1) * DAY + hour * 3_600_000)
}

fn change(
    id: &str,
    when: Option<i64>,
    who: &str,
    field: &str,
    from: (&str, &str),
    to: (&str, &str),
) -> NewChange {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    NewChange {
        history_id: id.into(),
        item: 0,
        author_id: opt(who),
        at: when,
        field: field.into(),
        from_value: opt(from.0),
        from_string: opt(from.1),
        to_value: opt(to.0),
        to_string: opt(to.1),
        ..Default::default()
    }
}

pub(crate) async fn ingest(
    store: &Store,
    name: &str,
    project_id: &str,
    key: &str,
    tickets: Vec<NewTicket>,
) -> i64 {
    let site = NewJiraSite {
        name: name.into(),
        url: format!("https://{name}.atlassian.net"),
        api_url: None,
        deployment: None,
        auth_kind: JiraAuthKind::ApiToken,
        auth_user: "me@acme.test".into(),
        secret: SecretString::from("t"),
        options: Default::default(),
    };
    let site = store.create_jira_site(&site, "t").await.unwrap().id;
    store
        .put_ticket_connection(site, &TicketCredentials::Pat { token: "p".to_owned().into() }, "t")
        .await
        .unwrap();
    store.record_ticket_check(site, true, &json!({}), None, None).await.unwrap();
    store.record_ticket_projects(site, &[project(project_id, key, "software")]).await.unwrap();
    store.set_ticket_switches(site, None, Some(true), "t").await.unwrap();
    assert_eq!(store.claim_ticket_site("w", 60_000, 0, 0).await.unwrap(), Some(site));
    store.release_ticket_site(site, "w", true, None).await.unwrap();
    let claimed = store.claim_ticket_project("w", 60_000).await.unwrap().unwrap();
    store.start_ticket_pass(site, &claimed.id, "w", 5, None, None).await.unwrap().unwrap();
    let status = |id: &str, name: &str, cat: &str| TicketStatus {
        id: id.into(),
        name: name.into(),
        category_key: Some(cat.into()),
        category_name: None,
    };
    let ty = |id: &str, name: &str, subtask| TicketIssueType {
        id: id.into(),
        name: name.into(),
        subtask,
        hierarchy_level: None,
    };
    let user = |id: &str, name: &str, email: &str| TicketUser {
        id: id.into(),
        name: None,
        display_name: Some(name.into()),
        email: Some(email.into()),
        ..Default::default()
    };
    let page = TicketPage {
        site_id: site,
        project_id: project_id.into(),
        tickets,
        users: vec![
            user("u-ann", "Ann Lee", "ann@acme.test"),
            user("u-bob", "Bob Stone", "bob@acme.test"),
        ],
        sprints: vec![
            NewSprint {
                id: 1,
                name: "Sprint 1".into(),
                state: Some("closed".into()),
                ..Default::default()
            },
            NewSprint {
                id: 2,
                name: "Sprint 2".into(),
                state: Some("active".into()),
                ..Default::default()
            },
        ],
        statuses: vec![
            status("1", "To Do", "new"),
            status("3", "In Progress", "indeterminate"),
            status("5", "Done", "done"),
        ],
        issue_types: vec![
            ty("10", "Bug", false),
            ty("11", "Story", false),
            ty("12", "Sub-task", true),
        ],
        priorities: vec![("2".into(), "High".into()), ("3".into(), "Medium".into())],
        resolutions: vec![("10000".into(), "Done".into())],
        checkpoint: None,
    };
    assert!(store.write_ticket_page(&page, "w", 60_000).await.unwrap());
    site
}

pub(crate) fn web() -> Vec<NewTicket> {
    let base = |id: &str, key: &str, summary: &str| NewTicket {
        id: id.into(),
        key: key.into(),
        project_id: "1".into(),
        summary: summary.into(),
        fields: "{}".into(),
        custom: "{}".into(),
        reporter_id: Some("u-ann".into()),
        priority_id: Some("3".into()),
        ..Default::default()
    };
    vec![
        NewTicket {
            description: Some("The full screen mode breaks the page".into()),
            issue_type_id: Some("10".into()),
            status_id: Some("5".into()),
            resolution_id: Some("10000".into()),
            resolved_at: at(10, 12),
            created_at: at(1, 10),
            updated_at: at(10, 12),
            assignee_id: Some("u-ann".into()),
            reporter_id: Some("u-bob".into()),
            priority_id: Some("2".into()),
            labels: vec!["frontend".into(), "Safari".into()],
            sprint_ids: vec![1],
            changes: vec![
                change("101", at(2, 9), "u-ann", "status", ("1", "To Do"), ("3", "In Progress")),
                change("102", at(2, 9), "u-ann", "assignee", ("", ""), ("u-ann", "Ann Lee")),
                change("103", at(10, 12), "u-bob", "status", ("3", "In Progress"), ("5", "Done")),
            ],
            ..base("1001", "WEB-1", "Checkout button broken on Safari")
        },
        NewTicket {
            issue_type_id: Some("11".into()),
            status_id: Some("3".into()),
            created_at: at(15, 10),
            updated_at: at(20, 10),
            assignee_id: Some("u-bob".into()),
            labels: vec!["checkout".into()],
            sprint_ids: vec![2],
            changes: vec![change(
                "201",
                at(20, 10),
                "u-bob",
                "status",
                ("1", "To Do"),
                ("3", "In Progress"),
            )],
            comments: Some(vec![NewComment {
                id: "c1".into(),
                body: "Needs a screen reader pass".into(),
                ..Default::default()
            }]),
            ..base("1002", "WEB-2", "New checkout flow")
        },
        NewTicket {
            issue_type_id: Some("12".into()),
            status_id: Some("1".into()),
            created_at: at(28, 10),
            updated_at: at(28, 10),
            due_date: Some("2026-01-15".into()),
            parent_id: Some("1002".into()),
            parent_key: Some("WEB-2".into()),
            ..base("1010", "WEB-10", "Write tests")
        },
    ]
}

pub(crate) struct World {
    pub(crate) t: TestStore,
    pub(crate) acme: i64,
    other: i64,
}

pub(crate) async fn world(backend: TestBackend) -> World {
    let t = TestStore::new(backend).await;
    let acme = ingest(&t.store, "acme", "1", "WEB", web()).await;
    let ops = NewTicket {
        id: "9001".into(),
        key: "OPS-1".into(),
        project_id: "9".into(),
        summary: "Checkout outage".into(),
        fields: "{}".into(),
        custom: "{}".into(),
        status_id: Some("1".into()),
        created_at: at(3, 0),
        ..Default::default()
    };
    let other = ingest(&t.store, "other", "9", "OPS", vec![ops]).await;
    World { t, acme, other }
}

impl World {
    pub(crate) fn scope(&self) -> SearchScope {
        SearchScope {
            site_ids: vec![self.acme],
            // 2026-01-01T00:00Z, searching in UTC.
            clock: Clock {
                now_ms: crate::START_MS,
                utc_offset_seconds: 0,
                week_start: WeekStart::Sunday,
            },
            current_user: vec!["ann@acme.test".into()],
        }
    }

    async fn keys_in(&self, scope: &SearchScope, jql: &str) -> Vec<String> {
        match self.t.store.search_tickets(jql, scope, 100, 0).await {
            Ok(page) => page.tickets.into_iter().map(|t| t.key).collect(),
            Err(e) => panic!("{}: {jql}: {e}: {e:?}", self.t.label),
        }
    }

    async fn keys(&self, jql: &str) -> Vec<String> {
        self.keys_in(&self.scope(), jql).await
    }

    async fn refused(&self, jql: &str) -> Vec<String> {
        match self.t.store.search_tickets(jql, &self.scope(), 100, 0).await {
            Err(SearchError::Invalid(messages)) => messages,
            other => panic!("{}: {jql} was not refused: {other:?}", self.t.label),
        }
    }
}

/// Runs each (query, expected keys in order) and reports every mismatch at once.
async fn table(w: &World, cases: &[(&str, &[&str])]) {
    let mut wrong = Vec::new();
    for (jql, want) in cases {
        let got = w.keys(jql).await;
        if got != *want {
            wrong.push(format!("{jql}\n   want {want:?}\n    got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}:\n{}", w.t.label, wrong.join("\n"));
}

on_each_backend!(values_lists_emptiness_and_order_as_jira_answers_them);
async fn values_lists_emptiness_and_order_as_jira_answers_them(backend: TestBackend) {
    let w = world(backend).await;
    table(
        &w,
        &[
            ("", &["WEB-10", "WEB-2", "WEB-1"]),
            ("project = WEB AND status = \"In Progress\"", &["WEB-2"]),
            ("project = \"Project WEB\" ORDER BY key", &["WEB-1", "WEB-2", "WEB-10"]),
            ("status IN (\"to do\", Done) ORDER BY key", &["WEB-1", "WEB-10"]),
            ("status != Done ORDER BY key DESC", &["WEB-10", "WEB-2"]),
            ("status NOT IN (1, 5)", &["WEB-2"]),
            ("assignee IS EMPTY", &["WEB-10"]),
            ("assignee IS NOT EMPTY ORDER BY assignee", &["WEB-1", "WEB-2"]),
            ("assignee = \"bob@acme.test\"", &["WEB-2"]),
            ("assignee = \"Ann Lee\" OR assignee = EMPTY ORDER BY key", &["WEB-1", "WEB-10"]),
            ("assignee = currentUser()", &["WEB-1"]),
            ("reporter in (u-bob)", &["WEB-1"]),
            ("resolution = Unresolved ORDER BY key", &["WEB-2", "WEB-10"]),
            ("resolution IS NOT EMPTY", &["WEB-1"]),
            ("statusCategory = \"In Progress\"", &["WEB-2"]),
            ("statusCategory != done ORDER BY key", &["WEB-2", "WEB-10"]),
            ("issuetype in standardIssueTypes() ORDER BY key", &["WEB-1", "WEB-2"]),
            ("type in subTaskIssueTypes()", &["WEB-10"]),
            ("priority = High", &["WEB-1"]),
            ("labels = safari", &["WEB-1"]),
            ("labels in (checkout, frontend) ORDER BY key", &["WEB-1", "WEB-2"]),
            ("labels IS EMPTY", &["WEB-10"]),
            ("labels != frontend", &["WEB-2"]),
            ("parent = WEB-2", &["WEB-10"]),
            ("key > WEB-2", &["WEB-10"]),
            ("issuekey <= WEB-2 ORDER BY key", &["WEB-1", "WEB-2"]),
            ("key in (web-1, 1010) ORDER BY key", &["WEB-1", "WEB-10"]),
            ("sprint = \"Sprint 2\"", &["WEB-2"]),
            ("sprint in openSprints()", &["WEB-2"]),
            ("sprint in closedSprints()", &["WEB-1"]),
            ("sprint IS EMPTY", &["WEB-10"]),
            ("NOT status = Done ORDER BY key", &["WEB-2", "WEB-10"]),
            (
                "status = Done OR (labels = checkout AND NOT assignee = currentUser())",
                &["WEB-2", "WEB-1"],
            ),
            ("ORDER BY priority ASC, key DESC", &["WEB-1", "WEB-10", "WEB-2"]),
            ("ORDER BY summary", &["WEB-1", "WEB-2", "WEB-10"]),
            ("ticketCategory = BUG", &["WEB-1"]),
            ("ticketCategory in (story, subtask) ORDER BY ticketCategory", &["WEB-2", "WEB-10"]),
            ("ticketCategory != bug ORDER BY ticketCategory DESC", &["WEB-10", "WEB-2"]),
            ("ticketCategory IS EMPTY", &[]),
        ],
    )
    .await;
}

on_each_backend!(dates_relative_dates_and_date_functions);
async fn dates_relative_dates_and_date_functions(backend: TestBackend) {
    let w = world(backend).await;
    table(
        &w,
        &[
            ("created >= 2025-12-15 ORDER BY created", &["WEB-2", "WEB-10"]),
            ("created = 2025-12-15", &["WEB-2"]),
            ("created = \"2025/12/15 10:00\"", &["WEB-2"]),
            ("resolved < \"2025-12-11\"", &["WEB-1"]),
            ("resolved IS EMPTY ORDER BY key", &["WEB-2", "WEB-10"]),
            ("created > -7d", &["WEB-10"]),
            ("created > \"-4w 2d\" ORDER BY key", &["WEB-2", "WEB-10"]),
            ("updated < startOfMonth()", &["WEB-10", "WEB-2", "WEB-1"]),
            ("created < startOfMonth(-1)", &[]),
            ("created >= startOfWeek(-1w)", &["WEB-10"]),
            ("due <= 2026-01-15", &["WEB-10"]),
            ("due > 2026-01-15", &[]),
            ("due = 2026-01-15", &["WEB-10"]),
            ("due IS EMPTY ORDER BY key", &["WEB-1", "WEB-2"]),
            ("created > now()", &[]),
        ],
    )
    .await;
}

on_each_backend!(text_search_finds_words_phrases_and_wildcards);
async fn text_search_finds_words_phrases_and_wildcards(backend: TestBackend) {
    let w = world(backend).await;
    table(
        &w,
        &[
            ("summary ~ checkout ORDER BY key", &["WEB-1", "WEB-2"]),
            ("summary ~ \"checkout flow\"", &["WEB-2"]),
            ("summary ~ \"flow checkout\"", &["WEB-2"]),
            ("summary ~ \"\\\"flow checkout\\\"\"", &[]),
            ("summary ~ \"\\\"checkout flow\\\"\"", &["WEB-2"]),
            ("summary ~ \"check*\" ORDER BY key", &["WEB-1", "WEB-2"]),
            ("summary !~ checkout", &["WEB-10"]),
            ("description ~ screen", &["WEB-1"]),
            ("comment ~ screen", &["WEB-2"]),
            ("text ~ screen ORDER BY key", &["WEB-1", "WEB-2"]),
            ("description IS EMPTY ORDER BY key", &["WEB-2", "WEB-10"]),
            ("summary ~ \"100%\"", &[]),
            // Words by their English stems, not letters anywhere: "checkouts" is "checkout",
            // "check" is another word.
            ("summary ~ checkouts ORDER BY key", &["WEB-1", "WEB-2"]),
            ("summary ~ \"check\"", &[]),
            ("text ~ \"screens\" ORDER BY key", &["WEB-1", "WEB-2"]),
            // Other wildcards match the letters as written.
            ("summary ~ \"ch?ckout\" ORDER BY key", &["WEB-1", "WEB-2"]),
        ],
    )
    .await;
}

on_each_backend!(was_and_changed_are_answered_from_the_history);
async fn was_and_changed_are_answered_from_the_history(backend: TestBackend) {
    let w = world(backend).await;
    table(
        &w,
        &[
            ("status WAS \"In Progress\" ORDER BY key", &["WEB-1", "WEB-2"]),
            // The value a ticket was created with counts, and so does an unchanged one.
            ("status WAS \"To Do\" ORDER BY key", &["WEB-1", "WEB-2", "WEB-10"]),
            ("status WAS NOT \"In Progress\"", &["WEB-10"]),
            ("status WAS IN (Done, \"In Progress\") ORDER BY key", &["WEB-1", "WEB-2"]),
            ("status WAS NOT IN (Done, \"In Progress\")", &["WEB-10"]),
            ("status WAS \"In Progress\" BY \"ann@acme.test\"", &["WEB-1"]),
            ("status WAS \"In Progress\" BY \"Bob Stone\"", &["WEB-2"]),
            ("status WAS \"In Progress\" ON 2025-12-05", &["WEB-1"]),
            ("status WAS \"In Progress\" ON 2025-12-25 ORDER BY key", &["WEB-2"]),
            ("status WAS \"To Do\" ON 2025-12-05", &[]),
            ("status WAS Done BEFORE 2025-12-05", &[]),
            ("status WAS \"To Do\" AFTER 2025-12-21", &["WEB-10"]),
            ("status WAS \"In Progress\" DURING (2025-12-03, 2025-12-09)", &["WEB-1"]),
            ("status CHANGED FROM \"In Progress\" TO Done", &["WEB-1"]),
            ("status CHANGED ORDER BY key", &["WEB-1", "WEB-2"]),
            ("status CHANGED BY \"bob@acme.test\" ORDER BY key", &["WEB-1", "WEB-2"]),
            ("status CHANGED AFTER 2025-12-15", &["WEB-2"]),
            ("status CHANGED DURING (2025-12-01, 2025-12-05)", &["WEB-1"]),
            ("status CHANGED TO \"In Progress\" BY currentUser()", &["WEB-1"]),
            ("assignee WAS EMPTY ORDER BY key", &["WEB-1", "WEB-10"]),
            ("assignee WAS \"Ann Lee\"", &["WEB-1"]),
            ("assignee CHANGED FROM EMPTY", &["WEB-1"]),
            ("NOT status CHANGED", &["WEB-10"]),
        ],
    )
    .await;
}

on_each_backend!(unknown_values_and_unsupported_fields_are_refused_in_jiras_words);
async fn unknown_values_and_unsupported_fields_are_refused_in_jiras_words(backend: TestBackend) {
    let w = world(backend).await;
    assert_eq!(
        w.refused("status = Nope").await,
        ["The value 'Nope' does not exist for the field 'status'."]
    );
    assert_eq!(
        w.refused("project in (WEB, ZZZ) AND assignee = nobody").await,
        [
            "The value 'ZZZ' does not exist for the field 'project'.",
            "The value 'nobody' does not exist for the field 'assignee'."
        ]
    );
    // OPS is on a site this caller cannot see: it does not exist for them.
    assert_eq!(
        w.refused("project = OPS").await,
        ["The value 'OPS' does not exist for the field 'project'."]
    );
    assert_eq!(
        w.refused("statusCategory = Blocked").await,
        ["The value 'Blocked' does not exist for the field 'statusCategory'."]
    );
    assert_eq!(
        w.refused("ticketCategory = feature").await,
        ["The value 'feature' does not exist for the field 'ticketCategory'."]
    );
    let parse = w.refused("project = ").await;
    assert!(parse[0].starts_with("Error in JQL Query: Expecting either a value"), "{parse:?}");
    assert_eq!(
        w.refused("nope = 1").await,
        ["Field 'nope' does not exist or you do not have permission to view it."]
    );
    let votes = w.refused("votes > 2").await;
    assert!(
        votes[0].contains("'votes' is not searchable over tether's ingested tickets"),
        "{votes:?}"
    );
    let members = w.refused("assignee in membersOf(\"jira-users\")").await;
    assert!(members[0].contains("membersOf"), "{members:?}");
    let fix = w.refused("fixVersion WAS \"1.0\"").await;
    assert!(fix[0].contains("History searches on the field 'fixVersion'"), "{fix:?}");
}

on_each_backend!(only_the_callers_sites_are_searched_and_pages_follow_on);
async fn only_the_callers_sites_are_searched_and_pages_follow_on(backend: TestBackend) {
    let w = world(backend).await;
    let mut scope = w.scope();
    scope.site_ids = vec![w.other];
    assert_eq!(w.keys_in(&scope, "summary ~ checkout").await, ["OPS-1"]);
    scope.site_ids = vec![w.acme, w.other];
    assert_eq!(
        w.keys_in(&scope, "summary ~ checkout ORDER BY key").await,
        ["OPS-1", "WEB-1", "WEB-2"]
    );
    scope.site_ids = vec![];
    assert!(w.keys_in(&scope, "").await.is_empty());

    let s = &w.t.store;
    let first = s.search_tickets("ORDER BY key", &w.scope(), 2, 0).await.unwrap();
    assert_eq!(
        first.tickets.iter().map(|t| t.key.as_str()).collect::<Vec<_>>(),
        ["WEB-1", "WEB-2"]
    );
    assert!(!first.is_last);
    let second = s.search_tickets("ORDER BY key", &w.scope(), 2, 2).await.unwrap();
    assert_eq!(second.tickets.iter().map(|t| t.key.as_str()).collect::<Vec<_>>(), ["WEB-10"]);
    assert!(second.is_last);

    // Counts, as the Tickets page's tabs show them: the same sites, the same refusals.
    let count = |jql: &'static str, scope: SearchScope| async move {
        s.count_tickets(jql, &scope).await.map_err(|e| e.to_string())
    };
    assert_eq!(count("", w.scope()).await, Ok(3));
    assert_eq!(count("statusCategory != Done ORDER BY key", w.scope()).await, Ok(2));
    assert_eq!(count("statusCategory = Done", w.scope()).await, Ok(1));
    assert_eq!(count("summary ~ checkout", scope.clone()).await, Ok(0), "no site, nothing");
    let mut both = w.scope();
    both.site_ids = vec![w.acme, w.other];
    assert_eq!(count("summary ~ checkout", both).await, Ok(3));
    assert_eq!(
        count("status = Nope", w.scope()).await,
        Err("The value 'Nope' does not exist for the field 'status'.".to_owned())
    );
}

on_each_backend!(tethers_own_fields_search_flags_and_code);
async fn tethers_own_fields_search_flags_and_code(backend: TestBackend) {
    let w = world(backend).await;
    let s = &w.t.store;
    let mut config = shop(s, w.acme).await;
    s.link_flag_issue("shop", "checkout", "web-2", "t").await.unwrap();
    config.on = true;
    s.update_flag_config("shop", "checkout", "staging", &config, None, "t").await.unwrap();

    let repo = repository(s).await;
    let mention = |entity: &str, key: &str, kind: &str, state: &str| Mention {
        repository_id: repo.id,
        entity: entity.into(),
        issue_key: key.into(),
        kind: kind.into(),
        title: "t".into(),
        url: format!("https://github.com/acme/web/{entity}"),
        author: String::new(),
        branch: String::new(),
        state: state.into(),
        at: 1,
    };
    s.upsert_mention(&mention(&format!("{}:commit:abc1234def", repo.id), "WEB-1", "commit", ""))
        .await
        .unwrap();
    s.upsert_mention(&mention(&format!("{}:pr:12", repo.id), "WEB-2", "pull_request", "OPEN"))
        .await
        .unwrap();

    table(
        &w,
        &[
            ("flag = checkout", &["WEB-2"]),
            ("flag = \"shop/checkout\"", &["WEB-2"]),
            ("flag IS EMPTY ORDER BY key", &["WEB-1", "WEB-10"]),
            // Off in production (the primary tracked environment), on in staging.
            ("flagEnabled = \"false\"", &["WEB-2"]),
            ("flagEnabled = \"true\"", &[]),
            ("flagState[staging] = \"on\"", &["WEB-2"]),
            ("flagState[production] = \"on\"", &[]),
            ("\"commit\" = abc1234", &["WEB-1"]),
            ("\"commit\" = ABC1234DEF", &["WEB-1"]),
            ("repository = \"acme/web\" ORDER BY key", &["WEB-1", "WEB-2"]),
            ("pullRequest = \"acme/web!12\"", &["WEB-2"]),
            ("pullRequest = \"#12\"", &["WEB-2"]),
            ("pullRequest IS EMPTY ORDER BY key", &["WEB-1", "WEB-10"]),
            ("development[commits].all > 0", &["WEB-1"]),
            ("development[pullrequests].open > 0", &["WEB-2"]),
            ("development[commits].all = 0 ORDER BY key", &["WEB-2", "WEB-10"]),
        ],
    )
    .await;
    assert_eq!(
        w.refused("flag = nope").await,
        ["The value 'nope' does not exist for the field 'flag'."]
    );
    let builds = w.refused("development[builds].failing > 0").await;
    assert!(builds[0].contains("not builds"), "{builds:?}");
}

/// A flag project `shop` tracking `site`, with a boolean flag `checkout` off everywhere;
/// returns that config.
pub(crate) async fn shop(s: &Store, site: i64) -> EnvConfig {
    let env = |key: &str, kind, primary| NewEnvironment {
        key: key.into(),
        name: key.into(),
        kind,
        primary,
    };
    s.create_project(
        &NewProject {
            key: "shop".into(),
            name: "Shop".into(),
            description: String::new(),
            environments: vec![
                env("staging", EnvKind::Staging, false),
                env("production", EnvKind::Production, true),
            ],
        },
        "t",
    )
    .await
    .unwrap();
    let flag = Flag {
        key: "checkout".into(),
        name: "Checkout".into(),
        description: String::new(),
        kind: FlagKind::Boolean,
        variations: vec![
            Variation { key: "on".into(), name: "On".into(), value: json!(true) },
            Variation { key: "off".into(), name: "Off".into(), value: json!(false) },
        ],
        tags: vec![],
        custom_properties: Default::default(),
    };
    let config = EnvConfig {
        on: false,
        off_variation: "off".into(),
        targets: vec![],
        rules: vec![],
        default_rule: Serve::variation("on"),
    };
    s.create_flag("shop", &flag, &config, "t").await.unwrap();
    s.set_project_jira("shop", site, None, None, None, "t").await.unwrap();
    config
}

on_each_backend!(text_search_follows_tickets_and_comments_as_they_are_written_again);
async fn text_search_follows_tickets_and_comments_as_they_are_written_again(backend: TestBackend) {
    let w = world(backend).await;
    table(&w, &[("comment ~ reader", &["WEB-2"]), ("summary ~ wizard", &[])]).await;
    // WEB-2 ingested again: a new summary and its comments replaced (the ingester's claim on
    // the project is still held).
    let mut tickets = web();
    let mut web2 = tickets.remove(1);
    web2.summary = "Checkout wizard".into();
    web2.comments = Some(vec![NewComment {
        id: "c2".into(),
        body: "Copy reviewed by legal".into(),
        ..Default::default()
    }]);
    let page = TicketPage {
        site_id: w.acme,
        project_id: "1".into(),
        tickets: vec![web2],
        ..Default::default()
    };
    assert!(w.t.store.write_ticket_page(&page, "w", 60_000).await.unwrap());
    table(
        &w,
        &[
            ("summary ~ wizard", &["WEB-2"]),
            ("summary ~ flow", &[]),
            ("comment ~ reader", &[]),
            ("comment ~ legal", &["WEB-2"]),
            ("text ~ \"\\\"reviewed legal\\\"\"", &[]),
            ("text ~ \"\\\"reviewed by legal\\\"\"", &["WEB-2"]),
            // "by" is a word people leave out; all the same, all three words are there.
            ("text ~ \"reviewed by legal\"", &["WEB-2"]),
        ],
    )
    .await;
}

/// A GitHub repository `acme/web` in tether.
pub(crate) async fn repository(s: &Store) -> tether_store::dev::Repository {
    let new = NewRepository {
        name: "acme/web".into(),
        source: RepoSource::GitHub,
        group: None,
        secret: None,
        path: None,
        web_url: None,
        settings: Default::default(),
    };
    s.create_repository(&new, "t").await.unwrap()
}
