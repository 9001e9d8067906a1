//! Every bad inventory in `tests/fixtures/bad_inventories` gives a one-line
//! `file:line:col: message` error and exit 2 from the real binary — before
//! any host is contacted.

use std::path::Path;

use crate::util::vmigrate;

#[test]
fn bad_inventories_exit_2_with_file_line_col() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad_inventories");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let header = text.lines().next().unwrap();
        let expect = header
            .strip_prefix("# expect: ")
            .unwrap_or_else(|| panic!("{} lacks an `# expect:` header", path.display()));
        let (pos, substring) = expect.split_once(": ").unwrap();
        let r = vmigrate(&["-i", path.to_str().unwrap(), "-o", "json", "hosts"]);
        assert_eq!(r.code, 2, "{}: {}", path.display(), r.stderr);
        let doc: serde_json::Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{}: the JSON error document: {e}", path.display()));
        assert_eq!(doc["error"]["code"], "inventory", "{}", path.display());
        assert_eq!(doc["error"]["exit"], 2, "{}", path.display());
        let line = r.stderr.trim_end();
        assert_eq!(
            line.lines().count(),
            1,
            "one line for {}: {line}",
            path.display()
        );
        let want_prefix = format!("vmigrate: error: {}:{pos}: ", path.display());
        assert!(
            line.starts_with(&want_prefix),
            "want {want_prefix:?}, got {line:?}"
        );
        assert!(line.contains(substring), "{line:?} lacks {substring:?}");
        seen += 1;
    }
    assert!(
        seen >= 12,
        "expected at least 12 bad inventories, found {seen}"
    );
}
