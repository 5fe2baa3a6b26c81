// A table's metrics: CloudWatch's AWS/DynamoDB series of the table (GetMetricData, one call a
// refresh) drawn as line charts (js/chart.js): consumed read and write capacity against the
// provisioned capacity, throttling, successful requests and their latency per operation,
// items returned by Query and Scan, errors and conflicts, TTL deletions, and each global
// index's capacity. ListMetrics tells which operations and indexes have series, so only those
// are asked for. The range is part of the address (`#/table/<name>/metrics/<range>`).
// What the server publishes: docs/monitoring.md.

import { h, replace, errorBox, select } from '../dom.js';
import { bytes, count, billing, isProvisioned } from '../format.js';
import { lineChart } from '../chart.js';
import { tableHash } from '../tabs.js';

const NS = 'AWS/DynamoDB';

/** `[id, label, seconds, period]`: the period keeps every chart at 300 points or fewer. */
export const RANGES = [
  ['15m', 'Last 15 minutes', 15 * 60, 60],
  ['1h', 'Last hour', 3600, 60],
  ['3h', 'Last 3 hours', 3 * 3600, 60],
  ['12h', 'Last 12 hours', 12 * 3600, 300],
  ['1d', 'Last day', 86400, 300],
  ['1w', 'Last week', 7 * 86400, 3600],
];

/** The operations with an Operation dimension, in the order the charts list them. */
const OPERATIONS = ['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems', 'GetRecords'];

const AUTO_REFRESH_SECONDS = 30;
/** ListMetrics pages read to find the table's series (500 series a page). */
const LIST_PAGES_MAX = 4;
/** GetMetricData pages read for one refresh. */
const DATA_PAGES_MAX = 10;

function periodLabel(period) {
  return period === 60 ? 'minute' : period === 3600 ? 'hour' : `${period / 60} minutes`;
}

/**
 * The table's series by metric: `{ ops: Map(metric → Set(operation)), tableMetrics:
 * Set(metric with only the TableName dimension), indexes: Map(index → Set(metric)) }`.
 */
async function discover(ctx, table) {
  const ops = new Map();
  const tableMetrics = new Set();
  const indexes = new Map();
  let token;
  for (let page = 0; page < LIST_PAGES_MAX; page++) {
    const r = await ctx.api.cloudwatch('ListMetrics', { Namespace: NS, Dimensions: [{ Name: 'TableName', Value: table }], NextToken: token });
    for (const m of r.Metrics || []) {
      const d = Object.fromEntries((m.Dimensions || []).map((x) => [x.Name, x.Value]));
      if (d.TableName !== table) continue;
      const names = Object.keys(d);
      if (names.length === 1) tableMetrics.add(m.MetricName);
      else if (names.length === 2 && d.Operation) {
        if (!ops.has(m.MetricName)) ops.set(m.MetricName, new Set());
        ops.get(m.MetricName).add(d.Operation);
      } else if (names.length === 2 && d.GlobalSecondaryIndexName) {
        if (!indexes.has(d.GlobalSecondaryIndexName)) indexes.set(d.GlobalSecondaryIndexName, new Set());
        indexes.get(d.GlobalSecondaryIndexName).add(m.MetricName);
      }
    }
    token = r.NextToken;
    if (!token) break;
  }
  return { ops, tableMetrics, indexes };
}

function opsOf(found, metric) {
  const have = found.ops.get(metric) || new Set();
  return [...OPERATIONS.filter((o) => have.has(o)), ...[...have].filter((o) => !OPERATIONS.includes(o)).sort()];
}

/**
 * The charts: `[{ title, unit, note, series: [{ label, metric, dims, stat, perSecond, dashed }] }]`.
 * `t` is DescribeTable's table (or null), `latencyStat` the statistic of latency.
 */
