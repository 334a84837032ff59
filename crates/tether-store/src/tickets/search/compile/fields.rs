//! Which field a clause names and how tether answers it: the fields tether answers over its
//! own data ([`ANSWERED`]) as a [`Kind`], and the catalogue tables behind the fields whose
//! values are rows ([`Reference`]).

use tether_jql::Field;

use super::{Compiler, Kind, Multi, Reference};

/// The fields (by catalogue name) tether answers over its own data; another field of the
/// catalogue is refused, and a custom field of that name takes its place.
pub(crate) const ANSWERED: &[&str] = &[
    "project",
    "status",
    "issuetype",
    "priority",
    "resolution",
    "assignee",
    "reporter",
    "creator",
    "issueKey",
    "parent",
    "statusCategory",
    "summary",
    "description",
    "comment",
    "text",
    "created",
    "updated",
    "resolved",
    "due",
    "labels",
    "component",
    "fixVersion",
    "sprint",
    "flag",
    "commit",
    "repository",
    "pullRequest",
    "flagEnabled",
    "ticketCategory",
    "flagState",
    "development",
];

impl Compiler<'_> {
    pub(super) fn kind(&self, field: &Field) -> Result<Kind, String> {
        let def = self.cx.fields.get(field).ok_or_else(|| {
            format!(
                "Field '{}' does not exist or you do not have permission to view it.",
                field.display_name()
            )
        })?;
        let property = field.properties.first();
        Ok(match def.name.as_str() {
            "project" => Kind::Reference(Reference::Project),
            "status" => Kind::Reference(Reference::Status),
            "issuetype" => Kind::Reference(Reference::IssueType),
            "priority" => Kind::Reference(Reference::Priority),
            "resolution" => Kind::Reference(Reference::Resolution),
            "assignee" => Kind::Reference(Reference::User("t.assignee_id")),
            "reporter" => Kind::Reference(Reference::User("t.reporter_id")),
            "creator" => Kind::Reference(Reference::User("t.creator_id")),
            "issueKey" => Kind::Key,
            "parent" => Kind::Parent,
            "statusCategory" => Kind::StatusCategory,
            "summary" => Kind::Text { columns: &["t.summary"], comments: false, empty: false },
            "description" => {
                Kind::Text { columns: &["t.description"], comments: false, empty: true }
            }
            "comment" => Kind::Text { columns: &[], comments: true, empty: false },
            "text" => Kind::Text {
                columns: &["t.summary", "t.description"],
                comments: true,
                empty: false,
            },
            "created" => Kind::Date("t.created_at".to_owned()),
            "updated" => Kind::Date("t.updated_at".to_owned()),
            "resolved" => Kind::Date("t.resolved_at".to_owned()),
            "due" => Kind::Day("t.due_date".to_owned()),
            "labels" => Kind::Multi(Multi::List("t.labels")),
            "component" => Kind::Multi(Multi::List("t.components")),
            "fixVersion" => Kind::Multi(Multi::List("t.fix_versions")),
            "sprint" => Kind::Multi(Multi::Sprint),
            "flag" => Kind::Multi(Multi::Flag),
            "commit" => Kind::Multi(Multi::Commit),
            "repository" => Kind::Multi(Multi::Repository),
            "pullRequest" => Kind::Multi(Multi::PullRequest),
            "flagEnabled" => Kind::FlagEnabled,
            "ticketCategory" => Kind::TicketCategory,
            "flagState" => Kind::FlagState(property.map(|p| p.key.clone()).unwrap_or_default()),
            "development" => {
                let key = property.map(|p| p.key.to_lowercase()).unwrap_or_default();
                let path = property
                    .and_then(|p| p.path.as_ref())
                    .map(|p| p.as_str().to_lowercase())
                    .unwrap_or_else(|| "all".to_owned());
                let kind = match key.as_str() {
                    "commits" => "commit",
                    "pullrequests" => "pull_request",
                    "branches" => "branch",
                    other => {
                        return Err(format!(
                            "tether records commits, pull requests and branches, not {other}: 'development[{other}]' cannot be searched here."
                        ));
                    }
                };
                Kind::Development { kind, open: path == "open" }
            }
            other => {
                return Err(format!(
                    "The field '{}' is not searchable over tether's ingested tickets (it keeps no {other} data); search it in Jira.",
                    field.display_name()
                ));
            }
        })
    }
}

