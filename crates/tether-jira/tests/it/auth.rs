//! Every auth mode the sandbox accepts, each doing real work, and the OAuth 1.0a dance.

use futures_util::TryStreamExt;
use jira_sandbox::{DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET, OAuth1ConsumerSpec};
use secrecy::SecretString;
use tether_jira::oauth1::{self, Consumer};
use tether_jira::{Access, Auth, Client, DevOpsApi, Doc, Error, PlatformToken, Search};

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
    // OAuth credentials are not here: they reach the DevOps APIs only (the next test).
    let connect = cloud.sandbox.install_connect_app("tether-app", "tether");
    let cases: Vec<(&str, &support::Server, Auth, &str)> = vec![
        ("cloud api token", &cloud, cloud.default_auth(), "Sandbox Admin"),
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
        platform: None,
        client_id: DEFAULT_OAUTH_CLIENT_ID.into(),
        client_secret: SecretString::from(DEFAULT_OAUTH_CLIENT_SECRET.to_owned()),
        token_url: format!("{}/oauth/token", cloud.base),
        gateway_url: cloud.base.clone(),
    };
    let client = cloud.client_with(auth.clone(), fast()).await;
    assert_eq!(client.cloud_id(), Some(jira_sandbox::CLOUD_ID));
    assert!(client.deployment().is_cloud());
    for _ in 0..3 {
        let probe = client.probe_devops(DevOpsApi::FeatureFlags, Access::Read).await;
        assert!(probe.is_ok(), "{probe:?}");
    }
    // Platform calls are not even sent: Jira refuses these credentials there.
    let err = client.myself().await.unwrap_err();
    assert!(
        matches!(&err, Error::NeedsPlatformCredential { call } if call == "GET /rest/api/3/myself"),
        "{err:?}"
    );
    // A wrong secret is refused at the token endpoint.
    let Auth::OAuth2 { client_id, token_url, gateway_url, .. } = auth else { unreachable!() };
    let bad = Auth::OAuth2 {
        platform: None,
        client_id,
        client_secret: SecretString::from("nope".to_owned()),
        token_url,
        gateway_url,
    };
    let err = Client::connect(cloud.site(bad), fast()).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
}

