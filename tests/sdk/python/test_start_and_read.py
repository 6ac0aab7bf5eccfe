"""Starting workflows (both SDK forms, registered and inline definitions), reading them back
(get_workflow / get_workflow_status), searching, and deleting."""

import pytest
from conductor.client.http.models import StartWorkflowRequest

import support


def test_start_workflow_request(wc, make_flow):
    flow = make_flow(2)
    # POST /api/workflow with a StartWorkflowRequest.
    wf_id = wc.start_workflow(StartWorkflowRequest(name=flow.name, version=1, input={"a": 11},
                                                   correlation_id="corr-req"))
    assert isinstance(wf_id, str) and wf_id and '"' not in wf_id
    wf = support.get_workflow(wc, wf_id)
    assert wf.workflow_id == wf_id
    assert wf.workflow_name == flow.name
    assert wf.workflow_version == 1
    assert wf.status == "RUNNING"
    assert wf.correlation_id == "corr-req"
    assert wf.input == {"a": 11}
    # The first task is scheduled by the time the start call returns.
    assert support.task_states(wf) == [("t1", "SCHEDULED")]
    t1 = wf.tasks[0]
    assert t1.task_def_name == flow.task_name
    assert t1.task_type == flow.task_name  # SIMPLE tasks carry their def name as taskType
    assert t1.input_data == {"wf_in": 11, "ref": "t1"}
    assert t1.workflow_instance_id == wf_id


def test_start_workflow_by_name(wc, make_flow):
    flow = make_flow(1)
    # POST /api/workflow/{name}?version=1&correlationId=...
    wf_id = wc.start_workflow_by_name(flow.name, {"a": "by-name"}, version=1, correlationId="corr-name")
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert wf.workflow_name == flow.name and wf.workflow_version == 1
    assert wf.correlation_id == "corr-name"
    assert wf.input == {"a": "by-name"}
    assert support.task_states(wf) == [("t1", "SCHEDULED")]
    # No version: the latest one.
    wf_id2 = wc.start_workflow_by_name(flow.name, {"a": 2})
    assert support.get_workflow(wc, wf_id2).workflow_version == 1


def test_workflow_executor_start_and_get(executor, make_flow):
    flow = make_flow(1)
    wf_id = executor.start_workflow(StartWorkflowRequest(name=flow.name, input={"a": 5}))
    wf = executor.get_workflow(wf_id, include_tasks=True)
    assert wf is not None and wf.status == "RUNNING"
    assert support.task_states(wf) == [("t1", "SCHEDULED")]
    status = executor.get_workflow_status(wf_id, include_output=True, include_variables=True)
    assert status.workflow_id == wf_id and status.status == "RUNNING"


def test_start_with_inline_definition(wc, mc):
    """StartWorkflowRequest.workflow_def: an ad-hoc workflow that was never registered."""
    task_name = support.unique("sdk_inline_task")
    mc.register_task_def(support.task_def(task_name))
    name = support.unique("sdk_inline_wf")
    definition = support.workflow_def(name, [support.simple_task(task_name, "only")])
    wf_id = wc.start_workflow(StartWorkflowRequest(name=name, workflow_def=definition, input={"k": 1}))
    wf = support.get_workflow(wc, wf_id)
    assert wf.status == "RUNNING"
    assert wf.workflow_name == name
    assert support.task_states(wf) == [("only", "SCHEDULED")]


def test_start_unknown_workflow_is_404(wc):
    name = support.unique("sdk_undefined")
    support.expect_api_error(404, lambda: wc.start_workflow(StartWorkflowRequest(name=name, input={})),
                             "start_workflow of an unknown name")
    support.expect_api_error(404, lambda: wc.start_workflow_by_name(name, {}), "start_workflow_by_name unknown")
    support.expect_api_error(404, lambda: wc.start_workflow_by_name(name, {}, version=1),
                             "start_workflow_by_name unknown name+version")


def test_start_unknown_version_is_404(wc, make_flow):
    flow = make_flow(1)
    support.expect_api_error(404, lambda: wc.start_workflow_by_name(flow.name, {}, version=7),
                             "start_workflow_by_name of a missing version")
    support.expect_api_error(404, lambda: wc.start_workflow(StartWorkflowRequest(name=flow.name, version=7,
                                                                                 input={})),
                             "start_workflow of a missing version")


def test_get_workflow_status_summary(wc, tc, make_flow):
    flow = make_flow(1)
    wf_id = wc.start_workflow_by_name(flow.name, {"a": 3}, correlationId="corr-status")
    status = wc.get_workflow_status(wf_id)
    assert status.workflow_id == wf_id
    assert status.status == "RUNNING"
    assert status.correlation_id == "corr-status"

    tc.update_task_by_ref_name(wf_id, "t1", "COMPLETED", {"done": True})
    status = wc.get_workflow_status(wf_id, include_output=True, include_variables=True)
    assert status.status == "COMPLETED"
    assert status.output == {"last": {"result": {"done": True}}, "input_a": 3}
    assert status.variables == {} or status.variables is None

    without_output = wc.get_workflow_status(wf_id, include_output=False)
    assert not without_output.output


