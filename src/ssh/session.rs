//! One SSH connection to one host: connect, verify, authenticate, run commands.

use std::sync::Arc;
use std::time::Duration;

use russh::client::{self, Handle};
use russh::ChannelMsg;

use super::auth::authenticate;
use super::endpoint::{keepalive, Endpoint};
use super::host_key::{certificate_algorithms, preferred_algorithms, Verifier};
use super::jump;
use super::quote::command_line;
use super::SshError;
use crate::inventory::Host;

/// What a remote command produced.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit status (255 when the remote side died on a signal or sent none).
    pub status: u32,
    pub stdout: String,
    pub stderr: String,
}

/// An authenticated connection to one inventory host.
pub struct SshSession {
    host: String,
    handle: Handle<Verifier>,
    /// The `ProxyJump` hops' sessions, first hop first: they carry this
    /// one, so they live as long as it does.
    _jumps: Vec<Handle<Verifier>>,
    command_timeout: Duration,
}

impl SshSession {
    /// Connects, verifies the host key and authenticates, all within the
    /// host's `connect_timeout`.
    pub async fn connect(host: &Host) -> Result<SshSession, SshError> {
        let limit = host.connect_timeout;
        match tokio::time::timeout(limit, Self::connect_inner(host)).await {
            Ok(r) => r,
            Err(_) => Err(SshError::Timeout {
                host: host.name.clone(),
                addr: host.address.clone(),
                after: limit,
            }),
        }
    }

    async fn connect_inner(host: &Host) -> Result<SshSession, SshError> {
        let target = Endpoint::target(host);
        let jumps: Vec<Endpoint> = host
            .ssh
            .jumps
            .iter()
            .map(|j| Endpoint::jump(host, j))
            .collect();
        let mut hops = jumps.iter().chain(std::iter::once(&target));
        let first = hops.next().expect("the target is always a hop");
        let mut handle = direct(host, first).await?;
        authenticate(&mut handle, first).await?;
        let mut previous = Vec::new();
        let mut from = first;
        for ep in hops {
            let channel = handle
                .channel_open_direct_tcpip(ep.address, u32::from(ep.port), "127.0.0.1", 0)
                .await
                .map_err(|e| SshError::Protocol {
                    host: ep.label.clone(),
                    reason: format!(
                        "{} cannot open a connection to {}:{}: {e}",
                        from.label, ep.address, ep.port
                    ),
                })?;
            previous.push(handle);
            let (config, verifier, refusal) = client_setup(host, ep);
            let connected = client::connect_stream(config, jump::stream(channel), verifier).await;
            handle = handshake_result(connected, &refusal, ep)?;
            authenticate(&mut handle, ep).await?;
            from = ep;
        }
        Ok(SshSession {
            host: host.name.clone(),
            handle,
            _jumps: previous,
            command_timeout: Duration::from_secs(60),
        })
    }

    /// Runs `argv` on the host (each argument quoted) and collects its output.
    pub async fn run<S: AsRef<str>>(&self, argv: &[S]) -> Result<Output, SshError> {
        let cmd = command_line(argv);
        match tokio::time::timeout(self.command_timeout, self.run_line(&cmd)).await {
            Ok(r) => r,
            Err(_) => Err(SshError::Protocol {
                host: self.host.clone(),
                reason: format!(
                    "`{cmd}` gave no result within {}s",
                    self.command_timeout.as_secs()
                ),
            }),
        }
    }

    /// Like [`run`](Self::run) but a non-zero exit is an error; returns stdout.
    pub async fn check<S: AsRef<str>>(&self, argv: &[S]) -> Result<String, SshError> {
        let out = self.run(argv).await?;
        if out.status == 0 {
            Ok(out.stdout)
        } else {
            Err(SshError::Command {
                host: self.host.clone(),
                command: command_line(argv),
                status: out.status,
                stderr: out.stderr.trim().to_string(),
            })
        }
    }

    /// Runs `argv` on the host with its stdin/stdout joined to `local`
    /// (stderr is discarded) until either side ends: the transport for a
    /// tunnelled protocol. Uses the channel's message API rather than
    /// russh's `ChannelStream`, which stalled libvirt's RPC here after the
    /// first few round trips.
    pub async fn pipe<S: AsRef<str>>(
        &self,
        argv: &[S],
        local: tokio::net::UnixStream,
    ) -> Result<(), SshError> {
        let proto = |e: russh::Error| SshError::Protocol {
            host: self.host.clone(),
            reason: e.to_string(),
        };
        let ch = self.handle.channel_open_session().await.map_err(proto)?;
        ch.exec(true, command_line(argv)).await.map_err(proto)?;
        self.shuttle(ch, local).await
    }

    /// A channel to the Unix socket `path` on the host, opened by sshd
    /// itself (OpenSSH's `direct-streamlocal`): no process is started
    /// there. `Err` when the host refuses it (`AllowStreamLocalForwarding
    /// no`, no such socket, or no permission).
    pub async fn open_socket(&self, path: &str) -> Result<russh::Channel<client::Msg>, SshError> {
        self.handle
            .channel_open_direct_streamlocal(path)
            .await
            .map_err(|e| SshError::Protocol {
                host: self.host.clone(),
                reason: format!("stream-local channel to {path}: {e}"),
            })
    }

