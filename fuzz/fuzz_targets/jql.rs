//! Fuzz target `jql`: `tether_jql::parse` on any UTF-8 text; a refusal must be one of Jira's
//! messages pointing into the text, an acceptance must print back to the same tree, validate,
//! and have its date values and date functions resolve (or refuse) at any clock without panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tether_jql::catalogue::FieldCatalogue;
use tether_jql::dates::{Clock, WeekStart, date_of, parse_date, parse_period};
use tether_jql::functions::{FunctionCatalogue, evaluate_date_function, parse_increment};
use tether_jql::print::{encode_value, to_jql};
use tether_jql::validate::validate;
use tether_jql::{Clause, Operand, OperandKind, Query, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    match parse(src) {
        Err(err) => check_refusal(src, &err),
        Ok(query) => check_acceptance(src, &query),
    }
    // The value-level readers take any string a client sends as a value.
    let _ = parse_date(src);
    let _ = parse_period(src);
    let _ = parse_increment(src);
    check_encoded_value(src);
});

/// `encode_value` is how tether builds queries from values people type: whatever the value,
/// the query must parse and carry exactly that value.
fn check_encoded_value(value: &str) {
    let built = format!("summary ~ {}", encode_value(value));
    let query = parse(&built).unwrap_or_else(|e| panic!("{built:?} does not parse: {e}"));
    let operand = match &query.clause {
        Some(Clause::Terminal(t)) => t.operand().map(|o| &o.kind),
        _ => None,
    };
    assert_eq!(operand, Some(&OperandKind::String(value.to_owned())), "{built:?}");
}

fn check_refusal(src: &str, err: &tether_jql::ParseError) {
    let message = err.to_string();
    assert!(
        message.starts_with("Error in the JQL Query: ")
            || message.starts_with("Error in JQL Query: "),
        "{message:?}"
    );
    let p = err.position;
    assert!(p.offset <= src.len() && src.is_char_boundary(p.offset), "{p:?} in {src:?}");
    let before = &src[..p.offset];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character = before[line_start..].encode_utf16().count() as u32 + 1;
    assert_eq!((p.line, p.character), (line, character), "{message:?} in {src:?}");
}

fn check_acceptance(src: &str, query: &Query) {
    let printed = to_jql(query);
    let again = parse(&printed)
        .unwrap_or_else(|e| panic!("{src:?} printed as {printed:?}, which does not parse: {e}"));
    assert_eq!(
        again.without_spans(),
        query.clone().without_spans(),
        "{src:?} printed as {printed:?}"
    );
    for error in validate(query, &FieldCatalogue::tether(), &FunctionCatalogue::jira()) {
        assert!(!error.to_string().is_empty());
        assert!(error.span.end <= src.len(), "{error:?} past the end of {src:?}");
    }
    let functions = FunctionCatalogue::jira();
    let mut operands = Vec::new();
    if let Some(clause) = &query.clause {
        collect_operands(clause, &mut operands);
    }
    for clock in CLOCKS {
        for operand in &operands {
            resolve(operand, &functions, &clock);
        }
    }
}

/// Clocks at the edges: the epoch, a usual day, the ends of `i64`, and offsets at and past
/// the limits of a real time zone.
const CLOCKS: [Clock; 5] = [
    Clock { now_ms: 0, utc_offset_seconds: 0, week_start: WeekStart::Monday },
    Clock { now_ms: 1_706_695_200_000, utc_offset_seconds: 3_600, week_start: WeekStart::Sunday },
    Clock { now_ms: i64::MAX, utc_offset_seconds: 86_399, week_start: WeekStart::Monday },
    Clock { now_ms: i64::MIN, utc_offset_seconds: -86_399, week_start: WeekStart::Sunday },
    Clock {
        now_ms: 253_402_300_799_000,
        utc_offset_seconds: i32::MAX,
        week_start: WeekStart::Monday,
    },
];

fn resolve(operand: &Operand, functions: &FunctionCatalogue, clock: &Clock) {
    match &operand.kind {
        OperandKind::List(list) => {
            for item in list.items() {
                resolve(item, functions, clock);
            }
        }
        OperandKind::Function { name, args } => {
            if let Ok(def) = functions.check(name.as_str(), args) {
                let _ = evaluate_date_function(def, args, clock);
            }
        }
        kind => {
            if let Some(date) = date_of(kind) {
                let at = date.resolve(clock);
                if let (Some(at), Some((start, end))) = (at, date.range(clock)) {
                    assert!(
                        start <= at && at <= end,
                        "{date:?} at {clock:?}: {at} not in {start}..={end}"
                    );
                }
            }
        }
    }
}

fn collect_operands<'q>(clause: &'q Clause, out: &mut Vec<&'q Operand>) {
    match clause {
        Clause::And(j) | Clause::Or(j) => {
            for c in j.clauses() {
                collect_operands(c, out);
            }
        }
        Clause::Not(inner) => collect_operands(inner, out),
        Clause::Terminal(t) => {
            out.extend(t.operand());
            for predicate in t.predicates() {
                out.push(&predicate.operand);
            }
        }
    }
}
