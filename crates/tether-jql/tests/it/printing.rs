//! The printer: canonical JQL for parsed and built queries, value quoting, and the property
//! that any tree prints to text that parses back to the same tree.

use proptest::prelude::*;
use tether_jql::print::{encode_value, quote, to_jql};
use tether_jql::{
    Clause, Condition, CustomFieldId, Field, FieldName, HistoryOperator, Junction, Name, Operand,
    OperandKind, OperandList, Predicate, PredicateOperator, Property, PropertyPath, Query, SortKey,
    SortOrder, Span, TerminalClause, ValueOperator, parse,
};

#[track_caller]
fn check(jql: &str, expect: &str) {
    let query = parse(jql).unwrap_or_else(|e| panic!("{jql:?}: {e}"));
    assert_eq!(to_jql(&query), expect, "printing {jql:?}");
}

#[test]
fn canonical_form() {
    check(
        "project = ABC and status in (Open, \"In Progress\") order by created desc",
        "project = ABC AND status IN (Open, \"In Progress\") ORDER BY created DESC",
    );
    check("a = b and (c = d and e = f)", "a = b AND (c = d AND e = f)");
    check("a = b and c = d and e = f", "a = b AND c = d AND e = f");
    check("a = b or c = d and e = f", "a = b OR c = d AND e = f");
    check("(a = b or c = d) and e = f", "(a = b OR c = d) AND e = f");
    check("a = b or (c = d or e = f)", "a = b OR (c = d OR e = f)");
    check("not (a = b or c = d)", "NOT (a = b OR c = d)");
    check("! a = b", "NOT a = b");
    check("not not a = b", "NOT NOT a = b");
    check("a=b&c=d||e=f", "a = b AND c = d OR e = f");
    check("priority = \"12345\"", "priority = \"12345\"");
    check("priority = 12345", "priority = 12345");
    check("priority = 0005", "priority = 5");
    check(
        "x = \"select\" and y = \"and\" and z = \"\"",
        "x = \"select\" AND y = \"and\" AND z = \"\"",
    );
    check("x = 'a\"b'", "x = \"a\\\"b\"");
    check("x = 'a\\\\b'", "x = \"a\\\\b\"");
    check("x = 'a\nb\\tc'", "x = \"a\\nb\\tc\"");
    check("x = \"it's\"", "x = \"it's\"");
    check("\"Story Points\" >= 5", "\"Story Points\" >= 5");
    check("cf[10010] = x", "cf[10010] = x");
    check("'cf' = x and 'cf[1220]' = y", "\"cf\" = x AND \"cf[1220]\" = y");
    check("issue.property[x].a.b = 1", "issue.property[x].a.b = 1");
    check(
        "issue.property[\"spaces here\"].value in (\"Service requests\", Incidents)",
        "issue.property[\"spaces here\"].value IN (\"Service requests\", Incidents)",
    );
    check("issue.property[x]\".a b\" = 1", "issue.property[x]\".a b\" = 1");
    check("development[pullrequests].open > 0", "development[pullrequests].open > 0");
    check("updated <= \"-4w 2d\"", "updated <= \"-4w 2d\"");
    check("created > -5d", "created > -5d");
    check("created > \"-5d\"", "created > -5d");
    check("version = \"1.2.3\"", "version = 1.2.3");
    check("due > \"2024/01/31\"", "due > \"2024/01/31\"");
    check(
        "status was open by jsmith before \"2019/02/02\"",
        "status WAS open BY jsmith BEFORE \"2019/02/02\"",
    );
    check(
        "status was not in (a, b) during ('2019/01/01', now())",
        "status WAS NOT IN (a, b) DURING (\"2019/01/01\", now())",
    );
    check("assignee changed", "assignee CHANGED");
    check(
        "status changed from open to done by me after -1w on '2024-01-01'",
        "status CHANGED FROM open TO done BY me AFTER -1w ON 2024-01-01",
    );
    check(
        "issue in linkedIssues(ABC-123, \"is duplicated by\")",
        "issue IN linkedIssues(ABC-123, \"is duplicated by\")",
    );
    check("a = f(1, -2, 'and', \"\")", "a = f(1, -2, \"and\", \"\")");
    check("a = 'my func'()", "a = \"my func\"()");
    check("a = 12()", "a = 12()");
    check("x = NULL and y is not empty", "x = EMPTY AND y IS NOT EMPTY");
    check("a in ((b), c)", "a IN ((b), c)");
    check("order by crap", "ORDER BY crap");
    check("order by a asc, b, c desc", "ORDER BY a ASC, b, c DESC");
    check("10245948 = abc", "10245948 = abc");
    check("\"123\"[x] = y", "\"123\"[x] = y");
    check("x = \"\\u0007\"", "x = \"\\u0007\"");
    check("x = \"\\uD83D\\uDE00\"", "x = \u{1F600}");
    check("", "");
}

