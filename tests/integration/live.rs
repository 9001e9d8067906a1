//! Lab tests of `vmigrate live`: real migrations between real libvirt
//! hosts, each disk kind, interrupted, aborted, and with the destination's
//! libvirtd dying mid-way. Every test asserts where the VM runs afterwards.

use std::process::{Child, Command};
use std::time::Duration;

use serde_json::Value;

use crate::util::{lab_sh, lab_try, sigint, state, virsh, vmigrate, Lab, Restart, Run, TestVm, Vm};

/// Runs `vmigrate -i INV -o json live ARGS` (in the test's state directory):
/// exit code, report (`null` if none), stderr.
pub(crate) fn live(inv: &str, args: &[&str]) -> (i32, Value, String) {
    let r = Run::wait(spawn_live(inv, args));
    (r.code, r.doc(), r.stderr)
}

/// `vmigrate -i INV -o json live ARGS`, started (in the test's state directory).
pub(crate) fn spawn_live(inv: &str, args: &[&str]) -> Child {
    Vm::cmd()
        .inventory(inv)
        .json()
        .arg("live")
        .args(args)
        .spawn()
}

fn cpu_time(host: &str, vm: &str) -> u64 {
    let out = virsh(host, &["domstats", "--cpu-total", vm]);
    out.lines()
        .find_map(|l| l.trim().strip_prefix("cpu.time="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no cpu.time in {out}"))
}

/// Migrates `vm` and checks it arrived whole: same UUID, running and
/// persistent on the destination, gone from the source, CPU time going on.
fn assert_migrated(vm: &TestVm, code: i32, doc: &Value, err: &str) -> String {
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(doc["outcome"], "migrated", "{doc:#}");
    let dest = doc["destination"].as_str().unwrap().to_string();
    assert_ne!(dest, vm.host);
    assert_eq!(state(&dest, &vm.name), "running");
    assert_eq!(
        state(&vm.host, &vm.name),
        "absent",
        "undefined on the source"
    );
    assert!(virsh(&dest, &["dominfo", &vm.name]).contains("Persistent:     yes"));
    assert!(doc["duration_ms"].as_u64().unwrap() > 0);
    assert!(
        doc["downtime_ms"].as_u64().is_some(),
        "downtime from libvirt: {doc:#}"
    );
    // An idle guest halts most of the time: ~20 ms of CPU a second,
    // counted in 10 ms steps, so watch for long enough to see it move.
    let t0 = cpu_time(&dest, &vm.name);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(cpu_time(&dest, &vm.name) > t0, "the guest keeps running");
    dest
}

/// The migrated VM now lives on `dest`: clean it up there.
fn moved(mut vm: TestVm, dest: &str) {
    vm.host = dest.to_string();
}

/// Live-migrates `vm` with `args` (plus its name) and checks it arrived
/// whole, with the same UUID; `vm` then follows it to its new host.
fn migrate_ok(inv: &str, vm: &mut TestVm, args: &[&str]) -> Value {
    let uuid = virsh(&vm.host, &["domuuid", &vm.name]);
    let mut a = vec![vm.name.as_str()];
    a.extend_from_slice(args);
    let (code, doc, err) = live(inv, &a);
    let dest = assert_migrated(vm, code, &doc, &err);
    assert_eq!(
        virsh(&dest, &["domuuid", &vm.name]),
        uuid,
        "same UUID on {dest}"
    );
    vm.host = dest;
    doc
}

#[test]
fn net_disk_to_a_named_host_then_a_scheduled_one() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let mut vm = TestVm::create("lab1", "it-live-net", "net");
    let doc = migrate_ok(inv, &mut vm, &["--to", "lab2"]);
    assert_eq!(doc["destination"], "lab2");
    assert_eq!(doc["block_migration"], false);
    migrate_ok(inv, &mut vm, &[]);
}

#[test]
fn shared_file_disk_needs_unsafe() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let mut vm = TestVm::create("lab1", "it-live-shared", "shared");
    // Without --unsafe libvirt refuses (it cannot tell the directory is
    // shared): exit 4, the VM still on the source.
    let (code, doc, _) = live(inv, &[&vm.name, "--to", "lab3"]);
    assert_eq!(code, 4, "{doc:#}");
    assert_eq!(doc["outcome"], "rolled_back");
    assert!(doc["error"].as_str().unwrap().contains("--unsafe"));
    assert_eq!(state("lab1", &vm.name), "running");
    assert_eq!(state("lab3", &vm.name), "absent");
    let doc = migrate_ok(inv, &mut vm, &["--to", "lab3", "--unsafe"]);
    assert_eq!(
        doc["block_migration"], false,
        "shared storage is not copied"
    );
    migrate_ok(inv, &mut vm, &["--unsafe"]);
}

