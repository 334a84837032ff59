//! Custom fields in JQL (`cf[10010]`, or the field's name as the site calls it) over the
//! values ingestion kept as Jira gave them (`tickets.custom`: `customfield_N` → `{"name",
//! "value"}`). What a field may be searched with follows its type as Jira's field list
//! describes it (`schema.custom`, else `schema.type`), as in Jira: text fields take `~`,
//! numbers and dates compare, everything else (select lists, checkboxes, user pickers,
//! labels, versions, groups …) is matched by value, by id or by a person's names.
//!
//! A name may stand for several fields (the same name on two sites, or twice on one): the
//! clause then holds for a ticket when it holds for the field of that ticket's site, as
//! Jira searches every field a name stands for.

use tether_jql::catalogue::{FieldCatalogue, FieldDef, ValueType, operator_sets};
use tether_jql::{
    Condition, CustomFieldId, Field, FieldName, OperandKind, TerminalClause, ValueOperator,
};

use super::pieces::{like_pattern, text_terms};
use super::{ANSWERED, Compiler, Dialect, Kind};

/// A custom field of a searched site, as ingestion read the site's field list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CustomField {
    pub(crate) site_id: i64,
    /// The number of `customfield_N`.
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) shape: Shape,
}

/// How a custom field's values are searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Text (`~`, `!~`, `IS EMPTY`).
    Text,
    Number,
    /// A calendar day (`2026-12-05`).
    Day,
    /// A moment (`2026-12-05T10:00:00.000+0000`).
    Moment,
    /// Values matched by name or id: options, people, labels, versions, groups, anything else.
    Values(ValueType),
}

impl CustomField {
    /// The field from its site's field list; `None` for an id that is not `customfield_N`.
    pub(crate) fn read(
        site_id: i64,
        id: &str,
        name: &str,
        schema_type: Option<&str>,
        schema_custom: Option<&str>,
    ) -> Option<CustomField> {
        let id = id.strip_prefix("customfield_")?.parse::<u64>().ok()?;
        CustomFieldId::new(id)?;
        Some(CustomField {
            site_id,
            id,
            name: name.to_owned(),
            shape: shape(schema_type, schema_custom),
        })
    }

    fn def(&self) -> Option<FieldDef> {
        let id = CustomFieldId::new(self.id)?;
        let (value_type, operators, orderable) = match self.shape {
            Shape::Text => {
                (ValueType::Text, operator_sets::TEXT.union(operator_sets::EMPTINESS), true)
            }
            Shape::Number => (ValueType::Number, operator_sets::RANGED, true),
            Shape::Day | Shape::Moment => (ValueType::Date, operator_sets::RANGED, true),
            Shape::Values(t) => (t, operator_sets::OPTIONAL, true),
        };
        Some(FieldDef::custom(id, &self.name, value_type, operators, orderable))
    }
}

/// Jira's fields and tether's (`own`), and the custom fields of the searched sites (by `cf[N]` and by
/// name; a system field keeps its name).
pub(crate) fn catalogue(own: FieldCatalogue, custom: &[CustomField]) -> FieldCatalogue {
    // A system field tether does not answer (Jira Cloud's `Team`, say) gives its name to a
    // custom field of that name; one tether answers keeps it (`cf[N]` still finds the other).
    let shadows = |c: &CustomField| {
        own.by_name(&c.name).is_some_and(|def| !ANSWERED.contains(&def.name.as_str()))
    };
    let mut defs: Vec<(bool, FieldDef)> =
        custom.iter().filter_map(|c| Some((shadows(c), c.def()?))).collect();
    // A name (or `cf[N]`) standing for several fields takes what any of them takes.
    let operators: Vec<_> = defs
        .iter()
        .map(|(_, d)| {
            defs.iter()
                .filter(|(_, o)| o.name.eq_ignore_ascii_case(&d.name) || o.custom_id == d.custom_id)
                .fold(d.operators, |all, (_, o)| all.union(o.operators))
        })
        .collect();
    for ((_, def), operators) in defs.iter_mut().zip(operators) {
        def.operators = operators;
    }
    let (first, rest): (Vec<_>, Vec<_>) = defs.into_iter().partition(|(shadow, _)| *shadow);
    let first = first.into_iter().map(|(_, d)| d);
    let rest = rest.into_iter().map(|(_, d)| d);
    FieldCatalogue::new(first.chain(own.iter().cloned()).chain(rest))
}

