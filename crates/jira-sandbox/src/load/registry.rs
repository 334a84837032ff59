//! The site-wide parts of an export: users, statuses, priorities, resolutions, issue types,
//! fields, projects (with their issue types and versions), boards and sprints. Each is found
//! by id (users by accountId, name or email) or added with its id and the JSON it came as.

use serde_json::Value;

use super::LoadReport;
use crate::config::{ProjectSpec, ProjectType, StatusCategory, UserSpec};
use crate::state::{
    Board, BoardKind, IssueType, Priority, Resolution, Sprint, SprintState, State, Status, UserIdx,
    Version,
};
use crate::time::parse_jira_timestamp;

/// The entries of a list as the API gives one: an array, or a page with `values`.
pub(super) fn items(json: &Value) -> Option<Vec<Value>> {
    match json {
        Value::Array(a) => Some(a.clone()),
        Value::Object(o) => o.get("values").and_then(Value::as_array).cloned(),
        _ => None,
    }
}

pub(super) fn load(state: &mut State, file: &str, items: &[Value], report: &mut LoadReport) {
    for item in items {
        match file {
            "users.json" => {
                user(state, Some(item), report);
            }
            "statuses.json" => {
                status(state, item, report);
            }
            "priorities.json" => {
                priority(state, item);
            }
            "resolutions.json" => {
                resolution(state, item);
            }
            "issuetypes.json" => {
                issue_type(state, item);
            }
            "fields.json" => {}
            "projects.json" => {
                project(state, item, report);
            }
            "boards.json" => board(state, item, report),
            "sprints.json" => {
                sprint(state, item, report);
            }
            _ => {}
        }
    }
    if file == "fields.json" {
        fields(state, items);
    }
}

pub(super) fn str_at<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    v.pointer(path).and_then(Value::as_str)
}

/// An id as Jira writes them: a string of digits (`"10001"`) or a number.
pub(super) fn id_of(v: &Value) -> Option<u64> {
    let id = v.get("id")?;
    id.as_u64().or_else(|| id.as_str().and_then(|s| s.parse().ok()))
}

fn category(key: Option<&str>) -> StatusCategory {
    match key {
        Some("done") => StatusCategory::Done,
        Some("indeterminate") => StatusCategory::Indeterminate,
        _ => StatusCategory::New,
    }
}

/// Finds or creates the user a Jira user object describes (either flavour's shape); a new
/// user keeps the object as it came.
pub(super) fn user(
    state: &mut State,
    v: Option<&Value>,
    report: &mut LoadReport,
) -> Option<UserIdx> {
    let v = v.filter(|v| v.is_object())?;
    let account_id = str_at(v, "/accountId");
    let name = str_at(v, "/name");
    let email = str_at(v, "/emailAddress");
    let existing = state.users.iter().position(|u| {
        account_id.is_some_and(|a| u.account_id == a)
            || name.is_some_and(|n| u.spec.name == n)
            || email.is_some_and(|e| u.spec.email.eq_ignore_ascii_case(e))
    });
    if existing.is_some() {
        return existing;
    }
    let display = str_at(v, "/displayName").unwrap_or("Imported User");
    let login = name
        .map(str::to_owned)
        .or_else(|| email.and_then(|e| e.split('@').next()).map(str::to_owned))
        .or_else(|| account_id.map(|a| format!("user-{a}")))
        .unwrap_or_else(|| display.to_lowercase().replace(' ', "."));
    let mut spec = UserSpec::named(&login, display);
    spec.account_id = account_id.map(str::to_owned);
    if let Some(e) = email {
        spec.email = e.to_owned();
    }
    if let Some(tz) = str_at(v, "/timeZone") {
        spec.time_zone = tz.to_owned();
    }
    let idx = state.add_user(spec).ok()?;
    if let Some(key) = str_at(v, "/key") {
        state.users[idx].key = key.to_owned();
    }
    state.users[idx].raw = Some(v.clone());
    report.users_added += 1;
    Some(idx)
}

