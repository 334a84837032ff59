//! The crate arrows: which workspace crate may depend on which, read from the
//! table under `## Crate arrows` in ARCHITECTURE.md and checked against each
//! crate's `[dependencies]` and `[build-dependencies]` (target-specific ones
//! included). `[dev-dependencies]` are not checked: tests may drive any crate (the
//! sandbox above all), since nothing ships with them.

use std::collections::{BTreeMap, BTreeSet};

/// The heading the table sits under.
pub const HEADING: &str = "## Crate arrows";

/// For each crate named in the table, the workspace crates it may depend on.
pub type Arrows = BTreeMap<String, BTreeSet<String>>;

/// Reads the table: rows `` | `crate` | `a`, `b` | `` (or `—` for none) between
/// [`HEADING`] and the next heading.
pub fn parse(architecture: &str) -> Result<Arrows, String> {
    let Some(start) = architecture.find(HEADING) else {
        return Err(format!("ARCHITECTURE.md has no `{HEADING}` section"));
    };
    let section = &architecture[start + HEADING.len()..];
    let section = section.split("\n#").next().unwrap_or_default();
    let mut arrows = Arrows::new();
    for row in section.lines().filter(|l| l.trim_start().starts_with('|')) {
        let cells: Vec<&str> = row.trim().trim_matches('|').split('|').map(str::trim).collect();
        let [from, to] = cells[..] else {
            return Err(format!("a crate arrows row needs two cells: {row:?}"));
        };
        let Some(from) = backticked(from).into_iter().next() else {
            continue; // the header and the divider
        };
        let allowed: BTreeSet<String> = backticked(to).into_iter().collect();
        if allowed.is_empty() && to != "—" {
            return Err(format!("crate arrows of {from}: name crates in backticks, or write —"));
        }
        if arrows.insert(from.clone(), allowed).is_some() {
            return Err(format!("crate arrows: {from} has two rows"));
        }
    }
    if arrows.is_empty() {
        return Err(format!("the `{HEADING}` section of ARCHITECTURE.md has no table"));
    }
    Ok(arrows)
}

fn backticked(cell: &str) -> Vec<String> {
    cell.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The dependency tables of a manifest, by section name: top-level and
/// `target.<cfg>.` ones.
pub fn dependency_tables(
    manifest: &toml::Table,
) -> impl Iterator<Item = (String, &toml::Table)> + '_ {
    const KINDS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];
    let top = KINDS
        .into_iter()
        .filter_map(|k| manifest.get(k).and_then(|v| v.as_table()).map(|t| (k.to_owned(), t)));
    let targets = manifest
        .get("target")
        .and_then(|v| v.as_table())
        .into_iter()
        .flat_map(|targets| targets.iter())
        .flat_map(|(cfg, v)| {
            KINDS.into_iter().filter_map(move |k| {
                v.get(k).and_then(|d| d.as_table()).map(|t| (format!("target.{cfg}.{k}"), t))
            })
        });
    top.chain(targets)
}

/// The problems with one crate's manifest: it has no row, or it depends (outside
/// dev-dependencies) on a workspace crate its row does not allow.
pub fn check_manifest(
    krate: &str,
    manifest: &toml::Table,
    workspace: &BTreeSet<String>,
    arrows: &Arrows,
) -> Vec<String> {
    let Some(allowed) = arrows.get(krate) else {
        return vec![format!(
            "crates/{krate}: not in the crate arrows of ARCHITECTURE.md: add its row"
        )];
    };
    let mut problems = Vec::new();
    for (section, table) in dependency_tables(manifest) {
        if section.ends_with("dev-dependencies") {
            continue;
        }
        for dep in table.keys().filter(|d| workspace.contains(*d)) {
            if !allowed.contains(dep) {
                problems.push(format!(
                    "crates/{krate}/Cargo.toml: [{section}] names {dep}, against the crate arrows of ARCHITECTURE.md"
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# A\n\n## Crate arrows\n\nWhy.\n\n| crate | may depend on |\n|---|---|\n| `app` | `lib`, `pure` |\n| `lib` | `pure` |\n| `pure` | — |\n\n## Next\n| `not` | `read` |\n";

    fn workspace() -> BTreeSet<String> {
        ["app", "lib", "pure"].into_iter().map(str::to_owned).collect()
    }

    fn check(krate: &str, manifest: &str) -> Vec<String> {
        let arrows = parse(DOC).unwrap();
        check_manifest(krate, &manifest.parse().unwrap(), &workspace(), &arrows)
    }

    #[test]
    fn the_table_is_read_up_to_the_next_heading() {
        let arrows = parse(DOC).unwrap();
        assert_eq!(arrows.keys().collect::<Vec<_>>(), ["app", "lib", "pure"]);
        assert_eq!(arrows["app"].iter().collect::<Vec<_>>(), ["lib", "pure"]);
        assert!(arrows["pure"].is_empty());
        assert!(parse("# no table").is_err());
        assert!(parse("## Crate arrows\n| `a` | b |\n").is_err(), "names in backticks");
        assert!(parse("## Crate arrows\n| `a` | — |\n| `a` | — |\n").is_err(), "two rows");
    }

    #[test]
    fn an_arrow_against_the_table_is_caught_and_dev_dependencies_are_free() {
        assert_eq!(
            check("app", "[dependencies]\nlib.workspace = true\nserde = \"1\"\n"),
            Vec::<String>::new()
        );
        let wrong = check("pure", "[dependencies]\nlib = { path = \"../lib\" }\n");
        assert_eq!(wrong.len(), 1, "{wrong:?}");
        assert!(wrong[0].contains("[dependencies] names lib"), "{wrong:?}");
        assert_eq!(check("lib", "[build-dependencies]\napp = \"*\"\n").len(), 1);
        assert_eq!(check("lib", "[target.'cfg(unix)'.dependencies]\napp = \"*\"\n").len(), 1);
        assert_eq!(
            check("pure", "[dev-dependencies]\napp.workspace = true\n"),
            Vec::<String>::new()
        );
        assert_eq!(check("stranger", "").len(), 1, "a crate with no row");
    }
}
