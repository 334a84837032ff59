//! Wire shapes of Jira's platform API, per flavour and API version, from the OpenAPI schemas
//! (User, Project, IssueBean, Comment, Changelog, StatusDetails, IssueTransition).

use serde_json::{Map, Value, json};

use super::Ctx;
use crate::state::{ChangeItem, Comment, History, Issue, State, UserIdx, Worklog, format_duration};
use crate::text::Body;
use crate::time::format_jira;

fn avatars(base: &str, kind: &str, id: &str) -> Value {
    let url = |size: u32| format!("{base}/secure/{kind}avatar?size={size}&avatarId={id}");
    json!({"48x48": url(48), "24x24": url(24), "16x16": url(16), "32x32": url(32)})
}

/// A full `User` (`/myself`, `/user`, user searches, a project's lead): `UserDetails` plus
/// `locale`.
pub(crate) fn user(ctx: &Ctx, state: &State, u: UserIdx) -> Value {
    let mut v = user_details(ctx, state, u);
    if state.users[u].raw.is_none() {
        v["locale"] = json!("en_US");
    }
    v
}

/// `UserDetails`, the short form in comments, changelogs and issue fields: no `locale`. A
/// user loaded from an export is answered as the export gave it.
pub(crate) fn user_details(ctx: &Ctx, state: &State, u: UserIdx) -> Value {
    let user = &state.users[u];
    if let Some(raw) = &user.raw {
        return raw.clone();
    }
    let s = &user.spec;
    if state.flavour.is_cloud() {
        json!({
            "self": format!("{}/user?accountId={}", ctx.api, user.account_id),
            "accountId": user.account_id,
            "accountType": "atlassian",
            "emailAddress": s.email,
            "avatarUrls": avatars(&ctx.base, "user", &user.account_id),
            "displayName": s.display_name,
            "active": true,
            "timeZone": s.time_zone,
        })
    } else {
        json!({
            "self": format!("{}/user?username={}", ctx.api, s.name),
            "key": user.key,
            "name": s.name,
            "emailAddress": s.email,
            "avatarUrls": avatars(&ctx.base, "user", &user.key),
            "displayName": s.display_name,
            "active": true,
            "timeZone": s.time_zone,
        })
    }
}

fn opt_user(ctx: &Ctx, state: &State, u: Option<UserIdx>) -> Value {
    u.map_or(Value::Null, |u| user_details(ctx, state, u))
}

pub(crate) fn status(ctx: &Ctx, state: &State, s: usize) -> Value {
    let st = &state.statuses[s];
    if let Some(raw) = &st.raw {
        return raw.clone();
    }
    let cat = st.category;
    json!({
        "self": format!("{}/status/{}", ctx.api, st.id),
        "description": "",
        "iconUrl": format!("{}/images/icons/statuses/generic.png", ctx.base),
        "name": st.name,
        "id": st.id.to_string(),
        "statusCategory": {
            "self": format!("{}/statuscategory/{}", ctx.api, cat.id()),
            "id": cat.id(),
            "key": cat.key(),
            "colorName": cat.color_name(),
            "name": cat.name(),
        },
    })
}

pub(crate) fn issue_type(ctx: &Ctx, state: &State, t: usize) -> Value {
    let it = &state.issue_types[t];
    if let Some(raw) = &it.raw {
        return raw.clone();
    }
    json!({
        "self": format!("{}/issuetype/{}", ctx.api, it.id),
        "id": it.id.to_string(),
        "description": it.description,
        "iconUrl": format!("{}/images/icons/issuetypes/{}.svg", ctx.base, it.name.to_lowercase().replace(' ', "-")),
        "name": it.name,
        "subtask": it.subtask,
        "hierarchyLevel": it.hierarchy_level,
    })
}

pub(crate) fn priority(ctx: &Ctx, state: &State, p: usize) -> Value {
    let pr = &state.priorities[p];
    if let Some(raw) = &pr.raw {
        return raw.clone();
    }
    json!({
        "self": format!("{}/priority/{}", ctx.api, pr.id),
        "statusColor": pr.color,
        "description": pr.description,
        "iconUrl": format!("{}/images/icons/priorities/{}", ctx.base, pr.icon),
        "name": pr.name,
        "id": pr.id.to_string(),
    })
}

