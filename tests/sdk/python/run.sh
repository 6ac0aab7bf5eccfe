#!/usr/bin/env bash
# Run fermata's Python SDK compatibility suite (official conductor-python, pinned).
#
#   tests/sdk/python/run.sh [extra pytest args...]
#
# Runs this directory's suite, then conductor-python's own integration tests (upstream/run.sh).
#
# FERMATA_BIN    server binary to test      (default: <repo>/target/debug/fermata)
# FERMATA_VENV   virtualenv for the SDK     (default: <repo>/target/sdk-venv; created if missing)
# PYTHON         interpreter for the venv   (default: python3)
# FERMATA_SDK_UPSTREAM=0   skip the SDK's own integration tests (upstream/)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
venv="${FERMATA_VENV:-$repo/target/sdk-venv}"
export FERMATA_BIN="${FERMATA_BIN:-$repo/target/debug/fermata}"

if [[ ! -x "$FERMATA_BIN" ]]; then
    echo "run.sh: fermata binary not found at $FERMATA_BIN (build it, or set FERMATA_BIN)" >&2
    exit 2
fi

if [[ ! -x "$venv/bin/python" ]]; then
    echo "run.sh: creating venv $venv" >&2
    "${PYTHON:-python3}" -m venv "$venv"
fi
# Quiet and quick when everything is already installed at the pinned versions.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

cd "$here"
export PYTHONDONTWRITEBYTECODE=1
export FERMATA_VENV="$venv"
status=0
"$venv/bin/python" -m pytest -q "$@" || status=$?

# Then the SDK's own integration tests, vendored unmodified (upstream/README.md), on a server of
# their own in a loopback-only network namespace. Extra arguments go to the suite above only;
# FERMATA_SDK_UPSTREAM=0 skips this part.
if [[ "${FERMATA_SDK_UPSTREAM:-1}" != 0 ]]; then
    echo
    echo "==== conductor-python's own integration tests (upstream/)"
    "$here/upstream/run.sh" || { rc=$?; (( status != 0 )) || status=$rc; }
fi
exit "$status"
