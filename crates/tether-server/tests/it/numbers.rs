//! Number flags serve what the user wrote: a value written `20.0` is a float and
//! comes back `20.0` from the API and from OFREP, `20` stays an integer, on both
//! store backends. OpenFeature SDKs with separate integer and float getters
//! (Python's) tell the two apart by exactly this.

use serde_json::Value;
use tether_store::NewProject;
use tether_store::testing::TestBackend;

use crate::TestServer;

tether_store::on_each_backend!(number_values_keep_their_form_from_the_api_to_ofrep);
async fn number_values_keep_their_form_from_the_api_to_ofrep(backend: TestBackend) {
    let s = TestServer::start_on(backend, Default::default()).await;
    let project = NewProject {
        key: "shop".into(),
        name: "Shop".into(),
        description: String::new(),
        environments: vec![],
    };
    s.store.create_project(&project, "t").await.unwrap();
    let sdk_key = s.store.create_sdk_key("shop", "production", "t").await.unwrap();
    // (the value as the client sends it, as the API and OFREP write it back)
    let cases = [
        ("20.0", "20.0"),
        ("20", "20"),
        ("-3.0", "-3.0"),
        ("-3", "-3"),
        ("0.5", "0.5"),
        ("2.50", "2.5"),
        ("1e3", "1000.0"),
        ("0.1", "0.1"),
        ("0.30000000000000004", "0.30000000000000004"),
        ("-0.0", "-0.0"),
        ("1.7976931348623157e308", "1.7976931348623157e+308"),
        ("5e-324", "5e-324"),
        // Served as 7.038530999999999e-26 while serde_json parsed floats to within a
        // unit in the last place instead of exactly (no `float_roundtrip`).
        ("7.038531e-26", "7.038531e-26"),
        ("2.2250738585072011e-308", "2.225073858507201e-308"),
        // Above 2^53, where a float would round it: stays the integer written.
        ("9007199254740993", "9007199254740993"),
    ];
    let mut failures = Vec::new();
    for (i, (sent, want)) in cases.iter().enumerate() {
        let key = format!("n{i}");
        let flag = format!(
            r#"{{"key": "{key}", "name": "{key}", "kind": "number",
                "variations": [{{"key": "v", "value": {sent}}}, {{"key": "other", "value": 1}}]}}"#
        );
        let (status, body) = s.post_raw("/api/projects/shop/flags", flag).await;
        assert_eq!(status, 201, "{sent}: {body}");
        let toggle = format!("/api/projects/shop/flags/{key}/environments/production/toggle");
        let (status, body) = s.post_raw(&toggle, r#"{"on": true}"#).await;
        assert_eq!(status, 200, "{sent}: {body}");

        let api = s.get(&format!("/api/projects/shop/flags/{key}")).await.text().await.unwrap();
        let served = reqwest::Client::new()
            .post(s.at(&format!("/ofrep/v1/evaluate/flags/{key}")))
            .bearer_auth(&sdk_key)
            .body(r#"{"context": {"targetingKey": "u"}}"#)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let api_value = variation_text(&api);
        let ofrep_value = serde_json::from_str::<Value>(&served).unwrap()["value"].to_string();
        let wanted = format!(r#""value":{want}"#);
        if api_value != *want
            || !api.contains(&wanted)
            || ofrep_value != *want
            || !served.contains(&wanted)
        {
            failures.push(format!("{sent}: API {api_value}, OFREP {served}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{}: wanted each as written:\n{}",
        backend.label(),
        failures.join("\n")
    );
}

/// The first variation's value in a flag as the API answers it, as JSON text.
fn variation_text(body: &str) -> String {
    let flag: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{body}: {e}"));
    flag["variations"][0]["value"].to_string()
}
