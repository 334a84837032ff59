//! What a page handler answers when it fails: the HTML 404 page, a plain 403 with
//! the reason, or any other error as the API shapes it; and rendering a template.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use tether_store::StoreError;

use super::not_found_page;
use crate::error::ApiError;

/// A page handler's failure.
pub(crate) enum UiError {
    NotFound(String),
    /// A request refused outright, with the reason as plain text.
    Forbidden(String),
    Other(ApiError),
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        match self {
            UiError::NotFound(path) => not_found_page(path),
            UiError::Forbidden(why) => (StatusCode::FORBIDDEN, why).into_response(),
            UiError::Other(e) => e.into_response(),
        }
    }
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Forbidden(why) => UiError::Forbidden(why),
            other => UiError::Other(other),
        }
    }
}

impl From<StoreError> for UiError {
    fn from(e: StoreError) -> Self {
        UiError::Other(e.into())
    }
}

/// Maps the store's `NotFound` to the HTML 404 page for `path`.
pub(crate) fn or_404(path: &str) -> impl FnOnce(StoreError) -> UiError + '_ {
    move |e| match e {
        StoreError::NotFound => UiError::NotFound(path.to_owned()),
        other => UiError::Other(other.into()),
    }
}

/// A rendered template with `status`.
pub(crate) fn html(status: StatusCode, t: &impl Template) -> Result<Response, UiError> {
    let body = t.render().map_err(ApiError::internal)?;
    Ok((status, Html(body)).into_response())
}

/// The value of form field `name`, or "".
pub(crate) fn field<'f>(fields: &'f [(String, String)], name: &str) -> &'f str {
    fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

/// A project the signed-in token may not view answers as one that does not exist:
/// the HTML 404 page for `path`.
pub(crate) fn require_visible(
    user: &crate::auth::Caller,
    project: &str,
    path: &str,
) -> Result<(), UiError> {
    let resource = crate::admin::project_resource(project);
    if user.can(tether_policy::Action::ViewProject, &resource) {
        Ok(())
    } else {
        Err(UiError::NotFound(path.to_owned()))
    }
}
