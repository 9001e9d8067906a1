//! The matrix's table: every fault × every phase, each cell either run
//! (with the endings it may have: exit code and where the VM must then
//! run) or not applicable, with why. Nothing is dropped silently: the
//! report lists every cell.

/// A fault the matrix injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    DestLibvirtd,
    SrcLibvirtd,
    DestLink,
    SrcSsh,
    Sigint,
    Sigterm,
    Sigkill,
    DiskFull,
    MemoryTaken,
}

/// A phase of a `vmigrate live` run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Checks,
    Disks,
    MemoryCopy,
    PostCopy,
    Completed,
}

/// One of the two hosts of a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Source,
    Destination,
}

/// A way a cell may end: the run's exit code (`None`: killed by the
/// test's SIGKILL) and the host the VM must run on afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ending {
    pub exit: Option<i32>,
    pub home: Side,
}

/// What the table says of a cell.
#[derive(Clone, Copy, Debug)]
pub enum Plan {
    Run(&'static [Ending]),
    NotApplicable(&'static str),
}

impl Fault {
    pub const ALL: [Fault; 9] = [
        Fault::DestLibvirtd,
        Fault::SrcLibvirtd,
        Fault::DestLink,
        Fault::SrcSsh,
        Fault::Sigint,
        Fault::Sigterm,
        Fault::Sigkill,
        Fault::DiskFull,
        Fault::MemoryTaken,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Fault::DestLibvirtd => "destination libvirtd killed",
            Fault::SrcLibvirtd => "source libvirtd killed",
            Fault::DestLink => "destination link cut",
            Fault::SrcSsh => "operator's SSH to the source cut",
            Fault::Sigint => "vmigrate SIGINT",
            Fault::Sigterm => "vmigrate SIGTERM",
            Fault::Sigkill => "vmigrate SIGKILL",
            Fault::DiskFull => "destination disk full",
            Fault::MemoryTaken => "destination memory taken",
        }
    }

    /// Part of the cell's VM name.
    pub fn slug(self) -> &'static str {
        match self {
            Fault::DestLibvirtd => "dlv",
            Fault::SrcLibvirtd => "slv",
            Fault::DestLink => "lnk",
            Fault::SrcSsh => "ssh",
            Fault::Sigint => "int",
            Fault::Sigterm => "trm",
            Fault::Sigkill => "kil",
            Fault::DiskFull => "dsk",
            Fault::MemoryTaken => "mem",
        }
    }

    /// The host the fault damages, which no other cell may use meanwhile.
    /// The disk and memory faults count: they change what the
    /// destination's checks would see.
    pub fn breaks(self) -> Option<Side> {
        match self {
            Fault::SrcLibvirtd | Fault::SrcSsh => Some(Side::Source),
            Fault::DestLibvirtd | Fault::DestLink | Fault::DiskFull | Fault::MemoryTaken => {
                Some(Side::Destination)
            }
            Fault::Sigint | Fault::Sigterm | Fault::Sigkill => None,
        }
    }
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::Checks,
        Phase::Disks,
        Phase::MemoryCopy,
        Phase::PostCopy,
        Phase::Completed,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Phase::Checks => "checks",
            Phase::Disks => "disk pre-creation",
            Phase::MemoryCopy => "memory copy",
            Phase::PostCopy => "post-copy",
            Phase::Completed => "after completion",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Phase::Checks => "chk",
            Phase::Disks => "dsk",
            Phase::MemoryCopy => "mem",
            Phase::PostCopy => "pc",
            Phase::Completed => "end",
        }
    }
}

/// An ending with exit code `$exit` and the VM on `$home` (a macro, not a
/// `const fn`: only literals are promoted to the `'static` slices below).
macro_rules! on {
    ($exit:literal, $home:expr) => {
        Ending {
            exit: Some($exit),
            home: $home,
        }
    };
}

const S: Side = Side::Source;
const D: Side = Side::Destination;
const KILLED_S: Ending = Ending {
    exit: None,
    home: S,
};
const KILLED_D: Ending = Ending {
    exit: None,
    home: D,
};

/// The table.
pub fn plan(fault: Fault, phase: Phase) -> Plan {
    match fault {
        Fault::DestLibvirtd | Fault::SrcLibvirtd | Fault::DestLink | Fault::SrcSsh => {
            Plan::Run(host_fault(fault, phase))
        }
        Fault::Sigint | Fault::Sigterm => Plan::Run(interrupt(phase)),
        Fault::Sigkill => Plan::Run(match phase {
            Phase::Checks | Phase::Disks => &[KILLED_S],
            // libvirt's peer-to-peer job goes on without vmigrate.
            Phase::MemoryCopy | Phase::PostCopy | Phase::Completed => &[KILLED_D],
        }),
        Fault::DiskFull => disk_full(phase),
        Fault::MemoryTaken => memory_taken(phase),
    }
}

/// A host or its connection failing: before the migration starts the VM
/// stays put (3: the checks saw it; 4: the set-up failed); once memory
/// moves, a run that cannot see both ends says 5 and `recover` settles it.
/// At the checks hold the hosts' facts are already read: the checks judge
/// those, and a fault the judging cannot see stops the set-up (4).
fn host_fault(fault: Fault, phase: Phase) -> &'static [Ending] {
    match (fault, phase) {
        (_, Phase::Checks) => &[on!(3, S), on!(4, S)],
        (Fault::SrcSsh | Fault::SrcLibvirtd | Fault::DestLink, Phase::Disks) => {
            &[on!(4, S), on!(5, S)]
        }
        (_, Phase::Disks) => &[on!(4, S)],
        (Fault::SrcSsh, Phase::MemoryCopy) => &[on!(5, D), on!(5, S)],
        (_, Phase::MemoryCopy) => &[on!(4, S), on!(5, S)],
        (_, Phase::PostCopy | Phase::Completed) => &[on!(5, D), on!(0, D)],
    }
}

/// Ctrl-C or SIGTERM: the VM stays on the source (130) unless the
/// migration can no longer be undone (post-copy, completed: 0).
fn interrupt(phase: Phase) -> &'static [Ending] {
    match phase {
        Phase::Checks | Phase::Disks | Phase::MemoryCopy => &[on!(130, S)],
        Phase::PostCopy | Phase::Completed => &[on!(0, D)],
    }
}

fn disk_full(phase: Phase) -> Plan {
    match phase {
        // The disks' room is a check (storage.dest_space), judged on the
        // free space read before the hold: the copy then fails (4).
        Phase::Checks => Plan::Run(&[on!(3, S), on!(4, S)]),
        Phase::Disks => Plan::Run(&[on!(4, S)]),
        // The disks are mirrored before memory moves: a disk filled now
        // has nothing more to receive unless the guest writes.
        Phase::MemoryCopy => Plan::Run(&[on!(0, D), on!(4, S)]),
        Phase::PostCopy => Plan::NotApplicable(
            "post-copy moves memory only; the disks were copied before the switch",
        ),
        Phase::Completed => Plan::NotApplicable(
            "the disks are copied and in use: nothing more is written by the migration",
        ),
    }
}

fn memory_taken(phase: Phase) -> Plan {
    match phase {
        // Injected at the `migrate` hold point: the checks passed, the
        // claim is held, the migration not started.
        Phase::Checks => Plan::Run(&[on!(0, D), on!(4, S)]),
        Phase::Disks | Phase::MemoryCopy | Phase::PostCopy | Phase::Completed => {
            Plan::NotApplicable(
                "the fault is \"memory taken between check and migrate\": it has one moment, shown in the checks column",
            )
        }
    }
}
