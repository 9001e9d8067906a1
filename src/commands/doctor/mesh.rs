//! The peer-to-peer mesh: for each ordered pair of hosts A → B, can A's
//! libvirtd reach B's `peer_uri` (and, over SSH, log in with B's host key
//! known) and B's `migration_uri` port? Tested on A itself, so that a
//! firewall between the hosts shows up even when the operator reaches both.
//! Here: which probes a destination needs, and what their outcomes mean.

pub mod probe;
pub mod uri;

use probe::{Outcome, Probe, Ssh, Tcp, CONNECT_SECS};
use uri::{MIGRATION_PORT_MAX, MIGRATION_PORT_MIN};

use super::finding::Finding;
use crate::checks::Status;
use crate::inventory::Host;

/// What a probe tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The TCP port of the destination's `peer_uri`.
    Peer,
    /// The ssh login of a `qemu+ssh` `peer_uri`.
    PeerSsh,
    /// The destination's `migration_uri` port; `range`: no port was given,
    /// so the first of libvirt's 49152–49215 stands for the range.
    Migration { range: bool },
}

impl Kind {
    fn id(self) -> &'static str {
        match self {
            Kind::Peer => "mesh.peer",
            Kind::PeerSsh => "mesh.peer_ssh",
            Kind::Migration { .. } => "mesh.migration",
        }
    }
}

/// The probes any source runs to reach `dest`, and a failure per URI of
/// `dest` that has no endpoint to test.
pub fn probes_to(dest: &Host) -> (Vec<(Kind, Probe)>, Vec<Finding>) {
    let mut probes = Vec::new();
    let mut bad = Vec::new();
    match uri::peer(&dest.peer_uri) {
        Ok(p) => {
            probes.push((
                Kind::Peer,
                Probe::Tcp {
                    address: p.endpoint.address.clone(),
                    port: p.endpoint.port,
                },
            ));
            if let Some(login) = p.ssh {
                probes.push((
                    Kind::PeerSsh,
                    Probe::Ssh {
                        address: p.endpoint.address,
                        port: p.endpoint.port,
                        user: login.user,
                        keyfile: login.keyfile,
                    },
                ));
            }
        }
        Err(e) => bad.push(Finding::problem(
            "mesh.peer",
            Status::Fail,
            Some(&dest.name),
            format!("peer_uri of {}: {e}", dest.name),
            format!(
                "set {}'s peer_uri to a URI other hosts can reach it by (qemu+ssh://ADDRESS/system, qemu+tls://…)",
                dest.name
            ),
        )),
    }
    match uri::migration(&dest.migration_uri) {
        Ok((e, range)) => probes.push((
            Kind::Migration { range },
            Probe::Tcp {
                address: e.address,
                port: e.port,
            },
        )),
        Err(e) => bad.push(Finding::problem(
            "mesh.migration",
            Status::Fail,
            Some(&dest.name),
            format!("migration_uri of {}: {e}", dest.name),
            format!(
                "set {}'s migration_uri to tcp://ADDRESS (or tcp://ADDRESS:PORT)",
                dest.name
            ),
        )),
    }
    (probes, bad)
}

/// The findings of the probes from `from` to `to`. `login` is the user
/// doctor's SSH session runs the probes as (libvirtd runs ssh as root).
pub fn judge(from: &str, to: &str, login: &str, probes: &[(Kind, Probe, Outcome)]) -> Vec<Finding> {
    let peer_blocked = probes
        .iter()
        .any(|(k, _, o)| *k == Kind::Peer && !matches!(o, Outcome::Tcp(Tcp::Open)));
    probes
        .iter()
        .map(|(kind, probe, outcome)| {
            let f = if *kind == Kind::PeerSsh && peer_blocked {
                Finding::skip(
                    kind.id(),
                    Some(from),
                    format!("{from} → {to}: ssh login not judged: the peer_uri port is not open"),
                )
            } else {
                one(from, to, login, *kind, probe, outcome)
            };
            f.to(to)
        })
        .collect()
}

