//! What people do to an issue besides editing it: comments changed and deleted, assigning,
//! watching; and the site's issue types and priorities. Both flavours, as each names users.

use jira_sandbox::{PermissionDenial, SandboxConfig, UserSpec};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{self, Auth, Server, jira_error};

/// How the flavour names a user in a body: `{"accountId"}` on Cloud, `{"name"}` on DC.
async fn user_ref(srv: &Server, name: &str) -> (String, Value) {
    let cloud = srv.sandbox.flavour().is_cloud();
    let q = if cloud { "query" } else { "username" };
    let r = srv.get(&format!("/rest/api/2/user/search?{q}={name}")).await;
    let u = &r.body[0];
    if cloud {
        let id = u["accountId"].as_str().unwrap().to_owned();
        (id.clone(), json!({"accountId": id}))
    } else {
        (name.to_owned(), json!({"name": name}))
    }
}

fn with_bob() -> Vec<UserSpec> {
    let mut bob = UserSpec::named("bob", "Bob Brown");
    bob.api_token = Some("bob-token".into());
    bob.password = Some("bob-pw".into());
    vec![UserSpec::admin(), bob]
}

fn bob(cloud: bool) -> Auth {
    if cloud { Auth::Basic("bob@sandbox.test", "bob-token") } else { Auth::Basic("bob", "bob-pw") }
}

#[tokio::test]
async fn comments_are_edited_and_deleted_by_whoever_may() {
    for flavour in [jira_sandbox::Flavour::Cloud, jira_sandbox::Flavour::data_center("9.12.0")] {
        let cloud = flavour.is_cloud();
        let config = SandboxConfig {
            users: with_bob(),
            denied_permissions: vec![PermissionDenial {
                user: "bob".into(),
                project: None,
                permission: "EDIT_ALL_COMMENTS".into(),
            }],
            ..SandboxConfig::with_flavour(flavour)
        };
        let srv = support::start(config).await;
        let key = srv.create(2, "Talk").await;
        let path = format!("/rest/api/2/issue/{key}/comment");
        let id =
            srv.post(&path, json!({"body": "first"})).await.body["id"].as_str().unwrap().to_owned();
        let one = format!("{path}/{id}");

        let r = srv.put(&one, json!({"body": "first, edited"})).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(
            (r.body["id"].as_str(), r.body["body"].as_str()),
            (Some(id.as_str()), Some("first, edited"))
        );
        assert_eq!(srv.get(&one).await.body["body"], "first, edited");
        // Through v3 (Cloud) the same comment reads back as ADF.
        if cloud {
            let v3 = srv.get(&format!("/rest/api/3/issue/{key}/comment/{id}")).await;
            assert_eq!(v3.body["body"]["type"], "doc");
        }

        let cases: &[(Auth, Method, Option<Value>, u16, &str)] = &[
            (
                Auth::Default,
                Method::PUT,
                Some(json!({"body": ""})),
                400,
                "comment: Comment body can not be empty!",
            ),
            (
                bob(cloud),
                Method::PUT,
                Some(json!({"body": "bob was here"})),
                400,
                "You do not have the permission to edit this comment.",
            ),
            (
                Auth::Default,
                Method::PUT,
                Some(json!({"body": 3})),
                400,
                "comment: Operation value must be a string",
            ),
        ];
        for (auth, method, body, status, want) in cases {
            let r = srv.call_as(auth.clone(), method.clone(), &one, body.clone()).await;
            assert_eq!((r.status.as_u16(), jira_error(&r).as_str()), (*status, *want), "{body:?}");
        }
        assert_eq!(
            srv.put(&format!("{path}/424242"), json!({"body": "x"})).await.status,
            StatusCode::NOT_FOUND
        );

        // Bob may edit his own comment (EDIT_OWN_COMMENTS), and the update author is him.
        let r = srv.call_as(bob(cloud), Method::POST, &path, Some(json!({"body": "mine"}))).await;
        let bobs = format!("{path}/{}", r.body["id"].as_str().unwrap());
        let r = srv
            .call_as(bob(cloud), Method::PUT, &bobs, Some(json!({"body": "mine, edited"})))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["updateAuthor"]["displayName"], "Bob Brown");

        assert_eq!(srv.delete(&one).await.status, StatusCode::NO_CONTENT);
        assert_eq!(srv.get(&one).await.status, StatusCode::NOT_FOUND);
        assert_eq!(srv.delete(&one).await.status, StatusCode::NOT_FOUND);
        let left: Vec<String> =
            srv.sandbox.comments(Some(&key)).into_iter().map(|c| c.body_text).collect();
        assert_eq!(left, ["mine, edited"]);
    }
}

