//! Which issue-property values JQL can search: the extractions apps declare, as Jira indexes
//! them. A Connect app declares them in its descriptor's `modules.jiraEntityProperties`
//! (`entityType`, `keyConfigurations[].propertyKey`, `extractions[]` with `objectName`, `type`,
//! `alias`), read from the installed apps at each search, so an uninstalled app's index is
//! gone with it. A Forge app declares `jira:entityProperty` modules (`propertyKey`,
//! `values[]` with `path`, `type`, `searchAlias`), registered here through the admin API
//! because a sandbox deploys no Forge apps.

use serde_json::Value;

use super::State;

/// One indexed value: `issue.property[<property_key>].<path>`, or its alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Extraction {
    pub property_key: String,
    /// The flattened JSON path, `.`-separated (`flags` or `summary.enabled`).
    pub path: String,
    pub kind: IndexType,
    pub alias: Option<String>,
}

/// How Jira indexes an extracted value, and so how JQL compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IndexType {
    /// Numbers: ranges and equality.
    Number,
    /// Exact values: equality only.
    String,
    /// Words: `~` only.
    Text,
    /// Dates: ranges against JQL dates.
    Date,
    /// Users: equality against users (`currentUser()`).
    User,
}

impl IndexType {
    fn parse(s: &str) -> Option<IndexType> {
        Some(match s.to_ascii_lowercase().as_str() {
            "number" => IndexType::Number,
            "string" => IndexType::String,
            "text" => IndexType::Text,
            "date" => IndexType::Date,
            "user" => IndexType::User,
            _ => return None,
        })
    }
}

/// Forge lets all of an app's `jira:entityProperty` modules together index at most 30 values.
const FORGE_MAX_VALUES: usize = 30;

/// A Forge app's `jira:entityProperty` modules that are not ones Jira would accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntityPropertyError {
    #[error("the modules must be a list of jira:entityProperty modules")]
    NotAList,
    #[error("module {0}: propertyKey is required")]
    NoPropertyKey(usize),
    #[error("module {0}: values must list the fields to index")]
    NoValues(usize),
    #[error(
        "module {module}: value {value} needs a path and a type of number, string, text, date or user"
    )]
    BadValue { module: usize, value: usize },
    #[error(
        "at most {FORGE_MAX_VALUES} values may be indexed across all modules; these declare {0}"
    )]
    TooMany(usize),
}

/// Reads a Forge app's `jira:entityProperty` modules (issue entities only are indexed here).
pub(crate) fn forge_extractions(modules: &Value) -> Result<Vec<Extraction>, EntityPropertyError> {
    let list = modules.as_array().ok_or(EntityPropertyError::NotAList)?;
    let mut out = Vec::new();
    for (n, m) in list.iter().enumerate() {
        let key = m
            .get("propertyKey")
            .and_then(Value::as_str)
            .ok_or(EntityPropertyError::NoPropertyKey(n))?;
        let values = m.get("values").and_then(Value::as_array).filter(|v| !v.is_empty());
        let values = values.ok_or(EntityPropertyError::NoValues(n))?;
        let issue = m.get("entityType").and_then(Value::as_str).is_none_or(|t| t == "issue");
        for (i, v) in values.iter().enumerate() {
            let bad = || EntityPropertyError::BadValue { module: n, value: i };
            let path =
                v.get("path").and_then(Value::as_str).filter(|p| !p.is_empty()).ok_or_else(bad)?;
            let kind =
                v.get("type").and_then(Value::as_str).and_then(IndexType::parse).ok_or_else(bad)?;
            let alias = v.get("searchAlias").or_else(|| v.get("alias")).and_then(Value::as_str);
            if issue {
                out.push(Extraction {
                    property_key: key.to_owned(),
                    path: path.to_owned(),
                    kind,
                    alias: alias.map(str::to_owned),
                });
            }
        }
    }
    let total: usize = list.iter().map(|m| m["values"].as_array().map_or(0, Vec::len)).sum();
    if total > FORGE_MAX_VALUES {
        return Err(EntityPropertyError::TooMany(total));
    }
    Ok(out)
}

/// The issue extractions of a Connect descriptor's `jiraEntityProperties` modules; malformed
/// ones are skipped, as Jira would refuse to index them.
fn connect_extractions(descriptor: &Value) -> Vec<Extraction> {
    let mut out = Vec::new();
    for m in descriptor
        .pointer("/modules/jiraEntityProperties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if m.get("entityType").and_then(Value::as_str).is_some_and(|t| t != "issue") {
            continue;
        }
        for kc in m["keyConfigurations"].as_array().into_iter().flatten() {
            let Some(key) = kc.get("propertyKey").and_then(Value::as_str) else { continue };
            for e in kc["extractions"].as_array().into_iter().flatten() {
                let path = e.get("objectName").and_then(Value::as_str);
                let kind = e.get("type").and_then(Value::as_str).and_then(IndexType::parse);
                if let (Some(path), Some(kind)) = (path, kind) {
                    out.push(Extraction {
                        property_key: key.to_owned(),
                        path: path.to_owned(),
                        kind,
                        alias: e.get("alias").and_then(Value::as_str).map(str::to_owned),
                    });
                }
            }
        }
    }
    out
}

