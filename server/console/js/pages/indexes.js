// A table's indexes (`#/table/<name>/indexes`): its global and local secondary indexes
// (DescribeTable), the backfill progress of a global index being created (its `Backfilling`
// flag and CloudWatch's OnlineIndexPercentageProgress), refreshed every second while an index
// or the table is changing; creating a global index on the live table and deleting one
// (UpdateTable GlobalSecondaryIndexUpdates), and the provisioned capacity of the table and of
// each global index.

import { h, replace, errorBox, field, select } from '../dom.js';
import { keyOf, bytes, count, projection, time } from '../format.js';

const TYPES = [['S', 'String'], ['N', 'Number'], ['B', 'Binary']];
const TYPE_NAMES = Object.fromEntries(TYPES);
const PROJECTIONS = [['ALL', 'All attributes'], ['KEYS_ONLY', 'Keys only'], ['INCLUDE', 'Keys and listed attributes']];
/** Statuses that change on their own: the page refreshes every second while one is shown. */
const BUSY = new Set(['CREATING', 'UPDATING', 'DELETING']);
const POLL_MS = 1000;

let ids = 0;

/** A labelled field around an existing control (a select). */
function labelled(label, control, cls = '') {
  control.id = control.id || `ix_${++ids}`;
  return h('div', { class: `field ${cls}` }, h('label', { for: control.id }, label), control);
}

function isProvisioned(t) {
  return ((t.BillingModeSummary && t.BillingModeSummary.BillingMode) || 'PROVISIONED') === 'PROVISIONED';
}

/** Capacity units as `5 RCU, 5 WCU`, or `On-demand` (with its maximums when set). */
function capacityText(t, p, onDemand) {
  if (!isProvisioned(t)) {
    const max = [];
    if (onDemand?.MaxReadRequestUnits > 0) max.push(`max ${onDemand.MaxReadRequestUnits} RRU`);
    if (onDemand?.MaxWriteRequestUnits > 0) max.push(`max ${onDemand.MaxWriteRequestUnits} WRU`);
    return max.length ? `On-demand (${max.join(', ')})` : 'On-demand';
  }
  return `${p?.ReadCapacityUnits ?? '?'} RCU, ${p?.WriteCapacityUnits ?? '?'} WCU`;
}

/** A form to type `name` before `onConfirm()` runs; Escape or Cancel closes it. */
function confirmForm({ name, what, button, onConfirm, onClose }) {
  const input = h('input', { type: 'text', 'aria-label': `Type ${name} to confirm`, spellcheck: 'false', autocomplete: 'off' });
  const go = h('button', { type: 'submit', class: 'danger primary', disabled: true }, button);
  const errors = h('div', { 'aria-live': 'polite' });
  input.addEventListener('input', () => {
    go.disabled = input.value !== name;
  });
  const form = h(
    'form',
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        if (input.value !== name) return;
        go.disabled = true;
        try {
          await onConfirm();
        } catch (e) {
          replace(errors, errorBox(e));
          go.disabled = false;
        }
      },
      onkeydown: (ev) => {
        if (ev.key === 'Escape') onClose();
      },
    },
    errors,
    h('p', {}, what, ' Type ', h('strong', {}, name), ' to confirm:'),
    h('div', { class: 'toolbar' }, input, go, h('button', { type: 'button', onclick: onClose }, 'Cancel')),
  );
  return { form, focus: () => input.focus() };
}

