// Where one request's time went: the server's latency breakdown (`x-shale-trace`,
// docs/format/trace.md) that the console's client attaches to an answer made with
// `{ trace: true }` as `$trace`, shown as nested stacked bars and a table of every figure.
//
// - `traceModel(trace)`: the figures arranged for showing (pure, no DOM: Node tests it);
// - `traceView(trace, { title })`: an Element with the bars, a caption saying what is inside
//   what, and the table (the accessible form: the bars are hidden from screen readers);
// - `nanos(n)`, `shareText(part, whole)`: `483 µs`, `5.6%`.
//
// What nests in what (docs/format/trace.md): the page's round trip holds the server's
// operation (the rest is network, HTTP, reading the request and checking its signature); the
// operation holds the gateway's steps (decode, authorize, encode, when the server reports
// them) and the engine's disjoint stages (memtables, SSTables, write stall, commit queue, WAL,
// fsync, memtable insert, publish wait); what is left of it is "other". Block cache and file
// read time lie within SSTables for point lookups, and outside every stage for an iterator's
// blocks (Query, Scan) and for values read from blob files.

import { h } from './dom.js';
import { count } from './format.js';

/** Every figure this console knows: its label, kind and meaning, in the table's order. */
export const FIGURES = {
  client_nanos: ['Round trip (page)', 'time', 'from sending the request to reading its whole answer, as the page measured it (browser timer, about 0.1 ms resolution)'],
  operation_nanos: ['Server operation', 'time', 'decoding the input, authorizing, running and encoding the answer (not reading the request or checking its signature)'],
  decode_nanos: ['Decode', 'time', 'parsing the request body into the operation’s input'],
  authorize_nanos: ['Authorize', 'time', 'evaluating the caller’s IAM policies'],
  memtable_nanos: ['Memtables', 'time', 'searching the memtables in point lookups'],
  table_nanos: ['SSTables', 'time', 'SSTable point lookups: filters, index, block cache and file reads'],
  block_cache_nanos: ['Block cache', 'time', 'block cache lookups and inserts'],
  file_read_nanos: ['File reads', 'time', 'reading SSTable and blob files'],
  write_stall_nanos: ['Write stall', 'time', 'waiting out a write stall'],
  write_queue_nanos: ['Commit queue', 'time', 'waiting in the commit queue (not the group’s WAL append and fsync)'],
  wal_nanos: ['WAL append', 'time', 'the commit group’s WAL append, when the group is not synced'],
  fsync_nanos: ['WAL append + fsync', 'time', 'the commit group’s WAL append and fsync, when the group is synced (every writer of a group is charged it)'],
  memtable_insert_nanos: ['Memtable insert', 'time', 'inserting the request’s batches into the memtables'],
  publish_wait_nanos: ['Publish wait', 'time', 'waiting for earlier commit groups to become visible'],
  encode_nanos: ['Encode', 'time', 'encoding the answer into the response body'],
  memtable_hits: ['Memtable hits', 'count', 'point lookups a memtable answered (a value or a deletion)'],
  filter_negatives: ['Filter negatives', 'count', 'SSTables a bloom filter ruled out'],
  block_cache_hits: ['Block cache hits', 'count', 'data blocks found in the block cache'],
  block_cache_misses: ['Block cache misses', 'count', 'data blocks not in the cache (each then read from its file)'],
  file_reads: ['File reads', 'count', 'reads of SSTable and blob files (a batched lookup’s blocks count one each)'],
  file_read_bytes: ['File read bytes', 'bytes', 'bytes those reads asked for'],
  wal_bytes: ['WAL bytes', 'bytes', 'the request’s own write batches in the WAL (without the log’s headers)'],
};

/** The gateway's steps, in the bar's order (before and after the engine's stages). */
const STEPS_BEFORE = ['decode_nanos', 'authorize_nanos'];
const STEPS_AFTER = ['encode_nanos'];
/** The engine's disjoint stages of an operation, in the bar's order. */
const STAGES = [
  'memtable_nanos',
  'table_nanos',
  'write_stall_nanos',
  'write_queue_nanos',
  'wal_nanos',
  'fsync_nanos',
  'memtable_insert_nanos',
  'publish_wait_nanos',
];
const INNER = ['block_cache_nanos', 'file_read_nanos'];

