//! Ctrl-C and SIGTERM as one future, so a command can stop cleanly (remove
//! what it created, say so) and exit 130 instead of dying mid-step.

/// Resolves on the first SIGINT or SIGTERM.
pub async fn interrupted() {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    match (term, int) {
        (Ok(mut t), Ok(mut i)) => {
            tokio::select! {
                _ = t.recv() => {}
                _ = i.recv() => {}
            }
        }
        // Without signal handlers the process keeps the default behaviour.
        _ => std::future::pending().await,
    }
}
