//! OFREP over HTTP: authentication, every reason and error code, bulk ETags,
//! snapshot refresh, and the per-key rate limit.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tether_flags::{
    Clause, EnvConfig, Flag, FlagKind, Op, Rollout, Rule, Serve, Target, Variation,
    WeightedVariation,
};
use tether_server::ServerConfig;
use tether_store::NewProject;

use crate::TestServer;

fn flag(key: &str, kind: FlagKind, values: &[(&str, Value)]) -> Flag {
    Flag {
        key: key.into(),
        name: key.into(),
        description: String::new(),
        kind,
        variations: values
            .iter()
            .map(|(k, v)| Variation { key: (*k).into(), name: (*k).into(), value: v.clone() })
            .collect(),
        tags: vec![],
        custom_properties: Default::default(),
    }
}

fn serve(on: bool, off: &str, default: Serve) -> EnvConfig {
    EnvConfig {
        on,
        off_variation: off.into(),
        targets: vec![],
        rules: vec![],
        default_rule: default,
    }
}

/// A project with four flags in production and an SDK key for it.
pub(crate) async fn setup(s: &TestServer) -> String {
    let p = NewProject {
        key: "shop".into(),
        name: "Shop".into(),
        description: String::new(),
        environments: vec![],
    };
    s.store.create_project(&p, "t").await.unwrap();
    let boolean =
        flag("dark-mode", FlagKind::Boolean, &[("on", json!(true)), ("off", json!(false))]);
    s.store
        .create_flag("shop", &boolean, &serve(false, "off", Serve::variation("on")), "t")
        .await
        .unwrap();

    let banner = flag("banner", FlagKind::String, &[("a", json!("Hello")), ("b", json!("Hi"))]);
    let mut targeted = serve(true, "b", Serve::variation("a"));
    targeted.targets = vec![Target { variation: "b".into(), keys: vec!["vip".into()] }];
    targeted.rules = vec![Rule {
        id: "fr".into(),
        description: String::new(),
        clauses: vec![Clause::attribute("country", Op::Equals(json!("FR")))],
        serve: Serve::variation("b"),
    }];
    s.store.create_flag("shop", &banner, &targeted, "t").await.unwrap();

    let limit = flag("limit", FlagKind::Number, &[("low", json!(10)), ("high", json!(100))]);
    let rollout = Serve::Rollout(Rollout {
        variations: vec![
            WeightedVariation { variation: "low".into(), weight: 50_000 },
            WeightedVariation { variation: "high".into(), weight: 50_000 },
        ],
        bucket_by: None,
        salt: "x".into(),
    });
    s.store.create_flag("shop", &limit, &serve(true, "low", rollout), "t").await.unwrap();

    let settings = flag("settings", FlagKind::Json, &[("v1", json!({"retries": 3}))]);
    s.store
        .create_flag("shop", &settings, &serve(true, "v1", Serve::variation("v1")), "t")
        .await
        .unwrap();
    s.store.create_sdk_key("shop", "production", "t").await.unwrap()
}