#[tokio::test]
async fn an_api_token_beside_oauth_credentials_makes_the_platform_calls() {
    let cloud = support::cloud().await;
    let token = PlatformToken::new(jira_sandbox::DEFAULT_EMAIL, jira_sandbox::DEFAULT_API_TOKEN);
    let client = cloud.client_with(cloud.oauth2().with_platform_token(token), fast()).await;
    assert!(client.reaches_platform_apis());
    // The sandbox refuses the OAuth token on issues and the API token on the DevOps APIs, as
    // Jira does: both succeeding shows each call went with its own credential.
    assert_eq!(exercise(&client, &cloud).await, "Sandbox Admin");
    let probe = client.probe_devops(DevOpsApi::FeatureFlags, Access::Write).await;
    assert!(probe.is_ok(), "{probe:?}");
    // A wrong API token fails on the platform call alone, as Jira's 401.
    let wrong = PlatformToken::new(jira_sandbox::DEFAULT_EMAIL, "not-the-token");
    let client = cloud.client_with(cloud.oauth2().with_platform_token(wrong), fast()).await;
    assert!(matches!(client.myself().await, Err(Error::Unauthorized { .. })));
    let probe = client.probe_devops(DevOpsApi::DevelopmentInformation, Access::Read).await;
    assert!(probe.is_ok(), "{probe:?}");
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

/// A second throwaway key, whose public half no consumer registered.
const OTHER_KEY: &str = include_str!("../fixtures/oauth1-other-key.pem");
const CALLBACK: &str = "https://tether.example/jira/oauth1/callback";

/// Registers `tether` as an application link's consumer with the test key's public half.
fn register_consumer(server: &support::Server) -> Consumer {
    use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(support::TEST_KEY).expect("test key");
    let public_key_pem = key.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
    let spec =
        OAuth1ConsumerSpec { consumer_key: "tether".into(), name: "tether".into(), public_key_pem };
    server.sandbox.add_oauth1_consumer(spec).expect("consumer");
    Consumer::new("tether", support::TEST_KEY)
}

/// Allows access as the sandbox's admin, as a person would in the browser, and answers the
/// verifier: from the redirect to the callback, or from the page for out-of-band flows.
async fn approve(authorize_url: &str, request_token: &str) -> String {
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = http
        .get(authorize_url)
        .basic_auth(jira_sandbox::DEFAULT_USER, Some(jira_sandbox::DEFAULT_PASSWORD))
        .send()
        .await
        .expect("authorize");
    if let Some(location) = resp.headers().get("location") {
        let url = reqwest::Url::parse(location.to_str().unwrap()).unwrap();
        assert!(url.as_str().starts_with(CALLBACK), "{url}");
        let get = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
        assert_eq!(get("oauth_token").as_deref(), Some(request_token));
        return get("oauth_verifier").expect("verifier in the redirect");
    }
    let page = resp.text().await.unwrap();
    let marker = "id=\"oauth_verifier\">";
    let start = page.find(marker).expect("verifier on the page") + marker.len();
    page[start..].split('<').next().unwrap().to_owned()
}

#[tokio::test]
async fn oauth1_dance_then_signed_requests() {
    let dc = support::dc().await;
    let consumer = register_consumer(&dc);
    for callback in [Some(CALLBACK), None] {
        let request = oauth1::request_token(&dc.base, &consumer, callback).await.expect("request");
        assert!(request.callback_confirmed, "{callback:?}");
        let url = oauth1::authorize_url(&dc.base, &request).unwrap();
        let want = format!("{}/plugins/servlet/oauth/authorize?oauth_token=", dc.base);
        assert!(url.starts_with(&want), "{url}");
        let verifier = approve(&url, &request.token).await;
        let access = oauth1::access_token(&dc.base, &consumer, &request, &verifier)
            .await
            .expect("access token");
        assert!(access.expires_in.is_some_and(|d| d.as_secs() > 86_400 * 365), "{access:?}");
        // Signed requests act as the user who allowed access, queries included.
        let client = dc.client_with(access.auth(&consumer), fast()).await;
        assert_eq!(exercise(&client, &dc).await, "Sandbox Admin", "{callback:?}");
        let me = client.myself().await.unwrap();
        assert_eq!(me.name.as_deref(), Some(jira_sandbox::DEFAULT_USER));
        // A request token is exchanged once.
        let err = oauth1::access_token(&dc.base, &consumer, &request, &verifier).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "Jira rejected the credentials (401): oauth_problem=token_rejected"
        );

        // The right token signed with a key Jira does not know is refused.
        let wrong_key = Consumer::new("tether", OTHER_KEY);
        let client = dc.client_with(access.auth(&wrong_key), fast()).await;
        let err = client.myself().await.unwrap_err();
        assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    }
    // No secrets in Debug.
    let shown = format!("{:?}", Auth::oauth1("tether", support::TEST_KEY, "the-access-token"));
    assert!(!shown.contains("PRIVATE KEY") && !shown.contains("the-access-token"), "{shown}");
    assert!(!format!("{consumer:?}").contains("PRIVATE KEY"));
}

#[tokio::test]
async fn oauth1_refusals_name_the_problem() {
    let dc = support::dc().await;
    let consumer = register_consumer(&dc);
    let problem = |e: Error| match e {
        Error::Unauthorized { denied_reason } => denied_reason.unwrap_or_default(),
        other => panic!("{other:?}"),
    };
    let wrong_key = Consumer::new("tether", OTHER_KEY);
    let err = oauth1::request_token(&dc.base, &wrong_key, None).await.unwrap_err();
    assert_eq!(problem(err), "oauth_problem=signature_invalid");
    let unknown = Consumer::new("not-linked", support::TEST_KEY);
    let err = oauth1::request_token(&dc.base, &unknown, None).await.unwrap_err();
    assert_eq!(problem(err), "oauth_problem=consumer_key_unknown");

    let request = oauth1::request_token(&dc.base, &consumer, None).await.unwrap();
    let err = oauth1::access_token(&dc.base, &consumer, &request, "guess").await.unwrap_err();
    assert_eq!(problem(err), "oauth_problem=permission_unknown", "nobody allowed access yet");
    let url = oauth1::authorize_url(&dc.base, &request).unwrap();
    approve(&url, &request.token).await;
    let err = oauth1::access_token(&dc.base, &consumer, &request, "guess").await.unwrap_err();
    assert_eq!(problem(err), "oauth_problem=permission_denied", "wrong verifier");

    // Jira Cloud has no application links.
    let cloud = support::cloud().await;
    let err = oauth1::request_token(&cloud.base, &consumer, None).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
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