#[test]
fn encoding_single_values() {
    for (value, expect) in [
        ("abc", "abc"),
        ("In Progress", "\"In Progress\""),
        ("123", "\"123\""),
        ("-1", "\"-1\""),
        ("-5d", "-5d"),
        ("ABC-1", "ABC-1"),
        ("INT", "\"INT\""),
        ("empty", "\"empty\""),
        ("Null", "\"Null\""),
        ("on", "\"on\""),
        ("a\"b", "\"a\\\"b\""),
        ("", "\"\""),
        ("1.2.3", "1.2.3"),
        ("2024/01/31", "\"2024/01/31\""),
        ("a+b", "\"a+b\""),
        ("\u{7}", "\"\\u0007\""),
        ("a\\b", "\"a\\\\b\""),
        ("über", "über"),
    ] {
        assert_eq!(encode_value(value), expect, "{value:?}");
    }
    assert_eq!(quote("x"), "\"x\"");
}

/// A GitLab-style "View Jira issues" query built from filters rather than text.
#[test]
fn a_query_built_from_filters() {
    let name = |n: &str| Name::new(n).expect("not blank");
    let string = |s: &str| Operand::new(OperandKind::String(s.to_owned()));
    let clause = |field: &str, operator, operand| {
        Clause::Terminal(Box::new(TerminalClause {
            field: Field::named(name(field)),
            condition: Condition::Value { operator, operand },
            span: Span::default(),
        }))
    };
    let projects = OperandList::new(vec![string("INT"), string("Web Shop")]).expect("two projects");
    let text = Junction::new(vec![
        clause("summary", ValueOperator::Like, string("can't \"log\" in")),
        clause("description", ValueOperator::Like, string("can't \"log\" in")),
    ])
    .expect("two clauses");
    let all = Junction::new(vec![
        clause("project", ValueOperator::In, Operand::new(OperandKind::List(projects))),
        clause("labels", ValueOperator::Equals, string("needs review")),
        clause("statusCategory", ValueOperator::NotEquals, string("Done")),
        Clause::Or(text),
    ])
    .expect("four clauses");
    let query = Query {
        clause: Some(Clause::And(all)),
        order_by: vec![SortKey {
            field: Field::named(name("created")),
            order: Some(SortOrder::Desc),
        }],
    };
    let jql = to_jql(&query);
    assert_eq!(
        jql,
        "project IN (\"INT\", \"Web Shop\") AND labels = \"needs review\" AND statusCategory != Done AND (summary ~ \"can't \\\"log\\\" in\" OR description ~ \"can't \\\"log\\\" in\") ORDER BY created DESC"
    );
    assert_eq!(parse(&jql).expect("parses").without_spans(), query);
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z][a-zA-Z0-9._-]{0,8}",
        Just("and".to_owned()),
        Just("EMPTY".to_owned()),
        Just("select".to_owned()),
        Just("cf".to_owned()),
        "-?[0-9]{1,4}",
        "[ -~]{0,6}",
        any::<String>(),
    ]
}

fn name() -> impl Strategy<Value = Name> {
    text().prop_filter_map("blank", Name::new)
}

