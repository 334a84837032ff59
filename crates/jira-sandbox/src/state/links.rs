//! Remote links on issues: upserts by `globalId`.

use super::{RemoteLink, State};

impl State {
    /// Upsert by globalId: returns the link id and whether it was created.
    pub fn upsert_remote_link(&mut self, idx: usize, mut link: RemoteLink) -> (u64, bool) {
        let issue = &mut self.issues[idx];
        let existing = link
            .global_id
            .as_ref()
            .and_then(|g| issue.remote_links.iter().position(|l| l.global_id.as_ref() == Some(g)));
        let result = match existing {
            Some(pos) => {
                link.id = issue.remote_links[pos].id;
                issue.remote_links[pos] = link;
                (issue.remote_links[pos].id, false)
            }
            None => {
                link.id = self.next_link_id;
                self.next_link_id += 1;
                let id = link.id;
                issue.remote_links.push(link);
                (id, true)
            }
        };
        self.bump();
        result
    }
}
