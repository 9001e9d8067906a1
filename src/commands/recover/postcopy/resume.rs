//! How a failed post-copy migration is resumed, decided from the snapshot:
//! the request (the run's own flags and URIs), the `virsh` command that
//! does the same by hand, and whether `recover` resumes it itself.

use super::{Copy, Phase, Sides};
use crate::hypervisor::{uri, virsh_options, DomainState, MigrateFlags, Postcopy, ResumeRequest};
use crate::inventory::Host;
use crate::plan::Action;
use crate::ssh::quote::quote;
use crate::state::LastRun;

/// Where the resume is called and what it asks for.
pub(super) struct Target {
    /// The source's libvirt URI, as this machine reaches it.
    connect: String,
    request: ResumeRequest,
}

/// The resume of the migration `s` describes, with the URIs vmigrate
/// itself used (from the inventory, else the journal) and the run's flags.
pub(super) fn target(s: &Sides, last: Option<&LastRun>, hosts: &[Host]) -> Option<Target> {
    let find = |h: &Option<String>| hosts.iter().find(|x| Some(&x.name) == h.as_ref());
    let src = find(&s.src)?;
    let started = last.and_then(|l| l.started.clone()).unwrap_or_default();
    let (peer_uri, migration_uri) = match find(&s.dst) {
        Some(d) => (d.peer_uri.clone(), d.migration_uri.clone()),
        None => (started.peer_uri?, started.migration_uri?),
    };
    // A run whose `migrate_start` record is missing used vmigrate's
    // flags for a post-copy migration.
    let default = MigrateFlags {
        postcopy: true,
        ..MigrateFlags::default()
    };
    Some(Target {
        connect: uri::effective_uri(&src.libvirt_uri, src.identity_file.as_deref()),
        request: ResumeRequest {
            peer_uri,
            migration_uri,
            flags: started.flags.unwrap_or(default.bits()),
        },
    })
}

/// The `virsh` command that resumes it from this machine.
pub(super) fn command(vm: &str, t: &Target) -> String {
    let r = &t.request;
    let mut argv = vec![
        "virsh".to_string(),
        "-c".into(),
        quote(&t.connect),
        "migrate".into(),
    ];
    argv.extend(virsh_options(r.flags).into_iter().map(String::from));
    argv.push("--postcopy-resume".into());
    argv.extend([
        quote(vm),
        quote(&r.peer_uri),
        "--migrateuri".into(),
        quote(&r.migration_uri),
    ]);
    argv.join(" ")
}

/// `recover` resumes it itself only when the migration failed and both
/// halves are held by hosts that answered: the source paused (post-copy
/// failed), the destination with post-copy failed (running or paused),
/// and no other live copy anywhere. Otherwise resuming could not work
/// (a half is missing) or could not be checked (a host did not answer).
pub(super) fn action(s: &Sides, phase: Phase, t: Target) -> Option<Action> {
    let failed = |c: &&Copy| c.postcopy() == Some(Postcopy::Failed);
    let src = s.copy_on(s.src.as_ref()).filter(failed)?;
    let dst = s.copy_on(s.dst.as_ref()).filter(failed)?;
    let live = s.found.iter().filter(|c| c.live()).count();
    if phase != Phase::Failed || !src.is(DomainState::Paused) || live != 2 {
        return None;
    }
    Some(Action::ResumePostcopy {
        source: src.host.clone(),
        destination: dst.host.clone(),
        request: t.request,
    })
}