/// A `Worklog`; the comment (ADF on v3, a string on v2) only when there is one.
pub(crate) fn worklog(ctx: &Ctx, state: &State, issue: &Issue, w: &Worklog) -> Value {
    let mut v = json!({
        "self": format!("{}/issue/{}/worklog/{}", ctx.api, issue.id, w.id),
        "author": user_details(ctx, state, w.author),
        "updateAuthor": user_details(ctx, state, w.update_author),
        "created": format_jira(w.created),
        "updated": format_jira(w.updated),
        "started": format_jira(w.started),
        "timeSpent": format_duration(w.time_spent),
        "timeSpentSeconds": w.time_spent,
        "id": w.id.to_string(),
        "issueId": issue.id.to_string(),
    });
    if let Some(c) = &w.comment {
        v["comment"] = body(ctx, c);
    }
    v
}

/// The `timetracking` field: only the parts that are set.
fn time_tracking(i: &Issue, spent: u64) -> Value {
    let mut v = Map::new();
    let parts = [
        ("originalEstimate", i.original_estimate),
        ("remainingEstimate", i.remaining_estimate),
        ("timeSpent", (spent > 0).then_some(spent)),
    ];
    for (name, secs) in parts {
        if let Some(secs) = secs {
            v.insert(name.into(), json!(format_duration(secs)));
            v.insert(format!("{name}Seconds"), json!(secs));
        }
    }
    Value::Object(v)
}

pub(crate) fn resolution(ctx: &Ctx, state: &State, r: usize) -> Value {
    let res = &state.resolutions[r];
    if let Some(raw) = &res.raw {
        return raw.clone();
    }
    json!({
        "self": format!("{}/resolution/{}", ctx.api, res.id),
        "id": res.id.to_string(),
        "description": res.description,
        "name": res.name,
    })
}

/// A project version (fix version); one from an export as it came.
pub(crate) fn version(ctx: &Ctx, state: &State, v: usize) -> Value {
    let ver = &state.versions[v];
    if let Some(raw) = &ver.raw {
        return raw.clone();
    }
    json!({
        "self": format!("{}/version/{}", ctx.api, ver.id),
        "id": ver.id.to_string(),
        "name": ver.name,
        "archived": false,
        "released": ver.released,
        "projectId": state.projects[ver.project].id,
    })
}

/// The short project form embedded in issues and lists.
pub(crate) fn project_ref(ctx: &Ctx, state: &State, p: usize) -> Value {
    let pr = &state.projects[p];
    json!({
        "self": format!("{}/project/{}", ctx.api, pr.id),
        "id": pr.id.to_string(),
        "key": pr.key,
        "name": pr.name,
        "projectTypeKey": pr.project_type.key(),
        "simplified": false,
        "avatarUrls": avatars(&ctx.base, "project", &pr.id.to_string()),
    })
}

pub(crate) fn project_full(ctx: &Ctx, state: &State, p: usize) -> Value {
    let pr = &state.projects[p];
    let mut v = project_ref(ctx, state, p);
    let m = v.as_object_mut().expect("object");
    m.insert("description".into(), json!(""));
    m.insert("lead".into(), user(ctx, state, pr.lead));
    m.insert("components".into(), json!([]));
    let versions: Vec<Value> = (0..state.versions.len())
        .filter(|&v| state.versions[v].project == p)
        .map(|v| version(ctx, state, v))
        .collect();
    m.insert("versions".into(), Value::Array(versions));
    m.insert("assigneeType".into(), json!("UNASSIGNED"));
    m.insert("archived".into(), json!(false));
    m.insert("style".into(), json!("classic"));
    m.insert("isPrivate".into(), json!(false));
    m.insert(
        "issueTypes".into(),
        pr.issue_types.iter().map(|&t| issue_type(ctx, state, t)).collect(),
    );
    v
}

pub(crate) fn body(ctx: &Ctx, b: &Body) -> Value {
    if ctx.v3 { b.to_adf() } else { Value::String(b.to_wiki()) }
}

