//! JQL over the ingested tickets: a query is parsed and validated as Jira would
//! ([`tether_jql`]), compiled to one parameterised SQL query ([`compile`]) on SQLite or
//! PostgreSQL, and run over the sites the caller may see. Unknown values are refused with
//! Jira's message before anything is searched.

mod compile;

use tether_jql::catalogue::FieldCatalogue;
use tether_jql::dates::Clock;
use tether_jql::functions::FunctionCatalogue;

pub(crate) use self::compile::{Bind, Compiled};
use self::compile::{
    Context, CustomField, Dialect, Resolved, catalogue, compile, names_other_fields,
};
use super::read::{SELECT, TicketRow};
use crate::{Backend, Store, StoreError, with_pool};

/// Runs `$body` with `$conn`: SQLite's read pool as it is; on PostgreSQL a connection in a
/// read transaction that keeps joins in the order written: a search joins `tickets` to eight lookups
/// (project, status, type, category, priority, resolution, two people), and under the default
/// `join_collapse_limit` the planner weighs their orders, 11–15 ms of planning (`EXPLAIN
/// (ANALYZE, SUMMARY)` on the benchmark's 100,000 tickets, loaded machine) for a statement that
/// runs in 1–6 ms, and the written order (the tickets found first, each lookup by its key) is
/// the plan it chose anyway: 2 ms of planning. Every new query shape is planned anew, so this
/// was most of a typical filter's time on PostgreSQL.
macro_rules! in_search_tx {
    ($store:expr, $conn:ident => $body:expr) => {
        match &$store.backend {
            Backend::Sqlite(pool, _) => {
                let $conn = pool;
                $body
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SET LOCAL join_collapse_limit = 1").execute(&mut *tx).await?;
                let $conn = &mut *tx;
                let out = $body;
                tx.commit().await?;
                out
            }
        }
    };
}

/// Who searches, where and when.
#[derive(Debug, Clone)]
pub struct SearchScope {
    /// The sites whose tickets the caller may see; nothing else is searched.
    pub site_ids: Vec<i64>,
    /// Now and the searcher's zone, for dates and date functions.
    pub clock: Clock,
    /// Who `currentUser()` is (emails or Jira account ids); empty matches no one, as an
    /// anonymous searcher in Jira.
    pub current_user: Vec<String>,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    pub tickets: Vec<TicketRow>,
    /// No tickets after these.
    pub is_last: bool,
}

/// Why a search did not run.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query is not valid JQL, or names what does not exist: Jira's messages.
    #[error("{}", .0.join(" "))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SearchError {
    fn from(e: sqlx::Error) -> SearchError {
        SearchError::Store(StoreError::from(e))
    }
}

/// Parses and validates a query as Jira would, with tether's fields beside Jira's; the
/// messages are Jira's.
pub fn check_jql(jql: &str) -> Result<tether_jql::Query, Vec<String>> {
    let query = tether_jql::parse(jql).map_err(|e| vec![e.to_string()])?;
    validate(&query, &FieldCatalogue::tether())?;
    Ok(query)
}

/// Jira's validation of a parsed query against `fields`, in Jira's words.
fn validate(query: &tether_jql::Query, fields: &FieldCatalogue) -> Result<(), Vec<String>> {
    let errors = tether_jql::validate::validate(query, fields, &FunctionCatalogue::jira());
    if errors.is_empty() { Ok(()) } else { Err(errors.iter().map(ToString::to_string).collect()) }
}

/// Whether the clause (or one inside it) is about the field `name`.
fn names_field(clause: &tether_jql::Clause, name: &str) -> bool {
    use tether_jql::Clause;
    match clause {
        Clause::And(j) | Clause::Or(j) => j.clauses().iter().any(|c| names_field(c, name)),
        Clause::Not(inner) => names_field(inner, name),
        Clause::Terminal(t) => t.field.display_name().eq_ignore_ascii_case(name),
    }
}

impl Store {
    /// The tickets matching `jql` on the scope's sites, `limit` (1–500) from `offset`, in the
    /// query's order (newest created first without one).
    pub async fn search_tickets(
        &self,
        jql: &str,
        scope: &SearchScope,
        limit: i64,
        offset: i64,
    ) -> Result<SearchPage, SearchError> {
        let Some(compiled) = self.prepare_search(jql, scope).await? else {
            return Ok(SearchPage { tickets: Vec::new(), is_last: true });
        };
        let limit = limit.clamp(1, 500);
        let sql = format!(
            "{SELECT} WHERE {} ORDER BY {} LIMIT {} OFFSET {}",
            compiled.condition,
            compiled.order_by,
            limit + 1,
            offset.max(0)
        );
        let mut tickets: Vec<TicketRow> = in_search_tx!(self, conn => {
            let mut q = sqlx::query_as::<_, TicketRow>(&sql);
            for b in &compiled.binds {
                q = match b {
                    Bind::Text(s) => q.bind(s.clone()),
                    Bind::Int(i) => q.bind(*i),
                };
            }
            q.fetch_all(conn).await?
        });
        let is_last = tickets.len() as i64 <= limit;
        tickets.truncate(limit as usize);
        Ok(SearchPage { tickets, is_last })
    }

    /// How many tickets match `jql` on the scope's sites (its `ORDER BY` is checked, not
    /// used): what the Tickets page's tabs show.
    pub async fn count_tickets(&self, jql: &str, scope: &SearchScope) -> Result<i64, SearchError> {
        let Some(compiled) = self.prepare_search(jql, scope).await? else {
            return Ok(0);
        };
        let sql = format!("SELECT COUNT(*) FROM ({SELECT} WHERE {}) AS found", compiled.condition);
        let count: i64 = in_search_tx!(self, conn => {
            let mut q = sqlx::query_scalar::<_, i64>(&sql);
            for b in &compiled.binds {
                q = match b {
                    Bind::Text(s) => q.bind(s.clone()),
                    Bind::Int(i) => q.bind(*i),
                };
            }
            q.fetch_one(conn).await?
        });
        Ok(count)
    }

