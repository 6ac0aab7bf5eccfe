// Definitions: every registered workflow definition, one row per name with all its versions.

import { api } from '../lib/api.js';
import { h, clear, errorBanner, timeEl, fmtDateTime } from '../lib/dom.js';

export function render(root) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading definitions…'));
  root.append(
    h('div', { class: 'page-header' }, h('div', {}, h('h1', {}, 'Definitions'), h('p', { class: 'subtitle' }, 'Registered workflow definitions (POST /api/metadata/workflow or --definitions DIR). Open one for its JSON and versions.'))),
    body,
  );

  api
    .definitions()
    .then((defs) => {
      clear(body);
      const byName = new Map();
      for (const d of defs || []) {
        if (!byName.has(d.name)) byName.set(d.name, []);
        byName.get(d.name).push(d);
      }
      if (!byName.size) {
        body.append(h('div', { class: 'card empty', 'data-testid': 'empty' }, h('p', {}, 'No workflow definitions yet. Register one with ', h('code', {}, 'POST /api/metadata/workflow'), ' or start fermata with ', h('code', {}, '--definitions DIR'), '.')));
        return;
      }
      const rows = [...byName.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, versions]) => {
          versions.sort((a, b) => b.version - a.version);
          const latest = versions[0];
          const href = `/ui/definitions/${encodeURIComponent(name)}`;
          return h(
            'tr',
            { 'data-testid': `definition-${name}` },
            h('td', {}, h('a', { href, class: 'strong' }, name)),
            h('td', {}, versions.map((v) => h('a', { class: 'chip chip-link', href: `${href}?version=${v.version}`, 'data-testid': `definition-${name}-v${v.version}` }, `v${v.version}`))),
            h('td', { class: 'num' }, String((latest.tasks || []).length)),
            h('td', { class: 'desc' }, latest.description || h('span', { class: 'muted' }, '—')),
            h('td', { class: 'nowrap' }, timeEl(latest.updateTime || latest.createTime, fmtDateTime)),
            h(
              'td',
              { class: 'row-actions nowrap' },
              h('a', { class: 'btn btn-small', href: `/ui/run?name=${encodeURIComponent(name)}` }, 'Run'),
              ' ',
              h('a', { class: 'btn btn-small btn-ghost', href: `/ui/executions?workflowType=${encodeURIComponent(name)}` }, 'Executions'),
            ),
          );
        });
      body.append(
        h(
          'div',
          { class: 'card table-card' },
          h(
            'table',
            { class: 'table', 'data-testid': 'definitions-table' },
            h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Versions'), h('th', { class: 'num' }, 'Tasks'), h('th', {}, 'Description'), h('th', {}, 'Updated'), h('th', {}, ''))),
            h('tbody', {}, rows),
          ),
        ),
      );
    })
    .catch((err) => {
      clear(body);
      body.append(errorBanner(err, { title: 'Cannot list the definitions' }));
    });
}
