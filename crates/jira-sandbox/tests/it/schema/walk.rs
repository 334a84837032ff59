//! The walk: one table of requests, run once per flavour and API version. Each request names
//! the route it stands for, who calls, what it sends, the status and schema it expects.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jira_sandbox::{DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_PASSWORD, DEFAULT_USER, Sandbox};
use reqwest::Method;
use serde_json::{Value, json};

use super::spec::{Compiled, validator};
use crate::support::{self, Server};

/// The four walks: label, flavour, platform API version (`/rest/api/<version>`).
pub(super) const WALKS: &[(&str, On, &str)] = &[
    ("cloud-v3", On::Cloud, "3"),
    ("cloud-v2", On::Cloud, "2"),
    ("dc-v2", On::Dc, "2"),
    ("dc-latest", On::Dc, "latest"),
];

pub(super) const JQL: &str = "project in (DEMO, SAND) ORDER BY key ASC";
/// Jira's error shape, for the many requests that expect it.
pub(super) const ERR: Expect = Expect::Component("ErrorCollection");

/// What an answer is checked against.
#[derive(Debug, Clone, Copy)]
pub(super) enum Expect {
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
pub(super) enum On {
    Both,
    Cloud,
    Dc,
}

/// Who calls.
#[derive(Debug, Clone, Copy)]
pub(super) enum Who {
    /// The default user, as the flavour logs in (Cloud: email + token; DC: password).
    Admin,
    Anonymous,
    WrongPassword,
    /// The OAuth 2.0 app whose token an earlier request stored as `{token}`.
    App,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Payload {
    None,
    Json(fn(&Vars) -> Value),
    Form(&'static [(&'static str, &'static str)]),
}

/// One request of the walk. `path` is a template whose `{name}`s are variables set by earlier
/// requests' `then`; without a leading `/` it is relative to the walk's platform API root, and
/// `route` then gets the `/rest/api/{v}` prefix.
#[derive(Debug, Clone)]
pub(super) struct Req {
    pub(super) on: On,
    /// What the other flavour answers to the same request by the admin (`None`: skipped).
    pub(super) elsewhere: Option<(u16, Expect)>,
    pub(super) who: Who,
    pub(super) method: Method,
    pub(super) route: &'static str,
    pub(super) path: String,
    pub(super) payload: Payload,
    pub(super) status: u16,
    pub(super) expect: Expect,
    /// Assertions on the answer, and variables for later requests.
    pub(super) then: Option<fn(&mut Vars, &Value)>,
}

pub(super) fn req(
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

pub(super) fn get(
    route: &'static str,
    path: impl Into<String>,
    status: u16,
    expect: Expect,
) -> Req {
    req(Method::GET, route, path, status, expect)
}

pub(super) fn post(
    route: &'static str,
    path: impl Into<String>,
    status: u16,
    expect: Expect,
) -> Req {
    req(Method::POST, route, path, status, expect)
}

pub(super) fn put(
    route: &'static str,
    path: impl Into<String>,
    status: u16,
    expect: Expect,
) -> Req {
    req(Method::PUT, route, path, status, expect)
}

pub(super) fn delete(
    route: &'static str,
    path: impl Into<String>,
    status: u16,
    expect: Expect,
) -> Req {
    req(Method::DELETE, route, path, status, expect)
}

impl Req {
    pub(super) fn json(mut self, body: fn(&Vars) -> Value) -> Req {
        self.payload = Payload::Json(body);
        self
    }

    pub(super) fn form(mut self, pairs: &'static [(&'static str, &'static str)]) -> Req {
        self.payload = Payload::Form(pairs);
        self
    }

    pub(super) fn by(mut self, who: Who) -> Req {
        self.who = who;
        self
    }

    pub(super) fn cloud(mut self) -> Req {
        self.on = On::Cloud;
        self
    }

    pub(super) fn dc(mut self) -> Req {
        self.on = On::Dc;
        self
    }

    /// On Cloud only; Data Center answers `status` and `expect` instead.
    pub(super) fn cloud_else(mut self, status: u16, expect: Expect) -> Req {
        self.on = On::Cloud;
        self.elsewhere = Some((status, expect));
        self
    }

    /// A Cloud endpoint Data Center lacks: there it is a 404 in Jira's error shape.
    pub(super) fn cloud_only(self) -> Req {
        self.cloud_else(404, ERR)
    }

    pub(super) fn then(mut self, f: fn(&mut Vars, &Value)) -> Req {
        self.then = Some(f);
        self
    }
}

/// What the requests of one walk know: the flavour, and what earlier answers said.
#[derive(Debug)]
pub(super) struct Vars {
    pub(super) label: &'static str,
    pub(super) cloud: bool,
    v3: bool,
    pub(super) base: String,
    pub(super) sb: Sandbox,
    pub(super) map: HashMap<&'static str, String>,
}

impl Vars {
    pub(super) fn set(&mut self, name: &'static str, value: impl std::fmt::Display) {
        self.map.insert(name, value.to_string());
    }

    pub(super) fn get(&self, name: &str) -> &str {
        self.map.get(name).unwrap_or_else(|| panic!("{}: no variable {{{name}}} yet", self.label))
    }

    /// `template` with each `{name}` replaced by its variable.
    pub(super) fn fill(&self, template: &str) -> String {
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
    pub(super) fn doc(&self, text: &str) -> Value {
        if self.v3 {
            json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]})
        } else {
            json!(text)
        }
    }

    /// ADF documents on v3, strings on v2 (the spec leaves these fields open).
    pub(super) fn assert_doc(&self, body: &Value, what: &str) {
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

/// One walk in progress: its variables, the server it calls and what it has seen.
pub(super) struct Walk {
    pub(super) vars: Vars,
    /// `/rest/api/3`, `/rest/api/2` or `/rest/api/latest`.
    pub(super) api: String,
    pub(super) _srv: Server,
    pub(super) client: reqwest::Client,
    pub(super) routes: BTreeSet<(String, String)>,
    pub(super) mismatches: BTreeMap<String, BTreeSet<String>>,
    pub(super) validated: usize,
}

impl Walk {
    pub(super) async fn new(label: &'static str, on: On, api: &str) -> Walk {
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
    pub(super) async fn run(&mut self, req: &Req) {
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

    pub(super) fn check(
        &mut self,
        method: &Method,
        route: &str,
        status: u16,
        body: &Value,
        expect: Expect,
    ) {
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

    pub(super) fn record(
        &mut self,
        v: &Compiled,
        method: &Method,
        route: &str,
        status: u16,
        body: &Value,
    ) {
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

pub(super) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
