//! libvirt carried over vmigrate's own SSH session.
//!
//! With a `qemu+ssh://` URI, libvirt would start an OpenSSH client of its
//! own: a second SSH connection per host, verified against OpenSSH's
//! `known_hosts` rather than the inventory's, and on a fleet-wide run the
//! dominant cost (each OpenSSH handshake costs far more CPU than the facts
//! it fetches). Instead, when the URI's user, host and port are the ones
//! vmigrate already has a verified session to, a local Unix socket (in a
//! private 0700 directory, see `socket_dir`) is bridged over that session
//! to libvirtd's own socket on the host — a `direct-streamlocal` channel
//! that sshd opens itself, with no process started there — or, where the
//! host refuses that (`AllowStreamLocalForwarding no`, another socket
//! path), to `virt-ssh-helper`, the program libvirt's own ssh transport
//! runs. libvirt opens `DRIVER+unix:///PATH?socket=…`. Other transports
//! are left to libvirt.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::net::UnixListener;
use tokio::task::JoinHandle;

use super::socket_dir::SocketDir;
use crate::inventory::Host;
use crate::ssh::SshSession;

/// Runs on the host: libvirt's own helper, or `nc` on hosts too old to have it.
const REMOTE_SCRIPT: &str = "if command -v virt-ssh-helper >/dev/null 2>&1; then \
     exec virt-ssh-helper \"$1\"; fi; exec nc -U \"$2\"";

/// What to run on the host for a tunnelled URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelPlan {
    /// The URI as seen on the host, e.g. `qemu:///system`.
    pub remote_uri: String,
    /// libvirtd's socket, for the `nc` fallback.
    pub remote_socket: String,
    /// The driver, e.g. `qemu`.
    pub driver: String,
    /// The URI path, e.g. `/system`.
    pub path: String,
}

/// `Some` when `uri` is an ssh-transport URI to the same user, address and
/// port as the host's SSH settings, with no parameters that would change
/// what is reached (only ssh-transport parameters, which the tunnel replaces).
pub fn plan(uri: &str, host: &Host) -> Option<TunnelPlan> {
    const SSH_PARAMS: [&str; 7] = [
        "keyfile",
        "no_tty",
        "no_verify",
        "netcat",
        "known_hosts",
        "sshauth",
        "mode",
    ];
    let (scheme, rest) = uri.split_once("://")?;
    let driver = scheme.strip_suffix("+ssh")?;
    let (authority, path_query) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    let only_ssh_params = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .all(|kv| SSH_PARAMS.contains(&kv.split('=').next().unwrap_or("")));
    // Only the system daemon: it is what migrations talk to, and its socket
    // path is fixed for the `nc` fallback.
    if !only_ssh_params || path != "/system" {
        return None;
    }
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, hp)) => (Some(u), hp),
        None => (None, authority),
    };
    let (addr, port) = split_host_port(hostport)?;
    let same_user = user.is_none_or(|u| u == host.user);
    let same_port = port.unwrap_or(22) == host.port;
    if !(same_user && same_port && addr == host.address) {
        return None;
    }
    Some(TunnelPlan {
        remote_uri: format!("{driver}://{path}"),
        remote_socket: "/var/run/libvirt/libvirt-sock".to_string(),
        driver: driver.to_string(),
        path: path.to_string(),
    })
}

/// `host[:port]` or `[v6][:port]`.
fn split_host_port(s: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((h.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), Some(p.parse().ok()?))),
        None => Some((s.to_string(), None)),
    }
}

