// The Indexes tab: on a provisioned table with items, creates a global index through the form
// and watches its backfill (CREATING with progress, then ACTIVE) refresh on its own; refuses a
// second index of the same name in place; edits the index's and the table's capacity; deletes
// the index after typing its name (Escape first cancels). Checked on the page and through the
// API. Screenshots: indexes-create, indexes-backfill, indexes-list.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openConsole, skip, unique, api, until } from './lib.mjs';

test('indexes: create a GSI on a live table, see it backfill, edit capacity, delete it', { skip }, async () => {
  const a = api();
  const name = unique('e2e_ix');
  await a.dynamodb('CreateTable', {
    TableName: name,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PROVISIONED',
    ProvisionedThroughput: { ReadCapacityUnits: 50, WriteCapacityUnits: 400 },
  });
  for (let i = 0; i < 125; i += 25) {
    const batch = Array.from({ length: 25 }, (_, j) => ({ PutRequest: { Item: { pk: { S: `user${i + j}` }, email: { S: `u${i + j}@example.com` }, n: { N: String(i + j) } } } }));
    let left = { [name]: batch };
    while (Object.keys(left).length) left = (await a.dynamodb('BatchWriteItem', { RequestItems: left })).UnprocessedItems || {};
  }
  const c = await openConsole();
  const { page } = c;
  try {
    await c.signIn(undefined, `#/table/${name}/indexes`);
    await page.getByText('No global secondary indexes.').waitFor();

    // Create through the form: name, key, projection, capacity (the table is provisioned).
    await page.getByRole('button', { name: 'Create global index' }).click();
    await page.getByLabel('Index name').fill('by_email');
    await page.getByLabel('Partition key', { exact: true }).fill('email');
    await page.getByLabel('Projection', { exact: true }).selectOption('INCLUDE');
    await page.getByLabel('Projected attributes').fill('n');
    const form = page.locator('#ix-create');
    await form.getByLabel('Read capacity units').fill('10');
    await form.getByLabel('Write capacity units').fill('20');
    await c.screenshot('indexes-create');
    await page.getByRole('button', { name: 'Create index' }).click();

    // The backfill shows as CREATING with its progress, refreshed every second.
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'by_email' }) });
    await row.getByText('CREATING').waitFor();
    await row.getByRole('progressbar', { name: 'Backfill of by_email' }).waitFor();
    // The percentage is CloudWatch's OnlineIndexPercentageProgress (harvested every second).
    await row.getByText(/Backfilling: [0-9]+%/).waitFor();
    await c.screenshot('indexes-backfill');
    // Two refreshes fail (an injected 500): the error is shown, and the page keeps refreshing,
    // waiting longer after each failure, until the next one succeeds.
    let failures = 0;
    const api_ = (u) => new URL(u).pathname === '/';
    await page.route(api_, async (route) => {
      if ((route.request().headers()['x-amz-target'] || '').endsWith('.DescribeTable') && failures < 2) {
        failures++;
        return route.fulfill({ status: 500, contentType: 'application/x-amz-json-1.0', body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'injected failure' }) });
      }
      return route.continue();
    });
    await page.getByRole('alert').filter({ hasText: 'injected failure' }).waitFor();
    await page.getByRole('status').getByText(/^Not refreshed: trying again in \d+ s\.$/).waitFor();
    await until('the page to refresh again', async () => failures === 2 && (await page.getByRole('alert').filter({ hasText: 'injected failure' }).count()) === 0);
    await page.unroute(api_);
    const during = await a.dynamodb('DescribeTable', { TableName: name });
    const g = during.Table.GlobalSecondaryIndexes[0];
    assert.equal(g.IndexName, 'by_email');
    assert.deepEqual(g.Projection, { ProjectionType: 'INCLUDE', NonKeyAttributes: ['n'] });
    assert.deepEqual([g.ProvisionedThroughput.ReadCapacityUnits, g.ProvisionedThroughput.WriteCapacityUnits], [10, 20]);
    assert.ok(during.Table.AttributeDefinitions.some((d) => d.AttributeName === 'email' && d.AttributeType === 'S'));
    // No reload clicked: the page polls until the index is ACTIVE.
    await row.getByText('ACTIVE', { exact: true }).waitFor({ timeout: 30000 });
    assert.equal(await row.getByRole('progressbar').count(), 0);
    await page.getByText(/refreshed/).waitFor();
    assert.equal(await page.getByRole('status').filter({ hasText: 'Table ACTIVE' }).textContent(), 'Table ACTIVE');
    const q = await a.dynamodb('Query', { TableName: name, IndexName: 'by_email', KeyConditionExpression: 'email = :e', ExpressionAttributeValues: { ':e': { S: 'u7@example.com' } } });
    assert.equal(q.Count, 1);

    // A second index of the same name: the server's refusal, shown in the form.
    await page.getByRole('button', { name: 'Create global index' }).click();
    await page.getByLabel('Index name').fill('by_email');
    await page.getByLabel('Partition key', { exact: true }).fill('n');
    // `n` is not yet an attribute definition; `email` would lock its type.
    await page.getByRole('button', { name: 'Create index' }).click();
    await page.locator('#ix-create').getByRole('alert').getByText(/already exists/).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('#ix-create').waitFor({ state: 'hidden' });

    // The index's capacity.
    await row.getByRole('button', { name: 'Edit capacity' }).click();
    const edit = page.locator('tr.editing');
    await edit.getByLabel('Read capacity units').fill('12');
    await edit.getByLabel('Write capacity units').fill('24');
    await edit.getByRole('button', { name: 'Save capacity' }).click();
    await row.getByText('12 RCU, 24 WCU').waitFor();
    const after = await a.dynamodb('DescribeTable', { TableName: name });
    assert.equal(after.Table.GlobalSecondaryIndexes[0].ProvisionedThroughput.ReadCapacityUnits, 12);

    // The table's capacity.
    await page.getByLabel('Read capacity units').last().fill('60');
    await page.getByRole('button', { name: 'Update table capacity' }).click();
    await page.getByText('Table capacity set to 60 RCU, 400 WCU.').waitFor();
    await until('the table capacity', async () => (await a.dynamodb('DescribeTable', { TableName: name })).Table.ProvisionedThroughput.ReadCapacityUnits === 60);
    await c.screenshot('indexes-list', { fullPage: true });

    // Delete: Escape cancels the confirmation; typing the name deletes it.
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByLabel('Type by_email to confirm').waitFor();
    await page.keyboard.press('Escape');
    assert.equal(await page.getByLabel('Type by_email to confirm').count(), 0);
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByLabel('Type by_email to confirm').fill('by_email');
    await page.getByRole('button', { name: 'Delete index' }).click();
    await page.getByText('No global secondary indexes.').waitFor({ timeout: 30000 });
    const gone = await a.dynamodb('DescribeTable', { TableName: name });
    assert.equal((gone.Table.GlobalSecondaryIndexes || []).length, 0);
  } finally {
    await c.close();
    await a.dynamodb('DeleteTable', { TableName: name }).catch(() => {});
  }
});
