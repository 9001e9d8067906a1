//! Lab tests: SSH host keys are verified against the inventory's known_hosts.
//! Unknown and changed keys are refused with the fingerprint and the fix,
//! and known_hosts is never written to.

use std::process::Command;

use crate::util::{host_row, lab_sh, vmigrate, Lab};

/// The lab's known_hosts lines for `addr` (the lab writes them on `up`).
fn lines_for(known_hosts: &str, addr: &str) -> Vec<String> {
    known_hosts
        .lines()
        .filter(|l| l.split(' ').next() == Some(addr))
        .map(str::to_string)
        .collect()
}

fn known_hosts_path(inventory: &str) -> String {
    inventory
        .lines()
        .find_map(|l| l.strip_prefix("known_hosts = "))
        .expect("lab inventory names known_hosts")
        .trim_matches('"')
        .to_string()
}

/// Writes `content` as a known_hosts file in `dir` and a lab inventory
/// using it instead of `real_path`; returns both paths.
fn with_known_hosts(
    lab: &Lab,
    dir: &std::path::Path,
    real_path: &str,
    content: &str,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let kh = dir.join("known_hosts");
    std::fs::write(&kh, content).unwrap();
    let inv = lab.inventory_with(dir, |t| {
        t.replace(
            &format!("known_hosts = \"{real_path}\""),
            &format!("known_hosts = \"{}\"", kh.display()),
        )
    });
    (kh, inv)
}

/// SHA256 fingerprint of one known_hosts line, via ssh-keygen.
fn fingerprint(line: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("k");
    std::fs::write(&f, format!("{line}\n")).unwrap();
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(&f)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace()
        .nth(1)
        .expect("fingerprint")
        .to_string()
}

#[test]
fn changed_host_key_is_refused() {
    let (lab, _guard) = Lab::shared();
    let real_path = known_hosts_path(&lab.inventory_text);
    let real = std::fs::read_to_string(&real_path).unwrap();
    let addr = lab_sh(&["addr", "lab2"]).trim().to_string();
    let originals = lines_for(&real, &addr);
    assert!(
        !originals.is_empty(),
        "lab wrote no known_hosts line for {addr}"
    );
    // A different key of the same type, as after a reinstall or an attack.
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("other");
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(st.success());
    let other_pub = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let other_b64 = other_pub.split_whitespace().nth(1).unwrap();
    let forged: String = real
        .lines()
        .map(|l| {
            if l.split(' ').next() == Some(addr.as_str()) && l.contains("ssh-ed25519") {
                format!("{addr} ssh-ed25519 {other_b64}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let (kh, inv) = with_known_hosts(lab, dir.path(), &real_path, &forged);
    let r = vmigrate(&["-i", inv.to_str().unwrap(), "-o", "json", "hosts"]);
    assert_eq!(r.code, 6, "{}", r.stderr);
    let doc = r.json();
    let row = host_row(&doc, "lab2");
    assert_eq!(row["reachable"], false);
    let err = row["ssh"]["error"].as_str().unwrap();
    assert!(
        err.contains("HOST KEY CHANGED") && err.contains("lab2"),
        "{err}"
    );
    let ed_line = originals
        .iter()
        .find(|l| l.contains("ssh-ed25519"))
        .unwrap();
    assert!(
        err.contains(&fingerprint(ed_line)),
        "names the presented key: {err}"
    );
    assert!(
        err.contains(&kh.display().to_string()),
        "names the file: {err}"
    );
    assert_eq!(
        row["libvirt"]["reachable"], false,
        "nothing trusted from that host"
    );
    assert_eq!(host_row(&doc, "lab1")["reachable"], true);
    assert_eq!(
        std::fs::read_to_string(&kh).unwrap(),
        forged,
        "known_hosts untouched"
    );
}

#[test]
fn unknown_host_key_is_refused_not_learned() {
    let (lab, _guard) = Lab::shared();
    let real_path = known_hosts_path(&lab.inventory_text);
    let real = std::fs::read_to_string(&real_path).unwrap();
    let addr = lab_sh(&["addr", "lab3"]).trim().to_string();
    let without: String = real
        .lines()
        .filter(|l| l.split(' ').next() != Some(addr.as_str()))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (kh, inv) = with_known_hosts(lab, dir.path(), &real_path, &without);
    let r = vmigrate(&["-i", inv.to_str().unwrap(), "-o", "json", "hosts"]);
    assert_eq!(r.code, 6, "{}", r.stderr);
    let doc = r.json();
    let err = host_row(&doc, "lab3")["ssh"]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        err.contains("is not in") && err.contains("SHA256:") && err.contains("ssh-keyscan"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&kh).unwrap(),
        without,
        "never learned silently"
    );
    assert_eq!(host_row(&doc, "lab1")["reachable"], true);
}