/// Whether the query names a field tether does not answer by itself (so the sites' custom
/// fields must be read: it may be one of theirs).
pub(crate) fn names_other_fields(query: &tether_jql::Query, catalogue: &FieldCatalogue) -> bool {
    fn walk(clause: &tether_jql::Clause, catalogue: &FieldCatalogue) -> bool {
        use tether_jql::Clause;
        match clause {
            Clause::And(j) | Clause::Or(j) => j.clauses().iter().any(|c| walk(c, catalogue)),
            Clause::Not(inner) => walk(inner, catalogue),
            Clause::Terminal(t) => other(&t.field, catalogue),
        }
    }
    fn other(field: &Field, catalogue: &FieldCatalogue) -> bool {
        catalogue.get(field).is_none_or(|def| !ANSWERED.contains(&def.name.as_str()))
    }
    query.clause.as_ref().is_some_and(|c| walk(c, catalogue))
        || query.order_by.iter().any(|k| other(&k.field, catalogue))
}

/// The search shape of a field from its schema.
fn shape(schema_type: Option<&str>, schema_custom: Option<&str>) -> Shape {
    let kind = schema_custom.and_then(|c| c.rsplit_once(':')).map_or("", |(_, k)| k);
    match kind {
        "textfield" | "textarea" | "readonlyfield" => return Shape::Text,
        "float" | "importid" | "jsw-story-points" => return Shape::Number,
        "datepicker" => return Shape::Day,
        "datetime" => return Shape::Moment,
        "select" | "radiobuttons" | "cascadingselect" | "multiselect" | "multicheckboxes" => {
            return Shape::Values(ValueType::Option);
        }
        "userpicker" | "multiuserpicker" | "people" => return Shape::Values(ValueType::User),
        "labels" => return Shape::Values(ValueType::Label),
        "version" | "multiversion" => return Shape::Values(ValueType::Version),
        "grouppicker" | "multigrouppicker" => return Shape::Values(ValueType::Group),
        "project" => return Shape::Values(ValueType::Project),
        _ => {}
    }
    match schema_type.unwrap_or("") {
        "string" => Shape::Text,
        "number" => Shape::Number,
        "date" => Shape::Day,
        "datetime" => Shape::Moment,
        "user" => Shape::Values(ValueType::User),
        "option" | "option-with-child" => Shape::Values(ValueType::Option),
        _ => Shape::Values(ValueType::Text),
    }
}

/// A custom field's value searched on one site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Custom {
    /// Text `~` looks into: an SQL expression, NULL without a value.
    Text(String),
    /// A number: an SQL expression, NULL without one.
    Number(String),
    /// Values by name or id: the field's `customfield_N`.
    Values(String),
}

