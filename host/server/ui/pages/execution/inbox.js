// The Inbox card of an execution page: the messages sent to the workflow that wait for a
// PULL_WORKFLOW_MESSAGES task to take them, and a dialog to send one. Sending is refused
// (409) unless the workflow is RUNNING, shown in the dialog in words.

import { api } from '../../lib/api.js';
import { h, errorBanner, prettyJson, parseJsonInput, field, openDialog, timeEl, fmtDateTime } from '../../lib/dom.js';

/** `messages`: the list from the API, or {error}; `ctx`: {id, refreshing, afterDialog}. */
export function inboxCard(wf, messages, ctx) {
  const list = Array.isArray(messages) ? messages : [];
  const head = h(
    'div',
    { class: 'card-head' },
    h('h2', {}, 'Inbox', list.length ? h('span', { class: 'tag', 'data-testid': 'inbox-count' }, String(list.length)) : null),
    wf.status === 'RUNNING'
      ? h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'send-message', onclick: () => sendDialog(ctx) }, 'Send message…')
      : h('span', { class: 'muted small' }, 'Messages are taken only while it runs.'),
  );
  let content;
  if (messages && messages.error) {
    content = errorBanner(messages.error, { title: 'Cannot load the inbox', testid: 'inbox-error' });
  } else if (!list.length) {
    content = h('p', { class: 'muted', 'data-testid': 'inbox-empty' }, 'No message waiting. A PULL_WORKFLOW_MESSAGES task takes the messages sent to this workflow, oldest first.');
  } else {
    content = h(
      'table',
      { class: 'table compact inbox-table', 'data-testid': 'inbox-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Received'), h('th', {}, 'Payload'))),
      h(
        'tbody',
        {},
        list.map((m) =>
          h(
            'tr',
            { 'data-testid': 'inbox-message', 'data-id': m.id },
            h('td', { class: 'nowrap' }, timeEl(m.receivedAt, fmtDateTime), h('div', { class: 'muted small mono', title: m.id }, m.id.slice(0, 8))),
            h('td', {}, h('code', { class: 'json-inline', title: prettyJson(m.payload) }, JSON.stringify(m.payload))),
          ),
        ),
      ),
    );
  }
  return h('section', { class: 'card', 'data-testid': 'inbox-card' }, head, content);
}

function sendDialog(ctx) {
  const payload = h('textarea', { rows: 8, class: 'code', spellcheck: 'false', placeholder: '{"orderId": "1234"}', 'data-testid': 'message-payload' }, '{}');
  openDialog({
    title: 'Send message',
    testid: 'dialog-send-message',
    confirmLabel: 'Send',
    wide: true,
    body: [
      h('p', {}, 'The message waits in the workflow’s inbox until a PULL_WORKFLOW_MESSAGES task takes it (as one of its ', h('code', {}, 'messages'), ').'),
      field('Payload (JSON object)', payload),
    ],
    onConfirm: ctx.refreshing(async () => {
      const parsed = parseJsonInput(payload.value, { label: 'The payload' });
      if (parsed.error) throw new Error(parsed.error);
      const messageId = await api.sendMessage(ctx.id, parsed.value);
      await ctx.afterDialog(`Message ${messageId} sent.`);
    }),
  });
}
