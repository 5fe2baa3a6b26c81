// The TTL tab: previews a table's items by a typed attribute (expired, live, no TTL, ignored),
// enables TTL on it and sees the expired item deleted by the server (through the API and on the
// page's next scan), sees the cooldown refusal in place when disabling at once, then disables
// it after the cooldown. Needs the server's --ttl-scan-interval 1 --ttl-change-cooldown 3.
// Screenshots: ttl-preview (with the scan's breakdown), ttl-enabled.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openConsole, skip, unique, api, until } from './lib.mjs';
import { judge, relative } from '../../console/js/pages/ttl.js';

test('ttl: how a TTL value is read', () => {
  const now = 1_800_000_000;
  assert.equal(judge(undefined, now).state, 'missing');
  assert.equal(judge({ S: '1' }, now).state, 'ignored');
  assert.equal(judge({ N: String(now * 1000) }, now).state, 'ignored');
  assert.deepEqual(judge({ N: String(now - 120) }, now), { state: 'expired', date: '2027-01-15T07:58:00Z', note: 'expired 2 min ago: deleted at the next pass' });
  assert.equal(judge({ N: String(now + 7200) }, now).note, 'expires in 2 h');
  assert.equal(relative(now + 3 * 86400, now), 'in 3 d');
});

test('ttl: enable, see an expired item go, cooldown refusal, disable', { skip }, async () => {
  const a = api();
  const name = unique('e2e_ttl');
  await a.dynamodb('CreateTable', {
    TableName: name,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const now = Math.floor(Date.now() / 1000);
  const items = [
    { pk: { S: 'old' }, expires: { N: String(now - 600) } },
    { pk: { S: 'fresh' }, expires: { N: String(now + 3600) } },
    { pk: { S: 'forever' } },
    { pk: { S: 'text' }, expires: { S: 'tomorrow' } },
  ];
  for (const Item of items) await a.dynamodb('PutItem', { TableName: name, Item });
  const c = await openConsole();
  const { page } = c;
  try {
    await c.signIn(undefined, `#/table/${name}/ttl`);
    await page.getByText('DISABLED').waitFor();
    await page.getByText('Type the TTL attribute above to preview it.').waitFor();

    // Preview before enabling, by the typed attribute.
    await page.getByLabel('TTL attribute').fill('expires');
    await page.getByRole('button', { name: 'Scan first page' }).click();
    const row = (pk) => page.getByRole('row').filter({ hasText: pk });
    await row('old').getByText('Expired', { exact: true }).waitFor();
    await row('fresh').getByText('Live', { exact: true }).waitFor();
    await row('forever').getByText('No TTL', { exact: true }).waitFor();
    await row('text').getByText('Ignored', { exact: true }).waitFor();
    // The scan's latency breakdown, under a disclosure.
    await page.getByText('Where this scan’s time went').click();
    await page.getByRole('region', { name: /^Scan of / }).getByRole('rowheader', { name: 'Server operation', exact: true }).waitFor();
    await c.screenshot('ttl-preview', { fullPage: true });

    // Enable with Enter in the field, then at once (within the server's 3 s cooldown) disable:
    // the server's refusal, in place. On a machine so slow that the cooldown passed meanwhile
    // (the disable went through), enable and disable again.
    const refused = page.getByRole('alert').getByText(/modified multiple times/);
    const disabled = page.getByText('TTL disabled (it was on expires).');
    for (let tries = 0; ; tries++) {
      assert.ok(tries < 3, 'the cooldown refusal was never seen');
      await page.getByLabel('TTL attribute').fill('expires');
      await page.getByLabel('TTL attribute').press('Enter');
      await page.getByText('TTL enabled on expires.').waitFor();
      await page.getByRole('button', { name: 'Disable TTL on expires' }).click();
      await Promise.race([refused.waitFor().catch(() => {}), disabled.waitFor().catch(() => {})]);
      if (await refused.isVisible()) break;
      await new Promise((r) => setTimeout(r, 3500)); // the cooldown, before enabling again
    }
    await page.getByText('ENABLED', { exact: true }).waitFor();
    const d = await a.dynamodb('DescribeTimeToLive', { TableName: name });
    assert.deepEqual(d.TimeToLiveDescription, { AttributeName: 'expires', TimeToLiveStatus: 'ENABLED' });

    // The expirer deletes the expired item (and only it).
    await until('the expired item to be deleted', async () => !(await a.dynamodb('GetItem', { TableName: name, Key: { pk: { S: 'old' } } })).Item, 30000);
    const left = await a.dynamodb('Scan', { TableName: name });
    assert.deepEqual(left.Items.map((i) => i.pk.S).sort(), ['forever', 'fresh', 'text']);
    await page.getByRole('button', { name: 'Scan first page' }).click();
    await page.getByRole('status').getByText(/^3 items/).waitFor();
    assert.equal(await row('old').count(), 0);

    // The page as it opens on a table with TTL on: the setting, and the preview by its attribute.
    await c.goto(`#/table/${name}`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await c.goto(`#/table/${name}/ttl`);
    await page.getByRole('status').getByText(/^3 items/).waitFor();
    await c.screenshot('ttl-enabled');

    // After the cooldown (3 s with --ttl-change-cooldown 3), disabling works.
    for (let tries = 0; !(await disabled.isVisible()); tries++) {
      assert.ok(tries < 10, 'TTL could not be disabled after the cooldown');
      if (tries) await new Promise((r) => setTimeout(r, 1000));
      await page.getByRole('button', { name: 'Disable TTL on expires' }).click();
      await Promise.race([disabled.waitFor().catch(() => {}), page.getByRole('alert').waitFor().catch(() => {})]);
    }
    await page.getByText('DISABLED', { exact: true }).waitFor();
    assert.equal((await a.dynamodb('DescribeTimeToLive', { TableName: name })).TimeToLiveDescription.TimeToLiveStatus, 'DISABLED');
  } finally {
    await c.close();
    await a.dynamodb('DeleteTable', { TableName: name }).catch(() => {});
  }
});
