//! The flag page's targeting forms over HTTP: individual targets (saved,
//! served by OFREP, duplicates refused inline), rules (added with a clause and
//! shown in words, moved, deleted; bad operands refused inline as typed), and
//! the same versions and policies as the other forms.

use serde_json::{Value, json};
use tether_flags::{Clause, Op, Rollout, Rule, Serve, Target, WeightedVariation};

use crate::TestServer;
use crate::ui_flags::{browser_like, env_config, html, post_form, setup};

const PAGE: &str = "/flags/shop/new-checkout?env=production";
const FORMS: &str = "/flags/shop/new-checkout/production";

/// OFREP's (value, reason, ruleId) for new-checkout in production.
async fn evaluate(s: &TestServer, sdk_key: &str, context: Value) -> (Value, Value, Value) {
    let r = s
        .client
        .post(s.at("/ofrep/v1/evaluate/flags/new-checkout"))
        .bearer_auth(sdk_key)
        .json(&json!({"context": context}))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    (body["value"].clone(), body["reason"].clone(), body["metadata"]["ruleId"].clone())
}

#[tokio::test]
async fn the_targets_form_replaces_the_targets_and_ofrep_serves_them() {
    let s = TestServer::start().await;
    setup(&s).await;
    let sdk_key = s.store.create_sdk_key("shop", "production", "t").await.unwrap();
    let (_, page) = html(&s, PAGE).await;
    assert!(
        page.contains("name=\"targets.on\" rows=\"3\" cols=\"24\" spellcheck=\"false\" aria-describedby=\"targets-hint\">alice</textarea>"),
        "the stored keys fill the text area: {page}"
    );

    let form = [("version", "1"), ("targets.on", "bob, carol\n bob \n"), ("targets.off", "dave")];
    let (status, location, _) = post_form(&s, &format!("{FORMS}/targets"), &form).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/flags/shop/new-checkout?env=production&saved=targets")
    );
    let (config, version) = env_config(&s, "shop", "new-checkout", "production").await;
    assert_eq!(
        (config.targets, version),
        (
            vec![
                Target { variation: "on".into(), keys: vec!["bob".into(), "carol".into()] },
                Target { variation: "off".into(), keys: vec!["dave".into()] },
            ],
            2
        )
    );
    let targeted = |who: &str| evaluate(&s, &sdk_key, json!({"targetingKey": who}));
    assert_eq!(targeted("carol").await.1, json!("TARGETING_MATCH"));
    assert_eq!(targeted("carol").await.0, json!(true));
    assert_eq!(targeted("dave").await.0, json!(false));
    assert_ne!(targeted("alice").await.1, json!("TARGETING_MATCH"), "alice was replaced");

    let (_, page) = html(&s, &location).await;
    assert!(page.contains("Saved the individual targets in Production."), "{page}");
    assert!(
        page.contains("Serve <code>on</code> to <code>bob</code>, <code>carol</code>"),
        "{page}"
    );
    assert!(page.contains("<td>admin/test-admin</td><td>changed the individual targets</td>"));

    // One key for two variations: refused next to the second, as typed.
    let form = [("version", "2"), ("targets.on", "erin"), ("targets.off", "dave\nerin")];
    let (status, _, page) = post_form(&s, &format!("{FORMS}/targets"), &form).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("<p class=\"field-error\" id=\"targets-off-error\" role=\"alert\">key &#34;erin&#34; is already targeted</p>"),
        "{page}"
    );
    assert!(page.contains("aria-invalid=\"true\">dave\nerin</textarea>"), "{page}");
    assert_eq!(env_config(&s, "shop", "new-checkout", "production").await.1, 2, "not written");

    // Emptying every text area removes the targets.
    let form = [("version", "2"), ("targets.on", " "), ("targets.off", "")];
    assert_eq!(post_form(&s, &format!("{FORMS}/targets"), &form).await.0, 303);
    assert!(env_config(&s, "shop", "new-checkout", "production").await.0.targets.is_empty());
}