/** Read and write capacity fields with a submit button; Escape cancels when `onClose` is given. */
function capacityForm({ p, button, onSave, onClose }) {
  const rcu = field({ label: 'Read capacity units', type: 'number', min: '1', step: '1', required: true, value: String(p?.ReadCapacityUnits ?? 5), class: 'narrow' });
  const wcu = field({ label: 'Write capacity units', type: 'number', min: '1', step: '1', required: true, value: String(p?.WriteCapacityUnits ?? 5), class: 'narrow' });
  const errors = h('div', { 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', class: 'primary' }, button);
  const form = h(
    'form',
    {
      class: 'ix-form',
      onsubmit: async (ev) => {
        ev.preventDefault();
        save.disabled = true;
        replace(errors);
        try {
          await onSave({ ReadCapacityUnits: Number(rcu.input.value), WriteCapacityUnits: Number(wcu.input.value) });
        } catch (e) {
          replace(errors, errorBox(e));
        } finally {
          save.disabled = false;
        }
      },
      onkeydown: (ev) => {
        if (ev.key === 'Escape' && onClose) onClose();
      },
    },
    errors,
    h('div', { class: 'row' }, rcu.el, wcu.el, h('div', { class: 'field' }, save, onClose ? [' ', h('button', { type: 'button', onclick: onClose }, 'Cancel')] : null)),
  );
  // A refresh shows the current capacity in the fields the user has not changed.
  const edited = new Set();
  for (const f of [rcu, wcu]) f.input.addEventListener('input', () => edited.add(f.input));
  form.addEventListener('submit', () => edited.clear());
  return {
    form,
    focus: () => rcu.input.focus(),
    set(pt) {
      if (!edited.has(rcu.input)) rcu.input.value = String(pt?.ReadCapacityUnits ?? 5);
      if (!edited.has(wcu.input)) wcu.input.value = String(pt?.WriteCapacityUnits ?? 5);
    },
  };
}

export async function indexesPage(root, ctx) {
  const [name] = ctx.params;
  /** The last DescribeTable answer's Table. */
  let table = null;
  let timer = null;
  let generation = 0;
  /** Each global index's row, by name: `{ tbody, cells, edit, del, data }`. */
  const rows = new Map();

  // The table's state is a live region; the refresh clock beside it is not (it changes every second).
  const statusText = h('span', { role: 'status' });
  const statusClock = h('span', {});
  const status = h('p', { class: 'muted' }, statusText, statusClock);
  const notices = h('div', { 'aria-live': 'polite' });
  const loadErrors = h('div', { 'aria-live': 'polite' });
  const createButton = h('button', { type: 'button', class: 'primary', 'aria-expanded': 'false', 'aria-controls': 'ix-create' }, 'Create global index');
  const formPanel = h('section', { class: 'panel hidden', id: 'ix-create', 'aria-labelledby': 'ix-create-h' });
  const gsiTbodyHost = h('table', { class: 'list ix-list' });
  const gsiEmpty = h('p', { class: 'muted hidden' }, 'No global secondary indexes.');
  const lsiBody = h('div', {});
  const capacityBody = h('div', {});

  replace(
    root,
    h(
      'p',
      { class: 'muted' },
      'Global secondary indexes can be added to and deleted from the live table: a new one is CREATING while the server backfills it from the table’s items in the background, and serves queries once ACTIVE. Local secondary indexes are fixed when the table is created. This page refreshes every second while an index is changing.',
    ),
    h('div', { class: 'toolbar' }, createButton, h('button', { type: 'button', onclick: () => load() }, 'Refresh'), h('span', { class: 'spacer' }), status),
    notices,
    loadErrors,
    formPanel,
    h('section', { class: 'panel' }, h('h2', {}, 'Global secondary indexes'), gsiEmpty, gsiTbodyHost),
    h('section', { class: 'panel' }, h('h2', {}, 'Local secondary indexes'), lsiBody),
    h('section', { class: 'panel' }, h('h2', {}, 'Table capacity'), capacityBody),
  );
  gsiTbodyHost.append(
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Name', 'Status', 'Partition key', 'Sort key', 'Projection', 'Capacity', 'Items', 'Size', 'Actions'].map((c) =>
          h('th', { scope: 'col', class: c === 'Items' || c === 'Size' ? 'num' : false }, c),
        ),
      ),
    ),
  );

  createButton.addEventListener('click', () => {
    if (formPanel.classList.contains('hidden')) openCreate();
    else closeCreate();
  });

  function notice(text) {
    replace(notices, h('div', { class: 'notice' }, text));
  }

  function schedule(busy) {
    clearTimeout(timer);
    timer = null;
    if (busy && ctx.current()) {
      timer = setTimeout(() => {
        if (ctx.current()) load();
      }, POLL_MS);
    }
  }

  /** CloudWatch's backfill percentage of each index in `names` (the last minute's maximum). */
  async function progressOf(names) {
    if (names.length === 0) return {};
    const now = Date.now() / 1000;
    try {
      const r = await ctx.api.cloudwatch('GetMetricData', {
        StartTime: Math.floor(now - 180),
        EndTime: Math.ceil(now + 60),
        ScanBy: 'TimestampDescending',
        MetricDataQueries: names.map((n, i) => ({
          Id: `p${i}`,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/DynamoDB',
              MetricName: 'OnlineIndexPercentageProgress',
              Dimensions: [{ Name: 'TableName', Value: name }, { Name: 'GlobalSecondaryIndexName', Value: n }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        })),
      });
      const out = {};
      names.forEach((n, i) => {
        const res = (r.MetricDataResults || []).find((x) => x.Id === `p${i}`);
        if (!res || !res.Values || res.Values.length === 0) return;
        let best = 0;
        res.Timestamps.forEach((t, j) => {
          if (Number(t) >= Number(res.Timestamps[best])) best = j;
        });
        out[n] = { percent: Math.min(99, Number(res.Values[best])) };
      });
      return out;
    } catch (e) {
      return Object.fromEntries(names.map((n) => [n, { error: e }]));
    }
  }

  async function load() {
    const mine = ++generation;
    clearTimeout(timer);
    let d;
    try {
      d = await ctx.api.dynamodb('DescribeTable', { TableName: name });
    } catch (e) {
      if (!ctx.current() || mine !== generation) return;
      replace(loadErrors, errorBox(e));
      replace(statusText, 'Not refreshed.');
      replace(statusClock);
      schedule(false);
      return;
    }
    const t = d.Table;
    const gsis = t.GlobalSecondaryIndexes || [];
    const progress = await progressOf(gsis.filter((g) => g.IndexStatus === 'CREATING').map((g) => g.IndexName));
    if (!ctx.current() || mine !== generation) return;
    replace(loadErrors);
    table = t;
    renderGsis(t, gsis, progress);
    renderLsis(t);
    renderCapacity(t);
    const busy = BUSY.has(t.TableStatus) || gsis.some((g) => BUSY.has(g.IndexStatus));
    const at = new Date().toLocaleTimeString();
    const text = busy ? `Table ${t.TableStatus}; an index is changing: refreshing every second` : `Table ${t.TableStatus}`;
    if (statusText.textContent !== text) replace(statusText, text);
    replace(statusClock, ` · refreshed ${at}`);
    schedule(busy);
  }

  function statusCell(g, p) {
    const s = g.IndexStatus || 'ACTIVE';
    const out = [h('span', { class: `status ${s}` }, s)];
    if (g.Backfilling || s === 'CREATING') {
      const percent = p && typeof p.percent === 'number' ? p.percent : null;
      const bar = h('progress', { max: '100', 'aria-label': `Backfill of ${g.IndexName}` });
      if (percent !== null) bar.value = percent;
      out.push(
        h(
          'div',
          { class: 'ix-backfill' },
          bar,
          h(
            'span',
            {},
            g.Backfilling ? 'Backfilling' : 'Creating',
            percent !== null ? `: ${percent}%` : p?.error ? ` (progress unavailable: ${p.error.code || p.error.message})` : '…',
          ),
        ),
      );
    }
    return out;
  }

  function renderGsis(t, gsis, progress) {
    gsiEmpty.classList.toggle('hidden', gsis.length > 0);
    gsiTbodyHost.classList.toggle('hidden', gsis.length === 0);
    const names = new Set(gsis.map((g) => g.IndexName));
    for (const [n, r] of rows) {
      if (!names.has(n)) {
        r.tbody.remove();
        rows.delete(n);
      }
    }
    let prev = gsiTbodyHost.tHead;
    for (const g of gsis) {
      let r = rows.get(g.IndexName);
      if (!r) {
        r = gsiRow(g.IndexName);
        rows.set(g.IndexName, r);
      }
      // The server's order; a row already in place is not moved (moving it would drop the focus).
      if (prev.nextElementSibling !== r.tbody) prev.after(r.tbody);
      prev = r.tbody;
      r.data = g;
      const c = r.cells;
      replace(c.status, statusCell(g, progress[g.IndexName]));
      replace(c.pk, keyOf(g.KeySchema, t.AttributeDefinitions, 'HASH'));
      replace(c.sk, keyOf(g.KeySchema, t.AttributeDefinitions, 'RANGE'));
      replace(c.projection, projection(g.Projection));
      replace(c.capacity, capacityText(t, g.ProvisionedThroughput, g.OnDemandThroughput));
      replace(c.items, count(g.ItemCount));
      replace(c.size, bytes(g.IndexSizeBytes));
      const s = g.IndexStatus || 'ACTIVE';
      r.edit.classList.toggle('hidden', !isProvisioned(t));
      r.edit.disabled = s !== 'ACTIVE';
      r.del.disabled = s === 'DELETING';
    }
  }

  function gsiRow(indexName) {
    const cells = {};
    for (const k of ['status', 'pk', 'sk', 'projection', 'capacity', 'items', 'size']) cells[k] = h('td', { class: k === 'items' || k === 'size' ? 'num' : false });
    const edit = h('button', { type: 'button' }, 'Edit capacity');
    const del = h('button', { type: 'button', class: 'danger' }, 'Delete');
    const main = h('tr', {}, h('th', { scope: 'row' }, indexName), cells.status, cells.pk, cells.sk, cells.projection, cells.capacity, cells.items, cells.size, h('td', { class: 'ix-actions' }, edit, del));
    const tbody = h('tbody', {}, main);
    const r = { tbody, cells, edit, del, data: null };
    /** Opens `build(close)`'s form in a row under the index (one at a time). */
    const openRow = (cls, opener, build) => {
      tbody.querySelector('.ix-extra')?.remove();
      const td = h('td', { colspan: '9' });
      const tr = h('tr', { class: `ix-extra ${cls}` }, td);
      const close = () => {
        tr.remove();
        opener.focus();
      };
      const f = build(close);
      td.append(f.form);
      tbody.append(tr);
      f.focus();
    };
    del.addEventListener('click', () =>
      openRow('confirm', del, (close) =>
        confirmForm({
          name: indexName,
          what: ['Delete the global secondary index ', h('strong', {}, indexName), '? Queries on it stop working; the table’s items stay.'],
          button: 'Delete index',
          onClose: close,
          onConfirm: async () => {
            await ctx.api.dynamodb('UpdateTable', { TableName: name, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: indexName } }] });
            notice(`Deleting index ${indexName}.`);
            close();
            load();
          },
        }),
      ),
    );
    edit.addEventListener('click', () =>
      openRow('editing', edit, (close) =>
        capacityForm({
          p: r.data?.ProvisionedThroughput,
          button: 'Save capacity',
          onClose: close,
          onSave: async (pt) => {
            await ctx.api.dynamodb('UpdateTable', { TableName: name, GlobalSecondaryIndexUpdates: [{ Update: { IndexName: indexName, ProvisionedThroughput: pt } }] });
            notice(`Capacity of index ${indexName} set to ${pt.ReadCapacityUnits} RCU, ${pt.WriteCapacityUnits} WCU.`);
            close();
            load();
          },
        }),
      ),
    );
    return r;
  }

  function renderLsis(t) {
    const lsis = t.LocalSecondaryIndexes || [];
    if (lsis.length === 0) {
      replace(lsiBody, h('p', { class: 'muted' }, 'None (local indexes can only be defined when a table is created).'));
      return;
    }
    replace(
      lsiBody,
      h(
        'table',
        { class: 'list' },
        h('thead', {}, h('tr', {}, ['Name', 'Partition key', 'Sort key', 'Projection', 'Items', 'Size'].map((c) => h('th', { scope: 'col', class: c === 'Items' || c === 'Size' ? 'num' : false }, c)))),
        h(
          'tbody',
          {},
          lsis.map((i) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, i.IndexName),
              h('td', {}, keyOf(i.KeySchema, t.AttributeDefinitions, 'HASH')),
              h('td', {}, keyOf(i.KeySchema, t.AttributeDefinitions, 'RANGE')),
              h('td', {}, projection(i.Projection)),
              h('td', { class: 'num' }, count(i.ItemCount)),
              h('td', { class: 'num' }, bytes(i.IndexSizeBytes)),
            ),
          ),
        ),
      ),
    );
  }

  let tableCapacity = null;
  let tableCapacityFacts = null;
  function renderCapacity(t) {
    if (!isProvisioned(t)) {
      tableCapacity = null;
      replace(capacityBody, h('p', {}, capacityText(t, null, t.OnDemandThroughput), h('span', { class: 'muted' }, ': the table and its global indexes are billed by request; there is no capacity to set.')));
      return;
    }
    const p = t.ProvisionedThroughput || {};
    const facts = h(
      'dl',
      { class: 'facts' },
      [
        ['Provisioned', capacityText(t, p)],
        ['Last increase', p.LastIncreaseDateTime ? time(p.LastIncreaseDateTime) : '—'],
        ['Last decrease', p.LastDecreaseDateTime ? time(p.LastDecreaseDateTime) : '—'],
        ['Decreases today', String(p.NumberOfDecreasesToday ?? 0)],
      ].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    );
    if (!tableCapacity) {
      tableCapacity = capacityForm({
        p,
        button: 'Update table capacity',
        onSave: async (pt) => {
          await ctx.api.dynamodb('UpdateTable', { TableName: name, ProvisionedThroughput: pt });
          notice(`Table capacity set to ${pt.ReadCapacityUnits} RCU, ${pt.WriteCapacityUnits} WCU.`);
          load();
        },
      });
      tableCapacityFacts = h('div', {});
      replace(
        capacityBody,
        tableCapacityFacts,
        h('p', { class: 'muted' }, 'Decreases are limited (DynamoDB: 4 a day, then one an hour); the server refuses one past the limit.'),
        tableCapacity.form,
      );
    } else {
      tableCapacity.set(p);
    }
    replace(tableCapacityFacts, facts);
  }

  // ---- Create a global index ----

  function closeCreate() {
    formPanel.classList.add('hidden');
    replace(formPanel);
    createButton.setAttribute('aria-expanded', 'false');
    createButton.focus();
  }

  function keyFields(label, optional) {
    const n = field({ label, hint: optional ? '(optional)' : '', type: 'text', spellcheck: 'false', autocomplete: 'off', required: !optional });
    const type = select(TYPES, 'S', {});
    const hint = h('span', { class: 'hint' });
    const typeField = labelled(`${label}: type`, type, 'narrow');
    typeField.append(hint);
    // A name the table already defines keeps its type (one attribute, one type).
    n.input.addEventListener('input', () => {
      const def = (table?.AttributeDefinitions || []).find((a) => a.AttributeName === n.input.value.trim());
      type.disabled = !!def;
      if (def) type.value = def.AttributeType;
      replace(hint, def ? `defined as ${TYPE_NAMES[def.AttributeType] || def.AttributeType}` : '');
    });
    return { els: [n.el, typeField], name: n.input, type };
  }

  function openCreate() {
    if (!table) return;
    const errors = h('div', { 'aria-live': 'polite' });
    const indexName = field({ id: 'ix-create-name', label: 'Index name', type: 'text', spellcheck: 'false', autocomplete: 'off', required: true, pattern: '[a-zA-Z0-9_.\\-]{3,255}', title: '3 to 255 letters, digits, _ - .' });
    const pk = keyFields('Partition key', false);
    const sk = keyFields('Sort key', true);
    const projType = select(PROJECTIONS, 'ALL', {});
    const attrs = field({ label: 'Projected attributes', hint: '(comma-separated, besides the keys)', type: 'text', spellcheck: 'false' });
    attrs.el.classList.add('hidden');
    projType.addEventListener('change', () => attrs.el.classList.toggle('hidden', projType.value !== 'INCLUDE'));
    const provisioned = isProvisioned(table);
    const rcu = field({ label: 'Read capacity units', type: 'number', min: '1', step: '1', value: String(table.ProvisionedThroughput?.ReadCapacityUnits || 5), class: 'narrow' });
    const wcu = field({ label: 'Write capacity units', type: 'number', min: '1', step: '1', value: String(table.ProvisionedThroughput?.WriteCapacityUnits || 5), class: 'narrow' });
    const submit = h('button', { type: 'submit', class: 'primary' }, 'Create index');

    function request() {
      const defs = new Map();
      const define = (k) => {
        const n = k.name.value.trim();
        if (!n) return null;
        if (defs.has(n)) throw Object.assign(new Error(`The partition key and the sort key are both ${n}.`), { code: 'FormError' });
        defs.set(n, k.type.value);
        return n;
      };
      const hash = define(pk);
      const range = define(sk);
      if (!hash) throw Object.assign(new Error('An index needs a partition key.'), { code: 'FormError' });
      const keySchema = [{ AttributeName: hash, KeyType: 'HASH' }];
      if (range) keySchema.push({ AttributeName: range, KeyType: 'RANGE' });
      const p = { ProjectionType: projType.value };
      if (projType.value === 'INCLUDE') {
        p.NonKeyAttributes = attrs.input.value.split(',').map((s) => s.trim()).filter(Boolean);
        if (p.NonKeyAttributes.length === 0) throw Object.assign(new Error('INCLUDE needs at least one projected attribute.'), { code: 'FormError' });
      }
      const create = { IndexName: indexName.input.value.trim(), KeySchema: keySchema, Projection: p };
      if (provisioned) create.ProvisionedThroughput = { ReadCapacityUnits: Number(rcu.input.value), WriteCapacityUnits: Number(wcu.input.value) };
      return {
        TableName: name,
        AttributeDefinitions: [...defs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
        GlobalSecondaryIndexUpdates: [{ Create: create }],
      };
    }

    const form = h(
      'form',
      {
        class: 'ix-form',
        onsubmit: async (ev) => {
          ev.preventDefault();
          replace(errors);
          submit.disabled = true;
          try {
            const r = request();
            await ctx.api.dynamodb('UpdateTable', r);
            if (!ctx.current()) return;
            notice(`Creating index ${r.GlobalSecondaryIndexUpdates[0].Create.IndexName}: the server is backfilling it from the table's items.`);
            closeCreate();
            load();
          } catch (e) {
            if (!ctx.current()) return;
            replace(errors, errorBox(e));
            errors.firstChild.setAttribute('tabindex', '-1');
            errors.firstChild.focus();
          } finally {
            submit.disabled = false;
          }
        },
        onkeydown: (ev) => {
          if (ev.key === 'Escape') closeCreate();
        },
      },
      errors,
      indexName.el,
      h('div', { class: 'row' }, ...pk.els, ...sk.els),
      h('div', { class: 'row' }, labelled('Projection', projType), attrs.el),
      provisioned ? h('div', { class: 'row' }, rcu.el, wcu.el) : h('p', { class: 'muted' }, 'The table is on-demand: the index is billed by request too.'),
      h('p', { class: 'muted' }, 'Items without the index’s key attributes (or with another type) are not in the index. The server backfills one index at a time.'),
      h('div', { class: 'toolbar' }, submit, h('button', { type: 'button', onclick: closeCreate }, 'Cancel')),
    );
    replace(formPanel, h('h2', { id: 'ix-create-h' }, 'Create a global secondary index'), form);
    formPanel.classList.remove('hidden');
    createButton.setAttribute('aria-expanded', 'true');
    indexName.input.focus();
  }

  await load();
}