pub(crate) fn comment(ctx: &Ctx, state: &State, issue: &Issue, c: &Comment) -> Value {
    let mut v = json!({
        "self": format!("{}/issue/{}/comment/{}", ctx.api, issue.id, c.id),
        "id": c.id.to_string(),
        "author": user_details(ctx, state, c.author),
        "body": body(ctx, &c.body),
        "updateAuthor": user_details(ctx, state, c.update_author),
        "created": format_jira(c.created),
        "updated": format_jira(c.updated),
    });
    if state.flavour.is_cloud() {
        v["jsdPublic"] = json!(true);
    }
    v
}

fn change_item(state: &State, item: &ChangeItem) -> Value {
    let mut v = json!({
        "field": item.field,
        "fieldtype": item.field_type.as_deref().unwrap_or("jira"),
        "from": item.from,
        "fromString": item.from_string,
        "to": item.to,
        "toString": item.to_string,
    });
    match &item.field_id {
        Some(id) => v["fieldId"] = json!(id),
        None if state.flavour.is_cloud() => v["fieldId"] = json!(field_id(&item.field)),
        None => {}
    }
    v
}

/// The field id Cloud reports next to a changelog field name.
fn field_id(field: &str) -> String {
    match field {
        "Sprint" => "customfield_10020".to_owned(),
        "Fix Version" => "fixVersions".to_owned(),
        "Component" => "components".to_owned(),
        other => other.to_owned(),
    }
}

pub(crate) fn history(ctx: &Ctx, state: &State, h: &History) -> Value {
    let mut v = json!({
        "id": h.id.to_string(),
        "created": format_jira(h.created),
        "items": h.items.iter().map(|i| change_item(state, i)).collect::<Vec<_>>(),
    });
    if let Some(a) = h.author {
        v["author"] = user_details(ctx, state, a);
    }
    v
}

/// Which fields to render, from Jira's `fields` parameter (`*all`, `*navigable`, names,
/// `-name` exclusions).
#[derive(Debug, Clone)]
pub(crate) struct FieldSel {
    all: bool,
    navigable: bool,
    names: Vec<String>,
    excluded: Vec<String>,
}

const NAVIGABLE: &[&str] = &[
    "summary",
    "description",
    "labels",
    "status",
    "resolution",
    "resolutiondate",
    "reporter",
    "assignee",
    "creator",
    "created",
    "updated",
    "project",
    "issuetype",
    "issuelinks",
    "subtasks",
    "security",
    "priority",
    "watches",
    "timespent",
    "timeestimate",
    "timeoriginalestimate",
    "fixVersions",
    "parent",
    SPRINT_FIELD,
];

/// The sprint custom field (schema `com.pyxis.greenhopper.jira:gh-sprint`).
pub(crate) const SPRINT_FIELD: &str = "customfield_10020";

/// Sprint dates as the agile API and Cloud's sprint field write them (UTC, `Z`).
pub(crate) fn sprint_date(ms: i64) -> String {
    format_jira(ms).replace("+0000", "Z")
}

/// A sprint as the agile API returns it (`SprintBean`).
pub(crate) fn sprint(ctx: &Ctx, state: &State, s: usize) -> Value {
    let sp = &state.sprints[s];
    let mut v = json!({
        "id": sp.id,
        "self": format!("{}/rest/agile/1.0/sprint/{}", ctx.base, sp.id),
        "state": sp.state.key(),
        "name": sp.name,
        "originBoardId": state.boards[sp.board].id,
        "goal": sp.goal,
    });
    for (k, t) in [("startDate", sp.start), ("endDate", sp.end), ("completeDate", sp.complete)] {
        if let Some(t) = t {
            v[k] = json!(sprint_date(t));
        }
    }
    v
}

