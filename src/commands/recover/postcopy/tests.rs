use super::*;
use crate::hypervisor::{MigrateFlags, PauseReason, ResumeRequest};
use crate::plan::testkit::{arrived, paused, postcopy_destination, postcopy_source};
use crate::plan::Seen;
use std::path::Path;

fn hosts() -> Vec<Host> {
    let text = r#"
[defaults]
identity_file = "/k/id"
peer_uri = "qemu+ssh://{address}/system?keyfile=/k/id&no_tty=1"
[[hosts]]
name = "kvm1"
address = "10.0.0.11"
[[hosts]]
name = "kvm2"
address = "10.0.0.12"
"#;
    crate::inventory::parse(text, Path::new("inv.toml"))
        .unwrap()
        .hosts
}

fn copy(host: &str, seen: &Seen) -> Copy {
    Copy {
        host: host.into(),
        info: *seen.info().unwrap(),
    }
}

fn run(postcopy: bool) -> LastRun {
    LastRun {
        run: "r1".into(),
        source: Some("kvm1".into()),
        destination: Some("kvm2".into()),
        postcopy,
        switch: postcopy.then(|| Switch {
            ts_ms: 0,
            by: "force-complete".into(),
            run: "r2".into(),
        }),
        ..Default::default()
    }
}

#[test]
fn failed_with_the_destination_cut_off_says_what_each_host_holds() {
    let found = [copy("kvm1", &postcopy_source(Postcopy::Failed))];
    let cut = [("kvm2".to_string(), "SSH: timed out".to_string())];
    let s = assess("web1", &found, Some(&run(true)), &hosts(), &cut).unwrap();
    assert_eq!(s.phase, Phase::Failed);
    assert!(
        s.summary
            .contains("kvm1 holds it paused (post-copy failed), defined"),
        "{}",
        s.summary
    );
    assert!(
        s.summary
            .contains("kvm2 could not be asked (SSH: timed out)"),
        "{}",
        s.summary
    );
    assert!(s.summary.contains("by force-complete"), "{}", s.summary);
    assert_eq!(
        s.resume_command.as_deref(),
        Some(
            "virsh -c 'qemu+ssh://root@10.0.0.11:22/system?no_tty=1&keyfile=/k/id' migrate \
             --live --p2p --persistent --undefinesource --abort-on-error --postcopy \
             --postcopy-resume 'web1' 'qemu+ssh://10.0.0.12/system?keyfile=/k/id&no_tty=1' \
             --migrateuri 'tcp://10.0.0.12'"
        )
    );
    assert_eq!(s.advice.len(), 3, "{:?}", s.advice);
    assert!(s.advice[0].starts_with("restore the link between kvm1 and kvm2"));
    // The destination could not be asked: vmigrate does not resume.
    assert_eq!(s.resume, None);
}

#[test]
fn the_runs_own_flags_are_resumed() {
    let mut last = run(true);
    last.started = Some(crate::state::MigrateStart {
        flags: Some(
            MigrateFlags {
                auto_converge: true,
                ..MigrateFlags::default()
            }
            .bits(),
        ),
        ..Default::default()
    });
    let found = [
        copy("kvm1", &postcopy_source(Postcopy::Failed)),
        copy("kvm2", &postcopy_destination(Postcopy::Failed)),
    ];
    let s = assess("web1", &found, Some(&last), &hosts(), &[]).unwrap();
    // Both halves held: `recover` resumes it as the command would.
    assert_eq!(
        s.resume,
        Some(Action::ResumePostcopy {
            source: "kvm1".into(),
            destination: "kvm2".into(),
            request: ResumeRequest {
                peer_uri: "qemu+ssh://10.0.0.12/system?keyfile=/k/id&no_tty=1".into(),
                migration_uri: "tcp://10.0.0.12".into(),
                flags: last.started.as_ref().unwrap().flags.unwrap(),
            },
        })
    );
    let cmd = s.resume_command.unwrap();
    assert!(
        cmd.contains(
            " migrate --live --p2p --persistent --undefinesource --abort-on-error --auto-converge --postcopy --postcopy-resume "
        ),
        "{cmd}"
    );
}

#[test]
fn a_vanished_destination_means_the_memory_is_lost() {
    let found = [copy("kvm1", &postcopy_source(Postcopy::Failed))];
    let s = assess("web1", &found, Some(&run(true)), &hosts(), &[]).unwrap();
    assert!(
        s.summary.contains("kvm2 has no copy of web1 any more"),
        "{}",
        s.summary
    );
    assert_eq!(s.resume_command, None);
    assert_eq!(s.advice.len(), 1);
    assert!(s.advice[0].contains("memory is lost"), "{:?}", s.advice);
    assert!(s.advice[0].contains("on kvm1: `virsh destroy web1`, then `virsh start web1`"));
}

#[test]
fn still_copying_is_waited_for_and_the_journal_alone_is_enough() {
    let found = [
        copy("kvm1", &postcopy_source(Postcopy::Active)),
        copy("kvm2", &postcopy_destination(Postcopy::Active)),
    ];
    let s = assess("web1", &found, None, &hosts(), &[]).unwrap();
    assert_eq!(
        (s.phase, s.source.as_deref(), s.destination.as_deref()),
        (Phase::Active, Some("kvm1"), Some("kvm2"))
    );
    assert!(
        s.summary.contains("no record of the switch"),
        "{}",
        s.summary
    );
    assert_eq!(s.resume_command, None);
    // libvirt lost the reason (e.g. restarted), the journal still knows.
    let found = [copy("kvm1", &paused(PauseReason::Other(0)))];
    let s = assess("web1", &found, Some(&run(true)), &hosts(), &[]).unwrap();
    assert_eq!(s.phase, Phase::Journal);
    // Not in post-copy: nothing to say here.
    assert!(assess("web1", &found, Some(&run(false)), &hosts(), &[]).is_none());
    // Paused later on the destination, by someone: not a stale source.
    let elsewhere = [copy("kvm2", &paused(PauseReason::User))];
    assert!(assess("web1", &elsewhere, Some(&run(true)), &hosts(), &[]).is_none());
    let migrated = LastRun {
        finished: Some("migrated".into()),
        ..run(true)
    };
    assert!(assess("web1", &found, Some(&migrated), &hosts(), &[]).is_none());
    let done = [copy("kvm2", &arrived())];
    assert!(assess("web1", &done, Some(&run(true)), &hosts(), &[]).is_none());
}