impl Reference {
    /// The ticket's column holding the id.
    pub(super) fn column(self) -> &'static str {
        match self {
            Reference::Project => "t.project_id",
            Reference::Status => "t.status_id",
            Reference::IssueType => "t.issue_type_id",
            Reference::Priority => "t.priority_id",
            Reference::Resolution => "t.resolution_id",
            Reference::User(column) => column,
        }
    }

    /// `SELECT id FROM … WHERE` the row is named `$n`, without the site condition.
    pub(super) fn lookup(self, n: &str) -> String {
        match self {
            Reference::Project => format!(
                "SELECT id FROM ticket_projects WHERE (lower(key) = lower({n}) OR id = {n} OR lower(name) = lower({n}))"
            ),
            Reference::Status => format!(
                "SELECT id FROM ticket_statuses WHERE (lower(name) = lower({n}) OR id = {n})"
            ),
            Reference::IssueType => format!(
                "SELECT id FROM ticket_issue_types WHERE (lower(name) = lower({n}) OR id = {n})"
            ),
            Reference::Priority => format!(
                "SELECT id FROM ticket_priorities WHERE (lower(name) = lower({n}) OR id = {n})"
            ),
            Reference::Resolution => format!(
                "SELECT id FROM ticket_resolutions WHERE (lower(name) = lower({n}) OR id = {n})"
            ),
            Reference::User(_) => format!(
                "SELECT id FROM ticket_users WHERE (id = {n} OR lower(name) = lower({n}) OR lower(email) = lower({n}) OR lower(display_name) = lower({n}))"
            ),
        }
    }

    /// The changelog's name for the field.
    pub(super) fn history_field(self) -> Option<&'static str> {
        match self {
            Reference::Status => Some("status"),
            Reference::Priority => Some("priority"),
            Reference::Resolution => Some("resolution"),
            Reference::User("t.assignee_id") => Some("assignee"),
            Reference::User("t.reporter_id") => Some("reporter"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use tether_jql::catalogue::FieldCatalogue;
    use tether_jql::dates::{Clock, WeekStart};
    use tether_jql::functions::FunctionCatalogue;

    use super::super::{Compiler, Context, Dialect};
    use super::*;

    /// Values are looked up first, then compiled as the ids they name (what lets the
    /// database's indexes answer a typical filter); unresolved, as subqueries.
    #[test]
    fn named_values_compile_to_their_ids_once_resolved() {
        let fields = FieldCatalogue::tether();
        let functions = FunctionCatalogue::jira();
        let mut cx = Context {
            dialect: Dialect::Sqlite,
            clock: Clock { now_ms: 0, utc_offset_seconds: 0, week_start: WeekStart::Sunday },
            fields: &fields,
            functions: &functions,
            site_ids: &[1, 2],
            current_user: &[],
            primary_env_ids: &[],
            custom: &[],
            resolved: None,
        };
        let query = tether_jql::parse("assignee = ann AND statusCategory = Done").unwrap();
        let first = super::super::compile(&query, &cx).unwrap();
        assert_eq!(first.lookups.len(), 2, "{:?}", first.lookups);
        assert!(first.condition.contains("SELECT site_id, id FROM ticket_users"));
        assert_eq!(first.lookups[0].field.as_deref(), Some("assignee"));
        assert_eq!(first.lookups[1].field, None, "a status category always exists");
        let mut resolved = super::super::Resolved::new();
        let key = |l: &super::super::Lookup| (l.sql.clone(), l.value.clone());
        resolved.insert(key(&first.lookups[0]), vec![(1, "u-ann".into()), (2, "u-7".into())]);
        resolved.insert(key(&first.lookups[1]), vec![(1, "5".into()), (1, "6".into())]);
        cx.resolved = Some(&resolved);
        let second = super::super::compile(&query, &cx).unwrap();
        assert!(!second.condition.contains("SELECT"), "{}", second.condition);
        assert_eq!(
            second.condition,
            "(((((t.site_id = 1 AND t.assignee_id IN ($1)) OR (t.site_id = 2 AND t.assignee_id IN ($2))))) \
             AND ((((t.site_id = 1 AND t.status_id IN ($3, $4))))))"
        );
    }

    /// `ANSWERED` is what `kind` answers: a field added to one and not the other would let a
    /// custom field shadow a field tether answers, or refuse one it could.
    #[test]
    fn the_answered_list_is_what_kind_answers() {
        let fields = FieldCatalogue::tether();
        let functions = FunctionCatalogue::jira();
        let cx = Context {
            dialect: Dialect::Sqlite,
            clock: Clock { now_ms: 0, utc_offset_seconds: 0, week_start: WeekStart::Sunday },
            fields: &fields,
            functions: &functions,
            site_ids: &[],
            current_user: &[],
            primary_env_ids: &[],
            custom: &[],
            resolved: None,
        };
        let c = Compiler { cx: &cx, binds: Vec::new(), checks: Vec::new(), lookups: Vec::new() };
        let mut wrong = Vec::new();
        for def in fields.iter() {
            let field = tether_jql::parse(&format!("\"{}\" is empty", def.name))
                .ok()
                .and_then(|q| match q.clause {
                    Some(tether_jql::Clause::Terminal(t)) => Some(t.field),
                    _ => None,
                })
                .expect("a field name parses");
            let answered = c.kind(&field).is_ok() || def.name == "development";
            if answered != ANSWERED.contains(&def.name.as_str()) {
                wrong.push(def.name.clone());
            }
        }
        assert!(wrong.is_empty(), "ANSWERED and kind() disagree on {wrong:?}");
    }
}
