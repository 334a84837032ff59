//! The rest of the walk: Jira Software's agile API, the admin webhooks, Cloud's tenant info
//! and gateway forms, and the sandbox's own `/_sandbox` endpoints.

use jira_sandbox::CLOUD_ID;
use serde_json::{Value, json};

use super::walk::{ERR, Expect, Req, Vars, Who, delete, get, post, put};

/// Jira Software's agile API, the admin webhooks and Cloud's extras, in order.
pub(super) fn requests() -> Vec<Req> {
    use Expect::*;
    vec![
        // Jira Software's agile API (both flavours).
        get(
            "/rest/agile/1.0/board",
            "/rest/agile/1.0/board",
            200,
            Op("GET /rest/agile/1.0/board 200"),
        )
        .then(|v, b| {
            let boards = b["values"].as_array().expect("boards");
            let id =
                |kind: &str| boards.iter().find(|b| b["type"] == kind).map(|b| b["id"].clone());
            v.set("scrum", id("scrum").expect("a scrum board"));
            v.set("kanban", id("kanban").expect("a kanban board"));
        }),
        get(
            "/rest/agile/1.0/board/{id}",
            "/rest/agile/1.0/board/{scrum}",
            200,
            Op("GET /rest/agile/1.0/board/{boardId} 200"),
        ),
        get(
            "/rest/agile/1.0/board/{id}/sprint",
            "/rest/agile/1.0/board/{scrum}/sprint",
            200,
            Unspecified,
        )
        .then(|v, b| {
            for key in ["id", "state", "name", "originBoardId"] {
                assert!(!b["values"][0][key].is_null(), "sprint without {key}: {b}");
            }
            v.set("sprint", b["values"][0]["id"].as_u64().expect("a sprint"));
        }),
        get("/rest/agile/1.0/board/{id}/sprint", "/rest/agile/1.0/board/{kanban}/sprint", 400, ERR),
        get("/rest/agile/1.0/sprint/{id}", "/rest/agile/1.0/sprint/{sprint}", 200, Unspecified)
            .then(|v, b| assert_eq!(b["id"].to_string(), v.get("sprint"))),
        // The issues of a sprint are IssueBeans, as the platform API's.
        get(
            "/rest/agile/1.0/sprint/{id}/issue",
            "/rest/agile/1.0/sprint/{sprint}/issue?fields=summary,status",
            200,
            Items("/issues", "GET /rest/api/3/issue/{issueIdOrKey} 200"),
        ),
        // Moving issues into a sprint: an empty list is refused (so is a closed sprint); the
        // moves themselves are tested in tests/it/agile.rs.
        post(
            "/rest/agile/1.0/sprint/{id}/issue",
            "/rest/agile/1.0/sprint/{sprint}/issue",
            400,
            ERR,
        )
        .json(|_| json!({"issues": []})),
        // The admin webhooks of `/rest/webhooks/1.0` (not in the Cloud specs).
        post("/rest/webhooks/1.0/webhook", "/rest/webhooks/1.0/webhook", 201, Unspecified)
            .json(|_| admin_webhook("walk"))
            .then(|v, b| {
                let url = b["self"].as_str().expect("a self link");
                v.set("admin_webhook", url.strip_prefix(v.base.as_str()).expect("a link here"));
            }),
        get("/rest/webhooks/1.0/webhook", "/rest/webhooks/1.0/webhook", 200, Unspecified)
            .then(|_, b| assert!(b.as_array().is_some_and(|l| !l.is_empty()), "{b}")),
        get("/rest/webhooks/1.0/webhook/{id}", "{admin_webhook}", 200, Unspecified)
            .then(|_, b| assert_eq!(b["name"], "walk")),
        put("/rest/webhooks/1.0/webhook/{id}", "{admin_webhook}", 200, Unspecified)
            .json(|_| admin_webhook("walk (renamed)")),
        delete("/rest/webhooks/1.0/webhook/{id}", "{admin_webhook}", 204, Empty),
        // Atlassian's key service for signed installs, played by the sandbox.
        get("/connect-install-keys/{kid}", "/connect-install-keys/no-such-kid", 404, Unspecified)
            .by(Who::Anonymous)
            .cloud(),
        // Forge's key set for Forge Invocation Tokens, played by the sandbox.
        get("/.well-known/jwks.json", "/.well-known/jwks.json", 200, Unspecified)
            .by(Who::Anonymous)
            .cloud()
            .then(|_, b| assert_eq!(b["keys"][0]["alg"], "RS256", "{b}")),
        // Cloud's anonymous tenant info and the OAuth 2.0 gateway forms; the applinks list.
        get("/_edge/tenant_info", "/_edge/tenant_info", 200, Unspecified)
            .by(Who::Anonymous)
            .cloud()
            .then(|_, b| assert_eq!(b, &json!({"cloudId": CLOUD_ID}))),
        get(
            "/ex/jira/{cloud_id}/{*rest}",
            format!("/ex/jira/{CLOUD_ID}/rest/api/3/myself"),
            // OAuth credentials for self-hosted tools reach the DevOps APIs only.
            401,
            Unspecified,
        )
        .by(Who::App)
        .cloud(),
        get(
            "/jira/{api}/{version}/cloud/{cloud_id}/{*rest}",
            format!("/jira/featureflags/0.1/cloud/{CLOUD_ID}/flag/nope"),
            404,
            Unspecified,
        )
        .by(Who::App)
        .cloud(),
        get(
            "/jira/{api}/{version}/cloud/{cloud_id}/{*rest}",
            format!("/jira/builds/0.1/cloud/{CLOUD_ID}/pipelines/walk/builds/1"),
            200,
            Op("GET /builds/0.1/pipelines/{pipelineId}/builds/{buildNumber} 200"),
        )
        .by(Who::App)
        .cloud(),
        get(
            "/jira/{api}/{version}/cloud/{cloud_id}/{*rest}",
            format!("/jira/nothing/0.1/cloud/{CLOUD_ID}/x"),
            404,
            ERR,
        )
        .by(Who::App)
        .cloud(),
        // Jira's prefilled create-issue page and its form (the POST redirects to /browse).
        get(
            "/secure/CreateIssueDetails!init.jspa",
            "/secure/CreateIssueDetails!init.jspa?pid=10000&issuetype=10001&summary=Walked",
            200,
            Unspecified,
        )
        .by(Who::Anonymous)
        .then(|_, b| assert!(b.as_str().is_some_and(|h| h.contains("value=\"Walked\"")), "{b}")),
        post(
            "/secure/CreateIssueDetails.jspa",
            "/secure/CreateIssueDetails.jspa",
            200,
            Unspecified,
        )
        .form(&[("pid", "10000"), ("issuetype", "10001"), ("summary", "Walked by form")])
        .by(Who::Anonymous)
        .then(|_, b| assert!(b.as_str().is_some_and(|h| h.contains("Walked by form")), "{b}")),
        get(
            "/rest/applinks/latest/listApplicationlinks",
            "/rest/applinks/latest/listApplicationlinks",
            200,
            Unspecified,
        )
        .then(|_, b| assert_eq!(b, &json!([]))),
    ]
}

