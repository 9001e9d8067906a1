//! Lab tests of capacity claims: runs started together against a
//! destination with room for one, a claim left by a run killed with -9, a
//! claim held by some other process (counted) and then abandoned (stale),
//! and the claims directory's modes under a hostile umask.
//!
//! Every test here sizes a destination to the memory its domains use right
//! now, so it takes the lab exclusively: another test's VM appearing there
//! would change the room it measured.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::live::{live, slow_vm, spawn_live, under_way};
use crate::util::{
    check_row, host_row, lab_script, lab_sh, lab_try, state, vmigrate, Everywhere, Lab, Run,
    TestVm, Vm,
};

/// Where vmigrate keeps claims on a host.
const DIR: &str = "/run/vmigrate/claims";

/// An inventory in which each `(host, MiB)` has exactly that much memory
/// left for new VMs (its reserve is what its domains do not use now).
/// The lab hosts' total memory (libvirt's figure for this machine) was seen
/// to grow in 128 MiB steps while tests ran: the tests leave 64 MiB spare
/// and use 256 MiB VMs, so one such step never makes room for two.
fn room_for(lab: &Lab, dir: &Path, rooms: &[(&str, u64)]) -> String {
    let doc = vmigrate(&["-i", lab.inv(), "-o", "json", "hosts"]).json();
    let mut text = lab.inventory_text.clone();
    for (host, room) in rooms {
        let row = host_row(&doc, host);
        let total = row["memory_total_mb"].as_u64().expect("total memory");
        let used = row["memory_allocated_mb"]
            .as_u64()
            .expect("allocated memory");
        text = text.replace(
            &format!("name = \"{host}\""),
            &format!(
                "name = \"{host}\"\nreserved_host_memory_mb = {}",
                total - used - room
            ),
        );
    }
    let path = lab.inventory_with(dir, |_| text);
    path.to_str().unwrap().to_string()
}

/// The claim files on `host` (dot files, the lock, excluded).
fn claim_files(host: &str) -> Vec<String> {
    let out = Command::new(lab_script())
        .args(["exec", host, "ls", "-1", DIR])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            std::path::Path::new(l)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        })
        .map(str::to_string)
        .collect()
}

/// Octal mode of `path` on `host`.
fn mode(host: &str, path: &str) -> String {
    lab_sh(&["exec", host, "stat", "-c", "%a", path])
        .trim()
        .to_string()
}

/// The message of check `id` in a report.
fn check_message(doc: &Value, id: &str) -> String {
    check_row(doc, id)["message"].as_str().unwrap().to_string()
}

