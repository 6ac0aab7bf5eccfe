// What the Webhooks list and a webhook's own page share: the verifiers in words, the receive
// URL, the workflows a config names (receivers and workflows to start) as links, and delete.
// Delete answers a promise that settles after the API answered; `done(text)` is called with
// a notice on success, and an API refusal is shown in words in the dialog.

import { api } from './api.js';
import { h, openDialog } from './dom.js';

/** The verifiers fermata accepts (TWITTER and SENDGRID are refused with a 400), in words. */
export const VERIFIERS = [
  { id: 'HEADER_BASED', label: 'HEADER_BASED: a static token in a header', hint: 'Every header listed must come with exactly that value.' },
  { id: 'HMAC_BASED', label: 'HMAC_BASED: HMAC-SHA256 of the body (Microsoft Teams, custom)', hint: 'The header holds the HMAC-SHA256 of the raw body in hex or Base64, keyed by the secret.' },
  { id: 'SIGNATURE_BASED', label: 'SIGNATURE_BASED: GitHub’s sha256= signature', hint: 'The header (X-Hub-Signature-256 for GitHub) is sha256= and the hex HMAC-SHA256 of the raw body, keyed by the secret.' },
  { id: 'STRIPE', label: 'STRIPE: Stripe-Signature', hint: 'Stripe-Signature (or the header named) is t=…,v1=…, the HMAC of t.body, at most 300 s old.' },
  { id: 'SLACK_BASED', label: 'SLACK_BASED: X-Slack-Signature', hint: 'X-Slack-Signature over v0:timestamp:body, at most 300 s old; a challenge is answered.' },
];

export const verifierHint = (id) => (VERIFIERS.find((v) => v.id === id) || {}).hint || '';

/** Where senders POST: Orkes' path, outside /api. */
export const receivePath = (id) => `/webhook/${encodeURIComponent(id)}`;
export const receiveUrl = (id) => `${window.location.origin}${receivePath(id)}`;

/** The keys of workflowsToStart that are not workflow names. */
const RESERVED = ['idempotencyKey', 'idempotencyStrategy'];

/** [{name, version}] of a name → version map; version null means any (receivers) or latest (starts). */
export function workflowEntries(map, { skipReserved = false } = {}) {
  return Object.entries(map || {})
    .filter(([name]) => !(skipReserved && RESERVED.includes(name)))
    .map(([name, version]) => ({ name, version: version === null || version === undefined || version === '' ? null : version }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Links to the definitions a map names, each with its version (or `anyLabel`). */
export function workflowLinks(map, { skipReserved = false, anyLabel, testid, empty = 'none' } = {}) {
  const list = workflowEntries(map, { skipReserved });
  if (!list.length) return h('span', { class: 'muted' }, empty);
  return h(
    'span',
    { class: 'wf-list', 'data-testid': testid },
    list.map((w, i) => [
      i ? ', ' : '',
      h('span', { class: 'nowrap' }, h('a', { href: `/ui/definitions/${encodeURIComponent(w.name)}` }, w.name), h('span', { class: 'muted' }, w.version === null ? ` ${anyLabel}` : ` v${w.version}`)),
    ]),
  );
}

/** The names of the headers a HEADER_BASED config requires (their values are tokens). */
export const headerNames = (c) => Object.keys(c.headers || {}).sort();

/** "X-Hub-Signature-256" or "headers X-Token, X-Other": where a delivery's proof is read. */
export function proofSummary(c) {
  if (c.verifier === 'HEADER_BASED') {
    const names = headerNames(c);
    return names.length ? ['header', names.length > 1 ? 's ' : ' ', names.map((n, i) => [i ? ', ' : '', h('code', { class: 'nowrap' }, n)])] : 'no header';
  }
  if (c.headerKey) return ['header ', h('code', { class: 'nowrap' }, c.headerKey)];
  if (c.verifier === 'STRIPE') return ['header ', h('code', { class: 'nowrap' }, 'Stripe-Signature')];
  if (c.verifier === 'SLACK_BASED') return ['header ', h('code', { class: 'nowrap' }, 'X-Slack-Signature')];
  return '';
}

export function deleteWebhookDialog(c, done) {
  openDialog({
    title: `Delete webhook ${c.name}`,
    testid: 'dialog-webhook-delete',
    confirmLabel: 'Delete',
    danger: true,
    body: [
      h('p', {}, 'Deliveries to ', h('code', {}, receivePath(c.id)), ' are answered 404 from now on, and its delivery log goes with it. The workflows its deliveries completed or started are kept.'),
    ],
    onConfirm: async () => {
      await api.deleteWebhook(c.id);
      await done(`Webhook ${c.name} deleted.`);
    },
  });
}
