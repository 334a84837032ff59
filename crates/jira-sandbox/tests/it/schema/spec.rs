//! The vendored OpenAPI schemas, turned into JSON Schema and compiled once per operation.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value, json};

pub(super) fn vendored() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/jira-responses.json");
        let text = std::fs::read_to_string(&path).expect("tests/schemas/jira-responses.json");
        serde_json::from_str(&text).expect("vendored schemas are JSON")
    })
}

/// OpenAPI 3.0 schema objects to JSON Schema 2020-12: `nullable: true` widens `type` (or wraps
/// a type-less schema in `anyOf` with null). Other OpenAPI-only keywords (`readOnly`,
/// `writeOnly`, `xml`, `example`, `discriminator`) are annotations a validator ignores.
pub(super) fn to_json_schema(node: &Value) -> Value {
    match node {
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, v) in o {
                if k == "nullable" {
                    continue;
                }
                // Keys of `properties` are names, not keywords: convert their values only.
                let v = if k == "properties" {
                    Value::Object(
                        v.as_object()
                            .into_iter()
                            .flatten()
                            .map(|(n, s)| (n.clone(), to_json_schema(s)))
                            .collect(),
                    )
                } else {
                    to_json_schema(v)
                };
                out.insert(k.clone(), v);
            }
            if o.get("nullable") == Some(&Value::Bool(true)) {
                match out.get("type").cloned() {
                    Some(Value::String(t)) => {
                        out.insert("type".into(), json!([t, "null"]));
                    }
                    _ => return json!({"anyOf": [Value::Object(out), {"type": "null"}]}),
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(to_json_schema).collect()),
        other => other.clone(),
    }
}

pub(super) type Compiled = Arc<jsonschema::Validator>;

/// The validator of one vendored operation (`"GET /rest/api/3/myself 200"`) or component
/// (`"#ErrorCollection"`), compiled once.
pub(super) fn validator(key: &str) -> Compiled {
    static CACHE: OnceLock<Mutex<HashMap<String, Compiled>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(key) {
        return v.clone();
    }
    let doc = vendored();
    let schema = match key.strip_prefix('#') {
        Some(name) => json!({"$ref": format!("#/components/schemas/{name}")}),
        None => doc["operations"][key]["schema"].clone(),
    };
    assert!(!schema.is_null(), "no vendored schema for {key}: add it to extract.py");
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": to_json_schema(&doc["components"]),
        "allOf": [to_json_schema(&schema)],
    });
    let compiled = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(false)
        .build(&root)
        .unwrap_or_else(|e| panic!("schema {key} does not compile: {e}"));
    let compiled = Arc::new(compiled);
    cache.lock().unwrap().insert(key.to_owned(), compiled.clone());
    compiled
}
