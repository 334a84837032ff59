//! Creating, editing and deleting issues, and the changelog every change leaves.

use std::collections::BTreeMap;

use super::{ChangeItem, History, Issue, IssueEdit, NewIssue, State, UserIdx};
use crate::text::Body;

impl Issue {
    /// Records that fields changed since an import, so the API answers them from the model
    /// instead of the export (a no-op for issues that were not imported).
    pub fn touch(&mut self, fields: &[&'static str]) {
        if self.raw_fields.is_some() {
            self.touched.extend(fields.iter().copied());
        }
    }
}

/// Marks an imported issue whose sprints changed since the export (see [`Issue::touch`]).
pub(crate) const SPRINT_TOUCHED: &str = "Sprint";

/// The issue fields a changelog item's field stands for.
fn fields_changed_by(field: &str) -> &'static [&'static str] {
    match field {
        "summary" => &["summary"],
        "labels" => &["labels"],
        "assignee" => &["assignee"],
        "reporter" => &["reporter"],
        "issuetype" => &["issuetype"],
        "priority" => &["priority"],
        "status" => &["status", "statuscategorychangedate"],
        "resolution" => &["resolution", "resolutiondate"],
        "timespent" => &["timespent", "timetracking", "aggregatetimespent"],
        "timeestimate" => &["timeestimate", "timetracking", "aggregatetimeestimate"],
        "project" => &["project"],
        // The sprint field's id is the site's own (`State::sprint_field`); rendering looks
        // for this mark.
        "Sprint" => &[SPRINT_TOUCHED],
        _ => &[],
    }
}

impl State {
    pub fn create_issue(&mut self, new: NewIssue, by: UserIdx, now: i64) -> usize {
        let project = &mut self.projects[new.project];
        let number = project.next_number;
        project.next_number += 1;
        let key = format!("{}-{}", project.key, number);
        let status = project.status_ids[0];
        let id = self.next_issue_id;
        self.next_issue_id += 1;
        let idx = self.issues.len();
        let priority = new.priority.or_else(|| self.default_priority());
        self.issues.push(Issue {
            id,
            key: key.clone(),
            project: new.project,
            number,
            issue_type: new.issue_type,
            summary: new.summary,
            description: new.description,
            labels: new.labels,
            status,
            resolution: None,
            resolution_date: None,
            reporter: new.reporter,
            assignee: new.assignee,
            creator: by,
            created: now,
            updated: now,
            indexed_at: 0,
            comments: Vec::new(),
            remote_links: Vec::new(),
            histories: Vec::new(),
            sprints: Vec::new(),
            properties: BTreeMap::new(),
            security: None,
            priority,
            worklogs: Vec::new(),
            // Jira's autowatch: whoever creates an issue watches it.
            watchers: vec![by],
            previous_keys: Vec::new(),
            fix_versions: Vec::new(),
            parent: None,
            epic_link: None,
            raw_fields: None,
            touched: Default::default(),
            original_estimate: None,
            remaining_estimate: None,
        });
        self.issue_by_key.insert(key, idx);
        self.issue_by_id.insert(id, idx);
        self.bump();
        idx
    }

    fn user_ref(&self, u: Option<UserIdx>) -> (Option<String>, Option<String>) {
        match u {
            None => (None, None),
            Some(u) => {
                let user = &self.users[u];
                let id = if self.flavour.is_cloud() {
                    user.account_id.clone()
                } else {
                    user.spec.name.clone()
                };
                (Some(id), Some(user.spec.display_name.clone()))
            }
        }
    }

    pub fn push_history(
        &mut self,
        issue: usize,
        author: Option<UserIdx>,
        at: i64,
        items: Vec<ChangeItem>,
    ) {
        if items.is_empty() {
            return;
        }
        let id = self.next_history_id;
        self.next_history_id += 1;
        let issue = &mut self.issues[issue];
        for item in &items {
            issue.touch(fields_changed_by(&item.field));
        }
        issue.touch(&["updated"]);
        issue.histories.push(History { id, author, created: at, items });
        issue.updated = issue.updated.max(at);
    }

    pub fn edit_issue(&mut self, idx: usize, edit: IssueEdit, by: UserIdx, now: i64) {
        let items = self.apply_edit(idx, edit);
        self.issues[idx].updated = now;
        self.push_history(idx, Some(by), now, items);
        self.bump();
    }

