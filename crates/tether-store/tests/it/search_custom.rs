//! Custom fields in JQL over ingested tickets, on both backends: `cf[N]` and names as the
//! site's field list gives them, each searched as its type is in Jira (select lists and
//! checkboxes by option, people by any of their names, numbers and dates compared, text
//! with `~`), values as Jira's REST API returns them.

use serde_json::{Value, json};
use tether_jql::dates::{Clock, WeekStart};
use tether_store::on_each_backend;
use tether_store::testing::TestBackend;
use tether_store::{NewTicket, SearchError, SearchScope, SiteCatalogue, TicketField};

use crate::TestStore;
use crate::search::{at, ingest};

const PLUGIN: &str = "com.atlassian.jira.plugin.system.customfieldtypes:";

fn field(id: &str, name: &str, schema_type: &str, custom: &str) -> TicketField {
    TicketField {
        id: id.into(),
        name: name.into(),
        custom: true,
        schema_type: Some(schema_type.into()),
        schema_custom: Some(format!("{PLUGIN}{custom}")),
    }
}

/// The custom fields of the first site, as `/rest/api/3/field` lists them.
fn fields() -> Vec<TicketField> {
    vec![
        field("customfield_10050", "Team", "option", "select"),
        field("customfield_10051", "Areas", "array", "multicheckboxes"),
        field("customfield_10052", "Severity score", "number", "float"),
        field("customfield_10053", "Go-live", "date", "datepicker"),
        field("customfield_10054", "Review at", "datetime", "datetime"),
        field("customfield_10055", "Notes", "string", "textarea"),
        field("customfield_10056", "Reviewer", "user", "userpicker"),
        field("customfield_10057", "Tags", "array", "labels"),
    ]
}

/// A ticket with custom values as Jira gives them (`customfield_N` → value), stored as
/// ingestion stores them.
fn ticket(
    id: &str,
    key: &str,
    project: &str,
    created_day: i64,
    values: &[(&str, Value)],
) -> NewTicket {
    let names: std::collections::HashMap<String, String> =
        fields().into_iter().map(|f| (f.id, f.name)).collect();
    let custom: serde_json::Map<String, Value> = values
        .iter()
        .map(|(id, v)| {
            let name = names.get(*id).cloned().unwrap_or_else(|| "Team".into());
            ((*id).to_owned(), json!({"name": name, "value": v}))
        })
        .collect();
    NewTicket {
        id: id.into(),
        key: key.into(),
        project_id: project.into(),
        summary: format!("Ticket {key}"),
        fields: "{}".into(),
        custom: Value::Object(custom).to_string(),
        status_id: Some("1".into()),
        created_at: at(created_day, 0),
        ..Default::default()
    }
}

fn option(value: &str, id: &str) -> Value {
    json!({"self": format!("https://acme.atlassian.net/rest/api/3/customFieldOption/{id}"), "value": value, "id": id})
}

struct World {
    t: TestStore,
    scope: SearchScope,
}

async fn world(backend: TestBackend) -> World {
    let t = TestStore::new(backend).await;
    let ann = json!({"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Ann Lee",
        "emailAddress": "ann@acme.test", "active": true, "timeZone": "Europe/Paris"});
    let acme = ingest(
        &t.store,
        "acme",
        "1",
        "WEB",
        vec![
            ticket(
                "1",
                "WEB-1",
                "1",
                1,
                &[
                    ("customfield_10050", option("Payments", "10100")),
                    ("customfield_10051", json!([option("API", "10201"), option("UI", "10202")])),
                    ("customfield_10052", json!(7.5)),
                    ("customfield_10053", json!("2026-01-20")),
                    ("customfield_10054", json!("2026-01-05T15:30:00.000+0100")),
                    ("customfield_10055", json!("Customer asked about refunds twice")),
                    ("customfield_10056", ann),
                    ("customfield_10057", json!(["alpha", "beta"])),
                ],
            ),
            ticket(
                "2",
                "WEB-2",
                "1",
                2,
                &[
                    ("customfield_10050", option("Growth", "10101")),
                    ("customfield_10051", json!([option("UI", "10202")])),
                    ("customfield_10052", json!(3)),
                    ("customfield_10053", json!("2026-02-01")),
                    ("customfield_10054", json!("2026-01-05T13:00:00.000-0500")),
                    ("customfield_10055", json!("")),
                    ("customfield_10057", json!([])),
                ],
            ),
            ticket("3", "WEB-3", "1", 3, &[]),
        ],
    )
    .await;
    t.store
        .put_ticket_catalogue(acme, &SiteCatalogue { fields: fields(), ..Default::default() })
        .await
        .unwrap();
    // Another site whose field named "Team" is a text field with another id.
    let other = ingest(
        &t.store,
        "other",
        "9",
        "OPS",
        vec![ticket("9", "OPS-1", "9", 4, &[("customfield_20000", json!("Payments platform"))])],
    )
    .await;
    let team =
        TicketField { id: "customfield_20000".into(), ..field("", "Team", "string", "textfield") };
    t.store
        .put_ticket_catalogue(other, &SiteCatalogue { fields: vec![team], ..Default::default() })
        .await
        .unwrap();
    let scope = SearchScope {
        site_ids: vec![acme, other],
        clock: Clock {
            now_ms: crate::START_MS,
            utc_offset_seconds: 0,
            week_start: WeekStart::Sunday,
        },
        current_user: vec![],
    };
    World { t, scope }
}

impl World {
    async fn search(&self, jql: &str) -> Result<Vec<String>, SearchError> {
        let page = self.t.store.search_tickets(jql, &self.scope, 100, 0).await?;
        Ok(page.tickets.into_iter().map(|t| t.key).collect())
    }
}