/// The sandbox's own `/_sandbox` endpoints and its root (not Jira's, so no spec), anonymous.
pub(super) fn inspection() -> Vec<Req> {
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
        get("/_sandbox/worklogs", "/_sandbox/worklogs?issue=DEMO-1", 200, U).then(array),
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
        get("/_sandbox/oauth-clients", "/_sandbox/oauth-clients", 200, U).then(|_, b| {
            assert_eq!(b[0]["client_id"], "sandbox-client", "{b}");
            assert!(b[0].get("client_secret").is_none(), "{b}");
        }),
        post("/_sandbox/oauth-clients", "/_sandbox/oauth-clients", 201, Expect::Empty)
            .json(|_| json!({"client_id": "walk", "client_secret": "s", "user": "admin"})),
        post("/_sandbox/oauth-clients", "/_sandbox/oauth-clients", 400, ERR)
            .json(|_| json!({"client_id": "walk", "client_secret": "s", "user": "nobody"})),
        put(
            "/_sandbox/oauth-clients/{client_id}/permissions",
            "/_sandbox/oauth-clients/walk/permissions",
            204,
            Expect::Empty,
        )
        .json(|_| json!(["builds_read"])),
        put(
            "/_sandbox/oauth-clients/{client_id}/permissions",
            "/_sandbox/oauth-clients/walk/permissions",
            400,
            ERR,
        )
        .json(|_| json!(["everything"])),
        post(
            "/_sandbox/forge/{app}/entity-properties",
            "/_sandbox/forge/walk/entity-properties",
            201,
            U,
        )
        .json(|_| json!([{"propertyKey": "walk", "values": [{"path": "a", "type": "string", "searchAlias": "walkA"}]}])),
        get("/_sandbox/entity-properties", "/_sandbox/entity-properties", 200, U)
            .then(|_, b| assert_eq!(b[0]["alias"], "walkA", "{b}")),
        delete(
            "/_sandbox/forge/{app}/entity-properties",
            "/_sandbox/forge/walk/entity-properties",
            204,
            Expect::Empty,
        ),
        // Forge apps: a token (Cloud only); installs need a remote the walk does not run.
        post("/_sandbox/forge/{app}/token", "/_sandbox/forge/walk/token", 200, U)
            .json(|_| json!({"moduleKey": "walk"}))
            .cloud_else(400, ERR),
        post("/_sandbox/forge/{app}/install", "/_sandbox/forge/walk/install", 400, ERR)
            .json(|_| json!({})),
        get("/_sandbox/forge/apps", "/_sandbox/forge/apps", 200, U).then(array),
        post("/_sandbox/forge/{app}/uninstall", "/_sandbox/forge/walk/uninstall", 404, ERR),
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
        // Moving the walk's form-created issue, then deleting it under its old key.
        post("/_sandbox/issues/{key}/move", "/_sandbox/issues/DEMO-2/move", 200, U)
            .json(|_| json!({"project": "WEB"}))
            .then(|v, b| {
                assert!(b["key"].as_str().is_some_and(|k| k.starts_with("WEB-")), "{b}");
                v.set("moved", b["key"].as_str().unwrap());
            }),
        delete("/_sandbox/issues/{key}", "/_sandbox/issues/DEMO-2", 204, Expect::Empty),
        delete("/_sandbox/issues/{key}", "/_sandbox/issues/{moved}", 404, ERR),
    ];
    for r in &mut all {
        r.who = Who::Anonymous;
    }
    all
}

pub(super) fn admin_webhook(name: &str) -> Value {
    json!({"name": name, "url": "http://127.0.0.1:9/hook", "events": ["jira:issue_updated"],
           "filters": {"issue-related-events-section": "project = SAND"}})
}
