"""fermata additions on top of Conductor, exercised through the SDK where the SDK can reach
them: the signal log (GET /api/workflow/{id}/signals, read with httpx as the SDK has no call
for it), the Idempotency-Key header on signal endpoints (set as an SDK default header), and
StartWorkflowRequest.idempotency_key / idempotency_strategy."""

import httpx
import pytest
from conductor.client.http.models import StartWorkflowRequest
from conductor.client.http.models.start_workflow_request import IdempotencyStrategy
from conductor.client.orkes.orkes_workflow_client import OrkesWorkflowClient

import support


def signal_log(fermata, wf_id):
    r = httpx.get(f"{fermata.api_url}/workflow/{wf_id}/signals", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_every_sdk_signal_is_recorded(fermata, wc, tc, make_flow):
    flow = make_flow(2)
    wf_id = wc.start_workflow(StartWorkflowRequest(name=flow.name, input={"a": 1}))
    wc.pause_workflow(wf_id)
    support.expect_api_error(409, lambda: wc.restart_workflow(wf_id), "restart of PAUSED")
    wc.resume_workflow(wf_id)
    tc.update_task_by_ref_name(wf_id, "t1", "COMPLETED", {"x": 1})
    wc.terminate_workflow(wf_id, reason="logged", trigger_failure_workflow=False)
    wc.retry_workflow(wf_id, resume_subworkflow_tasks=True)
    assert support.get_workflow(wc, wf_id).status == "RUNNING"

    log = signal_log(fermata, wf_id)
    ops = [(entry["op"], entry["status"]) for entry in log]
    assert ops == [
        ("start", 200),
        ("pause", 200),
        ("restart", 409),
        ("resume", 200),
        ("update_task_by_ref", 200),
        ("terminate", 200),
        ("retry", 204),
    ], ops
    terminate = log[5]
    assert terminate["params"].get("reason") == "logged"
    assert terminate["params"].get("triggerFailureWorkflow") is False
    assert log[2].get("message"), "a refused signal keeps its error message"
    assert all(entry["workflowId"] == wf_id for entry in log)


def test_idempotency_key_replays_first_outcome(fermata, configuration, wc, make_flow):
    flow = make_flow(1)
    wf_id = wc.start_workflow(StartWorkflowRequest(name=flow.name, input={}))
    wc.pause_workflow(wf_id)

    keyed = OrkesWorkflowClient(configuration)
    keyed.api_client.default_headers["Idempotency-Key"] = support.unique("resume-key")
    keyed.resume_workflow(wf_id)
    assert support.get_workflow(wc, wf_id).status == "RUNNING"
    # The same key again: the first outcome (success) is replayed instead of a 409.
    keyed.resume_workflow(wf_id)
    # Without the key the same call is refused: the workflow is not paused.
    support.expect_api_error(409, lambda: wc.resume_workflow(wf_id), "resume without a key")
    assert support.get_workflow(wc, wf_id).status == "RUNNING"
    resumes = [e for e in signal_log(fermata, wf_id) if e["op"] == "resume"]
    assert [e["status"] for e in resumes] == [200, 409], resumes


@pytest.mark.parametrize("strategy", [IdempotencyStrategy.RETURN_EXISTING, IdempotencyStrategy.FAIL])
def test_start_idempotency_key(wc, make_flow, strategy):
    flow = make_flow(1)
    key = support.unique("start-key")
    first = wc.start_workflow(StartWorkflowRequest(name=flow.name, input={}, idempotency_key=key,
                                                   idempotency_strategy=strategy))
    if strategy == IdempotencyStrategy.RETURN_EXISTING:
        again = wc.start_workflow(StartWorkflowRequest(name=flow.name, input={}, idempotency_key=key,
                                                       idempotency_strategy=strategy))
        assert again == first
    else:
        support.expect_api_error(409, lambda: wc.start_workflow(StartWorkflowRequest(
            name=flow.name, input={}, idempotency_key=key, idempotency_strategy=strategy)),
            "second start with the same idempotency key (FAIL)")
    found = wc.search(query=f"workflowType IN ({flow.name})")
    assert [r.workflow_id for r in found.results] == [first]
