//! Every endpoint the sandbox serves, called over HTTP and its JSON answers validated against
//! the response schemas of Atlassian's OpenAPI specs (vendored from
//! `../shared/reference/jira-api/` into `tests/schemas/jira-responses.json` by
//! `tests/schemas/extract.py`).
//!
//! The walk is one table of requests ([`requests`], each marked with the flavour it is for
//! and what the other flavour answers instead), run by one loop on each of [`WALKS`]: Cloud
//! (v3 with ADF bodies, and v2 with strings) and Data Center (v2 and `latest`). It records
//! which `(method, route)` it reached; a last test reads the routes out
//! of the router's source and fails if one of them is not walked. The specs are OpenAPI 3.0:
//! [`to_json_schema`] turns `nullable` into JSON Schema types, and the schemas are then
//! checked as draft 2020-12 with formats as annotations (Jira's timestamps are not RFC 3339).
//!
//! Where the sandbox and the spec disagree, [`KNOWN_MISMATCHES`] lists each disagreement as it
//! is, so the suite stays green and any new or fixed one fails the test.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use jira_sandbox::{
    CLOUD_ID, DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_OAUTH_CLIENT_ID,
    DEFAULT_OAUTH_CLIENT_SECRET, DEFAULT_PASSWORD, DEFAULT_USER, Sandbox,
};
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::support::{self, Server};

/// Spec disagreements, each as `(schema location and what was found, the walks it shows up
/// in)`. The test fails when one appears, disappears or spreads to another walk; it prints
/// every place each one was seen.
const KNOWN_MISMATCHES: &[(&str, &str)] = &[
    // Spec gap, kept on purpose (not a sandbox bug): ChangeDetails types from/to/fromString/
    // toString as non-nullable strings, but Jira sends null for the empty side of a change (a
    // first assignee, a cleared resolution), and so does the sandbox. Clients must accept null.
    (
        "/components/schemas/ChangeDetails/properties/from/type got null",
        "cloud-v2 cloud-v3 dc-latest dc-v2",
    ),
    (
        "/components/schemas/ChangeDetails/properties/fromString/type got null",
        "cloud-v2 cloud-v3 dc-latest dc-v2",
    ),
    (
        "/components/schemas/ChangeDetails/properties/to/type got null",
        "cloud-v2 cloud-v3 dc-latest dc-v2",
    ),
    (
        "/components/schemas/ChangeDetails/properties/toString/type got null",
        "cloud-v2 cloud-v3 dc-latest dc-v2",
    ),
];

/// The walks the route-coverage test needs, each run once per test binary.
fn walks() -> &'static tokio::sync::OnceCell<Coverage> {
    static WALKS: OnceLock<tokio::sync::OnceCell<Coverage>> = OnceLock::new();
    WALKS.get_or_init(tokio::sync::OnceCell::new)
}

#[derive(Debug, Default)]
struct Coverage {
    routes: BTreeSet<(String, String)>,
    /// Mismatch class (schema location and what was found) to the walks and places it was seen.
    mismatches: BTreeMap<String, (BTreeSet<&'static str>, BTreeSet<String>)>,
    validated: usize,
}

async fn run_all_walks() -> &'static Coverage {
    walks()
        .get_or_init(|| async {
            let mut all = Coverage::default();
            let requests = requests();
            for &(label, on, api) in WALKS {
                let mut w = Walk::new(label, on, api).await;
                for req in &requests {
                    w.run(req).await;
                }
                all.routes.extend(w.routes);
                for (class, places) in w.mismatches {
                    let entry = all.mismatches.entry(class).or_default();
                    entry.0.insert(label);
                    entry.1.extend(places);
                }
                all.validated += w.validated;
            }
            all
        })
        .await
}

#[tokio::test]
async fn every_answer_matches_the_openapi_schemas_except_the_known_mismatches() {
    let cov = run_all_walks().await;
    let seen: BTreeMap<&str, String> = cov
        .mismatches
        .iter()
        .map(|(class, (walks, _))| {
            (class.as_str(), walks.iter().copied().collect::<Vec<_>>().join(" "))
        })
        .collect();
    let known: BTreeMap<&str, String> =
        KNOWN_MISMATCHES.iter().map(|(c, w)| (*c, (*w).to_owned())).collect();
    for (class, (_, places)) in &cov.mismatches {
        eprintln!("{class}:\n    {}", places.iter().cloned().collect::<Vec<_>>().join("\n    "));
    }
    let changed: Vec<String> = seen
        .iter()
        .filter(|(c, w)| known.get(*c) != Some(*w))
        .map(|(c, w)| format!("seen: ({c:?}, {w:?})"))
        .chain(
            known
                .iter()
                .filter(|(c, _)| !seen.contains_key(*c))
                .map(|(c, w)| format!("no longer seen: ({c:?}, {w:?})")),
        )
        .collect();
    assert!(
        changed.is_empty(),
        "schema mismatches changed (fix the sandbox, or update KNOWN_MISMATCHES with a FIXME; \
         places are printed above):\n  {}",
        changed.join("\n  ")
    );
    assert!(cov.validated > 100, "only {} answers validated", cov.validated);
}

#[tokio::test]
async fn the_walk_reaches_every_route_of_the_router() {
    let cov = run_all_walks().await;
    let served = routes_in_source();
    assert!(served.len() > 50, "found only {} routes in src/http: {served:?}", served.len());
    let missing: Vec<String> = served
        .iter()
        .filter(|r| !cov.routes.contains(*r))
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes the schema walk does not call:\n  {}",
        missing.join("\n  ")
    );
    let unknown: Vec<String> = cov
        .routes
        .iter()
        .filter(|r| !served.contains(*r))
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(unknown.is_empty(), "the walk names routes the router lacks: {unknown:?}");
}

