#!/usr/bin/env bash
# The README's demo: a lab of real libvirt hosts, a test VM, and vmigrate
# showing the fleet. Run as root on Debian 12. The lab stays up afterwards
# so you can try commands; `tests/lab/lab.sh down` removes all of it.
set -euo pipefail
cd "$(dirname "$0")/../.."

tests/lab/lab.sh up 3
cargo build --release --locked
inv=$(mktemp --suffix=.toml)
tests/lab/lab.sh inventory >"$inv"
tests/lab/lab.sh vm destroy lab1 demo-vm >/dev/null 2>&1 || true
tests/lab/lab.sh vm create lab1 demo-vm --disk net

echo
echo "\$ vmigrate -i $inv hosts"
target/release/vmigrate -i "$inv" hosts
echo
echo "The lab is up. Try:  target/release/vmigrate -i $inv -o json hosts"
echo "Remove everything:   tests/lab/lab.sh down"
