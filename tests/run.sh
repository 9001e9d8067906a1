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
trap 'tests/lab/lab.sh down' EXIT
# Four hosts: lab4 is the host the evacuation tests empty (the other tests
# see lab1..lab3 only).
tests/lab/lab.sh up 4

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
# A lab test that finds no lab fails here instead of skipping, so that this
# run can never pass without having run them.
# Four test threads on two cores: the lab tests mostly wait on migrations,
# and the exclusive ones serialise themselves through the lab's lock.
VMIGRATE_REQUIRE_LAB=1 cargo test --locked -- --test-threads 4
