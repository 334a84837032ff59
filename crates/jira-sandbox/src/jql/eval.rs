//! Resolving a parsed JQL query against the sandbox's data, and running it.
//!
//! Names are resolved once (unknown projects, statuses, users or keys are Jira's 400s), then
//! each clause becomes a closure over plain indices, so a search over 100,000 issues is one
//! pass with no lookups.

use std::cmp::Ordering;

use super::{Clause, Expr, JqlError, Op, Operand, Query, parse};
use crate::state::{Issue, State, UserIdx};
use crate::time;

/// Who is searching: `currentUser()` and date literals depend on it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    pub user: UserIdx,
    pub utc_offset_minutes: i32,
    pub now: i64,
}

pub(super) type Matcher = Box<dyn Fn(&State, &Issue) -> bool + Send + Sync>;
type Comparator = Box<dyn Fn(&State, &Issue, &Issue) -> Ordering + Send + Sync>;

pub(crate) struct Compiled {
    user: UserIdx,
    matcher: Option<Matcher>,
    order: Vec<Comparator>,
    /// Whether the query restricts anything (Cloud's new search refuses unbounded JQL).
    pub bounded: bool,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled").field("bounded", &self.bounded).finish()
    }
}

impl Compiled {
    /// Indices of matching issues, in query order. Ties (and queries without ORDER BY) fall
    /// back to issue id descending, so paging over an unchanged result is stable.
    pub fn run(&self, state: &State) -> Vec<usize> {
        // Issues in projects the caller cannot browse, or at a security level the caller is
        // not in, do not exist for them.
        let visible: Vec<bool> =
            (0..state.projects.len()).map(|p| state.can_browse(self.user, p)).collect();
        let mut hits: Vec<usize> = (0..state.issues.len())
            .filter(|&i| {
                let issue = &state.issues[i];
                visible[issue.project]
                    && (issue.security.is_none() || state.can_see(self.user, i))
                    && self.matcher.as_ref().is_none_or(|m| m(state, issue))
            })
            .collect();
        hits.sort_by(|&a, &b| {
            let (a, b) = (&state.issues[a], &state.issues[b]);
            for cmp in &self.order {
                let o = cmp(state, a, b);
                if o != Ordering::Equal {
                    return o;
                }
            }
            b.id.cmp(&a.id)
        });
        hits
    }
}

impl Compiled {
    /// Whether one issue matches (visibility included), without running the whole query.
    pub fn matches(&self, state: &State, idx: usize) -> bool {
        state.can_see(self.user, idx)
            && self.matcher.as_ref().is_none_or(|m| m(state, &state.issues[idx]))
    }
}

pub(crate) fn compile(jql: &str, state: &State, caller: Caller) -> Result<Compiled, JqlError> {
    let Query { clause, order_by } = parse(jql)?;
    let matcher = clause.map(|e| expr(&e, state, caller)).transpose()?;
    let mut order = Vec::new();
    for key in order_by {
        order.push(comparator(&key.field, key.descending)?);
    }
    Ok(Compiled { user: caller.user, bounded: matcher.is_some(), matcher, order })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Project,
    Key,
    Status,
    StatusCategory,
    Labels,
    Reporter,
    Assignee,
    IssueType,
    Resolution,
    Created,
    Updated,
    Summary,
    Description,
    Text,
    Priority,
    Sprint,
    FixVersion,
    Parent,
    EpicLink,
}

fn field(name: &str) -> Result<Field, JqlError> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "project" => Field::Project,
        "key" | "issuekey" | "id" | "issue" => Field::Key,
        "status" => Field::Status,
        "statuscategory" => Field::StatusCategory,
        "labels" => Field::Labels,
        "reporter" => Field::Reporter,
        "assignee" => Field::Assignee,
        "issuetype" | "type" => Field::IssueType,
        "resolution" => Field::Resolution,
        "created" | "createddate" => Field::Created,
        "updated" | "updateddate" => Field::Updated,
        "summary" => Field::Summary,
        "description" => Field::Description,
        "text" => Field::Text,
        "priority" => Field::Priority,
        "sprint" => Field::Sprint,
        "fixversion" => Field::FixVersion,
        "parent" => Field::Parent,
        "epic link" => Field::EpicLink,
        _ => return Err(no_such_field(name)),
    })
}

pub(super) fn no_such_field(name: &str) -> JqlError {
    JqlError(format!("Field '{name}' does not exist or you do not have permission to view it."))
}

