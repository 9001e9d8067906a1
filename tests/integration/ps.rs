//! `vmigrate ps` on the lab: a slow `live` of a memory-dirtying guest is
//! listed once, source → destination, with its phase and the rung of the
//! run watching it, while it runs, and no more once it ended; that run's
//! `--metrics-file` parses as `OpenMetrics` with the outcome `migrated`;
//! `--watch` stops quietly when its reader goes away.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::live::{finished, spawn_live};
use crate::util::{state, vmigrate, Everywhere, Lab, Run, TestVm, Vm};

const VM: &str = "it-ps-live";

/// `vmigrate -i INV -o json ps`: its document.
fn ps(inv: &str) -> Value {
    let r = vmigrate(&["-i", inv, "-o", "json", "ps"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
}

/// The rows of `doc` for `vm`.
fn rows<'a>(doc: &'a Value, vm: &str) -> Vec<&'a Value> {
    doc["migrations"]
        .as_array()
        .expect("migrations array")
        .iter()
        .filter(|m| m["vm"] == vm)
        .collect()
}

/// Checks `text` the way a strict `OpenMetrics` reader would (families
/// declared once with TYPE and HELP before their samples, counters'
/// samples `_total`, quoted label values, numeric values, `# EOF` last)
/// and returns its samples as (name, labels text, value).
fn parse_openmetrics(text: &str) -> Vec<(String, String, f64)> {
    let body = text
        .strip_suffix("# EOF\n")
        .unwrap_or_else(|| panic!("no # EOF last: {text}"));
    let mut declared: Vec<(String, String)> = Vec::new();
    let mut samples = Vec::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(!declared.iter().any(|(n, _)| n == name), "twice: {line}");
            assert!(kind == "gauge" || kind == "counter", "{line}");
            declared.push((name.into(), kind.into()));
        } else if line.starts_with("# HELP ") {
            let name = line.split(' ').nth(2).unwrap();
            assert_eq!(declared.last().map(|d| d.0.as_str()), Some(name), "{line}");
        } else {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = series.split_once('{').unwrap_or((series, "}"));
            assert!(labels.ends_with('}'), "{line}");
            let (fam, kind) = declared.last().expect("a sample before any TYPE");
            let want = if kind == "counter" {
                format!("{fam}_total")
            } else {
                fam.clone()
            };
            assert_eq!(name, want, "{line}");
            let v: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
            samples.push((name.into(), labels.trim_end_matches('}').into(), v));
        }
    }
    samples
}

/// Waits (up to 60 s) until `ps` lists `VM` sending data; its row. Every
/// document read on the way matches `docs/json.md` and lists `VM` at
/// most once.
fn listed(inv: &str) -> Value {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let doc = ps(inv);
        assert_eq!(doc["schema_version"], 1);
        crate::json_contract::conforms(&crate::json_contract::section("ps"), &doc);
        let seen = rows(&doc, VM);
        assert!(seen.len() <= 1, "listed twice: {doc:#}");
        // Listed from the job's start; sized once data flows.
        let sending = |r: &&&Value| {
            r["phase"] == "memory_copy" && r["progress"].as_f64().is_some_and(|p| p > 0.0)
        };
        if let Some(r) = seen.first().filter(sending) {
            break (*r).clone();
        }
        assert!(Instant::now() < until, "{VM} never listed: {doc:#}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn a_running_live_is_listed_once_with_its_rung_then_gone_and_its_metrics_parse() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let _gone = Everywhere(&[VM]);
    let _vm = TestVm::dirtying("lab1", VM, 100);
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("vmigrate.prom");
    let prom_arg = prom.to_str().unwrap();
    // 100 MiB of sweeping memory at 5 MiB/s: pre-copy alone never ends.
    let child = spawn_live(
        lab.inv(),
        &[
            VM,
            "--to",
            "lab2",
            "--bandwidth",
            "5",
            "--metrics-file",
            prom_arg,
        ],
    );
    let pid = child.id();
    let row = listed(lab.inv());
    assert_eq!(row["source"], "lab1", "{row:#}");
    assert_eq!(row["destination"], "lab2", "{row:#}");
    let rung = row["rung"].as_str().unwrap_or_default();
    assert!(rung.starts_with("downtime "), "{row:#}");
    assert!(
        row["run"].as_str().unwrap().starts_with(&format!("{pid}-")),
        "{row:#}"
    );
    let by = row["started_by"].as_str().unwrap();
    assert!(by.ends_with(&format!(" pid {pid}")), "{row:#}");
    let p = row["progress"].as_f64().unwrap();
    assert!(p > 0.0 && p < 1.0, "{row:#}");
    assert!(row["rate_bps"].as_u64().unwrap() > 0, "{row:#}");
    // What libvirt itself says of the job on the source.
    let info = crate::util::virsh("lab1", &["domjobinfo", VM]);
    assert!(info.contains("Outgoing migration"), "{info}");
    assert_eq!(state("lab2", VM), "paused", "the incoming copy");

    // Finish it: lift the cap and pause the guest for the last pass.
    let r = vmigrate(&["-i", lab.inv(), "bandwidth", VM, "1000"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = vmigrate(&["-i", lab.inv(), "force-complete", VM]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    finished(child, 0, "migrated");
    assert_eq!(state("lab2", VM), "running");
    assert_eq!(state("lab1", VM), "absent");
    assert!(rows(&ps(lab.inv()), VM).is_empty(), "listed after it ended");

    assert_metrics(&std::fs::read_to_string(&prom).unwrap());
}

/// The run's `--metrics-file`: it parses, and says `VM` migrated lab1 →
/// lab2, with its duration, downtime and memory bytes.
fn assert_metrics(text: &str) {
    let samples = parse_openmetrics(text);
    let labels = format!(r#"vm="{VM}",source="lab1",destination="lab2""#);
    let has = |name: &str, l: &str, v: Option<f64>| {
        samples
            .iter()
            .any(|(n, ls, x)| n == name && ls == l && v.is_none_or(|v| (*x - v).abs() < 1e-9))
    };
    assert!(
        has(
            "vmigrate_migration_duration_seconds",
            &format!(r#"{labels},outcome="migrated""#),
            None
        ),
        "{text}"
    );
    assert!(
        has(
            "vmigrate_migrations_total",
            r#"outcome="migrated""#,
            Some(1.0)
        ),
        "{text}"
    );
    assert!(
        has("vmigrate_migration_downtime_seconds", &labels, None),
        "{text}"
    );
    assert!(
        has(
            "vmigrate_migration_bytes_total",
            &format!(r#"{labels},kind="memory""#),
            None
        ),
        "{text}"
    );
}

#[test]
fn watch_as_json_lines_ends_quietly_when_the_reader_goes() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let mut child = Vm::cmd()
        .inventory(lab.inv())
        .json()
        .args(["ps", "--watch", "1"])
        .stdout(Stdio::piped())
        .spawn();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..2 {
        let line = lines.next().expect("a line per refresh").unwrap();
        let doc: Value = serde_json::from_str(&line).expect(&line);
        assert_eq!(doc["schema_version"], 1, "{line}");
        assert_eq!(doc["hosts"].as_array().unwrap().len(), 3, "{line}");
        crate::json_contract::conforms(&crate::json_contract::section("ps"), &doc);
    }
    drop(lines);
    let r = Run::wait(child);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}
