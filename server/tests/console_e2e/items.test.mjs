// The Items tab: creates an item through the typed form (a nested map, a list, a string set),
// edits it in the DynamoDB JSON view (switching views back and forth), shows the errors of an
// invalid JSON, a bad number, a changed key, a duplicate key and a too-long key in place,
// copies it as a new item under another key, refuses to save an item deleted meanwhile
// (nothing written; then saved as a new item on request), deletes it with the confirmation
// (Escape cancels first); browses 60 items 25 a page with Next and Previous (a double click
// moves one page; an answer overtaken by a later request is dropped). Everything checked on the page and through the API. Also the DynamoDB
// JSON helpers (js/ddbjson.js) in Node, without a server.
// Screenshots: items-browse, items-edit-form, items-edit-json, items-error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openConsole, skip, unique, api, until } from './lib.mjs';
import * as ddb from '../../console/js/ddbjson.js';
import { bytes } from '../../console/js/format.js';

async function createTable(name, withSort) {
  const a = api();
  await a.dynamodb('CreateTable', {
    TableName: name,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      ...(withSort ? [{ AttributeName: 'sk', AttributeType: 'N' }] : []),
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      ...(withSort ? [{ AttributeName: 'sk', KeyType: 'RANGE' }] : []),
    ],
    BillingMode: 'PAY_PER_REQUEST',
  });
  await until(`table ${name} to be active`, async () => (await a.dynamodb('DescribeTable', { TableName: name })).Table.TableStatus === 'ACTIVE');
}

const KEY = { pk: { S: 'user#1' }, sk: { N: '7' } };

