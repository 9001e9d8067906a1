//! Runs every file in `tests/fixtures/bad_inventories/` through [`parse`] and
//! checks the error against the file's `# expect: LINE:COL: SUBSTRING` header,
//! so the documented positions can never drift from what the code reports.

use std::fs;
use std::path::{Path, PathBuf};

use super::super::{parse, InventoryError};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad_inventories")
}

/// Splits `# expect: 5:1: unknown field` into (5, 1, "unknown field").
fn expectation(path: &Path, text: &str) -> (usize, usize, String) {
    let header = text.lines().next().unwrap_or_default();
    let parsed = header.strip_prefix("# expect: ").and_then(|rest| {
        let mut parts = rest.splitn(3, ':');
        let line = parts.next()?.trim().parse().ok()?;
        let col = parts.next()?.trim().parse().ok()?;
        let substring = parts.next()?.trim().to_owned();
        Some((line, col, substring))
    });
    parsed.unwrap_or_else(|| {
        panic!(
            "{}: first line must be `# expect: LINE:COL: SUBSTRING`",
            path.display()
        )
    })
}

#[test]
fn bad_inventories_fail_where_their_header_says() {
    let mut files: Vec<PathBuf> = fs::read_dir(fixture_dir())
        .expect("fixture directory exists")
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 12, "expected at least 12 fixtures");

    // Collect every mismatch so one run shows all drifted headers.
    let mut failures = Vec::new();
    for path in &files {
        let text = fs::read_to_string(path).unwrap();
        let (want_line, want_col, want) = expectation(path, &text);
        let shown = path.display();
        match parse(&text, path) {
            Err(InventoryError::Invalid {
                line, col, message, ..
            }) => {
                if (line, col) != (want_line, want_col) || !message.contains(&want) {
                    failures.push(format!(
                        "{shown}: expected {want_line}:{want_col}: ...{want}..., got {line}:{col}: {message}"
                    ));
                }
            }
            Err(other) => failures.push(format!("{shown}: unexpected error kind: {other}")),
            Ok(_) => failures.push(format!("{shown}: parsed successfully but should fail")),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
