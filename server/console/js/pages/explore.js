// Query / Scan of one table (`#/table/<name>/explore`, `#/table/<name>/explore/scan`): the table
// or one of its indexes; a Query's partition key value and sort key condition, direction and
// consistency; a Scan's parallel segments; filter conditions and a projection for both. Each
// request is built with placeholders (condition_builder.js), asks for the consumed capacity and
// the server's latency breakdown (`x-shale-trace`), and is shown beside its results.

import { h, replace, errorBox, select, labelled, uid, focusOn } from '../dom.js';
import { count, consumed } from '../format.js';
import { keyNames, keyOf, keyText, TYPE_NAMES, formatItem } from '../ddbjson.js';
import { resultsTable } from '../results.js';
import { exportButtons } from '../export.js';
import { FormError, KEY_OPS, arity, toValue, placeholders, condition, splitNames, projection, filterEditor } from '../condition_builder.js';
import { traceView, nanos } from '../trace_view.js';
import { tableHash } from '../tabs.js';
import { itemsHash } from './items.js';

/** The most items a run keeps (and shows, and exports). */
export const MAX_ROWS = 2000;
/** The page sizes offered (Limit: items read a request, before the filter). */
const PAGE_SIZES = [10, 25, 50, 100, 250, 500, 1000];
/** The most parallel scan segments. */
const MAX_SEGMENTS = 16;

/** What the page may read from: the table and each index, with their keys and types. */
function sourcesOf(t) {
  const types = Object.fromEntries((t.AttributeDefinitions || []).map((d) => [d.AttributeName, d.AttributeType]));
  const source = (kind, indexName, schema) => {
    const [pk, sk] = keyNames(schema);
    return { kind, indexName, pk, sk, pkType: types[pk] || 'S', skType: sk ? types[sk] || 'S' : null };
  };
  return [
    source('table', '', t.KeySchema),
    ...(t.GlobalSecondaryIndexes || []).map((i) => source('global', i.IndexName, i.KeySchema)),
    ...(t.LocalSecondaryIndexes || []).map((i) => source('local', i.IndexName, i.KeySchema)),
  ];
}

function sourceLabel(s, table) {
  const keys = s.sk ? `${s.pk}, ${s.sk}` : s.pk;
  if (s.kind === 'table') return `Table ${table} (${keys})`;
  return `${s.kind === 'global' ? 'Global' : 'Local'} index ${s.indexName} (${keys})`;
}

