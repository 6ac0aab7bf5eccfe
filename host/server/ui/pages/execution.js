// One execution: its status and why it waits (down into sub-workflow children), the picture
// of its tasks, the task list with the Update task panel, input and output, variables and
// inbox (pages/execution/), the signal log, and the Actions menu (with the synchronous
// signal). A child execution links back to its parent.

import { api, ApiError } from '../lib/api.js';
import {
  h,
  clear,
  append,
  errorBanner,
  noticeBanner,
  statusBadge,
  jsonBlock,
  prettyJson,
  parseJsonInput,
  fmtWhen,
  fmtDateTime,
  fmtDuration,
  toDate,
  timeEl,
  field,
  checkbox,
  openDialog,
  copyButton,
} from '../lib/dom.js';
import {
  allowedActions,
  decidedByEngine,
  explain,
  isTerminalTask,
  isTerminalWorkflow,
  taskKind,
  UPDATE_STATUSES,
  OP_LABELS,
  isAsyncComplete,
  subWorkflowId,
} from '../lib/status.js';
import { renderDiagram, LEGEND } from '../lib/diagram.js';
import { loadChildren, loadParent } from '../lib/family.js';
import { variablesCard } from './execution/variables.js';
import { inboxCard } from './execution/inbox.js';
import { syncSignalDialog, syncAnswerCard } from './execution/sync-signal.js';

const REFRESH_MS = 5000;

