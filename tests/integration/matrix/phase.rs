//! Bringing a `vmigrate live` run to the phase a cell injects its fault
//! in, on observable state only: a hold file (src/testpoint.rs) for the
//! checks, the pre-created disks and the completed call; libvirt's job
//! statistics for the memory copy (at 1 MiB/s it lasts); the source's
//! state reason for post-copy (switched by `force-complete`, its
//! background copy slowed to 1 MiB/s). Every wait is bounded.

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::cells::{Fault, Phase};
use super::guest::Workspace;
use crate::util::{lab_out, lab_try, reason};

/// How long a run may take to reach its phase (the checks come first; a
/// loaded 2-core machine is slow).
const REACH: Duration = Duration::from_secs(90);

/// A run brought to its phase.
pub struct Started {
    pub child: Child,
    /// The `force-complete` that switched a post-copy cell.
    pub force: Option<Child>,
    held: Option<PathBuf>,
}

impl Started {
    /// Lets a held run go on.
    pub fn release(&mut self) {
        if let Some(f) = self.held.take() {
            let _ = std::fs::remove_file(f);
        }
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        self.release();
        for c in [Some(&mut self.child), self.force.as_mut()]
            .into_iter()
            .flatten()
        {
            if matches!(c.try_wait(), Ok(None)) {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// The hold point a cell stops its run at, if any.
fn hold_point(fault: Fault, phase: Phase) -> Option<&'static str> {
    match phase {
        Phase::Checks if fault == Fault::MemoryTaken => Some("migrate"),
        Phase::Checks => Some("checks"),
        Phase::Disks => Some("disks"),
        Phase::Completed => Some("completed"),
        Phase::MemoryCopy | Phase::PostCopy => None,
    }
}

/// Starts the run and waits until it is in `phase`.
pub fn start(ws: &Workspace, fault: Fault, phase: Phase) -> Result<Started, String> {
    let point = hold_point(fault, phase);
    let mut args = vec![
        "live",
        ws.name.as_str(),
        "--from",
        ws.pair.src.as_str(),
        "--to",
        ws.pair.dst.as_str(),
    ];
    match phase {
        Phase::MemoryCopy => args.extend(["--bandwidth", "1"]),
        // Never converges at 4 MiB/s (the guest dirties 16 MiB per sweep),
        // so the switch is force-complete's.
        Phase::PostCopy => args.extend(["--bandwidth", "4", "--policy", "off", "--postcopy"]),
        _ => {}
    }
    let mut run = ws.vmigrate().args(&args);
    if let Some(p) = point {
        run = run
            .env("VMIGRATE_TEST_HOLD", p)
            .env("VMIGRATE_TEST_HOLD_DIR", ws.hold_dir());
    }
    let mut started = Started {
        child: run.spawn(),
        force: None,
        held: None,
    };
    if let Some(p) = point {
        let file = ws.hold_dir().join(format!("{p}.held"));
        until(&mut started.child, &format!("the {p} hold"), || {
            file.exists()
        })?;
        started.held = Some(file);
        return Ok(started);
    }
    let (src, name) = (ws.pair.src.clone(), ws.name.clone());
    until(&mut started.child, "memory being copied", || {
        memory_processed(&src, &name) > 0.0
    })?;
    if phase == Phase::PostCopy {
        switch_to_post_copy(ws, &mut started)?;
    }
    Ok(started)
}

/// Slows post-copy's background copy (so the fault lands while it runs)
/// and has `force-complete` switch; waits until the source shows it.
fn switch_to_post_copy(ws: &Workspace, started: &mut Started) -> Result<(), String> {
    let (src, name) = (ws.pair.src.as_str(), ws.name.as_str());
    let slow = ["virsh", src, "migrate-setspeed", name, "1", "--postcopy"];
    if !lab_try(&slow) {
        return Err("migrate-setspeed --postcopy failed".into());
    }
    let force = ws
        .vmigrate()
        .args(["force-complete", name, "--from", src])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    started.force = Some(force);
    until(&mut started.child, "the switch to post-copy", || {
        reason(src, name) == "paused (post-copy)"
    })
}

/// Waits until `cond` holds; `Err` if `child` ends first or time runs out.
fn until(child: &mut Child, what: &str, mut cond: impl FnMut() -> bool) -> Result<(), String> {
    let end = Instant::now() + REACH;
    loop {
        if cond() {
            return Ok(());
        }
        if let Ok(Some(s)) = child.try_wait() {
            return Err(format!("the run ended ({s}) before {what}"));
        }
        if Instant::now() > end {
            return Err(format!("no {what} within {REACH:?}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// MiB of memory the source's migration job has sent (0 without a job).
pub fn memory_processed(src: &str, name: &str) -> f64 {
    let Some(out) = lab_out(&["virsh", src, "domjobinfo", name]) else {
        return 0.0;
    };
    out.lines()
        .find_map(|l| l.strip_prefix("Memory processed:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// Lets a migration that goes on without vmigrate finish fast: the
/// matrix is about where the VM ends, not about waiting for 1 MiB/s.
pub fn unthrottle(src: &str, name: &str) {
    lab_try(&["virsh", src, "migrate-setspeed", name, "8000"]);
    lab_try(&["virsh", src, "migrate-setspeed", name, "8000", "--postcopy"]);
}
