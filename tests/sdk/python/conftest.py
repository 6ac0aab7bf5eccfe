"""pytest setup: one real fermata server for the whole session, and the official SDK's
high-level clients pointed at it.

The server binary is $FERMATA_BIN (default: <repo>/target/debug/fermata). It gets a free
loopback port, a SQLite database in a temp dir and a definitions dir with one preloaded
workflow; it is stopped with SIGTERM at the end. When a test fails, the server log lines
written during that test are attached to its report, and the tail of the whole log is
printed in the summary.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional, Sequence

# The SDK reads CONDUCTOR_* from the environment (server URL, auth key/secret, worker
# overrides such as conductor.worker.all.domain). None of that may leak into the tests,
# nor into the worker processes the task handler spawns (they inherit os.environ).
for _key in list(os.environ):
    if _key.upper().startswith("CONDUCTOR_") or _key.lower().startswith("conductor.worker"):
        del os.environ[_key]

import httpx  # noqa: E402  (a dependency of conductor-python)
import pytest  # noqa: E402
from conductor.client.configuration.configuration import Configuration  # noqa: E402
from conductor.client.orkes_clients import OrkesClients  # noqa: E402

import support  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DEFAULT_BIN = REPO / "target" / "debug" / "fermata"

PRELOADED_WORKFLOW = support.PRELOADED_WORKFLOW
PRELOADED_TASK = support.PRELOADED_TASK


@dataclass
class FermataServer:
    binary: str
    port: int
    workdir: Path
    log_path: Path
    proc: subprocess.Popen
    exit_code: Optional[int] = None
    notes: List[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api"

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_since(self, offset: int = 0) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except OSError as e:
            return f"<cannot read {self.log_path}: {e}>"

    def alive(self) -> bool:
        return self.proc.poll() is None


_SERVER: Optional[FermataServer] = None
_LOG_OFFSET = pytest.StashKey[int]()
_ANY_FAILED = False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_definitions(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    preloaded = {
        "name": PRELOADED_WORKFLOW,
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": "sdk-tests@example.com",
        "description": "loaded by fermata from --definitions at start",
        "tasks": [{"name": PRELOADED_TASK, "taskReferenceName": "pre_ref", "type": "SIMPLE",
                   "inputParameters": {"x": "${workflow.input.x}"}}],
        "outputParameters": {"x": "${pre_ref.output.x}"},
    }
    (directory / "preloaded.json").write_text(json.dumps(preloaded, indent=2))


def _database_url(workdir: Path) -> str:
    """SQLite in the work directory; with FERMATA_TEST_DATABASE=postgres, a new database on
    the server FERMATA_TEST_POSTGRES names (tests/postgres.sh starts one)."""
    backend = os.environ.get("FERMATA_TEST_DATABASE", "sqlite")
    if backend == "sqlite":
        return f"sqlite://{workdir / 'f.db'}"
    if backend != "postgres":
        raise RuntimeError(f"FERMATA_TEST_DATABASE={backend}: use sqlite or postgres")
    admin = os.environ.get("FERMATA_TEST_POSTGRES")
    if not admin:
        raise RuntimeError("FERMATA_TEST_POSTGRES is not set (tests/postgres.sh start DIR prints it)")
    name = f"py_{os.getpid()}_{time.monotonic_ns()}"
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    return admin.rsplit("/", 1)[0] + "/" + name


def _start_server(binary: str, workdir: Path, extra_args: Sequence[str] = ()) -> FermataServer:
    """`extra_args` are appended to the `fermata serve` command line (upstream/ adds
    `--allow-http loopback`)."""
    definitions = workdir / "definitions"
    _write_definitions(definitions)
    # Only the command line configures the server: drop FERMATA_* from the parent env.
    # FERMATA_LOG (the log filter) may be set by the caller; it defaults to logging every
    # request and its status, which is what a failure report needs.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FERMATA_")}
    env["FERMATA_LOG"] = os.environ.get("FERMATA_LOG") or "info,tower_http=debug"
    env["NO_COLOR"] = "1"  # plain log lines in failure reports
    last_log = ""
    database_url = _database_url(workdir)
    for attempt in range(3):
        port = _free_port()
        log_path = workdir / f"fermata-{attempt}.log"
        log = open(log_path, "wb")
        cmd = [binary, "serve",
               "--listen", f"127.0.0.1:{port}",
               "--database-url", database_url,
               "--definitions", str(definitions), *extra_args]
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env)
        log.close()
        server = FermataServer(binary=binary, port=port, workdir=workdir, log_path=log_path, proc=proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                if httpx.get(f"{server.base_url}/health", timeout=1.0).status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        last_log = server.log_since()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"fermata did not answer GET /health within 30s:\n{last_log}")
        if "in use" not in last_log.lower():
            break  # not a port race: do not retry
    raise RuntimeError(f"fermata exited at start (code {proc.returncode}); command {cmd}\n{last_log}")


def _stop_server(server: FermataServer) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.exit_code = server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.notes.append("fermata did not exit within 15s of SIGTERM; killed it")
            server.proc.kill()
            server.exit_code = server.proc.wait()
            return
        if server.exit_code != 0:
            server.notes.append(f"fermata exited with code {server.exit_code} after SIGTERM")
    else:
        server.exit_code = server.proc.returncode
        server.notes.append(f"fermata had already exited (code {server.exit_code}) before the end of the session")


@pytest.fixture(scope="session")
def fermata(tmp_path_factory) -> FermataServer:
    global _SERVER
    binary = os.environ.get("FERMATA_BIN") or str(DEFAULT_BIN)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        pytest.exit(f"fermata binary not found or not executable: {binary} (set FERMATA_BIN)", returncode=4)
    workdir = tmp_path_factory.mktemp("fermata")
    server = _start_server(binary, workdir)
    _SERVER = server
    yield server
    _stop_server(server)


@pytest.fixture(autouse=True)
def _server_still_running(request):
    """Fail fast (with the log) if the server died during an earlier test."""
    if "fermata" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("fermata")
    if not server.alive():
        pytest.fail(f"fermata is no longer running (exit code {server.proc.returncode})", pytrace=False)
    yield


@pytest.fixture(scope="session")
def configuration(fermata) -> Configuration:
    return Configuration(server_api_url=fermata.api_url)


@pytest.fixture(scope="session")
def clients(configuration) -> OrkesClients:
    return OrkesClients(configuration)


@pytest.fixture(scope="session")
def wc(clients):
    """OrkesWorkflowClient."""
    return clients.get_workflow_client()


@pytest.fixture(scope="session")
def tc(clients):
    """OrkesTaskClient."""
    return clients.get_task_client()


@pytest.fixture(scope="session")
def mc(clients):
    """OrkesMetadataClient."""
    return clients.get_metadata_client()


@pytest.fixture(scope="session")
def executor(clients):
    """WorkflowExecutor."""
    return clients.get_workflow_executor()


@dataclass
class Flow:
    """A freshly registered workflow: `name` (version 1), the SIMPLE task type it uses, and
    the task reference names in order."""
    name: str
    task_name: str
    refs: List[str]


@pytest.fixture
def make_flow(mc) -> Callable[..., Flow]:
    """Register (through OrkesMetadataClient, POST forms) a unique task def with no retries
    and a unique workflow of `n` SIMPLE tasks t1..tn whose output is the last task's output
    plus the workflow input."""

    def make(n: int = 2, prefix: str = "sdk_wf", **def_kwargs) -> Flow:
        task_name = support.unique(f"{prefix}_task")
        mc.register_task_def(support.task_def(task_name))
        refs = [f"t{i}" for i in range(1, n + 1)]
        tasks = [support.simple_task(task_name, ref, {"wf_in": "${workflow.input.a}", "ref": ref}) for ref in refs]
        name = support.unique(prefix)
        output = {"last": f"${{{refs[-1]}.output}}", "input_a": "${workflow.input.a}"}
        mc.register_workflow_def(support.workflow_def(name, tasks, output_parameters=output, **def_kwargs),
                                 overwrite=True)
        return Flow(name=name, task_name=task_name, refs=refs)

    return make


# ---- server log on failure ----

def pytest_runtest_setup(item):
    if _SERVER is not None:
        item.stash[_LOG_OFFSET] = _SERVER.log_size()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    global _ANY_FAILED
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        _ANY_FAILED = True
        if _SERVER is not None:
            text = _SERVER.log_since(item.stash.get(_LOG_OFFSET, 0))
            if len(text) > 20000:
                text = "...\n" + text[-20000:]
            report.sections.append(("fermata server log during this test", text or "<empty>"))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    server = _SERVER
    if server is None:
        return
    for note in server.notes:
        terminalreporter.write_line(f"NOTE: {note}", yellow=True)
    if _ANY_FAILED or server.notes:
        terminalreporter.section(f"fermata server log (tail of {server.log_path})")
        lines = server.log_since().splitlines()
        for line in lines[-150:]:
            terminalreporter.write_line(line)
