//! Lab tests: SSH host keys are verified against the inventory's `known_hosts`.
//! Unknown and changed keys are refused with the fingerprint and the fix,
//! and `known_hosts` is never written to.

use std::process::Command;

use crate::util::{host_row, lab_sh, vmigrate, Lab};

/// The lab's `known_hosts` lines for `addr` (the lab writes them on `up`).
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

/// Writes `content` as a `known_hosts` file in `dir` and a lab inventory
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

/// Runs `hosts -o json` with `content` as `known_hosts` and asserts what
/// every refused key shares: exit 6, `host` unreachable with libvirt never
/// contacted, lab1 fine, the file untouched. Returns the SSH error and the
/// file's path.
fn refused(lab: &Lab, real_path: &str, content: &str, host: &str) -> (String, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (kh, inv) = with_known_hosts(lab, dir.path(), real_path, content);
    let r = vmigrate(&["-i", inv.to_str().unwrap(), "-o", "json", "hosts"]);
    assert_eq!(r.code, 6, "as for any refused host key: {}", r.stderr);
    let doc = r.json();
    let row = host_row(&doc, host);
    assert_eq!(row["reachable"], false, "{row:#}");
    assert_eq!(
        row["libvirt"]["reachable"], false,
        "nothing trusted from that host"
    );
    assert_eq!(host_row(&doc, "lab1")["reachable"], true);
    assert_eq!(
        std::fs::read_to_string(&kh).unwrap(),
        content,
        "known_hosts untouched, nothing learned"
    );
    let err = row["ssh"]["error"].as_str().unwrap().to_string();
    // The directory goes with this function; the path is for messages.
    (err, kh)
}

/// SHA256 fingerprint of one `known_hosts` line, via ssh-keygen.
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
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
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
    let (err, kh) = refused(lab, &real_path, &forged, "lab2");
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
}

#[test]
fn unknown_host_key_is_refused_not_learned() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let real_path = known_hosts_path(&lab.inventory_text);
    let real = std::fs::read_to_string(&real_path).unwrap();
    let addr = lab_sh(&["addr", "lab3"]).trim().to_string();
    let without: String = real
        .lines()
        .filter(|l| l.split(' ').next() != Some(addr.as_str()))
        .flat_map(|l| [l, "\n"])
        .collect();
    let (err, _) = refused(lab, &real_path, &without, "lab3");
    assert!(
        err.contains("is not in") && err.contains("SHA256:") && err.contains("ssh-keyscan"),
        "{err}"
    );
}

/// A fresh ed25519 public key as `ssh-ed25519 BASE64`, made in `dir`.
fn new_key(dir: &std::path::Path, name: &str) -> String {
    let key = dir.join(name);
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(st.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The lab's `known_hosts` without `addr`'s lines, and `addr`'s ed25519 line.
fn split_out(real: &str, addr: &str) -> (String, String) {
    let others: String = real
        .lines()
        .filter(|l| l.split(' ').next() != Some(addr))
        .flat_map(|l| [l, "\n"])
        .collect();
    let line = lines_for(real, addr)
        .into_iter()
        .find(|l| l.contains("ssh-ed25519"))
        .unwrap_or_else(|| panic!("no ed25519 line for {addr}"));
    (others, line)
}

/// OpenSSH refuses a key marked `@revoked`, even when a plain line also
/// lists it; so does vmigrate, with a one-line reason, and nothing else
/// (libvirt included) talks to that host.
#[test]
fn revoked_host_key_is_refused() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let real_path = known_hosts_path(&lab.inventory_text);
    let real = std::fs::read_to_string(&real_path).unwrap();
    let addr = lab_sh(&["addr", "lab2"]).trim().to_string();
    let (_, line) = split_out(&real, &addr);
    let key: String = line
        .split(' ')
        .skip(1)
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let content = format!("{real}# revoked after a theft\n@revoked * {key}\n");
    let revoked_line = content.lines().count();
    let (err, kh) = refused(lab, &real_path, &content, "lab2");
    assert!(
        err.contains("revoked") && err.contains(&fingerprint(&line)),
        "{err}"
    );
    assert!(
        err.contains(&format!("{}:{revoked_line}", kh.display())),
        "names the @revoked line: {err}"
    );
    assert!(!err.contains('\n'), "one line: {err}");
}

/// A host listed twice (its old key, then its new one) is known, as OpenSSH
/// has it: one matching line is enough.
#[test]
fn old_and_new_key_lines_are_accepted() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let real_path = known_hosts_path(&lab.inventory_text);
    let real = std::fs::read_to_string(&real_path).unwrap();
    let addr = lab_sh(&["addr", "lab2"]).trim().to_string();
    let (others, line) = split_out(&real, &addr);
    let dir = tempfile::tempdir().unwrap();
    let old = new_key(dir.path(), "old");
    let content = format!("{others}{addr} {old}\n{line}\n");
    let (_, inv) = with_known_hosts(lab, dir.path(), &real_path, &content);
    let r = vmigrate(&["-i", inv.to_str().unwrap(), "-o", "json", "hosts"]);
    let doc = r.json();
    let row = host_row(&doc, "lab2");
    assert_eq!(row["reachable"], true, "{row:#}");
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// The changed-key message names the line OpenSSH would ("Offending key in
/// <FILE:3")>: every line counts, comments and blank ones too.
#[test]
fn changed_key_message_cites_the_physical_line() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let real_path = known_hosts_path(&lab.inventory_text);
    let real = std::fs::read_to_string(&real_path).unwrap();
    let addr = lab_sh(&["addr", "lab2"]).trim().to_string();
    let (others, _) = split_out(&real, &addr);
    let dir = tempfile::tempdir().unwrap();
    let forged = new_key(dir.path(), "forged");
    let content = format!("# lab hosts\n\n{addr} {forged}\n{others}");
    let (kh, inv) = with_known_hosts(lab, dir.path(), &real_path, &content);
    let r = vmigrate(&["-i", inv.to_str().unwrap(), "-o", "json", "hosts"]);
    assert_eq!(r.code, 6, "{}", r.stderr);
    let doc = r.json();
    let err = host_row(&doc, "lab2")["ssh"]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(err.contains("HOST KEY CHANGED"), "{err}");
    assert!(
        err.contains(&format!("{}:3;", kh.display())),
        "line 3 of the file: {err}"
    );
}

