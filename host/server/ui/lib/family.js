// An execution's relatives. Its children (the workflows its SUB_WORKFLOW tasks started) are
// fetched for the picture (the child's status on its box) and for "why it is waiting" (what
// waits inside the child): only running children are followed further down, a few levels
// deep, and the number of fetches is capped so a wide dynamic fork of sub-workflows cannot
// flood the server. Its parent is fetched for the link back up.

import { isTerminalTask, isTerminalWorkflow, subWorkflowId } from './status.js';

/**
 * Answers a Map child id → workflow (with its tasks). `fetchWorkflow(id)`: the API call.
 * `depth`: levels below `wf` to follow; `max`: fetches in all. A child that cannot be fetched
 * is left out (the picture and the sentences then fall back to what the parent task says).
 */
export async function loadChildren(wf, fetchWorkflow, { depth = 3, max = 20 } = {}) {
  const found = new Map();
  let budget = max;
  let level = [wf];
  for (let d = 0; d < depth && level.length && budget > 0; d++) {
    // Below the first level only running children matter: they are what a parent waits on.
    const ids = level.flatMap((w) => childIds(w, d > 0)).filter((id) => !found.has(id));
    const batch = [...new Set(ids)].slice(0, budget);
    budget -= batch.length;
    const got = await Promise.all(batch.map((id) => fetchWorkflow(id).catch(() => null)));
    level = [];
    for (const child of got) {
      if (!child) continue;
      found.set(child.workflowId, child);
      if (!isTerminalWorkflow(child.status)) level.push(child);
    }
  }
  return found;
}

function childIds(wf, liveOnly) {
  return (wf.tasks || [])
    .filter((t) => !t.retried && (t.taskType === 'SUB_WORKFLOW' || (t.workflowTask || {}).type === 'SUB_WORKFLOW'))
    .filter((t) => !liveOnly || !isTerminalTask(t.status))
    .map(subWorkflowId)
    .filter(Boolean);
}

/**
 * The parent of a sub-workflow execution: {id, name, ref} with `ref` the parent's task that
 * started it, or null for a top-level one. `known`: the answer of an earlier call, reused
 * (a parent's name and task do not change). A parent that cannot be fetched gives only its id.
 */
export async function loadParent(wf, fetchWorkflow, known = null) {
  if (!wf.parentWorkflowId) return null;
  if (known && known.id === wf.parentWorkflowId && known.name) return known;
  try {
    const parent = await fetchWorkflow(wf.parentWorkflowId);
    const task = (parent.tasks || []).find((t) => t.taskId === wf.parentWorkflowTaskId);
    return { id: parent.workflowId, name: parent.workflowName, ref: task ? task.referenceTaskName : null };
  } catch {
    return { id: wf.parentWorkflowId, name: null, ref: null };
  }
}
