"""Workflow signals through OrkesWorkflowClient and WorkflowExecutor: pause, resume, terminate
(with reason, with the failure workflow), restart (with and without the latest definition),
rerun, retry, skip task. Each test checks the resulting workflow and task states."""

import pytest
from conductor.client.http.models import RerunWorkflowRequest, SkipTaskRequest, StartWorkflowRequest
from conductor.client.http.rest import ApiException

import support


def start(wc, flow, a=1, correlation_id=None):
    return wc.start_workflow(StartWorkflowRequest(name=flow.name, version=1, input={"a": a},
                                                  correlation_id=correlation_id))


def complete(tc, wf_id, ref, output=None):
    """Complete the live task `ref` through OrkesTaskClient.update_task_by_ref_name."""
    return tc.update_task_by_ref_name(wf_id, ref, "COMPLETED", output or {"ref": ref})


# ---- pause / resume ----

def test_pause_and_resume(wc, tc, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow)
    wc.pause_workflow(wf_id)
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "PAUSED"
    assert support.task_states(wf) == [("t1", "SCHEDULED")]

    # Pausing again is a no-op.
    wc.pause_workflow(wf_id)
    assert support.get_workflow(wc, wf_id).status == "PAUSED"

    # A task already scheduled can still be completed while paused, but nothing new is scheduled.
    complete(tc, wf_id, "t1")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "PAUSED"
    assert support.task_states(wf) == [("t1", "COMPLETED")]

    # Resume decides at once: t2 is scheduled when the call returns.
    wc.resume_workflow(wf_id)
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "SCHEDULED")]

    complete(tc, wf_id, "t2", {"fin": 1})
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "COMPLETED")]
    assert wf.output == {"last": {"result": {"fin": 1}}, "input_a": 1}


def test_pause_and_resume_with_workflow_executor(executor, make_flow):
    flow = make_flow(1)
    wf_id = executor.start_workflow(StartWorkflowRequest(name=flow.name, input={"a": 2}))
    executor.pause(wf_id)
    assert executor.get_workflow(wf_id, include_tasks=True).status == "PAUSED"
    executor.resume(wf_id)
    wf = executor.get_workflow(wf_id, include_tasks=True)
    assert wf.status == "RUNNING"
    assert support.task_states(wf) == [("t1", "SCHEDULED")]


def test_pause_of_completed_is_409(wc, tc, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    complete(tc, wf_id, "t1")
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"
    support.expect_api_error(409, lambda: wc.pause_workflow(wf_id), "pause of a COMPLETED workflow")
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"


def test_resume_of_running_is_409(wc, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    support.expect_api_error(409, lambda: wc.resume_workflow(wf_id), "resume of a RUNNING workflow")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert support.task_states(wf) == [("t1", "SCHEDULED")]


# ---- terminate ----

def test_terminate_with_reason(wc, tc, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow)
    complete(tc, wf_id, "t1")
    wc.terminate_workflow(wf_id, reason="stopped by the sdk test")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "TERMINATED"
    assert wf.reason_for_incompletion == "stopped by the sdk test"
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "CANCELED")]
    assert wf.end_time and wf.end_time > 0

    # Terminating a TERMINATED workflow is a no-op.
    wc.terminate_workflow(wf_id, reason="again")
    assert support.get_workflow(wc, wf_id).status == "TERMINATED"
    # The canceled task can no longer be updated by reference name (no live task).
    support.expect_api_error(404, lambda: complete(tc, wf_id, "t2"), "update_task_by_ref_name after terminate")


def test_terminate_paused_workflow(executor, make_flow):
    flow = make_flow(1)
    wf_id = executor.start_workflow(StartWorkflowRequest(name=flow.name, input={}))
    executor.pause(wf_id)
    executor.terminate(wf_id, reason="paused then terminated")
    wf = executor.get_workflow(wf_id, include_tasks=True)
    assert wf.status == "TERMINATED"
    assert wf.reason_for_incompletion == "paused then terminated"
    assert support.task_states(wf) == [("t1", "CANCELED")]


