//! Crate-level unit tests: thread-safety guarantees the server relies on.

use crate::Snapshot;

#[test]
fn snapshot_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Snapshot>();
}
