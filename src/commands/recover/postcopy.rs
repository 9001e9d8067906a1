//! A migration caught in post-copy. Once it has switched, the guest's newest
//! memory is on the destination and the rest only on the source: resuming
//! the source would run stale memory, removing either copy loses the guest,
//! and libvirt refuses to abort it. The one way forward is the migration
//! itself: when it failed (a network fault) and both hosts answered, each
//! holding its half — the source paused (post-copy failed), the destination
//! with post-copy failed — `recover` resumes it (`resume`:
//! `VIR_MIGRATE_POSTCOPY_RESUME`, libvirt >= 8.5, retried by the executor).
//! Otherwise it only says exactly where each half is and what the operator
//! can do — wait while it still copies, restore the link, resume it by hand
//! (the exact `virsh` command, also kept when vmigrate's own resume
//! failed), or, with the destination gone, that the memory is lost — and
//! changes nothing.

use serde::Serialize;

mod resume;

use super::snapshot::Copy;
use crate::hypervisor::{DomainState, Postcopy};
use crate::inventory::Host;
use crate::plan::Action;
use crate::state::{LastRun, Switch};

/// How far the migration got, as far as can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Phase {
    /// Failed after the switch: libvirt keeps both halves.
    Failed,
    /// Still copying in post-copy.
    Active,
    /// Only the journal says it switched; libvirt no longer shows
    /// post-copy.
    Journal,
}

/// What `recover` reports instead of acting.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Stuck {
    pub phase: Phase,
    pub source: Option<String>,
    pub destination: Option<String>,
    /// The journal's record of the switch.
    pub switch: Option<Switch>,
    /// `virsh … migrate … --postcopy-resume …`, when resuming can help.
    pub resume_command: Option<String>,
    /// `recover` resumed the migration and it completed.
    pub resumed: bool,
    /// How many resume calls `recover` made.
    pub attempts: u32,
    /// Why `recover`'s resume failed: each attempt's libvirt error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the operator can do, in order.
    pub advice: Vec<String>,
    /// One paragraph: which host holds what.
    #[serde(skip)]
    pub summary: String,
    /// The resume `recover` takes: both halves are held by hosts that
    /// answered.
    #[serde(skip)]
    pub resume: Option<Action>,
}

/// The two hosts of the migration and what each was found to hold.
struct Sides<'a> {
    vm: &'a str,
    src: Option<String>,
    dst: Option<String>,
    found: &'a [Copy],
    unreachable: &'a [(String, String)],
}

impl Sides<'_> {
    fn copy_on(&self, host: Option<&String>) -> Option<&Copy> {
        self.found.iter().find(|c| Some(&c.host) == host)
    }

    fn unreachable(&self, host: Option<&String>) -> Option<&str> {
        let h = host?;
        self.unreachable
            .iter()
            .find(|(n, _)| n == h)
            .map(|(_, e)| e.as_str())
    }

    /// "lab1 holds it paused (post-copy failed)", "lab2 could not be asked (…)".
    fn describe(&self, host: Option<&String>) -> String {
        let Some(h) = host else {
            return "the other host is not known (no journal record of the run)".into();
        };
        if let Some(c) = self.copy_on(host) {
            let state = c.state_words();
            let kind = if c.persistent() {
                "defined"
            } else {
                "transient"
            };
            return format!("{h} holds it {state}, {kind}");
        }
        match self.unreachable(host) {
            Some(e) => format!("{h} could not be asked ({e})"),
            None => format!("{h} has no copy of {} any more", self.vm),
        }
    }

    /// The destination answered and has no copy: the guest's newest
    /// memory went with it.
    fn destination_gone(&self) -> bool {
        self.dst.is_some()
            && self.copy_on(self.dst.as_ref()).is_none()
            && self.unreachable(self.dst.as_ref()).is_none()
    }
}