function chartsOf(table, t, found, period, latencyStat) {
  const td = [{ Name: 'TableName', Value: table }];
  const opDims = (op) => [...td, { Name: 'Operation', Value: op }];
  const provisioned = (t && isProvisioned(t)) || found.tableMetrics.has('ProvisionedReadCapacityUnits');
  const per = periodLabel(period);
  const capacity = (kind, dims, extra = []) => [
    { label: `Consumed ${kind.toLowerCase()}`, metric: `Consumed${kind}CapacityUnits`, dims, stat: 'Sum', perSecond: true },
    ...extra,
  ];
  const prov = (kind, dims) => ({ label: `Provisioned ${kind.toLowerCase()}`, metric: `Provisioned${kind}CapacityUnits`, dims, stat: 'Average', dashed: true });
  const capNote = `Consumed: the units charged in each ${per}, per second (Sum ÷ ${period} s).`;
  const charts = [
    { title: 'Read capacity', unit: 'units/second', note: capNote, series: capacity('Read', td, provisioned ? [prov('Read', td)] : []) },
    { title: 'Write capacity', unit: 'units/second', note: capNote, series: capacity('Write', td, provisioned ? [prov('Write', td)] : []) },
    {
      title: 'Throttling',
      unit: `count per ${per}`,
      note: 'Throttle events: requests a capacity bucket refused. Throttled requests: per operation, including batches that left items unprocessed.',
      series: [
        { label: 'Read throttle events', metric: 'ReadThrottleEvents', dims: td, stat: 'Sum' },
        { label: 'Write throttle events', metric: 'WriteThrottleEvents', dims: td, stat: 'Sum' },
        ...opsOf(found, 'ThrottledRequests').map((op) => ({ label: `Throttled ${op}`, metric: 'ThrottledRequests', dims: opDims(op), stat: 'Sum' })),
      ],
    },
    {
      title: 'Successful requests',
      unit: `count per ${per}`,
      note: 'The sample count of SuccessfulRequestLatency, per operation.',
      series: opsOf(found, 'SuccessfulRequestLatency').map((op) => ({ label: op, metric: 'SuccessfulRequestLatency', dims: opDims(op), stat: 'SampleCount' })),
    },
    {
      title: `Successful request latency (${latencyStat.toLowerCase()})`,
      unit: 'milliseconds',
      note: 'Time in the server, from the decoded request to the answer, per operation.',
      series: opsOf(found, 'SuccessfulRequestLatency').map((op) => ({ label: op, metric: 'SuccessfulRequestLatency', dims: opDims(op), stat: latencyStat })),
    },
    {
      title: 'Returned item count',
      unit: `items per ${per}`,
      note: 'Items that Query and Scan returned.',
      series: opsOf(found, 'ReturnedItemCount').map((op) => ({ label: op, metric: 'ReturnedItemCount', dims: opDims(op), stat: 'Sum' })),
    },
    {
      title: 'Errors and conflicts',
      unit: `count per ${per}`,
      series: [
        { label: 'Conditional check failed', metric: 'ConditionalCheckFailedRequests', dims: td, stat: 'Sum' },
        { label: 'Transaction conflicts', metric: 'TransactionConflict', dims: td, stat: 'Sum' },
        ...opsOf(found, 'SystemErrors').map((op) => ({ label: `System errors ${op}`, metric: 'SystemErrors', dims: opDims(op), stat: 'Sum' })),
      ],
    },
    {
      title: 'Time to live deletions',
      unit: `items per ${per}`,
      series: [{ label: 'Deleted by TTL', metric: 'TimeToLiveDeletedItemCount', dims: td, stat: 'Sum' }],
    },
  ];
  const indexNames = new Set([...(t?.GlobalSecondaryIndexes || []).map((i) => i.IndexName), ...found.indexes.keys()]);
  for (const ix of [...indexNames].sort()) {
    const d = [...td, { Name: 'GlobalSecondaryIndexName', Value: ix }];
    const m = found.indexes.get(ix) || new Set();
    const p = m.has('ProvisionedReadCapacityUnits') || provisioned;
    charts.push({
      title: `Index ${ix}: capacity`,
      unit: 'units/second',
      note: capNote,
      series: [
        { label: 'Consumed read', metric: 'ConsumedReadCapacityUnits', dims: d, stat: 'Sum', perSecond: true },
        { label: 'Consumed write', metric: 'ConsumedWriteCapacityUnits', dims: d, stat: 'Sum', perSecond: true },
        p ? prov('Read', d) : null,
        p ? prov('Write', d) : null,
        { label: 'Read throttle events', metric: 'ReadThrottleEvents', dims: d, stat: 'Sum' },
        { label: 'Write throttle events', metric: 'WriteThrottleEvents', dims: d, stat: 'Sum' },
      ].filter(Boolean),
    });
  }
  return charts;
}

/** Every series' points from one GetMetricData (and its next pages): `Map(id → [{t, v}])`. */
async function fetchData(ctx, queries, start, end) {
  const out = new Map(queries.map((q) => [q.Id, []]));
  const messages = [];
  let token;
  for (let page = 0; page < DATA_PAGES_MAX; page++) {
    const r = await ctx.api.cloudwatch('GetMetricData', {
      MetricDataQueries: queries,
      StartTime: start / 1000,
      EndTime: end / 1000,
      ScanBy: 'TimestampAscending',
      NextToken: token,
    });
    for (const m of r.Messages || []) messages.push(m.Value || m.Code);
    for (const res of r.MetricDataResults || []) {
      const pts = out.get(res.Id);
      if (!pts) continue;
      (res.Timestamps || []).forEach((ts, i) => pts.push({ t: Number(ts) * 1000, v: Number(res.Values[i]) }));
      if (res.StatusCode && res.StatusCode !== 'Complete' && res.StatusCode !== 'PartialData') messages.push(`${res.Label}: ${res.StatusCode}`);
      for (const m of res.Messages || []) messages.push(`${res.Label}: ${m.Value || m.Code}`);
    }
    token = r.NextToken;
    if (!token) break;
  }
  return { points: out, messages };
}

