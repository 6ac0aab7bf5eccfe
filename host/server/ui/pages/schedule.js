// One schedule: what it starts and when, its next run times, pause/resume/delete, and its
// recent firings (newest first) linking to the workflows they started. Refreshes every 5 s.

import { api, ApiError } from '../lib/api.js';
import { navigate } from '../lib/nav.js';
import { append, clear, errorBanner, fmtDateTime, fmtWhen, h, jsonBlock, noticeBanner, refresher, statusBadge, timeEl } from '../lib/dom.js';
import { scheduleState, pauseScheduleDialog, resumeSchedule, deleteScheduleDialog } from '../lib/schedule-actions.js';

const REFRESH_MS = 5000;
const SHOWN = 50;

export function render(root, params) {
  const name = params.name;
  const refresh = refresher(REFRESH_MS);
  let disposed = false;
  let loaded = false;
  const messages = h('div', { class: 'messages', 'data-testid': 'messages' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading schedule…'));
  root.append(body);

  const notice = async (text) => {
    clear(messages).append(noticeBanner(text));
    await load();
  };
  const fail = (err, title) => {
    clear(messages).append(errorBanner(err, { title }));
    return load();
  };
  // After a delete this page has nothing to show: the list says what happened.
  const deleted = () => navigate(`/ui/schedules?deleted=${encodeURIComponent(name)}`, { replace: true });

  async function load() {
    refresh.cancel();
    try {
      const schedule = await api.schedule(name);
      // The next runs and the firings are extras: failing to load them must not fail the page.
      const [next, executions] = await Promise.all([
        schedule.paused ? [] : api.nextRuns(schedule.cronExpression, 5).catch(() => null),
        api.scheduleExecutions(name, SHOWN).catch((err) => ({ error: err })),
      ]);
      if (disposed) return;
      loaded = true;
      draw(schedule, next, executions);
    } catch (err) {
      if (disposed) return;
      if (loaded) {
        clear(messages).append(errorBanner(err, { title: 'Refresh failed' }));
      } else {
        clear(body).append(
          header(null),
          errorBanner(err, { title: err instanceof ApiError && err.status === 404 ? 'This schedule cannot be found' : 'Cannot load this schedule' }),
        );
      }
    } finally {
      if (!disposed) {
        refresh.later(() => load());
      }
    }
  }

  function header(s) {
    return h(
      'div',
      { class: 'page-header' },
      h(
        'div',
        {},
        h('p', { class: 'crumbs' }, h('a', { href: '/ui/schedules' }, 'Schedules'), ' / ', name),
        h('h1', { class: 'title-with-badge' }, h('span', { 'data-testid': 'schedule-title' }, name), s ? statusBadge(scheduleState(s), { 'data-testid': 'schedule-state', class: `badge badge-large status-${scheduleState(s)}` }) : null),
        s && s.description ? h('p', { class: 'subtitle' }, s.description) : null,
      ),
      s
        ? h(
            'div',
            { class: 'header-actions' },
            h('span', { class: 'muted small' }, 'Refreshes every 5 s'),
            s.paused
              ? h('button', { type: 'button', class: 'btn', 'data-testid': 'schedule-resume', onclick: () => resumeSchedule(name, notice, fail) }, 'Resume')
              : h('button', { type: 'button', class: 'btn', 'data-testid': 'schedule-pause', onclick: () => pauseScheduleDialog(name, notice) }, 'Pause'),
            h('button', { type: 'button', class: 'btn btn-danger-outline', 'data-testid': 'schedule-delete', onclick: () => deleteScheduleDialog(name, deleted) }, 'Delete'),
          )
        : null,
    );
  }

  function draw(s, next, executions) {
    const swr = s.startWorkflowRequest || {};
    const item = (label, value, testid) => h('div', { class: 'kv' }, h('dt', {}, label), h('dd', { 'data-testid': testid }, value));
    clear(body);
    append(body, [
      header(s),
      messages,
      h(
        'section',
        { class: 'card' },
        h(
          'dl',
          { class: 'kv-grid' },
          item('Cron', [h('code', {}, s.cronExpression), ` in ${s.zoneId || 'UTC'}`], 'schedule-cron'),
          item('Starts', [h('a', { href: `/ui/definitions/${encodeURIComponent(swr.name || '')}` }, swr.name), swr.version ? ` v${swr.version}` : ' (latest version)']),
          item('Next run', s.paused ? h('span', { class: 'muted' }, 'none while paused') : timeEl(s.nextRunTime, fmtDateTime), 'schedule-next'),
          item('Paused', s.paused ? ['yes', s.pausedReason ? [': ', s.pausedReason] : ''] : 'no', 'schedule-paused'),
          item('Created', timeEl(s.createTime, fmtDateTime)),
          item('Updated', timeEl(s.updatedTime, fmtDateTime)),
        ),
      ),
      h(
        'div',
        { class: 'io-grid' },
        h('section', { class: 'card' }, h('h2', {}, 'Workflow input'), jsonBlock(swr.input, { 'data-testid': 'schedule-input' })),
        h(
          'section',
          { class: 'card' },
          h('h2', {}, 'Upcoming runs'),
          s.paused
            ? h('p', { class: 'muted' }, 'None while paused.')
            : next && next.length
              ? [
                  h('ol', { class: 'cron-times', 'data-testid': 'schedule-upcoming' }, next.map((t) => h('li', {}, fmtDateTime(t)))),
                  // The server computes these in UTC; the schedule itself fires in its zone.
                  (s.zoneId || 'UTC') !== 'UTC' ? h('p', { class: 'muted small' }, `Computed in UTC: in ${s.zoneId} the time of day shifts by its offset. The next run above is exact.`) : null,
                ]
              : h('p', { class: 'muted' }, 'Cannot compute them.'),
        ),
      ),
      executionsCard(executions),
    ]);
  }

  function executionsCard(res) {
    const head = h('div', { class: 'card-head' }, h('h2', {}, 'Recent runs'), h('span', { class: 'muted small' }, 'Each firing of the schedule and the workflow it started. Newest first.'));
    if (res.error) return h('section', { class: 'card' }, head, errorBanner(res.error, { title: 'Cannot load its runs', testid: 'schedule-executions-error' }));
    const list = res.results || [];
    return h(
      'section',
      { class: 'card table-card' },
      head,
      list.length
        ? [
            h(
              'table',
              { class: 'table', 'data-testid': 'schedule-executions' },
              h('thead', {}, h('tr', {}, h('th', {}, 'Scheduled for'), h('th', {}, 'Fired'), h('th', {}, 'Result'), h('th', {}, 'Workflow'), h('th', {}, 'Reason'))),
              h(
                'tbody',
                {},
                list.map((e) =>
                  h(
                    'tr',
                    { 'data-testid': 'schedule-execution', 'data-state': e.state },
                    h('td', { class: 'nowrap' }, timeEl(e.scheduledTime, fmtDateTime)),
                    h('td', { class: 'nowrap' }, timeEl(e.executionTime, fmtWhen)),
                    h('td', {}, statusBadge(e.state)),
                    h('td', {}, e.workflowId ? h('a', { class: 'mono', href: `/ui/executions/${encodeURIComponent(e.workflowId)}`, 'data-testid': 'schedule-execution-link' }, e.workflowId) : h('span', { class: 'muted' }, 'none started')),
                    h('td', { class: 'reason' }, e.reason || ''),
                  ),
                ),
              ),
            ),
            res.totalHits > list.length ? h('p', { class: 'muted small pad' }, `The newest ${list.length} of ${res.totalHits} runs.`) : null,
          ]
        : h('p', { class: 'muted pad', 'data-testid': 'schedule-no-executions' }, 'It has not fired yet.'),
    );
  }

  load();
  return () => {
    disposed = true;
    refresh.cancel();
  };
}
