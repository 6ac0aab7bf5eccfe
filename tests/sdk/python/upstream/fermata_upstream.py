"""pytest plugin (`-p fermata_upstream`, see run.sh) that runs conductor-python's own
integration tests, vendored unmodified under tests/, against a real fermata server.

- Starts one fermata for the session exactly as the SDK compatibility suite does (its
  conftest's `_start_server`: a free loopback port, SQLite in a temp dir, the same
  --definitions) and stops it with SIGTERM at the end.
- Gives the SDK nothing but CONDUCTOR_SERVER_URL: every other CONDUCTOR_* variable is dropped
  (importing that conftest does it), so there are no auth keys and the SDK sends no token.
- The upstream conftest *skips* every test when its first call (GET /api/metadata/taskdefs)
  fails; here a skip counts as a failure, so a broken server cannot pass as "all skipped".
- A failing test's report carries the server log lines written during it (the same hooks as
  the compatibility suite), and the summary prints the tail of the log.
- The signal-test workflows of test_workflow_execution.py have HTTP tasks calling
  `http://httpbin:8081/api/hello`: run.sh maps `httpbin` to 127.0.0.1 in the namespace, this
  plugin runs httpbin_peer.py on 127.0.0.1:8081 (its log: httpbin.log in the workdir) and
  starts fermata with `--allow-http loopback` so the HTTP task may reach it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SDK_SUITE = HERE.parent  # tests/sdk/python


def _load_sdk_conftest():
    # The compatibility suite's conftest imports its sibling `support`.
    if str(SDK_SUITE) not in sys.path:
        sys.path.append(str(SDK_SUITE))
    spec = importlib.util.spec_from_file_location("fermata_sdk_conftest", SDK_SUITE / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)  # also drops CONDUCTOR_* from os.environ
    return module


_sdk = _load_sdk_conftest()
_WORKDIR = None
_PEER = None
HTTPBIN = ("httpbin", 8081)


def _start_httpbin_peer(workdir: Path) -> subprocess.Popen:
    """httpbin_peer.py on 127.0.0.1:8081, reached by its name as fermata will."""
    try:
        addr = socket.gethostbyname(HTTPBIN[0])
    except OSError as e:
        raise pytest.UsageError(f"the name {HTTPBIN[0]!r} does not resolve ({e}): run these tests "
                                "through run.sh, which maps it to 127.0.0.1")
    if addr != "127.0.0.1":
        raise pytest.UsageError(f"{HTTPBIN[0]!r} resolves to {addr}, not 127.0.0.1: run through run.sh")
    log = open(workdir / "httpbin.log", "wb")
    proc = subprocess.Popen([sys.executable, str(HERE / "httpbin_peer.py"), "127.0.0.1", str(HTTPBIN[1])],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(HTTPBIN, timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    raise pytest.UsageError("httpbin_peer.py did not start: "
                            + (workdir / "httpbin.log").read_text(errors="replace"))


def pytest_configure(config):
    global _WORKDIR, _PEER
    if hasattr(config, "workerinput"):
        raise pytest.UsageError("run these tests in one process (no xdist)")
    binary = os.environ.get("FERMATA_BIN") or str(_sdk.DEFAULT_BIN)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        raise pytest.UsageError(f"fermata binary not found or not executable: {binary} (set FERMATA_BIN)")
    _WORKDIR = Path(tempfile.mkdtemp(prefix="fermata-upstream-"))
    _PEER = _start_httpbin_peer(_WORKDIR)
    try:
        server = _sdk._start_server(binary, _WORKDIR, ["--allow-http", "loopback"])
    except RuntimeError as e:
        _PEER.terminate()
        _PEER.wait()
        raise pytest.UsageError(f"could not start fermata: {e}")
    _sdk._SERVER = server
    os.environ["CONDUCTOR_SERVER_URL"] = server.api_url
    # The log-on-failure and summary hooks of the compatibility suite, reading _sdk._SERVER.
    # Its fixtures come along but are unused here (none is autouse except one that only
    # acts for tests asking for `fermata`).
    config.pluginmanager.register(_sdk, "fermata_sdk_conftest")


def pytest_report_header(config):
    server = _sdk._SERVER
    if server is not None:
        return [f"fermata: {server.binary} at {server.api_url} (workdir {server.workdir})"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, which this harness counts as a failure: {reason}"


def pytest_sessionfinish(session, exitstatus):
    # Before the terminal summary, which prints the notes of a server that did not stop cleanly.
    if _sdk._SERVER is not None and _sdk._SERVER.exit_code is None:
        _sdk._stop_server(_sdk._SERVER)


def pytest_unconfigure(config):
    if _PEER is not None and _PEER.poll() is None:
        _PEER.terminate()
        _PEER.wait()
    server = _sdk._SERVER
    if server is not None and server.exit_code is None:
        _sdk._stop_server(server)
    # Keep the database and the logs of a run that failed (or of any run: FERMATA_UPSTREAM_KEEP=1).
    keep = os.environ.get("FERMATA_UPSTREAM_KEEP", "0") not in ("", "0")
    if _WORKDIR is not None and not (keep or _sdk._ANY_FAILED or (server is not None and server.notes)):
        shutil.rmtree(_WORKDIR, ignore_errors=True)
