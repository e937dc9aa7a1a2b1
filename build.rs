//! Tells the test suite whether PostgreSQL is there to test against: without
//! TEST_POSTGRES_URL the PostgreSQL variants are compiled as ignored tests, so the
//! summary reports them as ignored (with the reason) instead of as passed.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(without_postgres)");
    println!("cargo::rerun-if-env-changed=TEST_POSTGRES_URL");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("TEST_POSTGRES_URL").is_none() {
        println!("cargo::rustc-cfg=without_postgres");
    }
}
