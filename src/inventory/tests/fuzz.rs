//! The inventory parser fuzzed (G2 §5): whatever the file holds — bytes,
//! any text, or a valid inventory with keys and values swapped for wrong
//! types, huge, negative and non-finite numbers, control characters and
//! unicode, broken templates, deep nesting — parsing never panics, and an
//! error is one non-empty line (the CLI prints it as it is). Bounded (a
//! few hundred cases each) so that it runs in a second or two.

use std::path::Path;

use crate::fuzz_config::config;
use proptest::prelude::*;

use super::super::parse_with;
use super::env;

/// Parses `text`; fails the case unless the result is a valid inventory or
/// a one-line error.
fn check(text: &str) -> Result<(), TestCaseError> {
    match parse_with(text, Path::new("inv.toml"), &env()) {
        Ok(inventory) => prop_assert!(!inventory.hosts.is_empty()),
        Err(e) => {
            let shown = e.to_string();
            prop_assert!(!shown.trim().is_empty(), "an empty error for {text:?}");
            prop_assert!(
                !shown.contains(['\n', '\r']),
                "a multi-line error {shown:?} for {text:?}"
            );
        }
    }
    Ok(())
}

/// Every key an inventory table may hold, and some it may not.
const KEYS: &[&str] = &[
    "name",
    "address",
    "migration_address",
    "zone",
    "tags",
    "disabled",
    "disabled_reason",
    "user",
    "port",
    "identity_file",
    "known_hosts",
    "reserved_host_memory_mb",
    "reserved_host_disk_mb",
    "ram_allocation_ratio",
    "cpu_allocation_ratio",
    "libvirt_uri",
    "peer_uri",
    "migration_uri",
    "instances_path",
    "connect_timeout_secs",
    "migration_bandwidth_mib",
    "downtime_start_ms",
    "max_downtime_ms",
    "downtime_steps",
    "downtime_delay_secs_per_gib",
    "stall_iterations",
    "stall_secs",
    "auto_converge",
    "postcopy",
    "completion_timeout_secs_per_gib",
    "on_timeout",
    "hosts",
    "defaults",
    "nmae",
    "",
];

