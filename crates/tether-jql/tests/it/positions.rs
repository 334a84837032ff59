//! Source positions kept in the tree: byte ranges, lines, and characters counted in UTF-16
//! units as Jira counts them.

use tether_jql::{Clause, OperandKind, Query, parse};

fn terminals(query: &Query) -> Vec<&tether_jql::TerminalClause> {
    fn walk<'a>(clause: &'a Clause, out: &mut Vec<&'a tether_jql::TerminalClause>) {
        match clause {
            Clause::And(j) | Clause::Or(j) => j.clauses().iter().for_each(|c| walk(c, out)),
            Clause::Not(inner) => walk(inner, out),
            Clause::Terminal(t) => out.push(t),
        }
    }
    let mut out = Vec::new();
    if let Some(clause) = &query.clause {
        walk(clause, &mut out);
    }
    out
}

#[test]
fn clauses_fields_and_operands_know_where_they_are() {
    let src = "project = ABC\n  AND status in (a, \"b c\") ORDER BY cf[10010] DESC";
    let query = parse(src).expect("parses");
    let found: Vec<(u32, u32, &str, &str, &str)> = terminals(&query)
        .into_iter()
        .map(|t| {
            let operand = t.operand().expect("has one").span;
            (
                t.span.start.line,
                t.span.start.character,
                &src[t.span.start.offset..t.span.end],
                &src[t.field.span.start.offset..t.field.span.end],
                &src[operand.start.offset..operand.end],
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (1, 1, "project = ABC", "project", "ABC"),
            (2, 7, "status in (a, \"b c\")", "status", "(a, \"b c\")")
        ]
    );
    let key = &query.order_by[0].field.span;
    assert_eq!(
        (key.start.line, key.start.character, &src[key.start.offset..key.end]),
        (2, 37, "cf[10010]")
    );
}

#[test]
fn characters_count_utf16_units() {
    let src = "\u{1F600} = x and y = z";
    let query = parse(src).expect("parses");
    let starts: Vec<u32> = terminals(&query).iter().map(|t| t.span.start.character).collect();
    assert_eq!(starts, [1, 12]);
    let err = parse("\u{1F600} = x y").expect_err("two values");
    assert_eq!(
        err.to_string(),
        "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'y'. (line 1, character 8)"
    );
}

#[test]
fn list_items_keep_their_places() {
    let src = "a in (b, (c, d))";
    let query = parse(src).expect("parses");
    let operand = terminals(&query)[0].operand().expect("list").clone();
    let OperandKind::List(items) = operand.kind else { panic!("a list") };
    let places: Vec<&str> =
        items.items().iter().map(|o| &src[o.span.start.offset..o.span.end]).collect();
    assert_eq!(places, ["b", "(c, d)"]);
}
