//! The fault matrix (issue G2): every fault (a host's libvirtd killed, the
//! destination's link cut, the operator's SSH to the source cut, SIGINT,
//! SIGTERM and SIGKILL to `vmigrate live`, the destination's disk full or
//! its memory taken) in every phase of a run (checks, disk pre-creation,
//! memory copy, post-copy, after completion), on the real lab. Each cell
//! asserts where the VM ends, the exit code, `recover`, no leftovers and
//! the guest's memory; the results are written to docs/reliability.md.
//!
//! Cells run three at a time on host pairs that keep a damaged host to one
//! cell (`sched`), under the lab's exclusive lock: the whole matrix must
//! fit its time budget. `VMIGRATE_MATRIX_ONLY=dlv-mem,kil-pc` (fault and
//! phase slugs) runs only those cells and leaves the document alone.

mod cell;
mod cells;
mod guest;
mod inject;
mod invariants;
mod phase;
mod recovery;
mod report;
mod sched;
mod story;

use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use cells::{plan, Fault, Phase, Plan};
use sched::Scheduler;

use crate::util::{lab_try, Lab};

/// Cells run at once: four fit the four hosts tests/run.sh brings up
/// (distinct destinations, a damaged host to one cell; the scheduler holds
/// a cell back when it does not fit), and most of a cell is waiting on
/// keepalives and timeouts, not on the two cores.
const WORKERS: usize = 4;

/// The cells to run: every applicable one, or those `VMIGRATE_MATRIX_ONLY`
/// names; `true` when it is the whole matrix.
fn chosen() -> (Vec<(Fault, Phase)>, bool) {
    let only = std::env::var("VMIGRATE_MATRIX_ONLY").ok();
    let all = Fault::ALL
        .iter()
        .flat_map(|f| Phase::ALL.iter().map(move |p| (*f, *p)))
        .filter(|(f, p)| matches!(plan(*f, *p), Plan::Run(_)));
    let mut all: Vec<(Fault, Phase)> = all.collect();
    all.sort_by_key(|(f, p)| (slowness(*f), *p != Phase::PostCopy));
    match only {
        None => (all, true),
        Some(list) => {
            let want: Vec<&str> = list.split(',').map(str::trim).collect();
            let picked = all
                .into_iter()
                .filter(|(f, p)| want.contains(&format!("{}-{}", f.slug(), p.slug()).as_str()))
                .collect();
            (picked, false)
        }
    }
}

/// Scheduling order: the long cells (those waiting on keepalives, which
/// also keep a host to themselves) first, the short signal cells last to
/// fill the gaps beside them.
fn slowness(f: Fault) -> u8 {
    match f {
        Fault::DestLink | Fault::SrcSsh => 0,
        Fault::DestLibvirtd | Fault::SrcLibvirtd => 1,
        Fault::DiskFull | Fault::MemoryTaken => 2,
        Fault::Sigkill | Fault::Sigint | Fault::Sigterm => 3,
    }
}

#[test]
fn fault_matrix() {
    let Some((lab, _guard)) = Lab::exclusive() else {
        return;
    };
    let t0 = Instant::now();
    let (cells, whole) = chosen();
    // All of them: tests/run.sh brings up four; three are enough to run.
    // Exclusive: lab4 (the evacuation tests' host) is free to use too.
    let hosts: Vec<String> = crate::util::lab_sh(&["hosts"])
        .lines()
        .map(str::to_string)
        .collect();
    let sched = Scheduler::new(hosts, cells);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                while let Some((fault, phase, pair)) = sched.next() {
                    let Plan::Run(endings) = plan(fault, phase) else {
                        unreachable!("only applicable cells are scheduled");
                    };
                    let outcome = cell::run(lab, fault, phase, &pair, endings);
                    sched.done(&pair);
                    let r = report::Result {
                        fault,
                        phase,
                        pair,
                        outcome,
                    };
                    eprintln!("{}", summary_line(&r));
                    results.lock().unwrap().push(r);
                }
            });
        }
    });
    healthy();
    let results = results.into_inner().unwrap();
    let doc = report::document(&results, t0.elapsed().as_secs_f64());
    if whole {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reliability.md");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &doc).unwrap();
    } else {
        eprintln!("{doc}");
    }
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.outcome.failures.is_empty())
        .map(summary_line)
        .collect();
    assert!(failed.is_empty(), "failed cells:\n{}", failed.join("\n"));
}

fn summary_line(r: &report::Result) -> String {
    let o = &r.outcome;
    format!(
        "matrix: {} × {} on {}→{}: exit {:?}, home {:?}, {:.1} s{}",
        r.fault.title(),
        r.phase.title(),
        r.pair.src,
        r.pair.dst,
        o.exit,
        o.home,
        o.secs,
        if o.failures.is_empty() {
            String::new()
        } else {
            format!(" FAIL: {}", o.failures.join("; "))
        }
    )
}

/// Belt and braces after every cell's own repair: each host's libvirtd
/// started, link up, SSH let through.
fn healthy() {
    for h in crate::util::lab_sh(&["hosts"]).lines() {
        lab_try(&["link", h, "up"]);
        lab_try(&["ssh", h, "restore"]);
        lab_try(&["libvirtd", "start", h]);
    }
}