/// A wildcard line (`10.213.77.1?`) names a host as OpenSSH matches it.
#[test]
fn a_wildcard_line_is_accepted() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let real_path = known_hosts_path(&lab.inventory_text);
    let real = std::fs::read_to_string(&real_path).unwrap();
    let addr = lab_sh(&["addr", "lab2"]).trim().to_string();
    let (others, line) = split_out(&real, &addr);
    let key: Vec<&str> = line.split(' ').skip(1).take(2).collect();
    // "10.213.77.12" → "10.213.77.1?": one character short, a `?` instead.
    let pattern = format!("{}?", &addr[..addr.len() - 1]);
    let dir = tempfile::tempdir().unwrap();
    let content = format!("{others}{pattern},!10.213.77.19 {}\n", key.join(" "));
    let (_, inv) = with_known_hosts(lab, dir.path(), &real_path, &content);
    let r = vmigrate(&["-i", inv.to_str().unwrap(), "-o", "json", "hosts", "lab2"]);
    assert_eq!(
        host_row(&r.json(), "lab2")["reachable"],
        true,
        "{}",
        r.stderr
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// The lab's hosts present host certificates signed by the lab's SSH CA
/// (tests/lab/lib/up.sh). A `known_hosts` holding only a `@cert-authority`
/// line for that CA lets vmigrate in (libvirt included, over the same
/// session); one for another CA refuses the host and says why.
#[test]
fn host_certificates_signed_by_a_listed_authority_are_accepted() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let real_path = known_hosts_path(&lab.inventory_text);
    let ca = std::fs::read_to_string(crate::util::lab_dir().join("ssh_host_ca.pub")).unwrap();
    let ca: Vec<&str> = ca.split(' ').take(2).collect();
    let dir = tempfile::tempdir().unwrap();
    let content = format!(
        "# the fleet's host CA\n@cert-authority 10.213.77.* {}\n",
        ca.join(" ")
    );
    let (_, inv) = with_known_hosts(lab, dir.path(), &real_path, &content);
    let r = vmigrate(&["-i", inv.to_str().unwrap(), "-o", "json", "hosts"]);
    let doc = r.json();
    for h in ["lab1", "lab2", "lab3"] {
        let row = host_row(&doc, h);
        assert_eq!(row["reachable"], true, "{row:#}");
        assert_eq!(row["libvirt"]["reachable"], true, "{row:#}");
    }
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Another authority: refused, the line named, and how to fix it.
    let other = new_key(dir.path(), "other_ca");
    let addr = lab_sh(&["addr", "lab2"]).trim().to_string();
    let content = format!(
        "{}\n@cert-authority {addr} {other}\n",
        lab_known_hosts_without_lab2(&real_path)
    );
    let (err, kh) = refused(lab, &real_path, &content, "lab2");
    let line = content.lines().count();
    assert!(
        err.contains("host certificate") && err.contains(&format!("{}:{line}", kh.display())),
        "{err}"
    );
    assert!(err.contains("no @cert-authority line"), "{err}");
    assert!(!err.contains('\n'), "one line: {err}");
}

/// The lab's `known_hosts` without lab2's line (lab1 stays known by key).
fn lab_known_hosts_without_lab2(real_path: &str) -> String {
    let real = std::fs::read_to_string(real_path).unwrap();
    let addr = lab_sh(&["addr", "lab2"]).trim().to_string();
    split_out(&real, &addr).0.trim_end().to_string()
}