/** `850 ns`, `48.3 µs`, `8.57 ms`, `1.20 s`. */
export function nanos(n) {
  if (n === undefined || n === null || !Number.isFinite(Number(n))) return '—';
  const v = Number(n);
  const sig = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  if (v < 1000) return `${Math.round(v)} ns`;
  if (v < 1e6) return `${sig(v / 1e3)} µs`;
  if (v < 1e9) return `${sig(v / 1e6)} ms`;
  return `${sig(v / 1e9)} s`;
}

/** `part` as a percentage of `whole` (`5.6%`, `<0.1%`), or `''` when there is no whole. */
export function shareText(part, whole) {
  if (!whole || !part) return whole ? '0%' : '';
  const p = (100 * part) / whole;
  if (p < 0.1) return '<0.1%';
  return `${p >= 10 ? p.toFixed(0) : p.toFixed(1)}%`;
}

/** The kind of an unknown figure by its name's suffix (docs/format/trace.md). */
function kindOf(name) {
  if (FIGURES[name]) return FIGURES[name][1];
  if (name.endsWith('_nanos')) return 'time';
  if (name.endsWith('_bytes')) return 'bytes';
  return 'count';
}

/** A figure's value as text with its unit. */
export function figureText(name, value) {
  const kind = kindOf(name);
  if (kind === 'time') return nanos(value);
  if (kind === 'bytes') return `${count(value)} B`;
  return count(value);
}

/**
 * The figures of `trace` arranged for showing:
 * `{ client, operation, network, outer, stages, other, inner, innerWithin, overlap, rows }`:
 * - `outer`: the round trip's segments (`operation`, `network`), each `{ key, label, nanos }`;
 * - `stages`: the operation's segments (steps, stages, and `other`), zero ones left out;
 * - `inner`: block cache and file reads, `innerWithin` the stage they lie in (`table_nanos`
 *   for point lookups, `other` for iterators and blob values) or `null` when neither holds
 *   them whole;
 * - `overlap`: true when the stages and steps add up to more than the operation;
 * - `pointLookups`: whether any point lookup was timed (a Query or Scan times none);
 * - `rows`: every figure for the table: `{ key, label, kind, value, text, what, derived,
 *   share, depth, known }`.
 */
