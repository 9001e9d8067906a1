//! The one proptest configuration the fuzz properties share (test-only).

use proptest::test_runner::Config;

/// `cases` per property, or `VMIGRATE_FUZZ_CASES` for a longer soak.
pub(crate) fn config(cases: u32) -> Config {
    let soak = std::env::var("VMIGRATE_FUZZ_CASES").ok();
    Config {
        cases: soak.and_then(|n| n.parse().ok()).unwrap_or(cases),
        // A regression found here becomes a plain unit test instead.
        failure_persistence: None,
        ..Config::default()
    }
}
