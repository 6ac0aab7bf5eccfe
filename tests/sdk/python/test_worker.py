"""A real worker: the SDK's TaskHandler runs the @worker_task functions of sdk_workers.py in
spawned processes, polling /api/tasks/poll/batch and answering /api/tasks/update-v2."""

import pytest
from conductor.client.automator.task_handler import TaskHandler
from conductor.client.http.models import RerunWorkflowRequest, StartWorkflowRequest

import sdk_workers
import support

# Spawned processes start slowly on a busy 2-core machine: allow more than the default.
WORKER_TIMEOUT = 40.0


@pytest.fixture(scope="module")
def task_handler(configuration, mc):
    for task_type, retries in sdk_workers.TASK_RETRIES.items():
        mc.register_task_def(support.task_def(task_type, retry_count=retries, retry_delay_seconds=0))
    handler = TaskHandler(workers=[], configuration=configuration, scan_for_annotated_workers=True,
                          import_modules=["sdk_workers"])
    handler.start_processes()
    try:
        yield handler
    finally:
        handler.stop_processes()


def register(mc, prefix, tasks, output):
    name = support.unique(prefix)
    mc.register_workflow_def(support.workflow_def(name, tasks, output_parameters=output), overwrite=True)
    return name


def test_worker_completes_workflow(task_handler, wc, mc):
    name = register(mc, "sdk_worker_chain", [
        support.simple_task(sdk_workers.DOUBLE, "first", {"n": "${workflow.input.n}"}),
        support.simple_task(sdk_workers.DOUBLE, "second", {"n": "${first.output.doubled}"}),
    ], {"result": "${second.output.doubled}"})
    ids = {n: wc.start_workflow(StartWorkflowRequest(name=name, input={"n": n})) for n in (1, 2, 3)}
    for n, wf_id in ids.items():
        wf = support.wait_for_status(wc, wf_id, "COMPLETED", timeout=WORKER_TIMEOUT)
        assert wf.output == {"result": n * 4}
        assert support.task_states(wf) == [("first", "COMPLETED"), ("second", "COMPLETED")]
        first, second = wf.tasks
        assert first.output_data == {"doubled": n * 2}
        assert second.input_data == {"n": n * 2}
        assert second.output_data == {"doubled": n * 4}
        for t in wf.tasks:
            assert t.worker_id, "the worker identifies itself on poll and update"
            assert t.poll_count >= 1
            assert t.start_time > 0 and t.end_time >= t.start_time


def test_worker_failure_then_rerun_with_task_input(task_handler, wc, mc):
    name = register(mc, "sdk_worker_checked", [
        support.simple_task(sdk_workers.CHECKED, "check", {"n": "${workflow.input.n}", "fail": "${workflow.input.fail}"}),
    ], {"value": "${check.output.value}"})
    wf_id = wc.start_workflow_by_name(name, {"n": 4, "fail": True})
    wf = support.wait_for_status(wc, wf_id, "FAILED", timeout=WORKER_TIMEOUT)
    task = support.last_task(wf, "check")
    assert task.status == "FAILED"
    assert task.reason_for_incompletion == "asked to fail with n=4"
    assert "asked to fail with n=4" in (wf.reason_for_incompletion or "")

    # Rerun from the failed task with new input: the worker picks it up again and succeeds.
    wc.rerun_workflow(wf_id, RerunWorkflowRequest(re_run_from_task_id=task.task_id,
                                                  task_input={"n": 5, "fail": False}))
    wf = support.wait_for_status(wc, wf_id, "COMPLETED", timeout=WORKER_TIMEOUT)
    assert wf.output == {"value": 50}
    assert support.task_states(wf) == [("check", "COMPLETED")]
    assert wf.tasks[0].task_id == task.task_id


