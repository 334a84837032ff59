//! Ticket type assignments (`ticket_type_assignments`): which ticket category each Jira issue
//! type of a project counts as, defaulted from the type's hierarchy level and name and editable
//! per project; and the site's issue types (`ticket_issue_types`).

use crate::audit::audit_on;
use crate::{Result, Store, StoreError, with_pool, with_write_tx};

/// What a ticket is, for delivery insight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TicketCategory {
    StoryFeature,
    Bug,
    Task,
    SubTask,
    Epic,
    Other,
}

impl TicketCategory {
    pub const ALL: [TicketCategory; 6] = [
        TicketCategory::StoryFeature,
        TicketCategory::Bug,
        TicketCategory::Task,
        TicketCategory::SubTask,
        TicketCategory::Epic,
        TicketCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketCategory::StoryFeature => "story",
            TicketCategory::Bug => "bug",
            TicketCategory::Task => "task",
            TicketCategory::SubTask => "subtask",
            TicketCategory::Epic => "epic",
            TicketCategory::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TicketCategory::StoryFeature => "Story / feature",
            TicketCategory::Bug => "Bug",
            TicketCategory::Task => "Task",
            TicketCategory::SubTask => "Sub-task",
            TicketCategory::Epic => "Epic",
            TicketCategory::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Option<TicketCategory> {
        TicketCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The default for an issue type: its hierarchy level first (sub-tasks below 0, epics at 1
    /// and above), else its name (English, and its untranslated name on a site in another
    /// language), else Other.
    pub fn default_for(name: &str, subtask: bool, hierarchy_level: Option<i64>) -> TicketCategory {
        match hierarchy_level {
            Some(l) if l < 0 => return TicketCategory::SubTask,
            Some(l) if l >= 1 => return TicketCategory::Epic,
            _ => {}
        }
        if subtask {
            return TicketCategory::SubTask;
        }
        let n = name.trim().to_ascii_lowercase();
        match n.as_str() {
            "epic" => TicketCategory::Epic,
            "bug" | "defect" | "incident" | "problem" => TicketCategory::Bug,
            "story" | "user story" | "feature" | "new feature" | "improvement" | "enhancement" => {
                TicketCategory::StoryFeature
            }
            "task" => TicketCategory::Task,
            "sub-task" | "subtask" | "sub task" => TicketCategory::SubTask,
            _ => TicketCategory::Other,
        }
    }
}

/// One of the site's issue types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketIssueType {
    pub id: String,
    pub name: String,
    pub subtask: bool,
    pub hierarchy_level: Option<i64>,
}

/// One issue type of a project and what it counts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeAssignment {
    pub issue_type_id: String,
    /// The type's name, when the site's catalogue has it.
    pub name: Option<String>,
    pub category: TicketCategory,
    /// Whether a person chose it (else it is the default and follows the type).
    pub edited: bool,
}

impl Store {
    /// Replaces what the store knows of the site's issue types.
    pub async fn put_ticket_issue_types(
        &self,
        site_id: i64,
        types: &[TicketIssueType],
    ) -> Result<()> {
        with_write_tx!(self, tx => {
            for t in types {
                sqlx::query(
                    "INSERT INTO ticket_issue_types (site_id, id, name, subtask, hierarchy_level) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (site_id, id) DO UPDATE SET \
                     name = excluded.name, subtask = excluded.subtask, hierarchy_level = excluded.hierarchy_level",
                )
                .bind(site_id)
                .bind(&t.id)
                .bind(&t.name)
                .bind(t.subtask)
                .bind(t.hierarchy_level)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    pub async fn ticket_issue_types(&self, site_id: i64) -> Result<Vec<TicketIssueType>> {
        let rows: Vec<(String, String, bool, Option<i64>)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, name, subtask, hierarchy_level FROM ticket_issue_types WHERE site_id = $1 ORDER BY name, id"
        )
        .bind(site_id)
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(id, name, subtask, hierarchy_level)| TicketIssueType {
                id,
                name,
                subtask,
                hierarchy_level,
            })
            .collect())
    }

    /// Adds the defaults for a project's issue types it has no assignment for yet (edited and
    /// earlier defaults stay).
    pub async fn default_type_assignments(
        &self,
        site_id: i64,
        project_id: &str,
        types: &[TicketIssueType],
    ) -> Result<()> {
        with_write_tx!(self, tx => {
            for t in types {
                let category = TicketCategory::default_for(&t.name, t.subtask, t.hierarchy_level);
                sqlx::query(
                    "INSERT INTO ticket_type_assignments (site_id, project_id, issue_type_id, category, edited) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (site_id, project_id, issue_type_id) DO NOTHING",
                )
                .bind(site_id)
                .bind(project_id)
                .bind(&t.id)
                .bind(category.as_str())
                .bind(false)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// A project's type assignments, with the types' names.
    pub async fn type_assignments(
        &self,
        site_id: i64,
        project_id: &str,
    ) -> Result<Vec<TypeAssignment>> {
        let rows: Vec<(String, Option<String>, String, bool)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT a.issue_type_id, t.name, a.category, a.edited FROM ticket_type_assignments a \
             LEFT JOIN ticket_issue_types t ON t.site_id = a.site_id AND t.id = a.issue_type_id \
             WHERE a.site_id = $1 AND a.project_id = $2 ORDER BY t.name, a.issue_type_id"
        )
        .bind(site_id)
        .bind(project_id)
        .fetch_all(pool)
        .await?);
        rows.into_iter()
            .map(|(issue_type_id, name, category, edited)| {
                let category = TicketCategory::parse(&category)
                    .ok_or_else(|| StoreError::Damaged(format!("ticket category {category:?}")))?;
                Ok(TypeAssignment { issue_type_id, name, category, edited })
            })
            .collect()
    }

    /// Sets what an issue type of a project counts as (a person's choice, kept from then on).
    pub async fn set_type_assignment(
        &self,
        site_id: i64,
        project_id: &str,
        issue_type_id: &str,
        category: TicketCategory,
        actor: &str,
    ) -> Result<()> {
        let site = self.jira_site(site_id).await?;
        let now = self.now();
        with_write_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO ticket_type_assignments (site_id, project_id, issue_type_id, category, edited) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (site_id, project_id, issue_type_id) DO UPDATE SET \
                 category = excluded.category, edited = excluded.edited",
            )
            .bind(site_id)
            .bind(project_id)
            .bind(issue_type_id)
            .bind(category.as_str())
            .bind(true)
            .execute(&mut *tx)
            .await?;
            let after = serde_json::json!({"project": project_id, "issue_type": issue_type_id, "category": category.as_str()}).to_string();
            audit_on!(&mut *tx, now, actor, "tickets.type_assignment", &format!("integration/{}", site.name), None, Some(after));
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::TicketCategory::{self, *};

    #[test]
    fn defaults_follow_hierarchy_level_then_name() {
        let cases: &[(&str, bool, Option<i64>, TicketCategory)] = &[
            ("Epic", false, Some(1), Epic),
            ("Initiative", false, Some(2), Epic),
            ("Sub-task", true, Some(-1), SubTask),
            ("Teilaufgabe", true, None, SubTask),
            ("Bug", false, Some(0), Bug),
            ("Defect", false, None, Bug),
            ("Story", false, Some(0), StoryFeature),
            ("New Feature", false, None, StoryFeature),
            ("Task", false, Some(0), Task),
            ("Epic", false, None, Epic),
            ("Spike", false, Some(0), Other),
            ("Fehler", false, Some(0), Other),
        ];
        for (name, subtask, level, want) in cases {
            assert_eq!(TicketCategory::default_for(name, *subtask, *level), *want, "{name}");
        }
        for c in TicketCategory::ALL {
            assert_eq!(TicketCategory::parse(c.as_str()), Some(c));
        }
    }
}
