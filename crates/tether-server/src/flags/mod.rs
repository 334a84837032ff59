//! Flags: their definitions, configurations per environment and segments. The
//! REST API (`api.rs`) and the pages (`ui.rs`, forms read in `targeting.rs`) are
//! adapters over the one write path here.

pub(crate) mod api;
mod targeting;
pub(crate) mod ui;
pub(crate) mod wire;

use tether_flags::{EnvConfig, Flag};

/// What a new flag gets in every environment: off, serving its last variation
/// when off and its first when on.
pub(crate) fn initial_config(flag: &Flag) -> EnvConfig {
    let first = flag.variations.first().map(|v| v.key.clone()).unwrap_or_default();
    let last = flag.variations.last().map(|v| v.key.clone()).unwrap_or_default();
    EnvConfig {
        on: false,
        off_variation: last,
        targets: vec![],
        rules: vec![],
        default_rule: tether_flags::Serve::Variation(first),
    }
}