#[test]
fn the_vendored_schemas_name_their_sources_and_compile() {
    let doc = vendored();
    for spec in ["jira-platform-cloud-v3.openapi.json", "jira-software-cloud.openapi.json"] {
        let sha = doc["sources"][spec]["sha256"].as_str().unwrap_or_default();
        assert_eq!(sha.len(), 64, "{spec} has no sha256 in jira-responses.json");
        // When the reference specs are beside the repository, the vendored copy must be theirs.
        let beside = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/reference/jira-api")
            .join(spec);
        if let Ok(bytes) = std::fs::read(&beside) {
            use sha2::Digest;
            let actual: String =
                sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(actual, sha, "{spec} changed: re-run tests/schemas/extract.py");
        }
    }
    let ops = doc["operations"].as_object().expect("operations");
    assert!(ops.len() >= 30);
    for key in ops.keys() {
        validator(key);
    }
    // The conversion: nullable becomes a JSON Schema type union.
    let v = to_json_schema(&json!({"type": "string", "nullable": true}));
    assert_eq!(v, json!({"type": ["string", "null"]}));
    let v = to_json_schema(&json!({"allOf": [{"$ref": "#/x"}], "nullable": true}));
    assert_eq!(v, json!({"anyOf": [{"allOf": [{"$ref": "#/x"}]}, {"type": "null"}]}));
}

// ---------------------------------------------------------------------------------------------
// Schemas

fn vendored() -> &'static Value {
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
fn to_json_schema(node: &Value) -> Value {
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

type Compiled = Arc<jsonschema::Validator>;

/// The validator of one vendored operation (`"GET /rest/api/3/myself 200"`) or component
/// (`"#ErrorCollection"`), compiled once.
fn validator(key: &str) -> Compiled {
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

// ---------------------------------------------------------------------------------------------
// The walk: one table of requests, run once per flavour and API version

/// The four walks: label, flavour, platform API version (`/rest/api/<version>`).
const WALKS: &[(&str, On, &str)] = &[
    ("cloud-v3", On::Cloud, "3"),
    ("cloud-v2", On::Cloud, "2"),
    ("dc-v2", On::Dc, "2"),
    ("dc-latest", On::Dc, "latest"),
];

const JQL: &str = "project in (DEMO, SAND) ORDER BY key ASC";
/// Jira's error shape, for the many requests that expect it.
const ERR: Expect = Expect::Component("ErrorCollection");

/// What an answer is checked against.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// The vendored operation `"<METHOD> <spec path> <status>"`.
    Op(&'static str),
    /// A named component schema, e.g. `ErrorCollection` for Jira's error shape.
    Component(&'static str),
    /// Each item of the array at a JSON pointer (`""`: the body) is one operation's answer:
    /// the spec types a list as one schema, or a list sits inside an unspecified answer.
    Items(&'static str, &'static str),
    /// No body (204, 202 without content).
    Empty,
    /// Not in Atlassian's specs (the sandbox's own endpoints, `tenant_info`, OAuth); the
    /// request's `then` asserts the shape by hand.
    Unspecified,
}

/// Which flavour a request is meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum On {
    Both,
    Cloud,
    Dc,
}

/// Who calls.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// The default user, as the flavour logs in (Cloud: email + token; DC: password).
    Admin,
    Anonymous,
    WrongPassword,
    /// The OAuth 2.0 app whose token an earlier request stored as `{token}`.
    App,
}

#[derive(Debug, Clone, Copy)]
enum Payload {
    None,
    Json(fn(&Vars) -> Value),
    Form(&'static [(&'static str, &'static str)]),
}

/// One request of the walk. `path` is a template whose `{name}`s are variables set by earlier
/// requests' `then`; without a leading `/` it is relative to the walk's platform API root, and
/// `route` then gets the `/rest/api/{v}` prefix.
#[derive(Debug, Clone)]
struct Req {
    on: On,
    /// What the other flavour answers to the same request by the admin (`None`: skipped).
    elsewhere: Option<(u16, Expect)>,
    who: Who,
    method: Method,
    route: &'static str,
    path: String,
    payload: Payload,
    status: u16,
    expect: Expect,
    /// Assertions on the answer, and variables for later requests.
    then: Option<fn(&mut Vars, &Value)>,
}

fn req(
    method: Method,
    route: &'static str,
    path: impl Into<String>,
    status: u16,
    expect: Expect,
) -> Req {
    Req {
        on: On::Both,
        elsewhere: None,
        who: Who::Admin,
        method,
        route,
        path: path.into(),
        payload: Payload::None,
        status,
        expect,
        then: None,
    }
}

fn get(route: &'static str, path: impl Into<String>, status: u16, expect: Expect) -> Req {
    req(Method::GET, route, path, status, expect)
}

fn post(route: &'static str, path: impl Into<String>, status: u16, expect: Expect) -> Req {
    req(Method::POST, route, path, status, expect)
}

fn put(route: &'static str, path: impl Into<String>, status: u16, expect: Expect) -> Req {
    req(Method::PUT, route, path, status, expect)
}

fn delete(route: &'static str, path: impl Into<String>, status: u16, expect: Expect) -> Req {
    req(Method::DELETE, route, path, status, expect)
}

impl Req {
    fn json(mut self, body: fn(&Vars) -> Value) -> Req {
        self.payload = Payload::Json(body);
        self
    }

    fn form(mut self, pairs: &'static [(&'static str, &'static str)]) -> Req {
        self.payload = Payload::Form(pairs);
        self
    }

    fn by(mut self, who: Who) -> Req {
        self.who = who;
        self
    }

    fn cloud(mut self) -> Req {
        self.on = On::Cloud;
        self
    }

    fn dc(mut self) -> Req {
        self.on = On::Dc;
        self
    }

    /// On Cloud only; Data Center answers `status` and `expect` instead.
    fn cloud_else(mut self, status: u16, expect: Expect) -> Req {
        self.on = On::Cloud;
        self.elsewhere = Some((status, expect));
        self
    }

    /// A Cloud endpoint Data Center lacks: there it is a 404 in Jira's error shape.
    fn cloud_only(self) -> Req {
        self.cloud_else(404, ERR)
    }

    fn then(mut self, f: fn(&mut Vars, &Value)) -> Req {
        self.then = Some(f);
        self
    }
}

/// What the requests of one walk know: the flavour, and what earlier answers said.
#[derive(Debug)]
struct Vars {
    label: &'static str,
    cloud: bool,
    v3: bool,
    base: String,
    sb: Sandbox,
    map: HashMap<&'static str, String>,
}

impl Vars {
    fn set(&mut self, name: &'static str, value: impl std::fmt::Display) {
        self.map.insert(name, value.to_string());
    }

    fn get(&self, name: &str) -> &str {
        self.map.get(name).unwrap_or_else(|| panic!("{}: no variable {{{name}}} yet", self.label))
    }

    /// `template` with each `{name}` replaced by its variable.
    fn fill(&self, template: &str) -> String {
        let mut out = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let close = open + rest[open..].find('}').expect("a closing brace");
            out.push_str(&rest[..open]);
            out.push_str(self.get(&rest[open + 1..close]));
            rest = &rest[close + 1..];
        }
        out + rest
    }

    /// A rich-text body as the walk's API version takes it: ADF on v3, a string on v2.
    fn doc(&self, text: &str) -> Value {
        if self.v3 {
            json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]})
        } else {
            json!(text)
        }
    }

    /// ADF documents on v3, strings on v2 (the spec leaves these fields open).
    fn assert_doc(&self, body: &Value, what: &str) {
        if self.v3 {
            assert!(
                body["type"] == "doc" && body["version"] == 1,
                "{}: {what} is not ADF: {body}",
                self.label
            );
        } else {
            assert!(body.is_string(), "{}: {what} is not a string: {body}", self.label);
        }
    }
}

