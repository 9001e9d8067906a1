//! Lab test: hosts reached the way an operator's `~/.ssh/config` says —
//! aliases resolved by `HostName`, login and keys from the file, one host
//! behind a `ProxyJump` bastion — carry a real live migration, libvirt
//! included (tunnelled through the jump), while the hosts' own libvirtd
//! get real addresses in their URIs (they cannot know the aliases).

use std::time::{Duration, Instant};

use crate::live::{finished, spawn_live};
use crate::util::{lab_dir, lab_sh, state, vmigrate, Lab, TestVm};

/// The lab inventory with its SSH keys left to `ssh_config` and lab1/lab2
/// written as the aliases `kvm-a`/`kvm-b`; lab2 is reached through lab3.
fn aliased(lab: &Lab, dir: &std::path::Path) -> std::path::PathBuf {
    let addr = |h: &str| lab_sh(&["addr", h]).trim().to_string();
    let (a1, a2, a3) = (addr("lab1"), addr("lab2"), addr("lab3"));
    let known_hosts = lab
        .inventory_text
        .lines()
        .find_map(|l| l.strip_prefix("known_hosts = "))
        .expect("lab inventory names known_hosts")
        .trim_matches('"')
        .to_string();
    let config = dir.join("ssh_config");
    std::fs::write(
        &config,
        format!(
            "# as an operator writes it\nUser root\nIdentityFile {}\nUserKnownHostsFile {known_hosts}\n\n\
             Host kvm-a\n    HostName {a1}\n\nHost kvm-b\n    HostName {a2}\n    ProxyJump bastion\n\n\
             Host bastion\n    HostName {a3}\n",
            lab_dir().join("id_ed25519").display()
        ),
    )
    .unwrap();
    lab.inventory_with(dir, |text| {
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| {
                !["user = ", "port = ", "identity_file = ", "known_hosts = "]
                    .iter()
                    .any(|k| l.starts_with(k))
            })
            .collect();
        kept.join("\n")
            .replacen(
                "[defaults]\n",
                &format!("[defaults]\nssh_config = \"{}\"\n", config.display()),
                1,
            )
            .replace(&format!("address = \"{a1}\""), "address = \"kvm-a\"")
            .replace(&format!("address = \"{a2}\""), "address = \"kvm-b\"")
    })
}

/// The peers of lab2's established SSH connections.
fn ssh_peers_of_lab2() -> String {
    lab_sh(&[
        "exec",
        "lab2",
        "ss",
        "-Htn",
        "state",
        "established",
        "( sport = :22 )",
    ])
}

#[test]
fn aliases_and_a_jump_host_carry_a_live_migration() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let inv = aliased(lab, dir.path());
    let inv = inv.to_str().unwrap();
    let r = vmigrate(&["-i", inv, "-o", "json", "hosts", "lab1", "lab2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = r.json();
    for h in ["lab1", "lab2"] {
        let row = crate::util::host_row(&doc, h);
        assert_eq!(row["reachable"], true, "{row:#}");
        assert_eq!(row["libvirt"]["reachable"], true, "{row:#}");
    }

    let mut vm = TestVm::create("lab1", "it-sshcfg", "net");
    let child = spawn_live(inv, &[&vm.name, "--to", "lab2", "--bandwidth", "20"]);
    // While it runs, lab2 has an SSH connection from the bastion (lab3):
    // vmigrate's own session to lab2 goes through the jump.
    let bastion = lab_sh(&["addr", "lab3"]).trim().to_string();
    let t0 = Instant::now();
    let mut seen = String::new();
    while t0.elapsed() < Duration::from_secs(60) {
        seen = ssh_peers_of_lab2();
        if seen.contains(&format!("{bastion}:")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        seen.contains(&format!("{bastion}:")),
        "no SSH from the bastion to lab2: {seen}"
    );
    let doc = finished(child, 0, "migrated");
    assert_eq!(doc["destination"], "lab2", "{doc:#}");
    assert_eq!(state("lab2", &vm.name), "running");
    assert_eq!(state("lab1", &vm.name), "absent");
    vm.host = "lab2".into();
}