/// One value of the sprint custom field. Cloud: an object (`id`, `name`, `state`, `boardId`,
/// `goal`, dates). Data Center 8/9: the legacy `toString()` form
/// `com.atlassian.greenhopper.service.sprint.Sprint@<hash>[id=..,rapidViewId=..,state=ACTIVE,...]`
/// that the v2 API still returns there.
fn sprint_field_value(state: &State, s: usize) -> Value {
    let sp = &state.sprints[s];
    let board = state.boards[sp.board].id;
    if state.flavour.is_cloud() {
        let mut v = json!({
            "id": sp.id, "name": sp.name, "state": sp.state.key(), "boardId": board, "goal": sp.goal,
        });
        for (k, t) in [("startDate", sp.start), ("endDate", sp.end), ("completeDate", sp.complete)]
        {
            if let Some(t) = t {
                v[k] = json!(sprint_date(t));
            }
        }
        return v;
    }
    let date = |t: Option<i64>| t.map_or_else(|| "<null>".to_owned(), sprint_date);
    json!(format!(
        "com.atlassian.greenhopper.service.sprint.Sprint@{:x}[id={},rapidViewId={board},state={},name={},startDate={},endDate={},completeDate={},activatedDate={},sequence={},goal={},autoStartStop=false,synced=false]",
        0x1f2e_3d4c_u64 + sp.id,
        sp.id,
        sp.state.key().to_uppercase(),
        sp.name,
        date(sp.start),
        date(sp.end),
        date(sp.complete),
        date(sp.start),
        sp.id,
        sp.goal,
    ))
}

pub(crate) fn security_level(ctx: &Ctx, state: &State, l: usize) -> Value {
    let level = &state.security_levels[l];
    json!({
        "self": format!("{}/securitylevel/{}", ctx.api, level.id),
        "id": level.id.to_string(),
        "description": level.description,
        "name": level.name,
    })
}

impl FieldSel {
    pub fn all() -> FieldSel {
        FieldSel { all: true, navigable: false, names: vec![], excluded: vec![] }
    }

    pub fn navigable() -> FieldSel {
        FieldSel { all: false, navigable: true, names: vec![], excluded: vec![] }
    }

    pub fn parse(list: Option<Vec<String>>, default: FieldSel) -> FieldSel {
        let Some(list) = list else { return default };
        let mut sel = FieldSel { all: false, navigable: false, names: vec![], excluded: vec![] };
        for f in list {
            match f.as_str() {
                "*all" => sel.all = true,
                "*navigable" => sel.navigable = true,
                _ => match f.strip_prefix('-') {
                    Some(x) => sel.excluded.push(x.to_owned()),
                    None => sel.names.push(f),
                },
            }
        }
        if !sel.all && !sel.navigable && sel.names.is_empty() {
            // Only exclusions: relative to everything.
            sel.all = true;
        }
        sel
    }

    pub fn wants(&self, f: &str) -> bool {
        if self.excluded.iter().any(|x| x == f) {
            return false;
        }
        self.all || (self.navigable && NAVIGABLE.contains(&f)) || self.names.iter().any(|n| n == f)
    }

    /// Whether to answer field `f` of an export: custom and other fields count as navigable,
    /// except the few Jira leaves out of `*navigable`.
    pub fn wants_raw(&self, f: &str) -> bool {
        const NOT_NAVIGABLE: &[&str] = &["comment", "worklog", "timetracking", "attachment"];
        self.wants(f)
            || (self.navigable
                && !NOT_NAVIGABLE.contains(&f)
                && !self.excluded.iter().any(|x| x == f))
    }

    /// Whether nothing but `id` was asked for (Cloud's search then returns bare ids).
    pub fn only_id(&self) -> bool {
        !self.all && !self.navigable && self.names.iter().all(|n| n == "id")
    }
}

