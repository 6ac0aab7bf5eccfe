// Browser tests of the Schedules pages: the New schedule dialog with its preview of the next
// run times (and the server's words for a bad cron), pause and resume, and an every-second
// schedule that fires, its runs linking to the workflows they started. Each is checked
// through the REST API too. Run with tests/ui/run.sh.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  api,
  assertServedUiIsCurrent,
  badgeShows,
  call,
  confirmDialog,
  define,
  eventually,
  launch,
  open,
  screenshot,
  uniq,
  workflow,
} from './harness.mjs';

// A workflow that ends by itself (no worker), so the every-second schedule leaves no backlog.
const FLOW = `ui_sched_${uniq()}`;

let browser;

before(async () => {
  await assertServedUiIsCurrent();
  await define({
    name: FLOW,
    tasks: [{ name: 'note', taskReferenceName: 'note', type: 'SET_VARIABLE', inputParameters: { startedBy: '${workflow.input._startedByScheduler}' } }],
  });
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});


/** Fill the New schedule dialog (open) up to the cron; the caller types the cron. */
async function fillNewSchedule(page, name, input) {
  await page.getByTestId('dialog-schedule-new').waitFor();
  await page.getByTestId('schedule-name').fill(name);
  await page.getByTestId('schedule-description').fill('made by the UI test');
  await page.locator(`[data-testid=schedule-workflow] option[value=${FLOW}]`).waitFor({ state: 'attached' });
  await page.getByTestId('schedule-workflow').selectOption(FLOW);
  await page.getByTestId('schedule-version').selectOption('1');
  await page.getByTestId('schedule-input').fill(JSON.stringify(input));
}

/** The browser's own formatting of epoch ms as the UI shows them ("2026-12-01 09:00:00"). */
const formatted = (page, times) =>
  page.evaluate((ts) => {
    const pad = (n) => String(n).padStart(2, '0');
    return ts.map((t) => {
      const d = new Date(t);
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    });
  }, times);

