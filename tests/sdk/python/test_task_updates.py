"""Completing and failing tasks through every SDK path: update_task (TaskResult), update by
reference name (OrkesTaskClient wraps the output as {"result": ...}, WorkflowExecutor does
not), update_task_sync, manual polling, WAIT-task signals, and the error answers."""

from conductor.client.http.models import StartWorkflowRequest, TaskResult, WorkflowTask
from conductor.client.http.models.task_result_status import TaskResultStatus

import pytest
from conductor.client.http.rest import ApiException

import support

def start(wc, flow, a=1):
    return wc.start_workflow(StartWorkflowRequest(name=flow.name, version=1, input={"a": a}))


def test_task_client_update_by_ref_name_wraps_output(wc, tc, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow)
    t1_id = support.get_workflow(wc, wf_id).tasks[0].task_id

    # POST /api/tasks/{wf}/t1/COMPLETED?workerid=<host> body {"result": {...}}
    returned = tc.update_task_by_ref_name(wf_id, "t1", "COMPLETED", {"answer": 42})
    assert returned == t1_id
    wf = support.get_workflow(wc, wf_id)
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "SCHEDULED")]
    t1 = wf.tasks[0]
    assert t1.output_data == {"result": {"answer": 42}}
    assert t1.worker_id  # the SDK always sends workerid=<hostname>
    # The next task's input sees nothing of t1 beyond the workflow expressions.
    assert wf.tasks[1].input_data == {"wf_in": 1, "ref": "t2"}

    # A non-dict output is wrapped too.
    tc.update_task_by_ref_name(wf_id, "t2", "COMPLETED", "plain text")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    assert wf.tasks[1].output_data == {"result": "plain text"}
    assert wf.output == {"last": {"result": "plain text"}, "input_a": 1}


def test_workflow_executor_update_by_ref_name_unwrapped(wc, executor, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow)
    t1_id = support.get_workflow(wc, wf_id).tasks[0].task_id
    # POST /api/tasks/{wf}/t1/COMPLETED body {"k": "v"} (as given)
    assert executor.update_task_by_ref_name({"k": "v"}, wf_id, "t1", "COMPLETED") == t1_id
    executor.update_task_by_ref_name({"k2": "v2"}, wf_id, "t2", "COMPLETED")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    assert [t.output_data for t in wf.tasks] == [{"k": "v"}, {"k2": "v2"}]
    assert wf.output == {"last": {"k2": "v2"}, "input_a": 1}


def test_update_by_ref_name_in_progress_then_completed_merges_output(wc, executor, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    executor.update_task_by_ref_name({"progress": 50}, wf_id, "t1", "IN_PROGRESS")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    t1 = wf.tasks[0]
    # IN_PROGRESS on a worker task puts it back in its queue (SCHEDULED), output kept.
    assert t1.status == "SCHEDULED"
    assert t1.output_data == {"progress": 50}
    # Update by reference name merges the body over the existing output.
    executor.update_task_by_ref_name({"done": True}, wf_id, "t1", "COMPLETED")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    assert wf.tasks[0].output_data == {"progress": 50, "done": True}


def test_update_by_ref_name_failed_fails_workflow(wc, tc, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow)
    tc.update_task_by_ref_name(wf_id, "t1", "FAILED", {"err": "x"})
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "FAILED"
    assert support.task_states(wf) == [("t1", "FAILED")]  # the task def allows no retries
    assert set(wf.failed_reference_task_names or []) == {"t1"}
    assert wf.reason_for_incompletion


def test_update_by_ref_name_without_live_task_is_404(wc, tc, executor, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow)
    # t2 is in the definition but not scheduled yet.
    support.expect_api_error(404, lambda: tc.update_task_by_ref_name(wf_id, "t2", "COMPLETED", {}),
                             "update_task_by_ref_name of a not-yet-scheduled task")
    tc.update_task_by_ref_name(wf_id, "t1", "COMPLETED", {})
    # t1 is already completed.
    support.expect_api_error(404, lambda: executor.update_task_by_ref_name({}, wf_id, "t1", "COMPLETED"),
                             "WorkflowExecutor.update_task_by_ref_name of a completed task")
    support.expect_api_error(404, lambda: tc.update_task_by_ref_name(wf_id, "nope", "COMPLETED", {}),
                             "update_task_by_ref_name of an unknown reference")
    support.expect_api_error(404, lambda: tc.update_task_by_ref_name(support.unique("no_wf"), "t1",
                                                                     "COMPLETED", {}),
                             "update_task_by_ref_name on an unknown workflow")
    wf = support.get_workflow(wc, wf_id)
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "SCHEDULED")]


