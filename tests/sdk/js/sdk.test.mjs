// Compatibility suite: fermata driven by the official Conductor JavaScript SDK
// (@io-orkes/conductor-javascript 4.0.0). Run with ./run.sh or `node --test`.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  recordingClient,
  waitFor,
  summarize,
  expectSdkError,
  sleep,
} from "./harness.mjs";
import {
  MetadataClient,
  NonRetryableException,
  OrkesClients,
  TaskClient,
  TaskManager,
  WorkflowExecutor,
  noopLogger,
  orkesConductorClient,
} from "@io-orkes/conductor-javascript";

const OWNER = "sdk-js@fermata.test";
const TASK_A = "js_sdk_task_a";
const TASK_B = "js_sdk_task_b";
const TASK_C = "js_sdk_task_c";
const WORKER_TASK = "js_sdk_worker_double";
const WORKER_FAIL_TASK = "js_sdk_worker_fail";
const TWO_STEP = "js_sdk_two_step";
const RESTARTABLE = "js_sdk_restartable";
const WORKER_WF = "js_sdk_worker_flow";
const WORKER_FAIL_WF = "js_sdk_worker_fail_flow";

const simple = (name, ref, inputParameters = {}) => ({ name, taskReferenceName: ref, type: "SIMPLE", inputParameters });

const taskDef = (name) => ({
  name,
  retryCount: 0, // a FAILED task fails the workflow at once
  timeoutSeconds: 0,
  responseTimeoutSeconds: 3600,
  timeoutPolicy: "TIME_OUT_WF",
  retryLogic: "FIXED",
  retryDelaySeconds: 0,
  ownerEmail: OWNER,
});

const twoStepDef = {
  name: TWO_STEP,
  version: 1,
  schemaVersion: 2,
  ownerEmail: OWNER,
  restartable: true,
  inputParameters: ["who"],
  outputParameters: { first: "${t1.output.k}", second: "${t2.output}" },
  tasks: [simple(TASK_A, "t1", { who: "${workflow.input.who}" }), simple(TASK_B, "t2", { fromT1: "${t1.output.k}" })],
};

let server;
let sdk; // recorder for the main client: { client, calls }
let executor;
let metadata;
let tasks;

const wfGet = (id) => executor.getWorkflow(id, true);
const byRef = (wf, ref) => wf.tasks.filter((t) => t.referenceTaskName === ref);
const waitStatus = (id, status, timeoutMs = 10000) =>
  waitFor(() => wfGet(id), (wf) => wf.status === status, { timeoutMs, what: `workflow ${id} to be ${status}` });

before(async () => {
  server = await startServer();
  // OrkesClients.from is the SDK's factory; the recorder wraps a client made by createConductorClient.
  sdk = await recordingClient(server.url);
  const clients = new OrkesClients(sdk.client);
  executor = clients.getWorkflowClient();
  metadata = clients.getMetadataClient();
  tasks = clients.getTaskClient();
  assert.ok(executor instanceof WorkflowExecutor);
  assert.ok(metadata instanceof MetadataClient);
  assert.ok(tasks instanceof TaskClient);
});

after(async () => {
  if (server) await server.stop();
});