#[tokio::test]
async fn rules_are_added_in_words_moved_and_deleted() {
    let s = TestServer::start().await;
    setup(&s).await;
    let sdk_key = s.store.create_sdk_key("shop", "production", "t").await.unwrap();
    let form = [
        ("version", "1"),
        ("description", "Paying customers"),
        ("attribute", "plan"),
        ("op", "in"),
        ("values", "pro\n\"42\"\n7\n\n"),
        ("mode", "variation"),
        ("variation", "on"),
    ];
    let (status, location, page) = post_form(&s, &format!("{FORMS}/rules/add"), &form).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/flags/shop/new-checkout?env=production&saved=rule-added"),
        "{page}"
    );
    let (config, version) = env_config(&s, "shop", "new-checkout", "production").await;
    assert_eq!(version, 2);
    let added = Rule {
        id: "rule-1".into(),
        description: "Paying customers".into(),
        clauses: vec![Clause::attribute("plan", Op::In(vec![json!("pro"), json!("42"), json!(7)]))],
        serve: Serve::variation("on"),
    };
    assert_eq!(config.rules[1], added);
    let (_, page) = html(&s, &location).await;
    assert!(page.contains("Added a rule in Production."), "{page}");
    assert!(
        page.contains("<code>plan</code> <em>is one of</em> <code>&#34;pro&#34;</code>, <code>&#34;42&#34;</code>, <code>7</code>"),
        "{page}"
    );
    let paying = json!({"targetingKey": "zed", "plan": "pro", "country": "FR"});
    assert_eq!(
        evaluate(&s, &sdk_key, paying.clone()).await,
        (json!(true), json!("TARGETING_MATCH"), json!("rule-1"))
    );

    // Negated, serving a rollout.
    let form = [
        ("version", "2"),
        ("attribute", "country"),
        ("op", "equals"),
        ("values", "DE"),
        ("negate", "true"),
        ("mode", "rollout"),
        ("variation", "on"),
        ("weight.on", "30"),
        ("weight.off", "70"),
    ];
    assert_eq!(post_form(&s, &format!("{FORMS}/rules/add"), &form).await.0, 303);
    let (config, _) = env_config(&s, "shop", "new-checkout", "production").await;
    let mut not_german = Clause::attribute("country", Op::Equals(json!("DE")));
    not_german.negate = true;
    assert_eq!(
        config.rules[2],
        Rule {
            id: "rule-2".into(),
            description: String::new(),
            clauses: vec![not_german],
            serve: Serve::Rollout(Rollout {
                variations: vec![
                    WeightedVariation { variation: "on".into(), weight: 30_000 },
                    WeightedVariation { variation: "off".into(), weight: 70_000 },
                ],
                bucket_by: None,
                salt: "new-checkout".into(),
            }),
        }
    );

    let order = || async {
        let (config, version) = env_config(&s, "shop", "new-checkout", "production").await;
        (config.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), version)
    };
    let moved = [("version", "3"), ("rule", "rule-2"), ("direction", "up")];
    let (status, location, _) = post_form(&s, &format!("{FORMS}/rules/move"), &moved).await;
    assert_eq!((status, location.ends_with("saved=rule-moved")), (303, true));
    assert_eq!(order().await, (vec!["eu".into(), "rule-2".into(), "rule-1".into()], 4));
    assert_eq!(
        evaluate(&s, &sdk_key, paying).await.2,
        json!("rule-2"),
        "the moved rule now matches first"
    );
    let (_, page) = html(&s, PAGE).await;
    let first = page.find("data-rule=\"eu\"").unwrap();
    let second = page.find("data-rule=\"rule-2\"").unwrap();
    let third = page.find("data-rule=\"rule-1\"").unwrap();
    assert!(first < second && second < third, "listed in the new order");
    assert!(
        page.contains("value=\"up\" disabled aria-label=\"Move rule eu up\""),
        "the first rule cannot go up: {page}"
    );

    let refused = [("version", "4"), ("rule", "eu"), ("direction", "up")];
    let (status, _, page) = post_form(&s, &format!("{FORMS}/rules/move"), &refused).await;
    assert_eq!(status, 422);
    assert!(
        page.contains(
            "id=\"rules-error\" role=\"alert\">rule &#34;eu&#34; is already the first</p>"
        ),
        "{page}"
    );
    let gone = [("version", "4"), ("rule", "nope")];
    let (status, _, page) = post_form(&s, &format!("{FORMS}/rules/delete"), &gone).await;
    assert_eq!(status, 422);
    assert!(page.contains("there is no rule &#34;nope&#34; in this environment"), "{page}");
    assert_eq!(order().await.1, 4, "nothing written");

    let delete = [("version", "4"), ("rule", "rule-1")];
    let (status, location, _) = post_form(&s, &format!("{FORMS}/rules/delete"), &delete).await;
    assert_eq!((status, location.ends_with("saved=rule-deleted")), (303, true));
    assert_eq!(order().await, (vec!["eu".into(), "rule-2".into()], 5));
    let (_, page) = html(&s, PAGE).await;
    assert!(!page.contains("Paying customers"), "{page}");
    assert!(page.contains("<td>admin/test-admin</td><td>changed the rules</td>"), "{page}");
}

