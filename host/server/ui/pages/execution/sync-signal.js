// "Signal (sync)…" of an execution page: completes (or fails) the open YIELD or WAIT of the
// workflow or of a running child, and waits up to 5 s for what the return strategy asks
// for; the answer is shown on the page. A 404 (nothing blocked) stays in the dialog in words.

import { api } from '../../lib/api.js';
import { h, field, openDialog, parseJsonInput, statusBadge, jsonBlock } from '../../lib/dom.js';

const TIMEOUT_MS = 5000;
const STATUSES = ['COMPLETED', 'FAILED', 'FAILED_WITH_TERMINAL_ERROR'];
const STRATEGIES = {
  TARGET_WORKFLOW: 'This workflow, once it blocks again or ends.',
  BLOCKING_WORKFLOW: 'The workflow that blocks next: this one or a child.',
  BLOCKING_TASK: 'The task that blocks next, wherever it is.',
  BLOCKING_TASK_INPUT: 'The input of the task that blocks next.',
};
const TASK_ANSWERS = new Set(['BLOCKING_TASK', 'BLOCKING_TASK_INPUT']);

/** `ctx`: {id, refreshing, showAnswer(answer)} from the execution page. */
export function syncSignalDialog(ctx) {
  const status = h('select', { 'data-testid': 'sync-status' }, STATUSES.map((s) => h('option', { value: s }, s)));
  const strategy = h('select', { 'data-testid': 'sync-strategy' }, Object.keys(STRATEGIES).map((s) => h('option', { value: s }, s)));
  const hint = h('span', { class: 'hint' }, STRATEGIES.TARGET_WORKFLOW);
  strategy.addEventListener('change', () => (hint.textContent = STRATEGIES[strategy.value]));
  const output = h('textarea', { rows: 8, class: 'code', spellcheck: 'false', placeholder: '{"approved": true}', 'data-testid': 'sync-output' }, '{}');
  openDialog({
    title: 'Signal (sync)',
    testid: 'dialog-sync-signal',
    confirmLabel: 'Signal and wait',
    wide: true,
    body: [
      h('p', {}, 'Gives this output to the open YIELD or WAIT task of this workflow, or of a running sub-workflow, then waits up to ', `${TIMEOUT_MS / 1000} s`, ' for the answer asked for.'),
      h('div', { class: 'form-row' }, field('Task status', status), field('Answer with', strategy, hint)),
      field('Output (JSON object)', output),
    ],
    onConfirm: ctx.refreshing(async () => {
      const parsed = parseJsonInput(output.value, { label: 'The output' });
      if (parsed.error) throw new Error(parsed.error);
      const answer = await api.signalSync(ctx.id, status.value, parsed.value, strategy.value, TIMEOUT_MS);
      await ctx.showAnswer(answer);
    }),
  });
}

const wfLink = (id) => (id ? h('a', { class: 'mono', href: `/ui/executions/${encodeURIComponent(id)}` }, id) : h('span', { class: 'muted' }, '—'));

/** The answer of a synchronous signal, as a card for the page's messages area. */
export function syncAnswerCard(a) {
  const isTask = TASK_ANSWERS.has(a.responseType);
  const item = (label, value, testid) => h('div', { class: 'kv' }, h('dt', {}, label), h('dd', { 'data-testid': testid }, value));
  return h(
    'section',
    { class: `card sync-answer${a.signalTimeout ? ' timed-out' : ''}`, 'data-testid': 'sync-answer', 'data-response-type': a.responseType },
    h('h2', {}, 'The signal’s answer'),
    h(
      'dl',
      { class: 'kv-grid' },
      item('Response type', h('code', {}, a.responseType), 'sync-response-type'),
      item('Signalled workflow', [wfLink(a.targetWorkflowId), ' ', a.targetWorkflowStatus ? statusBadge(a.targetWorkflowStatus) : null], 'sync-target'),
      item(isTask ? 'Task of workflow' : 'Workflow', wfLink(a.workflowId), 'sync-workflow'),
      item(isTask ? 'Task status' : 'Workflow status', a.status ? statusBadge(a.status) : '—', 'sync-status-answer'),
      isTask ? item('Task', [h('code', {}, a.referenceTaskName), ` ${a.taskType || ''}`], 'sync-task-ref') : null,
      isTask ? item('Task id', h('span', { class: 'mono' }, a.taskId), 'sync-task-id') : null,
      item('Timed out', a.signalTimeout ? `yes: nothing blocked again within ${TIMEOUT_MS / 1000} s, this is the state at that moment` : 'no', 'sync-timeout'),
    ),
    isTask ? [h('h3', { style: 'margin-top:12px' }, 'Task input'), jsonBlock(a.input, { 'data-testid': 'sync-task-input' })] : null,
    h('details', { class: 'disclosure', style: 'margin-top:12px' }, h('summary', {}, h('span', { class: 'small' }, 'The whole answer')), jsonBlock(a)),
  );
}
