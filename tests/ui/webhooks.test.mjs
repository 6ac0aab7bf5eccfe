// Browser tests of the Webhooks pages: the New webhook dialog (a HEADER_BASED webhook, and the
// server's 400s in words for configs it refuses), then deliveries over HTTP to a workflow
// waiting in WAIT_FOR_WEBHOOK: a wrong token refused (401), the right one completing the
// wait; the webhook's page shows both, links to the workflow it moved on, refreshes (but not
// under an open dialog), and deletes the webhook. Each is checked through the REST API too.
// Run with tests/ui/run.sh.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BASE,
  api,
  assertServedUiIsCurrent,
  badgeShows,
  call,
  confirmDialog,
  define,
  eventually,
  launch,
  liveTask,
  open,
  screenshot,
  start,
  statusIs,
  uniq,
  workflow,
} from './harness.mjs';

// Waits for a delivery about its own order, then ends by itself (no worker).
const FLOW = `ui_hook_flow_${uniq()}`;
const HOOK_ID = `ui-hook-${uniq()}`;
const HOOK_NAME = `ui_payments_${uniq()}`;
const TOKEN = `t0k3n-${uniq()}`;

let browser;
let created = false;

before(async () => {
  await assertServedUiIsCurrent();
  await define({
    name: FLOW,
    tasks: [
      {
        name: 'wait_payment',
        taskReferenceName: 'wait',
        type: 'WAIT_FOR_WEBHOOK',
        inputParameters: { matches: { '$.orderId': '${workflow.input.orderId}', '$.event': 'paid' } },
      },
      { name: 'note', taskReferenceName: 'note', type: 'SET_VARIABLE', inputParameters: { paid: '${wait.output.amount}' } },
    ],
  });
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});


