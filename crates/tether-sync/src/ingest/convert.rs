//! Issues as the client read them, turned into what the store writes: the ticket with its
//! history items, comments, worklogs, remote links and sprints, and the people they name.

use std::collections::BTreeMap;

use tether_jira::tickets::{
    FieldCatalog, FieldInfo, FieldSchema, SprintRef, Ticket, body_text, user_id,
};
use tether_jira::{RemoteLink, User, parse_timestamp};
use tether_store::{
    NewChange, NewComment, NewRemoteLink, NewSprint, NewTicket, NewWorklog, TicketField,
    TicketIssueType, TicketStatus, TicketUser,
};

/// An issue completed by [`super::enrich`]: its own lists are whole, and its remote links read.
#[derive(Debug, Clone)]
pub struct Complete {
    pub ticket: Ticket,
    /// `None` when they could not be read (left as stored).
    pub remote_links: Option<Vec<RemoteLink>>,
}

/// The id a ticket refers to a status, type, priority or resolution by: Jira's id, or for one
/// that came without (a hand-made export) its name, marked as such, so it still has a name
/// and a category in tether.
pub fn ref_id(id: &str, name: &str) -> Option<String> {
    match (id.trim(), name.trim()) {
        ("", "") => None,
        ("", name) => Some(format!("name:{name}")),
        (id, _) => Some(id.to_owned()),
    }
}

/// The statuses, issue types, priorities and resolutions a page's tickets name, once each.
#[derive(Debug, Default)]
pub struct Named {
    pub statuses: Vec<TicketStatus>,
    pub issue_types: Vec<TicketIssueType>,
    pub priorities: Vec<(String, String)>,
    pub resolutions: Vec<(String, String)>,
}

impl Named {
    pub fn of<'a>(tickets: impl Iterator<Item = &'a Ticket>) -> Named {
        let mut n = Named::default();
        for t in tickets {
            if let Some(s) = &t.status
                && let Some(id) = ref_id(&s.id, &s.name)
                && !n.statuses.iter().any(|x| x.id == id)
            {
                n.statuses.push(TicketStatus {
                    id,
                    name: s.name.clone(),
                    category_key: s
                        .status_category
                        .as_ref()
                        .map(|c| c.key.clone())
                        .filter(|k| !k.is_empty()),
                    category_name: s.status_category.as_ref().and_then(|c| c.name.clone()),
                });
            }
            if let Some(it) = &t.issue_type
                && let Some(id) = ref_id(&it.id, &it.name)
                && !n.issue_types.iter().any(|x| x.id == id)
            {
                n.issue_types.push(TicketIssueType {
                    id,
                    name: it.name.clone(),
                    subtask: it.subtask,
                    hierarchy_level: it.hierarchy_level,
                });
            }
            for (list, named) in
                [(&mut n.priorities, &t.priority), (&mut n.resolutions, &t.resolution)]
            {
                if let Some(x) = named
                    && let Some(id) = ref_id(&x.id, &x.name)
                    && !list.iter().any(|(known, _)| *known == id)
                {
                    list.push((id, x.name.clone()));
                }
            }
        }
        n
    }
}

/// The people a page names, once each.
#[derive(Debug, Default)]
pub struct People(BTreeMap<String, TicketUser>);

impl People {
    pub fn add(&mut self, u: Option<&User>) -> Option<String> {
        let u = u?;
        let id = user_id(u)?.to_owned();
        let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        let seen = TicketUser {
            id: id.clone(),
            name: nonempty(&u.name),
            display_name: nonempty(&u.display_name),
            email: nonempty(&u.email_address),
            time_zone: nonempty(&u.time_zone),
            active: u.active,
        };
        let entry = self
            .0
            .entry(id.clone())
            .or_insert_with(|| TicketUser { id: id.clone(), ..TicketUser::default() });
        // What one sighting shows and another hides is kept.
        entry.name = entry.name.take().or(seen.name);
        entry.display_name = entry.display_name.take().or(seen.display_name);
        entry.email = entry.email.take().or(seen.email);
        entry.time_zone = entry.time_zone.take().or(seen.time_zone);
        entry.active = entry.active.or(seen.active);
        Some(id)
    }

    pub fn into_vec(self) -> Vec<TicketUser> {
        self.0.into_values().collect()
    }
}

