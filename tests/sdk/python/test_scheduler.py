"""Schedules through the SDK's OrkesSchedulerClient: the lifecycle conductor-python's own
integration test walks (save, get, pause, list, resume, next times, tags, delete, 404), and a
schedule that fires."""

import time

from conductor.client.http.models import StartWorkflowRequest, WorkflowDef, WorkflowTask
from conductor.client.http.models.save_schedule_request import SaveScheduleRequest
from conductor.client.http.rest import ApiException
from conductor.client.orkes.models.metadata_tag import MetadataTag

import support


def _workflow(mc):
    name = support.unique("sdk_sched_wf")
    wd = WorkflowDef(name=name, version=1, schema_version=2, tasks=[
        WorkflowTask(name=support.unique("sdk_sched_task"), task_reference_name="t", type="SIMPLE")])
    mc.register_workflow_def(wd, overwrite=True)
    return name


def test_scheduler_lifecycle(clients, mc):
    sc = clients.get_scheduler_client()
    workflow = _workflow(mc)
    name = support.unique("sdk_schedule")
    sc.save_schedule(SaveScheduleRequest(
        name=name, start_workflow_request=StartWorkflowRequest(name=workflow, version=1),
        cron_expression="0 */5 * ? * *"))
    assert sc.get_schedule(name).name == name

    sc.pause_schedule(name)
    schedules = sc.get_all_schedules(workflow)
    assert [s.name for s in schedules] == [name]
    assert schedules[0].paused

    sc.resume_schedule(name)
    assert not sc.get_schedule(name).paused
    assert len(sc.get_next_few_schedule_execution_times("0 */5 * ? * *", limit=1)) == 1

    tags = [MetadataTag("sch_tag", "val"), MetadataTag("sch_tag_2", "val2")]
    sc.set_scheduler_tags(tags, name)
    assert len(sc.get_scheduler_tags(name)) == 2
    sc.delete_scheduler_tags(tags, name)
    assert len(sc.get_scheduler_tags(name)) == 0

    sc.delete_schedule(name)
    try:
        sc.get_schedule(name)
        raise AssertionError("the schedule is still there")
    except ApiException as e:
        assert e.status == 404
        assert f"Schedule '{name}' not found" in e.body


def test_a_schedule_fires(clients, mc, wc):
    sc = clients.get_scheduler_client()
    workflow = _workflow(mc)
    name = support.unique("sdk_every_second")
    sc.save_schedule(SaveScheduleRequest(
        name=name, start_workflow_request=StartWorkflowRequest(name=workflow, version=1, input={"k": 1}),
        cron_expression="* * * * * *"))
    deadline = time.time() + 10
    while True:
        found = sc.search_schedule_executions(query=f"scheduleName={name}")
        if found.results:
            break
        assert time.time() < deadline, "the schedule did not fire"
        time.sleep(0.2)
    sc.pause_schedule(name)
    execution = found.results[0]
    assert execution.state == "EXECUTED"
    wf = wc.get_workflow(execution.workflow_id, include_tasks=False)
    assert wf.input["k"] == 1
    assert wf.input["_startedByScheduler"] == name
    sc.delete_schedule(name)
