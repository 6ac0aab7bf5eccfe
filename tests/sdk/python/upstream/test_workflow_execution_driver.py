"""Runs tests/integration/workflow/test_workflow_execution.py (vendored unmodified).

That module defines no test function: upstream drives it from
tests/integration/test_workflow_client_intg.py, whose single test `test_all` runs, under one
shared deadline, run_workflow_definition_tests, run_workflow_execution_tests and
TestOrkesClients (Orkes-only APIs: applications, users, groups, secrets, ...). This file is
ours, not the SDK's: it does what test_all does for the middle one only, the same way (the same
setUpClass skip check, Configuration, WorkflowExecutor and deadline).
"""

import time

import pytest
from conductor.client.configuration.configuration import Configuration
from conductor.client.workflow.executor.workflow_executor import WorkflowExecutor

from tests.integration.conftest import skip_if_server_unavailable
from tests.integration.retry_helpers import DEFAULT_OVERALL_DEADLINE_SECONDS
from tests.integration.workflow.test_workflow_execution import run_workflow_execution_tests


# Its scenarios sleep on purpose (15s for the decorated workers, 5s per signal scenario...);
# the budget is upstream's overall deadline plus a margin.
@pytest.mark.timeout(DEFAULT_OVERALL_DEADLINE_SECONDS + 60)
def test_workflow_execution():
    skip_if_server_unavailable()
    configuration = Configuration()
    configuration.debug = False
    configuration.apply_logging_config()
    workflow_executor = WorkflowExecutor(configuration)
    deadline = time.monotonic() + DEFAULT_OVERALL_DEADLINE_SECONDS
    run_workflow_execution_tests(configuration, workflow_executor, deadline=deadline)
