//! One SSH connection to one host: connect, verify, authenticate, run commands.

use std::sync::Arc;
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{self, PrivateKeyWithHashAlg};
use russh::ChannelMsg;

use super::host_key::{preferred_algorithms, Verifier};
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
        let mut config = client::Config {
            // Keepalives turn a dead peer into an error instead of a hang.
            keepalive_interval: Some(Duration::from_secs(5)),
            keepalive_max: 3,
            nodelay: true,
            ..Default::default()
        };
        let defaults = config.preferred.key.to_vec();
        config.preferred.key =
            preferred_algorithms(&host.address, host.port, &host.known_hosts, &defaults).into();
        let (verifier, refusal) = Verifier::new(
            &host.name,
            &host.address,
            host.port,
            host.known_hosts.clone(),
        );
        let addr = (host.address.as_str(), host.port);
        let connected = client::connect(Arc::new(config), addr, verifier).await;
        let mut handle = match connected {
            Ok(h) => h,
            Err(e) => {
                // A refused host key surfaces from russh as a generic error;
                // the verifier kept the real reason.
                if let Some(reason) = refusal.lock().expect("refusal lock").take() {
                    return Err(reason);
                }
                return Err(match e {
                    russh::Error::IO(source) => SshError::Connect {
                        host: host.name.clone(),
                        addr: format!("{}:{}", host.address, host.port),
                        source,
                    },
                    other => SshError::Protocol {
                        host: host.name.clone(),
                        reason: other.to_string(),
                    },
                });
            }
        };
        authenticate(&mut handle, host).await?;
        Ok(SshSession {
            host: host.name.clone(),
            handle,
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
        mut local: tokio::net::UnixStream,
    ) -> Result<(), SshError> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let proto = |e: russh::Error| SshError::Protocol {
            host: self.host.clone(),
            reason: e.to_string(),
        };
        let mut ch = self.handle.channel_open_session().await.map_err(proto)?;
        ch.exec(true, command_line(argv)).await.map_err(proto)?;
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

/// Identity file when the inventory names one, the ssh-agent otherwise.
async fn authenticate(handle: &mut Handle<Verifier>, host: &Host) -> Result<(), SshError> {
    match &host.identity_file {
        Some(path) => with_identity_file(handle, host, path).await,
        None => with_agent(handle, host).await,
    }
}

fn protocol_error(host: &Host) -> impl Fn(russh::Error) -> SshError + Copy + '_ {
    |e| SshError::Protocol {
        host: host.name.clone(),
        reason: e.to_string(),
    }
}

async fn with_identity_file(
    handle: &mut Handle<Verifier>,
    host: &Host,
    path: &std::path::Path,
) -> Result<(), SshError> {
    let proto = protocol_error(host);
    let key = load_identity(&host.name, path)?;
    let hash = if matches!(key.algorithm(), keys::Algorithm::Rsa { .. }) {
        handle
            .best_supported_rsa_hash()
            .await
            .map_err(proto)?
            .flatten()
    } else {
        None
    };
    let key = PrivateKeyWithHashAlg::new(Arc::new(key), hash);
    let res = handle
        .authenticate_publickey(&host.user, key)
        .await
        .map_err(proto)?;
    if res.success() {
        return Ok(());
    }
    Err(SshError::Auth {
        host: host.name.clone(),
        user: host.user.clone(),
        tried: format!("key {}", path.display()),
    })
}

/// The private key in `path`. Its error names the file and russh's
/// reason, never the file's content (see the tests: russh's reasons are
/// about the format, and the key itself is never formatted).
#[allow(
    clippy::result_large_err,
    reason = "built once, when a connection fails; its callers return the same error"
)]
fn load_identity(host: &str, path: &std::path::Path) -> Result<keys::PrivateKey, SshError> {
    keys::load_secret_key(path, None).map_err(|e| SshError::Identity {
        host: host.to_owned(),
        path: path.to_path_buf(),
        reason: format!("{e} (passphrase-protected keys must be loaded into ssh-agent instead)"),
    })
}

