// Browser tests of the execution page's variables, inbox and synchronous signal: each edited
// or sent from the page, checked through the REST API, with the API's refusals (409 once
// ended, 404 when nothing is blocked) shown in words. Run with tests/ui/run.sh.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  api,
  assertServedUiIsCurrent,
  badgeShows,
  chooseAction,
  completeTask,
  confirmDialog,
  define,
  eventually,
  launch,
  liveTask,
  open,
  screenshot,
  simple,
  start,
  statusIs,
  uniq,
  workflow,
} from './harness.mjs';


let browser;

before(async () => {
  await assertServedUiIsCurrent();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});


/** Open the dialog, let the workflow end through the API, confirm: the 409 stays in the dialog. */
async function refusedOnceEnded(page, id, openIt) {
  await openIt();
  await api('DELETE', `/workflow/${id}?reason=ended%20meanwhile`);
  await page.getByTestId('dialog-confirm').click();
  const error = page.getByTestId('dialog-error');
  await error.waitFor();
  assert.match(await error.textContent(), /409 Conflict/);
  const text = await error.textContent();
  await page.getByTestId('dialog-cancel').click();
  await badgeShows(page, 'TERMINATED');
  return text;
}

describe('variables, inbox and synchronous signal in the web UI', { timeout: 120000 }, () => {
  test('Variables: shown, edited (merged over the current ones), refused in words once ended', async () => {
    const name = `ui_vars_${uniq()}`;
    await define({ name, tasks: [simple(name, 'work')] });
    const id = await start(name, {});
    await api('POST', `/workflow/${id}/variables`, { keep: 'me' });

    const page = await open(browser, `/ui/executions/${id}`);
    await badgeShows(page, 'RUNNING');
    await page.getByTestId('workflow-variables').getByText('"keep": "me"').waitFor();
    await page.getByTestId('edit-variables').click();
    await page.getByTestId('dialog-variables').waitFor();
    assert.deepEqual(JSON.parse(await page.getByTestId('variables-input').inputValue()), { keep: 'me' });
    await page.getByTestId('variables-input').fill('{"approved": true, "limits": {"amount": 250}}');
    await confirmDialog(page);
    await page.getByTestId('notice').getByText('Variables updated.').waitFor();

    // Merged: the key left out is kept.
    assert.deepEqual((await workflow(id)).variables, { keep: 'me', approved: true, limits: { amount: 250 } });
    await page.getByTestId('workflow-variables').getByText('"approved": true').waitFor();
    await page.locator('[data-testid=signal-row][data-op=update_variables][data-status="200"]').first().waitFor();
    await page.getByTestId('variables-card').scrollIntoViewIfNeeded();
    await screenshot(page, 'variables.png');

    // Invalid JSON is refused before any request.
    await page.getByTestId('edit-variables').click();
    await page.getByTestId('variables-input').fill('[1, 2]');
    await page.getByTestId('dialog-confirm').click();
    await page.getByTestId('dialog-error').getByText('must be a JSON object').waitFor();
    await page.getByTestId('dialog-cancel').click();

    const refusal = await refusedOnceEnded(page, id, () => page.getByTestId('edit-variables').click());
    assert.match(refusal, /terminal state TERMINATED: its variables cannot be updated/);
    // Once ended the variables are read only.
    await page.getByTestId('variables-card').getByText('Read only').waitFor();
    assert.equal(await page.getByTestId('edit-variables').count(), 0);
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('Inbox: messages sent from the page wait for the PULL_WORKFLOW_MESSAGES task, which takes them', async () => {
    const name = `ui_inbox_${uniq()}`;
    await define({ name, tasks: [simple(name, 'first'), { name: 'pull', taskReferenceName: 'pull', type: 'PULL_WORKFLOW_MESSAGES', inputParameters: { batchSize: 10 } }] });
    const id = await start(name, {});
    const page = await open(browser, `/ui/executions/${id}`);
    await badgeShows(page, 'RUNNING');
    await page.getByTestId('inbox-empty').waitFor();

    const sent = [];
    for (const payload of [{ orderId: 'o-1', note: 'first' }, { orderId: 'o-2' }]) {
      await page.getByTestId('send-message').click();
      await page.getByTestId('dialog-send-message').waitFor();
      await page.getByTestId('message-payload').fill(JSON.stringify(payload));
      await confirmDialog(page);
      const notice = await page.getByTestId('notice').getByText(/^Message [0-9a-f-]{36} sent\.$/).textContent();
      sent.push(notice.match(/[0-9a-f-]{36}/)[0]);
    }
    // Listed oldest first, as the API has them, while `first` keeps the pull task from running.
    const inbox = await api('GET', `/workflow/${id}/messages`);
    assert.deepEqual(inbox.map((m) => m.id), sent);
    assert.deepEqual(inbox.map((m) => m.payload), [{ orderId: 'o-1', note: 'first' }, { orderId: 'o-2' }]);
    const rows = page.getByTestId('inbox-message');
    await eventually(async () => (await rows.count()) === 2, { message: 'two messages listed' });
    assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => e.dataset.id)), sent);
    assert.match(await rows.first().textContent(), /"orderId":"o-1","note":"first"/);
    assert.equal(await page.getByTestId('inbox-count').textContent(), '2');
    await page.locator('[data-testid=signal-row][data-op=message]').first().waitFor();
    await page.getByTestId('inbox-card').scrollIntoViewIfNeeded();
    await screenshot(page, 'inbox.png');

    // Once `first` completes, the pull task takes both and the inbox empties.
    await completeTask(id, 'first');
    const done = await statusIs(id, 'COMPLETED');
    assert.deepEqual(done.tasks.find((t) => t.referenceTaskName === 'pull').outputData.messages.map((m) => m.id), sent);
    await page.getByTestId('refresh').click();
    await page.getByTestId('inbox-empty').waitFor();
    assert.equal(await page.getByTestId('send-message').count(), 0);

    // Sending to a workflow that stops running meanwhile is refused in words.
    const other = await start(name, {});
    await page.goto(page.url().replace(id, other));
    await badgeShows(page, 'RUNNING');
    const refusal = await refusedOnceEnded(page, other, () => page.getByTestId('send-message').click());
    assert.match(refusal, /is not in RUNNING state \(current: TERMINATED\)/);
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('Signal (sync) completes the YIELD of a child and shows the answer; 404 in words when nothing waits', async () => {
    const child = `ui_yield_child_${uniq()}`;
    const root = `ui_yield_root_${uniq()}`;
    await define({
      name: child,
      tasks: [
        { name: 'y', taskReferenceName: 'y', type: 'YIELD' },
        { name: 'y2', taskReferenceName: 'y2', type: 'YIELD', inputParameters: { approved: '${y.output.approved}' } },
      ],
    });
    await define({ name: root, tasks: [{ name: 'sub', taskReferenceName: 'sub', type: 'SUB_WORKFLOW', subWorkflowParam: { name: child, version: 1 } }] });

    // 1. The blocking task's input: the child's next YIELD, fed by the output given.
    const id = await start(root, {});
    const childId = await eventually(async () => {
      const sub = (await workflow(id)).tasks[0];
      return sub && (sub.subWorkflowId || (sub.outputData || {}).subWorkflowId);
    });
    await liveTask(childId, 'y');
    const page = await open(browser, `/ui/executions/${id}`);
    await badgeShows(page, 'RUNNING');
    await chooseAction(page, 'signal-sync');
    await page.getByTestId('dialog-sync-signal').waitFor();
    await page.getByTestId('sync-strategy').selectOption('BLOCKING_TASK_INPUT');
    await page.getByTestId('sync-output').fill('{"approved": true}');
    await confirmDialog(page);
    const answer = page.getByTestId('sync-answer');
    await answer.waitFor();
    assert.equal(await answer.getAttribute('data-response-type'), 'BLOCKING_TASK_INPUT');
    assert.equal(await page.getByTestId('sync-response-type').textContent(), 'BLOCKING_TASK_INPUT');
    assert.match(await page.getByTestId('sync-target').textContent(), new RegExp(`${id}\\s*RUNNING`));
    assert.equal(await page.getByTestId('sync-workflow').textContent(), childId);
    assert.match(await page.getByTestId('sync-task-ref').textContent(), /^y2 YIELD/);
    assert.equal(await page.getByTestId('sync-status-answer').textContent(), 'IN PROGRESS');
    assert.deepEqual(JSON.parse(await page.getByTestId('sync-task-input').textContent()), { approved: true });
    assert.equal(await page.getByTestId('sync-timeout').textContent(), 'no');
    const y = (await workflow(childId)).tasks.find((t) => t.referenceTaskName === 'y');
    assert.equal(y.status, 'COMPLETED');
    assert.deepEqual(y.outputData, { approved: true });
    await screenshot(page, 'sync-signal.png');

    // 2. The target workflow: the second YIELD completed, the child and this workflow end.
    await chooseAction(page, 'signal-sync');
    await page.getByTestId('sync-output').fill('{"shipped": true}');
    await confirmDialog(page);
    await page.locator('[data-testid=sync-answer][data-response-type=TARGET_WORKFLOW]').waitFor();
    assert.match(await page.getByTestId('sync-target').textContent(), new RegExp(`${id}\\s*COMPLETED`));
    assert.equal(await page.getByTestId('sync-task-ref').count(), 0);
    await badgeShows(page, 'COMPLETED');
    await statusIs(childId, 'COMPLETED');

    // 3. Nothing blocked (a worker task waits, not a YIELD): the 404 stays in the dialog in words.
    const plain = `ui_plain_${uniq()}`;
    await define({ name: plain, tasks: [simple(plain, 'work')] });
    const other = await start(plain, {});
    await page.goto(page.url().replace(id, other));
    await badgeShows(page, 'RUNNING');
    await chooseAction(page, 'signal-sync');
    await page.getByTestId('dialog-confirm').click();
    const error = page.getByTestId('dialog-error');
    await error.waitFor();
    assert.match(await error.textContent(), /404 Not found/);
    assert.match(await error.textContent(), /Found no blocked task in workflow/);
    await page.getByTestId('dialog-cancel').click();
    assert.equal((await workflow(other)).tasks[0].status, 'SCHEDULED');
    browser.assertNoScriptErrors();
    await page.close();
  });
});
