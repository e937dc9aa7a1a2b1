//! Tells the test suite what it can test against: without TEST_POSTGRES_URL the
//! PostgreSQL variants, and without Chromium's WebDriver the browser tests, are compiled
//! as ignored tests, so the summary reports them as ignored (with the reason) instead
//! of as passed.

use std::path::Path;

/// Where Debian's `chromium-driver` puts ChromeDriver (`CHROMEDRIVER` overrides it).
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(without_postgres)");
    println!("cargo::rustc-check-cfg=cfg(without_chromium)");
    println!("cargo::rerun-if-env-changed=TEST_POSTGRES_URL");
    println!("cargo::rerun-if-env-changed=CHROMEDRIVER");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("TEST_POSTGRES_URL").is_none() {
        println!("cargo::rustc-cfg=without_postgres");
    }
    let driver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.to_owned());
    if Path::new(&driver).exists() {
        println!("cargo::rerun-if-changed={driver}");
    } else {
        // Installing it changes its folder: the next build looks again.
        if let Some(folder) = Path::new(&driver).parent() {
            println!("cargo::rerun-if-changed={}", folder.display());
        }
        println!("cargo::rustc-cfg=without_chromium");
    }
}
