//! "Only `tether-store` contains SQL", made checkable: no other crate lists `sqlx`
//! in its Cargo.toml, and no string literal outside `crates/tether-store` is an SQL
//! statement.
//!
//! A literal is a statement when, after leading white space, it starts with an
//! upper-case statement keyword followed by that statement's shape: select …
//! from, insert into, update <name> set, delete from, create table, create
//! index, create unique index, alter table, drop table (written here in lower
//! case, as this file's own literals must not match). Keywords are
//! matched as SQL is written in this codebase (upper case, separated by white
//! space), so prose ("Select a site", "Update the flag") and HTTP methods
//! (`"DELETE"`) are not statements. Comments are not literals.

use super::literals::string_literals;

/// The SQL statement a literal starts with, if any (its keyword, for the message).
pub fn statement(text: &str) -> Option<&'static str> {
    let words: Vec<&str> = text.split_whitespace().take(64).collect();
    let word = |i: usize| words.get(i).copied().unwrap_or("");
    let is_name = |w: &str| {
        !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    };
    match word(0) {
        "SELECT" if words.iter().skip(1).any(|w| *w == "FROM") => Some("select … from"),
        "INSERT" if word(1) == "INTO" => Some("insert into"),
        "UPDATE" if is_name(word(1)) && word(2) == "SET" => Some("update … set"),
        "DELETE" if word(1) == "FROM" => Some("delete from"),
        "CREATE" if word(1) == "TABLE" || word(1) == "INDEX" => Some("create table/index"),
        "CREATE" if word(1) == "UNIQUE" && word(2) == "INDEX" => Some("create unique index"),
        "ALTER" if word(1) == "TABLE" => Some("alter table"),
        "DROP" if word(1) == "TABLE" => Some("drop table"),
        _ => None,
    }
}

/// The SQL statements in one Rust file's string literals, as tidy problems.
pub fn check_source(name: &str, source: &str) -> Vec<String> {
    string_literals(source)
        .into_iter()
        .filter_map(|l| {
            statement(&l.text).map(|kind| {
                format!(
                    "{name}:{}: an SQL statement ({kind}) outside tether-store: only the store speaks SQL; add a store method",
                    l.line
                )
            })
        })
        .collect()
}

/// Whether a crate's manifest lists `sqlx` in any dependency table.
pub fn check_manifest(name: &str, manifest: &toml::Table) -> Vec<String> {
    super::arrows::dependency_tables(manifest)
        .filter(|(_, table)| table.contains_key("sqlx"))
        .map(|(section, _)| {
            format!("{name}: [{section}] lists sqlx: only tether-store talks to the database")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQL is written in lower case here and raised at run time, so this file does
    /// not trip its own rule.
    fn up(sql: &str) -> String {
        sql.to_uppercase()
    }

    #[test]
    fn statements_are_told_from_prose() {
        let check =
            |text: &str, expect: Option<&str>| assert_eq!(statement(text), expect, "{text:?}");
        check(&up("select id from projects where key = $1"), Some("select … from"));
        check(&up("\n  select count(*)\n from outbox"), Some("select … from"));
        check(&up("insert into outbox (kind) values ($1)"), Some("insert into"));
        check(&up("update outbox set claimed_until = 0"), Some("update … set"));
        check(&up("delete from webhooks where id = $1"), Some("delete from"));
        check(&up("create table t (id integer)"), Some("create table/index"));
        check(&up("create unique index i on t (id)"), Some("create unique index"));
        check(&up("alter table t add column c text"), Some("alter table"));
        check(&up("drop table t"), Some("drop table"));
        check("Select a site first", None);
        check("select id from t", None);
        check("SELECT", None);
        check("DELETE", None);
        check("Update the flag, then set it", None);
        check("UPDATE the flag SET", None);
        check("CREATE DATABASE scratch", None);
        check("Insert into the list", None);
    }

    #[test]
    fn sql_in_code_is_caught_and_sql_in_comments_is_not() {
        let source = format!(
            "//! x\n// {}\nfn f() {{\n    q(\"{}\");\n    let m = \"DELETE\";\n}}\n",
            up("select a from b"),
            up("delete from outbox where id = $1")
        );
        let found = check_source("a.rs", &source);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("a.rs:4: an SQL statement (delete from)"), "{found:?}");
        let raw = format!("fn g() {{ q(r#\"{}\"#) }}", up("update outbox set done = 1"));
        assert_eq!(check_source("b.rs", &raw).len(), 1);
    }

    #[test]
    fn sqlx_in_any_dependency_table_is_caught() {
        let check = |manifest: &str, expect: usize| {
            let table: toml::Table = manifest.parse().unwrap();
            assert_eq!(check_manifest("c/Cargo.toml", &table).len(), expect, "{manifest}");
        };
        check("[dependencies]\nsqlx.workspace = true\n", 1);
        check("[dev-dependencies]\nsqlx = \"0.8\"\n", 1);
        check("[target.'cfg(unix)'.dependencies]\nsqlx = \"0.8\"\n", 1);
        check("[dependencies]\nserde = \"1\"\n", 0);
    }
}