/// A valid inventory, as (table header, [(key, TOML value)]): what the
/// mutations start from (the shipped example's shape).
fn base() -> Vec<(String, Vec<(String, String)>)> {
    let table = |header: &str, entries: &[(&str, &str)]| {
        (
            header.to_string(),
            entries
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        )
    };
    vec![
        table(
            "[defaults]",
            &[
                ("user", r#""root""#),
                ("port", "22"),
                ("identity_file", r#""~/.ssh/id_ed25519""#),
                ("ram_allocation_ratio", "1.0"),
                ("cpu_allocation_ratio", "4.0"),
                (
                    "libvirt_uri",
                    r#""qemu+ssh://{user}@{address}:{port}/system""#,
                ),
                ("peer_uri", r#""qemu+ssh://{address}/system""#),
                ("migration_uri", r#""tcp://{migration_address}""#),
                ("downtime_start_ms", "50"),
                ("max_downtime_ms", "500"),
                ("postcopy", "false"),
                ("on_timeout", r#""abort""#),
            ],
        ),
        table(
            "[[hosts]]",
            &[
                ("name", r#""kvm1""#),
                ("address", r#""10.0.0.11""#),
                ("zone", r#""rack-a""#),
                ("tags", r#"["ssd"]"#),
            ],
        ),
        table(
            "[[hosts]]",
            &[
                ("name", r#""kvm2""#),
                ("address", r#""fd00::12""#),
                ("migration_address", r#""10.1.0.12""#),
                ("port", "2222"),
                ("disabled", "true"),
                ("disabled_reason", r#""maintenance""#),
            ],
        ),
    ]
}

/// Short text of any characters: controls, quotes, braces, newlines, unicode.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<char>().prop_map(String::from),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("{address}".to_string()),
        Just("{user}".to_string()),
        Just("{port}".to_string()),
        Just("{{".to_string()),
        Just("\n".to_string()),
        Just("\r".to_string()),
        Just("\u{0}".to_string()),
        Just("\u{7f}".to_string()),
        Just("\u{202e}".to_string()),
        Just("$(reboot)".to_string()),
        Just(";".to_string()),
        Just("'\"".to_string()),
        "[a-z0-9.:-]{1,6}",
    ];
    proptest::collection::vec(piece, 0..8).prop_map(|p| p.concat())
}

/// `depth` levels of arrays or inline tables around a value.
fn nested(depth: usize, tables: bool) -> String {
    if tables {
        format!("{}1{}", "{a = ".repeat(depth), "}".repeat(depth))
    } else {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    }
}

/// A TOML value, most often of the wrong type or out of range.
fn value() -> impl Strategy<Value = String> {
    let numbers = prop::sample::select(vec![
        "0",
        "-1",
        "1",
        "65535",
        "65536",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "18446744073709551615",
        "99999999999999999999999999",
        "0x7fffffff",
        "0o777",
        "0b1",
        "1_000",
        "nan",
        "+nan",
        "-nan",
        "inf",
        "+inf",
        "-inf",
        "1e308",
        "1e309",
        "-1e308",
        "4.9e-324",
        "-0.0",
        "0.0",
        "1.5",
        "true",
        "false",
        "1979-05-27T07:32:00Z",
        "1979-05-27",
        "07:32:00",
        "[]",
        "{}",
        r#"[1, "a", 2.5]"#,
        r#"{name = "x", address = "y"}"#,
        r#""""#,
        r#""""a
b""""#,
        "'lit'",
    ])
    .prop_map(str::to_string);
    prop_oneof![
        3 => numbers,
        // A basic string: JSON's escapes are TOML's (but DEL stays raw).
        3 => text().prop_map(|s| serde_json::to_string(&s).unwrap()),
        // A raw, unescaped string: often not TOML at all.
        1 => text().prop_map(|s| format!("\"{s}\"")),
        1 => proptest::collection::vec(text(), 0..4)
            .prop_map(|v| serde_json::to_string(&v).unwrap()),
        1 => (1..400usize, any::<bool>()).prop_map(|(d, t)| nested(d, t)),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|f| format!("{f:?}")),
    ]
}

/// A key: a known one most often, else any text (quoted).
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => text(),
    ]
}

fn header() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "[defaults]",
            "[[hosts]]",
            "[hosts]",
            "[[defaults]]",
            "[defaults.x]",
            "[hosts.0]",
            "[[hosts.tags]]",
            "[x]",
            "",
        ])
        .prop_map(str::to_string),
        text().prop_map(|t| format!("[{}]", serde_json::to_string(&t).unwrap())),
    ]
}

/// One change to the base inventory.
#[derive(Debug, Clone)]
enum Mutation {
    /// Set `key` to `value` in a table (replacing it or adding it).
    Set(prop::sample::Index, String, String),
    /// Remove one entry of a table.
    Remove(prop::sample::Index, prop::sample::Index),
    /// Change a table's header.
    Header(prop::sample::Index, String),
    /// Repeat a table.
    Duplicate(prop::sample::Index),
    /// Insert raw text somewhere.
    Raw(prop::sample::Index, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let i = any::<prop::sample::Index>;
    prop_oneof![
        6 => (i(), key(), value()).prop_map(|(t, k, v)| Mutation::Set(t, k, v)),
        1 => (i(), i()).prop_map(|(t, e)| Mutation::Remove(t, e)),
        1 => (i(), header()).prop_map(|(t, h)| Mutation::Header(t, h)),
        1 => i().prop_map(Mutation::Duplicate),
        1 => (i(), text()).prop_map(|(t, s)| Mutation::Raw(t, s)),
    ]
}

/// The base inventory with `mutations` applied, as TOML text.
fn mutated(mutations: &[Mutation]) -> String {
    let mut tables = base();
    let mut raw: Vec<(usize, String)> = Vec::new();
    for m in mutations {
        let n = tables.len();
        match m {
            Mutation::Set(t, k, v) => {
                let entries = &mut tables[t.index(n)].1;
                match entries.iter_mut().find(|(key, _)| key == k) {
                    Some(entry) => entry.1.clone_from(v),
                    None => entries.push((k.clone(), v.clone())),
                }
            }
            Mutation::Remove(t, e) => {
                let entries = &mut tables[t.index(n)].1;
                if !entries.is_empty() {
                    entries.remove(e.index(entries.len()));
                }
            }
            Mutation::Header(t, h) => tables[t.index(n)].0.clone_from(h),
            Mutation::Duplicate(t) => {
                let copy = tables[t.index(n)].clone();
                tables.push(copy);
            }
            Mutation::Raw(t, s) => raw.push((t.index(n), s.clone())),
        }
    }
    let mut out = String::new();
    for (i, (header, entries)) in tables.iter().enumerate() {
        out.push_str(header);
        out.push('\n');
        for (k, v) in entries {
            let bare = !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if bare {
                out.push_str(k);
            } else {
                out.push_str(&serde_json::to_string(k).unwrap());
            }
            out.push_str(" = ");
            out.push_str(v);
            out.push('\n');
        }
        for (_, s) in raw.iter().filter(|(at, _)| *at == i) {
            out.push_str(s);
            out.push('\n');
        }
    }
    out
}

#[test]
fn the_unmutated_base_is_valid() {
    super::parse_ok(&mutated(&[]));
}

proptest! {
    #![proptest_config(config(256))]

    /// Any bytes, read as the loader would (lossily here: `load` refuses
    /// what is not UTF-8 before parsing).
    #[test]
    fn any_bytes_parse_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&String::from_utf8_lossy(&bytes))?;
    }

    /// Any text, including controls and unicode.
    #[test]
    fn any_text_parses_without_panic(text in proptest::collection::vec(any::<char>(), 0..256)) {
        check(&text.into_iter().collect::<String>())?;
    }

    /// A valid inventory with a few keys, values, headers or lines changed.
    #[test]
    fn a_mutated_inventory_parses_or_says_why_on_one_line(
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        check(&mutated(&mutations))?;
    }

    /// A valid inventory followed by garbage, or cut short anywhere.
    #[test]
    fn a_valid_inventory_cut_or_extended_parses_or_says_why(
        cut in any::<prop::sample::Index>(),
        tail in text(),
    ) {
        let good = mutated(&[]);
        let mut at = cut.index(good.len() + 1);
        while !good.is_char_boundary(at) {
            at -= 1;
        }
        check(&good[..at])?;
        check(&format!("{good}{tail}"))?;
    }
}

/// Nesting far deeper than the properties reach (the 4 MiB file limit
/// allows a million levels): toml's recursion limit turns it into an
/// error, not a stack overflow.
#[test]
fn nesting_a_hundred_thousand_deep_is_a_one_line_error() {
    let depth = 100_000;
    let texts = [
        format!("x = {}\n", nested(depth, false)),
        format!("x = {}\n", nested(depth, true)),
        format!("[{}]\n", vec!["a"; depth].join(".")),
    ];
    for text in &texts {
        let e = parse_with(text, Path::new("inv.toml"), &env()).unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains("invalid TOML"), "{shown}");
        assert!(!shown.contains('\n'), "{shown}");
    }
}
