//! Lab tests of where output goes: the result on stdout (one JSON document
//! with `-o json`), progress events where `--events` says, nothing on stderr
//! with `-q` — asserted on real migrations.

use serde_json::Value;

use crate::util::{state, vmigrate, Lab, TestVm};

#[test]
fn events_go_to_a_file_or_stdout_and_never_into_a_json_report() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inventory.to_str().unwrap();
    let vm = TestVm::create("lab1", "out-events", "net");

    // Mixing event lines into the JSON document is refused; nothing moves.
    let r = vmigrate(&[
        "-i", inv, "-o", "json", "live", &vm.name, "--to", "lab2", "--events", "-",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--events -"), "{}", r.stderr);
    assert_eq!(r.json()["error"]["code"], "usage", "{}", r.stdout);
    assert_eq!(state("lab1", &vm.name), "running");
    assert_eq!(state("lab2", &vm.name), "absent");

    // To a file: the report alone on stdout, the events in the file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    let f = file.to_str().unwrap();
    let r = vmigrate(&[
        "-i",
        inv,
        "-o",
        "json",
        "-q",
        "live",
        &vm.name,
        "--to",
        "lab2",
        "--bandwidth",
        "50",
        "--events",
        f,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["outcome"], "migrated");
    assert!(r.stderr.is_empty(), "-q: {}", r.stderr);
    let events: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        events.iter().any(|e| e["event"] == "progress"),
        "{events:?}"
    );
    assert_eq!(state("lab2", &vm.name), "running");
    assert_eq!(state("lab1", &vm.name), "absent");

    // `--events -` with the table: JSON lines, then the table.
    let r = vmigrate(&["-i", inv, "live", &vm.name, "--to", "lab1", "--events", "-"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let first: Value = serde_json::from_str(r.stdout.lines().next().unwrap()).unwrap();
    assert!(first["event"].is_string(), "{}", r.stdout);
    assert_eq!(state("lab1", &vm.name), "running");
    assert_eq!(state("lab2", &vm.name), "absent");
}
