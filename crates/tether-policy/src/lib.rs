//! Access policies for tether: actions, resource specifiers, roles, and who may do what.
//!
//! Pure: no IO, no clock, no async; it never panics, and fails only on text that does not
//! parse. Wire and row formats belong to the boundary crates, which build statements with
//! [`Statement::from_parts`] and resources with the [`Resource`] constructors.
//!
//! # Statements
//!
//! A statement is `{effect, actions | notActions, resources | notResources}`: an effect
//! (`allow` or `deny`), exactly one of a list of action patterns or of excluded ones, and
//! exactly one of a list of resource specifiers or of excluded ones. Action patterns are
//! globs over the action names of the [`CATALOGUE`] (`updateOn`, `update*`, `*`); a pattern
//! matching no action is an error. The text form, used in messages and config files, is
//!
//! ```text
//! <allow|deny> [not] <action>… on [not] <resource>…
//! deny updateOn on proj/*:env/production:flag/*
//! allow not deleteProject on proj/*
//! ```
//!
//! # Resource specifiers
//!
//! ```text
//! spec    = "proj/" seg [ ":env/" seg [ ":flag/" seg ] ]
//!         | "proj/" seg ":segment/" seg
//!         | "webhook/" seg | "integration/" seg | "role/" seg
//!         | "token/" seg | "member/" (glob | "$self") ":token/" seg
//! seg     = glob [ ";" tag { "," tag } ]
//! glob    = 1*( char | "*" | "?" )      ; `*` any run, `?` one character
//! tag     = 1*char
//! char    = any character but  : ; , / $ * ?  whitespace, control
//! ```
//!
//! Globs match the whole key (anchored), case-sensitively. Tags on a segment mean the
//! resource at that level must carry all of them. A specifier names resources of one kind
//! only: `proj/*` names projects, not the flags in them. `member/$self:token/*` names the
//! tokens owned by the requester (the member at the root of its creator chain).
//! Parse errors carry the byte position and what is wrong.
//!
//! A concrete [`Resource`] prints in the same grammar with literal keys; a flag acted on in
//! all environments at once (`createFlag`, `updateFlag`, `deleteFlag`, flag links) prints as
//! `proj/<key>:flag/<key>`.
//!
//! # Evaluation
//!
//! 1. The action must apply to the resource's kind, else denied (a caller bug).
//! 2. Within a role: if a `deny` statement applies, denied (deny beats any allow); else if
//!    an `allow` statement applies, allowed; else (nothing matched) denied.
//! 3. Several roles: allowed if any role allows (union). Adding a role never removes access.
//! 4. A token is allowed only if its roles allow *and* its creator is allowed, recursively:
//!    a token never exceeds its creator.
//! 5. For a flag in all environments, an `allow` must name every environment (`env/*`
//!    without tags), while a `deny` naming any environment applies: an action that touches
//!    production is stopped by a deny on production. With `notResources` it is the other
//!    way round (an allow applies if no listed specifier touches the resource, a deny if none
//!    covers it).
//!
//! Every denial says why ([`DenyReason`]): which statement of which role of which
//! principal denied explicitly, or whose roles had nothing that allowed it.
//!
//! # Built-in roles
//!
//! * `reader`: `viewProject viewWebhook viewIntegration viewRepository viewTickets viewToken
//!   viewRole` on
//!   everything;
//!   not `viewSdkKey` (a credential).
//! * `writer`: reader, plus `*` on projects, environments, flags, segments and webhooks, plus
//!   `createToken revokeToken` on `member/$self:token/*`. Not integrations, roles or others'
//!   tokens.
//! * `admin`: `*` on everything.
//! * `jira-integration`: `createFlagLink updateFlagLink deleteFlagLink` on flags,
//!   `createWebhook updateWebhook deleteWebhook` on webhooks, `viewProject`; nothing else
//!   (it cannot `updateOn`).

mod action;
mod error;
mod eval;
mod glob;
mod policy;
mod resource;

pub use action::{Action, ActionInfo, ActionPattern, CATALOGUE, ResourceKind, actions_markdown};
pub use error::{ParseError, ParseErrorKind, StatementError};
pub use eval::{
    Decision, DenyReason, Principal, allowed_actions, can_view_project, visible_projects,
};
pub use glob::Glob;
pub use policy::{ActionSet, Effect, ResourceSet, Role, Statement};
pub use resource::{Named, OwnerPattern, Pattern, Resource, ResourceSpec};

#[cfg(test)]
mod tests;
