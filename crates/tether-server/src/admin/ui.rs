//! Administration pages: `/roles`, the roles and their statements, with forms to
//! create, replace and delete custom roles (through the same service as the API).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tether_policy::{Action, Named, Resource};

use super::roles::{RoleView, put_role, role_view, statements_from_text};
use crate::error::ApiError;
use crate::web::page::{UiError, field, html};
use crate::web::signin::UiUser;
use crate::web::{Nav, nav_for};
use crate::{AppState, VERSION};

/// The administration pages.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/roles", get(page).post(save)).route("/roles/{name}/delete", post(delete))
}

#[derive(Template)]
#[template(path = "roles.html")]
struct RolesPage {
    nav: Nav,
    version: &'static str,
    notice: Option<String>,
    roles: Vec<RoleView>,
    can_change: bool,
    form_name: String,
    form_statements: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Saved {
    #[serde(default)]
    saved: String,
}

async fn render(
    state: &AppState,
    user: &crate::auth::Caller,
    notice: Option<String>,
    form: (String, String, Option<String>),
    status: StatusCode,
) -> Result<Response, UiError> {
    let mut names: Vec<String> =
        tether_policy::Role::BUILT_IN.iter().map(|n| (*n).to_owned()).collect();
    names.extend(state.store.list_roles().await?.into_iter().map(|(n, _, _)| n));
    let mut roles = Vec::new();
    for name in &names {
        if user.can(Action::ViewRole, &Resource::Role(Named::new(name.as_str()))) {
            roles.push(role_view(state, user, name).await?);
        }
    }
    let can_change = user.can(Action::CreateRole, &Resource::Role(Named::new("*")));
    let (form_name, form_statements, error) = form;
    let page = RolesPage {
        nav: nav_for("/roles", user),
        version: VERSION,
        notice,
        roles,
        can_change,
        form_name,
        form_statements,
        error,
    };
    html(status, &page)
}

async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Query(q): Query<Saved>,
) -> Result<Response, UiError> {
    let notice = match q.saved.as_str() {
        "" => None,
        "deleted" => Some("Deleted the role.".to_owned()),
        name => Some(format!("Saved the role {name}.")),
    };
    render(&state, &user, notice, Default::default(), StatusCode::OK).await
}

async fn save(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let name = field(&fields, "name").trim().to_owned();
    let text = field(&fields, "statements").to_owned();
    let saved = match statements_from_text(&text) {
        Ok(statements) => put_role(&state, &user, &name, &statements).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(Redirect::to(&format!("/roles?saved={name}")).into_response()),
        Err(e @ (ApiError::Invalid { .. } | ApiError::Conflict(_))) => {
            let status = e.status_and_code().0;
            render(&state, &user, None, (name, text, Some(e.to_string())), status).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    match super::roles::delete_role(&state, &user, &name).await {
        Ok(()) => Ok(Redirect::to("/roles?saved=deleted").into_response()),
        Err(e @ ApiError::Conflict(_)) => {
            let form = (String::new(), String::new(), Some(e.to_string()));
            render(&state, &user, None, form, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}