/// The message of the first failed check.
fn failed_message(doc: &Value) -> String {
    doc["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks in {doc:#}"))
        .iter()
        .find(|c| c["status"] == "fail")
        .unwrap_or_else(|| panic!("no failed check in {doc:#}"))["message"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Removes a file from a lab host however the test ends.
struct Removed(&'static str, String);

impl Drop for Removed {
    fn drop(&mut self) {
        lab_try(&["exec", self.0, "rm", "-f", &self.1]);
    }
}

/// Waits for every run: exit code, report (`null` if none), stderr.
fn wait_all(children: Vec<Child>) -> Vec<(i32, Value, String)> {
    children
        .into_iter()
        .map(|c| {
            let r = Run::wait(c);
            (r.code, r.doc(), r.stderr)
        })
        .collect()
}

/// Where `vm` is defined, over the whole lab: the ground truth.
fn present_on(vm: &str) -> Vec<String> {
    ["lab1", "lab2", "lab3"]
        .iter()
        .filter(|h| state(h, vm) != "absent")
        .map(std::string::ToString::to_string)
        .collect()
}

#[test]
fn two_runs_started_together_only_the_one_that_fits_is_admitted() {
    let Some((lab, _guard)) = Lab::exclusive() else {
        return;
    };
    let _vms = Everywhere(&["clm-together-a", "clm-together-b"]);
    let a = big_vm("clm-together-a");
    let b = big_vm("clm-together-b");
    let dir = tempfile::tempdir().unwrap();
    let inv = room_for(lab, dir.path(), &[("lab3", 256 + 64)]);
    let runs = wait_all(vec![
        spawn_live(&inv, &[&a.name, "--to", "lab3"]),
        spawn_live(&inv, &[&b.name, "--to", "lab3"]),
    ]);
    let codes: Vec<i32> = runs.iter().map(|r| r.0).collect();
    let (win, lose) = match codes.as_slice() {
        [0, 3] => (0, 1),
        [3, 0] => (1, 0),
        _ => panic!("one run admitted, one refused; got {codes:?}: {runs:#?}"),
    };
    let names = [a.name.clone(), b.name.clone()];
    let (winner, loser) = (&names[win], &names[lose]);
    assert_eq!(
        runs[lose].1["outcome"], "not_migratable",
        "{:#}",
        runs[lose].1
    );
    // Refused by its claim; or, had its facts been read after the winner
    // claimed, by the memory check that counts the winner's claim.
    let why = failed_message(&runs[lose].1);
    assert!(
        why.contains(winner.as_str()) && why.contains("run "),
        "names the competing claim: {why}"
    );
    // Each VM runs on exactly one host: the winner on lab3, the loser home.
    assert_eq!(present_on(winner), vec!["lab3"]);
    assert_eq!(state("lab3", winner), "running");
    assert_eq!(present_on(loser), vec!["lab1"]);
    assert_eq!(state("lab1", loser), "running");
    assert!(claim_files("lab3").is_empty(), "released at the end");
}

#[test]
fn the_scheduler_tries_the_next_host_when_its_first_choice_is_claimed() {
    let Some((lab, _guard)) = Lab::exclusive() else {
        return;
    };
    let _vms = Everywhere(&["clm-retry-a", "clm-retry-b"]);
    let a = big_vm("clm-retry-a");
    let b = big_vm("clm-retry-b");
    let dir = tempfile::tempdir().unwrap();
    // Both runs prefer lab3 (more room); each host takes only one VM.
    let inv = room_for(lab, dir.path(), &[("lab3", 256 + 64), ("lab2", 256 + 32)]);
    let runs = wait_all(vec![
        spawn_live(&inv, &[&a.name]),
        spawn_live(&inv, &[&b.name]),
    ]);
    for (code, doc, err) in &runs {
        assert_eq!(*code, 0, "{err}\n{doc:#}");
    }
    let mut dests: Vec<String> = runs
        .iter()
        .map(|r| r.1["destination"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(present_on(&a.name), vec![dests[0].clone()]);
    assert_eq!(present_on(&b.name), vec![dests[1].clone()]);
    dests.sort();
    assert_eq!(dests, vec!["lab2", "lab3"], "one VM on each: {runs:#?}");
    assert!(claim_files("lab3").is_empty() && claim_files("lab2").is_empty());
}

/// A 256 MiB idle guest on lab1, its disk on the lab's NBD server.
fn big_vm(name: &str) -> TestVm {
    TestVm::create_with("lab1", name, &["--disk", "net", "--memory", "256"])
}

#[test]
fn a_claim_of_a_run_killed_with_9_is_released_and_modes_hold_under_umask_000() {
    let Some((lab, _guard)) = Lab::exclusive() else {
        return;
    };
    let _vms = Everywhere(&["clm-killed", "clm-after"]);
    let slow = slow_vm("clm-killed");
    let next = TestVm::create("lab1", "clm-after", "net");
    let dir = tempfile::tempdir().unwrap();
    let inv = room_for(lab, dir.path(), &[("lab3", 128 + 64)]);
    // A claims directory someone left open to everyone is tightened again.
    lab_sh(&["exec", "lab3", "mkdir", "-p", DIR]);
    lab_sh(&["exec", "lab3", "chmod", "777", DIR]);
    // vmigrate run under a hostile umask.
    let mut child = Vm::cmd()
        .inventory(&inv)
        .json()
        .args(["live", &slow.name, "--to", "lab3", "--bandwidth", "2"])
        .umask_000()
        .spawn();
    under_way("lab3", &slow.name);
    let files = claim_files("lab3");
    assert_eq!(files.len(), 1, "one claim while migrating: {files:?}");
    let file = format!("{DIR}/{}", files[0]);
    assert_eq!(mode("lab3", DIR), "700");
    assert_eq!(mode("lab3", &file), "600");
    assert_eq!(mode("lab3", &format!("{DIR}/.lock")), "600");
    let claim: Value = serde_json::from_str(&lab_sh(&["exec", "lab3", "cat", &file])).unwrap();
    assert_eq!(claim["vm"], slow.name);
    assert_eq!(claim["ram_mb"], 128);
    assert!(claim["disk_mb"].as_u64().unwrap() > 0, "{claim}");

    child.kill().unwrap(); // SIGKILL: vmigrate cleans up nothing
    let _ = child.wait();
    // The host lets go of the dead run's claim on its own.
    let mut left = claim_files("lab3");
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
        left = claim_files("lab3");
    }
    assert!(left.is_empty(), "claim of the killed run left: {left:?}");
    // Stop the migration the dead run left behind: the VM stays on lab1.
    lab_try(&["virsh", "lab1", "domjobabort", &slow.name]);
    for _ in 0..100 {
        if state("lab3", &slow.name) == "absent" {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(present_on(&slow.name), vec!["lab1"]);
    lab_try(&["vm", "destroy", "lab3", &slow.name]); // its pre-created disk

    // The room is free again: a later run is admitted.
    let (code, doc, err) = live(&inv, &[&next.name, "--to", "lab3"]);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(present_on(&next.name), vec!["lab3"]);
}

/// A process on `host` holding an exclusive lock on `file`, as a running
/// vmigrate does, until its stdin is closed.
fn hold(host: &str, file: &str) -> Child {
    let mut child = Command::new(lab_script())
        .args(["exec", host, "flock", "-x", file, "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..50 {
        if !lab_try(&["exec", host, "flock", "-n", "-s", file, "true"]) {
            return child;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(child.stdin.take());
    let _ = child.wait();
    panic!("the lock on {file} was not taken");
}

#[test]
fn a_held_claim_is_counted_by_check_and_live_and_a_stale_one_is_removed() {
    let Some((lab, _guard)) = Lab::exclusive() else {
        return;
    };
    let _vms = Everywhere(&["clm-counted"]);
    let vm = big_vm("clm-counted");
    let dir = tempfile::tempdir().unwrap();
    let inv = room_for(lab, dir.path(), &[("lab3", 256 + 64)]);
    // Another run's claim on lab3: 256 MiB for "clm-other".
    let file = format!("{DIR}/clm-test-run.00000000-0000-0000-0000-00000000c1a1.json");
    let json = r#"{"run":"clm-test-run","vm":"clm-other","vm_uuid":"00000000-0000-0000-0000-00000000c1a1","ram_mb":256,"vcpus":1,"disk_mb":0,"since_ms":0,"client":"a test"}"#;
    lab_sh(&["exec", "lab3", "mkdir", "-p", "-m", "700", DIR]);
    lab_sh(&[
        "exec",
        "lab3",
        "sh",
        "-c",
        "printf '%s\\n' \"$1\" > \"$2\"",
        "sh",
        json,
        &file,
    ]);
    let _file = Removed("lab3", file.clone());
    let mut holder = hold("lab3", &file);

    let r = vmigrate(&["-i", &inv, "-o", "json", "check", &vm.name, "--to", "lab3"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    let m = check_message(&r.json(), "dest.memory");
    assert!(
        m.contains("clm-other") && m.contains("clm-test-run"),
        "check names the claim it counted: {m}"
    );
    let (code, doc, err) = live(&inv, &[&vm.name, "--to", "lab3"]);
    assert_eq!(code, 3, "{err}\n{doc:#}");
    assert_eq!(present_on(&vm.name), vec!["lab1"]);
    assert!(
        claim_files("lab3").len() == 1,
        "check and a refused live leave the claims alone"
    );

    // Its holder dies: the claim is stale, counted by no one and removed.
    drop(holder.stdin.take());
    holder.wait().unwrap();
    let r = vmigrate(&["-i", &inv, "-o", "json", "check", &vm.name, "--to", "lab3"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let (code, doc, err) = live(&inv, &[&vm.name, "--to", "lab3"]);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(present_on(&vm.name), vec!["lab3"]);
    assert!(
        claim_files("lab3").is_empty(),
        "the stale claim was removed"
    );
}