    /// A query compiled for the scope, its named values checked to exist; its condition
    /// includes the scope's sites. `None` when the scope has no sites (nothing to search).
    pub(crate) async fn prepare_search(
        &self,
        jql: &str,
        scope: &SearchScope,
    ) -> Result<Option<Compiled>, SearchError> {
        let query =
            tether_jql::parse(jql).map_err(|e| SearchError::Invalid(vec![e.to_string()]))?;
        // Custom fields are read only for a query that names a field beyond Jira's and
        // tether's own.
        let own = FieldCatalogue::tether();
        let (custom, fields) = if names_other_fields(&query, &own) {
            let custom = self.custom_fields(&scope.site_ids).await?;
            let fields = catalogue(own, &custom);
            (custom, fields)
        } else {
            (Vec::new(), own)
        };
        validate(&query, &fields).map_err(SearchError::Invalid)?;
        let functions = FunctionCatalogue::jira();
        let dialect = match self.backend {
            Backend::Sqlite(..) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        };
        // Read per project, so only when the query asks for it.
        let primary_env_ids = match &query.clause {
            Some(clause) if names_field(clause, "flagEnabled") => {
                self.primary_environment_ids().await?
            }
            _ => Vec::new(),
        };
        let cx = Context {
            dialect,
            clock: scope.clock,
            fields: &fields,
            functions: &functions,
            site_ids: &scope.site_ids,
            current_user: &scope.current_user,
            primary_env_ids: &primary_env_ids,
            custom: &custom,
            resolved: None,
        };
        let first = compile(&query, &cx).map_err(SearchError::Invalid)?;
        if scope.site_ids.is_empty() {
            return Ok(None);
        }
        let mut unknown = Vec::new();
        // The values the query names, as ids: the query is then compiled again with them, so
        // the database sees `site_id = … AND assignee_id IN (…)`, which its indexes answer.
        let mut resolved = Resolved::new();
        for lookup in &first.lookups {
            let rows: Vec<(i64, String)> = with_pool!(self, pool => sqlx::query_as(&lookup.sql)
                .bind(&lookup.value)
                .fetch_all(pool)
                .await?);
            if let (true, Some(field)) = (rows.is_empty(), &lookup.field) {
                unknown.push(format!(
                    "The value '{}' does not exist for the field '{field}'.",
                    lookup.value
                ));
            }
            resolved.insert((lookup.sql.clone(), lookup.value.clone()), rows);
        }
        let compiled = first;
        for check in &compiled.checks {
            let sql = format!("SELECT 1 WHERE EXISTS ({})", check.sql);
            let found: Option<i32> = with_pool!(self, pool => sqlx::query_scalar(&sql)
                .bind(&check.value)
                .fetch_optional(pool)
                .await?);
            if found.is_none() {
                unknown.push(format!(
                    "The value '{}' does not exist for the field '{}'.",
                    check.value, check.field
                ));
            }
        }
        if !unknown.is_empty() {
            return Err(SearchError::Invalid(unknown));
        }
        let mut compiled = if resolved.is_empty() {
            compiled
        } else {
            compile(&query, &Context { resolved: Some(&resolved), ..cx })
                .map_err(SearchError::Invalid)?
        };
        let sites: Vec<String> = scope.site_ids.iter().map(i64::to_string).collect();
        compiled.condition =
            format!("t.site_id IN ({}) AND {}", sites.join(", "), compiled.condition);
        Ok(Some(compiled))
    }

    /// The custom fields of the sites, as their field lists were last read.
    async fn custom_fields(&self, site_ids: &[i64]) -> Result<Vec<CustomField>, StoreError> {
        if site_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sites: Vec<String> = site_ids.iter().map(i64::to_string).collect();
        let sql = format!(
            "SELECT site_id, id, name, schema_type, schema_custom FROM ticket_fields \
             WHERE custom AND site_id IN ({}) ORDER BY site_id, id",
            sites.join(", ")
        );
        type Row = (i64, String, String, Option<String>, Option<String>);
        let rows: Vec<Row> = with_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        Ok(rows
            .iter()
            .filter_map(|(site, id, name, kind, custom)| {
                CustomField::read(*site, id, name, kind.as_deref(), custom.as_deref())
            })
            .collect())
    }

    /// The environment each flag project tracking a Jira site treats as primary.
    async fn primary_environment_ids(&self) -> Result<Vec<i64>, StoreError> {
        let mut ids = Vec::new();
        for project in self.list_projects().await? {
            let Some(tracking) = self.project_jira(&project.key).await? else { continue };
            let id: Option<i64> = with_pool!(self, pool => sqlx::query_scalar(
                "SELECT e.id FROM environments e JOIN projects p ON p.id = e.project_id WHERE p.key = $1 AND e.key = $2"
            )
            .bind(&project.key)
            .bind(&tracking.primary_env)
            .fetch_optional(pool)
            .await?);
            ids.extend(id);
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jira_messages_for_bad_queries() {
        let e = check_jql("project = ").unwrap_err();
        assert!(e[0].starts_with("Error in JQL Query: Expecting either a value"), "{e:?}");
        let e = check_jql("nosuchfield = 1").unwrap_err();
        assert_eq!(
            e,
            ["Field 'nosuchfield' does not exist or you do not have permission to view it."]
        );
        assert!(check_jql("flag = checkout AND development[commits].all > 0").is_ok());
    }
}