/// A status by id (two statuses sharing a name but not a category are two); without an id,
/// by name and category.
pub(super) fn status(state: &mut State, v: &Value, report: &mut LoadReport) -> usize {
    let name = str_at(v, "/name").unwrap_or("Unknown").to_owned();
    let cat = category(str_at(v, "/statusCategory/key"));
    let found = match id_of(v) {
        Some(id) => state.statuses.iter().position(|s| s.id == id),
        None => state.statuses.iter().position(|s| s.name == name && s.category == cat),
    };
    if let Some(i) = found {
        // A built-in status the export has under the same id is the export's.
        if id_of(v).is_some() && state.statuses[i].raw.is_none() {
            state.rename_status(i, &name);
            state.statuses[i].category = cat;
            state.statuses[i].raw = Some(v.clone());
        }
        return i;
    }
    let used: Vec<u64> = state.statuses.iter().map(|s| s.id).collect();
    let id =
        id_of(v).unwrap_or_else(|| (10002..).find(|id| !used.contains(id)).unwrap_or(u64::MAX));
    state.statuses.push(Status { id, name, category: cat, raw: Some(v.clone()) });
    report.statuses_added += 1;
    state.statuses.len() - 1
}

pub(super) fn priority(state: &mut State, v: &Value) -> Option<usize> {
    let name = str_at(v, "/name")?.to_owned();
    let found = match id_of(v) {
        Some(id) => state.priorities.iter().position(|p| p.id == id),
        None => state.priorities.iter().position(|p| p.name == name),
    };
    if let Some(i) = found {
        if id_of(v).is_some() && state.priorities[i].raw.is_none() {
            state.priorities[i].name = name;
            state.priorities[i].raw = Some(v.clone());
        }
        return found;
    }
    state.priorities.push(Priority {
        id: id_of(v).unwrap_or(state.priorities.len() as u64 + 1),
        icon: format!("{}.svg", name.to_lowercase()),
        description: str_at(v, "/description").unwrap_or_default().to_owned(),
        color: str_at(v, "/statusColor").unwrap_or("#707070").to_owned(),
        name,
        raw: Some(v.clone()),
    });
    Some(state.priorities.len() - 1)
}

pub(super) fn resolution(state: &mut State, v: &Value) -> Option<usize> {
    let name = str_at(v, "/name")?.to_owned();
    let found = match id_of(v) {
        Some(id) => state.resolutions.iter().position(|r| r.id == id),
        None => state.resolutions.iter().position(|r| r.name.eq_ignore_ascii_case(&name)),
    };
    if let Some(i) = found {
        if id_of(v).is_some() && state.resolutions[i].raw.is_none() {
            state.resolutions[i].name = name;
            state.resolutions[i].raw = Some(v.clone());
        }
        return found;
    }
    state.resolutions.push(Resolution {
        id: id_of(v).unwrap_or(10100 + state.resolutions.len() as u64),
        description: str_at(v, "/description").unwrap_or_default().to_owned(),
        name,
        raw: Some(v.clone()),
    });
    Some(state.resolutions.len() - 1)
}

/// An issue type by id (names may be localized, so never by name when there is an id). A
/// built-in type the export has under the same id becomes the export's (and so for statuses,
/// priorities and resolutions): the export describes the site.
pub(super) fn issue_type(state: &mut State, v: &Value) -> Option<usize> {
    let name = str_at(v, "/name")?.to_owned();
    let found = match id_of(v) {
        Some(id) => state.issue_types.iter().position(|t| t.id == id),
        None => state.issue_types.iter().position(|t| t.name.eq_ignore_ascii_case(&name)),
    };
    let subtask = v.get("subtask").and_then(Value::as_bool).unwrap_or(false);
    let hierarchy_level = v
        .get("hierarchyLevel")
        .and_then(Value::as_i64)
        .map_or(if subtask { -1 } else { 0 }, |h| h as i32);
    if let Some(i) = found {
        let t = &mut state.issue_types[i];
        if id_of(v).is_some() && t.raw.is_none() {
            t.name = name;
            t.subtask = subtask;
            t.hierarchy_level = hierarchy_level;
            t.raw = Some(v.clone());
        }
        return found;
    }
    state.issue_types.push(IssueType {
        id: id_of(v).unwrap_or(10100 + state.issue_types.len() as u64),
        description: str_at(v, "/description").unwrap_or_default().to_owned(),
        name,
        subtask,
        hierarchy_level,
        raw: Some(v.clone()),
    });
    Some(state.issue_types.len() - 1)
}

/// `GET /field` as given; the sprint and Epic Link fields are found by their schema.
fn fields(state: &mut State, items: &[Value]) {
    for f in items {
        let id = str_at(f, "/id").unwrap_or_default();
        match str_at(f, "/schema/custom") {
            Some("com.pyxis.greenhopper.jira:gh-sprint") => state.sprint_field = id.to_owned(),
            Some("com.pyxis.greenhopper.jira:gh-epic-link") => {
                state.epic_link_field = Some(id.to_owned());
            }
            _ => {}
        }
    }
    state.fields_meta = Some(items.to_vec());
}

