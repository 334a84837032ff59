//! House rules for the source tree, each with a test that shows it catching a
//! violation: every Rust file opens with a `//!` line that says what it is for; no
//! file is over [`LINE_LIMIT`] lines unless its header says why ([`LONG_MARKER`]);
//! no test is switched off for good or expected to panic (a test that needs an
//! optional tool is ignored through `cfg_attr` with its reason); the crates depend
//! on each other only as the crate arrows of ARCHITECTURE.md allow ([`arrows`]);
//! only `tether-store` speaks SQL ([`sql`]).

pub mod arrows;
pub mod literals;
pub mod sql;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The most lines a source file has before it must say why it is long.
pub const LINE_LIMIT: usize = 800;

/// A line of a file's `//!` header that says why the file is longer than
/// [`LINE_LIMIT`], e.g. `//! Long because: one table of Atlassian's cases.`
pub const LONG_MARKER: &str = "//! Long because:";

/// The only crate that may contain SQL.
const SQL_CRATE: &str = "crates/tether-store/";

/// The attributes we do not use: a test that cannot run is a test that lies.
/// (Spelled in pieces so this file does not trip its own check.)
const BANNED: [&str; 2] = [concat!("#[", "ignore"), concat!("#[", "should_panic")];

/// The workspace root, two levels above this crate.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("xtask lives at crates/xtask")
        .to_path_buf()
}

/// Every problem found under `root`, as `path:line: message`.
pub fn check(root: &Path) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    rust_files(root, &mut files);
    files.sort();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            problems.push(format!("{}: cannot read", file.display()));
            continue;
        };
        let shown = file.strip_prefix(root).unwrap_or(&file).display().to_string();
        problems.extend(check_file(&shown, &text));
        problems.extend(check_length(&shown, &text));
        if !shown.starts_with(SQL_CRATE) {
            problems.extend(sql::check_source(&shown, &text));
        }
    }
    problems.extend(check_manifests(root));
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// The crate arrows and `sqlx` over every `crates/*/Cargo.toml`.
fn check_manifests(root: &Path) -> Vec<String> {
    let architecture = match std::fs::read_to_string(root.join("ARCHITECTURE.md")) {
        Ok(text) => text,
        Err(e) => return vec![format!("ARCHITECTURE.md: cannot read: {e}")],
    };
    let arrows = match arrows::parse(&architecture) {
        Ok(a) => a,
        Err(e) => return vec![format!("ARCHITECTURE.md: {e}")],
    };
    let mut manifests = Vec::new();
    for entry in std::fs::read_dir(root.join("crates")).into_iter().flatten().flatten() {
        let path = entry.path().join("Cargo.toml");
        if path.is_file() {
            manifests.push((entry.file_name().to_string_lossy().into_owned(), path));
        }
    }
    manifests.sort();
    let workspace: BTreeSet<String> = manifests.iter().map(|(c, _)| c.clone()).collect();
    let mut problems = Vec::new();
    for (krate, path) in &manifests {
        let manifest: toml::Table = match std::fs::read_to_string(path).map(|t| t.parse()) {
            Ok(Ok(m)) => m,
            Ok(Err(e)) => {
                problems.push(format!("crates/{krate}/Cargo.toml: not TOML: {e}"));
                continue;
            }
            Err(e) => {
                problems.push(format!("crates/{krate}/Cargo.toml: cannot read: {e}"));
                continue;
            }
        };
        problems.extend(arrows::check_manifest(krate, &manifest, &workspace, &arrows));
        if format!("crates/{krate}/") != SQL_CRATE {
            problems.extend(sql::check_manifest(&format!("crates/{krate}/Cargo.toml"), &manifest));
        }
    }
    problems
}

/// A file over [`LINE_LIMIT`] lines needs a [`LONG_MARKER`] line in its header.
pub fn check_length(name: &str, text: &str) -> Vec<String> {
    let lines = text.lines().count();
    if lines <= LINE_LIMIT {
        return vec![];
    }
    let header =
        text.lines().skip_while(|l| l.trim().is_empty()).take_while(|l| l.starts_with("//!"));
    let says_why = header
        .into_iter()
        .any(|l| l.strip_prefix(LONG_MARKER).is_some_and(|why| !why.trim().is_empty()));
    if says_why {
        return vec![];
    }
    vec![format!(
        "{name}: {lines} lines, over {LINE_LIMIT}: split it into modules, or say why it is long in a `{LONG_MARKER} …` line of its `//!` header"
    )]
}

/// The rules for one file's text.
pub fn check_file(name: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let first = text.lines().find(|l| !l.trim().is_empty());
    if !first.is_some_and(|l| l.starts_with("//!")) {
        problems
            .push(format!("{name}:1: the file must open with a `//!` line saying what it is for"));
    }
    for (i, line) in text.lines().enumerate() {
        for banned in BANNED {
            if line.trim_start().starts_with(banned) {
                problems.push(format!(
                    "{name}:{}: `{banned}]` is not used here: make the test run, or assert the wrong behaviour with a FIXME",
                    i + 1
                ));
            }
        }
    }
    problems
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        // Any other cargo target folder (`CARGO_TARGET_DIR=target-x`) holds generated code.
        if path.is_dir() && path.join("CACHEDIR.TAG").exists() {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_is_tidy() {
        if let Err(problems) = check(&workspace_root()) {
            panic!("cargo xtask tidy found:\n{}", problems.join("\n"));
        }
    }

    #[test]
    fn the_rules_catch_what_they_name() {
        let check = |text: &str, expect: usize| {
            assert_eq!(check_file("x.rs", text).len(), expect, "{text:?}")
        };
        check("//! What this is.\nfn main() {}\n", 0);
        check("\n//! Leading blank lines are fine.\n", 0);
        check("// a plain comment\n", 1);
        check("fn main() {}\n", 1);
        check("", 1);
        check(&format!("//! x\n    {}]\nfn t() {{}}\n", BANNED[0]), 1);
        check(&format!("//! x\n{}(expected = \"boom\")]\n", BANNED[1]), 1);
        check("//! x\n// mentions ignore in prose\n", 0);
        check("//! x\n#[cfg_attr(not(tether_pg), ignore = \"needs TEST_PG_URL\")]\n", 0);
    }

    #[test]
    fn a_long_file_must_say_why() {
        let file = |header: &str, lines: usize| format!("{header}{}", "x\n".repeat(lines));
        let check = |text: String, expect: usize| {
            assert_eq!(check_length("x.rs", &text).len(), expect, "{}", &text[..40.min(text.len())])
        };
        check(file("//! Short.\n", LINE_LIMIT - 1), 0);
        check(file("//! Long.\n", LINE_LIMIT), 1);
        check(
            file("//! A table.\n//! Long because: Atlassian's cases, one a line.\n", LINE_LIMIT),
            0,
        );
        check(file("//! A table.\n//! Long because:\n", LINE_LIMIT), 1);
        check(
            file("//! A table.\nfn f() {}\n//! Long because: not in the header.\n", LINE_LIMIT),
            1,
        );
    }
}
