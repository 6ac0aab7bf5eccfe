// Places a measured layout tree (tree.js) in an SVG group: sequences left to right, lanes
// (fork branches, switch cases) stacked and joined again on the right, loop frames around
// their body with the iteration picker in their title row.

import { s, edge, truncate } from './svg.js';
import { GAP_X, GAP_Y, LANE_PAD, LOOP_PAD, LOOP_HEAD, LABEL_MAX } from './tree.js';
import { taskNode, noteNode } from './node.js';

/**
 * Draw block `b` with its top-left corner at x, y into `layer`.
 * opts: {onSelect(task), onIteration(loopRef, iteration, isLatest)}.
 */
export function draw(b, x, y, layer, opts) {
  if (b.kind === 'task') layer.append(taskNode(b, x, y, opts));
  else if (b.kind === 'note') layer.append(noteNode(b, x, y));
  else if (b.kind === 'seq') drawSeq(b, x, y, layer, opts);
  else if (b.kind === 'lanes') drawLanes(b, x, y, layer, opts);
  else if (b.kind === 'loop') drawLoop(b, x, y, layer, opts);
}

function drawSeq(b, x, y, layer, opts) {
  const cy = y + b.h / 2;
  let cx = x;
  b.items.forEach((it, i) => {
    // Into a block of lanes, each lane draws its own arrow.
    if (i > 0) layer.append(edge([[cx - GAP_X, cy], [cx - 1, cy]], { arrow: it.kind !== 'lanes' }));
    draw(it, cx, cy - it.h / 2, layer, opts);
    cx += it.w + GAP_X;
  });
  if (!b.items.length) layer.append(edge([[x, cy], [x + b.w, cy]], { arrow: false }));
}

function drawLanes(b, x, y, layer, opts) {
  const cy = y + b.h / 2;
  const inner = b.w - b.padL - LANE_PAD;
  const busIn = x + (b.labelled ? 12 : LANE_PAD / 2);
  const busOut = x + b.w - LANE_PAD / 2;
  const start = x + b.padL;
  let ly = y;
  for (const lane of b.lanes) {
    const lcy = ly + lane.block.h / 2;
    const empty = !lane.block.items.length;
    const state = lane.taken === true ? 'taken' : lane.taken === false ? 'not-taken' : 'open';
    const cls = lane.taken === true ? 'edge edge-taken' : 'edge';
    // Each lane is its own group so a case not taken can be dimmed as a whole.
    const g = s('g', {
      class: `lane lane-${state}`,
      'data-testid': `diagram-lane-${b.owner}-${lane.label || 'dynamic'}`,
      'data-taken': lane.taken === null ? null : String(lane.taken),
    });
    g.append(edge([[x, cy], [busIn, cy], [busIn, lcy], [empty ? busOut : start - 1, lcy]], { arrow: !empty, cls }));
    if (lane.label) {
      const text = lane.taken ? `✓ ${truncate(lane.label, LABEL_MAX)}` : truncate(lane.label, LABEL_MAX);
      g.append(s('text', { x: busIn + 4, y: lcy - 5, class: `branch-label${lane.taken ? ' branch-label-taken' : ''}` }, s('title', {}, lane.label), text));
    }
    if (!empty) {
      draw(lane.block, start, ly, g, opts);
      g.append(edge([[start + lane.block.w, lcy], [start + inner, lcy], [busOut, lcy]], { arrow: false, cls }));
    }
    g.append(edge([[busOut, lcy], [busOut, cy], [x + b.w, cy]], { arrow: false, cls }));
    layer.append(g);
    ly += lane.block.h + GAP_Y;
  }
}

function drawLoop(b, x, y, layer, opts) {
  const g = s('g', {
    class: 'loop',
    'data-testid': `diagram-loop-${b.ref}`,
    'data-iterations': b.executed ? String(b.task ? b.task.iteration || 0 : 0) : null,
    'data-shown': b.executed ? String(b.shown) : null,
  });
  g.append(s('rect', { x, y, width: b.w, height: b.h, rx: 10, class: 'loop-frame' }));
  g.append(s('text', { x: x + 10, y: y + 21, class: 'loop-title' }, loopTitle(b)));
  if (b.executed && b.iterations.length > 1) g.append(picker(b, x + b.w - 160, y + 6, opts));
  draw(b.body, x + LOOP_PAD, y + LOOP_HEAD, g, opts);
  layer.append(g);
}

function loopTitle(b) {
  if (!b.executed) {
    const wt = b.wt;
    const items = wt.items || (wt.inputParameters || {}).items || (wt.inputParameters || {})._items;
    if (items !== undefined) return '↻ loop: once per item';
    return `↻ loop while ${truncate(wt.loopCondition || '…', 48)}`;
  }
  if (!b.task) return '↻ loop: not started';
  const n = b.task.iteration || 0;
  return `↻ loop: ${n} ${n === 1 ? 'iteration' : 'iterations'}`;
}

/** An HTML <select> of the loop's iterations inside the frame (an SVG foreignObject). */
function picker(b, x, y, { onIteration }) {
  const latest = b.iterations.at(-1);
  const select = document.createElement('select');
  select.className = 'iteration-picker';
  select.dataset.testid = `diagram-iteration-${b.ref}`;
  select.setAttribute('aria-label', `Iteration of loop ${b.ref} to show`);
  for (const i of b.iterations) {
    const opt = new Option(`iteration ${i} of ${latest}`, String(i), false, i === b.shown);
    select.append(opt);
  }
  select.addEventListener('change', () => {
    const i = Number(select.value);
    if (onIteration) onIteration(b.ref, i, i === latest);
  });
  const fo = s('foreignObject', { x, y, width: 150, height: 24 });
  fo.append(select);
  return fo;
}
