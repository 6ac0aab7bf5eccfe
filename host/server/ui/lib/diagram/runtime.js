// What an execution says about its definition's nodes, for the picture: which task ran for a
// reference (inside a loop: in the iteration shown), which SWITCH case was taken, which
// iterations a DO_WHILE has, which forks a dynamic fork made, and which child a SUB_WORKFLOW
// started. Conductor's JSON shapes: loop body tasks are `ref__N` with `iteration` N.

import { baseRef, subWorkflowId } from '../status.js';

const seqOf = (t) => t.seq || 0;

// A SUB_WORKFLOW task's status says what became of its child before the child is fetched.
const CHILD_STATUS = {
  SCHEDULED: 'NOT_STARTED',
  IN_PROGRESS: 'RUNNING',
  COMPLETED: 'COMPLETED',
  COMPLETED_WITH_ERRORS: 'COMPLETED',
  FAILED: 'FAILED',
  FAILED_WITH_TERMINAL_ERROR: 'FAILED',
  TIMED_OUT: 'TIMED_OUT',
  CANCELED: 'TERMINATED',
};

/**
 * `tasks`: the execution's tasks. `children`: Map child id → child workflow (those fetched).
 * `shown`: Map loop ref → the iteration the user picked (absent: the latest).
 */
export function runtime(tasks, { children = new Map(), shown = new Map() } = {}) {
  // The latest task per exact reference name: retries come later in seq order.
  const byRef = new Map();
  for (const t of tasks || []) {
    const prev = byRef.get(t.referenceTaskName);
    if (!prev || seqOf(t) >= seqOf(prev)) byRef.set(t.referenceTaskName, t);
  }

  return {
    /** The task for a definition ref; `iteration` > 0 inside a loop. Null if none ran. */
    task(ref, iteration = 0) {
      if (!iteration) return byRef.get(ref) || null;
      const suffixed = byRef.get(`${ref}__${iteration}`);
      if (suffixed) return suffixed;
      // An engine that keeps the bare ref inside loops still sets `iteration`.
      const bare = byRef.get(ref);
      return bare && bare.iteration === iteration ? bare : null;
    },

    /** The case a SWITCH (selectedCase, evaluationResult) or DECISION (caseOutput) took, or null. */
    selectedCase(task) {
      if (!task) return null;
      const out = task.outputData || {};
      if (out.selectedCase !== undefined && out.selectedCase !== null) return String(out.selectedCase);
      for (const key of ['evaluationResult', 'caseOutput']) {
        if (Array.isArray(out[key]) && out[key].length) return String(out[key][0]);
      }
      return null;
    },

    /** The iterations a loop has tasks for, ascending; `bodyRefs`: every ref inside its body. */
    iterations(loopTask, bodyRefs) {
      const found = new Set();
      for (const t of tasks || []) {
        if (t.iteration > 0 && bodyRefs.has(baseRef(t.referenceTaskName))) found.add(t.iteration);
      }
      // keepLastN removes old iterations' tasks; the loop's own counter still counts them.
      const current = loopTask ? loopTask.iteration || (loopTask.outputData || {}).iteration || 0 : 0;
      if (current > 0) found.add(current);
      return [...found].sort((a, b) => a - b);
    },

    /** The iteration to draw for a loop: the user's pick if it still exists, else the latest. */
    shownIteration(loopRef, iterations) {
      const pick = shown.get(loopRef);
      return iterations.includes(pick) ? pick : iterations.at(-1) || 0;
    },

    /** A dynamic fork's branches, one workflow task each, from its FORK task; null if unknown. */
    dynamicForks(forkTask) {
      if (!forkTask) return null;
      const input = forkTask.inputData || {};
      if (Array.isArray(input.forkedTaskDefs) && input.forkedTaskDefs.length) return input.forkedTaskDefs;
      if (!Array.isArray(input.forkedTasks)) return null;
      return input.forkedTasks.map((ref) => {
        const t = byRef.get(ref);
        return (t && t.workflowTask) || { name: t ? t.taskDefName : ref, taskReferenceName: ref, type: t ? t.taskType : 'SIMPLE' };
      });
    },

    /** The child a SUB_WORKFLOW task started: {id, status, name}, or null before it has one. */
    child(task) {
      const id = task && subWorkflowId(task);
      if (!id) return null;
      const wf = children.get(id);
      return { id, status: wf ? wf.status : CHILD_STATUS[task.status] || task.status, name: wf ? wf.workflowName : null };
    },
  };
}