def test_terminate_of_completed_is_409(wc, tc, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    complete(tc, wf_id, "t1")
    support.expect_api_error(409, lambda: wc.terminate_workflow(wf_id, reason="too late"),
                             "terminate of a COMPLETED workflow")
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"


def _failure_handler(mc, make_flow):
    """A failure workflow, and a main workflow whose definition names it."""
    handler = make_flow(1, prefix="sdk_failure_handler")
    main = make_flow(2, prefix="sdk_with_failure_wf", failure_workflow=handler.name)
    return handler, main


def test_terminate_with_trigger_failure_workflow(wc, mc, make_flow):
    handler, main = _failure_handler(mc, make_flow)
    wf_id = start(wc, main, a=42, correlation_id="corr-failure")
    wc.terminate_workflow(wf_id, reason="trigger it", trigger_failure_workflow=True)

    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "TERMINATED"
    assert wf.reason_for_incompletion == "trigger it"
    assert support.task_states(wf) == [("t1", "CANCELED")]

    # The terminated workflow's output names the failure workflow it started.
    failure_id = support.wait_for(
        lambda: (support.get_workflow(wc, wf_id).output or {}).get("conductor.failure_workflow"),
        "output['conductor.failure_workflow'] on the terminated workflow")
    failure = support.get_workflow(wc, failure_id)
    assert failure.workflow_name == handler.name
    assert failure.status == "RUNNING"
    assert failure.correlation_id == "corr-failure"
    assert failure.input.get("workflowId") == wf_id
    assert failure.input.get("reason") == "trigger it"
    assert failure.input.get("failureStatus") == "TERMINATED"
    assert failure.input.get("a") == 42  # the original input is carried over
    assert support.task_states(failure) == [("t1", "SCHEDULED")]


def test_terminate_without_trigger_starts_no_failure_workflow(wc, mc, make_flow):
    handler, main = _failure_handler(mc, make_flow)
    wf_id = start(wc, main)
    wc.terminate_workflow(wf_id, reason="quietly")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "TERMINATED"
    assert "conductor.failure_workflow" not in (wf.output or {})
    started = wc.search(query=f"workflowType IN ({handler.name})")
    assert started.results == []


# ---- restart ----

def test_restart_completed_workflow(wc, tc, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow, a=9)
    complete(tc, wf_id, "t1")
    old_t1 = support.last_task(support.get_workflow(wc, wf_id), "t1").task_id
    complete(tc, wf_id, "t2")
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"

    wc.restart_workflow(wf_id)
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert wf.input == {"a": 9}
    # Every task is dropped; the first one is scheduled again with a new id.
    assert support.task_states(wf) == [("t1", "SCHEDULED")]
    assert wf.tasks[0].task_id != old_t1
    assert not wf.output

    complete(tc, wf_id, "t1")
    complete(tc, wf_id, "t2")
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"


def test_restart_of_running_is_409(wc, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    support.expect_api_error(409, lambda: wc.restart_workflow(wf_id), "restart of a RUNNING workflow")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert support.task_states(wf) == [("t1", "SCHEDULED")]


def test_restart_with_and_without_latest_definition(wc, tc, mc, executor, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    wc.terminate_workflow(wf_id, reason="to restart")

    # Version 2 of the same workflow: two tasks, different references (registered via PUT).
    v2 = support.workflow_def(flow.name, [support.simple_task(flow.task_name, "n1"),
                                          support.simple_task(flow.task_name, "n2")], version=2)
    executor.register_workflow(v2, overwrite=True)

    # Without use_latest_def the workflow keeps running version 1.
    wc.restart_workflow(wf_id)
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert wf.workflow_version == 1
    assert support.task_states(wf) == [("t1", "SCHEDULED")]

    wc.terminate_workflow(wf_id, reason="to restart again")
    # POST /restart?useLatestDefinitions=True
    wc.restart_workflow(wf_id, use_latest_def=True)
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert wf.workflow_version == 2
    assert support.task_states(wf) == [("n1", "SCHEDULED")]
    complete(tc, wf_id, "n1")
    complete(tc, wf_id, "n2")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    assert support.task_states(wf) == [("n1", "COMPLETED"), ("n2", "COMPLETED")]


def test_restart_with_workflow_executor(executor, tc, make_flow):
    flow = make_flow(1)
    wf_id = executor.start_workflow(StartWorkflowRequest(name=flow.name, input={}))
    executor.terminate(wf_id, reason="x")
    executor.restart(wf_id, use_latest_definitions=True)
    wf = executor.get_workflow(wf_id, include_tasks=True)
    assert wf.status == "RUNNING"
    assert support.task_states(wf) == [("t1", "SCHEDULED")]


def test_restart_non_restartable_completed_is_404(wc, tc, make_flow):
    flow = make_flow(1, restartable=False)
    wf_id = start(wc, flow)
    complete(tc, wf_id, "t1")
    support.expect_api_error(404, lambda: wc.restart_workflow(wf_id), "restart of a non-restartable COMPLETED")
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"
    # A non-COMPLETED ending can always restart.
    wf2 = start(wc, flow)
    wc.terminate_workflow(wf2, reason="x")
    wc.restart_workflow(wf2)
    assert support.get_workflow(wc, wf2).status == "RUNNING"


# ---- rerun ----

def test_rerun_from_task_with_task_input(wc, tc, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow, a=1)
    complete(tc, wf_id, "t1", {"one": 1})
    complete(tc, wf_id, "t2", {"two": 2})
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    t1, t2 = wf.tasks

    returned = wc.rerun_workflow(wf_id, RerunWorkflowRequest(re_run_from_task_id=t2.task_id,
                                                             task_input={"fresh": "input"}))
    assert returned == wf_id
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "SCHEDULED")]
    # The earlier task is untouched; the rerun task keeps its id, gets the new input and no output.
    assert wf.tasks[0].task_id == t1.task_id and wf.tasks[0].output_data == {"result": {"one": 1}}
    assert wf.tasks[1].task_id == t2.task_id
    assert wf.tasks[1].input_data == {"fresh": "input"}
    assert not wf.tasks[1].output_data

    complete(tc, wf_id, "t2", {"two": "again"})
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    assert wf.output["last"] == {"result": {"two": "again"}}


def test_rerun_whole_workflow_with_new_input_and_correlation(wc, tc, executor, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow, a=1, correlation_id="before")
    complete(tc, wf_id, "t1")
    wc.terminate_workflow(wf_id, reason="to rerun")

    # WorkflowExecutor.rerun, no task id: every task is dropped and the workflow starts over.
    returned = executor.rerun(RerunWorkflowRequest(workflow_input={"a": 99}, correlation_id="after"), wf_id)
    assert returned == wf_id
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert wf.input == {"a": 99}
    assert wf.correlation_id == "after"
    assert wf.reason_for_incompletion is None
    assert support.task_states(wf) == [("t1", "SCHEDULED")]
    assert wf.tasks[0].input_data == {"wf_in": 99, "ref": "t1"}


def test_rerun_failed_workflow_from_failed_task(wc, tc, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow)
    complete(tc, wf_id, "t1")
    tc.update_task_by_ref_name(wf_id, "t2", "FAILED", {"why": "bad"})
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "FAILED"
    failed = support.last_task(wf, "t2")
    assert failed.status == "FAILED"

    wc.rerun_workflow(wf_id, RerunWorkflowRequest(re_run_from_task_id=failed.task_id))
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "SCHEDULED")]
    assert wf.tasks[1].task_id == failed.task_id
    assert not wf.failed_reference_task_names
    complete(tc, wf_id, "t2")
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"


