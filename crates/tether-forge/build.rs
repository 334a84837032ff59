//! Sets `cfg(forge_examples)` when `TEST_FORGE_EXAMPLES=1`, so the test over GitHub's
//! published example payloads (`tests/examples`, installed with npm) runs only where they are.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(forge_examples)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=TEST_FORGE_EXAMPLES");
    if std::env::var("TEST_FORGE_EXAMPLES").is_ok_and(|v| v == "1") {
        println!("cargo::rustc-cfg=forge_examples");
    }
}
