"""Error answers surface in the SDK as ApiException with the right .status and Conductor's
error body ({"status", "message", ...}; the SDK copies "message" into .message)."""

import json

import pytest
from conductor.client.http.models import RerunWorkflowRequest, SkipTaskRequest, StartWorkflowRequest
from conductor.client.http.rest import ApiException

import support

MISSING = "00000000-0000-0000-0000-00000000dead"

# Every per-workflow SDK call, aimed at an id the server never issued: 404.
UNKNOWN_ID_CALLS = {
    "get_workflow": lambda c: c["wc"].get_workflow(MISSING),
    "get_workflow_status": lambda c: c["wc"].get_workflow_status(MISSING),
    "pause_workflow": lambda c: c["wc"].pause_workflow(MISSING),
    "resume_workflow": lambda c: c["wc"].resume_workflow(MISSING),
    "restart_workflow": lambda c: c["wc"].restart_workflow(MISSING),
    "restart_workflow(use_latest_def)": lambda c: c["wc"].restart_workflow(MISSING, use_latest_def=True),
    "retry_workflow": lambda c: c["wc"].retry_workflow(MISSING),
    "retry_workflow(resume_subworkflow_tasks)": lambda c: c["wc"].retry_workflow(MISSING, resume_subworkflow_tasks=True),
    "rerun_workflow": lambda c: c["wc"].rerun_workflow(MISSING, RerunWorkflowRequest()),
    "terminate_workflow": lambda c: c["wc"].terminate_workflow(MISSING, reason="x"),
    "terminate_workflow(trigger_failure_workflow)": lambda c: c["wc"].terminate_workflow(
        MISSING, reason="x", trigger_failure_workflow=True),
    "delete_workflow": lambda c: c["wc"].delete_workflow(MISSING),
    "skip_task_from_workflow": lambda c: c["wc"].skip_task_from_workflow(MISSING, "t1", SkipTaskRequest()),
    "executor.pause": lambda c: c["executor"].pause(MISSING),
    "executor.resume": lambda c: c["executor"].resume(MISSING),
    "executor.terminate": lambda c: c["executor"].terminate(MISSING, reason="x"),
    "executor.restart": lambda c: c["executor"].restart(MISSING),
    "executor.retry": lambda c: c["executor"].retry(MISSING),
    "executor.rerun": lambda c: c["executor"].rerun(RerunWorkflowRequest(), MISSING),
    "task_client.update_task_by_ref_name": lambda c: c["tc"].update_task_by_ref_name(MISSING, "t1", "COMPLETED", {}),
    "executor.update_task_by_ref_name": lambda c: c["executor"].update_task_by_ref_name({}, MISSING, "t1", "COMPLETED"),
    "task_client.update_task_sync": lambda c: c["tc"].update_task_sync(MISSING, "t1", "COMPLETED", {}),
    "executor.update_task": lambda c: c["executor"].update_task(MISSING, MISSING, {}, "COMPLETED"),
}


@pytest.mark.parametrize("name", list(UNKNOWN_ID_CALLS))
def test_unknown_workflow_id_is_404(name, wc, tc, executor):
    call = UNKNOWN_ID_CALLS[name]
    e = support.expect_api_error(404, lambda: call({"wc": wc, "tc": tc, "executor": executor}), name)
    body = json.loads(e.body)
    assert body["status"] == 404
    assert body["message"] and e.message == body["message"]


def test_conflicts_on_a_completed_workflow(wc, tc, make_flow):
    flow = make_flow(1)
    wf_id = wc.start_workflow(StartWorkflowRequest(name=flow.name, input={}))
    tc.update_task_by_ref_name(wf_id, "t1", "COMPLETED", {})
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"
    for what, call, status in [
        ("pause", lambda: wc.pause_workflow(wf_id), 409),
        ("resume", lambda: wc.resume_workflow(wf_id), 409),
        ("terminate", lambda: wc.terminate_workflow(wf_id, reason="x"), 409),
        ("retry", lambda: wc.retry_workflow(wf_id), 409),
        ("skip", lambda: wc.skip_task_from_workflow(wf_id, "t1", SkipTaskRequest()), 409),
    ]:
        e = support.expect_api_error(status, call, f"{what} of a COMPLETED workflow")
        assert e.message, f"{what}: the error body has no message: {e.body!r}"
    # Nothing changed.
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    assert support.task_states(wf) == [("t1", "COMPLETED")]


def test_conflicts_on_a_running_workflow(wc, make_flow):
    flow = make_flow(1)
    wf_id = wc.start_workflow(StartWorkflowRequest(name=flow.name, input={}))
    support.expect_api_error(409, lambda: wc.restart_workflow(wf_id), "restart of RUNNING")
    support.expect_api_error(409, lambda: wc.restart_workflow(wf_id, use_latest_def=True),
                             "restart(use_latest_def) of RUNNING")
    support.expect_api_error(409, lambda: wc.resume_workflow(wf_id), "resume of RUNNING")
    support.expect_api_error(404, lambda: wc.retry_workflow(wf_id), "retry of RUNNING (Conductor: 404)")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert support.task_states(wf) == [("t1", "SCHEDULED")]


def test_bad_status_in_update_by_ref_name_is_4xx(wc, tc, make_flow):
    """A status outside TaskResult.Status is refused and changes nothing."""
    flow = make_flow(1)
    wf_id = wc.start_workflow(StartWorkflowRequest(name=flow.name, input={}))
    with pytest.raises(ApiException) as info:
        tc.update_task_by_ref_name(wf_id, "t1", "DONE", {})
    assert 400 <= info.value.status < 600
    assert support.task_states(support.get_workflow(wc, wf_id)) == [("t1", "SCHEDULED")]
