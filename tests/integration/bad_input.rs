//! Bad input, real hosts: each mistake gets one line saying what is wrong,
//! the documented exit code, and changes nothing.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{state, vmigrate, Lab, TestVm, Vm};

#[test]
fn a_host_listed_twice_is_refused_naming_both_entries() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let vm = TestVm::create("lab1", "bad-twice", "net");
    let dir = tempfile::tempdir().unwrap();
    // lab1 again, under another name: the same libvirt host UUID.
    let inv = lab.inventory_with(dir.path(), |t| {
        t + "\n[[hosts]]\nname = \"lab1-alias\"\naddress = \"10.213.77.11\"\n"
    });
    let inv = inv.to_str().unwrap();
    for args in [
        vec!["-i", inv, "check", vm.name.as_str()],
        vec!["-i", inv, "live", vm.name.as_str(), "--to", "lab2"],
        vec!["-i", inv, "abort", vm.name.as_str()],
        vec!["-i", inv, "hosts"],
    ] {
        let r = vmigrate(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("lab1 and lab1-alias are the same host"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("running on two hosts"), "{}", r.stderr);
    }
    // Nothing moved: the VM runs on lab1 only.
    assert_eq!(state("lab1", &vm.name), "running");
    assert_eq!(state("lab2", &vm.name), "absent");
}

#[test]
fn unknown_hosts_are_usage_errors_for_to_and_from_alike() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let vm = TestVm::create("lab1", "bad-names", "net");
    for flag in ["--to", "--from"] {
        let r = vmigrate(&["-i", inv, "check", &vm.name, flag, "nosuch"]);
        assert_eq!(r.code, 2, "{flag}: {}", r.stderr);
        assert!(r.stderr.contains("no such host"), "{}", r.stderr);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    }
}

#[test]
fn bandwidth_has_an_upper_bound() {
    let r = vmigrate(&["check", "x", "--bandwidth", "18446744073709551615"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--bandwidth"), "{}", r.stderr);
    let r = vmigrate(&["live", "x", "--bandwidth", "1000001"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// Runs `vmigrate ARGS`, killing it after `limit`: (exit code, stderr, time).
fn bounded(args: &[&str], limit: Duration) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let mut child = Vm::cmd().args(args).stdout(Stdio::null()).spawn();
    while started.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            return (out.status.code(), err, started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    (None, "(killed: no answer)".into(), started.elapsed())
}

#[test]
fn an_inventory_that_is_not_a_file_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.toml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for path in [
        "/dev/zero",
        fifo.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ] {
        let (code, err, took) = bounded(&["-i", path, "hosts"], Duration::from_secs(10));
        assert_eq!(code, Some(2), "-i {path}: {err}");
        assert!(err.contains("not a regular file"), "-i {path}: {err}");
        assert!(took < Duration::from_secs(3), "-i {path} took {took:?}");
    }
}

#[test]
fn direction_changing_characters_in_a_vm_name_are_shown_escaped() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let name = "bad\u{202e}txt.exe";
    let r = vmigrate(&["-i", inv, "check", name]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(!r.stderr.contains('\u{202e}'), "raw U+202E: {}", r.stderr);
    assert!(r.stderr.contains("\\u{202e}"), "{}", r.stderr);
}

#[test]
fn live_with_bad_arguments_creates_nothing_not_even_locally() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    for bad in [["--to", "a;b"], ["--to", "nosuch"], ["--from", "nosuch"]] {
        let r = Vm::cmd()
            .inventory(inv)
            .args(["live", "bad-vm", bad[0], bad[1], "--events"])
            .arg(&events)
            .state(dir.path())
            .run();
        assert_eq!(r.code, 2, "{bad:?}");
        let made: Vec<_> = walk(dir.path());
        assert!(made.is_empty(), "{bad:?} created {made:?}");
    }
}

/// Every file below `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
