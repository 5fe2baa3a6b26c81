// The Query / Scan tab: a table with a string sort key and a GSI (status, amount), 50 items
// written through the API; then in the browser: a Query with BETWEEN, descending, and with
// begins_with; paging with Load more; a Query of the GSI; column picking; CSV and JSON exports
// (the downloads' content); a Scan with a filter over 3 parallel segments (per-segment counts
// against the API's); the latency breakdown; a form error and an API error shown in place with
// the form kept. Screenshots: explore-query, explore-scan, explore-trace.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { openConsole, skip, unique, api, until, createTable } from './lib.mjs';
import { placeholders, condition, projection, splitNames, toValue, FormError } from '../../console/js/condition_builder.js';
import { csvOf, csvField, jsonOf } from '../../console/js/export.js';
import { columnsOf } from '../../console/js/results.js';

const pad = (i) => String(i).padStart(3, '0');

/** 50 items: users 1 and 2, orders 1–20 each (every third closed; a note with a comma and quotes), ten more one each. */
function itemsOf() {
  const items = [];
  for (const user of [1, 2]) {
    for (let i = 1; i <= 20; i++) {
      const item = {
        pk: { S: `user#${user}` },
        sk: { S: `order#${pad(i)}` },
        status: { S: i % 3 === 0 ? 'closed' : 'open' },
        amount: { N: String(user * 100 + i * 5) },
        note: { S: `say "hi", #${i}` },
      };
      if (i % 4 === 0) item.tags = { SS: ['gift', 'rush'] };
      items.push(item);
    }
  }
  // Ten more partitions of one item each. The server splits a parallel scan by the first bytes
  // of the partition key (0x00–0x55, 0x55–0xAA, 0xAA–: digits, letters, then non-ASCII), so
  // these first letters give every one of 3 segments some items.
  [...'0123kmäöüé'].forEach((first, i) => {
    items.push({ pk: { S: `${first}-extra` }, sk: { S: 'order#001' }, status: { S: i % 2 ? 'closed' : 'open' }, amount: { N: String(i + 1) } });
  });
  return items;
}

async function setup(a, name) {
  await createTable(a, name, { range: 'sk', indexes: [{ name: 'by_status', hash: 'status', range: ['amount', 'N'] }] });
  const items = itemsOf();
  for (let i = 0; i < items.length; i += 25) {
    await a.dynamodb('BatchWriteItem', { RequestItems: { [name]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } });
  }
}

/** Every item of a query or scan through the API, all pages. */
async function all(a, op, body) {
  const out = [];
  let ExclusiveStartKey;
  do {
    const r = await a.dynamodb(op, { ...body, ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}) });
    out.push(...r.Items);
    ExclusiveStartKey = r.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return out;
}

