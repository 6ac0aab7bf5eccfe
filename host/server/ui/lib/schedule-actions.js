// Pause, resume and delete of one schedule, shared by the Schedules list and a schedule's own
// page. Each answers a promise that settles after the API answered; `done(text)` is called
// with a notice on success, and an API refusal is shown in words (in the dialog, or through
// `fail(err, title)` for resume, which has no dialog).

import { api } from './api.js';
import { h, field, openDialog } from './dom.js';

/** The state of a schedule in words, for badges: ACTIVE or PAUSED. */
export const scheduleState = (s) => (s.paused ? 'PAUSED' : 'ACTIVE');

export function pauseScheduleDialog(name, done) {
  const reason = h('input', { type: 'text', placeholder: 'optional, e.g. maintenance window', 'data-testid': 'schedule-pause-reason' });
  openDialog({
    title: `Pause schedule ${name}`,
    testid: 'dialog-schedule-pause',
    confirmLabel: 'Pause',
    body: [h('p', {}, 'It starts no workflow until it is resumed. Slots missed while paused are not caught up.'), field('Reason', reason, 'Shown next to the schedule.')],
    onConfirm: async () => {
      await api.pauseSchedule(name, reason.value.trim());
      await done(`Schedule ${name} paused.`);
    },
  });
}

export async function resumeSchedule(name, done, fail) {
  try {
    await api.resumeSchedule(name);
  } catch (err) {
    return fail(err, 'Resume failed');
  }
  return done(`Schedule ${name} resumed.`);
}

export function deleteScheduleDialog(name, done) {
  openDialog({
    title: `Delete schedule ${name}`,
    testid: 'dialog-schedule-delete',
    confirmLabel: 'Delete',
    danger: true,
    body: [h('p', {}, 'It starts no more workflows. The workflows it already started are kept.')],
    onConfirm: async () => {
      await api.deleteSchedule(name);
      await done(`Schedule ${name} deleted.`);
    },
  });
}
