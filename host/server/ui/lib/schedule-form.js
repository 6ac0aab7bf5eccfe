// The New schedule dialog: name, the workflow to start (definition, version, input), a
// 6-field Spring cron with a preview of its next run times as it is typed (or the server's
// reason for refusing it), the time zone, and whether it starts paused.

import { api, ApiError } from './api.js';
import { h, clear, field, checkbox, openDialog, errorBanner, parseJsonInput, fmtDateTime, debounce } from './dom.js';

const EXAMPLES = [
  ['0 */5 * * * *', 'every 5 minutes'],
  ['0 0 9 * * MON-FRI', '09:00 on weekdays'],
  ['0 0 0 1 * *', 'midnight on the 1st'],
];

/** Opens the dialog; `done(name)` runs once the schedule is saved. */
export function newScheduleDialog(done) {
  const name = h('input', { type: 'text', placeholder: 'e.g. nightly_report', 'data-testid': 'schedule-name' });
  const description = h('input', { type: 'text', placeholder: 'optional', 'data-testid': 'schedule-description' });
  const workflow = h('select', { 'data-testid': 'schedule-workflow' }, h('option', { value: '' }, 'Loading…'));
  const version = h('select', { 'data-testid': 'schedule-version' });
  const input = h('textarea', { rows: 4, class: 'code', spellcheck: 'false', 'data-testid': 'schedule-input' }, '{}');
  const cron = h('input', { type: 'text', class: 'mono', placeholder: 'second minute hour day-of-month month day-of-week', 'data-testid': 'schedule-cron' });
  const zone = h('input', { type: 'text', value: 'UTC', 'data-testid': 'schedule-zone' });
  const paused = checkbox('Start paused (it fires only once resumed)', { 'data-testid': 'schedule-paused' });
  const preview = h('div', { class: 'cron-preview', 'data-testid': 'schedule-preview' }, h('span', { class: 'muted small' }, 'Type a cron expression to see when it runs.'));
  const examples = h(
    'span',
    { class: 'hint' },
    'Six fields, seconds first. E.g. ',
    EXAMPLES.map(([expr, words], i) => [
      i ? ', ' : '',
      h('button', { type: 'button', class: 'linklike example', onclick: () => ((cron.value = expr), refresh()) }, h('code', {}, expr)),
      ` ${words}`,
    ]),
    '.',
  );

  let names = {};
  api
    .namesAndVersions()
    .then((nv) => {
      names = nv || {};
      clear(workflow);
      const list = Object.keys(names).sort();
      workflow.append(h('option', { value: '' }, list.length ? 'Choose a definition…' : 'No definitions registered'));
      for (const n of list) workflow.append(h('option', { value: n }, n));
    })
    .catch((err) => {
      clear(workflow);
      workflow.append(h('option', { value: '' }, `Cannot list definitions: ${err.message}`));
    });
  workflow.addEventListener('change', () => {
    clear(version);
    const versions = (names[workflow.value] || []).map((v) => v.version).sort((a, b) => b - a);
    // No version in the request: each firing starts the latest version at that time.
    if (versions.length) version.append(h('option', { value: '' }, `Latest when it fires (now v${versions[0]})`));
    for (const v of versions) version.append(h('option', { value: String(v) }, `v${v}`));
  });

  // Answers may come back out of order while typing: only the newest one is drawn.
  let asked = 0;
  async function showPreview() {
    const expr = cron.value.trim();
    const mine = ++asked;
    if (!expr) {
      clear(preview).append(h('span', { class: 'muted small' }, 'Type a cron expression to see when it runs.'));
      return;
    }
    let content;
    try {
      const times = await api.nextRuns(expr, 5);
      const utcNote = zone.value.trim() && zone.value.trim() !== 'UTC' ? ' (computed in UTC: in another zone the time of day shifts by its offset)' : '';
      content = [
        h('span', { class: 'field-label' }, `Next runs${utcNote}`),
        h('ol', { class: 'cron-times' }, (times || []).map((t) => h('li', { 'data-testid': 'schedule-preview-time' }, fmtDateTime(t)))),
      ];
    } catch (err) {
      content = errorBanner(err, { title: 'Not a valid cron expression', testid: 'schedule-preview-error' });
    }
    if (mine === asked) clear(preview).append(...[content].flat());
  }
  const refresh = debounce(showPreview, 250);
  cron.addEventListener('input', refresh);
  zone.addEventListener('input', refresh);

  openDialog({
    title: 'New schedule',
    testid: 'dialog-schedule-new',
    confirmLabel: 'Create schedule',
    wide: true,
    body: [
      h('div', { class: 'form-row' }, field('Name', name), field('Description', description)),
      h('div', { class: 'form-row' }, field('Workflow to start', workflow), field('Version', version)),
      field('Workflow input (JSON)', input, 'Each run also gets _scheduledTime and _startedByScheduler in its input.'),
      h('div', { class: 'form-row' }, field('Cron expression', cron, examples), field('Time zone', zone, 'An IANA zone, e.g. Europe/Paris.')),
      preview,
      paused,
    ],
    onConfirm: async () => {
      const n = name.value.trim();
      if (!n) throw new Error('Give the schedule a name.');
      if (!workflow.value) throw new Error('Pick the workflow it starts.');
      const parsed = parseJsonInput(input.value, { label: 'The workflow input' });
      if (parsed.error) throw new Error(parsed.error);
      // Saving under an existing name replaces that schedule: refuse rather than overwrite.
      const existing = await api.schedule(n).catch((err) => (err instanceof ApiError && err.status === 404 ? null : Promise.reject(err)));
      if (existing) throw new Error(`A schedule named ${n} already exists. Pick another name, or delete that one first.`);
      const startWorkflowRequest = { name: workflow.value, input: parsed.value };
      if (version.value) startWorkflowRequest.version = Number(version.value);
      await api.saveSchedule({
        name: n,
        cronExpression: cron.value.trim(),
        zoneId: zone.value.trim() || 'UTC',
        startWorkflowRequest,
        paused: paused.querySelector('input').checked,
        description: description.value.trim() || undefined,
      });
      await done(n);
    },
  });
}