export async function explorePage(root, ctx) {
  const [name, , rest] = ctx.params;
  replace(root, h('p', { class: 'muted' }, 'Loading the table…'));
  let table;
  try {
    table = (await ctx.api.dynamodb('DescribeTable', { TableName: name })).Table;
  } catch (e) {
    if (ctx.current()) replace(root, errorBox(e));
    return;
  }
  if (!ctx.current()) return;
  const sources = sourcesOf(table);
  const tableKeys = keyNames(table.KeySchema);

  // --- The form -----------------------------------------------------------------------------
  let mode = rest === 'scan' ? 'Scan' : 'Query';
  const modeGroup = uid('ex_mode');
  const modeRadios = ['Query', 'Scan'].map((m) => {
    const input = h('input', { type: 'radio', name: modeGroup, value: m, id: uid('ex_mode') });
    input.checked = m === mode;
    input.addEventListener('change', () => {
      if (input.checked) setMode(m);
    });
    return { m, input, el: h('label', { for: input.id }, input, m === 'Query' ? 'Query (one partition)' : 'Scan (the whole table or index)') };
  });
  const modeField = h('fieldset', { class: 'ex-mode' }, h('legend', {}, 'Operation'), h('div', { class: 'radios' }, modeRadios.map((r) => r.el)));

  const source = labelled('Read from', select(sources.map((s, i) => [String(i), sourceLabel(s, name)]), '0', { id: uid('ex_src') }), 'ex-source');
  const pageSize = labelled('Page size', select(PAGE_SIZES.map(String), '100', { id: uid('ex_limit') }), 'narrow');
  pageSize.label.append(h('span', { class: 'hint' }, ' (Limit)'));

  const pk = labelled('Partition key', h('input', { type: 'text', id: uid('ex_pk'), autocomplete: 'off', spellcheck: 'false' }), 'ex-pk');
  const skOp = labelled('Sort key', select(KEY_OPS, '', { id: uid('ex_skop') }), 'ex-skop');
  const sk1 = labelled('Value', h('input', { type: 'text', id: uid('ex_sk1'), autocomplete: 'off', spellcheck: 'false' }), 'ex-sk');
  const sk2 = labelled('and', h('input', { type: 'text', id: uid('ex_sk2'), autocomplete: 'off', spellcheck: 'false' }), 'ex-sk');
  const noSortKey = h('p', { class: 'muted ex-nosk' }, 'This key schema has no sort key.');
  const keyFields = h(
    'fieldset',
    { class: 'ex-keys' },
    h('legend', {}, 'Key condition'),
    h('div', { class: 'row' }, pk.el, skOp.el, sk1.el, sk2.el, noSortKey),
  );

  const filters = filterEditor();

  const proj = labelled('Attributes to get', h('input', { type: 'text', id: uid('ex_proj'), autocomplete: 'off', spellcheck: 'false', placeholder: 'all attributes' }), 'ex-proj');
  proj.label.append(h('span', { class: 'hint' }, ' comma-separated'));
  const order = labelled('Sort key order', select([['asc', 'Ascending'], ['desc', 'Descending']], 'asc', { id: uid('ex_order') }), 'narrow ex-order');
  const consistentBox = h('input', { type: 'checkbox', id: uid('ex_cr') });
  const consistentHint = h('span', { class: 'hint' });
  const consistent = h('div', { class: 'field ex-check' }, h('label', { for: consistentBox.id }, consistentBox, ' Strongly consistent read', consistentHint));
  const segments = labelled('Parallel segments', h('input', { type: 'number', id: uid('ex_seg'), min: '1', max: String(MAX_SEGMENTS), step: '1', value: '1' }), 'narrow ex-seg');
  segments.label.append(h('span', { class: 'hint' }, ` (1–${MAX_SEGMENTS})`));

  const runButton = h('button', { type: 'submit', class: 'primary' }, 'Run');
  const formError = h('div', {});
  const form = h(
    'form',
    { class: 'panel ex-form', 'aria-label': 'Request', novalidate: true },
    h('div', { class: 'row ex-top' }, modeField, source.el, pageSize.el),
    keyFields,
    filters.el,
    h('div', { class: 'row ex-options' }, proj.el, order.el, segments.el, consistent),
    formError,
    h('div', { class: 'toolbar ex-actions' }, runButton, h('span', { class: 'muted' }, `Results keep up to ${count(MAX_ROWS)} items; Load more reads the next page.`)),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    start();
  });

  function currentSource() {
    return sources[Number(source.input.value)] || sources[0];
  }

  /** Labels, operators and options that depend on the source and the operation. */
  function sync() {
    const s = currentSource();
    const query = mode === 'Query';
    keyFields.classList.toggle('hidden', !query);
    order.el.classList.toggle('hidden', !query || !s.sk);
    segments.el.classList.toggle('hidden', query);
    replace(pk.label, `Partition key: ${s.pk} `, h('span', { class: 'hint' }, `(${TYPE_NAMES[s.pkType] || s.pkType})`));
    pk.input.setAttribute('inputmode', s.pkType === 'N' ? 'decimal' : 'text');
    for (const el of [skOp.el, sk1.el, sk2.el]) el.classList.toggle('hidden', !s.sk);
    noSortKey.classList.toggle('hidden', !!s.sk);
    if (s.sk) {
      replace(skOp.label, `Sort key: ${s.sk} `, h('span', { class: 'hint' }, `(${TYPE_NAMES[s.skType] || s.skType})`));
      const beginsWith = skOp.input.querySelector('option[value="begins_with"]');
      beginsWith.disabled = s.skType === 'N';
      if (beginsWith.disabled && skOp.input.value === 'begins_with') skOp.input.value = '';
      const n = arity(skOp.input.value);
      sk1.el.classList.toggle('hidden', n < 1);
      sk2.el.classList.toggle('hidden', n < 2);
      replace(sk1.label, n === 2 ? 'From' : 'Value');
    }
    const global = s.kind === 'global';
    consistentBox.disabled = global;
    if (global) consistentBox.checked = false;
    replace(consistentHint, global ? ' (not on global indexes)' : '');
  }
  // Each source keeps its own key condition: switching between the table and an index and
  // back gives back what was typed for it.
  const keyMemory = new Map();
  let shownSource = source.input.value;
  source.input.addEventListener('change', () => {
    keyMemory.set(shownSource, [pk.input.value, skOp.input.value, sk1.input.value, sk2.input.value]);
    shownSource = source.input.value;
    [pk.input.value, skOp.input.value, sk1.input.value, sk2.input.value] = keyMemory.get(shownSource) || ['', '', '', ''];
    sync();
  });
  skOp.input.addEventListener('change', sync);

  function setMode(m) {
    mode = m;
    for (const r of modeRadios) r.input.checked = r.m === m;
    // The address names the operation (without a hashchange: the form keeps what was typed).
    history.replaceState(null, '', `${tableHash(name, 'explore')}${m === 'Scan' ? '/scan' : ''}`);
    sync();
  }

  /** The request of the form: `{ op, body, segments }`; throws a FormError for a bad value. */
  function build() {
    const s = currentSource();
    const p = placeholders();
    const body = { TableName: name };
    if (s.indexName) body.IndexName = s.indexName;
    if (mode === 'Query') {
      const text = pk.input.value;
      if (text.trim() === '') throw new FormError(`Give the partition key's value (${s.pk}).`);
      const parts = [condition(p, s.pk, '=', [toValue(s.pkType, text, `partition key ${s.pk}`)])];
      const op = s.sk ? skOp.input.value : '';
      if (op) {
        const what = `sort key ${s.sk}`;
        const values = [toValue(s.skType, sk1.input.value, what)];
        if (arity(op) === 2) values.push(toValue(s.skType, sk2.input.value, what));
        parts.push(condition(p, s.sk, op, values));
      }
      body.KeyConditionExpression = parts.join(' AND ');
      if (s.sk && order.input.value === 'desc') body.ScanIndexForward = false;
    }
    const filter = filters.build(p);
    if (filter) body.FilterExpression = filter;
    const projected = projection(p, splitNames(proj.input.value));
    if (projected) body.ProjectionExpression = projected;
    p.into(body);
    body.Limit = Number(pageSize.input.value);
    if (consistentBox.checked && !consistentBox.disabled) body.ConsistentRead = true;
    body.ReturnConsumedCapacity = 'TOTAL';
    let n = 1;
    if (mode === 'Scan') {
      n = Number(segments.input.value);
      if (!Number.isInteger(n) || n < 1 || n > MAX_SEGMENTS) throw new FormError(`Parallel segments: a whole number from 1 to ${MAX_SEGMENTS}.`);
    }
    return { op: mode, body, segments: n, keys: [...new Set([...tableKeys, s.pk, s.sk].filter(Boolean))] };
  }

  // --- The results --------------------------------------------------------------------------
  const hidden = new Set();
  const results = h('div', { class: 'ex-results' });
  const opened = h('div', {});
  let run = null;
  const traceId = uid('ex_trace_panel');

  const loadMore = h('button', { type: 'button', onclick: () => step(run) }, 'Load more');
  const exports = exportButtons({
    items: () => (run ? run.items : []),
    columns: () => (run && run.table ? run.table.columns() : []),
    base: name,
  });

  /**
   * Shows `item` (a row's Open) as DynamoDB JSON above the results; Escape or Close hides it and
   * gives the focus back to the row's Open button (`opener`).
   */
  function openItem(item, opener) {
    const closeItem = () => {
      replace(opened);
      if (opener && opener.isConnected) opener.focus();
      else focusOn(results.querySelector('.ex-items h2'));
    };
    const close = h('button', { type: 'button', onclick: closeItem }, 'Close');
    const keys = (run ? run.keys : tableKeys).filter((k) => item[k] !== undefined);
    const whole = tableKeys.every((k) => item[k] !== undefined);
    const panel = h(
      'section',
      { class: 'panel ex-item', 'aria-label': 'Item' },
      h(
        'div',
        { class: 'toolbar' },
        h('h2', {}, 'Item'),
        h('span', { class: 'muted' }, keyText(keyOf(item, keys))),
        h('span', { class: 'spacer' }),
        whole
          ? h('a', { class: 'button', href: itemsHash(name, 'edit', keyOf(item, table.KeySchema)) }, 'Edit in Items')
          : h('span', { class: 'hint' }, 'The table’s key is not in the projection: no editing from here.'),
        close,
      ),
      h('pre', { class: 'ex-json', tabindex: '0', 'aria-label': 'The item as DynamoDB JSON' }, formatItem(item)),
    );
    panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') closeItem();
    });
    replace(opened, panel);
    close.focus();
  }

  async function start() {
    replace(formError);
    let req;
    try {
      req = build();
    } catch (e) {
      // A FormError says which field is wrong; anything else is shown in place too.
      replace(formError, errorBox(e));
      return;
    }
    run = {
      ...req,
      items: [],
      truncated: false,
      error: null,
      requests: [],
      segs: Array.from({ length: req.segments }, (_, i) => ({ index: i, lek: null, done: false, pages: 0, count: 0, scanned: 0, capacity: 0 })),
      table: null,
    };
    run.table = resultsTable([], { keyNames: run.keys, onOpen: openItem, hidden });
    replace(opened);
    await step(run);
  }

  /** Reads the next page of every segment of `r` not read to its end, concurrently. */
  async function step(r) {
    if (!r || r !== run) return;
    // Keyboard users who pressed Load more keep their place (re-rendering moves the button).
    const refocus = document.activeElement === loadMore;
    r.error = null;
    runButton.disabled = true;
    loadMore.disabled = true;
    render(true);
    const pending = r.segs.filter((s) => !s.done);
    const started = performance.now();
    const answers = await Promise.allSettled(
      pending.map((s) => {
        const body = { ...r.body };
        if (s.lek) body.ExclusiveStartKey = s.lek;
        if (r.op === 'Scan' && r.segments > 1) Object.assign(body, { Segment: s.index, TotalSegments: r.segments });
        return ctx.api.dynamodb(r.op, body, { trace: true });
      }),
    );
    r.wallNanos = (r.wallNanos || 0) + Math.round((performance.now() - started) * 1e6);
    if (!ctx.current() || r !== run) return;
    answers.forEach((a, i) => {
      const s = pending[i];
      const label = r.segments > 1 ? `segment ${s.index}, page ${s.pages + 1}` : `page ${s.pages + 1}`;
      if (a.status === 'rejected') {
        r.error = r.error || a.reason;
        if (a.reason && a.reason.$trace) r.requests.push({ label: `${label} (failed)`, trace: a.reason.$trace });
        return;
      }
      const out = a.value;
      s.pages += 1;
      s.count += out.Count || 0;
      s.scanned += out.ScannedCount || 0;
      s.capacity += out.ConsumedCapacity?.CapacityUnits || 0;
      s.lek = out.LastEvaluatedKey || null;
      s.done = !out.LastEvaluatedKey;
      if (out.$trace) r.requests.push({ label, trace: out.$trace });
      const room = MAX_ROWS - r.items.length;
      const got = out.Items || [];
      if (got.length > room) r.truncated = true;
      r.items.push(...got.slice(0, Math.max(0, room)));
    });
    runButton.disabled = false;
    render(false);
    if (refocus) (loadMore.disabled ? results.querySelector('.ex-items h2') : loadMore)?.focus();
  }

  function render(busy) {
    const r = run;
    if (!r) return;
    const more = r.segs.some((s) => !s.done);
    loadMore.disabled = busy || !more || r.truncated;
    loadMore.classList.toggle('hidden', !more && !busy);
    r.table.setItems(r.items);
    exports.refresh();
    if (r.error && r.segs.every((x) => x.pages === 0)) {
      // Nothing was read: the error alone (the form above keeps what was typed).
      replace(results, errorBox(r.error));
      return;
    }
    replace(
      results,
      r.error ? errorBox(r.error) : null,
      summaryPanel(r, { busy, more, traceId }),
      opened,
      h(
        'section',
        { class: 'panel ex-items', 'aria-label': 'Items' },
        h('div', { class: 'toolbar' }, h('h2', { tabindex: '-1' }, 'Items'), h('span', { class: 'spacer' }), loadMore, exports.el),
        exports.help,
        r.truncated ? h('p', { class: 'notice' }, `Only the first ${count(MAX_ROWS)} items are kept. Narrow the key condition or the filter to see the others.`) : null,
        r.table.el,
      ),
      tracePanel(r, traceId),
    );
  }

  replace(root, form, results);
  sync();
  if (mode === 'Query' && !pk.input.value) pk.input.setAttribute('autofocus', '');
}

