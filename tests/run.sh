#!/usr/bin/env bash
# fermata's whole test suite, from a fresh machine: installs what the tests need, builds,
# checks formatting and lints, then runs the unit tests, the end-to-end tests against the
# real binary, and the official Conductor SDK suites (Python and JavaScript).
#
#   tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==== %s (%s)\n' "$1" "$(date +%T)"; }

step "toolchain"
rustup show active-toolchain
command -v python3 node npm >/dev/null || { echo "python3, node and npm are required" >&2; exit 1; }

step "format"
cargo fmt --all --check

step "build"
cargo build --workspace --locked

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "unit and end-to-end tests"
cargo test --workspace --locked

export FERMATA_BIN="$root/target/debug/fermata"

step "Python SDK suite (conductor-python)"
tests/sdk/python/run.sh

step "JavaScript SDK suite (@io-orkes/conductor-javascript)"
tests/sdk/js/run.sh

step "all tests passed"
