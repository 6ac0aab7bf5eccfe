// Executions: a searchable, paged list that refreshes by itself, with bulk actions on the
// selected executions and a per-execution result for each.

import { api } from '../lib/api.js';
import { setQuery } from '../lib/nav.js';
import {
  h,
  append,
  clear,
  errorBanner,
  statusBadge,
  fmtDateTime,
  fmtDuration,
  toDate,
  checkbox,
  field,
  openDialog,
  debounce,
  timeEl,
} from '../lib/dom.js';
import { WORKFLOW_STATUSES, isTerminalWorkflow } from '../lib/status.js';

const REFRESH_MS = 5000;
const SIZES = [20, 50, 100];
const RANGES = [
  { id: '', label: 'Any time' },
  { id: '1h', label: 'Last hour', ms: 3600e3 },
  { id: '24h', label: 'Last 24 hours', ms: 86400e3 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86400e3 },
  { id: 'custom', label: 'Between…' },
];
const SORTS = [
  { id: 'startTime:DESC', label: 'Newest first' },
  { id: 'startTime:ASC', label: 'Oldest first' },
  { id: 'updateTime:DESC', label: 'Recently updated' },
  { id: 'workflowType:ASC', label: 'Workflow name' },
  { id: 'status:ASC', label: 'Status' },
];
const BULK = [
  { id: 'pause', label: 'Pause', done: 'paused' },
  { id: 'resume', label: 'Resume', done: 'resumed' },
  { id: 'retry', label: 'Retry', done: 'retried' },
  { id: 'restart', label: 'Restart…', done: 'restarted' },
  { id: 'terminate', label: 'Terminate…', done: 'terminated', danger: true },
];

const list = (v) => (v ? v.split(',').map((x) => x.trim()).filter(Boolean) : []);

/** A search value quoted for the query language (which has no escapes). */
function quote(v) {
  return v.includes("'") ? `"${v}"` : `'${v}'`;
}

