//! One flag's page in the web UI over HTTP: its environment tabs, and the forms
//! (on/off with production's confirmation, default rule, off variation) with
//! their validation, optimistic concurrency and effect on OFREP.

use serde_json::{Value, json};
use tether_flags::{
    Clause, EnvConfig, Flag, FlagKind, Op, Rollout, Rule, Serve, Target, Variation,
    WeightedVariation,
};
use tether_store::NewProject;

use crate::TestServer;

fn flag(key: &str, name: &str, kind: FlagKind, values: &[(&str, Value)], tags: &[&str]) -> Flag {
    Flag {
        key: key.into(),
        name: name.into(),
        description: format!("About {name}"),
        kind,
        variations: values
            .iter()
            .map(|(k, v)| Variation { key: (*k).into(), name: (*k).into(), value: v.clone() })
            .collect(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        custom_properties: Default::default(),
    }
}

fn config(on: bool, off: &str, default_rule: Serve) -> EnvConfig {
    EnvConfig { on, off_variation: off.into(), targets: vec![], rules: vec![], default_rule }
}

fn rollout(weights: &[(&str, u32)]) -> Serve {
    Serve::Rollout(Rollout {
        variations: weights
            .iter()
            .map(|(v, w)| WeightedVariation { variation: (*v).into(), weight: *w })
            .collect(),
        bucket_by: None,
        salt: "salt".into(),
    })
}

/// Project `shop` (development, staging, production) with three flags, and
/// project `blog` with one.
pub(crate) async fn setup(s: &TestServer) {
    for (key, name) in [("shop", "Shop"), ("blog", "Blog")] {
        let p = NewProject {
            key: key.into(),
            name: name.into(),
            description: String::new(),
            environments: vec![],
        };
        s.store.create_project(&p, "t").await.unwrap();
    }
    let bools = [("on", json!(true)), ("off", json!(false))];
    let mut checkout = config(true, "off", rollout(&[("on", 25_000), ("off", 75_000)]));
    checkout.targets = vec![Target { variation: "on".into(), keys: vec!["alice".into()] }];
    checkout.rules = vec![Rule {
        id: "eu".into(),
        description: "Outside the EU pilot".into(),
        clauses: vec![
            Clause::attribute("country", Op::In(vec![json!("FR"), json!("DE")])).negated(),
            Clause::attribute("email", Op::EndsWith("@shop.test".into())),
        ],
        serve: rollout(&[("on", 50_000), ("off", 50_000)]),
    }];
    let checkout_flag =
        flag("new-checkout", "New checkout", FlagKind::Boolean, &bools, &["checkout", "beta"]);
    s.store.create_flag("shop", &checkout_flag, &checkout, "t").await.unwrap();
    let banner = flag(
        "banner",
        "Banner text",
        FlagKind::String,
        &[("hello", json!("Hello")), ("sale", json!("Sale"))],
        &["marketing"],
    );
    s.store
        .create_flag("shop", &banner, &config(false, "hello", Serve::variation("sale")), "t")
        .await
        .unwrap();
    let size = flag("page-size", "Page size", FlagKind::Number, &[("s", json!(10))], &[]);
    s.store
        .create_flag("shop", &size, &config(true, "s", Serve::variation("s")), "t")
        .await
        .unwrap();
    let dark = flag("dark-mode", "Dark mode", FlagKind::Boolean, &bools, &["beta"]);
    s.store
        .create_flag("blog", &dark, &config(false, "off", Serve::variation("on")), "t")
        .await
        .unwrap();
    // Production only: the flag is on there and off elsewhere.
    let prod = config(true, "hello", Serve::variation("sale"));
    s.store.update_flag_config("shop", "banner", "production", &prod, None, "t").await.unwrap();
}

pub(crate) async fn html(s: &TestServer, path: &str) -> (u16, String) {
    let r = s.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts a form without following the redirect: (status, Location, body).
pub(crate) async fn post_form(
    s: &TestServer,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = client.post(s.at(path)).bearer_auth(&s.token).form(form).send().await.unwrap();
    let status = r.status().as_u16();
    let location =
        r.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

pub(crate) async fn env_config(
    s: &TestServer,
    project: &str,
    key: &str,
    env: &str,
) -> (EnvConfig, i64) {
    let f = s.store.flag(project, key).await.unwrap();
    let c = f.environments.into_iter().find(|c| c.env == env).unwrap();
    (c.config, c.version)
}

#[tokio::test]
async fn a_flag_page_shows_its_header_and_each_environment_in_a_tab() {
    let s = TestServer::start().await;
    setup(&s).await;
    let (status, page) = html(&s, "/flags/shop/new-checkout").await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>New checkout</h1>"), "{page}");
    assert!(page.contains("<code data-field=\"key\">new-checkout</code>"), "{page}");
    assert!(page.contains("<span class=\"kind\" data-field=\"kind\">boolean</span>"), "{page}");
    assert!(page.contains("About New checkout"), "{page}");
    assert!(page.contains("<span class=\"tag\">beta</span>"), "{page}");
    assert!(page.contains("<code class=\"value\">true</code>"), "{page}");
    assert!(page.contains("Last saved <time"), "{page}");
    assert!(page.contains("just now</time>"), "{page}");
    assert!(page.contains(" UTC)</span> by <strong>t</strong>"), "{page}");
    // Without ?env, the primary environment's tab; every tab is a link.
    assert!(
        page.contains("<a href=\"/flags/shop/new-checkout?env=production\" aria-current=\"page\">Production</a>"),
        "{page}"
    );
    assert!(
        page.contains("<a href=\"/flags/shop/new-checkout?env=staging\">Staging</a>"),
        "{page}"
    );
    assert!(
        page.contains("<a href=\"/flags/shop/new-checkout?tab=integrations\">Integrations</a>")
    );
    assert!(page.contains("role=\"switch\" id=\"switch\" aria-checked=\"true\""), "{page}");
    assert!(page.contains("Config version <span data-field=\"config-version\">1</span>"), "{page}");
    // Targets, rules with their clauses (negation in words), the default rule, the off variation.
    assert!(page.contains("Serve <code>on</code> to <code>alice</code>"), "{page}");
    assert!(page.contains("Outside the EU pilot"), "{page}");
    assert!(
        page.contains("<code>country</code> <em>is not one of</em> <code>&#34;FR&#34;</code>, <code>&#34;DE&#34;</code>"),
        "{page}"
    );
    assert!(
        page.contains("<code>email</code> <em>ends with</em> <code>&#34;@shop.test&#34;</code>")
    );
    assert!(page.contains("<code>on</code> 50%, <code>off</code> 50%"), "{page}");
    assert!(page.contains("<code>on</code> <strong>25%</strong>"), "{page}");
    assert!(page.contains("<code>off</code> <strong>75%</strong>"), "{page}");
    assert!(page.contains("name=\"weight.on\" value=\"25\""), "{page}");
    assert!(page.contains("When the flag is off, serve <code id=\"off-variation\">off</code>"));
    assert!(page.contains("created the flag"), "{page}");

    // Another environment's tab shows that environment, with its own history.
    s.store
        .update_flag_config(
            "shop",
            "banner",
            "staging",
            &config(true, "hello", Serve::variation("hello")),
            None,
            "bob",
        )
        .await
        .unwrap();
    let (_, page) = html(&s, "/flags/shop/banner?env=staging").await;
    assert!(
        page.contains(
            "<a href=\"/flags/shop/banner?env=staging\" aria-current=\"page\">Staging</a>"
        ),
        "{page}"
    );
    assert!(page.contains("aria-checked=\"true\""), "{page}");
    assert!(page.contains("<code>hello</code>."), "{page}");
    assert!(
        page.contains("<td>bob</td><td>turned the flag on, changed the default rule</td>"),
        "{page}"
    );
    let (_, page) = html(&s, "/flags/shop/banner?env=development").await;
    assert!(page.contains("aria-checked=\"false\""), "{page}");
    assert!(
        !page.contains("<td>bob</td>"),
        "staging's change is not development's history: {page}"
    );
    assert!(page.contains("No individual targets.") && page.contains("No rules."), "{page}");

    let (status, page) = html(&s, "/flags/shop/banner?tab=integrations").await;
    assert_eq!(status, 200);
    assert!(page.contains("No Jira issues are connected to this flag."), "{page}");
    assert!(page.contains("?tab=integrations\" aria-current=\"page\">Integrations</a>"), "{page}");

    for missing in ["/flags/shop/nope", "/flags/nope/banner", "/flags/shop/banner?env=qa"] {
        let (status, page) = html(&s, missing).await;
        assert_eq!(status, 404, "{missing}");
        assert!(page.contains("<h1>Not found</h1>"), "{missing}: {page}");
    }
}

#[tokio::test]
async fn toggling_writes_the_store_and_ofrep_answers_the_new_state_at_once() {
    let s = TestServer::start().await;
    setup(&s).await;
    let sdk_key = s.store.create_sdk_key("shop", "production", "t").await.unwrap();
    let evaluate = || async {
        let r = s
            .client
            .post(s.at("/ofrep/v1/evaluate/flags/new-checkout"))
            .bearer_auth(&sdk_key)
            .json(&json!({"context": {"targetingKey": "alice"}}))
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        (body["value"].clone(), body["reason"].clone())
    };
    assert_eq!(evaluate().await, (json!(true), json!("TARGETING_MATCH")));

    // Production asks first: the switch's post shows a confirmation and writes nothing.
    let (status, _, page) = post_form(
        &s,
        "/flags/shop/new-checkout/production/toggle",
        &[("version", "1"), ("on", "false")],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Turn New checkout off in Production?"), "{page}");
    let confirm = &page[page.find("id=\"confirm\"").expect("a confirmation")..];
    for hidden in [
        "name=\"version\" value=\"1\"",
        "name=\"on\" value=\"false\"",
        "name=\"confirm\" value=\"yes\"",
    ] {
        assert!(confirm.contains(hidden), "the confirmation carries {hidden}: {confirm}");
    }
    assert_eq!(env_config(&s, "shop", "new-checkout", "production").await.1, 1, "nothing written");
    let (status, location, _) = post_form(
        &s,
        "/flags/shop/new-checkout/production/toggle",
        &[("version", "1"), ("on", "false"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/flags/shop/new-checkout?env=production&saved=toggle")
    );
    let (c, version) = env_config(&s, "shop", "new-checkout", "production").await;
    assert_eq!((c.on, version), (false, 2));
    assert_eq!(
        evaluate().await,
        (json!(false), json!("DISABLED")),
        "OFREP sees the change at once"
    );
    let (config_staging, _) = env_config(&s, "shop", "new-checkout", "staging").await;
    assert!(config_staging.on, "other environments are untouched");

    let (_, page) = html(&s, &location).await;
    assert!(page.contains("Saved: New checkout is now off in Production."), "{page}");
    assert!(page.contains("aria-checked=\"false\""), "{page}");
    assert!(page.contains("by <strong>admin/test-admin</strong>"), "{page}");
    assert!(page.contains("<td>admin/test-admin</td><td>turned the flag off</td>"), "{page}");

    let audit =
        s.store.audit_log(Some("proj/shop:env/production:flag/new-checkout"), 1).await.unwrap();
    assert_eq!(
        (audit[0].actor.as_str(), audit[0].action.as_str()),
        ("admin/test-admin", "flag.config.update")
    );

    let (status, _, _) = post_form(
        &s,
        "/flags/shop/new-checkout/production/toggle",
        &[("version", "2"), ("on", "true"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(evaluate().await, (json!(true), json!("TARGETING_MATCH")));
}

#[tokio::test]
async fn the_default_rule_form_stores_exact_weights_or_one_variation() {
    let s = TestServer::start().await;
    setup(&s).await;
    let path = "/flags/shop/new-checkout/production/default-rule";
    let form =
        [("version", "1"), ("mode", "rollout"), ("weight.on", "33.333"), ("weight.off", "66.667")];
    let (status, location, _) = post_form(&s, path, &form).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/flags/shop/new-checkout?env=production&saved=default-rule")
    );
    let (c, version) = env_config(&s, "shop", "new-checkout", "production").await;
    assert_eq!(version, 2);
    // The salt and bucketing attribute of the stored rollout are kept.
    assert_eq!(
        c.default_rule,
        Serve::Rollout(Rollout {
            variations: vec![
                WeightedVariation { variation: "on".into(), weight: 33_333 },
                WeightedVariation { variation: "off".into(), weight: 66_667 },
            ],
            bucket_by: None,
            salt: "salt".into(),
        })
    );
    assert_eq!(c.rules.len(), 1, "rules and targets are untouched");
    let (_, page) = html(&s, &location).await;
    assert!(page.contains("Saved the default rule in Production."), "{page}");
    assert!(page.contains("<code>on</code> <strong>33.333%</strong>"), "{page}");
    assert!(page.contains("<td>admin/test-admin</td><td>changed the default rule</td>"), "{page}");

    // " 0 %" and an empty field are both 0; "100" is all.
    let form =
        [("version", "2"), ("mode", "rollout"), ("weight.on", " 0 %"), ("weight.off", "100")];
    assert_eq!(post_form(&s, path, &form).await.0, 303);
    let (c, _) = env_config(&s, "shop", "new-checkout", "production").await;
    assert_eq!(c.default_rule, rollout(&[("on", 0), ("off", 100_000)]).with_salt("salt"));

    let form = [("version", "3"), ("mode", "variation"), ("variation", "on"), ("weight.on", "x")];
    assert_eq!(post_form(&s, path, &form).await.0, 303, "weights are ignored when serving one");
    let (c, _) = env_config(&s, "shop", "new-checkout", "production").await;
    assert_eq!(c.default_rule, Serve::variation("on"));

    // From one variation to a rollout: the flag's key salts it.
    let form =
        [("version", "4"), ("mode", "rollout"), ("weight.on", "12.5"), ("weight.off", "87.5")];
    assert_eq!(post_form(&s, path, &form).await.0, 303);
    let (c, _) = env_config(&s, "shop", "new-checkout", "production").await;
    assert_eq!(
        c.default_rule,
        rollout(&[("on", 12_500), ("off", 87_500)]).with_salt("new-checkout")
    );
}

trait WithSalt {
    fn with_salt(self, salt: &str) -> Serve;
}

impl WithSalt for Serve {
    fn with_salt(self, salt: &str) -> Serve {
        match self {
            Serve::Rollout(r) => Serve::Rollout(Rollout { salt: salt.into(), ..r }),
            other => other,
        }
    }
}

#[tokio::test]
async fn bad_percentages_come_back_inline_as_typed_and_nothing_is_written() {
    let s = TestServer::start().await;
    setup(&s).await;
    let before = env_config(&s, "shop", "new-checkout", "production").await;
    let audit_before = s.store.audit_log(None, 100).await.unwrap().len();
    let path = "/flags/shop/new-checkout/production/default-rule";
    let check = |weights: [&'static str; 2],
                 group: &'static str,
                 field: Option<(&'static str, &'static str)>| {
        let s = &s;
        async move {
            let form = [
                ("version", "1"),
                ("mode", "rollout"),
                ("weight.on", weights[0]),
                ("weight.off", weights[1]),
            ];
            let (status, _, page) = post_form(s, path, &form).await;
            assert_eq!(status, 422, "{weights:?}");
            assert!(
                page.contains(&format!(
                    "<p class=\"field-error\" id=\"default-rule-error\" role=\"alert\">{group}</p>"
                )),
                "{weights:?}: {page}"
            );
            for (key, typed) in [("on", weights[0]), ("off", weights[1])] {
                let typed = typed.replace('"', "&#34;");
                assert!(
                    page.contains(&format!("name=\"weight.{key}\" value=\"{typed}\"")),
                    "{weights:?} {key}: {page}"
                );
            }
            if let Some((key, message)) = field {
                assert!(
                    page.contains(&format!(
                        "<p class=\"field-error\" id=\"weight-{key}-error\">{message}</p>"
                    )),
                    "{weights:?}: {page}"
                );
                assert!(
                    page.contains(&format!("aria-describedby=\"weight-{key}-error\"")),
                    "{page}"
                );
            }
            // The page is the flag's, with the current state.
            assert!(page.contains("<code>on</code> <strong>25%</strong>"), "{page}");
        }
    };
    check(["40", "50"], "percentages must add up to 100, they add up to 90", None).await;
    check(["60", "60.5"], "percentages must add up to 100, they add up to 120.5", None).await;
    check(["33.333", "66.666"], "percentages must add up to 100, they add up to 99.999", None)
        .await;
    let unreadable = "some percentages cannot be read; see below";
    check(
        ["abc", "50"],
        unreadable,
        Some(("on", "&#34;abc&#34; is not a percentage: use a number like 25 or 33.333")),
    )
    .await;
    check(["50", "-50"], unreadable, Some(("off", "must be between 0 and 100"))).await;
    check(["150", "0"], unreadable, Some(("on", "must be between 0 and 100"))).await;
    check(
        ["33.3333", "66.6667"],
        unreadable,
        Some(("on", "use at most 3 decimal places (steps of 0.001%)")),
    )
    .await;
    check(
        ["1e2", "0"],
        unreadable,
        Some(("on", "&#34;1e2&#34; is not a percentage: use a number like 25 or 33.333")),
    )
    .await;

    // An unknown variation, for the default rule and the off variation.
    let form = [("version", "1"), ("mode", "variation"), ("variation", "maybe")];
    let (status, _, page) = post_form(&s, path, &form).await;
    assert_eq!(status, 422);
    assert!(page.contains("choose one of the flag&#39;s variations"), "{page}");
    let form = [("version", "1"), ("off_variation", "maybe")];
    let (status, _, page) =
        post_form(&s, "/flags/shop/new-checkout/production/off-variation", &form).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"off-error\" role=\"alert\">choose one of the flag&#39;s variations"),
        "{page}"
    );
    assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"off-error\""), "{page}");

    assert_eq!(env_config(&s, "shop", "new-checkout", "production").await, before);
    assert_eq!(s.store.audit_log(None, 100).await.unwrap().len(), audit_before, "nothing written");
}

#[tokio::test]
async fn the_off_variation_form_saves_and_validation_of_the_whole_config_applies() {
    let s = TestServer::start().await;
    setup(&s).await;
    let path = "/flags/shop/banner/production/off-variation";
    let (status, location, _) =
        post_form(&s, path, &[("version", "2"), ("off_variation", "sale")]).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/flags/shop/banner?env=production&saved=off-variation")
    );
    assert_eq!(env_config(&s, "shop", "banner", "production").await.0.off_variation, "sale");
    let (_, page) = html(&s, &location).await;
    assert!(page.contains("Saved the off variation in Production."), "{page}");
    assert!(page.contains("<option value=\"sale\" selected>sale</option>"), "{page}");

    // A stored config that references a segment that is gone fails validation:
    // the form refuses to write and says why, whichever part it edits.
    let mut broken = config(true, "hello", Serve::variation("sale"));
    broken.rules = vec![Rule {
        id: "r1".into(),
        description: String::new(),
        clauses: vec![Clause::in_segment(["gone"])],
        serve: Serve::variation("hello"),
    }];
    let state =
        s.store.update_flag_config("shop", "banner", "staging", &broken, None, "t").await.unwrap();
    let version = state.version.to_string();
    let (status, _, page) = post_form(
        &s,
        "/flags/shop/banner/staging/toggle",
        &[("version", &version), ("on", "false")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("cannot fix: rules[0].clauses[0]"), "{page}");
    assert!(page.contains("unknown segment &#34;gone&#34;"), "{page}");
    assert_eq!(env_config(&s, "shop", "banner", "staging").await.0, broken);
}

#[tokio::test]
async fn a_form_based_on_an_old_version_is_refused_with_the_current_state() {
    let s = TestServer::start().await;
    setup(&s).await;
    // Someone else turns the flag off after the page was loaded at version 1.
    let mut off = env_config(&s, "shop", "new-checkout", "production").await.0;
    off.on = false;
    s.store
        .update_flag_config("shop", "new-checkout", "production", &off, Some(1), "carol")
        .await
        .unwrap();

    for (path, form) in [
        ("toggle", vec![("version", "1"), ("on", "false"), ("confirm", "yes")]),
        (
            "default-rule",
            vec![("version", "1"), ("mode", "rollout"), ("weight.on", "40"), ("weight.off", "60")],
        ),
        ("off-variation", vec![("version", "1"), ("off_variation", "on")]),
    ] {
        let (status, _, page) =
            post_form(&s, &format!("/flags/shop/new-checkout/production/{path}"), &form).await;
        assert_eq!(status, 409, "{path}");
        assert!(
            page.contains("Not saved: this flag&#39;s configuration in this environment changed while you were editing (your form was based on version 1; it is now at version 2)."),
            "{path}: {page}"
        );
        assert!(page.contains("role=\"alert\""), "{page}");
        // The current state, and forms based on the current version.
        assert!(page.contains("aria-checked=\"false\""), "{path}: {page}");
        assert!(page.contains("name=\"version\" value=\"2\""), "{path}: {page}");
        assert!(page.contains("name=\"weight.on\" value=\"25\""), "{path}: {page}");
    }
    assert_eq!(env_config(&s, "shop", "new-checkout", "production").await, (off, 2));

    let (status, _, _) =
        post_form(&s, "/flags/shop/new-checkout/production/toggle", &[("on", "false")]).await;
    assert_eq!(status, 400, "a form without a version");
    let (status, _, _) =
        post_form(&s, "/flags/shop/new-checkout/qa/toggle", &[("version", "1"), ("on", "false")])
            .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn hostile_names_and_values_are_escaped_everywhere() {
    let s = TestServer::start().await;
    setup(&s).await;
    let evil = "<script>alert(1)</script>";
    let mut f = flag(
        "evil",
        evil,
        FlagKind::String,
        &[("a", json!("</code><img src=x onerror=alert(2)>")), ("b", json!("\" onmouseover=\"x"))],
        &["<b>tag</b>"],
    );
    f.description = "<iframe src=\"javascript:alert(3)\">".into();
    let mut c = config(true, "a", Serve::variation("b"));
    c.rules = vec![Rule {
        id: "r".into(),
        description: "<i>rule</i>".into(),
        clauses: vec![Clause::attribute("x<y", Op::Equals(json!("<svg onload=alert(4)>")))],
        serve: Serve::variation("a"),
    }];
    c.targets = vec![Target { variation: "a".into(), keys: vec!["<u>k</u>".into()] }];
    s.store.create_flag("shop", &f, &c, "<actor>").await.unwrap();
    for path in ["/flags", "/flags/shop/evil", "/flags?q=%3Cscript%3E&tag=%3Cb%3Etag%3C%2Fb%3E"] {
        let (status, page) = html(&s, path).await;
        assert_eq!(status, 200, "{path}");
        for raw in [
            "<script>alert",
            "<img",
            "<iframe",
            "<b>tag",
            "<i>rule",
            "<svg",
            "<u>k",
            "<actor>",
            "\" onmouseover",
        ] {
            assert!(!page.contains(raw), "{path} contains {raw:?} unescaped: {page}");
        }
        assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{path}: {page}");
    }
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused() {
    let s = TestServer::start().await;
    setup(&s).await;
    let post = |site: &'static str| {
        let s = &s;
        async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let r = client
                .post(s.at("/flags/shop/new-checkout/production/toggle"))
                .bearer_auth(&s.token)
                .header("sec-fetch-site", site)
                .form(&[("version", "1"), ("on", "false"), ("confirm", "yes")])
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }
    };
    assert_eq!(post("cross-site").await, 403);
    assert_eq!(post("same-site").await, 403);
    assert!(env_config(&s, "shop", "new-checkout", "production").await.0.on, "nothing written");
    assert_eq!(post("same-origin").await, 303);
    assert!(!env_config(&s, "shop", "new-checkout", "production").await.0.on);
}

/// A client that keeps cookies and sends no token of its own.
/// The CSRF token of the session `client` is signed in with, read from the forms
/// of the page at `path` (as a browser would post it back).
pub(crate) async fn csrf_token(client: &reqwest::Client, s: &TestServer, path: &str) -> String {
    let html = client.get(s.at(path)).send().await.unwrap().text().await.unwrap();
    let at = html.find(r#"name="csrf" value=""#).unwrap_or_else(|| panic!("no token in {path}"));
    let rest = &html[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub(crate) fn browser_like() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn flag_pages_ask_to_sign_in_and_a_token_signs_in_through_a_cookie() {
    let s = TestServer::start().await;
    let anonymous = browser_like();
    let r = anonymous.get(s.at("/flags?q=x")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/signin?next=/flags%3Fq%3Dx");

    let r = anonymous
        .post(s.at("/signin"))
        .form(&[("token", "tether-api-wrong"), ("next", "/flags")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("unknown or revoked"));

    let r = anonymous
        .post(s.at("/signin"))
        .form(&[("token", s.token.as_str()), ("next", "//evil.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/", "no open redirect: anything else goes to /");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert_eq!(
        anonymous.get(s.at("/flags")).send().await.unwrap().status(),
        200,
        "the cookie signs in"
    );

    let token = csrf_token(&anonymous, &s, "/flags").await;
    let r =
        anonymous.post(s.at("/signout")).form(&[("csrf", token.as_str())]).send().await.unwrap();
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(anonymous.get(s.at("/flags")).send().await.unwrap().status(), 303, "signed out");
}

#[tokio::test]
async fn a_reader_signed_in_to_the_ui_cannot_toggle() {
    let s = TestServer::start().await;
    let p = NewProject {
        key: "shop".into(),
        name: "Shop".into(),
        description: String::new(),
        environments: vec![],
    };
    s.store.create_project(&p, "t").await.unwrap();
    let flag = Flag {
        key: "f".into(),
        name: "F".into(),
        description: String::new(),
        kind: FlagKind::Boolean,
        variations: vec![
            Variation { key: "on".into(), name: String::new(), value: serde_json::json!(true) },
            Variation { key: "off".into(), name: String::new(), value: serde_json::json!(false) },
        ],
        tags: vec![],
        custom_properties: Default::default(),
    };
    let off = EnvConfig {
        on: false,
        off_variation: "off".into(),
        targets: vec![],
        rules: vec![],
        default_rule: Serve::variation("on"),
    };
    s.store.create_flag("shop", &flag, &off, "t").await.unwrap();
    let reader = tether_store::NewToken {
        name: "reader".into(),
        kind: "personal".into(),
        member: "admin".into(),
        created_by: None,
        roles: vec!["reader".into()],
    };
    let (_, secret) = s.store.create_token(&reader, "t").await.unwrap();
    let client = browser_like();
    client
        .post(s.at("/signin"))
        .form(&[("token", secret.as_str()), ("next", "/flags")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        client.get(s.at("/flags/shop/f")).send().await.unwrap().status(),
        200,
        "a reader may look"
    );
    let token = csrf_token(&client, &s, "/flags/shop/f").await;
    let r = client
        .post(s.at("/flags/shop/f/production/toggle"))
        .form(&[("version", "1"), ("on", "true"), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("updateOn"));
    assert!(
        !s.store.flag("shop", "f").await.unwrap().environments[2].config.on,
        "nothing was written"
    );
}
