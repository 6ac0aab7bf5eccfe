// What statuses mean: which are terminal, which actions a workflow's status allows, and why
// an execution waits, in words. Written from task type, status and fields only, so it holds
// for worker (SIMPLE) tasks, system tasks (WAIT, WAIT_FOR_WEBHOOK, HUMAN, HTTP, EVENT, KAFKA_PUBLISH), plugin
// task types and operators (JOIN, DO_WHILE, SUB_WORKFLOW: the waiting task inside the child).
// No imports and no fetching: the page hands in the child workflows it loaded.

export const WORKFLOW_STATUSES = ['RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED'];
export const TERMINAL_WORKFLOW = new Set(['COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED']);
export const TERMINAL_TASK = new Set([
  'COMPLETED',
  'COMPLETED_WITH_ERRORS',
  'SKIPPED',
  'FAILED',
  'TIMED_OUT',
  'FAILED_WITH_TERMINAL_ERROR',
  'CANCELED',
]);
export const TASK_STATUSES = [
  'SCHEDULED',
  'IN_PROGRESS',
  'COMPLETED',
  'COMPLETED_WITH_ERRORS',
  'SKIPPED',
  'FAILED',
  'FAILED_WITH_TERMINAL_ERROR',
  'TIMED_OUT',
  'CANCELED',
];
/** The statuses the Update task panel offers (TaskResult.Status as the API takes it). */
export const UPDATE_STATUSES = ['COMPLETED', 'FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'IN_PROGRESS'];

export const isTerminalWorkflow = (status) => TERMINAL_WORKFLOW.has(status);
export const isTerminalTask = (status) => TERMINAL_TASK.has(status);

/**
 * The Actions menu entries a workflow's status allows, in menu order. Each: {id, label, hint}.
 * `restartable === false` forbids restarting a COMPLETED workflow (Conductor's rule).
 */
export function allowedActions(wf) {
  const s = wf.status;
  const terminal = isTerminalWorkflow(s);
  const restartable = !(s === 'COMPLETED' && wf.workflowDefinition && wf.workflowDefinition.restartable === false);
  const out = [];
  if (s === 'RUNNING') out.push({ id: 'pause', label: 'Pause', hint: 'Schedule nothing new until resumed' });
  if (s === 'PAUSED') out.push({ id: 'resume', label: 'Resume', hint: 'Continue where it was paused' });
  if (terminal && restartable) {
    out.push({ id: 'restart-current', label: 'Restart with current definitions', hint: 'Start over from the first task, same definition version' });
    out.push({ id: 'restart-latest', label: 'Restart with latest definitions', hint: 'Start over from the first task, latest definition version' });
  }
  // fermata allows re-run of running and paused workflows too (as Orkes does).
  out.push({ id: 'rerun', label: 'Re-run…', hint: 'From the start or from one task, with new input' });
  if (s === 'FAILED' || s === 'TIMED_OUT' || s === 'TERMINATED') {
    out.push({ id: 'retry', label: 'Retry from failed task…', hint: 'Schedule the failed or canceled tasks again' });
  }
  // The server looks for the open YIELD or WAIT (down into running children) and answers 404
  // when there is none: the menu cannot know cheaply, so it is offered whenever it runs.
  if (s === 'RUNNING') out.push({ id: 'signal-sync', label: 'Signal (sync)…', hint: 'Complete the open YIELD or WAIT and wait for the answer' });
  if (s === 'RUNNING' || s === 'PAUSED' || s === 'FAILED' || s === 'TIMED_OUT') {
    out.push({ id: 'terminate', label: 'Terminate…', hint: 'Cancel its pending tasks and end it', danger: true });
  }
  return out;
}

/** The definition's type of a task: SIMPLE for worker tasks, else the system or plugin type. */
export function taskKind(task) {
  const wt = task.workflowTask || {};
  if (wt.type) return wt.type;
  // Without its workflowTask, a worker task's taskType is its definition name.
  if (task.taskType && task.taskDefName && task.taskType === task.taskDefName) return 'SIMPLE';
  return task.taskType || 'SIMPLE';
}

/** Operators fermata itself ends (a JOIN when its branches end, a SUB_WORKFLOW when its
 * child does): the Update task panel is not offered for them. */
const DECIDED = new Set(['JOIN', 'EXCLUSIVE_JOIN', 'DO_WHILE', 'SWITCH', 'DECISION', 'FORK_JOIN', 'FORK_JOIN_DYNAMIC', 'SUB_WORKFLOW']);

export function decidedByEngine(task) {
  return DECIDED.has(taskKind(task));
}

/** Whether a task only completes from outside (asyncComplete: input key first, then the definition). */
export function isAsyncComplete(task) {
  const input = task.inputData || {};
  if (Object.prototype.hasOwnProperty.call(input, 'asyncComplete')) return input.asyncComplete === true || input.asyncComplete === 'true';
  return !!(task.workflowTask && task.workflowTask.asyncComplete);
}

/** The live (latest, non-retried) task for each reference name; loop suffixes `__N` stripped. */
export function latestByRef(tasks) {
  const map = new Map();
  for (const t of tasks || []) {
    const ref = baseRef(t.referenceTaskName);
    const prev = map.get(ref);
    if (!prev || (t.seq || 0) >= (prev.seq || 0)) map.set(ref, t);
  }
  return map;
}

export const baseRef = (ref) => String(ref || '').replace(/__\d+$/, '');

/** The child workflow id of a SUB_WORKFLOW task (Conductor sets the field and the output key). */
export function subWorkflowId(task) {
  return task.subWorkflowId || (task.outputData || {}).subWorkflowId || (task.inputData || {}).subWorkflowId || null;
}

const okStatus = (s) => s >= 200 && s < 300;

/** The latest successful signal of one of `ops` in the log, or null. */
export function lastSignal(signals, ...ops) {
  let found = null;
  for (const s of signals || []) {
    if (ops.includes(s.op) && okStatus(s.status) && (!found || s.at >= found.at)) found = s;
  }
  return found;
}

// Children nested deeper than this are not followed (the page loads fewer anyway); it also
// stops a parent link loop in bad data.
const MAX_DEPTH = 6;

/**
 * Why the execution is where it is, as sentences. Each sentence is a list of parts: strings,
 * {code: text} (a name), {time: epochMs} (a moment), {workflow: id, text} (a link to another
 * execution), {href, text} (a link to another page of the UI), or {task: ref, workflowId?} (a task a person can complete from the Update task
 * panel, in this execution or in the child `workflowId`; rendered as a button by the page).
 * `children`: Map id → child workflow with its tasks; a waiting SUB_WORKFLOW task is explained
 * by what waits inside its child, recursively, as far as the map reaches.
 * Answers {kind: 'waiting'|'paused'|'running'|'ended', title, sentences}.
 */
export function explain(wf, signals, children = new Map(), depth = 0) {
  const status = wf.status;
  const tasks = wf.tasks || [];
  const sentences = [];
  if (isTerminalWorkflow(status)) {
    return { kind: 'ended', title: 'Why it ended', sentences: explainEnd(wf, signals) };
  }
  let kind = 'running';
  if (status === 'PAUSED') {
    kind = 'paused';
    const pause = lastSignal(signals, 'pause');
    if (pause) {
      sentences.push(['Paused by ', { code: pause.caller || 'an unknown caller' }, ' at ', { time: pause.at }, '. Nothing new is scheduled until it is resumed.']);
    } else {
      sentences.push(['Paused since ', { time: wf.updateTime }, '. Nothing new is scheduled until it is resumed.']);
    }
  }
  const live = tasks.filter((t) => !isTerminalTask(t.status) && !t.retried);
  const ctx = { tasks, children, depth, workflowName: wf.workflowName };
  for (const task of live) {
    for (const s of explainTask(task, ctx)) {
      if (s.waiting && kind === 'running') kind = 'waiting';
      sentences.push(s.parts);
    }
  }
  if (!live.length && status === 'RUNNING') {
    sentences.push(['No task is pending: the engine is deciding the next step.']);
  }
  const title = kind === 'paused' ? 'Why it is paused' : kind === 'waiting' ? 'Why it is waiting' : 'What it is doing';
  return { kind, title, sentences };
}

/** Sentences ({waiting, parts}) for one pending task: one, or one per waiting task in a child. */
function explainTask(task, ctx) {
  const kind = taskKind(task);
  if (kind === 'SUB_WORKFLOW') return explainSubWorkflow(task, ctx);
  if (kind === 'JOIN' || kind === 'EXCLUSIVE_JOIN') return [explainJoin(task, kind, ctx)];
  if (kind === 'DO_WHILE' && task.status === 'IN_PROGRESS') {
    const n = task.iteration || 0;
    // The loop's body tasks have sentences of their own; the loop itself waits for nobody.
    return [{ waiting: false, parts: ['DO_WHILE task ', { code: task.referenceTaskName }, ` is in iteration ${n}; its condition is checked when the iteration's tasks are done.`] }];
  }
  return [explainPlain(task, kind, ctx)];
}

const sinceOf = (task) => (task.status === 'IN_PROGRESS' ? task.startTime || task.scheduledTime : task.scheduledTime || task.startTime);

function explainSubWorkflow(task, ctx) {
  const ref = task.referenceTaskName;
  const head = ['SUB_WORKFLOW task ', { code: ref }];
  const since = sinceOf(task);
  const id = subWorkflowId(task);
  const param = (task.workflowTask || {}).subWorkflowParam || {};
  const name = (task.inputData || {}).subWorkflowName || param.name;
  if (!id) {
    return [{ waiting: false, parts: [...head, ' is queued to start its child workflow ', { code: name || 'inline' }, ' since ', { time: since }, '.'] }];
  }
  const child = ctx.children.get(id);
  const link = { workflow: id, text: child ? child.workflowName : name || id };
  if (!child || ctx.depth + 1 >= MAX_DEPTH) {
    return [{ waiting: true, parts: [...head, ' waits for its child workflow ', link, ' to finish since ', { time: since }, '.'] }];
  }
  const inner = explain(child, [], ctx.children, ctx.depth + 1);
  const waiting = inner.kind === 'waiting' || inner.kind === 'paused';
  return inner.sentences.map((sentence) => ({
    waiting,
    parts: [...head, ' waits for its child workflow ', link, ` (${child.status.toLowerCase()}): `, ...inChild(sentence, id)],
  }));
}

/** A child's sentence continued after a colon: lower-case first word, task buttons aimed at the child. */
function inChild(sentence, childId) {
  return sentence.map((p, i) => {
    // "Task x" → "task x", but "WAIT task x" and "SUB_WORKFLOW task x" keep their type names.
    if (i === 0 && typeof p === 'string' && /^[A-Z][a-z]/.test(p)) return p[0].toLowerCase() + p.slice(1);
    if (p && typeof p === 'object' && p.task !== undefined && !p.workflowId) return { ...p, workflowId: childId };
    return p;
  });
}

function explainJoin(task, kind, ctx) {
  const ref = task.referenceTaskName;
  const joinOn = (task.inputData || {}).joinOn || [];
  // Inside a loop the JOIN is ref__N and joins the tasks of its own iteration.
  const n = task.iteration || 0;
  const latest = latestByRef(n ? ctx.tasks.filter((t) => t.iteration === n) : ctx.tasks);
  const open = joinOn.filter((r) => {
    const t = latest.get(baseRef(r));
    return !t || !isTerminalTask(t.status);
  });
  if (!open.length) return { waiting: false, parts: [`${kind} task `, { code: ref }, ' has all it joins and completes at its next check.'] };
  const list = open.flatMap((r, i) => (i ? [', ', { code: r }] : [{ code: r }]));
  return { waiting: false, parts: [`${kind} task `, { code: ref }, ' waits for ', ...list, ' to finish.'] };
}

function explainPlain(task, kind, ctx = {}) {
  const ref = task.referenceTaskName;
  const since = sinceOf(task);
  const callbackAt =
    task.callbackAfterSeconds > 0 ? (task.updateTime || task.startTime || task.scheduledTime) + task.callbackAfterSeconds * 1000 : 0;
  const name = (t) => (kind === 'SIMPLE' ? ['Task ', { code: ref }] : [`${t} task `, { code: ref }]);

  if (kind === 'WAIT' && task.status === 'IN_PROGRESS') {
    const until = task.waitTimeout > 0 ? task.waitTimeout : callbackAt;
    if (until) {
      return {
        waiting: true,
        parts: [...name('WAIT'), ' waits until ', { time: until }, ' (since ', { time: since }, '); a signal completes it earlier. ', { task: ref }],
      };
    }
    return { waiting: true, parts: [...name('WAIT'), ' waits for a signal since ', { time: since }, '. ', { task: ref }] };
  }
  if (kind === 'WAIT_FOR_WEBHOOK' && task.status === 'IN_PROGRESS') {
    const receiver = ctx.workflowName ? [' (sent to a ', { href: '/ui/webhooks', text: 'webhook' }, ' whose receiver workflows include ', { code: ctx.workflowName }, ')'] : [];
    return {
      waiting: true,
      parts: [...name(kind), ' waits for a webhook delivery matching ', ...matchParts(webhookMatches(task.inputData)), ...receiver, ' since ', { time: since }, '. ', { task: ref }],
    };
  }
  if (kind === 'HUMAN' && task.status === 'IN_PROGRESS') {
    return { waiting: true, parts: [...name('HUMAN'), ' waits for a person to complete it since ', { time: since }, '. ', { task: ref }] };
  }
  if (kind === 'SIMPLE') {
    const def = task.taskDefName || task.taskType;
    if (task.status === 'SCHEDULED') {
      const later = callbackAt > Date.now() ? [' It can be polled from ', { time: callbackAt }, '.'] : [];
      return {
        waiting: true,
        parts: ['Task ', { code: ref }, ' waits for a worker to poll task type ', { code: def }, ' since ', { time: since }, '.', ...later, ' ', { task: ref }],
      };
    }
    const worker = task.workerId ? ['worker ', { code: task.workerId }] : ['a worker'];
    return {
      waiting: true,
      parts: ['Task ', { code: ref }, ' is being worked on by ', ...worker, ' since ', { time: since }, '. ', { task: ref }],
    };
  }
  // System and plugin task types.
  if (task.status === 'SCHEDULED') {
    return { waiting: false, parts: [...name(kind), ' is queued for the engine since ', { time: since }, '.'] };
  }
  if (isAsyncComplete(task)) {
    return {
      waiting: true,
      parts: [...name(kind), ' did its work and waits to be completed from outside (asyncComplete) since ', { time: since }, '. ', { task: ref }],
    };
  }
  const check = callbackAt ? [' It is checked again at ', { time: callbackAt }, '.'] : [];
  return { waiting: true, parts: [...name(kind), ' is in progress since ', { time: since }, '.', ...check, ' ', { task: ref }] };
}

/** A WAIT_FOR_WEBHOOK task's matches (JSONPath → value) as the server reads them from its
 * resolved input: `matches`, or the whole input when it has none. */
export function webhookMatches(input) {
  const data = input || {};
  if (Object.prototype.hasOwnProperty.call(data, 'matches')) {
    const m = data.matches;
    return m && typeof m === 'object' && !Array.isArray(m) ? m : {};
  }
  return data;
}

const SHOWN_MATCHES = 4;

/** `$.a` = `1` and `$.b` = `"x"` (values as JSON), the first few of them. */
function matchParts(matches) {
  const entries = Object.entries(matches);
  if (!entries.length) return ['anything'];
  const shown = entries.slice(0, SHOWN_MATCHES).flatMap(([path, value], i) => [
    i === 0 ? '' : i === entries.length - 1 ? ' and ' : ', ',
    { code: path },
    ' = ',
    { code: JSON.stringify(value) ?? 'null' },
  ]);
  const more = entries.length - SHOWN_MATCHES;
  return more > 0 ? [...shown, ` and ${more} more`] : shown;
}

function explainEnd(wf, signals) {
  const s = wf.status;
  const reason = wf.reasonForIncompletion;
  const at = wf.endTime || wf.updateTime;
  const failed = (wf.failedReferenceTaskNames || []).filter(Boolean);
  const failedPart = failed.length
    ? [' Failed task' + (failed.length > 1 ? 's' : '') + ': ', ...failed.flatMap((r, i) => (i ? [', ', { code: r }] : [{ code: r }])), '.']
    : [];
  if (s === 'COMPLETED') {
    const took = wf.startTime && at ? at - wf.startTime : null;
    return [['Completed at ', { time: at }, took !== null ? { duration: took, prefix: ', after ' } : '', '.']];
  }
  if (s === 'TERMINATED') {
    const term = lastSignal(signals, 'terminate');
    if (term) {
      return [
        ['Terminated by ', { code: term.caller || 'an unknown caller' }, ' at ', { time: term.at }, reason ? `: ${reason}` : ' (no reason given)', '.', ...failedPart],
      ];
    }
    return [['Terminated at ', { time: at }, reason ? `: ${reason}` : '', '.', ...failedPart]];
  }
  const word = s === 'TIMED_OUT' ? 'Timed out' : 'Failed';
  return [[`${word} at `, { time: at }, reason ? `: ${reason}` : '', '.', ...failedPart, ' Retry or re-run it from the Actions menu.']];
}

/** Signal log operation names in words. */
export const OP_LABELS = {
  pause: 'Pause',
  resume: 'Resume',
  restart: 'Restart',
  rerun: 'Re-run',
  retry: 'Retry',
  terminate: 'Terminate',
  skip_task: 'Skip task',
  reset_callbacks: 'Reset callbacks',
  update_task: 'Update task',
  update_task_by_ref: 'Update task',
  signal: 'Signal',
  message: 'Send message',
  update_variables: 'Update variables',
  update_state: 'Update state',
  jump: 'Jump',
  upgrade: 'Upgrade',
  start: 'Start',
  webhook: 'Webhook delivery',
};
