//! The integration test binary: deliveries in, dev events out, through the public surface.

mod examples;
mod github;
mod gitlab;
mod props;
mod support;
mod verify;
