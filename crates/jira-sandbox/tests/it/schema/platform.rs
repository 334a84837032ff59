//! The platform API part of the walk (`/rest/api/{2,3,latest}`): server, users, projects,
//! issues, comments, remote links, transitions, changelogs, search, bulk reads, properties
//! and Cloud's dynamic webhooks.

use jira_sandbox::{DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET};
use serde_json::{Value, json};

use super::walk::{ERR, Expect, JQL, Req, Vars, Who, delete, get, post, put};

/// The platform API's requests, in order.
pub(super) fn requests() -> Vec<Req> {
    use Expect::*;
    let mut all = vec![
        // Server, users, permissions.
        get("/serverInfo", "serverInfo", 200, Op("GET /rest/api/3/serverInfo 200")).then(|v, b| {
            assert_eq!(b["deploymentType"], if v.cloud { "Cloud" } else { "Server" });
        }),
        get("/myself", "myself", 200, Op("GET /rest/api/3/myself 200")).then(|v, b| {
            assert!(b["timeZone"].is_string(), "{b}");
            match b["accountId"].as_str() {
                Some(id) if v.cloud => {
                    v.set("user_q", format!("accountId={id}"));
                    v.set("account_id", id);
                }
                _ => v.set("user_q", "username=admin"),
            }
            v.set("watcher_q", v.get("user_q").to_owned());
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
        // The spec types `GET /issuetype` and `/priority` as arrays of the single forms.
        get("/issuetype", "issuetype", 200, Op("GET /rest/api/3/issuetype 200")),
        get("/issuetype/{id}", "issuetype/10001", 200, Op("GET /rest/api/3/issuetype/{id} 200")),
        get("/issuetype/{id}", "issuetype/1", 404, ERR),
        get("/priority", "priority", 200, Op("GET /rest/api/3/priority 200")),
        get("/priority/{id}", "priority/3", 200, Op("GET /rest/api/3/priority/{id} 200")),
        get("/priority/{id}", "priority/99", 404, ERR),
        get("/field", "field", 200, Op("GET /rest/api/3/field 200")).then(|_, b| {
            assert!(b.as_array().unwrap().iter().any(|f| f["id"] == "customfield_10020"), "{b}");
        }),
        // Create metadata. Data Center pages it as `values`, a shape the Cloud spec lacks.
        // The legacy create metadata: Cloud (deprecated) and Data Center before 9.0.
        get("/issue/createmeta", "issue/createmeta?projectKeys=SAND&expand=projects.issuetypes.fields", 200, Op("GET /rest/api/3/issue/createmeta 200"))
            .cloud_only()
            .then(|_, b| assert!(b["projects"][0]["issuetypes"][0]["fields"]["summary"]["required"] == true, "{b}")),
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
        put("/issue/{key}/comment/{id}", "issue/{key}/comment/{comment_id}", 200, Op("PUT /rest/api/3/issue/{issueIdOrKey}/comment/{id} 200"))
            .json(|v| json!({"body": v.doc("An edited comment.")}))
            .then(|v, b| v.assert_doc(&b["body"], "edited comment body")),
        post("/issue/{key}/comment", "issue/{key}/comment", 201, Op("POST /rest/api/3/issue/{issueIdOrKey}/comment 201"))
            .json(|v| json!({"body": v.doc("A comment to delete.")}))
            .then(|v, b| v.set("doomed_comment", b["id"].as_str().unwrap())),
        delete("/issue/{key}/comment/{id}", "issue/{key}/comment/{doomed_comment}", 204, Empty),
        delete("/issue/{key}/comment/{id}", "issue/{key}/comment/{doomed_comment}", 404, ERR),
        // Assigning: accountId on Cloud, name on Data Center; null unassigns.
        put("/issue/{key}/assignee", "issue/{key}/assignee", 204, Empty).json(|v| {
            if v.cloud { json!({"accountId": v.get("account_id")}) } else { json!({"name": "admin"}) }
        }),
        put("/issue/{key}/assignee", "issue/{key}/assignee", 204, Empty)
            .json(|v| if v.cloud { json!({"accountId": null}) } else { json!({"name": null}) }),
        put("/issue/{key}/assignee", "issue/{key}/assignee", 400, ERR).json(|_| json!({})),
        // Worklogs: add, list, get, change, delete; then the site-wide lists.
        post("/issue/{key}/worklog", "issue/{key}/worklog?adjustEstimate=new&newEstimate=2d", 201, Op("POST /rest/api/3/issue/{issueIdOrKey}/worklog 201"))
            .json(|v| json!({"timeSpent": "3h 20m", "started": "2024-02-01T09:30:00.000+0000", "comment": v.doc("Worked.")}))
            .then(|v, b| {
                v.assert_doc(&b["comment"], "worklog comment");
                v.set("worklog_id", b["id"].as_str().unwrap());
            }),
        post("/issue/{key}/worklog", "issue/{key}/worklog", 400, ERR).json(|_| json!({"timeSpent": "a while"})),
        get("/issue/{key}/worklog", "issue/{key}/worklog", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/worklog 200")),
        get("/issue/{key}/worklog", "issue/DEMO-1/worklog?maxResults=1", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/worklog 200")),
        get("/issue/{key}/worklog/{id}", "issue/{key}/worklog/{worklog_id}", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/worklog/{id} 200")),
        put("/issue/{key}/worklog/{id}", "issue/{key}/worklog/{worklog_id}", 200, Op("PUT /rest/api/3/issue/{issueIdOrKey}/worklog/{id} 200"))
            .json(|_| json!({"timeSpentSeconds": 7200})),
        get("/issue/{key}", "issue/{key}?fields=worklog,timetracking,timespent,timeestimate,priority,watches", 200, Op("GET /rest/api/3/issue/{issueIdOrKey} 200"))
            .then(|_, b| assert_eq!(b["fields"]["timetracking"]["remainingEstimateSeconds"], 16 * 3600 + 12_000 - 7200, "{b}")),
        delete("/issue/{key}/worklog/{id}", "issue/{key}/worklog/{worklog_id}?adjustEstimate=leave", 204, Empty),
        get("/issue/{key}/worklog/{id}", "issue/{key}/worklog/{worklog_id}", 404, ERR),
        get("/worklog/updated", "worklog/updated?since=0", 200, Op("GET /rest/api/3/worklog/updated 200"))
            .then(|v, b| v.set("old_worklog", &b["values"][0]["worklogId"])),
        get("/worklog/deleted", "worklog/deleted", 200, Op("GET /rest/api/3/worklog/deleted 200")),
        post("/worklog/list", "worklog/list", 200, Op("POST /rest/api/3/worklog/list 200"))
            .json(|v| json!({"ids": [v.get("old_worklog").parse::<u64>().unwrap()]}))
            .then(|_, b| assert_eq!(b.as_array().map(Vec::len), Some(1), "{b}")),
        // Watchers: the body of an add is a bare JSON string.
        post("/issue/{key}/watchers", "issue/{key}/watchers", 204, Empty)
            .json(|v| if v.cloud { json!(v.get("account_id")) } else { json!("admin") }),
        get("/issue/{key}/watchers", "issue/{key}/watchers", 200, Op("GET /rest/api/3/issue/{issueIdOrKey}/watchers 200"))
            .then(|_, b| assert_eq!(b["isWatching"], true, "{b}")),
        delete("/issue/{key}/watchers", "issue/{key}/watchers?{watcher_q}", 204, Empty),
        delete("/issue/{key}/watchers", "issue/{key}/watchers", 400, ERR),
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
    ]);
    all
}

pub(super) fn walk_link(_: &Vars) -> Value {
    json!({"globalId": "tether:flag:walk", "application": {"type": "dev.tether", "name": "tether"}, "relationship": "controlled by",
           "object": {"url": "https://tether.test/flags/walk", "title": "walk", "summary": "on", "icon": {"url16x16": "https://tether.test/i.png", "title": "flag"},
                      "status": {"resolved": false, "icon": {"url16x16": "https://tether.test/s.png", "title": "on"}}}})
}

/// The dynamic webhook the walk registered (Data Center, which has none, is asked for id 1).
pub(super) fn webhook_ids(v: &Vars) -> Value {
    let id: u64 = v.map.get("webhook_id").map_or(1, |id| id.parse().unwrap());
    json!({"webhookIds": [id]})
}
