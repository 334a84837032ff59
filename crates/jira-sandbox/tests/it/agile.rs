//! Agile API: boards, sprints (400 on Kanban boards), sprint issues and the sprint field.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{self, Server, jira_error};

async fn seeded() -> Vec<(&'static str, Server)> {
    let cloud = support::cloud().await;
    let dc = support::dc().await;
    for s in [&cloud, &dc] {
        s.sandbox.seed_issues(400, 7);
    }
    vec![("cloud", cloud), ("dc", dc)]
}

fn board_id(srv_boards: &Value, name: &str) -> u64 {
    srv_boards["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == name)
        .unwrap_or_else(|| panic!("no board {name}: {srv_boards}"))["id"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn boards_are_paged_and_filtered() {
    for (flavour, srv) in seeded().await {
        // (query, total, names on the page)
        let cases: &[(&str, usize, &[&str])] = &[
            ("", 4, &["SAND board", "DEMO board", "WEB board", "WEB kanban"]),
            ("?type=kanban", 1, &["WEB kanban"]),
            ("?type=scrum", 3, &["SAND board", "DEMO board", "WEB board"]),
            ("?projectKeyOrId=WEB", 2, &["WEB board", "WEB kanban"]),
            ("?projectKeyOrId=WEB&type=scrum", 1, &["WEB board"]),
            ("?maxResults=2", 4, &["SAND board", "DEMO board"]),
            ("?startAt=3&maxResults=2", 4, &["WEB kanban"]),
            ("?name=kan", 1, &["WEB kanban"]),
        ];
        for (query, total, names) in cases {
            let r = srv.get(&format!("/rest/agile/1.0/board{query}")).await;
            assert_eq!(r.status, StatusCode::OK, "{flavour} {query}: {:?}", r.body);
            assert_eq!(r.body["total"], *total as u64, "{flavour} {query}");
            let got: Vec<&str> = r.body["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["name"].as_str().unwrap())
                .collect();
            assert_eq!(got, *names, "{flavour} {query}");
            let is_last = r.body["startAt"].as_u64().unwrap() as usize + got.len() >= *total;
            assert_eq!(r.body["isLast"], is_last, "{flavour} {query}");
        }
        let r = srv.get("/rest/agile/1.0/board").await;
        let first = &r.body["values"][0];
        assert_eq!(first["type"], "scrum");
        assert_eq!(first["location"]["projectKey"], "SAND");
        assert!(
            first["self"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/rest/agile/1.0/board/{}", first["id"]))
        );
        for bad in ["?projectKeyOrId=NOPE", "?type=weird"] {
            let r = srv.get(&format!("/rest/agile/1.0/board{bad}")).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{flavour} {bad}");
            jira_error(&r);
        }
    }
}

#[tokio::test]
async fn sprints_of_boards() {
    for (flavour, srv) in seeded().await {
        let boards = srv.get("/rest/agile/1.0/board").await.body;
        let demo = board_id(&boards, "DEMO board");
        let kanban = board_id(&boards, "WEB kanban");

        let r = srv.get(&format!("/rest/agile/1.0/board/{kanban}/sprint")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{flavour}");
        assert_eq!(jira_error(&r), "The board does not support sprints");
        let r = srv.get("/rest/agile/1.0/board/999/sprint").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{flavour}");

        let all = srv.get(&format!("/rest/agile/1.0/board/{demo}/sprint?maxResults=50")).await;
        assert_eq!(all.status, StatusCode::OK, "{flavour}: {:?}", all.body);
        let sprints = all.body["values"].as_array().unwrap();
        let states: Vec<&str> = sprints.iter().map(|s| s["state"].as_str().unwrap()).collect();
        // Closed first, then the one active sprint, then the future one.
        let active = states.iter().position(|s| *s == "active").expect("an active sprint");
        assert!(states[..active].iter().all(|s| *s == "closed"), "{flavour} {states:?}");
        assert_eq!(&states[active + 1..], ["future"], "{flavour}");
        assert!(active >= 2, "{flavour}: a year of two-week sprints, got {states:?}");
        let closed = &sprints[0];
        for k in ["startDate", "endDate", "completeDate"] {
            assert!(closed[k].as_str().is_some_and(|d| d.ends_with('Z')), "{flavour} {k}");
        }
        assert_eq!(closed["originBoardId"], demo);
        assert!(sprints[active + 1].get("startDate").is_none(), "future sprints have no dates");

        // (state filter, how many)
        let cases = [
            ("active", 1),
            ("future", 1),
            ("closed", active),
            ("active,future", 2),
            ("closed,active,future", sprints.len()),
        ];
        for (state, n) in cases {
            let r = srv.get(&format!("/rest/agile/1.0/board/{demo}/sprint?state={state}")).await;
            assert_eq!(r.body["total"], n as u64, "{flavour} {state}");
        }
        let page =
            srv.get(&format!("/rest/agile/1.0/board/{demo}/sprint?startAt=1&maxResults=1")).await;
        assert_eq!(page.body["values"][0]["id"], sprints[1]["id"]);
        assert_eq!(page.body["isLast"], false);
        let r = srv.get(&format!("/rest/agile/1.0/board/{demo}/sprint?state=open")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn sprint_issues_and_the_sprint_field() {
    for (flavour, srv) in seeded().await {
        let boards = srv.get("/rest/agile/1.0/board").await.body;
        let demo = board_id(&boards, "DEMO board");
        let active = srv.get(&format!("/rest/agile/1.0/board/{demo}/sprint?state=active")).await;
        let sprint_id = active.body["values"][0]["id"].as_u64().unwrap();
        let r = srv.get(&format!("/rest/agile/1.0/sprint/{sprint_id}")).await;
        assert_eq!(r.body["state"], "active", "{flavour}");

        let r = srv.get(&format!("/rest/agile/1.0/sprint/{sprint_id}/issue?maxResults=100")).await;
        assert_eq!(r.status, StatusCode::OK, "{flavour}: {:?}", r.body);
        let total = r.body["total"].as_u64().unwrap();
        assert!(total > 0, "{flavour}: the active sprint has issues");
        let issues = r.body["issues"].as_array().unwrap();
        assert_eq!(issues.len() as u64, total.min(100));
        for issue in issues {
            let key = issue["key"].as_str().unwrap();
            assert!(key.starts_with("DEMO-"), "{key}");
            assert_eq!(issue["fields"]["sprint"]["id"], sprint_id, "{flavour} {key}");
            assert!(issue["fields"]["closedSprints"].is_array());
            assert!(issue["self"].as_str().unwrap().contains("/rest/agile/1.0/issue/"));
            // The same sprint through the platform API's custom field.
            let api = format!("/rest/api/2/issue/{key}?fields=customfield_10020");
            let field = srv.get(&api).await.body["fields"]["customfield_10020"].clone();
            let values = field.as_array().unwrap_or_else(|| panic!("{flavour} {key}: {field}"));
            let found = values.iter().any(|v| {
                if flavour == "cloud" {
                    v["id"] == sprint_id && v["state"] == "active" && v["boardId"] == demo
                } else {
                    let s = v.as_str().unwrap();
                    s.starts_with("com.atlassian.greenhopper.service.sprint.Sprint@")
                        && s.contains(&format!("[id={sprint_id},rapidViewId={demo},state=ACTIVE,"))
                }
            });
            assert!(found, "{flavour} {key}: {field}");
        }
        // Paging, a JQL filter, a field selection.
        let page = srv
            .get(&format!("/rest/agile/1.0/sprint/{sprint_id}/issue?startAt=1&maxResults=1"))
            .await;
        assert_eq!(page.body["issues"][0]["key"], issues[1]["key"]);
        let jql =
            format!("/rest/agile/1.0/sprint/{sprint_id}/issue?jql=statusCategory%20%3D%20Done");
        let done = srv.get(&jql).await;
        assert!(done.body["total"].as_u64().unwrap() <= total);
        for i in done.body["issues"].as_array().unwrap() {
            assert_eq!(i["fields"]["status"]["statusCategory"]["key"], "done");
        }
        let slim =
            srv.get(&format!("/rest/agile/1.0/sprint/{sprint_id}/issue?fields=summary")).await;
        let fields = slim.body["issues"][0]["fields"].as_object().unwrap();
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["summary"], "{flavour}");
        let r = srv.get("/rest/agile/1.0/sprint/99999/issue").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        jira_error(&r);
        // An issue outside any sprint (created through the API) has a null sprint field.
        let key = srv.create(2, "No sprint").await;
        let r = srv.get(&format!("/rest/api/2/issue/{key}")).await;
        assert!(r.body["fields"]["customfield_10020"].is_null(), "{flavour}");
    }
}

#[tokio::test]
async fn issues_are_moved_to_an_open_sprint_with_a_sprint_changelog_item() {
    for (flavour, srv) in seeded().await {
        let boards = srv.get("/rest/agile/1.0/board").await.body;
        let demo = board_id(&boards, "DEMO board");
        let sprints = srv.get(&format!("/rest/agile/1.0/board/{demo}/sprint?maxResults=50")).await;
        let of = |state: &str| {
            sprints.body["values"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["state"] == state)
                .map(|s| (s["id"].as_u64().unwrap(), s["name"].as_str().unwrap().to_owned()))
                .unwrap_or_else(|| panic!("{flavour}: no {state} sprint"))
        };
        let (closed, _) = of("closed");
        let (future, future_name) = of("future");
        let key = srv.create(2, "Into the next sprint").await;
        let path = |id: u64| format!("/rest/agile/1.0/sprint/{id}/issue");
        // (sprint, body, status)
        let many: Vec<String> = (0..51).map(|_| key.clone()).collect();
        let cases = [
            (closed, serde_json::json!({"issues": [key]}), StatusCode::BAD_REQUEST),
            (future, serde_json::json!({"issues": []}), StatusCode::BAD_REQUEST),
            (future, serde_json::json!({"issues": many}), StatusCode::BAD_REQUEST),
            (future, serde_json::json!({"issues": ["DEMO-99999"]}), StatusCode::NOT_FOUND),
            (99_999, serde_json::json!({"issues": [key]}), StatusCode::NOT_FOUND),
            (future, serde_json::json!({"issues": [key]}), StatusCode::NO_CONTENT),
        ];
        for (sprint, body, want) in cases {
            let r = srv.post(&path(sprint), body.clone()).await;
            assert_eq!(r.status, want, "{flavour} {sprint} {body}: {:?}", r.body);
        }
        let r = srv.get(&format!("{}?maxResults=100", path(future))).await;
        let keys: Vec<&str> = r.body["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["key"].as_str().unwrap())
            .collect();
        assert!(keys.contains(&key.as_str()), "{flavour}: {keys:?}");
        let r = srv.get(&format!("/rest/api/2/issue/{key}?expand=changelog")).await;
        let items = &r.body["changelog"]["histories"].as_array().unwrap().last().unwrap()["items"];
        assert_eq!(items[0]["field"], "Sprint", "{flavour}: {items}");
        assert_eq!(items[0]["fieldtype"], "custom", "{flavour}: {items}");
        assert_eq!(items[0]["to"], future.to_string(), "{flavour}: {items}");
        assert_eq!(items[0]["toString"], future_name.as_str(), "{flavour}: {items}");
    }
}
