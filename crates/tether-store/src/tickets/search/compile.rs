//! A validated JQL query as one parameterised SQL `WHERE` and `ORDER BY` over the ingested
//! tickets (aliases of [`super::super::read`]'s `SELECT`: `t` the ticket, `p` its project,
//! `s` its status, `it` its type, `a` its type's ticket category assignment, `pr` its priority,
//! `ua`/`ur` its assignee and reporter).
//!
//! Each clause compiles to a condition that is never SQL `NULL` (wrapped in `COALESCE(…,
//! FALSE)`), so `NOT` means what it says in Jira. Values are resolved against the site's own
//! catalogues by name or id without regard to case, as Jira does; what a value must name
//! (a project, a status, a user …) is collected as a [`Check`] the caller runs before the
//! search, so an unknown value is refused with Jira's message instead of matching nothing.
//! `WAS` and `CHANGED` are answered from the changelog rows; tether's own fields from the
//! flag links, the flags' configurations and the code mentions.

mod custom;
mod fields;
mod history;
mod pieces;
mod text;
mod values;

use self::custom::Custom;
pub(crate) use self::custom::{CustomField, catalogue, names_other_fields};
pub(crate) use self::fields::ANSWERED;
use self::pieces::{
    atom_kind, boolean, development_count, flag_on, invalid_date, key_dash, key_number, local_day,
    multi_rows, on_ticket, unknown_value, unsupported_history,
};

use tether_jql::catalogue::FieldCatalogue;
use tether_jql::dates::{Clock, date_of};
use tether_jql::functions::{FunctionCatalogue, evaluate_date_function};
use tether_jql::{
    Clause, Condition, Field, HistoryOperator, Operand, OperandKind, Query, SortOrder,
    TerminalClause, ValueOperator,
};

/// Which SQL the query is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

/// A value a query names that must exist on one of the searched sites.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Check {
    /// `SELECT 1 …` with the value as `$1` (sites are inlined: they are ids, not input).
    pub(crate) sql: String,
    pub(crate) value: String,
    /// The field as the query wrote it, for the message.
    pub(crate) field: String,
}

/// A value a query names in a catalogue (a project, a status, a person …), resolved to the
/// rows it names before the query is compiled again with them, so the database sees plain
/// ids it can look up in its indexes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lookup {
    /// `SELECT site_id, id …` with the value as `$1` (sites inlined).
    pub(crate) sql: String,
    pub(crate) value: String,
    /// The field as the query wrote it, when naming nothing is an error.
    pub(crate) field: Option<String>,
}

/// What each lookup found: `(sql, value)` → `(site, id)` rows.
pub(crate) type Resolved = std::collections::HashMap<(String, String), Vec<(i64, String)>>;

/// What a query compiles to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Compiled {
    /// A condition over the `t` alias (and its joins); `TRUE` without a clause.
    pub(crate) condition: String,
    pub(crate) order_by: String,
    pub(crate) binds: Vec<Bind>,
    pub(crate) checks: Vec<Check>,
    /// The values to resolve (found while compiling without [`Context::resolved`]).
    pub(crate) lookups: Vec<Lookup>,
}

/// What compiling needs beyond the query.
#[derive(Debug, Clone)]
pub(crate) struct Context<'a> {
    pub(crate) dialect: Dialect,
    pub(crate) clock: Clock,
    pub(crate) fields: &'a FieldCatalogue,
    pub(crate) functions: &'a FunctionCatalogue,
    /// The searched sites (ids, inlined).
    pub(crate) site_ids: &'a [i64],
    /// Who `currentUser()` is: emails (or Jira ids) of the searcher.
    pub(crate) current_user: &'a [String],
    /// The environments `flagEnabled` looks at: each flag project's primary tracked one.
    pub(crate) primary_env_ids: &'a [i64],
    /// The searched sites' custom fields the query may name (`fields` holds them too).
    pub(crate) custom: &'a [CustomField],
    /// What the lookups found; without it, values are looked up by subqueries (and the
    /// lookups collected).
    pub(crate) resolved: Option<&'a Resolved>,
}

