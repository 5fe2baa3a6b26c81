// Tables: ListTables a page at a time (js/pager.js), DescribeTable of each, and Delete with the
// table's name typed to confirm (js/confirm.js).

import { h, replace, errorBox, showNotice } from '../dom.js';
import { keyLabel, bytes, count, billing } from '../format.js';
import { pager } from '../pager.js';
import { confirmInRow } from '../confirm.js';
import { tableHash } from '../tabs.js';

const PAGE_SIZES = [10, 25, 50, 100];
const COLUMNS = 8;

export async function tablesPage(root, ctx) {
  const said = h('div', { 'aria-live': 'polite' });
  const status = h('div', { 'aria-live': 'polite' });
  const body = h('div', {});
  const pages = pager({
    status,
    sizes: PAGE_SIZES,
    size: 25,
    label: 'Tables a page',
    current: ctx.current,
    load: async ({ start, size, page: number, live }) => {
      const page = await ctx.api.dynamodb('ListTables', { Limit: size, ExclusiveStartTableName: start });
      const names = page.TableNames || [];
      const described = await Promise.allSettled(names.map((n) => ctx.api.dynamodb('DescribeTable', { TableName: n })));
      if (!live()) return null;
      show(names, described, number);
      return page.LastEvaluatedTableName;
    },
  });
  replace(
    root,
    h('h1', {}, 'Tables'),
    h(
      'div',
      { class: 'toolbar' },
      h('a', { href: '#/create', class: 'button primary' }, 'Create table'),
      h('button', { type: 'button', onclick: () => pages.reload() }, 'Refresh'),
      h('span', { class: 'spacer' }),
      pages.controls,
    ),
    said,
    status,
    body,
  );

  function show(names, described, number) {
    if (names.length === 0) {
      replace(body, h('p', { class: 'muted' }, number === 1 ? 'No tables. ' : 'No more tables. ', h('a', { href: '#/create' }, 'Create one'), '.'));
      return;
    }
    replace(
      body,
      h(
        'table',
        { class: 'list' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Name', 'Status', 'Partition key', 'Sort key'].map((t) => h('th', { scope: 'col' }, t)),
            h('th', { scope: 'col', class: 'num' }, 'Items'),
            h('th', { scope: 'col', class: 'num' }, 'Size'),
            h('th', { scope: 'col' }, 'Billing mode'),
            h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')),
          ),
        ),
        names.map((name, i) => row(name, described[i])),
      ),
      h('p', { class: 'muted' }, `Page ${number}: ${names.length} table${names.length === 1 ? '' : 's'}.`),
    );
  }

  function row(name, d) {
    const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${name}` }, 'Delete');
    let cells;
    if (d.status === 'fulfilled') {
      const t = d.value.Table;
      cells = [
        h('td', {}, h('span', { class: `status ${t.TableStatus}` }, t.TableStatus)),
        h('td', {}, keyLabel(t.KeySchema, t.AttributeDefinitions, 'HASH')),
        h('td', {}, keyLabel(t.KeySchema, t.AttributeDefinitions, 'RANGE')),
        h('td', { class: 'num' }, count(t.ItemCount)),
        h('td', { class: 'num' }, bytes(t.TableSizeBytes)),
        h('td', {}, billing(t)),
      ];
    } else {
      cells = [h('td', { colspan: String(COLUMNS - 2) }, errorBox(d.reason))];
    }
    const main = h('tr', {}, h('td', {}, h('a', { href: tableHash(name) }, name)), cells, h('td', {}, del));
    del.addEventListener('click', () =>
      confirmInRow(main, COLUMNS, del, {
        message: h('p', {}, 'Delete ', h('strong', {}, name), ' and every item in it? This cannot be undone.'),
        typeToConfirm: name,
        confirmLabel: 'Delete table',
        label: `Delete table ${name}`,
        run: () => ctx.api.dynamodb('DeleteTable', { TableName: name }),
        onDone: () => {
          showNotice(said, 'Deleting table ', h('strong', {}, name), ': it leaves the list once the server has removed it.');
          pages.reload();
        },
      }),
    );
    return h('tbody', {}, main);
  }

  await pages.reload();
}