pub(super) fn unsupported(op: Op, name: &str) -> JqlError {
    JqlError(format!("The operator '{}' is not supported by the '{name}' field.", op.symbol()))
}

fn no_such_value(value: &str, name: &str) -> JqlError {
    JqlError(format!("The value '{value}' does not exist for the field '{name}'."))
}

fn expr(e: &Expr, state: &State, caller: Caller) -> Result<Matcher, JqlError> {
    Ok(match e {
        Expr::And(parts) => {
            let ms = parts.iter().map(|p| expr(p, state, caller)).collect::<Result<Vec<_>, _>>()?;
            Box::new(move |s, i| ms.iter().all(|m| m(s, i)))
        }
        Expr::Or(parts) => {
            let ms = parts.iter().map(|p| expr(p, state, caller)).collect::<Result<Vec<_>, _>>()?;
            Box::new(move |s, i| ms.iter().any(|m| m(s, i)))
        }
        Expr::Not(inner) => {
            let m = expr(inner, state, caller)?;
            Box::new(move |s, i| !m(s, i))
        }
        Expr::Clause(c) => clause(c, state, caller)?,
    })
}

fn clause(c: &Clause, state: &State, caller: Caller) -> Result<Matcher, JqlError> {
    // Indexed issue properties: by path, or (after the built-in fields) by alias.
    if c.field.starts_with("issue.property[") {
        return super::property::clause(c, state, caller)
            .unwrap_or_else(|| Err(no_such_field(&c.field)));
    }
    let f = match field(&c.field) {
        Ok(f) => f,
        Err(e) => return super::property::clause(c, state, caller).unwrap_or(Err(e)),
    };
    let name = c.field.as_str();
    // `= EMPTY` and `!= EMPTY` are spellings of IS and IS NOT.
    let op = match (c.op, &c.operand) {
        (Op::Eq, Operand::Empty) => Op::Is,
        (Op::Ne, Operand::Empty) => Op::IsNot,
        (op, _) => op,
    };
    if matches!(op, Op::Is | Op::IsNot) {
        if !matches!(c.operand, Operand::Empty) {
            return Err(JqlError(format!(
                "The operator '{}' only supports searching for EMPTY values.",
                op.symbol()
            )));
        }
        let empty = emptiness(f);
        return Ok(if op == Op::Is { empty } else { Box::new(move |s, i| !empty(s, i)) });
    }
    match f {
        Field::Summary | Field::Description | Field::Text => {
            let negate = match op {
                Op::Like => false,
                Op::NotLike => true,
                _ => return Err(unsupported(op, name)),
            };
            let q = match &c.operand {
                Operand::Word(s) | Operand::Quoted(s) => s.clone(),
                _ => return Err(unsupported(op, name)),
            };
            let needle = TextQuery::new(&q).ok_or_else(|| {
                JqlError(format!(
                    "The field '{name}' does not support searching for an empty string."
                ))
            })?;
            Ok(Box::new(move |_s, i| {
                let hit = match f {
                    Field::Summary => needle.matches(&i.summary),
                    Field::Description => {
                        i.description.as_ref().is_some_and(|d| needle.matches(&d.plain_text()))
                    }
                    _ => {
                        needle.matches(&i.summary)
                            || i.description
                                .as_ref()
                                .is_some_and(|d| needle.matches(&d.plain_text()))
                            || i.comments.iter().any(|c| needle.matches(&c.body.plain_text()))
                    }
                };
                hit != negate
            }))
        }
        Field::Created | Field::Updated => {
            let get = move |i: &Issue| {
                if f == Field::Created { i.created } else { i.updated }
            };
            let values = operands(&c.operand)
                .iter()
                .map(|o| date_value(o, name, caller))
                .collect::<Result<Vec<_>, _>>()?;
            let cmp = comparison(op, name)?;
            if let Some(cmp) = cmp {
                let v = single(&values, op, name)?;
                return Ok(Box::new(move |_s, i| cmp(get(i).cmp(&v))));
            }
            let negate = matches!(op, Op::Ne | Op::NotIn);
            Ok(Box::new(move |_s, i| values.contains(&get(i)) != negate))
        }
        Field::Key => {
            let cmp = comparison(op, name)?;
            if let Some(cmp) = cmp {
                let ops = operands(&c.operand);
                let [o] = ops.as_slice() else {
                    return Err(unsupported(op, name));
                };
                let (project, number) = key_position(o, state, name)?;
                return Ok(Box::new(move |_s, i| {
                    i.project == project && cmp(i.number.cmp(&number))
                }));
            }
            let targets = operands(&c.operand)
                .iter()
                .map(|o| {
                    let text = operand_text(o, name)?;
                    state.find_issue(&text).map(|idx| state.issues[idx].id).ok_or_else(|| {
                        JqlError(format!(
                            "An issue with key '{text}' does not exist for field '{name}'."
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let negate = matches!(op, Op::Ne | Op::NotIn);
            Ok(Box::new(move |_s, i| targets.contains(&i.id) != negate))
        }
        Field::Sprint | Field::FixVersion => {
            if !matches!(op, Op::Eq | Op::Ne | Op::In | Op::NotIn) {
                return Err(unsupported(op, name));
            }
            let mut want_empty = false;
            let mut targets: Vec<usize> = Vec::new();
            for o in operands(&c.operand) {
                match o {
                    Operand::Empty => want_empty = true,
                    o => targets.extend(multi_targets(f, o, state, name)?),
                }
            }
            let negate = matches!(op, Op::Ne | Op::NotIn);
            Ok(Box::new(move |_s, i| {
                let values = if f == Field::Sprint { &i.sprints } else { &i.fix_versions };
                if values.is_empty() {
                    return want_empty && !negate;
                }
                values.iter().any(|v| targets.contains(v)) != negate
            }))
        }
        Field::Parent | Field::EpicLink => {
            if !matches!(op, Op::Eq | Op::Ne | Op::In | Op::NotIn) {
                return Err(unsupported(op, name));
            }
            // Every key an operand's issue has had (a moved issue answers to its old keys).
            let mut targets: Vec<String> = Vec::new();
            for o in operands(&c.operand) {
                let text = operand_text(o, name)?;
                match state.find_issue(&text) {
                    Some(idx) => {
                        let issue = &state.issues[idx];
                        targets.push(issue.key.to_ascii_uppercase());
                        targets.extend(issue.previous_keys.iter().map(|k| k.to_ascii_uppercase()));
                    }
                    None => {
                        return Err(JqlError(format!(
                            "An issue with key '{text}' does not exist for field '{name}'."
                        )));
                    }
                }
            }
            let negate = matches!(op, Op::Ne | Op::NotIn);
            Ok(Box::new(move |s, i| {
                let linked = match f {
                    Field::Parent => i.parent.as_deref(),
                    // On Data Center the Epic Link field; on Cloud an epic is the parent.
                    _ => i.epic_link.as_deref().or_else(|| {
                        let p = i.parent.as_deref()?;
                        let pi = s.find_issue(p)?;
                        (s.issue_types[s.issues[pi].issue_type].hierarchy_level == 1).then_some(p)
                    }),
                };
                match linked {
                    None => false,
                    Some(k) => targets.contains(&k.to_ascii_uppercase()) != negate,
                }
            }))
        }
        Field::Labels => {
            if !matches!(op, Op::Eq | Op::Ne | Op::In | Op::NotIn) {
                return Err(unsupported(op, name));
            }
            let mut want_empty = false;
            let mut targets = Vec::new();
            for o in operands(&c.operand) {
                match o {
                    Operand::Empty => want_empty = true,
                    o => targets.push(operand_text(o, name)?.to_lowercase()),
                }
            }
            let negate = matches!(op, Op::Ne | Op::NotIn);
            Ok(Box::new(move |_s, i| {
                if i.labels.is_empty() {
                    return want_empty && !negate;
                }
                let hit = i.labels.iter().any(|l| targets.contains(&l.to_lowercase()));
                hit != negate
            }))
        }
        _ => {
            if !matches!(op, Op::Eq | Op::Ne | Op::In | Op::NotIn) {
                return Err(unsupported(op, name));
            }
            let mut targets: Vec<Option<usize>> = Vec::new();
            for o in operands(&c.operand) {
                targets.extend(discrete_target(f, o, state, caller, name)?);
            }
            let negate = matches!(op, Op::Ne | Op::NotIn);
            Ok(Box::new(move |s, i| match discrete_value(f, s, i) {
                // Negative operators never match an empty field, as in Jira.
                None => !negate && targets.contains(&None),
                v => targets.contains(&v) != negate,
            }))
        }
    }
}

pub(super) fn operands(o: &Operand) -> Vec<&Operand> {
    match o {
        Operand::List(items) => items.iter().collect(),
        o => vec![o],
    }
}

fn single<T: Copy>(values: &[T], op: Op, name: &str) -> Result<T, JqlError> {
    match values {
        [v] => Ok(*v),
        _ => Err(unsupported(op, name)),
    }
}

pub(super) type CmpFn = fn(Ordering) -> bool;

pub(super) fn comparison(op: Op, name: &str) -> Result<Option<CmpFn>, JqlError> {
    Ok(Some(match op {
        Op::Lt => |o| o == Ordering::Less,
        Op::Le => |o| o != Ordering::Greater,
        Op::Gt => |o| o == Ordering::Greater,
        Op::Ge => |o| o != Ordering::Less,
        Op::Eq | Op::Ne | Op::In | Op::NotIn => return Ok(None),
        _ => return Err(unsupported(op, name)),
    }))
}

pub(super) fn operand_text(o: &Operand, name: &str) -> Result<String, JqlError> {
    match o {
        Operand::Word(s) | Operand::Quoted(s) => Ok(s.clone()),
        Operand::Function(f, _) => Err(JqlError(format!("Unable to find JQL function '{f}()'."))),
        Operand::Empty | Operand::List(_) => {
            Err(JqlError(format!("The field '{name}' does not support EMPTY or list values here.")))
        }
    }
}

pub(super) fn date_value(o: &Operand, name: &str, caller: Caller) -> Result<i64, JqlError> {
    let text = match o {
        Operand::Function(f, args) => {
            let base = match f.to_ascii_lowercase().as_str() {
                "now" => caller.now,
                "startofday" => time::start_of_day(caller.now, caller.utc_offset_minutes),
                "endofday" => {
                    time::start_of_day(caller.now, caller.utc_offset_minutes) + 86_400_000 - 1
                }
                _ => return Err(JqlError(format!("Unable to find JQL function '{f}()'."))),
            };
            let shift = match args.first() {
                None => 0,
                Some(a) => time::parse_jql_date(a, 0, 0).ok_or_else(|| bad_date(a, name))?,
            };
            return Ok(base + shift);
        }
        o => operand_text(o, name)?,
    };
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    time::parse_jql_date(&text, caller.utc_offset_minutes, caller.now)
        .ok_or_else(|| bad_date(&text, name))
}

fn bad_date(text: &str, name: &str) -> JqlError {
    JqlError(format!(
        "Date value '{text}' for field '{name}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
    ))
}

fn key_position(o: &Operand, state: &State, name: &str) -> Result<(usize, u64), JqlError> {
    let text = operand_text(o, name)?;
    if let Some(idx) = state.find_issue(&text) {
        let i = &state.issues[idx];
        return Ok((i.project, i.number));
    }
    let parsed = text
        .rsplit_once('-')
        .and_then(|(p, n)| Some((state.project_by_key(p)?, n.parse::<u64>().ok()?)));
    parsed.ok_or_else(|| {
        JqlError(format!("An issue with key '{text}' does not exist for field '{name}'."))
    })
}

fn discrete_value(f: Field, s: &State, i: &Issue) -> Option<usize> {
    match f {
        Field::Project => Some(i.project),
        Field::Status => Some(i.status),
        Field::StatusCategory => Some(s.statuses[i.status].category.id() as usize),
        Field::Reporter => i.reporter,
        Field::Assignee => i.assignee,
        Field::IssueType => Some(i.issue_type),
        Field::Resolution => i.resolution,
        Field::Priority => i.priority,
        _ => None,
    }
}

/// Sprints or versions an operand names: by id or name, or a function's list
/// (`openSprints()`, `closedSprints()`, `futureSprints()`).
fn multi_targets(f: Field, o: &Operand, state: &State, name: &str) -> Result<Vec<usize>, JqlError> {
    use crate::state::SprintState;
    if let Operand::Function(func, _) = o {
        let wanted = match (f, func.to_ascii_lowercase().as_str()) {
            (Field::Sprint, "opensprints") => [SprintState::Active, SprintState::Future].as_slice(),
            (Field::Sprint, "closedsprints") => [SprintState::Closed].as_slice(),
            (Field::Sprint, "futuresprints") => [SprintState::Future].as_slice(),
            _ => return Err(JqlError(format!("Unable to find JQL function '{func}()'."))),
        };
        return Ok((0..state.sprints.len())
            .filter(|&s| wanted.contains(&state.sprints[s].state))
            .collect());
    }
    let text = operand_text(o, name)?;
    let found: Vec<usize> = match f {
        Field::Sprint => (0..state.sprints.len())
            .filter(|&s| {
                state.sprints[s].id.to_string() == text
                    || state.sprints[s].name.eq_ignore_ascii_case(&text)
            })
            .collect(),
        _ => (0..state.versions.len())
            .filter(|&v| {
                state.versions[v].id.to_string() == text
                    || state.versions[v].name.eq_ignore_ascii_case(&text)
            })
            .collect(),
    };
    if found.is_empty() {
        return Err(no_such_value(&text, name));
    }
    Ok(found)
}

fn discrete_target(
    f: Field,
    o: &Operand,
    state: &State,
    caller: Caller,
    name: &str,
) -> Result<Vec<Option<usize>>, JqlError> {
    if matches!(o, Operand::Empty) {
        return Ok(vec![None]);
    }
    if let Operand::Function(func, _) = o {
        let types = |sub: bool| -> Vec<Option<usize>> {
            (0..state.issue_types.len())
                .filter(|&t| state.issue_types[t].subtask == sub)
                .map(Some)
                .collect()
        };
        return match (f, func.to_ascii_lowercase().as_str()) {
            (Field::Reporter | Field::Assignee, "currentuser") => Ok(vec![Some(caller.user)]),
            (Field::IssueType, "subtaskissuetypes") => Ok(types(true)),
            (Field::IssueType, "standardissuetypes") => Ok(types(false)),
            _ => Err(JqlError(format!("Unable to find JQL function '{func}()'."))),
        };
    }
    let text = operand_text(o, name)?;
    // Statuses, issue types and priorities that share a name are all meant by it.
    let named =
        |entries: &mut dyn Iterator<Item = (u64, &str)>| -> Result<Vec<Option<usize>>, JqlError> {
            let hits: Vec<Option<usize>> = entries
                .enumerate()
                .filter(|(_, (id, n))| n.eq_ignore_ascii_case(&text) || id.to_string() == text)
                .map(|(i, _)| Some(i))
                .collect();
            if hits.is_empty() { Err(no_such_value(&text, name)) } else { Ok(hits) }
        };
    match f {
        Field::Status => return named(&mut state.statuses.iter().map(|s| (s.id, s.name.as_str()))),
        Field::IssueType => {
            return named(&mut state.issue_types.iter().map(|t| (t.id, t.name.as_str())));
        }
        Field::Priority => {
            return named(&mut state.priorities.iter().map(|p| (p.id, p.name.as_str())));
        }
        _ => {}
    }
    let found = match f {
        Field::Project => state
            .find_project(&text)
            .or_else(|| state.projects.iter().position(|p| p.name.eq_ignore_ascii_case(&text)))
            .filter(|&p| state.can_browse(caller.user, p)),
        Field::StatusCategory => {
            use crate::config::StatusCategory as C;
            [C::New, C::Indeterminate, C::Done]
                .into_iter()
                .find(|c| {
                    c.key().eq_ignore_ascii_case(&text)
                        || c.name().eq_ignore_ascii_case(&text)
                        || c.id().to_string() == text
                })
                .map(|c| c.id() as usize)
        }
        Field::Reporter | Field::Assignee => state.find_user(&text),
        Field::Resolution => {
            if text.eq_ignore_ascii_case("unresolved") {
                return Ok(vec![None]);
            }
            state.resolution_by_name_or_id(&text)
        }
        _ => None,
    };
    found.map(|f| vec![Some(f)]).ok_or_else(|| no_such_value(&text, name))
}

fn emptiness(f: Field) -> Matcher {
    match f {
        Field::Labels => Box::new(|_s, i| i.labels.is_empty()),
        Field::Reporter => Box::new(|_s, i| i.reporter.is_none()),
        Field::Assignee => Box::new(|_s, i| i.assignee.is_none()),
        Field::Priority => Box::new(|_s, i| i.priority.is_none()),
        Field::Sprint => Box::new(|_s, i| i.sprints.is_empty()),
        Field::FixVersion => Box::new(|_s, i| i.fix_versions.is_empty()),
        Field::Parent => Box::new(|_s, i| i.parent.is_none()),
        Field::EpicLink => Box::new(|s, i| {
            i.epic_link.is_none()
                && i.parent
                    .as_deref()
                    .and_then(|p| s.find_issue(p))
                    .is_none_or(|p| s.issue_types[s.issues[p].issue_type].hierarchy_level != 1)
        }),
        Field::Resolution => Box::new(|_s, i| i.resolution.is_none()),
        Field::Description => Box::new(|_s, i| {
            i.description.as_ref().is_none_or(|d| d.plain_text().trim().is_empty())
        }),
        _ => Box::new(|_s, _i| false),
    }
}

/// Jira's text search, approximated: every term must occur as a whole word (case-insensitive),
/// a trailing `*` makes a term a prefix, and a query wrapped in double quotes is a phrase.
pub(super) struct TextQuery {
    phrase: Option<String>,
    terms: Vec<(String, bool)>,
}

impl TextQuery {
    pub(super) fn new(q: &str) -> Option<TextQuery> {
        let trimmed = q.trim();
        if trimmed.len() >= 2 && trimmed.starts_with('"') && trimmed.ends_with('"') {
            let phrase = trimmed[1..trimmed.len() - 1].trim().to_lowercase();
            return (!phrase.is_empty())
                .then_some(TextQuery { phrase: Some(phrase), terms: vec![] });
        }
        let terms: Vec<(String, bool)> = trimmed
            .split(|c: char| !(c.is_alphanumeric() || c == '*'))
            .filter(|t| !t.trim_matches('*').is_empty())
            .map(|t| {
                let prefix = t.ends_with('*');
                (t.trim_matches('*').to_lowercase(), prefix)
            })
            .collect();
        (!terms.is_empty()).then_some(TextQuery { phrase: None, terms })
    }

    pub(super) fn matches(&self, text: &str) -> bool {
        let lower = text.to_lowercase();
        if let Some(p) = &self.phrase {
            return lower.contains(p.as_str());
        }
        self.terms.iter().all(|(term, prefix)| {
            lower
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| if *prefix { w.starts_with(term.as_str()) } else { w == term })
        })
    }
}

fn comparator(name: &str, descending: bool) -> Result<Comparator, JqlError> {
    let f = field(name)?;
    let base: Comparator = match f {
        Field::Key => Box::new(|s, a, b| {
            s.projects[a.project].key.cmp(&s.projects[b.project].key).then(a.number.cmp(&b.number))
        }),
        Field::Created => Box::new(|_s, a, b| a.created.cmp(&b.created)),
        Field::Updated => Box::new(|_s, a, b| a.updated.cmp(&b.updated)),
        Field::Project => {
            Box::new(|s, a, b| s.projects[a.project].name.cmp(&s.projects[b.project].name))
        }
        Field::Status => {
            Box::new(|s, a, b| s.statuses[a.status].name.cmp(&s.statuses[b.status].name))
        }
        Field::StatusCategory => Box::new(|s, a, b| {
            s.statuses[a.status].category.id().cmp(&s.statuses[b.status].category.id())
        }),
        Field::IssueType => Box::new(|s, a, b| {
            s.issue_types[a.issue_type].name.cmp(&s.issue_types[b.issue_type].name)
        }),
        Field::Summary => Box::new(|_s, a, b| a.summary.cmp(&b.summary)),
        Field::Assignee | Field::Reporter => Box::new(move |s, a, b| {
            let name = |i: &Issue| {
                let u = if f == Field::Assignee { i.assignee } else { i.reporter };
                u.map(|u| s.users[u].spec.display_name.as_str())
            };
            // Empty values sort last ascending, as Jira does.
            match (name(a), name(b)) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => x.cmp(y),
            }
        }),
        Field::Resolution => Box::new(|_s, a, b| a.resolution.cmp(&b.resolution)),
        // Ascending is the lowest priority first (the registry lists the highest first).
        Field::Priority => Box::new(|_s, a, b| b.priority.cmp(&a.priority)),
        Field::Sprint => Box::new(|s, a, b| {
            let id = |i: &Issue| i.sprints.last().map(|&x| s.sprints[x].id);
            id(a).cmp(&id(b))
        }),
        Field::FixVersion => {
            Box::new(|_s, a, b| a.fix_versions.first().cmp(&b.fix_versions.first()))
        }
        Field::Parent => Box::new(|_s, a, b| a.parent.cmp(&b.parent)),
        Field::EpicLink => Box::new(|_s, a, b| a.epic_link.cmp(&b.epic_link)),
        Field::Labels | Field::Text | Field::Description => {
            return Err(JqlError(format!("Field '{name}' does not support sorting.")));
        }
    };
    Ok(if descending { Box::new(move |s, a, b| base(s, a, b).reverse()) } else { base })
}