describe("metadata", () => {
  test("registerTasks, registerWorkflowDef and getWorkflowDef round-trip", async () => {
    await metadata.registerTasks([TASK_A, TASK_B, TASK_C, WORKER_TASK, WORKER_FAIL_TASK].map(taskDef));
    const td = await metadata.getTask(TASK_A);
    assert.equal(td.name, TASK_A);
    assert.equal(td.retryCount, 0);

    await metadata.registerWorkflowDef(twoStepDef, true);
    const def = await metadata.getWorkflowDef(TWO_STEP, 1);
    assert.equal(def.name, TWO_STEP);
    assert.equal(def.version, 1);
    assert.deepEqual(def.tasks.map((t) => t.taskReferenceName), ["t1", "t2"]);
    assert.deepEqual(def.outputParameters, twoStepDef.outputParameters);

    // WorkflowExecutor.registerWorkflow is the other registration path (POST /api/metadata/workflow?overwrite=).
    await executor.registerWorkflow(true, {
      name: RESTARTABLE,
      version: 1,
      schemaVersion: 2,
      ownerEmail: OWNER,
      tasks: [simple(TASK_A, "r1")],
    });
    const r = await metadata.getWorkflowDef(RESTARTABLE);
    assert.equal(r.version, 1);
    assert.deepEqual(r.tasks.map((t) => t.taskReferenceName), ["r1"]);
  });

  test("OrkesClients.from (URL with a trailing /api/) sees the same definitions", async () => {
    const clients = await OrkesClients.from({ serverUrl: `${server.url}/api/` });
    const md = clients.getMetadataClient();
    const all = await md.getAllWorkflowDefs();
    assert.ok(Array.isArray(all), `getAllWorkflowDefs should return a list, got ${JSON.stringify(all)}`);
    assert.ok(all.some((d) => d.name === TWO_STEP), "the registered definition is listed");
    const taskDefs = await md.getAllTaskDefs();
    assert.ok(taskDefs.some((d) => d.name === TASK_A));
  });
});

