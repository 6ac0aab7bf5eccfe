// The client-side router: /ui/<page>/<param> paths (the server answers index.html for any of
// them) mapped to page modules. A page is `render(root, params, query)` and may answer a
// cleanup function (timers) run when the user navigates away.

import { h, clear, errorBanner } from './lib/dom.js';
import { navigate, setRouter } from './lib/nav.js';
import * as executions from './pages/executions.js';
import * as execution from './pages/execution.js';
import * as run from './pages/run.js';
import * as definitions from './pages/definitions.js';
import * as definition from './pages/definition.js';
import * as schedules from './pages/schedules.js';
import * as schedule from './pages/schedule.js';
import * as webhooks from './pages/webhooks.js';
import * as webhook from './pages/webhook.js';

const routes = [
  { pattern: /^\/ui\/?$/, page: executions, nav: 'executions' },
  { pattern: /^\/ui\/executions\/?$/, page: executions, nav: 'executions' },
  { pattern: /^\/ui\/executions\/([^/]+)\/?$/, page: execution, nav: 'executions', params: ['id'] },
  { pattern: /^\/ui\/run\/?$/, page: run, nav: 'run' },
  { pattern: /^\/ui\/definitions\/?$/, page: definitions, nav: 'definitions' },
  { pattern: /^\/ui\/definitions\/([^/]+)\/?$/, page: definition, nav: 'definitions', params: ['name'] },
  { pattern: /^\/ui\/schedules\/?$/, page: schedules, nav: 'schedules' },
  { pattern: /^\/ui\/schedules\/([^/]+)\/?$/, page: schedule, nav: 'schedules', params: ['name'] },
  { pattern: /^\/ui\/webhooks\/?$/, page: webhooks, nav: 'webhooks' },
  { pattern: /^\/ui\/webhooks\/([^/]+)\/?$/, page: webhook, nav: 'webhooks', params: ['id'] },
];

const root = document.getElementById('app');
let cleanup = null;

function route() {
  if (typeof cleanup === 'function') {
    try {
      cleanup();
    } catch {
      // a page's cleanup must not stop navigation
    }
  }
  cleanup = null;
  for (const dlg of document.querySelectorAll('dialog')) dlg.remove();
  const path = window.location.pathname;
  const query = new URLSearchParams(window.location.search);
  const match = routes.map((r) => ({ r, m: path.match(r.pattern) })).find((x) => x.m);
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.classList.toggle('active', !!match && a.dataset.nav === match.r.nav);
  }
  clear(root);
  if (!match) {
    root.append(
      h('h1', {}, 'Page not found'),
      h('p', {}, 'There is no page at ', h('code', {}, path), '. ', h('a', { href: '/ui/executions' }, 'Go to the executions.')),
    );
    return;
  }
  const params = {};
  (match.r.params || []).forEach((name, i) => (params[name] = decodeURIComponent(match.m[i + 1])));
  try {
    cleanup = match.r.page.render(root, params, query);
  } catch (err) {
    root.append(errorBanner(err, { title: 'This page failed to render' }));
  }
}

// Links inside the app navigate without reloading.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  // Attributes, not properties: an SVG <a> (the picture's child links) has no string `href`.
  if (!a || a.getAttribute('target') || a.hasAttribute('download')) return;
  const url = new URL(a.getAttribute('href'), window.location.href);
  if (url.origin !== window.location.origin || !url.pathname.startsWith('/ui')) return;
  e.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});
window.addEventListener('popstate', route);
setRouter(route);

fetch('/api/version')
  .then((r) => (r.ok ? r.text() : ''))
  .then((v) => {
    const text = (v || '').replace(/^"|"$/g, '').trim();
    if (text && text.length < 40) document.getElementById('server-version').textContent = `v${text.replace(/^v/, '')}`;
  })
  .catch(() => {});

route();
