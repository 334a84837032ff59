//! Fuzz target `flag_config`: tether-flags validation and compilation of any flags,
//! configurations and segments, then evaluation of the compiled snapshot for any contexts.
//! What validates must compile without issues; every evaluation must serve one of the flag's
//! own variations (of the flag's kind) or an error, the same way twice.

#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tether_flags::{
    Context, EnvConfig, ErrorCode, Flag, FlagKind, Reason, Segment, Snapshot, validate_env_config,
    validate_flag, validate_segment,
};
use tether_fuzz::flags::Input;

fuzz_target!(|data: &[u8]| {
    let input = Input::read(data);
    let flags: Vec<(Flag, EnvConfig)> = input.flags.iter().map(|f| f.to_model()).collect();
    let segments: Vec<Segment> = input.segments.iter().map(|s| s.to_model()).collect();

    // Segments that validate, with keys seen once: the ones a config may refer to.
    let mut segment_keys = HashSet::new();
    let mut all_valid = true;
    let mut good_segments = HashSet::new();
    for segment in &segments {
        let unique = segment_keys.insert(segment.key.as_str());
        let valid = check_errors(validate_segment(segment));
        all_valid &= unique && valid;
        if unique && valid {
            good_segments.insert(segment.key.as_str());
        }
    }
    let mut flag_keys = HashSet::new();
    for (flag, config) in &flags {
        let unique = flag_keys.insert(flag.key.as_str());
        let definition = check_errors(validate_flag(flag));
        let config = check_errors(validate_env_config(flag, config, |k| good_segments.contains(k)));
        all_valid &= unique && definition && config;
    }

    let snapshot = Snapshot::build(7, flags.iter().map(|(f, c)| (f, c)), &segments);
    if all_valid {
        assert!(snapshot.issues().is_empty(), "validated, yet {:?}", snapshot.issues());
    }
    for issue in snapshot.issues() {
        assert!(!issue.error.to_string().is_empty());
    }

    let mut contexts: Vec<&Value> = input.contexts.iter().map(|c| &c.0).collect();
    let empty = Value::Object(Default::default());
    contexts.push(&empty);
    for value in contexts {
        let ctx = Context::from_value(value).unwrap_or_default();
        let mut keys: Vec<&str> = snapshot.flag_keys().collect();
        keys.push("no-such-flag");
        for key in &keys {
            let first = snapshot.evaluate(key, &ctx);
            assert_eq!(first, snapshot.evaluate(key, &ctx), "{key:?} evaluated twice");
            check_evaluation(&flags, key, &first, all_valid);
            for kind in [FlagKind::Boolean, FlagKind::String, FlagKind::Number, FlagKind::Json] {
                let typed = snapshot.evaluate_as(key, &ctx, kind);
                match snapshot.flag_kind(key) {
                    Some(k) if k != kind => assert!(matches!(
                        typed.reason,
                        Reason::Error { code: ErrorCode::TypeMismatch, .. }
                    )),
                    _ => assert_eq!(typed, first),
                }
            }
        }
        let all: Vec<_> = snapshot.evaluate_all(&ctx).collect();
        assert_eq!(all.len(), snapshot.len());
        for (key, evaluation) in all {
            assert_eq!(evaluation, snapshot.evaluate(key, &ctx));
        }
    }
});

/// Every validation error names a path and a problem; `true` when there were none.
fn check_errors(result: Result<(), Vec<tether_flags::ValidationError>>) -> bool {
    match result {
        Ok(()) => true,
        Err(errors) => {
            assert!(!errors.is_empty(), "an error result with no errors");
            for e in errors {
                assert!(!e.to_string().is_empty() && !e.problem.code().is_empty());
            }
            false
        }
    }
}

fn check_evaluation(
    flags: &[(Flag, EnvConfig)],
    key: &str,
    e: &tether_flags::Evaluation<'_>,
    all_valid: bool,
) {
    let is_error = matches!(e.reason, Reason::Error { .. });
    assert_eq!(e.value.is_none(), is_error, "{key:?}: {e:?}");
    assert_eq!(e.variation.is_none(), is_error, "{key:?}: {e:?}");
    if all_valid {
        assert!(
            !matches!(e.reason, Reason::Error { code: ErrorCode::General, .. }),
            "{key:?}: {e:?}"
        );
    }
    let Some((flag, _)) = flags.iter().find(|(f, _)| f.key == key) else {
        assert!(
            matches!(e.reason, Reason::Error { code: ErrorCode::FlagNotFound, .. }),
            "{key:?}: {e:?}"
        );
        return;
    };
    if let (Some(variation), Some(value)) = (e.variation, e.value) {
        assert!(
            flag.variations.iter().any(|v| v.key == variation && &v.value == value),
            "{key:?} served {variation:?} = {value}, not one of its variations"
        );
        assert!(flag.kind.accepts(value), "{key:?} served {value} for a {} flag", flag.kind);
    }
}
