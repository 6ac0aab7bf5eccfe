#!/usr/bin/env bash
# Runs fermata's JavaScript SDK compatibility suite
# (@io-orkes/conductor-javascript 4.0.0, Node's built-in test runner).
#
#   FERMATA_BIN=/path/to/fermata tests/sdk/js/run.sh [extra node --test args]
#
# FERMATA_BIN defaults to the workspace's debug build, target/debug/fermata.
# FERMATA_TEST_KEEP=1 keeps each server's temp dir (database and log).
set -euo pipefail
cd "$(dirname "$0")"

export FERMATA_BIN="${FERMATA_BIN:-$(cd ../../.. && pwd)/target/debug/fermata}"

if [ ! -x "$FERMATA_BIN" ]; then
  echo "run.sh: fermata binary not found or not executable: $FERMATA_BIN (set FERMATA_BIN)" >&2
  exit 2
fi

# The SDK's peer dependencies (langchain, zod, ai) are optional and conflict with
# each other, so a plain install fails with ERESOLVE: --legacy-peer-deps skips them.
if [ -d node_modules/@io-orkes/conductor-javascript ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  :
else
  npm ci --legacy-peer-deps --no-audit --no-fund
fi

# The SDK lets these override the server URL and credentials the tests pass in.
exec env -u CONDUCTOR_SERVER_URL -u CONDUCTOR_AUTH_KEY -u CONDUCTOR_AUTH_SECRET node --test "$@"