impl Compiler<'_> {
    /// What a custom field (`cf[N]`, or a name the sites give custom fields) is on each site
    /// that has it: `(sites condition, kind)`; `None` for a field that is not custom.
    pub(super) fn custom_kinds(&self, field: &Field) -> Option<Vec<(i64, Kind)>> {
        let def = self.cx.fields.get(field)?;
        def.custom_id?;
        let d = self.cx.dialect;
        let kinds = self
            .cx
            .custom
            .iter()
            .filter(|c| match &field.name {
                FieldName::Custom(id) => id.get() == c.id,
                FieldName::Named(_) => c.name.eq_ignore_ascii_case(&def.name),
            })
            .map(|c| {
                let key = format!("customfield_{}", c.id);
                let kind = match c.shape {
                    Shape::Text => Kind::Custom(Custom::Text(text_value(d, &key))),
                    Shape::Number => Kind::Custom(Custom::Number(number_value(d, &key))),
                    Shape::Day => Kind::Day(day_value(d, &key)),
                    Shape::Moment => Kind::Date(moment_value(d, &key)),
                    Shape::Values(_) => Kind::Custom(Custom::Values(key)),
                };
                (c.site_id, kind)
            })
            .collect();
        Some(kinds)
    }

    /// A clause on a custom field: on each site that has it, as its type says; on a searched
    /// site without it, the field is empty there (`IS EMPTY` holds, a value does not).
    pub(super) fn custom_terminal(
        &mut self,
        kinds: Vec<(i64, Kind)>,
        t: &TerminalClause,
    ) -> Result<String, String> {
        let Condition::Value { operator, operand } = &t.condition else {
            return Err(super::pieces::unsupported_history(&t.field));
        };
        let mut any = Vec::new();
        let mut sites = Vec::new();
        let mut refused = None;
        for (site, kind) in kinds {
            sites.push(site.to_string());
            // A site whose field of that name cannot take the operator has no match; the
            // query is refused only when no field can.
            match self.value(&kind, &t.field, *operator, operand) {
                Ok(value) => any.push(format!("(t.site_id = {site} AND {value})")),
                Err(e) => refused = Some(e),
            }
        }
        if let (true, Some(e)) = (any.is_empty(), refused) {
            return Err(e);
        }
        let wants_empty = match operator {
            ValueOperator::Is => true,
            ValueOperator::Equals | ValueOperator::In => names_empty(&operand.kind),
            _ => false,
        };
        if wants_empty {
            any.push(format!("t.site_id NOT IN ({})", sites.join(", ")));
        }
        Ok(if any.is_empty() { "FALSE".to_owned() } else { format!("({})", any.join(" OR ")) })
    }

    /// True when the ticket has no value in the field.
    pub(super) fn custom_empty(&self, custom: &Custom) -> String {
        match custom {
            Custom::Text(e) => format!("({e} IS NULL OR {e} = '')"),
            Custom::Number(e) => format!("{e} IS NULL"),
            Custom::Values(key) => match self.cx.dialect {
                Dialect::Sqlite => {
                    let p = sqlite_path(key);
                    format!(
                        "(COALESCE(json_type(t.custom, {p}), 'null') = 'null' OR json_extract(t.custom, {p}) IN ('', '[]'))"
                    )
                }
                Dialect::Postgres => {
                    let v = pg_value(key);
                    format!(
                        "({v} IS NULL OR jsonb_typeof({v}) = 'null' OR {v} IN ('\"\"'::jsonb, '[]'::jsonb))"
                    )
                }
            },
        }
    }

    /// True when the ticket's value (one of its values) is `value`.
    pub(super) fn custom_matches(
        &mut self,
        custom: &Custom,
        field: &Field,
        value: &str,
    ) -> Result<String, String> {
        match custom {
            Custom::Text(_) => Err(format!(
                "The operator '=' is not supported by the '{}' field.",
                field.display_name()
            )),
            Custom::Number(e) => Ok(format!("{e} = {}", number(value, field)?)),
            Custom::Values(key) => {
                let n = self.text(value);
                Ok(self.any_value(key, &n))
            }
        }
    }

    /// `>`, `>=`, `<`, `<=` on a number field.
    pub(super) fn custom_compare(
        &mut self,
        custom: &Custom,
        field: &Field,
        op: &str,
        value: &str,
    ) -> Result<String, String> {
        match custom {
            Custom::Number(e) => Ok(format!("{e} {op} {}", number(value, field)?)),
            _ => Err(format!(
                "The operator '{op}' is not supported by the '{}' field.",
                field.display_name()
            )),
        }
    }

    /// `~` on a text field: every word or phrase appears, letters as written (`*` and `?`
    /// as wildcards); custom fields have no full-text index.
    pub(super) fn custom_text(
        &mut self,
        custom: &Custom,
        field: &Field,
        value: &str,
    ) -> Result<String, String> {
        let Custom::Text(e) = custom else {
            return Err(format!(
                "The operator '~' is not supported by the '{}' field.",
                field.display_name()
            ));
        };
        let terms = text_terms(value);
        if terms.is_empty() {
            return Ok("FALSE".to_owned());
        }
        let all: Vec<String> = terms
            .iter()
            .map(|term| {
                let n = self.text(format!("%{}%", like_pattern(term)));
                format!("lower({e}) LIKE lower({n}) ESCAPE '\\'")
            })
            .collect();
        Ok(format!("({})", all.join(" AND ")))
    }

    /// The custom field's value for sorting.
    pub(super) fn custom_sort(&self, custom: &Custom) -> String {
        match custom {
            Custom::Text(e) => format!("lower({e})"),
            Custom::Number(e) => e.clone(),
            Custom::Values(key) => match self.cx.dialect {
                Dialect::Sqlite => {
                    let p = sqlite_path(key);
                    format!(
                        "lower(CASE json_type(t.custom, {p}) WHEN 'object' THEN COALESCE(json_extract(t.custom, {p} || '.value'), json_extract(t.custom, {p} || '.displayName'), json_extract(t.custom, {p} || '.name')) WHEN 'array' THEN NULL ELSE CAST(json_extract(t.custom, {p}) AS TEXT) END)"
                    )
                }
                Dialect::Postgres => {
                    let v = pg_value(key);
                    format!(
                        "lower(CASE jsonb_typeof({v}) WHEN 'object' THEN COALESCE({v} ->> 'value', {v} ->> 'displayName', {v} ->> 'name') WHEN 'array' THEN NULL ELSE {v} #>> '{{}}' END)"
                    )
                }
            },
        }
    }

    /// One of the field's values (each of a list's, or the one) is `n` by its text, or an
    /// object's value, name, id, key, account id, email or display name.
    fn any_value(&self, key: &str, n: &str) -> String {
        let names = ["value", "name", "emailAddress", "displayName"];
        let ids = ["id", "key", "accountId"];
        match self.cx.dialect {
            Dialect::Sqlite => {
                let mut any: Vec<String> = names
                    .iter()
                    .map(|f| format!("lower(json_extract(e.value, '$.{f}')) = lower({n})"))
                    .collect();
                any.extend(
                    ids.iter()
                        .map(|f| format!("CAST(json_extract(e.value, '$.{f}') AS TEXT) = {n}")),
                );
                let one = format!(
                    "CASE WHEN e.type = 'object' THEN ({}) ELSE lower(CAST(e.value AS TEXT)) = lower({n}) END",
                    any.join(" OR ")
                );
                // The wrapper's `value` member is the value itself; a list's items are its values.
                format!(
                    "EXISTS (SELECT 1 FROM json_each(t.custom, '$.\"{key}\"') e WHERE e.key = 'value' AND e.type <> 'array' AND {one} \
                     UNION ALL SELECT 1 FROM json_each(t.custom, {p}) e WHERE json_type(t.custom, {p}) = 'array' AND {one})",
                    p = sqlite_path(key)
                )
            }
            Dialect::Postgres => {
                let v = pg_value(key);
                let mut any: Vec<String> =
                    names.iter().map(|f| format!("lower(e.v ->> '{f}') = lower({n})")).collect();
                any.extend(ids.iter().map(|f| format!("e.v ->> '{f}' = {n}")));
                format!(
                    "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE jsonb_typeof({v}) WHEN 'array' THEN {v} ELSE jsonb_build_array({v}) END) AS e(v) \
                     WHERE CASE jsonb_typeof(e.v) WHEN 'object' THEN ({}) ELSE lower(e.v #>> '{{}}') = lower({n}) END)",
                    any.join(" OR ")
                )
            }
        }
    }
}

