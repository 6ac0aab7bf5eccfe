// Unit tests of the UI's status rules (host/server/ui/lib/status.js): which actions a status
// offers and the "why it waits" sentences, for task types the server may not run yet (WAIT,
// HUMAN, HTTP with asyncComplete, plugin types, JOIN, DO_WHILE, sub-workflows nested in
// sub-workflows). No browser needed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// The module is plain ES with no imports; the UI folder has no package.json saying so, so it
// is loaded from its source text.
const source = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'host', 'server', 'ui', 'lib', 'status.js'), 'utf8');
const status = await import(`data:text/javascript,${encodeURIComponent(source)}`);

const T0 = Date.UTC(2026, 0, 5, 10, 42, 0);

/** A sentence as text, with times as ISO strings and task buttons as [update ref]. */
function text(parts) {
  return parts
    .map((p) => {
      if (typeof p === 'string') return p;
      if (p.code !== undefined) return `\`${p.code}\``;
      if (p.time !== undefined) return `@${new Date(p.time).toISOString().slice(11, 19)}`;
      if (p.task !== undefined) return p.workflowId ? `[update ${p.task} in ${p.workflowId}]` : `[update ${p.task}]`;
      if (p.workflow !== undefined) return `<${p.text}>`;
      if (p.href !== undefined) return `[${p.text}](${p.href})`;
      if (p.duration !== undefined) return `${p.prefix || ''}${p.duration}ms`;
      return '';
    })
    .join('')
    .trim();
}

const explain = (wf, signals = [], children = new Map()) => {
  const r = status.explain({ tasks: [], ...wf }, signals, children);
  return { kind: r.kind, title: r.title, text: r.sentences.map(text) };
};

const task = (fields) => ({ seq: 1, retryCount: 0, scheduledTime: T0, startTime: 0, endTime: 0, updateTime: T0, inputData: {}, outputData: {}, ...fields });

test('actions offered by status', () => {
  const ids = (s, extra = {}) => status.allowedActions({ status: s, ...extra }).map((a) => a.id);
  assert.deepEqual(ids('RUNNING'), ['pause', 'rerun', 'signal-sync', 'terminate']);
  assert.deepEqual(ids('PAUSED'), ['resume', 'rerun', 'terminate']);
  assert.deepEqual(ids('COMPLETED'), ['restart-current', 'restart-latest', 'rerun']);
  assert.deepEqual(ids('COMPLETED', { workflowDefinition: { restartable: false } }), ['rerun']);
  assert.deepEqual(ids('FAILED'), ['restart-current', 'restart-latest', 'rerun', 'retry', 'terminate']);
  assert.deepEqual(ids('TIMED_OUT'), ['restart-current', 'restart-latest', 'rerun', 'retry', 'terminate']);
  assert.deepEqual(ids('TERMINATED'), ['restart-current', 'restart-latest', 'rerun', 'retry']);
});

test('a WAIT task waiting for a signal', () => {
  const wf = { status: 'RUNNING', tasks: [task({ taskType: 'WAIT', referenceTaskName: 'approval', status: 'IN_PROGRESS', startTime: T0, workflowTask: { type: 'WAIT' } })] };
  assert.deepEqual(explain(wf), {
    kind: 'waiting',
    title: 'Why it is waiting',
    text: ['WAIT task `approval` waits for a signal since @10:42:00. [update approval]'],
  });
});

test('a timed WAIT task says until when', () => {
  const wf = {
    status: 'RUNNING',
    tasks: [task({ taskType: 'WAIT', referenceTaskName: 'cool_off', status: 'IN_PROGRESS', startTime: T0, waitTimeout: T0 + 3600e3, workflowTask: { type: 'WAIT' } })],
  };
  assert.match(explain(wf).text[0], /^WAIT task `cool_off` waits until @11:42:00 \(since @10:42:00\); a signal completes it earlier\./);
});