async fn eval(s: &TestServer, sdk_key: &str, flag: &str, body: Value) -> (StatusCode, Value) {
    let r = s
        .client
        .post(s.at(&format!("/ofrep/v1/evaluate/flags/{flag}")))
        .bearer_auth(sdk_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test]
async fn every_reason_and_error_code_comes_back_in_ofreps_shape() {
    let s = TestServer::start().await;
    let key = setup(&s).await;
    let ctx = |v: Value| json!({ "context": v });
    let check = |flag: &'static str, context: Value, status: u16, expect: Value| {
        let (s, key) = (&s, key.clone());
        async move {
            let (got_status, got) = eval(s, &key, flag, context.clone()).await;
            assert_eq!((got_status.as_u16(), &got), (status, &expect), "{flag} {context}");
        }
    };
    let ok = |key: &str, value: Value, variant: &str, reason: &str, metadata: Value| json!({"key": key, "value": value, "variant": variant, "reason": reason, "metadata": metadata});
    check(
        "dark-mode",
        ctx(json!({"targetingKey": "u1"})),
        200,
        ok("dark-mode", json!(false), "off", "DISABLED", json!({})),
    )
    .await;
    check(
        "banner",
        ctx(json!({"targetingKey": "u1"})),
        200,
        ok("banner", json!("Hello"), "a", "DEFAULT", json!({})),
    )
    .await;
    check(
        "banner",
        ctx(json!({"targetingKey": "u1", "country": "FR"})),
        200,
        ok("banner", json!("Hi"), "b", "TARGETING_MATCH", json!({"ruleId": "fr"})),
    )
    .await;
    check(
        "banner",
        ctx(json!({"targetingKey": "vip"})),
        200,
        ok("banner", json!("Hi"), "b", "TARGETING_MATCH", json!({"individualTarget": true})),
    )
    .await;
    check(
        "settings",
        json!({}),
        200,
        ok("settings", json!({"retries": 3}), "v1", "STATIC", json!({})),
    )
    .await;
    let (status, split) = eval(&s, &key, "limit", ctx(json!({"targetingKey": "user-7"}))).await;
    assert_eq!((status.as_u16(), split["reason"].as_str()), (200, Some("SPLIT")), "{split}");
    assert!(split["value"] == json!(10) || split["value"] == json!(100), "{split}");

    check(
        "limit",
        ctx(json!({"country": "FR"})),
        400,
        json!({"key": "limit", "errorCode": "TARGETING_KEY_MISSING",
        "errorDetails": eval(&s, &key, "limit", ctx(json!({}))).await.1["errorDetails"].clone()}),
    )
    .await;
    let (status, missing) = eval(&s, &key, "nope", ctx(json!({}))).await;
    assert_eq!(status, 404);
    assert_eq!(missing["errorCode"], "FLAG_NOT_FOUND");
    assert_eq!(missing["key"], "nope");
    check("banner", json!({"context": [1, 2]}), 400,
        json!({"key": "banner", "errorCode": "INVALID_CONTEXT", "errorDetails": "\"context\" must be a JSON object"})).await;

    let r = s
        .client
        .post(s.at("/ofrep/v1/evaluate/flags/banner"))
        .bearer_auth(&key)
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (body["key"].as_str(), body["errorCode"].as_str()),
        (Some("banner"), Some("PARSE_ERROR")),
        "{body}"
    );
}