/** The figures of several traces added up (each numeric figure summed). */
export function sumTraces(traces) {
  const out = {};
  for (const t of traces) for (const [k, v] of Object.entries(t || {})) if (typeof v === 'number') out[k] = (out[k] || 0) + v;
  return out;
}

/** `body` as indented JSON, each scalar attribute value on one line (`{"S": "x"}`). */
export function requestText(body) {
  return JSON.stringify(body, null, 2).replace(/\{\n\s+("(?:S|N|B|BOOL|NULL)": [^\n{}[\]]*)\n\s+\}/g, '{$1}');
}

/** Moves to the element `id` of this page (a same-page link must not change the route's hash). */
function jumpTo(e, id) {
  e.preventDefault();
  const el = document.getElementById(id);
  if (el) {
    el.scrollIntoView({ block: 'start' });
    el.focus({ preventScroll: true });
  }
}

/** Count, ScannedCount, capacity and requests of run `r`; per segment for a parallel scan. */
function summaryPanel(r, { busy, more, traceId }) {
  const total = (k) => r.segs.reduce((s, x) => s + x[k], 0);
  const state = busy ? 'Reading…' : r.truncated ? `Stopped at ${count(MAX_ROWS)} items` : more ? 'More to read (Load more)' : 'Read to the end';
  const traced = sumTraces(r.requests.map((q) => q.trace));
  const facts = [
    ['Count', count(total('count')), 'items returned (after the filter)'],
    ['ScannedCount', count(total('scanned')), 'items read (before the filter)'],
    ['Consumed capacity', consumed(total('capacity'), 'read', true), 'summed over the requests'],
    ['Requests', count(r.requests.length), r.segments > 1 ? `${r.segments} segments in parallel` : 'one a page'],
    [
      'Server time',
      typeof traced.operation_nanos === 'number' ? nanos(traced.operation_nanos) : '—',
      h('a', { href: `#${traceId}`, onclick: (e) => jumpTo(e, traceId) }, 'latency breakdown'),
    ],
    ['Items kept', count(r.items.length), `at most ${count(MAX_ROWS)}`],
  ];
  const segTable =
    r.segments > 1
      ? h(
          'table',
          { class: 'list ex-segs' },
          h('caption', {}, `Parallel scan: ${r.segments} segments read concurrently, results merged in segment order`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Segment', 'Pages', 'Count', 'ScannedCount', 'Capacity', 'State'].map((c, i) => h('th', { scope: 'col', class: i > 0 && i < 5 ? 'num' : false }, c)),
            ),
          ),
          h(
            'tbody',
            {},
            r.segs.map((s) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, String(s.index)),
                h('td', { class: 'num' }, count(s.pages)),
                h('td', { class: 'num' }, count(s.count)),
                h('td', { class: 'num' }, count(s.scanned)),
                h('td', { class: 'num' }, consumed(s.capacity, 'read', true)),
                h('td', {}, s.done ? 'done' : 'more'),
              ),
            ),
          ),
        )
      : null;
  const request = { ...r.body };
  if (r.op === 'Scan' && r.segments > 1) Object.assign(request, { Segment: 0, TotalSegments: r.segments });
  const sentNote = r.segments > 1 ? `\n\nSent once a segment (Segment 0 to ${r.segments - 1}), each page with the previous page's LastEvaluatedKey as ExclusiveStartKey.` : '';
  return h(
    'section',
    { class: 'panel ex-summary', 'aria-label': 'Summary' },
    h('h2', {}, `${r.op} `, h('span', { class: `status ex-state${busy ? '' : more ? ' more' : ' ACTIVE'}` }, state)),
    h(
      'div',
      { class: 'ex-sumrow' },
      h('dl', { class: 'ex-tiles' }, facts.map(([k, v, hint]) => h('div', { class: 'ex-tile' }, h('dt', {}, k), h('dd', {}, h('span', { class: 'ex-fig' }, v), h('span', { class: 'hint' }, hint))))),
      segTable,
    ),
    h(
      'details',
      { class: 'ex-request' },
      h('summary', {}, 'Request sent'),
      h('pre', { class: 'ex-json', tabindex: '0' }, `${r.op}\n${requestText(request)}${sentNote}`),
    ),
  );
}

