// Webhooks: every incoming webhook with its verifier, the workflows whose WAIT_FOR_WEBHOOK
// tasks it completes, the workflows it starts and its receive URL to copy, with delete on
// each row and the New webhook dialog.

import { api } from '../lib/api.js';
import { h, clear, errorBanner, noticeBanner, copyButton } from '../lib/dom.js';
import { deleteWebhookDialog, proofSummary, receivePath, receiveUrl, workflowLinks } from '../lib/webhook-actions.js';
import { newWebhookDialog } from '../lib/webhook-form.js';

export function render(root, _params, query) {
  let disposed = false;
  const messages = h('div', { class: 'messages', 'data-testid': 'messages' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading webhooks…'));
  const create = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'webhook-new', onclick: () => newWebhookDialog(created) }, '+ New webhook');
  root.append(
    h(
      'div',
      { class: 'page-header' },
      h(
        'div',
        {},
        h('h1', {}, 'Webhooks'),
        h('p', { class: 'subtitle' }, 'Incoming webhooks: senders POST to the receive URL; a verified delivery completes waiting WAIT_FOR_WEBHOOK tasks and starts workflows. Open one for its deliveries.'),
      ),
      h('div', { class: 'header-actions' }, create),
    ),
    messages,
    body,
  );
  if (query.get('deleted')) messages.append(noticeBanner(`Webhook ${query.get('deleted')} deleted.`));

  const created = (c) => notice(`Webhook ${c.name} created: senders POST to ${receiveUrl(c.id)}`);
  async function notice(text) {
    clear(messages).append(noticeBanner(text));
    await load();
  }

  async function load() {
    try {
      const list = await api.webhooks();
      if (disposed) return;
      draw(list || []);
    } catch (err) {
      if (disposed) return;
      clear(body).append(errorBanner(err, { title: 'Cannot list the webhooks' }));
    }
  }

  function draw(list) {
    clear(body);
    if (!list.length) {
      body.append(h('div', { class: 'card empty', 'data-testid': 'empty' }, h('p', {}, 'No webhooks yet. ', h('button', { type: 'button', class: 'btn btn-small', onclick: () => newWebhookDialog(created) }, 'Create one'))));
      return;
    }
    const rows = [...list].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)).map(row);
    body.append(
      h(
        'div',
        { class: 'card table-card' },
        h(
          'table',
          { class: 'table', 'data-testid': 'webhooks-table' },
          h(
            'thead',
            {},
            h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Verifier'), h('th', {}, 'Completes waits in'), h('th', {}, 'Starts'), h('th', {}, 'Receive URL'), h('th', {}, '')),
          ),
          h('tbody', {}, rows),
        ),
      ),
    );
  }

  function row(c) {
    const href = `/ui/webhooks/${encodeURIComponent(c.id)}`;
    return h(
      'tr',
      { 'data-testid': `webhook-${c.id}` },
      h(
        'td',
        {},
        h('a', { href, class: 'strong', 'data-testid': `webhook-link-${c.id}` }, c.name),
        c.sourcePlatform ? h('span', { class: 'tag' }, c.sourcePlatform) : null,
        h('div', { class: 'muted small mono', 'data-testid': `webhook-id-${c.id}` }, c.id),
      ),
      h('td', {}, h('code', { 'data-testid': `webhook-verifier-${c.id}` }, c.verifier), h('div', { class: 'muted small' }, proofSummary(c))),
      h('td', {}, workflowLinks(c.receiverWorkflowNamesToVersions, { anyLabel: 'any version', testid: `webhook-receivers-${c.id}` })),
      h('td', {}, workflowLinks(c.workflowsToStart, { skipReserved: true, anyLabel: 'latest', testid: `webhook-starts-${c.id}` })),
      h(
        'td',
        { class: 'nowrap' },
        h('code', { title: `POST ${receiveUrl(c.id)}`, 'data-testid': `webhook-url-${c.id}` }, receivePath(c.id)),
        ' ',
        copyButton(receiveUrl(c.id), 'Copy URL'),
        c.urlVerified ? null : h('div', { class: 'muted small' }, 'no verified delivery yet'),
      ),
      h(
        'td',
        { class: 'row-actions nowrap' },
        h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', 'data-testid': `webhook-delete-${c.id}`, onclick: () => deleteWebhookDialog(c, notice) }, 'Delete'),
      ),
    );
  }

  load();
  return () => {
    disposed = true;
  };
}
