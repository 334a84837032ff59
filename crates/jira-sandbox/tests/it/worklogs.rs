//! Worklogs: logged with `timeSpent` or `timeSpentSeconds`, `started` and a comment; read,
//! changed and deleted; the remaining estimate moved as `adjustEstimate` says; the changelog
//! items Jira writes; and the site-wide `/worklog/updated` and `/worklog/list`.

use jira_sandbox::{Flavour, PermissionDenial, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{self, jira_error};

#[tokio::test]
async fn worklogs_are_added_read_changed_and_deleted() {
    for srv in [support::cloud().await, support::dc().await] {
        let key = srv.create(2, "Billable").await;
        let path = format!("/rest/api/2/issue/{key}/worklog");
        let r = srv
            .post(&path, json!({"timeSpent": "1h 30m", "started": "2024-03-01T09:00:00.000+0100", "comment": "pairing"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let w = r.body.clone();
        assert_eq!(
            (w["timeSpent"].as_str(), w["timeSpentSeconds"].as_u64()),
            (Some("1h 30m"), Some(5400))
        );
        assert_eq!(
            (w["started"].as_str(), w["comment"].as_str()),
            (Some("2024-03-01T08:00:00.000+0000"), Some("pairing"))
        );
        let id = w["id"].as_str().unwrap().to_owned();
        let one = format!("{path}/{id}");
        assert_eq!(srv.get(&one).await.body, w);
        if srv.sandbox.flavour().is_cloud() {
            let v3 = srv.get(&format!("/rest/api/3/issue/{key}/worklog/{id}")).await;
            assert_eq!(v3.body["comment"]["type"], "doc");
        }
        let r = srv.post(&path, json!({"timeSpentSeconds": 1800})).await;
        assert_eq!(r.body["timeSpent"], "30m");

        let list = srv.get(&path).await.body;
        assert_eq!(
            (list["total"].as_u64(), list["worklogs"].as_array().map(Vec::len)),
            (Some(2), Some(2))
        );
        let after = srv.get(&format!("{path}?startedAfter=1709300000000")).await.body;
        assert_eq!(after["total"], 1, "only the one started now");
        let r = srv
            .get(&format!("/rest/api/2/issue/{key}?fields=timetracking,timespent,worklog"))
            .await;
        let f = &r.body["fields"];
        assert_eq!(
            (f["timespent"].as_u64(), f["timetracking"]["timeSpent"].as_str()),
            (Some(7200), Some("2h"))
        );
        assert_eq!(f["worklog"]["total"], 2);

        let r = srv.put(&one, json!({"timeSpent": "2h", "comment": "longer"})).await;
        assert_eq!(
            (r.status, r.body["timeSpentSeconds"].as_u64(), r.body["comment"].as_str()),
            (StatusCode::OK, Some(7200), Some("longer"))
        );
        assert_eq!(srv.delete(&one).await.status, StatusCode::NO_CONTENT);
        assert_eq!(srv.get(&one).await.status, StatusCode::NOT_FOUND);
        assert_eq!(srv.get(&path).await.body["total"], 1);

        // Jira's changelog items for time tracking: seconds as strings, and the worklog's id.
        let r = srv.get(&format!("/rest/api/2/issue/{key}?expand=changelog")).await;
        let items: Vec<(String, Value, Value)> = r.body["changelog"]["histories"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|h| h["items"].as_array().unwrap().clone())
            .map(|i| (i["field"].as_str().unwrap().to_owned(), i["from"].clone(), i["to"].clone()))
            .collect();
        let s = |v: &str| json!(v);
        let want = vec![
            ("timespent".to_owned(), Value::Null, s("5400")),
            ("WorklogId".to_owned(), Value::Null, s(&id)),
            ("timespent".to_owned(), s("5400"), s("7200")),
            (
                "WorklogId".to_owned(),
                Value::Null,
                json!((id.parse::<u64>().unwrap() + 1).to_string()),
            ),
            ("timespent".to_owned(), s("7200"), s("9000")),
            ("timespent".to_owned(), s("9000"), s("1800")),
            ("WorklogId".to_owned(), s(&id), Value::Null),
        ];
        assert_eq!(items, want);
    }
}

#[tokio::test]
async fn bad_worklogs_are_refused_as_jira_words_it() {
    let srv = support::start(SandboxConfig::with_flavour(Flavour::data_center("8.20.0"))).await;
    let key = srv.create(2, "Strict").await;
    let path = format!("/rest/api/2/issue/{key}/worklog");
    let cases = [
        // (query, body, error)
        ("", json!({}), "timeLogged: You must indicate the time spent working."),
        ("", json!({"timeSpent": "soon"}), "timeLogged: Invalid time duration entered."),
        ("", json!({"timeSpentSeconds": 0}), "timeLogged: Invalid time duration entered."),
        (
            "",
            json!({"timeSpent": "1h", "started": "yesterday"}),
            "started: Invalid date format. Please enter the date in the format \"yyyy-MM-dd'T'HH:mm:ss.SSSZ\".",
        ),
        (
            "?adjustEstimate=new",
            json!({"timeSpent": "1h"}),
            "newEstimate: You must supply a valid new estimate.",
        ),
        (
            "?adjustEstimate=manual",
            json!({"timeSpent": "1h"}),
            "reduceBy: You must supply a valid reduceBy amount.",
        ),
        (
            "?adjustEstimate=sometimes",
            json!({"timeSpent": "1h"}),
            "Invalid value 'sometimes' for adjustEstimate: use new, leave, manual or auto.",
        ),
    ];
    for (query, body, want) in cases {
        let r = srv.post(&format!("{path}{query}"), body.clone()).await;
        assert_eq!(
            (r.status, jira_error(&r).as_str()),
            (StatusCode::BAD_REQUEST, want),
            "{query} {body}"
        );
    }
    let denial = PermissionDenial {
        user: "admin".into(),
        project: Some("SAND".into()),
        permission: "WORK_ON_ISSUES".into(),
    };
    srv.sandbox.deny_permission(denial).unwrap();
    let r = srv.post(&path, json!({"timeSpent": "1h"})).await;
    assert_eq!(
        (r.status, jira_error(&r).as_str()),
        (
            StatusCode::BAD_REQUEST,
            "You do not have the permission to associate a worklog to this issue."
        )
    );
    assert_eq!(
        srv.post("/rest/api/2/issue/SAND-99/worklog", json!({"timeSpent": "1h"})).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn adjust_estimate_moves_the_remaining_estimate() {
    let srv = support::cloud().await;
    let key = srv.create(2, "Estimated").await;
    let path = format!("/rest/api/2/issue/{key}/worklog");
    // (query, body, remaining estimate after, in hours)
    let steps: &[(&str, Value, Option<u64>)] = &[
        ("", json!({"timeSpent": "1h"}), None),
        ("?adjustEstimate=new&newEstimate=1d", json!({"timeSpent": "1h"}), Some(8)),
        ("", json!({"timeSpent": "2h"}), Some(6)),
        ("?adjustEstimate=leave", json!({"timeSpent": "2h"}), Some(6)),
        ("?adjustEstimate=manual&reduceBy=30m", json!({"timeSpent": "5h"}), Some(5)),
        ("", json!({"timeSpent": "1w"}), Some(0)),
    ];
    let mut ids = Vec::new();
    for (query, body, want) in steps {
        let r = srv.post(&format!("{path}{query}"), body.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{query}: {:?}", r.body);
        ids.push(r.body["id"].as_str().unwrap().to_owned());
        let got = remaining(&srv, &key).await;
        let want = want.map(|h| if h == 5 { 5 * 3600 + 1800 } else { h * 3600 });
        assert_eq!(got, want, "{query} {body}");
    }
    // Deleting gives the time back (auto), or as much as increaseBy says (manual).
    let one = |id: &str| format!("{path}/{id}");
    assert_eq!(srv.delete(&one(&ids[2])).await.status, StatusCode::NO_CONTENT);
    assert_eq!(remaining(&srv, &key).await, Some(2 * 3600));
    let r = srv.delete(&format!("{}?adjustEstimate=manual&increaseBy=1h", one(&ids[3]))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(remaining(&srv, &key).await, Some(3 * 3600));
}

#[tokio::test]
async fn changed_worklogs_are_listed_site_wide() {
    for srv in [support::cloud().await, support::dc().await] {
        // Seeded worklogs lie in the past; fresh ones are left out for a minute, as in Jira.
        srv.sandbox.seed_issues(20, 3);
        let key = srv.create(2, "Now").await;
        srv.post(&format!("/rest/api/2/issue/{key}/worklog"), json!({"timeSpent": "1h"})).await;
        let r = srv.get("/rest/api/2/worklog/updated?since=0").await;
        let values = r.body["values"].as_array().unwrap();
        assert!(!values.is_empty(), "{}", r.body);
        assert_eq!(r.body["lastPage"], true);
        let times: Vec<i64> = values.iter().map(|v| v["updatedTime"].as_i64().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
        let since = times[times.len() / 2];
        let later = srv.get(&format!("/rest/api/2/worklog/updated?since={since}")).await;
        assert!(
            later.body["values"]
                .as_array()
                .unwrap()
                .iter()
                .all(|v| v["updatedTime"].as_i64().unwrap() > since)
        );

        let ids: Vec<Value> = values.iter().take(3).map(|v| v["worklogId"].clone()).collect();
        let r = srv.post("/rest/api/2/worklog/list", json!({"ids": ids})).await;
        let got: Vec<Value> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|w| json!(w["id"].as_str().unwrap().parse::<u64>().unwrap()))
            .collect();
        let mut want = ids.clone();
        want.sort_by_key(|v| v.as_u64());
        let mut got_sorted = got.clone();
        got_sorted.sort_by_key(|v| v.as_u64());
        assert_eq!(got_sorted, want);
        assert_eq!(
            srv.post("/rest/api/2/worklog/list", json!({"ids": []})).await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(srv.get("/rest/api/2/worklog/deleted?since=0").await.body["values"], json!([]));
    }
}

async fn remaining(srv: &support::Server, key: &str) -> Option<u64> {
    let r = srv.get(&format!("/rest/api/2/issue/{key}?fields=timeestimate")).await;
    r.body["fields"]["timeestimate"].as_u64()
}
