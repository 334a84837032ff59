//! The persisted format keeps numbers as they were written: every float bit for
//! bit and in float form (`20.0`), every integer as an integer (`20`), in
//! variation values and in number operators alike.

use proptest::prelude::*;
use serde_json::{Value, json};
use tether_flags as f;

use super::*;

fn number_flag(value: Value) -> f::Flag {
    f::Flag {
        key: "n".into(),
        name: "n".into(),
        description: String::new(),
        kind: f::FlagKind::Number,
        variations: vec![f::Variation { key: "v".into(), name: "v".into(), value }],
        tags: vec![],
        custom_properties: Default::default(),
    }
}

/// The variation value after the flag is written and read back.
fn stored(value: Value) -> Value {
    let flag = flag_from_json("n", &flag_to_json(&number_flag(value))).unwrap();
    flag.variations.into_iter().next().unwrap().value
}

/// The operand of a `number_equal` clause after the configuration is written and read back.
fn stored_operand(n: f64) -> f64 {
    let config = f::EnvConfig {
        on: true,
        off_variation: "v".into(),
        targets: vec![],
        rules: vec![f::Rule {
            id: "r".into(),
            description: String::new(),
            clauses: vec![f::Clause::attribute("n", f::Op::NumberEqual(n))],
            serve: f::Serve::variation("v"),
        }],
        default_rule: f::Serve::variation("v"),
    };
    let back = config_from_json(&config_to_json(&config)).unwrap();
    match &back.rules[0].clauses[0].test {
        f::Test::Attribute { op: f::Op::NumberEqual(n), .. } => *n,
        other => panic!("read back as {other:?}"),
    }
}

#[test]
fn numbers_keep_their_form() {
    // (the value as written in JSON, as the store gives it back)
    let check = |written: &str, expect: &str| {
        let value: Value = serde_json::from_str(written).unwrap();
        assert_eq!(stored(value).to_string(), expect, "{written}");
    };
    check("20.0", "20.0");
    check("20", "20");
    check("-20", "-20");
    check("0.5", "0.5");
    check("1e3", "1000.0");
    check("-0.0", "-0.0");
    check("18446744073709551615", "18446744073709551615");
    check("-9223372036854775808", "-9223372036854775808");
    // Read back as 7.038530999999999e-26 before serde_json parsed floats exactly.
    check("7.038531e-26", "7.038531e-26");
}

proptest! {
    #[test]
    fn every_finite_float_reads_back_bit_for_bit(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        let back = stored(json!(x));
        prop_assert!(back.is_f64(), "{x:?} read back as {back}");
        prop_assert_eq!(back.as_f64().unwrap().to_bits(), bits, "{:?} read back as {}", x, back);
        prop_assert_eq!(stored_operand(x).to_bits(), bits);
    }

    #[test]
    fn every_integer_reads_back_as_that_integer(n in any::<i64>(), u in any::<u64>()) {
        prop_assert_eq!(stored(json!(n)).as_i64(), Some(n));
        prop_assert_eq!(stored(json!(u)).as_u64(), Some(u));
    }
}
