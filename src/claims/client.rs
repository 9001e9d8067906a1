//! Taking, holding and releasing a claim over the host's SSH session: one
//! exec (the [`TAKE`](super::protocol::TAKE) script) that lists, decides,
//! writes and then holds the claim until [`Held::release`] — or until the
//! SSH connection closes because vmigrate died.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;
use tokio::task::JoinHandle;

use super::fit::Fit;
use super::protocol::{parse_line, Line, TAKE};
use super::{Claim, DIR};
use crate::maintenance::{self, Mark};
use crate::ssh::{SshError, SshSession};

/// Waiting for the listing may include waiting for another run's
/// check-and-claim (the script gives up on `.lock` after 30 s).
const LISTING: Duration = Duration::from_secs(45);
const ANSWER: Duration = Duration::from_secs(15);

/// The claim machinery failed on a host (no `flock`, no permission to
/// create the directory, the connection dropped): not a refusal.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot claim capacity on {host}: {reason}")]
pub struct ClaimError {
    pub host: String,
    pub reason: String,
}

/// What [`take`] got.
pub enum Taken {
    Held(Box<Held>),
    /// It did not fit; nothing was written.
    Refused {
        fit: Fit,
    },
}

/// A claim held on a host. Dropping it without [`release`](Held::release)
/// also ends it (the host sees the channel close), just without waiting.
pub struct Held {
    pub host: String,
    pub claim: Claim,
    /// Where it lives on the host.
    pub path: String,
    conv: Conversation,
}

/// The host side of one exec: its stdout as lines, its stdin.
struct Conversation {
    host: String,
    lines: Lines<BufReader<OwnedReadHalf>>,
    input: OwnedWriteHalf,
    /// The SSH side; `None` once awaited.
    task: Option<JoinHandle<Result<(), SshError>>>,
}

impl Conversation {
    fn start(ssh: Arc<SshSession>, file: &str) -> Result<Conversation, ClaimError> {
        let host = ssh.host().to_string();
        let (near, far) = UnixStream::pair().map_err(|e| ClaimError {
            host: host.clone(),
            reason: format!("local socket pair: {e}"),
        })?;
        let script = format!("{}{TAKE}", maintenance::protocol::READ_FN);
        let argv: Vec<String> = [
            "sh",
            "-c",
            &script,
            "vmigrate-claim",
            DIR,
            file,
            maintenance::FILE,
        ]
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
        let task = tokio::spawn(async move { ssh.pipe(&argv, far).await });
        let (rd, input) = near.into_split();
        Ok(Conversation {
            host,
            lines: BufReader::new(rd).lines(),
            input,
            task: Some(task),
        })
    }

    fn error(&self, reason: impl Into<String>) -> ClaimError {
        ClaimError {
            host: self.host.clone(),
            reason: reason.into(),
        }
    }

    /// Lines up to `word`; an error with whatever else was said when the
    /// host stops talking first.
    async fn until(&mut self, word: Line, limit: Duration) -> Result<Vec<Line>, ClaimError> {
        let mut got = Vec::new();
        loop {
            let next = tokio::time::timeout(limit, self.lines.next_line()).await;
            match next {
                Err(_) => return Err(self.error(format!("no answer within {}s", limit.as_secs()))),
                Ok(Err(e)) => return Err(self.error(e.to_string())),
                Ok(Ok(None)) => return Err(self.ended(&got).await),
                Ok(Ok(Some(l))) => {
                    let line = parse_line(&l);
                    if line == word {
                        return Ok(got);
                    }
                    got.push(line);
                }
            }
        }
    }

    /// Why the host stopped talking: the channel's own failure, else what
    /// the script printed.
    async fn ended(&mut self, got: &[Line]) -> ClaimError {
        if let Some(task) = self.task.take() {
            if let Ok(Ok(Err(e))) = tokio::time::timeout(ANSWER, task).await {
                return self.error(e.to_string());
            }
        }
        let said: Vec<&str> = got
            .iter()
            .filter_map(|l| match l {
                Line::Other(s) if !s.trim().is_empty() => Some(s.as_str()),
                _ => None,
            })
            .collect();
        self.error(if said.is_empty() {
            "the claim command ended without an answer (is `flock` from util-linux installed?)"
                .to_string()
        } else {
            said.join("; ")
        })
    }

    async fn say(&mut self, line: &str) -> Result<(), ClaimError> {
        let r = self.input.write_all(line.as_bytes()).await;
        r.map_err(|e| self.error(format!("the claim's channel closed: {e}")))
    }

    /// Lets the exec end and waits (briefly) for the channel to close.
    async fn end(self) {
        drop(self.input);
        if let Some(task) = self.task {
            let _ = tokio::time::timeout(ANSWER, task).await;
        }
    }
}

/// Claims `claim` on the host of `ssh` if `decide`, given every live claim
/// there (read under the host's lock), says it fits. Atomic: no other run
/// can list or claim on that host between the listing and the write.
pub async fn take(
    ssh: Arc<SshSession>,
    claim: Claim,
    decide: impl FnOnce(&[Claim]) -> Fit,
) -> Result<Taken, ClaimError> {
    let host = ssh.host().to_string();
    let Some(file) = claim.file_name() else {
        return Err(ClaimError {
            host,
            reason: format!(
                "run {:?} or UUID {:?} is not a plain file name",
                claim.run, claim.vm_uuid
            ),
        });
    };
    let mut conv = Conversation::start(ssh, &file)?;
    tracing::debug!(host, "claim: exec started");
    let listing = conv.until(Line::Listed, LISTING).await?;
    tracing::debug!(host, "claim: listed");
    let mut current = Vec::new();
    let mut mark = None;
    for line in listing {
        match line {
            Line::Maintenance(text) => mark = Some(Mark::parse(&text)),
            Line::Claim(c) => current.push(c),
            Line::Unreadable(s) => {
                tracing::warn!(host, claim = s, "a live claim vmigrate cannot read");
            }
            _ => {}
        }
    }
    // A host put in maintenance since the facts were read: no claim there.
    let fit = mark.map_or_else(|| decide(&current), Fit::Maintenance);
    if fit != Fit::Fits {
        conv.say("cancel\n").await.ok();
        conv.end().await;
        return Ok(Taken::Refused { fit });
    }
    let json = serde_json::to_string(&claim).expect("a claim serialises");
    conv.say(&format!("take {json}\n")).await?;
    conv.until(Line::Held, ANSWER).await?;
    Ok(Taken::Held(Box::new(Held {
        host,
        claim,
        path: format!("{DIR}/{file}"),
        conv,
    })))
}

impl Held {
    /// Ends the claim and waits until the host has removed it.
    pub async fn release(mut self) -> Result<(), ClaimError> {
        self.conv.say("release\n").await?;
        let done = self.conv.until(Line::Released, ANSWER).await;
        self.conv.end().await;
        done.map(|_| ())
    }
}