/// One probe's finding.
fn one(from: &str, to: &str, login: &str, kind: Kind, probe: &Probe, outcome: &Outcome) -> Finding {
    let (address, port) = match probe {
        Probe::Tcp { address, port } | Probe::Ssh { address, port, .. } => (address, *port),
    };
    let at = format!("{address}:{port}");
    let what = match kind {
        Kind::Peer => format!("peer_uri port {at}"),
        Kind::PeerSsh => format!("ssh login to {at}"),
        Kind::Migration { range: true } => {
            format!("migration port {at} (first of {address}:{MIGRATION_PORT_MIN}–{MIGRATION_PORT_MAX})")
        }
        Kind::Migration { range: false } => format!("migration port {at}"),
    };
    let fail = |message: String, fix: String| {
        Finding::problem(
            kind.id(),
            Status::Fail,
            Some(from),
            format!("{from} → {to}: {message}"),
            fix,
        )
    };
    let pass =
        |message: String| Finding::pass(kind.id(), Some(from), format!("{from} → {to}: {message}"));
    let open_fix = || {
        match kind {
        Kind::Migration { range } => format!(
            "open TCP {} from {from} to {address} (firewall on {from}, on {to} or between them): {from}'s QEMU sends the guest's memory there",
            if range {
                format!("{MIGRATION_PORT_MIN}–{MIGRATION_PORT_MAX} (libvirt's migration ports)")
            } else {
                port.to_string()
            }
        ),
        _ => format!(
            "open TCP {port} from {from} to {address} (firewall on {from}, on {to} or between them): {from}'s libvirtd connects there to start every migration to {to}"
        ),
    }
    };
    match outcome {
        Outcome::Missing => Finding::problem(
            kind.id(),
            Status::Warn,
            Some(from),
            format!("{from} → {to}: {what}: the probe gave no result"),
            "run doctor again; if it persists, run it with -v",
        ),
        Outcome::Tcp(Tcp::Open) => pass(format!("{what} open")),
        Outcome::Tcp(Tcp::Refused) => match kind {
            // QEMU listens only while a migration comes in: a refusal is
            // the answer of an open path.
            Kind::Migration { .. } => pass(format!("{what} reachable (refused: nothing listens between migrations)")),
            _ => fail(
                format!("{what}: connection refused, nothing listens there"),
                format!(
                    "make {to} listen on {port} (sshd for qemu+ssh; libvirtd --listen with listen_tcp/listen_tls for qemu+tcp/tls) or correct {to}'s peer_uri"
                ),
            ),
        },
        Outcome::Tcp(Tcp::Timeout) => fail(
            format!("{what} BLOCKED: no answer within {CONNECT_SECS} s (packets dropped)"),
            open_fix(),
        ),
        Outcome::Tcp(Tcp::Unreachable(why)) => fail(format!("{what} BLOCKED: {why}"), open_fix()),
        Outcome::Tcp(Tcp::Error(why)) => fail(
            format!("{what}: {why}"),
            format!("make {address} resolve and route from {from}, or correct {to}'s URIs"),
        ),
        Outcome::Ssh(s) => ssh_finding(from, to, login, &at, address, port, s, &pass, &fail),
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "one call site, the probe's parts spelled out"
)]
fn ssh_finding(
    from: &str,
    to: &str,
    login: &str,
    at: &str,
    address: &str,
    port: u16,
    s: &Ssh,
    pass: &dyn Fn(String) -> Finding,
    fail: &dyn Fn(String, String) -> Finding,
) -> Finding {
    let as_who = if login == "root" {
        String::new()
    } else {
        format!(" (checked as {login}; libvirtd runs ssh as root)")
    };
    let keyscan = if port == 22 {
        format!("ssh-keyscan {address}")
    } else {
        format!("ssh-keyscan -p {port} {address}")
    };
    match s {
        Ssh::Ok => pass(format!("ssh login to {at} works (host key known, key accepted){as_who}")),
        Ssh::UnknownHostKey => fail(
            format!("{from}'s root does not know {to}'s host key ({at}): libvirtd's ssh refuses it{as_who}"),
            format!(
                "on {from}, as root: check {to}'s key fingerprint (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on {to}), then {keyscan} >> /root/.ssh/known_hosts"
            ),
        ),
        Ssh::ChangedHostKey => fail(
            format!("{to}'s host key ({at}) differs from the one {from}'s root has recorded{as_who}"),
            format!(
                "if {to} was reinstalled, verify its new key, then on {from} as root: ssh-keygen -R {address} and {keyscan} >> /root/.ssh/known_hosts"
            ),
        ),
        Ssh::Denied(why) => fail(
            format!("{to} refuses {from}'s key: {why}{as_who}"),
            format!(
                "add {from}'s root public key (or the keyfile= of {to}'s peer_uri) to {to}'s authorized_keys"
            ),
        ),
        Ssh::Error(why) => fail(
            format!("ssh login to {at}: {why}{as_who}"),
            format!("on {from} as root, run: ssh -o BatchMode=yes -p {port} {address} true, and fix what it says"),
        ),
    }
}

#[cfg(test)]
mod tests;
