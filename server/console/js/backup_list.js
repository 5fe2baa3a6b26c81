// The list of on-demand backups (ListBackups, a page at a time) with each backup's actions:
// Details (DescribeBackup: the source table as backed up), Restore (RestoreTableFromBackup to a
// new table, js/restore.js) and Delete (DeleteBackup, after a confirmation; Escape cancels).
//
// `backupList(ctx, { showTable, pageSize })` answers `{ el, load(filter, message), reload(message) }`;
// `filter` holds ListBackups' members (TableName, BackupType, TimeRangeLowerBound,
// TimeRangeUpperBound).

import { h, replace, errorBox, facts, notice, showNotice } from './dom.js';
import { bytes, count, time, billing, keyLabel } from './format.js';
import { pager } from './pager.js';
import { confirmation } from './confirm.js';
import { tableHash } from './tabs.js';
import { restoreForm } from './restore.js';

/** A restored table's suggested name: `<source>-restored`, within 255 characters. */
function suggestion(tableName) {
  return `${(tableName || 'table').slice(0, 246)}-restored`;
}

export function backupList(ctx, { showTable = false, pageSize = 25 } = {}) {
  let filter = {};
  const said = h('div', { 'aria-live': 'polite' });
  const status = h('div', { 'aria-live': 'polite' });
  const body = h('div', {});
  const pages = pager({
    status,
    size: pageSize,
    current: ctx.current,
    load: async ({ start, size, page: number, live }) => {
      const page = await ctx.api.dynamodb('ListBackups', { ...filter, Limit: size, ExclusiveStartBackupArn: start });
      if (!live()) return null;
      show(page.BackupSummaries || [], number);
      return page.LastEvaluatedBackupArn;
    },
  });
  const refresh = h('button', { type: 'button', onclick: () => pages.reload() }, 'Refresh list');
  const columns = (showTable ? 1 : 0) + 6;
  const el = h('div', { class: 'backup-list' }, h('div', { class: 'toolbar' }, refresh, h('span', { class: 'spacer' }), pages.controls), said, status, body);

  function show(list, number) {
    if (list.length === 0) {
      replace(body, h('p', { class: 'muted' }, number === 1 ? 'No backups.' : 'No more backups.'));
      return;
    }
    replace(
      body,
      h(
        'table',
        { class: 'list backups' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            showTable ? h('th', { scope: 'col' }, 'Table') : null,
            h('th', { scope: 'col' }, 'Backup'),
            h('th', { scope: 'col' }, 'Status'),
            h('th', { scope: 'col' }, 'Created (UTC)'),
            h('th', { scope: 'col', class: 'num' }, 'Size'),
            h('th', { scope: 'col' }, 'Type'),
            h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')),
          ),
        ),
        list.map(row),
      ),
      h('p', { class: 'muted' }, `Page ${number}: ${list.length} backup${list.length === 1 ? '' : 's'}, ${pageSize} a page, oldest first.`),
    );
  }

  function row(b) {
    const tbody = h('tbody', {});
    const details = h('button', { type: 'button', 'aria-expanded': 'false' }, 'Details');
    const restore = h('button', { type: 'button', 'aria-expanded': 'false' }, 'Restore');
    const del = h('button', { type: 'button', class: 'danger' }, 'Delete');
    const main = h(
      'tr',
      {},
      showTable ? h('td', {}, h('a', { href: tableHash(b.TableName, 'backups') }, b.TableName)) : null,
      h('td', {}, h('span', { class: 'backup-name' }, b.BackupName), h('br', {}), h('code', { class: 'arn' }, b.BackupArn)),
      h('td', {}, h('span', { class: `status ${b.BackupStatus}` }, b.BackupStatus)),
      h('td', { class: 'created' }, time(b.BackupCreationDateTime)),
      h('td', { class: 'num' }, bytes(b.BackupSizeBytes)),
      h('td', {}, b.BackupType),
      h('td', { class: 'actions' }, h('div', { class: 'toolbar' }, details, restore, del)),
    );
    tbody.append(main);
    let open = null;
    const close = () => {
      if (!open) return;
      open.row.remove();
      open.button.setAttribute('aria-expanded', 'false');
      open.button.focus();
      open = null;
    };
    const expand = (button, content, cls) => {
      const again = open && open.button === button;
      close();
      if (again) return null;
      const r = h('tr', { class: cls }, h('td', { colspan: String(columns) }, content));
      main.after(r);
      button.setAttribute('aria-expanded', 'true');
      open = { row: r, button };
      return r;
    };
    details.addEventListener('click', async () => {
      const box = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
      if (!expand(details, box, 'backup-details')) return;
      try {
        const d = await ctx.api.dynamodb('DescribeBackup', { BackupArn: b.BackupArn });
        replace(box, describe(d.BackupDescription));
      } catch (e) {
        replace(box, errorBox(e));
      }
    });
    restore.addEventListener('click', () => {
      const f = restoreForm(ctx, {
        title: `Restore backup ${b.BackupName} to a new table`,
        suggested: suggestion(b.TableName),
        send: (body) => ctx.api.dynamodb('RestoreTableFromBackup', { BackupArn: b.BackupArn, ...body }),
        onCancel: close,
      });
      if (expand(restore, f.el, 'backup-restore')) f.focus();
    });
    del.addEventListener('click', () => {
      const box = confirmation({
        message: h('p', {}, 'Delete backup ', h('strong', {}, b.BackupName), ` of ${b.TableName}? It cannot be restored afterwards; the table itself is not touched.`),
        confirmLabel: 'Delete backup',
        label: `Delete backup ${b.BackupName}`,
        run: () => ctx.api.dynamodb('DeleteBackup', { BackupArn: b.BackupArn }),
        onCancel: close,
        onDone: () => {
          // The list is drawn again without this row: the focus goes to the message.
          showNotice(said, `Backup ${b.BackupName} deleted.`);
          pages.reload();
        },
      });
      if (expand(del, box, 'confirm')) box.focus();
    });
    return tbody;
  }

  return {
    el,
    /** Shows the first page of the backups `f` selects (and `message`, when given, above it). */
    load(f = {}, message) {
      filter = f;
      replace(said, message ? notice(message) : null);
      return pages.first();
    },
    /** Shows the current page again (and `message`, when given, above it). */
    reload(message) {
      replace(said, message ? notice(message) : null);
      return pages.reload();
    },
  };
}