test('query, scan in parallel, pick columns, export, latency breakdown, errors in place', { skip }, async () => {
  const a = api();
  const name = unique('e2e_explore');
  await setup(a, name);
  const c = await openConsole();
  const { page } = c;
  const summary = page.getByRole('region', { name: 'Summary' });
  const fact = (label) => summary.locator('dt', { hasText: new RegExp(`^${label}$`) }).locator('xpath=following-sibling::dd[1]').locator('.ex-fig');
  const rows = page.locator('.rs-table tbody tr');
  const cellText = (r, c) => rows.nth(r).locator('td').nth(c).textContent();
  const headers = () => page.locator('.rs-table thead th[scope="col"]:not(.rs-act)').allTextContents();
  const run = async () => {
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await summary.locator('.ex-state').filter({ hasNotText: 'Reading' }).waitFor();
  };
  try {
    await c.signIn(undefined, `#/table/${name}/explore`);
    const pk = page.getByLabel(/^Partition key: pk/);
    await pk.waitFor();

    // Query: BETWEEN, descending.
    await pk.fill('user#1');
    await page.getByLabel(/^Sort key: sk/).selectOption('BETWEEN');
    await page.getByLabel('From', { exact: true }).fill('order#005');
    await page.getByLabel('and', { exact: true }).fill('order#010');
    await page.getByLabel('Sort key order').selectOption('desc');
    await run();
    assert.equal(await fact('Count').textContent(), '6');
    assert.equal(await rows.count(), 6);
    const sks = await page.locator('.rs-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.children[2].textContent));
    assert.deepEqual(sks, ['order#010', 'order#009', 'order#008', 'order#007', 'order#006', 'order#005']);
    assert.deepEqual((await headers()).slice(0, 2), ['pk', 'sk'], 'the key columns come first');

    // begins_with, ascending, against the API.
    await page.getByLabel(/^Sort key: sk/).selectOption('begins_with');
    await page.getByLabel('Value', { exact: true }).fill('order#01');
    await page.getByLabel('Sort key order').selectOption('asc');
    await run();
    const expected = await all(a, 'Query', {
      TableName: name,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': { S: 'user#1' }, ':s': { S: 'order#01' } },
    });
    assert.equal(expected.length, 10);
    assert.equal(await fact('Count').textContent(), String(expected.length));
    assert.equal(await cellText(0, 2), 'order#010', 'the first row (after the Open cell and pk) has sk order#010');
    await c.screenshot('explore-query', { fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1200 } });

    // Paging: 10 a page over the 20 items of user#2, then Load more.
    await pk.fill('user#2');
    await page.getByLabel(/^Sort key: sk/).selectOption('');
    await page.getByLabel(/^Page size/).selectOption('10');
    await run();
    assert.equal(await rows.count(), 10);
    assert.match(await summary.textContent(), /More to read/);
    await page.getByRole('button', { name: 'Load more' }).click();
    await until('the second page', async () => (await rows.count()) === 20);
    await summary.locator('.ex-state').filter({ hasNotText: 'Reading' }).waitFor();
    if (/More to read/.test(await summary.textContent())) {
      // A page that ends exactly at the Limit still carries a LastEvaluatedKey: one more read ends it.
      await page.getByRole('button', { name: 'Load more' }).click();
      await summary.getByText('Read to the end').waitFor();
    }
    assert.equal(await rows.count(), 20);
    assert.equal(await fact('Count').textContent(), '20');

    // The GSI: status = open, amount > 150 (the sort key's type is Number).
    await page.getByLabel('Read from').selectOption({ label: 'Global index by_status (status, amount)' });
    assert.equal(await page.getByLabel(/Strongly consistent read/).isDisabled(), true, 'no consistent reads on a GSI');
    await page.getByLabel(/^Partition key: status/).fill('open');
    await page.getByLabel(/^Sort key: amount/).selectOption('>');
    await page.getByLabel('Value', { exact: true }).fill('150');
    await page.getByLabel(/^Page size/).selectOption('100');
    await run();
    const gsi = await all(a, 'Query', {
      TableName: name,
      IndexName: 'by_status',
      KeyConditionExpression: '#s = :s AND amount > :a',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': { S: 'open' }, ':a': { N: '150' } },
    });
    assert.ok(gsi.length > 5);
    assert.equal(await fact('Count').textContent(), String(gsi.length));
    assert.deepEqual((await headers()).slice(0, 4), ['pk', 'sk', 'status', 'amount'], 'table keys, then index keys');

    // Column picking: hide `note`.
    assert.ok((await headers()).includes('note'));
    await page.getByText(/^Columns \(/).click();
    await page.getByRole('group', { name: 'Columns shown' }).getByLabel('note').uncheck();
    await page.keyboard.press('Escape');
    assert.ok(!(await headers()).includes('note'), 'the note column is hidden');
    assert.match(await page.getByText(/^Columns \(/).textContent(), /Columns \(\d+ of \d+\)/);

    // Exports: CSV of the visible columns, JSON of every loaded item. The formula protection is
    // on by default, and the page says what it does.
    assert.equal(await page.getByLabel('Protect against spreadsheet formulas').isChecked(), true);
    await page.getByText(/is run as a formula by a spreadsheet/).waitFor();
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    assert.match(csvDownload.suggestedFilename(), new RegExp(`^${name}_.*\\.csv$`));
    const csv = await readFile(await csvDownload.path(), 'utf8');
    const lines = csv.split('\r\n');
    assert.equal(lines.at(-1), '', 'CRLF after the last line');
    const visible = await headers();
    assert.equal(lines[0], visible.join(','));
    assert.equal(lines.length - 2, gsi.length);
    assert.ok(!lines[0].split(',').includes('note'));
    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
    const exported = JSON.parse(await readFile(await jsonDownload.path(), 'utf8'));
    assert.equal(exported.length, gsi.length);
    assert.equal(exported[0].note.S.startsWith('say "hi", #'), true, 'the JSON keeps every attribute');
    // Shown again, a quoted field: `"say ""hi"", #n"`.
    await page.getByText(/^Columns \(/).click();
    await page.getByRole('group', { name: 'Columns shown' }).getByLabel('note').check();
    await page.keyboard.press('Escape');
    const [csv2] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    assert.match(await readFile(await csv2.path(), 'utf8'), /,"say ""hi"", #\d+"/);

    // Scan: filter status = closed, 3 parallel segments; the form keeps the Query's values.
    await page.getByLabel('Read from').selectOption({ index: 0 });
    await page.getByLabel(/^Scan/).check();
    await page.getByRole('button', { name: 'Add filter condition' }).click();
    const cond = page.getByRole('group', { name: 'Filter condition 1' });
    await cond.getByLabel('Attribute').fill('status');
    await cond.getByLabel('Value').fill('closed');
    await page.getByLabel(/^Parallel segments/).fill('3');
    await run();
    assert.match(page.url(), /\/explore\/scan$/);
    const filtered = { TableName: name, FilterExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': { S: 'closed' } } };
    const perSegment = [];
    for (let s = 0; s < 3; s++) perSegment.push((await all(a, 'Scan', { ...filtered, Segment: s, TotalSegments: 3 })).length);
    const total = perSegment.reduce((x, y) => x + y, 0);
    assert.equal(total, 17);
    assert.ok(perSegment.every((n) => n > 0), `the items spread over the segments: ${perSegment}`);
    const segRows = page.locator('.ex-segs tbody tr');
    assert.equal(await segRows.count(), 3);
    for (let s = 0; s < 3; s++) assert.equal(await segRows.nth(s).locator('td').nth(1).textContent(), String(perSegment[s]), `segment ${s}'s Count`);
    assert.equal(await fact('Count').textContent(), String(total));
    assert.equal(await fact('ScannedCount').textContent(), '50');
    assert.equal(await rows.count(), total);
    // Open a row: its DynamoDB JSON, and the way to edit it on the Items tab.
    const firstPk = await cellText(0, 1);
    await rows.nth(0).getByRole('button', { name: /^Open item/ }).click();
    const opened = page.getByRole('region', { name: 'Item', exact: true });
    assert.match(await opened.locator('pre').textContent(), new RegExp(`"pk": \\{"S": "${firstPk}"\\}`));
    const edit = await opened.getByRole('link', { name: 'Edit in Items' }).getAttribute('href');
    assert.equal(decodeURIComponent(edit), `#/table/${name}/items/edit/{"pk":{"S":"${firstPk}"},"sk":{"S":"order#001"}}`);
    await page.keyboard.press('Escape');
    await opened.waitFor({ state: 'detached' });
    // The focus is back on the row's Open button.
    assert.equal(await rows.nth(0).getByRole('button', { name: /^Open item/ }).evaluate((el) => el === document.activeElement), true);

    await c.screenshot('explore-scan', { fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1200 } });

    // The latency breakdown of the run: 3 requests summed, and one of them picked.
    const trace = page.getByRole('region', { name: 'Latency breakdown', exact: true });
    await trace.getByText('Latency breakdown summed over 3 requests').waitFor();
    await trace.getByRole('rowheader', { name: 'Server operation' }).first().waitFor();
    await trace.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await c.screenshot('explore-trace');
    await trace.getByLabel('Show', { exact: true }).selectOption({ label: 'segment 1, page 1' });
    await trace.getByText('Latency breakdown of segment 1, page 1').waitFor();

    // Back to Query: what was typed is still there.
    await page.getByLabel(/^Query/).check();
    assert.equal(await pk.inputValue(), 'user#2');
    assert.match(page.url(), /\/explore$/);

    // A form error (a number that is not one) and an API error (begins_with on a number), in place.
    await page.getByLabel(/^Scan/).check();
    await cond.getByLabel('Attribute').fill('amount');
    await cond.getByLabel('Operator').selectOption('begins_with');
    await cond.getByLabel('Type').selectOption('N');
    await cond.getByLabel('Value').fill('12x');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'filter condition 1 (amount)' }).waitFor();
    await cond.getByLabel('Value').fill('12');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'ValidationException' });
    await alert.waitFor();
    assert.match(await alert.textContent(), /begins_with/);
    assert.equal(await cond.getByLabel('Value').inputValue(), '12', 'the form keeps what was typed');
    assert.equal(await cond.getByLabel('Attribute').inputValue(), 'amount');
  } finally {
    await c.close();
    await a.dynamodb('DeleteTable', { TableName: name }).catch(() => {});
  }
});