impl State {
    /// Every indexed issue-property value: installed Connect apps' and registered Forge apps'.
    pub fn property_extractions(&self) -> Vec<Extraction> {
        let connect = self
            .connect_apps
            .iter()
            .filter_map(|a| a.descriptor.as_ref())
            .flat_map(connect_extractions);
        let forge = self.forge_entity_properties.iter().flat_map(|(_, e)| e.iter().cloned());
        connect.chain(forge).collect()
    }

    /// Registers (or replaces) a Forge app's `jira:entityProperty` modules; returns how many
    /// issue values they index.
    pub fn register_forge_entity_properties(
        &mut self,
        app: &str,
        modules: &Value,
    ) -> Result<usize, EntityPropertyError> {
        let extractions = forge_extractions(modules)?;
        let n = extractions.len();
        self.forge_entity_properties.retain(|(a, _)| a != app);
        self.forge_entity_properties.push((app.to_owned(), extractions));
        self.bump();
        Ok(n)
    }

    /// Forgets a Forge app's modules (as uninstalling it would); whether it had any.
    pub fn unregister_forge_entity_properties(&mut self, app: &str) -> bool {
        let before = self.forge_entity_properties.len();
        self.forge_entity_properties.retain(|(a, _)| a != app);
        self.bump();
        before != self.forge_entity_properties.len()
    }
}

/// The values at `path` in `v`, descending into arrays on the way (an array of objects yields
/// each object's value) and at the end (an array yields its elements).
pub(crate) fn values_at<'a>(v: &'a Value, path: &[&str], out: &mut Vec<&'a Value>) {
    match (v, path.split_first()) {
        (Value::Array(items), _) => items.iter().for_each(|i| values_at(i, path, out)),
        (Value::Null, _) => {}
        (_, None) => out.push(v),
        (Value::Object(o), Some((first, rest))) => {
            if let Some(next) = o.get(*first) {
                values_at(next, rest, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{IndexType, forge_extractions, values_at};

    #[test]
    fn values_are_found_through_objects_and_arrays() {
        let v = json!({"flags": ["a", "b"], "envs": [{"name": "prod", "on": true}, {"name": "dev"}], "n": 3, "none": null});
        let check = |path: &str, want: serde_json::Value| {
            let mut out = Vec::new();
            values_at(&v, &path.split('.').collect::<Vec<_>>(), &mut out);
            assert_eq!(json!(out), want, "{path}");
        };
        check("flags", json!(["a", "b"]));
        check("envs.name", json!(["prod", "dev"]));
        check("envs.on", json!([true]));
        check("n", json!([3]));
        check("none", json!([]));
        check("missing.deeper", json!([]));
    }

    #[test]
    fn forge_modules_are_read_as_manifests_declare_them() {
        let ok = json!([{"key": "flags", "propertyKey": "tether.flags", "values": [
            {"path": "flags", "type": "string", "searchAlias": "tetherFlag"}, {"path": "count", "type": "NUMBER"}]},
            {"key": "users", "entityType": "user", "propertyKey": "x", "values": [{"path": "a", "type": "text"}]}]);
        let e = forge_extractions(&ok).unwrap();
        assert_eq!(e.len(), 2, "user entities are not indexed for issue JQL");
        assert_eq!((e[0].alias.as_deref(), e[1].kind), (Some("tetherFlag"), IndexType::Number));
        let errors = [
            (json!({}), "must be a list"),
            (
                json!([{"values": [{"path": "a", "type": "text"}]}]),
                "module 0: propertyKey is required",
            ),
            (json!([{"propertyKey": "k", "values": []}]), "module 0: values must list"),
            (
                json!([{"propertyKey": "k", "values": [{"path": "a", "type": "boolean"}]}]),
                "module 0: value 0 needs a path",
            ),
        ];
        for (modules, want) in errors {
            let err = forge_extractions(&modules).unwrap_err().to_string();
            assert!(err.contains(want), "{modules}: {err}");
        }
        let many: Vec<_> =
            (0..31).map(|i| json!({"path": format!("p{i}"), "type": "string"})).collect();
        let err = forge_extractions(&json!([{"propertyKey": "k", "values": many}])).unwrap_err();
        assert!(err.to_string().contains("at most 30"), "{err}");
    }
}