/** POST a body to the webhook's receive URL (outside /api), as a sender would. */
async function deliver(id, body, headers = {}) {
  const res = await fetch(`${BASE}/webhook/${id}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text };
}

/** Click Create and wait for the dialog's error banner; answers its text. */
async function refused(page) {
  await page.getByTestId('dialog-confirm').click();
  const banner = page.getByTestId('dialog-error');
  await banner.waitFor();
  return banner.textContent();
}

describe('webhooks in the web UI', { timeout: 120000 }, () => {
  test('create a HEADER_BASED webhook in the New webhook dialog; configs the server refuses show its 400', async () => {
    const page = await open(browser, '/ui/executions');
    await page.getByTestId('nav-webhooks').click();
    await page.waitForURL(/\/ui\/webhooks$/);
    await page.getByTestId('webhook-new').click();
    await page.getByTestId('dialog-webhook-new').waitFor();
    await page.getByTestId('webhook-name').fill(HOOK_NAME);
    await page.getByTestId('webhook-id').fill(HOOK_ID);
    await page.getByTestId('webhook-platform').fill('Custom');
    await page.getByTestId('webhook-verifier').selectOption('HEADER_BASED');
    await page.getByTestId('webhook-header-name-0').fill('X-Token');
    await page.getByTestId('webhook-header-value-0').fill(TOKEN);

    // No receiver and nothing to start: the server's 400, in words, and the dialog stays.
    let text = await refused(page);
    assert.match(text, /400 Bad request/);
    assert.match(text, /Either a script expression, receiver workflow or a workflow to start MUST be provided/);

    // A receiver, but the header left out: another 400.
    await page.locator(`[data-testid=webhook-receiver-0] option[value=${FLOW}]`).waitFor({ state: 'attached' });
    await page.getByTestId('webhook-receiver-0').selectOption(FLOW);
    await page.getByTestId('webhook-receiver-version-0').selectOption('1');
    await page.getByTestId('webhook-header-name-0').fill('');
    text = await refused(page);
    assert.match(text, /400 Bad request/);
    assert.match(text, /At least one header must be present for header-based webhook verifier/);
    assert.equal((await call('GET', `/metadata/webhook/${HOOK_ID}`)).status, 404, 'nothing saved by a refused config');
    await screenshot(page, 'webhook-new.png');

    // Put the header back: created, and listed with its receive URL.
    await page.getByTestId('webhook-header-name-0').fill('X-Token');
    await confirmDialog(page);
    created = true;
    await page.getByTestId('notice').getByText(`Webhook ${HOOK_NAME} created`).waitFor();
    const row = page.getByTestId(`webhook-${HOOK_ID}`);
    await row.waitFor();
    assert.equal(await page.getByTestId(`webhook-verifier-${HOOK_ID}`).textContent(), 'HEADER_BASED');
    assert.equal(await page.getByTestId(`webhook-url-${HOOK_ID}`).textContent(), `/webhook/${HOOK_ID}`);
    assert.equal(await page.getByTestId(`webhook-receivers-${HOOK_ID}`).textContent(), `${FLOW} v1`);
    assert.ok(!(await row.textContent()).includes(TOKEN), 'the token is not on the list');
    const saved = await api('GET', `/metadata/webhook/${HOOK_ID}`);
    assert.equal(saved.name, HOOK_NAME);
    assert.equal(saved.verifier, 'HEADER_BASED');
    assert.equal(saved.sourcePlatform, 'Custom');
    assert.deepEqual(saved.headers, { 'X-Token': '***' }, 'the token is masked like a secret');
    assert.deepEqual(saved.receiverWorkflowNamesToVersions, { [FLOW]: 1 });
    assert.equal(saved.workflowsToStart ?? null, null);
    assert.equal(saved.urlVerified, false);

    // A second, signed one (through the API) for the picture of the list: its secret masked.
    const other = `ui-gh-${uniq()}`;
    const signed = await api('POST', '/metadata/webhook', {
      id: other,
      name: `ui_github_${uniq()}`,
      sourcePlatform: 'GitHub',
      verifier: 'SIGNATURE_BASED',
      headerKey: 'X-Hub-Signature-256',
      secretValue: 'not shown',
      workflowsToStart: { [FLOW]: null },
    });
    assert.equal(signed.secretValue, '***');
    await page.reload();
    await page.getByTestId(`webhook-${other}`).waitFor();
    assert.equal(await page.getByTestId(`webhook-starts-${other}`).textContent(), `${FLOW} latest`);
    await screenshot(page, 'webhooks.png');

    // Delete from the list.
    await page.getByTestId(`webhook-delete-${other}`).click();
    await confirmDialog(page);
    await page.getByTestId(`webhook-${other}`).waitFor({ state: 'detached' });
    assert.equal((await call('GET', `/metadata/webhook/${other}`)).status, 404);
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('deliveries: a wrong token refused, the right one completes the wait; the webhook page shows both and links to the workflow', async () => {
    assert.ok(created, 'needs the webhook the first test created');
    const wf = await start(FLOW, { orderId: 'A-42' });
    const other = await start(FLOW, { orderId: 'B-7' });
    const wait = await liveTask(wf, 'wait');
    assert.equal(wait.status, 'IN_PROGRESS');
    await liveTask(other, 'wait');

    // The execution page says what it waits for.
    const page = await open(browser, `/ui/executions/${wf}`);
    const why = page.getByTestId('why-sentence').filter({ hasText: 'WAIT_FOR_WEBHOOK' });
    await why.waitFor();
    const sentence = await why.textContent();
    assert.match(sentence, /^WAIT_FOR_WEBHOOK task wait waits for a webhook delivery matching /);
    // The matches as resolved for this execution (its own order), in the server's key order.
    assert.ok(sentence.includes('$.orderId = "A-42"') && sentence.includes('$.event = "paid"'), sentence);
    assert.match(sentence, new RegExp(`" \\(sent to a webhook whose receiver workflows include ${FLOW}\\) since \\d\\d:\\d\\d:\\d\\d\\.`));
    assert.equal(await why.getByRole('link', { name: 'webhook' }).getAttribute('href'), '/ui/webhooks');
    await screenshot(page, 'webhook-wait.png');

    // A wrong token: 401 in the sender's answer, and nothing moves.
    const body = { event: 'paid', orderId: 'A-42', amount: 10 };
    const bad = await deliver(HOOK_ID, body, { 'X-Token': 'wrong' });
    assert.equal(bad.status, 401, bad.text);
    assert.match(bad.text, /Request verification failed/);
    assert.equal((await workflow(wf)).tasks.find((t) => t.referenceTaskName === 'wait').status, 'IN_PROGRESS');
    // The right one: completes the wait of order A-42 only, and the workflow moves on.
    const good = await deliver(HOOK_ID, body, { 'X-Token': TOKEN });
    assert.equal(good.status, 200, good.text);
    const done = await statusIs(wf, 'COMPLETED');
    assert.equal(done.tasks.find((t) => t.referenceTaskName === 'wait').outputData.amount, 10);
    assert.equal((await workflow(other)).status, 'RUNNING');
    const log = await api('GET', `/metadata/webhook/${HOOK_ID}/deliveries`);
    assert.deepEqual(log.map((d) => d.outcome), ['ACCEPTED', 'REJECTED']);

    // The webhook's page, from the list: its config with the token hidden, and both deliveries.
    await page.getByTestId('nav-webhooks').click();
    await page.getByTestId(`webhook-link-${HOOK_ID}`).click();
    await page.waitForURL(new RegExp(`/ui/webhooks/${HOOK_ID}$`));
    await page.getByTestId('webhook-title').getByText(HOOK_NAME).waitFor();
    assert.equal(await page.getByTestId('webhook-url').textContent(), `${BASE}/webhook/${HOOK_ID}`);
    assert.match(await page.getByTestId('webhook-verified').textContent(), /^yes/);
    const headers = page.getByTestId('webhook-headers');
    assert.ok(!(await headers.textContent()).includes(TOKEN), 'the token is not shown');
    assert.match(await headers.textContent(), /X-Token: \*\*\*/);
    const rows = page.getByTestId('webhook-delivery');
    await eventually(async () => (await rows.count()) === 2, { message: 'two deliveries shown' });
    const [accepted, rejected] = [rows.nth(0), rows.nth(1)];
    assert.equal(await accepted.getAttribute('data-outcome'), 'ACCEPTED');
    assert.equal(await accepted.getAttribute('data-event-id'), good.text);
    assert.equal(await rejected.getAttribute('data-outcome'), 'REJECTED');
    assert.equal(await rejected.getByTestId('webhook-delivery-reason').textContent(), 'Header X-Token is not equal to the value configured in webhook.');
    assert.equal(await rejected.getByTestId('webhook-delivery-reason').textContent(), log[1].reason);
    assert.match(await rejected.textContent(), /401/);
    assert.equal(await rejected.getByTestId('webhook-delivery-completed').count(), 0);
    const link = accepted.getByTestId('webhook-delivery-completed');
    assert.equal(await link.textContent(), wf);
    assert.equal(await accepted.getByTestId('webhook-delivery-started').count(), 0);

    // The payload opens, and stays open over the refresh that shows a third delivery.
    await accepted.getByTestId('webhook-delivery-payload').locator('summary').click();
    const shownPayload = JSON.parse(await accepted.locator('pre.json').textContent());
    assert.deepEqual(shownPayload, body);
    const nothing = await deliver(HOOK_ID, { event: 'paid', orderId: 'nobody' }, { 'X-Token': TOKEN });
    assert.equal(nothing.status, 200, nothing.text);
    await eventually(async () => (await rows.count()) === 3, { timeout: 8000, message: 'the refresh shows the third delivery' });
    await rows.first().getByTestId('webhook-delivery-nothing').waitFor();
    const stillOpen = page.locator(`[data-testid=webhook-delivery][data-event-id="${good.text}"] [data-testid=webhook-delivery-payload]`);
    assert.equal(await stillOpen.getAttribute('open'), '', 'the opened payload stays open');
    await screenshot(page, 'webhook.png', { fullPage: true });

    // No refresh under an open dialog: a fourth delivery shows only once it is closed.
    await page.getByTestId('webhook-delete').click();
    await page.getByTestId('dialog-webhook-delete').waitFor();
    assert.equal((await deliver(HOOK_ID, { event: 'paid', orderId: 'nobody' }, { 'X-Token': TOKEN })).status, 200);
    await page.waitForTimeout(6500);
    assert.equal(await rows.count(), 3, 'no refresh while the dialog is open');
    await page.getByTestId('dialog-cancel').click();
    await eventually(async () => (await rows.count()) === 4, { timeout: 8000, message: 'the refresh after the dialog closed' });

    // The link opens the workflow it moved on: COMPLETED, its signal log naming the delivery.
    const target = page.locator(`[data-testid=webhook-delivery][data-event-id="${good.text}"] [data-testid=webhook-delivery-completed]`);
    await target.click();
    await page.waitForURL(new RegExp(`/ui/executions/${wf}$`));
    await badgeShows(page, 'COMPLETED');
    assert.equal(await page.getByTestId('workflow-name').textContent(), FLOW);
    const signal = page.locator('[data-testid=signal-row][data-op=webhook]');
    await signal.waitFor();
    assert.match(await signal.textContent(), /Webhook delivery/);
    assert.equal(await signal.getByTestId('signal-webhook-link').getAttribute('href'), `/ui/webhooks/${HOOK_ID}`);

    // Delete it from its page: back on the list, gone from the API, deliveries answered 404.
    await page.goBack();
    await page.getByTestId('webhook-delete').click();
    await confirmDialog(page);
    await page.waitForURL(/\/ui\/webhooks\?deleted=/);
    await page.getByTestId('notice').getByText(`Webhook ${HOOK_NAME} deleted.`).waitFor();
    assert.equal((await call('GET', `/metadata/webhook/${HOOK_ID}`)).status, 404);
    assert.equal((await deliver(HOOK_ID, body, { 'X-Token': TOKEN })).status, 404);
    await api('DELETE', `/workflow/${other}`);
    browser.assertNoScriptErrors();
    await page.close();
  });
});
