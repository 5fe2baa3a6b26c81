// Backups: on a table's Backups tab, create an on-demand backup (AVAILABLE in the list and in
// ListBackups), see its details, restore it to a new table (a name already taken is refused in
// place with TableAlreadyExistsException; the new table holds the items as backed up), turn on
// point-in-time recovery, restore to a chosen second (one outside the window is refused before
// sending) and to the latest restorable time, delete the backup (Escape cancels the
// confirmation), filter every table's backups on #/backups, and turn recovery off.
// Screenshots: backups-list, backups-pitr, backups-all.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openConsole, skip, unique, api, until } from './lib.mjs';
import { parseUtc, checkInWindow, inputValue } from '../../console/js/pitr.js';


async function itemCount(table) {
  const r = await api().dynamodb('Scan', { TableName: table, Select: 'COUNT' });
  return r.Count;
}

test('restore times are read as UTC and checked against the window', () => {
  assert.equal(parseUtc('2026-12-07T12:08:48'), Date.UTC(2026, 11, 7, 12, 8, 48) / 1000);
  assert.equal(parseUtc('2026-12-07T12:08'), Date.UTC(2026, 11, 7, 12, 8) / 1000);
  assert.ok(Number.isNaN(parseUtc('')));
  assert.ok(Number.isNaN(parseUtc('12/07/2026')));
  assert.equal(inputValue(Date.UTC(2026, 11, 7, 12, 8, 48, 700) / 1000), '2026-12-07T12:08:48');
  // A window time the server left out: no value, no RangeError.
  assert.equal(inputValue(undefined), '');
  assert.equal(inputValue(null), '');
  const w = { EarliestRestorableDateTime: 1000.372, LatestRestorableDateTime: 2000.5 };
  assert.equal(checkInWindow(1000, w), null, 'the earliest second itself');
  assert.equal(checkInWindow(2000, w), null);
  assert.match(checkInWindow(999, w).message, /before the earliest restorable time/);
  assert.match(checkInWindow(2001, w).message, /after the latest restorable time/);
  assert.match(checkInWindow(NaN, w).message, /Enter the date and time/);
});

