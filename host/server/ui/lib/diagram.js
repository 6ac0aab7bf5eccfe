// The picture of a workflow: its definition's tasks drawn left to right as an inline SVG,
// each box coloured by the status of that task in the execution (or plain for a definition).
// Fork branches and switch cases are parallel lanes (the case taken marked), DO_WHILE bodies
// are framed with an iteration picker, SUB_WORKFLOW boxes link to their child execution.
// The work is split in diagram/: runtime.js (execution facts), tree.js (layout), draw.js
// (placement), node.js (one box), svg.js (helpers).

import { NS, s } from './diagram/svg.js';
import { runtime } from './diagram/runtime.js';
import { buildTree } from './diagram/tree.js';
import { draw } from './diagram/draw.js';

const MARGIN = 12;

/**
 * Render the picture. `tasks`: the execution's tasks (omit for a definition).
 * Options: `onSelect(task)` when a box is clicked; `children` (Map child id → workflow) for
 * the status of SUB_WORKFLOW children; `iterations` (Map loop ref → iteration picked) and
 * `onIteration(loopRef, iteration, isLatest)` for the loop pickers.
 * Answers an <svg>, or null when the definition has no tasks.
 */
export function renderDiagram(definition, tasks, { onSelect, children, iterations, onIteration } = {}) {
  const rt = tasks ? runtime(tasks, { children, shown: iterations }) : null;
  const tree = buildTree(definition && definition.tasks, rt);
  if (!tree.items.length) return null;
  const width = tree.w + 2 * MARGIN;
  const height = tree.h + 2 * MARGIN + 8;
  const svg = s('svg', {
    xmlns: NS,
    class: 'diagram',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': tasks ? 'Workflow tasks coloured by status' : 'Workflow tasks',
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
  draw(tree, MARGIN, MARGIN, layer, { onSelect, onIteration });
  return svg;
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
