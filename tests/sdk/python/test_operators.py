"""Conductor's operators built with the SDK's own workflow builder (ConductorWorkflow and the
conductor.client.workflow.task.* classes), registered with ConductorWorkflow.register (PUT
/metadata/workflow), started through WorkflowExecutor / ConductorWorkflow, their SIMPLE tasks
completed with WorkflowExecutor.update_task_by_ref_name (the body is the task output, as
given), and checked on the Workflow the SDK returns: statuses, task order and types, outputs.

One workflow per operator (SWITCH, FORK_JOIN/JOIN, DO_WHILE, SUB_WORKFLOW by name and inline,
START_WORKFLOW, TERMINATE, SET_VARIABLE, INLINE, JSON_JQ_TRANSFORM, FORK_JOIN_DYNAMIC, DYNAMIC,
HUMAN; DECISION, EXCLUSIVE_JOIN, LAMBDA and NOOP, which the builder has no class for, as
WorkflowTask models), then the signals on operator shapes: pause/resume of a fork, retry of a
failed sub-workflow parent with resume_subworkflow_tasks (and without), terminate of a parent
with a running child, terminate of a child, pause of a parent, retry of a failed fork and of a
failed loop, rerun from a task inside a fork (fermata keeps the other branches and reopens the
JOIN, the difference README "Task types" documents).

Where Conductor runs an operator asynchronously (JOIN, SUB_WORKFLOW, START_WORKFLOW) the tests
wait for the state by polling (fermata decides at once, Conductor a moment later). As in
Conductor, a SIMPLE task's taskType is its task definition's name (`T` in the expected
shapes), an operator's is its type (FORK for FORK_JOIN and FORK_JOIN_DYNAMIC)."""

from typing import List, Optional

import pytest
from conductor.client.http.models import RerunWorkflowRequest, StartWorkflowRequest, WorkflowTask
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.task.do_while_task import DoWhileTask, LoopTask
from conductor.client.workflow.task.dynamic_fork_task import DynamicForkTask
from conductor.client.workflow.task.dynamic_task import DynamicTask
from conductor.client.workflow.task.fork_task import ForkTask
from conductor.client.workflow.task.human_task import HumanTask
from conductor.client.workflow.task.inline import InlineTask
from conductor.client.workflow.task.join_task import JoinTask
from conductor.client.workflow.task.json_jq_task import JsonJQTask
from conductor.client.workflow.task.set_variable_task import SetVariableTask
from conductor.client.workflow.task.simple_task import SimpleTask
from conductor.client.workflow.task.start_workflow_task import StartWorkflowTask
from conductor.client.workflow.task.sub_workflow_task import InlineSubWorkflowTask, SubWorkflowTask
from conductor.client.workflow.task.switch_task import SwitchTask
from conductor.client.workflow.task.task import TaskInterface
from conductor.client.workflow.task.task_type import TaskType
from conductor.client.workflow.task.terminate_task import TerminateTask, WorkflowStatus
from conductor.client.workflow.task.timeout_policy import TimeoutPolicy

import support


# ---- helpers ----

@pytest.fixture
def task_name(mc) -> str:
    """A freshly registered SIMPLE task type with no retries (a FAILED update fails at once)."""
    name = support.unique("sdk_op_task")
    mc.register_task_def(support.task_def(name))
    return name


def new_workflow(executor, prefix: str) -> ConductorWorkflow:
    """A ConductorWorkflow with a unique name, version 1, and no workflow timeout."""
    return (ConductorWorkflow(executor=executor, name=support.unique(prefix), version=1,
                              description=f"sdk operator test: {prefix}")
            .owner_email("sdk-tests@example.com")
            .timeout_policy(TimeoutPolicy.ALERT_ONLY)
            .timeout_seconds(0))


def register_and_start(executor, wf: ConductorWorkflow, workflow_input: Optional[dict] = None,
                       correlation_id: Optional[str] = None) -> str:
    """ConductorWorkflow.register (PUT /metadata/workflow) then start it by name and version."""
    wf.register(overwrite=True)
    return executor.start_workflow(StartWorkflowRequest(name=wf.name, version=1, input=workflow_input or {},
                                                        correlation_id=correlation_id))


def complete(executor, wf_id: str, ref: str, output: Optional[dict] = None, status: str = "COMPLETED") -> str:
    """POST /tasks/{wf}/{ref}/{status} with the output as the body (WorkflowExecutor does not wrap it)."""
    return executor.update_task_by_ref_name(output if output is not None else {}, wf_id, ref, status)


def shape(wf) -> List[tuple]:
    """[(referenceTaskName, taskType, status), ...] in the server's order (seq)."""
    return [(t.reference_task_name, t.task_type, t.status) for t in (wf.tasks or [])]


def wait_shape(wc, wf_id: str, expected: List[tuple], what: str = "", timeout: float = support.DEFAULT_TIMEOUT):
    """Poll until the workflow's task list is exactly `expected` (ref, type, status); return it."""
    seen = []

    def probe():
        wf = support.get_workflow(wc, wf_id)
        seen.append(shape(wf))
        return wf if shape(wf) == expected else None

    try:
        return support.wait_for(probe, what or f"tasks {expected}", timeout)
    except AssertionError:
        raise AssertionError(f"workflow {wf_id}: tasks never became {expected} ({what}); last: {seen[-1]}")


def child_of(wc, parent_id: str, ref: str):
    """The child workflow behind the parent's SUB_WORKFLOW task `ref`, once it exists."""
    sub_id = support.wait_for(lambda: support.last_task(support.get_workflow(wc, parent_id), ref).sub_workflow_id,
                              f"a subWorkflowId on {ref} of {parent_id}")
    return support.get_workflow(wc, sub_id)


# ---- SWITCH ----

