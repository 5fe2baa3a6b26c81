// Metrics: a provisioned table with a global index gets writes, reads, a query and a failed
// condition through the API; its Metrics tab then draws them from CloudWatch (the server
// harvests its metrics every second): consumed capacity against the provisioned line, requests
// and latency per operation, returned items; the data tables hold the values GetMetricData
// answers. A table without traffic shows "No data points in this range". Range changes are kept
// in the address. Screenshot: metrics-capacity.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openConsole, skip, unique, api, until } from './lib.mjs';
import { valueTicks, timeTicks, compact } from '../../console/js/chart.js';
import { RANGES } from '../../console/js/pages/metrics.js';

const NS = 'AWS/DynamoDB';

async function sumOf(table, metric, extra = []) {
  const now = Date.now() / 1000;
  const r = await api().cloudwatch('GetMetricData', {
    StartTime: now - 900,
    EndTime: now + 60,
    MetricDataQueries: [
      { Id: 'm', MetricStat: { Metric: { Namespace: NS, MetricName: metric, Dimensions: [{ Name: 'TableName', Value: table }, ...extra] }, Period: 60, Stat: 'Sum' } },
    ],
  });
  return r.MetricDataResults[0].Values.reduce((a, b) => a + b, 0);
}

test('chart ticks and ranges', () => {
  assert.deepEqual(valueTicks(0, 1, 4).ticks, [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(valueTicks(0, 37, 4).ticks, [0, 10, 20, 30, 40]);
  assert.deepEqual(valueTicks(0, 0.013, 4).ticks.map(compact), ['0', '0.005', '0.01', '0.015']);
  const start = Date.UTC(2026, 11, 7, 11, 57);
  const hour = timeTicks(start, start + 3600e3);
  assert.equal(hour.step, 10 * 60e3);
  assert.deepEqual(hour.ticks.slice(0, 2), [Date.UTC(2026, 11, 7, 12, 0), Date.UTC(2026, 11, 7, 12, 10)]);
  assert.equal(timeTicks(start, start + 7 * 86400e3).step, 86400e3);
  assert.equal(compact(12345), '12.3k');
  assert.equal(compact(2.5e6), '2.5M');
  // Every range keeps a chart at 300 points or fewer, on whole minutes.
  for (const [, , seconds, period] of RANGES) {
    assert.ok(seconds / period <= 300 && period % 60 === 0, `${seconds}/${period}`);
  }
});

test('a table\'s metrics drawn from CloudWatch', { skip }, async () => {
  const a = api();
  const name = unique('e2e_metrics');
  const quiet = unique('e2e_metrics_quiet');
  await a.dynamodb('CreateTable', {
    TableName: name,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'g', AttributeType: 'S' },
    ],
    BillingMode: 'PROVISIONED',
    ProvisionedThroughput: { ReadCapacityUnits: 50, WriteCapacityUnits: 40 },
    GlobalSecondaryIndexes: [
      { IndexName: 'by_g', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' }, ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } },
    ],
  });
  await a.dynamodb('CreateTable', {
    TableName: quiet,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  for (let i = 0; i < 12; i++) await a.dynamodb('PutItem', { TableName: name, Item: { pk: { S: `k${i}` }, g: { S: `g${i % 3}` }, n: { N: String(i) } } });
  for (let i = 0; i < 6; i++) await a.dynamodb('GetItem', { TableName: name, Key: { pk: { S: `k${i}` } } });
  await a.dynamodb('Query', { TableName: name, IndexName: 'by_g', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': { S: 'g1' } } });
  await assert.rejects(
    a.dynamodb('PutItem', { TableName: name, Item: { pk: { S: 'k0' } }, ConditionExpression: 'attribute_not_exists(pk)' }),
    (e) => e.code === 'ConditionalCheckFailedException',
  );
  // The harvester moves the counts into the metric store every second.
  await until('the writes to be published', async () => {
    const w = await sumOf(name, 'ConsumedWriteCapacityUnits');
    return w >= 12 ? w : 0;
  }, 30000);
  await until('the query to be published', async () => (await sumOf(name, 'ReturnedItemCount', [{ Name: 'Operation', Value: 'Query' }])) >= 4, 30000);

  const c = await openConsole();
  const { page } = c;
  try {
    await c.signIn(undefined, `#/table/${name}/metrics`);
    const write = page.locator('figure[data-chart="Write capacity"]');
    await write.locator('svg.chart-svg path, svg.chart-svg circle').first().waitFor();
    await write.locator('.chart-legend').getByText('Consumed write').waitFor();
    await write.locator('.chart-legend').getByText('Provisioned write').waitFor();
    // The data table holds the per-second rate of the consumed units: Sum over the minutes ÷ 60.
    await write.getByText(/Data table/).click();
    const writes = await sumOf(name, 'ConsumedWriteCapacityUnits');
    const cells = await write.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    const consumed = cells.reduce((acc, row) => acc + (row[1] === '—' ? 0 : Number(row[1])), 0);
    assert.ok(Math.abs(consumed * 60 - writes) < 0.5 * cells.length + 0.01, `consumed ${consumed}/s over ${cells.length} rows vs ${writes} units`);
    // The provisioned capacity is sampled within a second of the table's creation, then once a
    // minute: the table's minutes all show 40.
    assert.ok(cells.length > 0 && cells.every((row) => row[2] === '40'), `the provisioned line at 40: ${JSON.stringify(cells)}`);
    await write.getByText(/Data table/).click();

    const requests = page.locator('figure[data-chart="Successful requests"]');
    for (const op of ['PutItem', 'GetItem', 'Query']) await requests.locator('.chart-legend').getByText(op, { exact: true }).waitFor();
    const latency = page.locator('figure[data-chart^="Successful request latency"]');
    await latency.locator('svg.chart-svg circle, svg.chart-svg path').first().waitFor();
    assert.match(await latency.locator('svg.chart-svg').getAttribute('aria-labelledby'), /chart\d+-t chart\d+-d/);
    assert.match(await latency.locator('desc').textContent(), /PutItem: \d+ points?, latest/);
    await page.locator('figure[data-chart="Returned item count"] .chart-legend').getByText('Query', { exact: true }).waitFor();
    await page.locator('figure[data-chart="Errors and conflicts"] svg.chart-svg circle').first().waitFor();
    await page.locator('figure[data-chart="Index by_g: capacity"] svg.chart-svg circle').first().waitFor();

    // The keyboard reads a chart's values.
    await write.locator('svg.chart-svg').focus();
    await page.keyboard.press('End');
    await write.locator('.chart-readout').getByText(/UTC: Consumed write [0-9.]+ · Provisioned write 40 units\/second/).waitFor();
    await write.scrollIntoViewIfNeeded();
    await page.evaluate(() => window.scrollTo(0, 0));
    await c.screenshot('metrics-capacity');

    // Another range: kept in the address, points a period of 5 minutes.
    await page.getByLabel('Range').selectOption('1d');
    await page.waitForURL(/\/metrics\/1d$/);
    await page.getByText(/One point per 5 minutes, at most 288 a series/).waitFor();
    await write.locator('svg.chart-svg circle').first().waitFor();
    await page.reload();
    assert.equal(await page.getByLabel('Range').inputValue(), '1d');

    // A table without traffic: every chart says so.
    await c.goto(`#/table/${quiet}/metrics`);
    await page.locator('figure[data-chart="Read capacity"]').getByText('No data points in this range').waitFor();
    assert.equal(await page.locator('figure.chart').count(), await page.locator('figure.chart-nodata').count());
    assert.equal(await page.getByText('Provisioned read').count(), 0, 'no provisioned line for an on-demand table');

    // A missing table: the error in place.
    await c.goto('#/table/e2e_no_such_table/metrics');
    await page.getByText('ResourceNotFoundException').waitFor();
  } finally {
    await c.close();
    await a.dynamodb('DeleteTable', { TableName: name }).catch(() => {});
    await a.dynamodb('DeleteTable', { TableName: quiet }).catch(() => {});
  }
});
