//! Comments on issues: adding (the author then watches the issue, Jira's autowatch), editing
//! and deleting.

use super::{Comment, State, UserIdx};
use crate::text::Body;

impl State {
    pub fn add_comment(&mut self, idx: usize, author: UserIdx, body: Body, now: i64) -> u64 {
        let id = self.next_comment_id;
        self.next_comment_id += 1;
        let issue = &mut self.issues[idx];
        issue.comments.push(Comment {
            id,
            author,
            update_author: author,
            body,
            created: now,
            updated: now,
        });
        if !issue.watchers.contains(&author) {
            issue.watchers.push(author);
            issue.touch(&["watches"]);
        }
        issue.updated = now;
        issue.touch(&["updated"]);
        self.bump();
        id
    }

    /// The position of comment `id` on issue `idx`.
    pub fn comment_position(&self, idx: usize, id: &str) -> Option<usize> {
        self.issues[idx].comments.iter().position(|c| c.id.to_string() == id)
    }

    pub fn edit_comment(&mut self, idx: usize, pos: usize, body: Body, by: UserIdx, now: i64) {
        let issue = &mut self.issues[idx];
        let c = &mut issue.comments[pos];
        c.body = body;
        c.update_author = by;
        c.updated = now;
        issue.updated = now;
        issue.touch(&["updated"]);
        self.bump();
    }

    pub fn delete_comment(&mut self, idx: usize, pos: usize, now: i64) {
        let issue = &mut self.issues[idx];
        issue.comments.remove(pos);
        issue.updated = now;
        issue.touch(&["updated"]);
        self.bump();
    }
}
