// One definition: its versions, a picture of its tasks, and its JSON.

import { api } from '../lib/api.js';
import { h, append, clear, errorBanner, jsonBlock, prettyJson, copyButton, timeEl, fmtDateTime } from '../lib/dom.js';
import { renderDiagram, inputKeys } from '../lib/diagram.js';

export function render(root, params, query) {
  const name = params.name;
  const version = query.get('version') || '';
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading definition…'));
  root.append(body);

  Promise.all([api.definition(name, version || undefined), api.namesAndVersions().catch(() => ({}))])
    .then(([def, nv]) => {
      clear(body);
      const versions = ((nv || {})[name] || []).map((v) => v.version).sort((a, b) => b - a);
      const href = `/ui/definitions/${encodeURIComponent(name)}`;
      const svg = renderDiagram(def, null);
      const item = (label, value) => h('div', { class: 'kv' }, h('dt', {}, label), h('dd', {}, value === '' || value === undefined || value === null ? h('span', { class: 'muted' }, '—') : value));
      append(body, [
        h(
          'div',
          { class: 'page-header' },
          h(
            'div',
            {},
            h('p', { class: 'crumbs' }, h('a', { href: '/ui/definitions' }, 'Definitions'), ' / ', name),
            h('h1', { class: 'title-with-badge' }, h('span', { 'data-testid': 'definition-name' }, def.name), h('span', { class: 'version', 'data-testid': 'definition-version' }, `v${def.version}`)),
            def.description ? h('p', { class: 'subtitle' }, def.description) : null,
          ),
          h(
            'div',
            { class: 'header-actions' },
            h('a', { class: 'btn', href: `/ui/executions?workflowType=${encodeURIComponent(name)}` }, 'Executions'),
            h('a', { class: 'btn btn-primary', href: `/ui/run?name=${encodeURIComponent(name)}&version=${def.version}`, 'data-testid': 'definition-run' }, '▶ Run this version'),
          ),
        ),
        h(
          'div',
          { class: 'card versions', 'data-testid': 'definition-versions' },
          h('span', { class: 'field-label' }, 'Versions'),
          versions.map((v) => h('a', { class: `chip chip-link${v === def.version ? ' active' : ''}`, href: `${href}?version=${v}`, 'aria-current': v === def.version ? 'page' : null, 'data-testid': `version-${v}` }, `v${v}${v === versions[0] ? ' (latest)' : ''}`)),
        ),
        h(
          'section',
          { class: 'card' },
          h(
            'dl',
            { class: 'kv-grid' },
            item('Tasks', String((def.tasks || []).length)),
            item('Failure workflow', def.failureWorkflow ? h('a', { href: `/ui/definitions/${encodeURIComponent(def.failureWorkflow)}` }, def.failureWorkflow) : ''),
            item('Restartable', def.restartable === false ? 'no' : 'yes'),
            item('Timeout', def.timeoutSeconds ? `${def.timeoutSeconds} s (${def.timeoutPolicy})` : 'none'),
            item('Reads input', inputKeys(def).join(', ')),
            item('Owner', def.ownerEmail || ''),
            item('Created', def.createTime ? timeEl(def.createTime, fmtDateTime) : ''),
            item('Updated', def.updateTime ? timeEl(def.updateTime, fmtDateTime) : ''),
          ),
        ),
        svg ? h('section', { class: 'card' }, h('h2', {}, 'Tasks'), h('div', { class: 'diagram-wrap' }, svg)) : null,
        h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', {}, 'JSON'), copyButton(prettyJson(def), 'Copy JSON')), jsonBlock(def, { 'data-testid': 'definition-json' })),
      ]);
    })
    .catch((err) => {
      clear(body);
      body.append(h('p', { class: 'crumbs' }, h('a', { href: '/ui/definitions' }, 'Definitions'), ' / ', name), errorBanner(err, { title: `Cannot load ${name}${version ? ` v${version}` : ''}` }));
    });
}
