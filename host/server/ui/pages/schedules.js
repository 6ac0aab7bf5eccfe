// Schedules: every schedule with its cron, the workflow it starts, its next run and whether
// it is paused, with pause/resume/delete on each row and the New schedule dialog. Refreshes
// every 5 s so the next run time moves on.

import { api } from '../lib/api.js';
import { clear, errorBanner, fmtWhen, h, noticeBanner, refresher, statusBadge, timeEl } from '../lib/dom.js';
import { scheduleState, pauseScheduleDialog, resumeSchedule, deleteScheduleDialog } from '../lib/schedule-actions.js';
import { newScheduleDialog } from '../lib/schedule-form.js';

const REFRESH_MS = 5000;

export function render(root, _params, query) {
  const refresh = refresher(REFRESH_MS);
  let disposed = false;
  const messages = h('div', { class: 'messages', 'data-testid': 'messages' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading schedules…'));
  const create = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'schedule-new', onclick: () => newScheduleDialog(created) }, '+ New schedule');
  root.append(
    h(
      'div',
      { class: 'page-header' },
      h('div', {}, h('h1', {}, 'Schedules'), h('p', { class: 'subtitle' }, 'Workflows started on a cron. Open one for its upcoming runs and the workflows it started.')),
      h('div', { class: 'header-actions' }, h('span', { class: 'muted small' }, 'Refreshes every 5 s'), create),
    ),
    messages,
    body,
  );
  if (query.get('deleted')) messages.append(noticeBanner(`Schedule ${query.get('deleted')} deleted.`));

  const created = (name) => notice(`Schedule ${name} created.`);
  async function notice(text) {
    clear(messages).append(noticeBanner(text));
    await load();
  }
  function fail(err, title) {
    clear(messages).append(errorBanner(err, { title }));
    return load();
  }

  async function load() {
    refresh.cancel();
    try {
      const list = await api.schedules();
      if (disposed) return;
      draw(list || []);
    } catch (err) {
      if (disposed) return;
      clear(body).append(errorBanner(err, { title: 'Cannot list the schedules' }));
    } finally {
      if (!disposed) {
        refresh.later(() => load());
      }
    }
  }

  function draw(list) {
    clear(body);
    if (!list.length) {
      body.append(h('div', { class: 'card empty', 'data-testid': 'empty' }, h('p', {}, 'No schedules yet. ', h('button', { type: 'button', class: 'btn btn-small', onclick: () => newScheduleDialog(created) }, 'Create one'))));
      return;
    }
    const rows = [...list].sort((a, b) => a.name.localeCompare(b.name)).map(row);
    body.append(
      h(
        'div',
        { class: 'card table-card' },
        h(
          'table',
          { class: 'table', 'data-testid': 'schedules-table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Starts'), h('th', {}, 'Cron'), h('th', {}, 'Next run'), h('th', {}, 'State'), h('th', {}, ''))),
          h('tbody', {}, rows),
        ),
      ),
    );
  }

  function row(s) {
    const swr = s.startWorkflowRequest || {};
    const state = scheduleState(s);
    const href = `/ui/schedules/${encodeURIComponent(s.name)}`;
    return h(
      'tr',
      { 'data-testid': `schedule-${s.name}`, 'data-state': state },
      h('td', {}, h('a', { href, class: 'strong', 'data-testid': `schedule-link-${s.name}` }, s.name), s.description ? h('div', { class: 'muted small' }, s.description) : null),
      h('td', {}, h('a', { href: `/ui/definitions/${encodeURIComponent(swr.name || '')}` }, swr.name), h('span', { class: 'muted' }, swr.version ? ` v${swr.version}` : ' latest')),
      h('td', { class: 'nowrap' }, h('code', {}, s.cronExpression), h('span', { class: 'muted small' }, ` ${s.zoneId || 'UTC'}`)),
      h('td', { class: 'nowrap', 'data-testid': `schedule-next-${s.name}` }, s.paused ? h('span', { class: 'muted' }, 'none while paused') : timeEl(s.nextRunTime, fmtWhen)),
      h(
        'td',
        {},
        statusBadge(state, { 'data-testid': `schedule-state-${s.name}` }),
        s.paused && s.pausedReason ? h('span', { class: 'muted small', 'data-testid': `schedule-reason-${s.name}` }, ` ${s.pausedReason}`) : null,
      ),
      h(
        'td',
        { class: 'row-actions nowrap' },
        s.paused
          ? h('button', { type: 'button', class: 'btn btn-small', 'data-testid': `schedule-resume-${s.name}`, onclick: () => resumeSchedule(s.name, notice, fail) }, 'Resume')
          : h('button', { type: 'button', class: 'btn btn-small', 'data-testid': `schedule-pause-${s.name}`, onclick: () => pauseScheduleDialog(s.name, notice) }, 'Pause'),
        ' ',
        h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', 'data-testid': `schedule-delete-${s.name}`, onclick: () => deleteScheduleDialog(s.name, notice) }, 'Delete'),
      ),
    );
  }

  load();
  return () => {
    disposed = true;
    refresh.cancel();
  };
}
