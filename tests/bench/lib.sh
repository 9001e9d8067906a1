# shellcheck shell=bash disable=SC2034  # sets globals (work, key, hosts, addrs, was_up) for the sourcing script
# Set-up shared by the benchmarks (sourced, not run): a lab of N hosts, a
# release build, and the lab's inventory with its key, host names and
# addresses. A lab that was down before is taken down again by
# `bench_teardown` (call it from the script's EXIT trap); one that was up is
# left as found.

# bench_lab N [VM]: hyperfine present, lab up with N hosts, release build;
# VM (if given) is removed from every lab host now and by bench_teardown.
bench_lab() {
    command -v hyperfine >/dev/null ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends hyperfine >/dev/null
    bench_lab_only "$@"
    cargo build --release --locked -q
}

# bench_lab_only N [VM]: bench_lab for benchmarks that drive virsh only
# (no vmigrate build, no hyperfine).
bench_lab_only() {
    bench_vm=${2:-}
    was_up=0
    tests/lab/lab.sh status >/dev/null 2>&1 && was_up=1
    trap bench_teardown EXIT
    tests/lab/lab.sh up "$1" >/dev/null
    # The lab tests' own lock, taken exclusively: a benchmark's guests and
    # timings must not mix with a test run's (held until this shell exits).
    exec 8>"${VMIGRATE_LAB_DIR:-/var/lib/vmigrate-lab}/tests.lock"
    flock 8
    bench_remove_vm
}

bench_remove_vm() {
    [ -n "${bench_vm:-}" ] || return 0
    local h
    for h in $(tests/lab/lab.sh hosts); do tests/lab/lab.sh vm destroy "$h" "$bench_vm" >/dev/null 2>&1 || true; done
}

bench_teardown() {
    bench_remove_vm
    [ "${was_up:-1}" = 1 ] || tests/lab/lab.sh down
}

# bench_inventory: sets work (a temp dir holding inventory.toml), key,
# hosts (names) and addrs (their addresses).
bench_inventory() {
    local h
    work=$(mktemp -d)
    tests/lab/lab.sh inventory >"$work/inventory.toml"
    key=$(sed -n 's/^identity_file = "\(.*\)"/\1/p' "$work/inventory.toml")
    mapfile -t hosts < <(tests/lab/lab.sh hosts)
    addrs=()
    for h in "${hosts[@]}"; do addrs+=("$(tests/lab/lab.sh addr "$h")"); done
}

# bench_inventory_first N [FILE]: the lab's [defaults] and its first N
# [[hosts]] entries, written to FILE; without FILE, $work/inventory.toml
# itself is cut down and hosts/addrs with it. Fails unless exactly N entries
# result (a lab of fewer hosts).
bench_inventory_first() {
    local out=${2:-$work/inventory.toml} got
    awk -v n="$1" '/^\[\[hosts\]\]$/ { c++ } c <= n' "$work/inventory.toml" >"$work/inventory.first"
    got=$(grep -c '^\[\[hosts\]\]$' "$work/inventory.first" || true)
    if [ "$got" != "$1" ]; then
        echo "bench: wanted an inventory of $1 lab hosts, the lab has $got" >&2
        exit 1
    fi
    mv "$work/inventory.first" "$out"
    if [ -z "${2:-}" ]; then
        mapfile -t hosts < <(sed -n 's/^name = "\(.*\)"$/\1/p' "$out")
        mapfile -t addrs < <(sed -n 's/^address = "\(.*\)"$/\1/p' "$out")
    fi
}

# bench_guests PREFIX N: the inventory gets room for every guest on any
# host (cpu_allocation_ratio 16: a bench measures moving guests, not the
# capacity checks, which would rightly refuse a 2-CPU host its 9th vCPU);
# sets bin, VMIGRATE_STATE_DIR and names (PREFIX-00 …), and on exit removes
# those guests from every host, then bench_teardown. Call after
# bench_inventory; create the guests yourself.
bench_guests() {
    local i
    sed -i 's/^\[defaults\]$/[defaults]\ncpu_allocation_ratio = 16.0/' "$work/inventory.toml"
    bin=${BIN:-target/release/vmigrate}
    export VMIGRATE_STATE_DIR="$work/state"
    names=()
    for ((i = 0; i < $2; i++)); do names+=("$(printf '%s-%02d' "$1" "$i")"); done
    trap bench_remove_guests EXIT
}

bench_remove_guests() {
    local h n
    for n in "${names[@]}"; do
        for h in "${hosts[@]}"; do tests/lab/lab.sh vm destroy "$h" "$n" >/dev/null 2>&1 || true; done
    done
    bench_teardown
}