fn field() -> impl Strategy<Value = Field> {
    let named = name().prop_map(FieldName::Named);
    let custom = (0..=i64::MAX as u64)
        .prop_map(|id| FieldName::Custom(CustomFieldId::new(id).expect("in range")));
    let path = text().prop_map(PropertyPath::new);
    let property = (text(), path).prop_map(|(key, path)| Property { key, path });
    (prop_oneof![named, custom], prop::collection::vec(property, 0..3))
        .prop_map(|(name, properties)| Field { name, properties, span: Span::default() })
}

fn operand() -> impl Strategy<Value = Operand> {
    let leaf = prop_oneof![
        Just(OperandKind::Empty),
        text().prop_map(OperandKind::String),
        any::<i64>().prop_map(OperandKind::Number),
        (name(), prop::collection::vec(text(), 0..3))
            .prop_map(|(name, args)| OperandKind::Function { name, args }),
    ]
    .prop_map(Operand::new);
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop::collection::vec(inner, 1..4).prop_map(|items| {
            Operand::new(OperandKind::List(OperandList::new(items).expect("one or more")))
        })
    })
}

fn predicates() -> impl Strategy<Value = Vec<Predicate>> {
    use PredicateOperator::*;
    let op = prop::sample::select(vec![From, To, By, Before, After, On, During]);
    prop::collection::vec(
        (op, operand()).prop_map(|(operator, operand)| Predicate { operator, operand }),
        0..3,
    )
}

fn condition() -> impl Strategy<Value = Condition> {
    use ValueOperator::*;
    let value_op = prop::sample::select(vec![
        Equals,
        NotEquals,
        Like,
        NotLike,
        GreaterThan,
        GreaterThanEquals,
        LessThan,
        LessThanEquals,
        In,
        NotIn,
        Is,
        IsNot,
    ]);
    let history_op = prop::sample::select(vec![
        HistoryOperator::Was,
        HistoryOperator::WasNot,
        HistoryOperator::WasIn,
        HistoryOperator::WasNotIn,
    ]);
    prop_oneof![
        (value_op, operand())
            .prop_map(|(operator, operand)| Condition::Value { operator, operand }),
        (history_op, operand(), predicates()).prop_map(|(operator, operand, predicates)| {
            Condition::History { operator, operand, predicates }
        }),
        predicates().prop_map(|predicates| Condition::Changed { predicates }),
    ]
}

fn clause() -> impl Strategy<Value = Clause> {
    let terminal = (field(), condition()).prop_map(|(field, condition)| {
        Clause::Terminal(Box::new(TerminalClause { field, condition, span: Span::default() }))
    });
    terminal.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(|c| Clause::And(Junction::new(c).expect("two or more"))),
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(|c| Clause::Or(Junction::new(c).expect("two or more"))),
            inner.prop_map(|c| Clause::Not(Box::new(c))),
        ]
    })
}

fn query() -> impl Strategy<Value = Query> {
    let order = prop::option::of(prop::sample::select(vec![SortOrder::Asc, SortOrder::Desc]));
    let keys = prop::collection::vec(
        (field(), order).prop_map(|(field, order)| SortKey { field, order }),
        0..3,
    );
    (prop::option::of(clause()), keys).prop_map(|(clause, order_by)| Query { clause, order_by })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// parse(print(ast)) == ast, positions aside.
    #[test]
    fn printed_queries_parse_back_to_the_same_tree(query in query()) {
        let jql = to_jql(&query);
        let parsed = parse(&jql).map_err(|e| TestCaseError::fail(format!("{jql:?}: {e}")))?;
        prop_assert_eq!(parsed.without_spans(), query, "printed as {:?}", jql);
    }

    /// Any string encodes to one value that parses back to exactly that string.
    #[test]
    fn encoded_values_read_back(value in text()) {
        let jql = format!("x = {}", encode_value(&value));
        let parsed = parse(&jql).map_err(|e| TestCaseError::fail(format!("{jql:?}: {e}")))?;
        let Some(Clause::Terminal(t)) = parsed.clause else { return Err(TestCaseError::fail("not a clause")) };
        prop_assert_eq!(t.operand().map(|o| o.kind.clone()), Some(OperandKind::String(value)));
    }
}