/// Whether an operand is or lists `EMPTY`.
fn names_empty(operand: &OperandKind) -> bool {
    match operand {
        OperandKind::Empty => true,
        OperandKind::List(list) => list.items().iter().any(|o| names_empty(&o.kind)),
        _ => false,
    }
}

/// A number from the query, as an SQL literal (parsed, so never the query's text).
fn number(value: &str, field: &Field) -> Result<String, String> {
    match value.trim().parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(format!("{n:?}")),
        _ => Err(format!(
            "The value '{value}' is not a valid number for the field '{}'.",
            field.display_name()
        )),
    }
}

/// SQLite's JSON path to a custom field's value (the key is `customfield_` and digits).
fn sqlite_path(key: &str) -> String {
    format!("'$.\"{key}\".value'")
}

/// PostgreSQL's `jsonb` of a custom field's value.
fn pg_value(key: &str) -> String {
    format!("((t.custom::jsonb) #> '{{{key},value}}')")
}

fn text_value(d: Dialect, key: &str) -> String {
    match d {
        Dialect::Sqlite => {
            let p = sqlite_path(key);
            format!(
                "(CASE WHEN json_type(t.custom, {p}) = 'text' THEN json_extract(t.custom, {p}) END)"
            )
        }
        Dialect::Postgres => {
            let v = pg_value(key);
            format!("(CASE WHEN jsonb_typeof({v}) = 'string' THEN {v} #>> '{{}}' END)")
        }
    }
}

fn number_value(d: Dialect, key: &str) -> String {
    match d {
        Dialect::Sqlite => {
            let p = sqlite_path(key);
            format!(
                "(CASE WHEN json_type(t.custom, {p}) IN ('integer', 'real') THEN CAST(json_extract(t.custom, {p}) AS REAL) END)"
            )
        }
        Dialect::Postgres => {
            let v = pg_value(key);
            format!(
                "(CASE WHEN jsonb_typeof({v}) = 'number' THEN ({v} #>> '{{}}')::double precision END)"
            )
        }
    }
}

/// A date picker's day (`YYYY-MM-DD`).
fn day_value(d: Dialect, key: &str) -> String {
    format!("substr({}, 1, 10)", text_value(d, key))
}

/// A date-time field's moment in epoch milliseconds, from Jira's form
/// `2026-12-05T10:00:00.000+0100`.
fn moment_value(d: Dialect, key: &str) -> String {
    let v = text_value(d, key);
    match d {
        Dialect::Sqlite => format!(
            "(CASE WHEN length({v}) >= 28 THEN \
             CAST(ROUND((julianday(substr({v}, 1, 10) || ' ' || substr({v}, 12, 8)) - 2440587.5) * 86400000) AS INTEGER) \
             + CAST(substr({v}, 21, 3) AS INTEGER) \
             - (CASE substr({v}, 24, 1) WHEN '-' THEN -1 ELSE 1 END) \
             * (CAST(substr({v}, 25, 2) AS INTEGER) * 3600000 + CAST(substr({v}, 27, 2) AS INTEGER) * 60000) END)"
        ),
        Dialect::Postgres => format!(
            "(CASE WHEN {v} ~ '^\\d{{4}}-\\d{{2}}-\\d{{2}}T\\d{{2}}:\\d{{2}}:\\d{{2}}' \
             THEN (EXTRACT(EPOCH FROM ({v})::timestamptz) * 1000)::bigint END)"
        ),
    }
}