test('create through the form, edit in JSON, errors in place, delete', { skip }, async () => {
  const name = unique('e2e_items');
  await createTable(name, true);
  const c = await openConsole();
  const { page } = c;
  const alert = page.locator('.items-status [role="alert"]');
  try {
    await c.signIn(undefined, `#/table/${name}/items/new`);
    await page.getByRole('heading', { name: 'Create item' }).waitFor();

    // The key rows are there, names and types fixed; the rest is added row by row.
    await page.getByLabel('Value of pk').fill('user#1');
    await page.getByLabel('Value of sk').fill('7');
    const add = page.getByRole('button', { name: 'Add attribute' });
    await add.click();
    await page.getByLabel('Attribute 3 name').fill('name');
    await page.getByLabel('Value of name').fill('Ada');
    await add.click();
    await page.getByLabel('Attribute 4 name').fill('address');
    await page.getByLabel('Type of address').selectOption('M');
    await page.getByRole('button', { name: 'Add entry to address' }).click();
    await page.getByLabel('address entry 1 name').fill('city');
    await page.getByLabel('Value of address.city').fill('Paris');
    await page.getByRole('button', { name: 'Add entry to address' }).click();
    await page.getByLabel('address entry 2 name').fill('zip');
    await page.getByLabel('Type of address.zip').selectOption('N');
    await page.getByLabel('Value of address.zip').fill('75001');
    await add.click();
    await page.getByLabel('Attribute 5 name').fill('scores');
    await page.getByLabel('Type of scores').selectOption('L');
    const addElement = page.getByRole('button', { name: 'Add element to scores' });
    await addElement.click();
    await page.getByLabel('Type of scores[0]').selectOption('N');
    await page.getByLabel('Value of scores[0]').fill('10');
    await addElement.click();
    await page.getByLabel('Value of scores[1]').fill('ten');
    await addElement.click();
    await page.getByLabel('Type of scores[2]').selectOption('BOOL');
    await add.click();
    await page.getByLabel('Attribute 6 name').fill('tags');
    await page.getByLabel('Type of tags').selectOption('SS');
    await page.getByLabel('Members of tags').fill('red\nblue\n');
    // A row added by mistake and removed.
    await add.click();
    await page.getByRole('button', { name: 'Remove attribute 7' }).click();
    await page.getByRole('button', { name: 'Create item' }).click();
    await page.getByText(/^Created at/).waitFor();
    await page.waitForURL((u) => u.hash.includes('/items/edit/'));

    const expected = {
      ...KEY,
      name: { S: 'Ada' },
      address: { M: { city: { S: 'Paris' }, zip: { N: '75001' } } },
      scores: { L: [{ N: '10' }, { S: 'ten' }, { BOOL: true }] },
      tags: { SS: ['red', 'blue'] },
    };
    const get = async () => (await api().dynamodb('GetItem', { TableName: name, Key: KEY, ConsistentRead: true })).Item;
    const created = await get();
    assert.deepEqual({ ...created, tags: { SS: [...created.tags.SS].sort() } }, { ...expected, tags: { SS: ['blue', 'red'] } });
    // The PutItem's latency breakdown is under the editor.
    await page.getByRole('region', { name: /Latency breakdown: PutItem/ }).waitFor();

    // Edit: the key is read-only now; the page shows the item as GetItem loaded it.
    await c.goto(`#/table/${name}/items`);
    await page.getByRole('button', { name: /Open item pk = user#1/ }).click();
    await page.getByRole('region', { name: /Latency breakdown: GetItem/ }).waitFor();
    assert.equal(await page.getByLabel('Value of pk').getAttribute('readonly'), '');
    assert.equal(await page.getByLabel('Value of address.city').inputValue(), 'Paris');
    await c.screenshot('items-edit-form');

    // JSON view: edit there, back to the form (the edit is in it), edit in the form, back to JSON.
    await page.getByRole('button', { name: 'DynamoDB JSON' }).click();
    const json = page.getByLabel('Item in DynamoDB JSON');
    const shown = JSON.parse(await json.inputValue());
    assert.deepEqual(Object.keys(shown).slice(0, 2), ['pk', 'sk']);
    shown.name = { S: 'Ada Lovelace' };
    shown.born = { N: '1815' };
    await json.fill(JSON.stringify(shown, null, 2));
    await page.getByRole('button', { name: 'Form' }).click();
    assert.equal(await page.getByLabel('Value of name').inputValue(), 'Ada Lovelace');
    assert.equal(await page.getByLabel('Value of born').inputValue(), '1815');
    await page.getByLabel('Value of address.city').fill('London');
    await page.getByRole('button', { name: 'DynamoDB JSON' }).click();
    const again = JSON.parse(await json.inputValue());
    assert.equal(again.address.M.city.S, 'London');
    assert.equal(again.name.S, 'Ada Lovelace');
    await json.evaluate((el) => el.scrollTo(0, 0));
    await c.screenshot('items-edit-json');

    // Errors in place, nothing typed lost: invalid JSON (line and column), a bad number, a changed key.
    const good = await json.inputValue();
    const broken = good.replace('"Ada Lovelace"', '"Ada Lovelace",');
    await json.fill(broken);
    await page.getByRole('button', { name: 'Save' }).click();
    await alert.filter({ hasText: /line \d+, column \d+: not valid JSON/ }).waitFor();
    assert.equal(await json.inputValue(), broken);
    await page.getByRole('button', { name: 'Form' }).click(); // refused: the JSON does not parse
    assert.equal(await json.isVisible(), true);
    await json.fill(good.replace('"1815"', '"18x5"'));
    await page.getByRole('button', { name: 'Save' }).click();
    await alert.filter({ hasText: 'born: N: "18x5" is not a number' }).waitFor();
    await c.screenshot('items-error');
    await json.fill(good.replace('"user#1"', '"user#9"'));
    await page.getByRole('button', { name: 'Save' }).click();
    await alert.filter({ hasText: 'pk: the key cannot change while editing' }).waitFor();
    await json.fill(good);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/^Saved at/).waitFor();
    const edited = await get();
    assert.equal(edited.name.S, 'Ada Lovelace');
    assert.equal(edited.born.N, '1815');
    assert.deepEqual(edited.address, { M: { city: { S: 'London' }, zip: { N: '75001' } } });

    // Copy as new item: the create form holds the edited item; its key can change there.
    await page.getByRole('button', { name: 'Copy as new item' }).click();
    await page.getByRole('heading', { name: 'Create item' }).waitFor();
    await page.getByRole('button', { name: 'Form' }).click();
    await page.getByLabel('Value of pk').fill('user#3');
    await page.getByRole('button', { name: 'Create item' }).click();
    await page.getByText(/^Created at/).waitFor();
    const copyKey = { ...KEY, pk: { S: 'user#3' } };
    const copy = (await api().dynamodb('GetItem', { TableName: name, Key: copyKey })).Item;
    assert.deepEqual({ ...copy, pk: KEY.pk }, edited);

    // Someone deletes the copy while it is open here: Save is refused (a save never brings an
    // item back), nothing is written; "Save it as a new item" then creates it, on request.
    await api().dynamodb('DeleteItem', { TableName: name, Key: copyKey });
    await page.getByLabel('Value of name').fill('Grace');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await alert.filter({ hasText: /ConditionalCheckFailedException.*no longer exists/ }).waitFor();
    assert.equal((await api().dynamodb('GetItem', { TableName: name, Key: copyKey, ConsistentRead: true })).Item, undefined, 'nothing was written');
    assert.equal(await page.getByLabel('Value of name').inputValue(), 'Grace', 'the edit is kept');
    await page.getByRole('button', { name: 'Save it as a new item' }).click();
    const createdAgain = page.getByText(/^Created again at/);
    await createdAgain.waitFor();
    assert.equal(await createdAgain.evaluate((el) => el === document.activeElement), true, "the message has the focus");
    assert.equal((await api().dynamodb('GetItem', { TableName: name, Key: copyKey, ConsistentRead: true })).Item.name.S, 'Grace');

    // Back to the first item, to delete it.
    await c.goto(`#/table/${name}/items/edit/${encodeURIComponent(JSON.stringify(KEY))}`);
    await page.getByRole('heading', { name: /Item pk = user#1/ }).waitFor();

    // Delete: Escape cancels the confirmation; then confirmed.
    await page.getByRole('button', { name: 'Delete item' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Confirm delete' });
    await confirm.waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    assert.ok(await get(), 'Escape deleted nothing');
    await page.getByRole('button', { name: 'Delete item' }).click();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByText(/^Deleted the item/).waitFor();
    await page.getByRole('region', { name: /Latency breakdown: DeleteItem/ }).waitFor();
    assert.equal(await get(), undefined);

    // A create on a key that exists: a clear error in place, the form as typed.
    await api().dynamodb('PutItem', { TableName: name, Item: { pk: { S: 'user#2' }, sk: { N: '1' }, v: { S: 'old' } } });
    await c.goto(`#/table/${name}/items/new`);
    // First an API validation error in place: a partition key over 2048 bytes.
    await page.getByLabel('Value of pk').fill('x'.repeat(2049));
    await page.getByLabel('Value of sk').fill('1');
    await page.getByRole('button', { name: 'Add attribute' }).click();
    await page.getByLabel('Attribute 3 name').fill('v');
    await page.getByLabel('Value of v').fill('new');
    await page.getByLabel('Value of v').press('Enter'); // Enter submits
    await alert.filter({ hasText: /ValidationException.*2048/ }).waitFor();
    assert.equal(await page.getByLabel('Value of v').inputValue(), 'new');
    await page.getByLabel('Value of pk').fill('user#2');
    await page.getByRole('button', { name: 'Create item' }).click();
    await alert.filter({ hasText: /ConditionalCheckFailedException.*already exists/ }).waitFor();
    assert.equal(await page.getByLabel('Value of v').inputValue(), 'new');
    const kept = await api().dynamodb('GetItem', { TableName: name, Key: { pk: { S: 'user#2' }, sk: { N: '1' } } });
    assert.equal(kept.Item.v.S, 'old');
  } finally {
    await c.close();
    await api().dynamodb('DeleteTable', { TableName: name }).catch(() => {});
  }
});

test('browse 60 items 25 a page with Next and Previous', { skip }, async () => {
  const name = unique('e2e_browse');
  await createTable(name, false);
  const a = api();
  const all = Array.from({ length: 60 }, (_, i) => ({
    pk: { S: `item-${String(i).padStart(2, '0')}` },
    n: { N: String(i) },
    ...(i % 3 === 0 ? { tags: { SS: ['a', 'b'] } } : { doc: { M: { k: { L: [{ S: 'x' }, { N: '1' }] } } } }),
  }));
  for (let i = 0; i < all.length; i += 25) {
    await a.dynamodb('BatchWriteItem', { RequestItems: { [name]: all.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } });
  }
  const c = await openConsole();
  const { page } = c;
  try {
    await c.signIn(undefined, `#/table/${name}/items`);
    const summary = page.locator('.items-summary');
    const rows = page.locator('.rs-table tbody tr');
    const keysShown = async () => rows.locator('td:nth-child(2)').allTextContents();
    await summary.filter({ hasText: 'Page 1' }).waitFor();
    assert.match(await summary.textContent(), /items 1–25 \(25 on this page, at most 25\).*capacity unit/);
    assert.equal(await rows.count(), 25);
    // The key is the first column (after Open).
    assert.equal(await page.locator('.rs-table thead th').nth(1).textContent(), 'pk');
    await c.screenshot('items-browse');
    const seen = new Set(await keysShown());
    const next = page.getByRole('button', { name: 'Next →' });
    const prev = page.getByRole('button', { name: '← Previous' });
    assert.equal(await prev.isDisabled(), true);
    // Scans slowed down: while a page loads both buttons are disabled, so a double click on
    // Next sends one Scan and moves one page.
    const scans = [];
    const api_ = (u) => new URL(u).pathname === '/';
    await page.route(api_, async (route) => {
      if ((route.request().headers()['x-amz-target'] || '').endsWith('.Scan')) {
        scans.push(JSON.parse(route.request().postData()).Limit);
        await new Promise((r) => setTimeout(r, 400));
      }
      await route.continue();
    });
    await next.dblclick();
    assert.equal(await next.isDisabled(), true, 'Next is disabled while the page loads');
    assert.equal(await prev.isDisabled(), true, 'Previous is disabled while the page loads');
    await summary.filter({ hasText: 'Page 2' }).waitFor();
    assert.deepEqual(scans, [25], 'one Scan for a double click');
    await page.unroute(api_);
    const second = await keysShown();
    assert.equal(second.length, 25);
    for (const k of second) seen.add(k);
    await next.click();
    await summary.filter({ hasText: 'Page 3' }).waitFor();
    const third = await keysShown();
    for (const k of third) seen.add(k);
    assert.equal(third.length, 10);
    assert.equal(seen.size, 60);
    assert.equal(await next.isDisabled(), true);
    await prev.click();
    await summary.filter({ hasText: 'Page 2' }).waitFor();
    assert.deepEqual(await keysShown(), second);
    // A bigger page size starts over, even while a Refresh of 25 items is still on its way:
    // that answer, overtaken, is dropped when it comes.
    await page.route(api_, async (route) => {
      const body = JSON.parse(route.request().postData() || '{}');
      if ((route.request().headers()['x-amz-target'] || '').endsWith('.Scan') && body.Limit === 25) await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    const stale = page.waitForResponse((r) => (r.request().headers()['x-amz-target'] || '').endsWith('.Scan') && JSON.parse(r.request().postData()).Limit === 25);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByLabel('Items a page').selectOption('100');
    await summary.filter({ hasText: 'at most 100' }).waitFor();
    await until('60 rows', async () => (await rows.count()) === 60);
    await (await stale).finished();
    // Time for the page to handle that answer (it must drop it).
    await page.evaluate(() => new Promise((r) => setTimeout(r, 500)));
    assert.match(await summary.textContent(), /^Page 1 · items 1–60 \(60 on this page, at most 100\)/, 'the overtaken answer is not shown');
    assert.equal(await rows.count(), 60);
    await page.unroute(api_);
    // Opening a row leads to its editor.
    await page.getByRole('button', { name: 'Open item pk = item-07' }).click();
    await page.waitForURL((u) => u.hash.includes('/items/edit/'));
    assert.equal(await page.getByLabel('Value of n').inputValue(), '7');
  } finally {
    await c.close();
    await a.dynamodb('DeleteTable', { TableName: name }).catch(() => {});
  }
});

test('ddbjson: types, display, keys, checks, format', () => {
  const item = {
    pk: { S: 'a' },
    sk: { N: '1.50' },
    m: { M: { city: { S: 'Paris' }, 'odd key': { L: [{ N: '1' }, { BOOL: true }, { NULL: true }] } } },
    ss: { SS: ['x', 'y'] },
    ns: { NS: ['1', '2'] },
    b: { B: 'AAE=' },
  };
  assert.equal(ddb.validateItem(item), item);
  assert.deepEqual(Object.values(item).map(ddb.typeOf), ['S', 'N', 'M', 'SS', 'NS', 'B']);
  assert.equal(ddb.typeOf({ S: 'a', N: '1' }), null);
  assert.equal(ddb.displayValue(item.m), '{"city": "Paris", "odd key": [1, true, null]}');
  assert.equal(ddb.displayValue(item.ss), '{x, y}');
  assert.equal(ddb.displayValue({ S: 'x'.repeat(200) }, 10), `${'x'.repeat(9)}…`);
  assert.equal(ddb.displayValue({ S: 'a\nb' }), 'a b');
  const schema = [{ AttributeName: 'sk', KeyType: 'RANGE' }, { AttributeName: 'pk', KeyType: 'HASH' }];
  assert.deepEqual(ddb.keyNames(schema), ['pk', 'sk']);
  assert.deepEqual(ddb.keyOf(item, schema), { pk: { S: 'a' }, sk: { N: '1.50' } });
  const error = (it) => {
    try {
      ddb.validateItem(it);
    } catch (e) {
      return e.message;
    }
    return 'no error';
  };
  assert.equal(error({ a: { Q: 'x' } }), 'a: unknown type "Q"; one of S, N, B, BOOL, NULL, M, L, SS, NS, BS');
  assert.match(error({ a: { s: 'x' } }), /did you mean "S"/);
  assert.equal(error({ a: { M: { b: { N: '12a' } } } }), 'a.b: N: "12a" is not a number');
  assert.match(error({ a: { L: [{ N: '1' }, { NS: [] }] } }), /^a\[1\]: NS: a set cannot be empty/);
  assert.match(error({ a: { NS: ['1', '1.0'] } }), /^a: NS: duplicate member "1.0"/);
  assert.match(error({ a: { SS: ['x', 'x'] } }), /^a: SS: duplicate member/);
  assert.match(error({ a: { B: '@@' } }), /^a: B must be a base64 string/);
  assert.match(error({ a: { BS: ['AA=='] , S: 'x' } }), /exactly one type/);
  assert.match(error({ 'odd key': { S: 1 } }), /^"odd key": S must be a JSON string/);
  assert.match(error({ a: { N: '1e200' } }), /too large/);
  assert.match(error({ a: { N: '1'.repeat(39) } }), /more than 38 significant digits/);
  assert.match(error([]), /an item is a JSON object/);
  assert.equal(ddb.checkNumber('-0.5E-3'), null);
  assert.throws(() => ddb.parseItem('{\n "a": {"S": "x"},\n}'), (e) => e.line === 3 && e.column === 1);
  // The editing format is JSON that reads back the same, one attribute a line.
  const odd = { s: { S: 'a",' }, t: { SS: ['a",', '"', '\\', ','] }, e: { M: {} }, l: { L: [] } };
  for (const it of [item, odd]) assert.deepEqual(JSON.parse(ddb.formatItem(it)), it);
  assert.equal(ddb.formatItem({ pk: { S: 'a' }, tags: { SS: ['x', 'y'] } }), '{\n  "pk": {"S": "a"},\n  "tags": {"SS": ["x", "y"]}\n}');
  // Sizes as DynamoDB counts them: names plus values (a number: 1 + one byte per two digits).
  assert.equal(ddb.itemSize({ pk: { S: 'abc' }, n: { N: '12345' } }), 2 + 3 + 1 + 4);
  // KB of 1,024 bytes everywhere, as DynamoDB's 400 KB item limit counts them.
  assert.equal(ddb.ITEM_SIZE_MAX, 409600);
  assert.equal(bytes(ddb.ITEM_SIZE_MAX), '400 KB');
  assert.equal(bytes(1536), '1.5 KB');
  assert.equal(bytes(76), '76 B');
  assert.equal(ddb.keyText({ pk: { S: 'a' }, sk: { N: '1' } }), 'pk = a, sk = 1');
});
