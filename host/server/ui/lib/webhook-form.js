// The New webhook dialog: name (and an id, generated when left empty), the verifier with
// what it needs (the headers and their tokens for HEADER_BASED; the signature header and the
// secret for the signed ones), the receiver workflows whose WAIT_FOR_WEBHOOK tasks a delivery
// completes (a version, or any), and the workflows each delivery starts (a version, or the
// latest). The server checks the config: its 400 is shown in words in the dialog.

import { api } from './api.js';
import { h, clear, field, openDialog } from './dom.js';
import { VERIFIERS, verifierHint } from './webhook-actions.js';

// The signature header each signed verifier reads when the form names none.
const HEADER_KEYS = {
  HMAC_BASED: { placeholder: 'e.g. Authorization or X-Signature', required: true },
  SIGNATURE_BASED: { placeholder: 'X-Hub-Signature-256', value: 'X-Hub-Signature-256', required: true },
  STRIPE: { placeholder: 'Stripe-Signature (when empty)', required: false },
};

/** Opens the dialog; `done(config)` runs once the webhook is saved (with the server's answer). */
export function newWebhookDialog(done) {
  const name = h('input', { type: 'text', placeholder: 'e.g. github_payments', 'data-testid': 'webhook-name' });
  const id = h('input', { type: 'text', class: 'mono', placeholder: 'generated when empty', 'data-testid': 'webhook-id' });
  const verifier = h(
    'select',
    { 'data-testid': 'webhook-verifier' },
    VERIFIERS.map((v) => h('option', { value: v.id }, v.label)),
  );
  const platform = h('input', { type: 'text', placeholder: 'optional, e.g. GitHub, Stripe, Custom', 'data-testid': 'webhook-platform' });
  const hint = h('p', { class: 'hint', 'data-testid': 'webhook-verifier-hint' });

  // HEADER_BASED: name → token rows.
  const headerRows = h('div', { class: 'pair-rows' });
  let headerCount = 0;
  function addHeader(key = '', value = '') {
    const i = headerCount++;
    const k = h('input', { type: 'text', class: 'mono', placeholder: 'header, e.g. X-Token', value: key, 'data-testid': `webhook-header-name-${i}`, 'aria-label': 'Header name' });
    const v = h('input', { type: 'password', class: 'mono', placeholder: 'the value it must have', value, autocomplete: 'off', 'data-testid': `webhook-header-value-${i}`, 'aria-label': 'Header value' });
    const row = h('div', { class: 'pair-row', 'data-row': 'header' }, k, v, removeButton(() => row.remove()));
    headerRows.append(row);
  }
  const headersPart = h(
    'div',
    { class: 'field' },
    h('span', { class: 'field-label' }, 'Required headers'),
    headerRows,
    h('span', { class: 'hint' }, h('button', { type: 'button', class: 'linklike link', 'data-testid': 'webhook-add-header', onclick: () => addHeader() }, '+ Add a header'), ' Values are compared in constant time; the API shows them to whoever can read the config.'),
  );

  // Signed verifiers: the header carrying the signature, and the secret.
  const headerKey = h('input', { type: 'text', class: 'mono', 'data-testid': 'webhook-header-key' });
  const secret = h('input', { type: 'password', class: 'mono', autocomplete: 'off', placeholder: 'shared with the sender', 'data-testid': 'webhook-secret' });
  const headerKeyField = field('Signature header', headerKey);
  const signedPart = h('div', { class: 'form-row' }, headerKeyField, field('Secret', secret, 'Shown as *** once saved.'));

  // Receiver workflows and workflows to start: definition + version rows.
  let names = null;
  const pickers = [];
  function workflowRow(list, kind, i) {
    const wf = h('select', { 'data-testid': `webhook-${kind}-${i}`, 'aria-label': 'Workflow' }, h('option', { value: '' }, 'Loading…'));
    const version = h('select', { 'data-testid': `webhook-${kind}-version-${i}`, 'aria-label': 'Version' });
    const anyLabel = kind === 'receiver' ? 'any version' : 'latest version';
    const fillVersions = () => {
      clear(version);
      const versions = ((names || {})[wf.value] || []).map((v) => v.version).sort((a, b) => b - a);
      version.append(h('option', { value: '' }, anyLabel));
      for (const v of versions) version.append(h('option', { value: String(v) }, `v${v}`));
    };
    const fill = () => {
      const chosen = wf.value;
      clear(wf);
      const all = Object.keys(names || {}).sort();
      wf.append(h('option', { value: '' }, all.length ? 'Choose a definition…' : 'No definitions registered'));
      for (const n of all) wf.append(h('option', { value: n }, n));
      wf.value = chosen;
      fillVersions();
    };
    wf.addEventListener('change', fillVersions);
    const picker = { wf, version, fill };
    pickers.push(picker);
    if (names) fill();
    const row = h('div', { class: 'pair-row', 'data-row': kind }, wf, version, removeButton(() => {
      row.remove();
      pickers.splice(pickers.indexOf(picker), 1);
    }));
    list.append(row);
    return picker;
  }
  const receivers = h('div', { class: 'pair-rows' });
  const starts = h('div', { class: 'pair-rows' });
  const receiverPickers = [];
  const startPickers = [];
  let receiverCount = 0;
  let startCount = 0;
  const addReceiver = () => receiverPickers.push(workflowRow(receivers, 'receiver', receiverCount++));
  const addStart = () => startPickers.push(workflowRow(starts, 'start', startCount++));
  addReceiver();
  addStart();
  addHeader();

  api
    .namesAndVersions()
    .then((nv) => {
      names = nv || {};
      for (const p of pickers) p.fill();
    })
    .catch((err) => {
      for (const p of pickers) {
        clear(p.wf);
        p.wf.append(h('option', { value: '' }, `Cannot list definitions: ${err.message}`));
      }
    });

  function showVerifier() {
    const v = verifier.value;
    hint.textContent = verifierHint(v);
    headersPart.hidden = v !== 'HEADER_BASED';
    signedPart.hidden = v === 'HEADER_BASED';
    const key = HEADER_KEYS[v];
    headerKeyField.hidden = !key;
    if (key) {
      headerKey.placeholder = key.placeholder;
      if (!headerKey.value && key.value) headerKey.value = key.value;
    }
  }
  verifier.addEventListener('change', showVerifier);
  showVerifier();

  /** name → version (null: any / latest) of the rows that name a workflow. */
  const versionsOf = (list) => {
    const map = {};
    for (const p of list) {
      if (!p.wf.isConnected || !p.wf.value) continue;
      map[p.wf.value] = p.version.value ? Number(p.version.value) : null;
    }
    return Object.keys(map).length ? map : undefined;
  };

  openDialog({
    title: 'New webhook',
    testid: 'dialog-webhook-new',
    confirmLabel: 'Create webhook',
    wide: true,
    body: [
      h('div', { class: 'form-row' }, field('Name', name), field('Id', id, 'In the receive URL /webhook/{id}.')),
      h('div', { class: 'form-row' }, field('Verifier', verifier), field('Source platform', platform)),
      hint,
      headersPart,
      signedPart,
      h(
        'div',
        { class: 'field' },
        h('span', { class: 'field-label' }, 'Receiver workflows'),
        receivers,
        h('span', { class: 'hint' }, h('button', { type: 'button', class: 'linklike link', 'data-testid': 'webhook-add-receiver', onclick: addReceiver }, '+ Add a receiver'), ' A verified delivery completes their open WAIT_FOR_WEBHOOK tasks whose ', h('code', {}, 'matches'), ' all hold over its body.'),
      ),
      h(
        'div',
        { class: 'field' },
        h('span', { class: 'field-label' }, 'Workflows to start'),
        starts,
        h('span', { class: 'hint' }, h('button', { type: 'button', class: 'linklike link', 'data-testid': 'webhook-add-start', onclick: addStart }, '+ Add a workflow to start'), ' Each verified delivery starts them with its body as input.'),
      ),
    ],
    onConfirm: async () => {
      // Only the shape is the form's: what the config must hold is checked by the server,
      // whose 400 says it in words.
      const v = verifier.value;
      const config = { name: name.value.trim(), verifier: v };
      if (id.value.trim()) config.id = id.value.trim();
      if (platform.value.trim()) config.sourcePlatform = platform.value.trim();
      if (v === 'HEADER_BASED') {
        const headers = {};
        for (const row of headerRows.querySelectorAll('[data-row=header]')) {
          const [k, val] = row.querySelectorAll('input');
          if (k.value.trim()) headers[k.value.trim()] = val.value;
        }
        config.headers = headers;
      } else {
        if (HEADER_KEYS[v] && headerKey.value.trim()) config.headerKey = headerKey.value.trim();
        if (secret.value) config.secretValue = secret.value;
      }
      const receiverMap = versionsOf(receiverPickers);
      const startMap = versionsOf(startPickers);
      if (receiverMap) config.receiverWorkflowNamesToVersions = receiverMap;
      if (startMap) config.workflowsToStart = startMap;
      const saved = await api.createWebhook(config);
      await done(saved);
    },
  });
}

function removeButton(onclick) {
  return h('button', { type: 'button', class: 'btn btn-small btn-ghost', title: 'Remove this row', 'aria-label': 'Remove', onclick }, '✕');
}