describe("workflow lifecycle", () => {
  test("startWorkflow, getWorkflow/getExecution/getWorkflowStatus, complete by ref name and TaskClient.updateTaskResult", async () => {
    const id = await executor.startWorkflow({ name: TWO_STEP, version: 1, input: { who: "js" }, correlationId: "corr-js-1" });
    assert.equal(typeof id, "string", `startWorkflow should return the id as a string, got ${JSON.stringify(id)}`);
    assert.match(id, /^[0-9A-Za-z-]+$/);
    const start = sdk.calls.findLast((c) => c.method === "POST" && c.path === "/api/workflow");
    assert.match(start.contentType, /^text\/plain/);

    let wf = await executor.getWorkflow(id, true);
    assert.equal(wf.workflowId, id);
    assert.equal(wf.workflowName, TWO_STEP);
    assert.equal(wf.workflowVersion, 1);
    assert.equal(wf.status, "RUNNING");
    assert.equal(wf.correlationId, "corr-js-1");
    assert.deepEqual(wf.input, { who: "js" });
    assert.equal(wf.tasks.length, 1, JSON.stringify(summarize(wf)));
    assert.equal(wf.tasks[0].referenceTaskName, "t1");
    assert.equal(wf.tasks[0].taskType, TASK_A);
    assert.equal(wf.tasks[0].status, "SCHEDULED");
    assert.deepEqual(wf.tasks[0].inputData, { who: "js" });

    const exec = await executor.getExecution(id);
    assert.equal(exec.workflowId, id);
    assert.equal(exec.tasks.length, 1);

    const noTasks = await executor.getWorkflow(id, false);
    assert.equal(noTasks.status, "RUNNING");
    assert.ok(!noTasks.tasks || noTasks.tasks.length === 0, "includeTasks=false should leave tasks out");

    const st = await executor.getWorkflowStatus(id, true, true);
    assert.equal(st.workflowId, id);
    assert.equal(st.status, "RUNNING");
    assert.equal(st.correlationId, "corr-js-1");

    // WorkflowExecutor.updateTaskByRefName: the body is the output map itself; the answer is the task id as text.
    const t1Id = wf.tasks[0].taskId;
    const updated = await executor.updateTaskByRefName("t1", id, "COMPLETED", { k: "v" });
    assert.equal(updated, t1Id);

    wf = await wfGet(id);
    assert.equal(wf.status, "RUNNING");
    assert.deepEqual(wf.tasks.map((t) => [t.referenceTaskName, t.status]), [["t1", "COMPLETED"], ["t2", "SCHEDULED"]]);
    assert.deepEqual(byRef(wf, "t1")[0].outputData, { k: "v" });
    assert.deepEqual(byRef(wf, "t2")[0].inputData, { fromT1: "v" });

    // TaskClient.updateTaskResult wraps the output as {"outputData": ...}; Conductor stores that body verbatim.
    const t2Id = byRef(wf, "t2")[0].taskId;
    const res = await tasks.updateTaskResult(id, "t2", "COMPLETED", { x: 1 });
    assert.equal(res, t2Id);

    wf = await wfGet(id);
    assert.equal(wf.status, "COMPLETED", JSON.stringify(summarize(wf)));
    assert.deepEqual(byRef(wf, "t2")[0].outputData, { outputData: { x: 1 } });
    assert.deepEqual(wf.output, { first: "v", second: { outputData: { x: 1 } } });
    assert.ok(wf.endTime > 0);

    const task = await tasks.getTask(t2Id);
    assert.equal(task.taskId, t2Id);
    assert.equal(task.status, "COMPLETED");
  });

  test("startWorkflowByName passes version, correlationId and the input map", async () => {
    const id = await executor.startWorkflowByName(TWO_STEP, { who: "by-name" }, 1, "corr-by-name");
    assert.equal(typeof id, "string");
    const wf = await wfGet(id);
    assert.equal(wf.workflowName, TWO_STEP);
    assert.equal(wf.workflowVersion, 1);
    assert.equal(wf.correlationId, "corr-by-name");
    assert.deepEqual(wf.input, { who: "by-name" });
    assert.deepEqual(wf.tasks.map((t) => [t.referenceTaskName, t.status]), [["t1", "SCHEDULED"]]);
    await executor.terminate(id, "done with by-name");
    assert.equal((await wfGet(id)).status, "TERMINATED");
  });

  test("pause holds the workflow, updateTask while paused does not advance it, resume schedules the next task, terminate with reason", async () => {
    const id = await executor.startWorkflow({ name: TWO_STEP, version: 1, input: { who: "pause" } });
    await executor.pause(id);
    let wf = await wfGet(id);
    assert.equal(wf.status, "PAUSED");

    // Pausing twice is a no-op.
    await executor.pause(id);
    assert.equal((await wfGet(id)).status, "PAUSED");

    // WorkflowExecutor.updateTask (POST /api/tasks with a TaskResult).
    const t1 = byRef(wf, "t1")[0];
    const updated = await executor.updateTask(t1.taskId, id, "COMPLETED", { k: "paused" });
    assert.equal(updated, t1.taskId);
    wf = await wfGet(id);
    assert.equal(wf.status, "PAUSED");
    assert.deepEqual(wf.tasks.map((t) => [t.referenceTaskName, t.status]), [["t1", "COMPLETED"]], "nothing is scheduled while paused");

    await executor.resume(id);
    wf = await wfGet(id);
    assert.equal(wf.status, "RUNNING");
    assert.deepEqual(wf.tasks.map((t) => [t.referenceTaskName, t.status]), [["t1", "COMPLETED"], ["t2", "SCHEDULED"]]);

    await executor.terminate(id, "stopped by the JS SDK test");
    wf = await wfGet(id);
    assert.equal(wf.status, "TERMINATED");
    assert.equal(wf.reasonForIncompletion, "stopped by the JS SDK test");
    assert.equal(byRef(wf, "t2")[0].status, "CANCELED");
    assert.equal(byRef(wf, "t1")[0].status, "COMPLETED");
    assert.ok(wf.endTime > 0);
  });

  test("restart with useLatestDefinitions picks up the newest definition", async () => {
    const id = await executor.startWorkflow({ name: RESTARTABLE, version: 1, input: { n: 1 } });
    let wf = await wfGet(id);
    const oldTaskId = wf.tasks[0].taskId;
    await executor.terminate(id, "before restart");
    assert.equal((await wfGet(id)).status, "TERMINATED");

    // Version 2 appends a second task.
    await executor.registerWorkflow(true, {
      name: RESTARTABLE,
      version: 2,
      schemaVersion: 2,
      ownerEmail: OWNER,
      tasks: [simple(TASK_A, "r1"), simple(TASK_C, "r2")],
    });

    const terminated = await wfGet(id);
    assert.ok(terminated.endTime > 0);
    await sleep(5);
    await executor.restart(id, true);
    wf = await wfGet(id);
    assert.equal(wf.workflowId, id);
    assert.equal(wf.status, "RUNNING");
    assert.equal(wf.workflowVersion, 2, "useLatestDefinitions=true should move the workflow to version 2");
    assert.ok(!wf.reasonForIncompletion, `reason should be cleared, got ${wf.reasonForIncompletion}`);
    assert.ok(!wf.endTime, `endTime should be reset, got ${wf.endTime}`);
    assert.ok(wf.createTime > terminated.createTime, "restart sets createTime to now");
    assert.deepEqual(wf.input, { n: 1 });
    assert.equal(wf.tasks.length, 1, JSON.stringify(summarize(wf)));
    assert.equal(wf.tasks[0].referenceTaskName, "r1");
    assert.equal(wf.tasks[0].status, "SCHEDULED");
    assert.notEqual(wf.tasks[0].taskId, oldTaskId, "restart creates new task instances");

    // Error path: restart of a RUNNING workflow is a conflict.
    await expectSdkError(sdk, () => executor.restart(id, false), {
      status: 409,
      method: "POST",
      path: `/api/workflow/${id}/restart`,
      message: /not in terminal state/,
    });

    await executor.updateTaskByRefName("r1", id, "COMPLETED", { step: 1 });
    await executor.updateTaskByRefName("r2", id, "COMPLETED", { step: 2 });
    wf = await wfGet(id);
    assert.equal(wf.status, "COMPLETED", JSON.stringify(summarize(wf)));
    assert.deepEqual(wf.tasks.map((t) => [t.referenceTaskName, t.status]), [["r1", "COMPLETED"], ["r2", "COMPLETED"]]);
  });

  test("reRun with reRunFromTaskId resets that task in place and replaces its input", async () => {
    const id = await executor.startWorkflow({ name: TWO_STEP, version: 1, input: { who: "rerun" } });
    await executor.updateTaskByRefName("t1", id, "COMPLETED", { k: "one" });
    await executor.updateTaskByRefName("t2", id, "COMPLETED", { done: true });
    let wf = await wfGet(id);
    assert.equal(wf.status, "COMPLETED");
    const t1 = byRef(wf, "t1")[0];
    const t2 = byRef(wf, "t2")[0];

    const rerunId = await executor.reRun(id, { reRunFromTaskId: t2.taskId, taskInput: { again: true } });
    assert.equal(rerunId, id, "rerun answers the same workflow id as text");

    wf = await wfGet(id);
    assert.equal(wf.status, "RUNNING", JSON.stringify(summarize(wf)));
    assert.ok(!wf.endTime, `endTime should be reset, got ${wf.endTime}`);
    assert.deepEqual(wf.tasks.map((t) => [t.referenceTaskName, t.status]), [["t1", "COMPLETED"], ["t2", "SCHEDULED"]]);
    assert.equal(byRef(wf, "t1")[0].taskId, t1.taskId, "earlier tasks are kept as they were");
    assert.equal(byRef(wf, "t2")[0].taskId, t2.taskId, "the rerun task keeps its task id");
    assert.deepEqual(byRef(wf, "t2")[0].inputData, { again: true });

    await tasks.updateTaskResult(id, "t2", "COMPLETED", { second: "run" });
    wf = await wfGet(id);
    assert.equal(wf.status, "COMPLETED", JSON.stringify(summarize(wf)));
    assert.equal(wf.tasks.length, 2);
    assert.deepEqual(byRef(wf, "t2")[0].outputData, { outputData: { second: "run" } });

    // Error path: a reRunFromTaskId that is not a task of this workflow.
    await expectSdkError(sdk, () => executor.reRun(id, { reRunFromTaskId: "no-such-task-id" }), {
      status: 400,
      method: "POST",
      path: `/api/workflow/${id}/rerun`,
      message: /not found/i,
    });
  });

  test("retry of a FAILED workflow schedules a new instance of the failed task", async () => {
    const id = await executor.startWorkflow({ name: TWO_STEP, version: 1, input: { who: "retry" } });
    let wf = await wfGet(id);
    const failedId = wf.tasks[0].taskId;
    await executor.updateTaskByRefName("t1", id, "FAILED", { why: "boom" });
    wf = await waitStatus(id, "FAILED");
    assert.deepEqual(wf.tasks.map((t) => [t.referenceTaskName, t.status]), [["t1", "FAILED"]]);

    await executor.retry(id, false);
    wf = await wfGet(id);
    assert.equal(wf.status, "RUNNING", JSON.stringify(summarize(wf)));
    assert.ok(!wf.reasonForIncompletion, `reason should be cleared, got ${wf.reasonForIncompletion}`);
    assert.deepEqual(wf.tasks.map((t) => [t.referenceTaskName, t.status]), [["t1", "FAILED"], ["t1", "SCHEDULED"]]);
    const fresh = wf.tasks[1];
    assert.notEqual(fresh.taskId, failedId);
    assert.equal(fresh.retriedTaskId, failedId);
    assert.equal(fresh.retryCount, 1);
    assert.equal(wf.tasks[0].retried, true);

    await executor.updateTaskByRefName("t1", id, "COMPLETED", { k: "retried" });
    await executor.updateTaskByRefName("t2", id, "COMPLETED", {});
    wf = await wfGet(id);
    assert.equal(wf.status, "COMPLETED", JSON.stringify(summarize(wf)));
  });

  test("skipTasksFromWorkflow marks a future task SKIPPED and the workflow passes over it", async () => {
    const id = await executor.startWorkflow({ name: TWO_STEP, version: 1, input: { who: "skip" } });
    await executor.skipTasksFromWorkflow(id, "t2", { taskInput: { in: 1 }, taskOutput: { skipped: "yes" } });
    let wf = await wfGet(id);
    assert.equal(wf.status, "RUNNING");
    const skipped = byRef(wf, "t2");
    assert.equal(skipped.length, 1, JSON.stringify(summarize(wf)));
    assert.equal(skipped[0].status, "SKIPPED");

    await executor.updateTaskByRefName("t1", id, "COMPLETED", { k: "s" });
    wf = await wfGet(id);
    assert.equal(wf.status, "COMPLETED", JSON.stringify(summarize(wf)));
    assert.equal(byRef(wf, "t2").length, 1, "the skipped task is not scheduled again");
    assert.equal(byRef(wf, "t2")[0].status, "SKIPPED");
    assert.deepEqual(byRef(wf, "t2")[0].outputData, { skipped: "yes" }, "SkipTaskRequest.taskOutput (sent as JSON body by the JS SDK)");
    assert.deepEqual(byRef(wf, "t2")[0].inputData, { in: 1 }, "SkipTaskRequest.taskInput (sent as JSON body by the JS SDK)");
  });
});

