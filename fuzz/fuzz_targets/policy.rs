//! Fuzz target `policy`: tether-policy's readers of what people write. A JSON policy document
//! (`[{effect, actions|notActions, resources|notResources}, …]`, the shape of the roles API)
//! goes through `Statement::from_parts`; any other text through `Role::parse`, and each of its
//! lines through `ResourceSpec::parse`, `Resource::from_str`, `ActionPattern::new` and
//! `Glob::new`. What parses must print back to itself, and evaluation must answer.

#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tether_policy::{
    Action, ActionPattern, Glob, Principal, Resource, ResourceSpec, Role, Statement,
    allowed_actions,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut statements = Vec::new();
    if text.trim_start().starts_with(['[', '{']) {
        if let Ok(document) = serde_json::from_str::<Value>(text) {
            statements = read_document(&document);
        }
    } else {
        match Role::parse("fuzzed", text) {
            Ok(role) => statements = role.statements,
            Err(e) => assert!(e.pos <= text.len(), "{e:?} past the end of {text:?}"),
        }
    }
    for statement in &statements {
        let printed = statement.to_string();
        let again = Statement::parse(&printed)
            .unwrap_or_else(|e| panic!("{statement:?} printed as {printed:?}: {e}"));
        assert_eq!(&again, statement, "printed as {printed:?}");
    }

    let mut resources = Vec::new();
    let lines: Vec<&str> = text.lines().take(64).collect();
    for line in &lines {
        if let Ok(spec) = ResourceSpec::parse(line) {
            let printed = spec.to_string();
            assert_eq!(ResourceSpec::parse(&printed).as_ref(), Ok(&spec), "{line:?} → {printed:?}");
        }
        if let Ok(resource) = Resource::from_str(line) {
            let printed = resource.to_string();
            assert_eq!(
                Resource::from_str(&printed).as_ref(),
                Ok(&resource),
                "{line:?} → {printed:?}"
            );
            resources.push(resource);
        }
        if let Ok(pattern) = ActionPattern::new(line) {
            assert!(!pattern.expand().is_empty(), "{line:?} matches no action but was accepted");
        }
    }
    // Globs against the other lines, hostile patterns included (`*a*a*a*b`).
    if let [pattern, rest @ ..] = lines.as_slice()
        && let Ok(glob) = Glob::new(pattern)
    {
        for text in rest {
            let _ = glob.matches(text);
        }
    }

    let role = Role::new("fuzzed", statements);
    let member = Principal::member("alice", vec![role.clone()]);
    let token = Principal::token("t1", vec![Role::writer(), role], member.clone());
    for resource in &resources {
        let allowed = allowed_actions(&member, resource);
        for action in Action::all() {
            let decision = member.evaluate(action, resource);
            let applies = action.kind() == resource.kind();
            assert_eq!(
                decision.is_allowed() && applies,
                allowed.contains(&action),
                "{action} on {resource}"
            );
            assert!(!decision.to_string().is_empty());
            // A token never exceeds its creator.
            assert!(
                !token.can(action, resource) || member.can(action, resource),
                "{action} on {resource}"
            );
        }
    }
});

/// Reads a policy document: an array of statements, or `{"statements": [...]}`. A statement
/// that does not build is skipped (its error must still say which field is wrong).
fn read_document(document: &Value) -> Vec<Statement> {
    let items = match document {
        Value::Array(items) => items.as_slice(),
        Value::Object(o) => {
            o.get("statements").and_then(Value::as_array).map_or(&[][..], Vec::as_slice)
        }
        _ => &[],
    };
    let mut out = Vec::new();
    for item in items {
        let Some(o) = item.as_object() else { continue };
        let strings = |name: &str| -> Option<Vec<&str>> {
            o.get(name)?.as_array().map(|a| a.iter().filter_map(Value::as_str).collect())
        };
        let effect = o.get("effect").and_then(Value::as_str).unwrap_or_default();
        let (actions, not_actions) = (strings("actions"), strings("notActions"));
        let (resources, not_resources) = (strings("resources"), strings("notResources"));
        match Statement::from_parts(
            effect,
            actions.as_deref(),
            not_actions.as_deref(),
            resources.as_deref(),
            not_resources.as_deref(),
        ) {
            Ok(statement) => out.push(statement),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    out
}
