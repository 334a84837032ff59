//! Fuzz target `ofrep_context`: an OFREP evaluation request body (any bytes) read the way
//! tether-server reads it, `tether_flags::request_context`, then, when it is accepted,
//! evaluated on a small fixed snapshot: one flag at a time and in bulk, with the context's
//! targeting key and its attributes looked up by dotted path. Nothing may panic, a refusal
//! must carry the OFREP code its rule gives, and every answer must be the same twice.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use tether_flags::{
    Context, ContextError, ErrorCode, Evaluation, Flag, FlagKind, Match, Reason, Snapshot, bucket,
    request_context,
};
use tether_fuzz::ofrep::{LIMIT_SALT, flags_and_configs, segments};

/// The snapshot every input is evaluated on, and its flags.
static FIXED: LazyLock<(Vec<Flag>, Snapshot)> = LazyLock::new(|| {
    let flags = flags_and_configs();
    let segments = segments();
    let snapshot = Snapshot::build(3, flags.iter().map(|(f, c)| (f, c)), &segments);
    assert!(snapshot.issues().is_empty(), "the fixed snapshot: {:?}", snapshot.issues());
    (flags.into_iter().map(|(f, _)| f).collect(), snapshot)
});

fuzz_target!(|data: &[u8]| {
    let first = request_context(data);
    check_same(&first, &request_context(data));
    check_rule(data, &first);
    if let Ok(ctx) = &first {
        check_lookups(ctx);
        check_evaluations(ctx);
    }
});

fn check_same(
    a: &Result<Map<String, Value>, ContextError>,
    b: &Result<Map<String, Value>, ContextError>,
) {
    match (a, b) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "read twice"),
        (Err(a), Err(b)) => assert_eq!((a.code(), a.to_string()), (b.code(), b.to_string())),
        _ => panic!("read as {a:?}, then as {b:?}"),
    }
}

/// The documented rules, from serde_json's own reading of the body.
fn check_rule(body: &[u8], got: &Result<Map<String, Value>, ContextError>) {
    let empty = Map::new();
    let expect: Result<&Map<String, Value>, &str> = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(&empty)
    } else {
        match serde_json::from_slice::<Value>(body) {
            Err(_) => Err("PARSE_ERROR"),
            Ok(Value::Object(request)) => match request.get("context") {
                None | Some(Value::Null) => return assert_eq!(got.as_ref().ok(), Some(&empty)),
                Some(Value::Object(ctx)) => return assert_eq!(got.as_ref().ok(), Some(ctx)),
                Some(_) => Err("INVALID_CONTEXT"),
            },
            Ok(_) => Err("PARSE_ERROR"),
        }
    };
    match (got, expect) {
        (Ok(ctx), Ok(e)) => assert_eq!(ctx, e),
        (Err(e), Err(code)) => {
            assert_eq!(e.code(), code, "{e}");
            let details = e.to_string();
            let prefix = match e {
                ContextError::NotJson(_) => "the body is not JSON: ",
                ContextError::NotAnObject => "the body must be a JSON object",
                ContextError::ContextNotAnObject => "\"context\" must be a JSON object",
            };
            assert!(details.starts_with(prefix), "{details:?}");
        }
        (got, expect) => panic!("read as {got:?}, the rules say {expect:?}"),
    }
}

/// Attribute lookups by dotted path: a top-level key equal to the whole path wins, else the
/// path walks through objects; `null` is absent, and a path with an empty part finds nothing.
fn check_lookups(ctx: &Map<String, Value>) {
    let context = Context::new(ctx);
    let key = ctx.get("targetingKey").and_then(Value::as_str);
    assert_eq!(context.targeting_key(), key);
    for (name, value) in ctx.iter().take(64) {
        let path_ok = !name.split('.').any(str::is_empty) && name.split('.').count() <= 32;
        let expect = if path_ok { non_null(value) } else { None };
        assert_eq!(context.get(name), expect, "{name:?}");
        let Value::Object(inner) = value else { continue };
        if !path_ok || name.contains('.') {
            continue;
        }
        for (part, value) in inner.iter().take(16) {
            if part.is_empty() || part.contains('.') {
                continue;
            }
            let path = format!("{name}.{part}");
            let expect = match ctx.get(&path) {
                Some(whole) => non_null(whole),
                None => non_null(value),
            };
            assert_eq!(context.get(&path), expect, "{path:?}");
        }
    }
    for value in ctx.values().take(16) {
        if let Some(path) = value.as_str() {
            assert!(!context.get(path).is_some_and(Value::is_null), "{path:?}");
        }
    }
}

