//! What `recover`'s resume of a failed post-copy migration came to, for
//! the report: the `postcopy` object's `resumed` and `attempts`, and, when
//! it did not complete, a message that says what was tried and what
//! libvirt answered (the advice and the `virsh` command follow it).

use super::output::RecoverReport;
use crate::plan::{Action, Done};

/// Notes `done` (the resume action's outcome) in the report.
pub(super) fn note(r: &mut RecoverReport, done: &Done) {
    let Some(pc) = r.postcopy.as_mut() else {
        return;
    };
    if !matches!(done.action, Action::ResumePostcopy { .. }) {
        return;
    }
    pc.attempts = done.tries;
    pc.resumed = done.result.is_ok();
    pc.error = done.result.as_ref().err().map(ToString::to_string);
}

/// The message once the hosts were read again; `state` describes them.
pub(super) fn message(r: &RecoverReport, state: &str) -> Option<String> {
    let pc = r.postcopy.as_ref()?;
    let vm = &r.vm;
    let (src, dst) = (
        pc.source.as_deref().unwrap_or("the source"),
        pc.destination.as_deref().unwrap_or("the destination"),
    );
    if r.dry_run {
        return Some(format!(
            "{vm}'s migration from {src} to {dst} failed after the switch to post-copy, both hosts hold their half: the action above would resume it"
        ));
    }
    if r.consistent {
        return None;
    }
    let tried = match pc.attempts {
        0 => "vmigrate did not resume it".to_string(),
        1 => "vmigrate tried once to resume it".to_string(),
        n => format!("vmigrate tried {n} times to resume it"),
    };
    let why = pc.error.as_deref().unwrap_or("no error reported");
    Some(format!(
        "{vm}'s post-copy migration from {src} to {dst} is not complete: {tried} ({why}); now {state}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::recover::postcopy::{Phase, Stuck};

    fn report(attempts: u32, error: Option<&str>, dry_run: bool) -> RecoverReport {
        RecoverReport {
            vm: "web1".into(),
            journal: None,
            found: Vec::new(),
            unreachable: Vec::new(),
            actions: Vec::new(),
            notes: Vec::new(),
            dry_run,
            consistent: false,
            running_on: None,
            message: String::new(),
            postcopy: Some(Stuck {
                phase: Phase::Failed,
                source: Some("kvm1".into()),
                destination: Some("kvm2".into()),
                switch: None,
                resume_command: Some("virsh …".into()),
                resumed: false,
                attempts,
                error: error.map(Into::into),
                advice: Vec::new(),
                summary: String::new(),
                resume: None,
            }),
        }
    }

    #[test]
    fn a_failed_resume_says_what_was_tried_and_what_libvirt_said() {
        let r = report(3, Some("attempt 1: libvirt on kvm1: boom"), false);
        assert_eq!(
            message(&r, "on kvm1: paused (post-copy failed), defined").unwrap(),
            "web1's post-copy migration from kvm1 to kvm2 is not complete: vmigrate tried 3 times to resume it (attempt 1: libvirt on kvm1: boom); now on kvm1: paused (post-copy failed), defined"
        );
        let dry = report(0, None, true);
        assert!(message(&dry, "").unwrap().ends_with("would resume it"));
        let mut done = report(1, None, false);
        done.consistent = true;
        assert_eq!(message(&done, ""), None);
    }
}
