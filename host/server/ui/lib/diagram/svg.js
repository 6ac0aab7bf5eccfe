// SVG building blocks shared by the diagram modules.

export const NS = 'http://www.w3.org/2000/svg';

/** s('rect', {x: 1}, child…): an SVG element; null/undefined attributes and children are skipped. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** A polyline through `points` ([[x, y], …]), with an arrow head at its end unless `arrow` is false. */
export function edge(points, { arrow = true, cls = 'edge' } = {}) {
  return s('polyline', { points: points.map((p) => p.join(',')).join(' '), class: cls, 'marker-end': arrow ? 'url(#arrow)' : undefined });
}

export function truncate(text, max) {
  const t = String(text ?? '');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
