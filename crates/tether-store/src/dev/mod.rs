//! Code ↔ Jira in the store, one module per table family: [`repos`] (repositories, groups,
//! instance settings, Development Information credentials), [`settings`] (what each level
//! sets and [`settings::resolve`]), [`events`] (dev events stored once, with their outbox
//! rows; a local scan's branch heads), [`intake`] (deliveries stored together: group
//! commit), [`local`] (the stored form of a scan), [`ledger`]
//! (side effects per issue and entity; mentions) and [`findings`].

mod body;
mod events;
mod findings;
pub(crate) mod intake;
mod ledger;
pub mod local;
mod repos;
mod settings;

pub use events::{DevOutcomes, EventSource, EventState, NewDevEvent, Recorded, StoredDevEvent};
pub use findings::{Finding, ImportCounts, NewFinding};
pub use ledger::{Claim, LedgerEntry, LedgerKey, LedgerState, Mention};
pub use repos::{DevInfoCredentials, NewRepository, RepoGroup, RepoSource, Repository};
pub use settings::{
    CodeSettings, CommentDetail, EffectiveSettings, Level, Resolved, SettingField, Transitions,
    Triggers, resolve,
};
