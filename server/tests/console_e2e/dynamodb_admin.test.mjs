// dynamodb-admin (npm, pinned in package-lock.json) pointed at the gateway, driven in headless
// Chromium (issue #22): sets up two tables through the API (one with a sort key and a global
// secondary index) and their items (one with nested maps, lists, sets and binary), starts
// dynamodb-admin on a free port with the root credentials, then checks its pages: the tables
// list shows both tables; a table's Items page (a Scan) lists the items with their values; an
// item's page shows the nested item (a GetItem); the Meta page shows the key schema and the
// index (DescribeTable); the TTL page (DescribeTimeToLive); Create item (PutItem) and Delete
// (DeleteItem), Purge table (Scan of the keys, BatchWriteItem) and Delete table, checked
// through the API. Screenshots: dynamodb-admin-tables,
// dynamodb-admin-items, dynamodb-admin-item, dynamodb-admin-meta.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openConsole, skip, unique, api, endpoint, credentials, createTable } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const adminBin = join(here, 'node_modules', 'dynamodb-admin', 'dist', 'dynamodb-admin.js');

/**
 * Starts dynamodb-admin on a port of its choosing (`--port 0`) against the gateway; answers
 * `{ url, output(), stop() }` once it listens. `output()` is what it printed (the stacks of
 * the errors it met), for failure messages.
 */
async function startAdmin() {
  const env = { ...process.env };
  delete env.NODE_ENV; // dynamodb-admin refuses to run with NODE_ENV=production
  delete env.HOST;
  delete env.PORT;
  delete env.BASE_PATH;
  Object.assign(env, {
    DYNAMO_ENDPOINT: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    // Unset, dynamodb-admin signs with the session token "token", which no server knows; an
    // empty one leaves X-Amz-Security-Token out.
    AWS_SESSION_TOKEN: '',
    NO_COLOR: '1',
  });
  const child = spawn(process.execPath, [adminBin, '--host', '127.0.0.1', '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dynamodb-admin did not start:\n${out}`)), 30000);
      const onData = () => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`dynamodb-admin exited (${code}):\n${out}`));
      });
    });
    const r = await fetch(`${url}/api/tables`);
    assert.equal(r.status, 200, `dynamodb-admin's /api/tables: ${await r.text()}\n${out}`);
    return { url, output: () => out, stop };
  } catch (e) {
    stop();
    throw e;
  }
}

/** The text of the Ace editor of an item or Meta page. */
async function editorText(page) {
  await page.waitForFunction(() => globalThis.ace && document.querySelector('.ace_editor'));
  return page.evaluate(() => globalThis.ace.edit(document.querySelector('.ace_editor')).getValue());
}

/** Fails with the page's error banner (an error dynamodb-admin met) when it shows one. */
async function noErrorBanner(page, admin) {
  const banner = (await page.locator('#error-wrapper').textContent()) || '';
  assert.equal(banner.trim(), '', `dynamodb-admin shows an error\n${admin.output()}`);
}

