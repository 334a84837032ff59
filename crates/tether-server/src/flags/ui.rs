//! The flag pages: the list (`list.rs`), one flag with its tabs (`page.rs`) and
//! the forms that edit an environment (`forms.rs`). Everything works without
//! JavaScript.

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) use super::forms::*;
pub(crate) use super::list::*;
pub(crate) use super::page::*;

/// The flag pages.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/flags", get(list))
        .route("/flags/{project}/{flag}", get(page))
        .route("/flags/{project}/{flag}/{env}/toggle", post(toggle))
        .route("/flags/{project}/{flag}/{env}/default-rule", post(default_rule))
        .route("/flags/{project}/{flag}/{env}/off-variation", post(off_variation))
        .route("/flags/{project}/{flag}/{env}/targets", post(targets))
        .route("/flags/{project}/{flag}/{env}/rules/add", post(add_rule))
        .route("/flags/{project}/{flag}/{env}/rules/delete", post(delete_rule_form))
        .route("/flags/{project}/{flag}/{env}/rules/move", post(move_rule_form))
}
