//! Lab tests of `vmigrate doctor`: the healthy lab is all well, with every
//! path of the mesh tested from its source host; a firewall on one source
//! host towards one destination's migration ports is found and named while
//! the operator still reaches that destination; one host under two names
//! is a failure.

use serde_json::Value;

use crate::util::{lab_sh, lab_try, virsh, Lab, Vm};

/// The checks of a `doctor -o json` document with `id`, from `host` to `peer`.
fn checks<'a>(doc: &'a Value, id: &str, host: &str, peer: Option<&str>) -> Vec<&'a Value> {
    doc["checks"]
        .as_array()
        .expect("checks array")
        .iter()
        .filter(|c| c["id"] == id && c["host"] == host && c["peer"].as_str() == peer)
        .collect()
}

fn status(doc: &Value, id: &str, host: &str, peer: &str) -> String {
    let c = checks(doc, id, host, Some(peer));
    assert_eq!(c.len(), 1, "{id} {host} → {peer}: {c:#?}");
    c[0]["status"].as_str().unwrap().to_string()
}

#[test]
fn the_healthy_lab_is_all_well_with_every_path_open() {
    let Some((lab, g)) = Lab::shared() else {
        return;
    };
    let r = Vm::cmd()
        .inventory(lab.inv())
        .state(g.state())
        .json()
        .arg("doctor")
        .run();
    let doc = r.json();
    assert_eq!(r.code, 0, "{doc:#}\n{}", r.stderr);
    assert_eq!(doc["ok"], true);
    let hosts = lab.hosts();
    for a in &hosts {
        for b in hosts.iter().filter(|b| *b != a) {
            for id in [
                "mesh.peer",
                "mesh.peer_ssh",
                "mesh.migration",
                "cpu.compare",
            ] {
                assert_eq!(status(&doc, id, a, b), "pass", "{id} {a} → {b}");
            }
        }
        // What doctor reports is what libvirt says on the host.
        let row = doc["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == a.as_str())
            .unwrap();
        let caps = virsh(a, &["capabilities"]);
        let uuid = row["host_uuid"].as_str().unwrap();
        assert!(
            caps.contains(&format!("<uuid>{uuid}</uuid>")),
            "{a}: {uuid}"
        );
        let domcaps = virsh(a, &["domcapabilities"]);
        let model = row["cpu_model"].as_str().unwrap();
        assert!(
            domcaps.contains(&format!(">{model}</model>")),
            "{a}: {model}"
        );
        // All lab hosts share this machine's clock.
        assert!(
            row["clock_offset_ms"].as_f64().unwrap().abs() < 1000.0,
            "{row}"
        );
    }
}

/// Removes the test's nftables table from lab1 even when the test fails.
struct Unblock;

impl Drop for Unblock {
    fn drop(&mut self) {
        lab_try(&["exec", "lab1", "nft", "delete", "table", "inet", TABLE]);
    }
}

const TABLE: &str = "vmigrate_it_doctor";

/// A firewall inside lab1's namespace only: lab1's packets to `dest`'s
/// migration ports are rejected (as a firewall's admin-prohibited); this
/// machine, and every other host, still reach `dest`. Undone on drop.
fn block_migration_ports_from_lab1(dest: &str) -> Unblock {
    let guard = Unblock;
    lab_try(&["exec", "lab1", "nft", "delete", "table", "inet", TABLE]);
    lab_sh(&["exec", "lab1", "nft", "add", "table", "inet", TABLE]);
    lab_sh(&[
        "exec",
        "lab1",
        "nft",
        "add",
        "chain",
        "inet",
        TABLE,
        "out",
        "{ type filter hook output priority 0; policy accept; }",
    ]);
    lab_sh(&[
        "exec",
        "lab1",
        "nft",
        "add",
        "rule",
        "inet",
        TABLE,
        "out",
        "ip",
        "daddr",
        dest,
        "tcp",
        "dport",
        "49152-49215",
        "reject",
        "with",
        "icmp",
        "type",
        "admin-prohibited",
    ]);
    guard
}

#[test]
fn a_migration_port_range_blocked_on_the_source_is_found() {
    let Some((lab, g)) = Lab::exclusive() else {
        return;
    };
    let lab2 = lab_sh(&["addr", "lab2"]).trim().to_string();
    let _unblock = block_migration_ports_from_lab1(&lab2);
    let started = std::time::Instant::now();
    let r = Vm::cmd()
        .inventory(lab.inv())
        .state(g.state())
        .json()
        .arg("doctor")
        .run();
    let doc = r.json();
    assert_eq!(r.code, 3, "{doc:#}\n{}", r.stderr);
    assert!(
        started.elapsed().as_secs() < 15,
        "doctor took {:?}",
        started.elapsed()
    );
    assert_eq!(doc["ok"], false);
    let blocked = checks(&doc, "mesh.migration", "lab1", Some("lab2"));
    assert_eq!(blocked.len(), 1, "{doc:#}");
    let b = blocked[0];
    assert_eq!(b["status"], "fail", "{b:#}");
    let message = b["message"].as_str().unwrap();
    assert!(
        message.starts_with("lab1 → lab2: migration port"),
        "{message}"
    );
    assert!(
        message.contains(&format!("{lab2}:49152")) && message.contains("BLOCKED"),
        "{message}"
    );
    assert!(message.contains("this machine reaches lab2"), "{message}");
    let fix = b["fix"].as_str().unwrap();
    assert!(
        fix.contains(&format!(
            "open TCP 49152–49215 (libvirt's migration ports) from lab1 to {lab2}"
        )),
        "{fix}"
    );
    // Only that path: the operator reaches lab2, lab2 reaches lab1, lab3
    // reaches lab2, and lab1's libvirtd still reaches lab2's sshd.
    assert_eq!(checks(&doc, "host.ssh", "lab2", None)[0]["status"], "pass");
    assert_eq!(status(&doc, "mesh.peer", "lab1", "lab2"), "pass");
    assert_eq!(status(&doc, "mesh.peer_ssh", "lab1", "lab2"), "pass");
    assert_eq!(status(&doc, "mesh.migration", "lab3", "lab2"), "pass");
    assert_eq!(status(&doc, "mesh.migration", "lab2", "lab1"), "pass");
    assert_eq!(doc["failures"], 1, "{doc:#}");
    // The table names the path and its fix too.
    let t = Vm::cmd()
        .inventory(lab.inv())
        .state(g.state())
        .args(["doctor", "lab1"])
        .run();
    assert_eq!(t.code, 3, "{}", t.stderr);
    assert!(
        t.stdout.contains("mesh.migration") && t.stdout.contains("open TCP 49152–49215"),
        "{}",
        t.stdout
    );
}

#[test]
fn one_host_under_two_names_is_a_failure() {
    let Some((lab, g)) = Lab::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lab1 = lab_sh(&["addr", "lab1"]).trim().to_string();
    let inv = lab.inventory_with(dir.path(), |t| {
        format!("{t}\n[[hosts]]\nname = \"lab1-alias\"\naddress = \"{lab1}\"\n")
    });
    let r = Vm::cmd()
        .inventory(&inv)
        .state(g.state())
        .json()
        .args(["doctor", "lab1-alias"])
        .run();
    let doc = r.json();
    assert_eq!(r.code, 3, "{doc:#}\n{}", r.stderr);
    let dup = checks(&doc, "fleet.duplicate", "lab1", Some("lab1-alias"));
    assert_eq!(dup.len(), 1, "{doc:#}");
    assert_eq!(dup[0]["status"], "fail");
    assert!(dup[0]["fix"]
        .as_str()
        .unwrap()
        .starts_with("remove one of the entries lab1 and lab1-alias"));
}

/// The CPU lab1 gives host-model guests, as a `<cpu>` definition (the
/// host-model mode of `virsh domcapabilities`).
fn lab1_host_model() -> String {
    let caps = virsh("lab1", &["domcapabilities"]);
    let start = caps
        .find("<mode name='host-model' supported='yes'>")
        .expect("host-model supported on lab1");
    let body = &caps[start..start + caps[start..].find("</mode>").unwrap()];
    let parts: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| {
            l.starts_with("<model") || l.starts_with("<vendor") || l.starts_with("<feature")
        })
        .collect();
    format!("<cpu mode='custom' match='exact'>{}</cpu>", parts.join(""))
}

