//! The web UI in a real browser: Playwright (npm `playwright-core`) driving
//! Debian's Chromium. Runs when `TEST_BROWSER=1` (ignored, with the reason, otherwise); `.ci/run` sets it up.

use crate::{Sandboxed, browser_dir};

/// Where the scripts write their screenshots: `target/tmp/screenshots`.
fn screenshots() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

/// Runs one Playwright script from `tests/browser` against a fresh `tether demo --no-jira`.
async fn run_script(script: &str) {
    run_against_demo(script, &["--no-jira"], &[]).await;
}

/// Runs one Playwright script against a fresh `tether demo` started with `extra`
/// arguments; the script gets the server's URL and admin token as arguments and the
/// whole banner in `BANNER`.
async fn run_against_demo(script: &str, extra: &[&str], env: &[(&str, &str)]) {
    let dir = browser_dir();
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "TEST_BROWSER is set but {}/node_modules is missing: run `npm ci` there",
        dir.display()
    );
    let t = Sandboxed::new();
    let args: Vec<&str> = ["demo", "--port", "0"].iter().chain(extra).copied().collect();
    let mut server = t.start(&args, env).await;
    let banner = server.banner().await;
    let token = crate::admin_token(&banner);
    let out = tokio::process::Command::new("node")
        .arg(dir.join(script))
        .arg(&server.url)
        .arg(&token)
        .env("SCREENSHOTS", screenshots())
        .env("BANNER", &banner)
        .current_dir(&dir)
        .output()
        .await
        .expect("cannot run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed\n{stdout}\n{stderr}");
    assert!(stdout.contains("ok:"), "{script} reported nothing\n{stdout}");
    print!("{stdout}");
    server.signal("TERM");
    server.child.wait().await.unwrap();
}

#[tokio::test]
#[cfg_attr(
    not(tether_browser),
    ignore = "needs TEST_BROWSER=1, Chromium and `npm ci` in crates/tether/tests/browser; .ci/run sets them up"
)]
async fn the_flag_list_is_home_and_the_navigation_works_in_chromium() {
    run_script("navigation.mjs").await;
}

#[tokio::test]
#[cfg_attr(
    not(tether_browser),
    ignore = "needs TEST_BROWSER=1, Chromium and `npm ci` in crates/tether/tests/browser; .ci/run sets them up"
)]
async fn a_demo_flag_is_toggled_in_production_from_its_page_in_chromium() {
    run_script("flag_toggle.mjs").await;
}

#[tokio::test]
#[cfg_attr(
    not(tether_browser),
    ignore = "needs TEST_BROWSER=1, Chromium and `npm ci` in crates/tether/tests/browser; .ci/run sets them up"
)]
async fn the_rollout_of_new_checkout_is_edited_and_a_bad_sum_refused_in_chromium() {
    run_script("flag_rollout.mjs").await;
}

#[tokio::test]
#[cfg_attr(
    not(tether_browser),
    ignore = "needs TEST_BROWSER=1, Chromium and `npm ci` in crates/tether/tests/browser; .ci/run sets them up"
)]
async fn targets_and_rules_of_new_checkout_are_edited_and_a_bad_regex_refused_in_chromium() {
    run_script("flag_targeting.mjs").await;
}

#[tokio::test]
#[cfg_attr(
    not(tether_browser),
    ignore = "needs TEST_BROWSER=1, Chromium and `npm ci` in crates/tether/tests/browser; .ci/run sets them up"
)]
async fn csrf_and_sessions_hold_against_another_origin_in_chromium() {
    // Reported: the API took the UI's cookie, forms relied on Sec-Fetch-Site alone,
    // and the cookie was the API token, still valid after sign-out.
    run_script("security.mjs").await;
}

#[tokio::test]
#[cfg_attr(
    not(tether_browser),
    ignore = "needs TEST_BROWSER=1, Chromium and `npm ci` in crates/tether/tests/browser; .ci/run sets them up"
)]
async fn every_page_fits_desktop_and_phone_widths_in_chromium() {
    // Reported: the variations table was clipped at phone width, and every edit
    // form of the flag page was expanded (2,350 px tall). With the Jira sandboxes, so the
    // Tickets pages have tickets to show, and a Forge app id, so /jira shows its ARI (one
    // long word) as people see it.
    let env = [("TETHER_JIRA_FORGE_APP_ID", "8f7c2d0e-4c61-4b2f-9a3e-2d1f0c9b8a77")];
    run_against_demo("layout.mjs", &["--jira-port", "0"], &env).await;
}

#[tokio::test]
#[cfg_attr(
    not(tether_browser),
    ignore = "needs TEST_BROWSER=1, Chromium and `npm ci` in crates/tether/tests/browser; .ci/run sets them up"
)]
async fn a_newcomer_walks_the_first_hour_from_the_demo_banner_in_chromium() {
    // The README's first hour: sign in with the banner's token, toggle with confirmation,
    // and watch both Jira sandboxes' issues follow.
    run_against_demo("first_hour.mjs", &["--jira-port", "0"], &[]).await;
}

#[tokio::test]
#[cfg_attr(
    not(tether_browser),
    ignore = "needs TEST_BROWSER=1, Chromium and `npm ci` in crates/tether/tests/browser; .ci/run sets them up"
)]
async fn the_demos_delivery_insight_draws_every_chart_with_its_figures_in_chromium() {
    run_against_demo("insights.mjs", &["--jira-port", "0"], &[]).await;
}
