"""The synchronous calls through the SDK: WorkflowExecutor.execute (the quickstart's call),
execute_workflow_with_return_strategy, signal with each return strategy on a YIELD in a child,
and update_variables."""

from conductor.client.http.models import StartWorkflowRequest, WorkflowDef, WorkflowTask

import support


def _register(mc, name, tasks, **fields):
    wd = WorkflowDef(name=name, version=1, tasks=tasks, schema_version=2, **fields)
    mc.register_workflow_def(wd, overwrite=True)
    return name


def _yield_tree(mc):
    """root -> child; the child holds a YIELD, then a second one."""
    child = _register(mc, support.unique("sdk_sync_child"), [
        WorkflowTask(name="y1", task_reference_name="y1", type="YIELD", input_parameters={"n": 1}),
        WorkflowTask(name="y2", task_reference_name="y2", type="YIELD", input_parameters={"n": 2}),
    ])
    sub = WorkflowTask(name="sub", task_reference_name="sub", type="SUB_WORKFLOW")
    sub.sub_workflow_param = {"name": child, "version": 1}
    return _register(mc, support.unique("sdk_sync_root"), [sub])


def test_execute_returns_a_workflow_run(mc, executor):
    name = _register(mc, support.unique("sdk_exec"), [
        WorkflowTask(name="sv", task_reference_name="sv", type="SET_VARIABLE", input_parameters={"x": 1}),
    ])
    run = executor.execute(name=name, version=1, workflow_input={"a": 1})
    assert run.status == "COMPLETED"
    assert run.workflow_id
    assert run.variables == {"x": 1}
    assert run.input == {"a": 1}


def test_execute_with_a_return_strategy_waits_for_the_named_task(mc, executor):
    name = _register(mc, support.unique("sdk_exec_ref"), [
        WorkflowTask(name="sv", task_reference_name="sv", type="SET_VARIABLE", input_parameters={"x": 2}),
        WorkflowTask(name=support.unique("sdk_exec_worker"), task_reference_name="work", type="SIMPLE"),
    ])
    response = executor.execute_workflow_with_return_strategy(
        StartWorkflowRequest(name=name, version=1, input={}),
        wait_until_task_ref="sv", wait_for_seconds=5,
        consistency="DURABLE", return_strategy="TARGET_WORKFLOW")
    assert response.response_type == "TARGET_WORKFLOW"
    assert response.is_target_workflow()
    assert response.status == "RUNNING"
    assert response.get_workflow()["workflowId"] == response.target_workflow_id


def test_signal_reaches_the_yield_in_a_child_by_every_strategy(mc, wc, executor):
    root_name = _yield_tree(mc)
    root = wc.start_workflow_by_name(root_name, {})
    blocking = executor.signal(root, "COMPLETED", {"result": "one"}, return_strategy="BLOCKING_TASK_INPUT")
    assert blocking.response_type == "BLOCKING_TASK_INPUT"
    assert blocking.target_workflow_id == root
    task = blocking.get_blocking_task()
    assert task["taskId"] and task["referenceTaskName"] == "y2"
    assert blocking.get_task_input() == {"n": 2}

    target = executor.signal(root, "COMPLETED", {"result": "two"}, return_strategy="TARGET_WORKFLOW")
    assert target.is_target_workflow()
    assert target.get_workflow()["workflowId"] == root
    wf = support.get_workflow(wc, root)
    assert wf.status == "COMPLETED"


def test_update_variables(mc, wc):
    name = _register(mc, support.unique("sdk_vars"), [
        WorkflowTask(name=support.unique("sdk_vars_worker"), task_reference_name="w", type="SIMPLE"),
    ], variables={"a": 1})
    wf_id = wc.start_workflow_by_name(name, {})
    wc.update_variables(wf_id, {"b": 2})
    wf = support.get_workflow(wc, wf_id)
    assert wf.variables == {"a": 1, "b": 2}


def test_messages_sent_early_are_pulled_later(mc, wc, executor):
    from conductor.client.workflow.task.pull_workflow_messages_task import PullWorkflowMessagesTask

    worker = support.unique("sdk_wmq_worker")
    pull = PullWorkflowMessagesTask("read", batch_size=5).to_workflow_task()
    name = _register(mc, support.unique("sdk_wmq"), [
        WorkflowTask(name=worker, task_reference_name="first", type="SIMPLE"), pull])
    wf_id = wc.start_workflow_by_name(name, {})
    first = executor.send_message(wf_id, {"n": 1})
    executor.send_message(wf_id, {"n": 2})
    assert first
    executor.update_task_by_ref_name({}, wf_id, "first", "COMPLETED")
    wf = support.get_workflow(wc, wf_id)
    read = wf.tasks[-1]
    assert read.status == "COMPLETED"
    assert read.output_data["count"] == 2
    assert [m["payload"] for m in read.output_data["messages"]] == [{"n": 1}, {"n": 2}]
    assert read.output_data["messages"][0]["id"] == first