    /// Joins `ch` and `local` until either side ends (see [`pipe`](Self::pipe)).
    pub async fn shuttle(
        &self,
        mut ch: russh::Channel<client::Msg>,
        mut local: tokio::net::UnixStream,
    ) -> Result<(), SshError> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let proto = |e: russh::Error| SshError::Protocol {
            host: self.host.clone(),
            reason: e.to_string(),
        };
        let mut buf = vec![0u8; 64 * 1024];
        let io = |e: std::io::Error| SshError::Protocol {
            host: self.host.clone(),
            reason: format!("tunnel: {e}"),
        };
        loop {
            tokio::select! {
                n = local.read(&mut buf) => {
                    let n = n.map_err(io)?;
                    if n == 0 {
                        let _ = ch.eof().await;
                        return Ok(());
                    }
                    ch.data(&buf[..n]).await.map_err(proto)?;
                }
                msg = ch.wait() => match msg {
                    Some(ChannelMsg::Data { data }) => local.write_all(&data).await.map_err(io)?,
                    Some(ChannelMsg::Eof | ChannelMsg::Close) | None => return Ok(()),
                    Some(_) => {}
                },
            }
        }
    }

    /// The inventory name of the host.
    pub fn host(&self) -> &str {
        &self.host
    }

    async fn run_line(&self, cmd: &str) -> Result<Output, SshError> {
        let proto = |e: russh::Error| SshError::Protocol {
            host: self.host.clone(),
            reason: e.to_string(),
        };
        let mut ch = self.handle.channel_open_session().await.map_err(proto)?;
        ch.exec(true, cmd).await.map_err(proto)?;
        let (mut stdout, mut stderr, mut status) = (Vec::new(), Vec::new(), None);
        while let Some(msg) = ch.wait().await {
            match msg {
                ChannelMsg::Data { data } => stdout.extend_from_slice(&data),
                ChannelMsg::ExtendedData { data, .. } => stderr.extend_from_slice(&data),
                ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                ChannelMsg::ExitSignal { signal_name, .. } => {
                    stderr.extend_from_slice(format!("killed by {signal_name:?}").as_bytes());
                }
                // The channel's sender is not always dropped after Close
                // while other channels of the session are open, so `wait`
                // would not end: Close is the end.
                ChannelMsg::Close => break,
                _ => {}
            }
        }
        Ok(Output {
            status: status.unwrap_or(255),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }
}

/// The refusal slot a verifier fills when it turns a host key down.
type Refusal = Arc<std::sync::Mutex<Option<SshError>>>;

/// The client configuration and host-key verifier for one endpoint.
fn client_setup(host: &Host, ep: &Endpoint<'_>) -> (Arc<client::Config>, Verifier, Refusal) {
    let mut config = client::Config {
        // Keepalives turn a dead peer into an error instead of a hang.
        keepalive_interval: Some(keepalive(host)),
        keepalive_max: 3,
        nodelay: true,
        ..Default::default()
    };
    let defaults = config.preferred.key.to_vec();
    config.preferred.key =
        preferred_algorithms(ep.address, ep.port, ep.known_hosts, &defaults).into();
    config.preferred.host_key_certificates =
        certificate_algorithms(ep.address, ep.port, ep.known_hosts, &defaults).into();
    let (verifier, refusal) =
        Verifier::new(&ep.label, ep.address, ep.port, ep.known_hosts.to_path_buf());
    (Arc::new(config), verifier, refusal)
}

/// A TCP connection and SSH handshake straight to `ep`.
async fn direct(host: &Host, ep: &Endpoint<'_>) -> Result<Handle<Verifier>, SshError> {
    let (config, verifier, refusal) = client_setup(host, ep);
    let connected = client::connect(config, (ep.address, ep.port), verifier).await;
    handshake_result(connected, &refusal, ep)
}

/// The handshake's outcome, with the verifier's reason when it refused the key.
#[allow(
    clippy::result_large_err,
    reason = "built once, when a connection fails; its callers return the same error"
)]
fn handshake_result(
    connected: Result<Handle<Verifier>, russh::Error>,
    refusal: &Refusal,
    ep: &Endpoint<'_>,
) -> Result<Handle<Verifier>, SshError> {
    match connected {
        Ok(h) => Ok(h),
        Err(e) => {
            // A refused host key surfaces from russh as a generic error;
            // the verifier kept the real reason.
            if let Some(reason) = refusal.lock().expect("refusal lock").take() {
                return Err(reason);
            }
            Err(match e {
                russh::Error::IO(source) => SshError::Connect {
                    host: ep.label.clone(),
                    addr: format!("{}:{}", ep.address, ep.port),
                    source,
                },
                other => SshError::Protocol {
                    host: ep.label.clone(),
                    reason: other.to_string(),
                },
            })
        }
    }
}