    /// Applies an edit and returns its changelog items (the caller records them).
    pub(super) fn apply_edit(&mut self, idx: usize, edit: IssueEdit) -> Vec<ChangeItem> {
        let mut items = Vec::new();
        let text_item = |field: &str, old: Option<String>, new: Option<String>| ChangeItem {
            field: field.to_owned(),
            field_type: None,
            field_id: None,
            from: None,
            from_string: old,
            to: None,
            to_string: new,
        };
        if let Some(summary) = edit.summary {
            let old = std::mem::replace(&mut self.issues[idx].summary, summary.clone());
            if old != summary {
                items.push(text_item("summary", Some(old), Some(summary)));
            }
        }
        if let Some(desc) = edit.description {
            let old = self.issues[idx].description.as_ref().map(Body::plain_text);
            let new = desc.as_ref().map(Body::plain_text);
            self.issues[idx].description = desc;
            if old != new {
                items.push(text_item("description", old, new));
            }
        }
        if let Some(labels) = edit.labels {
            let old = self.issues[idx].labels.join(" ");
            let new = labels.join(" ");
            self.issues[idx].labels = labels;
            if old != new {
                let none_if_empty = |s: String| if s.is_empty() { None } else { Some(s) };
                items.push(text_item("labels", none_if_empty(old), none_if_empty(new)));
            }
        }
        for (field, change) in [("assignee", edit.assignee), ("reporter", edit.reporter)] {
            let Some(new) = change else { continue };
            let slot = match field {
                "assignee" => &mut self.issues[idx].assignee,
                _ => &mut self.issues[idx].reporter,
            };
            let old = std::mem::replace(slot, new);
            if old != new {
                let (from, from_string) = self.user_ref(old);
                let (to, to_string) = self.user_ref(new);
                items.push(ChangeItem {
                    field: field.to_owned(),
                    field_type: None,
                    field_id: None,
                    from,
                    from_string,
                    to,
                    to_string,
                });
            }
        }
        if let Some(t) = edit.issue_type {
            let old = std::mem::replace(&mut self.issues[idx].issue_type, t);
            if old != t {
                items.push(ChangeItem {
                    field: "issuetype".into(),
                    field_type: None,
                    field_id: None,
                    from: Some(self.issue_types[old].id.to_string()),
                    from_string: Some(self.issue_types[old].name.to_owned()),
                    to: Some(self.issue_types[t].id.to_string()),
                    to_string: Some(self.issue_types[t].name.to_owned()),
                });
            }
        }
        if let Some(p) = edit.priority {
            let old = self.issues[idx].priority.replace(p);
            if old != Some(p) {
                let r = |p: Option<usize>| p.map(|p| &self.priorities[p]);
                items.push(ChangeItem {
                    field: "priority".into(),
                    field_type: None,
                    field_id: None,
                    from: r(old).map(|p| p.id.to_string()),
                    from_string: r(old).map(|p| p.name.clone()),
                    to: Some(self.priorities[p].id.to_string()),
                    to_string: Some(self.priorities[p].name.clone()),
                });
            }
        }
        items
    }

    /// Removes an issue; later issues move down one index, so the key and id maps are rebuilt.
    pub fn delete_issue(&mut self, idx: usize) {
        self.issues.remove(idx);
        self.reindex();
        self.bump();
    }

    /// The key and id maps from scratch; a moved issue's old keys still lead to it.
    pub fn reindex(&mut self) {
        self.issue_by_key = self
            .issues
            .iter()
            .enumerate()
            .flat_map(|(i, issue)| {
                issue.previous_keys.iter().chain([&issue.key]).map(move |k| (k.clone(), i))
            })
            .collect();
        self.issue_by_id = self.issues.iter().enumerate().map(|(i, issue)| (issue.id, i)).collect();
    }

    /// Moves an issue to another project, as Jira's "Move" does: it gets the project's next
    /// key (the old one keeps finding it), keeps its type when the project has it (else the
    /// project's first), and its status when the project's workflow has it (else the first).
    /// The changelog records the project and the key. Returns the new key.
    pub fn move_issue(&mut self, idx: usize, project: usize, by: UserIdx, now: i64) -> String {
        let from = self.issues[idx].project;
        if from == project {
            return self.issues[idx].key.clone();
        }
        let p = &mut self.projects[project];
        let number = p.next_number;
        p.next_number += 1;
        let new_key = format!("{}-{number}", p.key);
        let status = self.issues[idx].status;
        let target = &self.projects[project];
        let new_status =
            if target.status_ids.contains(&status) { status } else { target.status_ids[0] };
        let issue_type = self.issues[idx].issue_type;
        let new_type = if target.issue_types.contains(&issue_type) {
            issue_type
        } else {
            target.issue_types[0]
        };
        let item =
            |field: &str, id: &str, from: (String, String), to: (String, String)| ChangeItem {
                field: field.to_owned(),
                field_type: None,
                field_id: Some(id.to_owned()),
                from: Some(from.0),
                from_string: Some(from.1),
                to: Some(to.0),
                to_string: Some(to.1),
            };
        let (old_p, new_p) = (&self.projects[from], &self.projects[project]);
        let old_key = self.issues[idx].key.clone();
        let items = vec![
            item(
                "project",
                "project",
                (old_p.id.to_string(), old_p.name.clone()),
                (new_p.id.to_string(), new_p.name.clone()),
            ),
            item(
                "Key",
                "issuekey",
                (old_key.clone(), old_key.clone()),
                (new_key.clone(), new_key.clone()),
            ),
        ];
        let issue = &mut self.issues[idx];
        issue.previous_keys.push(old_key);
        issue.key = new_key.clone();
        issue.number = number;
        issue.project = project;
        issue.status = new_status;
        issue.issue_type = new_type;
        issue.updated = now;
        self.push_history(idx, Some(by), now, items);
        self.reindex();
        self.bump();
        new_key
    }
}
