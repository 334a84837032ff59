//! House rules for the source tree: every Rust file opens with a `//!` line that
//! says what it is for, and no test is switched off or expected to panic.

use std::path::{Path, PathBuf};

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
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
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
    }
}
