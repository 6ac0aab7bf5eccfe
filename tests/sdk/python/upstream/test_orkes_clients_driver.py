"""Runs three lifecycles of tests/integration/client/orkes/test_orkes_clients.py (vendored unmodified).

Upstream's `TestOrkesClients` is no pytest class (it has an `__init__(configuration)`): its
`run(deadline)` is called from tests/integration/test_workflow_client_intg.py::test_all and runs,
in order, each as a `retry_scenario` under one shared deadline: test_workflow_lifecycle,
test_task_lifecycle, test_secret_lifecycle, test_scheduler_lifecycle,
test_application_lifecycle, __test_unit_test_workflow and
test_user_group_permissions_lifecycle. This file is ours, not the SDK's: it builds the object
and the workflow definition exactly as `run` does and calls only the three lifecycles of the
Conductor API itself, in run's order, the same way (retry_scenario, the shared deadline):

- test_workflow_lifecycle: register (overwrite), get, update a workflow definition; start it
  by name, pause, resume, terminate, restart, skip a task, delete the execution; add, set
  and delete workflow-definition tags; unregister the definition.
- test_task_lifecycle: register, get, update a task definition; add, set and delete its tags;
  two workflows with an inline definition, queue sizes, poll, task logs, update_task,
  get_task, batch poll, update by reference name, the synchronous update; unregister.
- test_scheduler_lifecycle: save a schedule (with an inline workflow definition), get, pause,
  list by workflow name, resume, next execution times, tags, delete.

The others are Orkes platform APIs fermata does not have (secrets, applications, users,
groups, permissions) or, for __test_unit_test_workflow, POST /api/workflow/test with
mocked task outputs and its two test_data files, not vendored; see README.md.
"""

import time

import pytest
from conductor.client.configuration.configuration import Configuration
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.task.simple_task import SimpleTask

from tests.integration.conftest import skip_if_server_unavailable
from tests.integration.retry_helpers import DEFAULT_OVERALL_DEADLINE_SECONDS, retry_scenario
from tests.integration.client.orkes.test_orkes_clients import WORKFLOW_NAME, TestOrkesClients


@pytest.fixture(scope="module")
def orkes():
    """The upstream object, configured as test_all does, and run's shared deadline."""
    skip_if_server_unavailable()
    configuration = Configuration()
    configuration.debug = False
    configuration.apply_logging_config()
    return TestOrkesClients(configuration=configuration), time.monotonic() + DEFAULT_OVERALL_DEADLINE_SECONDS


def _workflow(clients):
    # Verbatim what TestOrkesClients.run builds before its scenarios.
    workflow = ConductorWorkflow(
        executor=clients.workflow_executor,
        name=WORKFLOW_NAME,
        description='Test Create Workflow',
        version=1
    )
    workflow.input_parameters(["a", "b"])
    workflow >> SimpleTask("simple_task", "simple_task_ref")
    workflowDef = workflow.to_workflow_def()
    return workflowDef, workflow


def test_workflow_lifecycle(orkes):
    clients, deadline = orkes
    workflowDef, workflow = _workflow(clients)
    retry_scenario('test_workflow_lifecycle', clients.test_workflow_lifecycle,
                   workflowDef, workflow, deadline=deadline)


def test_task_lifecycle(orkes):
    clients, deadline = orkes
    retry_scenario('test_task_lifecycle', clients.test_task_lifecycle,
                   deadline=deadline)


def test_scheduler_lifecycle(orkes):
    clients, deadline = orkes
    workflowDef, _ = _workflow(clients)
    retry_scenario('test_scheduler_lifecycle', clients.test_scheduler_lifecycle,
                   workflowDef, deadline=deadline)
