//! The mesh's verdicts, on the outcomes the lab's probes produced.

use super::probe::{Outcome, Probe, Ssh, Tcp};
use super::*;

fn lab_host(name: &str, addr: &str) -> Host {
    let text = format!(
        "[defaults]\npeer_uri = \"qemu+ssh://{{address}}/system?keyfile=/k&no_tty=1\"\n[[hosts]]\nname = \"{name}\"\naddress = \"{addr}\"\n"
    );
    crate::inventory::parse(&text, std::path::Path::new("t.toml"))
        .unwrap()
        .hosts
        .remove(0)
}

fn outcomes(dest: &Host, o: Vec<Outcome>) -> Vec<(Kind, Probe, Outcome)> {
    let (probes, bad) = probes_to(dest);
    assert!(bad.is_empty());
    probes
        .into_iter()
        .zip(o)
        .map(|((k, p), o)| (k, p, o))
        .collect()
}

#[test]
fn a_lab_destination_needs_three_probes() {
    let (p, bad) = probes_to(&lab_host("lab2", "10.213.77.12"));
    assert!(bad.is_empty());
    let kinds: Vec<Kind> = p.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds,
        [Kind::Peer, Kind::PeerSsh, Kind::Migration { range: true }]
    );
    assert_eq!(
        p[1].1,
        Probe::Ssh {
            address: "10.213.77.12".into(),
            port: 22,
            user: None,
            keyfile: Some("/k".into())
        }
    );
    assert_eq!(
        p[2].1,
        Probe::Tcp {
            address: "10.213.77.12".into(),
            port: 49152
        }
    );
}

#[test]
fn a_healthy_pair_passes_and_a_refused_migration_port_is_open() {
    let dest = lab_host("lab2", "10.213.77.12");
    let f = judge(
        "lab1",
        "lab2",
        "root",
        &outcomes(
            &dest,
            vec![
                Outcome::Tcp(Tcp::Open),
                Outcome::Ssh(Ssh::Ok),
                Outcome::Tcp(Tcp::Refused),
            ],
        ),
    );
    assert!(f.iter().all(|f| f.status == Status::Pass), "{f:#?}");
    assert!(f.iter().all(|f| f.peer.as_deref() == Some("lab2")));
    assert!(
        f[2].message.contains("refused: nothing listens"),
        "{}",
        f[2].message
    );
}

#[test]
fn a_blocked_migration_range_fails_naming_the_pair_and_the_ports() {
    let dest = lab_host("lab2", "10.213.77.12");
    let f = judge(
        "lab1",
        "lab2",
        "root",
        &outcomes(
            &dest,
            vec![
                Outcome::Tcp(Tcp::Open),
                Outcome::Ssh(Ssh::Ok),
                Outcome::Tcp(Tcp::Unreachable("No route to host".into())),
            ],
        ),
    );
    let m = &f[2];
    assert_eq!((m.id, m.status), ("mesh.migration", Status::Fail));
    assert!(
        m.message
            .starts_with("lab1 → lab2: migration port 10.213.77.12:49152"),
        "{}",
        m.message
    );
    assert!(m.message.contains("BLOCKED: No route to host"));
    assert!(
        m.fix.as_deref().unwrap().contains("open TCP 49152–49215"),
        "{:?}",
        m.fix
    );
}

#[test]
fn a_blocked_peer_port_fails_and_the_ssh_login_is_not_judged() {
    let dest = lab_host("lab2", "10.213.77.12");
    let f = judge(
        "lab1",
        "lab2",
        "root",
        &outcomes(
            &dest,
            vec![
                Outcome::Tcp(Tcp::Timeout),
                Outcome::Ssh(Ssh::Error("no answer".into())),
                Outcome::Tcp(Tcp::Refused),
            ],
        ),
    );
    assert_eq!(f[0].status, Status::Fail);
    assert!(f[0].message.contains("BLOCKED: no answer within 3 s"));
    assert!(f[0]
        .fix
        .as_deref()
        .unwrap()
        .contains("open TCP 22 from lab1 to 10.213.77.12"));
    assert_eq!(f[1].status, Status::Skip);
    // A refused peer port is a daemon that does not listen, not a firewall.
    let r = judge(
        "lab1",
        "lab2",
        "root",
        &outcomes(&dest, vec![Outcome::Tcp(Tcp::Refused)]),
    );
    assert!(r[0].message.contains("nothing listens") && r[0].failed());
}

#[test]
fn ssh_failures_say_what_to_run_on_the_source() {
    let dest = lab_host("lab2", "10.213.77.12");
    let run = |s: Ssh, login: &str| {
        judge(
            "lab1",
            "lab2",
            login,
            &outcomes(&dest, vec![Outcome::Tcp(Tcp::Open), Outcome::Ssh(s)]),
        )
        .remove(1)
    };
    let unknown = run(Ssh::UnknownHostKey, "root");
    assert!(unknown.failed());
    assert!(unknown
        .fix
        .unwrap()
        .contains("ssh-keyscan 10.213.77.12 >> /root/.ssh/known_hosts"));
    let denied = run(Ssh::Denied("Permission denied (publickey).".into()), "ops");
    assert!(
        denied
            .message
            .contains("checked as ops; libvirtd runs ssh as root"),
        "{}",
        denied.message
    );
    assert!(denied.fix.unwrap().contains("authorized_keys"));
    assert!(run(Ssh::ChangedHostKey, "root")
        .fix
        .unwrap()
        .contains("ssh-keygen -R 10.213.77.12"));
}

#[test]
fn uris_without_an_endpoint_are_failures_of_the_destination() {
    let mut h = lab_host("kvm9", "10.0.0.9");
    h.peer_uri = "qemu:///system".into();
    h.migration_uri = "unix:///run/m.sock".into();
    let (probes, bad) = probes_to(&h);
    assert!(probes.is_empty());
    let ids: Vec<&str> = bad.iter().map(|f| f.id).collect();
    assert_eq!(ids, ["mesh.peer", "mesh.migration"]);
    assert!(bad.iter().all(|f| f.failed() && f.fix.is_some()));
}
