//! The admin API deletes issues and moves them between projects: a moved issue gets the new
//! project's next key, its old key still finds it (REST answers it under the new key,
//! `/browse` redirects), and the changelog records the project and the key.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{self, Auth};

#[tokio::test]
async fn issues_are_moved_and_deleted_through_the_admin_api() {
    for srv in [support::cloud().await, support::dc().await] {
        srv.sandbox.seed_issues(3, 1);
        let key = srv.create(2, "Wrong project").await;
        let r = srv
            .call_as(
                Auth::None,
                Method::POST,
                &format!("/_sandbox/issues/{key}/move"),
                Some(json!({"project": "OPS"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let new_key = r.body["key"].as_str().unwrap().to_owned();
        assert!(new_key.starts_with("OPS-"), "{new_key}");

        // The old key answers with the issue under its new key; search finds it by both.
        let r = srv.get(&format!("/rest/api/2/issue/{key}?expand=changelog")).await;
        assert_eq!((r.status, r.body["key"].as_str()), (StatusCode::OK, Some(new_key.as_str())));
        assert_eq!(r.body["fields"]["project"]["key"], "OPS");
        let items =
            r.body["changelog"]["histories"].as_array().unwrap().last().unwrap()["items"].clone();
        assert_eq!(items[0]["field"], "project");
        assert_eq!(
            (
                items[1]["field"].as_str(),
                items[1]["fromString"].as_str(),
                items[1]["toString"].as_str()
            ),
            (Some("Key"), Some(key.as_str()), Some(new_key.as_str()))
        );
        let jql = if srv.sandbox.flavour().is_cloud() { "search/jql" } else { "search" };
        let r = srv
            .post(
                &format!("/rest/api/2/{jql}"),
                json!({"jql": format!("key = {key}"), "fields": ["summary"]}),
            )
            .await;
        assert_eq!(r.body["issues"][0]["key"], new_key.as_str(), "{:?}", r.body);

        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = client.get(format!("{}/browse/{key}", srv.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(r.headers()["location"], format!("/browse/{new_key}").as_str());

        // Delete: gone under both keys.
        let r = srv
            .call_as(Auth::None, Method::DELETE, &format!("/_sandbox/issues/{new_key}"), None)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        assert_eq!(
            srv.get(&format!("/rest/api/2/issue/{key}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            srv.get(&format!("/rest/api/2/issue/{new_key}")).await.status,
            StatusCode::NOT_FOUND
        );
        let r = srv
            .call_as(Auth::None, Method::DELETE, &format!("/_sandbox/issues/{new_key}"), None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let other = srv.create(2, "Stays").await;
        let path = format!("/_sandbox/issues/{other}/move");
        let r =
            srv.call_as(Auth::None, Method::POST, &path, Some(json!({"project": "NOPE"}))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(srv.sandbox.issue_count(), 4);
    }
}
