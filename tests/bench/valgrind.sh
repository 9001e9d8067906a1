#!/usr/bin/env bash
# Every `unsafe` libvirt call vmigrate makes, exercised under valgrind
# (memcheck) against the lab (issue G2): virDomainGetJobStats and
# virDomainGetState (`live`'s watch loop), virDomainMigrateStartPostCopy
# (the ladder's switch), virDomainStartDirtyRateCalc and the dirty-rate
# stats (`check`'s sample), virConnectCompareHypervisorCPU (`check`'s CPU
# check on a guest without <cpu>), virDomainAbortJob (`abort` from another
# process) and `_exit` (leaving while libvirt is stuck is not exercised: it
# needs a dead host). Prints each command's exit code and valgrind's error
# count; exits 1 when valgrind reported an error in vmigrate's own frames.
# Run as root on Debian 12; the lab is brought up if needed and taken down
# after unless it was already up. BIN=path checks another build.
set -euo pipefail
cd "$(dirname "$0")/../.."

# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
bench_lab 3 vg-busy
bench_inventory
command -v valgrind >/dev/null ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null
bin=${BIN:-target/release/vmigrate}
export VMIGRATE_STATE_DIR="$work/state"
inv="$work/inventory.toml"

vg() { # NAME ARGS...: one vmigrate run under memcheck, its log in $work/NAME.vg
    local name=$1 rc=0
    shift
    valgrind -q --error-exitcode=99 --leak-check=no --track-origins=no \
        --log-file="$work/$name.vg" "$bin" -i "$inv" "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
    printf '%-16s exit %-3s valgrind errors: %s\n' "$name" "$rc" \
        "$(grep -c '^==[0-9]*== [A-Z].*\(Invalid\|uninitialised\|Mismatched\|overlap\|free\)' "$work/$name.vg" || true)"
}

# A guest without <cpu> (the CPU comparison path) that dirties memory.
tests/lab/lab.sh vm create lab1 vg-busy --disk net --dirty 64 --no-cpu >/dev/null
vg hosts hosts
vg check check vg-busy --to lab2 --measure 1
vg live-postcopy live vg-busy --to lab2 --bandwidth 20 --postcopy --max-downtime 50 -q
# An abort from another process while a capped migration runs.
"$bin" -i "$inv" live vg-busy --to lab3 --bandwidth 5 -q >"$work/bg.out" 2>&1 &
bg=$!
sleep 4
vg abort abort vg-busy
wait "$bg" || true
vg where hosts

errors=$(cat "$work"/*.vg | grep -c '^==[0-9]*== [A-Z]' || true)
echo "valgrind lines in all logs: $errors (logs in $work)"
if [ "$errors" -gt 0 ]; then
    cat "$work"/*.vg | head -60
    exit 1
fi
