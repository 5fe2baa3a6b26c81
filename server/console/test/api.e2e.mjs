// The console's client (js/api.js, js/sigv4.js: the very files the browser loads) against a
// real server: creates a table with a global secondary index, lists it, describes it and
// deletes it, and reads the server's errors.
//
// Needs SHALE_ENDPOINT (`http://127.0.0.1:8000`) and the server's root credentials in
// SHALE_ACCESS_KEY_ID / SHALE_SECRET_ACCESS_KEY (AWS's example pair by default, as the Rust
// tests start the server with). Skipped without SHALE_ENDPOINT. server/tests/console.rs runs it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, ApiError } from '../js/api.js';

const endpoint = process.env.SHALE_ENDPOINT;
const credentials = {
  accessKeyId: process.env.SHALE_ACCESS_KEY_ID || 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: process.env.SHALE_SECRET_ACCESS_KEY || 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const skip = endpoint ? false : 'SHALE_ENDPOINT is not set';

async function until(what, check) {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('create, list, describe and delete a table with a GSI', { skip }, async () => {
  const api = client({ endpoint, credentials, region: 'us-east-1' });
  const name = `console_e2e_${Date.now()}`;
  const created = await api.dynamodb('CreateTable', {
    TableName: name,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
      { AttributeName: 'email', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
    GlobalSecondaryIndexes: [
      {
        IndexName: 'by_email',
        KeySchema: [{ AttributeName: 'email', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['name'] },
      },
    ],
  });
  assert.equal(created.TableDescription.TableName, name);

  // Listed, paging one name at a time, as the Tables page pages.
  const seen = [];
  let start;
  do {
    const page = await api.dynamodb('ListTables', { Limit: 1, ExclusiveStartTableName: start });
    seen.push(...page.TableNames);
    start = page.LastEvaluatedTableName;
  } while (start);
  assert.ok(seen.includes(name), `${name} is not in ${seen}`);

  await until('the table to be active', async () => {
    const d = await api.dynamodb('DescribeTable', { TableName: name });
    return d.Table.TableStatus === 'ACTIVE';
  });
  const { Table: t } = await api.dynamodb('DescribeTable', { TableName: name });
  assert.deepEqual(t.KeySchema, [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ]);
  assert.equal(t.BillingModeSummary.BillingMode, 'PAY_PER_REQUEST');
  assert.equal(t.GlobalSecondaryIndexes.length, 1);
  const gsi = t.GlobalSecondaryIndexes[0];
  assert.equal(gsi.IndexName, 'by_email');
  assert.deepEqual(gsi.Projection, { ProjectionType: 'INCLUDE', NonKeyAttributes: ['name'] });
  assert.ok(t.TableArn.endsWith(`:table/${name}`), t.TableArn);
  // What the overview page reads besides.
  const ttl = await api.dynamodb('DescribeTimeToLive', { TableName: name });
  assert.equal(ttl.TimeToLiveDescription.TimeToLiveStatus, 'DISABLED');
  const pitr = await api.dynamodb('DescribeContinuousBackups', { TableName: name });
  assert.equal(
    pitr.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus,
    'DISABLED',
  );

  await api.dynamodb('DeleteTable', { TableName: name });
  await until('the table to be gone', async () => {
    try {
      await api.dynamodb('DescribeTable', { TableName: name });
      return false;
    } catch (e) {
      if (e instanceof ApiError && e.code === 'ResourceNotFoundException') return true;
      throw e;
    }
  });
});

test('the server errors come back with their code and message', { skip }, async () => {
  const api = client({ endpoint, credentials });
  await assert.rejects(api.dynamodb('DescribeTable', { TableName: 'no_such_table_here' }), (e) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 'ResourceNotFoundException');
    assert.equal(e.status, 400);
    assert.match(e.message, /not found/i);
    assert.ok(e.requestId);
    return true;
  });
  // A wrong secret: refused by the signature check.
  const wrong = client({ endpoint, credentials: { ...credentials, secretAccessKey: 'not-the-secret' } });
  await assert.rejects(wrong.dynamodb('ListTables', {}), (e) => {
    assert.equal(e.code, 'InvalidSignatureException');
    assert.ok(e.message.length > 0);
    return true;
  });
});
