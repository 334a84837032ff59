//! Every auth mode the sandbox accepts, each doing real work; OAuth 1.0a is refused today.

use futures_util::TryStreamExt;
use jira_sandbox::{DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET};
use secrecy::SecretString;
use tether_jira::{Auth, Client, Doc, Error, Search};

use crate::support::{self, fast};

async fn exercise(client: &Client, server: &support::Server) -> String {
    let me = client.myself().await.expect("myself");
    let key = server.new_issue(client, "auth check").await;
    client.add_comment(&key, &Doc::text("hello")).await.expect("comment");
    let found: Vec<_> = client
        .search(Search::jql(format!("key = {key}")).fields(&["summary"]))
        .try_collect()
        .await
        .expect("search");
    assert_eq!(found.len(), 1);
    me.display_name.unwrap_or_default()
}

#[tokio::test]
async fn each_auth_mode_works_end_to_end() {
    let cloud = support::cloud().await;
    let dc = support::dc().await;
    let connect = cloud.sandbox.install_connect_app("tether-app", "tether");
    let oauth2 = Auth::OAuth2 {
        client_id: DEFAULT_OAUTH_CLIENT_ID.into(),
        client_secret: SecretString::from(DEFAULT_OAUTH_CLIENT_SECRET.to_owned()),
        token_url: format!("{}/oauth/token", cloud.base),
        gateway_url: cloud.base.clone(),
    };
    let cases: Vec<(&str, &support::Server, Auth, &str)> = vec![
        ("cloud api token", &cloud, cloud.default_auth(), "Sandbox Admin"),
        ("cloud oauth2", &cloud, oauth2, "Sandbox Admin"),
        ("cloud connect jwt", &cloud, Auth::connect(connect.key, connect.shared_secret), "tether"),
        ("dc password", &dc, dc.default_auth(), "Sandbox Admin"),
        ("dc personal access token", &dc, support::pat(), "Sandbox Admin"),
    ];
    for (name, server, auth, who) in cases {
        let client = server.client_with(auth, fast()).await;
        assert_eq!(exercise(&client, server).await, who, "{name}");
    }
}

#[tokio::test]
async fn oauth2_goes_through_the_gateway_with_a_cached_token() {
    let cloud = support::cloud().await;
    let auth = Auth::OAuth2 {
        client_id: DEFAULT_OAUTH_CLIENT_ID.into(),
        client_secret: SecretString::from(DEFAULT_OAUTH_CLIENT_SECRET.to_owned()),
        token_url: format!("{}/oauth/token", cloud.base),
        gateway_url: cloud.base.clone(),
    };
    let client = cloud.client_with(auth.clone(), fast()).await;
    assert_eq!(client.cloud_id(), Some(jira_sandbox::CLOUD_ID));
    assert!(client.deployment().is_cloud());
    for _ in 0..3 {
        client.myself().await.expect("myself");
    }
    // A wrong secret is refused at the token endpoint.
    let Auth::OAuth2 { client_id, token_url, gateway_url, .. } = auth else { unreachable!() };
    let bad = Auth::OAuth2 {
        client_id,
        client_secret: SecretString::from("nope".to_owned()),
        token_url,
        gateway_url,
    };
    let err = Client::connect(cloud.site(bad), fast()).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
}

#[tokio::test]
async fn connect_jwt_signs_queries_it_sends() {
    let cloud = support::cloud().await;
    let app = cloud.sandbox.install_connect_app("tether-app", "tether");
    let client = cloud.client_with(Auth::connect(app.key, app.shared_secret), fast()).await;
    // Repeated, spaced and starred values all have to hash the same on both sides.
    let v = client
        .get_json(
            "mypermissions",
            &[("permissions", "BROWSE_PROJECTS,ADD_COMMENTS"), ("projectKey", "SAND")],
        )
        .await
        .expect("mypermissions");
    assert_eq!(v["permissions"]["ADD_COMMENTS"]["havePermission"], true);
    let page = client
        .get_json(
            "search/jql",
            &[("jql", "project = SAND AND summary ~ \"a b\""), ("fields", "*navigable")],
        )
        .await
        .expect("search with spaces, quotes and a star in the query");
    assert_eq!(page["issues"], serde_json::json!([]));
    // A wrong secret fails.
    let wrong = cloud.client_with(Auth::connect("tether-app", "wrong"), fast()).await;
    assert!(matches!(wrong.myself().await, Err(Error::Unauthorized { .. })));
}

#[tokio::test]
async fn oauth1_is_signed_but_the_sandbox_refuses_it() {
    let dc = support::dc().await;
    let auth = Auth::OAuth1 {
        consumer_key: "tether".into(),
        private_key_pem: SecretString::from(support::TEST_KEY.to_owned()),
        access_token: SecretString::from("token".to_owned()),
    };
    let client = dc.client_with(auth, fast()).await;
    // FIXME: the sandbox refuses OAuth 1.0a (README "Not yet"); the signature itself is pinned
    // by the unit tests against an openssl-made vector.
    assert!(matches!(client.myself().await, Err(Error::Unauthorized { .. })));
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized_and_not_retried() {
    for server in support::both().await {
        let bad = if server.cloud {
            Auth::api_token(jira_sandbox::DEFAULT_EMAIL, "wrong")
        } else {
            Auth::personal_access_token("wrong")
        };
        let client = server.client_with(bad, fast()).await;
        let err = client.myself().await.unwrap_err();
        assert!(matches!(err, Error::Unauthorized { denied_reason: None }), "{err:?}");
    }
}