def test_update_task_with_task_result(wc, tc, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow)
    t1 = support.get_workflow(wc, wf_id).tasks[0]
    # POST /api/tasks with a TaskResult; the answer is the task id as text.
    returned = tc.update_task(TaskResult(workflow_instance_id=wf_id, task_id=t1.task_id,
                                         status=TaskResultStatus.COMPLETED, output_data={"via": "TaskResult"},
                                         worker_id="sdk-test-worker"))
    assert returned == t1.task_id
    wf = support.get_workflow(wc, wf_id)
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "SCHEDULED")]
    assert wf.tasks[0].output_data == {"via": "TaskResult"}
    assert wf.tasks[0].worker_id == "sdk-test-worker"

    # A FAILED TaskResult with a reason fails the workflow (no retries in the task def).
    t2 = wf.tasks[1]
    tc.update_task(TaskResult(workflow_instance_id=wf_id, task_id=t2.task_id, status=TaskResultStatus.FAILED,
                              reason_for_incompletion="worker said no", output_data={}))
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "FAILED"
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "FAILED")]
    assert wf.tasks[1].reason_for_incompletion == "worker said no"
    assert "worker said no" in (wf.reason_for_incompletion or "")

    # Updating an already-terminal task is silently ignored (Conductor answers 200, task id).
    again = tc.update_task(TaskResult(workflow_instance_id=wf_id, task_id=t2.task_id,
                                      status=TaskResultStatus.COMPLETED, output_data={"late": 1}))
    assert again == t2.task_id
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "FAILED"
    assert wf.tasks[1].status == "FAILED"


def test_update_task_output_replaces(wc, tc, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    t1 = support.get_workflow(wc, wf_id).tasks[0]
    tc.update_task(TaskResult(workflow_instance_id=wf_id, task_id=t1.task_id, status=TaskResultStatus.IN_PROGRESS,
                              output_data={"first": 1}))
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING" and wf.tasks[0].status == "SCHEDULED"
    assert wf.tasks[0].output_data == {"first": 1}
    # POST /tasks replaces the output wholesale (unlike update by reference name).
    tc.update_task(TaskResult(workflow_instance_id=wf_id, task_id=t1.task_id, status=TaskResultStatus.COMPLETED,
                              output_data={"second": 2}))
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    assert wf.tasks[0].output_data == {"second": 2}


def test_workflow_executor_update_task(wc, executor, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    t1 = support.get_workflow(wc, wf_id).tasks[0]
    assert executor.update_task(t1.task_id, wf_id, {"from": "executor"}, "COMPLETED") == t1.task_id
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    assert wf.tasks[0].output_data == {"from": "executor"}
    got = executor.get_task(t1.task_id)
    assert got.status == "COMPLETED" and got.output_data == {"from": "executor"}


def test_update_task_unknown_ids_are_404(wc, tc, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    support.expect_api_error(404, lambda: tc.update_task(TaskResult(
        workflow_instance_id=wf_id, task_id=support.unique("no_task"), status=TaskResultStatus.COMPLETED)),
        "update_task of an unknown task id")
    support.expect_api_error(404, lambda: tc.update_task(TaskResult(
        workflow_instance_id=support.unique("no_wf"), task_id=support.unique("no_task"),
        status=TaskResultStatus.COMPLETED)), "update_task on an unknown workflow")
    support.expect_api_error(404, lambda: tc.get_task(support.unique("no_task")), "get_task unknown")
    assert support.task_states(support.get_workflow(wc, wf_id)) == [("t1", "SCHEDULED")]


def test_update_task_sync(wc, tc, executor, make_flow):
    flow = make_flow(3)
    wf_id = start(wc, flow)
    # POST /api/tasks/{wf}/t1/COMPLETED/sync answers the workflow after the update.
    wf = tc.update_task_sync(wf_id, "t1", "COMPLETED", {"sync": 1})
    assert wf is not None, "update_task_sync: the SDK could not deserialize the answer as a Workflow"
    assert wf.workflow_id == wf_id
    assert wf.status == "RUNNING"
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "SCHEDULED")]
    assert wf.tasks[0].output_data == {"sync": 1}

    wf = executor.update_task_by_ref_name_sync({"sync": 2}, wf_id, "t2", "COMPLETED")
    assert wf is not None
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "COMPLETED"), ("t3", "SCHEDULED")]

    wf = tc.update_task_sync(wf_id, "t3", "COMPLETED", "not a dict")
    assert wf.status == "COMPLETED"
    assert wf.tasks[2].output_data == {"result": "not a dict"}
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"

    support.expect_api_error(404, lambda: tc.update_task_sync(wf_id, "t1", "COMPLETED", {}),
                             "update_task_sync with no live task")