export function render(root, params) {
  const id = params.id;
  const state = {
    wf: null,
    signals: null,
    signalsError: null,
    expanded: new Set(),
    definitionOpen: false,
    children: new Map(), // child id → child workflow, for SUB_WORKFLOW tasks
    iterations: new Map(), // loop ref → iteration picked in the picture (absent: the latest)
    parent: null, // {id, name, ref} of the workflow that started this one as a sub-workflow
    inbox: null, // the messages waiting for a PULL_WORKFLOW_MESSAGES task, or {error}
  };
  let timer = null;
  let closeMenu = () => {};
  let disposed = false;

  // Notices and errors sit under the page header; they survive the re-draws of a refresh.
  const messages = h('div', { class: 'messages', 'data-testid': 'messages' });
  const body = h('div', { class: 'execution' }, messages, h('p', { class: 'muted' }, 'Loading execution…'));
  root.append(body);

  async function load() {
    clearTimeout(timer);
    try {
      const [wf, signals, inbox] = await Promise.all([
        api.workflow(id),
        api.signals(id).catch((err) => {
          state.signalsError = err;
          return null;
        }),
        api.messages(id).catch((err) => ({ error: err })),
      ]);
      // Children and parent are extras: failing to load them must not fail the page.
      const [children, parent] = await Promise.all([
        loadChildren(wf, api.workflow).catch(() => new Map()),
        loadParent(wf, api.workflow, state.parent),
      ]);
      if (disposed) return;
      state.wf = wf;
      state.children = children;
      state.parent = parent;
      state.signals = signals;
      state.inbox = inbox;
      if (signals) state.signalsError = null;
      draw();
    } catch (err) {
      if (disposed) return;
      if (!state.wf) {
        clear(body);
        body.append(
          messages,
          h('div', { class: 'page-header' }, h('div', {}, h('p', { class: 'crumbs' }, h('a', { href: '/ui/executions' }, 'Executions'), ' / ', id), h('h1', {}, 'Execution'))),
          errorBanner(err, { title: err instanceof ApiError && err.status === 404 ? 'This execution cannot be found' : 'Cannot load this execution' }),
        );
      } else {
        showError(err, 'Refresh failed');
      }
    } finally {
      schedule();
    }
  }

  function schedule() {
    clearTimeout(timer);
    if (disposed || !state.wf || isTerminalWorkflow(state.wf.status)) return;
    timer = setTimeout(() => {
      const busy = document.hidden || document.querySelector('dialog[open]') || document.querySelector('.menu.open');
      if (busy) schedule();
      else load();
    }, REFRESH_MS);
  }

  function showNotice(text) {
    clear(messages);
    messages.append(noticeBanner(text));
  }

  function showError(err, title) {
    clear(messages);
    messages.append(errorBanner(err, { title }));
  }

  /** Run an action: on success a notice, on failure the API's words; refresh either way. */
  async function act(label, fn, success) {
    try {
      await fn();
      showNotice(success);
    } catch (err) {
      showError(err, `${label} failed`);
    }
    await load();
  }

  // ---- drawing
  function draw() {
    const wf = state.wf;
    // A redraw replaces the picture; the loop picker in use keeps the keyboard focus.
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.testid : null;
    closeMenu();
    clear(body);
    append(body, [header(wf), messages, why(wf), summary(wf), picture(wf), tasksCard(wf), ioCards(wf), dataCards(wf), signalsCard(wf), definitionCard(wf)]);
    if (focused && focused.startsWith('diagram-iteration-')) {
      const again = body.querySelector(`[data-testid="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  function header(wf) {
    const terminal = isTerminalWorkflow(wf.status);
    return h(
      'div',
      { class: 'page-header' },
      h(
        'div',
        {},
        h('p', { class: 'crumbs' }, h('a', { href: '/ui/executions' }, 'Executions'), ' / ', h('a', { href: `/ui/executions?workflowType=${encodeURIComponent(wf.workflowName)}` }, wf.workflowName)),
        h(
          'h1',
          { class: 'title-with-badge' },
          h('span', { 'data-testid': 'workflow-name' }, wf.workflowName),
          h('span', { class: 'version' }, `v${wf.workflowVersion}`),
          statusBadge(wf.status, { 'data-testid': 'workflow-status', class: `badge badge-large status-${wf.status}` }),
        ),
        h('p', { class: 'subtitle' }, h('span', { class: 'mono', 'data-testid': 'workflow-id' }, wf.workflowId), ' ', copyButton(wf.workflowId, 'Copy id')),
        parentLine(wf),
      ),
      h(
        'div',
        { class: 'header-actions' },
        h('span', { class: 'muted small' }, terminal ? '' : 'Refreshes every 5 s'),
        h('button', { type: 'button', class: 'btn', 'data-testid': 'refresh', onclick: () => load() }, '↻ Refresh'),
        actionsMenu(wf),
      ),
    );
  }

  function parentLine(wf) {
    if (!wf.parentWorkflowId) return null;
    const p = state.parent || { id: wf.parentWorkflowId };
    return h(
      'p',
      { class: 'parent-line', 'data-testid': 'parent-line' },
      '↖ Sub-workflow of ',
      h('a', { href: `/ui/executions/${encodeURIComponent(p.id)}`, 'data-testid': 'parent-link' }, p.name || h('span', { class: 'mono' }, p.id)),
      p.ref ? [', started by its task ', h('code', {}, p.ref)] : '',
    );
  }

  function actionsMenu(wf) {
    const actions = allowedActions(wf);
    const menu = h(
      'div',
      { class: 'menu', role: 'menu', 'data-testid': 'actions-menu' },
      actions.map((a) =>
        h(
          'button',
          {
            type: 'button',
            role: 'menuitem',
            class: `menu-item${a.danger ? ' danger' : ''}`,
            'data-testid': `action-${a.id}`,
            onclick: () => {
              closeMenu();
              runAction(a.id);
            },
          },
          h('span', { class: 'menu-label' }, a.label),
          h('span', { class: 'menu-hint' }, a.hint),
        ),
      ),
      h('div', { class: 'menu-foot' }, `Shown for a ${wf.status.replace('_', ' ').toLowerCase()} workflow.`),
    );
    const button = h('button', { type: 'button', class: 'btn btn-primary', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'data-testid': 'actions-button' }, 'Actions ▾');
    const wrap = h('div', { class: 'menu-wrap' }, button, menu);
    const onDoc = (e) => {
      if (!wrap.contains(e.target)) closeMenu();
    };
    const onKey = (e) => {
      if (e.key === 'Escape') closeMenu();
    };
    closeMenu = () => {
      menu.classList.remove('open');
      button.setAttribute('aria-expanded', 'false');
      document.removeEventListener('click', onDoc, true);
      document.removeEventListener('keydown', onKey);
    };
    button.addEventListener('click', () => {
      if (menu.classList.contains('open')) return closeMenu();
      menu.classList.add('open');
      button.setAttribute('aria-expanded', 'true');
      document.addEventListener('click', onDoc, true);
      document.addEventListener('keydown', onKey);
    });
    return wrap;
  }

  function why(wf) {
    const { kind, title, sentences } = explain(wf, state.signals || [], state.children);
    return h(
      'section',
      { class: `card why why-${kind}`, 'data-testid': 'why' },
      h('h2', {}, title),
      h(
        'ul',
        { class: 'why-list' },
        sentences.map((parts) => h('li', { 'data-testid': 'why-sentence' }, renderParts(parts, wf))),
      ),
    );
  }

  function renderParts(parts, wf) {
    return parts.map((p) => {
      if (p === null || p === undefined || p === '') return null;
      if (typeof p === 'string') return p;
      if (p.code !== undefined) return h('code', {}, p.code);
      if (p.time !== undefined) return timeEl(p.time, fmtWhen);
      if (p.duration !== undefined) return `${p.prefix || ''}${fmtDuration(p.duration)}`;
      if (p.workflow !== undefined) {
        return h('a', { href: `/ui/executions/${encodeURIComponent(p.workflow)}`, 'data-testid': `why-workflow-${p.workflow}` }, p.text || p.workflow);
      }
      if (p.href !== undefined) return h('a', { href: p.href }, p.text || p.href);
      if (p.task !== undefined) {
        // A task of a child execution is updated in that child.
        const owner = p.workflowId ? state.children.get(p.workflowId) : wf;
        const task = owner && liveTask(owner, p.task);
        if (!task || isTerminalWorkflow(owner.status)) return null;
        return h(
          'button',
          { type: 'button', class: 'btn btn-small btn-inline', 'data-testid': `why-update-${p.task}`, onclick: () => updateTaskDialog(task, owner.workflowId) },
          'Update task…',
        );
      }
      return null;
    });
  }

  function summary(wf) {
    const start = toDate(wf.startTime);
    const end = toDate(wf.endTime);
    const duration = start ? (end ? end - start : Date.now() - start) : null;
    const failed = (wf.failedReferenceTaskNames || []).filter(Boolean);
    const failureWf = wf.output && wf.output['conductor.failure_workflow'];
    const item = (label, value, testid) => h('div', { class: 'kv' }, h('dt', {}, label), h('dd', { 'data-testid': testid }, value === '' || value === null || value === undefined ? h('span', { class: 'muted' }, '—') : value));
    return h(
      'section',
      { class: 'card' },
      h(
        'dl',
        { class: 'kv-grid' },
        item('Correlation id', wf.correlationId || '', 'correlation-id'),
        item('Started', start ? timeEl(wf.startTime, fmtDateTime) : ''),
        item('Ended', end ? timeEl(wf.endTime, fmtDateTime) : isTerminalWorkflow(wf.status) ? '' : 'not yet'),
        item('Duration', duration !== null ? `${fmtDuration(duration)}${end ? '' : ' so far'}` : ''),
        item('Last update', wf.updateTime ? timeEl(wf.updateTime, fmtDateTime) : ''),
        item('Definition', h('a', { href: `/ui/definitions/${encodeURIComponent(wf.workflowName)}?version=${wf.workflowVersion}` }, `${wf.workflowName} v${wf.workflowVersion}`)),
        item('Reason for incompletion', wf.reasonForIncompletion || '', 'reason'),
        item('Failed tasks', failed.length ? failed.map((r, i) => [i ? ', ' : '', h('code', {}, r)]) : ''),
        wf.parentWorkflowId ? item('Parent workflow', h('a', { class: 'mono', href: `/ui/executions/${encodeURIComponent(wf.parentWorkflowId)}` }, wf.parentWorkflowId)) : null,
        typeof failureWf === 'string' && /^[0-9a-f-]{36}$/i.test(failureWf)
          ? item('Failure workflow', h('a', { class: 'mono', href: `/ui/executions/${encodeURIComponent(failureWf)}` }, failureWf))
          : null,
      ),
    );
  }

  function picture(wf) {
    const svg = renderDiagram(wf.workflowDefinition, wf.tasks || [], {
      onSelect: (task) => focusTask(task),
      children: state.children,
      iterations: state.iterations,
      onIteration: (ref, n, isLatest) => {
        // Picking the latest follows the loop as it goes on; an older one stays put.
        if (isLatest) state.iterations.delete(ref);
        else state.iterations.set(ref, n);
        draw();
      },
    });
    const present = new Set((wf.tasks || []).map((t) => t.status));
    const legend = LEGEND.filter((s) => s === 'NOT_STARTED' || present.has(s));
    return h(
      'section',
      { class: 'card' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Workflow'), h('span', { class: 'muted small' }, 'Click a task to see its details.')),
      svg ? h('div', { class: 'diagram-wrap' }, svg) : h('p', { class: 'muted' }, 'The definition has no tasks.'),
      h(
        'div',
        { class: 'legend' },
        legend.map((s) => h('span', { class: 'legend-item' }, h('span', { class: `swatch node-${s}` }), s === 'NOT_STARTED' ? 'not started' : s.replaceAll('_', ' ').toLowerCase())),
      ),
    );
  }

  function focusTask(task) {
    state.expanded.add(task.taskId);
    draw();
    const row = body.querySelector(`[data-task-id="${CSS.escape(task.taskId)}"]`);
    if (row) {
      row.scrollIntoView({ block: 'center', behavior: 'smooth' });
      row.classList.add('flash');
    }
  }

  function tasksCard(wf) {
    const tasks = wf.tasks || [];
    const terminalWf = isTerminalWorkflow(wf.status);
    const rows = [];
    for (const t of tasks) {
      const open = state.expanded.has(t.taskId);
      const start = toDate(t.startTime);
      const end = toDate(t.endTime);
      const duration = start ? (end ? end - start : isTerminalTask(t.status) ? null : Date.now() - start) : null;
      const kind = taskKind(t);
      const canUpdate = !isTerminalTask(t.status) && !terminalWf && !decidedByEngine(t);
      const toggle = () => {
        if (state.expanded.has(t.taskId)) state.expanded.delete(t.taskId);
        else state.expanded.add(t.taskId);
        draw();
      };
      rows.push(
        h(
          'tr',
          {
            class: `task-row${open ? ' open' : ''}${t.retried ? ' retried' : ''}`,
            'data-testid': `task-${t.referenceTaskName}`,
            'data-task-id': t.taskId,
            'data-ref': t.referenceTaskName,
            'data-status': t.status,
          },
          h('td', { class: 'num muted' }, String(t.seq ?? '')),
          h(
            'td',
            {},
            h('button', { type: 'button', class: 'linklike', 'aria-expanded': String(open), onclick: toggle, title: 'Show input and output' }, open ? '▾ ' : '▸ ', h('span', { class: 'strong' }, t.referenceTaskName)),
            t.retried ? h('span', { class: 'tag' }, 'retried') : null,
            t.iteration > 0 && kind !== 'DO_WHILE' ? h('span', { class: 'tag', 'data-testid': `task-iteration-${t.referenceTaskName}` }, `iteration ${t.iteration}`) : null,
          ),
          h(
            'td',
            {},
            kind === 'SIMPLE' ? [h('span', { class: 'muted small' }, 'SIMPLE '), t.taskDefName || t.taskType] : kind,
            isAsyncComplete(t) ? h('span', { class: 'tag' }, 'async') : null,
            childLink(t),
          ),
          h('td', {}, statusBadge(t.status)),
          h('td', { class: 'num' }, String(t.retryCount || 0)),
          h('td', { class: 'nowrap' }, timeEl(t.scheduledTime, fmtWhen)),
          h('td', { class: 'nowrap' }, timeEl(t.startTime, fmtWhen)),
          h('td', { class: 'nowrap' }, timeEl(t.endTime, fmtWhen)),
          h('td', { class: 'num nowrap' }, duration !== null ? fmtDuration(duration) : ''),
          h(
            'td',
            { class: 'row-actions' },
            canUpdate
              ? h('button', { type: 'button', class: 'btn btn-small', 'data-testid': `update-task-${t.referenceTaskName}`, onclick: () => updateTaskDialog(t) }, 'Update task…')
              : null,
          ),
        ),
      );
      if (open) {
        rows.push(
          h(
            'tr',
            { class: 'task-detail', 'data-testid': `task-detail-${t.referenceTaskName}` },
            h(
              'td',
              { colspan: 10 },
              h(
                'dl',
                { class: 'kv-inline' },
                kvi('Task id', h('span', { class: 'mono' }, t.taskId)),
                t.workerId ? kvi('Worker', h('code', {}, t.workerId)) : null,
                kvi('Poll count', String(t.pollCount || 0)),
                t.callbackAfterSeconds ? kvi('Callback after', `${t.callbackAfterSeconds} s`) : null,
                t.retriedTaskId ? kvi('Retry of', h('span', { class: 'mono' }, t.retriedTaskId)) : null,
                subWorkflowId(t) ? kvi('Child workflow', h('a', { class: 'mono', href: `/ui/executions/${encodeURIComponent(subWorkflowId(t))}` }, subWorkflowId(t))) : null,
                t.reasonForIncompletion ? kvi('Reason', t.reasonForIncompletion) : null,
              ),
              h(
                'div',
                { class: 'io-grid' },
                h('div', {}, h('h3', {}, 'Input'), jsonBlock(t.inputData, { 'data-testid': `task-input-${t.referenceTaskName}` })),
                h('div', {}, h('h3', {}, 'Output'), jsonBlock(t.outputData, { 'data-testid': `task-output-${t.referenceTaskName}` })),
              ),
            ),
          ),
        );
      }
    }
    return h(
      'section',
      { class: 'card table-card' },
      h('div', { class: 'card-head' }, h('h2', {}, `Tasks (${tasks.length})`), h('span', { class: 'muted small' }, 'In order of scheduling. Open a task for its input and output.')),
      tasks.length
        ? h(
            'table',
            { class: 'table', 'data-testid': 'tasks-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { class: 'num' }, '#'),
                h('th', {}, 'Reference name'),
                h('th', {}, 'Type'),
                h('th', {}, 'Status'),
                h('th', { class: 'num' }, 'Retries'),
                h('th', {}, 'Scheduled'),
                h('th', {}, 'Started'),
                h('th', {}, 'Ended'),
                h('th', { class: 'num' }, 'Duration'),
                h('th', {}, ''),
              ),
            ),
            h('tbody', {}, rows),
          )
        : h('p', { class: 'muted pad' }, 'No task has been scheduled yet.'),
    );
  }

  const kvi = (label, value) => h('div', {}, h('dt', {}, label), h('dd', {}, value));

  /** For a SUB_WORKFLOW task: a link to its child execution, with the child's status. */
  function childLink(t) {
    const childId = subWorkflowId(t);
    if (!childId) return null;
    const child = state.children.get(childId);
    return h(
      'a',
      { class: 'tag tag-link', href: `/ui/executions/${encodeURIComponent(childId)}`, 'data-testid': `task-child-${t.referenceTaskName}`, title: childId },
      `child ${child ? child.status.toLowerCase() : childId.slice(0, 8)} ↗`,
    );
  }

  function ioCards(wf) {
    return h(
      'div',
      { class: 'io-grid' },
      h('section', { class: 'card' }, h('h2', {}, 'Workflow input'), jsonBlock(wf.input, { 'data-testid': 'workflow-input' })),
      h('section', { class: 'card' }, h('h2', {}, 'Workflow output'), jsonBlock(wf.output, { 'data-testid': 'workflow-output' })),
    );
  }

  function dataCards(wf) {
    return h('div', { class: 'io-grid' }, variablesCard(wf, ctx), inboxCard(wf, state.inbox, ctx));
  }

  function signalsCard(wf) {
    const head = h('div', { class: 'card-head' }, h('h2', {}, 'Signal log'), h('span', { class: 'muted small' }, 'Who did what to this execution, when, and the answer they got. Newest first.'));
    if (state.signalsError) return h('section', { class: 'card' }, head, errorBanner(state.signalsError, { title: 'Cannot load the signal log', testid: 'signals-error' }));
    const signals = [...(state.signals || [])].sort((a, b) => b.at - a.at || b.id - a.id);
    return h(
      'section',
      { class: 'card table-card' },
      head,
      signals.length
        ? h(
            'table',
            { class: 'table', 'data-testid': 'signals-table' },
            h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Operation'), h('th', {}, 'Caller'), h('th', {}, 'Details'), h('th', {}, 'Result'))),
            h(
              'tbody',
              {},
              signals.map((s) => {
                const ok = s.status >= 200 && s.status < 300;
                return h(
                  'tr',
                  { 'data-testid': 'signal-row', 'data-op': s.op, 'data-status': String(s.status) },
                  h('td', { class: 'nowrap' }, timeEl(s.at, fmtDateTime)),
                  h('td', { class: 'strong' }, OP_LABELS[s.op] || s.op),
                  h('td', {}, h('code', {}, s.caller || '?')),
                  h('td', { class: 'signal-params' }, paramSummary(s, wf), s.idempotencyKey ? h('div', { class: 'muted small' }, 'Idempotency-Key ', h('code', {}, s.idempotencyKey)) : null),
                  h('td', { class: ok ? 'ok' : 'bad' }, h('span', { class: `http http-${ok ? 'ok' : 'bad'}` }, String(s.status)), ' ', ok ? 'accepted' : s.message || 'refused'),
                );
              }),
            ),
          )
        : h('p', { class: 'muted pad' }, 'No signal yet: nobody has paused, resumed, completed a task of or otherwise signalled this execution.'),
    );
  }

  function paramSummary(s, wf) {
    const p = s.params || {};
    const json = (v) => h('code', { class: 'json-inline', title: prettyJson(v) }, truncate(JSON.stringify(v), 80));
    const refOf = (taskId) => {
      const t = (wf.tasks || []).find((x) => x.taskId === taskId);
      return t ? t.referenceTaskName : taskId;
    };
    switch (s.op) {
      case 'restart':
        return p.useLatestDefinitions ? 'with the latest definitions' : 'with the current definitions';
      case 'retry':
        return p.resumeSubworkflowTasks ? 'resuming sub-workflow tasks' : '';
      case 'terminate':
        return [p.reason ? ['reason “', p.reason, '”'] : 'no reason', p.triggerFailureWorkflow ? ', failure workflow triggered' : ''];
      case 'rerun':
        return [
          p.reRunFromTaskId ? ['from task ', h('code', {}, refOf(p.reRunFromTaskId))] : 'from the start',
          p.correlationId ? [', correlation id ', h('code', {}, p.correlationId)] : '',
          p.workflowInput ? [', input ', json(p.workflowInput)] : '',
          p.taskInput ? [', task input ', json(p.taskInput)] : '',
        ];
      case 'update_task_by_ref':
        return [h('code', {}, p.taskReferenceName), ' → ', p.status, p.output && Object.keys(p.output).length ? [' with ', json(p.output)] : ''];
      case 'update_task':
        return [h('code', {}, refOf(p.taskId)), ' → ', p.status, p.outputData && Object.keys(p.outputData).length ? [' with ', json(p.outputData)] : ''];
      case 'message':
        return ['message ', h('code', { title: p.id }, String(p.id || '').slice(0, 8)), p.payload !== undefined ? [' ', json(p.payload)] : ''];
      case 'update_variables':
        return json(p.variables);
      case 'update_state': {
        const task = p.task || {};
        const which = task.taskReferenceName ? h('code', {}, task.taskReferenceName) : task.taskId ? h('code', {}, refOf(task.taskId)) : null;
        return [p.variables ? ['variables ', json(p.variables)] : '', p.variables && which ? '; ' : '', which ? [which, ' → ', task.status] : ''];
      }
      case 'signal':
        return [p.status, p.output && Object.keys(p.output).length ? [' with ', json(p.output)] : ''];
      case 'skip_task':
        return ['skip ', h('code', {}, p.taskReferenceName)];
      case 'webhook':
        return [
          'delivery ',
          h('code', { title: p.eventId }, String(p.eventId || '').slice(0, 8)),
          ' to webhook ',
          h('a', { href: `/ui/webhooks/${encodeURIComponent(p.webhookId || '')}`, 'data-testid': 'signal-webhook-link' }, p.webhookId),
          ' completed ',
          h('code', {}, refOf(p.taskId)),
          p.output && Object.keys(p.output).length ? [' with ', json(p.output)] : '',
        ];
      default:
        return Object.keys(p).length ? json(p) : '';
    }
  }

  function definitionCard(wf) {
    return h(
      'details',
      { class: 'card disclosure', open: state.definitionOpen, ontoggle: (e) => (state.definitionOpen = e.target.open) },
      h('summary', {}, h('h2', {}, `Definition ${wf.workflowName} v${wf.workflowVersion}`), h('span', { class: 'muted small' }, ' as this execution runs it')),
      jsonBlock(wf.workflowDefinition),
    );
  }

  // ---- actions
  function runAction(actionId) {
    const wf = state.wf;
    switch (actionId) {
      case 'pause':
        return act('Pause', () => api.pause(id), 'Paused: nothing new is scheduled until it is resumed.');
      case 'resume':
        return act('Resume', () => api.resume(id), 'Resumed.');
      case 'restart-current':
        return restartDialog(false);
      case 'restart-latest':
        return restartDialog(true);
      case 'rerun':
        return rerunDialog(wf);
      case 'retry':
        return retryDialog();
      case 'terminate':
        return terminateDialog(wf);
      case 'signal-sync':
        return syncSignalDialog(ctx);
      default:
        return null;
    }
  }

  async function afterDialog(success) {
    showNotice(success);
    await load();
  }

  /** Dialog confirm handler that refreshes the page behind the dialog when the API refuses. */
  const refreshing = (fn) => async () => {
    try {
      await fn();
    } catch (err) {
      load();
      throw err;
    }
  };

  // What the dialogs in pages/execution/ need of this page.
  const ctx = {
    id,
    refreshing,
    afterDialog,
    async showAnswer(answer) {
      clear(messages);
      messages.append(noticeBanner(`Signalled: the answer is ${answer.responseType}${answer.signalTimeout ? ' (timed out waiting)' : ''}.`), syncAnswerCard(answer));
      await load();
    },
  };

  function restartDialog(latest) {
    const wf = state.wf;
    const versionNote = h('span', { 'data-testid': 'restart-version' }, latest ? 'the latest version' : `version ${wf.workflowVersion}`);
    if (latest) {
      api
        .definition(wf.workflowName)
        .then((def) => {
          versionNote.textContent = `the latest version, v${def.version}${def.version === wf.workflowVersion ? ' (the one it ran)' : ` (it ran v${wf.workflowVersion})`}`;
        })
        .catch((err) => {
          versionNote.textContent = `the latest version (cannot read it: ${err.message})`;
        });
    }
    openDialog({
      title: latest ? 'Restart with latest definitions' : 'Restart with current definitions',
      testid: 'dialog-restart',
      confirmLabel: 'Restart',
      body: [
        h('p', {}, 'All its tasks are removed and it starts again from the first task, with the same id, input and correlation id, using ', versionNote, ' of ', h('code', {}, wf.workflowName), '.'),
      ],
      onConfirm: refreshing(async () => {
        await api.restart(id, latest);
        await afterDialog(latest ? 'Restarted with the latest definitions.' : 'Restarted with the current definitions.');
      }),
    });
  }

  function retryDialog() {
    const resume = checkbox('Resume sub-workflow tasks (retry the failed sub-workflow in place instead of starting a new one)', { 'data-testid': 'retry-resume-subworkflows' });
    openDialog({
      title: 'Retry from failed task',
      testid: 'dialog-retry',
      confirmLabel: 'Retry',
      body: [h('p', {}, 'The failed, timed-out and canceled tasks are scheduled again as new attempts; completed tasks are kept.'), resume],
      onConfirm: refreshing(async () => {
        await api.retry(id, resume.querySelector('input').checked);
        await afterDialog('Retried from the failed task.');
      }),
    });
  }

  function terminateDialog(wf) {
    const reason = h('input', { type: 'text', placeholder: 'why it is terminated (recorded as the reason for incompletion)', 'data-testid': 'terminate-reason' });
    const failureWf = wf.workflowDefinition && wf.workflowDefinition.failureWorkflow;
    const trigger = checkbox(failureWf ? ['Trigger the failure workflow ', h('code', {}, failureWf)] : 'Trigger the failure workflow (its definition names none)', {
      'data-testid': 'terminate-trigger-failure',
    });
    openDialog({
      title: 'Terminate',
      testid: 'dialog-terminate',
      confirmLabel: 'Terminate',
      danger: true,
      body: [h('p', {}, 'Its pending tasks are canceled and it ends as TERMINATED. It can be restarted, retried or re-run later.'), field('Reason', reason), trigger],
      onConfirm: refreshing(async () => {
        await api.terminate(id, reason.value.trim(), trigger.querySelector('input').checked);
        await afterDialog('Terminated.');
      }),
    });
  }

  function rerunDialog(wf) {
    const tasks = (wf.tasks || []).filter((t) => !t.retried);
    const input = h('textarea', { rows: 8, class: 'code', spellcheck: 'false', 'data-testid': 'rerun-input' }, prettyJson(wf.input || {}));
    const corr = h('input', { type: 'text', value: wf.correlationId || '', 'data-testid': 'rerun-correlation' });
    const from = h(
      'select',
      { 'data-testid': 'rerun-task' },
      h('option', { value: '' }, 'The beginning (all tasks are removed)'),
      tasks.map((t) => h('option', { value: t.taskId, 'data-ref': t.referenceTaskName }, `#${t.seq} ${t.referenceTaskName} — ${t.status.replaceAll('_', ' ').toLowerCase()}`)),
    );
    const taskInput = h('textarea', { rows: 6, class: 'code', spellcheck: 'false', disabled: true, 'data-testid': 'rerun-task-input' }, '');
    const replace = checkbox('Replace the task’s input', { disabled: true, 'data-testid': 'rerun-task-input-toggle' });
    const replaceBox = replace.querySelector('input');
    const selectedTask = () => tasks.find((t) => t.taskId === from.value);
    from.addEventListener('change', () => {
      const t = selectedTask();
      replaceBox.disabled = !t;
      if (!t) replaceBox.checked = false;
      taskInput.disabled = !replaceBox.checked;
      taskInput.value = t ? prettyJson(t.inputData || {}) : '';
    });
    replaceBox.addEventListener('change', () => {
      taskInput.disabled = !replaceBox.checked;
    });
    openDialog({
      title: 'Re-run',
      testid: 'dialog-rerun',
      confirmLabel: 'Re-run',
      wide: true,
      body: [
        h('p', {}, 'Runs this execution again under the same id. From a task: the tasks after it are removed and it is scheduled again; the ones before it are kept.'),
        field('Workflow input (JSON)', input, 'Replaces the workflow’s input.'),
        field('Correlation id', corr),
        field('Re-run from', from),
        replace,
        field('Task input (JSON)', taskInput, 'Replaces the input of the task re-run from; leave unticked to keep it.'),
      ],
      onConfirm: refreshing(async () => {
        const parsed = parseJsonInput(input.value, { label: 'The workflow input' });
        if (parsed.error) throw new Error(parsed.error);
        const request = { reRunFromWorkflowId: id, workflowInput: parsed.value };
        if (corr.value.trim()) request.correlationId = corr.value.trim();
        const t = selectedTask();
        if (t) {
          request.reRunFromTaskId = t.taskId;
          if (replaceBox.checked) {
            const ti = parseJsonInput(taskInput.value, { label: 'The task input' });
            if (ti.error) throw new Error(ti.error);
            request.taskInput = ti.value;
          }
        }
        await api.rerun(id, request);
        await afterDialog(t ? `Re-run from task ${t.referenceTaskName}.` : 'Re-run from the beginning.');
      }),
    });
  }

  /** The Update task panel for a task of this execution, or of a child (`workflowId`). */
  function updateTaskDialog(task, workflowId = id) {
    const ref = task.referenceTaskName;
    const inChild = workflowId !== id;
    const status = h('select', { 'data-testid': 'update-status' }, UPDATE_STATUSES.map((s) => h('option', { value: s }, s)));
    const output = h('textarea', { rows: 8, class: 'code', spellcheck: 'false', placeholder: '{"approvedBy": "ana"}', 'data-testid': 'update-output' }, '{}');
    const hint = h('p', { class: 'muted small' });
    const describe = () => {
      hint.textContent = {
        COMPLETED: 'The task succeeds with this output and the workflow moves on.',
        FAILED: 'The task fails; it is retried if its definition allows, else the workflow fails.',
        FAILED_WITH_TERMINAL_ERROR: 'The task fails for good: no retry, the workflow fails.',
        IN_PROGRESS: 'The output is merged and the task keeps waiting (a worker task is queued again).',
      }[status.value];
    };
    status.addEventListener('change', describe);
    describe();
    openDialog({
      title: `Update task ${ref}`,
      testid: 'dialog-update-task',
      confirmLabel: 'Update task',
      wide: true,
      body: [
        h(
          'p',
          {},
          h('code', {}, ref),
          ` is ${task.status.replaceAll('_', ' ').toLowerCase()} (${taskKind(task) === 'SIMPLE' ? `SIMPLE ${task.taskDefName}` : taskKind(task)}). `,
          'The output is merged over what the task already has.',
          inChild ? [' It belongs to the child execution ', h('span', { class: 'mono' }, workflowId), '.'] : '',
        ),
        field('New status', status),
        hint,
        field('Output (JSON object)', output),
      ],
      onConfirm: refreshing(async () => {
        const parsed = parseJsonInput(output.value, { label: 'The output' });
        if (parsed.error) throw new Error(parsed.error);
        await api.updateTask(workflowId, ref, status.value, parsed.value);
        await afterDialog(`Task ${ref} updated to ${status.value}.`);
      }),
    });
  }

  function liveTask(wf, ref) {
    return (wf.tasks || []).filter((t) => t.referenceTaskName === ref && !isTerminalTask(t.status)).pop();
  }

  load();
  return () => {
    disposed = true;
    clearTimeout(timer);
    closeMenu();
  };
}

function truncate(text, max) {
  const t = String(text ?? '');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
