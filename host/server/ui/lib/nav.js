// Navigation inside the app, without reloading: app.js registers its router here, and pages
// call navigate() and setQuery().

let router = () => {};

export function setRouter(fn) {
  router = fn;
}

/** Go to a /ui/ path (pushes history unless `replace`). */
export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  router();
}

/** Replace the query string of the current page without re-rendering (filters, paging). */
export function setQuery(params) {
  const url = new URL(window.location.href);
  const kept = Object.entries(params).filter(([, v]) => v !== '' && v !== null && v !== undefined);
  url.search = new URLSearchParams(kept).toString();
  history.replaceState(null, '', url);
}
