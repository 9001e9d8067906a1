//! Setting, clearing and reading a host's mark: one exec each over the
//! run's SSH session.

use super::protocol::{self, Answer};
use super::{Mark, DIR, FILE, LOCK_DIR};
use crate::claims::Claim;
use crate::ssh::SshSession;

/// The mark could not be set, cleared or read on a host (the connection,
/// no `flock`, no permission).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{host}: {reason}")]
pub struct MaintError {
    pub host: String,
    pub reason: String,
}

/// What `on` found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Set {
    /// The mark is now on the host. `incoming`: runs that claimed capacity
    /// here before it (admitted, so they go on).
    Set { mark: Mark, incoming: Vec<Claim> },
    /// The host already had a mark: it is kept as it was.
    Kept(Mark),
}

/// Runs one script; its answer, or why there is none.
async fn exec(
    ssh: &SshSession,
    script: &str,
    args: &[&str],
    words: &[&str],
) -> Result<Answer, MaintError> {
    let mut argv = vec!["sh", "-c", script, "vmigrate-maintenance"];
    argv.extend_from_slice(args);
    let error = |reason: String| MaintError {
        host: ssh.host().to_string(),
        reason,
    };
    let out = ssh.run(&argv).await.map_err(|e| error(e.to_string()))?;
    let answer = protocol::parse(&out.stdout);
    if answer.word.as_deref().is_some_and(|w| words.contains(&w)) {
        return Ok(answer);
    }
    Err(error(if answer.other.is_empty() {
        format!(
            "the maintenance command ended without an answer (exit {}; is `flock` from util-linux installed?)",
            out.status
        )
    } else {
        answer.other.join("; ")
    }))
}

/// Puts the host in maintenance with `mark`, unless it already is.
pub async fn set(ssh: &SshSession, mark: &Mark) -> Result<Set, MaintError> {
    let line = mark.to_line();
    let args = [LOCK_DIR, DIR, FILE, line.as_str()];
    let a = exec(ssh, &protocol::set_script(), &args, &["set", "kept"]).await?;
    let found = a.mark.unwrap_or_else(|| mark.clone());
    Ok(if a.word.as_deref() == Some("kept") {
        Set::Kept(found)
    } else {
        Set::Set {
            mark: found,
            incoming: a.claims,
        }
    })
}

/// Ends the host's maintenance; the mark removed, `None` when there was none.
pub async fn clear(ssh: &SshSession) -> Result<Option<Mark>, MaintError> {
    Ok(exec(
        ssh,
        &protocol::clear_script(),
        &[LOCK_DIR, FILE],
        &["cleared"],
    )
    .await?
    .mark)
}

/// The host's mark, if any.
pub async fn read(ssh: &SshSession) -> Result<Option<Mark>, MaintError> {
    Ok(exec(ssh, &protocol::read_script(), &[FILE], &["read"])
        .await?
        .mark)
}
