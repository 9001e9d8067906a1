//! Lab tests of how `check`/`live` find the VM (issue P): the placement
//! hint sends them to the VM's host first; a hint that is missing, stale or
//! names a host the inventory does not have still finds the VM on every
//! other host; and the fleet scan, running beside the checks and the
//! migration, finds a copy of the VM running on a third host.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde_json::Value;

use crate::util::{check_row, lab_sh, state, virsh, Lab, TestVm, Vm};

fn run(inv: &str, dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let r = Vm::cmd()
        .inventory(inv)
        .json()
        .args(args)
        .state(dir)
        .env("VMIGRATE_LOG", "vmigrate=debug")
        .run();
    let doc = if r.stdout.trim().is_empty() {
        Value::Null
    } else {
        r.json()
    };
    (r.code, doc, r.stderr)
}

fn hint(dir: &Path, vm: &str) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("placement.json")).ok()?;
    let doc: Value = serde_json::from_str(&text).ok()?;
    doc["vms"][vm]["host"].as_str().map(str::to_string)
}

fn set_hint(dir: &Path, vm: &str, host: &str, address: &str) {
    let doc =
        serde_json::json!({"version": 1, "vms": {vm: {"host": host, "address": address, "at": 1}}});
    std::fs::write(dir.join("placement.json"), doc.to_string()).unwrap();
}

const FALLBACK: &str = "not where the hint said";

#[test]
fn the_hint_leads_to_the_vm_and_a_wrong_one_still_finds_it() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let dir = tempfile::tempdir().unwrap();
    let mut vm = TestVm::create("lab1", "it-hint", "net");
    let name = vm.name.clone();
    // No hint yet: every host is read; the run records where the VM is.
    let (code, doc, err) = run(
        inv,
        dir.path(),
        &["check", &name, "--to", "lab2", "--no-measure"],
    );
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(doc["source"], "lab1");
    assert_eq!(hint(dir.path(), &name).as_deref(), Some("lab1"));
    let mode = std::fs::metadata(dir.path().join("placement.json"))
        .unwrap()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "the hint names hosts and VMs");
    // With the hint: found at once, the rest of the fleet scanned beside.
    let (code, doc, err) = run(
        inv,
        dir.path(),
        &["check", &name, "--to", "lab2", "--no-measure"],
    );
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert!(!err.contains(FALLBACK), "{err}");
    let unique = check_row(&doc, "source.unique");
    assert_eq!(unique["status"], "pass", "{doc:#}");
    // Every inventory host but these two (lab1, lab2) was searched.
    let others = lab.hosts().len() - 2;
    let plural = if others == 1 { "" } else { "s" };
    let searched = format!("({others} other host{plural} searched)");
    let said = unique["message"].as_str().unwrap();
    assert!(said.contains(&searched), "{searched}: {unique:#}");
    // Stale hints: another host, a host the inventory lacks, a host at
    // another address, a damaged file. Each still finds the VM on lab1.
    let lab3 = crate::util::lab_out(&["addr", "lab3"]).unwrap();
    for (host, address) in [
        ("lab3", lab3.trim()),
        ("gone", "10.213.77.250"),
        ("lab1", "10.213.77.251"),
    ] {
        set_hint(dir.path(), &name, host, address);
        let (code, doc, err) = run(
            inv,
            dir.path(),
            &["check", &name, "--to", "lab2", "--no-measure"],
        );
        assert_eq!(code, 0, "hint {host}@{address}: {err}\n{doc:#}");
        assert_eq!(doc["source"], "lab1", "hint {host}@{address}");
        assert_eq!(
            hint(dir.path(), &name).as_deref(),
            Some("lab1"),
            "corrected"
        );
    }
    std::fs::write(dir.path().join("placement.json"), "{damaged").unwrap();
    let (code, doc, err) = run(
        inv,
        dir.path(),
        &["check", &name, "--to", "lab2", "--no-measure"],
    );
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(doc["source"], "lab1");
    // A migration moves the hint with the VM; the next run starts there.
    let (code, doc, err) = run(inv, dir.path(), &["live", &name, "--to", "lab2"]);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    vm.host = "lab2".into();
    assert_eq!(hint(dir.path(), &name).as_deref(), Some("lab2"));
    let (code, doc, err) = run(
        inv,
        dir.path(),
        &["check", &name, "--to", "lab3", "--no-measure"],
    );
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(doc["source"], "lab2");
    assert!(!err.contains(FALLBACK), "{err}");
    assert_eq!(state("lab2", &name), "running");
    assert_eq!(state("lab1", &name), "absent");
}

#[test]
fn a_copy_running_on_a_third_host_is_found_by_the_fleet_scan() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let dir = tempfile::tempdir().unwrap();
    let vm = TestVm::create("lab1", "it-hint-twice", "net");
    let name = vm.name.clone();
    let lab1 = crate::util::lab_out(&["addr", "lab1"]).unwrap();
    // The hint leads to lab1 and lab2 only; the copy is on lab3.
    set_hint(dir.path(), &name, "lab1", lab1.trim());
    let xml = virsh("lab1", &["dumpxml", &name]);
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), xml).unwrap();
    lab_sh(&["virsh", "lab3", "create", f.path().to_str().unwrap()]);
    struct Destroy(String);
    impl Drop for Destroy {
        fn drop(&mut self) {
            let _ = crate::util::lab_try(&["virsh", "lab3", "destroy", &self.0]);
        }
    }
    let _copy = Destroy(name.clone());
    let (code, _, err) = run(
        inv,
        dir.path(),
        &["check", &name, "--to", "lab2", "--no-measure"],
    );
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("active on lab3 (running) as well as on lab1"),
        "{err}"
    );
    // live: refused before it starts, or its migration aborted; either
    // way exit 5 and nothing moved.
    set_hint(dir.path(), &name, "lab1", lab1.trim());
    let (code, doc, err) = run(inv, dir.path(), &["live", &name, "--to", "lab2"]);
    assert_eq!(code, 5, "{err}\n{doc:#}");
    assert!(err.contains("lab3"), "{err}");
    assert_eq!(state("lab1", &name), "running");
    assert_eq!(
        state("lab3", &name),
        "running",
        "the other copy is left alone"
    );
    assert_eq!(state("lab2", &name), "absent");
}
