// Helpers for the UI browser tests: the REST API of the fermata that run.sh started
// (FERMATA_URL), headless Debian Chromium through playwright-core, polling, screenshots.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
export const OUT = join(HERE, 'out');

/** A short random suffix that keeps one test's names apart from another's. */
export const uniq = () => Math.random().toString(36).slice(2, 8);

/** A SIMPLE task named after the test's prefix. */
export const simple = (prefix, ref) => ({ name: `${prefix}_${ref}`, taskReferenceName: ref, type: 'SIMPLE' });
export const BASE = process.env.FERMATA_URL;
if (!BASE) throw new Error('FERMATA_URL is not set: run the UI tests with tests/ui/run.sh');

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Call the REST API; answers {status, body} with body parsed as JSON when it is JSON. */
export async function call(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`${BASE}/api${path}`, init);
  const text = await res.text();
  let parsed = text;
  if ((res.headers.get('content-type') || '').includes('json') && text) parsed = JSON.parse(text);
  return { status: res.status, body: parsed };
}

/** Like call(), but asserts a 2xx answer. */
export async function api(method, path, body) {
  const res = await call(method, path, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export const workflow = (id) => api('GET', `/workflow/${id}?includeTasks=true`);

/** Start a workflow through the API; answers its id. */
export async function start(name, input = {}, { version = 1, correlationId } = {}) {
  return api('POST', '/workflow', { name, version, input, correlationId });
}

export async function completeTask(id, ref, output = {}) {
  return api('POST', `/tasks/${id}/${ref}/COMPLETED`, output);
}

/** Poll `fn` until it answers truthy (or stops throwing); its last error fails the test. */
export async function eventually(fn, { timeout = 10000, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
      last = new Error(`${message}: not yet`);
    } catch (e) {
      last = e;
    }
    await sleep(interval);
  }
  throw last || new Error(`${message}: timed out`);
}

/** Wait until the execution's status through the API is `status`; answers the workflow. */
export function statusIs(id, status) {
  return eventually(
    async () => {
      const wf = await workflow(id);
      assert.equal(wf.status, status, `workflow ${id} status`);
      return wf;
    },
    { message: `workflow ${id} to be ${status}` },
  );
}

/** Register the task definitions (no retries, so failures do not auto-retry) and a workflow. */
export async function registerFlow(name, refs, { version = 1, description } = {}) {
  await api(
    'POST',
    '/metadata/taskdefs',
    refs.map((ref) => ({ name: `${name}_${ref}`, retryCount: 0, timeoutSeconds: 0, responseTimeoutSeconds: 3600 })),
  );
  await api('POST', '/metadata/workflow?overwrite=true', {
    name,
    version,
    description: description || `UI test workflow, version ${version}: ${refs.join(' → ')}`,
    schemaVersion: 2,
    restartable: true,
    tasks: refs.map((ref) => ({
      name: `${name}_${ref}`,
      taskReferenceName: ref,
      type: 'SIMPLE',
      inputParameters: { orderId: '${workflow.input.orderId}' },
    })),
    outputParameters: { orderId: '${workflow.input.orderId}' },
  });
}

/** Register a workflow definition (overwriting), with a task definition for each SIMPLE task
 *  in it, nested ones included (no retries, so failures do not auto-retry). */
export async function define(def) {
  const names = [];
  const walk = (tasks) => {
    for (const t of tasks || []) {
      if ((t.type || 'SIMPLE') === 'SIMPLE') names.push(t.name);
      for (const branch of Object.values(t.decisionCases || {})) walk(branch);
      walk(t.defaultCase);
      for (const branch of t.forkTasks || []) walk(branch);
      walk(t.loopOver);
    }
  };
  walk(def.tasks);
  if (names.length) {
    await api('POST', '/metadata/taskdefs', [...new Set(names)].map((name) => ({ name, retryCount: 0, timeoutSeconds: 0, responseTimeoutSeconds: 3600 })));
  }
  await api('POST', '/metadata/workflow?overwrite=true', { version: 1, schemaVersion: 2, restartable: true, ...def });
}

/** Wait for the live (not yet terminal) task whose reference is `ref` or `ref__N`; answers it. */
export function liveTask(id, ref) {
  const terminal = new Set(['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'TIMED_OUT', 'CANCELED', 'SKIPPED']);
  return eventually(
    async () => (await workflow(id)).tasks.find((t) => t.referenceTaskName.replace(/__\d+$/, '') === ref && !terminal.has(t.status)),
    { message: `a live task ${ref} in ${id}` },
  );
}

/** Complete the live task `ref` (inside a loop: its current `ref__N`); answers its full ref. */
export async function completeLive(id, ref, output = {}) {
  const task = await liveTask(id, ref);
  await completeTask(id, task.referenceTaskName, output);
  return task.referenceTaskName;
}

/** Headless Debian Chromium with a fresh profile; every page's script errors are collected. */
export async function launch() {
  mkdirSync(OUT, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'fermata-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const pageErrors = [];
  context.on('page', (page) => {
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(`${page.url()}: console: ${m.text()}`);
    });
  });
  return {
    context,
    pageErrors,
    /** Fails the test with every script error the pages raised since the last check. */
    assertNoScriptErrors() {
      const errors = pageErrors.splice(0);
      assert.deepEqual(errors, [], `script errors in the page:\n${errors.join('\n')}`);
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A fresh page at a /ui/ path, with a 15 s default wait. */
export async function open(browser, path) {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(`${BASE}${path}`);
  return page;
}

export async function screenshot(page, name, options = {}) {
  await page.screenshot({ path: join(OUT, name), ...options });
}

/** The UI served must be the one in the repository: catches a binary built before UI changes. */
export async function assertServedUiIsCurrent() {
  const res = await fetch(`${BASE}/ui/app.js`);
  const served = await res.text();
  const onDisk = readFileSync(join(HERE, '..', '..', 'host', 'server', 'ui', 'app.js'), 'utf8');
  assert.equal(
    served,
    onDisk,
    'the fermata under test serves another host/server/ui/app.js than the repository has: rebuild it (cargo build -p fermata) or set FERMATA_UI_DIR=<repo>/host/server/ui',
  );
}

/** Click a menu entry of the execution page's Actions menu. */
export async function chooseAction(page, action) {
  await page.getByTestId('actions-button').click();
  await page.getByTestId(`action-${action}`).click();
}

/** Confirm the open dialog and wait until it is gone (an error inside it fails the wait). */
export async function confirmDialog(page) {
  await page.getByTestId('dialog-confirm').click();
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
}

/** The execution page's status badge, once it shows `status`. */
export async function badgeShows(page, status) {
  await page.locator(`[data-testid=workflow-status].status-${status}`).waitFor();
}
