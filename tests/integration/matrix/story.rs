//! The fixed text of each fault's section in docs/reliability.md: how the
//! matrix injects it and what the operator does about it. What each cell
//! saw is added below it from the run itself.

use super::cells::Fault;

/// How the fault is made, and the operator's part.
pub fn of(f: Fault) -> &'static str {
    match f {
        Fault::DestLibvirtd => {
            "Injected with `lab.sh libvirtd stop` on the destination (its guests keep running), \
             repaired with `libvirtd start` once the run has ended. Before the migration starts the \
             run stops with the VM on the source. Once memory moves, the source loses its \
             peer-to-peer connection. Operator: start libvirtd on the destination again, then \
             `vmigrate recover VM` whenever `live` exited 5."
        }
        Fault::SrcLibvirtd => {
            "Injected with `lab.sh libvirtd stop` on the source: QEMU keeps running without it, so \
             the guest never stops. vmigrate cannot ask the source anything meanwhile. Operator: \
             start libvirtd on the source again (libvirt reattaches to its QEMU), then \
             `vmigrate recover VM`."
        }
        Fault::DestLink => {
            "Injected with `lab.sh link HOST down` (the destination's veth off the bridge: nothing \
             reaches it, its guests keep running), repaired with `link up` once the run has ended. \
             The source libvirtd's keepalive on its peer-to-peer connection (the lab sets 2 s × 3) \
             and vmigrate's own keepalive (5 s × 3) turn the cut into errors instead of hangs. \
             Operator: restore the network, then `vmigrate recover VM`; a post-copy cut by it is \
             resumed with the command `recover` prints."
        }
        Fault::SrcSsh => {
            "Injected with `lab.sh ssh HOST cut` (an nftables rule inside the source drops the \
             operator's packets to its port 22, open connections included; host-to-host traffic, \
             and so the migration itself, goes on). vmigrate loses its SSH and libvirt connections \
             to the source. Operator: restore the access, then `vmigrate recover VM`."
        }
        Fault::Sigint | Fault::Sigterm => {
            "The signal is sent to `vmigrate live` (as Ctrl-C or a service manager would). Before \
             post-copy the run aborts the migration, rolls back and exits 130 with the VM on the \
             source; once the migration cannot be undone (post-copy, or completed) it finishes and \
             reports it. Operator: nothing."
        }
        Fault::Sigkill => {
            "`vmigrate live` is killed with SIGKILL: no clean-up of any kind. A migration already \
             started goes on inside libvirt (peer-to-peer) and completes without it; the matrix \
             lets it run at full speed. Operator: `vmigrate recover VM`, which removes what the \
             run left (pre-created disks, stale copies, the claim) and says where the VM is."
        }
        Fault::DiskFull => {
            "The destination's images directory is a small tmpfs (mounted inside that host only) \
             which the fault fills with `dd` (at the checks: a tmpfs smaller than the disks). \
             Operator: free space on the destination; nothing to recover when `live` exited 3 or 4."
        }
        Fault::MemoryTaken => {
            "The inventory leaves the destination room for the VM and 16 MiB; at the `migrate` hold \
             point (checks passed, claim held) a 64 MiB guest is started there outside vmigrate, \
             as another tool or an operator would. The lab hosts share this machine's memory, so \
             QEMU cannot be made to fail for lack of it: the row records what happens instead. \
             Operator: the claim only keeps out other vmigrate runs; memory taken by anything else \
             after the checks is not checked again."
        }
    }
}
