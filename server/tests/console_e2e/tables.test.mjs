// Signs in, creates a table with a global secondary index through the Create table form,
// finds it on the Tables page, opens its overview and walks its tabs, then deletes it with
// the confirmation. Screenshots: signin, tables, create-table, table-overview.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openConsole, skip, unique, api, until } from './lib.mjs';

test('sign in, create a table with a GSI, see it, delete it', { skip }, async () => {
  const c = await openConsole();
  const { page } = c;
  try {
    await c.goto('#/tables');
    await page.waitForURL(/#\/signin$/);
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

    await c.goto('#/tables');
    await page.getByRole('link', { name }).waitFor();
    await c.screenshot('tables');
    const row = page.getByRole('row').filter({ hasText: name });
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByLabel(`Type ${name} to confirm`).fill(name);
    await page.getByRole('button', { name: 'Delete table' }).click();
    await until('the table to be deleted', async () => {
      const { TableNames } = await api().dynamodb('ListTables', {});
      return !TableNames.includes(name);
    });
  } finally {
    await c.close();
  }
});