/// A running tunnel; dropping it stops accepting and removes the socket.
pub struct Tunnel {
    /// The URI libvirt opens locally.
    pub local_uri: String,
    accept: JoinHandle<()>,
    _dir: SocketDir,
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Tunnel {
    /// Listens on a fresh private socket; every connection libvirt makes to
    /// it becomes one channel on `ssh`: to libvirtd's socket, or else to
    /// `virt-ssh-helper`.
    pub fn start(ssh: Arc<SshSession>, plan: &TunnelPlan) -> std::io::Result<Tunnel> {
        // No other local user may reach the socket and, through it, the
        // host's libvirtd.
        let dir = SocketDir::create()?;
        let socket: PathBuf = dir.path().join("libvirt.sock");
        let listener = UnixListener::bind(&socket)?;
        SocketDir::restrict(&socket)?;
        let argv: Arc<Vec<String>> = Arc::new(vec![
            "sh".into(),
            "-c".into(),
            REMOTE_SCRIPT.into(),
            "vmigrate-libvirt-tunnel".into(),
            plan.remote_uri.clone(),
            plan.remote_socket.clone(),
        ]);
        let socket_there = Arc::new(plan.remote_socket.clone());
        // Once the host refused a stream-local channel, it is not asked
        // again for this tunnel.
        let refused = Arc::new(AtomicBool::new(false));
        let accept = tokio::spawn(async move {
            while let Ok((local, _)) = listener.accept().await {
                let (ssh, argv) = (ssh.clone(), argv.clone());
                let (socket_there, refused) = (socket_there.clone(), refused.clone());
                tokio::spawn(async move {
                    tracing::debug!(host = ssh.host(), "libvirt tunnel: connection accepted");
                    // libvirtd's socket straight from sshd: no helper
                    // process to start on the host (the slowest step of
                    // opening libvirt). Else the helper, as libvirt's own
                    // ssh transport runs it.
                    let direct = if refused.load(Ordering::Relaxed) {
                        None
                    } else {
                        match ssh.open_socket(&socket_there).await {
                            Ok(ch) => Some(ch),
                            Err(e) => {
                                tracing::debug!(
                                    host = ssh.host(),
                                    "libvirt tunnel: {e}; using the helper"
                                );
                                refused.store(true, Ordering::Relaxed);
                                None
                            }
                        }
                    };
                    // On failure the local end just closes: libvirt reports
                    // the connection as ended, and its error gets a hint.
                    let r = match direct {
                        Some(ch) => ssh.shuttle(ch, local).await,
                        None => ssh.pipe(&argv, local).await,
                    };
                    tracing::debug!(host = ssh.host(), "libvirt tunnel: closed: {r:?}");
                });
            }
        });
        Ok(Tunnel {
            local_uri: format!(
                "{}+unix://{}?socket={}",
                plan.driver,
                plan.path,
                socket.display()
            ),
            accept,
            _dir: dir,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(user: &str, address: &str, port: u16) -> Host {
        let text = format!(
            "[[hosts]]\nname = \"h\"\naddress = \"{address}\"\nuser = \"{user}\"\nport = {port}\n"
        );
        crate::inventory::parse(&text, std::path::Path::new("t.toml"))
            .unwrap()
            .hosts
            .remove(0)
    }

    #[test]
    fn default_template_is_tunnelled() {
        let h = host("root", "10.0.0.1", 22);
        let p = plan(&h.libvirt_uri, &h).expect("default URI tunnels");
        assert_eq!(p.remote_uri, "qemu:///system");
        assert_eq!(p.driver, "qemu");
        let p = plan("qemu+ssh://10.0.0.1/system?keyfile=/k&no_tty=1", &h).unwrap();
        assert_eq!(p.path, "/system");
    }

    #[test]
    fn other_targets_are_left_to_libvirt() {
        let h = host("root", "10.0.0.1", 22);
        assert!(plan("qemu+tls://10.0.0.1/system", &h).is_none());
        assert!(plan("qemu+ssh://admin@10.0.0.1/system", &h).is_none());
        assert!(plan("qemu+ssh://10.0.0.2/system", &h).is_none());
        assert!(plan("qemu+ssh://10.0.0.1:2222/system", &h).is_none());
        assert!(plan("qemu+ssh://10.0.0.1/system?socket=/x", &h).is_none());
    }

    #[test]
    fn ipv6_and_ports() {
        let h = host("root", "fd00::1", 2222);
        let p = plan(&h.libvirt_uri, &h).expect("bracketed v6 with port");
        assert_eq!(p.remote_uri, "qemu:///system");
        assert_eq!(split_host_port("[fd00::1]"), Some(("fd00::1".into(), None)));
        assert_eq!(split_host_port("h:x"), None);
    }
}
