// Signs in (no field invites a password manager to save the secret), creates a table with a
// global secondary index through the Create table form, finds it on the Tables page (100 a
// page, paging on when other tests left more tables), opens its overview, then deletes it with
// the confirmation (the focus lands on the message saying so). Also the router: addresses that
// name no page (bad percent-encoding, a tab named like an Object property) show Not found in
// place, with no uncaught error. Screenshots: signin, tables, create-table, table-overview.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openConsole, skip, unique, api, until } from './lib.mjs';

test('sign in, create a table with a GSI, see it, delete it', { skip }, async () => {
  const c = await openConsole();
  const { page } = c;
  try {
    await c.goto('#/tables');
    await page.waitForURL(/#\/signin$/);
    // Nothing for a password manager to save or fill: every field has autocomplete off.
    await page.getByLabel('Secret access key').waitFor();
    assert.deepEqual(
      await page.locator('form input').evaluateAll((els) => els.map((e) => [e.name, e.getAttribute('autocomplete')])),
      [['accessKeyId', 'off'], ['secretAccessKey', 'off'], ['sessionToken', 'off'], ['region', 'off']],
    );
    assert.equal(await page.getByLabel('Secret access key').getAttribute('type'), 'password');
    await c.screenshot('signin');
    await c.signIn();

    const name = unique('e2e_tables');
    await c.goto('#/create');
    await page.getByLabel('Table name').fill(name);
    await page.getByLabel('Partition key', { exact: true }).first().fill('pk');
    await page.getByLabel('Sort key (optional)').first().fill('sk');
    await page.getByRole('button', { name: 'Add global index' }).click();
    const gsi = page.getByRole('group', { name: 'Global secondary index' });
    await gsi.getByLabel('Index name').fill('by_email');
    await gsi.getByLabel('Partition key', { exact: true }).fill('email');
    await c.screenshot('create-table');
    await page.getByRole('button', { name: 'Create table' }).click();
    await page.waitForURL((u) => u.hash === `#/table/${name}`);
    await page.getByText('by_email').first().waitFor();
    await c.screenshot('table-overview');

    const d = await api().dynamodb('DescribeTable', { TableName: name });
    assert.equal(d.Table.GlobalSecondaryIndexes[0].IndexName, 'by_email');

    // Other tests' tables may come first: 100 a page, and Next until it shows.
    await c.goto('#/tables');
    await page.getByText(/^Page 1: /).waitFor();
    await page.getByLabel('Tables a page').selectOption('100');
    const link = page.getByRole('link', { name, exact: true });
    const next = page.getByRole('button', { name: 'Next →' });
    for (let p = 2; !(await link.isVisible()); p++) {
      await page.getByText(/^Page \d+: /).waitFor();
      if (await link.isVisible()) break;
      assert.ok(await next.isEnabled(), `table ${name} is on no page`);
      await next.click();
      await page.getByText(new RegExp(`^Page ${p}: `)).waitFor();
    }
    await c.screenshot('tables');
    // The actions column has a header for screen readers (visually hidden, not display:none).
    assert.equal(await page.getByRole('columnheader', { name: 'Actions' }).count(), 1);
    const row = page.getByRole('row').filter({ has: link });
    await row.getByRole('button', { name: `Delete ${name}` }).click();
    await page.getByLabel(`Type ${name} to confirm`).fill(name);
    await page.getByRole('button', { name: 'Delete table' }).click();
    // The confirmation (and the row) went: the focus is on the message, not lost.
    const said = page.getByRole('status').filter({ hasText: `Deleting table ${name}` });
    await said.waitFor();
    assert.equal(await said.evaluate((el) => el === document.activeElement), true, 'the message has the focus');
    await until('the table to be deleted', async () => {
      const { TableNames } = await api().dynamodb('ListTables', {});
      return !TableNames.includes(name);
    });
  } finally {
    await c.close();
  }
});

test('addresses that name no page show Not found', { skip }, async () => {
  const c = await openConsole();
  const { page } = c;
  try {
    await c.signIn();
    for (const [hash, text] of [
      ['#/table/%E0', /is not valid/],
      ['#/table/t/constructor', /No tab constructor of a table/],
      ['#/table/t/__proto__x', /No page at/],
      ['#/access/%', /is not valid/],
      ['#/nowhere', /No page at/],
    ]) {
      await c.goto('#/tables');
      await page.getByRole('heading', { name: 'Tables' }).waitFor();
      await c.goto(hash);
      const heading = page.getByRole('heading', { name: 'Not found' });
      await heading.waitFor();
      await page.getByText(text).waitFor();
      // The old page is gone, and the heading has the focus.
      assert.equal(await page.getByRole('heading', { name: 'Tables' }).count(), 0, hash);
      assert.equal(await heading.evaluate((el) => el === document.activeElement), true, hash);
    }
  } finally {
    await c.close();
  }
});