export async function metricsPage(root, ctx) {
  const [name, , rest] = ctx.params;
  let range = RANGES.find((r) => r[0] === rest) || RANGES[0];
  let latencyStat = 'Average';
  let timer = null;
  // Each load's number: a load that a later one overtook (a range changed meanwhile) is dropped.
  let seq = 0;

  const rangeSelect = select(RANGES.map(([id, label]) => [id, label]), range[0], {
    id: 'metrics-range',
    onchange: (ev) => {
      range = RANGES.find((r) => r[0] === ev.target.value) || RANGES[0];
      history.replaceState(null, '', tableHash(name, 'metrics', range[0]));
      load();
    },
  });
  const statSelect = select(['Average', 'Maximum', 'Minimum'], latencyStat, {
    id: 'metrics-stat',
    onchange: (ev) => {
      latencyStat = ev.target.value;
      load();
    },
  });
  const refresh = h('button', { type: 'button', onclick: () => load() }, 'Refresh');
  const auto = h('input', { type: 'checkbox', id: 'metrics-auto', onchange: () => schedule() });
  const stamp = h('span', { class: 'muted', 'aria-live': 'polite' });
  const status = h('div', {});
  const facts = h('p', { class: 'muted' });
  const body = h('div', { class: 'grid2 charts' });

  replace(
    root,
    h(
      'div',
      { class: 'toolbar' },
      h('label', { for: 'metrics-range', class: 'inline' }, 'Range'),
      rangeSelect,
      h('label', { for: 'metrics-stat', class: 'inline' }, 'Latency statistic'),
      statSelect,
      refresh,
      h('label', { for: 'metrics-auto', class: 'check' }, auto, ` Auto-refresh every ${AUTO_REFRESH_SECONDS} s`),
      h('span', { class: 'spacer' }),
      stamp,
    ),
    facts,
    status,
    body,
  );

  function schedule() {
    clearTimeout(timer);
    if (!auto.checked) return;
    timer = setTimeout(async () => {
      if (!ctx.current() || !root.isConnected) return;
      await load();
      schedule();
    }, AUTO_REFRESH_SECONDS * 1000);
  }

  async function load() {
    const mine = ++seq;
    const live = () => mine === seq && ctx.current();
    refresh.disabled = true;
    replace(status, h('p', { class: 'muted' }, 'Loading…'));
    try {
      await draw(live);
    } catch (e) {
      if (live()) replace(status, errorBox(e));
    } finally {
      if (mine === seq) refresh.disabled = false;
    }
  }

  async function draw(live) {
    const [, label, seconds, period] = range;
    const [d, found] = await Promise.allSettled([ctx.api.dynamodb('DescribeTable', { TableName: name }), discover(ctx, name)]);
    if (!live()) return;
    if (found.status === 'rejected') throw found.reason;
    const t = d.status === 'fulfilled' ? d.value.Table : null;
    replace(
      facts,
      t
        ? [
            `${billing(t)}. Items ${count(t.ItemCount)}, size ${bytes(t.TableSizeBytes)} (from DescribeTable: this server does not publish item count or size as metrics). `,
            `One point per ${periodLabel(period)}, at most ${Math.ceil(seconds / period)} a series; times in UTC.`,
          ]
        : `One point per ${periodLabel(period)}; times in UTC.`,
    );
    const charts = chartsOf(name, t, found.value, period, latencyStat);
    const queries = [];
    for (const c of charts) {
      for (const s of c.series) {
        s.id = `q${queries.length}`;
        queries.push({
          Id: s.id,
          MetricStat: { Metric: { Namespace: NS, MetricName: s.metric, Dimensions: s.dims }, Period: period, Stat: s.stat },
          ReturnData: true,
        });
      }
    }
    // The window ends at the end of the current period, so the last (filling) one shows.
    const end = Math.ceil(Date.now() / (period * 1000)) * period * 1000;
    const start = end - seconds * 1000;
    const { points, messages } = queries.length ? await fetchData(ctx, queries, start, end) : { points: new Map(), messages: [] };
    if (!live()) return;
    replace(
      status,
      d.status === 'rejected' ? errorBox(d.reason) : null,
      messages.length ? h('div', { class: 'notice' }, messages.slice(0, 5).join(' ')) : null,
    );
    replace(
      body,
      charts.map((c) =>
        h(
          'section',
          { class: 'panel' },
          lineChart({
            title: c.title,
            unit: c.unit,
            note: c.note,
            start,
            end,
            period,
            series: c.series.map((s) => ({
              label: s.label,
              dashed: s.dashed,
              points: (points.get(s.id) || []).map((p) => ({ t: p.t, v: s.perSecond ? p.v / period : p.v })),
            })),
          }),
        ),
      ),
    );
    replace(stamp, `${label} · updated ${new Date().toISOString().slice(11, 19)} UTC`);
  }

  await load();
}