def test_rerun_running_workflow(wc, tc, make_flow):
    """fermata (like Orkes, unlike Conductor OSS) reruns a RUNNING workflow: later tasks go."""
    flow = make_flow(3)
    wf_id = start(wc, flow)
    complete(tc, wf_id, "t1")
    complete(tc, wf_id, "t2")
    wf = support.get_workflow(wc, wf_id)
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "COMPLETED"), ("t3", "SCHEDULED")]
    t2_id = wf.tasks[1].task_id

    wc.rerun_workflow(wf_id, RerunWorkflowRequest(re_run_from_task_id=t2_id))
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "SCHEDULED")]
    # The removed t3 is gone from the queue too: the live t2 is what gets updated next.
    complete(tc, wf_id, "t2")
    complete(tc, wf_id, "t3")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "COMPLETED"), ("t3", "COMPLETED")]


def test_rerun_unknown_task_is_400(wc, tc, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    complete(tc, wf_id, "t1")
    support.expect_api_error(400, lambda: wc.rerun_workflow(
        wf_id, RerunWorkflowRequest(re_run_from_task_id=support.unique("no_task"))), "rerun from an unknown task")
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"


# ---- retry ----

def test_retry_failed_workflow(wc, tc, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow)
    complete(tc, wf_id, "t1")
    tc.update_task_by_ref_name(wf_id, "t2", "FAILED", {"attempt": 1})
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "FAILED"
    assert "t2" in (wf.failed_reference_task_names or [])
    failed_id = support.last_task(wf, "t2").task_id

    wc.retry_workflow(wf_id)
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert wf.reason_for_incompletion is None
    # History is kept: the failed attempt stays, a new attempt is appended.
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "FAILED"), ("t2", "SCHEDULED")]
    new = wf.tasks[2]
    assert new.task_id != failed_id
    assert new.retried_task_id == failed_id
    assert new.retry_count == 1
    assert wf.tasks[1].retried is True

    complete(tc, wf_id, "t2")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "FAILED"), ("t2", "COMPLETED")]


