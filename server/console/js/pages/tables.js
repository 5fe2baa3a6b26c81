// Tables: ListTables a page at a time, DescribeTable of each, and Delete with the table's
// name typed to confirm.

import { h, replace, errorBox, select } from '../dom.js';
import { keyOf, bytes, count, billing } from '../format.js';

const PAGE_SIZES = [10, 25, 50, 100];

export async function tablesPage(root, ctx) {
  // The start name of each page shown so far (paging back pops it).
  const starts = [undefined];
  let size = 25;
  const status = h('div', { 'aria-live': 'polite' });
  const body = h('div', {});
  const prev = h('button', { type: 'button', onclick: () => { starts.pop(); load(); } }, '← Previous');
  const next = h('button', { type: 'button' }, 'Next →');
  const sizes = select(PAGE_SIZES.map((n) => [String(n), `${n} a page`]), String(size), {
    'aria-label': 'Tables a page',
    onchange: (ev) => {
      size = Number(ev.target.value);
      starts.length = 1;
      load();
    },
  });
  replace(
    root,
    h('h1', {}, 'Tables'),
    h(
      'div',
      { class: 'toolbar' },
      h('a', { href: '#/create', class: 'button primary' }, 'Create table'),
      h('button', { type: 'button', onclick: () => load() }, 'Refresh'),
      h('span', { class: 'spacer' }),
      sizes,
      prev,
      next,
    ),
    status,
    body,
  );

  async function load() {
    const start = starts[starts.length - 1];
    replace(status, h('p', { class: 'muted' }, 'Loading…'));
    let page;
    try {
      page = await ctx.api.dynamodb('ListTables', { Limit: size, ExclusiveStartTableName: start });
    } catch (e) {
      if (ctx.current()) replace(status, errorBox(e));
      return;
    }
    const names = page.TableNames || [];
    const described = await Promise.allSettled(
      names.map((n) => ctx.api.dynamodb('DescribeTable', { TableName: n })),
    );
    if (!ctx.current()) return;
    replace(status);
    prev.disabled = starts.length === 1;
    next.disabled = !page.LastEvaluatedTableName;
    next.onclick = () => {
      starts.push(page.LastEvaluatedTableName);
      load();
    };
    if (names.length === 0) {
      replace(body, h('p', { class: 'muted' }, 'No tables. ', h('a', { href: '#/create' }, 'Create one'), '.'));
      return;
    }
    const rows = names.map((name, i) => row(name, described[i]));
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
            h('th', { scope: 'col' }, h('span', { class: 'hidden' }, 'Actions')),
          ),
        ),
        rows,
      ),
      h('p', { class: 'muted' }, `Page ${starts.length}: ${names.length} table${names.length === 1 ? '' : 's'}.`),
    );
  }

  function row(name, d) {
    const link = h('a', { href: `#/table/${encodeURIComponent(name)}` }, name);
    const tbody = h('tbody', {});
    const del = h('button', { type: 'button', class: 'danger' }, 'Delete');
    const cells =
      d.status === 'fulfilled'
        ? (() => {
            const t = d.value.Table;
            return [
              h('td', {}, h('span', { class: `status ${t.TableStatus}` }, t.TableStatus)),
              h('td', {}, keyOf(t.KeySchema, t.AttributeDefinitions, 'HASH')),
              h('td', {}, keyOf(t.KeySchema, t.AttributeDefinitions, 'RANGE')),
              h('td', { class: 'num' }, count(t.ItemCount)),
              h('td', { class: 'num' }, bytes(t.TableSizeBytes)),
              h('td', {}, billing(t)),
            ];
          })()
        : [h('td', { colspan: '6' }, errorBox(d.reason))];
    const main = h('tr', {}, h('td', {}, link), cells, h('td', {}, del));
    del.addEventListener('click', () => confirmDelete(tbody, main, name, del));
    tbody.append(main);
    return tbody;
  }

  function confirmDelete(tbody, mainRow, name, opener) {
    if (tbody.querySelector('.confirm')) return;
    const input = h('input', { type: 'text', 'aria-label': `Type ${name} to confirm`, spellcheck: 'false', autocomplete: 'off' });
    const go = h('button', { type: 'submit', class: 'danger primary', disabled: true }, 'Delete table');
    const errors = h('div', { 'aria-live': 'polite' });
    const close = () => {
      confirmRow.remove();
      opener.focus();
    };
    input.addEventListener('input', () => {
      go.disabled = input.value !== name;
    });
    const form = h(
      'form',
      {
        onsubmit: async (ev) => {
          ev.preventDefault();
          if (input.value !== name) return;
          go.disabled = true;
          try {
            await ctx.api.dynamodb('DeleteTable', { TableName: name });
            load();
          } catch (e) {
            replace(errors, errorBox(e));
            go.disabled = false;
          }
        },
        onkeydown: (ev) => {
          if (ev.key === 'Escape') close();
        },
      },
      errors,
      h('p', {}, 'Delete ', h('strong', {}, name), ' and every item in it? This cannot be undone. Type the table\'s name to confirm:'),
      h('div', { class: 'toolbar' }, input, go, h('button', { type: 'button', onclick: close }, 'Cancel')),
    );
    const confirmRow = h('tr', { class: 'confirm' }, h('td', { colspan: '8' }, form));
    mainRow.after(confirmRow);
    input.focus();
  }

  await load();
}
