// Browser tests of fermata's web UI: each drives headless Chromium by clicking, then checks
// the execution's new state through the REST API. Run with tests/ui/run.sh.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  api,
  assertServedUiIsCurrent,
  badgeShows,
  call,
  chooseAction,
  completeTask,
  confirmDialog,
  eventually,
  launch,
  open,
  registerFlow,
  screenshot,
  start,
  statusIs,
  uniq,
  workflow,
} from './harness.mjs';

const FLOW = 'ui_order';
const REFS = ['charge', 'approval', 'ship'];

let browser;

before(async () => {
  await assertServedUiIsCurrent();
  await registerFlow(FLOW, REFS);
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

/** Fails the test if any page threw or logged a script error since the last check. */

describe('fermata web UI', { timeout: 120000 }, () => {
  test('executions page lists, filters and refreshes by itself', async () => {
    const tag = `list-${uniq()}`;
    const running = await start(FLOW, { orderId: 'o-1' }, { correlationId: `${tag}-running` });
    const failed = await start(FLOW, { orderId: 'o-2' }, { correlationId: `${tag}-failed` });
    await completeTask(failed, 'charge', { charged: 20 });
    await api('POST', `/tasks/${failed}/approval/FAILED`, { declinedBy: 'bob' });
    const paused = await start(FLOW, { orderId: 'o-3' }, { correlationId: `${tag}-paused` });
    await api('PUT', `/workflow/${paused}/pause`);
    const terminated = await start(FLOW, { orderId: 'o-5' }, { correlationId: `${tag}-terminated` });
    await api('DELETE', `/workflow/${terminated}?reason=${encodeURIComponent('customer cancelled')}`);
    const done = await start(FLOW, { orderId: 'o-4' }, { correlationId: `${tag}-done` });
    for (const ref of REFS) await completeTask(done, ref, { by: 'test' });
    await statusIs(done, 'COMPLETED');

    const page = await open(browser, '/ui/executions');
    for (const id of [running, failed, paused, terminated, done]) await page.getByTestId(`row-${id}`).waitFor();
    await screenshot(page, 'executions.png', { fullPage: true });

    // Status filter: only the failed one of ours stays.
    await page.getByTestId('filter-text').fill(tag);
    await page.getByTestId('filter-status-FAILED').click();
    await page.getByTestId(`row-${running}`).waitFor({ state: 'detached' });
    await page.getByTestId(`row-${failed}`).waitFor();
    assert.equal(await page.locator('tbody tr[data-testid^=row-]').count(), 1);
    assert.match(page.url(), /status=FAILED/);

    // Exact correlation id, with the status filter off again.
    await page.getByTestId('filter-status-FAILED').click();
    await page.getByTestId('filter-correlation').fill(`${tag}-paused`);
    await page.getByTestId(`row-${failed}`).waitFor({ state: 'detached' });
    await page.getByTestId(`row-${paused}`).waitFor();
    assert.equal(await page.locator('tbody tr[data-testid^=row-]').count(), 1);

    // The list refreshes by itself: a change made through the API shows up without a click.
    await page.getByTestId('filter-correlation').fill(`${tag}-running`);
    await page.locator(`[data-testid=row-${running}][data-status=RUNNING]`).waitFor();
    await api('PUT', `/workflow/${running}/pause`);
    await page.locator(`[data-testid=row-${running}][data-status=PAUSED]`).waitFor({ timeout: 12000 });

    // Time range: nothing of ours started after 2099.
    await page.getByTestId('filter-correlation').fill('');
    await page.getByTestId('filter-text').fill(tag);
    await page.getByTestId('filter-range').selectOption('custom');
    await page.getByTestId('filter-from').fill('2099-01-01T00:00');
    await page.getByTestId('empty').getByText('No executions match these filters.').waitFor();
    assert.match(decodeURIComponent(page.url()), /from=2099-01-01T00:00/);
    await page.getByTestId('filter-range').selectOption('1h');
    await eventually(async () => (await page.locator('tbody tr[data-testid^=row-]').count()) === 5, { message: 'the five of the last hour' });

    // Workflow name: pick ours from the list of definitions.
    await page.getByTestId('filter-workflow').click();
    await page.getByTestId(`filter-workflow-${FLOW}`).check();
    await page.getByTestId('filter-workflow').getByText(FLOW).waitFor();
    assert.match(page.url(), new RegExp(`workflowType=${FLOW}`));
    await page.getByTestId('filter-workflow').click();

    // Clearing the filters shows everything again.
    await page.getByTestId('filter-reset').click();
    await page.getByTestId(`row-${done}`).waitFor();
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('Actions: pause, then resume', async () => {
    const id = await start(FLOW, { orderId: 'p-1' }, { correlationId: `pause-${uniq()}` });
    const page = await open(browser, `/ui/executions/${id}`);
    await badgeShows(page, 'RUNNING');
    await page.getByTestId('why').getByText('waits for a worker to poll').waitFor();

    await chooseAction(page, 'pause');
    await badgeShows(page, 'PAUSED');
    await statusIs(id, 'PAUSED');
    await page.getByTestId('notice').waitFor();
    await page.getByTestId('why').getByText(/Paused by 127\.0\.0\.1 at \d\d:\d\d:\d\d/).waitFor();
    await page.locator('[data-testid=signal-row][data-op=pause][data-status="200"]').waitFor();

    await chooseAction(page, 'resume');
    await badgeShows(page, 'RUNNING');
    await statusIs(id, 'RUNNING');
    await page.locator('[data-testid=signal-row][data-op=resume]').waitFor();

    // The page of a running execution refreshes by itself: a pause made elsewhere shows up.
    await api('PUT', `/workflow/${id}/pause`);
    await page.locator('[data-testid=workflow-status].status-PAUSED').waitFor({ timeout: 12000 });
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('Update task: complete a waiting task with output JSON', async () => {
    const id = await start(FLOW, { orderId: 'u-1' });
    await completeTask(id, 'charge', { charged: 12 });
    const page = await open(browser, `/ui/executions/${id}`);
    await page.getByTestId('update-task-approval').click();
    const dialog = page.getByTestId('dialog-update-task');
    await dialog.waitFor();
    await page.getByTestId('update-status').selectOption('COMPLETED');
    await page.getByTestId('update-output').fill('{"approvedBy": "ana", "note": "looks fine"}');
    await confirmDialog(page);
    await page.getByTestId('notice').waitFor();

    const wf = await eventually(async () => {
      const w = await workflow(id);
      return w.tasks.some((t) => t.referenceTaskName === 'ship') && w;
    });
    const approval = wf.tasks.find((t) => t.referenceTaskName === 'approval');
    assert.equal(approval.status, 'COMPLETED');
    assert.deepEqual(approval.outputData, { approvedBy: 'ana', note: 'looks fine' });
    assert.equal(wf.tasks.find((t) => t.referenceTaskName === 'ship').status, 'SCHEDULED');
    // The page shows the new state: approval done, ship waiting.
    await page.locator('[data-testid=task-approval][data-status=COMPLETED]').waitFor();
    await page.locator('[data-testid=task-ship][data-status=SCHEDULED]').waitFor();
    await page.locator('[data-testid=diagram-node-approval][data-status=COMPLETED]').waitFor();

    // FAILED_WITH_TERMINAL_ERROR through the same panel fails the workflow for good.
    await page.getByTestId('update-task-ship').click();
    await page.getByTestId('update-status').selectOption('FAILED_WITH_TERMINAL_ERROR');
    await page.getByTestId('update-output').fill('{"error": "no carrier"}');
    await confirmDialog(page);
    await statusIs(id, 'FAILED');
    await badgeShows(page, 'FAILED');

    // Invalid JSON is refused in words, before any request.
    const other = await start(FLOW, { orderId: 'u-2' });
    await page.goto(`${page.url().replace(id, other)}`);
    await page.getByTestId('update-task-charge').click();
    await page.getByTestId('update-output').fill('{"approvedBy": ');
    await page.getByTestId('dialog-confirm').click();
    await page.getByTestId('dialog-error').getByText('not valid JSON').waitFor();
    await page.getByTestId('dialog-cancel').click();
    assert.equal((await workflow(other)).tasks[0].status, 'SCHEDULED');
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('a WAIT task waiting for a signal is explained in words and released from the page', async () => {
    const name = `ui_wait_${uniq()}`;
    await api('POST', '/metadata/workflow?overwrite=true', {
      name,
      tasks: [
        { name: 'approval', taskReferenceName: 'approval', type: 'WAIT' },
        { name: 'hold', taskReferenceName: 'timer', type: 'WAIT', inputParameters: { duration: '1 hours' } },
      ],
    });
    const id = await start(name, {});
    await eventually(async () => (await workflow(id)).tasks[0]?.status === 'IN_PROGRESS');
    const page = await open(browser, `/ui/executions/${id}`);
    const why = page.getByTestId('why-sentence').first();
    await why.getByText('waits for a signal since').waitFor();
    assert.match(await why.innerText(), /WAIT task\s+approval\s+waits for a signal since/);
    await page.getByTestId('why-update-approval').click();
    await page.getByTestId('update-status').selectOption('COMPLETED');
    await page.getByTestId('update-output').fill('{"approved": true}');
    await confirmDialog(page);
    const wf = await eventually(async () => {
      const w = await workflow(id);
      return w.tasks.some((t) => t.referenceTaskName === 'timer' && t.status === 'IN_PROGRESS' && t.waitTimeout > 0) && w;
    });
    assert.deepEqual(wf.tasks[0].outputData, { approved: true });
    // The timed WAIT that follows is explained with its deadline.
    await page.getByTestId('why-sentence').getByText('waits until').waitFor({ timeout: 15000 });
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('Actions: retry from failed task (and screenshots of an execution and its menu)', async () => {
    const id = await start(FLOW, { orderId: 'r-1', amount: 42 }, { correlationId: 'order-r-1' });
    await completeTask(id, 'charge', { charged: 42 });
    await api('POST', `/tasks/${id}/approval/FAILED`, { declinedBy: 'bob' });
    await statusIs(id, 'FAILED');

    const page = await open(browser, `/ui/executions/${id}`);
    await badgeShows(page, 'FAILED');
    await page.getByTestId('actions-button').click();
    await page.getByTestId('action-retry').waitFor();
    const offered = await page.locator('[data-testid=actions-menu] [data-testid^=action-]').evaluateAll((els) => els.map((e) => e.dataset.testid));
    assert.deepEqual(offered, ['action-restart-current', 'action-restart-latest', 'action-rerun', 'action-retry', 'action-terminate']);
    await screenshot(page, 'actions-menu.png');

    await page.getByTestId('action-retry').click();
    await page.getByTestId('dialog-retry').waitFor();
    await page.getByTestId('retry-resume-subworkflows').check();
    await confirmDialog(page);
    await badgeShows(page, 'RUNNING');

    const wf = await statusIs(id, 'RUNNING');
    const approvals = wf.tasks.filter((t) => t.referenceTaskName === 'approval');
    assert.equal(approvals.length, 2);
    assert.equal(approvals[1].status, 'SCHEDULED');
    assert.equal(approvals[1].retryCount, 1);
    const signals = await api('GET', `/workflow/${id}/signals`);
    assert.deepEqual(signals.at(-1).params, { resumeSubworkflowTasks: true });

    await page.locator('[data-testid=signal-row][data-op=retry]').waitFor();
    await page.locator('[data-testid=task-charge] button.linklike').click();
    await page.getByTestId('task-output-charge').waitFor();
    await screenshot(page, 'execution.png', { fullPage: true });
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('Actions: terminate with a reason', async () => {
    const id = await start(FLOW, { orderId: 't-1' });
    const page = await open(browser, `/ui/executions/${id}`);
    await badgeShows(page, 'RUNNING');
    await chooseAction(page, 'terminate');
    await page.getByTestId('dialog-terminate').waitFor();
    await page.getByTestId('terminate-reason').fill('customer cancelled');
    await confirmDialog(page);
    await badgeShows(page, 'TERMINATED');

    const wf = await statusIs(id, 'TERMINATED');
    assert.equal(wf.reasonForIncompletion, 'customer cancelled');
    assert.equal(wf.tasks[0].status, 'CANCELED');
    await page.getByTestId('why').getByText(/Terminated by 127\.0\.0\.1 at .*customer cancelled/).waitFor();
    await page.getByTestId('reason').getByText('customer cancelled').waitFor();
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('Actions: restart with current definitions', async () => {
    const id = await start(FLOW, { orderId: 'rc-1' });
    await completeTask(id, 'charge');
    await api('DELETE', `/workflow/${id}?reason=stop`);
    const before = await statusIs(id, 'TERMINATED');

    const page = await open(browser, `/ui/executions/${id}`);
    await badgeShows(page, 'TERMINATED');
    await chooseAction(page, 'restart-current');
    await page.getByTestId('dialog-restart').getByText('version 1').waitFor();
    await confirmDialog(page);
    await badgeShows(page, 'RUNNING');

    const wf = await statusIs(id, 'RUNNING');
    assert.equal(wf.workflowVersion, 1);
    assert.deepEqual(wf.tasks.map((t) => [t.referenceTaskName, t.status]), [['charge', 'SCHEDULED']]);
    assert.notEqual(wf.tasks[0].taskId, before.tasks[0].taskId);
    assert.equal(wf.reasonForIncompletion ?? null, null);
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('Actions: restart with latest definitions (after registering v2)', async () => {
    const name = `ui_versions_${uniq()}`;
    await registerFlow(name, ['one', 'two']);
    const id = await start(name, { orderId: 'rl-1' }, { version: 1 });
    await api('DELETE', `/workflow/${id}?reason=upgrade`);
    await statusIs(id, 'TERMINATED');
    await registerFlow(name, ['first_in_v2', 'two'], { version: 2 });

    const page = await open(browser, `/ui/executions/${id}`);
    await badgeShows(page, 'TERMINATED');
    await chooseAction(page, 'restart-latest');
    await page.getByTestId('restart-version').getByText('v2').waitFor();
    await confirmDialog(page);
    await badgeShows(page, 'RUNNING');

    const wf = await statusIs(id, 'RUNNING');
    assert.equal(wf.workflowVersion, 2);
    assert.deepEqual(wf.tasks.map((t) => t.referenceTaskName), ['first_in_v2']);
    await page.locator('.version', { hasText: 'v2' }).first().waitFor();
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('Actions: re-run from a task with new task input', async () => {
    const id = await start(FLOW, { orderId: 'rr-1' }, { correlationId: 'before-rerun' });
    for (const ref of REFS) await completeTask(id, ref, { step: ref });
    const done = await statusIs(id, 'COMPLETED');
    const approval = done.tasks.find((t) => t.referenceTaskName === 'approval');

    const page = await open(browser, `/ui/executions/${id}`);
    await badgeShows(page, 'COMPLETED');
    await chooseAction(page, 'rerun');
    await page.getByTestId('dialog-rerun').waitFor();
    await page.getByTestId('rerun-input').fill('{"orderId": "rr-1b"}');
    await page.getByTestId('rerun-correlation').fill('after-rerun');
    await page.getByTestId('rerun-task').selectOption(approval.taskId);
    await page.getByTestId('rerun-task-input-toggle').check();
    await page.getByTestId('rerun-task-input').fill('{"orderId": "rr-1b", "note": "second look"}');
    await confirmDialog(page);
    await badgeShows(page, 'RUNNING');

    const wf = await statusIs(id, 'RUNNING');
    assert.deepEqual(wf.input, { orderId: 'rr-1b' });
    assert.equal(wf.correlationId, 'after-rerun');
    assert.deepEqual(wf.tasks.map((t) => [t.referenceTaskName, t.status]), [['charge', 'COMPLETED'], ['approval', 'SCHEDULED']]);
    const rerun = wf.tasks[1];
    assert.equal(rerun.taskId, approval.taskId);
    assert.deepEqual(rerun.inputData, { orderId: 'rr-1b', note: 'second look' });
    await page.locator('[data-testid=signal-row][data-op=rerun]').getByText('from task').waitFor();
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('Run Workflow: pick a definition and version, give input, land on the execution', async () => {
    const corr = `run-${uniq()}`;
    const page = await open(browser, '/ui/run');
    await page.locator(`[data-testid=run-name] option[value=${FLOW}]`).waitFor({ state: 'attached' });
    await page.getByTestId('run-name').selectOption(FLOW);
    await page.locator('[data-testid=run-version] option[value="1"]').waitFor({ state: 'attached' });
    await page.getByTestId('run-version').selectOption('1');
    await page.getByTestId('run-input').fill('{"orderId": "from-the-ui", "amount": 7}');
    await page.getByTestId('run-correlation').fill(corr);
    await page.getByTestId('run-submit').click();

    await page.waitForURL(/\/ui\/executions\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop();
    await badgeShows(page, 'RUNNING');
    const wf = await workflow(id);
    assert.equal(wf.workflowName, FLOW);
    assert.equal(wf.workflowVersion, 1);
    assert.equal(wf.correlationId, corr);
    assert.deepEqual(wf.input, { orderId: 'from-the-ui', amount: 7 });
    await page.getByTestId('correlation-id').getByText(corr).waitFor();

    // A start the API refuses is shown in words: an unknown version.
    await page.goto(page.url().replace(/\/executions\/.*/, `/run?name=${FLOW}`));
    await page.locator('[data-testid=run-version] option[value="1"]').waitFor({ state: 'attached' });
    await page.evaluate(() => {
      const sel = document.querySelector('[data-testid=run-version]');
      sel.append(new Option('v99', '99'));
      sel.value = '99';
    });
    await page.getByTestId('run-submit').click();
    await page.getByTestId('error-banner').getByText('404').waitFor();
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('Definitions: list, view JSON and versions', async () => {
    const page = await open(browser, '/ui/definitions');
    await page.getByTestId(`definition-${FLOW}`).waitFor();
    await page.getByTestId(`definition-${FLOW}`).getByRole('link', { name: FLOW }).click();
    await page.getByTestId('definition-json').getByText('"taskReferenceName": "approval"').waitFor();
    assert.equal(await page.getByTestId('definition-name').textContent(), FLOW);
    await page.getByTestId('version-1').waitFor();
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('bulk action on three executions, with a result for each', async () => {
    const tag = `bulk-${uniq()}`;
    const ids = [];
    for (let i = 1; i <= 3; i++) ids.push(await start(FLOW, { orderId: `${tag}-${i}` }, { correlationId: `${tag}-${i}` }));

    const page = await open(browser, '/ui/executions');
    await page.getByTestId('filter-text').fill(tag);
    await eventually(async () => (await page.locator('tbody tr[data-testid^=row-]').count()) === 3, { message: 'the list filtered to the three' });
    for (const id of ids) await page.getByTestId(`row-${id}`).waitFor();
    await page.getByTestId('select-all').check();
    await page.getByTestId('selected-count').getByText('3 selected').waitFor();

    await page.getByTestId('bulk-terminate').click();
    await page.getByTestId('dialog-bulk').waitFor();
    await page.getByTestId('bulk-reason').fill('bulk cleanup');
    await confirmDialog(page);
    await page.getByTestId('bulk-summary').getByText('Terminate: 3 succeeded, 0 failed').waitFor();
    for (const id of ids) {
      assert.equal(await page.getByTestId(`bulk-result-${id}`).getAttribute('data-result'), 'ok');
      const wf = await workflow(id);
      assert.equal(wf.status, 'TERMINATED');
      assert.equal(wf.reasonForIncompletion, 'bulk cleanup');
    }
    for (const id of ids) await page.locator(`[data-testid=row-${id}][data-status=TERMINATED]`).waitFor();

    // Bulk restart brings all three back.
    for (const id of ids) await page.getByTestId(`select-${id}`).check();
    await page.getByTestId('bulk-restart').click();
    await confirmDialog(page);
    await page.getByTestId('bulk-summary').getByText('Restart: 3 succeeded, 0 failed').waitFor();
    for (const id of ids) await statusIs(id, 'RUNNING');
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('an action the status does not allow shows the API error in words', async () => {
    // 1. Bulk: resume one paused and two running executions. The running ones are refused (409).
    const tag = `err-${uniq()}`;
    const ids = [];
    for (let i = 1; i <= 3; i++) ids.push(await start(FLOW, { orderId: `${tag}-${i}` }, { correlationId: `${tag}-${i}` }));
    await api('PUT', `/workflow/${ids[0]}/pause`);

    const page = await open(browser, '/ui/executions');
    await page.getByTestId('filter-text').fill(tag);
    await eventually(async () => (await page.locator('tbody tr[data-testid^=row-]').count()) === 3, { message: 'the list filtered to the three' });
    for (const id of ids) await page.getByTestId(`select-${id}`).check();
    await page.getByTestId('bulk-resume').click();
    await confirmDialog(page);
    await page.getByTestId('bulk-summary').getByText('Resume: 1 succeeded, 2 failed').waitFor();
    assert.equal(await page.getByTestId(`bulk-result-${ids[0]}`).getAttribute('data-result'), 'ok');
    for (const id of ids.slice(1)) {
      const row = page.getByTestId(`bulk-result-${id}`);
      assert.equal(await row.getAttribute('data-result'), 'error');
      assert.match(await row.textContent(), /is not PAUSED so cannot resume\. Current status is RUNNING/);
    }
    await screenshot(page, 'bulk-results.png');
    for (const id of ids) assert.equal((await workflow(id)).status, 'RUNNING');

    // 2. A race on the execution page: the menu offers Resume for a paused execution, someone
    //    else resumes it first, then the click is refused and the 409's message is shown.
    const id = ids[1];
    await api('PUT', `/workflow/${id}/pause`);
    await page.goto(page.url().replace(/\/ui\/.*/, `/ui/executions/${id}`));
    await badgeShows(page, 'PAUSED');
    await page.getByTestId('actions-button').click();
    await page.getByTestId('action-resume').waitFor();
    await api('PUT', `/workflow/${id}/resume`);
    await page.getByTestId('action-resume').click();
    const banner = page.getByTestId('error-banner');
    await banner.waitFor();
    assert.match(await banner.textContent(), /Resume failed: 409 Conflict/);
    assert.match(await banner.textContent(), /is not PAUSED so cannot resume\. Current status is RUNNING/);
    // The page refreshed after the refusal and shows the real status and the refused signal.
    await badgeShows(page, 'RUNNING');
    // (the newest of its two refused resumes: the bulk one above and this one)
    await page.locator('[data-testid=signal-row]').first().and(page.locator('[data-op=resume][data-status="409"]')).waitFor();

    // 3. The same race inside a dialog: Retry is offered for a failed execution, someone else
    //    retries it first; the dialog stays open and shows the refusal in words.
    const failed = await start(FLOW, { orderId: `${tag}-f` });
    await api('POST', `/tasks/${failed}/charge/FAILED`, { error: 'card declined' });
    await statusIs(failed, 'FAILED');
    await page.goto(page.url().replace(/\/ui\/.*/, `/ui/executions/${failed}`));
    await badgeShows(page, 'FAILED');
    await chooseAction(page, 'retry');
    await page.getByTestId('dialog-retry').waitFor();
    await api('POST', `/workflow/${failed}/retry`);
    await page.getByTestId('dialog-confirm').click();
    const inDialog = page.getByTestId('dialog-error');
    await inDialog.waitFor();
    assert.match(await inDialog.textContent(), /404 Not found/);
    assert.match(await inDialog.textContent(), /still running/);
    await screenshot(page, 'error-in-dialog.png');
    await page.getByTestId('dialog-cancel').click();
    await badgeShows(page, 'RUNNING');
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('an unknown execution id is reported, not a blank page', async () => {
    const page = await open(browser, '/ui/executions/00000000-0000-0000-0000-000000000000');
    const banner = page.getByTestId('error-banner');
    await banner.waitFor();
    assert.match(await banner.textContent(), /404 Not found/);
    assert.match(await banner.textContent(), /00000000-0000-0000-0000-000000000000/);
    browser.assertNoScriptErrors();
    await page.close();
  });
});
