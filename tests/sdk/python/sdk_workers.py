"""Workers run by the SDK's own TaskHandler in test_worker.py.

They live at module top level in an importable module because TaskHandler starts one
process per worker with multiprocessing *spawn*: each child unpickles the worker, which
imports this module by name. Importing it only registers the @worker_task functions; it
starts nothing.
"""

from typing import Union

from conductor.client.context.task_context import TaskInProgress
from conductor.client.http.models.task import Task
from conductor.client.worker.worker_task import worker_task

DOUBLE = "sdk_py_double"
CHECKED = "sdk_py_checked"
FLAKY = "sdk_py_flaky"
FLAKY_AUTO = "sdk_py_flaky_auto"
PROGRESS = "sdk_py_progress"
SLOW_START = "sdk_py_slow_start"

# task type -> automatic retries its TaskDef allows
TASK_RETRIES = {DOUBLE: 0, CHECKED: 0, FLAKY: 0, FLAKY_AUTO: 1, PROGRESS: 0, SLOW_START: 0}


@worker_task(task_definition_name=DOUBLE, poll_interval_millis=50)
def double(n: int) -> dict:
    return {"doubled": n * 2}


@worker_task(task_definition_name=CHECKED, poll_interval_millis=50)
def checked(n: int, fail: bool = False) -> dict:
    if fail:
        raise ValueError(f"asked to fail with n={n}")
    return {"value": n * 10}


def _fail_first_attempt(task: Task) -> dict:
    if task.retry_count == 0:
        raise RuntimeError("the first attempt always fails")
    return {"attempt": task.retry_count, "input": task.input_data}


@worker_task(task_definition_name=FLAKY, poll_interval_millis=50)
def flaky(task: Task) -> dict:
    return _fail_first_attempt(task)


@worker_task(task_definition_name=FLAKY_AUTO, poll_interval_millis=50)
def flaky_auto(task: Task) -> dict:
    return _fail_first_attempt(task)


@worker_task(task_definition_name=PROGRESS, poll_interval_millis=50)
def progress(task: Task) -> Union[dict, TaskInProgress]:
    # First poll: report progress and ask to be called back in a second.
    if task.poll_count <= 1:
        return TaskInProgress(callback_after_seconds=1, output={"progress": 50})
    return {"progress": 100, "polls": task.poll_count}


@worker_task(task_definition_name=SLOW_START, poll_interval_millis=50)
def slow_start(task: Task) -> Union[dict, TaskInProgress]:
    # Like progress(), with a longer callback: test_worker pauses the workflow meanwhile.
    if task.poll_count <= 1:
        return TaskInProgress(callback_after_seconds=2, output={"started": True})
    return {"n": 2}