export function traceModel(trace) {
  const t = trace || {};
  const has = (k) => typeof t[k] === 'number';
  const v = (k) => (has(k) ? t[k] : 0);
  const operation = v('operation_nanos');
  const client = has('client_nanos') ? t.client_nanos : null;
  const network = client === null ? null : Math.max(0, client - operation);
  const seg = (key) => ({ key, label: FIGURES[key][0], nanos: v(key) });
  const before = STEPS_BEFORE.filter(has).map(seg);
  const after = STEPS_AFTER.filter(has).map(seg);
  const engine = STAGES.filter(has).map(seg);
  const counted = [...before, ...engine, ...after].reduce((s, x) => s + x.nanos, 0);
  const overlap = counted > operation;
  const other = Math.max(0, operation - counted);
  const otherLabel = `Other (${[
    has('decode_nanos') ? null : 'decode',
    has('authorize_nanos') ? null : 'auth',
    has('encode_nanos') ? null : 'encode',
    'routing, the rest',
  ]
    .filter(Boolean)
    .join(', ')})`;
  const stages = [...before, ...engine, ...after, { key: 'other', label: otherLabel, nanos: other }].filter((s) => s.nanos > 0);
  const inner = INNER.filter(has).map(seg).filter((s) => s.nanos > 0);
  const innerSum = inner.reduce((s, x) => s + x.nanos, 0);
  let innerWithin = null;
  if (innerSum > 0 && v('table_nanos') > 0 && innerSum <= v('table_nanos')) innerWithin = 'table_nanos';
  else if (innerSum > 0 && v('table_nanos') === 0 && innerSum <= other) innerWithin = 'other';
  const outer = [
    { key: 'operation', label: 'Server operation', nanos: operation },
    ...(network === null ? [] : [{ key: 'network', label: 'Network + HTTP', nanos: network }]),
  ].filter((s) => s.nanos > 0);

  const rows = [];
  const row = (key, depth, extra = {}) => {
    const known = !!FIGURES[key];
    const value = extra.value ?? t[key];
    rows.push({
      key,
      label: known ? FIGURES[key][0] : key,
      kind: kindOf(key),
      value,
      text: figureText(key, value),
      what: known ? FIGURES[key][2] : 'reported by the server; not known to this console',
      derived: false,
      share: '',
      depth,
      known,
      ...extra,
    });
  };
  if (client !== null) row('client_nanos', 0);
  if (network !== null)
    row('network', 1, {
      label: 'Network + HTTP',
      kind: 'time',
      value: network,
      text: nanos(network),
      what: 'the round trip less the server operation: network, HTTP, reading the request and checking its signature',
      derived: true,
      known: true,
      share: shareText(network, client),
    });
  row('operation_nanos', client === null ? 0 : 1, { share: client === null ? '' : shareText(operation, client) });
  const stageRow = (key) => row(key, client === null ? 1 : 2, { share: shareText(v(key), operation) });
  STEPS_BEFORE.filter(has).forEach(stageRow);
  for (const key of STAGES.filter(has)) {
    stageRow(key);
    if (key === 'table_nanos')
      for (const k of INNER.filter(has))
        row(k, client === null ? 2 : 3, {
          share: shareText(v(k), operation),
          what: `${FIGURES[k][2]}; within SSTables for point lookups, outside every stage for Query/Scan blocks and blob values`,
        });
  }
  if (!has('table_nanos')) INNER.filter(has).forEach(stageRow);
  STEPS_AFTER.filter(has).forEach(stageRow);
  row('other', client === null ? 1 : 2, {
    label: otherLabel,
    kind: 'time',
    value: other,
    text: nanos(other),
    what: 'the operation less the stages above: whatever the server did not time separately',
    derived: true,
    known: true,
    share: shareText(other, operation),
  });
  for (const key of ['memtable_hits', 'filter_negatives', 'block_cache_hits', 'block_cache_misses', 'file_reads', 'file_read_bytes', 'wal_bytes'])
    if (has(key)) row(key, 0);
  const shown = new Set(rows.map((r) => r.key));
  for (const key of Object.keys(t).sort()) if (!shown.has(key) && typeof t[key] === 'number') row(key, 0);
  const pointLookups = v('memtable_nanos') > 0 || v('table_nanos') > 0 || v('memtable_hits') > 0;
  return { client, operation, network, outer, stages, other, inner, innerWithin, overlap, rows, pointLookups };
}

/** One stacked bar of `segments` on a scale of `whole` nanoseconds. */
function bar(segments, whole, { offset = 0, name } = {}) {
  const el = h('div', { class: 'trace-bar' });
  if (offset > 0) {
    const pad = h('div', { class: 'trace-pad' });
    pad.style.width = `${(100 * offset) / whole}%`;
    el.append(pad);
  }
  for (const s of segments) {
    const pct = whole > 0 ? (100 * s.nanos) / whole : 0;
    const text = `${s.label} ${nanos(s.nanos)}`;
    const seg = h('div', { class: `trace-seg seg-${s.key}`, title: `${text} (${shareText(s.nanos, whole)} of ${name})` }, pct >= 9 ? text : pct >= 4 ? nanos(s.nanos) : '');
    seg.style.width = `${pct}%`;
    el.append(seg);
  }
  return el;
}

function barRow(label, scale, barEl) {
  return h('div', { class: 'trace-row' }, h('div', { class: 'trace-row-label' }, label, h('span', { class: 'muted' }, scale)), barEl);
}

