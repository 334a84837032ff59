//! Hardening: arbitrary strings and soups of JQL tokens never panic; every refusal is one of
//! Jira's messages with a position that points into the text; every acceptance prints back
//! to the same tree and validates without panicking.

use proptest::prelude::*;
use tether_jql::catalogue::FieldCatalogue;
use tether_jql::functions::FunctionCatalogue;
use tether_jql::print::to_jql;
use tether_jql::validate::validate;
use tether_jql::{MAX_NESTING, ParseErrorKind, parse};

/// The checks every input must pass.
fn well_behaved(src: &str) -> Result<(), TestCaseError> {
    match parse(src) {
        Err(err) => {
            let message = err.to_string();
            prop_assert!(
                message.starts_with("Error in the JQL Query: ")
                    || message.starts_with("Error in JQL Query: "),
                "{:?}",
                message
            );
            let p = err.position;
            prop_assert!(
                p.offset <= src.len() && src.is_char_boundary(p.offset),
                "{:?} in {:?}",
                p,
                src
            );
            let before = &src[..p.offset];
            let line = before.matches('\n').count() as u32 + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let character = before[line_start..].encode_utf16().count() as u32 + 1;
            prop_assert_eq!(
                (p.line, p.character),
                (line, character),
                "position of {:?} in {:?}",
                message,
                src
            );
            let suffix = format!(" (line {line}, character {character})");
            prop_assert_eq!(message.ends_with(&suffix), err.kind.shows_position(), "{:?}", message);
        }
        Ok(query) => {
            let printed = to_jql(&query);
            let again = parse(&printed)
                .map_err(|e| TestCaseError::fail(format!("{src:?} printed as {printed:?}: {e}")))?;
            prop_assert_eq!(
                again.without_spans(),
                query.clone().without_spans(),
                "{:?} printed as {:?}",
                src,
                printed
            );
            for error in validate(&query, &FieldCatalogue::tether(), &FunctionCatalogue::jira()) {
                prop_assert!(!error.to_string().is_empty());
                prop_assert!(error.span.end <= src.len());
            }
        }
    }
    Ok(())
}

fn token() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "(",
        ")",
        ",",
        "[",
        "]",
        "=",
        "!=",
        "~",
        "!~",
        "<",
        ">",
        "<=",
        ">=",
        "!",
        "&",
        "&&",
        "|",
        "||",
        "and",
        "OR",
        "not",
        "in",
        "IS",
        "empty",
        "null",
        "was",
        "changed",
        "before",
        "after",
        "from",
        "to",
        "on",
        "during",
        "order",
        "by",
        "asc",
        "desc",
        "cf",
        "cf[10010]",
        "project",
        "status",
        "\"In Progress\"",
        "'x y'",
        "\"\"",
        "''",
        "\"unclosed",
        "'unclosed",
        "-5d",
        "\"-4w 2d\"",
        "12345",
        "-7",
        "99999999999999999999",
        "ABC-1",
        "currentUser()",
        "membersOf(jira-users)",
        "startOfDay(-1)",
        "now(",
        "select",
        "true",
        "int",
        "{",
        "}",
        "*",
        "/",
        "%",
        "+",
        "^",
        "$",
        "#",
        "@",
        "?",
        ";",
        "\\",
        "\\n",
        "\\u0041",
        "\\u12",
        "\\x",
        "\u{7f}",
        "\t",
        "\n",
        "\r",
        " ",
        "  ",
        "\u{0}",
        "\u{fffe}",
        ".",
        ".all",
        "..",
        "issue.property",
        "development",
        "flagState",
        "über",
        "😀",
        "\u{2028}",
    ])
    .prop_map(str::to_owned);
    prop_oneof![8 => fixed, 1 => "[a-z0-9]{1,5}", 1 => any::<char>().prop_map(String::from)]
}

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..24).prop_map(|tokens| {
        let mut out = String::new();
        for (i, t) in tokens.iter().enumerate() {
            if i % 3 != 2 {
                out.push(' ');
            }
            out.push_str(t);
        }
        out
    })
}

/// Queries that are mostly well formed, so that acceptance gets exercised too.
fn near_valid() -> impl Strategy<Value = String> {
    let field = prop::sample::select(vec![
        "project",
        "status",
        "assignee",
        "cf[10010]",
        "\"Story Points\"",
        "issue.property[x].y",
    ]);
    let op = prop::sample::select(vec![
        "=",
        "!=",
        "~",
        "in",
        "not in",
        "is",
        "is not",
        ">",
        "<=",
        "was",
        "was not in",
        "changed",
    ]);
    let value = prop::sample::select(vec![
        "ABC",
        "\"In Progress\"",
        "(a, b)",
        "EMPTY",
        "currentUser()",
        "-5d",
        "12",
        "(a, (b, c))",
    ]);
    let pred =
        prop::sample::select(vec!["", " by me", " after -1d", " during (a, b)", " from a to b"]);
    let joiner = prop::sample::select(vec![" and ", " or ", " and not ", " || ", " && !"]);
    let clause = (field, op, value, pred).prop_map(|(f, o, v, p)| format!("{f} {o} {v}{p}"));
    (prop::collection::vec((clause, joiner), 1..5), prop::bool::ANY).prop_map(|(parts, sorted)| {
        let mut out = String::new();
        for (i, (clause, joiner)) in parts.iter().enumerate() {
            if i > 0 {
                out.push_str(joiner);
            }
            out.push_str(clause);
        }
        if sorted {
            out.push_str(" order by created desc, cf[1]");
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_are_handled(src in any::<String>()) {
        well_behaved(&src)?;
    }

    #[test]
    fn token_soups_are_handled(src in soup()) {
        well_behaved(&src)?;
    }

    #[test]
    fn near_valid_queries_are_handled(src in near_valid()) {
        well_behaved(&src)?;
    }
}

#[test]
fn deep_nesting_is_refused_without_overflowing() {
    for src in [
        "(".repeat(100_000),
        "not ".repeat(100_000),
        "!".repeat(100_000),
        format!("a in {}", "(".repeat(100_000)),
        format!("{}a = b{}", "(".repeat(MAX_NESTING + 1), ")".repeat(MAX_NESTING + 1)),
    ] {
        let err = parse(&src).expect_err("too deep");
        assert_eq!(err.kind, ParseErrorKind::TooDeep, "{}", &src[..20]);
    }
    let deepest = format!("{}a = b{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert!(parse(&deepest).is_ok());
    let list = format!("a in {}b{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert!(parse(&list).is_ok());
}

#[test]
fn long_flat_queries_parse() {
    let src = vec!["a = b"; 50_000].join(" and ");
    let query = parse(&src).expect("parses");
    assert!(to_jql(&query).eq_ignore_ascii_case(&src));
}
