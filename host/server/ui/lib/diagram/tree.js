// The layout tree of a workflow picture: the definition's nested task lists turned into
// blocks (task boxes, sequences, parallel lanes, loop frames), each measured. Execution facts
// are looked up here, once, through `rt` (runtime.js; null for a definition), so that
// draw.js only places what it is given.

export const BOX_W = 168;
export const BOX_H = 64;
export const CHILD_H = 20; // the extra row of a SUB_WORKFLOW box: its child's id and status
export const GAP_X = 34;
export const GAP_Y = 18;
export const LANE_PAD = 44;
export const LOOP_PAD = 14;
export const LOOP_HEAD = 34; // the loop frame's title row, with the iteration picker
export const LOOP_HEAD_W = 330;
export const LABEL_MAX = 14;

/** The measured tree of a definition's `tasks`, for an execution when `rt` is given. */
export function buildTree(workflowTasks, rt) {
  return measure(sequence(workflowTasks, rt, 0));
}

function sequence(workflowTasks, rt, iteration) {
  return { kind: 'seq', items: (workflowTasks || []).flatMap((wt) => blocks(wt, rt, iteration)) };
}

/** One definition task as blocks: its box, then its lanes (forks, cases), or a loop frame. */
function blocks(wt, rt, iteration) {
  const type = wt.type || 'SIMPLE';
  const task = rt ? rt.task(wt.taskReferenceName, iteration) : null;
  const node = { kind: 'task', wt, type, task, executed: !!rt, child: rt && type === 'SUB_WORKFLOW' ? rt.child(task) : null };
  const ref = wt.taskReferenceName;

  if (type === 'FORK_JOIN' && Array.isArray(wt.forkTasks) && wt.forkTasks.length) {
    const lanes = wt.forkTasks.map((branch, i) => ({ label: String(i + 1), block: sequence(branch, rt, iteration), taken: null }));
    return [node, { kind: 'lanes', owner: ref, lanes, labelled: false }];
  }
  if (type === 'FORK_JOIN_DYNAMIC') {
    const forks = rt ? rt.dynamicForks(task) : null;
    const lanes = forks
      ? forks.map((fwt, i) => ({ label: String(i + 1), block: sequence([fwt], rt, iteration), taken: null }))
      : [{ label: '', block: { kind: 'seq', items: [{ kind: 'note', text: 'forks made at run time' }] }, taken: null }];
    return lanes.length ? [node, { kind: 'lanes', owner: ref, lanes, labelled: false }] : [node];
  }
  if ((type === 'SWITCH' || type === 'DECISION') && (wt.decisionCases || wt.defaultCase)) {
    const cases = Object.entries(wt.decisionCases || {});
    const lanes = cases.map(([label, branch]) => ({ label, block: sequence(branch, rt, iteration), taken: null }));
    lanes.push({ label: 'default', block: sequence(wt.defaultCase || [], rt, iteration), taken: null, isDefault: true });
    const selected = rt ? rt.selectedCase(task) : null;
    if (selected !== null) {
      // A case without a list of its own runs the default (Conductor's rule).
      const hit = cases.findIndex(([label]) => label === selected);
      const taken = hit >= 0 ? hit : lanes.length - 1;
      lanes.forEach((lane, i) => (lane.taken = i === taken));
    }
    node.selectedCase = selected;
    return [node, { kind: 'lanes', owner: ref, lanes, labelled: true }];
  }
  if (type === 'DO_WHILE' && Array.isArray(wt.loopOver) && wt.loopOver.length) {
    const iterations = rt ? rt.iterations(task, refsIn(wt.loopOver)) : [];
    const shown = rt ? rt.shownIteration(ref, iterations) : 0;
    node.iteration = task ? task.iteration || 0 : 0;
    const body = { kind: 'seq', items: [node, ...sequence(wt.loopOver, rt, shown).items] };
    return [{ kind: 'loop', ref, wt, task, executed: !!rt, iterations, shown, body }];
  }
  return [node];
}

/** Every reference name inside a list of workflow tasks, nested cases and forks included. */
export function refsIn(workflowTasks, into = new Set()) {
  for (const wt of workflowTasks || []) {
    into.add(wt.taskReferenceName);
    for (const branch of Object.values(wt.decisionCases || {})) refsIn(branch, into);
    refsIn(wt.defaultCase, into);
    for (const branch of wt.forkTasks || []) refsIn(branch, into);
    refsIn(wt.loopOver, into);
  }
  return into;
}

function measure(b) {
  if (b.kind === 'task') {
    b.w = BOX_W;
    b.h = BOX_H + (b.executed && b.type === 'SUB_WORKFLOW' ? CHILD_H : 0);
  } else if (b.kind === 'note') {
    b.w = BOX_W;
    b.h = BOX_H;
  } else if (b.kind === 'seq') {
    b.items.forEach(measure);
    b.w = b.items.reduce((sum, it) => sum + it.w, 0) + GAP_X * Math.max(0, b.items.length - 1);
    b.h = b.items.length ? Math.max(...b.items.map((it) => it.h)) : BOX_H / 2;
  } else if (b.kind === 'lanes') {
    b.lanes.forEach((lane) => measure(lane.block));
    // Case labels (with the ✓ of the taken one) need room between the bus and the first box.
    const longest = Math.max(...b.lanes.map((lane) => Math.min(lane.label.length, LABEL_MAX) + 2));
    b.padL = b.labelled ? Math.max(LANE_PAD, 26 + longest * 6.4) : LANE_PAD;
    b.w = Math.max(...b.lanes.map((lane) => lane.block.w), 0) + b.padL + LANE_PAD;
    b.h = b.lanes.reduce((sum, lane) => sum + lane.block.h, 0) + GAP_Y * (b.lanes.length - 1);
  } else if (b.kind === 'loop') {
    measure(b.body);
    b.w = Math.max(b.body.w, b.executed ? LOOP_HEAD_W : 0) + 2 * LOOP_PAD;
    b.h = LOOP_HEAD + b.body.h + LOOP_PAD;
  }
  return b;
}
