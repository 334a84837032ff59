//! What a function call or a value of a multi-valued field (sprints, flags, commits,
//! repositories, pull requests) stands for, as a condition over the ticket.

use tether_jql::Field;
use tether_jql::functions::{FunctionKind, evaluate_date_function};

use super::pieces::multi_rows;
use super::{Compiler, Dialect, Kind, Multi, Reference};

impl Compiler<'_> {
    pub(super) fn function_matches(
        &mut self,
        kind: &Kind,
        field: &Field,
        name: &str,
        args: &[String],
    ) -> Result<String, String> {
        let def =
            self.cx.functions.get(name).ok_or_else(|| {
                format!("Unable to find JQL function '{name}({})'.", args.join(", "))
            })?;
        let lower = def.name.to_ascii_lowercase();
        match (kind, def.kind) {
            (
                Kind::Date(_) | Kind::Day(_),
                FunctionKind::Now | FunctionKind::StartOf(_) | FunctionKind::EndOf(_),
            ) => {
                let at = evaluate_date_function(def, args, &self.cx.clock).ok_or_else(|| {
                    format!("The function '{}' could not be evaluated.", def.name)
                })?;
                Ok(self.between(kind, at, at))
            }
            (Kind::Reference(Reference::User(column)), _) if lower == "currentuser" => {
                if self.cx.current_user.is_empty() {
                    return Ok("FALSE".to_owned());
                }
                let mut names = Vec::new();
                for who in self.cx.current_user {
                    names.push(format!("lower({})", self.text(who.clone())));
                }
                let names = names.join(", ");
                // A change row's people are on its own site (so history subqueries need not
                // look at the ticket).
                let people = format!(
                    "SELECT id FROM ticket_users WHERE (lower(email) IN ({names}) OR lower(id) IN ({names}))"
                );
                Ok(self.on_sites(column, &people))
            }
            (Kind::Reference(Reference::IssueType), _)
                if lower == "standardissuetypes" || lower == "subtaskissuetypes" =>
            {
                let subtask = lower == "subtaskissuetypes";
                let flag = match (self.cx.dialect, subtask) {
                    (Dialect::Sqlite, true) => "subtask <> 0",
                    (Dialect::Sqlite, false) => "subtask = 0",
                    (Dialect::Postgres, true) => "subtask",
                    (Dialect::Postgres, false) => "NOT subtask",
                };
                Ok(self.on_sites(
                    "t.issue_type_id",
                    &format!("SELECT id FROM ticket_issue_types WHERE {flag}"),
                ))
            }
            (Kind::Multi(Multi::Sprint), _)
                if matches!(lower.as_str(), "opensprints" | "closedsprints" | "futuresprints") =>
            {
                let state = match lower.as_str() {
                    "opensprints" => "active",
                    "closedsprints" => "closed",
                    _ => "future",
                };
                Ok(format!(
                    "EXISTS ({} AND lower(sp.state) = '{state}')",
                    multi_rows(Multi::Sprint, self.cx.dialect)
                ))
            }
            _ => Err(format!(
                "The function '{}' is not supported over tether's ingested tickets for the field '{}' yet; search it in Jira.",
                def.name,
                field.display_name()
            )),
        }
    }

    /// The condition a multi-valued field's row (from [`multi_rows`]) meets for `value`.
    pub(super) fn multi_value(
        &mut self,
        m: Multi,
        field: &Field,
        value: &str,
    ) -> Result<String, String> {
        Ok(match m {
            Multi::List(_) => {
                let n = self.text(value);
                format!("lower(j.value) = lower({n})")
            }
            Multi::Sprint => {
                let n = self.text(value);
                self.check(
                    format!(
                        "SELECT 1 FROM ticket_sprints WHERE (lower(name) = lower($1) OR CAST(id AS TEXT) = $1) AND site_id IN {} LIMIT 1",
                        self.sites()
                    ),
                    value,
                    field,
                );
                format!("(lower(sp.name) = lower({n}) OR CAST(sp.id AS TEXT) = {n})")
            }
            Multi::Flag => {
                let n = self.text(value);
                self.check(
                    "SELECT 1 FROM flags f JOIN projects pj ON pj.id = f.project_id WHERE (lower(f.key) = lower($1) OR lower(pj.key || '/' || f.key) = lower($1)) LIMIT 1".to_owned(),
                    value,
                    field,
                );
                format!(
                    "(lower(fl.flag_key) = lower({n}) OR lower(pj.key || '/' || fl.flag_key) = lower({n}))"
                )
            }
            Multi::Commit => {
                let sha = value.trim().to_ascii_lowercase();
                if sha.len() < 4 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(format!(
                        "The value '{value}' is not a commit id for the field '{}': give at least 4 hexadecimal characters.",
                        field.display_name()
                    ));
                }
                let n = self.text(format!("%:commit:{sha}%"));
                format!("lower(m.entity) LIKE {n}")
            }
            Multi::Repository => {
                let n = self.text(value);
                format!("lower(r.name) = lower({n})")
            }
            Multi::PullRequest => {
                let v = value.trim();
                if v.contains("://") {
                    let n = self.text(v);
                    return Ok(format!("m.url = {n}"));
                }
                let (repo, number) = match v.rfind(['!', '#']) {
                    Some(i) => (&v[..i], &v[i + 1..]),
                    None => ("", v),
                };
                if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!(
                        "The value '{value}' is not a pull request for the field '{}': give 'group/repo!12', '#12' or its URL.",
                        field.display_name()
                    ));
                }
                let n = self.text(format!("%:pr:{number}"));
                if repo.is_empty() {
                    format!("m.entity LIKE {n}")
                } else {
                    let r = self.text(repo);
                    format!("(m.entity LIKE {n} AND lower(r.name) = lower({r}))")
                }
            }
        })
    }
}
