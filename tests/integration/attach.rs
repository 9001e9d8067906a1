//! Lab tests of `vmigrate attach`: a `live` killed with SIGKILL mid-copy
//! leaves its peer-to-peer migration running alone on the source; attach
//! takes it over with the run's policy from the journal and concludes it
//! as `live` would. Every test asserts where the VM runs afterwards.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::live::{slow_vm, spawn_live, under_way};
use crate::util::{lab_try, sigint, state, virsh, wait_for, Lab, Run, TestVm, Vm};

/// `vmigrate -i INV -o json attach VM`, started (the test's state directory).
fn spawn_attach(inv: &str, vm: &str) -> Child {
    Vm::cmd().inventory(inv).json().args(["attach", vm]).spawn()
}

/// SIGKILL to a running `live`: no cleanup of any kind.
fn kill_9(mut child: Child) {
    child.kill().unwrap();
    let _ = child.wait();
}

/// The journal's records, as (run, step) in order.
fn journal(state_dir: &Path) -> Vec<(String, String, Value)> {
    let text = std::fs::read_to_string(state_dir.join("journal.jsonl")).unwrap();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| {
            let run = v["run"].as_str().unwrap_or_default().to_string();
            let step = v["step"].as_str().unwrap_or_default().to_string();
            (run, step, v["details"].clone())
        })
        .collect()
}

/// The steps the process that journalled `attach` wrote, in order; it
/// journalled `attach` first, with its own process id.
fn attach_steps(state_dir: &Path, pid: u32) -> Vec<String> {
    let records = journal(state_dir);
    let (run, _, details) = records
        .iter()
        .find(|(_, step, _)| step == "attach")
        .expect("an attach record");
    assert_eq!(details["pid"], pid, "attach journals its own pid");
    records
        .iter()
        .filter(|(r, _, _)| r == run)
        .map(|(_, step, _)| step.clone())
        .collect()
}

/// The VM runs on `host` only and is defined there only.
fn only_on(vm: &str, host: &str) {
    for h in ["lab1", "lab2", "lab3"] {
        let want = if h == host { "running" } else { "absent" };
        assert_eq!(state(h, vm), want, "{vm} on {h}");
    }
    assert!(virsh(host, &["dominfo", vm]).contains("Persistent:     yes"));
}

