//! The forms that edit an environment without JavaScript (on/off, individual
//! targets, rules, default rule, off variation; the targeting forms are read in
//! `targeting.rs`), each written through the flags service.
//!
//! Every form carries the config version it was based on; the write is refused
//! when the flag changed meanwhile, and the page comes back with the current
//! state and a message. Invalid input comes back inline, as typed, with nothing
//! written.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tether_flags::{EnvConfig, Flag, Rollout, Serve, ValidationError};
use tether_store::{FlagState, Project};

use super::targeting::{
    WeightInput, delete_rule, field, move_rule, place_rule_errors, place_target_errors,
    read_weights, rule_from, targets_of, typed_rule_form, typed_targets_form,
};
use super::{ConfigWrite, WriteError};
use crate::AppState;
use crate::error::ApiError;
use crate::web::page::{UiError, or_404};
use crate::web::signin::UiUser;

use super::page::*;

/// Which form was posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edited {
    Toggle,
    DefaultRule,
    OffVariation,
    Targets,
    AddRule,
    DeleteRule,
    MoveRule,
}

impl Edited {
    fn saved(self) -> &'static str {
        match self {
            Edited::Toggle => "toggle",
            Edited::DefaultRule => "default-rule",
            Edited::OffVariation => "off-variation",
            Edited::Targets => "targets",
            Edited::AddRule => "rule-added",
            Edited::DeleteRule => "rule-deleted",
            Edited::MoveRule => "rule-moved",
        }
    }

    fn action(self) -> tether_policy::Action {
        use tether_policy::Action;
        match self {
            Edited::Toggle => Action::UpdateOn,
            Edited::DefaultRule => Action::UpdateFallthrough,
            Edited::OffVariation => Action::UpdateOffVariation,
            Edited::Targets => Action::UpdateTargets,
            Edited::AddRule | Edited::DeleteRule | Edited::MoveRule => Action::UpdateRules,
        }
    }
}

/// One form handler per kind of edit, each a thin door to [`submit`].
macro_rules! edit_handlers {
    ($($name:ident => $edited:ident),* $(,)?) => {$(
        pub(crate) async fn $name(
            state: State<AppState>,
            user: UiUser,
            path: Path<(String, String, String)>,
            form: Form<Vec<(String, String)>>,
        ) -> Result<Response, UiError> {
            submit(state, user, path, form, Edited::$edited).await
        }
    )*};
}

edit_handlers! {
    toggle => Toggle,
    default_rule => DefaultRule,
    off_variation => OffVariation,
    targets => Targets,
    add_rule => AddRule,
    delete_rule_form => DeleteRule,
    move_rule_form => MoveRule,
}

