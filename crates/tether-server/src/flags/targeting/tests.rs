//! Unit tests of reading the targeting forms.

use serde_json::json;
use tether_flags::Op;

use super::{operand, split_keys};

#[test]
fn rule_values_are_read_into_operands() {
    let check = |op: &str, values: &[&str], expect: Result<Op, &str>| {
        assert_eq!(operand(op, values), expect.map_err(str::to_owned), "{op} {values:?}");
    };
    check(
        "in",
        &["DE", "\"1\"", "2", "true", "x y"],
        Ok(Op::In(vec![json!("DE"), json!("1"), json!(2), json!(true), json!("x y")])),
    );
    check("equals", &["3.5"], Ok(Op::Equals(json!(3.5))));
    check("equals", &["\"3.5\""], Ok(Op::Equals(json!("3.5"))));
    check("ends_with", &["\"quoted\""], Ok(Op::EndsWith("\"quoted\"".into())));
    check("matches", &["^a+$"], Ok(Op::Matches("^a+$".into())));
    check("semver_greater", &["2.0.0"], Ok(Op::SemverGreater("2.0.0".into())));
    check("number_less_or_equal", &["-4"], Ok(Op::NumberLessOrEqual(-4.0)));
    check("before", &["1700000000000"], Ok(Op::Before(json!(1_700_000_000_000_i64))));
    check("after", &["2026-01-01T00:00:00Z"], Ok(Op::After(json!("2026-01-01T00:00:00Z"))));
    check("number_equal", &["NaN"], Err("\"NaN\" is not a number"));
    check("number_greater", &["ten"], Err("\"ten\" is not a number"));
    check("contains", &[], Err("enter a value"));
    check(
        "contains",
        &["a", "b"],
        Err("this operator takes one value, not 2; \"is one of\" takes several"),
    );
    check("rhymes_with", &["x"], Err("unknown operator \"rhymes_with\""));
}

#[test]
fn target_keys_are_split_on_lines_and_commas() {
    let check = |text: &str, expect: &[&str]| assert_eq!(split_keys(text), expect, "{text:?}");
    check("", &[]);
    check(" alice ", &["alice"]);
    check("alice, bob\ncarol\r\n\n,dave", &["alice", "bob", "carol", "dave"]);
    check("bob\nbob, bob", &["bob"]);
    check("john doe", &["john doe"]);
}
