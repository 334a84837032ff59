//! A real export served back as Jira served it: a German Cloud site's issues, with the site's
//! statuses (two named "Erledigt", in different categories), localized issue types (a
//! sub-task, an epic), fields, users, boards and sprints in files beside them. Every field,
//! id and changelog item comes back as given; JQL finds issues by what the export says.

use std::path::PathBuf;

use jira_sandbox::{Sandbox, SandboxConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{self, Auth};

fn status(id: &str, name: &str, category: &str) -> Value {
    json!({"self": format!("https://ki.atlassian.net/rest/api/3/status/{id}"), "id": id, "name": name,
           "description": "", "iconUrl": "https://ki.atlassian.net/images/icons/statuses/generic.png",
           "statusCategory": {"self": "https://ki.atlassian.net/rest/api/3/statuscategory/3", "id": 3, "key": category, "colorName": "green", "name": category}})
}

fn issue_type(id: &str, name: &str, subtask: bool, level: i64) -> Value {
    json!({"self": format!("https://ki.atlassian.net/rest/api/3/issuetype/{id}"), "id": id, "name": name,
           "description": "", "iconUrl": "https://ki.atlassian.net/icon.svg", "subtask": subtask, "avatarId": 10318,
           "entityId": "1d3c1a3e-aa99-4d7b-9a1d-2f5a7c3c2a11", "hierarchyLevel": level})
}

fn person(id: &str, name: &str) -> Value {
    json!({"self": format!("https://ki.atlassian.net/rest/api/3/user?accountId={id}"), "accountId": id,
           "avatarUrls": {"48x48": "https://avatar.test/48.png"}, "displayName": name, "active": true,
           "timeZone": "Europe/Berlin", "accountType": "atlassian"})
}

fn adf(text: &str) -> Value {
    json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]})
}

