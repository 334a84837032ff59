//! Scans of histories written here: the first scan, a rescan with nothing new, new commits,
//! a force-push, a deleted branch, branches made from others, changed paths.

use std::collections::BTreeMap;

use tether_forge::Push;
use tether_refs::Matcher;

use super::scan::{RepoInfo, scan};
use super::write::{Who, Writer};

fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn who(seconds: i64) -> Who<'static> {
    Who { name: "Ada Lovelace", email: "ada@example.com", seconds }
}

/// One line per push: branch, flags, and the first lines of its commits.
fn summary(pushes: &[Push]) -> Vec<String> {
    pushes
        .iter()
        .map(|p| {
            let commits: Vec<String> = p
                .commits
                .iter()
                .map(|c| c.message.lines().next().unwrap_or("").to_owned())
                .collect();
            format!(
                "{} default={} created={} deleted={} forced={} [{}]",
                p.branch,
                p.is_default_branch,
                p.created,
                p.deleted,
                p.forced == Some(true),
                commits.join(" | ")
            )
        })
        .collect()
}

#[test]
fn scans_are_incremental_and_see_force_pushes_and_deletions() {
    let dir = tempfile::tempdir().unwrap();
    let w = Writer::init(dir.path()).unwrap();
    let main = w.default_branch().unwrap();
    let info = RepoInfo { name: "tools".into(), web_url: "https://git.example.com/tools".into() };
    let m = Matcher::default();
    let c1 = w.commit(&main, &[], &files(&[("a", "1")]), "SHOP-1 start", who(1_000)).unwrap();
    let c2 =
        w.commit(&main, &[c1], &files(&[("a", "2"), ("b", "x")]), "tidy up", who(2_000)).unwrap();
    let c3 = w.commit(&main, &[c2], &files(&[("b", "y")]), "Closes SHOP-2", who(3_000)).unwrap();
    let f1 = w
        .commit("feature", &[c3], &files(&[("b", "z")]), "SHOP-3 feature work", who(4_000))
        .unwrap();
    let first = scan(dir.path().to_str().unwrap(), &BTreeMap::new(), &m, &info).unwrap();
    assert_eq!(summary(&first.pushes), [
        format!("{main} default=true created=true deleted=false forced=false [SHOP-1 start | Closes SHOP-2]").as_str(),
        "feature default=false created=true deleted=false forced=false [SHOP-3 feature work]",
    ]);
    assert_eq!(first.commits_read, 4);
    assert_eq!(first.heads.get(&main), Some(&c3.to_string()));
    // What a commit changed, against its first parent: `a` removed, `b` modified.
    let closes = &first.pushes[0].commits[1];
    assert_eq!(
        (closes.files.added.len(), closes.files.modified.clone(), closes.files.removed.clone()),
        (0, vec!["b".to_owned()], vec!["a".to_owned()])
    );
    assert_eq!(closes.url, format!("https://git.example.com/tools/commit/{c3}"));
    assert_eq!(
        (closes.author_name.as_str(), closes.author_email.as_deref(), closes.timestamp.epoch_ms),
        ("Ada Lovelace", Some("ada@example.com"), Some(3_000_000))
    );
    assert_eq!(first.pushes[1].head_commit.as_ref().unwrap().id, f1.to_string());
    // Nothing new: nothing read.
    let again = scan(dir.path().to_str().unwrap(), &first.heads, &m, &info).unwrap();
    assert!(again.pushes.is_empty());
    assert_eq!(again.commits_read, 0);
    // New commits on main; the feature branch force-pushed onto an unrelated history; then deleted.
    let c4 = w
        .commit(&main, &[c3], &files(&[("b", "y"), ("c", "n")]), "SHOP-4 more\n\nbody", who(5_000))
        .unwrap();
    let lone =
        w.commit("scratch", &[], &files(&[("x", "1")]), "SHOP-5 rewritten", who(6_000)).unwrap();
    w.force_branch("feature", lone).unwrap();
    w.delete_branch("scratch").unwrap();
    let next = scan(dir.path().to_str().unwrap(), &first.heads, &m, &info).unwrap();
    assert_eq!(
        summary(&next.pushes),
        [
            format!("{main} default=true created=false deleted=false forced=false [SHOP-4 more]")
                .as_str(),
            "feature default=false created=false deleted=false forced=true [SHOP-5 rewritten]",
        ]
    );
    assert_eq!(next.pushes[0].before, c3.to_string());
    assert_eq!(next.pushes[0].after, c4.to_string());
    w.delete_branch("feature").unwrap();
    let gone = scan(dir.path().to_str().unwrap(), &next.heads, &m, &info).unwrap();
    assert_eq!(
        summary(&gone.pushes),
        ["feature default=false created=false deleted=true forced=false []"]
    );
}

