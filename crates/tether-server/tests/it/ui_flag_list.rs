//! The flag list at `/flags`: every flag of the visible projects, filters,
//! linked issues and what each environment serves.

use crate::TestServer;
use crate::ui_flags::{html, setup};

/// The keys of the flags a list page shows, in order.
fn listed(html: &str) -> Vec<String> {
    html.split("data-flag=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

#[tokio::test]
async fn the_list_shows_every_flag_and_filters_by_text_project_tag_kind_and_state() {
    let s = TestServer::start().await;
    setup(&s).await;
    let (status, page) = html(&s, "/flags").await;
    assert_eq!(status, 200);
    assert_eq!(listed(&page), ["dark-mode", "banner", "new-checkout", "page-size"], "{page}");
    assert!(page.contains("<a href=\"/flags/shop/new-checkout\">New checkout</a>"), "{page}");
    assert!(page.contains("<span class=\"kind\">boolean</span>"), "{page}");
    assert!(page.contains("<span class=\"tag\">checkout</span>"), "{page}");
    assert!(page.contains("4 flags."), "{page}");
    // The banner: off in development and staging, on in production.
    let row = &page[page.find("data-flag=\"banner\"").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    let states: Vec<&str> =
        row.split("class=\"pill ").skip(1).map(|r| &r[..r.find('"').unwrap()]).collect();
    assert_eq!(states, ["off", "off", "on"], "{row}");
    assert!(row.contains("href=\"/flags/shop/banner?env=production\""), "{row}");

    let check = |query: &'static str, expect: &'static [&'static str]| {
        let s = &s;
        async move {
            let (status, page) = html(s, &format!("/flags?{query}")).await;
            assert_eq!(status, 200, "{query}");
            assert_eq!(listed(&page), expect, "{query}");
        }
    };
    check("q=checkout", &["new-checkout"]).await;
    check("q=BANNER+TEXT", &["banner"]).await;
    check("q=about+page", &["page-size"]).await; // the description
    check("project=blog", &["dark-mode"]).await;
    check("tag=beta", &["dark-mode", "new-checkout"]).await;
    check("kind=string", &["banner"]).await;
    check("state=on&env=production", &["banner", "new-checkout", "page-size"]).await;
    check("state=on&env=staging", &["new-checkout", "page-size"]).await;
    check("state=off&env=production", &["dark-mode"]).await;
    check("state=off", &["dark-mode", "banner"]).await; // off in any environment
    check("tag=beta&project=shop&kind=boolean", &["new-checkout"]).await;
    check("q=nothing-like-this", &[]).await;
    check(
        "q=&project=&tag=&kind=&state=&env=",
        &["dark-mode", "banner", "new-checkout", "page-size"],
    )
    .await;

    // The form shows the filters as chosen, and a way to clear them.
    let (_, page) = html(&s, "/flags?q=%3Cb%3E&tag=beta&state=on&env=production").await;
    assert!(
        page.contains("value=\"&#60;b&#62;\"") || page.contains("value=\"&lt;b&gt;\""),
        "{page}"
    );
    assert!(page.contains("<option value=\"beta\" selected>beta</option>"), "{page}");
    assert!(page.contains("<option value=\"production\" selected>Production</option>"), "{page}");
    assert!(page.contains("<a href=\"/flags\">Clear</a>"), "{page}");
    assert!(page.contains("0 of 4 flags match."), "{page}");
    assert!(page.contains("No flags in this project match."), "{page}");
}

/// The flag list once showed neither linked issues nor what each environment serves.
#[tokio::test]
async fn the_flag_list_shows_linked_issues_and_what_each_environment_serves() {
    let s = TestServer::start().await;
    setup(&s).await;
    let mut f = s.store.flag("shop", "new-checkout").await.unwrap();
    f.flag.custom_properties.insert(
        tether_flags::JIRA_ISSUES_PROPERTY.to_owned(),
        tether_flags::CustomProperty { name: "Jira issues".into(), values: vec!["SHOP-7".into()] },
    );
    s.store.update_flag("shop", &f.flag, Some(f.version), "t").await.unwrap();
    let (_, page) = html(&s, "/flags?project=shop").await;
    let row = |key: &str| {
        let start = page.find(&format!("data-flag=\"{key}\"")).unwrap();
        page[start..start + page[start..].find("</tr>").unwrap()].to_owned()
    };
    let checkout = row("new-checkout");
    assert!(checkout.contains("<a href=\"/issues/SHOP-7\">SHOP-7</a>"), "{checkout}");
    // On with a 25/75 rollout, one rule and one target, in every environment.
    assert_eq!(checkout.matches("25% on · 75% off, 1 rule, 1 target").count(), 3, "{checkout}");
    // A string flag names the variation it serves where it is on, nothing where off.
    let banner = row("banner");
    assert_eq!(banner.matches("class=\"serving\"").count(), 1, "{banner}");
    assert!(banner.contains("<span class=\"serving\">sale</span>"), "{banner}");
}
