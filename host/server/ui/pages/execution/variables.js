// The Variables card of an execution page: the workflow's variables, and a dialog to edit
// them. The API merges what it is given over the current variables, so a key left out is
// kept; it refuses (409) once the workflow has ended, shown in the dialog in words.

import { api } from '../../lib/api.js';
import { h, jsonBlock, prettyJson, parseJsonInput, field, openDialog } from '../../lib/dom.js';
import { isTerminalWorkflow } from '../../lib/status.js';

/** `ctx`: {id, refreshing, afterDialog} from the execution page. */
export function variablesCard(wf, ctx) {
  const terminal = isTerminalWorkflow(wf.status);
  return h(
    'section',
    { class: 'card', 'data-testid': 'variables-card' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', {}, 'Variables'),
      terminal
        ? h('span', { class: 'muted small' }, 'Read only: the workflow has ended.')
        : h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'edit-variables', onclick: () => editDialog(wf, ctx) }, 'Edit variables…'),
    ),
    jsonBlock(wf.variables, { 'data-testid': 'workflow-variables' }),
  );
}

function editDialog(wf, ctx) {
  const text = h('textarea', { rows: 10, class: 'code', spellcheck: 'false', 'data-testid': 'variables-input' }, prettyJson(wf.variables || {}));
  openDialog({
    title: 'Edit variables',
    testid: 'dialog-variables',
    confirmLabel: 'Save variables',
    wide: true,
    body: [
      h('p', {}, 'Tasks read them as ', h('code', {}, '${workflow.variables.…}'), '. The keys given here are set over the current ones; a key left out keeps its value (set it to ', h('code', {}, 'null'), ' to clear it).'),
      field('Variables (JSON object)', text),
    ],
    onConfirm: ctx.refreshing(async () => {
      const parsed = parseJsonInput(text.value, { label: 'The variables' });
      if (parsed.error) throw new Error(parsed.error);
      await api.updateVariables(ctx.id, parsed.value);
      await ctx.afterDialog('Variables updated.');
    }),
  });
}