#[test]
fn only_commits_with_keys_are_kept_and_forge_merges_are_marked() {
    let dir = tempfile::tempdir().unwrap();
    let w = Writer::init(dir.path()).unwrap();
    let main = w.default_branch().unwrap();
    let m = Matcher::new(&tether_refs::MatchSettings {
        project_keys: vec!["SHOP".into()],
        ..Default::default()
    })
    .unwrap();
    let c1 = w.commit(&main, &[], &files(&[("a", "1")]), "OTHER-1 not ours", who(1)).unwrap();
    let c2 = w.commit("topic", &[c1], &files(&[("a", "2")]), "SHOP-1 topic", who(2)).unwrap();
    let merge = "Merge pull request #7 from acme/topic\n\nCloses SHOP-1";
    w.commit(&main, &[c1, c2], &files(&[("a", "2")]), merge, who(3)).unwrap();
    w.delete_branch("topic").unwrap();
    let info = RepoInfo { name: "tools".into(), web_url: String::new() };
    let got = scan(dir.path().to_str().unwrap(), &BTreeMap::new(), &m, &info).unwrap();
    assert_eq!(
        summary(&got.pushes),
        [format!(
            "{main} default=true created=true deleted=false forced=false [SHOP-1 topic | Merge pull request #7 from acme/topic]"
        )]
    );
    let flags: Vec<bool> = got.pushes[0].commits.iter().map(|c| c.is_merge_generated).collect();
    assert_eq!(flags, [false, true]);
    // Without a web URL the commit has none (the worker links to tether's own page).
    assert_eq!(got.pushes[0].commits[0].url, "");
}

/// A scan stores one event per branch change, with the heads, in one transaction; a rescan
/// with nothing new stores nothing; the stored event reads back as the push it was.
#[tokio::test]
async fn a_scan_is_stored_and_reads_back() {
    use tether_store::dev::{CodeSettings, NewRepository, RepoSource};
    let dir = tempfile::tempdir().unwrap();
    let w = Writer::init(&dir.path().join("repo")).unwrap();
    let main = w.default_branch().unwrap();
    w.commit(&main, &[], &files(&[("a", "1")]), "Fixes SHOP-1", who(10)).unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let store =
        tether_store::Store::connect(&url, tether_store::MasterKey::generate()).await.unwrap();
    store.migrate().await.unwrap();
    let new = NewRepository {
        name: "tools".into(),
        source: RepoSource::Local,
        group: None,
        secret: None,
        path: Some(dir.path().join("repo").display().to_string()),
        web_url: None,
        settings: CodeSettings::default(),
    };
    let repo = store.create_repository(&new, "t").await.unwrap();
    let s = super::scan_repository(&store, &repo).await.unwrap();
    assert_eq!((s.commits_read, s.events_stored, s.branches), (1, 1, 1));
    let again = super::scan_repository(&store, &repo).await.unwrap();
    assert_eq!((again.commits_read, again.events_stored), (0, 0));
    let events = store.dev_events(repo.id, None, 10).await.unwrap();
    let tether_forge::DevEvent::Push(push) = events[0].dev_event().unwrap() else { panic!() };
    assert!(push.is_default_branch);
    assert_eq!(push.commits[0].message, "Fixes SHOP-1");
    assert_eq!(push.repo.forge, tether_forge::Forge::Local);
    // A path that is no repository is said so, and kept for the repository's page.
    store
        .update_repository(repo.id, None, Some("/nonexistent/tether-test"), None, "t")
        .await
        .unwrap();
    let repo = store.repository(repo.id).await.unwrap();
    let err = super::scan_repository(&store, &repo).await.unwrap_err();
    assert!(
        format!("{err:#}").contains("/nonexistent/tether-test is not a git repository"),
        "{err:#}"
    );
    let kept = store.setting(&super::summary_key(repo.id)).await.unwrap().unwrap();
    assert!(kept.contains("is not a git repository"), "{kept}");
}

