// The picture of a workflow: its definition's tasks drawn left to right as an inline SVG,
// each box coloured by the status of that task in the execution (or plain for a definition).
// FORK_JOIN branches and SWITCH cases are stacked vertically, DO_WHILE bodies are framed.

import { baseRef, latestByRef } from './status.js';

const NS = 'http://www.w3.org/2000/svg';
const BOX_W = 168;
const BOX_H = 64;
const GAP_X = 34;
const GAP_Y = 18;
const BRANCH_PAD = 44;
const LOOP_PAD = 14;
const MARGIN = 12;
const LABEL_MAX = 14;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** Definition tasks → a layout tree of task / seq / branches / loop blocks. */
function build(workflowTasks) {
  const items = [];
  for (const wt of workflowTasks || []) {
    const type = wt.type || 'SIMPLE';
    const node = { kind: 'task', wt };
    if (type === 'FORK_JOIN' && Array.isArray(wt.forkTasks) && wt.forkTasks.length) {
      items.push(node, { kind: 'branches', branches: wt.forkTasks.map((b, i) => ({ label: `${i + 1}`, block: build(b) })) });
    } else if ((type === 'SWITCH' || type === 'DECISION') && (wt.decisionCases || wt.defaultCase)) {
      const branches = Object.entries(wt.decisionCases || {}).map(([label, b]) => ({ label, block: build(b) }));
      branches.push({ label: 'default', block: build(wt.defaultCase || []) });
      items.push(node, { kind: 'branches', branches, labelled: true });
    } else if (type === 'DO_WHILE' && Array.isArray(wt.loopOver) && wt.loopOver.length) {
      items.push({ kind: 'loop', body: { kind: 'seq', items: [node, ...build(wt.loopOver).items] } });
    } else {
      items.push(node);
    }
  }
  return { kind: 'seq', items };
}

function measure(b) {
  if (b.kind === 'task') {
    b.w = BOX_W;
    b.h = BOX_H;
  } else if (b.kind === 'seq') {
    b.items.forEach(measure);
    b.w = b.items.reduce((sum, it) => sum + it.w, 0) + GAP_X * Math.max(0, b.items.length - 1);
    b.h = b.items.length ? Math.max(...b.items.map((it) => it.h)) : BOX_H / 2;
  } else if (b.kind === 'branches') {
    b.branches.forEach((br) => measure(br.block));
    // Case labels need room between the bus and the branch's first box.
    const longest = Math.max(...b.branches.map((br) => truncate(br.label, LABEL_MAX).length));
    b.padL = b.labelled ? Math.max(BRANCH_PAD, 26 + longest * 6.2) : BRANCH_PAD;
    b.w = Math.max(...b.branches.map((br) => br.block.w), 0) + b.padL + BRANCH_PAD;
    b.h = b.branches.reduce((sum, br) => sum + br.block.h, 0) + GAP_Y * (b.branches.length - 1);
  } else if (b.kind === 'loop') {
    measure(b.body);
    b.w = b.body.w + 2 * LOOP_PAD;
    b.h = b.body.h + 2 * LOOP_PAD + 12;
  }
  return b;
}

