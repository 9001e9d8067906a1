//! One cell, start to end: a fresh guest, the run brought to its phase,
//! the fault, the run's end, the repair, `recover` where the run left the
//! VM to it (exit 5, or killed), then the invariants. Whatever fails is a
//! reason in the cell's outcome, not a panic: the report shows every cell.

use std::io::Read;
use std::process::Child;
use std::time::{Duration, Instant};

use super::cells::{Ending, Fault, Phase, Side};
use super::guest::Workspace;
use super::inject::{self, Repair};
use super::invariants::{home, leftovers, pattern, settle};
use super::phase::{self, Started};
use super::recovery::recover;
use super::sched::Pair;
use crate::util::{Lab, Run};

/// How long a run may take after its fault before the cell gives up on it.
const RUN_END: Duration = Duration::from_secs(150);

/// What one cell did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The run's exit code; `None`: killed (by the fault, or for hanging).
    pub exit: Option<i32>,
    /// Where the VM ran in the end, and on which side.
    pub home: Option<(String, Side)>,
    pub secs: f64,
    /// The run's `error` (its report), shortened.
    pub error: String,
    /// Everything the run's report said: its error and notes.
    pub said: String,
    /// What `recover` said and did, when it was run.
    pub recover: Vec<String>,
    /// Facts worth reporting (what the fault's repair saw, …).
    pub notes: Vec<String>,
    /// Why the cell failed; empty when it passed.
    pub failures: Vec<String>,
}

/// Runs the cell `fault` × `phase` on `pair`.
pub fn run(lab: &Lab, fault: Fault, phase: Phase, pair: &Pair, endings: &[Ending]) -> Outcome {
    let t0 = Instant::now();
    let name = format!("mx-{}-{}", fault.slug(), phase.slug());
    let block = phase == Phase::Disks || fault == Fault::DiskFull;
    let mut out = Outcome::default();
    let mut ws = Workspace::new(lab, &name, pair, block);
    let mut setup = Repair::default();
    inject::prepare(fault, phase, &mut ws, &mut setup);
    match phase::start(&ws, fault, phase) {
        Ok(started) => faulted(fault, phase, &ws, started, &mut out),
        Err(e) => out.failures.push(format!("phase not reached: {e}")),
    }
    setup.now();
    if out.failures.is_empty() {
        judge(&ws, endings, &mut out);
    }
    drop(ws);
    out.secs = t0.elapsed().as_secs_f64();
    out
}

/// Injects the fault into the run in its phase, waits for the run's end
/// and repairs.
fn faulted(fault: Fault, phase: Phase, ws: &Workspace, mut started: Started, out: &mut Outcome) {
    let mut repair = inject::inject(fault, phase, ws, &mut started);
    started.release();
    // A migration that goes on without vmigrate (killed, blind, past the
    // switch) or despite the fault (a disk full after the disks were
    // mirrored) may finish at full speed.
    let alone = matches!(fault, Fault::Sigkill | Fault::SrcSsh | Fault::DiskFull)
        || phase == Phase::PostCopy;
    if alone && fault != Fault::DestLink {
        phase::unthrottle(&ws.pair.src, &ws.name);
    }
    let (exit, report, said) = finish(&mut started.child, fault == Fault::Sigkill);
    out.exit = exit;
    out.error = report;
    out.said = said;
    if let Some(force) = started.force.as_mut() {
        let (code, ..) = finish(force, false);
        out.notes.push(format!("force-complete exit {code:?}"));
    }
    if exit.is_none() && fault != Fault::Sigkill {
        out.failures.push(format!(
            "the run did not end within {RUN_END:?} of the fault"
        ));
    }
    repair.now();
    if alone {
        phase::unthrottle(&ws.pair.src, &ws.name);
    }
}

/// Waits (bounded) for `child`: its exit code, its report's error, and
/// all its report said (error and notes); a run killed by the test
/// (`killed`) or for hanging has no code.
fn finish(child: &mut Child, killed: bool) -> (Option<i32>, String, String) {
    let end = Instant::now() + RUN_END;
    while child.try_wait().unwrap().is_none() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    if child.try_wait().unwrap().is_none() {
        let _ = child.kill();
    }
    let status = child.wait().unwrap();
    let mut stdout = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut stdout);
    }
    let mut stderr = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut stderr);
    }
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    };
    let doc = run.doc();
    let error = doc["error"]
        .as_str()
        .map_or_else(|| run.stderr.trim().to_string(), str::to_string);
    let said = format!("{error} {}", doc["notes"]);
    let code = if killed { None } else { status.code() };
    (code, error, said)
}

/// Recover where needed, then the invariants and the table's endings.
fn judge(ws: &Workspace, endings: &[Ending], out: &mut Outcome) {
    if !settle(ws, Duration::from_secs(90)) {
        out.notes
            .push("a migration job was still running after 90 s".into());
    }
    if matches!(out.exit, None | Some(5)) {
        if let Err(e) = recover(ws, out) {
            out.failures.push(e);
        }
    }
    let host = match home(ws) {
        Ok(h) => h,
        Err(e) => {
            out.failures.push(e);
            out.failures.extend(leftovers(ws, None));
            return;
        }
    };
    let side = if host == ws.pair.src {
        Side::Source
    } else {
        Side::Destination
    };
    out.home = Some((host.clone(), side));
    let ending = Ending {
        exit: out.exit,
        home: side,
    };
    if !endings.contains(&ending) {
        out.failures.push(format!(
            "ended with exit {:?} on the {side:?}, the table says {endings:?}",
            out.exit
        ));
    }
    let mut left = leftovers(ws, Some(&host));
    if !left.is_empty() && !matches!(out.exit, None | Some(5)) {
        // The run's report asks for `recover` when its rollback could not
        // remove something (the host was cut off): the operator's step.
        let asked = out.said.contains("vmigrate recover");
        let r = ws.vmigrate().args(["recover", &ws.name]).run();
        out.notes.push(format!(
            "recover ({}): exit {}, {}",
            if asked {
                "the report asked for it"
            } else {
                "run although the report did not ask for it"
            },
            r.code,
            r.doc()["actions"]
        ));
        if asked {
            left = leftovers(ws, Some(&host));
        }
    }
    out.failures
        .extend(left.into_iter().map(|l| format!("left over: {l}")));
    match pattern(ws, &host) {
        Ok(p) => out.notes.push(p),
        Err(e) => out.failures.push(e),
    }
}