def test_manual_poll_and_update(wc, tc, make_flow):
    flow = make_flow(2)
    wf_id = start(wc, flow)
    # GET /api/tasks/poll/batch/{type}?workerid&count&timeout
    polled = tc.batch_poll_tasks(flow.task_name, worker_id="manual-worker", count=5, timeout_in_millisecond=200)
    assert len(polled) == 1
    task = polled[0]
    assert task.workflow_instance_id == wf_id
    assert task.reference_task_name == "t1"
    assert task.status == "IN_PROGRESS"
    assert task.poll_count == 1
    assert task.worker_id == "manual-worker"
    assert task.input_data == {"wf_in": 1, "ref": "t1"}
    wf = support.get_workflow(wc, wf_id)
    assert support.task_states(wf) == [("t1", "IN_PROGRESS")]
    # Nothing else is queued.
    assert tc.batch_poll_tasks(flow.task_name, worker_id="manual-worker", count=1, timeout_in_millisecond=100) == []

    tc.update_task(TaskResult(workflow_instance_id=wf_id, task_id=task.task_id, status=TaskResultStatus.COMPLETED,
                              output_data={"polled": True}, worker_id="manual-worker"))
    # GET /api/tasks/poll/{type}: the single-task form.
    t2 = support.wait_for(lambda: tc.poll_task(flow.task_name, worker_id="manual-worker"), "t2 to be pollable")
    assert t2.reference_task_name == "t2" and t2.status == "IN_PROGRESS"
    # Empty queue: Conductor answers 204; the SDK turns the empty body into an empty Task.
    empty = tc.poll_task(flow.task_name, worker_id="manual-worker")
    assert empty is None or empty.task_id is None, f"expected no task, got {empty}"

    tc.update_task(TaskResult(workflow_instance_id=wf_id, task_id=t2.task_id, status=TaskResultStatus.COMPLETED,
                              output_data={}))
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "COMPLETED"
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "COMPLETED")]
    assert wf.tasks[0].output_data == {"polled": True}