fn non_null(v: &Value) -> Option<&Value> {
    (!v.is_null()).then_some(v)
}

/// Each flag evaluated alone twice and in bulk; what the fixed flags allow of each answer.
fn check_evaluations(ctx: &Map<String, Value>) {
    let (flags, snapshot) = &*FIXED;
    let context = Context::new(ctx);
    let bulk: Vec<(&str, Evaluation<'_>)> = snapshot.evaluate_all(&context).collect();
    assert_eq!(
        bulk.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        snapshot.flag_keys().collect::<Vec<_>>()
    );
    for (key, in_bulk) in &bulk {
        let alone = snapshot.evaluate(key, &context);
        assert_eq!(&alone, in_bulk, "{key:?} alone and in bulk");
        assert_eq!(alone, snapshot.evaluate(key, &context), "{key:?} twice");
        let flag = flags.iter().find(|f| f.key == *key).expect("a fixed flag");
        assert_eq!(snapshot.evaluate_as(key, &context, flag.kind), alone);
        check_served(flag, &alone);
        check_fixed_flag(flag, &context, &alone);
    }
    let missing = snapshot.evaluate("no-such-flag", &context);
    assert!(matches!(missing.reason, Reason::Error { code: ErrorCode::FlagNotFound, .. }));
}

/// An answer is one of the flag's variations, or an error with neither value nor variant;
/// the fixed snapshot has no invalid flag, so the only error is a missing bucketing attribute.
fn check_served(flag: &Flag, e: &Evaluation<'_>) {
    match (e.reason, e.variation, e.value) {
        (Reason::Error { code, .. }, None, None) => {
            assert_eq!(code, ErrorCode::TargetingKeyMissing, "{}: {e:?}", flag.key)
        }
        (Reason::Error { .. }, ..) => panic!("{}: an error with a value: {e:?}", flag.key),
        (_, Some(variant), Some(value)) => {
            assert!(
                flag.variations.iter().any(|v| v.key == variant && &v.value == value),
                "{}: served {variant:?} = {value}",
                flag.key
            );
            assert!(flag.kind.accepts(value));
        }
        _ => panic!("{}: a success without a value: {e:?}", flag.key),
    }
}

/// What each fixed flag's configuration decides, worked out from the context directly.
fn check_fixed_flag(flag: &Flag, context: &Context<'_>, e: &Evaluation<'_>) {
    match flag.key.as_str() {
        "static" => assert_eq!((e.reason, e.variation), (Reason::Static, Some("on"))),
        "off" => assert_eq!((e.reason, e.variation), (Reason::Disabled, Some("off"))),
        "banner" if context.targeting_key() == Some("vip") => {
            assert_eq!((e.reason, e.variation), (Reason::TargetingMatch(Match::Target), Some("on")))
        }
        // A rollout on the targeting key alone: missing, or the bucket the key falls in.
        "limit" => match context.get("targetingKey") {
            None => assert!(matches!(
                e.reason,
                Reason::Error { code: ErrorCode::TargetingKeyMissing, .. }
            )),
            Some(value) => {
                assert_eq!(e.reason, Reason::Split { rule: None });
                let b = bucket::bucket_value("limit", LIMIT_SALT, value).unwrap_or(0);
                let expect = if b < 30_000 { "low" } else { "high" };
                assert_eq!(e.variation, Some(expect), "{value} in bucket {b}");
            }
        },
        _ => {}
    }
    if flag.kind == FlagKind::Boolean && !matches!(e.reason, Reason::Error { .. }) {
        assert!(e.value.is_some_and(Value::is_boolean));
    }
}
