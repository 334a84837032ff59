//! The integration test binary: behaviour through the public surface, as tables of cases.

mod closing;
mod gitlab;
mod key;
mod matching;
mod props;
mod settings;
mod smart;
mod support;
mod time;
