// One webhook: its config as the server shows it (the secret masked), its receive URL, delete,
// and its deliveries (newest first): accepted or refused and why, the workflows whose
// WAIT_FOR_WEBHOOK tasks it completed and those it started, and its payload. Refreshes every
// 5 s, but not while a dialog is open.

import { api, ApiError } from '../lib/api.js';
import { navigate } from '../lib/nav.js';
import { append, clear, copyButton, errorBanner, fmtDateTime, h, jsonBlock, noticeBanner, refresher, statusBadge, timeEl } from '../lib/dom.js';
import { deleteWebhookDialog, headerNames, proofSummary, receivePath, receiveUrl, verifierHint, workflowEntries, workflowLinks } from '../lib/webhook-actions.js';

const REFRESH_MS = 5000;
const SHOWN = 50;

export function render(root, params) {
  const id = params.id;
  const refresh = refresher(REFRESH_MS);
  let disposed = false;
  let loaded = false;
  // Survive the refresh: which payloads are open, whether the header tokens are shown.
  const openPayloads = new Set();
  let last = null;
  const messages = h('div', { class: 'messages', 'data-testid': 'messages' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading webhook…'));
  root.append(body);

  // After a delete this page has nothing to show: the list says what happened.
  const deleted = (c) => () => navigate(`/ui/webhooks?deleted=${encodeURIComponent(c.name)}`, { replace: true });

  // `auto`: the timer's refresh, which leaves the page as it is if a dialog opened meanwhile.
  async function load(auto = false) {
    refresh.cancel();
    try {
      const config = await api.webhook(id);
      // The deliveries are an extra: failing to load them must not fail the page.
      const deliveries = await api.webhookDeliveries(id, SHOWN).catch((err) => ({ error: err }));
      if (disposed || (auto && document.querySelector('dialog[open]'))) return;
      loaded = true;
      last = { config, deliveries };
      draw(config, deliveries);
    } catch (err) {
      if (disposed) return;
      if (loaded) {
        clear(messages).append(errorBanner(err, { title: 'Refresh failed' }));
      } else {
        clear(body).append(
          header(null),
          errorBanner(err, { title: err instanceof ApiError && err.status === 404 ? 'This webhook cannot be found' : 'Cannot load this webhook' }),
        );
      }
    } finally {
      if (!disposed) {
        refresh.later(() => load(true));
      }
    }
  }

  function header(c) {
    return h(
      'div',
      { class: 'page-header' },
      h(
        'div',
        {},
        h('p', { class: 'crumbs' }, h('a', { href: '/ui/webhooks' }, 'Webhooks'), ' / ', c ? c.name : id),
        h(
          'h1',
          { class: 'title-with-badge' },
          h('span', { 'data-testid': 'webhook-title' }, c ? c.name : id),
          c ? h('span', { class: 'badge badge-large verifier-badge', 'data-testid': 'webhook-verifier' }, c.verifier) : null,
        ),
        c ? h('p', { class: 'subtitle' }, 'Senders POST to ', h('code', { 'data-testid': 'webhook-url' }, receiveUrl(c.id)), ' ', copyButton(receiveUrl(c.id), 'Copy URL')) : null,
      ),
      c
        ? h(
            'div',
            { class: 'header-actions' },
            h('span', { class: 'muted small' }, 'Refreshes every 5 s'),
            h('button', { type: 'button', class: 'btn btn-danger-outline', 'data-testid': 'webhook-delete', onclick: () => deleteWebhookDialog(c, deleted(c)) }, 'Delete'),
          )
        : null,
    );
  }

  function draw(c, deliveries) {
    clear(body);
    append(body, [header(c), messages, configCard(c), deliveriesCard(deliveries)]);
  }

  function configCard(c) {
    const item = (label, value, testid) =>
      h('div', { class: 'kv' }, h('dt', {}, label), h('dd', { 'data-testid': testid }, value === '' || value === null || value === undefined ? h('span', { class: 'muted' }, '—') : value));
    const starts = c.workflowsToStart || {};
    const idempotency = starts.idempotencyKey
      ? [h('code', {}, starts.idempotencyKey), h('span', { class: 'muted' }, ` (${starts.idempotencyStrategy || 'FAIL'})`)]
      : '';
    return h(
      'section',
      { class: 'card' },
      h(
        'dl',
        { class: 'kv-grid' },
        item('Id', h('code', {}, c.id), 'webhook-id'),
        item('Verifier', [h('code', {}, c.verifier), h('div', { class: 'muted small' }, verifierHint(c.verifier))]),
        item('Reads', proofSummary(c)),
        c.verifier === 'HEADER_BASED' ? item('Required headers', headersValue(c), 'webhook-headers') : item('Secret', secretValue(c), 'webhook-secret'),
        item('Completes WAIT_FOR_WEBHOOK tasks in', workflowLinks(c.receiverWorkflowNamesToVersions, { anyLabel: 'any version', testid: 'webhook-receivers' })),
        item('Starts', workflowLinks(starts, { skipReserved: true, anyLabel: 'latest version', testid: 'webhook-starts' })),
        workflowEntries(starts, { skipReserved: true }).length ? item('Idempotency key of the starts', idempotency) : null,
        item('Source platform', c.sourcePlatform || ''),
        item('Verified', c.urlVerified ? 'yes: a delivery has passed verification' : 'not yet: no delivery has passed verification', 'webhook-verified'),
        c.createdBy ? item('Created by', h('code', {}, c.createdBy)) : null,
      ),
    );
  }

  // The server masks secretValue (***): shown as it comes.
  function secretValue(c) {
    if (!c.secretValue) return '';
    return [h('code', {}, c.secretValue), h('span', { class: 'muted small' }, ' masked by the server')];
  }

  // A HEADER_BASED config's header values are its tokens: the server masks them (***) as it
  // masks secretValue.
  function headersValue(c) {
    const names = headerNames(c);
    if (!names.length) return '';
    return [
      h('ul', { class: 'plain-list' }, names.map((n) => h('li', {}, h('code', {}, n), ': ', h('code', {}, String(c.headers[n]))))),
      h('span', { class: 'muted small' }, 'values masked by the server'),
    ];
  }

  function deliveriesCard(res) {
    const head = h(
      'div',
      { class: 'card-head' },
      h('h2', {}, 'Deliveries'),
      h('span', { class: 'muted small' }, 'Each POST to the receive URL, verified or refused, and what it did. Newest first.'),
    );
    if (res.error) return h('section', { class: 'card' }, head, errorBanner(res.error, { title: 'Cannot load its deliveries', testid: 'webhook-deliveries-error' }));
    const list = res || [];
    return h(
      'section',
      { class: 'card table-card' },
      head,
      list.length
        ? [
            h(
              'table',
              { class: 'table deliveries-table', 'data-testid': 'webhook-deliveries' },
              h('thead', {}, h('tr', {}, h('th', {}, 'Received'), h('th', {}, 'Outcome'), h('th', {}, 'What it did'), h('th', {}, 'Payload'))),
              h('tbody', {}, list.map(deliveryRow)),
            ),
            list.length >= SHOWN ? h('p', { class: 'muted small pad' }, `The newest ${SHOWN} deliveries (the server keeps the latest 1000).`) : null,
          ]
        : h('p', { class: 'muted pad', 'data-testid': 'webhook-no-deliveries' }, 'Nothing delivered yet. POST to the receive URL above.'),
    );
  }

  function deliveryRow(d) {
    const ok = d.status >= 200 && d.status < 300;
    return h(
      'tr',
      { 'data-testid': 'webhook-delivery', 'data-outcome': d.outcome, 'data-event-id': d.eventId },
      h('td', { class: 'nowrap' }, timeEl(d.timeStamp, fmtDateTime), h('div', { class: 'muted small mono', title: 'delivery id (the answer the sender got)' }, d.eventId)),
      h('td', { class: 'nowrap' }, statusBadge(d.outcome, { 'data-testid': 'webhook-delivery-outcome' }), ' ', h('span', { class: `http http-${ok ? 'ok' : 'bad'}` }, String(d.status))),
      h('td', { class: 'delivery-result' }, result(d)),
      h('td', { class: 'delivery-payload' }, payload(d)),
    );
  }

  function result(d) {
    const links = (ids, testid) => ids.map((wid, i) => [i ? ', ' : '', h('a', { class: 'mono', href: `/ui/executions/${encodeURIComponent(wid)}`, 'data-testid': testid }, wid)]);
    const started = d.startedWorkflowIds || [];
    // workflowIds lists the executions whose task it completed, then those it started.
    const completed = (d.workflowIds || []).filter((w) => !started.includes(w));
    const tasks = (d.taskIds || []).length;
    const lines = [];
    if (d.reason) lines.push(h('div', { class: d.outcome === 'REJECTED' ? 'bad' : 'muted', 'data-testid': 'webhook-delivery-reason' }, d.reason));
    if (d.outcome === 'ACCEPTED') {
      if (completed.length) {
        lines.push(h('div', {}, `Completed ${tasks === 1 ? 'the WAIT_FOR_WEBHOOK task' : `${tasks} WAIT_FOR_WEBHOOK tasks`} of `, links(completed, 'webhook-delivery-completed')));
      }
      if (started.length) lines.push(h('div', {}, 'Started ', links(started, 'webhook-delivery-started')));
      if (!d.matched) lines.push(h('div', { class: 'muted', 'data-testid': 'webhook-delivery-nothing' }, 'Matched no waiting task and started nothing.'));
    }
    for (const e of d.errors || []) lines.push(h('div', { class: 'bad', 'data-testid': 'webhook-delivery-error' }, e));
    return lines;
  }

  function payload(d) {
    if (d.payload === undefined || d.payload === null) return h('span', { class: 'muted small' }, d.outcome === 'REJECTED' ? 'not kept (refused)' : '—');
    const text = JSON.stringify(d.payload);
    return h(
      'details',
      {
        class: 'disclosure payload',
        open: openPayloads.has(d.eventId),
        ontoggle: (e) => (e.target.open ? openPayloads.add(d.eventId) : openPayloads.delete(d.eventId)),
        'data-testid': 'webhook-delivery-payload',
      },
      h('summary', {}, h('code', { class: 'json-inline', title: text.length > 80 ? 'open to see all of it' : null }, text.length > 80 ? `${text.slice(0, 79)}…` : text)),
      jsonBlock(d.payload),
    );
  }

  load();
  return () => {
    disposed = true;
    refresh.cancel();
  };
}