describe("workers (TaskManager)", () => {
  test("a TaskManager worker polls /tasks/poll/batch and completes a two-task workflow via /tasks/update-v2", async () => {
    await metadata.registerWorkflowDef(
      {
        name: WORKER_WF,
        version: 1,
        schemaVersion: 2,
        ownerEmail: OWNER,
        outputParameters: { result: "${w2.output.doubled}" },
        tasks: [
          { name: WORKER_TASK, taskReferenceName: "w1", type: "SIMPLE", inputParameters: { n: "${workflow.input.n}" } },
          { name: WORKER_TASK, taskReferenceName: "w2", type: "SIMPLE", inputParameters: { n: "${w1.output.doubled}" } },
        ],
      },
      true,
    );

    // The worker gets its own client (orkesConductorClient is the alias of createConductorClient).
    const workerSdk = await recordingClient(server.url, orkesConductorClient);
    const seen = [];
    const manager = new TaskManager(
      workerSdk.client,
      [
        {
          taskDefName: WORKER_TASK,
          execute: async (task) => {
            seen.push(task.referenceTaskName);
            return { status: "COMPLETED", outputData: { doubled: task.inputData.n * 2 } };
          },
        },
      ],
      { logger: noopLogger, options: { workerID: "js-sdk-worker", pollInterval: 50, concurrency: 1 } },
    );
    manager.startPolling();
    let id;
    try {
      id = await executor.startWorkflow({ name: WORKER_WF, version: 1, input: { n: 3 } });
      const wf = await waitStatus(id, "COMPLETED", 15000);
      assert.deepEqual(wf.output, { result: 12 });
      assert.deepEqual(wf.tasks.map((t) => [t.referenceTaskName, t.status]), [["w1", "COMPLETED"], ["w2", "COMPLETED"]]);
      for (const t of wf.tasks) assert.equal(t.workerId, "js-sdk-worker");
      assert.deepEqual(byRef(wf, "w2")[0].inputData, { n: 6 });
    } finally {
      await manager.stopPolling();
    }
    assert.deepEqual(seen, ["w1", "w2"]);

    const polls = workerSdk.calls.filter((c) => c.method === "GET" && c.path === `/api/tasks/poll/batch/${WORKER_TASK}`);
    assert.ok(polls.length > 0, "the worker batch-polled");
    for (const p of polls) {
      assert.equal(p.status, 200, `batch poll answered ${p.status}`);
      assert.match(p.query, /workerid=js-sdk-worker/);
      assert.match(p.contentType || "", /application\/json/);
    }
    if (process.env.FERMATA_TEST_DEBUG) console.log(JSON.stringify(workerSdk.calls.filter((c) => c.method === "POST" || c.status !== 200)));
    const v2 = workerSdk.calls.filter((c) => c.method === "POST" && c.path === "/api/tasks/update-v2");
    assert.equal(v2.length, 2, `two update-v2 calls expected, saw ${JSON.stringify(workerSdk.calls.filter((c) => c.method === "POST"))}`);
    // The first update (w1 COMPLETED) schedules w2, which update-v2 hands straight back as the next task;
    // the second update finds nothing queued: 204.
    assert.equal(v2[0].status, 200, "update-v2 returns the next queued task");
    assert.match(v2[0].contentType || "", /application\/json/);
    assert.equal(v2[1].status, 204, "update-v2 with nothing queued answers 204");
    const legacy = workerSdk.calls.filter((c) => c.method === "POST" && c.path === "/api/tasks");
    assert.equal(legacy.length, 0, "the worker must not have fallen back to POST /api/tasks");
  });

  test("a worker that throws NonRetryableException fails the task with FAILED_WITH_TERMINAL_ERROR", async () => {
    await metadata.registerWorkflowDef(
      {
        name: WORKER_FAIL_WF,
        version: 1,
        schemaVersion: 2,
        ownerEmail: OWNER,
        tasks: [{ name: WORKER_FAIL_TASK, taskReferenceName: "f1", type: "SIMPLE", inputParameters: {} }],
      },
      true,
    );
    const workerSdk = await recordingClient(server.url);
    const manager = new TaskManager(
      workerSdk.client,
      [
        {
          taskDefName: WORKER_FAIL_TASK,
          execute: async () => {
            throw new NonRetryableException("cannot do this");
          },
        },
      ],
      { logger: noopLogger, options: { workerID: "js-sdk-failer", pollInterval: 50 } },
    );
    manager.startPolling();
    try {
      const id = await executor.startWorkflow({ name: WORKER_FAIL_WF, version: 1, input: {} });
      const wf = await waitStatus(id, "FAILED", 15000);
      const f1 = byRef(wf, "f1")[0];
      assert.equal(f1.status, "FAILED_WITH_TERMINAL_ERROR");
      assert.equal(f1.reasonForIncompletion, "cannot do this");
      assert.match(wf.reasonForIncompletion || "", /cannot do this/);
    } finally {
      await manager.stopPolling();
    }
  });
});