/// A tree of `files` (paths with `/` make subtrees), written to `repo`.
fn nested_tree(repo: &gix::Repository, files: &[(&str, &str)]) -> gix::ObjectId {
    use gix::objs::tree::{Entry, EntryKind};
    let mut here: BTreeMap<String, Vec<(&str, &str)>> = BTreeMap::new();
    let mut entries = Vec::new();
    for (path, content) in files {
        match path.split_once('/') {
            Some((dir, rest)) => here.entry(dir.to_owned()).or_default().push((rest, content)),
            None => {
                let oid = repo.write_blob(content.as_bytes()).unwrap().detach();
                entries.push(Entry { mode: EntryKind::Blob.into(), filename: (*path).into(), oid });
            }
        }
    }
    for (dir, inner) in here {
        let oid = nested_tree(repo, &inner);
        entries.push(Entry { mode: EntryKind::Tree.into(), filename: dir.as_str().into(), oid });
    }
    entries.sort();
    repo.write_object(gix::objs::Tree { entries }).unwrap().detach()
}

#[test]
fn changed_paths_pair_entries_by_name_at_every_depth() {
    let dir = tempfile::tempdir().unwrap();
    let repo = gix::init(dir.path()).unwrap();
    // (before, after, expected "added | modified | removed")
    let check = |before: &[(&str, &str)], after: &[(&str, &str)], expect: &str| {
        let old = (!before.is_empty()).then(|| nested_tree(&repo, before));
        let new = (!after.is_empty()).then(|| nested_tree(&repo, after));
        let mut files = tether_forge::FileChanges::default();
        let mut budget = super::scan::MAX_PATHS;
        super::scan::diff_trees(&repo, old, new, "", &mut files, &mut budget).unwrap();
        let got = format!(
            "{} | {} | {}",
            files.added.join(","),
            files.modified.join(","),
            files.removed.join(",")
        );
        assert_eq!(got, expect, "{before:?} -> {after:?}");
    };
    check(&[], &[("a", "1"), ("d/x", "1")], "a,d/x |  | ");
    check(&[("a", "1"), ("d/x", "1")], &[], " |  | a,d/x");
    check(&[("a", "1"), ("b", "1")], &[("a", "1"), ("b", "2")], " | b | ");
    check(
        &[("d/x", "1"), ("d/y", "1"), ("e", "1")],
        &[("d/x", "2"), ("d/z", "1"), ("e", "1")],
        "d/z | d/x | d/y",
    );
    check(&[("d/e/f", "1"), ("g", "1")], &[("d/e/f", "1"), ("g", "1")], " |  | ");
    // A file that becomes a folder of the same name, and back.
    check(&[("a", "1"), ("b", "1")], &[("a/x", "1"), ("b", "1")], "a/x |  | a");
    check(&[("a/x", "1")], &[("a", "1")], "a |  | a/x");
    check(&[("a-b", "1"), ("a/c", "1")], &[("a-b", "2"), ("a/c", "2")], " | a/c,a-b | ");
}
