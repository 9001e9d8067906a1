//! Which records a rotation keeps: everything any reader may still need.
//!
//! - `recover` reads, per VM, the last run (from its last `start`) and every
//!   record after it by anyone (`abort`, `force-complete`, `recover`): for
//!   each VM, its records from the first record of its last migration run
//!   (a `claim` comes before the `start`) onwards are kept, finished or not.
//! - A run that is not finished is kept whole: that is a VM's latest run
//!   (its latest `claim` or `start`), which starts the kept stretch too. A
//!   run without `finish` followed by a later run on the same VM is over,
//!   though: that later run took the VM's lock, which the kernel had
//!   released only because the earlier process had died. `recover` never
//!   looks at it again, so it goes.
//! - Every record younger than the `recent` window is kept, whoever wrote
//!   it: a process may have opened the journal and be about to write, and
//!   `live` compares other processes' records with the time it opened.
//!
//! A record whose step this version does not know (a newer vmigrate's) is
//! judged by its envelope alone; a damaged line is never kept.

use std::collections::HashMap;

use super::read::Line;

/// Per VM: the run of its last `start` and its latest migration run.
#[derive(Default)]
struct Runs<'a> {
    last_start: Option<&'a str>,
    latest: Option<&'a str>,
}

/// For each of `lines`, whether rotation keeps it, at `now_ms` with
/// records younger than `recent_ms` always kept.
pub(crate) fn retain(lines: &[Line<'_>], now_ms: u64, recent_ms: u64) -> Vec<bool> {
    // Keyed by VM too: run ids are unique per process, not per journal.
    let mut first: HashMap<(&str, &str), usize> = HashMap::new();
    let mut vms: HashMap<&str, Runs<'_>> = HashMap::new();
    for (i, who) in lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.parsed.who().map(|w| (i, w)))
    {
        first.entry((who.vm, who.run)).or_insert(i);
        let runs = vms.entry(who.vm).or_default();
        match who.step {
            "start" => {
                runs.last_start = Some(who.run);
                runs.latest = Some(who.run);
            }
            "claim" => runs.latest = Some(who.run),
            _ => {}
        }
    }
    // Per VM, the index from which all its records are kept.
    let from: HashMap<&str, usize> = vms
        .iter()
        .filter_map(|(vm, runs)| {
            let at = [runs.last_start, runs.latest]
                .into_iter()
                .flatten()
                .map(|run| first[&(*vm, run)])
                .min()?;
            Some((*vm, at))
        })
        .collect();
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            line.parsed.who().is_some_and(|who| {
                now_ms.saturating_sub(who.ts_ms) < recent_ms
                    || from.get(who.vm).is_some_and(|at| i >= *at)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::read::lines;

    fn line(ts: u64, vm: &str, run: &str, step: &str, details: &str) -> String {
        format!(r#"{{"ts_ms":{ts},"run":"{run}","vm":"{vm}","step":"{step}","details":{details}}}"#)
    }

    const START: &str = r#"{"source":"kvm1","destination":"kvm2"}"#;
    const DONE: &str = r#"{"outcome":"migrated"}"#;
    const CLAIM: &str = r#"{"host":"kvm2","path":"/c","claim":{"run":"c","vm":"web1","vm_uuid":"u","ram_mb":1,"vcpus":1,"disk_mb":0,"since_ms":1,"client":"c"}}"#;

    /// The lines kept of `journal`, as (vm, run, step).
    fn kept(journal: &[String], now: u64, recent: u64) -> Vec<String> {
        let text = journal.join("\n");
        let all = lines(text.as_bytes(), 0, true);
        let keep = retain(&all, now, recent);
        all.iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|(l, _)| {
                let w = l.parsed.who().unwrap();
                format!("{} {} {}", w.vm, w.run, w.step)
            })
            .collect()
    }

    #[test]
    fn the_last_run_of_each_vm_and_what_followed_it() {
        let j = [
            line(1, "web1", "r1", "start", START),
            line(2, "web1", "r1", "finish", DONE),
            // A claim, records by others, then the start: all kept.
            line(3, "web1", "r2", "claim", CLAIM),
            line(4, "web1", "a1", "abort", r#"{"host":"kvm1"}"#),
            line(5, "web1", "r2", "start", START),
            line(6, "web2", "r3", "start", START),
            line(7, "web1", "r2", "finish", DONE),
            line(8, "web1", "f1", "postcopy_started", r#"{"by":"x"}"#),
            line(9, "web2", "r3", "teleport", "{}"),
        ];
        assert_eq!(
            kept(&j, 100, 0),
            [
                "web1 r2 claim",
                "web1 a1 abort",
                "web1 r2 start",
                "web2 r3 start",
                "web1 r2 finish",
                "web1 f1 postcopy_started",
                "web2 r3 teleport",
            ]
        );
    }

    #[test]
    fn a_killed_run_stays_until_the_vm_is_migrated_again() {
        let killed = [
            line(1, "web1", "r1", "start", START),
            line(
                2,
                "web1",
                "r1",
                "precreate_disk",
                r#"{"host":"h","path":"/p"}"#,
            ),
            line(3, "web2", "r2", "start", START),
            line(4, "web2", "r2", "finish", DONE),
            line(5, "web2", "r3", "start", START),
            line(6, "web2", "r3", "finish", DONE),
        ];
        assert_eq!(
            kept(&killed, 100, 0),
            [
                "web1 r1 start",
                "web1 r1 precreate_disk",
                "web2 r3 start",
                "web2 r3 finish"
            ]
        );
        let mut again = killed.to_vec();
        again.push(line(7, "web1", "r4", "start", START));
        assert_eq!(
            kept(&again, 100, 0),
            ["web2 r3 start", "web2 r3 finish", "web1 r4 start"]
        );
        // A run that crashed between its claim and its start is the VM's
        // latest: kept, with the last run that did start.
        let mut claimed = killed.to_vec();
        claimed.push(line(7, "web2", "r5", "claim", CLAIM));
        assert_eq!(
            kept(&claimed, 100, 0)[2..],
            ["web2 r3 start", "web2 r3 finish", "web2 r5 claim"]
        );
    }

    #[test]
    fn recent_records_are_kept_and_damaged_ones_never() {
        let j = [
            line(10, "web9", "a1", "abort", r#"{"host":"kvm1"}"#),
            line(95, "web9", "a2", "abort", r#"{"host":"kvm1"}"#),
            r#"{"ts_ms":99,"vm":"web9","step":"abo"#.to_string(),
        ];
        assert_eq!(kept(&j, 100, 10), ["web9 a2 abort"]);
        assert!(kept(&j, 100, 0).is_empty(), "no run of web9 to keep");
    }
}
