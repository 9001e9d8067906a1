//! Lab tests of `vmigrate live` when something goes wrong at an awkward
//! moment: Ctrl-C at the very start of the migration, the *source's*
//! libvirtd dying mid-way, the destination's disk filling up during a block
//! migration. Each asserts that the exit code and the report agree with
//! where `virsh` on the lab hosts finds the VM afterwards.

use std::io::Read;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::live::{spawn_live, under_way};
use crate::util::{
    destroy_everywhere, lab_sh, lab_try, sigint, state, virsh, vmigrate, Everywhere, Lab, Restart,
    TestVm, Vm,
};

/// Polls the journal in the state directory `dir` (every millisecond: the
/// point is to act at once) until a `step` record appears; panics with the
/// run's output if it ended first. `dir` must be the run's own: an earlier
/// run's record would match at once.
fn wait_step(dir: &Path, child: &mut Child, step: &str, limit: Duration) {
    let path = dir.join("journal.jsonl");
    let needle = format!("\"step\":\"{step}\"");
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if std::fs::read_to_string(&path).is_ok_and(|t| t.contains(&needle)) {
            return;
        }
        if child.try_wait().unwrap().is_some() {
            let (code, doc, err) = outcome_of(child);
            panic!("the run ended (exit {code}) before its {step} record: {doc:#}\n{err}");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("no {step} record in {} after {limit:?}", path.display());
}

/// Waits for a spawned run: exit code, parsed report, stderr.
fn outcome(mut child: Child) -> (i32, Value, String) {
    outcome_of(&mut child)
}

fn outcome_of(child: &mut Child) -> (i32, Value, String) {
    // stdout (the report) first, to its end; stderr holds a few lines.
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    let doc = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr:\n{stderr}"));
    (status.code().unwrap_or(-1), doc, stderr)
}

/// The one lab host `vm` runs on; panics unless it runs on exactly one
/// host and is defined (or present at all) on that host only.
fn only_home(vm: &str) -> String {
    let hosts = lab_sh(&["hosts"]);
    let found: Vec<(&str, String)> = hosts.lines().map(|h| (h, state(h, vm))).collect();
    let running: Vec<&str> = found
        .iter()
        .filter(|(_, s)| s == "running")
        .map(|(h, _)| *h)
        .collect();
    let present: Vec<&str> = found
        .iter()
        .filter(|(_, s)| s != "absent")
        .map(|(h, _)| *h)
        .collect();
    assert_eq!(
        running.len(),
        1,
        "{vm} must run on exactly one host: {found:?}"
    );
    assert_eq!(
        present, running,
        "{vm} must exist only where it runs: {found:?}"
    );
    running[0].to_string()
}

/// Waits (up to 30 s) until `vm` has no libvirt job on `host`: an aborted
/// job's last steps may still run when `live` has already reported.
fn idle(host: &str, vm: &str) {
    for _ in 0..150 {
        let out = virsh(host, &["domjobinfo", vm]);
        if out.contains("None") {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{vm} still has a job on {host}");
}

/// Ctrl-C as the migration starts: before the fix the single abort met
/// "no job is active" (the source libvirtd had not begun the job yet), was
/// dropped, and the migration completed with exit 0 after stderr said the
/// VM stays on its source. Seen with the interrupt 20, 40 and 90 ms after
/// the run's `start` record, while the watching connection was being
/// opened: the interrupt then waited for the migrate call and raced it. The
/// sweep covers that set-up (about 100 ms) and the call's first moments.
#[test]
fn ctrl_c_at_the_very_start_of_the_migration_aborts_it() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let _clean = Everywhere(&["run-int-start"]);
    let vm = TestVm::create("lab1", "run-int-start", "net");
    let sweep = [
        ("start", 20),
        ("start", 45),
        ("start", 70),
        ("start", 95),
        ("migrate_start", 0),
    ];
    for (anchor, delay_ms) in sweep {
        idle("lab1", &vm.name);
        // Each try in a state directory of its own: `wait_step` watches
        // for this run's records only.
        let dir = tempfile::tempdir().unwrap();
        // The cap keeps the copy going long enough for an abort to land.
        let mut child = Vm::cmd()
            .inventory(inv)
            .json()
            .args(["live", &vm.name, "--to", "lab2", "--bandwidth", "1"])
            .state(dir.path())
            .spawn();
        wait_step(dir.path(), &mut child, anchor, Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(delay_ms));
        sigint(&child);
        let (code, doc, err) = outcome(child);
        let home = only_home(&vm.name);
        let when = format!("Ctrl-C {delay_ms} ms after {anchor}");
        // Whatever happened, the report says where the VM is.
        assert_eq!(doc["running_on"], home.as_str(), "{when}: {doc:#}\n{err}");
        match code {
            130 => assert_eq!(doc["outcome"], "aborted", "{when}: {doc:#}"),
            0 => assert_eq!(doc["outcome"], "migrated", "{when}: {doc:#}"),
            c => panic!("{when}: exit {c}: {doc:#}\n{err}"),
        }
        assert_eq!(
            (code, home.as_str()),
            (130, "lab1"),
            "{when} was lost: {doc:#}\n{err}"
        );
        assert_eq!(doc["interrupted"], true, "{when}: {doc:#}");
    }
}

/// The source's libvirtd dies mid-migration. QEMU keeps running without
/// it, so the VM runs on the source all along; before the fix the report
/// took the destination's paused incoming copy for the running VM
/// (`running_on` the destination) and blamed the destination.
#[test]
fn source_libvirtd_dying_mid_migration_is_reported_as_the_sources_failure() {
    let Some((lab, _guard)) = Lab::exclusive() else {
        return;
    };
    let inv = lab.inv();
    let _clean = Everywhere(&["run-src-dies"]);
    let vm = TestVm::dirtying("lab1", "run-src-dies", 100);
    // At this cap the first pass alone takes over 10 s: mid-way for sure.
    let child = spawn_live(
        inv,
        &[
            &vm.name,
            "--to",
            "lab2",
            "--bandwidth",
            "10",
            "--no-auto-converge",
        ],
    );
    under_way("lab2", &vm.name);
    let restart = Restart("lab1");
    lab_sh(&["libvirtd", "stop", "lab1"]);
    let (code, doc, err) = outcome(child);
    assert_eq!(
        (code, &doc["outcome"]),
        (5, &Value::from("unknown")),
        "{doc:#}\n{err}"
    );
    assert_eq!(
        doc["running_on"],
        Value::Null,
        "a paused incoming copy is not where the VM runs: {doc:#}"
    );
    let error = doc["error"].as_str().unwrap();
    assert!(
        error.contains("lab1's libvirtd stopped answering"),
        "{error}"
    );
    assert!(
        !error.contains("destination"),
        "the destination is not blamed: {error}"
    );
    let notes = doc["notes"].to_string();
    for said in [
        "was running on lab1",
        "incoming one, paused",
        "restart libvirtd on lab1",
        "vmigrate recover run-src-dies",
    ] {
        assert!(notes.contains(said), "notes lack {said:?}: {notes}");
    }

    // What the report said: the VM is on lab1, and libvirt, back, keeps it.
    lab_sh(&["libvirtd", "start", "lab1"]);
    drop(restart);
    let end = Instant::now() + Duration::from_secs(20);
    while state("lab1", &vm.name) != "running" && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        state("lab1", &vm.name),
        "running",
        "it ran on lab1 all along"
    );
    // Reads the run's journal, in the test's state directory.
    let r = vmigrate(&["-i", inv, "-o", "json", "recover", &vm.name]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json()["running_on"], "lab1", "{}", r.stdout);
    assert_eq!(only_home(&vm.name), "lab1");
    vm.assert_memory_intact("lab1");
}

const IMAGES: &str = "/var/lib/libvirt/images";

/// A small tmpfs over a lab host's images directory, mounted inside that
/// host's own mount namespace (`lab.sh exec`), unmounted when dropped.
struct SmallDisk(&'static str);

impl SmallDisk {
    fn mount(host: &'static str, mib: u32) -> SmallDisk {
        let size = format!("size={mib}m");
        lab_sh(&[
            "exec",
            host,
            "mount",
            "-t",
            "tmpfs",
            "-o",
            &size,
            "run-tmpfs",
            IMAGES,
        ]);
        SmallDisk(host)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily if something still holds a file there: the host must
        // get its own directory back whatever happened.
        if !lab_try(&["exec", self.0, "umount", IMAGES]) {
            lab_try(&["exec", self.0, "umount", "-l", IMAGES]);
        }
    }
}

/// The destination's disk fills up during a block migration: the 48 MiB
/// filesystem has room for the 24 MiB disk when the checks run, then
/// another writer takes all but 8 MiB of it as the disk is created (before
/// the copy starts). libvirt reports "End of file" or "No space left on
/// device"; before the fix the first read as an unreachable destination.
#[test]
fn destination_disk_filling_up_during_block_migration_is_named() {
    // The tmpfs hides lab2's images directory from every other test.
    let Some((lab, guard)) = Lab::exclusive() else {
        return;
    };
    let inv = lab.inv();
    let _clean = Everywhere(&["run-disk-full"]);
    destroy_everywhere("run-disk-full");
    let create = [
        "vm",
        "create",
        "lab1",
        "run-disk-full",
        "--disk",
        "local",
        "--fill",
        "24",
    ];
    lab_sh(&create);
    let small = SmallDisk::mount("lab2", 48);
    let mut child = spawn_live(inv, &["run-disk-full", "--to", "lab2", "--bandwidth", "4"]);
    wait_step(
        guard.state(),
        &mut child,
        "precreate_disk",
        Duration::from_secs(60),
    );
    let filler = format!("of={IMAGES}/run-filler");
    lab_sh(&[
        "exec",
        "lab2",
        "dd",
        "if=/dev/zero",
        &filler,
        "bs=1M",
        "count=40",
    ]);
    let (code, doc, err) = outcome(child);
    assert_eq!(
        (code, &doc["outcome"]),
        (4, &Value::from("rolled_back")),
        "{doc:#}\n{err}"
    );
    assert_eq!(doc["running_on"], "lab1", "{doc:#}");
    let error = doc["error"].as_str().unwrap();
    assert!(
        error.contains(&format!("the destination's disk at {IMAGES} filled up (")),
        "{error}"
    );
    assert!(!error.contains("unreachable"), "{error}");
    assert_eq!(only_home("run-disk-full"), "lab1");
    let copy = format!("{IMAGES}/run-disk-full.qcow2");
    assert!(
        !lab_try(&["exec", "lab2", "test", "-e", &copy]),
        "partial copy removed"
    );
    drop(small);
    assert!(!lab_try(&[
        "exec",
        "lab2",
        "test",
        "-e",
        &format!("{IMAGES}/run-filler")
    ]));
}
