// Small DOM helpers shared by the pages: an element builder, time and JSON formatting, the
// error banner and the modal dialog used by every action.

import { ApiError, errorTitle } from './api.js';

/**
 * h('div', {class: 'x', 'data-testid': 'y', onclick: fn}, child, [children], 'text')
 * Attributes: `class`, `style` (string), `on<event>` handlers, booleans (set when true),
 * anything else as an attribute. Children: nodes, strings, numbers, arrays; null/false skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'value' && 'value' in el) {
      el.value = value;
    } else if (key === 'checked' || key === 'selected' || key === 'disabled') {
      el[key] = !!value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

const pad = (n) => String(n).padStart(2, '0');

/** Epoch ms (or an ISO string) → Date, or null when unset (0, null, ''). */
export function toDate(value) {
  if (value === null || value === undefined || value === '' || value === 0) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) || d.getTime() <= 0 ? null : d;
}

/** "2026-11-24 10:42:05" in local time, or "" when unset. */
export function fmtDateTime(value) {
  const d = toDate(value);
  if (!d) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())}`;
}

/** "10:42:05" today, "Nov 24 10:42:05" another day (for sentences). */
export function fmtWhen(value) {
  const d = toDate(value);
  if (!d) return 'an unknown time';
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return time;
  const month = d.toLocaleString('en', { month: 'short' });
  const year = d.getFullYear() === now.getFullYear() ? '' : ` ${d.getFullYear()}`;
  return `${month} ${d.getDate()}${year} ${time}`;
}

/** A duration in ms as "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min", "3 d 4 h". */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${pad(Math.floor(s % 60))} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${pad(m % 60)} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** "3 min ago" */
export function fmtAgo(value) {
  const d = toDate(value);
  if (!d) return '';
  const ms = Date.now() - d.getTime();
  if (ms < 5000) return 'just now';
  return `${fmtDuration(ms).replace(/ \d+ (s|min)$/, '')} ago`;
}

/** A <time> element showing fmtWhen, with the full date and time as a tooltip. */
export function timeEl(value, format = fmtWhen) {
  const d = toDate(value);
  if (!d) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: d.toISOString(), title: fmtDateTime(value) }, format(value));
}

export function prettyJson(value) {
  if (value === undefined) return '';
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

/** A scrollable, pre-formatted JSON block. */
export function jsonBlock(value, attrs = {}) {
  const empty =
    value === undefined ||
    value === null ||
    (typeof value === 'object' && Object.keys(value).length === 0);
  return h('pre', { class: `json${empty ? ' json-empty' : ''}`, ...attrs }, empty ? prettyJson(value ?? {}) : prettyJson(value));
}

/**
 * Parse a JSON text typed by the user. Answers {value} or {error} (in words). `object`:
 * the value must be a JSON object (task output, workflow input).
 */
export function parseJsonInput(text, { object = true, label = 'The JSON' } = {}) {
  const trimmed = (text || '').trim();
  if (!trimmed) return { value: object ? {} : null };
  let value;
  try {
    value = JSON.parse(trimmed);
  } catch (e) {
    return { error: `${label} is not valid JSON: ${e.message}` };
  }
  if (object && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    return { error: `${label} must be a JSON object, like {"key": "value"}.` };
  }
  return { value };
}

/** The banner that shows an API error in words (status, message, validation errors). */
export function errorBanner(err, { title, testid = 'error-banner' } = {}) {
  const heading = title ? `${title}: ${errorTitle(err)}` : errorTitle(err);
  const validation = err instanceof ApiError ? err.validationErrors : [];
  return h(
    'div',
    { class: 'banner banner-error', role: 'alert', 'data-testid': testid },
    h('strong', {}, heading),
    h('span', { class: 'banner-message', 'data-testid': `${testid}-message` }, err.message || String(err)),
    validation.length
      ? h(
          'ul',
          { class: 'validation' },
          validation.map((v) => h('li', {}, v.path ? h('code', {}, v.path) : null, v.path ? ': ' : '', v.message)),
        )
      : null,
  );
}

export function noticeBanner(text, { testid = 'notice' } = {}) {
  return h('div', { class: 'banner banner-ok', role: 'status', 'data-testid': testid }, text);
}

/** A status pill; the colour comes from CSS by status name. */
export function statusBadge(status, attrs = {}) {
  const s = status || 'UNKNOWN';
  return h('span', { class: `badge status-${s}`, ...attrs }, s.replaceAll('_', ' '));
}

export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control, hint ? h('span', { class: 'hint' }, hint) : null);
}

export function checkbox(label, attrs = {}) {
  return h('label', { class: 'check' }, h('input', { type: 'checkbox', ...attrs }), h('span', {}, label));
}

/**
 * A modal dialog. `onConfirm` may be async and may throw: the error is shown inside the
 * dialog in words and the dialog stays open; when it resolves the dialog closes.
 * Answers {dialog, close}.
 */
export function openDialog({ title, body, confirmLabel = 'Confirm', danger = false, testid = 'dialog', onConfirm, wide = false }) {
  const errorSlot = h('div', { class: 'dialog-error' });
  const confirm = h(
    'button',
    { type: 'submit', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, 'data-testid': 'dialog-confirm' },
    confirmLabel,
  );
  const cancel = h('button', { type: 'button', class: 'btn', 'data-testid': 'dialog-cancel', onclick: () => close() }, 'Cancel');
  const form = h(
    'form',
    { method: 'dialog', class: 'dialog-form' },
    h('header', { class: 'dialog-header' }, h('h2', {}, title)),
    h('div', { class: 'dialog-body' }, body),
    errorSlot,
    h('footer', { class: 'dialog-footer' }, cancel, confirm),
  );
  const dialog = h('dialog', { class: `dialog${wide ? ' dialog-wide' : ''}`, 'data-testid': testid }, form);
  let closed = false;
  function close() {
    if (closed) return;
    closed = true;
    dialog.close();
    dialog.remove();
  }
  dialog.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(errorSlot);
    confirm.disabled = true;
    confirm.classList.add('busy');
    try {
      await onConfirm();
      close();
    } catch (err) {
      errorSlot.append(errorBanner(err, { testid: 'dialog-error' }));
    } finally {
      confirm.disabled = false;
      confirm.classList.remove('busy');
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  const first = dialog.querySelector('input:not([type=checkbox]), textarea, select');
  if (first) first.focus();
  return { dialog, close };
}

/** Copy-to-clipboard button (falls back silently where the clipboard is unavailable). */
export function copyButton(text, label = 'Copy') {
  const btn = h('button', { type: 'button', class: 'btn btn-small btn-ghost', title: 'Copy to clipboard' }, label);
  btn.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      btn.textContent = 'Copied';
    } catch {
      btn.textContent = 'Select and copy';
    }
    setTimeout(() => (btn.textContent = label), 1500);
  });
  return btn;
}

/**
 * A page's periodic refresh that waits while a dialog is open: a page redrawn under it would
 * lose what the user is doing there. `later(fn)` runs `fn` after `ms`, or once the dialog
 * has closed; `cancel()` stops what is pending.
 */
export function refresher(ms) {
  let timer = null;
  const cancel = () => clearTimeout(timer);
  const later = (fn) => {
    cancel();
    const tick = () => {
      if (document.querySelector('dialog[open]')) timer = setTimeout(tick, ms);
      else fn();
    };
    timer = setTimeout(tick, ms);
  };
  return { later, cancel };
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