test('a WAIT_FOR_WEBHOOK task says which delivery it waits for', () => {
  const hook = (inputData) =>
    task({ taskType: 'WAIT_FOR_WEBHOOK', referenceTaskName: 'paid', status: 'IN_PROGRESS', startTime: T0, inputData, workflowTask: { type: 'WAIT_FOR_WEBHOOK' } });
  const wf = { status: 'RUNNING', workflowName: 'orders', tasks: [hook({ matches: { '$.orderId': 42, "$['event']['type']": 'paid' } })] };
  assert.deepEqual(explain(wf), {
    kind: 'waiting',
    title: 'Why it is waiting',
    text: [
      'WAIT_FOR_WEBHOOK task `paid` waits for a webhook delivery matching `$.orderId` = `42` and `$[\'event\'][\'type\']` = `"paid"` (sent to a [webhook](/ui/webhooks) whose receiver workflows include `orders`) since @10:42:00. [update paid]',
    ],
  });
  // Without `matches` the whole input is matched (the JS SDK spreads them there); many are cut short.
  const many = { status: 'RUNNING', workflowName: 'orders', tasks: [hook({ '$.a': 1, '$.b': 2, '$.c': 3, '$.d': 4, '$.e': 5, '$.f': 6 })] };
  assert.match(explain(many).text[0], /matching `\$\.a` = `1`, `\$\.b` = `2`, `\$\.c` = `3`, `\$\.d` = `4` and 2 more \(sent/);
  // Inside a child, the child's workflow is the receiver.
  const child = { workflowId: 'c1', workflowName: 'payments', status: 'RUNNING', tasks: [hook({ matches: { '$.x': 'y' } })] };
  const sub = task({ taskType: 'SUB_WORKFLOW', referenceTaskName: 'pay', status: 'IN_PROGRESS', startTime: T0, subWorkflowId: 'c1', workflowTask: { type: 'SUB_WORKFLOW' } });
  assert.match(
    explain({ status: 'RUNNING', workflowName: 'orders', tasks: [sub] }, [], new Map([['c1', child]])).text[0],
    /^SUB_WORKFLOW task `pay` waits for its child workflow <payments> \(running\): WAIT_FOR_WEBHOOK task `paid` waits for a webhook delivery matching `\$\.x` = `"y"` \(sent to a \[webhook\]\(\/ui\/webhooks\) whose receiver workflows include `payments`\)/,
  );
});

test('asyncComplete system tasks and plugin types wait to be completed from outside', () => {
  const http = task({ taskType: 'HTTP', referenceTaskName: 'call', status: 'IN_PROGRESS', startTime: T0, workflowTask: { type: 'HTTP', asyncComplete: true } });
  assert.deepEqual(explain({ status: 'RUNNING', tasks: [http] }).text, [
    'HTTP task `call` did its work and waits to be completed from outside (asyncComplete) since @10:42:00. [update call]',
  ]);
  // The input's asyncComplete wins over the definition's.
  const plugin = task({ taskType: 'MY_PLUGIN', referenceTaskName: 'p', status: 'IN_PROGRESS', startTime: T0, inputData: { asyncComplete: true }, workflowTask: { type: 'MY_PLUGIN' } });
  assert.match(explain({ status: 'RUNNING', tasks: [plugin] }).text[0], /^MY_PLUGIN task `p` did its work and waits to be completed from outside/);
  const queued = task({ taskType: 'KAFKA_PUBLISH', referenceTaskName: 'k', status: 'SCHEDULED', workflowTask: { type: 'KAFKA_PUBLISH' } });
  assert.deepEqual(explain({ status: 'RUNNING', tasks: [queued] }), {
    kind: 'running',
    title: 'What it is doing',
    text: ['KAFKA_PUBLISH task `k` is queued for the engine since @10:42:00.'],
  });
  const human = task({ taskType: 'HUMAN', referenceTaskName: 'h', status: 'IN_PROGRESS', startTime: T0, workflowTask: { type: 'HUMAN' } });
  assert.match(explain({ status: 'RUNNING', tasks: [human] }).text[0], /^HUMAN task `h` waits for a person/);
});

test('worker tasks: waiting for a poll, or being worked on', () => {
  const scheduled = task({ taskType: 'charge_payment', taskDefName: 'charge_payment', referenceTaskName: 'charge', status: 'SCHEDULED', workflowTask: { type: 'SIMPLE' } });
  assert.deepEqual(explain({ status: 'RUNNING', tasks: [scheduled] }).text, [
    'Task `charge` waits for a worker to poll task type `charge_payment` since @10:42:00. [update charge]',
  ]);
  const polled = { ...scheduled, status: 'IN_PROGRESS', startTime: T0 + 5000, workerId: 'worker-7' };
  assert.deepEqual(explain({ status: 'RUNNING', tasks: [polled] }).text, ['Task `charge` is being worked on by worker `worker-7` since @10:42:05. [update charge]']);
  // Without its workflowTask, a task whose type is its definition name is a worker task.
  const bare = task({ taskType: 'x', taskDefName: 'x', referenceTaskName: 'x_ref', status: 'SCHEDULED' });
  assert.match(explain({ status: 'RUNNING', tasks: [bare] }).text[0], /^Task `x_ref` waits for a worker/);
});

test('paused: by whom and when, from the signal log', () => {
  const signals = [
    { op: 'pause', at: T0 - 60000, caller: '10.0.0.1', status: 200 },
    { op: 'resume', at: T0 - 30000, caller: '10.0.0.1', status: 200 },
    { op: 'pause', at: T0 - 2000, caller: '127.0.0.1', status: 200 },
    { op: 'pause', at: T0, caller: '10.9.9.9', status: 409 },
  ];
  const r = explain({ status: 'PAUSED', updateTime: T0 }, signals);
  assert.equal(r.kind, 'paused');
  assert.deepEqual(r.text, ['Paused by `127.0.0.1` at @10:41:58. Nothing new is scheduled until it is resumed.']);
});

test('ended: terminated by whom, failed with which task', () => {
  const terminated = explain(
    { status: 'TERMINATED', endTime: T0, reasonForIncompletion: 'customer cancelled' },
    [{ op: 'terminate', at: T0, caller: '127.0.0.1', status: 200 }],
  );
  assert.deepEqual(terminated, { kind: 'ended', title: 'Why it ended', text: ['Terminated by `127.0.0.1` at @10:42:00: customer cancelled.'] });
  const failed = explain({ status: 'FAILED', endTime: T0, reasonForIncompletion: 'boom', failedReferenceTaskNames: ['a', 'b'] });
  assert.deepEqual(failed.text, ['Failed at @10:42:00: boom. Failed tasks: `a`, `b`. Retry or re-run it from the Actions menu.']);
  assert.deepEqual(explain({ status: 'COMPLETED', startTime: T0 - 1500, endTime: T0 }).text, ['Completed at @10:42:00, after 1500ms.']);
});

test('running with nothing pending', () => {
  assert.deepEqual(explain({ status: 'RUNNING', tasks: [task({ referenceTaskName: 'a', status: 'COMPLETED' })] }).text, [
    'No task is pending: the engine is deciding the next step.',
  ]);
});

const subTask = (ref, childId, fields = {}) =>
  task({ taskType: 'SUB_WORKFLOW', taskDefName: 'child', referenceTaskName: ref, status: 'IN_PROGRESS', startTime: T0, subWorkflowId: childId, outputData: { subWorkflowId: childId }, workflowTask: { type: 'SUB_WORKFLOW', subWorkflowParam: { name: 'child' } }, ...fields });
const worker = (ref, fields = {}) => task({ taskType: `${ref}_def`, taskDefName: `${ref}_def`, referenceTaskName: ref, status: 'SCHEDULED', workflowTask: { type: 'SIMPLE' }, ...fields });

test('a waiting sub-workflow is explained by what waits inside its child, two levels down', () => {
  const leaf = { workflowId: 'leaf-id', workflowName: 'leaf', status: 'RUNNING', tasks: [worker('inner')] };
  const mid = { workflowId: 'mid-id', workflowName: 'mid', status: 'RUNNING', tasks: [subTask('sub2', 'leaf-id')] };
  const children = new Map([['mid-id', mid], ['leaf-id', leaf]]);
  const r = explain({ status: 'RUNNING', tasks: [subTask('sub', 'mid-id')] }, [], children);
  assert.equal(r.kind, 'waiting');
  assert.deepEqual(r.text, [
    'SUB_WORKFLOW task `sub` waits for its child workflow <mid> (running): SUB_WORKFLOW task `sub2` waits for its child workflow <leaf> (running): ' +
      'task `inner` waits for a worker to poll task type `inner_def` since @10:42:00. [update inner in leaf-id]',
  ]);
  // A child with two waiting tasks (a fork) gives a sentence for each.
  const forked = { ...leaf, tasks: [worker('left'), worker('right')] };
  const two = explain({ status: 'RUNNING', tasks: [subTask('sub2', 'leaf-id')] }, [], new Map([['leaf-id', forked]]));
  assert.equal(two.text.length, 2);
  assert.match(two.text[1], /: task `right` waits for a worker .* \[update right in leaf-id\]$/);
});

test('a sub-workflow whose child is not loaded, not started, or paused', () => {
  const unknown = explain({ status: 'RUNNING', tasks: [subTask('sub', 'c-1')] });
  assert.deepEqual(unknown.text, ['SUB_WORKFLOW task `sub` waits for its child workflow <child> to finish since @10:42:00.']);
  const queued = explain({ status: 'RUNNING', tasks: [subTask('sub', null, { status: 'SCHEDULED', outputData: {}, inputData: { subWorkflowName: 'billing' } })] });
  assert.deepEqual(queued, { kind: 'running', title: 'What it is doing', text: ['SUB_WORKFLOW task `sub` is queued to start its child workflow `billing` since @10:42:00.'] });
  const paused = { workflowId: 'c-1', workflowName: 'child', status: 'PAUSED', updateTime: T0, tasks: [] };
  const r = explain({ status: 'RUNNING', tasks: [subTask('sub', 'c-1')] }, [], new Map([['c-1', paused]]));
  assert.equal(r.kind, 'waiting');
  assert.deepEqual(r.text, ['SUB_WORKFLOW task `sub` waits for its child workflow <child> (paused): paused since @10:42:00. Nothing new is scheduled until it is resumed.']);
});

test('JOIN and DO_WHILE say what they wait for, without an Update task button', () => {
  const tasks = [
    task({ seq: 1, taskType: 'FORK', taskDefName: 'FORK', referenceTaskName: 'fork', status: 'COMPLETED', workflowTask: { type: 'FORK_JOIN' } }),
    worker('a', { seq: 2, status: 'COMPLETED' }),
    worker('b', { seq: 3 }),
    task({ seq: 4, taskType: 'JOIN', taskDefName: 'JOIN', referenceTaskName: 'join', status: 'IN_PROGRESS', inputData: { joinOn: ['a', 'b'] }, workflowTask: { type: 'JOIN' } }),
  ];
  assert.deepEqual(explain({ status: 'RUNNING', tasks }).text, [
    'Task `b` waits for a worker to poll task type `b_def` since @10:42:00. [update b]',
    'JOIN task `join` waits for `b` to finish.',
  ]);
  // Inside a loop the JOIN of iteration 2 looks at iteration 2's tasks only.
  const inLoop = [
    task({ seq: 1, taskType: 'DO_WHILE', taskDefName: 'loop', referenceTaskName: 'loop', status: 'IN_PROGRESS', iteration: 2, workflowTask: { type: 'DO_WHILE' } }),
    worker('a__1', { seq: 2, status: 'COMPLETED', iteration: 1 }),
    worker('a__2', { seq: 3, iteration: 2 }),
    task({ seq: 4, taskType: 'JOIN', taskDefName: 'JOIN', referenceTaskName: 'join__2', status: 'IN_PROGRESS', iteration: 2, inputData: { joinOn: ['a'] }, workflowTask: { type: 'JOIN' } }),
  ];
  assert.deepEqual(explain({ status: 'RUNNING', tasks: inLoop }).text, [
    "DO_WHILE task `loop` is in iteration 2; its condition is checked when the iteration's tasks are done.",
    'Task `a__2` waits for a worker to poll task type `a__2_def` since @10:42:00. [update a__2]',
    'JOIN task `join__2` waits for `a` to finish.',
  ]);
});

test('operators fermata ends itself offer no Update task panel', () => {
  const task = (type) => ({ taskType: type, workflowTask: { type } });
  for (const type of ['JOIN', 'DO_WHILE', 'SUB_WORKFLOW', 'SWITCH', 'EXCLUSIVE_JOIN']) {
    assert.equal(status.decidedByEngine(task(type)), true, type);
  }
  for (const type of ['SIMPLE', 'WAIT', 'HUMAN', 'HTTP']) {
    assert.equal(status.decidedByEngine(task(type)), false, type);
  }
});