describe("error paths as surfaced by the SDK", () => {
  test("getWorkflow / getExecution / getWorkflowStatus of an unknown id: 404", async () => {
    const missing = "00000000-0000-0000-0000-00000000dead";
    await expectSdkError(sdk, () => executor.getWorkflow(missing, true), {
      status: 404,
      method: "GET",
      path: `/api/workflow/${missing}`,
      // Orkes' wording for this read (conductor-python's test_orkes_clients checks it).
      message: new RegExp(`Workflow with id: ${missing} not found\\.`),
    });
    await expectSdkError(sdk, () => executor.getExecution(missing), {
      status: 404,
      method: "GET",
      path: `/api/workflow/${missing}`,
    });
    await expectSdkError(sdk, () => executor.getWorkflowStatus(missing, false, false), {
      status: 404,
      method: "GET",
      path: `/api/workflow/${missing}/status`,
    });
    await expectSdkError(sdk, () => executor.terminate(missing, "x"), {
      status: 404,
      method: "DELETE",
      path: `/api/workflow/${missing}`,
    });
  });

  test("startWorkflow of an unregistered definition: 404", async () => {
    await expectSdkError(sdk, () => executor.startWorkflow({ name: "js_sdk_never_registered", version: 1, input: {} }), {
      status: 404,
      method: "POST",
      path: "/api/workflow",
    });
  });

  test("pause / terminate of a COMPLETED workflow: 409; update by ref name without a live task: 404", async () => {
    const id = await executor.startWorkflow({ name: TWO_STEP, version: 1, input: { who: "done" } });
    await executor.updateTaskByRefName("t1", id, "COMPLETED", { k: "d" });
    await executor.updateTaskByRefName("t2", id, "COMPLETED", {});
    assert.equal((await wfGet(id)).status, "COMPLETED");

    await expectSdkError(sdk, () => executor.pause(id), {
      status: 409,
      method: "PUT",
      path: `/api/workflow/${id}/pause`,
      message: /has ended/,
    });
    await expectSdkError(sdk, () => executor.terminate(id, "too late"), {
      status: 409,
      method: "DELETE",
      path: `/api/workflow/${id}`,
    });
    // fermata: updating by reference name when no task of that ref is live is a 404.
    await expectSdkError(sdk, () => executor.updateTaskByRefName("t1", id, "COMPLETED", {}), {
      status: 404,
      method: "POST",
      path: `/api/tasks/${id}/t1/COMPLETED`,
    });
    await expectSdkError(sdk, () => tasks.updateTaskResult(id, "t2", "COMPLETED", {}), {
      status: 404,
      method: "POST",
      path: `/api/tasks/${id}/t2/COMPLETED`,
    });
    assert.equal((await wfGet(id)).status, "COMPLETED");
  });

  test("resume of a RUNNING workflow: 409 (fermata); retry of a RUNNING workflow is refused", async () => {
    const id = await executor.startWorkflow({ name: TWO_STEP, version: 1, input: { who: "running" } });
    await expectSdkError(sdk, () => executor.resume(id), {
      status: 409,
      method: "PUT",
      path: `/api/workflow/${id}/resume`,
    });
    // Conductor answers 404 ("Workflow is still running.") here, a long-standing quirk.
    await expectSdkError(sdk, () => executor.retry(id, false), {
      status: 404,
      method: "POST",
      path: `/api/workflow/${id}/retry`,
      message: /still running/i,
    });
    assert.equal((await wfGet(id)).status, "RUNNING");
    await executor.terminate(id, "cleanup");
    assert.equal((await wfGet(id)).status, "TERMINATED");
    // Terminating an already TERMINATED workflow is a no-op.
    await executor.terminate(id, "again");
    const wf = await wfGet(id);
    assert.equal(wf.status, "TERMINATED");
    assert.equal(wf.reasonForIncompletion, "cleanup");
  });
});

