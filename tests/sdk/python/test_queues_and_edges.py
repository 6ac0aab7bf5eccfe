"""Signals must leave the worker queues consistent (what a poller sees afterwards), plus edge
cases of the signals: automatic failure workflow, terminate of a FAILED workflow, reasons and
correlation ids that need URL encoding."""

from conductor.client.http.models import RerunWorkflowRequest, StartWorkflowRequest, TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus

import support


def poll_all(tc, task_type):
    """Everything a worker could get from the queue right now (marks it IN_PROGRESS)."""
    return tc.batch_poll_tasks(task_type, worker_id="queue-check", count=10, timeout_in_millisecond=100) or []


def start(wc, flow, **input_):
    return wc.start_workflow(StartWorkflowRequest(name=flow.name, input=input_ or {"a": 1}))


def test_terminate_and_delete_empty_the_queue(wc, tc, make_flow):
    flow = make_flow(1)
    terminated = start(wc, flow)
    removed = start(wc, flow)
    wc.terminate_workflow(terminated, reason="gone")
    wc.delete_workflow(removed, archive_workflow=False)
    assert poll_all(tc, flow.task_name) == []
    wf = support.get_workflow(wc, terminated)
    assert support.task_states(wf) == [("t1", "CANCELED")]


def test_pause_keeps_scheduled_task_pollable(wc, tc, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow)
    wc.pause_workflow(wf_id)
    polled = poll_all(tc, flow.task_name)
    assert [(t.workflow_instance_id, t.reference_task_name) for t in polled] == [(wf_id, "t1")]
    tc.update_task(TaskResult(workflow_instance_id=wf_id, task_id=polled[0].task_id,
                              status=TaskResultStatus.COMPLETED, output_data={}))
    # Paused: t2 is not scheduled, so nothing is pollable.
    assert poll_all(tc, flow.task_name) == []
    wc.resume_workflow(wf_id)
    polled = poll_all(tc, flow.task_name)
    assert [(t.workflow_instance_id, t.reference_task_name) for t in polled] == [(wf_id, "t2")]


def test_restart_requeues_only_the_new_task(wc, tc, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow)
    wc.terminate_workflow(wf_id, reason="restart me")
    wc.restart_workflow(wf_id)
    wf = support.get_workflow(wc, wf_id)
    polled = poll_all(tc, flow.task_name)
    assert [t.task_id for t in polled] == [wf.tasks[0].task_id]
    assert support.task_states(support.get_workflow(wc, wf_id)) == [("t1", "IN_PROGRESS")]


def test_rerun_of_running_workflow_drops_later_tasks_from_the_queue(wc, tc, make_flow):
    flow = make_flow(3)
    wf_id = start(wc, flow)
    tc.update_task_by_ref_name(wf_id, "t1", "COMPLETED", {})
    wf = support.get_workflow(wc, wf_id)
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "SCHEDULED")]
    t1_id = wf.tasks[0].task_id
    wc.rerun_workflow(wf_id, RerunWorkflowRequest(re_run_from_task_id=t1_id))
    polled = poll_all(tc, flow.task_name)
    # Only t1 (same id) may be handed out; the dropped t2 must not come back from the queue.
    assert [(t.reference_task_name, t.task_id) for t in polled] == [("t1", t1_id)]
    wf = support.get_workflow(wc, wf_id)
    assert support.task_states(wf) == [("t1", "IN_PROGRESS")]


def test_retry_queues_the_new_attempt_only(wc, tc, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    tc.update_task_by_ref_name(wf_id, "t1", "FAILED", {})
    assert poll_all(tc, flow.task_name) == []
    wc.retry_workflow(wf_id)
    wf = support.get_workflow(wc, wf_id)
    polled = poll_all(tc, flow.task_name)
    assert [t.task_id for t in polled] == [wf.tasks[-1].task_id]
    assert polled[0].retry_count == 1


def test_skip_never_queues_the_skipped_task(wc, tc, make_flow):
    from conductor.client.http.models import SkipTaskRequest
    flow = make_flow(2)
    wf_id = start(wc, flow)
    wc.skip_task_from_workflow(wf_id, "t2", SkipTaskRequest())
    polled = poll_all(tc, flow.task_name)
    assert [t.reference_task_name for t in polled] == ["t1"]
    tc.update_task(TaskResult(workflow_instance_id=wf_id, task_id=polled[0].task_id,
                              status=TaskResultStatus.COMPLETED, output_data={}))
    assert poll_all(tc, flow.task_name) == []
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"


def test_task_failure_starts_failure_workflow(wc, tc, make_flow):
    handler = make_flow(1, prefix="sdk_auto_failure_handler")
    main = make_flow(1, prefix="sdk_auto_failure_main", failure_workflow=handler.name)
    wf_id = wc.start_workflow(StartWorkflowRequest(name=main.name, input={"a": 5}, correlation_id="auto-corr"))
    t1 = support.get_workflow(wc, wf_id).tasks[0]
    tc.update_task(TaskResult(workflow_instance_id=wf_id, task_id=t1.task_id, status=TaskResultStatus.FAILED,
                              reason_for_incompletion="auto failure", output_data={}))
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "FAILED"
    failure_id = support.wait_for(lambda: (support.get_workflow(wc, wf_id).output or {}).get(
        "conductor.failure_workflow"), "the automatic failure workflow id in the output")
    failure = support.get_workflow(wc, failure_id)
    assert failure.workflow_name == handler.name
    assert failure.correlation_id == "auto-corr"
    assert failure.input.get("workflowId") == wf_id
    assert failure.input.get("failureStatus") == "FAILED"
    assert failure.input.get("failureTaskId") == t1.task_id
    assert "auto failure" in (failure.input.get("reason") or "")


def test_terminate_trigger_failure_workflow_without_one_defined(wc, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    wc.terminate_workflow(wf_id, reason="no handler", trigger_failure_workflow=True)
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "TERMINATED"
    assert "conductor.failure_workflow" not in (wf.output or {})


def test_terminate_of_failed_workflow_becomes_terminated(wc, tc, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    tc.update_task_by_ref_name(wf_id, "t1", "FAILED", {})
    assert support.get_workflow(wc, wf_id).status == "FAILED"
    wc.terminate_workflow(wf_id, reason="overwrite")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "TERMINATED"
    assert wf.reason_for_incompletion == "overwrite"
    assert support.task_states(wf) == [("t1", "FAILED")]


def test_reason_and_correlation_id_are_url_encoded(wc, make_flow):
    flow = make_flow(1)
    corr = "c/1 & c=2?#ü"
    wf_id = wc.start_workflow_by_name(flow.name, {"a": 1}, version=1, correlationId=corr)
    assert support.get_workflow(wc, wf_id).correlation_id == corr
    reason = "because: a & b = c / d? 100% #done ü"
    wc.terminate_workflow(wf_id, reason=reason)
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "TERMINATED"
    assert wf.reason_for_incompletion == reason


def test_update_on_terminated_workflow_is_ignored(wc, tc, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    t1 = support.get_workflow(wc, wf_id).tasks[0]
    wc.terminate_workflow(wf_id, reason="ended")
    # Conductor silently ignores updates to terminal tasks/workflows (200, the task id).
    assert tc.update_task(TaskResult(workflow_instance_id=wf_id, task_id=t1.task_id,
                                     status=TaskResultStatus.COMPLETED, output_data={"late": True})) == t1.task_id
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "TERMINATED"
    assert support.task_states(wf) == [("t1", "CANCELED")]
    assert not wf.tasks[0].output_data