def test_worker_failure_then_retry(task_handler, wc, mc):
    name = register(mc, "sdk_worker_flaky", [
        support.simple_task(sdk_workers.FLAKY, "flaky", {"x": "${workflow.input.x}"}),
    ], {"attempt": "${flaky.output.attempt}"})
    wf_id = wc.start_workflow_by_name(name, {"x": "y"})
    wf = support.wait_for_status(wc, wf_id, "FAILED", timeout=WORKER_TIMEOUT)
    assert support.task_states(wf) == [("flaky", "FAILED")]
    wc.retry_workflow(wf_id)
    wf = support.wait_for_status(wc, wf_id, "COMPLETED", timeout=WORKER_TIMEOUT)
    assert support.task_states(wf) == [("flaky", "FAILED"), ("flaky", "COMPLETED")]
    assert wf.output == {"attempt": 1}
    assert wf.tasks[1].retried_task_id == wf.tasks[0].task_id


def test_worker_failure_automatic_retry(task_handler, wc, mc):
    name = register(mc, "sdk_worker_flaky_auto", [
        support.simple_task(sdk_workers.FLAKY_AUTO, "flaky", {"x": 1}),
    ], {"attempt": "${flaky.output.attempt}"})
    wf_id = wc.start_workflow_by_name(name, {})
    # The task def allows one retry: the decider schedules a second attempt by itself.
    wf = support.wait_for_status(wc, wf_id, "COMPLETED", timeout=WORKER_TIMEOUT)
    assert support.task_states(wf) == [("flaky", "FAILED"), ("flaky", "COMPLETED")]
    assert [t.retry_count for t in wf.tasks] == [0, 1]
    assert wf.output == {"attempt": 1}


def test_worker_in_progress_with_callback(task_handler, wc, mc):
    name = register(mc, "sdk_worker_progress", [
        support.simple_task(sdk_workers.PROGRESS, "prog", {}),
    ], {"progress": "${prog.output.progress}"})
    wf_id = wc.start_workflow_by_name(name, {})
    wf = support.wait_for_status(wc, wf_id, "COMPLETED", timeout=WORKER_TIMEOUT)
    assert wf.output == {"progress": 100}
    task = wf.tasks[0]
    assert task.status == "COMPLETED"
    assert task.poll_count >= 2
    # The IN_PROGRESS output was kept and the final one replaced it (POST update-v2 replaces).
    assert task.output_data.get("progress") == 100


def test_worker_and_pause(task_handler, wc, mc):
    """A paused workflow's already-scheduled task is still executed by the worker, but the next
    one is only scheduled after resume."""
    name = register(mc, "sdk_worker_pause", [
        support.simple_task(sdk_workers.SLOW_START, "a", {}),
        support.simple_task(sdk_workers.DOUBLE, "b", {"n": "${a.output.n}"}),
    ], {"result": "${b.output.doubled}"})
    wf_id = wc.start_workflow_by_name(name, {})

    # The worker's first answer is IN_PROGRESS with a 2 s callback: pause in that window.
    def first_answer_seen():
        task = support.get_workflow(wc, wf_id).tasks[0]
        return task.poll_count >= 1 and task.output_data.get("started")
    support.wait_for(first_answer_seen, "the worker's IN_PROGRESS answer for task a", timeout=WORKER_TIMEOUT)
    wc.pause_workflow(wf_id)
    assert support.get_workflow(wc, wf_id).status == "PAUSED"

    # The worker still gets and completes a after the callback; b is not scheduled.
    support.wait_for(lambda: support.task_states(support.get_workflow(wc, wf_id)) == [("a", "COMPLETED")],
                     "task a to be completed by the worker while paused", timeout=WORKER_TIMEOUT)
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "PAUSED"
    assert support.task_states(wf) == [("a", "COMPLETED")]

    wc.resume_workflow(wf_id)
    wf = support.wait_for_status(wc, wf_id, "COMPLETED", timeout=WORKER_TIMEOUT)
    assert wf.output == {"result": 4}
    assert support.task_states(wf) == [("a", "COMPLETED"), ("b", "COMPLETED")]
