//! Where a source host's libvirtd connects when a host is the destination:
//! the TCP endpoint of its `peer_uri` (libvirt's RPC, or the SSH that
//! carries it) and of its `migration_uri` (QEMU's migration stream).

/// A TCP endpoint to test a connection to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or address, without IPv6 brackets.
    pub address: String,
    pub port: u16,
}

/// Who the source's libvirtd logs in as when the peer URI goes over SSH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshLogin {
    /// `None`: ssh's default, the user libvirtd runs as (root).
    pub user: Option<String>,
    /// The URI's `keyfile=`.
    pub keyfile: Option<String>,
}

/// The peer URI's endpoint, and the SSH login when it is carried by ssh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub endpoint: Endpoint,
    pub ssh: Option<SshLogin>,
}

/// libvirt's default ports: its TCP and TLS listeners, and the first port
/// of the range QEMU's incoming migration takes one from (49152–49215).
pub const LIBVIRT_TCP_PORT: u16 = 16509;
pub const LIBVIRT_TLS_PORT: u16 = 16514;
pub const MIGRATION_PORT_MIN: u16 = 49152;
pub const MIGRATION_PORT_MAX: u16 = 49215;

/// Parses a peer URI (`qemu+ssh://[user@]host[:port]/system?keyfile=…`,
/// `qemu+tcp://…`, `qemu+tls://…`, `qemu://host/…`).
pub fn peer(uri: &str) -> Result<Peer, String> {
    let (scheme, rest) = uri
        .split_once("://")
        .ok_or_else(|| format!("{uri:?} is not a libvirt URI (driver+transport://host/…)"))?;
    let transport = scheme.split_once('+').map_or("tls", |(_, t)| t);
    let (default_port, over_ssh) = match transport {
        "ssh" | "libssh" | "libssh2" => (22, true),
        "tcp" => (LIBVIRT_TCP_PORT, false),
        "tls" => (LIBVIRT_TLS_PORT, false),
        other => {
            return Err(format!(
                "{uri:?}: transport {other:?} has no TCP endpoint to test"
            ))
        }
    };
    let (authority, query) = split_authority(rest);
    let (user, host, port) = authority_parts(authority, uri)?;
    let ssh = over_ssh.then(|| SshLogin {
        user,
        keyfile: query_value(query, "keyfile"),
    });
    Ok(Peer {
        endpoint: Endpoint {
            address: host,
            port: port.unwrap_or(default_port),
        },
        ssh,
    })
}

/// Parses a migration URI (`tcp://host[:port]`, or libvirt's older
/// `tcp:host[:port]`). Without a port, QEMU listens on the first free port
/// of 49152–49215: the range's first port is the one to test (`true`).
pub fn migration(uri: &str) -> Result<(Endpoint, bool), String> {
    let rest = uri
        .strip_prefix("tcp://")
        .or_else(|| uri.strip_prefix("tcp:"))
        .ok_or_else(|| {
            format!("{uri:?}: only tcp:// migration URIs have a TCP endpoint to test")
        })?;
    let (authority, _) = split_authority(rest);
    let (_, host, port) = authority_parts(authority, uri)?;
    Ok(match port {
        Some(p) => (
            Endpoint {
                address: host,
                port: p,
            },
            false,
        ),
        None => (
            Endpoint {
                address: host,
                port: MIGRATION_PORT_MIN,
            },
            true,
        ),
    })
}

/// `[user@]host[:port]` and the query, from what follows `scheme://`.
fn split_authority(rest: &str) -> (&str, &str) {
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let query = rest[end..].split_once('?').map_or("", |(_, q)| q);
    (&rest[..end], query)
}

/// User, host (IPv6 without brackets) and port of an authority.
fn authority_parts(
    authority: &str,
    uri: &str,
) -> Result<(Option<String>, String, Option<u16>), String> {
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u.to_string()).filter(|u| !u.is_empty()), h),
        None => (None, authority),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{uri:?}: unclosed '[' in the address"))?;
        (h, after.strip_prefix(':'))
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(format!(
            "{uri:?} names no host: a source host's libvirtd could not reach it"
        ));
    }
    let port = match port.filter(|p| !p.is_empty()) {
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("{uri:?}: bad port {p:?}"))?,
        ),
        None => None,
    };
    Ok((user, host.to_string(), port))
}

/// The value of `key` in a URI query, percent-decoded.
fn query_value(query: &str, key: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| percent_decode(v))
}

fn percent_decode(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(a: &str, p: u16) -> Endpoint {
        Endpoint {
            address: a.into(),
            port: p,
        }
    }

    #[test]
    fn peer_uris_of_every_transport() {
        // The lab's own peer_uri (tests/lab/lab.sh inventory).
        let lab = peer(
            "qemu+ssh://10.213.77.12/system?keyfile=/var/lib/vmigrate-lab/id_ed25519&no_tty=1",
        )
        .unwrap();
        assert_eq!(lab.endpoint, ep("10.213.77.12", 22));
        assert_eq!(
            lab.ssh,
            Some(SshLogin {
                user: None,
                keyfile: Some("/var/lib/vmigrate-lab/id_ed25519".into())
            })
        );
        let p = peer("qemu+ssh://mig@kvm2:2222/system?keyfile=/k%20ey").unwrap();
        assert_eq!(p.endpoint, ep("kvm2", 2222));
        let login = p.ssh.unwrap();
        assert_eq!(
            (login.user.as_deref(), login.keyfile.as_deref()),
            (Some("mig"), Some("/k ey"))
        );
        assert_eq!(
            peer("qemu+tcp://10.0.0.2/system").unwrap(),
            Peer {
                endpoint: ep("10.0.0.2", 16509),
                ssh: None
            }
        );
        assert_eq!(
            peer("qemu+tls://[fd00::13]/system").unwrap().endpoint,
            ep("fd00::13", 16514)
        );
        assert_eq!(
            peer("qemu://h:1234/system").unwrap().endpoint,
            ep("h", 1234)
        );
    }

    #[test]
    fn peer_uris_that_cannot_be_tested() {
        assert!(peer("qemu:///system")
            .unwrap_err()
            .contains("names no host"));
        assert!(peer("qemu+unix:///system")
            .unwrap_err()
            .contains("no TCP endpoint"));
        assert!(peer("kvm2").unwrap_err().contains("not a libvirt URI"));
        assert!(peer("qemu+tcp://h:99999/system")
            .unwrap_err()
            .contains("bad port"));
    }

    #[test]
    fn migration_uris() {
        assert_eq!(
            migration("tcp://10.213.77.12").unwrap(),
            (ep("10.213.77.12", 49152), true)
        );
        assert_eq!(
            migration("tcp://10.1.0.12:49200").unwrap(),
            (ep("10.1.0.12", 49200), false)
        );
        assert_eq!(migration("tcp:h:5000").unwrap(), (ep("h", 5000), false));
        assert_eq!(
            migration("tcp://[fd00::1]").unwrap(),
            (ep("fd00::1", 49152), true)
        );
        assert!(migration("unix:///run/x.sock").is_err());
        assert!(migration("tcp://").is_err());
    }
}
