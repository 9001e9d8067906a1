#!/usr/bin/env bash
# The README's demo: a lab of real libvirt hosts, a test VM, and vmigrate
# showing the fleet, migrating it, and migrating a memory-dirtying guest
# with the convergence ladder. Run as root on Debian 12. The lab stays up afterwards
# so you can try commands; `tests/lab/lab.sh down` removes all of it.
set -euo pipefail
cd "$(dirname "$0")/../.."

tests/lab/lab.sh up 3
cargo build --release --locked
inv=$(mktemp --suffix=.toml)
tests/lab/lab.sh inventory >"$inv"
# A rerun finds demo-vm wherever the last demo migrated it.
for h in $(tests/lab/lab.sh hosts); do tests/lab/lab.sh vm destroy "$h" demo-vm >/dev/null 2>&1 || true; done
# A local disk with 16 MiB of data: the migration copies it (block migration).
tests/lab/lab.sh vm create lab1 demo-vm --disk local --fill 16

export VMIGRATE_STATE_DIR=${VMIGRATE_STATE_DIR:-/var/lib/vmigrate-lab/state}
run() {
    echo
    echo "\$ vmigrate -i $inv $*"
    target/release/vmigrate -i "$inv" "$@"
}
run hosts
run check demo-vm
# A bandwidth cap so that the progress bar has a few seconds to show.
run live demo-vm --bandwidth 16
run hosts
# A guest that dirties 100 MiB of memory faster than 20 MiB/s can send it:
# the prediction says so; with the transport as configured (manual) the
# ladder switches to post-copy when it stalls; back again, the default
# transport (auto) chooses XBZRLE for it and says why.
for h in $(tests/lab/lab.sh hosts); do tests/lab/lab.sh vm destroy "$h" demo-busy >/dev/null 2>&1 || true; done
tests/lab/lab.sh vm create lab1 demo-busy --disk net --dirty 100
# The showcase needs the guest dirtying well above the 20 MiB/s cap, not just started.
tests/lab/lab.sh vm wait-dirty lab1 demo-busy 40
run check demo-busy --to lab2 --bandwidth 20
run live demo-busy --to lab2 --bandwidth 20 --postcopy --transport manual
tests/lab/lab.sh vm pattern lab2 demo-busy
run live demo-busy --to lab1 --bandwidth 20
tests/lab/lab.sh vm pattern lab1 demo-busy
echo
echo "The lab is up. Try:  target/release/vmigrate -i $inv live demo-vm"
echo "Remove everything:   tests/lab/lab.sh down"