/// The post-copy situation `found` shows, if any.
pub(crate) fn assess(
    vm: &str,
    found: &[Copy],
    last: Option<&LastRun>,
    hosts: &[Host],
    unreachable: &[(String, String)],
) -> Option<Stuck> {
    let has = |p: Postcopy| found.iter().any(|c| c.postcopy() == Some(p));
    let phase = if has(Postcopy::Failed) {
        Phase::Failed
    } else if has(Postcopy::Active) {
        Phase::Active
    } else if last.is_some_and(|l| stale_source_paused(found, l)) {
        Phase::Journal
    } else {
        return None;
    };
    let pick = |state: DomainState| {
        found
            .iter()
            .find(|c| c.is(state) && c.postcopy().is_some())
            .map(|c| c.host.clone())
    };
    let src = pick(DomainState::Paused).or_else(|| last.and_then(|l| l.source.clone()));
    let dst = pick(DomainState::Running)
        .filter(|d| Some(d) != src.as_ref())
        .or_else(|| {
            last.and_then(|l| l.destination.clone())
                .filter(|d| Some(d) != src.as_ref())
        });
    let sides = Sides {
        vm,
        src,
        dst,
        found,
        unreachable,
    };
    let switch = last.and_then(|l| l.switch.clone());
    let target = match phase {
        Phase::Active => None,
        _ if sides.destination_gone() => None,
        _ => resume::target(&sides, last, hosts),
    };
    let command = target.as_ref().map(|t| resume::command(vm, t));
    Some(Stuck {
        phase,
        summary: summary(&sides, phase, switch.as_ref()),
        advice: advice(&sides, phase, command.as_deref()),
        source: sides.src.clone(),
        destination: sides.dst.clone(),
        switch,
        resume_command: command,
        resumed: false,
        attempts: 0,
        error: None,
        resume: target.and_then(|t| resume::action(&sides, phase, t)),
    })
}

/// The journal says the run switched to post-copy and did not finish it,
/// and the VM is paused on the run's source and runs nowhere: libvirt no
/// longer shows post-copy (restarted, say), but that copy is not whole.
fn stale_source_paused(found: &[Copy], last: &LastRun) -> bool {
    let paused_on_source = found
        .iter()
        .any(|c| c.is(DomainState::Paused) && Some(&c.host) == last.source.as_ref());
    last.postcopy
        && last.finished.as_deref() != Some("migrated")
        && paused_on_source
        && !found.iter().any(|c| c.is(DomainState::Running))
}

/// The source's and the destination's names (or what they are).
fn names<'a>(s: &'a Sides) -> (&'a str, &'a str) {
    (
        s.src.as_deref().unwrap_or("the source"),
        s.dst.as_deref().unwrap_or("the destination"),
    )
}

fn summary(s: &Sides, phase: Phase, switch: Option<&Switch>) -> String {
    let (vm, (src, dst)) = (s.vm, names(s));
    let when = match switch {
        Some(w) => format!(
            "the journal recorded the switch, by {}, {}",
            w.by,
            ago(w.ts_ms)
        ),
        None => "the journal has no record of the switch".into(),
    };
    let holds = format!(
        "{}; {}",
        s.describe(s.src.as_ref()),
        s.describe(s.dst.as_ref())
    );
    match phase {
        Phase::Active => format!(
            "{vm} is being migrated from {src} to {dst} in post-copy ({when}): {holds}. A post-copy migration cannot be aborted and finishes by itself; nothing was changed"
        ),
        Phase::Journal => format!(
            "{vm}'s last migration, from {src} to {dst}, switched to post-copy ({when}): {holds}. The paused copy's memory may be incomplete, so vmigrate did not resume or remove anything"
        ),
        Phase::Failed => format!(
            "{vm}'s migration from {src} to {dst} failed after the switch to post-copy ({when}): {holds}. Neither copy is whole on its own (the guest's newest memory is on {dst}, the rest only on {src}), so nothing was resumed or removed"
        ),
    }
}

fn advice(s: &Sides, phase: Phase, resume: Option<&str>) -> Vec<String> {
    let (vm, (src, dst)) = (s.vm, names(s));
    let cold_boot = format!(
        "the guest's memory is lost: all that is left is a cold boot from its disks — on {src}: `virsh destroy {vm}`, then `virsh start {vm}`"
    );
    if phase == Phase::Active {
        return vec![format!(
            "wait for it to finish (`virsh domjobinfo {vm}` on {src} shows its progress), then run `vmigrate recover {vm}` again if anything is left"
        )];
    }
    if s.destination_gone() {
        return vec![format!("{dst} no longer has the guest, so {cold_boot}")];
    }
    let mut out = vec![format!(
        "restore the link between {src} and {dst} (the network between them, and libvirtd on both); if the migration's own connection survived, post-copy then completes by itself: run `vmigrate recover {vm}` again once {src} no longer shows {vm} paused"
    )];
    if let Some(cmd) = resume {
        out.push(format!(
            "if {src} still shows {vm} paused (post-copy failed) with the link back, resume the migration from this machine (needs libvirt >= 8.5 on both hosts): {cmd}"
        ));
    }
    out.push(format!(
        "if {dst} is lost for good (its host or its QEMU died), {cold_boot}"
    ));
    out
}

/// How long ago `ts_ms` was, in words.
fn ago(ts_ms: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let s = u64::try_from(now).unwrap_or(u64::MAX).saturating_sub(ts_ms) / 1000;
    match s {
        0..=119 => format!("{s} s ago"),
        120..=7199 => format!("{} min ago", s / 60),
        _ => format!("{} h ago", s / 3600),
    }
}

#[cfg(test)]
mod tests;
