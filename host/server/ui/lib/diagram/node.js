// One task box of the picture: reference name, type, status (and what an operator did: the
// case a SWITCH took, the iteration a DO_WHILE is in), and for a SUB_WORKFLOW the child it
// started, as a link to the child's execution.

import { s, truncate } from './svg.js';
import { BOX_W, BOX_H, CHILD_H } from './tree.js';

/** The <g> of a task block `n` (tree.js) at x, y. `onSelect(task)`: a click on the box. */
export function taskNode(n, x, y, { onSelect } = {}) {
  const { wt, type, task } = n;
  const ref = wt.taskReferenceName;
  const status = n.executed ? (task ? task.status : 'NOT_STARTED') : 'DEFINED';
  const clickable = onSelect && task;
  const g = s('g', {
    class: `node node-${status}${clickable ? ' node-clickable' : ''}`,
    transform: `translate(${x},${y})`,
    'data-testid': `diagram-node-${ref}`,
    'data-status': status,
    'data-task-ref': task ? task.referenceTaskName : null,
  });
  g.append(
    s('title', {}, tooltip(n, status)),
    s('rect', { width: BOX_W, height: n.h, rx: 8, class: 'node-box' }),
    s('text', { x: 12, y: 21, class: 'node-ref' }, truncate(ref, 20)),
    s('text', { x: 12, y: 37, class: 'node-type' }, truncate(subtitle(n), 21)),
  );
  if (n.executed) g.append(s('text', { x: 12, y: 54, class: 'node-status' }, truncate(statusLine(n), 26)));
  if (n.executed && type === 'SUB_WORKFLOW') g.append(childLink(n));
  if (clickable) {
    g.addEventListener('click', (e) => {
      if (!e.target.closest('a')) onSelect(task);
    });
  }
  return g;
}

/** A placeholder box (the forks of a dynamic fork, unknown until it runs). */
export function noteNode(n, x, y) {
  return s(
    'g',
    { class: 'node node-note', transform: `translate(${x},${y})` },
    s('rect', { width: BOX_W, height: BOX_H, rx: 8, class: 'node-box' }),
    s('text', { x: BOX_W / 2, y: BOX_H / 2 + 4, class: 'node-type', 'text-anchor': 'middle' }, n.text),
  );
}

function subtitle({ wt, type, task }) {
  if (type === 'SIMPLE') return wt.name;
  if (type === 'SUB_WORKFLOW') {
    const p = wt.subWorkflowParam || {};
    const input = (task && task.inputData) || {};
    const name = input.subWorkflowName || p.name || (p.workflowDefinition && p.workflowDefinition.name) || 'inline';
    const version = input.subWorkflowVersion || p.version;
    return `↳ ${name}${version ? ` v${version}` : ''}`;
  }
  // DYNAMIC runs as the task type it resolved to.
  if (type === 'DYNAMIC' && task && task.taskType !== 'DYNAMIC') return `DYNAMIC → ${task.taskType}`;
  return type;
}

function statusLine(n) {
  const { task } = n;
  if (!task) return 'not started';
  const word = shortStatus(task.status);
  if (n.selectedCase !== undefined && n.selectedCase !== null) return `${word} → ${n.selectedCase}`;
  if (n.type === 'DO_WHILE' && n.iteration) return `${word} · iteration ${n.iteration}`;
  return word;
}

function tooltip(n, status) {
  const { wt, type, task } = n;
  const kind = type === 'SIMPLE' ? `SIMPLE ${wt.name}` : type;
  const parts = [`${wt.taskReferenceName} (${kind})`];
  if (n.executed) parts.push(` — ${status.replaceAll('_', ' ')}`);
  if (task && task.retryCount) parts.push(`, retry ${task.retryCount}`);
  if (n.child) parts.push(`\nchild ${n.child.id}: ${n.child.status}`);
  return parts.join('');
}

function childLink(n) {
  const y = BOX_H + 6; // one text row below the status line
  const c = n.child;
  if (!c) return s('text', { x: 12, y, class: 'node-child muted' }, 'no child yet');
  return s(
    'a',
    {
      href: `/ui/executions/${encodeURIComponent(c.id)}`,
      class: `node-child-link status-${c.status}`,
      'data-testid': `diagram-child-${n.wt.taskReferenceName}`,
      'data-child-id': c.id,
      'data-child-status': c.status,
    },
    s('title', {}, `Open the child execution ${c.id}${c.name ? ` (${c.name})` : ''}`),
    s('text', { x: 12, y, class: 'node-child' }, `↗ ${c.id.slice(0, 8)}… `, s('tspan', { class: 'node-child-status' }, c.status.replaceAll('_', ' ').toLowerCase())),
  );
}

export function shortStatus(status) {
  return (
    {
      IN_PROGRESS: 'in progress',
      SCHEDULED: 'scheduled',
      COMPLETED: 'done',
      COMPLETED_WITH_ERRORS: 'done, errors',
      FAILED_WITH_TERMINAL_ERROR: 'failed (final)',
      TIMED_OUT: 'timed out',
    }[status] || String(status).toLowerCase().replaceAll('_', ' ')
  );
}
