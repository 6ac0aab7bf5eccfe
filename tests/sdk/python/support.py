"""Helpers shared by the SDK compatibility tests (imported by conftest.py and the tests).

Everything here goes through the official conductor-python SDK; nothing talks HTTP by hand
except where a test says so explicitly (fermata-only endpoints the SDK has no call for).
"""

from __future__ import annotations

import time
import uuid
from typing import Callable, Iterable, List, Optional, TypeVar

from conductor.client.http.models import TaskDef, WorkflowDef, WorkflowTask
from conductor.client.http.models.workflow import Workflow
from conductor.client.http.rest import ApiException

T = TypeVar("T")

# A workflow definition the server loads from --definitions at start (conftest writes it,
# test_metadata checks it).
PRELOADED_WORKFLOW = "sdk_preloaded_wf"
PRELOADED_TASK = "sdk_preloaded_task"

# Every test polls with these instead of sleeping fixed amounts.
DEFAULT_TIMEOUT = 15.0
POLL_INTERVAL = 0.05


def unique(prefix: str) -> str:
    """A name no other test (or earlier run against the same database) uses."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def wait_for(probe: Callable[[], T], what: str, timeout: float = DEFAULT_TIMEOUT,
             interval: float = POLL_INTERVAL) -> T:
    """Call `probe` until it returns something truthy; return that. Fail with the last value."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")
        time.sleep(interval)


def wait_for_status(wc, workflow_id: str, status: str, timeout: float = DEFAULT_TIMEOUT) -> Workflow:
    """Poll `get_workflow` (through the SDK) until the workflow has `status`; return it."""
    seen = []

    def probe():
        wf = wc.get_workflow(workflow_id, include_tasks=True)
        seen.append(None if wf is None else wf.status)
        return wf if wf is not None and wf.status == status else None

    try:
        return wait_for(probe, f"workflow {workflow_id} to be {status}", timeout)
    except AssertionError:
        raise AssertionError(
            f"workflow {workflow_id} never reached {status} within {timeout}s; statuses seen: "
            f"{sorted(set(map(str, seen)))}")


def get_workflow(wc, workflow_id: str) -> Workflow:
    """get_workflow through the SDK, asserting the SDK could deserialize it (it returns None
    when the server sends a status value outside the SDK's enums)."""
    wf = wc.get_workflow(workflow_id, include_tasks=True)
    assert wf is not None, (
        f"the SDK returned None for workflow {workflow_id}: its JSON did not deserialize "
        "(an unknown enum value in the response?)")
    return wf


def task_states(wf: Workflow) -> List[tuple]:
    """[(referenceTaskName, status), ...] in the server's order (seq)."""
    return [(t.reference_task_name, t.status) for t in (wf.tasks or [])]


def tasks_by_ref(wf: Workflow, ref: str) -> list:
    return [t for t in (wf.tasks or []) if t.reference_task_name == ref]


def last_task(wf: Workflow, ref: str):
    found = tasks_by_ref(wf, ref)
    assert found, f"no task {ref!r} in workflow {wf.workflow_id}; tasks: {task_states(wf)}"
    return found[-1]


def expect_api_error(status: int, call: Callable[[], object], what: str = "") -> ApiException:
    """Run an SDK call that must fail with an ApiException carrying HTTP `status`."""
    try:
        result = call()
    except ApiException as e:
        assert e.status == status, (
            f"{what or 'call'}: expected HTTP {status}, got {e.status}: {e.body!r}")
        return e
    raise AssertionError(f"{what or 'call'}: expected ApiException {status}, but it returned {result!r}")


def task_def(name: str, retry_count: int = 0, **kwargs) -> TaskDef:
    """A TaskDef with no automatic retries (so a FAILED update fails the workflow at once)."""
    kwargs.setdefault("response_timeout_seconds", 3600)
    kwargs.setdefault("timeout_seconds", 0)
    kwargs.setdefault("retry_delay_seconds", 0)
    kwargs.setdefault("owner_email", "sdk-tests@example.com")
    return TaskDef(name=name, retry_count=retry_count, **kwargs)


def simple_task(task_name: str, ref: str, input_parameters: Optional[dict] = None) -> WorkflowTask:
    return WorkflowTask(name=task_name, task_reference_name=ref, type="SIMPLE",
                        input_parameters=input_parameters or {})


def workflow_def(name: str, tasks: Iterable[WorkflowTask], version: int = 1,
                 output_parameters: Optional[dict] = None, **kwargs) -> WorkflowDef:
    kwargs.setdefault("schema_version", 2)
    kwargs.setdefault("owner_email", "sdk-tests@example.com")
    kwargs.setdefault("timeout_seconds", 0)
    kwargs.setdefault("timeout_policy", "ALERT_ONLY")
    return WorkflowDef(name=name, version=version, tasks=list(tasks),
                       output_parameters=output_parameters or {}, **kwargs)