async fn submit(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((project, key, env)): Path<(String, String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
    which: Edited,
) -> Result<Response, UiError> {
    let path = format!("/flags/{project}/{key}/{env}");
    crate::web::page::require_visible(&user, &project, &path)?;
    let p = state.store.project(&project).await.map_err(or_404(&path))?;
    let based_on: i64 = field(&fields, "version")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| ApiError::BadRequest("the form has no config version".to_owned()))?;
    if which == Edited::Toggle && field(&fields, "confirm") != Some("yes") {
        let production = p
            .environments
            .iter()
            .any(|e| e.key == env && e.kind == tether_store::EnvKind::Production);
        let on = match field(&fields, "on") {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        };
        let f = state.store.flag(&project, &key).await.map_err(or_404(&path))?;
        let resource = super::flag_resource(&project, &f.flag, Some(&env));
        if let (true, Some(on), true) = (production, on, user.can(which.action(), &resource)) {
            // Nothing is written until the person confirms; the form they confirm
            // with carries the version the switch was based on.
            let inputs = Inputs { confirm: Some((on, based_on)), ..Inputs::default() };
            let edit = Edit { inputs, ..Edit::default() };
            return render_page(&state, &user, &p, &f, Showing::Env(&env), edit, StatusCode::OK)
                .await;
        }
    }
    let w = ConfigWrite {
        project: &project,
        key: &key,
        env: &env,
        based_on: Some(based_on),
        action: Some(which.action()),
    };
    let written =
        super::write_config(&state, &user, w, |f, c| build(which, &f.flag, &c.config, &fields))
            .await;
    let failure = match written {
        Ok(_) => {
            let to = format!("/flags/{project}/{key}?env={env}&saved={}", which.saved());
            return Ok(Redirect::to(&to).into_response());
        }
        Err(WriteError::NotFound(_)) => return Err(UiError::NotFound(path)),
        Err(WriteError::Forbidden(why)) => return Err(UiError::Forbidden(why)),
        Err(WriteError::Other(e)) => return Err(e.into()),
        Err(other) => other,
    };
    // The page comes back with the flag as it is now.
    let f = state.store.flag(&project, &key).await.map_err(or_404(&path))?;
    let Some(current) = f.environments.iter().find(|c| c.env == env) else {
        return Err(UiError::NotFound(path));
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    match failure {
        WriteError::Rejected(inputs) => {
            let edit = Edit { notice: None, inputs: *inputs, panel: None };
            render_page(&state, &user, &p, &f, Showing::Env(&env), edit, unprocessable).await
        }
        WriteError::Invalid { new, errors } => {
            let edit = invalid(which, &f.flag, &current.config, &new, &fields, &errors);
            render_page(&state, &user, &p, &f, Showing::Env(&env), edit, unprocessable).await
        }
        WriteError::Stale { current, .. } | WriteError::Raced { current } => {
            stale(&state, &user, &p, &f, &env, based_on, current).await
        }
        WriteError::NotFound(_) | WriteError::Forbidden(_) | WriteError::Other(_) => {
            unreachable!("answered above")
        }
    }
}

async fn stale(
    state: &AppState,
    user: &crate::auth::Caller,
    p: &Project,
    f: &FlagState,
    env: &str,
    based_on: i64,
    current: i64,
) -> Result<Response, UiError> {
    let text = format!(
        "Not saved: this flag's configuration in this environment changed while you were \
         editing (your form was based on version {based_on}; it is now at version {current}). \
         The current state is shown below; make your change again if it is still wanted."
    );
    let edit = Edit { notice: Some(Notice { ok: false, text }), ..Edit::default() };
    render_page(state, user, p, f, Showing::Env(env), edit, StatusCode::CONFLICT).await
}

/// The new config a form asks for, or the form as typed with what is wrong.
fn build(
    which: Edited,
    flag: &Flag,
    config: &EnvConfig,
    fields: &[(String, String)],
) -> Result<EnvConfig, Box<Inputs>> {
    let mut new = config.clone();
    match which {
        Edited::Toggle => match field(fields, "on") {
            Some("true") => new.on = true,
            Some("false") => new.on = false,
            _ => {
                return Err(Box::new(Inputs {
                    toggle_error: Some("choose on or off".to_owned()),
                    ..Inputs::default()
                }));
            }
        },
        Edited::OffVariation => {
            let chosen = field(fields, "off_variation").unwrap_or_default().to_owned();
            if !flag.variations.iter().any(|v| v.key == chosen) {
                let error = Some("choose one of the flag's variations".to_owned());
                return Err(Box::new(Inputs { off: Some((chosen, error)), ..Inputs::default() }));
            }
            new.off_variation = chosen;
        }
        Edited::DefaultRule => {
            let mut form = typed_default_form(flag, config, fields);
            if !form.rollout {
                if !flag.variations.iter().any(|v| v.key == form.variation) {
                    form.error = Some("choose one of the flag's variations".to_owned());
                    return Err(Box::new(Inputs { default_form: Some(form), ..Inputs::default() }));
                }
                new.default_rule = Serve::Variation(form.variation);
                return Ok(new);
            }
            let weights = match read_weights(&mut form.weights) {
                Ok(weights) => weights,
                Err(e) => {
                    form.error = Some(e);
                    return Err(Box::new(Inputs { default_form: Some(form), ..Inputs::default() }));
                }
            };
            let (bucket_by, salt) = match &config.default_rule {
                Serve::Rollout(r) => (r.bucket_by.clone(), r.salt.clone()),
                Serve::Variation(_) => (None, flag.key.clone()),
            };
            new.default_rule = Serve::Rollout(Rollout { variations: weights, bucket_by, salt });
        }
        Edited::Targets => new.targets = targets_of(&typed_targets_form(flag, fields)),
        Edited::AddRule => {
            let mut form = typed_rule_form(flag, fields);
            match rule_from(flag, config, &mut form) {
                Some(rule) => new.rules.push(rule),
                None => {
                    return Err(Box::new(Inputs { rule_form: Some(form), ..Inputs::default() }));
                }
            }
        }
        Edited::DeleteRule | Edited::MoveRule => {
            let id = field(fields, "rule").unwrap_or_default();
            let done = match which {
                Edited::DeleteRule => delete_rule(&mut new, id),
                _ => move_rule(&mut new, id, field(fields, "direction").unwrap_or_default()),
            };
            if let Err(e) = done {
                return Err(Box::new(Inputs { rules_error: Some(e), ..Inputs::default() }));
            }
        }
    }
    Ok(new)
}

/// The default rule's form as the user sent it, in the stored rollout order.
fn typed_default_form(flag: &Flag, config: &EnvConfig, fields: &[(String, String)]) -> DefaultForm {
    let typed: HashMap<&str, &str> = fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("weight.").map(|k| (k, v.as_str())))
        .collect();
    DefaultForm {
        rollout: field(fields, "mode") != Some("variation"),
        variation: field(fields, "variation").unwrap_or_default().to_owned(),
        weights: rollout_order(flag, config)
            .into_iter()
            .map(|key| WeightInput {
                value: typed.get(key.as_str()).copied().unwrap_or_default().to_owned(),
                key,
                error: None,
            })
            .collect(),
        error: None,
    }
}

