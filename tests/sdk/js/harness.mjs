// Test harness for the JavaScript SDK compatibility suite: starts a private
// fermata server, builds SDK clients that record every HTTP exchange, and
// offers small polling/assertion helpers.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, openSync, closeSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

// The SDK lets these environment variables override what the test passes in.
for (const name of ["CONDUCTOR_SERVER_URL", "CONDUCTOR_AUTH_KEY", "CONDUCTOR_AUTH_SECRET"]) {
  delete process.env[name];
}

const { createConductorClient } = await import("@io-orkes/conductor-javascript");

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const FERMATA_BIN = process.env.FERMATA_BIN || join(REPO, "target", "debug", "fermata");


const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A fresh database: SQLite in `dir`, or with FERMATA_TEST_DATABASE=postgres a new database
 * on the server FERMATA_TEST_POSTGRES names (tests/postgres.sh starts one).
 */
function databaseUrl(dir) {
  const backend = process.env.FERMATA_TEST_DATABASE || "sqlite";
  if (backend === "sqlite") return `sqlite://${dir}/f.db`;
  assert.equal(backend, "postgres", `FERMATA_TEST_DATABASE=${backend}: use sqlite or postgres`);
  const admin = process.env.FERMATA_TEST_POSTGRES;
  assert.ok(admin, "FERMATA_TEST_POSTGRES is not set (tests/postgres.sh start DIR prints it)");
  const name = `js_${process.pid}_${Date.now()}`;
  execFileSync("psql", [admin, "-qc", `CREATE DATABASE ${name}`], { stdio: "inherit" });
  return `${admin.slice(0, admin.lastIndexOf("/"))}/${name}`;
}

/** Starts fermata on a free loopback port with a fresh database. */
export async function startServer({ startTimeoutMs = 30000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "fermata-js-sdk-"));
  const database = databaseUrl(dir);
  const logPath = join(dir, "server.log");
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const logFd = openSync(logPath, "a");
    const env = { ...process.env, FERMATA_LISTEN: `127.0.0.1:${port}`, FERMATA_DATABASE_URL: database };
    delete env.CONDUCTOR_SERVER_URL;
    const child = spawn(
      FERMATA_BIN,
      ["serve", "--listen", `127.0.0.1:${port}`, "--database-url", database],
      { env, stdio: ["ignore", logFd, logFd] },
    );
    closeSync(logFd);
    let exited = null;
    let spawnError = null;
    child.on("exit", (code, signal) => { exited = { code, signal }; });
    child.on("error", (err) => { spawnError = err; });

    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline && !exited && !spawnError) {
      try {
        const res = await fetch(`${url}/health`);
        if (res.status === 200) {
          return {
            url,
            dir,
            logPath,
            async stop() {
              if (!exited) {
                child.kill("SIGTERM");
                const t0 = Date.now();
                while (!exited && Date.now() - t0 < 10000) await sleep(50);
                if (!exited) child.kill("SIGKILL");
              }
              if (process.env.FERMATA_TEST_KEEP) {
                console.log(`# fermata data and log kept in ${dir}`);
              } else {
                rmSync(dir, { recursive: true, force: true });
              }
            },
          };
        }
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    if (spawnError) throw new Error(`cannot start ${FERMATA_BIN}: ${spawnError.message}`);
    if (!exited) {
      child.kill("SIGKILL");
      throw new Error(`fermata did not answer /health within ${startTimeoutMs} ms; log:\n${readLog(logPath)}`);
    }
    // Exited early: most likely the port was taken between probe and bind. Retry.
  }
  throw new Error(`fermata exited at start-up three times; log:\n${readLog(logPath)}`);
}

function readLog(path) {
  try {
    return readFileSync(path, "utf8").slice(-4000);
  } catch {
    return "(no log)";
  }
}

/**
 * Creates an SDK client (createConductorClient, the SDK's own transport) and
 * records each exchange: {method, path, query, status, contentType, errorBody}.
 */
export async function recordingClient(serverUrl, create = createConductorClient) {
  const client = await create({ serverUrl });
  const calls = [];
  client.interceptors.response.use(async (response, request) => {
    const u = new URL(request.url);
    const entry = {
      method: request.method,
      path: u.pathname,
      query: u.search,
      status: response.status,
      contentType: response.headers.get("content-type"),
    };
    if (!response.ok) {
      const text = await response.clone().text();
      try {
        entry.errorBody = JSON.parse(text);
      } catch {
        entry.errorBody = text;
      }
    }
    calls.push(entry);
    return response;
  });
  return { client, calls };
}

/** Polls `fn` until `predicate(value)` holds; returns that value. */
export async function waitFor(fn, predicate, { timeoutMs = 10000, intervalMs = 50, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  let lastError;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      lastError = undefined;
      if (predicate(last)) return last;
    } catch (err) {
      lastError = err;
    }
    await sleep(intervalMs);
  }
  const detail = lastError ? `last error: ${lastError.message}` : `last value: ${JSON.stringify(summarize(last))}`;
  assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; ${detail}`);
}

/** Compact view of a workflow for assertion messages. */
export function summarize(wf) {
  if (!wf || typeof wf !== "object") return wf;
  return {
    status: wf.status,
    reasonForIncompletion: wf.reasonForIncompletion,
    tasks: (wf.tasks || []).map((t) => `${t.referenceTaskName}:${t.status}`),
  };
}

/**
 * Runs an SDK call that must fail, and checks how the SDK surfaced it:
 * - the SDK throws ConductorSdkError (name "[Conductor SDK Error]") whose message
 *   is "<what the SDK was doing>: <server ErrorResponse.message>";
 * - the HTTP status is not a property of that error, so it is read from the
 *   recorded exchange, together with the ErrorResponse body's own `status`
 *   field (which the SDK itself inspects, e.g. in getWorkflow's retry logic).
 */
export async function expectSdkError(recorder, call, { status, method, path, message }) {
  const before = recorder.calls.length;
  let thrown;
  try {
    await call();
  } catch (err) {
    thrown = err;
  }
  const mine = recorder.calls.slice(before).filter((c) => c.method === method && (path instanceof RegExp ? path.test(c.path) : c.path === path));
  assert.ok(thrown, `expected the SDK call to throw; it succeeded. HTTP exchanges: ${JSON.stringify(mine)}`);
  assert.equal(thrown.name, "[Conductor SDK Error]", `unexpected error type: ${thrown.stack || thrown}`);
  assert.equal(mine.length, 1, `expected exactly one ${method} ${path} exchange, saw ${JSON.stringify(recorder.calls.slice(before))}`);
  const ex = mine[0];
  assert.equal(ex.status, status, `HTTP status of ${method} ${ex.path}${ex.query} (body ${JSON.stringify(ex.errorBody)}; SDK message: ${thrown.message})`);
  assert.match(ex.contentType || "", /application\/json/, "error responses should be JSON ErrorResponse bodies");
  assert.equal(typeof ex.errorBody, "object", `error body should be a JSON object, got ${JSON.stringify(ex.errorBody)}`);
  assert.equal(ex.errorBody.status, status, `ErrorResponse.status field: ${JSON.stringify(ex.errorBody)}`);
  assert.equal(typeof ex.errorBody.message, "string", `ErrorResponse.message field: ${JSON.stringify(ex.errorBody)}`);
  assert.ok(thrown.message.endsWith(`: ${ex.errorBody.message}`), `SDK message should carry the server message: ${thrown.message}`);
  if (message) assert.match(ex.errorBody.message, message);
  return { error: thrown, exchange: ex };
}

export { sleep };