function truncate(text, max) {
  const t = String(text || '');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * Render the picture. `tasks`: the execution's tasks (omit for a definition).
 * `onSelect(ref)`: called when a box is clicked. Answers an <svg>, or null for no tasks.
 */
export function renderDiagram(definition, tasks, { onSelect } = {}) {
  const tree = measure(build(definition && definition.tasks));
  if (!tree.items.length) return null;
  const byRef = tasks ? latestByRef(tasks) : new Map();
  const width = tree.w + 2 * MARGIN;
  const height = tree.h + 2 * MARGIN + 8;
  const svg = s('svg', {
    xmlns: NS,
    class: 'diagram',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'Workflow tasks coloured by status',
    'data-testid': 'diagram',
  });
  svg.append(
    s(
      'defs',
      {},
      s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' })),
    ),
  );
  const layer = s('g', {});
  svg.append(layer);

  const line = (points, arrow = true) =>
    layer.append(s('polyline', { points: points.map((p) => p.join(',')).join(' '), class: 'edge', 'marker-end': arrow ? 'url(#arrow)' : undefined }));

  function draw(b, x, y) {
    const cy = y + b.h / 2;
    if (b.kind === 'task') {
      drawTask(b.wt, x, y);
      return;
    }
    if (b.kind === 'seq') {
      let cx = x;
      b.items.forEach((it, i) => {
        // Into a block of branches, each branch draws its own arrow.
        if (i > 0) line([[cx - GAP_X, cy], [cx - 1, cy]], it.kind !== 'branches');
        draw(it, cx, cy - it.h / 2);
        cx += it.w + GAP_X;
      });
      if (!b.items.length) line([[x, cy], [x + b.w, cy]], false);
      return;
    }
    if (b.kind === 'branches') {
      const inner = b.w - b.padL - BRANCH_PAD;
      let by = y;
      const midIn = x + (b.labelled ? 12 : BRANCH_PAD / 2);
      const midOut = x + b.w - BRANCH_PAD / 2;
      for (const br of b.branches) {
        const bcy = by + br.block.h / 2;
        const start = x + b.padL;
        const empty = !br.block.items.length;
        line([[x, cy], [midIn, cy], [midIn, bcy], [empty ? midOut : start - 1, bcy]], !empty);
        layer.append(s('text', { x: midIn + 4, y: bcy - 5, class: 'branch-label' }, truncate(br.label, LABEL_MAX)));
        if (!empty) {
          draw(br.block, start, by);
          line([[start + br.block.w, bcy], [start + inner, bcy], [midOut, bcy]], false);
        }
        line([[midOut, bcy], [midOut, cy], [x + b.w, cy]], false);
        by += br.block.h + GAP_Y;
      }
      return;
    }
    if (b.kind === 'loop') {
      layer.append(s('rect', { x, y, width: b.w, height: b.h, rx: 10, class: 'loop-frame' }));
      layer.append(s('text', { x: x + 8, y: y + b.h - 6, class: 'branch-label' }, '↻ loop'));
      draw(b.body, x + LOOP_PAD, y + LOOP_PAD);
    }
  }

  function drawTask(wt, x, y) {
    const ref = wt.taskReferenceName;
    const task = byRef.get(baseRef(ref));
    const status = tasks ? (task ? task.status : 'NOT_STARTED') : 'DEFINED';
    const type = wt.type || 'SIMPLE';
    const sub = type === 'SIMPLE' ? wt.name : type;
    const g = s('g', {
      class: `node node-${status}${onSelect && task ? ' node-clickable' : ''}`,
      transform: `translate(${x},${y})`,
      'data-testid': `diagram-node-${ref}`,
      'data-status': status,
    });
    g.append(
      s('title', {}, `${ref} (${type === 'SIMPLE' ? `SIMPLE ${wt.name}` : type})${tasks ? ` — ${status.replaceAll('_', ' ')}` : ''}${task && task.retryCount ? `, retry ${task.retryCount}` : ''}`),
      s('rect', { width: BOX_W, height: BOX_H, rx: 8, class: 'node-box' }),
      s('text', { x: 12, y: 21, class: 'node-ref' }, truncate(ref, 20)),
      s('text', { x: 12, y: 37, class: 'node-type' }, truncate(sub, 21)),
    );
    if (tasks) {
      g.append(s('text', { x: 12, y: 54, class: 'node-status' }, task ? shortStatus(task.status) : 'not started'));
    }
    if (onSelect && task) g.addEventListener('click', () => onSelect(task));
    layer.append(g);
  }

  draw(tree, MARGIN, MARGIN);
  return svg;
}

function shortStatus(status) {
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

/** Statuses in the legend under an execution's picture. */
export const LEGEND = ['NOT_STARTED', 'SCHEDULED', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'TIMED_OUT', 'CANCELED', 'SKIPPED'];

/** The workflow input keys a definition reads: `${workflow.input.x}`, inputParameters, inputTemplate. */
export function inputKeys(def) {
  const keys = new Set(def.inputParameters || []);
  for (const k of Object.keys(def.inputTemplate || {})) keys.add(k);
  const text = JSON.stringify(def.tasks || []) + JSON.stringify(def.outputParameters || {});
  for (const m of text.matchAll(/\$\{workflow\.input\.([A-Za-z0-9_]+)/g)) keys.add(m[1]);
  return [...keys];
}
