//! Sets `cfg(tether_pg)` when `TEST_PG_URL` names a PostgreSQL server, so this
//! package's PostgreSQL test variants run there and are reported as ignored (with
//! the reason) everywhere else.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tether_pg)");
    println!("cargo::rerun-if-changed=build.rs");
    // `sqlx::migrate!` embeds the migration files: a new one must rebuild the crate.
    println!("cargo::rerun-if-changed=migrations");
    println!("cargo::rerun-if-env-changed=TEST_PG_URL");
    if std::env::var("TEST_PG_URL").is_ok_and(|v| !v.trim().is_empty()) {
        println!("cargo::rustc-cfg=tether_pg");
    }
}
