//! Comments on issues.

use super::{Comment, State, UserIdx};
use crate::text::Body;

impl State {
    pub fn add_comment(&mut self, idx: usize, author: UserIdx, body: Body, now: i64) -> u64 {
        let id = self.next_comment_id;
        self.next_comment_id += 1;
        let issue = &mut self.issues[idx];
        issue.comments.push(Comment { id, author, body, created: now, updated: now });
        issue.updated = now;
        self.bump();
        id
    }
}
