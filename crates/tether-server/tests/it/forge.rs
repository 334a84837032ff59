//! The Forge app's remote: lifecycle events verified by their Forge Invocation Token (from the
//! sandbox playing Forge), installations stored and matched to their site by cloudId (also when
//! the site comes later) or URL; and the `tether.flags` index both app kinds declare, searched
//! in the sandbox's JQL.

use jira_sandbox::{FORGE_JWKS_PATH, ForgeInvocationSpec};
use reqwest::Method as M;
use serde_json::{Value, json};
use tether_server::ServerConfig;

use crate::TestServer;
use crate::jira_api::Jira;

const APP: &str = "ari:cloud:ecosystem::app/8f7c2d0e-4c61-4b2f-9a3e-2d1f0c9b8a77";

async fn server_for(jira: &Jira, app: Option<&str>) -> TestServer {
    TestServer::start_with(ServerConfig {
        forge_app_id: app.map(str::to_owned),
        forge_jwks_url: format!("{}{FORGE_JWKS_PATH}", jira.url),
        ..ServerConfig::default()
    })
    .await
}

/// (installation id, site id, enabled) of every stored installation.
async fn installations(s: &TestServer) -> Vec<(String, Option<i64>, bool)> {
    let all = s.store.forge_installations().await.unwrap();
    all.into_iter().map(|i| (i.installation_id, i.site_id, i.enabled)).collect()
}