describe('schedules in the web UI', { timeout: 120000 }, () => {
  test('create a schedule with a preview of its next runs, then pause and resume it', async () => {
    const name = `ui_weekdays_${uniq()}`;
    const cron = '0 0 9 * * MON-FRI';
    const page = await open(browser, '/ui/executions');
    await page.getByTestId('nav-schedules').click();
    await page.waitForURL(/\/ui\/schedules$/);
    await page.getByTestId('schedule-new').click();
    await fillNewSchedule(page, name, { report: 'weekly' });

    // A bad cron: the preview shows the server's 400 in words.
    await page.getByTestId('schedule-cron').fill('0 0 9 * *');
    const bad = page.getByTestId('schedule-preview-error');
    await bad.waitFor();
    assert.match(await bad.textContent(), /400 Bad request/);
    assert.match(await bad.textContent(), /six fields are needed .* found 5/);

    // A good one: the next five run times, as the server computes them.
    await page.getByTestId('schedule-cron').fill(cron);
    await bad.waitFor({ state: 'detached' });
    const preview = page.getByTestId('schedule-preview-time');
    await eventually(async () => (await preview.count()) === 5, { message: 'five next run times' });
    const expected = await formatted(page, await api('GET', `/scheduler/nextFewSchedules?cronExpression=${encodeURIComponent(cron)}&limit=5`));
    assert.deepEqual(await preview.allTextContents(), expected);
    await screenshot(page, 'schedule-new.png');

    await confirmDialog(page);
    await page.getByTestId('notice').getByText(`Schedule ${name} created.`).waitFor();
    const row = page.getByTestId(`schedule-${name}`);
    await row.and(page.locator('[data-state=ACTIVE]')).waitFor();
    assert.match(await page.getByTestId(`schedule-next-${name}`).textContent(), /\d\d:\d\d:\d\d/);
    const saved = await api('GET', `/scheduler/schedules/${name}`);
    assert.equal(saved.cronExpression, cron);
    assert.equal(saved.zoneId, 'UTC');
    assert.equal(saved.paused, false);
    assert.equal(saved.description, 'made by the UI test');
    assert.equal(saved.startWorkflowRequest.name, FLOW);
    assert.equal(saved.startWorkflowRequest.version, 1);
    assert.deepEqual(saved.startWorkflowRequest.input, { report: 'weekly' });

    // Pause with a reason, from the row.
    await page.getByTestId(`schedule-pause-${name}`).click();
    await page.getByTestId('schedule-pause-reason').fill('maintenance window');
    await confirmDialog(page);
    await row.and(page.locator('[data-state=PAUSED]')).waitFor();
    await page.getByTestId(`schedule-reason-${name}`).getByText('maintenance window').waitFor();
    assert.equal(await page.getByTestId(`schedule-next-${name}`).textContent(), 'none while paused');
    const paused = await api('GET', `/scheduler/schedules/${name}`);
    assert.equal(paused.paused, true);
    assert.equal(paused.pausedReason, 'maintenance window');

    // A second, active one for the picture of the list.
    const other = `ui_hourly_${uniq()}`;
    await api('POST', '/scheduler/schedules', { name: other, cronExpression: '0 0 * * * *', zoneId: 'UTC', startWorkflowRequest: { name: FLOW, version: 1, input: {} }, paused: false, description: 'every hour' });
    await page.getByTestId(`schedule-${other}`).waitFor({ timeout: 12000 });
    await screenshot(page, 'schedules.png');

    // Resume: active again, with a next run.
    await page.getByTestId(`schedule-resume-${name}`).click();
    await row.and(page.locator('[data-state=ACTIVE]')).waitFor();
    assert.equal((await api('GET', `/scheduler/schedules/${name}`)).paused, false);
    await api('DELETE', `/scheduler/schedules/${other}`);
    await api('DELETE', `/scheduler/schedules/${name}`);
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('an every-second schedule fires, and its runs link to the workflows they started', async () => {
    const name = `ui_every_second_${uniq()}`;
    const page = await open(browser, '/ui/schedules');
    await page.getByTestId('schedule-new').click();
    await fillNewSchedule(page, name, { source: 'ui-test' });
    await page.getByTestId('schedule-cron').fill('* * * * * *');
    await eventually(async () => (await page.getByTestId('schedule-preview-time').count()) === 5, { message: 'five next run times' });
    await confirmDialog(page);

    // Its own page lists its runs (newest first), each linking to the workflow it started.
    await page.getByTestId(`schedule-link-${name}`).click();
    await page.waitForURL(new RegExp(`/ui/schedules/${name}$`));
    await page.getByTestId('schedule-title').getByText(name).waitFor();
    const runs = page.getByTestId('schedule-execution');
    await eventually(async () => (await runs.count()) >= 2, { timeout: 15000, message: 'two runs shown' });
    assert.equal(await runs.first().getAttribute('data-state'), 'EXECUTED');
    await screenshot(page, 'schedule.png', { fullPage: true });

    // Pause it from its page, so it stops starting workflows.
    await page.getByTestId('schedule-pause').click();
    await confirmDialog(page);
    await page.locator('[data-testid=schedule-state].status-PAUSED').waitFor();
    assert.equal((await api('GET', `/scheduler/schedules/${name}`)).paused, true);

    // The newest run's link opens the workflow it started, with the schedule's input.
    const link = runs.first().getByTestId('schedule-execution-link');
    const id = await link.textContent();
    await link.click();
    await page.waitForURL(new RegExp(`/ui/executions/${id}$`));
    assert.equal(await page.getByTestId('workflow-name').textContent(), FLOW);
    await badgeShows(page, 'COMPLETED');
    const wf = await workflow(id);
    assert.equal(wf.input.source, 'ui-test');
    assert.equal(wf.input._startedByScheduler, name);
    const firings = await api('GET', `/scheduler/search/executions?query=scheduleName%3D${name}&size=50`);
    assert.ok(firings.results.some((e) => e.workflowId === id && e.state === 'EXECUTED'));

    // Delete it from its page: back on the list, and gone from the API.
    await page.goBack();
    await page.getByTestId('schedule-delete').click();
    await confirmDialog(page);
    await page.waitForURL(/\/ui\/schedules\?deleted=/);
    await page.getByTestId('notice').getByText(`Schedule ${name} deleted.`).waitFor();
    assert.equal((await call('GET', `/scheduler/schedules/${name}`)).status, 404);
    browser.assertNoScriptErrors();
    await page.close();
  });
});
