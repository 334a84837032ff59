//! JQL's `~` (and `!~`): the words of a text search through the full-text indexes (FTS5 on
//! SQLite, `tsvector` indexes on PostgreSQL), the terms they cannot answer by letters.

use super::pieces::{FullText, full_text, like_pattern, on_ticket, text_terms};
use super::{Compiler, Dialect, Kind};

impl Compiler<'_> {
    /// `~`: every word (or quoted phrase, words in order) of the value appears, by English
    /// stem as Jira's text search finds words (`checkouts` finds `checkout`), `word*` as a
    /// prefix; through SQLite's FTS5 index (`ticket_text`) or PostgreSQL's full-text
    /// indexes. A term with other wildcards (`ch?ck`, `*out`) is matched on the letters as
    /// written instead.
    pub(super) fn text_search(&mut self, kind: &Kind, value: &str) -> Result<String, String> {
        let Kind::Text { columns, comments, .. } = kind else { return Ok("FALSE".to_owned()) };
        let terms = text_terms(value);
        if terms.is_empty() {
            return Ok("FALSE".to_owned());
        }
        let mut all = Vec::new();
        let mut fts = Vec::new();
        for term in terms {
            match full_text(&term) {
                Some(words) => match self.cx.dialect {
                    Dialect::Sqlite => {
                        let mut cols: Vec<&str> =
                            columns.iter().map(|c| c.trim_start_matches("t.")).collect();
                        if *comments {
                            cols.push("comments");
                        }
                        fts.push(format!("{{{}}} : {}", cols.join(" "), words.fts5()));
                    }
                    // Words PostgreSQL leaves out ask nothing; every other term is one
                    // condition of its own, so the planner can join it (a subquery under an
                    // OR it could only run as a whole).
                    Dialect::Postgres if words.only_stop_words() => {}
                    Dialect::Postgres => {
                        let q = match &words {
                            FullText::Phrase(p) => {
                                format!("phraseto_tsquery('english', {})", self.text(p.clone()))
                            }
                            FullText::Prefix(w) => {
                                format!("to_tsquery('english', {})", self.text(format!("{w}:*")))
                            }
                        };
                        if *comments && columns.len() == 2 {
                            // `text`: summary, description and comments, in one stored vector.
                            all.push(format!(
                                "(t.site_id, t.id) IN (SELECT site_id, issue_id FROM ticket_words WHERE words @@ {q})"
                            ));
                            continue;
                        }
                        let mut any: Vec<String> = columns
                            .iter()
                            // The indexes' own expressions, each as a subquery of its own, so
                            // PostgreSQL answers it from its index rather than computing every
                            // ticket's words.
                            .map(|c| {
                                let words = match *c {
                                    "t.summary" => "to_tsvector('english', summary)".to_owned(),
                                    c => format!(
                                        "to_tsvector('english', coalesce({}, ''))",
                                        c.trim_start_matches("t.")
                                    ),
                                };
                                format!(
                                    "(t.site_id, t.id) IN (SELECT site_id, id FROM tickets WHERE {words} @@ {q})"
                                )
                            })
                            .collect();
                        if *comments {
                            any.push(format!(
                                "(t.site_id, t.id) IN (SELECT site_id, issue_id FROM ticket_comments WHERE to_tsvector('english', body) @@ {q})"
                            ));
                        }
                        all.push(format!("({})", any.join(" OR ")));
                    }
                },
                None => {
                    let n = self.text(format!("%{}%", like_pattern(&term)));
                    let mut any: Vec<String> = columns
                        .iter()
                        .map(|c| format!("lower({c}) LIKE lower({n}) ESCAPE '\\'"))
                        .collect();
                    if *comments {
                        any.push(format!(
                            "EXISTS (SELECT 1 FROM ticket_comments c WHERE {} AND lower(c.body) LIKE lower({n}) ESCAPE '\\')",
                            on_ticket("c")
                        ));
                    }
                    all.push(format!("({})", any.join(" OR ")));
                }
            }
        }
        if all.is_empty() && fts.is_empty() {
            // Only words full-text search leaves out ("by"): they ask nothing.
            return Ok("TRUE".to_owned());
        }
        if !fts.is_empty() {
            let n = self.text(fts.join(" AND "));
            all.push(format!(
                "t.rowid IN (SELECT rowid FROM ticket_text WHERE ticket_text MATCH {n})"
            ));
        }
        Ok(format!("({})", all.join(" AND ")))
    }
}