describe("synchronous calls and schedules", () => {
  test("executeWorkflow waits for the named task; signal with BLOCKING_TASK finds the YIELD in a child", async () => {
    await metadata.registerWorkflowDef({
      name: "js_sdk_exec", version: 1, schemaVersion: 2, ownerEmail: OWNER,
      tasks: [
        { name: "sv", taskReferenceName: "sv", type: "SET_VARIABLE", inputParameters: { x: 1 } },
        simple(TASK_C, "work"),
      ],
    }, true);
    const run = await executor.executeWorkflow({ name: "js_sdk_exec", version: 1, input: {} }, "js_sdk_exec", 1, "js-req", "sv", 5);
    assert.equal(run.requestId, "js-req");
    assert.equal(run.status, "RUNNING");
    assert.deepEqual(run.variables, { x: 1 });

    await metadata.registerWorkflowDef({
      name: "js_sdk_yield_child", version: 1, schemaVersion: 2, ownerEmail: OWNER,
      tasks: [
        { name: "y1", taskReferenceName: "y1", type: "YIELD" },
        { name: "y2", taskReferenceName: "y2", type: "YIELD", inputParameters: { second: true } },
      ],
    }, true);
    await metadata.registerWorkflowDef({
      name: "js_sdk_yield_root", version: 1, schemaVersion: 2, ownerEmail: OWNER,
      tasks: [{ name: "sub", taskReferenceName: "sub", type: "SUB_WORKFLOW", subWorkflowParam: { name: "js_sdk_yield_child", version: 1 } }],
    }, true);
    const root = await executor.startWorkflow({ name: "js_sdk_yield_root", version: 1, input: {} });
    const blocking = await executor.signal(root, "COMPLETED", { by: "js" }, "BLOCKING_TASK");
    assert.equal(blocking.responseType, "BLOCKING_TASK");
    assert.equal(blocking.targetWorkflowId, root);
    assert.equal(blocking.referenceTaskName, "y2");
    assert.deepEqual(blocking.input, { second: true });
    await executor.signalAsync(root, "COMPLETED", { by: "js again" });
    await waitStatus(root, "COMPLETED");
  });

  test("SchedulerClient saves, pauses, resumes, previews and deletes a schedule", async () => {
    const scheduler = new OrkesClients(sdk.client).getSchedulerClient();
    await scheduler.saveSchedule({
      name: "js_sdk_schedule",
      cronExpression: "0 0 2 * * ?",
      startWorkflowRequest: { name: TWO_STEP, version: 1, input: {} },
    });
    const saved = await scheduler.getSchedule("js_sdk_schedule");
    assert.equal(saved.name, "js_sdk_schedule");
    assert.ok(saved.nextRunTime > Date.now());
    await scheduler.pauseSchedule("js_sdk_schedule");
    assert.equal((await scheduler.getSchedule("js_sdk_schedule")).paused, true);
    await scheduler.resumeSchedule("js_sdk_schedule");
    assert.equal((await scheduler.getSchedule("js_sdk_schedule")).paused, false);
    const next = await scheduler.getNextFewSchedules("0 0 * ? * *", Date.UTC(2026, 0, 1), undefined, 3);
    assert.deepEqual(next, [1, 2, 3].map((h) => Date.UTC(2026, 0, 1, h)));
    await scheduler.deleteSchedule("js_sdk_schedule");
    await expectSdkError(sdk, () => scheduler.getSchedule("js_sdk_schedule"), {
      status: 404,
      method: "GET",
      path: "/api/scheduler/schedules/js_sdk_schedule",
      message: /Schedule 'js_sdk_schedule' not found/,
    });
  });
});

test("no exchange answered with a 5xx", async () => {
  await sleep(0);
  const bad = sdk.calls.filter((c) => c.status >= 500);
  assert.deepEqual(bad, []);
});