test('backups, restores and point-in-time recovery through the console', { skip }, async () => {
  const a = api();
  const name = unique('e2e_bk');
  const made = [name];
  await a.dynamodb('CreateTable', {
    TableName: name,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const put = (i) => a.dynamodb('PutItem', { TableName: name, Item: { pk: { S: `k${i}` }, n: { N: String(i) } } });
  for (let i = 0; i < 5; i++) await put(i);

  const c = await openConsole();
  const { page } = c;
  try {
    await c.signIn(undefined, `#/table/${name}/backups`);
    await page.getByText('No backups.').waitFor();

    // A bad name is refused in place; then the backup is made.
    const backupName = `${name}_first`;
    await page.getByLabel('Backup name').fill('x');
    await page.getByRole('button', { name: 'Create backup' }).click();
    await page.getByRole('alert').getByText(/A backup name is 3 to 255/).waitFor();
    await page.getByLabel('Backup name').fill(backupName);
    await page.getByLabel('Backup name').press('Enter');
    await page.getByText(new RegExp(`Backup ${backupName} created at .*: AVAILABLE`)).waitFor();
    const row = page.locator('table.backups tbody').filter({ hasText: backupName });
    await row.getByText('AVAILABLE').waitFor();
    const listed = await a.dynamodb('ListBackups', { TableName: name });
    assert.equal(listed.BackupSummaries.length, 1);
    assert.equal(listed.BackupSummaries[0].BackupName, backupName);
    assert.equal(listed.BackupSummaries[0].BackupStatus, 'AVAILABLE');
    await put(5); // after the backup: not in a restore of it

    // Details: the source table as backed up.
    await row.getByRole('button', { name: 'Details' }).click();
    await row.getByText('Source table, as backed up').waitFor();
    await row.locator('dd', { hasText: /^5$/ }).waitFor();

    // Restore: a taken name is refused by the server, in place; then a new table.
    await row.getByRole('button', { name: 'Restore' }).click();
    const form = page.getByRole('form', { name: `Restore backup ${backupName} to a new table` });
    await form.getByLabel('New table name').fill(name);
    await form.getByRole('button', { name: 'Restore' }).click();
    await form.getByText('TableAlreadyExistsException').waitFor();
    const fromBackup = `${name}_rb`;
    made.push(fromBackup);
    await form.getByLabel('New table name').fill(fromBackup);
    await form.getByLabel('Billing mode of the new table').selectOption('PROVISIONED');
    await form.getByLabel('Read capacity units').fill('7');
    await form.getByLabel('Write capacity units').fill('3');
    await c.screenshot('backups-restore');
    await form.getByRole('button', { name: 'Restore' }).click();
    await form.getByText('Restored into').waitFor();
    await form.locator('.status', { hasText: 'ACTIVE' }).waitFor();
    assert.equal(await form.getByRole('link', { name: fromBackup }).getAttribute('href'), `#/table/${fromBackup}`);
    const rb = (await a.dynamodb('DescribeTable', { TableName: fromBackup })).Table;
    assert.equal(rb.TableStatus, 'ACTIVE');
    assert.equal(rb.BillingModeSummary?.BillingMode ?? 'PROVISIONED', 'PROVISIONED');
    assert.deepEqual([rb.ProvisionedThroughput.ReadCapacityUnits, rb.ProvisionedThroughput.WriteCapacityUnits], [7, 3]);
    assert.equal(await itemCount(fromBackup), 5);
    await page.evaluate(() => window.scrollTo(0, 0));
    await c.screenshot('backups-list');
    await form.getByRole('button', { name: 'Close' }).click();

    // Point-in-time recovery on, with a 7-day period.
    const pitr = page.getByRole('region', { name: 'Point-in-time recovery' });
    await pitr.getByLabel('Recovery period').fill('40');
    await pitr.getByRole('button', { name: 'Turn on point-in-time recovery' }).click();
    await pitr.getByText(/whole number of days from 1 to 35/).waitFor();
    await pitr.getByLabel('Recovery period').fill('7');
    await pitr.getByRole('button', { name: 'Turn on point-in-time recovery' }).click();
    await pitr.getByText('Point-in-time recovery is on.').waitFor();
    await pitr.locator('.status', { hasText: 'ENABLED' }).waitFor();
    const desc = (await a.dynamodb('DescribeContinuousBackups', { TableName: name })).ContinuousBackupsDescription.PointInTimeRecoveryDescription;
    assert.equal(desc.PointInTimeRecoveryStatus, 'ENABLED');
    assert.equal(desc.RecoveryPeriodInDays, 7);

    // The window's first whole second, then a write after it.
    const chosen = Math.ceil(desc.EarliestRestorableDateTime);
    await until('the next second', () => Date.now() / 1000 >= chosen + 1.05, 5000);
    await put(6);

    const ptf = pitr.getByRole('form', { name: 'Restore to a point in time' });
    const atTime = `${name}_pt`;
    made.push(atTime);
    await ptf.getByLabel('New table name').fill(atTime);
    await ptf.getByLabel('A chosen time').check();
    await ptf.getByLabel('Date and time (UTC)').fill(new Date(chosen * 1000).toISOString().slice(0, 19));
    await pitr.scrollIntoViewIfNeeded();
    await c.screenshot('backups-pitr');
    await ptf.getByRole('button', { name: 'Restore to a new table' }).click();
    await ptf.locator('.status', { hasText: 'ACTIVE' }).waitFor();
    assert.equal(await itemCount(atTime), 6, 'the restore to a chosen second has the writes up to it');
    const rs = (await a.dynamodb('DescribeTable', { TableName: atTime })).Table.RestoreSummary;
    assert.equal(Math.floor(rs.RestoreDateTime), chosen);

    // Another: a time outside the window is refused before sending; the latest restorable
    // time has every write.
    await ptf.getByRole('button', { name: 'Another restore' }).click();
    const latestName = `${name}_latest`;
    made.push(latestName);
    await ptf.getByLabel('New table name').fill(latestName);
    await ptf.getByLabel('Date and time (UTC)').fill('2020-01-01T00:00:00');
    await ptf.getByRole('button', { name: 'Restore to a new table' }).click();
    await ptf.getByRole('alert').getByText(/is before the earliest restorable time/).waitFor();
    await ptf.getByLabel('The latest restorable time').check();
    assert.ok(await ptf.getByLabel('Date and time (UTC)').isDisabled());
    await ptf.getByRole('button', { name: 'Restore to a new table' }).click();
    await ptf.locator('.status', { hasText: 'ACTIVE' }).waitFor();
    assert.equal(await itemCount(latestName), 7);
    await pitr.getByRole('button', { name: 'Refresh' }).click();
    await pitr.getByText(/\(now\)$/).waitFor();

    // Delete the backup: Escape cancels, then confirmed.
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Delete backup' }).waitFor();
    await page.keyboard.press('Escape');
    assert.equal(await page.getByRole('button', { name: 'Delete backup' }).count(), 0);
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Delete backup' }).click();
    await page.getByText(`Backup ${backupName} deleted.`).waitFor();
    await page.getByText('No backups.').waitFor();
    // The row holding the focused button went: the message has the focus.
    assert.equal(await page.getByText(`Backup ${backupName} deleted.`).evaluate((el) => el === document.activeElement), true);
    assert.equal((await a.dynamodb('ListBackups', { TableName: name })).BackupSummaries.length, 0);

    // Recovery off, after a confirmation.
    await pitr.getByRole('button', { name: 'Turn off…' }).click();
    await pitr.getByRole('button', { name: 'Turn off', exact: true }).click();
    await pitr.getByText('Point-in-time recovery is off.').waitFor();
    assert.equal(await pitr.getByText('Point-in-time recovery is off.').evaluate((el) => el === document.activeElement), true, 'the panel was drawn again: the message has the focus');
    assert.equal(
      (await a.dynamodb('DescribeContinuousBackups', { TableName: name })).ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus,
      'DISABLED',
    );

    // Every table's backups, filtered by table and by type.
    const second = await a.dynamodb('CreateBackup', { TableName: fromBackup, BackupName: 'e2e_second' });
    await c.goto('#/backups');
    await page.getByRole('heading', { name: 'Backups' }).waitFor();
    await page.getByLabel('Table name').fill(fromBackup);
    await page.getByLabel('Table name').press('Enter');
    const all = page.locator('table.backups tbody');
    await all.getByRole('link', { name: fromBackup }).waitFor();
    assert.equal(await all.count(), 1);
    await c.screenshot('backups-all');
    await page.getByLabel('Type').selectOption('SYSTEM');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No backups.').waitFor();
    await page.getByLabel('Type').selectOption('USER');
    await page.getByLabel('Created from').fill('2030-01-02');
    await page.getByLabel('Created before').fill('2030-01-01');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('alert').getByText(/must be a later day/).waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    await all.getByRole('link', { name: fromBackup }).waitFor();
    // Deleted from the top-level list too.
    const secondRow = all.filter({ hasText: 'e2e_second' }).filter({ has: page.getByRole('link', { name: fromBackup }) });
    await secondRow.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Delete backup' }).click();
    await page.getByText('Backup e2e_second deleted.').waitFor();
    await assert.rejects(a.dynamodb('DescribeBackup', { BackupArn: second.BackupDetails.BackupArn }), (e) => e.code === 'BackupNotFoundException');
  } finally {
    await c.close();
    for (const t of made) await a.dynamodb('DeleteTable', { TableName: t }).catch(() => {});
  }
});