/// The store's ticket for a completed issue; the people it names go into `people`, its
/// sprints into `sprints`.
pub fn ticket(
    c: Complete,
    fallback_project: &str,
    people: &mut People,
    sprints: &mut BTreeMap<i64, NewSprint>,
) -> NewTicket {
    let Complete { ticket: t, remote_links } = c;
    let changes = t
        .changelog
        .items
        .iter()
        .flat_map(|h| {
            let author = people.add(h.author.as_ref());
            let at = h.created.as_deref().and_then(parse_timestamp);
            h.items.iter().enumerate().map(move |(i, item)| NewChange {
                history_id: h.id.clone(),
                item: i as i64,
                author_id: author.clone(),
                at,
                field: item.field.clone(),
                field_id: item.field_id.clone(),
                fieldtype: item.fieldtype.clone(),
                from_value: item.from.clone(),
                from_string: item.from_string.clone(),
                to_value: item.to.clone(),
                to_string: item.to_string.clone(),
            })
        })
        .collect();
    let comments = t.comments.complete.then(|| {
        t.comments
            .items
            .iter()
            .map(|c| NewComment {
                id: c.id.clone(),
                author_id: people.add(c.author.as_ref()),
                body: c.body.as_ref().map(body_text).unwrap_or_default(),
                body_raw: c.body.as_ref().map(|b| b.to_string()),
                created_at: c.created.as_deref().and_then(parse_timestamp),
                updated_at: c.updated.as_deref().and_then(parse_timestamp),
            })
            .collect()
    });
    let worklogs = t.worklogs.complete.then(|| {
        t.worklogs
            .items
            .iter()
            .map(|w| NewWorklog {
                id: w.id.clone(),
                author_id: people.add(w.author.as_ref()),
                started_at: w.started.as_deref().and_then(parse_timestamp),
                seconds: w.time_spent_seconds,
                comment: w.comment.as_ref().map(body_text).filter(|s| !s.is_empty()),
                created_at: w.created.as_deref().and_then(parse_timestamp),
                updated_at: w.updated.as_deref().and_then(parse_timestamp),
            })
            .collect()
    });
    let remote_links = remote_links.map(|links| {
        links
            .into_iter()
            .enumerate()
            .map(|(i, l)| NewRemoteLink {
                id: l
                    .id
                    .map(|n| n.to_string())
                    .or_else(|| l.global_id.clone())
                    .unwrap_or_else(|| i.to_string()),
                global_id: l.global_id,
                relationship: l.relationship,
                application: l.application.and_then(|a| a.name.or(a.kind)),
                url: l.object.url,
                title: l.object.title,
                summary: l.object.summary,
                resolved: l.object.status.is_some_and(|s| s.resolved),
            })
            .collect()
    });
    for s in &t.sprints {
        sprints.entry(s.id).or_insert_with(|| sprint(s));
    }
    NewTicket {
        assignee_id: people.add(t.assignee.as_ref()),
        reporter_id: people.add(t.reporter.as_ref()),
        creator_id: people.add(t.creator.as_ref()),
        project_id: t.project_id.clone().unwrap_or_else(|| fallback_project.to_owned()),
        description_raw: t.description_raw,
        issue_type_id: t.issue_type.as_ref().and_then(|x| ref_id(&x.id, &x.name)),
        status_id: t.status.as_ref().and_then(|x| ref_id(&x.id, &x.name)),
        priority_id: t.priority.as_ref().and_then(|x| ref_id(&x.id, &x.name)),
        resolution_id: t.resolution.as_ref().and_then(|x| ref_id(&x.id, &x.name)),
        sprint_ids: t.sprints.iter().map(|s| s.id).collect(),
        fields: t.fields,
        custom: serde_json::Value::Object(t.custom).to_string(),
        id: t.id,
        key: t.key,
        summary: t.summary,
        description: t.description_text,
        resolved_at: t.resolved_ms,
        created_at: t.created_ms,
        updated_at: t.updated_ms,
        due_date: t.due_date,
        labels: t.labels,
        components: t.components,
        fix_versions: t.fix_versions,
        parent_id: t.parent_id,
        parent_key: t.parent_key,
        epic_key: t.epic_key,
        story_points: t.story_points,
        changes,
        comments,
        worklogs,
        remote_links,
    }
}

pub fn sprint(s: &SprintRef) -> NewSprint {
    NewSprint {
        id: s.id,
        board_id: s.board_id,
        name: s.name.clone(),
        state: s.state.clone(),
        goal: s.goal.clone(),
        start_at: s.start_ms,
        end_at: s.end_ms,
        complete_at: s.complete_ms,
    }
}

/// The field catalogue of a site as the store keeps it.
pub fn catalog(fields: &[TicketField]) -> FieldCatalog {
    let infos: Vec<FieldInfo> = fields
        .iter()
        .map(|f| FieldInfo {
            id: f.id.clone(),
            name: f.name.clone(),
            custom: f.custom,
            schema: Some(FieldSchema {
                kind: f.schema_type.clone(),
                custom: f.schema_custom.clone(),
                custom_id: None,
            }),
        })
        .collect();
    FieldCatalog::new(&infos)
}

#[cfg(test)]
mod tests {
    use super::ref_id;

    #[test]
    fn references_without_an_id_keep_their_name() {
        let cases = [
            ("3", "In Progress", Some("3")),
            ("", "In Progress", Some("name:In Progress")),
            (" ", " ", None),
        ];
        for (id, name, want) in cases {
            assert_eq!(ref_id(id, name).as_deref(), want, "{id:?} {name:?}");
        }
    }
}