@pytest.mark.parametrize("call", ["get_workflow", "get_workflow_status"])
def test_read_unknown_workflow_is_404(wc, call):
    missing = support.unique("no_such_workflow")
    support.expect_api_error(404, lambda: getattr(wc, call)(missing), call)


def test_search(wc, tc, make_flow):
    flow = make_flow(1)
    corr = support.unique("corr")
    ids = [wc.start_workflow_by_name(flow.name, {"a": i}, correlationId=corr) for i in range(3)]
    tc.update_task_by_ref_name(ids[0], "t1", "COMPLETED", {"i": 0})
    assert support.get_workflow(wc, ids[0]).status == "COMPLETED"

    def hits(**kwargs):
        result = wc.search(**kwargs)
        assert result is not None
        return result

    # The SDK's ScrollableSearchResultWorkflowSummary has no totalHits: count the results.
    by_type = hits(query=f"workflowType IN ({flow.name})")
    assert len(by_type.results) == 3
    assert sorted(r.workflow_id for r in by_type.results) == sorted(ids)
    assert {r.workflow_type for r in by_type.results} == {flow.name}
    assert {r.correlation_id for r in by_type.results} == {corr}
    statuses = {r.workflow_id: r.status for r in by_type.results}
    assert statuses == {ids[0]: "COMPLETED", ids[1]: "RUNNING", ids[2]: "RUNNING"}

    running = hits(query=f"workflowType IN ({flow.name}) AND status IN (RUNNING)")
    assert len(running.results) == 2
    assert sorted(r.workflow_id for r in running.results) == sorted(ids[1:])

    by_corr = hits(query=f"correlationId = '{corr}'")
    assert sorted(r.workflow_id for r in by_corr.results) == sorted(ids)

    paged = hits(query=f"workflowType IN ({flow.name})", start=0, size=2)
    assert len(paged.results) == 2
    rest = hits(query=f"workflowType IN ({flow.name})", start=2, size=2)
    assert len(rest.results) == 1
    assert {r.workflow_id for r in paged.results + rest.results} == set(ids)

    free = hits(free_text=ids[2])
    assert [r.workflow_id for r in free.results] == [ids[2]]


def test_delete_workflow(wc, tc, executor, make_flow):
    flow = make_flow(1)
    # A completed workflow can be removed (archive_workflow defaults to True).
    done = wc.start_workflow_by_name(flow.name, {"a": 1})
    tc.update_task_by_ref_name(done, "t1", "COMPLETED", {})
    assert support.get_workflow(wc, done).status == "COMPLETED"
    wc.delete_workflow(done)
    support.expect_api_error(404, lambda: wc.get_workflow(done), "get_workflow after delete")

    # A running workflow is removed too, archive_workflow or not (as Orkes allows it).
    running = wc.start_workflow_by_name(flow.name, {"a": 2})
    wc.delete_workflow(running, archive_workflow=True)
    support.expect_api_error(404, lambda: wc.get_workflow(running), "get_workflow after delete")
    running = wc.start_workflow_by_name(flow.name, {"a": 3})
    executor.remove_workflow(running, archive_workflow=False)
    support.expect_api_error(404, lambda: wc.get_workflow(running), "get_workflow after remove")
    found = wc.search(query=f"workflowType IN ({flow.name})")
    assert running not in [r.workflow_id for r in found.results]

    support.expect_api_error(404, lambda: wc.delete_workflow(support.unique("no_such")), "delete unknown")


def test_priority_and_its_bounds(wc, make_flow):
    flow = make_flow(1)
    wf_id = wc.start_workflow_by_name(flow.name, {"a": 1}, priority=7)
    wf = support.get_workflow(wc, wf_id)
    assert wf.priority == 7
    assert wf.tasks[0].workflow_priority == 7
    # Conductor validates priority to 0..99: 400.
    support.expect_api_error(400, lambda: wc.start_workflow(StartWorkflowRequest(name=flow.name, input={},
                                                                                 priority=100)),
                             "start with priority 100")


def test_get_by_correlation_ids(wc, tc, executor, make_flow):
    flow = make_flow(1)
    corr = support.unique("corr")
    running = wc.start_workflow_by_name(flow.name, {"a": 1}, correlationId=corr)
    done = wc.start_workflow_by_name(flow.name, {"a": 2}, correlationId=corr)
    tc.update_task_by_ref_name(done, "t1", "COMPLETED", {})
    # POST /api/workflow/{name}/correlated?includeClosed&includeTasks
    open_only = wc.get_by_correlation_ids(flow.name, [corr, "no-such-corr"])
    assert [w.workflow_id for w in open_only[corr]] == [running]
    assert open_only.get("no-such-corr", []) == []
    everything = executor.get_by_correlation_ids(flow.name, [corr], include_closed=True, include_tasks=True)
    assert sorted(w.workflow_id for w in everything[corr]) == sorted([running, done])
    statuses = {w.workflow_id: (w.status, support.task_states(w)) for w in everything[corr]}
    assert statuses == {running: ("RUNNING", [("t1", "SCHEDULED")]), done: ("COMPLETED", [("t1", "COMPLETED")])}