/// Every request of the walk, in order. Flavour differences are marked per request.
fn requests() -> Vec<Req> {
    use Expect::*;
    let mut all = vec![
        // Server, users, permissions.
        get("/serverInfo", "serverInfo", 200, Op("GET /rest/api/3/serverInfo 200")).then(|v, b| {
            assert_eq!(b["deploymentType"], if v.cloud { "Cloud" } else { "Server" });
        }),
        get("/myself", "myself", 200, Op("GET /rest/api/3/myself 200")).then(|v, b| {
            assert!(b["timeZone"].is_string(), "{b}");
            match b["accountId"].as_str() {
                Some(id) if v.cloud => v.set("user_q", format!("accountId={id}")),
                _ => v.set("user_q", "username=admin"),
            }
            v.set("user_search", if v.cloud { "query" } else { "username" });
        }),
        get("/user", "user?{user_q}", 200, Op("GET /rest/api/3/user 200")),
        get("/user/search", "user/search?{user_search}=adm", 200, Op("GET /rest/api/3/user/search 200")),
        get("/user/assignable/search", "user/assignable/search?project=SAND", 200, Op("GET /rest/api/3/user/assignable/search 200")),
        get("/users/search", "users/search?maxResults=5", 200, Op("GET /rest/api/3/users/search 200")).cloud_only(),
        get("/mypermissions", "mypermissions?projectKey=SAND&permissions=BROWSE_PROJECTS,ADD_COMMENTS", 200, Op("GET /rest/api/3/mypermissions 200")),
        post("/permissions/check", "permissions/check", 200, Op("POST /rest/api/3/permissions/check 200"))
            .json(|_| json!({"globalPermissions": ["ADMINISTER"], "projectPermissions": [{"permissions": ["BROWSE_PROJECTS"], "projects": [10000]}]}))
            .cloud_only(),
        // Projects, statuses, resolutions, fields.
        get("/project", "project", 200, Op("GET /rest/api/3/project 200")),
        get("/project/search", "project/search?maxResults=2", 200, Op("GET /rest/api/3/project/search 200")).cloud_only(),
    ];
    for key in ["SAND", "DEMO", "OPS", "HELP"] {
        all.push(get(
            "/project/{key}",
            format!("project/{key}"),
            200,
            Op("GET /rest/api/3/project/{projectIdOrKey} 200"),
        ));
    }
    all.extend([
        get("/project/{key}", "project/NOPE", 404, ERR),
        get("/status", "status", 200, Op("GET /rest/api/3/status 200")),
        get("/resolution", "resolution", 200, Op("GET /rest/api/3/resolution 200")),
        get("/field", "field", 200, Op("GET /rest/api/3/field 200")).then(|_, b| {
            assert!(b.as_array().unwrap().iter().any(|f| f["id"] == "customfield_10020"), "{b}");
        }),
        // Create metadata. Data Center pages it as `values`, a shape the Cloud spec lacks.
        get("/issue/createmeta/{project}/issuetypes", "issue/createmeta/SAND/issuetypes", 200, Op("GET /rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes 200"))
            .cloud()
            .then(|v, b| v.set("type_id", b["issueTypes"][0]["id"].as_str().expect("an issue type"))),
        get("/issue/createmeta/{project}/issuetypes", "issue/createmeta/SAND/issuetypes", 200, Unspecified)
            .dc()
            .then(|v, b| v.set("type_id", b["values"][0]["id"].as_str().expect("an issue type"))),
        get("/issue/createmeta/{project}/issuetypes/{type_id}", "issue/createmeta/SAND/issuetypes/{type_id}", 200, Op("GET /rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId} 200"))
            .cloud()
            .then(|_, b| assert!(b["fields"].as_array().is_some_and(|l| !l.is_empty()), "{b}")),
        get("/issue/createmeta/{project}/issuetypes/{type_id}", "issue/createmeta/SAND/issuetypes/{type_id}", 200, Unspecified)
            .dc()
            .then(|_, b| assert!(b["values"].as_array().is_some_and(|l| !l.is_empty()), "{b}")),
        // Issues: create (ADF description on v3, a string on v2), get, edit.
        post("/issue", "issue", 201, Op("POST /rest/api/3/issue 201"))
            .json(|v| json!({"fields": {"project": {"key": "SAND"}, "issuetype": {"name": "Task"}, "summary": "Schema walk", "description": v.doc("Walked."), "labels": ["walk"]}}))
            .then(|v, b| {
                v.set("key", b["key"].as_str().unwrap());
                v.set("id", b["id"].as_str().unwrap());
            }),
        post("/issue", "issue", 400, ERR).json(|_| json!({"fields": {"summary": "no project"}})),
        get("/issue/{key}", "issue/{key}", 200, Op("GET /rest/api/3/issue/{issueIdOrKey} 200"))
            .then(|v, b| v.assert_doc(&b["fields"]["description"], "issue description")),
        get("/issue/{key}", "issue/{id}?expand=changelog,names,schema", 200, Op("GET /rest/api/3/issue/{issueIdOrKey} 200")),
        get("/issue/{key}", "issue/DEMO-1?expand=changelog", 200, Op("GET /rest/api/3/issue/{issueIdOrKey} 200")),
        get("/issue/{key}", "issue/DEMO-1?fields=summary,status,assignee,customfield_10020", 200, Op("GET /rest/api/3/issue/{issueIdOrKey} 200")),
        get("/issue/{key}", "issue/SAND-99999", 404, ERR),
        put("/issue/{key}", "issue/{key}", 204, Empty)
            .json(|_| json!({"fields": {"summary": "Schema walk, edited"}, "update": {"labels": [{"add": "edited"}]}})),
        // Comments.
        post("/issue/{key}/comment", "issue/{key}/comment", 201, Op("POST /rest/api/3/issue/{issueIdOrKey}/comment 201"))
            .json(|v| json!({"body": v.doc("A comment.")}))
            .then(|v, b| {
                v.assert_doc(&b["body"], "comment body");
                v.set("comment_id", b["id"].as_str().unwrap());
            }),
        get("/issue/{key}/comment", "issue/{key}/comment", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/comment 200"))
            .then(|v, b| v.assert_doc(&b["comments"][0]["body"], "listed comment body")),
        get("/issue/{key}/comment", "issue/DEMO-1/comment?maxResults=2", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/comment 200")),
        get("/issue/{key}/comment/{id}", "issue/{key}/comment/{comment_id}", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/comment/{id} 200")),
        // Remote links: create, replace by globalId, list, get, put, delete.
        post("/issue/{key}/remotelink", "issue/{key}/remotelink", 201, Op("POST /rest/api/3/issue/{issueIdOrKey}/remotelink 201"))
            .json(walk_link)
            .then(|v, b| v.set("link_id", b["id"].as_u64().unwrap())),
        post("/issue/{key}/remotelink", "issue/{key}/remotelink", 200, Op("POST /rest/api/3/issue/{issueIdOrKey}/remotelink 200"))
            .json(walk_link),
        // The spec types the list as one RemoteIssueLink; Jira answers an array of them (and one
        // object when `globalId` is given).
        get("/issue/{key}/remotelink", "issue/{key}/remotelink", 200, Items("", "GET /rest/api/3/issue/{issueIdOrKey}/remotelink 200")),
        get("/issue/{key}/remotelink", "issue/{key}/remotelink?globalId=tether:flag:walk", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/remotelink 200")),
        get("/issue/{key}/remotelink/{link_id}", "issue/{key}/remotelink/{link_id}", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/remotelink/{linkId} 200")),
        put("/issue/{key}/remotelink/{link_id}", "issue/{key}/remotelink/{link_id}", 204, Empty)
            .json(|_| json!({"globalId": "tether:flag:walk", "object": {"url": "https://tether.test/flags/walk", "title": "walk (put)"}})),
        get("/issue/{key}/remotelink/{link_id}", "issue/{key}/remotelink/424242", 404, ERR),
        delete("/issue/{key}/remotelink/{link_id}", "issue/{key}/remotelink/{link_id}", 204, Empty),
        post("/issue/{key}/remotelink", "issue/{key}/remotelink", 201, Op("POST /rest/api/3/issue/{issueIdOrKey}/remotelink 201"))
            .json(|_| json!({"globalId": "g2", "object": {"url": "https://tether.test/2", "title": "two"}})),
        delete("/issue/{key}/remotelink", "issue/{key}/remotelink?globalId=g2", 204, Empty),
        // Transitions (Done requires a resolution; its field is listed with the expand).
        get("/issue/{key}/transitions", "issue/{key}/transitions?expand=transitions.fields", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/transitions 200"))
            .then(|_, b| assert!(b["transitions"].as_array().is_some_and(|t| !t.is_empty()), "{b}")),
        post("/issue/{key}/transitions", "issue/{key}/transitions", 400, ERR).json(|_| json!({"transition": {"id": "31"}})),
        post("/issue/{key}/transitions", "issue/{key}/transitions", 204, Empty)
            .json(|_| json!({"transition": {"id": "31"}, "fields": {"resolution": {"name": "Done"}}})),
        get("/issue/{key}/transitions", "issue/{key}/transitions", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/transitions 200")),
        // Changelog (Cloud pages it; Data Center has only expand=changelog).
        get("/issue/{key}/changelog", "issue/{key}/changelog", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/changelog 200")).cloud_only(),
        get("/issue/{key}/changelog", "issue/DEMO-1/changelog?startAt=1&maxResults=2", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/changelog 200")).cloud(),
        // Search: Cloud's token paging (the old search is gone); Data Center's offset paging.
        get("/search", "search?jql={jql}", 410, ERR).cloud(),
        post("/search", "search", 410, ERR).json(|_| json!({"jql": JQL})).cloud(),
        get("/search", "search?jql={jql}&maxResults=3&fields=summary,status,labels", 200, Op("GET /rest/api/3/search 200")).dc(),
        get("/search", "search?jql={jql}&startAt=3&maxResults=3&expand=changelog", 200, Op("GET /rest/api/3/search 200")).dc(),
        post("/search", "search", 200, Op("POST /rest/api/3/search 200")).json(|_| json!({"jql": JQL, "maxResults": 3, "fields": ["*all"]})).dc(),
        get("/search", "search?jql=project%20%3D%20INT", 400, ERR).dc(),
        post("/search/jql", "search/jql", 200, Op("POST /rest/api/3/search/jql 200"))
            .json(|_| json!({"jql": JQL, "maxResults": 4, "fields": ["summary", "status", "labels", "assignee", "reporter", "created", "updated", "description"]}))
            .cloud_only()
            .then(|v, b| {
                assert!(b.get("total").is_none(), "{b}");
                v.set("page_token", b["nextPageToken"].as_str().expect("a next page"));
            }),
        post("/search/jql", "search/jql", 200, Op("POST /rest/api/3/search/jql 200"))
            .json(|v| json!({"jql": JQL, "maxResults": 100, "nextPageToken": v.get("page_token"), "fields": ["*navigable"], "expand": "changelog,names,schema"}))
            .cloud(),
        get("/search/jql", "search/jql?jql={jql}&maxResults=2", 200, Op("GET /rest/api/3/search/jql 200")).cloud_only(),
        get("/search/jql", "search/jql?jql={jql}&fields=summary&reconcileIssues={id}", 200, Op("GET /rest/api/3/search/jql 200")).cloud(),
        post("/search/jql", "search/jql", 400, ERR).json(|_| json!({"jql": "project = INT"})).cloud(),
        post("/search/approximate-count", "search/approximate-count", 200, Op("POST /rest/api/3/search/approximate-count 200"))
            .json(|_| json!({"jql": "project = DEMO"}))
            .cloud_only(),
        // Bulk reads (Cloud).
        post("/issue/bulkfetch", "issue/bulkfetch", 200, Op("POST /rest/api/3/issue/bulkfetch 200"))
            .json(|v| json!({"issueIdsOrKeys": ["DEMO-1", v.get("key"), "NOPE-1"], "fields": ["summary", "status"]}))
            .cloud_only(),
        post("/changelog/bulkfetch", "changelog/bulkfetch", 200, Op("POST /rest/api/3/changelog/bulkfetch 200"))
            .json(|v| json!({"issueIdsOrKeys": ["DEMO-1", "DEMO-2", "WEB-1", v.get("key")], "fieldIds": ["status"]}))
            .cloud_only(),
        post("/changelog/bulkfetch", "changelog/bulkfetch", 200, Op("POST /rest/api/3/changelog/bulkfetch 200"))
            .json(|v| json!({"issueIdsOrKeys": ["DEMO-1", "DEMO-2", "WEB-1", v.get("key")], "maxResults": 3}))
            .cloud()
            .then(|v, b| v.set("changelog_token", b["nextPageToken"].as_str().expect("a next page"))),
        post("/changelog/bulkfetch", "changelog/bulkfetch", 200, Op("POST /rest/api/3/changelog/bulkfetch 200"))
            .json(|v| json!({"issueIdsOrKeys": ["DEMO-1", "DEMO-2", "WEB-1", v.get("key")], "maxResults": 3, "nextPageToken": v.get("changelog_token")}))
            .cloud(),
        // Wrong credentials: Jira's 401 in its error shape.
        get("/myself", "myself", 401, ERR).by(Who::WrongPassword),
        // Issue properties.
        post("/issue", "issue", 201, Op("POST /rest/api/3/issue 201"))
            .json(|_| json!({"fields": {"project": {"key": "SAND"}, "issuetype": {"name": "Task"}, "summary": "Walked: properties"}}))
            .then(|v, b| v.set("props_key", b["key"].as_str().unwrap())),
        get("/issue/{key}/properties", "issue/{props_key}/properties", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/properties 200")),
        put("/issue/{key}/properties/{property}", "issue/{props_key}/properties/tether.flags", 201, Unspecified).json(|_| json!({"flags": ["new-checkout"]})),
        put("/issue/{key}/properties/{property}", "issue/{props_key}/properties/tether.flags", 200, Unspecified).json(|_| json!({"flags": ["new-checkout"]})),
        get("/issue/{key}/properties", "issue/{props_key}/properties", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/properties 200")),
        get("/issue/{key}/properties/{property}", "issue/{props_key}/properties/tether.flags", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey} 200"))
            .then(|_, b| assert_eq!(b["value"], json!({"flags": ["new-checkout"]}))),
        delete("/issue/{key}/properties/{property}", "issue/{props_key}/properties/tether.flags", 204, Empty),
        get("/issue/{key}/properties/{property}", "issue/{props_key}/properties/tether.flags", 404, ERR),
        // Cloud's dynamic webhooks, for apps: an OAuth 2.0 client-credentials token first
        // (form-encoded, as the OAuth 2.0 spec has it).
        post("/oauth/token", "/oauth/token", 200, Unspecified)
            .form(&[("grant_type", "client_credentials"), ("client_id", DEFAULT_OAUTH_CLIENT_ID), ("client_secret", DEFAULT_OAUTH_CLIENT_SECRET)])
            .by(Who::Anonymous)
            .cloud()
            .then(|v, b| {
                assert_eq!(b["token_type"], "Bearer", "{b}");
                v.set("token", b["access_token"].as_str().unwrap());
            }),
        post("/webhook", "webhook", 200, Op("POST /rest/api/3/webhook 200"))
            .json(|_| json!({"url": "http://127.0.0.1:9/hook", "webhooks": [{"events": ["jira:issue_updated"], "jqlFilter": "project = SAND"}]}))
            .by(Who::App)
            .cloud_only()
            .then(|v, b| {
                let id = &b["webhookRegistrationResult"][0]["createdWebhookId"];
                assert!(id.is_number(), "{b}");
                v.set("webhook_id", id);
            }),
        get("/webhook", "webhook", 200, Op("GET /rest/api/3/webhook 200")).by(Who::App).cloud_only(),
        put("/webhook/refresh", "webhook/refresh", 200, Op("PUT /rest/api/3/webhook/refresh 200"))
            .json(webhook_ids)
            .by(Who::App)
            .cloud_only(),
        delete("/webhook", "webhook", 202, Empty).json(webhook_ids).by(Who::App).cloud_only(),
        // Not for people: Jira's 403 in its error shape.
        get("/webhook", "webhook", 403, ERR).cloud_only(),
        // Issue deletion.
        delete("/issue/{key}", "issue/{props_key}", 204, Empty),
        get("/issue/{key}", "issue/{props_key}", 404, ERR),
        // Jira Software's agile API (both flavours).
        get("/rest/agile/1.0/board", "/rest/agile/1.0/board", 200, Op("GET /rest/agile/1.0/board 200")).then(|v, b| {
            let boards = b["values"].as_array().expect("boards");
            let id = |kind: &str| boards.iter().find(|b| b["type"] == kind).map(|b| b["id"].clone());
            v.set("scrum", id("scrum").expect("a scrum board"));
            v.set("kanban", id("kanban").expect("a kanban board"));
        }),
        get("/rest/agile/1.0/board/{id}", "/rest/agile/1.0/board/{scrum}", 200, Op("GET /rest/agile/1.0/board/{boardId} 200")),
        get("/rest/agile/1.0/board/{id}/sprint", "/rest/agile/1.0/board/{scrum}/sprint", 200, Unspecified).then(|v, b| {
            for key in ["id", "state", "name", "originBoardId"] {
                assert!(!b["values"][0][key].is_null(), "sprint without {key}: {b}");
            }
            v.set("sprint", b["values"][0]["id"].as_u64().expect("a sprint"));
        }),
        get("/rest/agile/1.0/board/{id}/sprint", "/rest/agile/1.0/board/{kanban}/sprint", 400, ERR),
        get("/rest/agile/1.0/sprint/{id}", "/rest/agile/1.0/sprint/{sprint}", 200, Unspecified)
            .then(|v, b| assert_eq!(b["id"].to_string(), v.get("sprint"))),
        // The issues of a sprint are IssueBeans, as the platform API's.
        get("/rest/agile/1.0/sprint/{id}/issue", "/rest/agile/1.0/sprint/{sprint}/issue?fields=summary,status", 200, Items("/issues", "GET /rest/api/3/issue/{issueIdOrKey} 200")),
        // The admin webhooks of `/rest/webhooks/1.0` (not in the Cloud specs).
        post("/rest/webhooks/1.0/webhook", "/rest/webhooks/1.0/webhook", 201, Unspecified)
            .json(|_| admin_webhook("walk"))
            .then(|v, b| {
                let url = b["self"].as_str().expect("a self link");
                v.set("admin_webhook", url.strip_prefix(v.base.as_str()).expect("a link here"));
            }),
        get("/rest/webhooks/1.0/webhook", "/rest/webhooks/1.0/webhook", 200, Unspecified)
            .then(|_, b| assert!(b.as_array().is_some_and(|l| !l.is_empty()), "{b}")),
        get("/rest/webhooks/1.0/webhook/{id}", "{admin_webhook}", 200, Unspecified).then(|_, b| assert_eq!(b["name"], "walk")),
        put("/rest/webhooks/1.0/webhook/{id}", "{admin_webhook}", 200, Unspecified).json(|_| admin_webhook("walk (renamed)")),
        delete("/rest/webhooks/1.0/webhook/{id}", "{admin_webhook}", 204, Empty),
        // Jira Software's Feature Flags API (Cloud).
        post("/rest/featureflags/0.1/bulk", "/rest/featureflags/0.1/bulk", 202, Op("POST /featureflags/0.1/bulk 202"))
            .json(|_| {
                let mut bad = walk_flag("walk-2");
                bad.as_object_mut().unwrap().remove("summary");
                json!({"flags": [walk_flag("walk-1"), bad], "properties": {"walk": "yes"}})
            })
            .cloud(),
        post("/rest/featureflags/0.1/bulk", "/rest/featureflags/0.1/bulk", 400, Op("POST /featureflags/0.1/bulk 400"))
            .json(|_| json!({"flags": []}))
            .cloud(),
        put("/_sandbox/knobs", "/_sandbox/knobs", 200, Unspecified)
            .json(|_| json!({"feature_flags_max_body_bytes": 10}))
            .by(Who::Anonymous),
        post("/rest/featureflags/0.1/bulk", "/rest/featureflags/0.1/bulk", 413, Op("POST /featureflags/0.1/bulk 413"))
            .json(|_| json!({"flags": [walk_flag("walk-big")]}))
            .cloud(),
        put("/_sandbox/knobs", "/_sandbox/knobs", 200, Unspecified).json(|_| json!({})).by(Who::Anonymous),
        delete("/rest/featureflags/0.1/bulkByProperties", "/rest/featureflags/0.1/bulkByProperties", 400, Op("DELETE /featureflags/0.1/bulkByProperties 400")).cloud(),
        get("/rest/featureflags/0.1/flag/{id}", "/rest/featureflags/0.1/flag/walk-1", 200, Op("GET /featureflags/0.1/flag/{featureFlagId} 200")).cloud(),
        delete("/rest/featureflags/0.1/flag/{id}", "/rest/featureflags/0.1/flag/walk-1", 202, Empty).cloud(),
        delete("/rest/featureflags/0.1/bulkByProperties", "/rest/featureflags/0.1/bulkByProperties?walk=yes", 202, Empty).cloud(),
        // One left for the inspection endpoint.
        post("/rest/featureflags/0.1/bulk", "/rest/featureflags/0.1/bulk", 202, Op("POST /featureflags/0.1/bulk 202"))
            .json(|_| json!({"flags": [walk_flag("walk-3")]}))
            .cloud(),
        // Cloud's anonymous tenant info and the OAuth 2.0 gateway forms; the applinks list.
        get("/_edge/tenant_info", "/_edge/tenant_info", 200, Unspecified)
            .by(Who::Anonymous)
            .cloud()
            .then(|_, b| assert_eq!(b, &json!({"cloudId": CLOUD_ID}))),
        get("/ex/jira/{cloud_id}/{*rest}", format!("/ex/jira/{CLOUD_ID}/rest/api/3/myself"), 200, Op("GET /rest/api/3/myself 200"))
            .by(Who::App)
            .cloud(),
        get("/jira/featureflags/0.1/cloud/{cloud_id}/{*rest}", format!("/jira/featureflags/0.1/cloud/{CLOUD_ID}/flag/nope"), 404, Unspecified)
            .by(Who::App)
            .cloud(),
        // Atlassian's key service for signed installs, played by the sandbox.
        get("/connect-install-keys/{kid}", "/connect-install-keys/no-such-kid", 404, Unspecified)
            .by(Who::Anonymous)
            .cloud(),
        get("/rest/applinks/latest/listApplicationlinks", "/rest/applinks/latest/listApplicationlinks", 200, Unspecified)
            .then(|_, b| assert_eq!(b, &json!([]))),
    ]);
    all.extend(inspection());
    all
}

/// The sandbox's own `/_sandbox` endpoints and its root (not Jira's, so no spec), anonymous.
fn inspection() -> Vec<Req> {
    use Expect::Unspecified as U;
    let array = |_: &mut Vars, b: &Value| assert!(b.is_array(), "{b}");
    let mut all = vec![
        get("/", "/", 200, U).then(|_, b| assert_eq!(b["inspect"], "/_sandbox")),
        get("/_sandbox", "/_sandbox", 200, U)
            .then(|_, b| assert!(b["endpoints"].is_object(), "{b}")),
        get("/_sandbox/issues/{key}", "/_sandbox/issues/DEMO-1", 200, U)
            .then(|_, b| assert_eq!(b["key"], "DEMO-1")),
        get("/_sandbox/issues/{key}/development", "/_sandbox/issues/DEMO-1/development", 200, U)
            .then(|v, b| {
                // The walk's flags name DEMO-1 (Cloud only: Data Center has no Feature Flags API).
                let flags = b["feature_flags"].as_array().expect("flags");
                assert_eq!(flags.len(), if v.cloud { 1 } else { 0 }, "{b}");
            }),
        get("/browse/{key}", "/browse/DEMO-1", 200, U).then(|v, b| {
            let html = b.as_str().expect("a page");
            assert!(html.contains("DEMO-1") && html.contains("Feature flags"), "{html}");
            assert_eq!(html.contains("Walk flag"), v.cloud, "{html}");
        }),
        get("/_sandbox/comments", "/_sandbox/comments?issue=SAND-1", 200, U).then(array),
        get("/_sandbox/remote-links", "/_sandbox/remote-links", 200, U).then(array),
        get("/_sandbox/transitions", "/_sandbox/transitions", 200, U).then(|v, b| {
            assert!(b.is_array(), "{b}");
            assert!(!v.sb.comments(None).is_empty() && !v.sb.transitions_done(None).is_empty());
        }),
        get("/_sandbox/feature-flags", "/_sandbox/feature-flags", 200, U).then(array),
        get("/_sandbox/feature-flags/{id}", "/_sandbox/feature-flags/walk-3", 200, U).cloud(),
        get("/_sandbox/feature-flags/{id}", "/_sandbox/feature-flags/nope", 404, ERR).dc(),
        get("/_sandbox/knobs", "/_sandbox/knobs", 200, U).then(|v, b| v.set("knobs", b)),
        put("/_sandbox/knobs", "/_sandbox/knobs", 200, U)
            .json(|v| serde_json::from_str(v.get("knobs")).unwrap()),
        post("/_sandbox/seed", "/_sandbox/seed", 200, U)
            .json(|_| json!({"issues": 2, "seed": 9}))
            .then(|_, b| assert_eq!(b["issues"], 2, "{b}")),
        post("/_sandbox/load", "/_sandbox/load", 200, U)
            .json(|_| json!([{"key": "IMP-1", "fields": {"summary": "Imported"}}])),
        post("/_sandbox/connect/install", "/_sandbox/connect/install", 200, U)
            .json(|_| json!({"key": "walk-app"}))
            .cloud_else(400, ERR),
        post("/_sandbox/reset-logins", "/_sandbox/reset-logins", 204, Expect::Empty),
        // Connect apps, webhooks, issue security and OAuth 1.0a consumers.
        get("/_sandbox/connect/apps", "/_sandbox/connect/apps", 200, U).then(array),
        post("/_sandbox/connect/uninstall", "/_sandbox/connect/uninstall", 404, ERR)
            .json(|_| json!({"key": "never-installed"})),
        get("/_sandbox/webhooks", "/_sandbox/webhooks", 200, U).then(array),
        post("/_sandbox/security-levels", "/_sandbox/security-levels", 201, Expect::Empty)
            .json(|_| json!({"name": "Walk secret", "members": ["admin"]})),
        put(
            "/_sandbox/issues/{key}/security",
            "/_sandbox/issues/DEMO-2/security",
            204,
            Expect::Empty,
        )
        .json(|_| json!({"level": "Walk secret"})),
        put(
            "/_sandbox/issues/{key}/security",
            "/_sandbox/issues/DEMO-2/security",
            204,
            Expect::Empty,
        )
        .json(|_| json!({"level": null})),
        post("/_sandbox/oauth1/consumers", "/_sandbox/oauth1/consumers", 400, ERR)
            .json(|_| json!({"consumerKey": "walk", "publicKeyPem": "not a key"})),
    ];
    for r in &mut all {
        r.who = Who::Anonymous;
    }
    all
}

fn walk_flag(id: &str) -> Value {
    json!({
        "schemaVersion": "1.0", "id": id, "key": "walk-flag", "updateSequenceId": 1,
        "displayName": "Walk flag", "issueKeys": ["DEMO-1", "NOPE-1"],
        "summary": {"url": "https://tether.test/f", "status": {"enabled": true, "defaultValue": "off", "rollout": {"percentage": 25}}, "lastUpdated": "2024-01-31T10:15:00.000Z"},
        "details": [{"url": "https://tether.test/f/prod", "lastUpdated": "2024-01-31T10:15:00Z", "environment": {"name": "prod", "type": "production"}, "status": {"enabled": true}}],
    })
}

fn walk_link(_: &Vars) -> Value {
    json!({"globalId": "tether:flag:walk", "application": {"type": "dev.tether", "name": "tether"}, "relationship": "controlled by",
           "object": {"url": "https://tether.test/flags/walk", "title": "walk", "summary": "on", "icon": {"url16x16": "https://tether.test/i.png", "title": "flag"},
                      "status": {"resolved": false, "icon": {"url16x16": "https://tether.test/s.png", "title": "on"}}}})
}

/// The dynamic webhook the walk registered (Data Center, which has none, is asked for id 1).
fn webhook_ids(v: &Vars) -> Value {
    let id: u64 = v.map.get("webhook_id").map_or(1, |id| id.parse().unwrap());
    json!({"webhookIds": [id]})
}

fn admin_webhook(name: &str) -> Value {
    json!({"name": name, "url": "http://127.0.0.1:9/hook", "events": ["jira:issue_updated"],
           "filters": {"issue-related-events-section": "project = SAND"}})
}

struct Walk {
    vars: Vars,
    /// `/rest/api/3`, `/rest/api/2` or `/rest/api/latest`.
    api: String,
    _srv: Server,
    client: reqwest::Client,
    routes: BTreeSet<(String, String)>,
    mismatches: BTreeMap<String, BTreeSet<String>>,
    validated: usize,
}

impl Walk {
    async fn new(label: &'static str, on: On, api: &str) -> Walk {
        let srv = if on == On::Cloud { support::cloud().await } else { support::dc().await };
        // A few seeded issues (with histories and comments) beside the ones the walk creates.
        srv.sandbox.seed_issues(12, 7);
        let mut vars = Vars {
            label,
            cloud: on == On::Cloud,
            v3: api == "3",
            base: srv.base.clone(),
            sb: srv.sandbox.clone(),
            map: HashMap::new(),
        };
        vars.set("jql", enc(JQL));
        Walk {
            vars,
            api: format!("/rest/api/{api}"),
            _srv: srv,
            client: reqwest::Client::new(),
            routes: BTreeSet::new(),
            mismatches: BTreeMap::new(),
            validated: 0,
        }
    }

    /// Runs one request if it belongs to this walk's flavour (or has an answer for it there).
    async fn run(&mut self, req: &Req) {
        let mine = req.on == On::Both || (req.on == On::Cloud) == self.vars.cloud;
        let (status, expect, who) = match (mine, req.elsewhere) {
            (true, _) => (req.status, req.expect, req.who),
            (false, Some((status, expect))) => (status, expect, Who::Admin),
            (false, None) => return,
        };
        let path = self.vars.fill(&req.path);
        let (url, route) = match path.strip_prefix('/') {
            Some(_) => (format!("{}{path}", self.vars.base), req.route.to_owned()),
            None => (
                format!("{}{}/{path}", self.vars.base, self.api),
                format!("/rest/api/{{v}}{}", req.route),
            ),
        };
        let mut call = self.client.request(req.method.clone(), &url);
        call = match who {
            Who::Admin if self.vars.cloud => {
                call.basic_auth(DEFAULT_EMAIL, Some(DEFAULT_API_TOKEN))
            }
            Who::Admin => call.basic_auth(DEFAULT_USER, Some(DEFAULT_PASSWORD)),
            Who::Anonymous => call,
            Who::WrongPassword => call.basic_auth(DEFAULT_USER, Some("wrong")),
            Who::App => call.bearer_auth(self.vars.get("token")),
        };
        call = match req.payload {
            Payload::None => call,
            Payload::Json(body) => call.json(&body(&self.vars)),
            Payload::Form(pairs) => call.form(pairs),
        };
        let resp = call.send().await.unwrap_or_else(|e| panic!("{} {url}: {e}", self.vars.label));
        let got = resp.status();
        let text = resp.text().await.expect("a body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        let method = &req.method;
        assert_eq!(got.as_u16(), status, "{} {method} {url}: {body}", self.vars.label);
        // The gateway routes take any method (`axum::routing::any`).
        let m = if route.contains("{*rest}") { "ANY".to_owned() } else { method.to_string() };
        self.routes.insert((m, route.clone()));
        self.check(method, &route, status, &body, expect);
        if let (true, Some(then)) = (mine, req.then) {
            then(&mut self.vars, &body);
        }
    }

    fn check(&mut self, method: &Method, route: &str, status: u16, body: &Value, expect: Expect) {
        let label = self.vars.label;
        let (key, instance) = match expect {
            Expect::Empty => {
                assert!(body.is_null(), "{label} {method} {route}: body {body}");
                return;
            }
            Expect::Unspecified => return,
            Expect::Op(op) => (op.to_owned(), body),
            Expect::Component(name) => (format!("#{name}"), body),
            Expect::Items(pointer, op) => {
                let items = body.pointer(pointer).and_then(Value::as_array).unwrap_or_else(|| {
                    panic!("{label} {method} {route}: no array at {pointer:?}: {body}")
                });
                let v = validator(op);
                for item in items {
                    self.record(&v, method, route, status, item);
                }
                return;
            }
        };
        let v = validator(&key);
        self.record(&v, method, route, status, instance);
    }

    fn record(&mut self, v: &Compiled, method: &Method, route: &str, status: u16, body: &Value) {
        self.validated += 1;
        for e in v.iter_errors(body) {
            let instance: String =
                e.instance_path()
                    .as_str()
                    .split('/')
                    .map(|s| {
                        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) { "*" } else { s }
                    })
                    .collect::<Vec<_>>()
                    .join("/");
            let found = match e.kind() {
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    format!("unexpected {}", unexpected.join(","))
                }
                _ => match e.instance().as_ref() {
                    Value::Object(_) => "got an object".to_owned(),
                    Value::Array(_) => "got an array".to_owned(),
                    Value::String(_) => "got a string".to_owned(),
                    other => format!("got {other}"),
                },
            };
            let class = format!("{} {found}", e.schema_path().as_str());
            let place = format!("{} {method} {route} {status} at {instance}", self.vars.label);
            self.mismatches.entry(class).or_default().insert(place);
        }
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The router's routes, read from its source

/// Routes the walk leaves out on purpose, with why. Everything else in the router is walked.
const NOT_WALKED: &[(&str, &str, &str)] = &[
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
fn routes_in_source() -> BTreeSet<(String, String)> {
    let prefixes: BTreeMap<&str, &str> = [
        ("mod.rs", ""),
        ("platform.rs", "/rest/api/{v}"),
        ("meta.rs", "/rest/api/{v}"),
        ("properties.rs", "/rest/api/{v}"),
        ("webhooks.rs::dynamic_routes", "/rest/api/{v}"),
        ("webhooks.rs::admin_routes", "/rest/webhooks/1.0"),
        ("agile.rs", "/rest/agile/1.0"),
        ("featureflags.rs", "/rest/featureflags/0.1"),
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
fn routes_in(text: &str) -> Vec<(String, String, String)> {
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
fn routes_are_read_from_route_calls() {
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
