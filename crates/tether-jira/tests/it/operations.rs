//! Issues, comments, remote links, transitions, projects, permissions and bulk fetch.

use jira_sandbox::StatusCategory;
use serde_json::{Map, json};
use tether_jira::{
    Block, Doc, Error, Inline, IssueEdit, NewIssue, RemoteLink, RemoteObject, RemoteStatus, Upsert,
};

use crate::support;

#[tokio::test]
async fn issues_are_created_read_and_edited() {
    for server in support::both().await {
        let client = server.client().await;
        let created = client
            .create_issue(&NewIssue {
                project_key: "SAND".into(),
                issue_type: "Task".into(),
                summary: "Wire the flag".into(),
                description: Some(Doc::text("Details *here*")),
                labels: vec!["tether".into()],
                ..NewIssue::default()
            })
            .await
            .expect("create");
        client
            .edit_issue(
                &created.key,
                &IssueEdit {
                    summary: Some("Wire the flag, again".into()),
                    add_labels: vec!["flags".into()],
                    ..IssueEdit::default()
                },
            )
            .await
            .expect("edit");
        let issue = client.issue(&created.key, &[], &[]).await.expect("get");
        assert_eq!(issue.fields.summary.as_deref(), Some("Wire the flag, again"));
        let mut labels = issue.fields.labels.clone();
        labels.sort();
        assert_eq!(labels, vec!["flags".to_owned(), "tether".to_owned()]);
        let description = issue.fields.description.as_ref().expect("description").plain_text();
        assert_eq!(description, "Details *here*", "cloud={}", server.cloud);
        assert!(issue.fields.created_ms().is_some() && issue.fields.updated_ms().is_some());
        assert_eq!(issue.fields.status.unwrap().status_category.unwrap().key, "new");
    }
}

#[tokio::test]
async fn comments_are_adf_on_cloud_and_wiki_on_dc() {
    let doc = Doc {
        blocks: vec![
            Block::Paragraph(vec![
                Inline::Strong("Ana".into()),
                Inline::Text(" mentioned this in ".into()),
                Inline::Link { text: "a1b2c3".into(), url: "https://git.test/c/a1b2c3".into() },
            ]),
            Block::Quote("Fix [SAND-1] *now*".into()),
        ],
    };
    for server in support::both().await {
        let client = server.client().await;
        let key = server.new_issue(&client, "comment me").await;
        let c = client.add_comment(&key, &doc).await.expect("comment");
        let stored = server.sandbox.comments(Some(&key));
        assert_eq!(stored.len(), 1);
        if server.cloud {
            assert_eq!(stored[0].body["type"], "doc");
        } else {
            assert!(
                stored[0].body.as_str().unwrap().starts_with("*Ana* mentioned this in [a1b2c3|")
            );
        }
        let listed = client.comments(&key).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, c.id);
        let text = listed[0].body.as_ref().unwrap().plain_text();
        assert!(text.starts_with("Ana mentioned this in a1b2c3"), "{text}");
    }
}

fn link(title: &str, summary: Option<&str>, resolved: bool) -> RemoteLink {
    RemoteLink {
        id: None,
        global_id: Some("tether:flag:checkout-v2".into()),
        application: Some(tether_jira::Application {
            kind: Some("tether".into()),
            name: Some("tether".into()),
        }),
        relationship: Some("feature flag".into()),
        object: RemoteObject {
            url: "https://tether.test/flags/checkout-v2".into(),
            title: title.into(),
            summary: summary.map(str::to_owned),
            icon: None,
            status: Some(RemoteStatus { resolved, icon: None }),
        },
    }
}

#[tokio::test]
async fn remote_links_upsert_by_global_id() {
    for server in support::both().await {
        let client = server.client().await;
        let key = server.new_issue(&client, "links").await;
        let gid = "tether:flag:checkout-v2";
        assert_eq!(
            client.upsert_remote_link(&key, &link("v1", Some("on"), false)).await.unwrap(),
            Upsert::Created
        );
        assert_eq!(
            client.upsert_remote_link(&key, &link("v2", None, true)).await.unwrap(),
            Upsert::Replaced
        );
        let all = client.remote_links(&key).await.unwrap();
        assert_eq!(all.len(), 1);
        let one = client.remote_link(&key, gid).await.unwrap().expect("by globalId");
        assert_eq!(one.object.title, "v2");
        // Replaced whole: the summary sent first is gone.
        assert_eq!(one.object.summary, None);
        assert!(one.object.status.unwrap().resolved);
        assert_eq!(server.sandbox.remote_links(Some(&key)).len(), 1);
        client.delete_remote_link(&key, gid).await.unwrap();
        assert_eq!(client.remote_link(&key, gid).await.unwrap(), None);
        client.delete_remote_link(&key, gid).await.expect("deleting twice is fine");
        let no_gid = RemoteLink { global_id: None, ..link("x", None, false) };
        assert!(matches!(client.upsert_remote_link(&key, &no_gid).await, Err(Error::Other(_))));
    }
}

