// Backups: a table's tab (`#/table/<name>/backups`: its on-demand backups, creating one, and
// point-in-time recovery) and every table's backups (`#/backups`, filtered by table, type and
// creation time). Each backup can be described, restored to a new table, or deleted
// (js/backup_list.js); point-in-time recovery is js/pitr.js.

import { h, replace, errorBox, field, select } from '../dom.js';
import { time } from '../format.js';
import { TABLE_NAME, TABLE_NAME_RULE } from '../schema_fields.js';
import { backupList } from '../backup_list.js';
import { pitrPanel } from '../pitr.js';

/** DynamoDB's backup names follow its table names' rule: 3 to 255 of `a-z A-Z 0-9 _ . -`. */
const BACKUP_NAME = TABLE_NAME;

/** `<table>-20261207-120848`, within 255 characters. */
function suggestedName(table) {
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return `${table.slice(0, 239)}-${stamp}`;
}

export async function tableBackupsPage(root, ctx) {
  const [name] = ctx.params;
  const list = backupList(ctx, { showTable: false });
  const pitr = pitrPanel(ctx, name);
  const errors = h('div', { 'aria-live': 'polite' });
  const backupName = field({ label: 'Backup name', type: 'text', class: 'grow', value: suggestedName(name), spellcheck: 'false', autocomplete: 'off', hint: TABLE_NAME_RULE });
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create backup');
  const form = h(
    'form',
    {
      class: 'inline-form',
      novalidate: true,
      onsubmit: async (ev) => {
        ev.preventDefault();
        replace(errors);
        const bn = backupName.input.value.trim();
        if (!BACKUP_NAME.test(bn)) {
          replace(errors, errorBox(new Error(`A backup name is ${TABLE_NAME_RULE}.`)));
          backupName.input.focus();
          return;
        }
        create.disabled = true;
        try {
          const r = await ctx.api.dynamodb('CreateBackup', { TableName: name, BackupName: bn });
          const d = r.BackupDetails || {};
          backupName.input.value = suggestedName(name);
          await list.reload(`Backup ${d.BackupName} created at ${time(d.BackupCreationDateTime)}: ${d.BackupStatus}.`);
        } catch (e) {
          replace(errors, errorBox(e));
        } finally {
          create.disabled = false;
        }
      },
    },
    backupName.el,
    h('div', { class: 'field' }, create),
  );
  replace(
    root,
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'bk-h' },
      h('h2', { id: 'bk-h' }, 'On-demand backups'),
      h('p', { class: 'muted' }, 'A backup is a consistent copy of the table (items and indexes) as of when it is made; it outlives the table. ', h('a', { href: '#/backups' }, 'Every table\'s backups'), '.'),
      errors,
      form,
      list.el,
    ),
    pitr.el,
  );
  await Promise.all([list.load({ TableName: name }), pitr.load()]);
}

/** A `date` input's value (`2026-12-07`) as seconds since the epoch at 00:00 UTC, or undefined. */
function dayStart(value) {
  if (!value) return undefined;
  const t = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(t) ? undefined : t / 1000;
}

export async function backupsPage(root, ctx) {
  const list = backupList(ctx, { showTable: true });
  const errors = h('div', { 'aria-live': 'polite' });
  const table = field({ label: 'Table name', type: 'text', class: 'grow', hint: 'exact; empty: every table', spellcheck: 'false', autocomplete: 'off' });
  const type = select(
    [
      ['ALL', 'All types'],
      ['USER', 'User (on-demand)'],
      ['SYSTEM', 'System'],
      ['AWS_BACKUP', 'AWS Backup'],
    ],
    'ALL',
    { id: 'bk-type' },
  );
  const from = field({ label: 'Created from', type: 'date', hint: 'UTC' });
  const to = field({ label: 'Created before', type: 'date', hint: 'UTC' });
  const apply = () => {
    replace(errors);
    const lower = dayStart(from.input.value);
    const upper = dayStart(to.input.value);
    if (lower !== undefined && upper !== undefined && upper <= lower) {
      replace(errors, errorBox(new Error('"Created before" must be a later day than "Created from".')));
      return;
    }
    return list.load({
      TableName: table.input.value.trim() || undefined,
      BackupType: type.value,
      TimeRangeLowerBound: lower,
      TimeRangeUpperBound: upper,
    });
  };
  replace(
    root,
    h('h1', {}, 'Backups'),
    h('p', { class: 'muted' }, 'On-demand backups of every table, including tables deleted since. Restore one to a new table, or delete it.'),
    h(
      'form',
      {
        class: 'inline-form panel',
        role: 'search',
        'aria-label': 'Filter backups',
        novalidate: true,
        onsubmit: (ev) => {
          ev.preventDefault();
          apply();
        },
      },
      table.el,
      h('div', { class: 'field' }, h('label', { for: 'bk-type' }, 'Type'), type),
      from.el,
      to.el,
      h(
        'div',
        { class: 'field' },
        h('div', { class: 'toolbar' },
          h('button', { type: 'submit', class: 'primary' }, 'Filter'),
          h('button', {
            type: 'button',
            onclick: () => {
              table.input.value = '';
              type.value = 'ALL';
              from.input.value = '';
              to.input.value = '';
              apply();
            },
          }, 'Clear'),
        ),
      ),
    ),
    errors,
    list.el,
  );
  await apply();
}
