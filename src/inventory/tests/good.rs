//! A valid inventory resolves to exactly the expected hosts.

#![allow(
    clippy::float_cmp,
    reason = "ratios parsed from decimal text compare exactly to the same literals"
)]

use std::path::PathBuf;
use std::time::Duration;

use super::parse_ok;

const GOOD: &str = r#"
[defaults]
user = "ops"
identity_file = "~/.ssh/vmigrate"
cpu_allocation_ratio = 8
libvirt_uri = "qemu+ssh://{user}@{address}:{port}/system?keyfile={{none}}"

[[hosts]]
name = "kvm1"
address = "10.0.0.11"
zone = "rack-a"
tags = ["ssd", "gpu"]

[[hosts]]
name = "kvm2"
address = "fd00::12"
migration_address = "fd00:1::12"
port = 2222
user = "root"
identity_file = ""
known_hosts = "/etc/ssh/ssh_known_hosts"
ram_allocation_ratio = 1.5
instances_path = "/srv/instances"
connect_timeout_secs = 30
disabled = true
disabled_reason = "RMA: bad DIMM"
"#;

#[test]
fn defaults_apply_when_nothing_overrides_them() {
    let inv = parse_ok(GOOD);
    let h = inv.host("kvm1").unwrap();
    assert_eq!(h.address, "10.0.0.11");
    assert_eq!(h.migration_address, "10.0.0.11");
    assert_eq!(h.zone.as_deref(), Some("rack-a"));
    assert_eq!(h.tags, ["ssd", "gpu"]);
    assert!(!h.disabled);
    assert_eq!(h.disabled_reason, None);
    assert_eq!(h.user, "ops");
    assert_eq!(h.port, 22);
    assert_eq!(
        h.identity_file,
        Some(PathBuf::from("/home/alice/.ssh/vmigrate"))
    );
    assert_eq!(h.known_hosts, PathBuf::from("/home/alice/.ssh/known_hosts"));
    assert_eq!(h.reserved_host_memory_mb, 512);
    assert_eq!(h.reserved_host_disk_mb, 0);
    assert_eq!(h.ram_allocation_ratio, 1.0);
    assert_eq!(h.cpu_allocation_ratio, 8.0);
    assert_eq!(
        h.libvirt_uri,
        "qemu+ssh://ops@10.0.0.11:22/system?keyfile={none}"
    );
    assert_eq!(h.peer_uri, "qemu+ssh://10.0.0.11/system");
    assert_eq!(h.migration_uri, "tcp://10.0.0.11");
    assert_eq!(h.instances_path, "/var/lib/libvirt/images");
    assert_eq!(h.connect_timeout, Duration::from_secs(10));
}

#[test]
fn host_overrides_win_and_ipv6_is_bracketed_in_uris() {
    let inv = parse_ok(GOOD);
    let h = inv.host("kvm2").unwrap();
    // The address itself stays bare; only URIs get brackets.
    assert_eq!(h.address, "fd00::12");
    assert_eq!(h.migration_address, "fd00:1::12");
    assert_eq!(h.user, "root");
    assert_eq!(h.port, 2222);
    assert_eq!(h.identity_file, None, "empty identity_file means ssh-agent");
    assert_eq!(h.known_hosts, PathBuf::from("/etc/ssh/ssh_known_hosts"));
    assert_eq!(h.ram_allocation_ratio, 1.5);
    assert_eq!(h.cpu_allocation_ratio, 8.0);
    assert_eq!(
        h.libvirt_uri,
        "qemu+ssh://root@[fd00::12]:2222/system?keyfile={none}"
    );
    assert_eq!(h.peer_uri, "qemu+ssh://[fd00::12]/system");
    assert_eq!(h.migration_uri, "tcp://[fd00:1::12]");
    assert_eq!(h.instances_path, "/srv/instances");
    assert_eq!(h.connect_timeout, Duration::from_secs(30));
    assert!(h.disabled);
    assert_eq!(h.disabled_reason.as_deref(), Some("RMA: bad DIMM"));
}

#[test]
fn hosts_keep_file_order_and_lookup_is_by_exact_name() {
    let inv = parse_ok(GOOD);
    assert_eq!(inv.path, PathBuf::from("inv.toml"));
    let names: Vec<&str> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["kvm1", "kvm2"]);
    assert!(inv.host("KVM1").is_none());
}

#[test]
fn minimal_inventory_uses_builtin_defaults() {
    let inv = parse_ok("[[hosts]]\nname = \"a\"\naddress = \"a.example\"\n");
    let h = &inv.hosts[0];
    assert_eq!(h.user, "alice", "default user comes from $USER");
    assert_eq!(h.identity_file, None);
    assert_eq!(h.cpu_allocation_ratio, 4.0);
    assert_eq!(h.libvirt_uri, "qemu+ssh://alice@a.example:22/system");
}

#[test]
fn inline_host_tables_work_too() {
    let inv = parse_ok("hosts = [{ name = \"a\", address = \"10.0.0.1\" }]\n");
    assert_eq!(inv.hosts[0].name, "a");
}