#[tokio::test]
async fn transitions_list_required_fields_and_apply() {
    for server in support::both().await {
        let client = server.client().await;
        let key = server.new_issue(&client, "move me").await;
        let ts = client.transitions(&key).await.expect("transitions");
        let done = ts
            .iter()
            .find(|t| t.target_category() == Some(StatusCategory::Done.key()))
            .expect("a done transition");
        assert_eq!(done.required_fields().collect::<Vec<_>>(), vec!["resolution"]);
        let err = client.transition(&key, &done.id, Map::new()).await.unwrap_err();
        assert!(matches!(err, Error::BadRequest { status: 400, .. }), "{err:?}");
        let mut fields = Map::new();
        fields.insert("resolution".into(), json!({"name": "Done"}));
        client.transition(&key, &done.id, fields).await.expect("transition");
        let record = server.sandbox.transitions_done(Some(&key));
        assert_eq!(record.len(), 1);
        assert_eq!(record[0].resolution.as_deref(), Some("Done"));
        let issue = client.issue(&key, &["status", "resolution"], &[]).await.unwrap();
        assert_eq!(issue.fields.resolution.unwrap().name, "Done");
    }
}

#[tokio::test]
async fn projects_permissions_and_bulk_fetch() {
    for server in support::both().await {
        server.sandbox.seed_issues(5, 2);
        let client = server.client().await;
        let projects = client.projects().await.expect("projects");
        let keys: Vec<&str> = projects.iter().map(|p| p.key.as_str()).collect();
        for k in ["SAND", "DEMO", "OPS", "HELP"] {
            assert!(keys.contains(&k), "{k} in {keys:?}");
        }
        let ops = projects.iter().find(|p| p.key == "OPS").unwrap();
        assert_eq!(ops.project_type_key.as_deref(), Some("business"));
        assert!(!client.project("SAND").await.unwrap().issue_types.is_empty());
        let grants = client
            .my_permissions(Some("SAND"), &["BROWSE_PROJECTS", "ADD_COMMENTS"])
            .await
            .unwrap();
        assert!(grants.iter().all(|g| g.have_permission) && grants.len() == 2);
        if server.cloud {
            let fetched =
                client.bulk_fetch(&["DEMO-1", "DEMO-2", "NOPE-1"], &["summary"]).await.unwrap();
            assert_eq!(fetched.issues.len(), 2);
        }
    }
}

#[tokio::test]
async fn issue_properties_are_set_read_and_deleted() {
    for server in support::both().await {
        let client = server.client().await;
        let key = server.new_issue(&client, "with properties").await;
        let flavour = if server.cloud { "cloud" } else { "dc" };
        // A key that needs escaping in the path.
        let prop = "tether.flags links/v1";
        let first = json!({"flags": ["new-checkout"], "site": 1});
        let second = json!({"flags": ["new-checkout", "dark-mode"], "site": 1});

        assert_eq!(client.issue_property(&key, prop).await.unwrap(), None, "{flavour}");
        assert_eq!(client.set_issue_property(&key, prop, &first).await.unwrap(), Upsert::Created);
        assert_eq!(client.issue_property(&key, prop).await.unwrap(), Some(first), "{flavour}");
        assert_eq!(client.set_issue_property(&key, prop, &second).await.unwrap(), Upsert::Replaced);
        assert_eq!(client.issue_property(&key, prop).await.unwrap(), Some(second.clone()));
        let stored = server.sandbox.issue_properties(&key).expect("issue exists");
        assert_eq!(stored.get(prop), Some(&second), "{flavour}: stored under the unescaped key");

        client.delete_issue_property(&key, prop).await.unwrap();
        assert!(server.sandbox.issue_properties(&key).unwrap().is_empty(), "{flavour}");
        assert_eq!(client.issue_property(&key, prop).await.unwrap(), None);
        client.delete_issue_property(&key, prop).await.expect("deleting again is fine");

        let err = client.set_issue_property("SAND-999", prop, &json!(1)).await.unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{flavour}: {err:?}");
        let too_big = json!("x".repeat(40_000));
        let err = client.set_issue_property(&key, prop, &too_big).await.unwrap_err();
        assert!(
            matches!(&err, Error::BadRequest { status: 400, messages } if !messages.is_empty()),
            "{flavour}: {err:?}"
        );
    }
}
