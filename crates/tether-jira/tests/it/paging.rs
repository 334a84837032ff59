//! Both paging styles and the paged changelog, plus a property: paging under injected faults
//! loses and repeats nothing.

use std::collections::BTreeSet;

use futures_util::TryStreamExt;
use jira_sandbox::{Flavour, Knobs, SandboxConfig};
use proptest::prelude::*;
use tether_jira::{Client, Search};

use crate::support::{self, fast};

const ALL: &str = "project in (DEMO, WEB, OPS, HELP, SAND) ORDER BY created ASC";

async fn keys(client: &Client, jql: &str) -> Vec<String> {
    let issues: Vec<_> =
        client.search(Search::jql(jql).fields(&["summary"])).try_collect().await.expect("search");
    issues.into_iter().map(|i| i.key).collect()
}

#[tokio::test]
async fn both_paging_styles_return_every_issue_once() {
    for server in support::both().await {
        server.sandbox.seed_issues(230, 7);
        let client = server.client().await;
        let got = keys(&client, ALL).await;
        let unique: BTreeSet<_> = got.iter().collect();
        assert_eq!(got.len(), server.sandbox.issue_count(), "cloud={}", server.cloud);
        assert_eq!(unique.len(), got.len(), "cloud={}", server.cloud);
    }
}

#[tokio::test]
async fn pages_follow_the_server_cap_not_the_request() {
    for server in support::both().await {
        server.sandbox.seed_issues(40, 1);
        server.sandbox.set_knobs(Knobs { page_size_cap: Some(7), ..Knobs::default() });
        let client = server.client().await;
        let got = keys(&client, ALL).await;
        assert_eq!(got.len(), server.sandbox.issue_count(), "cloud={}", server.cloud);
        if server.cloud {
            let pages: Vec<_> =
                client.search_jql_pages(Search::jql(ALL)).try_collect().await.expect("pages");
            assert!(pages.iter().all(|p| p.issues.len() <= 7));
            assert_eq!(pages.last().unwrap().is_last, Some(true));
        } else {
            let pages: Vec<_> =
                client.search_offset_pages(Search::jql(ALL)).try_collect().await.expect("pages");
            assert_eq!(pages[1].start_at, 7);
            assert_eq!(pages[0].total as usize, server.sandbox.issue_count());
        }
    }
}

#[tokio::test]
async fn changelog_is_complete_beyond_the_embedded_cap() {
    for server in support::both().await {
        server.sandbox.seed_issues(30, 3);
        server.sandbox.set_knobs(Knobs { embedded_changelog_cap: 1, ..Knobs::default() });
        let options = tether_jira::Options { page_size: 2, ..fast() };
        let client = server.client_with(server.default_auth(), options).await;
        let busiest = (1..=30)
            .filter_map(|n| server.sandbox.issue(&format!("DEMO-{n}")))
            .max_by_key(|i| i.histories)
            .expect("seeded issues");
        assert!(busiest.histories > 2, "seed gives some history");
        let histories: Vec<_> =
            client.changelog(&busiest.key).try_collect().await.expect("changelog");
        assert_eq!(histories.len(), busiest.histories, "cloud={}", server.cloud);
        if server.cloud {
            let issue = client.issue(&busiest.key, &["summary"], &["changelog"]).await.unwrap();
            assert!(issue.changelog.unwrap().is_truncated());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn paging_under_faults_loses_and_repeats_nothing(
        cloud in any::<bool>(),
        seed in 0u64..1000,
        fault_pct in 10u32..50,
        page in 3u32..20,
    ) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let (got, expected) = rt.block_on(async move {
            let flavour = if cloud { Flavour::Cloud } else { Flavour::data_center("9.12.0") };
            let server = support::start(SandboxConfig { rng_seed: seed, ..SandboxConfig::with_flavour(flavour) }).await;
            server.sandbox.seed_issues(60, seed);
            let expected = server.sandbox.issue_count();
            let client = server
                .client_with(server.default_auth(), tether_jira::Options { page_size: page, max_retries: 12, ..fast() })
                .await;
            // 500/502/504 only: 503 carries a one-second Retry-After, too slow for many cases.
            server.sandbox.set_knobs(Knobs {
                fault_rate: f64::from(fault_pct) / 100.0,
                fault_statuses: vec![500, 502, 504],
                ..Knobs::default()
            });
            (keys(&client, ALL).await, expected)
        });
        let unique: BTreeSet<_> = got.iter().collect();
        prop_assert_eq!(got.len(), expected);
        prop_assert_eq!(unique.len(), expected);
    }
}