#[tokio::test]
async fn issues_are_assigned_and_unassigned() {
    for srv in [
        support::start(SandboxConfig { users: with_bob(), ..SandboxConfig::default() }).await,
        support::start(SandboxConfig {
            users: with_bob(),
            ..SandboxConfig::with_flavour(jira_sandbox::Flavour::data_center("9.12.0"))
        })
        .await,
    ] {
        let cloud = srv.sandbox.flavour().is_cloud();
        let key = srv.create(2, "Who does it").await;
        let path = format!("/rest/api/latest/issue/{key}/assignee");
        let (_, bob_ref) = user_ref(&srv, "bob").await;
        assert_eq!(srv.put(&path, bob_ref).await.status, StatusCode::NO_CONTENT);
        assert_eq!(srv.sandbox.issue(&key).unwrap().assignee.as_deref(), Some("bob"));
        let null = if cloud { json!({"accountId": null}) } else { json!({"name": null}) };
        assert_eq!(srv.put(&path, null).await.status, StatusCode::NO_CONTENT);
        assert_eq!(srv.sandbox.issue(&key).unwrap().assignee, None);
        let r = srv.get(&format!("/rest/api/2/issue/{key}?expand=changelog")).await;
        let h = r.body["changelog"]["histories"].as_array().unwrap();
        let moves: Vec<(&Value, &Value)> =
            h.iter().map(|h| (&h["items"][0]["fromString"], &h["items"][0]["toString"])).collect();
        assert_eq!(
            moves,
            [(&Value::Null, &json!("Bob Brown")), (&json!("Bob Brown"), &Value::Null)]
        );

        let wrong = if cloud { json!({"name": "bob"}) } else { json!({"accountId": "x"}) };
        let nobody = if cloud { json!({"accountId": "nobody"}) } else { json!({"name": "nobody"}) };
        let want_missing =
            if cloud { "accountId is required." } else { "name or key is required." };
        for (body, want) in [(wrong, want_missing), (nobody, "User 'nobody' does not exist.")] {
            let r = srv.put(&path, body.clone()).await;
            assert_eq!(
                (r.status, jira_error(&r).as_str()),
                (StatusCode::BAD_REQUEST, want),
                "{body}"
            );
        }
        assert_eq!(
            srv.put("/rest/api/2/issue/SAND-999/assignee", json!({})).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn watchers_are_listed_added_and_removed() {
    for flavour in [jira_sandbox::Flavour::Cloud, jira_sandbox::Flavour::data_center("9.12.0")] {
        let cloud = flavour.is_cloud();
        let config = SandboxConfig {
            users: with_bob(),
            denied_permissions: vec![PermissionDenial {
                user: "bob".into(),
                project: None,
                permission: "MANAGE_WATCHERS".into(),
            }],
            ..SandboxConfig::with_flavour(flavour)
        };
        let srv = support::start(config).await;
        let key = srv.create(2, "Watch me").await;
        let path = format!("/rest/api/2/issue/{key}/watchers");
        let names = |b: &Value| -> Vec<String> {
            b["watchers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["displayName"].as_str().unwrap().to_owned())
                .collect()
        };
        // The creator watches what they create.
        let r = srv.get(&path).await;
        assert_eq!(
            (names(&r.body), r.body["watchCount"].as_u64(), r.body["isWatching"].as_bool()),
            (vec!["Sandbox Admin".to_owned()], Some(1), Some(true))
        );

        let (bob_id, _) = user_ref(&srv, "bob").await;
        // The body is a bare JSON string.
        assert_eq!(srv.post(&path, json!(bob_id)).await.status, StatusCode::NO_CONTENT);
        assert_eq!(
            srv.post(&path, json!(bob_id)).await.status,
            StatusCode::NO_CONTENT,
            "twice is once"
        );
        assert_eq!(names(&srv.get(&path).await.body), ["Sandbox Admin", "Bob Brown"]);
        let r = srv.get(&format!("/rest/api/2/issue/{key}?fields=watches")).await;
        assert_eq!(r.body["fields"]["watches"]["watchCount"], 2);

        let param = if cloud { "accountId" } else { "username" };
        let (admin_id, _) = user_ref(&srv, "admin").await;
        let cases: &[(Auth, Method, String, Option<Value>, u16)] = &[
            (Auth::Default, Method::POST, path.clone(), Some(json!("nobody")), 404),
            (Auth::Default, Method::POST, path.clone(), Some(json!({"accountId": "x"})), 400),
            (Auth::Default, Method::DELETE, path.clone(), None, 400),
            // Bob may not manage other people's watching, only his own.
            (bob(cloud), Method::DELETE, format!("{path}?{param}={admin_id}"), None, 403),
            (bob(cloud), Method::DELETE, format!("{path}?{param}={bob_id}"), None, 204),
            (bob(cloud), Method::POST, path.clone(), None, 204),
        ];
        for (auth, method, url, body, status) in cases {
            let r = srv.call_as(auth.clone(), method.clone(), url, body.clone()).await;
            assert_eq!(r.status.as_u16(), *status, "{method} {url} {body:?}: {:?}", r.body);
        }
        assert_eq!(names(&srv.get(&path).await.body), ["Sandbox Admin", "Bob Brown"]);
        let r = srv.delete(&format!("{path}?{param}={admin_id}")).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = srv.get(&path).await;
        assert_eq!(
            (names(&r.body), r.body["isWatching"].as_bool()),
            (vec!["Bob Brown".to_owned()], Some(false))
        );
    }
}

#[tokio::test]
async fn issue_types_and_priorities_are_listed_and_read() {
    for srv in [support::cloud().await, support::dc().await] {
        let r = srv.get("/rest/api/2/issuetype").await;
        let types: Vec<(&str, bool)> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap(), t["subtask"].as_bool().unwrap()))
            .collect();
        assert!(
            types.contains(&("Task", false)) && types.contains(&("Sub-task", true)),
            "{types:?}"
        );
        let task = r.body.as_array().unwrap().iter().find(|t| t["name"] == "Task").unwrap();
        let one = srv.get(&format!("/rest/api/2/issuetype/{}", task["id"].as_str().unwrap())).await;
        assert_eq!(&one.body, task);
        assert_eq!(srv.get("/rest/api/2/issuetype/1").await.status, StatusCode::NOT_FOUND);

        let r = srv.get("/rest/api/2/priority").await;
        let names: Vec<&str> =
            r.body.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Highest", "High", "Medium", "Low", "Lowest"]);
        assert_eq!(srv.get("/rest/api/2/priority/2").await.body["name"], "High");
        assert_eq!(srv.get("/rest/api/2/priority/99").await.status, StatusCode::NOT_FOUND);

        // New issues are Medium unless they say otherwise; an edit changes it with a changelog.
        let key = srv.create(2, "Prioritised").await;
        let read = |key: String| {
            let srv = &srv;
            async move {
                srv.get(&format!("/rest/api/2/issue/{key}?fields=priority")).await.body["fields"]["priority"]["name"].clone()
            }
        };
        assert_eq!(read(key.clone()).await, "Medium");
        let r = srv
            .put(&format!("/rest/api/2/issue/{key}"), json!({"fields": {"priority": {"id": "1"}}}))
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        assert_eq!(read(key.clone()).await, "Highest");
        let r = srv.get(&format!("/rest/api/2/issue/{key}?expand=changelog")).await;
        let item = &r.body["changelog"]["histories"][0]["items"][0];
        assert_eq!(
            (&item["field"], &item["fromString"], &item["toString"]),
            (&json!("priority"), &json!("Medium"), &json!("Highest"))
        );
    }
}
