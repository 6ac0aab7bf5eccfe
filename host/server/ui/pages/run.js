// Run Workflow: pick a definition and version, give input JSON and a correlation id, start
// it, and land on the new execution.

import { api } from '../lib/api.js';
import { navigate, setQuery } from '../lib/nav.js';
import { h, append, clear, errorBanner, field, parseJsonInput, prettyJson } from '../lib/dom.js';
import { renderDiagram, inputKeys } from '../lib/diagram.js';

export function render(root, _params, query) {
  const state = { names: {}, name: query.get('name') || '', version: query.get('version') || '', def: null, inputDirty: false };

  const messages = h('div', { class: 'messages' });
  const nameSel = h('select', { required: true, 'data-testid': 'run-name' }, h('option', { value: '' }, 'Loading…'));
  const versionSel = h('select', { 'data-testid': 'run-version' });
  const input = h('textarea', { rows: 10, class: 'code', spellcheck: 'false', 'data-testid': 'run-input', oninput: () => (state.inputDirty = true) }, '{}');
  const inputHint = h('span', { class: 'hint' }, 'A JSON object; the definition’s tasks read it as ${workflow.input.…}.');
  const corr = h('input', { type: 'text', placeholder: 'optional, e.g. order-1234', 'data-testid': 'run-correlation' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'run-submit' }, '▶ Run workflow');
  const preview = h('div', { class: 'card run-preview' }, h('p', { class: 'muted' }, 'Pick a definition to see its tasks.'));

  const form = h(
    'form',
    { class: 'card form', 'data-testid': 'run-form' },
    h('div', { class: 'form-row' }, field('Workflow definition', nameSel), field('Version', versionSel)),
    field('Input (JSON)', input, inputHint),
    field('Correlation id', corr, 'Groups executions that belong together; searchable on the Executions page.'),
    h('div', { class: 'form-actions' }, submit),
  );

  root.append(
    h('div', { class: 'page-header' }, h('div', {}, h('h1', {}, 'Run workflow'), h('p', { class: 'subtitle' }, 'Start an execution of a registered definition. You land on the new execution.'))),
    messages,
    h('div', { class: 'run-grid' }, form, preview),
  );

  nameSel.addEventListener('change', () => {
    state.name = nameSel.value;
    state.version = '';
    fillVersions();
  });
  versionSel.addEventListener('change', () => {
    state.version = versionSel.value;
    loadDefinition();
  });

  function fillVersions() {
    clear(versionSel);
    const versions = (state.names[state.name] || []).map((v) => v.version).sort((a, b) => b - a);
    if (versions.length) versionSel.append(h('option', { value: '' }, `Latest (v${versions[0]})`));
    for (const v of versions) versionSel.append(h('option', { value: String(v), selected: String(v) === state.version }, `v${v}`));
    loadDefinition();
  }

  async function loadDefinition() {
    setQuery({ name: state.name, version: state.version });
    clear(preview);
    state.def = null;
    if (!state.name) {
      preview.append(h('p', { class: 'muted' }, 'Pick a definition to see its tasks.'));
      return;
    }
    try {
      const def = await api.definition(state.name, state.version || undefined);
      state.def = def;
      const keys = inputKeys(def);
      if (!state.inputDirty) {
        const template = {};
        for (const k of keys) template[k] = def.inputTemplate && k in def.inputTemplate ? def.inputTemplate[k] : null;
        input.value = prettyJson(template);
      }
      inputHint.textContent = keys.length
        ? `A JSON object. This definition reads: ${keys.join(', ')}.`
        : 'A JSON object; this definition reads no workflow input.';
      const svg = renderDiagram(def, null);
      append(preview, [
        h('h2', {}, `${def.name} v${def.version}`),
        def.description ? h('p', {}, def.description) : null,
        svg ? h('div', { class: 'diagram-wrap' }, svg) : null,
        h('p', { class: 'muted small' }, `${(def.tasks || []).length} top-level tasks. `, h('a', { href: `/ui/definitions/${encodeURIComponent(def.name)}?version=${def.version}` }, 'View the definition')),
      ]);
    } catch (err) {
      preview.append(errorBanner(err, { title: 'Cannot load the definition' }));
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(messages);
    const parsed = parseJsonInput(input.value, { label: 'The input' });
    if (parsed.error) {
      messages.append(errorBanner(new Error(parsed.error), { title: 'Cannot run' }));
      return;
    }
    if (!nameSel.value) {
      messages.append(errorBanner(new Error('Pick a workflow definition first.'), { title: 'Cannot run' }));
      return;
    }
    submit.disabled = true;
    try {
      const request = { name: nameSel.value, input: parsed.value };
      if (versionSel.value) request.version = Number(versionSel.value);
      if (corr.value.trim()) request.correlationId = corr.value.trim();
      const id = await api.start(request);
      navigate(`/ui/executions/${encodeURIComponent(id)}`);
    } catch (err) {
      messages.append(errorBanner(err, { title: 'The workflow did not start' }));
    } finally {
      submit.disabled = false;
    }
  });

  api
    .namesAndVersions()
    .then((nv) => {
      state.names = nv || {};
      clear(nameSel);
      const names = Object.keys(state.names).sort();
      nameSel.append(h('option', { value: '' }, names.length ? 'Choose a definition…' : 'No definitions registered'));
      for (const n of names) nameSel.append(h('option', { value: n, selected: n === state.name }, n));
      if (state.name && !names.includes(state.name)) state.name = '';
      fillVersions();
    })
    .catch((err) => {
      clear(nameSel);
      nameSel.append(h('option', { value: '' }, 'Cannot list definitions'));
      messages.append(errorBanner(err, { title: 'Cannot list the workflow definitions' }));
    });
}
