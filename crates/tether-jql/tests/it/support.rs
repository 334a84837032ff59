//! Helpers for the table tests: a compact rendering of a parsed query, and `check` functions.
//!
//! Rendering: `(op field operand predicates…)` for a terminal clause, `(and …)`, `(or …)`,
//! `(not …)`; strings in double quotes (Rust escapes), numbers bare, `EMPTY`, lists in `[…]`,
//! functions as `name("arg", …)`; fields bare when simple, else quoted, `cf[N]` for custom
//! fields, `[key].path` for properties; ORDER BY as ` order(field desc, …)`.

use tether_jql::{
    Clause, Condition, Field, FieldName, Operand, OperandKind, Query, SortOrder, parse,
    print::to_jql,
};

pub fn render(query: &Query) -> String {
    let mut out = String::new();
    match &query.clause {
        Some(clause) => clause_sexp(&mut out, clause),
        None => out.push('-'),
    }
    if !query.order_by.is_empty() {
        let keys: Vec<String> = query
            .order_by
            .iter()
            .map(|k| {
                let order = match k.order {
                    Some(SortOrder::Asc) => " asc",
                    Some(SortOrder::Desc) => " desc",
                    None => "",
                };
                format!("{}{order}", field_sexp(&k.field))
            })
            .collect();
        out.push_str(&format!(" order({})", keys.join(", ")));
    }
    out
}

fn clause_sexp(out: &mut String, clause: &Clause) {
    match clause {
        Clause::And(j) | Clause::Or(j) => {
            out.push_str(if matches!(clause, Clause::And(_)) { "(and" } else { "(or" });
            for c in j.clauses() {
                out.push(' ');
                clause_sexp(out, c);
            }
            out.push(')');
        }
        Clause::Not(inner) => {
            out.push_str("(not ");
            clause_sexp(out, inner);
            out.push(')');
        }
        Clause::Terminal(t) => {
            out.push('(');
            out.push_str(&t.operator().jql().to_lowercase().replace(' ', "-"));
            out.push(' ');
            out.push_str(&field_sexp(&t.field));
            if let Some(operand) = t.operand() {
                out.push(' ');
                out.push_str(&operand_sexp(operand));
            }
            if let Condition::History { predicates, .. } | Condition::Changed { predicates } =
                &t.condition
            {
                for p in predicates {
                    out.push_str(&format!(
                        " {} {}",
                        p.operator.display(),
                        operand_sexp(&p.operand)
                    ));
                }
            }
            out.push(')');
        }
    }
}

fn simple(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || "._-".contains(c))
}

fn word(s: &str) -> String {
    if simple(s) { s.to_owned() } else { format!("{s:?}") }
}

pub fn field_sexp(field: &Field) -> String {
    let mut out = match &field.name {
        FieldName::Named(n) => word(n.as_str()),
        FieldName::Custom(id) => format!("cf[{}]", id.get()),
    };
    for p in &field.properties {
        out.push_str(&format!("[{}]", word(&p.key)));
        if let Some(path) = &p.path {
            out.push_str(&format!(".{}", word(path.as_str())));
        }
    }
    out
}

fn operand_sexp(operand: &Operand) -> String {
    match &operand.kind {
        OperandKind::Empty => "EMPTY".to_owned(),
        OperandKind::String(s) => format!("{s:?}"),
        OperandKind::Number(n) => n.to_string(),
        OperandKind::List(items) => {
            format!("[{}]", items.items().iter().map(operand_sexp).collect::<Vec<_>>().join(", "))
        }
        OperandKind::Function { name, args } => {
            let args: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
            format!("{}({})", name.as_str(), args.join(", "))
        }
    }
}

/// The query parses to `expect`, and its canonical form parses to the same tree.
#[track_caller]
pub fn check(jql: &str, expect: &str) {
    let query = match parse(jql) {
        Ok(q) => q,
        Err(e) => panic!("{jql:?} failed to parse: {e}"),
    };
    assert_eq!(render(&query), expect, "parsing {jql:?}");
    let printed = to_jql(&query);
    let again = parse(&printed)
        .unwrap_or_else(|e| panic!("{printed:?} (printed from {jql:?}) failed: {e}"));
    assert_eq!(
        again.without_spans(),
        query.without_spans(),
        "round trip of {jql:?} through {printed:?}"
    );
}

/// The query is refused with exactly this message (as Jira's REST API gives it).
#[track_caller]
pub fn check_err(jql: &str, expect: &str) {
    match parse(jql) {
        Ok(q) => panic!("{jql:?} parsed as {} but should fail with {expect:?}", render(&q)),
        Err(e) => assert_eq!(e.to_string(), expect, "error for {jql:?}"),
    }
}