/// A project by key (created with its id, name, type, lead, issue types and versions).
pub(super) fn project(state: &mut State, v: &Value, report: &mut LoadReport) -> Option<usize> {
    let key = str_at(v, "/key")?.to_owned();
    if let Some(p) = state.project_by_key(&key) {
        return Some(p);
    }
    let ptype = match str_at(v, "/projectTypeKey") {
        Some("business") => ProjectType::Business,
        Some("service_desk") => ProjectType::ServiceDesk,
        _ => ProjectType::Software,
    };
    let spec = ProjectSpec::new(&key, str_at(v, "/name").unwrap_or(&key), ptype);
    let p = state.add_project(&spec).ok()?;
    report.projects_added += 1;
    if let Some(id) = id_of(v).filter(|id| !state.projects.iter().any(|p| p.id == *id)) {
        state.projects[p].id = id;
    }
    if let Some(lead) = user(state, v.get("lead"), report) {
        state.projects[p].lead = lead;
    }
    let types: Vec<usize> = v["issueTypes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| issue_type(state, t))
        .collect();
    if !types.is_empty() {
        state.projects[p].issue_types = types;
    }
    for ver in v["versions"].as_array().into_iter().flatten() {
        version(state, p, ver);
    }
    Some(p)
}

pub(super) fn version(state: &mut State, project: usize, v: &Value) -> Option<usize> {
    let name = str_at(v, "/name")?.to_owned();
    let found = match id_of(v) {
        Some(id) => state.versions.iter().position(|x| x.id == id),
        None => state.versions.iter().position(|x| x.project == project && x.name == name),
    };
    if found.is_some() {
        return found;
    }
    state.versions.push(Version {
        id: id_of(v).unwrap_or(10000 + state.versions.len() as u64),
        name,
        project,
        released: v.get("released").and_then(Value::as_bool).unwrap_or(false),
        raw: Some(v.clone()),
    });
    Some(state.versions.len() - 1)
}

fn board(state: &mut State, v: &Value, report: &mut LoadReport) {
    let Some(id) = id_of(v) else { return };
    if state.boards.iter().any(|b| b.id == id) {
        return;
    }
    let project = str_at(v, "/location/projectKey")
        .and_then(|k| state.project_by_key(k))
        .or_else(|| {
            v.pointer("/location/projectId").and_then(|p| {
                let p =
                    p.as_u64().map(|n| n.to_string()).or_else(|| p.as_str().map(str::to_owned))?;
                state.find_project(&p)
            })
        })
        .unwrap_or(0);
    let kind =
        if str_at(v, "/type") == Some("kanban") { BoardKind::Kanban } else { BoardKind::Scrum };
    let name = str_at(v, "/name").unwrap_or("Board").to_owned();
    state.boards.push(Board { id, name, kind, project });
    report.boards_added += 1;
}

/// A sprint by id; one naming a board no file described gets a scrum board of that id.
pub(super) fn sprint(state: &mut State, v: &Value, report: &mut LoadReport) -> Option<usize> {
    let id = id_of(v)?;
    if let Some(s) = state.sprints.iter().position(|s| s.id == id) {
        return Some(s);
    }
    let board_id =
        v.get("originBoardId").or_else(|| v.get("boardId")).or_else(|| v.get("rapidViewId"));
    let board_id =
        board_id.and_then(|b| b.as_u64().or_else(|| b.as_str()?.parse().ok())).unwrap_or(1);
    let board = match state.boards.iter().position(|b| b.id == board_id) {
        Some(b) => b,
        None => {
            let name = format!("Board {board_id}");
            state.boards.push(Board { id: board_id, name, kind: BoardKind::Scrum, project: 0 });
            report.boards_added += 1;
            state.boards.len() - 1
        }
    };
    let sprint_state = match str_at(v, "/state").map(str::to_ascii_lowercase).as_deref() {
        Some("closed") => SprintState::Closed,
        Some("active") => SprintState::Active,
        _ => SprintState::Future,
    };
    let date = |k: &str| str_at(v, &format!("/{k}")).and_then(parse_jira_timestamp);
    let number = state.sprints.iter().filter(|s| s.board == board).count() as u64 + 1;
    state.sprints.push(Sprint {
        id,
        board,
        number,
        name: str_at(v, "/name").unwrap_or("Sprint").to_owned(),
        state: sprint_state,
        start: date("startDate"),
        end: date("endDate"),
        complete: date("completeDate"),
        goal: str_at(v, "/goal").unwrap_or_default().to_owned(),
    });
    report.sprints_added += 1;
    Some(state.sprints.len() - 1)
}