/** The latency breakdown of run `r`: its requests summed, or one of them. */
function tracePanel(r, id) {
  const panel = h('section', { class: 'panel ex-trace', id, tabindex: '-1', 'aria-label': 'Latency breakdown' });
  const n = r.requests.length;
  if (n === 0) {
    replace(panel, h('h2', {}, 'Latency breakdown'), h('p', { class: 'muted' }, 'No request answered yet.'));
    return panel;
  }
  const choice = select(
    [['all', n === 1 ? `The run’s only request (${r.requests[0].label})` : `The whole run: ${n} requests, summed`], ...r.requests.map((q, i) => [String(i), q.label])],
    'all',
    { id: uid('ex_trace') },
  );
  const view = h('div', {});
  const note = h('p', { class: 'hint' });
  function show() {
    const summed = choice.value === 'all' && n > 1;
    note.classList.toggle('hidden', !summed);
    replace(
      note,
      `Each figure is summed over the run’s requests (each page${r.segments > 1 ? ' of each segment' : ''}). ` +
        (r.segments > 1 ? `Concurrent segments overlap, so the summed round trip exceeds the run’s wall time (${(r.wallNanos / 1e6).toFixed(1)} ms). ` : '') +
        'Pick one request above to see it alone.',
    );
    if (choice.value === 'all') {
      const title = n === 1 ? `Latency breakdown of ${r.requests[0].label}` : `Latency breakdown summed over ${n} requests`;
      replace(view, traceView(sumTraces(r.requests.map((q) => q.trace)), { title }));
    } else {
      const q = r.requests[Number(choice.value)];
      replace(view, traceView(q.trace, { title: `Latency breakdown of ${q.label}` }));
    }
  }
  choice.addEventListener('change', show);
  replace(
    panel,
    h('div', { class: 'toolbar' }, h('h2', {}, 'Latency breakdown'), h('span', { class: 'spacer' }), h('label', { for: choice.id, class: 'inline' }, 'Show'), choice),
    note,
    view,
  );
  show();
  return panel;
}
