//! The Tickets page's query strings, as the JQL they mean and the links they make.

use super::*;

fn read(query: &str) -> Filters {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).expect("a query string");
    Filters::read(&pairs)
}

#[test]
fn filters_are_one_jql_query() {
    let check = |query: &str, want: &str| assert_eq!(read(query).to_jql(), want, "{query}");
    check("", "statusCategory != Done ORDER BY created DESC");
    check("state=closed", "statusCategory = Done ORDER BY created DESC");
    check("state=ALL", "ORDER BY created DESC");
    check(
        "state=opened&project=WEB",
        "project = WEB AND statusCategory != Done ORDER BY created DESC",
    );
    // The README's example.
    check(
        "labels=backend&labels=QA&assignee=Ann+Lee&q=checkout&sort=key&order=asc",
        "labels = backend AND labels = QA AND assignee = \"Ann Lee\" AND (summary ~ checkout OR description ~ checkout) AND statusCategory != Done ORDER BY key ASC",
    );
    check("state=nonsense", "statusCategory != Done ORDER BY created DESC");
    check("project=WEB&state=all", "project = WEB ORDER BY created DESC");
    // Reserved words and numbers are quoted, as Jira needs them.
    check("project=INT&state=all", "project = \"INT\" ORDER BY created DESC");
    check("status=In+Progress&state=all", "status = \"In Progress\" ORDER BY created DESC");
    check(
        "labels=a,b&labels=c&state=all",
        "labels = a AND labels = b AND labels = c ORDER BY created DESC",
    );
    check(
        "labels[]=backend&labels[]=QA&state=all",
        "labels = backend AND labels = QA ORDER BY created DESC",
    );
    check("labels=+a++b,a&state=all", "labels = a AND labels = b ORDER BY created DESC");
    check(
        "assignee_username=John+Smith&author_username=Ann&state=all",
        "reporter = Ann AND assignee = \"John Smith\" ORDER BY created DESC",
    );
    check(
        "type=Bug&category=bug&state=all",
        "issuetype = Bug AND ticketCategory = bug ORDER BY created DESC",
    );
    check(
        "q=say+%22hi%22",
        "(summary ~ \"say \\\"hi\\\"\" OR description ~ \"say \\\"hi\\\"\") AND statusCategory != Done ORDER BY created DESC",
    );
    check("q=42&state=all", "(summary ~ \"42\" OR description ~ \"42\") ORDER BY created DESC");
    check("sort=key", "statusCategory != Done ORDER BY key ASC");
    check("sort=type&order=desc", "statusCategory != Done ORDER BY issuetype DESC");
    check("sort=updated", "statusCategory != Done ORDER BY updated DESC");
    check("sort=nope&order=asc", "statusCategory != Done ORDER BY created ASC");
    // What the filters build reads back as JQL.
    for query in [
        "project=INT&labels=x,y&q=a+%22b%22&reporter=O'Neil&type=Sub-task",
        "state=closed&sort=summary",
    ] {
        let jql = read(query).to_jql();
        assert!(tether_store::check_jql(&jql).is_ok(), "{jql}");
    }
}

#[test]
fn links_keep_everything_else() {
    let f = read("project=WEB&labels=a,b&state=closed&sort=key&order=desc&page=3");
    assert_eq!(f.page, 3);
    let keep = "project=WEB&labels=a%2Cb";
    assert_eq!(f.page_href(4), format!("/tickets?{keep}&state=closed&sort=key&order=desc&page=4"));
    assert_eq!(f.tab_href(Tab::Open), format!("/tickets?{keep}&sort=key&order=desc"));
    // The sorted column reverses; another starts in its own direction.
    assert_eq!(
        f.sort_href(Column::Key).unwrap(),
        format!("/tickets?{keep}&state=closed&sort=key&order=asc")
    );
    assert_eq!(
        f.sort_href(Column::Updated).unwrap(),
        format!("/tickets?{keep}&state=closed&sort=updated&order=desc")
    );
    assert_eq!(f.sorted(), Some((Column::Key, Order::Desc)));
    assert_eq!(read("").sort_href(Column::Created).unwrap(), "/tickets?sort=created&order=asc");
    assert_eq!(read("").tab_href(Tab::Open), "/tickets");
    let href = read("site=acme&project=WEB&sort=key").as_jql_href();
    assert!(href.starts_with("/tickets?site=acme&jql="), "{href}");
    assert_eq!(jql_of(&href), "project = WEB AND statusCategory != Done ORDER BY key ASC");
    assert!(!read("state=all").filtered() && read("labels=x").filtered());
}

#[test]
fn a_jql_querys_headers_rewrite_its_order_by() {
    let check = |jql: &str, column: Column, sorted: Option<(Column, Order)>, href: Option<&str>| {
        let f = Filters { jql: jql.to_owned(), ..read("") };
        assert_eq!(f.sorted(), sorted, "{jql}");
        let got = f.sort_href(column).map(|h| jql_of(&h));
        assert_eq!(got.as_deref(), href, "{jql}");
    };
    check(
        "project = WEB",
        Column::Created,
        Some((Column::Created, Order::Desc)),
        Some("project = WEB ORDER BY created ASC"),
    );
    check(
        "project = WEB ORDER BY key",
        Column::Key,
        Some((Column::Key, Order::Asc)),
        Some("project = WEB ORDER BY key DESC"),
    );
    check(
        "order by issuekey desc",
        Column::Summary,
        Some((Column::Key, Order::Desc)),
        Some("ORDER BY summary ASC"),
    );
    check(
        "labels = x ORDER BY priority",
        Column::Status,
        None,
        Some("labels = x ORDER BY status ASC"),
    );
    check("project = ", Column::Key, None, None);
}

/// A link's `jql` parameter, decoded.
fn jql_of(href: &str) -> String {
    let (_, query) = href.split_once('?').expect("a query string");
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).expect("pairs");
    pairs.into_iter().find(|(k, _)| k == "jql").map(|(_, v)| v).expect("a jql parameter")
}