test('expressions use placeholders only; CSV quoting; column order', () => {
  const p = placeholders();
  const key = [condition(p, 'odd name', '=', [toValue('S', 'a) OR (1=1', 'pk')]), condition(p, 'sk', 'BETWEEN', [{ N: '1' }, { N: '2' }])].join(' AND ');
  const filter = [condition(p, 'tags', 'contains', [{ S: 'x' }]), condition(p, 'odd name', 'attribute_exists', [])].join(' OR ');
  const proj = projection(p, splitNames(' odd name , sk,, #x '));
  const body = p.into({ KeyConditionExpression: key, FilterExpression: filter, ProjectionExpression: proj });
  assert.equal(body.KeyConditionExpression, '#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2');
  assert.equal(body.FilterExpression, 'contains(#n2, :v3) OR attribute_exists(#n0)');
  assert.equal(body.ProjectionExpression, '#n0, #n1, #n3');
  assert.deepEqual(body.ExpressionAttributeNames, { '#n0': 'odd name', '#n1': 'sk', '#n2': 'tags', '#n3': '#x' });
  assert.deepEqual(body.ExpressionAttributeValues[':v0'], { S: 'a) OR (1=1' });
  assert.equal(Object.keys(body.ExpressionAttributeValues).length, 4);
  assert.deepEqual(placeholders().into({}), {}, 'no empty maps');
  assert.deepEqual(toValue('N', ' 12.5 ', 'v'), { N: '12.5' });
  assert.deepEqual(toValue('BOOL', 'True', 'v'), { BOOL: true });
  assert.throws(() => toValue('N', '12x', 'filter 1'), (e) => e instanceof FormError && /filter 1/.test(e.message));
  assert.throws(() => toValue('B', 'not base64!', 'v'), FormError);

  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  const items = [{ pk: { S: 'a' }, n: { N: '1' }, m: { M: { k: { L: [{ S: 'x' }, { BOOL: true }] } } } }, { pk: { S: 'b,c' }, s: { SS: ['p', 'q'] } }];
  assert.equal(csvOf(items, ['pk', 'n', 'm', 's']), 'pk,n,m,s\r\na,1,"{""k"": [""x"", true]}",\r\n"b,c",,,"{p, q}"\r\n');
  const long = { pk: { S: 'x'.repeat(500) } };
  assert.equal(csvOf([long], ['pk']), `pk\r\n${'x'.repeat(500)}\r\n`, 'values are not cut');
  assert.equal(csvOf([{ t: { S: 'line 1\r\nline 2' } }], ['t']), 't\r\n"line 1\r\nline 2"\r\n', 'a string exactly');
  // Formula protection (on by default): a cell a spreadsheet would run gets a leading ', numbers
  // excepted; off, every value exactly.
  const risky = [{ f: { S: '=HYPERLINK("http://x")' }, p: { S: '+1+1' }, m: { S: '-2+3' }, a: { S: '@SUM(A1)' }, t: { S: '\tx' }, n: { N: '-5' }, s: { S: 'a=b' } }];
  const cols = ['f', 'p', 'm', 'a', 't', 'n', 's'];
  assert.equal(csvOf(risky, cols), `f,p,m,a,t,n,s\r\n"'=HYPERLINK(""http://x"")",'+1+1,'-2+3,'@SUM(A1),'\tx,-5,a=b\r\n`);
  assert.equal(csvOf(risky, cols, { protect: false }), `f,p,m,a,t,n,s\r\n"=HYPERLINK(""http://x"")",+1+1,-2+3,@SUM(A1),\tx,-5,a=b\r\n`);
  assert.equal(csvOf([], ['=x']), `'=x\r\n`, 'a column name too');
  assert.deepEqual(JSON.parse(jsonOf(items)), items);
  assert.deepEqual(columnsOf([{ b: {}, a: {}, sk: {} }, { c: {}, pk: {} }], ['pk', 'sk', 'gone']), ['pk', 'sk', 'b', 'a', 'c']);
});
