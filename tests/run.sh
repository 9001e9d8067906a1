#!/usr/bin/env bash
# The README's test command (and CI's): on a Debian 12 machine, as root.
# Installs what the lab needs, brings up a lab of real libvirt hosts, runs
# formatting, lints and every test against it, and always tears the lab down.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
    echo "run.sh: cargo not found: install a Rust toolchain >= 1.89 (https://rustup.rs), then rerun" >&2
    exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: must run as root (the lab creates network namespaces and runs libvirtd)" >&2
    exit 2
fi

# A lab left over by an interrupted earlier run is taken down first, so every
# run starts from the same state.
tests/lab/lab.sh down >/dev/null 2>&1 || true
lab_pid=""
lab_log=$(mktemp)
finish() {
	# An `up` still running (a failed build ended the run early) is ended
	# first, by its PID, so that `down` finds everything it started.
	if [[ -n $lab_pid ]]; then
		kill "$lab_pid" 2>/dev/null || true
		wait "$lab_pid" 2>/dev/null || true
	fi
	tests/lab/lab.sh down
	rm -f "$lab_log"
}
trap finish EXIT
# The packages first (the build links libvirt: libvirt-dev), then the lab
# comes up while cargo builds: the hosts' start is mostly waiting.
# Four hosts: lab4 is the host the evacuation tests empty (the other tests
# see lab1..lab3 only).
tests/lab/lab.sh packages
tests/lab/lab.sh up 4 >"$lab_log" 2>&1 &
lab_pid=$!

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked --no-run
up_rc=0
wait "$lab_pid" || up_rc=$?
lab_pid=""
cat "$lab_log" >&2
if ((up_rc != 0)); then
	echo "run.sh: the lab did not come up (exit $up_rc)" >&2
	exit 1
fi

# A lab test that finds no lab fails here instead of skipping, so that this
# run can never pass without having run them.
# Four test threads on two cores: the lab tests mostly wait on migrations,
# and the exclusive ones serialise themselves through the lab's lock.
# Each test's turn at the lab is timed: the longest are printed at the end,
# the first place to look when the run nears CI's time limit.
timeline=$(mktemp)
rc=0
VMIGRATE_TEST_TIMELINE=$timeline VMIGRATE_REQUIRE_LAB=1 cargo test --locked -- --test-threads 4 || rc=$?
echo "run.sh: the longest turns at the lab (kind, waited s, held s, test):" >&2
sort -t$'\t' -k4 -nr "$timeline" | head -15 | cut -f2- >&2 || true
rm -f "$timeline"
exit "$rc"