#[test]
fn local_disk_by_block_migration_to_a_named_then_a_scheduled_host() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let mut vm = TestVm::create("lab1", "it-live-local", "local");
    let disk = "/var/lib/libvirt/images/it-live-local.qcow2";
    for args in [&["--to", "lab2"][..], &[][..]] {
        let from = vm.host.clone();
        let doc = migrate_ok(inv, &mut vm, args);
        assert_eq!(doc["block_migration"], true);
        assert!(
            lab_try(&["exec", &vm.host, "test", "-s", disk]),
            "disk copied to {}",
            vm.host
        );
        assert!(
            !lab_try(&["exec", &from, "test", "-e", disk]),
            "stale copy removed from {from}"
        );
    }
}

/// A block migration from lab1 slow enough to interrupt: 24 MiB of disk
/// data at 2 MiB/s.
pub(crate) fn slow_vm(name: &str) -> TestVm {
    TestVm::filled("lab1", name, 24)
}

/// Waits for a spawned `live`, checks its exit code and outcome.
pub(crate) fn finished(child: Child, code: i32, outcome: &str) -> Value {
    let r = Run::wait(child);
    assert_eq!(r.code, code, "{}", r.stderr);
    let doc = r.json();
    assert_eq!(doc["outcome"], outcome, "{doc:#}");
    doc
}

/// Waits (up to 60 s: the checks come first, and a slow machine is slow)
/// until the migration of `vm` to `dest` is under way, then a moment more.
pub(crate) fn under_way(dest: &str, vm: &str) {
    for _ in 0..600 {
        if state(dest, vm) == "paused" {
            std::thread::sleep(Duration::from_millis(500));
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the migration of {vm} to {dest} did not start");
}

fn assert_still_on_source(vm: &TestVm, dest: &str) {
    assert_eq!(
        state(&vm.host, &vm.name),
        "running",
        "VM runs on the source"
    );
    assert_eq!(state(dest, &vm.name), "absent", "nothing left on {dest}");
    let disk = format!("/var/lib/libvirt/images/{}.qcow2", vm.name);
    assert!(
        !lab_try(&["exec", dest, "test", "-e", &disk]),
        "pre-created disk removed from {dest}"
    );
}

#[test]
fn ctrl_c_mid_migration_aborts_and_leaves_the_vm_on_the_source() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let vm = slow_vm("it-live-int");
    let child = spawn_live(inv, &[&vm.name, "--to", "lab2", "--bandwidth", "2"]);
    under_way("lab2", &vm.name);
    sigint(&child);
    finished(child, 130, "aborted");
    assert_still_on_source(&vm, "lab2");
}

#[test]
fn abort_from_another_process() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let vm = slow_vm("it-live-abort");
    let child = spawn_live(inv, &[&vm.name, "--to", "lab3", "--bandwidth", "2"]);
    under_way("lab3", &vm.name);
    // In the test's state directory, as the run it stops.
    let r = vmigrate(&["-i", inv, "-o", "json", "abort", &vm.name]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["aborted"], true);
    finished(child, 130, "aborted");
    assert_still_on_source(&vm, "lab3");
}

#[test]
#[ignore = "the fault matrix's destination-libvirtd × memory-copy cell runs this case in CI; run with --ignored"]
fn destination_libvirtd_killed_mid_migration() {
    let Some((lab, _guard)) = Lab::exclusive() else {
        return;
    };
    let inv = lab.inv();
    let vm = slow_vm("it-live-kill");
    let child = spawn_live(inv, &[&vm.name, "--to", "lab3", "--bandwidth", "2"]);
    under_way("lab3", &vm.name);
    let restart = Restart("lab3");
    lab_sh(&["libvirtd", "stop", "lab3"]);
    let doc = finished(child, 4, "rolled_back");
    drop(restart);
    assert_eq!(doc["running_on"], "lab1");
    // The restarted libvirtd drops the unfinished incoming domain.
    std::thread::sleep(Duration::from_secs(1));
    assert_still_on_source(&vm, "lab3");
}

#[test]
fn second_run_on_the_same_vm_is_refused() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let vm = slow_vm("it-live-lock");
    let child = spawn_live(inv, &[&vm.name, "--to", "lab2", "--bandwidth", "4"]);
    under_way("lab2", &vm.name);
    // The same state directory (the test's) holds the first run's lock.
    let (code, _, err) = live(inv, &[&vm.name, "--to", "lab3"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("already migrating"), "{err}");
    finished(child, 0, "migrated");
    assert_eq!(state("lab2", &vm.name), "running");
    moved(vm, "lab2");
}

