//! The router's routes, read from its source, so that a route cannot go unwalked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Routes the walk leaves out on purpose, with why. Everything else in the router is walked.
pub(super) const NOT_WALKED: &[(&str, &str, &str)] = &[
    // OAuth 1.0a's three-legged dance (Data Center application links): form-encoded and HTML,
    // RSA-SHA1 signed, not in the OpenAPI specs; tests/it/oauth1.rs drives it end to end.
    ("POST", "/plugins/servlet/oauth/request-token", "form-encoded, RSA-signed; oauth1.rs"),
    ("GET", "/plugins/servlet/oauth/authorize", "HTML page; oauth1.rs"),
    ("POST", "/plugins/servlet/oauth/access-token", "form-encoded, RSA-signed; oauth1.rs"),
];

/// `(METHOD, route)` for every `.route(...)` in `src/http`, with the prefix its router is
/// nested under (`/rest/api/{v}` for the platform API, whichever version), by file or by
/// `file::function` when one file builds routers for two places. A new file or router
/// function with routes must be added here, so that it cannot go unwalked.
pub(super) fn routes_in_source() -> BTreeSet<(String, String)> {
    let prefixes: BTreeMap<&str, &str> = [
        ("mod.rs", ""),
        ("platform.rs", "/rest/api/{v}"),
        ("meta.rs", "/rest/api/{v}"),
        ("properties.rs", "/rest/api/{v}"),
        ("webhooks.rs::dynamic_routes", "/rest/api/{v}"),
        ("webhooks.rs::admin_routes", "/rest/webhooks/1.0"),
        ("agile.rs", "/rest/agile/1.0"),
        ("featureflags.rs", "/rest/featureflags/0.1"),
        ("devinfo.rs", "/rest/devinfo/0.10"),
        ("builds.rs::build_routes", "/rest/builds/0.1"),
        ("builds.rs::deployment_routes", "/rest/deployments/0.1"),
        ("admin.rs", "/_sandbox"),
        ("oauth1.rs", "/plugins/servlet/oauth"),
    ]
    .into_iter()
    .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut out = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let text: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (function, method, route) in routes_in(&text) {
            let prefix = prefixes
                .get(format!("{name}::{function}").as_str())
                .or_else(|| prefixes.get(name.as_str()))
                .unwrap_or_else(|| {
                    panic!(
                        "src/http/{name} ({function}) declares route {method} {route}: add its \
                         prefix to routes_in_source and walk it"
                    )
                });
            let full = if route == "/" && !prefix.is_empty() {
                (*prefix).to_owned()
            } else {
                format!("{prefix}{route}")
            };
            out.insert((method, full));
        }
    }
    for (method, route, _) in NOT_WALKED {
        assert!(
            out.remove(&((*method).to_owned(), (*route).to_owned())),
            "NOT_WALKED names {method} {route}, which the router no longer has"
        );
    }
    out
}

/// `(enclosing fn, METHOD, path)` of the `.route("path", get(..).post(..))` calls in `text`.
pub(super) fn routes_in(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(pos) = text[from..].find(".route(") {
        let function: String = text[..from + pos]
            .rfind("fn ")
            .map(|f| {
                text[f + 3..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
            })
            .unwrap_or_default();
        let open = from + pos + ".route(".len();
        // The call's extent, by balanced parentheses outside string literals.
        let (mut depth, mut i, mut in_str) = (1usize, open, false);
        while i < bytes.len() && depth > 0 {
            match bytes[i] {
                b'\\' if in_str => i += 1,
                b'"' => in_str = !in_str,
                b'(' if !in_str => depth += 1,
                b')' if !in_str => depth -= 1,
                _ => {}
            }
            i += 1;
        }
        let call = &text[open..i.saturating_sub(1)];
        from = i;
        let Some(q1) = call.find('"') else { continue };
        let Some(q2) = call[q1 + 1..].find('"') else { continue };
        let path = &call[q1 + 1..q1 + 1 + q2];
        let rest = &call[q1 + 2 + q2..];
        for method in ["get", "post", "put", "delete", "patch", "any"] {
            let needle = format!("{method}(");
            let mut at = 0;
            while let Some(p) = rest[at..].find(&needle) {
                let start = at + p;
                let before = rest[..start].chars().next_back();
                if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    out.push((function.clone(), method.to_uppercase(), path.to_owned()));
                }
                at = start + needle.len();
            }
        }
    }
    out
}

#[test]
pub(super) fn routes_are_read_from_route_calls() {
    let src = r#"fn routes() -> Router { Router::new()
        .route("/a/{k}", get(get_a).put(put_a))
        .route(
            "/b",
            get(list_b).post(upsert_b).delete(delete_b_by_id),
        )
        .route("/", get(|| async { Json(json!({"x": "(y"})) }))
        .route("/g/{*rest}", axum::routing::any(gateway))"#;
    let got: BTreeSet<_> = routes_in(src).into_iter().map(|(_, m, p)| (m, p)).collect();
    let want: BTreeSet<(String, String)> = [
        ("GET", "/a/{k}"),
        ("PUT", "/a/{k}"),
        ("GET", "/b"),
        ("POST", "/b"),
        ("DELETE", "/b"),
        ("GET", "/"),
        ("ANY", "/g/{*rest}"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect();
    assert_eq!(got, want);
    assert!(routes_in(src).iter().all(|(f, _, _)| f == "routes"));
}
