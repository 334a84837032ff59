//! The code section of an issue's page (`/issues/{KEY}`): the commits and merge requests
//! that mention the issue, in repositories the person may see, next to its flags.

use askama::Template;

use super::api::{MentionView, mentions};
use crate::AppState;
use crate::auth::Caller;
use crate::jira::IssueSection;
use crate::web::format::absolute_time;
use crate::web::page::UiError;

/// The section, as the issue page takes it.
pub(crate) const SECTION: IssueSection = IssueSection { key: "code", render };

struct Row {
    m: MentionView,
    at: String,
}

#[derive(Template)]
#[template(path = "code_issue_section.html")]
struct Section {
    key: String,
    commits: Vec<Row>,
    requests: Vec<Row>,
}

fn render<'a>(
    state: &'a AppState,
    user: &'a Caller,
    key: &'a str,
) -> std::pin::Pin<Box<dyn Future<Output = Result<String, UiError>> + Send + 'a>> {
    Box::pin(async move {
        let all = mentions(state, user, key).await?;
        let (requests, commits): (Vec<MentionView>, Vec<MentionView>) =
            all.into_iter().partition(|m| m.kind == "pull_request");
        let row = |m: MentionView| Row { at: absolute_time(m.at), m };
        let section = Section {
            key: key.to_owned(),
            commits: commits.into_iter().map(row).collect(),
            requests: requests.into_iter().map(row).collect(),
        };
        section.render().map_err(|e| UiError::Other(crate::error::ApiError::internal(e)))
    })
}