export function render(root, _params, query) {
  const state = {
    names: list(query.get('workflowType')),
    statuses: list(query.get('status')).filter((s) => WORKFLOW_STATUSES.includes(s)),
    correlationId: query.get('correlationId') || '',
    freeText: query.get('q') || '',
    range: query.get('range') || '',
    from: query.get('from') || '',
    to: query.get('to') || '',
    sort: query.get('sort') || SORTS[0].id,
    page: Math.max(0, Number(query.get('page') || 1) - 1),
    size: SIZES.includes(Number(query.get('size'))) ? Number(query.get('size')) : SIZES[0],
    auto: query.get('refresh') !== 'off',
    selected: new Map(), // id → summary
    rows: [],
    total: 0,
    loadedAt: null,
  };
  let timer = null;
  let seq = 0;

  // ---- layout
  const results = h('div', { class: 'card table-card' });
  const messages = h('div', { class: 'messages' });
  const bulkResults = h('div', {});
  const countLabel = h('span', { class: 'count', 'data-testid': 'result-count' }, '');
  const refreshedLabel = h('span', { class: 'muted small', 'data-testid': 'refreshed-at' }, '');
  const pager = h('div', { class: 'pager' });
  const bulkBar = h('div', { class: 'bulkbar', 'data-testid': 'bulk-bar' });

  root.append(
    h(
      'div',
      { class: 'page-header' },
      h('div', {}, h('h1', {}, 'Executions'), h('p', { class: 'subtitle' }, 'Every workflow execution, newest first. Filter, open one, or select several to act on them together.')),
      h('a', { class: 'btn btn-primary', href: '/ui/run', 'data-testid': 'run-workflow-link' }, '▶ Run workflow'),
    ),
    filters(),
    messages,
    bulkResults,
    h(
      'div',
      { class: 'toolbar' },
      countLabel,
      h('span', { class: 'toolbar-spacer' }),
      refreshedLabel,
      checkbox('Refresh every 5 s', {
        checked: state.auto,
        'data-testid': 'auto-refresh',
        onchange: (e) => {
          state.auto = e.target.checked;
          syncUrl();
          schedule();
        },
      }),
      h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'refresh', onclick: () => load() }, '↻ Refresh'),
    ),
    bulkBar,
    results,
    pager,
  );

  // ---- filters
  function filters() {
    const names = h('div', { class: 'multiselect-options' }, h('span', { class: 'muted small' }, 'Loading…'));
    const summary = h('summary', { 'data-testid': 'filter-workflow' }, nameSummary());
    const picker = h('details', { class: 'multiselect' }, summary, names);
    document.addEventListener('click', (e) => {
      if (picker.isConnected && picker.open && !picker.contains(e.target)) picker.open = false;
    });
    api
      .namesAndVersions()
      .then((nv) => {
        clear(names);
        const all = [...new Set([...Object.keys(nv || {}), ...state.names])].sort();
        if (!all.length) names.append(h('span', { class: 'muted small' }, 'No workflow definitions yet.'));
        for (const name of all) {
          names.append(
            checkbox(name, {
              checked: state.names.includes(name),
              'data-testid': `filter-workflow-${name}`,
              onchange: (e) => {
                state.names = e.target.checked ? [...state.names, name] : state.names.filter((n) => n !== name);
                summary.textContent = nameSummary();
                research();
              },
            }),
          );
        }
      })
      .catch((err) => {
        clear(names);
        names.append(errorBanner(err, { title: 'Cannot list workflow names' }));
      });

    const chips = h(
      'div',
      { class: 'chips', role: 'group', 'aria-label': 'Status' },
      WORKFLOW_STATUSES.map((s) => {
        const chip = h(
          'button',
          { type: 'button', class: `chip chip-${s}`, 'aria-pressed': String(state.statuses.includes(s)), 'data-testid': `filter-status-${s}` },
          s.replace('_', ' '),
        );
        chip.addEventListener('click', () => {
          const on = !state.statuses.includes(s);
          state.statuses = on ? [...state.statuses, s] : state.statuses.filter((x) => x !== s);
          chip.setAttribute('aria-pressed', String(on));
          research();
        });
        return chip;
      }),
    );
    const typed = debounce(() => research(), 350);
    const corr = h('input', { type: 'search', value: state.correlationId, placeholder: 'exact correlation id', 'data-testid': 'filter-correlation', oninput: (e) => ((state.correlationId = e.target.value.trim()), typed()) });
    const text = h('input', { type: 'search', value: state.freeText, placeholder: 'id, name or correlation id', 'data-testid': 'filter-text', oninput: (e) => ((state.freeText = e.target.value.trim()), typed()) });
    const from = h('input', { type: 'datetime-local', value: state.from, 'data-testid': 'filter-from', onchange: (e) => ((state.from = e.target.value), research()) });
    const to = h('input', { type: 'datetime-local', value: state.to, 'data-testid': 'filter-to', onchange: (e) => ((state.to = e.target.value), research()) });
    const custom = h('span', { class: 'range-custom', hidden: state.range !== 'custom' }, from, h('span', { class: 'muted' }, 'and'), to);
    const range = h(
      'select',
      {
        'data-testid': 'filter-range',
        onchange: (e) => {
          state.range = e.target.value;
          custom.hidden = state.range !== 'custom';
          research();
        },
      },
      RANGES.map((r) => h('option', { value: r.id, selected: r.id === state.range }, r.label)),
    );
    const sort = h(
      'select',
      { 'data-testid': 'sort', onchange: (e) => ((state.sort = e.target.value), research()) },
      SORTS.map((s) => h('option', { value: s.id, selected: s.id === state.sort }, s.label)),
    );
    const reset = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-ghost',
        'data-testid': 'filter-reset',
        onclick: () => {
          Object.assign(state, { names: [], statuses: [], correlationId: '', freeText: '', range: '', from: '', to: '', sort: SORTS[0].id });
          const fresh = filters();
          form.replaceWith(fresh);
          research();
        },
      },
      'Clear filters',
    );
    function nameSummary() {
      if (!state.names.length) return 'All workflows';
      return state.names.length === 1 ? state.names[0] : `${state.names.length} workflows`;
    }
    const form = h(
      'form',
      { class: 'card filters', 'data-testid': 'filters', onsubmit: (e) => (e.preventDefault(), research()) },
      h('div', { class: 'filter-row' }, field('Workflow', picker), field('Status', chips)),
      h(
        'div',
        { class: 'filter-row' },
        field('Correlation id', corr),
        field('Search', text),
        field('Started', h('span', { class: 'range' }, range, custom)),
        field('Order', sort),
        h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn', 'data-testid': 'filter-search' }, 'Search'), reset),
      ),
    );
    return form;
  }

  function buildQuery() {
    const clauses = [];
    if (state.names.length) clauses.push(`workflowType IN (${state.names.join(',')})`);
    if (state.statuses.length) clauses.push(`status IN (${state.statuses.join(',')})`);
    if (state.correlationId) clauses.push(`correlationId=${quote(state.correlationId)}`);
    const r = RANGES.find((x) => x.id === state.range);
    if (r && r.ms) clauses.push(`startTime>=${Date.now() - r.ms}`);
    if (state.range === 'custom') {
      const from = toDate(state.from);
      const to = toDate(state.to);
      if (from) clauses.push(`startTime>=${from.getTime()}`);
      if (to) clauses.push(`startTime<=${to.getTime() + 59999}`);
    }
    return clauses.join(' AND ');
  }

  function syncUrl() {
    setQuery({
      workflowType: state.names.join(','),
      status: state.statuses.join(','),
      correlationId: state.correlationId,
      q: state.freeText,
      range: state.range,
      from: state.range === 'custom' ? state.from : '',
      to: state.range === 'custom' ? state.to : '',
      sort: state.sort === SORTS[0].id ? '' : state.sort,
      page: state.page ? state.page + 1 : '',
      size: state.size === SIZES[0] ? '' : state.size,
      refresh: state.auto ? '' : 'off',
    });
  }

  function research() {
    state.page = 0;
    load();
  }

  // ---- loading
  async function load({ quiet = false } = {}) {
    const mine = ++seq;
    syncUrl();
    if (!quiet) results.classList.add('loading');
    try {
      const res = await api.search({
        query: buildQuery(),
        freeText: state.freeText || '*',
        start: state.page * state.size,
        size: state.size,
        sort: state.sort,
      });
      if (mine !== seq) return;
      state.rows = res.results || [];
      state.total = res.totalHits || 0;
      state.loadedAt = Date.now();
      clear(messages);
      for (const row of state.rows) if (state.selected.has(row.workflowId)) state.selected.set(row.workflowId, row);
      renderRows();
    } catch (err) {
      if (mine !== seq) return;
      clear(messages);
      messages.append(errorBanner(err, { title: 'Search failed' }));
    } finally {
      if (mine === seq) results.classList.remove('loading');
      schedule();
    }
  }

  function schedule() {
    clearTimeout(timer);
    if (!state.auto) return;
    timer = setTimeout(() => {
      if (document.hidden || document.querySelector('dialog[open]')) schedule();
      else load({ quiet: true });
    }, REFRESH_MS);
  }

  // ---- rendering
  function renderRows() {
    const { rows, total } = state;
    const first = total ? state.page * state.size + 1 : 0;
    const last = state.page * state.size + rows.length;
    countLabel.textContent = total === 1 ? '1 execution' : `${total} executions`;
    refreshedLabel.textContent = state.loadedAt ? `Updated ${fmtDateTime(state.loadedAt).slice(11)}` : '';
    clear(results);
    if (!rows.length) {
      const filtered = buildQuery() || state.freeText;
      results.append(
        h(
          'div',
          { class: 'empty', 'data-testid': 'empty' },
          filtered
            ? h('p', {}, 'No executions match these filters.')
            : h('p', {}, 'No executions yet. ', h('a', { href: '/ui/run' }, 'Run a workflow'), ' to start one.'),
        ),
      );
    } else {
      const allOnPage = rows.every((r) => state.selected.has(r.workflowId));
      const headBox = h('input', {
        type: 'checkbox',
        checked: allOnPage,
        'aria-label': 'Select all on this page',
        'data-testid': 'select-all',
        onchange: (e) => {
          for (const r of rows) {
            if (e.target.checked) state.selected.set(r.workflowId, r);
            else state.selected.delete(r.workflowId);
          }
          renderRows();
        },
      });
      results.append(
        h(
          'table',
          { class: 'table', 'data-testid': 'executions-table' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { class: 'col-check' }, headBox),
              h('th', {}, 'Workflow'),
              h('th', {}, 'Status'),
              h('th', {}, 'Correlation id'),
              h('th', {}, 'Workflow id'),
              h('th', {}, 'Started'),
              h('th', {}, 'Ended'),
              h('th', { class: 'num' }, 'Duration'),
              h('th', {}, 'Reason'),
            ),
          ),
          h('tbody', {}, rows.map(row)),
        ),
      );
    }
    renderPager(first, last);
    renderBulkBar();
  }

  function row(r) {
    const id = r.workflowId;
    const href = `/ui/executions/${encodeURIComponent(id)}`;
    const start = toDate(r.startTime);
    const end = toDate(r.endTime);
    const terminal = isTerminalWorkflow(r.status);
    const duration = start ? (terminal && end ? end - start : Date.now() - start) : null;
    const selected = state.selected.has(id);
    return h(
      'tr',
      { class: selected ? 'selected' : '', 'data-testid': `row-${id}`, 'data-status': r.status },
      h(
        'td',
        { class: 'col-check' },
        h('input', {
          type: 'checkbox',
          checked: selected,
          'aria-label': `Select ${id}`,
          'data-testid': `select-${id}`,
          onchange: (e) => {
            if (e.target.checked) state.selected.set(id, r);
            else state.selected.delete(id);
            e.target.closest('tr').classList.toggle('selected', e.target.checked);
            renderBulkBar();
          },
        }),
      ),
      h('td', { class: 'nowrap' }, h('a', { href, class: 'strong' }, r.workflowType), h('span', { class: 'muted small' }, ` v${r.version}`)),
      h('td', {}, statusBadge(r.status)),
      h('td', { class: 'mono-soft' }, r.correlationId ? h('span', { class: 'clip', title: r.correlationId }, r.correlationId) : h('span', { class: 'muted' }, '—')),
      h('td', { class: 'nowrap' }, h('a', { href, class: 'mono', title: id, 'data-testid': `open-${id}` }, id)),
      h('td', { class: 'nowrap' }, start ? timeEl(r.startTime) : '—'),
      h('td', { class: 'nowrap' }, end ? timeEl(r.endTime) : h('span', { class: 'muted' }, terminal ? '—' : 'running')),
      h('td', { class: 'num nowrap' }, duration !== null ? fmtDuration(duration) : ''),
      h('td', { class: 'reason' }, h('span', { class: 'clip', title: r.reasonForIncompletion || '' }, r.reasonForIncompletion || '')),
    );
  }

  function renderPager(first, last) {
    clear(pager);
    const pages = Math.max(1, Math.ceil(state.total / state.size));
    pager.append(
      h(
        'button',
        { type: 'button', class: 'btn btn-small', disabled: state.page === 0, 'data-testid': 'page-prev', onclick: () => ((state.page -= 1), load()) },
        '‹ Previous',
      ),
      h('span', { class: 'pager-label', 'data-testid': 'page-label' }, state.total ? `${first}–${last} of ${state.total} · page ${state.page + 1} of ${pages}` : ''),
      h(
        'button',
        { type: 'button', class: 'btn btn-small', disabled: state.page + 1 >= pages, 'data-testid': 'page-next', onclick: () => ((state.page += 1), load()) },
        'Next ›',
      ),
      h('span', { class: 'toolbar-spacer' }),
      h(
        'label',
        { class: 'inline' },
        'Per page ',
        h(
          'select',
          { 'data-testid': 'page-size', onchange: (e) => ((state.size = Number(e.target.value)), research()) },
          SIZES.map((n) => h('option', { value: n, selected: n === state.size }, String(n))),
        ),
      ),
    );
  }

  // ---- bulk actions
  function renderBulkBar() {
    clear(bulkBar);
    const n = state.selected.size;
    bulkBar.classList.toggle('active', n > 0);
    append(bulkBar, [
      h('span', { class: 'bulk-count', 'data-testid': 'selected-count' }, n ? `${n} selected` : 'Select executions to act on several at once'),
      BULK.map((b) =>
        h(
          'button',
          { type: 'button', class: `btn btn-small${b.danger ? ' btn-danger-outline' : ''}`, disabled: !n, 'data-testid': `bulk-${b.id}`, onclick: () => bulkDialog(b) },
          b.label,
        ),
      ),
      n
        ? h('button', { type: 'button', class: 'btn btn-small btn-ghost', 'data-testid': 'clear-selection', onclick: () => (state.selected.clear(), renderRows()) }, 'Clear selection')
        : null,
    ]);
  }

  function bulkDialog(action) {
    const chosen = [...state.selected.values()];
    const ids = chosen.map((r) => r.workflowId);
    const options = {};
    const extra = [];
    if (action.id === 'restart') {
      extra.push(checkbox('Use the latest definitions (otherwise each keeps its own version)', { 'data-testid': 'bulk-latest', onchange: (e) => (options.useLatestDefinitions = e.target.checked) }));
    }
    if (action.id === 'terminate') {
      extra.push(
        field('Reason', h('input', { type: 'text', placeholder: 'why they are terminated', 'data-testid': 'bulk-reason', oninput: (e) => (options.reason = e.target.value) })),
        checkbox('Trigger each definition’s failure workflow', { 'data-testid': 'bulk-trigger-failure', onchange: (e) => (options.triggerFailureWorkflow = e.target.checked) }),
      );
    }
    const verb = action.label.replace('…', '');
    openDialog({
      title: `${verb} ${ids.length === 1 ? '1 execution' : `${ids.length} executions`}`,
      testid: 'dialog-bulk',
      confirmLabel: verb,
      danger: !!action.danger,
      body: [
        h('p', {}, 'Each execution is handled on its own: those whose status does not allow it report an error and the others go ahead.'),
        h(
          'ul',
          { class: 'id-list' },
          chosen.map((r) => h('li', {}, statusBadge(r.status), ' ', h('span', { class: 'strong' }, r.workflowType || ''), ' ', h('span', { class: 'mono small' }, r.workflowId))),
        ),
        extra,
      ],
      onConfirm: async () => {
        const res = await api.bulk(action.id, ids, options);
        showBulkResults(action, chosen, res || {});
        state.selected.clear();
        await load();
      },
    });
  }

  function showBulkResults(action, chosen, res) {
    const ok = new Set(res.bulkSuccessfulResults || []);
    const errors = res.bulkErrorResults || {};
    const failed = Object.keys(errors).length;
    const verb = action.label.replace('…', '');
    clear(bulkResults);
    bulkResults.append(
      h(
        'div',
        { class: `card bulk-results${failed ? ' has-errors' : ''}`, 'data-testid': 'bulk-results' },
        h(
          'div',
          { class: 'bulk-results-head' },
          h('strong', { 'data-testid': 'bulk-summary' }, `${verb}: ${ok.size} succeeded, ${failed} failed`),
          h('button', { type: 'button', class: 'btn btn-small btn-ghost', 'data-testid': 'bulk-results-close', onclick: () => clear(bulkResults) }, 'Dismiss'),
        ),
        h(
          'table',
          { class: 'table compact' },
          h('tbody', {}, [
            ...chosen.map((r) => {
              const id = r.workflowId;
              const good = ok.has(id);
              const message = errors[id];
              return h(
                'tr',
                { 'data-testid': `bulk-result-${id}`, 'data-result': good ? 'ok' : message !== undefined ? 'error' : 'unknown' },
                h('td', { class: 'result-icon' }, good ? h('span', { class: 'ok' }, '✓') : h('span', { class: 'bad' }, '✗')),
                h('td', {}, h('a', { href: `/ui/executions/${encodeURIComponent(id)}`, class: 'mono' }, id), h('span', { class: 'muted small' }, ` ${r.workflowType || ''}`)),
                h('td', { class: good ? 'ok' : 'bad' }, good ? action.done : message !== undefined ? message : 'no result reported for this id'),
              );
            }),
          ]),
        ),
      ),
    );
  }

  load();
  return () => clearTimeout(timer);
}
