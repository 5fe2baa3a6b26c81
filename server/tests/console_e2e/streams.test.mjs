// The Streams tab: enables the table's stream with a view type through the page, then writes
// through the API and sees each record (INSERT, MODIFY with its old and new images, REMOVE)
// appear live, newest first, without a reload; pauses (no GetRecords is sent while paused: the
// request log says so) and resumes (the write made meanwhile shows); restarts from LATEST
// (nothing old comes back); disables the stream; leaving the page stops the polling (no
// Streams request once the last one in flight is done). Checked on the page, in the requests
// and through the API. Also the reader in Node: a rollover, expired iterators (taken again
// where the shard was first read when nothing was read yet), stopping between two requests.
// Screenshot: streams-live.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openConsole, skip, unique, api, until, createTable } from './lib.mjs';
import { compareRecords, streamReader } from '../../console/js/stream_reader.js';

test('streams: records of several shards in order', () => {
  const r = (t, s) => ({ dynamodb: { ApproximateCreationDateTime: t, SequenceNumber: s } });
  const sorted = [r(2, '000000000000000000001'), r(1, '000000000000000000010'), r(1, '000000000000000000009')].sort(compareRecords);
  assert.deepEqual(sorted.map((x) => x.dynamodb.SequenceNumber), ['000000000000000000009', '000000000000000000010', '000000000000000000001']);
});

test('streams: the reader follows a rollover and renews an expired iterator', async () => {
  // A fake stream: shard A closes after one record; its child B appears; B's iterator expires once.
  const rec = (seq, t) => ({ eventName: 'INSERT', dynamodb: { SequenceNumber: seq, ApproximateCreationDateTime: t, Keys: {} } });
  let shards = [{ ShardId: 'A', SequenceNumberRange: { StartingSequenceNumber: '1' } }];
  const calls = [];
  let expireOnce = true;
  const api = async (op, body) => {
    calls.push([op, body.ShardId || body.ShardIterator || '', body.ShardIteratorType || '', body.SequenceNumber || '']);
    if (op === 'DescribeStream') return { StreamDescription: { StreamStatus: 'ENABLED', StreamLabel: 'L', Shards: shards } };
    if (op === 'GetShardIterator') return { ShardIterator: `${body.ShardId}:${body.ShardIteratorType}:${body.SequenceNumber || ''}` };
    if (body.ShardIterator === 'A:LATEST:') {
      shards = [{ ShardId: 'A', SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '1' } }, { ShardId: 'B', ParentShardId: 'A', SequenceNumberRange: { StartingSequenceNumber: '2' } }];
      return { Records: [rec('1', 10)], NextShardIterator: null };
    }
    if (body.ShardIterator === 'B:TRIM_HORIZON:') return { Records: [rec('2', 11), rec('3', 12)], NextShardIterator: 'B-next' };
    if (body.ShardIterator === 'B-next' && expireOnce) {
      expireOnce = false;
      throw Object.assign(new Error('expired'), { code: 'ExpiredIteratorException' });
    }
    if (body.ShardIterator === 'B:AFTER_SEQUENCE_NUMBER:3') return { Records: [rec('4', 13)], NextShardIterator: 'B-4' };
    return { Records: [], NextShardIterator: body.ShardIterator };
  };
  const r = streamReader(api, 'arn', { position: 'LATEST' });
  const seqs = async () => (await r.poll()).map((x) => x.dynamodb.SequenceNumber);
  assert.deepEqual(await seqs(), ['1']);
  assert.equal(r.state.shards.get('A').done, true);
  assert.deepEqual(await seqs(), ['2', '3']); // the child, from its start
  assert.deepEqual(await seqs(), []); // the iterator expired: taken again after 3
  assert.deepEqual(await seqs(), ['4']);
  assert.ok(calls.some((c) => c[0] === 'GetShardIterator' && c[1] === 'B' && c[2] === 'AFTER_SEQUENCE_NUMBER' && c[3] === '3'));
  assert.equal(r.reading(), 1);
});

test('streams: an iterator expired before any record is taken again at its start; poll stops when told', async () => {
  // One open shard read from TRIM_HORIZON; its first iterator expires before anything is read.
  const calls = [];
  let expired = false;
  const api = async (op, body) => {
    calls.push([op, body.ShardIteratorType || body.ShardIterator || '']);
    if (op === 'DescribeStream') return { StreamDescription: { StreamStatus: 'ENABLED', Shards: [{ ShardId: 'A', SequenceNumberRange: { StartingSequenceNumber: '1' } }] } };
    if (op === 'GetShardIterator') return { ShardIterator: `${body.ShardIteratorType}${calls.length}` };
    if (!expired) {
      expired = true;
      throw Object.assign(new Error('expired'), { code: 'ExpiredIteratorException' });
    }
    return { Records: [{ eventName: 'INSERT', dynamodb: { SequenceNumber: '1', ApproximateCreationDateTime: 1 } }], NextShardIterator: 'next' };
  };
  const r = streamReader(api, 'arn', { position: 'TRIM_HORIZON' });
  assert.deepEqual(await r.poll(), []);
  assert.deepEqual((await r.poll()).map((x) => x.dynamodb.SequenceNumber), ['1'], 'the record written before the expiry is not skipped');
  assert.deepEqual(calls.filter((c) => c[0] === 'GetShardIterator').map((c) => c[1]), ['TRIM_HORIZON', 'TRIM_HORIZON']);
  // alive() false: no request at all; false after the first request: none after it.
  const before = calls.length;
  assert.deepEqual(await r.poll(() => false), []);
  assert.equal(calls.length, before);
  let n = 0;
  await r.poll(() => n++ < 1);
  assert.equal(calls.length, before + 1);
});