/** The caption: what is inside what, and how far to trust the figures. */
function caption(m) {
  const parts = [];
  if (m.client !== null)
    parts.push('The top bar is the round trip the page measured; the server operation is inside it, and the rest (network, HTTP, reading the request, checking its signature) is derived by subtraction.');
  parts.push('The second bar is the server operation alone: the engine’s stages are disjoint parts of it, so they never add up to more; “Other” is what is left.');
  if (m.inner.length > 0)
    parts.push(
      m.innerWithin === 'table_nanos'
        ? 'Block cache and file read time lie within SSTables here (point lookups), shown below that stage.'
        : m.innerWithin === 'other'
          ? 'Block cache and file read time lie outside every stage here (an iterator’s blocks or blob values), so they are part of “Other”, shown below it.'
          : 'Block cache and file read time are partly within SSTables (point lookups) and partly outside every stage (iterators, blob values), so they are shown on the operation’s scale without placing them.',
    );
  if (!m.pointLookups && m.operation > 0)
    parts.push('No point lookup was timed: a Query or Scan reads through iterators, whose memtable and SSTable time is not measured as stages, so it is in “Other”.');
  parts.push('Figures sum over every engine call the operation made (a Query’s pages, a transaction’s items); a write is charged its whole commit group’s WAL append and fsync.');
  if (m.overlap) parts.push('Warning: the stages add up to more than the operation, so some of them overlap; the bar is drawn on their sum.');
  return h('p', { class: 'trace-caption muted' }, parts.join(' '));
}

/** The colour of a time row's segment in the bars, or nothing (the client's time has none). */
function swatch(r) {
  if (r.kind !== 'time' || r.key === 'client_nanos') return null;
  const key = r.key === 'operation_nanos' ? 'operation' : r.key;
  return h('span', { class: `trace-swatch seg-${key}`, 'aria-hidden': 'true' });
}

function table(m) {
  return h(
    'table',
    { class: 'list trace-table' },
    h('caption', { class: 'muted' }, 'Every figure of the breakdown; derived rows are computed by subtraction. Shares are of the round trip (first level) or of the server operation (below it).'),
    h(
      'thead',
      {},
      h('tr', {}, h('th', { scope: 'col' }, 'Figure'), h('th', { scope: 'col', class: 'num' }, 'Value'), h('th', { scope: 'col', class: 'num' }, 'Share'), h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'What')),
    ),
    h(
      'tbody',
      {},
      m.rows.map((r) =>
        h(
          'tr',
          { class: `depth${r.depth}${r.known ? '' : ' unknown'}${r.value === 0 ? ' zero' : ''}` },
          h('th', { scope: 'row' }, swatch(r), r.label),
          h('td', { class: 'num' }, r.text),
          h('td', { class: 'num' }, r.share),
          h('td', {}, r.derived ? h('span', { class: 'muted' }, 'derived') : h('code', {}, r.key)),
          h('td', { class: 'muted' }, r.what),
        ),
      ),
    ),
  );
}

/**
 * An element showing where the time of the request whose answer carried `trace` went.
 * @param {object|undefined} trace - an answer's `$trace`
 * @param {{title?: string}} [options]
 */
export function traceView(trace, { title = 'Latency breakdown' } = {}) {
  const section = h('section', { class: 'trace', 'aria-label': title }, h('h3', {}, title));
  if (!trace || typeof trace.operation_nanos !== 'number') {
    section.append(h('p', { class: 'muted' }, 'No breakdown: the server answered none (it is asked for with the x-shale-trace header).'));
    return section;
  }
  const m = traceModel(trace);
  const summary =
    m.client === null
      ? `The server operation took ${nanos(m.operation)}.`
      : `Round trip ${nanos(m.client)} as the page measured it; the server operation took ${nanos(m.operation)} (${shareText(m.operation, m.client)}), the rest is network and HTTP.`;
  section.append(h('p', { class: 'trace-summary' }, summary));
  const bars = h('div', { class: 'trace-bars', 'aria-hidden': 'true' });
  if (m.client !== null) bars.append(barRow('Round trip', nanos(m.client), bar(m.outer, Math.max(m.client, m.operation), { name: 'the round trip' })));
  const opScale = Math.max(m.operation, m.stages.reduce((s, x) => s + x.nanos, 0));
  bars.append(barRow('Server operation', nanos(m.operation), bar(m.stages, opScale, { name: 'the operation' })));
  if (m.inner.length > 0) {
    let offset = 0;
    if (m.innerWithin) for (const s of m.stages) {
      if (s.key === m.innerWithin) break;
      offset += s.nanos;
    }
    const label = m.innerWithin === 'table_nanos' ? 'within SSTables' : m.innerWithin === 'other' ? 'within Other' : 'block reads';
    bars.append(barRow('Block cache + files', label, bar(m.inner, opScale, { offset, name: 'the operation' })));
  }
  section.append(bars, caption(m), table(m));
  return section;
}