fn issues() -> Value {
    let anna = person("5b10a2844c20165700ede21g", "Anna Schmidt");
    let project = json!({"self": "https://ki.atlassian.net/rest/api/3/project/10010", "id": "10010", "key": "KI",
                         "name": "Kundeninfo", "projectTypeKey": "software", "simplified": false});
    let common = |summary: &str, it: Value, st: Value| {
        json!({"summary": summary, "issuetype": it, "status": st, "project": project, "reporter": anna, "creator": anna,
               "assignee": null, "labels": [], "created": "2024-03-01T09:15:00.000+0100", "updated": "2024-03-05T17:00:00.000+0100",
               "priority": {"self": "https://ki.atlassian.net/rest/api/3/priority/3", "iconUrl": "https://ki.atlassian.net/medium.svg", "name": "Mittel", "id": "3"}})
    };
    let mut epic = common(
        "Kundenportal",
        issue_type("10000", "Epos", false, 1),
        status("10000", "Offen", "new"),
    );
    epic["customfield_10200"] = json!("Plattform");
    let mut task = common(
        "Login reparieren",
        issue_type("10002", "Aufgabe", false, 0),
        status("10001", "Erledigt", "done"),
    );
    task["priority"] = json!({"self": "https://ki.atlassian.net/rest/api/3/priority/2", "iconUrl": "https://ki.atlassian.net/high.svg", "name": "Hoch", "id": "2"});
    task["resolution"] = json!({"self": "https://ki.atlassian.net/rest/api/3/resolution/10000", "id": "10000", "description": "Fertig.", "name": "Fertig"});
    task["resolutiondate"] = json!("2024-03-05T17:00:00.000+0100");
    task["fixVersions"] = json!([{"self": "https://ki.atlassian.net/rest/api/3/version/10400", "id": "10400", "name": "2.1", "archived": false, "released": true, "releaseDate": "2024-03-31"}]);
    task["customfield_10200"] = json!("Plattform");
    task["customfield_10007"] = json!([{"id": 5, "name": "KI Sprint 5", "state": "active", "boardId": 3, "goal": "", "startDate": "2024-03-04T08:00:00.000Z", "endDate": "2024-03-18T08:00:00.000Z"}]);
    task["parent"] = json!({"id": "20000", "key": "KI-1", "fields": {"summary": "Kundenportal"}});
    task["description"] = adf("Anmeldung schlägt fehl.");
    task["comment"] = json!({"comments": [{"id": "30001", "author": anna, "updateAuthor": anna, "body": adf("Erledigt."),
                                           "created": "2024-03-05T16:00:00.000+0100", "updated": "2024-03-05T16:00:00.000+0100"}],
                             "maxResults": 1, "total": 1, "startAt": 0});
    task["worklog"] = json!({"worklogs": [{"id": "20001", "issueId": "20001", "author": anna, "updateAuthor": anna,
                                           "started": "2024-03-04T09:00:00.000+0100", "timeSpent": "3h", "timeSpentSeconds": 10800,
                                           "created": "2024-03-04T12:00:00.000+0100", "updated": "2024-03-04T12:00:00.000+0100"}],
                             "maxResults": 20, "total": 1, "startAt": 0});
    let mut sub = common(
        "Test schreiben",
        issue_type("10003", "Unteraufgabe", true, -1),
        status("10050", "Erledigt", "indeterminate"),
    );
    sub["parent"] = json!({"id": "20001", "key": "KI-2"});
    sub["customfield_10007"] = json!([
        "com.atlassian.greenhopper.service.sprint.Sprint@3a1c[id=4,rapidViewId=3,state=CLOSED,name=KI Sprint 4, mit Komma,startDate=2024-02-19T08:00:00.000Z,endDate=2024-03-04T08:00:00.000Z,completeDate=2024-03-04T09:00:00.000Z,activatedDate=<null>,sequence=4,goal=,autoStartStop=false]"
    ]);
    let history = json!([{"id": "40001", "author": anna, "created": "2024-03-05T17:00:00.000+0100", "items": [
        {"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "10000", "fromString": "Offen", "to": "10001", "toString": "Erledigt"},
        {"field": "Team", "fieldtype": "custom", "fieldId": "customfield_10200", "from": null, "fromString": null, "to": null, "toString": "Plattform"}]}]);
    json!({"issues": [
        {"id": "20000", "key": "KI-1", "fields": epic},
        {"id": "20001", "key": "KI-2", "fields": task, "changelog": {"startAt": 0, "maxResults": 1, "total": 1, "histories": history}},
        {"id": "20002", "key": "KI-3", "fields": sub},
    ]})
}

/// The export as files in a fresh directory: `issues.json` and the site's lists beside it.
fn write_export(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("jira-sandbox-export-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files = [
        ("issues.json", issues()),
        (
            "statuses.json",
            json!([
                status("10000", "Offen", "new"),
                status("10001", "Erledigt", "done"),
                status("10050", "Erledigt", "indeterminate")
            ]),
        ),
        (
            "issuetypes.json",
            json!([
                issue_type("10000", "Epos", false, 1),
                issue_type("10002", "Aufgabe", false, 0),
                issue_type("10003", "Unteraufgabe", true, -1)
            ]),
        ),
        (
            "fields.json",
            json!([
            {"id": "summary", "key": "summary", "name": "Zusammenfassung", "custom": false, "schema": {"type": "string", "system": "summary"}},
            {"id": "customfield_10007", "key": "customfield_10007", "name": "Sprint", "custom": true,
             "schema": {"type": "array", "items": "json", "custom": "com.pyxis.greenhopper.jira:gh-sprint", "customId": 10007}},
            {"id": "customfield_10200", "key": "customfield_10200", "name": "Team", "custom": true,
             "schema": {"type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield", "customId": 10200}}]),
        ),
        (
            "users.json",
            json!([
                person("5b10a2844c20165700ede21g", "Anna Schmidt"),
                person("5b10ac8d82e05b22cc7d4ef5", "Bernd Weber")
            ]),
        ),
        (
            "boards.json",
            json!({"values": [{"id": 3, "name": "KI Board", "type": "scrum", "location": {"projectKey": "KI"}}]}),
        ),
        (
            "sprints.json",
            json!([{"id": 6, "name": "KI Sprint 6", "state": "future", "originBoardId": 3}]),
        ),
    ];
    for (file, json) in files {
        std::fs::write(dir.join(file), serde_json::to_string_pretty(&json).unwrap()).unwrap();
    }
    dir
}

#[tokio::test]
async fn an_export_is_served_back_as_given() {
    let dir = write_export("served");
    let srv = support::cloud().await;
    let report = srv.sandbox.load_export_file(&dir.join("issues.json")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!((report.issues, report.comments, report.worklogs, report.histories), (3, 1, 1, 1));
    assert_eq!((report.files.len(), report.boards_added, report.sprints_added), (7, 1, 3));
    assert_eq!(report.users_added, 2, "Bernd comes from users.json only");

    let given = issues();
    for (n, issue) in given["issues"].as_array().unwrap().iter().enumerate() {
        let key = issue["key"].as_str().unwrap();
        let r = srv.get(&format!("/rest/api/3/issue/{key}?expand=changelog")).await;
        assert_eq!(
            (r.body["id"].as_str(), r.body["key"].as_str()),
            (issue["id"].as_str(), Some(key))
        );
        for (field, value) in issue["fields"].as_object().unwrap() {
            if ["comment", "worklog"].contains(&field.as_str()) {
                continue;
            }
            assert_eq!(&r.body["fields"][field], value, "{key} {field}");
        }
        if n == 1 {
            // Every item as given; the time keeps its instant (answered in UTC).
            let mut histories = issue["changelog"]["histories"].clone();
            histories[0]["created"] = json!("2024-03-05T16:00:00.000+0000");
            assert_eq!(r.body["changelog"]["histories"], histories);
            let c = &r.body["fields"]["comment"]["comments"][0];
            assert_eq!(
                (c["id"].as_str(), &c["body"]),
                (Some("30001"), &issue["fields"]["comment"]["comments"][0]["body"])
            );
            let w = srv.get(&format!("/rest/api/3/issue/{key}/worklog/20001")).await;
            assert_eq!(
                (w.body["timeSpentSeconds"].as_u64(), w.body["started"].as_str()),
                (Some(10800), Some("2024-03-04T08:00:00.000+0000"))
            );
        }
    }
    // The site's lists: statuses (both "Erledigt"), issue types, fields, as given.
    let statuses = srv.get("/rest/api/3/status").await.body;
    let erledigt: Vec<&Value> =
        statuses.as_array().unwrap().iter().filter(|s| s["name"] == "Erledigt").collect();
    assert_eq!(erledigt.len(), 2);
    let fields = srv.get("/rest/api/3/field").await.body;
    assert_eq!(fields.as_array().map(Vec::len), Some(3));
    assert_eq!(
        srv.get("/rest/api/3/issuetype/10003").await.body,
        issue_type("10003", "Unteraufgabe", true, -1)
    );
    let boards = srv.get("/rest/agile/1.0/board").await.body;
    assert!(
        boards["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["id"] == 3 && b["name"] == "KI Board"),
        "{boards}"
    );

    // JQL by what the export says.
    let cases = [
        ("project = KI AND status = Erledigt ORDER BY key", vec!["KI-2", "KI-3"]),
        ("project = KI AND statusCategory = Done", vec!["KI-2"]),
        ("project = KI AND issuetype = Unteraufgabe", vec!["KI-3"]),
        ("project = KI AND issuetype in subTaskIssueTypes()", vec!["KI-3"]),
        ("project = KI AND priority = Hoch", vec!["KI-2"]),
        ("project = KI AND sprint in openSprints()", vec!["KI-2"]),
        ("project = KI AND sprint in closedSprints()", vec!["KI-3"]),
        ("project = KI AND sprint = \"KI Sprint 4, mit Komma\"", vec!["KI-3"]),
        ("project = KI AND fixVersion = \"2.1\"", vec!["KI-2"]),
        ("project = KI AND parent = KI-2", vec!["KI-3"]),
        ("project = KI AND \"Epic Link\" = KI-1", vec!["KI-2"]),
        ("project = KI AND resolution = Fertig", vec!["KI-2"]),
    ];
    for (jql, want) in cases {
        let r =
            srv.post("/rest/api/3/search/jql", json!({"jql": jql, "fields": ["summary"]})).await;
        let got: Vec<&str> = r.body["issues"]
            .as_array()
            .unwrap_or_else(|| panic!("{jql}: {:?}", r.body))
            .iter()
            .map(|i| i["key"].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "{jql}");
    }
}

#[tokio::test]
async fn what_changes_after_the_import_comes_from_the_model() {
    let srv = support::cloud().await;
    let given = issues();
    let r = srv.call_as(Auth::None, Method::POST, "/_sandbox/load", Some(given.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = srv
        .put(
            "/rest/api/3/issue/KI-1",
            json!({"fields": {"summary": "Portal", "priority": {"id": "2"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let got = srv.get("/rest/api/3/issue/KI-1").await.body;
    let raw = &given["issues"][0]["fields"];
    assert_eq!(got["fields"]["summary"], "Portal");
    assert_eq!(got["fields"]["priority"]["name"], "Hoch", "the export's priority list");
    assert_ne!(got["fields"]["updated"], raw["updated"]);
    // Untouched fields stay as given.
    for f in ["status", "issuetype", "customfield_10200", "creator", "created"] {
        assert_eq!(got["fields"][f], raw[f], "{f}");
    }
}

#[test]
fn a_missing_or_broken_file_is_named() {
    let sb = Sandbox::new(SandboxConfig::default()).unwrap();
    let dir = write_export("broken");
    std::fs::write(dir.join("sprints.json"), "{ not json").unwrap();
    let err = sb.load_export_file(&dir.join("issues.json")).unwrap_err().to_string();
    assert!(err.contains("sprints.json") && err.contains("not JSON"), "{err}");
    std::fs::write(dir.join("sprints.json"), "42").unwrap();
    let err = sb.load_export_file(&dir.join("issues.json")).unwrap_err().to_string();
    assert!(err.contains("sprints.json") && err.contains("an array"), "{err}");
    let err = sb.load_export_file(&dir.join("nope.json")).unwrap_err().to_string();
    assert!(err.contains("nope.json") && err.contains("cannot read"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(sb.issue_count(), 0, "all or nothing");
}

/// An imported issue moved into a sprint answered its export's sprint field, without the new
/// sprint; its untouched neighbour still answers the export's value as given.
#[tokio::test]
async fn an_imported_issue_moved_into_a_sprint_answers_its_new_sprints() {
    let dir = write_export("sprint-move");
    let srv = support::cloud().await;
    srv.sandbox.load_export_file(&dir.join("issues.json")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let r = srv.post("/rest/agile/1.0/sprint/6/issue", json!({"issues": ["KI-3"]})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let field = &srv.get("/rest/api/3/issue/KI-3").await.body["fields"]["customfield_10007"];
    let names: Vec<&str> =
        field.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["KI Sprint 4, mit Komma", "KI Sprint 6"], "{field}");
    let given = issues();
    let ki2 = srv.get("/rest/api/3/issue/KI-2").await.body;
    assert_eq!(
        ki2["fields"]["customfield_10007"],
        given["issues"][1]["fields"]["customfield_10007"]
    );
}
