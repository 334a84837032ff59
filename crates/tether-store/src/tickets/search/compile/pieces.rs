//! The SQL pieces the compiler puts together, per dialect where they differ, and the small
//! readings of values (booleans, text terms, calendar days) it needs.

use tether_jql::Field;
use tether_jql::OperandKind;

use super::{Atom, Dialect, Multi};

/// Rows of a child table belonging to the ticket `t`.
pub(super) fn on_ticket(alias: &str) -> String {
    format!("{alias}.site_id = t.site_id AND {alias}.issue_id = t.id")
}

/// `SELECT 1 FROM` the rows a multi-valued field has for the ticket (without the value).
pub(super) fn multi_rows(m: Multi, d: Dialect) -> String {
    match m {
        Multi::List(column) => match d {
            Dialect::Sqlite => format!("SELECT 1 FROM json_each({column}) j WHERE TRUE"),
            Dialect::Postgres => format!(
                "SELECT 1 FROM json_array_elements_text(({column})::json) AS j(value) WHERE TRUE"
            ),
        },
        Multi::Sprint => format!(
            "SELECT 1 FROM ticket_sprint_issues si JOIN ticket_sprints sp ON sp.site_id = si.site_id AND sp.id = si.sprint_id WHERE {}",
            on_ticket("si")
        ),
        Multi::Flag => "SELECT 1 FROM flag_issue_links fl JOIN projects pj ON pj.id = fl.project_id \
             LEFT JOIN project_jira pjj ON pjj.project_id = fl.project_id \
             WHERE upper(fl.issue_key) = upper(t.key) AND (pjj.site_id IS NULL OR pjj.site_id = t.site_id)"
            .to_owned(),
        Multi::Commit => {
            "SELECT 1 FROM dev_mentions m WHERE upper(m.issue_key) = upper(t.key) AND m.kind = 'commit'"
                .to_owned()
        }
        Multi::Repository => "SELECT 1 FROM dev_mentions m JOIN dev_repositories r ON r.id = m.repository_id \
             WHERE upper(m.issue_key) = upper(t.key)"
            .to_owned(),
        Multi::PullRequest => "SELECT 1 FROM dev_mentions m JOIN dev_repositories r ON r.id = m.repository_id \
             WHERE upper(m.issue_key) = upper(t.key) AND m.kind = 'pull_request'"
            .to_owned(),
    }
}

/// A linked flag is on (or off) in the environments `environments` picks (over alias `e`).
pub(super) fn flag_on(d: Dialect, environments: &str, on: bool) -> String {
    let state = match d {
        Dialect::Sqlite => "json_extract(c.body, '$.on') = 1",
        Dialect::Postgres => "(c.body::json->>'on')::boolean",
    };
    let state = if on { state.to_owned() } else { format!("NOT {state}") };
    format!(
        "EXISTS (SELECT 1 FROM flag_issue_links fl JOIN flags f ON f.project_id = fl.project_id AND f.key = fl.flag_key \
         JOIN environments e ON e.project_id = f.project_id AND {environments} \
         JOIN flag_configs c ON c.flag_id = f.id AND c.environment_id = e.id \
         LEFT JOIN project_jira pjj ON pjj.project_id = fl.project_id \
         WHERE upper(fl.issue_key) = upper(t.key) AND (pjj.site_id IS NULL OR pjj.site_id = t.site_id) AND {state})"
    )
}

pub(super) fn development_count(kind: &str, open: bool) -> String {
    let open = if open { " AND m.state = 'OPEN'" } else { "" };
    format!(
        "(SELECT COUNT(*) FROM dev_mentions m WHERE upper(m.issue_key) = upper(t.key) AND m.kind = '{kind}'{open})"
    )
}

/// Where the key's dash is.
pub(super) fn key_dash(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "instr(t.key, '-')",
        Dialect::Postgres => "strpos(t.key, '-')",
    }
}

/// The number after the key's dash.
pub(super) fn key_number(d: Dialect) -> String {
    let dash = key_dash(d);
    format!("CAST(substr(t.key, {dash} + 1) AS BIGINT)")
}

pub(super) fn boolean(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "on" | "enabled" | "yes" => Some(true),
        "false" | "off" | "disabled" | "no" => Some(false),
        _ => None,
    }
}

pub(super) fn atom_kind(atom: &Atom<'_>) -> OperandKind {
    match atom {
        Atom::Text(s) => OperandKind::String((*s).to_owned()),
        Atom::Number(n) => OperandKind::Number(*n),
        _ => OperandKind::Empty,
    }
}

pub(super) fn unknown_value(value: &str, field: &Field) -> String {
    format!("The value '{value}' does not exist for the field '{}'.", field.display_name())
}

pub(super) fn invalid_date(value: &str, field: &Field) -> String {
    format!(
        "Date value '{value}' for field '{}' is invalid. {}",
        field.display_name(),
        tether_jql::dates::VALID_FORMATS
    )
}

pub(super) fn unsupported_history(field: &Field) -> String {
    format!(
        "History searches on the field '{}' are not supported over tether's ingested tickets yet; \
         WAS and CHANGED work on status, assignee, reporter, priority and resolution.",
        field.display_name()
    )
}

