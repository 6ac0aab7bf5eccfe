#!/usr/bin/env bash
# conductor-python 2.0.0's own integration tests, vendored unmodified (see README.md), against
# a real fermata. ../run.sh calls this after the compatibility suite.
#
#   tests/sdk/python/upstream/run.sh [extra pytest args...]
#
# FERMATA_BIN    server binary to test   (default: <repo>/target/debug/fermata)
# FERMATA_VENV   virtualenv with ../requirements.txt installed (default: <repo>/target/sdk-venv)
#
# The tests run in a network namespace of their own with nothing but loopback: the kitchen-sink
# workflow of test_workflow_definition.py starts with HTTP tasks calling a public URL
# (https://orkes-api-tester.orkesconductor.com/get), and fermata runs HTTP tasks, so without the
# namespace starting that workflow would send traffic off this machine. In it, the lookup fails
# at once and nothing leaves. This needs root (or unprivileged user namespaces) and `ip`.
#
# The signal-test workflows of test_workflow_execution.py call http://httpbin:8081/api/hello:
# the namespace also has a mount namespace of its own, where a copy of /etc/hosts mapping
# `httpbin` to 127.0.0.1 is bind-mounted over /etc/hosts; fermata_upstream.py serves that
# address (httpbin_peer.py) and lets fermata's HTTP task reach loopback.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
venv="${FERMATA_VENV:-$repo/target/sdk-venv}"
export FERMATA_BIN="${FERMATA_BIN:-$repo/target/debug/fermata}"
python="$venv/bin/python"

[[ -x "$python" ]] || { echo "upstream/run.sh: no venv at $venv (run ../run.sh, or set FERMATA_VENV)" >&2; exit 2; }
[[ -x "$FERMATA_BIN" ]] || { echo "upstream/run.sh: fermata binary not found at $FERMATA_BIN (build it, or set FERMATA_BIN)" >&2; exit 2; }

# The vendored files must be the SDK's, byte for byte: compare git blob ids with SOURCE.
"$python" - "$here" <<'PY'
import hashlib, pathlib, sys
root = pathlib.Path(sys.argv[1])
bad = []
for line in (root / "SOURCE").read_text().splitlines():
    if not line.strip() or line.startswith("#"):
        continue
    blob, path = line.split(None, 1)
    data = (root / path).read_bytes()
    if hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() != blob:
        bad.append(path)
if bad:
    sys.exit("upstream/run.sh: vendored files differ from conductor-python v2.0.0: " + ", ".join(bad))
PY

if ! unshare --net --mount true 2>/dev/null; then
    echo "upstream/run.sh: cannot create a network and mount namespace (unshare --net --mount); these tests start" >&2
    echo "a workflow whose HTTP tasks call a public URL, so they only run isolated (needs root)" >&2
    exit 2
fi

cd "$here"
export PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
hosts="$(mktemp "${TMPDIR:-/tmp}/fermata-upstream-hosts.XXXXXX")"
trap 'rm -f "$hosts"' EXIT
{ cat /etc/hosts; echo; echo "127.0.0.1 httpbin"; } >"$hosts"
chmod 644 "$hosts"
status=0
unshare --net --mount -- sh -c 'mount --bind "$0" /etc/hosts && ip link set lo up && exec "$@"' "$hosts" \
    "$python" -m pytest -c "$here/pytest.ini" --rootdir "$here" -q "$@" || status=$?
exit "$status"