/// All lab hosts share one CPU, so doctor never needs a baseline there:
/// the call it makes (virConnectBaselineHypervisorCPU) is made here on
/// lab1, for lab1's host-model CPU and a poorer one of the same vendor.
#[test]
fn a_baseline_cpu_from_a_real_host() {
    use vmigrate::testing::{GuestTarget, Host, HostLink};
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let cpus = vec![
        lab1_host_model(),
        "<cpu mode='custom' match='exact'><model>Opteron_G3</model><vendor>AMD</vendor>\
         <feature policy='require' name='x2apic'/></cpu>"
            .to_string(),
    ];
    let inv = vmigrate::testing::load(&lab.inventory).unwrap();
    let host = inv.host("lab1").unwrap().clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let link = HostLink::open(host).await;
        let lab1 = Host::new(link.libvirt.as_ref().expect("libvirt on lab1").clone());
        let xml = lab1
            .baseline_cpu(&GuestTarget::default(), &cpus)
            .await
            .expect("a baseline");
        // As `virsh hypervisor-cpu-baseline --migratable` answers on lab1.
        assert!(
            xml.contains("<model fallback='forbid'>kvm64</model>"),
            "{xml}"
        );
        assert!(
            xml.contains("<feature policy='require' name='x2apic'/>"),
            "{xml}"
        );
        assert!(
            !xml.contains("name='clzero'"),
            "a feature only lab1 has: {xml}"
        );
        // Two vendors have none: libvirt's error, not a crash.
        let intel = "<cpu mode='custom' match='exact'><model>Cascadelake-Server</model>\
                     <vendor>Intel</vendor></cpu>"
            .to_string();
        let e = lab1
            .baseline_cpu(&GuestTarget::default(), &[lab1_host_model(), intel])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("vendor"), "{e}");
    });
}
