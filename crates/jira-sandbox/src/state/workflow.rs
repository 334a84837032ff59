//! Workflows: which transitions an issue is offered, performing one, and the status and
//! resolution changes they record.

use super::{ChangeItem, State, TransitionError, UserIdx};
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

    pub fn transition(
        &mut self,
        idx: usize,
        transition_id: &str,
        resolution: Option<usize>,
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
        let wants_resolution = spec.required_fields.iter().any(|f| f == "resolution");
        match (wants_resolution, resolution) {
            (true, None) => {
                return Err(TransitionError::Fields(vec![(
                    "resolution".to_owned(),
                    "Resolution is required.".to_owned(),
                )]));
            }
            (false, Some(_)) => {
                return Err(TransitionError::Fields(vec![(
                    "resolution".to_owned(),
                    "Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown."
                        .to_owned(),
                )]));
            }
            _ => {}
        }
        let to = self.status_in_project(project, &spec.to);
        self.apply_status(idx, to, resolution, Some(by), now);
        let issue = &self.issues[idx];
        self.transitions_done.push(TransitionRecord {
            issue_key: issue.key.clone(),
            transition_id: spec.id.clone(),
            transition_name: spec.name.clone(),
            to_status: spec.to.clone(),
            resolution: resolution.map(|r| self.resolutions[r].name.to_owned()),
            by: self.users[by].spec.name.clone(),
            at_ms: now,
        });
        Ok(())
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
        let from = self.issues[idx].status;
        let mut items = Vec::new();
        if from != to {
            items.push(ChangeItem {
                field: "status".into(),
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
        issue.updated = now;
        self.push_history(idx, by, now, items);
        self.bump();
    }

    /// The registry index of status `name` in `project`, adding it to the project's workflow
    /// (with a global transition into it) when an imported issue brings a new one.
    pub fn ensure_status(&mut self, project: usize, name: &str, category: StatusCategory) -> usize {
        let wf = &self.projects[project].workflow;
        if let Some(pos) = wf.statuses.iter().position(|s| s.name == name) {
            return self.projects[project].status_ids[pos];
        }
        let idx = self.intern_status(name, category);
        let p = &mut self.projects[project];
        let next_id = p
            .workflow
            .transitions
            .iter()
            .filter_map(|t| t.id.parse::<u64>().ok())
            .max()
            .unwrap_or(1)
            + 10;
        p.workflow.statuses.push(crate::config::StatusSpec { name: name.to_owned(), category });
        p.workflow.transitions.push(crate::config::TransitionSpec {
            id: next_id.to_string(),
            name: name.to_owned(),
            from: Vec::new(),
            to: name.to_owned(),
            required_fields: Vec::new(),
        });
        p.status_ids.push(idx);
        idx
    }

    pub fn resolution_by_name_or_id(&self, s: &str) -> Option<usize> {
        self.resolutions
            .iter()
            .position(|r| r.name.eq_ignore_ascii_case(s) || r.id.to_string() == s)
    }
}