/// An IssueBean. `changelog_cap` keeps only the newest histories, as Jira truncates embedded
/// changelogs; `None` embeds none.
pub(crate) fn issue(
    ctx: &Ctx,
    state: &State,
    idx: usize,
    sel: &FieldSel,
    changelog_cap: Option<Option<usize>>,
) -> Value {
    let i = &state.issues[idx];
    let mut f = Map::new();
    // An imported issue answers its export's fields, except those changed since (and the
    // description, comments and worklogs, which always come from the model).
    let raw = i.raw_fields.as_ref();
    let from_model = |name: &str| {
        raw.is_none_or(|r| {
            ["description", "comment", "worklog"].contains(&name)
                || i.touched.contains(name)
                || (name == state.sprint_field && i.touched.contains(crate::state::SPRINT_TOUCHED))
                || !r.contains_key(name)
        })
    };
    let mut put = |name: &str, v: &dyn Fn() -> Value| {
        if sel.wants(name) && from_model(name) {
            f.insert(name.to_owned(), v());
        }
    };
    put("summary", &|| json!(i.summary));
    put("description", &|| i.description.as_ref().map_or(Value::Null, |b| body(ctx, b)));
    put("labels", &|| json!(i.labels));
    put("status", &|| status(ctx, state, i.status));
    put("resolution", &|| i.resolution.map_or(Value::Null, |r| resolution(ctx, state, r)));
    put("resolutiondate", &|| i.resolution_date.map_or(Value::Null, |t| json!(format_jira(t))));
    put("reporter", &|| opt_user(ctx, state, i.reporter));
    put("assignee", &|| opt_user(ctx, state, i.assignee));
    put("creator", &|| user_details(ctx, state, i.creator));
    put("created", &|| json!(format_jira(i.created)));
    put("updated", &|| json!(format_jira(i.updated)));
    put("project", &|| project_ref(ctx, state, i.project));
    put("issuetype", &|| issue_type(ctx, state, i.issue_type));
    put("priority", &|| i.priority.map_or(Value::Null, |p| priority(ctx, state, p)));
    let spent: u64 = i.worklogs.iter().map(|w| w.time_spent).sum();
    let secs = |s: Option<u64>| s.map_or(Value::Null, |s| json!(s));
    put("timespent", &|| secs((spent > 0).then_some(spent)));
    put("timeestimate", &|| secs(i.remaining_estimate));
    put("timeoriginalestimate", &|| secs(i.original_estimate));
    put("timetracking", &|| time_tracking(i, spent));
    put("worklog", &|| {
        // Jira embeds the first 20 and says how many there are.
        let shown: Vec<Value> =
            i.worklogs.iter().take(20).map(|w| worklog(ctx, state, i, w)).collect();
        json!({"startAt": 0, "maxResults": 20, "total": i.worklogs.len(), "worklogs": shown})
    });
    put("watches", &|| {
        json!({
            "self": format!("{}/issue/{}/watchers", ctx.api, i.key),
            "watchCount": i.watchers.len(),
            "isWatching": i.watchers.contains(&ctx.user),
        })
    });
    put("fixVersions", &|| i.fix_versions.iter().map(|&v| version(ctx, state, v)).collect());
    if let Some(parent) = &i.parent {
        put("parent", &|| match state.find_issue(parent) {
            Some(p) => {
                let pi = &state.issues[p];
                json!({
                    "id": pi.id.to_string(), "key": pi.key,
                    "self": format!("{}/issue/{}", ctx.api, pi.id),
                    "fields": {
                        "summary": pi.summary,
                        "status": status(ctx, state, pi.status),
                        "priority": pi.priority.map_or(Value::Null, |x| priority(ctx, state, x)),
                        "issuetype": issue_type(ctx, state, pi.issue_type),
                    },
                })
            }
            None => json!({"key": parent}),
        });
    }
    put("issuelinks", &|| json!([]));
    put("subtasks", &|| json!([]));
    put(&state.sprint_field, &|| {
        if i.sprints.is_empty() {
            Value::Null
        } else {
            i.sprints.iter().map(|&s| sprint_field_value(state, s)).collect()
        }
    });
    if let Some(l) = i.security {
        put("security", &|| security_level(ctx, state, l));
    }
    put("comment", &|| {
        json!({
            "comments": i.comments.iter().map(|c| comment(ctx, state, i, c)).collect::<Vec<_>>(),
            "self": format!("{}/issue/{}/comment", ctx.api, i.id),
            "maxResults": i.comments.len(),
            "total": i.comments.len(),
            "startAt": 0,
        })
    });
    for (name, value) in raw.into_iter().flatten() {
        if !f.contains_key(name) && sel.wants_raw(name) && !from_model(name) {
            f.insert(name.clone(), value.clone());
        }
    }
    let mut v = json!({
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": i.id.to_string(),
        "self": format!("{}/issue/{}", ctx.api, i.id),
        "key": i.key,
        "fields": f,
    });
    if let Some(cap) = changelog_cap {
        let total = i.histories.len();
        let start = cap.map_or(0, |c| total.saturating_sub(c));
        let shown = &i.histories[start..];
        v["changelog"] = json!({
            "startAt": start,
            "maxResults": shown.len(),
            "total": total,
            "histories": shown.iter().map(|h| history(ctx, state, h)).collect::<Vec<_>>(),
        });
    }
    v
}
