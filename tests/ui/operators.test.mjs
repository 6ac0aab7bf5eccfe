// Browser tests of how the UI draws Conductor's operators: a fork, a switch, a loop and a
// sub-workflow, each registered and run for real over the REST API with SIMPLE tasks only
// (completed through the API, so no script engine is involved), then checked in the picture
// (data-testid selectors, statuses as data attributes) and by navigating between pages.
// Run with tests/ui/run.sh.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertServedUiIsCurrent,
  badgeShows,
  completeLive,
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


/** Wait until the picture shows box `ref` with `status` (the page refreshes every 5 s). */
const nodeShows = (page, ref, status) => page.locator(`[data-testid="diagram-node-${ref}"][data-status="${status}"]`).waitFor();
const box = async (page, ref) => page.getByTestId(`diagram-node-${ref}`).boundingBox();

describe('operators in the web UI', { timeout: 120000 }, () => {
  test('a fork is drawn as parallel lanes joined again at the JOIN', async () => {
    const name = `ui_fork_${uniq()}`;
    await define({
      name,
      tasks: [
        { name: 'fork', taskReferenceName: 'fork', type: 'FORK_JOIN', forkTasks: [[simple(name, 'a1'), simple(name, 'a2')], [simple(name, 'b1')]] },
        { name: 'join', taskReferenceName: 'join', type: 'JOIN', joinOn: ['a2', 'b1'] },
        simple(name, 'after'),
      ],
    });

    // The definition's picture: two lanes side by side, the JOIN right of both, then `after`.
    const page = await open(browser, `/ui/definitions/${name}`);
    await page.getByTestId('diagram-lane-fork-1').waitFor();
    await page.getByTestId('diagram-lane-fork-2').waitFor();
    const [a1, a2, b1, join, next] = await Promise.all(['a1', 'a2', 'b1', 'join', 'after'].map((r) => box(page, r)));
    assert.equal(a1.x, b1.x, 'the lanes start at the same x');
    assert.ok(b1.y > a1.y + a1.height, 'the second lane is below the first');
    assert.equal(a2.y, a1.y, 'a lane runs left to right');
    assert.ok(join.x > a2.x + a2.width && join.x > b1.x + b1.width, 'the JOIN comes after both lanes');
    assert.ok(next.x > join.x + join.width);

    // An execution with a1 done: a2 and b1 wait, the JOIN waits for them.
    const id = await start(name, {});
    await completeLive(id, 'a1', { a: 1 });
    await liveTask(id, 'a2');
    await page.goto(page.url().replace(/\/ui\/.*/, `/ui/executions/${id}`));
    await nodeShows(page, 'fork', 'COMPLETED');
    await nodeShows(page, 'a1', 'COMPLETED');
    await nodeShows(page, 'a2', 'SCHEDULED');
    await nodeShows(page, 'b1', 'SCHEDULED');
    await nodeShows(page, 'join', 'IN_PROGRESS');
    await nodeShows(page, 'after', 'NOT_STARTED');
    await page.getByTestId('why').getByText(/JOIN task\s+join\s+waits for\s+a2\s*,\s*b1\s+to finish/).waitFor();
    await screenshot(page, 'fork.png');

    // A click on a box opens that task in the task list.
    await page.getByTestId('diagram-node-b1').click();
    await page.getByTestId('task-detail-b1').waitFor();

    // Both lanes done: the JOIN completes and `after` is scheduled.
    await completeLive(id, 'a2', { a: 2 });
    await completeLive(id, 'b1', { b: 1 });
    await liveTask(id, 'after');
    await page.getByTestId('refresh').click();
    await nodeShows(page, 'join', 'COMPLETED');
    await nodeShows(page, 'after', 'SCHEDULED');
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('a switch has one lane per case and marks the case taken', async () => {
    const name = `ui_switch_${uniq()}`;
    await define({
      name,
      tasks: [
        {
          name: 'route',
          taskReferenceName: 'route',
          type: 'SWITCH',
          evaluatorType: 'value-param',
          expression: 'kind',
          inputParameters: { kind: '${workflow.input.kind}' },
          decisionCases: { card: [simple(name, 'charge_card')], invoice: [simple(name, 'send_invoice'), simple(name, 'wait_payment')] },
          defaultCase: [simple(name, 'manual_review')],
        },
        simple(name, 'notify'),
      ],
    });

    // The definition: a lane per case and the default, none marked.
    const page = await open(browser, `/ui/definitions/${name}`);
    for (const lane of ['card', 'invoice', 'default']) {
      const el = page.getByTestId(`diagram-lane-route-${lane}`);
      await el.waitFor();
      assert.equal(await el.getAttribute('data-taken'), null);
    }

    // kind=invoice: that lane is taken, its first task waits, the other lanes never ran.
    const id = await start(name, { kind: 'invoice' });
    await liveTask(id, 'send_invoice');
    await page.goto(page.url().replace(/\/ui\/.*/, `/ui/executions/${id}`));
    await nodeShows(page, 'send_invoice', 'SCHEDULED');
    assert.equal(await page.getByTestId('diagram-lane-route-invoice').getAttribute('data-taken'), 'true');
    assert.equal(await page.getByTestId('diagram-lane-route-card').getAttribute('data-taken'), 'false');
    assert.equal(await page.getByTestId('diagram-lane-route-default').getAttribute('data-taken'), 'false');
    assert.match(await page.getByTestId('diagram-lane-route-invoice').textContent(), /✓ invoice/);
    await nodeShows(page, 'route', 'COMPLETED');
    assert.match(await page.getByTestId('diagram-node-route').textContent(), /→ invoice/);
    for (const ref of ['charge_card', 'wait_payment', 'manual_review', 'notify']) await nodeShows(page, ref, 'NOT_STARTED');
    await screenshot(page, 'switch.png');

    // The case's second task, then the task after the switch.
    await completeLive(id, 'send_invoice');
    await completeLive(id, 'wait_payment');
    await liveTask(id, 'notify');
    await page.getByTestId('refresh').click();
    await nodeShows(page, 'wait_payment', 'COMPLETED');
    await nodeShows(page, 'notify', 'SCHEDULED');

    // A value with no case of its own takes the default lane.
    const other = await start(name, { kind: 'cash' });
    await liveTask(other, 'manual_review');
    await page.goto(page.url().replace(id, other));
    await nodeShows(page, 'manual_review', 'SCHEDULED');
    assert.equal(await page.getByTestId('diagram-lane-route-default').getAttribute('data-taken'), 'true');
    assert.equal(await page.getByTestId('diagram-lane-route-invoice').getAttribute('data-taken'), 'false');
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('a loop is framed with its iteration count, and each iteration can be shown', async () => {
    const name = `ui_loop_${uniq()}`;
    await define({
      name,
      tasks: [
        {
          name: 'loop',
          taskReferenceName: 'loop',
          type: 'DO_WHILE',
          // A list of three items and no condition: three iterations without a script engine.
          loopCondition: '',
          inputParameters: { items: ['a', 'b', 'c'] },
          loopOver: [simple(name, 'step'), simple(name, 'check')],
        },
        simple(name, 'done'),
      ],
    });
    const page = await open(browser, `/ui/definitions/${name}`);
    await page.getByTestId('diagram-loop-loop').getByTestId('diagram-node-step').waitFor();

    // Two iterations done, the third waiting for `step`.
    const id = await start(name, {});
    for (let i = 1; i <= 2; i++) {
      assert.equal(await completeLive(id, 'step', { item: i }), `step__${i}`);
      assert.equal(await completeLive(id, 'check', { ok: i }), `check__${i}`);
    }
    await liveTask(id, 'step');
    await page.goto(page.url().replace(/\/ui\/.*/, `/ui/executions/${id}`));
    const loop = page.getByTestId('diagram-loop-loop');
    await page.locator('[data-testid=diagram-loop-loop][data-iterations="3"]').waitFor();
    assert.match(await loop.textContent(), /3 iterations/);
    // The latest iteration is shown first.
    assert.equal(await loop.getAttribute('data-shown'), '3');
    await nodeShows(page, 'step', 'SCHEDULED');
    await nodeShows(page, 'check', 'NOT_STARTED');
    assert.equal(await page.getByTestId('diagram-node-step').getAttribute('data-task-ref'), 'step__3');
    const picker = page.getByTestId('diagram-iteration-loop');
    assert.deepEqual(await picker.locator('option').evaluateAll((os) => os.map((o) => o.value)), ['1', '2', '3']);

    // Iteration 1: both body tasks done, the boxes are that iteration's tasks.
    await picker.selectOption('1');
    await page.locator('[data-testid=diagram-loop-loop][data-shown="1"]').waitFor();
    await nodeShows(page, 'step', 'COMPLETED');
    await nodeShows(page, 'check', 'COMPLETED');
    assert.equal(await page.getByTestId('diagram-node-check').getAttribute('data-task-ref'), 'check__1');
    await page.getByTestId('diagram-iteration-loop').selectOption('2');
    await page.locator('[data-testid=diagram-loop-loop][data-shown="2"]').waitFor();
    assert.equal(await page.getByTestId('diagram-node-check').getAttribute('data-task-ref'), 'check__2');
    await screenshot(page, 'loop.png');

    // A click on a box opens the task of the iteration shown; the task list says which
    // iteration each body task belongs to.
    await page.getByTestId('diagram-node-check').click();
    await page.getByTestId('task-output-check__2').getByText('"ok": 2').waitFor();
    assert.equal(await page.getByTestId('task-iteration-step__1').textContent(), 'iteration 1');

    // The third iteration ends the loop (three items): `done` is next, the loop completed.
    await completeLive(id, 'step', { item: 3 });
    await completeLive(id, 'check', { ok: 3 });
    await liveTask(id, 'done');
    const wf = await workflow(id);
    const loopTask = wf.tasks.find((t) => t.referenceTaskName === 'loop');
    assert.equal(loopTask.status, 'COMPLETED');
    assert.equal(loopTask.outputData.iteration, 3);
    await page.getByTestId('refresh').click();
    await nodeShows(page, 'loop', 'COMPLETED');
    await nodeShows(page, 'done', 'SCHEDULED');
    // The iteration picked stays picked across refreshes.
    assert.equal(await page.getByTestId('diagram-loop-loop').getAttribute('data-shown'), '2');
    browser.assertNoScriptErrors();
    await page.close();
  });

  test('a sub-workflow links to its child, the child back to its parent, and "why" follows the child', async () => {
    const u = uniq();
    const leaf = `ui_leaf_${u}`;
    const mid = `ui_mid_${u}`;
    const parent = `ui_parent_${u}`;
    await define({ name: leaf, tasks: [simple(leaf, 'inner')] });
    await define({ name: mid, tasks: [{ name: leaf, taskReferenceName: 'sub2', type: 'SUB_WORKFLOW', subWorkflowParam: { name: leaf, version: 1 } }] });
    await define({
      name: parent,
      tasks: [simple(parent, 'prep'), { name: mid, taskReferenceName: 'sub', type: 'SUB_WORKFLOW', subWorkflowParam: { name: mid, version: 1 } }, simple(parent, 'after')],
    });

    const id = await start(parent, {});
    await completeLive(id, 'prep');
    const sub = await eventually(async () => (await workflow(id)).tasks.find((t) => t.referenceTaskName === 'sub' && t.subWorkflowId), { message: 'the mid-level child' });
    const midId = sub.subWorkflowId;
    const sub2 = await eventually(async () => (await workflow(midId)).tasks.find((t) => t.referenceTaskName === 'sub2' && t.subWorkflowId), { message: 'the leaf child' });
    const leafId = sub2.subWorkflowId;
    await liveTask(leafId, 'inner');

    // The parent: the SUB_WORKFLOW box shows its child's id and status; "why" names the task
    // two levels down that actually waits.
    const page = await open(browser, `/ui/executions/${id}`);
    const child = page.getByTestId('diagram-child-sub');
    await child.waitFor();
    assert.equal(await child.getAttribute('data-child-id'), midId);
    assert.equal(await child.getAttribute('data-child-status'), 'RUNNING');
    await nodeShows(page, 'sub', 'IN_PROGRESS');
    const why = page.getByTestId('why-sentence').filter({ hasText: 'SUB_WORKFLOW task' });
    await why.getByText('waits for a worker to poll').waitFor();
    const sentence = (await why.innerText()).replace(/\s+/g, ' ');
    assert.match(sentence, new RegExp(`SUB_WORKFLOW task sub waits for its child workflow ${mid} \\(running\\): SUB_WORKFLOW task sub2 waits for its child workflow ${leaf} \\(running\\): task inner waits for a worker to poll task type ${leaf}_inner`));
    assert.equal(await why.getByTestId(`why-workflow-${leafId}`).getAttribute('href'), `/ui/executions/${leafId}`);
    await screenshot(page, 'subworkflow.png');

    // Down to the child through the picture, to the grandchild, and back up through the parent links.
    await child.click();
    await page.waitForURL(new RegExp(`/ui/executions/${midId}$`));
    await page.getByTestId('parent-link').getByText(parent).waitFor();
    assert.match(await page.getByTestId('parent-line').innerText(), /started by its task\s+sub/);
    await page.getByTestId('diagram-child-sub2').click();
    await page.waitForURL(new RegExp(`/ui/executions/${leafId}$`));
    await page.getByTestId('parent-link').getByText(mid).waitFor();
    await page.getByTestId('parent-link').click();
    await page.waitForURL(new RegExp(`/ui/executions/${midId}$`));
    await page.getByTestId('parent-link').click();
    await page.waitForURL(new RegExp(`/ui/executions/${id}$`));

    // The grandchild's task is completed from the parent's "why": all three levels move on.
    await page.getByTestId('why-update-inner').click();
    await page.getByTestId('dialog-update-task').getByText(leafId).waitFor();
    await page.getByTestId('update-status').selectOption('COMPLETED');
    await page.getByTestId('update-output').fill('{"done": true}');
    await confirmDialog(page);
    await statusIs(leafId, 'COMPLETED');
    await statusIs(midId, 'COMPLETED');
    await liveTask(id, 'after');
    await page.getByTestId('refresh').click();
    await nodeShows(page, 'sub', 'COMPLETED');
    await page.locator('[data-testid=diagram-child-sub][data-child-status=COMPLETED]').waitFor();
    await badgeShows(page, 'RUNNING');
    browser.assertNoScriptErrors();
    await page.close();
  });
});