on_each_backend!(custom_fields_are_searched_as_their_types_are_in_jira);
async fn custom_fields_are_searched_as_their_types_are_in_jira(backend: TestBackend) {
    let w = world(backend).await;
    let cases: &[(&str, &[&str])] = &[
        // A select list: by option value (any case) or option id; by name or cf[N].
        ("cf[10050] = Payments", &["WEB-1"]),
        ("\"Team\" = payments", &["WEB-1"]),
        ("cf[10050] = 10101", &["WEB-2"]),
        ("cf[10050] in (Payments, Growth) ORDER BY key", &["WEB-1", "WEB-2"]),
        ("cf[10050] != Payments", &["WEB-2"]),
        ("cf[10050] IS EMPTY ORDER BY key", &["OPS-1", "WEB-3"]),
        ("cf[10050] IS NOT EMPTY ORDER BY cf[10050]", &["WEB-2", "WEB-1"]),
        // Checkboxes: any of the options; != leaves out tickets holding it or none.
        ("Areas = UI ORDER BY key", &["WEB-1", "WEB-2"]),
        ("Areas = API", &["WEB-1"]),
        ("Areas != API", &["WEB-2"]),
        ("project = WEB AND Areas IS EMPTY", &["WEB-3"]),
        // A number.
        ("\"Severity score\" > 5", &["WEB-1"]),
        ("cf[10052] <= 3 ", &["WEB-2"]),
        ("cf[10052] = 7.5", &["WEB-1"]),
        ("cf[10052] IS EMPTY ORDER BY key", &["OPS-1", "WEB-3"]),
        ("ORDER BY \"Severity score\" DESC", &["WEB-1", "WEB-2", "WEB-3", "OPS-1"]),
        // A date picker (calendar days) and a date-time (moments, here in UTC).
        ("\"Go-live\" < 2026-02-01", &["WEB-1"]),
        ("\"Go-live\" = 2026-02-01", &["WEB-2"]),
        ("\"Go-live\" >= 2026-01-20 ORDER BY key", &["WEB-1", "WEB-2"]),
        // 15:30+01:00 is 14:30Z; 13:00-05:00 is 18:00Z.
        ("\"Review at\" < \"2026-01-05 15:00\"", &["WEB-1"]),
        ("\"Review at\" > \"2026-01-05 15:00\"", &["WEB-2"]),
        ("\"Review at\" = 2026-01-05 ORDER BY key", &["WEB-1", "WEB-2"]),
        // Text: words, wildcards, emptiness (an empty string is empty).
        ("Notes ~ refunds", &["WEB-1"]),
        ("Notes ~ \"asked about\"", &["WEB-1"]),
        ("Notes ~ \"refund*\"", &["WEB-1"]),
        ("Notes !~ refunds", &[]),
        ("Notes IS EMPTY ORDER BY key", &["OPS-1", "WEB-2", "WEB-3"]),
        // A user picker: by account id, email or display name.
        ("Reviewer = 5b10ac8d82e05b22cc7d4ef5", &["WEB-1"]),
        ("Reviewer = \"ann@acme.test\"", &["WEB-1"]),
        ("Reviewer = \"ann lee\"", &["WEB-1"]),
        ("Reviewer IS EMPTY ORDER BY key", &["OPS-1", "WEB-2", "WEB-3"]),
        // Labels.
        ("Tags = beta", &["WEB-1"]),
        ("Tags in (EMPTY, alpha) ORDER BY key", &["OPS-1", "WEB-1", "WEB-2", "WEB-3"]),
        // A name two sites give fields of different types: each site's field, its own way.
        ("Team = Payments", &["WEB-1"]),
        ("Team ~ platform", &["OPS-1"]),
        ("cf[20000] ~ payments", &["OPS-1"]),
        ("project = OPS AND cf[10050] IS EMPTY", &["OPS-1"]),
    ];
    let mut wrong = Vec::new();
    for (jql, want) in cases {
        match w.search(jql).await {
            Ok(got) if got == *want => {}
            Ok(got) => wrong.push(format!("{jql}\n   want {want:?}\n    got {got:?}")),
            Err(e) => wrong.push(format!("{jql}\n   failed: {e}")),
        }
    }
    assert!(wrong.is_empty(), "{}:\n{}", w.t.label, wrong.join("\n"));
}

on_each_backend!(custom_fields_refuse_what_jira_refuses);
async fn custom_fields_refuse_what_jira_refuses(backend: TestBackend) {
    let w = world(backend).await;
    let refused = |jql: &'static str| {
        let w = &w;
        async move {
            match w.search(jql).await {
                Err(SearchError::Invalid(m)) => m.join(" "),
                other => panic!("{}: {jql} was not refused: {other:?}", w.t.label),
            }
        }
    };
    // A field no searched site has.
    assert_eq!(
        refused("cf[99999] = x").await,
        "Field 'cf[99999]' does not exist or you do not have permission to view it."
    );
    assert_eq!(
        refused("Colour = red").await,
        "Field 'Colour' does not exist or you do not have permission to view it."
    );
    // Operators the field's type does not take.
    assert!(refused("Notes = refunds").await.contains("'='"), "text takes no =");
    assert!(refused("Areas ~ UI").await.contains("'~'"), "options take no ~");
    assert!(refused("cf[10050] > 3").await.contains("'>'"), "options are not ordered");
    assert!(refused("cf[10052] = many").await.contains("not a valid number"));
    let was = refused("Team WAS Payments").await;
    assert!(was.to_lowercase().contains("'was'"), "custom fields keep no history: {was}");
}
