#!/usr/bin/env bash
# Browser tests of fermata's web UI: headless Debian Chromium driven by playwright-core
# (pinned in package-lock.json), tests with Node's built-in runner.
#
#   tests/ui/run.sh [extra node --test args]
#
# Installs what it needs on a fresh machine (Debian's chromium with apt-get, then npm ci),
# starts its own fermata on a free port with a fresh database in a temp dir, runs the tests,
# and stops fermata with SIGTERM. Screenshots go to tests/ui/out/.
#
# FERMATA_BIN     the binary to test (default: <repo>/target/debug/fermata)
# FERMATA_UI_DIR  passed on to fermata: serve the UI from that directory instead of the
#                 copy embedded in the binary (to test UI edits without a rebuild)
# FERMATA_TEST_KEEP=1 keeps the temp dir (database and server log)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"

export FERMATA_BIN="${FERMATA_BIN:-$repo/target/debug/fermata}"
if [ ! -x "$FERMATA_BIN" ]; then
  echo "run.sh: fermata binary not found or not executable: $FERMATA_BIN (build it with cargo build -p fermata, or set FERMATA_BIN)" >&2
  exit 2
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "run.sh: installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y chromium
fi

if [ -d node_modules/playwright-core ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  :
else
  npm ci --no-audit --no-fund
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/fermata-ui-XXXXXX")"
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
"$FERMATA_BIN" serve --listen "127.0.0.1:$port" --database-url "sqlite://$tmp/f.db" >"$tmp/server.log" 2>&1 &
pid=$!

stop() {
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  if [ -n "${FERMATA_TEST_KEEP:-}" ]; then
    echo "run.sh: fermata's database and log kept in $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap stop EXIT

export FERMATA_URL="http://127.0.0.1:$port"
healthy() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$FERMATA_URL/health"; }
for _ in $(seq 150); do
  if healthy; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: fermata exited before it served; its log:" >&2
    cat "$tmp/server.log" >&2
    exit 1
  fi
  sleep 0.2
done
healthy || { echo "run.sh: fermata did not answer /health in 30 s" >&2; cat "$tmp/server.log" >&2; exit 1; }

mkdir -p out
status=0
node --test --test-concurrency=1 "$@" ./*.test.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: tests failed; the last lines of fermata's log:" >&2
  tail -n 40 "$tmp/server.log" >&2 || true
fi
exit "$status"
