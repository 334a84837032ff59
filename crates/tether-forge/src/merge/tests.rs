//! Which commit messages are a forge's own merge commits.

use super::is_forge_merge_message;

#[test]
#[rustfmt::skip] // one case a line
fn forge_merge_messages() {
    #[track_caller]
    fn check(message: &str, expected: bool) {
        assert_eq!(is_forge_merge_message(message), expected, "{message:?}");
    }
    // GitHub's merge button.
    check("Merge pull request #12 from octo/PROJ-1-fix\n\nCloses PROJ-1", true);
    check("Merge pull request #1 from fork:main", true);
    check("Merge pull request #12 from octo/x\r\n\r\nbody", true);
    check("Merge pull request #12", false);
    check("Merge pull request # from octo/x", false);
    check("Merge pull request #12 from ", false);
    check("merge pull request #12 from octo/x", false);
    check("Fix PROJ-1\n\nMerge pull request #12 from octo/x", false);
    // GitLab's default template, since 10.0 and before.
    check("Merge branch 'PROJ-1-fix' into 'main'\n\nFix it\n\nCloses PROJ-1\n\nSee merge request group/sub/app!28", true);
    check("Merge branch 'feature/fresh' into 'develop'\n\nAdd fresh\n\nSee merge request !7", true);
    check("Merge branch 'a' into 'b'\n\nSee merge request group/app!28\n", true);
    check("Merge branch 'a' into 'b'\n\nSee merge request group/app!x", false);
    check("Merge branch 'a' into 'b'\n\nSee merge request group/app", false);
    check("Merge branch 'a' into 'b'\n\nSee merge request my group!3", false);
    // A local `git merge`: not the forge's.
    check("Merge branch 'a' into 'b'", false);
    check("Merge branch 'main' into PROJ-1-fix", false);
    check("Merge remote-tracking branch 'origin/main'", false);
    check("See merge request group/app!28", false);
    check("", false);
    check("Squashed PROJ-1 (#12)", false);
}