def test_switch_value_param_picks_case_and_default(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    wf = new_workflow(executor, "sdk_op_switch")
    switch = (SwitchTask("route", "${workflow.input.kind}")
              .switch_case("fast", [SimpleTask(task_name, "fast_1")])
              .switch_case("slow", [SimpleTask(task_name, "slow_1"), SimpleTask(task_name, "slow_2")])
              .default_case([SimpleTask(task_name, "other_1")]))
    wf >> switch >> SimpleTask(task_name, "after")
    wf.output_parameters({"case": "${route.output.selectedCase}", "last": "${after.output}"})

    # A case with two tasks: they run in order, then the task after the SWITCH.
    wf_id = register_and_start(executor, wf, {"kind": "slow"})
    run = support.get_workflow(wc, wf_id)
    assert run.status == "RUNNING"
    assert shape(run) == [("route", "SWITCH", "COMPLETED"), ("slow_1", T, "SCHEDULED")]
    assert run.tasks[1].task_def_name == task_name and run.tasks[1].workflow_task.type == "SIMPLE"
    route = run.tasks[0]
    assert route.output_data["evaluationResult"] == ["slow"]
    assert route.output_data.get("selectedCase") == "slow"
    assert route.input_data.get("switchCaseValue") == "slow"  # the SDK's value-param input key
    complete(executor, wf_id, "slow_1", {"n": 1})
    assert shape(support.get_workflow(wc, wf_id))[-1] == ("slow_2", T, "SCHEDULED")
    complete(executor, wf_id, "slow_2", {"n": 2})
    assert shape(support.get_workflow(wc, wf_id))[-1] == ("after", T, "SCHEDULED")
    complete(executor, wf_id, "after", {"done": True})
    run = support.get_workflow(wc, wf_id)
    assert run.status == "COMPLETED"
    assert [r for r, _, _ in shape(run)] == ["route", "slow_1", "slow_2", "after"]
    assert run.output == {"case": "slow", "last": {"done": True}}

    # No matching case: the default case runs (started through the client from the registered def).
    other = executor.start_workflow(StartWorkflowRequest(name=wf.name, version=1, input={"kind": "unknown"}))
    run = support.get_workflow(wc, other)
    assert shape(run) == [("route", "SWITCH", "COMPLETED"), ("other_1", T, "SCHEDULED")]
    assert run.tasks[0].output_data["evaluationResult"] == ["unknown"]


def test_switch_javascript(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    wf = new_workflow(executor, "sdk_op_switch_js")
    switch = (SwitchTask("size", "$.amount > 100 ? 'big' : 'small'", use_javascript=True)
              .input_parameter("amount", "${workflow.input.amount}")
              .switch_case("big", [SimpleTask(task_name, "review")])
              .switch_case("small", [InlineTask("auto", "$.amount * 2", {"amount": "${workflow.input.amount}"})]))
    wf >> switch

    # "small": an INLINE branch that completes in the same decision, so the workflow completes.
    small = register_and_start(executor, wf, {"amount": 7})
    run = support.wait_for_status(wc, small, "COMPLETED")
    assert shape(run) == [("size", "SWITCH", "COMPLETED"), ("auto", "INLINE", "COMPLETED")]
    assert run.tasks[0].output_data["evaluationResult"] == ["small"]
    assert run.tasks[1].output_data == {"result": 14}

    big = executor.start_workflow(StartWorkflowRequest(name=wf.name, version=1, input={"amount": 500}))
    run = support.get_workflow(wc, big)
    assert shape(run) == [("size", "SWITCH", "COMPLETED"), ("review", T, "SCHEDULED")]
    assert run.tasks[0].output_data["evaluationResult"] == ["big"]
    complete(executor, big, "review")
    assert support.get_workflow(wc, big).status == "COMPLETED"


# ---- FORK_JOIN / JOIN ----

def test_fork_join_with_rshift_list(executor, wc, task_name):
    """`workflow >> [[a1, a2], [b1]]` builds a FORK_JOIN and the SDK appends its JOIN."""
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    wf = new_workflow(executor, "sdk_op_fork")
    wf >> [[SimpleTask(task_name, "a1"), SimpleTask(task_name, "a2")], [SimpleTask(task_name, "b1")]]
    wf >> SimpleTask(task_name, "after").input(key="joined", value="${workflow.input.x}")
    wf_def = wf.to_workflow_def()
    fork_ref, join_ref = wf_def.tasks[0].task_reference_name, wf_def.tasks[1].task_reference_name
    assert wf_def.tasks[1].type == "JOIN" and wf_def.tasks[1].join_on == ["a2", "b1"]

    wf_id = register_and_start(executor, wf, {"x": 1})
    run = support.get_workflow(wc, wf_id)
    # The FORK is born COMPLETED (taskType FORK), the branch heads are scheduled, the JOIN waits.
    assert shape(run) == [(fork_ref, "FORK", "COMPLETED"), ("a1", T, "SCHEDULED"),
                          ("b1", T, "SCHEDULED"), (join_ref, "JOIN", "IN_PROGRESS")]
    assert run.tasks[3].input_data.get("joinOn") == ["a2", "b1"]

    # Completing a1 moves its branch on; the JOIN keeps waiting for a2 and b1.
    complete(executor, wf_id, "a1", {"a": 1})
    wait_shape(wc, wf_id, [(fork_ref, "FORK", "COMPLETED"), ("a1", T, "COMPLETED"),
                           ("b1", T, "SCHEDULED"), (join_ref, "JOIN", "IN_PROGRESS"),
                           ("a2", T, "SCHEDULED")], "a2 scheduled after a1")
    complete(executor, wf_id, "b1", {"b": 1})
    run = support.get_workflow(wc, wf_id)
    assert support.last_task(run, join_ref).status == "IN_PROGRESS"
    complete(executor, wf_id, "a2", {"a": 2})

    run = wait_shape(wc, wf_id, [(fork_ref, "FORK", "COMPLETED"), ("a1", T, "COMPLETED"),
                                 ("b1", T, "COMPLETED"), (join_ref, "JOIN", "COMPLETED"),
                                 ("a2", T, "COMPLETED"), ("after", T, "SCHEDULED")],
                     "the JOIN completed and the next task scheduled")
    # The JOIN's output is each joined task's output, by reference name.
    assert support.last_task(run, join_ref).output_data == {"a2": {"a": 2}, "b1": {"b": 1}}
    assert support.last_task(run, "after").input_data == {"joined": 1}
    complete(executor, wf_id, "after", {"fin": 1})
    run = support.get_workflow(wc, wf_id)
    assert run.status == "COMPLETED"
    # No outputParameters: the workflow output is the last task's output.
    assert run.output == {"fin": 1}


def test_fork_task_with_join_on(executor, wc, task_name):
    """ForkTask(join_on=...) emits the FORK_JOIN and a JOIN named <ref>_join; an INLINE in a
    branch completes at once."""
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    wf = new_workflow(executor, "sdk_op_fork_task")
    wf >> ForkTask("fan", [[SimpleTask(task_name, "left")],
                          [InlineTask("right", "$.v + 1", {"v": "${workflow.input.v}"})]],
                   join_on=["left", "right"])
    wf.output_parameters({"left": "${fan_join.output.left}", "right": "${fan_join.output.right.result}"})
    wf_id = register_and_start(executor, wf, {"v": 41})
    run = support.get_workflow(wc, wf_id)
    assert shape(run) == [("fan", "FORK", "COMPLETED"), ("left", T, "SCHEDULED"),
                          ("right", "INLINE", "COMPLETED"), ("fan_join", "JOIN", "IN_PROGRESS")]
    complete(executor, wf_id, "left", {"l": True})
    run = support.wait_for_status(wc, wf_id, "COMPLETED")
    assert shape(run)[-1] == ("fan_join", "JOIN", "COMPLETED")
    assert run.output == {"left": {"l": True}, "right": 42}


def test_fork_branch_failure_fails_workflow_and_cancels_join(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    wf = new_workflow(executor, "sdk_op_fork_fail")
    wf >> ForkTask("fan", [[SimpleTask(task_name, "x1"), SimpleTask(task_name, "x2")],
                          [SimpleTask(task_name, "y1")]], join_on=["x2", "y1"])
    wf_id = register_and_start(executor, wf)
    complete(executor, wf_id, "y1", {}, status="FAILED")
    run = support.wait_for_status(wc, wf_id, "FAILED")
    # Conductor's ForkJoinSpec "failure flow": the other branch and the JOIN are CANCELED.
    assert shape(run) == [("fan", "FORK", "COMPLETED"), ("x1", T, "CANCELED"),
                          ("y1", T, "FAILED"), ("fan_join", "JOIN", "CANCELED")]
    assert "y1" in (run.failed_reference_task_names or [])

    # Retry (ForkJoinSpec "retrying a failed fork join"): the JOIN reopens in place, the FAILED
    # and the CANCELED branch tasks get new instances.
    executor.retry(wf_id)
    run = support.get_workflow(wc, wf_id)
    assert run.status == "RUNNING"
    assert shape(run) == [("fan", "FORK", "COMPLETED"), ("x1", T, "CANCELED"), ("y1", T, "FAILED"),
                          ("fan_join", "JOIN", "IN_PROGRESS"), ("x1", T, "SCHEDULED"), ("y1", T, "SCHEDULED")]
    assert run.tasks[3].task_id == support.last_task(run, "fan_join").task_id
    assert run.tasks[4].retried_task_id == run.tasks[1].task_id
    assert run.tasks[5].retried_task_id == run.tasks[2].task_id
    for ref in ("x1", "y1", "x2"):
        complete(executor, wf_id, ref, {ref: True})
    run = support.wait_for_status(wc, wf_id, "COMPLETED")
    assert support.last_task(run, "fan_join").output_data == {"x2": {"x2": True}, "y1": {"y1": True}}


# ---- DO_WHILE ----

def test_loop_task_iterations(executor, wc, task_name):
    """LoopTask(n): the body runs n times as ref__1, ref__2 ...; an INLINE in the body reads the
    SIMPLE task's output of the same iteration."""
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    wf = new_workflow(executor, "sdk_op_loop")
    loop = LoopTask("loop", 2, [
        SimpleTask(task_name, "work").input(key="i", value="${loop.output.iteration}"),
        InlineTask("calc", "$.n * 10", {"n": "${work.output.n}"}),
    ])
    wf >> loop >> SimpleTask(task_name, "after")
    wf.output_parameters({"iterations": "${loop.output.iteration}", "loop": "${loop.output}"})

    wf_id = register_and_start(executor, wf)
    run = support.get_workflow(wc, wf_id)
    assert shape(run) == [("loop", "DO_WHILE", "IN_PROGRESS"), ("work__1", T, "SCHEDULED")]
    assert run.tasks[1].iteration == 1
    assert run.tasks[1].input_data == {"i": 1}

    complete(executor, wf_id, "work__1", {"n": 1})
    run = support.get_workflow(wc, wf_id)
    assert shape(run) == [("loop", "DO_WHILE", "IN_PROGRESS"), ("work__1", T, "COMPLETED"),
                          ("calc__1", "INLINE", "COMPLETED"), ("work__2", T, "SCHEDULED")]
    assert run.tasks[2].output_data == {"result": 10}
    assert run.tasks[3].iteration == 2 and run.tasks[3].input_data == {"i": 2}

    # Update by the plain reference name reaches the current iteration's task (work__2).
    complete(executor, wf_id, "work", {"n": 2})
    run = support.get_workflow(wc, wf_id)
    assert shape(run) == [("loop", "DO_WHILE", "COMPLETED"), ("work__1", T, "COMPLETED"),
                          ("calc__1", "INLINE", "COMPLETED"), ("work__2", T, "COMPLETED"),
                          ("calc__2", "INLINE", "COMPLETED"), ("after", T, "SCHEDULED")]
    assert [t.iteration for t in run.tasks] == [2, 1, 1, 2, 2, 0]
    loop_out = run.tasks[0].output_data
    assert loop_out["iteration"] == 2
    assert loop_out["1"] == {"work": {"n": 1}, "calc": {"result": 10}}
    assert loop_out["2"] == {"work": {"n": 2}, "calc": {"result": 20}}

    complete(executor, wf_id, "after")
    run = support.get_workflow(wc, wf_id)
    assert run.status == "COMPLETED"
    assert run.output["iterations"] == 2
    assert run.output["loop"]["2"]["calc"] == {"result": 20}


def test_loop_body_failure_then_retry_continues_the_iteration(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    wf = new_workflow(executor, "sdk_op_loop_retry")
    wf >> LoopTask("loop", 2, [SimpleTask(task_name, "work")])
    wf_id = register_and_start(executor, wf)
    complete(executor, wf_id, "work__1", {"n": 1})
    complete(executor, wf_id, "work__2", {"why": "bad"}, status="FAILED")
    run = support.wait_for_status(wc, wf_id, "FAILED")
    # DoWhileSpec "retrying a failed do while": the DO_WHILE is CANCELED with the workflow.
    assert shape(run) == [("loop", "DO_WHILE", "CANCELED"), ("work__1", T, "COMPLETED"), ("work__2", T, "FAILED")]

    # Retry: the DO_WHILE reopens in place at the same iteration; the failed body task gets a
    # new instance with the same suffixed reference.
    executor.retry(wf_id)
    run = support.get_workflow(wc, wf_id)
    assert run.status == "RUNNING"
    assert shape(run) == [("loop", "DO_WHILE", "IN_PROGRESS"), ("work__1", T, "COMPLETED"),
                          ("work__2", T, "FAILED"), ("work__2", T, "SCHEDULED")]
    assert run.tasks[0].iteration == 2 and run.tasks[3].iteration == 2
    assert run.tasks[3].retry_count == 1
    complete(executor, wf_id, "work__2", {"n": 2})
    run = support.wait_for_status(wc, wf_id, "COMPLETED")
    assert shape(run)[0] == ("loop", "DO_WHILE", "COMPLETED")
    assert run.tasks[0].output_data["2"] == {"work": {"n": 2}}
    assert len(run.tasks) == 4  # no third iteration


def test_do_while_of_system_tasks_runs_in_one_call(executor, wc):
    """DoWhileTask with a condition on a body task's output: a body of INLINE tasks runs every
    iteration inside the start call."""
    wf = new_workflow(executor, "sdk_op_do_while")
    body = InlineTask("inc", "$.i * 10", {"i": "${counter.output.iteration}"})
    wf >> DoWhileTask("counter", "if ($.inc['result'] < 30) { true; } else { false; }", [body])
    wf.output_parameters({"last": "${inc.output.result}", "iterations": "${counter.output.iteration}"})
    wf_id = register_and_start(executor, wf)
    run = support.wait_for_status(wc, wf_id, "COMPLETED")
    assert shape(run) == [("counter", "DO_WHILE", "COMPLETED"), ("inc__1", "INLINE", "COMPLETED"),
                          ("inc__2", "INLINE", "COMPLETED"), ("inc__3", "INLINE", "COMPLETED")]
    assert [t.output_data["result"] for t in run.tasks[1:]] == [10, 20, 30]
    assert run.output == {"last": 30, "iterations": 3}


# ---- SUB_WORKFLOW ----

def test_sub_workflow_by_name(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    child = new_workflow(executor, "sdk_op_child")
    child >> SimpleTask(task_name, "c1").input(key="x", value="${workflow.input.x}")
    child.output_parameters({"doubled": "${c1.output.doubled}"})
    child.register(overwrite=True)

    parent = new_workflow(executor, "sdk_op_parent")
    sub = SubWorkflowTask("sub", child.name, version=1).input(key="x", value="${workflow.input.x}")
    parent >> sub >> SimpleTask(task_name, "after").input(key="from_child", value="${sub.output.doubled}")
    parent.output_parameters({"child_output": "${sub.output.doubled}"})

    wf_id = register_and_start(executor, parent, {"x": 21}, correlation_id="corr-sub")
    run = support.get_workflow(wc, wf_id)
    assert shape(run) == [("sub", "SUB_WORKFLOW", "IN_PROGRESS")] or \
        shape(run) == [("sub", "SUB_WORKFLOW", "SCHEDULED")]
    kid = child_of(wc, wf_id, "sub")
    sub_task = support.last_task(support.get_workflow(wc, wf_id), "sub")
    assert kid.workflow_name == child.name and kid.workflow_version == 1
    assert kid.parent_workflow_id == wf_id
    assert kid.parent_workflow_task_id == sub_task.task_id
    assert kid.correlation_id == "corr-sub"  # inherited from the parent
    assert kid.input == {"x": 21}
    assert kid.status == "RUNNING"
    wait_shape(wc, kid.workflow_id, [("c1", T, "SCHEDULED")], "the child's first task")
    wait_shape(wc, wf_id, [("sub", "SUB_WORKFLOW", "IN_PROGRESS")], "the SUB_WORKFLOW task running")

    complete(executor, kid.workflow_id, "c1", {"doubled": 42})
    assert support.get_workflow(wc, kid.workflow_id).status == "COMPLETED"
    run = wait_shape(wc, wf_id, [("sub", "SUB_WORKFLOW", "COMPLETED"), ("after", T, "SCHEDULED")],
                     "the parent going on after the child completed")
    assert run.tasks[0].output_data == {"subWorkflowId": kid.workflow_id, "doubled": 42}
    assert run.tasks[0].sub_workflow_id == kid.workflow_id
    assert run.tasks[1].input_data == {"from_child": 42}
    complete(executor, wf_id, "after")
    run = support.get_workflow(wc, wf_id)
    assert run.status == "COMPLETED"
    assert run.output == {"child_output": 42}


def test_sub_workflow_inline_definition(executor, wc, task_name):
    """InlineSubWorkflowTask carries the child ConductorWorkflow's definition; the child is
    never registered. The parent itself is started with its definition inline too
    (ConductorWorkflow.start_workflow_with_input sends workflowDef)."""
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    child = new_workflow(executor, "sdk_op_inline_child")
    child >> InlineTask("prep", "$.x + 1", {"x": "${workflow.input.x}"})
    child >> SimpleTask(task_name, "work").input(key="prepared", value="${prep.output.result}")
    child.output_parameters({"prepared": "${prep.output.result}", "worked": "${work.output.ok}"})

    parent = new_workflow(executor, "sdk_op_inline_parent")
    parent >> InlineSubWorkflowTask("inline_sub", child).input(key="x", value="${workflow.input.x}")
    parent.output_parameters({"child": "${inline_sub.output}"})

    wf_id = parent.start_workflow_with_input({"x": 1})
    assert support.get_workflow(wc, wf_id).workflow_name == parent.name
    kid = child_of(wc, wf_id, "inline_sub")
    assert kid.workflow_name == child.name
    assert kid.parent_workflow_id == wf_id
    assert kid.input.get("x") == 1
    assert kid.input.get("_systemMetadata") == {"dynamic": True}  # Conductor marks inline children
    # The parent does not evaluate the expressions inside the child's definition: they belong to
    # the child (Conductor's SubWorkflowTaskMapper adds an inline definition object after
    # resolving the other params, "so that its internal fields are not mistakenly treated as
    # expressions"). The SUB_WORKFLOW task's input keeps the definition as written.
    sub_def = support.last_task(support.get_workflow(wc, wf_id), "inline_sub").input_data["subWorkflowDefinition"]
    assert [t["inputParameters"] for t in sub_def["tasks"]] == [
        {"evaluatorType": "graaljs", "expression": "$.x + 1", "x": "${workflow.input.x}"},
        {"prepared": "${prep.output.result}"}]
    assert sub_def["outputParameters"] == {"prepared": "${prep.output.result}", "worked": "${work.output.ok}"}
    kid_run = wait_shape(wc, kid.workflow_id, [("prep", "INLINE", "COMPLETED"), ("work", T, "SCHEDULED")],
                         "the inline child's tasks")
    assert kid_run.tasks[1].input_data == {"prepared": 2}

    complete(executor, kid.workflow_id, "work", {"ok": "yes"})
    run = support.wait_for_status(wc, wf_id, "COMPLETED")
    assert shape(run) == [("inline_sub", "SUB_WORKFLOW", "COMPLETED")]
    assert run.output == {"child": {"subWorkflowId": kid.workflow_id, "prepared": 2, "worked": "yes"}}
    assert support.get_workflow(wc, kid.workflow_id).status == "COMPLETED"


def test_sub_workflow_child_failure_fails_parent(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    child = new_workflow(executor, "sdk_op_failing_child")
    child >> SimpleTask(task_name, "c1")
    child.register(overwrite=True)
    parent = new_workflow(executor, "sdk_op_failing_parent")
    parent >> SubWorkflowTask("sub", child.name, version=1) >> SimpleTask(task_name, "after")
    wf_id = register_and_start(executor, parent)
    kid = child_of(wc, wf_id, "sub")
    wait_shape(wc, kid.workflow_id, [("c1", T, "SCHEDULED")])
    complete(executor, kid.workflow_id, "c1", {"why": "no"}, status="FAILED")
    run = support.wait_for_status(wc, wf_id, "FAILED")
    assert shape(run) == [("sub", "SUB_WORKFLOW", "FAILED")]
    reason = run.tasks[0].reason_for_incompletion or ""
    assert f"{child.name}.1/{kid.workflow_id}" in reason, reason  # "Sub workflow <name>.<ver>/<id> failure reason: ..."
    assert support.get_workflow(wc, kid.workflow_id).status == "FAILED"


# ---- START_WORKFLOW ----

def test_start_workflow_task(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    target = new_workflow(executor, "sdk_op_started")
    target >> SimpleTask(task_name, "s1").input(key="v", value="${workflow.input.v}")
    target.register(overwrite=True)

    starter = new_workflow(executor, "sdk_op_starter")
    starter >> StartWorkflowTask("launch", target.name, StartWorkflowRequest(input={"v": "${workflow.input.v}"}),
                                 version=1)
    wf_id = register_and_start(executor, starter, {"v": "hello"}, correlation_id="corr-starter")
    run = support.wait_for_status(wc, wf_id, "COMPLETED")
    assert shape(run) == [("launch", "START_WORKFLOW", "COMPLETED")]
    started_id = run.tasks[0].output_data.get("workflowId")
    assert started_id and started_id != wf_id
    started = support.get_workflow(wc, started_id)
    assert started.workflow_name == target.name
    assert started.status == "RUNNING"
    assert started.input == {"v": "hello"}
    # Fire and forget: no parent link; a blank correlationId takes the starter's.
    assert not started.parent_workflow_id
    assert started.correlation_id == "corr-starter"
    assert shape(started) == [("s1", T, "SCHEDULED")]


# ---- TERMINATE ----

def test_terminate_completed_in_switch_branch(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    wf = new_workflow(executor, "sdk_op_terminate")
    stop = TerminateTask("stop", WorkflowStatus.COMPLETED, "nothing to do")
    stop.input_parameter("workflowOutput", {"early": True, "x": "${workflow.input.x}"})
    wf >> SimpleTask(task_name, "t1") >> (SwitchTask("check", "${t1.output.go}")
                                          .switch_case("no", [stop])
                                          .default_case([SimpleTask(task_name, "t2")]))
    wf >> SimpleTask(task_name, "never")
    wf.output_parameters({"ignored": "${t1.output}"})

    wf_id = register_and_start(executor, wf, {"x": 5})
    complete(executor, wf_id, "t1", {"go": "no"})
    run = support.wait_for_status(wc, wf_id, "COMPLETED")
    assert shape(run) == [("t1", T, "COMPLETED"), ("check", "SWITCH", "COMPLETED"),
                          ("stop", "TERMINATE", "COMPLETED")]
    # The workflow output is the TERMINATE's workflowOutput (outputParameters are ignored), and
    # the reason is set even on COMPLETED.
    assert run.output == {"early": True, "x": 5}
    assert run.reason_for_incompletion == "nothing to do"


def test_terminate_failed_cancels_other_branch(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    wf = new_workflow(executor, "sdk_op_terminate_fail")
    wf >> ForkTask("fan", [[SimpleTask(task_name, "slow")],
                          [TerminateTask("abort", WorkflowStatus.FAILED, "aborted by the branch")]],
                   join_on=["slow", "abort"])
    wf_id = register_and_start(executor, wf)
    run = support.wait_for_status(wc, wf_id, "FAILED")
    assert run.reason_for_incompletion == "aborted by the branch"
    assert shape(run) == [("fan", "FORK", "COMPLETED"), ("slow", T, "CANCELED"),
                          ("abort", "TERMINATE", "COMPLETED"), ("fan_join", "JOIN", "CANCELED")]


# ---- SET_VARIABLE ----

def test_set_variable(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    wf = new_workflow(executor, "sdk_op_setvar").variables({"count": 0, "keep": "me"})
    setv = SetVariableTask("setv").input_parameter("count", "${workflow.input.n}").input_parameter("who", "sdk")
    use = InlineTask("use", "$.c * 10", {"c": "${workflow.variables.count}"})
    wf >> setv >> use >> SimpleTask(task_name, "t1").input(key="who", value="${workflow.variables.who}")
    wf.output_parameters({"vars": "${workflow.variables}"})

    wf_id = register_and_start(executor, wf, {"n": 5})
    run = support.get_workflow(wc, wf_id)
    assert shape(run) == [("setv", "SET_VARIABLE", "COMPLETED"), ("use", "INLINE", "COMPLETED"),
                          ("t1", T, "SCHEDULED")]
    assert run.variables == {"count": 5, "keep": "me", "who": "sdk"}
    assert not run.tasks[0].output_data
    # Tasks scheduled after the SET_VARIABLE see the new values.
    assert run.tasks[1].output_data == {"result": 50}
    assert run.tasks[2].input_data == {"who": "sdk"}
    complete(executor, wf_id, "t1")
    run = support.get_workflow(wc, wf_id)
    assert run.status == "COMPLETED"
    assert run.output == {"vars": {"count": 5, "keep": "me", "who": "sdk"}}


# ---- INLINE ----

def test_inline_javascript(executor, wc):
    wf = new_workflow(executor, "sdk_op_inline")
    script = ("(function () { return { total: $.prices.reduce((a, b) => a + b, 0), "
              "names: $.names.map(n => n.toUpperCase()), first: $.names[0] }; })()")
    calc = InlineTask("calc", script, {"prices": "${workflow.input.prices}", "names": "${workflow.input.names}"})
    wf >> calc
    wf.output_parameters({"total": calc.output("result.total"), "names": "${calc.output.result.names}"})
    wf_id = register_and_start(executor, wf, {"prices": [1, 2, 3.5], "names": ["ann", "bob"]})
    run = support.wait_for_status(wc, wf_id, "COMPLETED")
    assert shape(run) == [("calc", "INLINE", "COMPLETED")]
    task = run.tasks[0]
    assert task.output_data == {"result": {"total": 6.5, "names": ["ANN", "BOB"], "first": "ann"}}
    assert task.input_data["evaluatorType"] == "graaljs"
    assert task.input_data["prices"] == [1, 2, 3.5]
    assert run.output == {"total": 6.5, "names": ["ANN", "BOB"]}


def test_inline_script_error_fails_terminally(executor, wc):
    wf = new_workflow(executor, "sdk_op_inline_err")
    wf >> InlineTask("broken", "$.missing.field", {})
    wf_id = register_and_start(executor, wf)
    run = support.wait_for_status(wc, wf_id, "FAILED")
    assert shape(run) == [("broken", "INLINE", "FAILED_WITH_TERMINAL_ERROR")]
    assert run.tasks[0].reason_for_incompletion
    assert run.tasks[0].output_data.get("error")


# ---- JSON_JQ_TRANSFORM ----

def test_json_jq_transform(executor, wc):
    wf = new_workflow(executor, "sdk_op_jq")
    jq = JsonJQTask("shape", "{total: ([.items[].price] | add), names: [.items[].name]}")
    jq.input_parameter("items", "${workflow.input.items}")
    many = JsonJQTask("each", ".items[] | .name").input_parameter("items", "${workflow.input.items}")
    wf >> jq >> many
    wf.output_parameters({"total": "${shape.output.result.total}", "all": "${each.output.resultList}"})
    items = [{"name": "a", "price": 2}, {"name": "b", "price": 3}]
    wf_id = register_and_start(executor, wf, {"items": items})
    run = support.wait_for_status(wc, wf_id, "COMPLETED")
    assert shape(run) == [("shape", "JSON_JQ_TRANSFORM", "COMPLETED"), ("each", "JSON_JQ_TRANSFORM", "COMPLETED")]
    assert run.tasks[0].output_data["result"] == {"total": 5, "names": ["a", "b"]}
    assert run.tasks[0].output_data["resultList"] == [{"total": 5, "names": ["a", "b"]}]
    # Several jq outputs: result is the first, resultList all of them.
    assert run.tasks[1].output_data["result"] == "a"
    assert run.tasks[1].output_data["resultList"] == ["a", "b"]
    assert run.output == {"total": 5, "all": ["a", "b"]}


def test_json_jq_error_fails_workflow(executor, wc):
    wf = new_workflow(executor, "sdk_op_jq_err")
    wf >> JsonJQTask("bad", ".in1.array").input_parameter("in1", "a")
    wf_id = register_and_start(executor, wf)
    run = support.wait_for_status(wc, wf_id, "FAILED")
    assert shape(run) == [("bad", "JSON_JQ_TRANSFORM", "FAILED")]
    assert run.tasks[0].reason_for_incompletion


# ---- FORK_JOIN_DYNAMIC ----

def test_dynamic_fork(executor, wc, task_name):
    """An INLINE task plans the forks; DynamicForkTask (dynamicTasks + dynamicTasksInputs) runs
    one SIMPLE task per entry; the JOIN collects their outputs."""
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    wf = new_workflow(executor, "sdk_op_dynfork")
    plan = InlineTask("plan", (
        "(function () { var tasks = [], inputs = {};"
        " $.items.forEach(function (it, i) { var ref = 'item_' + i;"
        "   tasks.push({name: $.task, taskReferenceName: ref, type: 'SIMPLE'});"
        "   inputs[ref] = {item: it}; });"
        " return {tasks: tasks, inputs: inputs}; })()"),
        {"items": "${workflow.input.items}", "task": task_name})
    fork = DynamicForkTask("fanout", join_task=JoinTask("fanout_join"))
    fork.input_parameter("dynamicTasks", "${plan.output.result.tasks}")
    fork.input_parameter("dynamicTasksInputs", "${plan.output.result.inputs}")
    wf >> plan >> fork
    wf.output_parameters({"joined": "${fanout_join.output}"})

    wf_id = register_and_start(executor, wf, {"items": ["x", "y", "z"]})
    run = support.get_workflow(wc, wf_id)
    assert shape(run) == [("plan", "INLINE", "COMPLETED"), ("fanout", "FORK", "COMPLETED"),
                          ("item_0", T, "SCHEDULED"), ("item_1", T, "SCHEDULED"),
                          ("item_2", T, "SCHEDULED"), ("fanout_join", "JOIN", "IN_PROGRESS")]
    assert run.tasks[1].input_data.get("forkedTasks") == ["item_0", "item_1", "item_2"]
    assert run.tasks[5].input_data.get("joinOn") == ["item_0", "item_1", "item_2"]
    assert [run.tasks[i].input_data.get("item") for i in (2, 3, 4)] == ["x", "y", "z"]
    assert {run.tasks[i].task_def_name for i in (2, 3, 4)} == {task_name}

    for i, letter in enumerate("xyz"):
        complete(executor, wf_id, f"item_{i}", {"upper": letter.upper()})
    run = support.wait_for_status(wc, wf_id, "COMPLETED")
    assert shape(run)[-1] == ("fanout_join", "JOIN", "COMPLETED")
    assert run.output == {"joined": {"item_0": {"upper": "X"}, "item_1": {"upper": "Y"}, "item_2": {"upper": "Z"}}}


# ---- DYNAMIC ----

def test_dynamic_task(executor, wc, mc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    other = support.unique("sdk_op_other_task")
    mc.register_task_def(support.task_def(other))
    wf = new_workflow(executor, "sdk_op_dynamic")
    wf >> DynamicTask("${workflow.input.which}", "pick")
    for which in (task_name, other):
        wf_id = register_and_start(executor, wf, {"which": which})
        run = support.get_workflow(wc, wf_id)
        # The task takes the resolved name as its type; its input keeps the name parameter.
        assert shape(run) == [("pick", which, "SCHEDULED")]
        assert run.tasks[0].task_def_name == which
        assert run.tasks[0].input_data.get("taskToExecute") == which
        complete(executor, wf_id, "pick", {"ran": which})
        run = support.get_workflow(wc, wf_id)
        assert run.status == "COMPLETED"
        assert run.tasks[0].output_data == {"ran": which}


# ---- HUMAN ----

def test_human_task(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    wf = new_workflow(executor, "sdk_op_human")
    wf >> HumanTask("approve", display_name="Approve the order") >> \
        SimpleTask(task_name, "ship").input(key="approved", value="${approve.output.approved}")
    wf_id = register_and_start(executor, wf)
    run = support.get_workflow(wc, wf_id)
    # A HUMAN task waits IN_PROGRESS for an external update.
    assert shape(run) == [("approve", "HUMAN", "IN_PROGRESS")]
    assert run.tasks[0].input_data["__humanTaskDefinition"]["displayName"] == "Approve the order"
    complete(executor, wf_id, "approve", {"approved": True, "by": "sdk"})
    run = support.get_workflow(wc, wf_id)
    assert shape(run) == [("approve", "HUMAN", "COMPLETED"), ("ship", T, "SCHEDULED")]
    assert run.tasks[0].output_data == {"approved": True, "by": "sdk"}
    assert run.tasks[1].input_data == {"approved": True}
    complete(executor, wf_id, "ship")
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"


# ---- DECISION, EXCLUSIVE_JOIN, LAMBDA, NOOP (no builder class: WorkflowTask models / TaskInterface) ----

class LambdaTask(TaskInterface):
    """What a user writes for LAMBDA, which the SDK's builder has no class for."""

    def __init__(self, task_ref_name: str, script: str, bindings: dict):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.LAMBDA,
                         input_parameters={"scriptExpression": script, **bindings})


def test_lambda_task(executor, wc):
    wf = new_workflow(executor, "sdk_op_lambda")
    wf >> LambdaTask("lam", "if ($.a == 1) { return {one: true}; } else { return {one: false}; }",
                     {"a": "${workflow.input.a}"})
    wf_id = register_and_start(executor, wf, {"a": 1})
    run = support.wait_for_status(wc, wf_id, "COMPLETED")
    assert shape(run) == [("lam", "LAMBDA", "COMPLETED")]
    assert run.tasks[0].output_data == {"result": {"one": True}}


def test_decision_exclusive_join_and_noop(executor, wc, task_name):
    """A DECISION on an input value, whose branches end in an EXCLUSIVE_JOIN, then a NOOP."""
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    decision = WorkflowTask(name="decide", task_reference_name="decide", type="DECISION",
                            case_value_param="route", input_parameters={"route": "${workflow.input.route}"},
                            decision_cases={"a": [WorkflowTask(name=task_name, task_reference_name="ta", type="SIMPLE")],
                                            "b": [WorkflowTask(name=task_name, task_reference_name="tb", type="SIMPLE")]},
                            default_case=[WorkflowTask(name=task_name, task_reference_name="td", type="SIMPLE")])
    xjoin = WorkflowTask(name="xjoin", task_reference_name="xjoin", type="EXCLUSIVE_JOIN",
                         join_on=["ta", "tb"], default_exclusive_join_task=["td"])
    noop = WorkflowTask(name="noop", task_reference_name="noop", type="NOOP")
    wf_def = support.workflow_def(support.unique("sdk_op_decision"), [decision, xjoin, noop],
                                  output_parameters={"chosen": "${xjoin.output}"})
    executor.register_workflow(wf_def, overwrite=True)

    for route, ref in (("b", "tb"), ("zzz", "td")):
        wf_id = executor.start_workflow(StartWorkflowRequest(name=wf_def.name, version=1, input={"route": route}))
        run = support.get_workflow(wc, wf_id)
        assert shape(run) == [("decide", "DECISION", "COMPLETED"), (ref, T, "SCHEDULED")]
        assert run.tasks[0].output_data.get("caseOutput") == [route]
        complete(executor, wf_id, ref, {"from": ref})
        run = support.wait_for_status(wc, wf_id, "COMPLETED")
        assert shape(run) == [("decide", "DECISION", "COMPLETED"), (ref, T, "COMPLETED"),
                              ("xjoin", "EXCLUSIVE_JOIN", "COMPLETED"), ("noop", "NOOP", "COMPLETED")]
        # The EXCLUSIVE_JOIN's output is the output of the task that ran.
        assert run.tasks[2].output_data == {"from": ref}
        assert run.output == {"chosen": {"from": ref}}


# ---- signals on operator shapes ----

def fork_flow(executor, task_name, prefix):
    """FORK [[a1, a2], [b1]] -> JOIN fan_join -> after, built with ForkTask + JoinTask."""
    wf = new_workflow(executor, prefix)
    wf >> ForkTask("fan", [[SimpleTask(task_name, "a1"), SimpleTask(task_name, "a2")],
                          [SimpleTask(task_name, "b1")]])
    wf >> JoinTask("fan_join", join_on=["a2", "b1"])
    wf >> SimpleTask(task_name, "after")
    wf.output_parameters({"joined": "${fan_join.output}"})
    return wf


def test_pause_and_resume_fork(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    wf = fork_flow(executor, task_name, "sdk_op_pause_fork")
    wf_id = register_and_start(executor, wf)
    executor.pause(wf_id)
    assert support.get_workflow(wc, wf_id).status == "PAUSED"

    # Tasks already scheduled in either branch can still be completed, but nothing new is
    # scheduled while paused: a1's successor a2 waits.
    complete(executor, wf_id, "a1", {"a": 1})
    complete(executor, wf_id, "b1", {"b": 1})
    run = support.get_workflow(wc, wf_id)
    assert run.status == "PAUSED"
    assert shape(run) == [("fan", "FORK", "COMPLETED"), ("a1", T, "COMPLETED"),
                          ("b1", T, "COMPLETED"), ("fan_join", "JOIN", "IN_PROGRESS")]

    executor.resume(wf_id)
    run = wait_shape(wc, wf_id, [("fan", "FORK", "COMPLETED"), ("a1", T, "COMPLETED"),
                                 ("b1", T, "COMPLETED"), ("fan_join", "JOIN", "IN_PROGRESS"),
                                 ("a2", T, "SCHEDULED")], "a2 scheduled on resume")
    assert run.status == "RUNNING"

    # Pause again with the JOIN about to complete: completing a2 while paused does not
    # schedule `after`; resume does.
    executor.pause(wf_id)
    complete(executor, wf_id, "a2", {"a": 2})
    run = support.get_workflow(wc, wf_id)
    assert run.status == "PAUSED"
    assert support.tasks_by_ref(run, "after") == []
    executor.resume(wf_id)
    run = support.wait_for(lambda: (lambda r: r if support.tasks_by_ref(r, "after") else None)(
        support.get_workflow(wc, wf_id)), "`after` scheduled on the second resume")
    assert support.last_task(run, "fan_join").status == "COMPLETED"
    assert support.last_task(run, "after").status == "SCHEDULED"
    complete(executor, wf_id, "after")
    run = support.get_workflow(wc, wf_id)
    assert run.status == "COMPLETED"
    assert run.output == {"joined": {"a2": {"a": 2}, "b1": {"b": 1}}}


def test_retry_failed_sub_workflow_parent_with_resume(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    child = new_workflow(executor, "sdk_op_retry_child")
    child >> SimpleTask(task_name, "c1") >> SimpleTask(task_name, "c2")
    child.output_parameters({"c2": "${c2.output.v}"})
    child.register(overwrite=True)
    parent = new_workflow(executor, "sdk_op_retry_parent")
    parent >> SubWorkflowTask("sub", child.name, version=1) >> SimpleTask(task_name, "after")
    wf_id = register_and_start(executor, parent)

    kid = child_of(wc, wf_id, "sub")
    kid_id = kid.workflow_id
    wait_shape(wc, kid_id, [("c1", T, "SCHEDULED")])
    complete(executor, kid_id, "c1")
    complete(executor, kid_id, "c2", {"v": "bad"}, status="FAILED")
    assert support.get_workflow(wc, kid_id).status == "FAILED"
    run = support.wait_for_status(wc, wf_id, "FAILED")
    assert shape(run) == [("sub", "SUB_WORKFLOW", "FAILED")]
    sub_task_id = run.tasks[0].task_id
    failed_c2 = support.last_task(support.get_workflow(wc, kid_id), "c2").task_id

    # POST /workflow/{parent}/retry?resumeSubworkflowTasks=true: the failed task of the child is
    # retried in place (same child id), and the parent's SUB_WORKFLOW task is reopened in place.
    wc.retry_workflow(wf_id, resume_subworkflow_tasks=True)
    kid_run = support.wait_for_status(wc, kid_id, "RUNNING")
    assert shape(kid_run) == [("c1", T, "COMPLETED"), ("c2", T, "FAILED"), ("c2", T, "SCHEDULED")]
    assert kid_run.tasks[2].retried_task_id == failed_c2
    run = support.wait_for_status(wc, wf_id, "RUNNING")
    assert shape(run) == [("sub", "SUB_WORKFLOW", "IN_PROGRESS")]
    assert run.tasks[0].task_id == sub_task_id
    assert run.tasks[0].sub_workflow_id == kid_id
    assert not run.failed_reference_task_names
    assert not run.reason_for_incompletion

    complete(executor, kid_id, "c2", {"v": "good"})
    assert support.get_workflow(wc, kid_id).status == "COMPLETED"
    run = wait_shape(wc, wf_id, [("sub", "SUB_WORKFLOW", "COMPLETED"), ("after", T, "SCHEDULED")],
                     "the parent going on after the retried child completed")
    assert run.tasks[0].output_data == {"subWorkflowId": kid_id, "c2": "good"}
    complete(executor, wf_id, "after")
    assert support.get_workflow(wc, wf_id).status == "COMPLETED"


def test_retry_failed_sub_workflow_parent_without_resume_starts_new_child(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    child = new_workflow(executor, "sdk_op_retry2_child")
    child >> SimpleTask(task_name, "c1")
    child.register(overwrite=True)
    parent = new_workflow(executor, "sdk_op_retry2_parent")
    parent >> SubWorkflowTask("sub", child.name, version=1)
    wf_id = register_and_start(executor, parent)
    old_kid = child_of(wc, wf_id, "sub").workflow_id
    wait_shape(wc, old_kid, [("c1", T, "SCHEDULED")])
    complete(executor, old_kid, "c1", status="FAILED")
    run = support.wait_for_status(wc, wf_id, "FAILED")
    old_task = run.tasks[0]

    executor.retry(wf_id)  # resume_subworkflow_tasks not set: a new SUB_WORKFLOW task, a new child
    run = support.wait_for(lambda: (lambda r: r if len(r.tasks) == 2 and r.tasks[1].sub_workflow_id else None)(
        support.get_workflow(wc, wf_id)), "a second SUB_WORKFLOW task with a new child")
    assert run.status == "RUNNING"
    assert shape(run) == [("sub", "SUB_WORKFLOW", "FAILED"), ("sub", "SUB_WORKFLOW", "IN_PROGRESS")]
    assert run.tasks[1].retried_task_id == old_task.task_id
    new_kid = run.tasks[1].sub_workflow_id
    assert new_kid != old_kid
    assert support.get_workflow(wc, old_kid).status == "FAILED"
    wait_shape(wc, new_kid, [("c1", T, "SCHEDULED")])
    complete(executor, new_kid, "c1")
    support.wait_for_status(wc, wf_id, "COMPLETED")


def test_terminate_parent_terminates_running_child(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    child = new_workflow(executor, "sdk_op_term_child")
    child >> SimpleTask(task_name, "c1")
    child.register(overwrite=True)
    parent = new_workflow(executor, "sdk_op_term_parent")
    parent >> ForkTask("fan", [[SubWorkflowTask("sub", child.name, version=1)], [SimpleTask(task_name, "side")]],
                       join_on=["sub", "side"])
    wf_id = register_and_start(executor, parent)
    kid_id = child_of(wc, wf_id, "sub").workflow_id
    wait_shape(wc, kid_id, [("c1", T, "SCHEDULED")])

    executor.terminate(wf_id, reason="stopping the tree")
    run = support.get_workflow(wc, wf_id)
    assert run.status == "TERMINATED"
    assert run.reason_for_incompletion == "stopping the tree"
    assert shape(run) == [("fan", "FORK", "COMPLETED"), ("sub", "SUB_WORKFLOW", "CANCELED"),
                          ("side", T, "CANCELED"), ("fan_join", "JOIN", "CANCELED")]
    kid = support.wait_for_status(wc, kid_id, "TERMINATED")
    assert shape(kid) == [("c1", T, "CANCELED")]
    assert "Parent workflow has been terminated with reason: stopping the tree" in (kid.reason_for_incompletion or "")


def test_terminating_the_child_terminates_the_parent(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    child = new_workflow(executor, "sdk_op_killed_child")
    child >> SimpleTask(task_name, "c1")
    child.register(overwrite=True)
    parent = new_workflow(executor, "sdk_op_killed_parent")
    parent >> SubWorkflowTask("sub", child.name, version=1) >> SimpleTask(task_name, "after")
    wf_id = register_and_start(executor, parent)
    kid_id = child_of(wc, wf_id, "sub").workflow_id
    wait_shape(wc, kid_id, [("c1", T, "SCHEDULED")])

    wc.terminate_workflow(kid_id, reason="child stopped")
    assert support.get_workflow(wc, kid_id).status == "TERMINATED"
    # SubWorkflowSpec "terminating a subworkflow terminates parent": the SUB_WORKFLOW task is
    # CANCELED and the parent TERMINATED (not FAILED), with the child's reason.
    run = support.wait_for_status(wc, wf_id, "TERMINATED")
    assert shape(run) == [("sub", "SUB_WORKFLOW", "CANCELED")]
    assert "child stopped" in (run.tasks[0].reason_for_incompletion or "")
    assert "child stopped" in (run.reason_for_incompletion or "")


def test_pausing_the_parent_does_not_pause_the_child(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    child = new_workflow(executor, "sdk_op_paused_child")
    child >> SimpleTask(task_name, "c1")
    child.output_parameters({"v": "${c1.output.v}"})
    child.register(overwrite=True)
    parent = new_workflow(executor, "sdk_op_paused_parent")
    parent >> SubWorkflowTask("sub", child.name, version=1) >> SimpleTask(task_name, "after")
    wf_id = register_and_start(executor, parent)
    kid_id = child_of(wc, wf_id, "sub").workflow_id
    wait_shape(wc, kid_id, [("c1", T, "SCHEDULED")])

    executor.pause(wf_id)
    assert support.get_workflow(wc, kid_id).status == "RUNNING"  # pause is not propagated
    complete(executor, kid_id, "c1", {"v": 7})
    assert support.get_workflow(wc, kid_id).status == "COMPLETED"
    # The child's end still reaches the paused parent's SUB_WORKFLOW task; nothing is scheduled
    # after it until resume.
    run = wait_shape(wc, wf_id, [("sub", "SUB_WORKFLOW", "COMPLETED")], "the SUB_WORKFLOW task completed while paused")
    assert run.status == "PAUSED"
    executor.resume(wf_id)
    run = wait_shape(wc, wf_id, [("sub", "SUB_WORKFLOW", "COMPLETED"), ("after", T, "SCHEDULED")],
                     "`after` scheduled on resume")
    assert run.tasks[0].output_data == {"subWorkflowId": kid_id, "v": 7}


def test_rerun_from_task_inside_fork(executor, wc, task_name):
    T = task_name  # a SIMPLE task's taskType is its task definition's name
    wf = fork_flow(executor, task_name, "sdk_op_rerun_fork")
    wf_id = register_and_start(executor, wf)
    complete(executor, wf_id, "a1", {"a": 1})
    complete(executor, wf_id, "b1", {"b": 1})
    complete(executor, wf_id, "a2", {"a": 2})
    wait_shape(wc, wf_id, [("fan", "FORK", "COMPLETED"), ("a1", T, "COMPLETED"),
                           ("b1", T, "COMPLETED"), ("fan_join", "JOIN", "COMPLETED"),
                           ("a2", T, "COMPLETED"), ("after", T, "SCHEDULED")])
    complete(executor, wf_id, "after")
    run = support.wait_for_status(wc, wf_id, "COMPLETED")
    a1 = support.last_task(run, "a1")
    b1 = support.last_task(run, "b1")
    join = support.last_task(run, "fan_join")

    # Rerun from a1 (in the first branch) with new input.
    returned = executor.rerun(RerunWorkflowRequest(re_run_from_task_id=a1.task_id, task_input={"again": True}), wf_id)
    assert returned == wf_id
    run = support.get_workflow(wc, wf_id)
    assert run.status == "RUNNING"
    # a1 is reset in place with the new input; what followed it in its branch and after the
    # JOIN is gone; the other branch keeps its completed task; the JOIN is open again.
    assert shape(run) == [("fan", "FORK", "COMPLETED"), ("a1", T, "SCHEDULED"),
                          ("b1", T, "COMPLETED"), ("fan_join", "JOIN", "IN_PROGRESS")]
    assert run.tasks[1].task_id == a1.task_id
    assert run.tasks[1].input_data == {"again": True}
    assert not run.tasks[1].output_data
    assert run.tasks[2].task_id == b1.task_id and run.tasks[2].output_data == {"b": 1}
    assert run.tasks[3].task_id == join.task_id
    assert not run.output

    complete(executor, wf_id, "a1", {"a": "one"})
    complete(executor, wf_id, "a2", {"a": "two"})
    run = wait_shape(wc, wf_id, [("fan", "FORK", "COMPLETED"), ("a1", T, "COMPLETED"),
                                 ("b1", T, "COMPLETED"), ("fan_join", "JOIN", "COMPLETED"),
                                 ("a2", T, "COMPLETED"), ("after", T, "SCHEDULED")],
                     "the branch re-run and the JOIN completed again")
    assert support.last_task(run, "fan_join").output_data == {"a2": {"a": "two"}, "b1": {"b": 1}}
    complete(executor, wf_id, "after")
    run = support.get_workflow(wc, wf_id)
    assert run.status == "COMPLETED"
    assert run.output == {"joined": {"a2": {"a": "two"}, "b1": {"b": 1}}}