/// One operand flattened: lists opened, functions kept for the field to evaluate.
#[derive(Debug, Clone)]
enum Atom<'q> {
    Empty,
    Text(&'q str),
    Number(i64),
    Function(&'q str, &'q [String]),
}

impl Atom<'_> {
    fn text(&self) -> Option<String> {
        match self {
            Atom::Text(s) => Some((*s).to_owned()),
            Atom::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

fn atoms(operand: &Operand) -> Vec<Atom<'_>> {
    match &operand.kind {
        OperandKind::Empty => vec![Atom::Empty],
        OperandKind::String(s) => vec![Atom::Text(s)],
        OperandKind::Number(n) => vec![Atom::Number(*n)],
        OperandKind::Function { name, args } => vec![Atom::Function(name.as_str(), args)],
        OperandKind::List(list) => list.items().iter().flat_map(atoms).collect(),
    }
}

/// A single-valued field whose values are rows of a catalogue table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reference {
    Project,
    Status,
    IssueType,
    Priority,
    Resolution,
    User(&'static str),
}

/// A field holding several values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Multi {
    /// A JSON list of names in a ticket column.
    List(&'static str),
    Sprint,
    Flag,
    Commit,
    Repository,
    PullRequest,
}

/// How tether answers a field.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Reference(Reference),
    Key,
    Parent,
    StatusCategory,
    /// Text columns `~` searches (`comment` and `text` look into comments too).
    Text {
        columns: &'static [&'static str],
        comments: bool,
        empty: bool,
    },
    /// A moment (epoch milliseconds): an SQL expression.
    Date(String),
    /// A calendar day (`YYYY-MM-DD`): an SQL expression.
    Day(String),
    /// A custom field's text, number or values.
    Custom(Custom),
    Multi(Multi),
    FlagEnabled,
    FlagState(String),
    /// The ticket category its type is assigned in its project.
    TicketCategory,
    Development {
        kind: &'static str,
        open: bool,
    },
}

/// Jira's status categories: key, name, id.
const STATUS_CATEGORIES: [(&str, &str, &str); 4] = [
    ("undefined", "No Category", "1"),
    ("new", "To Do", "2"),
    ("indeterminate", "In Progress", "4"),
    ("done", "Done", "3"),
];

/// The largest moment SQL compares with (beyond any ticket).
const FOREVER: i64 = i64::MAX / 4;

pub(crate) struct Compiler<'a> {
    cx: &'a Context<'a>,
    binds: Vec<Bind>,
    checks: Vec<Check>,
    lookups: Vec<Lookup>,
}

