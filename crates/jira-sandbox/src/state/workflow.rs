//! Workflows: which transitions an issue is offered, performing one, and the status and
//! resolution changes they record.

use super::{ChangeItem, State, TransitionError, TransitionInput, UserIdx};
use crate::TransitionRecord;
use crate::config::StatusCategory;

impl State {
    /// Transitions offered from the issue's current status, in workflow order.
    pub fn available_transitions(&self, idx: usize) -> Vec<usize> {
        let issue = &self.issues[idx];
        let project = &self.projects[issue.project];
        let current = &self.statuses[issue.status].name;
        project
            .workflow
            .transitions
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                if t.from.is_empty() {
                    // A global transition is not offered into the status the issue is in.
                    &t.to != current
                } else {
                    t.from.iter().any(|f| f == current)
                }
            })
            .map(|(i, _)| i)
            .collect()
    }

    pub fn status_in_project(&self, project: usize, name: &str) -> usize {
        let p = &self.projects[project];
        let pos = p.workflow.statuses.iter().position(|s| s.name == name).unwrap_or(0);
        p.status_ids[pos]
    }

    /// Performs transition `transition_id` with what its screen was given. Fields set that the
    /// screen lacks, and required screen fields left empty, are refused together; otherwise
    /// the field changes and the move are one changelog entry.
    pub fn transition(
        &mut self,
        idx: usize,
        transition_id: &str,
        given: TransitionInput,
        by: UserIdx,
        now: i64,
    ) -> Result<(), TransitionError> {
        let Some(t_idx) = self.available_transitions(idx).into_iter().find(|&t| {
            self.projects[self.issues[idx].project].workflow.transitions[t].id == transition_id
        }) else {
            return Err(TransitionError::NotAvailable(transition_id.to_owned()));
        };
        let project = self.issues[idx].project;
        let spec = self.projects[project].workflow.transitions[t_idx].clone();
        let on_screen = |f: &str| spec.screen.iter().flatten().any(|s| s.field == f);
        let mut errors = Vec::new();
        for f in &given.fields {
            // A comment rides along with any transition (`update.comment`).
            if f != "comment" && !on_screen(f) {
                errors.push((
                    f.clone(),
                    format!("Field '{f}' cannot be set. It is not on the appropriate screen, or unknown."),
                ));
            }
        }
        for s in spec.screen.iter().flatten().filter(|s| s.required) {
            let given_it = given.fields.contains(&s.field);
            if !given_it && self.field_is_empty(idx, &s.field) {
                errors.push((
                    s.field.clone(),
                    format!("{} is required.", screen_field_name(&s.field)),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(TransitionError::Fields(errors));
        }
        let to = self.status_in_project(project, &spec.to);
        // Without a screen, Jira's default post function resolves the issue as Done.
        let resolution = match &spec.screen {
            None if self.statuses[to].category == StatusCategory::Done => self
                .resolution_by_name_or_id("Done")
                .or(Some(0))
                .filter(|_| !self.resolutions.is_empty()),
            _ => given.resolution,
        };
        let mut items = self.apply_edit(idx, given.edit);
        items.extend(self.move_to(idx, to, resolution, now));
        self.issues[idx].updated = now;
        self.push_history(idx, Some(by), now, items);
        self.bump();
        let issue = &self.issues[idx];
        self.transitions_done.push(TransitionRecord {
            issue_key: issue.key.clone(),
            transition_id: spec.id.clone(),
            transition_name: spec.name.clone(),
            to_status: spec.to.clone(),
            resolution: issue.resolution.map(|r| self.resolutions[r].name.to_owned()),
            by: self.users[by].spec.name.clone(),
            at_ms: now,
        });
        Ok(())
    }

    /// Whether a screen field has no value on the issue (a required one must then be given).
    fn field_is_empty(&self, idx: usize, field: &str) -> bool {
        let i = &self.issues[idx];
        match field {
            "assignee" => i.assignee.is_none(),
            "priority" => i.priority.is_none(),
            "labels" => i.labels.is_empty(),
            "description" => i.description.is_none(),
            "summary" => i.summary.is_empty(),
            // Resolution and comment are asked for afresh on every transition.
            _ => true,
        }
    }

    /// Moves an issue and records the changelog; leaving a done status clears the resolution,
    /// as the post functions of Jira's default workflows do.
    pub fn apply_status(
        &mut self,
        idx: usize,
        to: usize,
        resolution: Option<usize>,
        by: Option<UserIdx>,
        now: i64,
    ) {
        let items = self.move_to(idx, to, resolution, now);
        self.issues[idx].updated = now;
        self.push_history(idx, by, now, items);
        self.bump();
    }

    /// Sets status and resolution and returns the changelog items of the move.
    fn move_to(
        &mut self,
        idx: usize,
        to: usize,
        resolution: Option<usize>,
        now: i64,
    ) -> Vec<ChangeItem> {
        let from = self.issues[idx].status;
        let mut items = Vec::new();
        if from != to {
            items.push(ChangeItem {
                field: "status".into(),
                field_type: None,
                field_id: None,
                from: Some(self.statuses[from].id.to_string()),
                from_string: Some(self.statuses[from].name.clone()),
                to: Some(self.statuses[to].id.to_string()),
                to_string: Some(self.statuses[to].name.clone()),
            });
        }
        let new_resolution = if self.statuses[to].category == StatusCategory::Done {
            resolution.or(self.issues[idx].resolution)
        } else {
            None
        };
        let old_resolution = self.issues[idx].resolution;
        if old_resolution != new_resolution {
            let r = |r: Option<usize>| r.map(|r| &self.resolutions[r]);
            items.push(ChangeItem {
                field: "resolution".into(),
                field_type: None,
                field_id: None,
                from: r(old_resolution).map(|r| r.id.to_string()),
                from_string: r(old_resolution).map(|r| r.name.to_owned()),
                to: r(new_resolution).map(|r| r.id.to_string()),
                to_string: r(new_resolution).map(|r| r.name.to_owned()),
            });
        }
        let issue = &mut self.issues[idx];
        issue.status = to;
        issue.resolution = new_resolution;
        issue.resolution_date = new_resolution.map(|_| issue.resolution_date.unwrap_or(now));
        items
    }

    /// Puts status `idx` (a registry index) in `project`'s workflow, with a global transition
    /// into it, when an imported issue brings a status the workflow lacks.
    pub fn ensure_status_in(&mut self, project: usize, idx: usize) {
        if self.projects[project].status_ids.contains(&idx) {
            return;
        }
        let (name, category) = (self.statuses[idx].name.clone(), self.statuses[idx].category);
        let p = &mut self.projects[project];
        let next_id = p
            .workflow
            .transitions
            .iter()
            .filter_map(|t| t.id.parse::<u64>().ok())
            .max()
            .unwrap_or(1)
            + 10;
        p.workflow.statuses.push(crate::config::StatusSpec { name: name.clone(), category });
        p.workflow.transitions.push(crate::config::TransitionSpec {
            id: next_id.to_string(),
            name: name.clone(),
            from: Vec::new(),
            to: name,
            screen: None,
        });
        p.status_ids.push(idx);
    }

    /// Renames a status everywhere workflows name it (they refer to statuses by name).
    pub fn rename_status(&mut self, idx: usize, name: &str) {
        let old = std::mem::replace(&mut self.statuses[idx].name, name.to_owned());
        if old == name {
            return;
        }
        for p in &mut self.projects {
            let Some(pos) = p.status_ids.iter().position(|&s| s == idx) else { continue };
            p.workflow.statuses[pos].name = name.to_owned();
            for t in &mut p.workflow.transitions {
                for from in &mut t.from {
                    if *from == old {
                        *from = name.to_owned();
                    }
                }
                if t.to == old {
                    t.to = name.to_owned();
                }
            }
        }
    }

    pub fn resolution_by_name_or_id(&self, s: &str) -> Option<usize> {
        self.resolutions
            .iter()
            .position(|r| r.name.eq_ignore_ascii_case(s) || r.id.to_string() == s)
    }
}

/// How Jira names a screen field in "… is required."
pub(crate) fn screen_field_name(field: &str) -> &str {
    match field {
        "resolution" => "Resolution",
        "assignee" => "Assignee",
        "priority" => "Priority",
        "labels" => "Labels",
        "summary" => "Summary",
        "description" => "Description",
        "comment" => "Comment",
        other => other,
    }
}
