//! Sets a cfg per optional tool the integration tests drive, from the variable
//! that says the tool is installed, so those tests run where it is and are
//! reported as ignored (with the reason) everywhere else: `cfg(tether_browser)`
//! from `TEST_BROWSER=1`, `cfg(tether_openfeature)` from `TEST_OPENFEATURE=1`,
//! `cfg(tether_python_jira)` from `TEST_PYTHON_JIRA=1`.

const GATES: [(&str, &str); 3] = [
    ("TEST_BROWSER", "tether_browser"),
    ("TEST_OPENFEATURE", "tether_openfeature"),
    ("TEST_PYTHON_JIRA", "tether_python_jira"),
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    for (var, cfg) in GATES {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={var}");
        if std::env::var(var).is_ok_and(|v| v == "1") {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