/** DescribeBackup's answer: the backup, the source table as it was, its indexes. */
function describe(d) {
  const b = d.BackupDetails || {};
  const s = d.SourceTableDetails || {};
  const f = d.SourceTableFeatureDetails || {};
  const names = (list) => (list && list.length ? list.map((i) => i.IndexName).join(', ') : 'None');
  return h(
    'div',
    { class: 'grid2' },
    h(
      'div',
      {},
      h('h3', {}, 'Backup'),
      facts([
        ['Name', b.BackupName],
        ['ARN', h('code', {}, b.BackupArn)],
        ['Status', b.BackupStatus],
        ['Created', time(b.BackupCreationDateTime)],
        ['Size', bytes(b.BackupSizeBytes)],
        ['Type', b.BackupType],
        ['Expires', b.BackupExpiryDateTime ? time(b.BackupExpiryDateTime) : 'Never'],
      ]),
    ),
    h(
      'div',
      {},
      h('h3', {}, 'Source table, as backed up'),
      facts([
        ['Table', s.TableName],
        ['Table ARN', s.TableArn ? h('code', {}, s.TableArn) : null],
        ['Created', time(s.TableCreationDateTime)],
        ['Partition key', keyLabel(s.KeySchema, [], 'HASH')],
        ['Sort key', keyLabel(s.KeySchema, [], 'RANGE')],
        ['Items', count(s.ItemCount)],
        ['Size', bytes(s.TableSizeBytes)],
        ['Billing mode', s.BillingMode || s.ProvisionedThroughput ? billing(s) : null],
        ['Global indexes', names(f.GlobalSecondaryIndexes)],
        ['Local indexes', names(f.LocalSecondaryIndexes)],
        ['Stream', f.StreamDescription?.StreamEnabled ? f.StreamDescription.StreamViewType : 'Disabled'],
        ['Time to live', f.TimeToLiveDescription?.TimeToLiveStatus],
      ]),
    ),
  );
}