/// Compiles a query that [`tether_jql::validate::validate`] passed; `Err` holds Jira-style
/// messages for what tether cannot answer over its own data.
pub(crate) fn compile(query: &Query, cx: &Context<'_>) -> Result<Compiled, Vec<String>> {
    let mut c = Compiler { cx, binds: Vec::new(), checks: Vec::new(), lookups: Vec::new() };
    let mut errors = Vec::new();
    let condition = match &query.clause {
        Some(clause) => c.clause(clause, &mut errors, false),
        None => "TRUE".to_owned(),
    };
    let mut order = Vec::new();
    for key in &query.order_by {
        match c.sort_columns(&key.field) {
            Ok(columns) => {
                let desc = key.order == Some(SortOrder::Desc);
                for column in columns {
                    // Empty values last either way; an index on the column still gives the order.
                    let way = if desc { "DESC" } else { "ASC" };
                    order.push(format!("{column} {way} NULLS LAST"));
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if query.order_by.is_empty() {
        order.push("t.created_at DESC NULLS LAST".to_owned());
    }
    order.push("t.site_id ASC".to_owned());
    order.push("t.id DESC".to_owned());
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Compiled {
        condition,
        order_by: order.join(", "),
        binds: c.binds,
        checks: c.checks,
        lookups: c.lookups,
    })
}

/// Whether a clause's operator says what a ticket is not (its SQL has a NOT inside).
fn negative(t: &TerminalClause) -> bool {
    use ValueOperator::*;
    match &t.condition {
        Condition::Value { operator, .. } => {
            matches!(operator, NotEquals | NotIn | NotLike | IsNot)
        }
        Condition::History { operator, .. } => {
            matches!(operator, HistoryOperator::WasNot | HistoryOperator::WasNotIn)
        }
        Condition::Changed { .. } => false,
    }
}

impl Compiler<'_> {
    fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    fn text(&mut self, value: impl Into<String>) -> String {
        self.bind(Bind::Text(value.into()))
    }

    fn int(&mut self, value: i64) -> String {
        self.bind(Bind::Int(value))
    }

    fn sites(&self) -> String {
        let ids: Vec<String> = self.cx.site_ids.iter().map(i64::to_string).collect();
        if ids.is_empty() { "(NULL)".to_owned() } else { format!("({})", ids.join(", ")) }
    }

    /// `column` (of the ticket `t`, or of a change row `c`) holds an id `lookup` (`SELECT id
    /// FROM … WHERE …`) finds on that row's own site. Written as one uncorrelated subquery over the searched sites, so the
    /// database evaluates it once and can use the tickets' indexes.
    pub(super) fn on_sites(&self, column: &str, lookup: &str) -> String {
        let alias = column.split_once('.').map(|(alias, _)| alias).unwrap_or("t");
        let ids = format!("{lookup} AND site_id IN {}", self.sites());
        let rows = ids.replacen("SELECT id FROM", "SELECT site_id, id FROM", 1);
        let exact = format!("({alias}.site_id, {column}) IN ({rows})");
        match self.cx.dialect {
            // PostgreSQL plans a subquery's rows as unknown and scans; the ids as an array it
            // computes first become an index lookup, and the exact (site, id) pairing then
            // filters what that finds.
            Dialect::Postgres => format!("({column} = ANY(ARRAY({ids})) AND {exact})"),
            Dialect::Sqlite => exact,
        }
    }

    /// `column` holds an id that `lookup` (`SELECT id FROM … WHERE …` of a placeholder)
    /// finds for `value` on the row's site. Once resolved, the ids themselves, per site;
    /// before, [`Compiler::on_sites`] with the lookup recorded. With `field`, naming nothing
    /// on the searched sites is refused in Jira's words.
    pub(super) fn named(
        &mut self,
        column: &str,
        lookup: impl Fn(&str) -> String,
        value: &str,
        field: Option<&Field>,
    ) -> String {
        let sql = format!("{} AND site_id IN {}", lookup("$1"), self.sites()).replacen(
            "SELECT id FROM",
            "SELECT site_id, id FROM",
            1,
        );
        if let Some(resolved) = self.cx.resolved {
            let rows = resolved.get(&(sql, value.to_owned())).cloned().unwrap_or_default();
            return self.on_rows(column, &rows);
        }
        let l = Lookup { sql, value: value.to_owned(), field: field.map(Field::display_name) };
        if !self.lookups.contains(&l) {
            self.lookups.push(l);
        }
        let n = self.text(value);
        self.on_sites(column, &lookup(&n))
    }

    /// `column` holds one of these ids on the row's own site.
    fn on_rows(&mut self, column: &str, rows: &[(i64, String)]) -> String {
        let alias = column.split_once('.').map(|(alias, _)| alias).unwrap_or("t");
        let mut sites: Vec<(i64, Vec<String>)> = Vec::new();
        for (site, id) in rows {
            let n = self.text(id.clone());
            match sites.iter_mut().find(|(s, _)| s == site) {
                Some((_, ids)) => ids.push(n),
                None => sites.push((*site, vec![n])),
            }
        }
        if sites.is_empty() {
            return "FALSE".to_owned();
        }
        let any: Vec<String> = sites
            .into_iter()
            .map(|(site, ids)| {
                format!("({alias}.site_id = {site} AND {column} IN ({}))", ids.join(", "))
            })
            .collect();
        format!("({})", any.join(" OR "))
    }

    fn check(&mut self, sql: String, value: &str, field: &Field) {
        let check = Check { sql, value: value.to_owned(), field: field.display_name() };
        if !self.checks.contains(&check) {
            self.checks.push(check);
        }
    }

    /// A clause as SQL. Under a `NOT` (or with a negative operator) each clause is made
    /// two-valued with `COALESCE(…, FALSE)`, since SQL's NULL would drop the row either way;
    /// elsewhere it is left bare, so the database can use indexes for it.
    fn clause(&mut self, clause: &Clause, errors: &mut Vec<String>, negated: bool) -> String {
        match clause {
            Clause::And(j) | Clause::Or(j) => {
                let joiner = if matches!(clause, Clause::And(_)) { " AND " } else { " OR " };
                let parts: Vec<String> =
                    j.clauses().iter().map(|c| self.clause(c, errors, negated)).collect();
                format!("({})", parts.join(joiner))
            }
            Clause::Not(inner) => format!("(NOT {})", self.clause(inner, errors, true)),
            Clause::Terminal(t) => match self.terminal(t) {
                Ok(sql) if negated || negative(t) => format!("COALESCE(({sql}), FALSE)"),
                Ok(sql) => format!("({sql})"),
                Err(e) => {
                    errors.push(e);
                    "FALSE".to_owned()
                }
            },
        }
    }

    fn terminal(&mut self, t: &TerminalClause) -> Result<String, String> {
        if let Some(kinds) = self.custom_kinds(&t.field) {
            return self.custom_terminal(kinds, t);
        }
        let kind = self.kind(&t.field)?;
        match &t.condition {
            Condition::Value { operator, operand } => {
                self.value(&kind, &t.field, *operator, operand)
            }
            Condition::History { operator, operand, predicates } => {
                let reference = match kind {
                    Kind::Reference(r) if r.history_field().is_some() => r,
                    _ => return Err(unsupported_history(&t.field)),
                };
                let window = self.window(predicates)?;
                let by = self.by(predicates, &t.field)?;
                let mut was = Vec::new();
                for atom in atoms(operand) {
                    was.push(self.was(reference, &t.field, &atom, window, by.as_deref())?);
                }
                let any = format!("({})", was.join(" OR "));
                Ok(match operator {
                    HistoryOperator::Was | HistoryOperator::WasIn => any,
                    HistoryOperator::WasNot | HistoryOperator::WasNotIn => format!("NOT {any}"),
                })
            }
            Condition::Changed { predicates } => {
                let reference = match kind {
                    Kind::Reference(r) if r.history_field().is_some() => r,
                    _ => return Err(unsupported_history(&t.field)),
                };
                self.changed(reference, &t.field, predicates)
            }
        }
    }

    fn value(
        &mut self,
        kind: &Kind,
        field: &Field,
        operator: ValueOperator,
        operand: &Operand,
    ) -> Result<String, String> {
        use ValueOperator::*;
        let list = atoms(operand);
        match operator {
            Is | IsNot => {
                let empty = self.empty(kind)?;
                Ok(if operator == Is { empty } else { format!("NOT {empty}") })
            }
            Equals | In | NotEquals | NotIn => {
                let mut any = Vec::new();
                let mut wants_empty = false;
                for atom in &list {
                    match atom {
                        Atom::Empty => wants_empty = true,
                        atom => any.push(self.matches(kind, field, atom)?),
                    }
                }
                let empty = self.empty(kind)?;
                let matched = if any.is_empty() {
                    "FALSE".to_owned()
                } else {
                    format!("({})", any.join(" OR "))
                };
                Ok(if matches!(operator, Equals | In) {
                    if wants_empty { format!("({matched} OR {empty})") } else { matched }
                } else {
                    // Jira's negative operators leave out tickets with no value.
                    format!("(NOT {empty} AND NOT {matched})")
                })
            }
            Like | NotLike => {
                if let (Kind::Custom(custom), [Atom::Text(text)]) = (kind, list.as_slice()) {
                    let found = self.custom_text(custom, field, text)?;
                    // As Jira's other negative operators, `!~` leaves out tickets with no value.
                    let empty = self.custom_empty(custom);
                    return Ok(if operator == Like {
                        found
                    } else {
                        format!("(NOT {empty} AND NOT {found})")
                    });
                }
                let Kind::Text { .. } = kind else {
                    return Err(format!(
                        "The operator '{}' is not supported by the '{}' field.",
                        tether_jql::Operator::Value(operator).display(),
                        field.display_name()
                    ));
                };
                let [Atom::Text(text)] = list.as_slice() else {
                    return Err(format!(
                        "The field '{}' searches text: give one text value.",
                        field.display_name()
                    ));
                };
                let found = self.text_search(kind, text)?;
                Ok(if operator == Like { found } else { format!("NOT {found}") })
            }
            GreaterThan | GreaterThanEquals | LessThan | LessThanEquals => {
                let [atom] = list.as_slice() else {
                    return Err(format!(
                        "The operator '{}' takes one value for field '{}'.",
                        tether_jql::Operator::Value(operator).display(),
                        field.display_name()
                    ));
                };
                self.compare(kind, field, operator, atom)
            }
        }
    }

    /// True when the ticket has no value in the field.
    fn empty(&mut self, kind: &Kind) -> Result<String, String> {
        let d = self.cx.dialect;
        Ok(match kind {
            Kind::Reference(r) => format!("{} IS NULL", r.column()),
            Kind::Key => "FALSE".to_owned(),
            Kind::Parent => {
                "(t.parent_key IS NULL AND t.parent_id IS NULL AND t.epic_key IS NULL)".to_owned()
            }
            Kind::StatusCategory => "s.category_key IS NULL".to_owned(),
            Kind::TicketCategory => "a.category IS NULL".to_owned(),
            Kind::Text { columns, comments, .. } => {
                let mut parts: Vec<String> =
                    columns.iter().map(|c| format!("({c} IS NULL OR {c} = '')")).collect();
                if *comments {
                    parts.push(format!(
                        "NOT EXISTS (SELECT 1 FROM ticket_comments c WHERE {})",
                        on_ticket("c")
                    ));
                }
                format!("({})", parts.join(" AND "))
            }
            Kind::Date(column) | Kind::Day(column) => format!("{column} IS NULL"),
            Kind::Custom(custom) => self.custom_empty(custom),
            Kind::Multi(m) => format!("NOT EXISTS ({})", multi_rows(*m, d)),
            Kind::FlagEnabled | Kind::FlagState(_) => {
                format!("NOT EXISTS ({})", multi_rows(Multi::Flag, d))
            }
            // A count: never empty.
            Kind::Development { .. } => "FALSE".to_owned(),
        })
    }

    /// True when the ticket's value in the field is `atom`.
    fn matches(&mut self, kind: &Kind, field: &Field, atom: &Atom<'_>) -> Result<String, String> {
        let d = self.cx.dialect;
        if let Atom::Function(name, args) = atom {
            return self.function_matches(kind, field, name, args);
        }
        let value = atom.text().unwrap_or_default();
        Ok(match kind {
            Kind::Reference(Reference::Resolution) if value.eq_ignore_ascii_case("unresolved") => {
                "t.resolution_id IS NULL".to_owned()
            }
            Kind::Reference(r) => {
                let r = *r;
                self.named(r.column(), |n| r.lookup(n), &value, Some(field))
            }
            Kind::Key => {
                let n = self.text(value);
                format!("(lower(t.key) = lower({n}) OR t.id = {n})")
            }
            Kind::Parent => {
                let n = self.text(value);
                format!(
                    "(lower(t.parent_key) = lower({n}) OR t.parent_id = {n} OR lower(t.epic_key) = lower({n}))"
                )
            }
            Kind::StatusCategory => {
                let key = STATUS_CATEGORIES
                    .iter()
                    .find(|(k, name, id)| {
                        value.eq_ignore_ascii_case(k)
                            || value.eq_ignore_ascii_case(name)
                            || value == *id
                    })
                    .map(|(k, ..)| *k)
                    .ok_or_else(|| unknown_value(&value, field))?;
                self.named(
                    "t.status_id",
                    |n| format!("SELECT id FROM ticket_statuses WHERE category_key = {n}"),
                    key,
                    None,
                )
            }
            Kind::TicketCategory => {
                let category = crate::TicketCategory::ALL
                    .into_iter()
                    .find(|c| value.eq_ignore_ascii_case(c.as_str()))
                    .ok_or_else(|| unknown_value(&value, field))?;
                let n = self.text(category.as_str());
                format!("a.category = {n}")
            }
            Kind::Text { .. } => {
                return Err(format!(
                    "The operator '=' is not supported by the '{}' field.",
                    field.display_name()
                ));
            }
            Kind::Custom(custom) => self.custom_matches(custom, field, &value)?,
            Kind::Date(_) | Kind::Day(_) => {
                let date = date_of(&atom_kind(atom)).ok_or_else(|| invalid_date(&value, field))?;
                let (lo, hi) =
                    date.range(&self.cx.clock).ok_or_else(|| invalid_date(&value, field))?;
                self.between(kind, lo, hi)
            }
            Kind::Multi(m) => {
                let condition = self.multi_value(*m, field, &value)?;
                format!("EXISTS ({} AND {condition})", multi_rows(*m, d))
            }
            Kind::FlagEnabled => {
                let on = boolean(&value).ok_or_else(|| unknown_value(&value, field))?;
                let envs = self.cx.primary_env_ids.iter().map(i64::to_string).collect::<Vec<_>>();
                if envs.is_empty() {
                    return Ok("FALSE".to_owned());
                }
                flag_on(d, &format!("e.id IN ({})", envs.join(", ")), on)
            }
            Kind::FlagState(env) => {
                let on = boolean(&value).ok_or_else(|| unknown_value(&value, field))?;
                let n = self.text(env.clone());
                flag_on(d, &format!("lower(e.key) = lower({n})"), on)
            }
            Kind::Development { kind, open } => {
                let Atom::Number(count) = atom else {
                    return Err(format!(
                        "The field '{}' is compared with a number: '> 0', '= 0' ….",
                        field.display_name()
                    ));
                };
                let n = self.int(*count);
                format!("{} = {n}", development_count(kind, *open))
            }
        })
    }

    fn compare(
        &mut self,
        kind: &Kind,
        field: &Field,
        operator: ValueOperator,
        atom: &Atom<'_>,
    ) -> Result<String, String> {
        use ValueOperator::*;
        let op = match operator {
            GreaterThan => ">",
            GreaterThanEquals => ">=",
            LessThan => "<",
            _ => "<=",
        };
        match kind {
            Kind::Custom(custom) => {
                self.custom_compare(custom, field, op, &atom.text().unwrap_or_default())
            }
            Kind::Date(_) | Kind::Day(_) => {
                let at = match atom {
                    Atom::Function(name, args) => {
                        let def = self.cx.functions.get(name).ok_or_else(|| {
                            format!("Unable to find JQL function '{name}({})'.", args.join(", "))
                        })?;
                        evaluate_date_function(def, args, &self.cx.clock).ok_or_else(|| {
                            format!(
                                "The function '{}' is not supported over tether's ingested tickets for the field '{}' yet; search it in Jira.",
                                def.name,
                                field.display_name()
                            )
                        })?
                    }
                    atom => {
                        let value = atom.text().unwrap_or_default();
                        date_of(&atom_kind(atom))
                            .and_then(|d| d.resolve(&self.cx.clock))
                            .ok_or_else(|| invalid_date(&value, field))?
                    }
                };
                match kind {
                    Kind::Date(column) => {
                        let n = self.int(at);
                        Ok(format!("{column} {op} {n}"))
                    }
                    Kind::Day(column) => {
                        // A due date is a calendar day: its moment is its local midnight.
                        let (day, midnight) = local_day(at, self.cx.clock.utc_offset_seconds);
                        let n = self.text(day);
                        let op = match (operator, midnight) {
                            (GreaterThanEquals, false) => ">",
                            (LessThan, false) => "<=",
                            _ => op,
                        };
                        Ok(format!("{column} {op} {n}"))
                    }
                    _ => Ok("FALSE".to_owned()),
                }
            }
            Kind::Key => {
                let value = atom.text().unwrap_or_default();
                let Some((project, number)) = value
                    .rsplit_once('-')
                    .and_then(|(p, n)| Some((p.to_owned(), n.parse::<i64>().ok()?)))
                else {
                    return Err(format!(
                        "The issue key '{value}' for field '{}' is invalid.",
                        field.display_name()
                    ));
                };
                let p = self.text(format!("{}-", project.to_uppercase()));
                let n = self.int(number);
                let num = key_number(self.cx.dialect);
                Ok(format!("(upper(substr(t.key, 1, length({p}))) = {p} AND {num} {op} {n})"))
            }
            Kind::Development { kind, open } => {
                let Atom::Number(count) = atom else {
                    return Err(format!(
                        "The field '{}' is compared with a number.",
                        field.display_name()
                    ));
                };
                let n = self.int(*count);
                Ok(format!("{} {op} {n}", development_count(kind, *open)))
            }
            _ => Err(format!(
                "The operator '{}' is not supported over tether's ingested tickets for the field '{}' yet; search it in Jira.",
                tether_jql::Operator::Value(operator).display(),
                field.display_name()
            )),
        }
    }

    /// Dates between two moments, both included.
    fn between(&mut self, kind: &Kind, lo: i64, hi: i64) -> String {
        match kind {
            Kind::Day(column) => {
                let (a, _) = local_day(lo, self.cx.clock.utc_offset_seconds);
                let (b, _) = local_day(hi, self.cx.clock.utc_offset_seconds);
                let (a, b) = (self.text(a), self.text(b));
                format!("{column} BETWEEN {a} AND {b}")
            }
            Kind::Date(column) => {
                let (a, b) = (self.int(lo), self.int(hi));
                format!("{column} BETWEEN {a} AND {b}")
            }
            _ => "FALSE".to_owned(),
        }
    }

    fn sort_columns(&self, field: &Field) -> Result<Vec<String>, String> {
        if let Some(kinds) = self.custom_kinds(field) {
            // A name several sites give a field sorts by the first's values.
            return Ok(kinds
                .into_iter()
                .take(1)
                .map(|(_, kind)| match kind {
                    Kind::Custom(custom) => self.custom_sort(&custom),
                    Kind::Date(e) | Kind::Day(e) => e,
                    _ => "NULL".to_owned(),
                })
                .collect());
        }
        let kind = self.kind(field)?;
        let column = match kind {
            Kind::Reference(Reference::Project) => "p.key",
            Kind::Reference(Reference::Status) => "s.name",
            Kind::Reference(Reference::IssueType) => "it.name",
            Kind::Reference(Reference::Priority) => "pr.name",
            Kind::Reference(Reference::Resolution) => "r.name",
            Kind::Reference(Reference::User("t.assignee_id")) => "ua.display_name",
            Kind::Reference(Reference::User("t.reporter_id")) => "ur.display_name",
            // By project key, then by number: WEB-2 before WEB-10.
            Kind::Key => {
                let d = self.cx.dialect;
                return Ok(vec![format!("substr(t.key, 1, {})", key_dash(d)), key_number(d)]);
            }
            Kind::Text { columns: ["t.summary"], .. } => "lower(t.summary)",
            Kind::Date(column) | Kind::Day(column) => return Ok(vec![column]),
            Kind::TicketCategory => "a.category",
            _ => {
                return Err(format!(
                    "Not able to sort using field '{}' over tether's ingested tickets.",
                    field.display_name()
                ));
            }
        };
        Ok(vec![column.to_owned()])
    }
}