/// The words and quoted phrases of a text search, wildcards kept.
pub(super) fn text_terms(value: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            let phrase = after[..end].trim();
            if !phrase.is_empty() {
                terms.push(phrase.to_owned());
            }
            rest = after.get(end + 1..).unwrap_or("").trim_start();
            continue;
        }
        let end = rest.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(rest.len());
        let word = rest[..end].trim_matches(|c: char| "+-!()[]{}^~:\\/,.;".contains(c));
        if !word.is_empty()
            && !["AND", "OR", "NOT", "&&", "||"].contains(&word)
            && word.chars().any(|c| c.is_alphanumeric())
        {
            terms.push(word.to_owned());
        }
        rest = rest[end..].trim_start();
    }
    terms
}

/// A text-search term the full-text indexes can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FullText {
    /// Words, in order (one word is a phrase of one).
    Phrase(String),
    /// A word's beginning (`check*`).
    Prefix(String),
}

impl FullText {
    /// As an FTS5 query term.
    pub(super) fn fts5(&self) -> String {
        match self {
            FullText::Phrase(p) => format!("\"{}\"", p.replace('"', "\"\"")),
            FullText::Prefix(w) => format!("\"{w}\" *"),
        }
    }
}

/// The full-text form of a term, `None` when it has wildcards indexes cannot answer or no
/// word characters.
pub(super) fn full_text(term: &str) -> Option<FullText> {
    let words: Vec<&str> = term
        .split(|c: char| !c.is_alphanumeric() && c != '*' && c != '?')
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return None;
    }
    if let [word] = words.as_slice()
        && let Some(stem) = word.strip_suffix('*')
        && !stem.is_empty()
        && stem.chars().all(char::is_alphanumeric)
    {
        return Some(FullText::Prefix(stem.to_owned()));
    }
    if words.iter().any(|w| w.contains(['*', '?'])) {
        return None;
    }
    Some(FullText::Phrase(words.join(" ")))
}

/// PostgreSQL's English stop words (`tsearch_data/english.stop`): words its `english`
/// full-text configuration leaves out, so a term of only these asks nothing.
const PG_ENGLISH_STOP_WORDS: [&str; 127] = [
    "i",
    "me",
    "my",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "a",
    "an",
    "the",
    "and",
    "but",
    "if",
    "or",
    "because",
    "as",
    "until",
    "while",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "then",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
    "s",
    "t",
    "can",
    "will",
    "just",
    "don",
    "should",
    "now",
];

impl FullText {
    /// Whether PostgreSQL's `english` configuration keeps no word of it (the term then asks
    /// nothing there, as Jira's search ignores such words).
    pub(super) fn only_stop_words(&self) -> bool {
        let text = match self {
            FullText::Phrase(p) => p.as_str(),
            FullText::Prefix(w) => w.as_str(),
        };
        text.split_whitespace().all(|w| PG_ENGLISH_STOP_WORDS.contains(&w.to_lowercase().as_str()))
    }
}

/// A term as a LIKE pattern body: `%` and `_` escaped, `*` and `?` as wildcards.
pub(super) fn like_pattern(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 4);
    for c in term.chars() {
        match c {
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '*' => out.push('%'),
            '?' => out.push('_'),
            c => out.push(c),
        }
    }
    out
}

/// The calendar day (`YYYY-MM-DD`) of a moment at a UTC offset, and whether the moment is
/// that day's midnight (moments beyond the calendar's years read as the epoch's day).
pub(super) fn local_day(ms: i64, offset_seconds: i32) -> (String, bool) {
    tether_jql::dates::calendar_day(ms, offset_seconds)
        .unwrap_or_else(|| ("1970-01-01".to_owned(), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_days_at_offsets() {
        assert_eq!(local_day(0, 0), ("1970-01-01".to_owned(), true));
        // 2024-02-29T23:30Z is 1 March in Berlin (+1h).
        let leap = 1_709_249_400_000;
        assert_eq!(local_day(leap, 0).0, "2024-02-29");
        assert_eq!(local_day(leap, 3600).0, "2024-03-01");
        assert_eq!(local_day(-1, 0), ("1969-12-31".to_owned(), false));
    }

    #[test]
    fn terms_the_full_text_index_answers() {
        let phrase = |p: &str| Some(FullText::Phrase(p.to_owned()));
        assert_eq!(full_text("checkout"), phrase("checkout"));
        assert_eq!(full_text("full screen"), phrase("full screen"));
        assert_eq!(full_text("100%"), phrase("100"));
        assert_eq!(full_text("check*"), Some(FullText::Prefix("check".into())));
        assert_eq!(full_text("ch?ck"), None);
        assert_eq!(full_text("*out"), None);
        assert_eq!(full_text("%%"), None);
        assert_eq!(FullText::Phrase("say \"hi\"".into()).fts5(), "\"say \"\"hi\"\"\"");
        assert_eq!(FullText::Prefix("check".into()).fts5(), "\"check\" *");
    }

    #[test]
    fn terms_of_only_stop_words_ask_nothing_on_postgres() {
        let only = |t: &str| full_text(t).unwrap().only_stop_words();
        assert!(only("by") && only("The") && only("to be or not") && only("by*"));
        assert!(!only("checkout"));
        assert!(!only("stand by me"));
        assert_eq!(PG_ENGLISH_STOP_WORDS.len(), 127);
    }

    #[test]
    fn text_terms_keep_phrases_and_wildcards_and_drop_operators() {
        assert_eq!(text_terms("full screen"), ["full", "screen"]);
        assert_eq!(text_terms("\"full screen\" win*"), ["full screen", "win*"]);
        assert_eq!(text_terms("a AND -b"), ["a", "b"]);
        assert!(text_terms("  ").is_empty());
        assert_eq!(like_pattern("50%_x*?"), "50\\%\\_x%_");
    }
}