test('dynamodb-admin lists the tables and items of the gateway', { skip, timeout: 60000 }, async () => {
  const ddb = api();
  const orders = unique('dda_orders');
  const users = unique('dda_users');
  await createTable(ddb, orders, {
    hash: 'customer',
    range: ['order_no', 'N'],
    indexes: [{ name: 'by_status', hash: 'status', range: ['order_no', 'N'] }],
  });
  await createTable(ddb, users, { hash: 'id' });
  const nested = {
    customer: { S: 'ann' },
    order_no: { N: '1' },
    status: { S: 'shipped' },
    total: { N: '12.5' },
    address: { M: { city: { S: 'Lyon' }, zip: { S: '69001' }, geo: { M: { lat: { N: '45.76' }, lon: { N: '4.83' } } } } },
    lines: {
      L: [
        { M: { sku: { S: 'pen-blue' }, qty: { N: '3' } } },
        { M: { sku: { S: 'ink' }, qty: { N: '1' }, gift: { BOOL: true } } },
        { S: 'note' },
        { NULL: true },
      ],
    },
    tags: { SS: ['fragile', 'express'] },
    weights: { NS: ['1.5', '2'] },
    thumb: { B: Buffer.from([0xde, 0xad, 0xbe, 0xef]).toString('base64') },
    chunks: { BS: [Buffer.from('ab').toString('base64')] },
  };
  await ddb.dynamodb('PutItem', { TableName: orders, Item: nested });
  for (const [customer, no, status] of [['ann', 2, 'pending'], ['bob', 1, 'shipped'], ['cyd', 7, 'pending']]) {
    await ddb.dynamodb('PutItem', {
      TableName: orders,
      Item: { customer: { S: customer }, order_no: { N: String(no) }, status: { S: status }, total: { N: String(no * 10) } },
    });
  }
  for (const [id, name] of [['u1', 'Ann Lee'], ['u2', 'Bob Ray'], ['u3', 'Cyd Fox']]) {
    await ddb.dynamodb('PutItem', { TableName: users, Item: { id: { S: id }, name: { S: name }, active: { BOOL: true } } });
  }

  let admin = null;
  let c = null;
  try {
    admin = await startAdmin();
    c = await openConsole();
    const { page } = c;
    const go = async (path) => {
      const r = await page.goto(`${admin.url}${path}`);
      assert.equal(r.status(), 200, `GET ${path}: ${await r.text()}\n${admin.output()}`);
    };

    // The tables list (ListTables, then DescribeTable of each). A table another test deletes
    // between the two fails the page (the gateway drops a table at once, without DynamoDB's
    // DELETING while): load it again then.
    for (let attempt = 1; ; attempt++) {
      const r = await page.goto(`${admin.url}/`);
      if (r.status() === 200) break;
      const body = await r.text();
      assert.ok(attempt < 5 && /not found|ResourceNotFound/i.test(body), `GET /: ${body}\n${admin.output()}`);
    }
    for (const name of [orders, users]) {
      await page.locator(`#table-list li[data-table-name="${name}"]`).getByRole('link', { name }).waitFor();
    }
    await page.locator('#filter-input').fill('dda_');
    await c.screenshot('dynamodb-admin-tables');

    // A table's Items page: a Scan through /tables/<name>/items, rendered in the page.
    await page.locator(`#table-list li[data-table-name="${orders}"]`).getByRole('link', { name: orders }).click();
    await page.waitForURL(`${admin.url}/tables/${orders}`);
    await page.locator('#items-container tr').nth(3).waitFor();
    await noErrorBanner(page, admin);
    assert.equal(await page.locator('#items-container tr').count(), 4);
    const headers = (await page.locator('#actions-row th').allTextContents()).map((s) => s.trim());
    assert.deepEqual(headers.slice(0, 3), ['Actions', 'customer', 'order_no']);
    for (const col of ['status', 'total', 'address', 'lines', 'tags', 'thumb']) assert.ok(headers.includes(col), `column ${col} in ${headers}`);
    const rows = await page.locator('#items-container tr').allInnerTexts();
    const annRow = rows.find((r) => r.includes('"ann"') && r.includes('"shipped"'));
    assert.ok(annRow, `the nested item among ${JSON.stringify(rows)}`);
    assert.match(annRow, /12\.5/);
    assert.ok(rows.some((r) => r.includes('"bob"')) && rows.some((r) => r.includes('"cyd"') && /\b70\b/.test(r)), JSON.stringify(rows));
    // The GSI is offered for queries.
    assert.match(await page.locator('select[name="queryableSelection"]').innerText(), /by_status: status, order_no/);
    await c.screenshot('dynamodb-admin-items');

    // Query through the index (operationType=query on by_status): the two pending orders.
    const filters = encodeURIComponent(JSON.stringify({ status: { operator: '=', value: 'pending', type: 'S' } }));
    await go(`/tables/${orders}?operationType=query&queryableSelection=by_status&filters=${filters}`);
    await page.locator('#items-container tr').nth(1).waitFor();
    await noErrorBanner(page, admin);
    const pending = await page.locator('#items-container tr').allInnerTexts();
    assert.equal(pending.length, 2, JSON.stringify(pending));
    assert.ok(pending.every((r) => r.includes('"pending"')), JSON.stringify(pending));

    // An item's page (GetItem), reached by its View link.
    await go(`/tables/${orders}`);
    await page.locator('#items-container tr').filter({ hasText: '"shipped"' }).filter({ hasText: '"ann"' }).getByRole('link', { name: 'View' }).click();
    await page.waitForURL(`${admin.url}/tables/${orders}/items/ann%2C1`);
    const item = JSON.parse(await editorText(page));
    assert.equal(item.customer, 'ann');
    assert.equal(item.order_no, 1);
    assert.equal(item.total, 12.5);
    assert.deepEqual(item.address, { city: 'Lyon', zip: '69001', geo: { lat: 45.76, lon: 4.83 } });
    assert.deepEqual(item.lines, [{ sku: 'pen-blue', qty: 3 }, { sku: 'ink', qty: 1, gift: true }, 'note', null]);
    // Sets and binaries come out of the SDK's document client as Set and Uint8Array, which
    // the page shows as JSON.stringify does: {} and index → byte.
    for (const k of ['tags', 'weights', 'thumb', 'chunks']) assert.ok(k in item, `${k} in ${Object.keys(item)}`);
    assert.deepEqual(item.thumb, { 0: 0xde, 1: 0xad, 2: 0xbe, 3: 0xef });
    await c.screenshot('dynamodb-admin-item');

    // Meta: the table's description, with its key schema and index.
    await go(`/tables/${orders}/meta`);
    const meta = JSON.parse(await editorText(page));
    assert.equal(meta.TableName, orders);
    assert.deepEqual(meta.KeySchema, [
      { AttributeName: 'customer', KeyType: 'HASH' },
      { AttributeName: 'order_no', KeyType: 'RANGE' },
    ]);
    assert.equal(meta.GlobalSecondaryIndexes?.[0]?.IndexName, 'by_status');
    assert.equal(meta.TableStatus, 'ACTIVE');
    await c.screenshot('dynamodb-admin-meta');

    // TTL: DescribeTimeToLive.
    await go(`/tables/${users}/ttl`);
    await page.getByText('DISABLED').first().waitFor();

    // Create item through its editor (PutItem, then GetItem), checked through the API.
    await go(`/tables/${users}/add-item`);
    await editorText(page);
    await page.evaluate((json) => globalThis.ace.edit(document.querySelector('.ace_editor')).setValue(json), JSON.stringify({ id: 'u9', name: 'Dee Kim', roles: ['admin', 'dev'], age: 41 }));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(`${admin.url}/tables/${users}/items/u9`);
    const created = await ddb.dynamodb('GetItem', { TableName: users, Key: { id: { S: 'u9' } } });
    assert.deepEqual(created.Item, { id: { S: 'u9' }, name: { S: 'Dee Kim' }, roles: { L: [{ S: 'admin' }, { S: 'dev' }] }, age: { N: '41' } });

    // Delete an item from its page (DeleteItem), checked through the API.
    await go(`/tables/${users}/items/u2`);
    assert.equal(JSON.parse(await editorText(page)).name, 'Bob Ray');
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(`${admin.url}/tables/${users}`);
    await page.locator('#items-container tr').nth(2).waitFor();
    const left = await page.locator('#items-container tr').allInnerTexts();
    assert.equal(left.length, 3, JSON.stringify(left));
    assert.ok(!left.some((r) => r.includes('"u2"')), JSON.stringify(left));
    const gone = await ddb.dynamodb('GetItem', { TableName: users, Key: { id: { S: 'u2' } } });
    assert.equal(gone.Item, undefined);

    // Purge a table from its Meta page (a Scan projecting the keys, then BatchWriteItem).
    page.on('dialog', (d) => d.accept());
    await go(`/tables/${orders}/meta`);
    await page.getByRole('button', { name: 'Purge table' }).click();
    await page.waitForURL(`${admin.url}/tables/${orders}`);
    await page.locator('.no-results').waitFor({ state: 'visible' });
    const purged = await ddb.dynamodb('Scan', { TableName: orders, Select: 'COUNT' });
    assert.equal(purged.Count, 0);

    // Delete a table from the tables list (DeleteTable).
    await go('/');
    await page.locator(`#table-list li[data-table-name="${users}"]`).getByText('Delete').click();
    await page.locator(`#table-list li[data-table-name="${users}"]`).waitFor({ state: 'detached' });
    const { TableNames } = await ddb.dynamodb('ListTables', {});
    assert.ok(!TableNames.includes(users) && TableNames.includes(orders), JSON.stringify(TableNames));
  } finally {
    try {
      if (c) await c.close();
    } finally {
      admin?.stop();
      for (const name of [orders, users]) await ddb.dynamodb('DeleteTable', { TableName: name }).catch(() => {});
    }
  }
});
