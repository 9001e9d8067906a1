//! Files a check created on a host, removed whatever happens.
//!
//! `check` must leave every host as it found it, even when it is
//! interrupted. A probe records a file here *before* creating it, so an
//! interrupt between the remote create and the bookkeeping cannot leak it;
//! the command drains the list on every exit path.

use std::sync::{Arc, Mutex};

use crate::ssh::SshSession;

/// A file on the host of a session.
type RemoteFile = (Arc<SshSession>, String);

/// Remote files to remove at the end of the run.
#[derive(Default, Clone)]
pub(crate) struct Cleanup {
    files: Arc<Mutex<Vec<RemoteFile>>>,
}

impl Cleanup {
    /// Records `path` on the host of `ssh` for removal.
    pub(crate) fn add(&self, ssh: &Arc<SshSession>, path: &str) {
        self.files
            .lock()
            .expect("cleanup lock")
            .push((ssh.clone(), path.to_string()));
    }

    /// Forgets `path` (it was removed, or never created by us).
    pub(crate) fn forget(&self, path: &str) {
        self.files
            .lock()
            .expect("cleanup lock")
            .retain(|(_, p)| p != path);
    }

    /// Removes every recorded file; returns the ones that could not be removed.
    pub(crate) async fn run(&self) -> Vec<String> {
        let files = std::mem::take(&mut *self.files.lock().expect("cleanup lock"));
        let mut left = Vec::new();
        for (ssh, path) in files {
            if let Err(e) = ssh.check(&["rm", "-f", "--", &path]).await {
                left.push(format!("{path}: {e}"));
            }
        }
        left
    }
}