#[test]
fn kill_9_mid_migration_then_recover() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let vm = slow_vm("it-live-k9");
    let mut child = spawn_live(inv, &[&vm.name, "--to", "lab2", "--bandwidth", "2"]);
    under_way("lab2", &vm.name);
    child.kill().unwrap(); // SIGKILL: no cleanup of any kind
    let _ = child.wait();
    // Whatever libvirt does with the orphaned job, let it finish first.
    for _ in 0..60 {
        // Gone from the source (the migration completed without us) or no job left.
        let out = Command::new(crate::util::lab_script())
            .args(["virsh", "lab1", "domjobinfo", &vm.name])
            .output()
            .unwrap();
        if !out.status.success() || String::from_utf8_lossy(&out.stdout).contains("None") {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    // It reads the killed run's journal: the test's state directory.
    let r = vmigrate(&["-i", inv, "-o", "json", "recover", &vm.name]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let doc = r.json();
    assert_eq!(doc["consistent"], true);
    // Exactly one running copy and one defined copy, on the same host.
    let hosts = ["lab1", "lab2", "lab3"];
    let running: Vec<&str> = hosts
        .iter()
        .copied()
        .filter(|h| state(h, &vm.name) == "running")
        .collect();
    let present: Vec<&str> = hosts
        .iter()
        .copied()
        .filter(|h| state(h, &vm.name) != "absent")
        .collect();
    assert_eq!(running.len(), 1, "{doc:#}");
    assert_eq!(present, running, "defined only where it runs: {doc:#}");
    assert_eq!(doc["running_on"], running[0]);
    if running[0] == "lab1" {
        assert_still_on_source(&vm, "lab2");
    } else {
        moved(vm, running[0]);
    }
}

#[test]
fn recover_resumes_a_vm_left_paused() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let vm = TestVm::create("lab1", "it-live-paused", "net");
    lab_sh(&["virsh", "lab1", "suspend", &vm.name]);
    let r = vmigrate(&["-i", inv, "-o", "json", "recover", &vm.name, "--dry-run"]);
    assert_eq!(r.code, 5, "a dry run changes nothing: {}", r.stdout);
    assert_eq!(state("lab1", &vm.name), "paused");
    let r = vmigrate(&["-i", inv, "-o", "json", "recover", &vm.name]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(state("lab1", &vm.name), "running");
}

#[test]
fn max_downtime_reaches_libvirt_and_the_journal_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let Some((lab, guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let vm = slow_vm("it-live-downtime");
    let child = spawn_live(
        inv,
        &[
            &vm.name,
            "--to",
            "lab2",
            "--bandwidth",
            "4",
            "--max-downtime",
            "777",
            // No ladder: the max applies from the start (the ladder's own
            // steps are tested in convergence.rs).
            "--policy",
            "off",
        ],
    );
    under_way("lab2", &vm.name);
    // Set at the first 0.5 s tick that sees the job running.
    let mut got = String::new();
    for _ in 0..50 {
        got = virsh("lab1", &["migrate-getmaxdowntime", &vm.name]);
        if got.trim() == "777" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(got.trim(), "777", "libvirt's max downtime during the job");
    finished(child, 0, "migrated");
    let journal = guard.state().join("journal.jsonl");
    let mode = std::fs::metadata(&journal).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", journal.display());
    let text = std::fs::read_to_string(&journal).unwrap();
    for step in [
        "start",
        "precreate_disk",
        "migrate_start",
        "migrate_done",
        "finish",
    ] {
        assert!(
            text.lines()
                .any(|l| l.contains(&format!("\"step\":\"{step}\"")) && l.contains(&vm.name)),
            "journal lacks {step}"
        );
    }
    moved(vm, "lab2");
}

#[test]
fn memory_dirtying_guest_arrives_with_its_memory_intact() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let mut vm = TestVm::dirtying("lab1", "it-live-dirty", 100);
    let doc = migrate_ok(inv, &mut vm, &["--to", "lab2"]);
    assert!(
        doc["data_bytes"].as_u64().unwrap() > 50 << 20,
        "the dirtied pages were sent: {doc:#}"
    );
    vm.assert_memory_intact("lab2");
}

#[test]
fn block_migration_counts_the_disk_bytes_it_copied() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let name = "run-live-diskbytes";
    let mut vm = TestVm::filled("lab1", name, 16);
    let info = virsh("lab1", &["domblkinfo", name, "vda"]);
    let allocated: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("Allocation:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no allocation in {info}"));
    assert!(allocated >= 16 << 20, "{info}");
    // Capped so that the copy spans several of the watcher's ticks.
    let doc = migrate_ok(inv, &mut vm, &["--to", "lab2", "--bandwidth", "16"]);
    assert_eq!(doc["block_migration"], true);
    let (data, disk) = (doc["data_bytes"].as_u64(), doc["disk_bytes"].as_u64());
    assert!(disk.unwrap_or(0) >= allocated, "{doc:#}");
    assert!(
        data.unwrap_or(0) > disk.unwrap_or(0),
        "memory and disk: {doc:#}"
    );
}
