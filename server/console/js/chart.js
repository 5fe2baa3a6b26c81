// Line charts in SVG, built with createElementNS (no library, no HTML strings).
//
// `lineChart({ title, unit, start, end, period, series, format })` answers a `<figure>`:
// - `start`, `end`: the time axis, in milliseconds since the epoch (UTC);
// - `period`: the seconds between two points of a series; a longer gap breaks the line (a
//   missing datapoint is not drawn as a straight line across it), and a lone point is a dot;
// - `series`: `[{ label, points: [{ t, v }], dashed, color }]` (t in milliseconds);
// - `unit`: shown above the value axis and in the readout; `format(v)` writes a value
//   (default: compact, `1.2k`).
// The figure holds the caption, the legend, the chart (axes with time and value ticks; "No data
// points in this range" when no series has one), a readout of the values under the pointer or
// of the point chosen with the arrow keys (the chart is focusable), and a disclosure with the
// data as a table. The SVG has role img and a label summarising each series.

import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 600;
const H = 230;
const M = { left: 56, right: 14, top: 18, bottom: 30 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

/** Colours told apart by most readers, colour-blind ones too (Okabe and Ito), then more. */
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#8a6d00', '#56b4e9', '#444444', '#7b3294', '#b8860b', '#1b7837'];

const MINUTE = 60000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY];

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** Up to about `count` round ticks (1, 2, 2.5, 5 × 10^k) covering [min, max]. */
export function valueTicks(min, max, count = 5) {
  if (!(max > min)) max = min + 1;
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Math.abs(v) < step / 1e6 ? 0 : v);
  return { ticks, step, lo, hi };
}

/** A value as `0`, `0.25`, `12.5`, `1.2k`, `3.4M`. */
export function compact(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  return trim(v);
}

function trim(v) {
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return String(Number(v.toFixed(digits)));
}

const pad = (n) => String(n).padStart(2, '0');