def test_retry_with_resume_subworkflow_tasks(wc, tc, executor, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    tc.update_task_by_ref_name(wf_id, "t1", "FAILED_WITH_TERMINAL_ERROR", {})
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "FAILED"
    assert support.task_states(wf) == [("t1", "FAILED_WITH_TERMINAL_ERROR")]

    # POST /retry?resumeSubworkflowTasks=True (no sub-workflows here: a plain retry).
    wc.retry_workflow(wf_id, resume_subworkflow_tasks=True)
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert support.task_states(wf) == [("t1", "FAILED_WITH_TERMINAL_ERROR"), ("t1", "SCHEDULED")]

    tc.update_task_by_ref_name(wf_id, "t1", "FAILED", {})
    assert support.get_workflow(wc, wf_id).status == "FAILED"
    executor.retry(wf_id, resume_subworkflow_tasks=True)
    wf = executor.get_workflow(wf_id, include_tasks=True)
    assert wf.status == "RUNNING"
    assert [s for _, s in support.task_states(wf)] == ["FAILED_WITH_TERMINAL_ERROR", "FAILED", "SCHEDULED"]


def test_retry_terminated_workflow_retries_canceled_task(wc, tc, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow)
    complete(tc, wf_id, "t1")
    wc.terminate_workflow(wf_id, reason="then retried")
    wc.retry_workflow(wf_id)
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "CANCELED"), ("t2", "SCHEDULED")]


def test_retry_of_running_is_404(wc, make_flow):
    """Conductor answers a retry of a non-terminal workflow with 404 ("Workflow is still running")."""
    flow = make_flow(1)
    wf_id = start(wc, flow)
    support.expect_api_error(404, lambda: wc.retry_workflow(wf_id), "retry of a RUNNING workflow")
    assert support.task_states(support.get_workflow(wc, wf_id)) == [("t1", "SCHEDULED")]


def test_retry_of_completed_is_409(wc, tc, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    complete(tc, wf_id, "t1")
    support.expect_api_error(409, lambda: wc.retry_workflow(wf_id), "retry of a COMPLETED workflow")
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"


# ---- skip task ----

def test_skip_future_task(wc, tc, make_flow):
    flow = make_flow(3)
    wf_id = start(wc, flow)
    wc.skip_task_from_workflow(wf_id, "t2", SkipTaskRequest(task_input={"in": 1}, task_output={"out": 2}))
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    # The skipped task exists at once, sorted first (seq 0), and t1 is still the live task.
    assert sorted(support.task_states(wf)) == [("t1", "SCHEDULED"), ("t2", "SKIPPED")]
    assert wf.tasks[0].reference_task_name == "t2" and wf.tasks[0].status == "SKIPPED"

    complete(tc, wf_id, "t1")
    wf = support.get_workflow(wc, wf_id)
    # The flow goes t1 -> t3, jumping over the skipped t2.
    assert sorted(support.task_states(wf)) == [("t1", "COMPLETED"), ("t2", "SKIPPED"), ("t3", "SCHEDULED")]
    complete(tc, wf_id, "t3")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    assert len(support.tasks_by_ref(wf, "t2")) == 1


def test_skip_with_workflow_executor_and_errors(wc, tc, executor, make_flow):
    flow = make_flow(2)
    wf_id = executor.start_workflow(StartWorkflowRequest(name=flow.name, input={}))
    executor.skip_task_from_workflow(wf_id, "t2", SkipTaskRequest())
    complete(tc, wf_id, "t1")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    assert sorted(support.task_states(wf)) == [("t1", "COMPLETED"), ("t2", "SKIPPED")]

    other = executor.start_workflow(StartWorkflowRequest(name=flow.name, input={}))
    # t1 already exists: it cannot be skipped (Conductor: IllegalStateException; fermata: 409).
    support.expect_api_error(409, lambda: wc.skip_task_from_workflow(other, "t1", SkipTaskRequest()),
                             "skip of an already scheduled task")
    # A reference the definition does not have (Conductor: IllegalStateException, 500; a 4xx
    # is the better answer and what fermata gives).
    with pytest.raises(ApiException) as info:
        wc.skip_task_from_workflow(other, "no_such_ref", SkipTaskRequest())
    assert 400 <= info.value.status < 500, f"skip of an unknown ref: {info.value.status} {info.value.body!r}"
    # A paused workflow is not RUNNING: skipping is refused.
    wc.pause_workflow(other)
    support.expect_api_error(409, lambda: wc.skip_task_from_workflow(other, "t2", SkipTaskRequest()),
                             "skip on a PAUSED workflow")
    assert support.task_states(support.get_workflow(wc, other)) == [("t1", "SCHEDULED")]
