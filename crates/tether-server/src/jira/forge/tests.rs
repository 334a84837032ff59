//! The manifest in the repository is the one tether generates, and declares what Connect does.

use super::*;

#[test]
fn the_repository_manifest_is_the_generated_one() {
    let committed = include_str!("../../../../../forge/manifest.yml");
    let generated = manifest_yaml(PLACEHOLDER_URL, PLACEHOLDER_APP_ID);
    // On a difference: `cargo run -- jira forge-manifest > forge/manifest.yml`.
    assert_eq!(committed, generated);
}

#[test]
fn the_manifest_points_at_tethers_pages_and_remote() {
    let m = manifest_yaml("https://flags.acme.test/", "8f7c2d0e-4c61-4b2f-9a3e-2d1f0c9b8a77");
    let wanted = [
        "  id: ari:cloud:ecosystem::app/8f7c2d0e-4c61-4b2f-9a3e-2d1f0c9b8a77\n",
        "urlTemplate: https://flags.acme.test/jira/create-flag?issueKey={issue.key}&issueSummary={issue.summary}\n",
        "urlTemplate: https://flags.acme.test/jira/link-flag?issueKey={issue.key}\n",
        "urlTemplate: https://flags.acme.test/jira/issue-flags?issueKey={issue.key}\n",
        "    baseUrl: https://flags.acme.test\n",
        "        path: /forge/events\n",
        "      propertyKey: tether.flags\n",
        "          searchAlias: tetherFlag\n",
    ];
    for w in wanted {
        assert!(m.contains(w), "{w:?} missing from:\n{m}");
    }
}
