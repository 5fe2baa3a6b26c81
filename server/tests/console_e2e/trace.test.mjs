// The latency breakdown view (js/trace_view.js): its model checked in Node on fixed figures
// (what nests in what, derived rows, unknown figures), then rendered in Chromium from a real
// traced GetItem and PutItem made with the console's own signed client in the page.
// Screenshots: trace-getitem, trace-putitem (the views alone).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openConsole, skip, unique, api, screenshotDir, createTable } from './lib.mjs';
import { traceModel, nanos, shareText } from '../../console/js/trace_view.js';

const GET = {
  operation_nanos: 42000, memtable_nanos: 1200, memtable_hits: 0, table_nanos: 3100, filter_negatives: 1,
  block_cache_hits: 1, block_cache_misses: 0, block_cache_nanos: 150, file_reads: 0, file_read_bytes: 0,
  file_read_nanos: 0, write_stall_nanos: 0, write_queue_nanos: 0, wal_nanos: 0, wal_bytes: 0, fsync_nanos: 0,
  memtable_insert_nanos: 0, publish_wait_nanos: 0, client_nanos: 900000,
};

test('trace model: nesting, derived rows, units, unknown figures', () => {
  assert.equal(nanos(850), '850 ns');
  assert.equal(nanos(48300), '48.3 µs');
  assert.equal(nanos(8565071), '8.57 ms');
  assert.equal(nanos(1.2e9), '1.20 s');
  assert.equal(shareText(42000, 900000), '4.7%');

  const m = traceModel(GET);
  assert.equal(m.network, 900000 - 42000);
  assert.deepEqual(m.outer.map((s) => s.key), ['operation', 'network']);
  // Zero stages are left out of the bar; "other" is the operation less the stages.
  assert.deepEqual(m.stages.map((s) => s.key), ['memtable_nanos', 'table_nanos', 'other']);
  assert.equal(m.other, 42000 - 1200 - 3100);
  assert.match(m.stages.at(-1).label, /decode, auth, encode/);
  // Block cache time fits inside the SSTable lookups: a point lookup.
  assert.equal(m.innerWithin, 'table_nanos');
  const byKey = Object.fromEntries(m.rows.map((r) => [r.key, r]));
  assert.equal(byKey.network.derived, true);
  assert.equal(byKey.other.text, nanos(37700));
  assert.equal(byKey.block_cache_nanos.depth, 3);
  assert.equal(byKey.block_cache_hits.text, '1');
  assert.equal(byKey.wal_bytes.text, '0 B');

  // An iterator's block reads lie outside the stages, in "other"; the gateway's steps, when
  // reported, are segments of their own; unknown figures are still listed with a unit.
  const scan = traceModel({
    operation_nanos: 100000, memtable_nanos: 0, table_nanos: 0, block_cache_nanos: 2000, file_read_nanos: 30000,
    decode_nanos: 5000, authorize_nanos: 1000, encode_nanos: 7000, future_nanos: 12, future_bytes: 2048, future_count: 3,
  });
  assert.equal(scan.client, null);
  assert.equal(scan.innerWithin, 'other');
  assert.deepEqual(scan.stages.map((s) => s.key), ['decode_nanos', 'authorize_nanos', 'encode_nanos', 'other']);
  assert.equal(scan.other, 100000 - 13000);
  assert.doesNotMatch(scan.stages.at(-1).label, /decode/);
  const unknown = scan.rows.filter((r) => !r.known).map((r) => [r.key, r.text]);
  assert.deepEqual(unknown, [['future_bytes', '2,048 B'], ['future_count', '3'], ['future_nanos', '12 ns']]);

  // Stages adding up to more than the operation are flagged, never hidden.
  assert.equal(traceModel({ operation_nanos: 10, memtable_nanos: 8, table_nanos: 8 }).overlap, true);
});

test('trace view of a real GetItem and PutItem in the browser', { skip }, async () => {
  const name = unique('e2e_trace');
  const a = api();
  await createTable(a, name);
  const c = await openConsole();
  const { page } = c;
  try {
    await c.signIn(undefined, `#/table/${name}`);
    await page.getByRole('heading', { name }).waitFor();
    await page.evaluate(async (table) => {
      const { traceView } = await import('./js/trace_view.js');
      const session = await import('./js/session.js');
      const api = session.apiFor(session.load());
      const put = await api.dynamodb('PutItem', { TableName: table, Item: { pk: { S: 'k1' }, v: { S: 'hello' } } }, { trace: true });
      const get = await api.dynamodb('GetItem', { TableName: table, Key: { pk: { S: 'k1' } } }, { trace: true });
      const root = document.getElementById('main');
      root.replaceChildren(traceView(get.$trace, { title: `GetItem ${table}` }), traceView(put.$trace, { title: `PutItem ${table}` }));
    }, name);
    const get = page.getByRole('region', { name: `GetItem ${name}` });
    await get.getByRole('table').waitFor();
    // The accessible table names every figure with its unit.
    for (const f of ['Round trip (page)', 'Network + HTTP', 'Server operation', 'Memtables', 'Memtable hits', 'Block cache hits'])
      await get.getByRole('rowheader', { name: f, exact: true }).first().waitFor();
    const hits = await get.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Memtable hits' }) }).getByRole('cell').first().textContent();
    assert.equal(hits, '1');
    const op = await get.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Server operation', exact: true }) }).getByRole('cell').first().textContent();
    assert.match(op, /^[0-9.]+ (ns|µs|ms|s)$/);
    // Segments are sized from script; the round trip's segments fill its bar.
    const widths = await get.locator('.trace-bar').first().locator('.trace-seg').evaluateAll((els) => els.map((e) => parseFloat(e.style.width)));
    assert.ok(Math.abs(widths.reduce((s, w) => s + w, 0) - 100) < 0.01, `round trip segments: ${widths}`);
    const put = page.getByRole('region', { name: `PutItem ${name}` });
    await put.getByRole('rowheader', { name: 'WAL bytes' }).waitFor();
    await get.screenshot({ path: join(screenshotDir, 'trace-getitem.png') });
    await put.screenshot({ path: join(screenshotDir, 'trace-putitem.png') });
  } finally {
    await c.close();
    await a.dynamodb('DeleteTable', { TableName: name }).catch(() => {});
  }
});