#[tokio::test]
async fn a_missing_or_unknown_sdk_key_is_401_and_x_api_key_works_too() {
    let s = TestServer::start().await;
    let key = setup(&s).await;
    let url = s.at("/ofrep/v1/evaluate/flags/settings");
    // A client of its own: the test server's sends an admin API token.
    let client = reqwest::Client::new();
    let r = client.post(&url).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = s
        .client
        .post(&url)
        .bearer_auth("tether-sdk-made-up")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client.post(&url).header("X-API-Key", &key).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // An API token is a real credential, but not for evaluation: 403.
    let r = client.post(&url).bearer_auth(&s.token).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert!(body["errorDetails"].as_str().unwrap().contains("SDK key"), "{body}");

    // A revoked key that this server never cached is refused at once.
    let other = s.store.create_sdk_key("shop", "staging", "t").await.unwrap();
    let id = s.store.list_sdk_keys("shop", "staging").await.unwrap()[0].id;
    assert!(s.store.revoke_sdk_key("shop", "staging", id, "t").await.unwrap());
    let r = client.post(&url).bearer_auth(&other).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn bulk_answers_every_flag_with_an_etag_and_304_until_something_changes() {
    // The test ticks by hand; the background refresh must not race it.
    let config = ServerConfig {
        snapshot_refresh: std::time::Duration::from_secs(3600),
        ..ServerConfig::default()
    };
    let s = TestServer::start_with(config).await;
    let key = setup(&s).await;
    let bulk = |etag: Option<String>, context: Value| {
        let (s, key) = (&s, key.clone());
        async move {
            let mut req = s
                .client
                .post(s.at("/ofrep/v1/evaluate/flags"))
                .bearer_auth(key)
                .json(&json!({"context": context}));
            if let Some(etag) = etag {
                req = req.header("If-None-Match", etag);
            }
            let r = req.send().await.unwrap();
            let etag = r.headers().get("etag").map(|v| v.to_str().unwrap().to_owned());
            let status = r.status();
            let body: Value = if status == 304 { Value::Null } else { r.json().await.unwrap() };
            (status, etag, body)
        }
    };
    let user = json!({"targetingKey": "u1"});
    let (status, etag, body) = bulk(None, user.clone()).await;
    assert_eq!(status, 200);
    let keys: Vec<&str> =
        body["flags"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["banner", "dark-mode", "limit", "settings"]);
    assert_eq!(body["flags"][1]["reason"], "DISABLED");
    let etag = etag.unwrap();

    let (status, again, _) = bulk(Some(etag.clone()), user.clone()).await;
    assert_eq!((status.as_u16(), again.as_deref()), (304, Some(etag.as_str())));
    let (status, other, _) = bulk(Some(etag.clone()), json!({"targetingKey": "u2"})).await;
    assert_eq!(status, 200, "another context is another answer");
    assert_ne!(other.as_deref(), Some(etag.as_str()));

    // A toggle written by another process reaches this one at its next tick.
    let mut on = serve(true, "off", Serve::variation("on"));
    on.targets = vec![];
    s.store
        .update_flag_config("shop", "dark-mode", "production", &on, None, "elsewhere")
        .await
        .unwrap();
    assert_eq!(bulk(Some(etag.clone()), user.clone()).await.0, 304, "not yet seen");
    assert_eq!(s.state.snapshots.tick(&s.store).await.unwrap(), 1);
    let (status, newer, body) = bulk(Some(etag.clone()), user).await;
    assert_eq!(status, 200);
    assert_ne!(newer, Some(etag));
    assert_eq!(
        (body["flags"][1]["value"].clone(), body["flags"][1]["reason"].clone()),
        (json!(true), json!("STATIC"))
    );
}

/// A change to one flag recompiles that flag alone when the cached snapshot is one change
/// behind; with another change in between it rebuilds the whole environment, so neither
/// change is lost; an environment not cached is left to be built on first use.
#[tokio::test]
async fn a_change_to_one_flag_updates_the_snapshot_in_place_or_rebuilds_it_whole() {
    let s = TestServer::start().await;
    setup(&s).await;
    let snapshots = &s.state.snapshots;
    let ctx = json!({"targetingKey": "u1"});
    let ctx = tether_flags::Context::from_value(&ctx).unwrap();
    let reason = |snapshot: &tether_flags::Snapshot, key: &str| {
        snapshot.evaluate(key, &ctx).reason.as_str().to_owned()
    };
    assert!(
        snapshots
            .refresh_flag(&s.store, "shop", "production", "dark-mode")
            .await
            .unwrap()
            .is_none()
    );
    let before = snapshots.get(&s.store, "shop", "production").await.unwrap();
    assert_eq!(reason(&before.snapshot, "dark-mode"), "DISABLED");
    let refreshed = || async {
        let refreshed = snapshots.refresh_flag(&s.store, "shop", "production", "dark-mode").await;
        refreshed.unwrap().expect("cached")
    };

    let on = serve(true, "off", Serve::variation("on"));
    s.store.update_flag_config("shop", "dark-mode", "production", &on, None, "t").await.unwrap();
    let after = refreshed().await;
    assert_eq!(after.snapshot.version(), before.snapshot.version() + 1);
    assert_eq!(reason(&after.snapshot, "dark-mode"), "STATIC");
    assert_eq!(reason(&after.snapshot, "banner"), reason(&before.snapshot, "banner"));
    let whole = snapshots.refresh(&s.store, "shop", "production").await.unwrap();
    assert_eq!(whole.snapshot.version(), after.snapshot.version());
    let keys = |e: &tether_server::EnvSnapshot| {
        e.snapshot.flag_keys().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(keys(&after), keys(&whole));
    for key in keys(&whole) {
        assert_eq!(
            after.snapshot.evaluate(&key, &ctx),
            whole.snapshot.evaluate(&key, &ctx),
            "{key}"
        );
    }

    // Another process's change to another flag, then this one's: one flag's read would miss
    // the other change, so the environment is rebuilt.
    let off = serve(false, "b", Serve::variation("a"));
    s.store
        .update_flag_config("shop", "banner", "production", &off, None, "elsewhere")
        .await
        .unwrap();
    let off = serve(false, "off", Serve::variation("on"));
    s.store.update_flag_config("shop", "dark-mode", "production", &off, None, "t").await.unwrap();
    let both = refreshed().await;
    assert_eq!(both.snapshot.version(), after.snapshot.version() + 2);
    assert_eq!(reason(&both.snapshot, "dark-mode"), "DISABLED");
    assert_eq!(reason(&both.snapshot, "banner"), "DISABLED", "the other change is seen too");
}

/// On PostgreSQL a toggle another process commits reaches this one's evaluation at once,
/// through the database's notifications, not at the next poll (an hour away here).
#[tokio::test]
#[cfg_attr(not(tether_pg), ignore = "needs TEST_PG_URL: a PostgreSQL server; .ci/run sets it")]
async fn another_process_toggle_reaches_evaluation_through_postgres_notifications() {
    let config = ServerConfig {
        snapshot_refresh: std::time::Duration::from_secs(3600),
        ..ServerConfig::default()
    };
    let s = TestServer::start_on(tether_store::testing::TestBackend::Postgres, config).await;
    let key = setup(&s).await;
    let evaluate = || async {
        let r = s
            .client
            .post(s.at("/ofrep/v1/evaluate/flags/dark-mode"))
            .bearer_auth(&key)
            .json(&json!({"context": {"targetingKey": "u1"}}))
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        (body["value"].clone(), body["reason"].clone())
    };
    assert_eq!(evaluate().await, (json!(false), json!("DISABLED")));
    // Another process: a store of its own on the same database.
    let other =
        tether_store::Store::connect(&s.db_url, tether_store::MasterKey::generate()).await.unwrap();
    let mut built = s.state.snapshots.subscribe();
    built.mark_unchanged();
    let mut on = serve(true, "off", Serve::variation("on"));
    on.targets = vec![];
    other
        .update_flag_config("shop", "dark-mode", "production", &on, None, "elsewhere")
        .await
        .unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(30), built.changed())
        .await
        .expect("the change was announced and a snapshot rebuilt, long before the next poll")
        .unwrap();
    assert_eq!(evaluate().await, (json!(true), json!("STATIC")));
}

#[tokio::test]
async fn past_a_keys_rate_limit_the_answer_is_429_with_retry_after() {
    let s = TestServer::start_with(ServerConfig { ofrep_rate_limit: 2, ..ServerConfig::default() })
        .await;
    let key = setup(&s).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..5 {
        let r = s
            .client
            .post(s.at("/ofrep/v1/evaluate/flags/settings"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            retry_after =
                r.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
        }
        statuses.push(r.status().as_u16());
    }
    assert_eq!(&statuses[..2], [200, 200], "{statuses:?}");
    assert!(statuses[2..].contains(&429), "{statuses:?}");
    assert!(retry_after.is_some_and(|s| s >= 1), "{retry_after:?}");
}

#[tokio::test]
async fn the_configuration_endpoint_describes_tether() {
    let s = TestServer::start().await;
    let (status, body) = s.get_json("/ofrep/v1/configuration").await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "tether");
    assert_eq!(body["capabilities"]["cacheInvalidation"]["polling"]["enabled"], true);
}
