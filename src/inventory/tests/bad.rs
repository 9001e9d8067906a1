//! Each kind of bad input is reported at the right place, on one line, with
//! a message that says what to do.

use std::path::Path;

use super::super::{load, InventoryError};
use super::parse_err;

const HOST: &str = "[[hosts]]\nname = \"kvm1\"\naddress = \"10.0.0.1\"\n";

fn with_host(extra: &str) -> String {
    format!("{HOST}{extra}")
}

#[test]
fn syntax_errors_use_tomls_position() {
    let (line, col, msg) = parse_err("[[hosts]]\nname = \"kvm1\naddress = \"x\"\n");
    assert_eq!((line, col), (2, 13));
    assert!(msg.starts_with("invalid TOML:"), "{msg}");
}

#[test]
fn unknown_keys_point_at_the_key() {
    let (line, col, msg) = parse_err(&format!("[defaults]\nusr = \"x\"\n{HOST}"));
    assert_eq!((line, col), (2, 1));
    assert!(msg.contains("unknown field `usr`"), "{msg}");
    assert!(msg.contains("`user`"), "lists the valid keys: {msg}");

    let (line, col, msg) = parse_err(&with_host("adress = \"x\"\n"));
    assert_eq!((line, col), (4, 1));
    assert!(msg.contains("unknown field `adress`"), "{msg}");
}

#[test]
fn type_errors_use_toml_words() {
    let (line, col, msg) = parse_err(&with_host("port = \"22\"\n"));
    assert_eq!((line, col), (4, 8));
    assert!(msg.contains("expected an integer"), "{msg}");
    let (_, _, msg) = parse_err(&with_host("reserved_host_memory_mb = -1\n"));
    assert!(msg.contains("expected a non-negative integer"), "{msg}");
    let (_, _, msg) = parse_err("[hosts]\nname = \"a\"\n");
    assert!(
        msg.contains("invalid type: table, expected an array"),
        "{msg}"
    );
}

#[test]
fn missing_required_keys_point_at_the_table() {
    let (line, col, msg) = parse_err("[[hosts]]\nname = \"kvm1\"\n");
    assert_eq!((line, col), (1, 1));
    assert!(msg.contains("missing field `address`"), "{msg}");
}

#[test]
fn semantic_errors_point_at_the_value() {
    let cases = [
        ("port = 0\n", 8, "port must be between 1 and 65535, got 0"),
        ("port = 70000\n", 8, "got 70000"),
        ("ram_allocation_ratio = 0\n", 24, "greater than 0"),
        ("cpu_allocation_ratio = -1.5\n", 24, "greater than 0"),
        ("instances_path = \"images\"\n", 18, "absolute path"),
        ("connect_timeout_secs = 0\n", 24, "between 1 and 600"),
        ("zone = \"rack a\"\n", 8, "invalid zone \"rack a\""),
        ("tags = [\"ok\", \"b/d\"]\n", 15, "invalid tag \"b/d\""),
        (
            "migration_address = \"[fd00::1]\"\n",
            21,
            "without brackets",
        ),
        ("disabled_reason = \"a\\nb\"\n", 19, "control characters"),
        ("user = \"-oProxyCommand=x\"\n", 8, "invalid user"),
        ("known_hosts = \"\"\n", 15, "known_hosts must not be empty"),
    ];
    for (extra, want_col, want) in cases {
        let (line, col, msg) = parse_err(&with_host(extra));
        assert_eq!((line, col), (4, want_col), "{extra:?}: {msg}");
        assert!(msg.contains(want), "{extra:?}: {msg}");
    }
}

#[test]
fn template_errors_name_the_key_and_the_problem() {
    let (line, col, msg) = parse_err(&format!(
        "[defaults]\nmigration_uri = \"tcp://{{adress}}\"\n{HOST}"
    ));
    assert_eq!((line, col), (2, 17));
    assert!(msg.contains("invalid migration_uri template"), "{msg}");
    assert!(msg.contains("unknown placeholder {adress}"), "{msg}");
    assert!(msg.contains("{migration_address}"), "lists allowed: {msg}");

    let (_, _, msg) = parse_err(&with_host("peer_uri = \"qemu+ssh://{address/system\"\n"));
    assert!(msg.contains("unclosed '{'"), "{msg}");
    let (_, _, msg) = parse_err(&with_host("libvirt_uri = \"x}\"\n"));
    assert!(msg.contains("unmatched '}'"), "{msg}");
    let (_, _, msg) = parse_err(&with_host("libvirt_uri = \"\"\n"));
    assert!(msg.contains("template is empty"), "{msg}");
}

#[test]
fn duplicate_names_point_at_the_second_and_mention_the_first() {
    let (line, col, msg) = parse_err(&format!("{HOST}{HOST}"));
    assert_eq!((line, col), (5, 8));
    assert!(msg.contains("duplicate host name \"kvm1\""), "{msg}");
    assert!(msg.contains("first defined on line 2"), "{msg}");
}

#[test]
fn no_hosts_is_an_error() {
    let (line, col, msg) = parse_err("[defaults]\nport = 22\n");
    assert_eq!((line, col), (1, 1));
    assert!(msg.contains("no hosts defined"), "{msg}");
    let (line, col, _) = parse_err("# empty\nhosts = []\n");
    assert_eq!((line, col), (2, 9));
}

#[test]
fn errors_display_as_one_line_with_path_and_position() {
    let (_, _, msg) = parse_err("[[hosts\n");
    assert!(!msg.contains('\n'), "{msg}");
    // Control characters in user values are escaped, not echoed.
    let (_, _, msg) = parse_err(&with_host("zone = \"a\\nb\"\n"));
    assert!(!msg.contains('\n'), "{msg}");
    let err = super::super::parse_with("[[hosts]]\n", Path::new("x.toml"), &super::env())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("x.toml:1:1: missing field"), "{err}");
}

#[test]
fn unreadable_files_say_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.toml");
    let err = load(&path).unwrap_err();
    assert!(matches!(err, InventoryError::Read { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("{}: cannot read inventory: ", path.display())),
        "{shown}"
    );
}