/// A call to tether's remote as Forge makes it: an event with `token` as the bearer.
async fn event(s: &TestServer, token: Option<&str>, kind: &str) -> u16 {
    let mut req = reqwest::Client::new()
        .post(format!("{}/forge/events", s.url))
        .json(&json!({"eventType": kind, "id": "from-the-body-never-trusted"}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn lifecycle_events_need_a_token_forge_signed_for_this_app() {
    let jira = Jira::cloud().await;
    let s = server_for(&jira, Some(APP)).await;
    let installed = jira
        .sandbox
        .install_forge_app(APP, &format!("{}/forge/events", s.url), &jira.url)
        .await
        .expect("tether takes the signed install");
    let kept = s.store.forge_installation(&installed.installation_id).await.unwrap();
    assert!(kept.enabled, "{kept:?}");
    assert_eq!(kept.cloud_id.as_deref(), Some(jira_sandbox::CLOUD_ID));
    assert_eq!(kept.site_url, None, "lifecycle tokens name no site URL");
    let api_base = format!("{}/ex/jira/{}", jira.url, jira_sandbox::CLOUD_ID);
    assert_eq!(kept.api_base_url.as_deref(), Some(api_base.as_str()));

    let spec = |app: &str| ForgeInvocationSpec {
        app_id: app.into(),
        installation_id: installed.installation_id.clone(),
        site_url: jira.url.clone(),
        module_key: "tether-lifecycle".into(),
        principal: None,
    };
    let other_app =
        jira.sandbox.forge_invocation_token(&spec("00000000-0000-0000-0000-00000000beef"));
    let good = jira.sandbox.forge_invocation_token(&spec(APP));
    let mut tampered = good.clone();
    tampered.pop();
    tampered.push(if good.ends_with('A') { 'B' } else { 'A' });
    // (token, status)
    let cases: [(Option<&str>, u16); 4] =
        [(None, 401), (Some("not-a-jwt"), 401), (Some(&other_app), 401), (Some(&tampered), 401)];
    let before = installations(&s).await;
    for (token, want) in cases {
        assert_eq!(event(&s, token, "avi:forge:uninstalled:app").await, want, "{token:?}");
    }
    assert_eq!(installations(&s).await, before, "refused calls change nothing");
    assert_eq!(event(&s, Some(&good), "avi:jira:created:issue").await, 400);
    // Forge retries an event: the same install again changes nothing.
    let replayed = jira
        .sandbox
        .install_forge_app(APP, &format!("{}/forge/events", s.url), &jira.url)
        .await
        .expect("tether takes the replay");
    assert_eq!(replayed.installation_id, installed.installation_id);
    assert_eq!(s.store.forge_installation(&installed.installation_id).await.unwrap(), kept);

    // The pages while no site has its cloudId: apart, by cloudId, and counted as unmatched.
    let page = || async { crate::ui_flags::html(&s, "/integrations").await.1 };
    let jira_page = || async { crate::ui_flags::html(&s, "/jira").await.1 };
    let html = page().await;
    let apart = format!("data-forge-cloud-id=\"{}\"", jira_sandbox::CLOUD_ID);
    assert!(html.contains(&apart), "{html}");
    let accepts = format!("this tether accepts <code>{APP}</code>, installed on");
    let html = jira_page().await;
    assert!(html.contains(&format!("{accepts} 1 site.")), "{html}");
    assert!(html.contains("<span id=\"forge-unmatched\">1 of them is on a site"), "{html}");

    // A site added later is matched once tether learns its cloudId from a connection test.
    crate::jira_api::add_oauth_site(&s, &jira, "acme").await;
    assert_eq!(installations(&s).await[0].1, None, "no cloudId known yet");
    let (status, report) =
        crate::jira_api::send(&s, M::POST, "/api/jira/sites/acme/test", None).await;
    assert_eq!(status, 200, "{report}");
    let (_, site) = crate::jira_api::send(&s, M::GET, "/api/jira/sites/acme", None).await;
    assert_eq!(site["cloud_id"], jira_sandbox::CLOUD_ID, "{site}");
    let acme = s.store.jira_site_by_name("acme").await.unwrap().id;
    assert_eq!(installations(&s).await, [(installed.installation_id.clone(), Some(acme), true)]);
    let row = |html: &str| {
        let start = html.find("data-site=\"acme\"").unwrap_or_else(|| panic!("{html}"));
        html[start..].split("</tr>").next().unwrap().to_owned()
    };
    let html = page().await;
    assert!(row(&html).contains("Forge app installed"), "{html}");
    assert!(!html.contains("data-forge-site"), "{html}");
    let html = jira_page().await;
    assert!(html.contains(&format!("{accepts} 1 site.")) && !html.contains("forge-unmatched"));

    jira.sandbox.uninstall_forge_app(APP, &jira.url).await.expect("tether takes the uninstall");
    assert_eq!(installations(&s).await, [(installed.installation_id.clone(), Some(acme), false)]);
    assert!(row(&page().await).contains("Forge app uninstalled"));
    assert!(jira_page().await.contains(&format!("{accepts} 0 sites.")));
    assert!(s.store.forge_installation("from-the-body-never-trusted").await.is_err());

    // Installed again: Forge gives a new installation, on the same site.
    let again = jira
        .sandbox
        .install_forge_app(APP, &format!("{}/forge/events", s.url), &jira.url)
        .await
        .expect("tether takes the reinstall");
    let now = installations(&s).await;
    assert!(now.contains(&(again.installation_id.clone(), Some(acme), true)), "{now:?}");
    assert!(now.contains(&(installed.installation_id.clone(), Some(acme), false)), "{now:?}");
    assert!(row(&page().await).contains("Forge app installed"));
    assert!(jira_page().await.contains(&format!("{accepts} 1 site.")));

    // A tether without a Forge app id refuses every Forge call, signed or not.
    let unset = server_for(&jira, None).await;
    assert_eq!(event(&unset, Some(&good), "avi:forge:installed:app").await, 401);
    let html = crate::ui_flags::html(&unset, "/jira").await.1;
    assert!(html.contains("Forge app: none yet") && html.contains("jira.forge_app_id"), "{html}");
}

/// A token that names the site's URL (as a module's call does) matches the site with that URL
/// at once, before any connection test.
#[tokio::test]
async fn an_installation_naming_its_site_url_is_matched_to_that_site() {
    let jira = Jira::cloud().await;
    let s = server_for(&jira, Some(APP)).await;
    crate::jira_api::add_oauth_site(&s, &jira, "acme").await;
    let token = jira.sandbox.forge_invocation_token(&ForgeInvocationSpec {
        app_id: APP.into(),
        installation_id: "ari:cloud:ecosystem::installation/by-url".into(),
        site_url: format!("{}/", jira.url),
        module_key: "tether-lifecycle".into(),
        principal: None,
    });
    assert_eq!(event(&s, Some(&token), "avi:forge:installed:app").await, 204);
    let acme = s.store.jira_site_by_name("acme").await.unwrap().id;
    assert_eq!(
        installations(&s).await,
        [("ari:cloud:ecosystem::installation/by-url".to_owned(), Some(acme), true)]
    );
}

/// Writes the `tether.flags` property on SAND-1 as tether's worker would, then answers the
/// keys of the issues `jql` finds in the sandbox.
async fn search(jira: &Jira, jql: &str) -> Vec<String> {
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/rest/api/3/search/jql", jira.url))
        .basic_auth(jira_sandbox::DEFAULT_EMAIL, Some(jira_sandbox::DEFAULT_API_TOKEN))
        .query(&[("jql", jql), ("fields", "key")])
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    body["issues"]
        .as_array()
        .unwrap_or_else(|| panic!("{jql}: {body}"))
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_owned())
        .collect()
}

async fn put_property(jira: &Jira) {
    let property = json!({
        "flags": [{"project": "shop", "key": "new-checkout", "name": "New checkout",
            "enabled": true, "url": "https://tether.test/flags/shop/new-checkout",
            "environmentsOn": ["production"]}],
        "count": 1, "keys": ["new-checkout"], "on": ["new-checkout"],
        "environmentsOn": ["production"]});
    let r = reqwest::Client::new()
        .put(format!("{}/rest/api/3/issue/SAND-1/properties/tether.flags", jira.url))
        .basic_auth(jira_sandbox::DEFAULT_EMAIL, Some(jira_sandbox::DEFAULT_API_TOKEN))
        .json(&property)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

const QUERIES: [(&str, &[&str]); 6] = [
    ("issue.property[tether.flags].keys = \"new-checkout\"", &["SAND-1"]),
    ("tetherFlag = \"new-checkout\"", &["SAND-1"]),
    ("tetherFlagOn = \"new-checkout\"", &["SAND-1"]),
    ("tetherFlagEnvironmentOn = \"production\"", &["SAND-1"]),
    ("tetherFlagCount > 0", &["SAND-1"]),
    ("tetherFlag = \"other\"", &[]),
];

#[tokio::test]
async fn the_connect_descriptor_indexes_the_property_for_jql() {
    let jira = Jira::cloud().await;
    let s = TestServer::start().await;
    let (status, descriptor) =
        crate::jira_api::send(&s, M::GET, "/atlassian-connect.json", None).await;
    assert_eq!(status, 200);
    let index = &descriptor["modules"]["jiraEntityProperties"][0];
    assert_eq!(index["keyConfigurations"][0]["propertyKey"], "tether.flags", "{descriptor}");
    // Jira indexes what an installed app declares: install it (without the handshake).
    jira.sandbox.install_connect_app_described(descriptor.clone()).expect("a key");
    put_property(&jira).await;
    for (jql, want) in QUERIES {
        assert_eq!(search(&jira, jql).await, want.to_vec(), "{jql}");
    }
}

#[tokio::test]
async fn the_forge_manifest_indexes_the_property_for_jql() {
    let jira = Jira::cloud().await;
    let modules = tether_server::forge_entity_property_modules();
    jira.sandbox.register_forge_entity_properties(APP, &modules).expect("modules Forge accepts");
    put_property(&jira).await;
    for (jql, want) in QUERIES {
        assert_eq!(search(&jira, jql).await, want.to_vec(), "{jql}");
    }
    // Gone with the app.
    jira.sandbox.unregister_forge_entity_properties(APP);
    assert!(search_fails(&jira, "tetherFlag = \"new-checkout\"").await);
}

async fn search_fails(jira: &Jira, jql: &str) -> bool {
    let r = reqwest::Client::new()
        .get(format!("{}/rest/api/3/search/jql", jira.url))
        .basic_auth(jira_sandbox::DEFAULT_EMAIL, Some(jira_sandbox::DEFAULT_API_TOKEN))
        .query(&[("jql", jql)])
        .send()
        .await
        .unwrap();
    r.status() == 400
}