#[tokio::test]
async fn a_bad_rule_comes_back_inline_as_typed_and_nothing_is_written() {
    let s = TestServer::start().await;
    setup(&s).await;
    let add = |fields: Vec<(&'static str, &'static str)>| {
        let s = &s;
        async move {
            let mut form = vec![("version", "1")];
            form.extend(fields);
            if !form.iter().any(|(k, _)| *k == "mode") {
                form.extend([("mode", "variation"), ("variation", "on")]);
            }
            let (status, _, page) = post_form(s, &format!("{FORMS}/rules/add"), &form).await;
            assert_eq!(status, 422, "{form:?}: {page}");
            page
        }
    };
    let page = add(vec![("attribute", "email"), ("op", "matches"), ("values", "([a-z")]).await;
    let error = page.split("id=\"rule-values-error\" role=\"alert\">").nth(1).unwrap();
    assert!(error.starts_with("invalid regular expression: "), "{page}");
    assert!(page.contains("aria-invalid=\"true\">([a-z</textarea>"), "kept as typed: {page}");
    assert!(page.contains("name=\"attribute\" value=\"email\""), "{page}");
    assert!(page.contains("<option value=\"matches\" selected>"), "{page}");

    let page = add(vec![("attribute", "age"), ("op", "number_greater"), ("values", "old")]).await;
    assert!(page.contains("role=\"alert\">&#34;old&#34; is not a number</p>"), "{page}");
    let page = add(vec![("attribute", " "), ("op", "in"), ("values", "x")]).await;
    assert!(page.contains("id=\"rule-attribute-error\""), "{page}");
    let page = add(vec![("attribute", "a..b"), ("op", "in"), ("values", "x")]).await;
    assert!(
        page.contains("id=\"rule-attribute-error\" role=\"alert\">invalid attribute path"),
        "{page}"
    );
    let page = add(vec![("attribute", "email"), ("op", "starts_with"), ("values", "a\nb")]).await;
    assert!(page.contains("this operator takes one value, not 2"), "{page}");
    let page = add(vec![("attribute", "v"), ("op", "semver_less"), ("values", "two")]).await;
    assert!(page.contains("id=\"rule-values-error\" role=\"alert\">invalid semantic version"));
    let page = add(vec![
        ("attribute", "plan"),
        ("op", "in"),
        ("values", "pro"),
        ("negate", "true"),
        ("mode", "rollout"),
        ("weight.on", "50"),
        ("weight.off", "40"),
    ])
    .await;
    assert!(
        page.contains("id=\"rule-serve-error\" role=\"alert\">percentages must add up to 100, they add up to 90</p>"),
        "{page}"
    );
    assert!(page.contains("id=\"rule-negate\" name=\"negate\" value=\"true\" checked"), "{page}");
    assert!(page.contains("id=\"rule-mode-rollout\" name=\"mode\" value=\"rollout\" checked"));

    let (config, version) = env_config(&s, "shop", "new-checkout", "production").await;
    assert_eq!((config.rules.len(), version), (1, 1), "nothing written");
}

#[tokio::test]
async fn targeting_forms_need_their_actions_and_the_current_version() {
    let s = TestServer::start().await;
    setup(&s).await;
    let reader = tether_store::NewToken {
        name: "reader".into(),
        kind: "personal".into(),
        member: "admin".into(),
        created_by: None,
        roles: vec!["reader".into()],
    };
    let (_, secret) = s.store.create_token(&reader, "t").await.unwrap();
    let client = browser_like();
    client.post(s.at("/signin")).form(&[("token", secret.as_str())]).send().await.unwrap();
    for (path, form, action) in [
        ("targets", vec![("version", "1"), ("targets.on", "x")], "updateTargets"),
        (
            "rules/add",
            vec![("version", "1"), ("attribute", "a"), ("op", "in"), ("values", "x")],
            "updateRules",
        ),
        ("rules/delete", vec![("version", "1"), ("rule", "eu")], "updateRules"),
        (
            "rules/move",
            vec![("version", "1"), ("rule", "eu"), ("direction", "down")],
            "updateRules",
        ),
    ] {
        let token = crate::ui_flags::csrf_token(&client, &s, "/flags/shop/new-checkout").await;
        let mut form = form;
        form.push(("csrf", token.as_str()));
        let r = client.post(s.at(&format!("{FORMS}/{path}"))).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
        let why = r.text().await.unwrap();
        assert!(
            why.contains(&format!(
                "`{action}` on `proj/shop:env/production:flag/new-checkout;beta,checkout`"
            )),
            "{path}: {why}"
        );
    }
    assert_eq!(env_config(&s, "shop", "new-checkout", "production").await.1, 1);

    // Someone else saved meanwhile: the form is refused with the current state.
    let mut changed = env_config(&s, "shop", "new-checkout", "production").await.0;
    changed.on = false;
    s.store
        .update_flag_config("shop", "new-checkout", "production", &changed, Some(1), "carol")
        .await
        .unwrap();
    for (path, form) in [
        ("targets", vec![("version", "1"), ("targets.on", "x")]),
        ("rules/add", vec![("version", "1"), ("attribute", "a"), ("op", "in"), ("values", "x")]),
        ("rules/delete", vec![("version", "1"), ("rule", "eu")]),
        ("rules/move", vec![("version", "1"), ("rule", "eu"), ("direction", "down")]),
    ] {
        let (status, _, page) = post_form(&s, &format!("{FORMS}/{path}"), &form).await;
        assert_eq!(status, 409, "{path}");
        assert!(page.contains("it is now at version 2"), "{path}: {page}");
    }
    assert_eq!(env_config(&s, "shop", "new-checkout", "production").await, (changed, 2));
}
