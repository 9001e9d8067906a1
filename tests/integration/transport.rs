//! The transport on the lab (issue I): multifd connections seen in the
//! source QEMU's own parameters, a running migration's cap changed by
//! `vmigrate bandwidth`, `--transport auto` choosing XBZRLE for the
//! sweeping guest (its cache in libvirt's completed job), `--disks`
//! naming what block migration copies,
//! and what the lab's libvirt 9.0 cannot do refused before anything
//! starts. Every migrated guest's memory is verified.

use serde_json::Value;

use crate::live::{finished, live, spawn_live, under_way};
use crate::util::{check_row, lab_sh, state, vmigrate, Lab, TestVm};

/// `vmigrate -i INV -o json ARGS`: (exit code, document).
fn json(inv: &str, args: &[&str]) -> (i32, Value) {
    let r = vmigrate(&[&["-i", inv, "-o", "json"][..], args].concat());
    (r.code, r.json())
}

/// A QMP query's `return` on the VM's host.
fn qmp(host: &str, vm: &str, command: &str) -> Value {
    let out = lab_sh(&[
        "virsh",
        host,
        "qemu-monitor-command",
        vm,
        &format!(r#"{{"execute":"{command}"}}"#),
    ]);
    serde_json::from_str::<Value>(&out).unwrap_or_else(|e| panic!("{command}: {e}: {out}"))
        ["return"]
        .clone()
}

/// Waits until the migration of `vm` sends data from `host`: libvirt sets
/// the source QEMU's parameters after the destination started, just
/// before the stream.
fn sending(host: &str, vm: &str) {
    for _ in 0..100 {
        let info = lab_sh(&["virsh", host, "domjobinfo", vm]);
        if info
            .lines()
            .any(|l| l.starts_with("Data processed:") && !l.contains(" 0.000 B"))
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the migration of {vm} sends nothing from {host}");
}

#[test]
fn parallel_connections_are_used_and_a_running_cap_changes() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let mut vm = TestVm::dirtying("lab1", "it-tr-multifd", 60);
    // 10 MiB/s is far below the guest's dirty rate: the migration waits
    // for the new cap, and the ladder is off so nothing else finishes it.
    let child = spawn_live(
        inv,
        &[
            &vm.name,
            "--to",
            "lab2",
            "--parallel",
            "4",
            "--bandwidth",
            "10",
            "--policy",
            "off",
        ],
    );
    under_way("lab2", &vm.name);
    sending("lab1", &vm.name);
    let params = qmp("lab1", &vm.name, "query-migrate-parameters");
    assert_eq!(params["multifd-channels"], 4, "{params:#}");
    let caps = qmp("lab1", &vm.name, "query-migrate-capabilities");
    assert!(
        caps.as_array()
            .unwrap()
            .iter()
            .any(|c| c["capability"] == "multifd" && c["state"] == true),
        "{caps:#}"
    );
    let (code, doc) = json(inv, &["bandwidth", &vm.name, "500"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["host"], "lab1");
    assert_eq!(doc["phase"], "precopy");
    assert_eq!(doc["previous_mib"], 10, "{doc:#}");
    assert_eq!(doc["bandwidth_mib"], 500, "{doc:#}");
    let doc = finished(child, 0, "migrated");
    assert_eq!(doc["policy"]["transport"]["parallel"], 4, "{doc:#}");
    assert_eq!(state("lab2", &vm.name), "running");
    vm.host = "lab2".into();
    vm.assert_memory_intact("lab2");
    // No migration: nothing to change, exit 3.
    let r = vmigrate(&["-i", inv, "bandwidth", &vm.name, "50"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr.contains("no migration runs on lab2"),
        "{}",
        r.stderr
    );
}

#[test]
fn disks_names_the_copied_disks_and_the_lab_cannot_compress_over_multifd() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let mut local = TestVm::create("lab1", "it-tr-disks", "local");
    let net = TestVm::create("lab1", "it-tr-netdisk", "net");

    let (code, doc) = json(
        inv,
        &["check", &local.name, "--to", "lab2", "--disks", "vdb"],
    );
    assert_eq!(code, 3, "{doc:#}");
    let msg = check_row(&doc, "storage.disks")["message"]
        .as_str()
        .unwrap();
    assert!(
        msg.contains("the VM has no data disk vdb (it has vda)"),
        "{msg}"
    );
    let (code, doc) = json(inv, &["check", &net.name, "--to", "lab2", "--disks", "vda"]);
    assert_eq!(code, 3, "{doc:#}");
    let msg = check_row(&doc, "storage.disks")["message"]
        .as_str()
        .unwrap();
    assert!(msg.contains("is shared with the destination"), "{msg}");
    // zstd over multifd needs libvirt 9.4; the lab has 9.0.
    let (code, doc) = json(
        inv,
        &[
            "check",
            &net.name,
            "--to",
            "lab2",
            "--parallel",
            "2",
            "--compress",
            "zstd",
        ],
    );
    assert_eq!(code, 3, "{doc:#}");
    let msg = check_row(&doc, "transport.supported")["message"]
        .as_str()
        .unwrap();
    assert!(msg.contains("needs libvirt ≥ 9.4.0 on both hosts"), "{msg}");

    // Block migration over TLS: the disk's NBD stream is encrypted too,
    // and pre-creating the disk works unchanged. To lab3: the TLS test
    // takes lab2's server certificate away for a while, and this test may
    // run at the same time (CI did: "migration failed", exit 4).
    let (code, doc, err) = live(
        inv,
        &[&local.name, "--to", "lab3", "--disks", "vda", "--tls"],
    );
    assert_eq!(code, 0, "{doc:#}\n{err}");
    assert_eq!(check_row(&doc, "storage.disks")["status"], "pass");
    assert_eq!(doc["block_migration"], true, "{doc:#}");
    assert_eq!(doc["policy"]["transport"]["tls"], true, "{doc:#}");
    assert_eq!(state("lab3", &local.name), "running");
    local.host = "lab3".into();
    drop(net);
}

#[test]
fn auto_chooses_xbzrle_for_a_guest_faster_than_its_link_and_says_why() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let mut vm = TestVm::dirtying("lab1", "it-tr-auto", 40);
    // Refused as a usage error before anything starts: XBZRLE over multifd.
    let r = vmigrate(&[
        "-i",
        inv,
        "live",
        &vm.name,
        "--to",
        "lab2",
        "--compress",
        "xbzrle",
        "--parallel",
        "2",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("drop --parallel"), "{}", r.stderr);
    let args = [
        vm.name.as_str(),
        "--to",
        "lab2",
        "--bandwidth",
        "20",
        "--transport",
        "auto",
    ];
    let (code, doc) = json(inv, &[&["check"][..], &args].concat());
    assert_eq!(code, 0, "{doc:#}");
    let why = check_row(&doc, "transport.choice")["message"]
        .as_str()
        .unwrap();
    assert!(why.starts_with("auto: xbzrle with a 64 MiB cache"), "{why}");
    assert_eq!(doc["policy"]["transport"]["compress"], "xbzrle", "{doc:#}");
    let (code, doc, err) = live(inv, &args);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(doc["outcome"], "migrated");
    assert_eq!(doc["policy"]["transport"]["compress"], "xbzrle", "{doc:#}");
    let info = lab_sh(&["virsh", "lab2", "domjobinfo", "--completed", &vm.name]);
    assert!(info.contains("Compression cache: 64.000 MiB"), "{info}");
    vm.host = "lab2".into();
    vm.assert_memory_intact("lab2");
}

/// The lab hosts' QEMU migration TLS directory (`lab.sh tls-dir`).
const TLS_DIR: &str = "/etc/libvirt/pki/qemu";

/// Puts lab2's server certificate back when dropped, whatever the test did.
struct CertBack;

impl Drop for CertBack {
    fn drop(&mut self) {
        let away = format!("{TLS_DIR}/server-cert.pem.away");
        let cert = format!("{TLS_DIR}/server-cert.pem");
        crate::util::lab_try(&[
            "exec",
            "lab2",
            "sh",
            "-c",
            "test ! -e \"$1\" || mv \"$1\" \"$2\"",
            "sh",
            &away,
            &cert,
        ]);
    }
}

#[test]
fn tls_migrates_and_a_missing_certificate_is_named_before_anything_starts() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let mut vm = TestVm::create("lab1", "it-tr-tls", "net");
    {
        let _back = CertBack;
        let cert = format!("{TLS_DIR}/server-cert.pem");
        lab_sh(&["exec", "lab2", "mv", &cert, &format!("{cert}.away")]);
        let (code, doc) = json(inv, &["check", &vm.name, "--to", "lab2", "--tls"]);
        assert_eq!(code, 3, "{doc:#}");
        let msg = check_row(&doc, "transport.supported")["message"]
            .as_str()
            .unwrap();
        assert!(
            msg.contains(&format!("lab2 (the destination) lacks {cert}")),
            "{msg}"
        );
        assert_eq!(state("lab1", &vm.name), "running", "nothing started");
    }
    let (code, doc, err) = live(inv, &[&vm.name, "--to", "lab2", "--tls"]);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(doc["outcome"], "migrated");
    assert_eq!(doc["policy"]["transport"]["tls"], true);
    let msg = check_row(&doc, "transport.supported")["message"]
        .as_str()
        .unwrap();
    assert!(msg.starts_with("tls (certificates in lab1: "), "{msg}");
    assert_eq!(state("lab2", &vm.name), "running");
    vm.host = "lab2".into();
}

#[test]
fn xbzrle_that_does_not_pay_takes_the_next_rung() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    // Every page rewritten with new pseudo-random bytes each sweep: deltas
    // overflow, XBZRLE's cache cannot help. That guest dirties only a few
    // MiB/s here (each page is filled in full), hence the small guest and
    // the 1 MiB/s cap.
    let flags = [
        "--disk",
        "net",
        "--memory",
        "16",
        "--dirty",
        "10",
        "--dirty-mode",
        "random",
    ];
    let mut vm = TestVm::create_with("lab1", "it-tr-random", &flags);
    let (code, doc, err) = live(
        inv,
        &[
            &vm.name,
            "--to",
            "lab2",
            "--compress",
            "xbzrle",
            "--bandwidth",
            "1",
            "--postcopy",
        ],
    );
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(doc["outcome"], "migrated");
    let steps = doc["policy_steps"].as_array().unwrap();
    let at = |rung: &str| steps.iter().position(|s| s["rung"] == rung);
    let x = at("xbzrle").unwrap_or_else(|| panic!("no xbzrle rung: {doc:#}"));
    assert!(
        steps[x]["detail"]
            .as_str()
            .unwrap()
            .contains("XBZRLE does not pay"),
        "{doc:#}"
    );
    // Its next rung: post-copy, at once.
    assert!(at("postcopy").is_some_and(|p| p > x), "{doc:#}");
    vm.host = "lab2".into();
    vm.assert_memory_intact("lab2");
}
