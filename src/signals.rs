//! Ctrl-C and SIGTERM as one awaitable, so a command can stop cleanly
//! (remove what it created, say so) and exit 130 instead of dying mid-step.

use tokio::signal::unix::{signal, Signal, SignalKind};

/// Installed handlers for SIGINT and SIGTERM. From [`Interrupt::install`]
/// on, those signals no longer kill the process: the command must await
/// [`Interrupt::wait`] and stop itself.
pub struct Interrupt {
    int: Option<Signal>,
    term: Option<Signal>,
}

impl Interrupt {
    /// Installs the handlers now (not on first poll), so a signal arriving
    /// at any later point is seen.
    pub fn install() -> Interrupt {
        Interrupt {
            int: signal(SignalKind::interrupt()).ok(),
            term: signal(SignalKind::terminate()).ok(),
        }
    }

    /// Resolves on the first SIGINT or SIGTERM.
    pub async fn wait(&mut self) {
        async fn next(s: &mut Option<Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                // Without a handler the default action (death) applies anyway.
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            () = next(&mut self.int) => {}
            () = next(&mut self.term) => {}
        }
    }
}
