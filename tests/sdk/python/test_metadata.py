"""Definitions through OrkesMetadataClient (POST single / PUT list / taskdefs) and
WorkflowExecutor.register_workflow (PUT list)."""

from conductor.client.http.models import StartWorkflowRequest

import support
from support import PRELOADED_TASK, PRELOADED_WORKFLOW


def test_task_defs_register_get_update_unregister(mc):
    name = support.unique("sdk_taskdef")
    # POST /api/metadata/taskdefs with a list of one.
    mc.register_task_def(support.task_def(name, retry_count=2, description="first",
                                          response_timeout_seconds=120, timeout_seconds=600))
    got = mc.get_task_def(name)
    assert got is not None
    assert got.name == name
    assert got.retry_count == 2
    assert got.description == "first"
    assert got.response_timeout_seconds == 120
    assert got.timeout_seconds == 600
    assert name in [d.name for d in mc.get_all_task_defs()]

    # PUT /api/metadata/taskdefs with a single def.
    mc.update_task_def(support.task_def(name, retry_count=5, description="second",
                                        response_timeout_seconds=120, timeout_seconds=600))
    got = mc.get_task_def(name)
    assert got.retry_count == 5
    assert got.description == "second"

    mc.unregister_task_def(name)
    support.expect_api_error(404, lambda: mc.get_task_def(name), "get_task_def after unregister")


def test_update_unknown_task_def_is_404(mc):
    support.expect_api_error(404, lambda: mc.update_task_def(support.task_def(support.unique("sdk_nodef"))),
                             "update_task_def of an unregistered task")


def test_workflow_def_post_single_and_put_list(mc, executor):
    task_name = support.unique("sdk_meta_task")
    mc.register_task_def(support.task_def(task_name))
    name = support.unique("sdk_meta_wf")

    # POST /api/metadata/workflow?overwrite=True with one def.
    v1 = support.workflow_def(name, [support.simple_task(task_name, "a")], version=1, description="v1")
    mc.register_workflow_def(v1, overwrite=True)
    got = mc.get_workflow_def(name)
    assert got.name == name and got.version == 1
    assert [t.task_reference_name for t in got.tasks] == ["a"]

    # POST again without overwrite: Conductor answers 409 "already exists".
    support.expect_api_error(409, lambda: mc.register_workflow_def(v1, overwrite=False),
                             "register_workflow_def of an existing name+version with overwrite=False")

    # PUT /api/metadata/workflow?overwrite=True with a list: a new version 2.
    v2 = support.workflow_def(name, [support.simple_task(task_name, "a"), support.simple_task(task_name, "b")],
                              version=2, description="v2")
    mc.update_workflow_def(v2, overwrite=True)
    latest = mc.get_workflow_def(name)
    assert latest.version == 2
    assert [t.task_reference_name for t in latest.tasks] == ["a", "b"]
    assert mc.get_workflow_def(name, version=1).description == "v1"

    # WorkflowExecutor.register_workflow is the PUT-list form too: version 3.
    v3 = support.workflow_def(name, [support.simple_task(task_name, "c")], version=3, description="v3")
    executor.register_workflow(v3, overwrite=True)
    assert mc.get_workflow_def(name).version == 3
    assert mc.get_workflow_def(name, version=3).tasks[0].task_reference_name == "c"

    # overwrite of an existing version through PUT replaces it.
    v3b = support.workflow_def(name, [support.simple_task(task_name, "d")], version=3, description="v3b")
    executor.register_workflow(v3b, overwrite=True)
    assert mc.get_workflow_def(name, version=3).description == "v3b"

    # And with no overwrite parameter at all (what ConductorWorkflow.register() can send): PUT
    # is an upsert.
    v3c = support.workflow_def(name, [support.simple_task(task_name, "e")], version=3, description="v3c")
    executor.register_workflow(v3c)
    assert mc.get_workflow_def(name, version=3).description == "v3c"

    versions = {(d.name, d.version) for d in mc.get_all_workflow_defs() if d.name == name}
    assert versions == {(name, 1), (name, 2), (name, 3)}

    # DELETE /api/metadata/workflow/{name}/{version}
    mc.unregister_workflow_def(name, 3)
    support.expect_api_error(404, lambda: mc.get_workflow_def(name, version=3), "get of an unregistered version")
    assert mc.get_workflow_def(name).version == 2


def test_get_unknown_workflow_def_is_404(mc):
    support.expect_api_error(404, lambda: mc.get_workflow_def(support.unique("sdk_nope")), "get_workflow_def")


def test_definitions_directory_is_loaded_at_start(mc, wc, tc):
    """fermata --definitions DIR: the preloaded def is visible and startable through the SDK."""
    got = mc.get_workflow_def(PRELOADED_WORKFLOW)
    assert got.name == PRELOADED_WORKFLOW and got.version == 1
    assert got.tasks[0].name == PRELOADED_TASK
    wf_id = wc.start_workflow(StartWorkflowRequest(name=PRELOADED_WORKFLOW, input={"x": 7}))
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert support.task_states(wf) == [("pre_ref", "SCHEDULED")]
    assert wf.tasks[0].input_data.get("x") == 7
    # Finish it so it does not linger in the worker queue of the preloaded task type.
    wc.terminate_workflow(wf_id, reason="preloaded check done")
    assert support.get_workflow(wc, wf_id).status == "TERMINATED"