test('streams: enable, see records live, pause and resume, disable', { skip }, async () => {
  const a = api();
  const name = unique('e2e_st');
  await createTable(a, name);
  const c = await openConsole();
  const { page } = c;
  const records = page.locator('tbody tr.st-record');
  // Every DynamoDB Streams request the page sends: [time, operation].
  const sent = [];
  page.on('request', (r) => {
    const t = r.headers()['x-amz-target'] || '';
    if (t.startsWith('DynamoDBStreams')) sent.push([Date.now(), t.split('.')[1]]);
  });
  /** Waits until no Streams request was sent for `ms`; answers how many were sent since `from`. */
  const quiet = async (ms, from = 0) => {
    await until(`no Streams request for ${ms} ms`, async () => Date.now() - (sent.at(-1)?.[0] ?? 0) > ms, 20000);
    return sent.length - from;
  };
  try {
    await c.signIn(undefined, `#/table/${name}/streams`);
    await page.getByText('Not reading: the table has no stream.').waitFor();

    await page.getByLabel('View type').selectOption('NEW_AND_OLD_IMAGES');
    await page.getByRole('button', { name: 'Enable stream' }).click();
    await page.getByText('Stream enabled (NEW_AND_OLD_IMAGES).').waitFor();
    const d = await a.dynamodb('DescribeTable', { TableName: name });
    assert.deepEqual(d.Table.StreamSpecification, { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    await page.getByRole('status').getByText(/^Reading 4 shards every second/).waitFor();
    await page.getByText(`4 shards of stream ${d.Table.LatestStreamLabel} (ENABLED)`).waitFor();

    // Writes through the API show up live, newest first.
    await a.dynamodb('PutItem', { TableName: name, Item: { pk: { S: 'alpha' }, colour: { S: 'red' }, n: { N: '1' } } });
    await records.filter({ hasText: 'INSERT' }).filter({ hasText: 'pk = alpha' }).waitFor();
    await a.dynamodb('UpdateItem', { TableName: name, Key: { pk: { S: 'alpha' } }, UpdateExpression: 'SET colour = :c', ExpressionAttributeValues: { ':c': { S: 'blue' } } });
    const modify = records.filter({ hasText: 'MODIFY' });
    await modify.waitFor();
    assert.match(await modify.locator('td').nth(4).textContent(), /"colour": "red"/);
    assert.match(await modify.locator('td').nth(5).textContent(), /"colour": "blue"/);
    await a.dynamodb('PutItem', { TableName: name, Item: { pk: { S: 'beta' }, tags: { SS: ['x', 'y'] } } });
    await a.dynamodb('DeleteItem', { TableName: name, Key: { pk: { S: 'alpha' } } });
    await records.filter({ hasText: 'REMOVE' }).waitFor();
    await until('four records', async () => (await records.count()) === 4, 30000);
    assert.match(await records.first().textContent(), /REMOVE/);
    assert.match(await records.last().textContent(), /INSERT.*alpha/);
    await page.getByRole('status').getByText(/4 records read, 4 shown/).waitFor();
    await c.screenshot('streams-live', { fullPage: true });

    // Paused: no GetRecords is sent (the poll in flight, if any, stops before its next request);
    // resumed: the write made meanwhile shows.
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('status').getByText(/^Paused/).waitFor();
    await quiet(500);
    const paused = sent.length;
    await a.dynamodb('PutItem', { TableName: name, Item: { pk: { S: 'gamma' } } });
    // Three poll periods (1 s each) with no request at all.
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(sent.slice(paused).map((x) => x[1]), [], 'no Streams request while paused');
    assert.equal(await records.filter({ hasText: 'gamma' }).count(), 0);
    await page.getByRole('button', { name: 'Resume' }).click();
    await records.filter({ hasText: 'gamma' }).waitFor();
    assert.ok(sent.slice(paused).some((x) => x[1] === 'GetRecords'), 'GetRecords again once resumed');

    // Restart from LATEST: the view starts empty and old records do not come back.
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Start from').selectOption('LATEST');
    await page.getByRole('button', { name: 'Restart' }).click();
    await page.getByRole('status').getByText(/^Reading 4 shards/).waitFor();
    await a.dynamodb('PutItem', { TableName: name, Item: { pk: { S: 'delta' } } });
    await records.filter({ hasText: 'delta' }).waitFor();
    assert.equal(await records.count(), 1);

    // Disable: the setting changes; the stream stays listed, readable.
    await page.getByRole('button', { name: 'Disable stream' }).click();
    await page.getByText(/Stream disabled/).waitFor();
    await page.getByRole('button', { name: 'Enable stream' }).waitFor();
    const after = await a.dynamodb('DescribeTable', { TableName: name });
    assert.ok(!after.Table.StreamSpecification?.StreamEnabled);
    await page.getByRole('button', { name: `Read stream ${d.Table.LatestStreamLabel}` }).waitFor();
    await page.getByText(/\(DISABLED\)/).waitFor({ timeout: 30000 });

    // Leaving the page stops the polling: once the poll in flight is done, no more requests.
    await page.getByRole('navigation', { name: 'Table' }).getByRole('link', { name: 'TTL' }).click();
    await page.getByRole('heading', { name: 'Time to live' }).waitFor();
    const left = await quiet(1500).then(() => sent.length);
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(sent.slice(left).map((x) => x[1]), [], 'no Streams request after leaving the page');
  } finally {
    await c.close();
    await a.dynamodb('DeleteTable', { TableName: name }).catch(() => {});
  }
});