async fn with_agent(handle: &mut Handle<Verifier>, host: &Host) -> Result<(), SshError> {
    let proto = protocol_error(host);
    let mut agent = keys::agent::client::AgentClient::connect_env()
        .await
        .map_err(|e| SshError::Auth {
            host: host.name.clone(),
            user: host.user.clone(),
            tried: format!("no identity_file in the inventory and no usable ssh-agent: {e}"),
        })?;
    let identities = agent
        .request_identities()
        .await
        .map_err(|e| SshError::Auth {
            host: host.name.clone(),
            user: host.user.clone(),
            tried: format!("ssh-agent: {e}"),
        })?;
    let rsa_hash = handle
        .best_supported_rsa_hash()
        .await
        .map_err(proto)?
        .flatten();
    let count = identities.len();
    for id in identities {
        let keys::agent::AgentIdentity::PublicKey { key, .. } = id else {
            continue;
        };
        let hash = if matches!(key.algorithm(), keys::Algorithm::Rsa { .. }) {
            rsa_hash
        } else {
            None
        };
        if let Ok(res) = handle
            .authenticate_publickey_with(&host.user, key, hash, &mut agent)
            .await
        {
            if res.success() {
                return Ok(());
            }
        }
    }
    Err(SshError::Auth {
        host: host.name.clone(),
        user: host.user.clone(),
        tried: format!("{count} ssh-agent keys"),
    })
}

#[cfg(test)]
mod tests {
    use super::load_identity;

    const MARKER: &str = "SECRETMARKERc2VjcmV0IGtleSBtYXRlcmlhbA";

    /// Identity files that do not load — garbage under each header russh
    /// knows, binary, a public key, a real key damaged or encrypted — give
    /// an error that names the file and never quotes a line of its body.
    #[test]
    fn an_identity_file_that_does_not_load_is_named_not_quoted() {
        let d = tempfile::tempdir().unwrap();
        let body = format!("{MARKER}\n{MARKER}{MARKER}==\n");
        let mut files: Vec<(String, Vec<u8>)> = [
            "-----BEGIN OPENSSH PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----",
            "-----BEGIN EC PRIVATE KEY-----",
        ]
        .iter()
        .map(|begin| {
            let end = begin.replace("BEGIN", "END");
            (
                begin.to_string(),
                format!("{begin}\n{body}{end}\n").into_bytes(),
            )
        })
        .collect();
        files.push((
            "openssh, not base64".into(),
            format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{MARKER} {MARKER}!\n").into_bytes(),
        ));
        files.push((
            "putty".into(),
            format!(
                "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: {MARKER}\n\
                 Public-Lines: 1\n{MARKER}\nPrivate-Lines: 1\n{MARKER}\nPrivate-MAC: {MARKER}\n"
            )
            .into_bytes(),
        ));
        files.push(("no header".into(), format!("{MARKER}\n").into_bytes()));
        let mut binary = b"-----BEGIN OPENSSH PRIVATE KEY-----\n\xff\xfe".to_vec();
        binary.extend_from_slice(MARKER.as_bytes());
        files.push(("binary".into(), binary));
        files.extend(keygen_files(d.path()));

        for (i, (what, content)) in files.iter().enumerate() {
            let path = d.path().join(format!("id_{i}"));
            std::fs::write(&path, content).unwrap();
            let Err(e) = load_identity("kvm1", &path) else {
                panic!("{what}: loaded");
            };
            eprintln!("{what}: {e}");
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(shown.contains(&format!("id_{i}")), "{what}: {shown}");
                assert!(!shown.contains("SECRETMARKER"), "{what}: {shown}");
                for line in String::from_utf8_lossy(content).lines() {
                    let line = line.trim();
                    if line.len() >= 16 && !line.starts_with("-----") {
                        assert!(!shown.contains(line), "{what}: quotes {line:?}: {shown}");
                    }
                }
            }
        }
    }

    /// With ssh-keygen: a real key encrypted with a passphrase (vmigrate
    /// has none to give), and a real key with a byte of its body changed.
    fn keygen_files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for (name, passphrase) in [("encrypted", "correct horse"), ("plain", "")] {
            let path = dir.join(format!("keygen_{name}"));
            let made = std::process::Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-C", "", "-N", passphrase, "-f"])
                .arg(&path)
                .output();
            if !made.is_ok_and(|o| o.status.success()) {
                eprintln!("skipped: ssh-keygen is not available for the {name} key");
                continue;
            }
            let mut content = std::fs::read(&path).unwrap();
            if passphrase.is_empty() {
                // A character in the middle of the body made not base64:
                // russh then reads the key without that line, which fails.
                let at = content.len() / 2;
                content[at] = b'!';
                out.push(("keygen, damaged".into(), content));
            } else {
                out.push(("keygen, encrypted".into(), content));
            }
        }
        out
    }
}
