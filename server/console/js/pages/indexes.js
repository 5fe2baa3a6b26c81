// A table's indexes (`#/table/<name>/indexes`): its global and local secondary indexes
// (DescribeTable), the backfill progress of a global index being created (its `Backfilling`
// flag and CloudWatch's OnlineIndexPercentageProgress), refreshed every second while an index
// or the table is changing; creating a global index on the live table and deleting one
// (UpdateTable GlobalSecondaryIndexUpdates), and the provisioned capacity of the table and of
// each global index.

import { h, replace, errorBox, field, facts, notice, showNotice, showError } from '../dom.js';
import { keyLabel, bytes, count, projection, time, capacity, isProvisioned } from '../format.js';
import { confirmInRow } from '../confirm.js';
import { TABLE_NAME_INPUT, keyFields, projectionFields, capacityFields } from '../schema_fields.js';

/** Statuses that change on their own: the page refreshes every second while one is shown. */
const BUSY = new Set(['CREATING', 'UPDATING', 'DELETING']);
const POLL_MS = 1000;
/** After a failed refresh, the next one waits twice as long, up to this. */
const RETRY_MAX_MS = 30000;
const COLUMNS = 9;

/** Read and write capacity fields with a submit button; Escape cancels when `onClose` is given. */
function capacityForm({ p, button, onSave, onClose }) {
  const cap = capacityFields(p);
  const errors = h('div', { 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', class: 'primary' }, button);
  cap.el.append(h('div', { class: 'field' }, save, onClose ? [' ', h('button', { type: 'button', onclick: onClose }, 'Cancel')] : null));
  const form = h(
    'form',
    {
      class: 'ix-form',
      onsubmit: async (ev) => {
        ev.preventDefault();
        save.disabled = true;
        replace(errors);
        try {
          await onSave(cap.value());
        } catch (e) {
          showError(errors, e);
        } finally {
          save.disabled = false;
        }
      },
      onkeydown: (ev) => {
        if (ev.key === 'Escape' && onClose) onClose();
      },
    },
    errors,
    cap.el,
  );
  // A refresh shows the current capacity in the fields the user has not changed.
  const edited = new Set();
  for (const input of [cap.rcu, cap.wcu]) input.addEventListener('input', () => edited.add(input));
  form.addEventListener('submit', () => edited.clear());
  return {
    form,
    focus: () => cap.rcu.focus(),
    set(pt) {
      if (!edited.has(cap.rcu)) cap.rcu.value = String(pt?.ReadCapacityUnits ?? 5);
      if (!edited.has(cap.wcu)) cap.wcu.value = String(pt?.WriteCapacityUnits ?? 5);
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

  /** Says what was done (without moving the focus). */
  function say(text) {
    replace(notices, notice(text));
  }

  /** Refreshes again after `ms` (none when 0). */
  function schedule(ms) {
    clearTimeout(timer);
    timer = null;
    if (ms && ctx.current()) {
      timer = setTimeout(() => {
        if (ctx.current()) load();
      }, ms);
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

  /** Whether the last refresh saw something changing (the page polls while it does). */
  let changing = false;
  /** The wait before the next refresh after a failed one (0: none failed). */
  let retryMs = 0;

  async function load() {
    const mine = ++generation;
    clearTimeout(timer);
    let d;
    try {
      d = await ctx.api.dynamodb('DescribeTable', { TableName: name });
    } catch (e) {
      if (!ctx.current() || mine !== generation) return;
      replace(loadErrors, errorBox(e));
      replace(statusClock);
      if (changing && e.code !== 'ResourceNotFoundException') {
        // A failed refresh while an index changes: try again, waiting longer each time.
        retryMs = Math.min(RETRY_MAX_MS, retryMs ? retryMs * 2 : POLL_MS * 2);
        replace(statusText, `Not refreshed: trying again in ${retryMs / 1000} s.`);
        schedule(retryMs);
      } else {
        replace(statusText, 'Not refreshed.');
        schedule(0);
      }
      return;
    }
    retryMs = 0;
    const t = d.Table;
    const gsis = t.GlobalSecondaryIndexes || [];
    const progress = await progressOf(gsis.filter((g) => g.IndexStatus === 'CREATING').map((g) => g.IndexName));
    if (!ctx.current() || mine !== generation) return;
    replace(loadErrors);
    table = t;
    renderGsis(t, gsis, progress);
    renderLsis(t);
    renderCapacity(t);
    changing = BUSY.has(t.TableStatus) || gsis.some((g) => BUSY.has(g.IndexStatus));
    const at = new Date().toLocaleTimeString();
    const text = changing ? `Table ${t.TableStatus}; an index is changing: refreshing every second` : `Table ${t.TableStatus}`;
    if (statusText.textContent !== text) replace(statusText, text);
    replace(statusClock, ` · refreshed ${at}`);
    schedule(changing ? POLL_MS : 0);
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
      replace(c.pk, keyLabel(g.KeySchema, t.AttributeDefinitions, 'HASH'));
      replace(c.sk, keyLabel(g.KeySchema, t.AttributeDefinitions, 'RANGE'));
      replace(c.projection, projection(g.Projection));
      replace(c.capacity, capacity(t, g.ProvisionedThroughput, g.OnDemandThroughput));
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
    const edit = h('button', { type: 'button', 'aria-label': `Edit capacity of ${indexName}` }, 'Edit capacity');
    const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${indexName}` }, 'Delete');
    const main = h('tr', {}, h('th', { scope: 'row' }, indexName), cells.status, cells.pk, cells.sk, cells.projection, cells.capacity, cells.items, cells.size, h('td', { class: 'ix-actions' }, edit, del));
    const tbody = h('tbody', {}, main);
    const r = { tbody, cells, edit, del, data: null };
    /** Opens `build(close)`'s form in a row under the index (one at a time, as the delete confirmation). */
    const openRow = (cls, opener, build) => {
      tbody.querySelector('.ix-extra')?.remove();
      const td = h('td', { colspan: String(COLUMNS) });
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
    del.addEventListener('click', () => {
      if (!tbody.querySelector('.ix-extra.confirm')) tbody.querySelector('.ix-extra')?.remove();
      confirmInRow(main, COLUMNS, del, {
        rowClass: 'ix-extra',
        message: h('p', {}, 'Delete the global secondary index ', h('strong', {}, indexName), '? Queries on it stop working; the table’s items stay.'),
        typeToConfirm: indexName,
        confirmLabel: 'Delete index',
        label: `Delete index ${indexName}`,
        run: () => ctx.api.dynamodb('UpdateTable', { TableName: name, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: indexName } }] }),
        onDone: () => {
          // The row goes once the index is gone: the focus goes to the message.
          showNotice(notices, `Deleting index ${indexName}.`);
          load();
        },
      });
    });
    edit.addEventListener('click', () =>
      openRow('editing', edit, (close) =>
        capacityForm({
          p: r.data?.ProvisionedThroughput,
          button: 'Save capacity',
          onClose: close,
          onSave: async (pt) => {
            await ctx.api.dynamodb('UpdateTable', { TableName: name, GlobalSecondaryIndexUpdates: [{ Update: { IndexName: indexName, ProvisionedThroughput: pt } }] });
            say(`Capacity of index ${indexName} set to ${pt.ReadCapacityUnits} RCU, ${pt.WriteCapacityUnits} WCU.`);
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
              h('td', {}, keyLabel(i.KeySchema, t.AttributeDefinitions, 'HASH')),
              h('td', {}, keyLabel(i.KeySchema, t.AttributeDefinitions, 'RANGE')),
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
      replace(capacityBody, h('p', {}, capacity(t, null, t.OnDemandThroughput), h('span', { class: 'muted' }, ': the table and its global indexes are billed by request; there is no capacity to set.')));
      return;
    }
    const p = t.ProvisionedThroughput || {};
    const shown = facts([
      ['Provisioned', capacity(t, p)],
      ['Last increase', time(p.LastIncreaseDateTime)],
      ['Last decrease', time(p.LastDecreaseDateTime)],
      ['Decreases today', String(p.NumberOfDecreasesToday ?? 0)],
    ]);
    if (!tableCapacity) {
      tableCapacity = capacityForm({
        p,
        button: 'Update table capacity',
        onSave: async (pt) => {
          await ctx.api.dynamodb('UpdateTable', { TableName: name, ProvisionedThroughput: pt });
          say(`Table capacity set to ${pt.ReadCapacityUnits} RCU, ${pt.WriteCapacityUnits} WCU.`);
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
    replace(tableCapacityFacts, shown);
  }

  // ---- Create a global index ----

  function closeCreate() {
    formPanel.classList.add('hidden');
    replace(formPanel);
    createButton.setAttribute('aria-expanded', 'false');
    createButton.focus();
  }

  function openCreate() {
    if (!table) return;
    const errors = h('div', { 'aria-live': 'polite' });
    const indexName = field({ id: 'ix-create-name', label: 'Index name', type: 'text', spellcheck: 'false', autocomplete: 'off', required: true, ...TABLE_NAME_INPUT });
    // A name the table already defines keeps its type (one attribute, one type).
    const defined = (n) => (table?.AttributeDefinitions || []).find((a) => a.AttributeName === n)?.AttributeType || null;
    const pk = keyFields('Partition key', false, defined);
    const sk = keyFields('Sort key', true, defined);
    const proj = projectionFields();
    const provisioned = isProvisioned(table);
    const cap = capacityFields(table.ProvisionedThroughput);
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
      const create = { IndexName: indexName.input.value.trim(), KeySchema: keySchema, Projection: proj.value() };
      if (provisioned) create.ProvisionedThroughput = cap.value();
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
            say(`Creating index ${r.GlobalSecondaryIndexUpdates[0].Create.IndexName}: the server is backfilling it from the table's items.`);
            closeCreate();
            load();
          } catch (e) {
            if (!ctx.current()) return;
            showError(errors, e);
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
      h('div', { class: 'row' }, ...proj.els),
      provisioned ? cap.el : h('p', { class: 'muted' }, 'The table is on-demand: the index is billed by request too.'),
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