#[test]
fn a_killed_run_is_attached_to_and_completes() {
    let Some((lab, guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let mut vm = slow_vm("it-attach-k9");
    let live = spawn_live(inv, &[&vm.name, "--to", "lab2", "--bandwidth", "4"]);
    under_way("lab2", &vm.name);
    kill_9(live);
    let child = spawn_attach(inv, &vm.name);
    let pid = child.id();
    let r = Run::wait(child);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let doc = r.json();
    assert_eq!(doc["outcome"], "migrated", "{doc:#}");
    assert_eq!(doc["attached"], true);
    assert_eq!(doc["running_on"], "lab2");
    assert_eq!(doc["policy"]["bandwidth_mib"], 4, "the run's policy");
    vm.host = "lab2".into();
    only_on(&vm.name, "lab2");
    // The source's copy of the block-migrated disk is gone, as after `live`.
    let disk = format!("/var/lib/libvirt/images/{}.qcow2", vm.name);
    assert!(!lab_try(&["exec", "lab1", "test", "-e", &disk]));
    let steps = attach_steps(guard.state(), pid);
    assert_eq!(
        steps.first().map(String::as_str),
        Some("attach"),
        "{steps:?}"
    );
    assert_eq!(
        steps.last().map(String::as_str),
        Some("finish"),
        "{steps:?}"
    );
}

#[test]
fn attach_applies_the_runs_completion_timeout_from_the_jobs_start() {
    let Some((lab, guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    // Dirties ~20 MiB/s against a 4 MiB/s cap: it never converges.
    let vm = TestVm::dirtying("lab1", "it-attach-timeout", 100);
    let args = [
        vm.name.as_str(),
        "--to",
        "lab2",
        "--bandwidth",
        "4",
        "--no-auto-converge",
        "--completion-timeout",
        "20",
        "--on-timeout",
        "abort",
    ];
    let live = spawn_live(inv, &args);
    under_way("lab2", &vm.name);
    std::thread::sleep(Duration::from_secs(5));
    kill_9(live);
    let t0 = Instant::now();
    let child = spawn_attach(inv, &vm.name);
    let pid = child.id();
    let r = Run::wait(child);
    let took = t0.elapsed();
    // As `live` ends a timeout abort: failed, rolled back (exit 4).
    assert_eq!(r.code, 4, "{}\n{}", r.stdout, r.stderr);
    let doc = r.json();
    assert_eq!(doc["outcome"], "rolled_back", "{doc:#}");
    assert!(
        doc["error"]
            .as_str()
            .unwrap()
            .contains("completion timeout"),
        "{doc:#}"
    );
    let abort = doc["policy_steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rung"] == "abort")
        .unwrap_or_else(|| panic!("no abort step: {doc:#}"));
    let at = abort["at_ms"].as_u64().unwrap();
    assert!(
        (20_000..25_000).contains(&at),
        "aborted at {at} ms of the job"
    );
    // The timeout counted from the job's start, not from attaching.
    assert!(
        took.as_millis() < u128::from(at) - 3_000,
        "attach took {took:?}"
    );
    only_on(&vm.name, "lab1");
    let steps = attach_steps(guard.state(), pid);
    assert!(steps.contains(&"policy_abort".to_string()), "{steps:?}");
    assert_eq!(
        steps.last().map(String::as_str),
        Some("finish"),
        "{steps:?}"
    );
}

#[test]
fn attach_refuses_a_watched_or_finished_run() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let vm = slow_vm("it-attach-refuse");
    let attach = |name: &str| Run::wait(spawn_attach(inv, name));
    let r = attach(&vm.name);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no unfinished migration of it-attach-refuse"),
        "{}",
        r.stderr
    );
    let live = spawn_live(inv, &[&vm.name, "--to", "lab2", "--bandwidth", "2"]);
    under_way("lab2", &vm.name);
    let r = attach(&vm.name);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let watched = format!("being watched by vmigrate (pid {})", live.id());
    assert!(r.stderr.contains(&watched), "{}", r.stderr);
    assert_eq!(
        state("lab2", &vm.name),
        "paused",
        "still migrating: nothing changed"
    );
    sigint(&live);
    let done = Run::wait(live);
    assert_eq!(done.code, 130, "{}", done.stderr);
    let r = attach(&vm.name);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("finished (aborted)"), "{}", r.stderr);
    only_on(&vm.name, "lab1");
}

#[test]
fn ctrl_c_to_attach_aborts_and_leaves_the_vm_on_the_source() {
    let Some((lab, guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let vm = slow_vm("it-attach-int");
    let live = spawn_live(inv, &[&vm.name, "--to", "lab2", "--bandwidth", "2"]);
    under_way("lab2", &vm.name);
    kill_9(live);
    let child = spawn_attach(inv, &vm.name);
    let state_dir = guard.state().to_path_buf();
    wait_for(30, "attach to journal its takeover", || {
        journal(&state_dir)
            .iter()
            .any(|(_, step, _)| step == "attach")
    });
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(state("lab2", &vm.name), "paused", "still migrating");
    sigint(&child);
    let pid = child.id();
    let r = Run::wait(child);
    assert_eq!(r.code, 130, "{}\n{}", r.stdout, r.stderr);
    let doc = r.json();
    assert_eq!(doc["outcome"], "aborted", "{doc:#}");
    assert_eq!(doc["interrupted"], true);
    only_on(&vm.name, "lab1");
    assert_eq!(state("lab1", &vm.name), "running");
    let disk = format!("/var/lib/libvirt/images/{}.qcow2", vm.name);
    assert!(
        !lab_try(&["exec", "lab2", "test", "-e", &disk]),
        "pre-created disk removed"
    );
    let steps = attach_steps(guard.state(), pid);
    let asked = steps.iter().position(|s| s == "abort_requested");
    assert!(asked.is_some(), "the abort is journalled: {steps:?}");
}
