//! `WAS` and `CHANGED`, answered from the changelog rows: the intervals a value was held
//! (from the ticket's creation with the first change's "from", then each change's "to" until
//! the next), and the windows and people history predicates give.

use tether_jql::dates::date_of;
use tether_jql::functions::evaluate_date_function;
use tether_jql::{Field, Operand, Predicate, PredicateOperator};

use super::pieces::{atom_kind, on_ticket};
use super::{Atom, Compiler, FOREVER, Kind, Reference, atoms};

impl Compiler<'_> {
    /// The window history predicates give: both ends included.
    pub(super) fn window(
        &mut self,
        predicates: &[Predicate],
    ) -> Result<Option<(i64, i64)>, String> {
        let mut lo = i64::MIN / 4;
        let mut hi = FOREVER;
        let mut any = false;
        for p in predicates {
            let moments =
                |c: &Compiler<'_>, operand: &Operand| -> Result<Vec<(i64, i64)>, String> {
                    atoms(operand).iter().map(|a| c.moment(a, p.operator)).collect()
                };
            match p.operator {
                PredicateOperator::Before => {
                    let m = moments(self, &p.operand)?;
                    hi = hi.min(m.first().map(|(a, _)| a - 1).unwrap_or(hi));
                    any = true;
                }
                PredicateOperator::After => {
                    let m = moments(self, &p.operand)?;
                    lo = lo.max(m.first().map(|(_, b)| b + 1).unwrap_or(lo));
                    any = true;
                }
                PredicateOperator::On => {
                    let m = moments(self, &p.operand)?;
                    if let Some((a, b)) = m.first() {
                        lo = lo.max(*a);
                        hi = hi.min(*b);
                    }
                    any = true;
                }
                PredicateOperator::During => {
                    let m = moments(self, &p.operand)?;
                    if let [(a, _), (_, b)] = m.as_slice() {
                        lo = lo.max(*a);
                        hi = hi.min(*b);
                    }
                    any = true;
                }
                _ => {}
            }
        }
        Ok(any.then_some((lo, hi)))
    }

    /// A history predicate's date as the span it covers.
    fn moment(&self, atom: &Atom<'_>, predicate: PredicateOperator) -> Result<(i64, i64), String> {
        let bad = || format!("Date value for predicate '{}' is invalid.", predicate.display());
        match atom {
            Atom::Function(name, args) => {
                let def = self.cx.functions.get(name).ok_or_else(bad)?;
                let at = evaluate_date_function(def, args, &self.cx.clock).ok_or_else(bad)?;
                Ok((at, at))
            }
            atom => date_of(&atom_kind(atom)).and_then(|d| d.range(&self.cx.clock)).ok_or_else(bad),
        }
    }

    /// The users a `BY` names, as a condition on a change row `c`.
    pub(super) fn by(
        &mut self,
        predicates: &[Predicate],
        field: &Field,
    ) -> Result<Option<String>, String> {
        let Some(p) = predicates.iter().find(|p| p.operator == PredicateOperator::By) else {
            return Ok(None);
        };
        let user = Kind::Reference(Reference::User("c.author_id"));
        let mut any = Vec::new();
        for atom in atoms(&p.operand) {
            let m = match &atom {
                Atom::Function(name, args) => self.function_matches(&user, field, name, args)?,
                atom => {
                    let value = atom.text().unwrap_or_default();
                    let people = |n: &str| Reference::User("").lookup(n);
                    self.named("c.author_id", people, &value, Some(field))
                }
            };
            any.push(m);
        }
        Ok(Some(format!("({})", any.join(" OR "))))
    }

    /// A change's side (`to` or `from`) names `atom`.
    fn side(
        &mut self,
        r: Reference,
        field: &Field,
        side: &str,
        atom: &Atom<'_>,
        alias: &str,
    ) -> Result<String, String> {
        let (value_col, string_col) =
            (format!("{alias}.{side}_value"), format!("{alias}.{side}_string"));
        Ok(match atom {
            Atom::Empty => format!("({value_col} IS NULL AND {string_col} IS NULL)"),
            Atom::Function(name, args) => {
                let column: &'static str = match (alias, side) {
                    ("c", "to") => "c.to_value",
                    ("c", _) => "c.from_value",
                    (_, "to") => "f.to_value",
                    _ => "f.from_value",
                };
                let kind = Kind::Reference(match r {
                    Reference::User(_) => Reference::User(column),
                    other => other,
                });
                self.function_matches(&kind, field, name, args)?
            }
            atom => {
                let value = atom.text().unwrap_or_default();
                let n = self.text(value.clone());
                let ids = self.named(&value_col, |n| r.lookup(n), &value, Some(field));
                format!("(lower({string_col}) = lower({n}) OR {ids})")
            }
        })
    }

    /// The ticket's value in the field was `atom` at some moment of the window (any moment
    /// without one); with `BY`, it was set to it by that person.
    pub(super) fn was(
        &mut self,
        r: Reference,
        field: &Field,
        atom: &Atom<'_>,
        window: Option<(i64, i64)>,
        by: Option<&str>,
    ) -> Result<String, String> {
        let name = r.history_field().unwrap_or_default();
        let to = self.side(r, field, "to", atom, "c")?;
        let of_field = |a: &str| format!("lower({a}.field) = '{name}'");
        let by_sql = by.map(|b| format!(" AND {b}")).unwrap_or_default();
        // Changes are looked up by themselves (no reference to the ticket), so the database
        // runs each subquery once rather than once per ticket.
        let changes = |alias: &str, condition: String| {
            format!(
                "(t.site_id, t.id) IN (SELECT {alias}.site_id, {alias}.issue_id FROM ticket_changes {alias} WHERE {condition})"
            )
        };
        let Some((lo, hi)) = window else {
            // Any moment: set to it by a change, or held before one (a "from"), or held now.
            let set = changes("c", format!("{} AND {to}{by_sql}", of_field("c")));
            if by.is_some() {
                return Ok(set);
            }
            let from = self.side(r, field, "from", atom, "c")?;
            let held = changes("c", format!("{} AND {from}", of_field("c")));
            let now = match atom {
                Atom::Empty => format!("{} IS NULL", r.column()),
                atom => self.matches(&Kind::Reference(r), field, atom)?,
            };
            return Ok(format!("({set} OR {held} OR {now})"));
        };
        let (lo, hi) = (self.int(lo), self.int(hi));
        let next = format!(
            "COALESCE((SELECT MIN(n.at) FROM ticket_changes n WHERE n.site_id = c.site_id AND n.issue_id = c.issue_id AND {} AND n.at > c.at), {FOREVER})",
            of_field("n")
        );
        let set = changes(
            "c",
            format!("{} AND {to}{by_sql} AND c.at <= {hi} AND {next} >= {lo}", of_field("c")),
        );
        if by.is_some() {
            return Ok(set);
        }
        // The value it was created with: the first change's "from", or (never changed) now's.
        let from = self.side(r, field, "from", atom, "f")?;
        let now = match atom {
            Atom::Empty => format!("{} IS NULL", r.column()),
            atom => self.matches(&Kind::Reference(r), field, atom)?,
        };
        let first = format!(
            "({} AND COALESCE(t.created_at, 0) <= {hi})",
            changes(
                "f",
                format!(
                    "{} AND f.at = (SELECT MIN(f2.at) FROM ticket_changes f2 WHERE f2.site_id = f.site_id AND f2.issue_id = f.issue_id AND {}) AND {from} AND f.at >= {lo}",
                    of_field("f"),
                    of_field("f2")
                )
            )
        );
        let never = format!(
            "(NOT EXISTS (SELECT 1 FROM ticket_changes c0 WHERE {} AND {}) AND {now} AND COALESCE(t.created_at, 0) <= {hi})",
            on_ticket("c0"),
            of_field("c0")
        );
        Ok(format!("({set} OR {first} OR {never})"))
    }

    pub(super) fn changed(
        &mut self,
        r: Reference,
        field: &Field,
        predicates: &[Predicate],
    ) -> Result<String, String> {
        let name = r.history_field().unwrap_or_default();
        let mut conditions = vec![format!("lower(c.field) = '{name}'")];
        for p in predicates {
            let side = match p.operator {
                PredicateOperator::From => "from",
                PredicateOperator::To => "to",
                _ => continue,
            };
            let mut any = Vec::new();
            for atom in atoms(&p.operand) {
                any.push(self.side(r, field, side, &atom, "c")?);
            }
            conditions.push(format!("({})", any.join(" OR ")));
        }
        if let Some(b) = self.by(predicates, field)? {
            conditions.push(b);
        }
        if let Some((lo, hi)) = self.window(predicates)? {
            let (lo, hi) = (self.int(lo), self.int(hi));
            conditions.push(format!("c.at BETWEEN {lo} AND {hi}"));
        }
        Ok(format!(
            "(t.site_id, t.id) IN (SELECT c.site_id, c.issue_id FROM ticket_changes c WHERE {})",
            conditions.join(" AND ")
        ))
    }
}
