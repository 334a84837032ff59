//! Jira's prefilled create-issue page (`/secure/CreateIssueDetails!init.jspa`): a form with
//! the values of the URL, escaped, which creates the issue on submit and redirects to it.

use reqwest::StatusCode;

use crate::support;

const PAGE: &str = "/secure/CreateIssueDetails!init.jspa";

#[tokio::test]
async fn the_page_is_prefilled_and_creates_the_issue_on_submit() {
    for srv in [support::cloud().await, support::dc().await] {
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let url = format!(
            "{}{PAGE}?pid=10000&issuetype=10003&summary=Fix%20%3Cscript%3E&description=Found%20by%20semgrep&priority=2&labels=sast",
            srv.base
        );
        let html = client.get(&url).send().await.unwrap().text().await.unwrap();
        for want in [
            "<option value=\"10000\" selected>Sandbox (SAND)</option>",
            "<option value=\"10003\" selected>Bug</option>",
            "value=\"Fix &lt;script&gt;\"",
            "<textarea name=\"description\">Found by semgrep</textarea>",
            "<option value=\"2\" selected>High</option>",
            "name=\"labels\" value=\"sast\"",
        ] {
            assert!(html.contains(want), "{want}: {html}");
        }
        assert!(!html.contains("<script>"), "{html}");

        let form = [
            ("pid", "10000"),
            ("issuetype", "10003"),
            ("summary", "Fix <script>"),
            ("description", "Found by semgrep"),
            ("priority", "2"),
            ("labels", "sast"),
        ];
        let r = client
            .post(format!("{}/secure/CreateIssueDetails.jspa", srv.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/browse/SAND-1");
        let snap = srv.sandbox.issue("SAND-1").unwrap();
        assert_eq!(
            (
                snap.issue_type.as_str(),
                snap.summary.as_str(),
                snap.priority.as_deref(),
                snap.labels.as_slice()
            ),
            ("Bug", "Fix <script>", Some("High"), ["sast".to_owned()].as_slice())
        );
        assert_eq!(
            (snap.reporter.as_deref(), snap.description_text.as_deref()),
            (Some("admin"), Some("Found by semgrep"))
        );

        // A bad submission shows the form again with what is wrong, and creates nothing.
        let r = client
            .post(format!("{}/secure/CreateIssueDetails.jspa", srv.base))
            .form(&[("pid", "10000"), ("issuetype", "10003"), ("summary", " ")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.text().await.unwrap().contains("You must specify a summary of the issue."));
        assert_eq!(srv.sandbox.issue_count(), 1);
        let r = client
            .post(format!("{}/secure/CreateIssueDetails.jspa", srv.base))
            .basic_auth("nobody", Some("wrong"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
}