def test_in_progress_with_callback_postpones_poll(wc, tc, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    task = tc.batch_poll_tasks(flow.task_name, worker_id="w", count=1, timeout_in_millisecond=100)[0]
    tc.update_task(TaskResult(workflow_instance_id=wf_id, task_id=task.task_id, status=TaskResultStatus.IN_PROGRESS,
                              callback_after_seconds=3600, output_data={"step": 1}))
    wf = support.get_workflow(wc, wf_id)
    assert wf.tasks[0].status == "SCHEDULED"
    assert wf.tasks[0].callback_after_seconds == 3600
    # Postponed: not handed out again now.
    assert tc.batch_poll_tasks(flow.task_name, worker_id="w", count=1, timeout_in_millisecond=100) == []
    # It can still be completed directly.
    tc.update_task(TaskResult(workflow_instance_id=wf_id, task_id=task.task_id, status=TaskResultStatus.COMPLETED,
                              output_data={"step": 2}))
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"


def test_task_logs(wc, tc, make_flow):
    flow = make_flow(1)
    wf_id = start(wc, flow)
    t1 = support.get_workflow(wc, wf_id).tasks[0]
    tc.add_task_log(t1.task_id, "first line")
    tc.add_task_log(t1.task_id, "second line")
    logs = tc.get_task_logs(t1.task_id)
    assert [entry.log for entry in logs] == ["first line", "second line"]


def _wait_flow(mc, make_flow):
    """wait (WAIT, no timer) -> t_after (SIMPLE)."""
    task_name = support.unique("sdk_wait_next")
    mc.register_task_def(support.task_def(task_name))
    name = support.unique("sdk_wait_wf")
    tasks = [WorkflowTask(name="wait", task_reference_name="wait_ref", type="WAIT"),
             support.simple_task(task_name, "after", {"got": "${wait_ref.output}"})]
    mc.register_workflow_def(support.workflow_def(name, tasks), overwrite=True)
    return name


def test_wait_task_completed_by_ref_name(wc, tc, mc, make_flow):
    name = _wait_flow(mc, make_flow)
    wf_id = wc.start_workflow_by_name(name, {})
    # fermata's plugin executor starts the WAIT within milliseconds of the start (Conductor
    # creates it IN_PROGRESS outright).
    def started():
        w = support.get_workflow(wc, wf_id)
        return w if support.task_states(w) == [("wait_ref", "IN_PROGRESS")] else None
    wf = support.wait_for(started, "the WAIT task to be IN_PROGRESS")
    assert wf.tasks[0].task_type == "WAIT"
    tc.update_task_by_ref_name(wf_id, "wait_ref", "COMPLETED", {"approved": True})
    wf = support.get_workflow(wc, wf_id)
    assert support.task_states(wf) == [("wait_ref", "COMPLETED"), ("after", "SCHEDULED")]
    assert wf.tasks[1].input_data == {"got": {"result": {"approved": True}}}


def test_wait_task_signals(wc, mc, executor, make_flow):
    name = _wait_flow(mc, make_flow)
    # POST /api/tasks/{wf}/COMPLETED/signal (async): the first WAIT task is completed.
    wf_id = wc.start_workflow_by_name(name, {})
    executor.signal_async(wf_id, "COMPLETED", {"by": "signal_async"})
    wf = support.get_workflow(wc, wf_id)
    assert support.task_states(wf) == [("wait_ref", "COMPLETED"), ("after", "SCHEDULED")]
    assert wf.tasks[0].output_data == {"by": "signal_async"}

    # POST /api/tasks/{wf}/COMPLETED/signal/sync
    wf2 = wc.start_workflow_by_name(name, {})
    executor.signal(wf2, "COMPLETED", {"by": "signal"})
    wf = support.get_workflow(wc, wf2)
    assert support.task_states(wf) == [("wait_ref", "COMPLETED"), ("after", "SCHEDULED")]
    assert wf.tasks[0].output_data == {"by": "signal"}

    # Nothing blocked any more: the sync form answers 404.
    support.expect_api_error(404, lambda: executor.signal(wf2, "COMPLETED", {}), "signal with no WAIT task")


def test_task_to_domain_polling(wc, tc, make_flow):
    flow = make_flow(1)
    in_domain = wc.start_workflow(StartWorkflowRequest(name=flow.name, input={"a": 1},
                                                       task_to_domain={flow.task_name: "sdk-domain"}))
    plain = wc.start_workflow(StartWorkflowRequest(name=flow.name, input={"a": 2}))
    wf = support.get_workflow(wc, in_domain)
    assert wf.task_to_domain == {flow.task_name: "sdk-domain"}
    assert wf.tasks[0].domain == "sdk-domain"
    # A poller without a domain only sees the plain workflow's task, and vice versa.
    no_domain = tc.batch_poll_tasks(flow.task_name, worker_id="w", count=10, timeout_in_millisecond=100)
    assert [t.workflow_instance_id for t in no_domain] == [plain]
    with_domain = tc.batch_poll_tasks(flow.task_name, worker_id="w", count=10, timeout_in_millisecond=100,
                                      domain="sdk-domain")
    assert [t.workflow_instance_id for t in with_domain] == [in_domain]
    assert with_domain[0].domain == "sdk-domain"


def test_concurrent_updates_of_one_task(configuration, wc, make_flow):
    """Twelve clients complete the same task at once: exactly one wins, the rest get 404, and
    the workflow advances exactly once."""
    import threading
    from collections import Counter

    from conductor.client.http.rest import ApiException
    from conductor.client.orkes_clients import OrkesClients

    flow = make_flow(2)
    wf_id = start(wc, flow)
    outcomes = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(12)

    def complete(i):
        client = OrkesClients(configuration).get_task_client()
        barrier.wait(timeout=10)
        try:
            client.update_task_by_ref_name(wf_id, "t1", "COMPLETED", {"winner": i})
            status = 200
        except ApiException as e:
            status = e.status
        with lock:
            outcomes[status] += 1

    threads = [threading.Thread(target=complete, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert outcomes == Counter({200: 1, 404: 11}), outcomes
    wf = support.get_workflow(wc, wf_id)
    assert support.task_states(wf) == [("t1", "COMPLETED"), ("t2", "SCHEDULED")]
