//! The integration test binary: behaviour through the public surface, as tables of cases.

mod bucketing;
mod operators;
mod props;
mod reasons;
mod request;
mod support;
mod validation;
