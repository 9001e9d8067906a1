//! The metrics text checked by a small `OpenMetrics` parser: every sample
//! belongs to the family declared before it, every family is declared
//! once with a known type and a help, label values unescape to what was
//! put in, and `# EOF` is the last line.
#![allow(
    clippy::float_cmp,
    reason = "the values are parsed back from the exact decimal text written"
)]

use std::collections::BTreeMap;

use super::openmetrics::{escape, render, Family, Kind};
use super::*;
use crate::ps::Phase;

/// One parsed sample: name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Parses `text` strictly; panics with the offending line.
fn parse(text: &str) -> Vec<Sample> {
    assert!(text.ends_with("# EOF\n"), "no # EOF at the end: {text}");
    let body = &text[..text.len() - "# EOF\n".len()];
    let mut families: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    let mut samples = Vec::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect(line);
            assert!(["gauge", "counter"].contains(&kind), "{line}");
            assert!(
                families.insert(name.into(), kind.into()).is_none(),
                "declared twice: {line}"
            );
            current = Some((name.into(), kind.into()));
        } else if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, _) = rest.split_once(' ').expect(line);
            assert_eq!(Some(name), current.as_ref().map(|c| c.0.as_str()), "{line}");
        } else {
            assert!(!line.starts_with('#'), "{line}");
            let (fam, kind) = current.as_ref().expect("sample before any TYPE");
            let want = if kind == "counter" {
                format!("{fam}_total")
            } else {
                fam.clone()
            };
            let (name, rest) = match line.find(['{', ' ']) {
                Some(i) => line.split_at(i),
                None => panic!("{line}"),
            };
            assert_eq!(name, want, "{line}");
            let (labels, value) = if let Some(r) = rest.strip_prefix('{') {
                parse_labels(r, line)
            } else {
                (BTreeMap::new(), rest)
            };
            let v: f64 = value.trim_start_matches(' ').parse().expect(line);
            samples.push((name.to_string(), labels, v));
        }
    }
    samples
}

/// Labels up to `}`, unescaped; the rest of the line.
fn parse_labels<'a>(mut r: &'a str, line: &str) -> (BTreeMap<String, String>, &'a str) {
    let mut labels = BTreeMap::new();
    loop {
        let (k, after) = r.split_once("=\"").expect(line);
        assert!(
            k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        let mut v = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().expect(line) {
                (_, '\\') => match chars.next().expect(line).1 {
                    'n' => v.push('\n'),
                    c @ ('\\' | '"') => v.push(c),
                    c => panic!("bad escape \\{c} in {line}"),
                },
                (i, '"') => break i,
                (_, '\n') => panic!("raw newline in {line}"),
                (_, c) => v.push(c),
            }
        };
        labels.insert(k.to_string(), v);
        r = &after[end + 1..];
        if let Some(rest) = r.strip_prefix(',') {
            r = rest;
        } else {
            let rest = r.strip_prefix('}').expect(line);
            return (labels, rest);
        }
    }
}

fn one(vm: &str, outcome: &str) -> Finished {
    Finished {
        vm: vm.into(),
        source: "lab1".into(),
        destination: "lab2".into(),
        outcome: outcome.into(),
        duration_secs: 3.2,
        downtime_ms: Some(24),
        memory_bytes: Some(134_750_208),
        disk_bytes: Some(25_165_824),
    }
}

#[test]
fn label_values_are_escaped_per_the_spec() {
    assert_eq!(escape(r#"a\b"c"#), r#"a\\b\"c"#);
    assert_eq!(escape("line\nbreak"), "line\\nbreak");
    let mut f = Family::new("vmigrate_x", Kind::Gauge, "help with \\ and \n");
    let odd = "web \"1\"\\\n→";
    f.add(&[("vm", odd)], 1.0);
    f.add(&[("vm", "inf")], f64::INFINITY);
    let text = render(&[f]);
    let s = parse(&text);
    assert_eq!(s.len(), 1, "the infinite sample is left out: {text}");
    assert_eq!(s[0].1["vm"], odd);
    assert!(
        text.contains("# HELP vmigrate_x help with \\\\ and \\n\n"),
        "{text}"
    );
}

#[test]
fn finished_migrations_parse_with_outcomes_counted() {
    let text = finished(&[
        one("web1", "migrated"),
        one("web2", "rolled_back"),
        one("web3", "error"),
    ]);
    let s = parse(&text);
    let get = |name: &str, label: (&str, &str)| {
        s.iter()
            .filter(|(n, l, _)| n == name && l.get(label.0).map(String::as_str) == Some(label.1))
            .map(|x| x.2)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        get("vmigrate_migrations_total", ("outcome", "migrated")),
        [1.0]
    );
    assert_eq!(
        get("vmigrate_migrations_total", ("outcome", "aborted")),
        [0.0]
    );
    assert_eq!(
        get("vmigrate_migrations_total", ("outcome", "error")),
        [1.0]
    );
    assert_eq!(
        get("vmigrate_migration_duration_seconds", ("vm", "web1")),
        [3.2]
    );
    assert_eq!(
        get("vmigrate_migration_downtime_seconds", ("vm", "web1")),
        [0.024]
    );
    assert_eq!(
        get("vmigrate_migration_bytes_total", ("kind", "disk")),
        [25_165_824.0, 25_165_824.0, 25_165_824.0]
    );
    // Nothing ended yet: the families are there, the counts zero.
    let empty = parse(&finished(&[]));
    assert!(empty
        .iter()
        .all(|(n, _, v)| n == "vmigrate_migrations_total" && *v == 0.0));
}

#[test]
fn running_migrations_parse_with_an_unknown_source_named() {
    let m = Migration {
        vm: "web1".into(),
        uuid: "u".into(),
        source: None,
        destination: Some("lab2".into()),
        phase: Phase::Unknown,
        progress: Some(0.25),
        data_total: Some(4),
        data_processed: Some(1),
        data_remaining: Some(3),
        rate_bps: None,
        eta_secs: None,
        elapsed_ms: None,
        iteration: None,
        rung: None,
        run: None,
        started_by: None,
        started_ms: None,
    };
    let s = parse(&running(&[m]));
    let run = s
        .iter()
        .find(|x| x.0 == "vmigrate_migration_running")
        .unwrap();
    assert_eq!(run.1["source"], "unknown");
    assert_eq!(run.1["phase"], "unknown");
    assert!(s
        .iter()
        .any(|x| x.0 == "vmigrate_migration_progress_ratio" && x.2 == 0.25));
    assert!(s
        .iter()
        .any(|x| x.0 == "vmigrate_migration_remaining_bytes" && x.2 == 3.0));
    assert_eq!(
        parse(&running(&[]))[0],
        ("vmigrate_migrations_running".into(), BTreeMap::new(), 0.0)
    );
}
