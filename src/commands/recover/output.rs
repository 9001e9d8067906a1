//! `recover`'s report: the JSON document and its text form.

use serde::Serialize;
use serde_json::{json, Value};

use super::postcopy::Stuck;
use super::snapshot::Copy;
use crate::config::Config;
use crate::error::Error;
use crate::state::LastRun;

/// A host that could not be asked.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NotAsked {
    pub host: String,
    pub error: String,
}

/// The `recover -o json` document.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RecoverReport {
    pub vm: String,
    /// The journal's last run on the VM: source → destination and its outcome.
    pub journal: Option<Value>,
    pub found: Vec<Copy>,
    /// Hosts whose libvirt could not be asked: the VM may be there too.
    pub unreachable: Vec<NotAsked>,
    pub actions: Vec<String>,
    /// What was found and left alone on purpose (e.g. a disk in use).
    pub notes: Vec<String>,
    pub dry_run: bool,
    pub consistent: bool,
    pub running_on: Option<String>,
    pub message: String,
    /// Set when the VM is caught in post-copy: which host holds what, what
    /// to do, and whether `recover` resumed the migration.
    pub postcopy: Option<Stuck>,
}

/// The journal's last run, for the report.
pub(crate) fn journal(last: Option<&LastRun>) -> Option<Value> {
    last.map(|l| {
        json!({"run": l.run, "source": l.source, "destination": l.destination,
               "outcome": l.finished, "postcopy": l.postcopy, "switch": l.switch})
    })
}

/// Prints `r` as JSON or text.
pub(crate) fn print(config: &Config, r: &RecoverReport) -> Result<(), Error> {
    if config.json() {
        config.printer.json(r)?;
        return Ok(());
    }
    let vm = &r.vm;
    let mut lines = Vec::new();
    for c in &r.found {
        let state = c.state_words();
        let kind = if c.persistent() {
            "defined"
        } else {
            "transient"
        };
        lines.push(format!("found: {vm} on {} ({}, {kind})", c.host, state));
    }
    if r.found.is_empty() {
        lines.push(format!("found: {vm} on no host"));
    }
    for u in &r.unreachable {
        lines.push(format!("not asked: {} ({})", u.host, u.error));
    }
    lines.extend(r.actions.iter().chain(&r.notes).cloned());
    lines.push(r.message.clone());
    // Advice when nothing is to be done by vmigrate, or its resume failed.
    let advise = |s: &Stuck| s.resume.is_none() || !(r.dry_run || s.resumed);
    if let Some(s) = r.postcopy.as_ref().filter(|s| advise(s)) {
        lines.push("what you can do:".into());
        lines.extend(s.advice.iter().map(|a| format!("  - {a}")));
    }
    config.printer.text(&lines.join("\n"))?;
    Ok(())
}
