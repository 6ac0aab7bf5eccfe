// The fermata REST API (same origin, under /api), as the UI uses it. Every call answers the
// parsed JSON, the plain text (ids come back as text/plain), or null for an empty body, and
// throws an ApiError carrying the server's own message for any non-2xx answer.

export class ApiError extends Error {
  constructor(status, message, validationErrors = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.validationErrors = validationErrors || [];
  }
}

const REASONS = {
  0: 'Network error',
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Payload too large',
  500: 'Server error',
  503: 'Unavailable',
};

/** "409 Conflict" for an ApiError, or "Error" for anything else. */
export function errorTitle(err) {
  if (err instanceof ApiError) {
    const reason = REASONS[err.status] || 'Error';
    return err.status ? `${err.status} ${reason}` : reason;
  }
  return 'Error';
}

async function request(method, path, { query, body } = {}) {
  const url = new URL(`/api${path}`, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  const init = { method, headers: { accept: 'application/json, text/plain' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, `Cannot reach the fermata server (${e.message}).`);
  }
  const raw = await res.text();
  const type = res.headers.get('content-type') || '';
  if (!res.ok) {
    let parsed = null;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // not JSON: the raw text is the message
    }
    const message = (parsed && parsed.message) || raw.trim() || res.statusText || 'Request failed';
    throw new ApiError(res.status, message, parsed && parsed.validationErrors);
  }
  if (!raw) return null;
  if (type.includes('json')) return JSON.parse(raw);
  return raw.trim();
}

const enc = encodeURIComponent;

export const api = {
  // executions
  search: ({ query, freeText, start, size, sort }) =>
    request('GET', '/workflow/search', { query: { query, freeText, start, size, sort } }),
  workflow: (id) => request('GET', `/workflow/${enc(id)}`, { query: { includeTasks: true } }),
  signals: (id) => request('GET', `/workflow/${enc(id)}/signals`),
  start: (req) => request('POST', '/workflow', { body: req }),

  // signals on one execution
  pause: (id) => request('PUT', `/workflow/${enc(id)}/pause`),
  resume: (id) => request('PUT', `/workflow/${enc(id)}/resume`),
  restart: (id, useLatestDefinitions) =>
    request('POST', `/workflow/${enc(id)}/restart`, { query: { useLatestDefinitions } }),
  retry: (id, resumeSubworkflowTasks) =>
    request('POST', `/workflow/${enc(id)}/retry`, { query: { resumeSubworkflowTasks } }),
  rerun: (id, rerunRequest) => request('POST', `/workflow/${enc(id)}/rerun`, { body: rerunRequest }),
  terminate: (id, reason, triggerFailureWorkflow) =>
    request('DELETE', `/workflow/${enc(id)}`, { query: { reason, triggerFailureWorkflow } }),
  updateTask: (id, taskRef, status, output) =>
    request('POST', `/tasks/${enc(id)}/${enc(taskRef)}/${enc(status)}`, { body: output }),

  // bulk: each answers {bulkSuccessfulResults: [id], bulkErrorResults: {id: message}}
  bulk: (action, ids, options = {}) => {
    switch (action) {
      case 'pause':
        return request('PUT', '/workflow/bulk/pause', { body: ids });
      case 'resume':
        return request('PUT', '/workflow/bulk/resume', { body: ids });
      case 'retry':
        return request('POST', '/workflow/bulk/retry', { body: ids });
      case 'restart':
        return request('POST', '/workflow/bulk/restart', {
          body: ids,
          query: { useLatestDefinitions: !!options.useLatestDefinitions },
        });
      case 'terminate':
        return request('POST', '/workflow/bulk/terminate', {
          body: ids,
          query: { reason: options.reason, triggerFailureWorkflow: !!options.triggerFailureWorkflow },
        });
      default:
        throw new Error(`unknown bulk action ${action}`);
    }
  },

  // variables, inbox and the synchronous signal of one execution
  updateVariables: (id, variables) => request('POST', `/workflow/${enc(id)}/variables`, { body: variables }),
  messages: (id) => request('GET', `/workflow/${enc(id)}/messages`),
  sendMessage: (id, payload) => request('POST', `/workflow/${enc(id)}/messages`, { body: payload }),
  // Completes the open YIELD or WAIT of the workflow (or of a running child) and waits up to
  // timeoutMillis for what `returnStrategy` asks for.
  signalSync: (id, status, output, returnStrategy, timeoutMillis = 5000) =>
    request('POST', `/tasks/${enc(id)}/${enc(status)}/signal/sync`, { body: output, query: { returnStrategy, timeoutMillis } }),

  // schedules
  schedules: () => request('GET', '/scheduler/schedules'),
  schedule: (name) => request('GET', `/scheduler/schedules/${enc(name)}`),
  saveSchedule: (schedule) => request('POST', '/scheduler/schedules', { body: schedule }),
  deleteSchedule: (name) => request('DELETE', `/scheduler/schedules/${enc(name)}`),
  pauseSchedule: (name, reason) => request('PUT', `/scheduler/schedules/${enc(name)}/pause`, { query: { reason } }),
  resumeSchedule: (name) => request('PUT', `/scheduler/schedules/${enc(name)}/resume`),
  // newest first: {totalHits, results: [{executionId, scheduledTime, executionTime, workflowId, state, reason}]}
  scheduleExecutions: (name, size = 50) =>
    request('GET', '/scheduler/search/executions', { query: { query: `scheduleName=${name}`, size } }),
  // epoch ms, computed in UTC by the server; a cron it cannot parse is a 400 with the reason
  nextRuns: (cronExpression, limit = 5) => request('GET', '/scheduler/nextFewSchedules', { query: { cronExpression, limit } }),

  // incoming webhooks: configs come back with secretValue masked ("***")
  webhooks: () => request('GET', '/metadata/webhook'),
  webhook: (id) => request('GET', `/metadata/webhook/${enc(id)}`),
  createWebhook: (config) => request('POST', '/metadata/webhook', { body: config }),
  deleteWebhook: (id) => request('DELETE', `/metadata/webhook/${enc(id)}`),
  // newest first: [{eventId, timeStamp, outcome, status, reason, matched, taskIds, workflowIds, startedWorkflowIds, errors, payload}]
  webhookDeliveries: (id, limit = 50) => request('GET', `/metadata/webhook/${enc(id)}/deliveries`, { query: { limit } }),

  // definitions
  definitions: () => request('GET', '/metadata/workflow'),
  definition: (name, version) =>
    request('GET', `/metadata/workflow/${enc(name)}`, { query: { version } }),
  namesAndVersions: () => request('GET', '/metadata/workflow/names-and-versions'),
};