/** `12:05` (UTC), or `12-07` at midnight or with steps of a day. */
function timeLabel(t, step) {
  const d = new Date(t);
  if (step >= DAY || (d.getUTCHours() === 0 && d.getUTCMinutes() === 0)) return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** `2026-12-07 12:05 UTC`. */
export function utcMinute(t) {
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Time ticks on multiples of a round step, at most about seven over [start, end]. */
export function timeTicks(start, end) {
  const step = TIME_STEPS.find((x) => (end - start) / x <= 7) || Math.ceil((end - start) / 7 / DAY) * DAY;
  const ticks = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) ticks.push(t);
  return { ticks, step };
}

/** The runs of `points` (sorted) without a gap longer than `gapMs`. */
function runs(points, gapMs) {
  const out = [];
  let cur = [];
  for (const p of points) {
    if (cur.length && gapMs && p.t - cur[cur.length - 1].t > gapMs) {
      out.push(cur);
      cur = [];
    }
    cur.push(p);
  }
  if (cur.length) out.push(cur);
  return out;
}

let counter = 0;

export function lineChart({ title, unit = '', start, end, period = 60, series = [], format = compact, note }) {
  const id = `chart${++counter}`;
  const list = series.map((x, i) => ({
    ...x,
    color: x.color || PALETTE[i % PALETTE.length],
    points: (x.points || []).filter((p) => Number.isFinite(p.v) && Number.isFinite(p.t)).sort((a, b) => a.t - b.t),
  }));
  for (const x of list) x.byTime = new Map(x.points.map((p) => [p.t, p]));
  const all = list.flatMap((x) => x.points);
  const empty = all.length === 0;
  const times = [...new Set(all.map((p) => p.t))].sort((a, b) => a - b);
  const min = Math.min(0, ...all.map((p) => p.v));
  const max = Math.max(0, ...all.map((p) => p.v));
  const y = valueTicks(min, max === min ? min + 1 : max, 4);
  const span = Math.max(end - start, 1);
  const xOf = (t) => M.left + ((t - start) / span) * PW;
  const yOf = (v) => M.top + PH - ((v - y.lo) / (y.hi - y.lo)) * PH;
  const unitText = unit ? ` ${unit}` : '';

  const summary = empty
    ? `${title}: no data points from ${utcMinute(start)} to ${utcMinute(end)}.`
    : `${title}${unit ? ` (${unit})` : ''}, ${utcMinute(start)} to ${utcMinute(end)}: ` +
      list
        .map((x) => {
          if (!x.points.length) return `${x.label}: no data`;
          const vs = x.points.map((p) => p.v);
          return `${x.label}: ${x.points.length} points, latest ${format(vs[vs.length - 1])}, max ${format(Math.max(...vs))}`;
        })
        .join('; ');

  // Grid and axes.
  const grid = s('g', { class: 'chart-grid' });
  for (const v of y.ticks) {
    const yy = yOf(v);
    grid.append(
      s('line', { x1: M.left, x2: W - M.right, y1: yy, y2: yy, class: v === 0 ? 'chart-zero' : 'chart-gridline' }),
      s('text', { x: M.left - 6, y: yy + 4, 'text-anchor': 'end', class: 'chart-tick' }, format(v)),
    );
  }
  const tt = timeTicks(start, end);
  for (const t of tt.ticks) {
    const xx = xOf(t);
    grid.append(
      s('line', { x1: xx, x2: xx, y1: M.top + PH, y2: M.top + PH + 4, class: 'chart-axis' }),
      s('text', { x: xx, y: M.top + PH + 17, 'text-anchor': 'middle', class: 'chart-tick' }, timeLabel(t, tt.step)),
    );
  }
  grid.append(
    s('line', { x1: M.left, x2: M.left, y1: M.top, y2: M.top + PH, class: 'chart-axis' }),
    s('line', { x1: M.left, x2: W - M.right, y1: M.top + PH, y2: M.top + PH, class: 'chart-axis' }),
    s('text', { x: 4, y: 11, class: 'chart-unit' }, unit),
    s('text', { x: W - M.right, y: H - 2, 'text-anchor': 'end', class: 'chart-unit' }, 'UTC'),
  );

  // The series: a path per run, a dot per lone point (or per point when there are few).
  const lines = s('g', { class: 'chart-lines' });
  const gap = period * 1000 * 1.5;
  for (const x of list) {
    const g = s('g', {});
    for (const r of runs(x.points, gap)) {
      if (r.length > 1) {
        const d = r.map((p, i) => `${i ? 'L' : 'M'}${xOf(p.t).toFixed(1)},${yOf(p.v).toFixed(1)}`).join(' ');
        g.append(s('path', { d, fill: 'none', stroke: x.color, 'stroke-width': 2, 'stroke-dasharray': x.dashed ? '6 4' : null, 'stroke-linejoin': 'round' }));
      }
      if (r.length === 1 || (!x.dashed && x.points.length <= 30)) {
        for (const p of r) g.append(s('circle', { cx: xOf(p.t), cy: yOf(p.v), r: r.length === 1 ? 3.5 : 2.5, fill: x.color }));
      }
    }
    lines.append(g);
  }

  const svg = s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', role: 'img', 'aria-labelledby': `${id}-t ${id}-d`, tabindex: empty ? null : 0 },
    s('title', { id: `${id}-t` }, title),
    s('desc', { id: `${id}-d` }, summary),
    grid,
    lines,
  );
  if (empty) {
    svg.append(s('text', { x: M.left + PW / 2, y: M.top + PH / 2, 'text-anchor': 'middle', class: 'chart-empty' }, 'No data points in this range'));
  }

  // The readout: the values at the time under the pointer, or chosen with the arrow keys.
  const readout = h('p', { class: 'chart-readout', 'aria-live': 'polite' }, empty ? '' : 'Point at the chart (or focus it and use ← →) to read its values.');
  const cursor = s('g', { class: 'chart-cursor hidden' });
  svg.append(cursor);
  let at = -1;
  function show(i) {
    at = Math.max(0, Math.min(times.length - 1, i));
    const t = times[at];
    cursor.replaceChildren(s('line', { x1: xOf(t), x2: xOf(t), y1: M.top, y2: M.top + PH, class: 'chart-cursor-line' }));
    const parts = [];
    for (const x of list) {
      const p = x.byTime.get(t);
      if (!p) continue;
      cursor.append(s('circle', { cx: xOf(t), cy: yOf(p.v), r: 4.5, fill: 'none', stroke: x.color, 'stroke-width': 2 }));
      parts.push(`${x.label} ${format(p.v)}`);
    }
    cursor.classList.remove('hidden');
    readout.textContent = `${utcMinute(t)}: ${parts.join(' · ')}${unitText}`;
  }
  if (!empty) {
    svg.addEventListener('pointermove', (ev) => {
      const box = svg.getBoundingClientRect();
      const t = start + (((ev.clientX - box.left) * (W / box.width) - M.left) / PW) * span;
      let best = 0;
      for (let i = 1; i < times.length; i++) if (Math.abs(times[i] - t) < Math.abs(times[best] - t)) best = i;
      show(best);
    });
    svg.addEventListener('pointerleave', () => cursor.classList.add('hidden'));
    svg.addEventListener('keydown', (ev) => {
      const moves = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: times.length - 1 };
      if (!(ev.key in moves)) return;
      ev.preventDefault();
      show(at < 0 && ev.key === 'ArrowLeft' ? times.length - 1 : moves[ev.key]);
    });
  }

  const legend = h(
    'ul',
    { class: 'chart-legend' },
    list.map((x) =>
      h(
        'li',
        {},
        swatch(x),
        x.label,
        x.points.length ? null : h('span', { class: 'muted' }, ' (no data)'),
      ),
    ),
  );

  return h(
    'figure',
    { class: `chart${empty ? ' chart-nodata' : ''}`, 'data-chart': title },
    h('figcaption', {}, h('span', { class: 'chart-title' }, title), unit ? h('span', { class: 'muted' }, ` (${unit})`) : null),
    note ? h('p', { class: 'chart-note muted' }, note) : null,
    legend,
    svg,
    readout,
    empty ? null : dataTable(title, list, times, format),
  );
}

function swatch(x) {
  const el = s('svg', { viewBox: '0 0 22 10', width: 22, height: 10, class: 'chart-swatch', 'aria-hidden': 'true' });
  el.append(s('line', { x1: 1, x2: 21, y1: 5, y2: 5, stroke: x.color, 'stroke-width': 3, 'stroke-dasharray': x.dashed ? '5 3' : null }));
  return el;
}

/** The chart's data: a row per time, a column per series. */
function dataTable(title, list, times, format) {
  return h(
    'details',
    { class: 'chart-data' },
    h('summary', {}, `Data table (${times.length} time${times.length === 1 ? '' : 's'})`),
    h(
      'table',
      { class: 'list' },
      h('caption', { class: 'sr-only' }, title),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time (UTC)'), list.map((x) => h('th', { scope: 'col', class: 'num' }, x.label)))),
      h(
        'tbody',
        {},
        times.map((t) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, utcMinute(t).replace(' UTC', '')),
            list.map((x) => {
              const p = x.byTime.get(t);
              return h('td', { class: 'num' }, p ? format(p.v) : '—');
            }),
          ),
        ),
      ),
    ),
  );
}