/// Places `validate_env_config`'s errors next to the form's fields, keeping the input.
fn invalid(
    which: Edited,
    flag: &Flag,
    config: &EnvConfig,
    new: &EnvConfig,
    fields: &[(String, String)],
    errors: &[ValidationError],
) -> Edit {
    let text = |prefix: &str| {
        let found: Vec<String> = errors
            .iter()
            .filter(|e| e.path.starts_with(prefix))
            .map(|e| e.problem.to_string())
            .collect();
        (!found.is_empty()).then(|| found.join("; "))
    };
    // The rule the add-a-rule form appended is the last one.
    let new_rule = new.rules.len().saturating_sub(1);
    let in_new_rule = |path: &str| {
        path.strip_prefix(&format!("rules[{new_rule}]"))
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    // The errors this form's fields can show; the others go in a notice.
    let owned = |path: &str| match which {
        Edited::Toggle | Edited::DefaultRule | Edited::OffVariation => {
            path.starts_with("default_rule") || path.starts_with("off_variation")
        }
        Edited::Targets => path.starts_with("targets"),
        Edited::AddRule => in_new_rule(path),
        Edited::DeleteRule | Edited::MoveRule => false,
    };
    let others: Vec<String> =
        errors.iter().filter(|e| !owned(&e.path)).map(|e| e.to_string()).collect();
    let mut edit = Edit::default();
    if !others.is_empty() {
        let text = format!(
            "Not saved: this environment's configuration has problems this form cannot fix: {}",
            others.join("; ")
        );
        edit.notice = Some(Notice { ok: false, text });
    }
    match which {
        Edited::Toggle => edit.inputs.toggle_error = text("default_rule").or(text("off_variation")),
        Edited::OffVariation => {
            edit.inputs.off = Some((new.off_variation.clone(), text("off_variation")));
        }
        Edited::DefaultRule => {
            let form = typed_default_form(flag, config, fields);
            edit.inputs.default_form = Some(DefaultForm { error: text("default_rule"), ..form });
        }
        Edited::Targets => {
            let mut form = typed_targets_form(flag, fields);
            place_target_errors(&mut form, &new.targets, errors);
            edit.inputs.targets_form = Some(form);
        }
        Edited::AddRule => {
            let mut form = typed_rule_form(flag, fields);
            place_rule_errors(&mut form, new_rule, errors);
            edit.inputs.rule_form = Some(form);
        }
        Edited::DeleteRule | Edited::MoveRule => {}
    }
    if edit.notice.is_none() && edit.inputs.toggle_error.is_none() && which == Edited::Toggle {
        edit.notice = Some(Notice {
            ok: false,
            text: "Not saved: the configuration is not valid.".to_owned(),
        });
    }
    edit
}
