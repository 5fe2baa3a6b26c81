// Items of one table (`#/table/<name>/items[/new | /edit/<JSON key>]`):
// - browse: Scan a page at a time (25, 50 or 100 items; Previous and Next walk a stack of
//   LastEvaluatedKeys), key attributes first, the page's item count and consumed capacity;
// - create (`/new`): PutItem on the condition that no item has the key;
// - edit (`/edit/<key>`): GetItem (consistent) to load, PutItem to save, DeleteItem after a
//   confirmation; each of these asks for the server's latency breakdown, shown under the editor.
// The editor itself (form and DynamoDB JSON views) is js/item_editor.js.

import { h, replace, errorBox, select } from '../dom.js';
import { count } from '../format.js';
import { keyOf, keyNames, displayValue, formatItem } from '../ddbjson.js';
import { resultsTable } from '../results.js';
import { itemEditor } from '../item_editor.js';
import { traceView } from '../trace_view.js';
import { tableHash } from '../tabs.js';

const PAGE_SIZES = [25, 50, 100];

/** What each table's browse page was showing (page size, start keys), kept while the tab lives. */
const browsing = new Map();
/** An item handed to the create form (Copy as new item, Restore after delete): `{ table, item }`. */
let draft = null;
/** The editor view the user last chose, kept across items. */
let lastView = 'form';

/** `#/table/<name>/items`, `…/items/new`, `…/items/edit/<JSON key>`. */
export function itemsHash(table, what = '', key) {
  const base = tableHash(table, 'items');
  if (what === 'new') return `${base}/new`;
  if (what === 'edit') return `${base}/edit/${encodeURIComponent(JSON.stringify(key))}`;
  return base;
}

/** `pk = "a", sk = 1`: a key as text. */
function keyText(key) {
  return Object.entries(key)
    .map(([k, av]) => `${k} = ${displayValue(av, 60)}`)
    .join(', ');
}

/** The key attributes of `table` as the editor takes them: `[{ name, type, role }]`. */
function keysOf(table) {
  const types = new Map((table.AttributeDefinitions || []).map((d) => [d.AttributeName, d.AttributeType]));
  const roles = { HASH: 'partition key', RANGE: 'sort key' };
  return keyNames(table.KeySchema).map((name) => {
    const k = table.KeySchema.find((x) => x.AttributeName === name);
    return { name, type: types.get(name) || 'S', role: roles[k.KeyType] || 'key' };
  });
}

/** `1.5 read capacity units` of an answer's ConsumedCapacity, or ''. */
function capacityText(answer, kind) {
  const units = answer && answer.ConsumedCapacity && answer.ConsumedCapacity.CapacityUnits;
  return typeof units === 'number' ? `${units} ${kind} capacity unit${units === 1 ? '' : 's'}` : '';
}

export async function itemsPage(root, ctx) {
  const [name, , rest = ''] = ctx.params;
  replace(root, h('p', { class: 'muted' }, 'Loading…'));
  let table;
  try {
    ({ Table: table } = await ctx.api.dynamodb('DescribeTable', { TableName: name }));
  } catch (e) {
    if (ctx.current()) replace(root, errorBox(e), h('p', {}, h('a', { href: '#/tables' }, 'Back to the tables')));
    return;
  }
  if (!ctx.current()) return;
  if (rest === '') return browse(root, ctx, table);
  if (rest === 'new') return editPage(root, ctx, table, null);
  if (rest.startsWith('edit/')) {
    let key = null;
    try {
      key = JSON.parse(rest.slice('edit/'.length));
    } catch {
      key = null;
    }
    if (key && typeof key === 'object' && !Array.isArray(key)) return editPage(root, ctx, table, key);
  }
  replace(
    root,
    h('h2', {}, 'Not found'),
    h('p', {}, 'No items page at ', h('code', {}, rest), '. ', h('a', { href: itemsHash(name) }, 'Back to the items'), '.'),
  );
}

/** Browse: Scan a page at a time. */
function browse(root, ctx, table) {
  const name = table.TableName;
  const state = browsing.get(name) || { size: 25, starts: [undefined], consistent: false };
  browsing.set(name, state);
  const keys = keyNames(table.KeySchema);
  const hidden = new Set();
  const status = h('div', { 'aria-live': 'polite' });
  const summary = h('p', { class: 'muted items-summary' });
  const body = h('div', {});
  const prev = h('button', { type: 'button', onclick: () => { state.starts.pop(); load(); } }, '← Previous');
  const next = h('button', { type: 'button', disabled: true }, 'Next →');
  const sizes = select(PAGE_SIZES.map((n) => [String(n), `${n} a page`]), String(state.size), {
    'aria-label': 'Items a page',
    onchange: (ev) => {
      state.size = Number(ev.target.value);
      state.starts = [undefined];
      load();
    },
  });
  const consistent = h('input', {
    type: 'checkbox',
    id: 'items_consistent',
    checked: state.consistent,
    onchange: () => {
      state.consistent = consistent.checked;
      load();
    },
  });
  replace(
    root,
    h('h2', {}, 'Items'),
    h(
      'p',
      { class: 'muted' },
      'The table a page at a time, in Scan order (each page one Scan with a Limit). To filter, or to query by key or index, use ',
      h('a', { href: tableHash(name, 'explore') }, 'Query / Scan'),
      '.',
    ),
    h(
      'div',
      { class: 'toolbar' },
      h('a', { href: itemsHash(name, 'new'), class: 'button primary' }, 'Create item'),
      h('button', { type: 'button', onclick: () => load() }, 'Refresh'),
      h('label', { for: 'items_consistent', class: 'items-check' }, consistent, 'Consistent read'),
      h('span', { class: 'spacer' }),
      sizes,
      prev,
      next,
    ),
    status,
    summary,
    body,
  );

  async function load() {
    const start = state.starts[state.starts.length - 1];
    replace(status, h('p', { class: 'muted' }, 'Loading…'));
    prev.disabled = true;
    next.disabled = true;
    let page;
    try {
      page = await ctx.api.dynamodb('Scan', {
        TableName: name,
        Limit: state.size,
        ExclusiveStartKey: start,
        ConsistentRead: state.consistent || undefined,
        ReturnConsumedCapacity: 'TOTAL',
      });
    } catch (e) {
      if (!ctx.current()) return;
      replace(status, errorBox(e));
      prev.disabled = state.starts.length === 1;
      return;
    }
    if (!ctx.current()) return;
    replace(status);
    const items = page.Items || [];
    const number = state.starts.length;
    const first = (number - 1) * state.size + 1;
    prev.disabled = number === 1;
    next.disabled = !page.LastEvaluatedKey;
    next.onclick = () => {
      state.starts.push(page.LastEvaluatedKey);
      load();
    };
    const capacity = capacityText(page, 'read');
    replace(
      summary,
      `Page ${number} · `,
      items.length === 0
        ? 'no items'
        : `items ${count(first)}–${count(first + items.length - 1)} (${items.length} on this page, at most ${state.size})`,
      capacity ? ` · ${capacity} consumed` : '',
      ` · ${state.consistent ? 'strongly' : 'eventually'} consistent`,
      page.LastEvaluatedKey ? '' : ' · end of the table',
    );
    if (items.length === 0) {
      replace(
        body,
        h(
          'p',
          { class: 'muted' },
          number === 1 ? 'The table has no items. ' : 'No more items. ',
          h('a', { href: itemsHash(name, 'new') }, 'Create an item'),
          '.',
        ),
      );
      return;
    }
    const results = resultsTable(items, {
      keyNames: keys,
      hidden,
      onOpen: (item) => ctx.navigate(itemsHash(name, 'edit', keyOf(item, table.KeySchema))),
    });
    replace(body, results.el);
  }

  return load();
}

/** Create (`key` null) or edit (the item of `key`) one item. */
async function editPage(root, ctx, table, key) {
  const name = table.TableName;
  const keys = keysOf(table);
  const heading = h('h2', {});
  const status = h('div', { 'aria-live': 'polite', class: 'items-status' });
  const formBox = h('div', {});
  const traceBox = h('div', { class: 'items-trace' });
  replace(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: itemsHash(name) }, '← Items')),
    heading,
    formBox,
    traceBox,
  );

  /** Shows the latency breakdown of `answer` (an answer or an error) of operation `op`. */
  function showTrace(op, answer) {
    const trace = answer && answer.$trace;
    if (!trace) {
      replace(traceBox);
      return;
    }
    replace(
      traceBox,
      h('div', { class: 'panel' }, traceView(trace, { title: `Latency breakdown: ${op} at ${new Date().toLocaleTimeString()}` })),
    );
  }

  function say(...children) {
    replace(status, ...children);
  }

  if (key === null) {
    const start = draft && draft.table === name ? draft.item : {};
    draft = null;
    return form('create', start);
  }

  replace(heading, 'Item ', h('code', {}, keyText(key)));
  replace(formBox, h('p', { class: 'muted' }, 'Loading…'));
  let got;
  try {
    got = await ctx.api.dynamodb('GetItem', { TableName: name, Key: key, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }, { trace: true });
  } catch (e) {
    if (!ctx.current()) return;
    replace(formBox, errorBox(e), h('p', {}, h('a', { href: itemsHash(name) }, 'Back to the items')));
    showTrace('GetItem', e);
    return;
  }
  if (!ctx.current()) return;
  showTrace('GetItem', got);
  if (!got.Item) {
    replace(
      formBox,
      h(
        'div',
        { class: 'panel' },
        h('p', {}, 'No item has the key ', h('code', {}, keyText(key)), ' (read with strong consistency).'),
        h(
          'div',
          { class: 'toolbar' },
          h('a', { href: itemsHash(name), class: 'button' }, 'Back to the items'),
          h('button', { type: 'button', onclick: () => { draft = { table: name, item: key }; ctx.navigate(itemsHash(name, 'new')); } }, 'Create an item with this key'),
        ),
      ),
    );
    return;
  }
  say(h('p', { class: 'muted' }, `Loaded with a consistent GetItem${capacityText(got, 'read') ? ` (${capacityText(got, 'read')})` : ''}.`));
  return form('edit', got.Item);

  /** Shows the editor of `item` in `mode` ('create' or 'edit'). */
  function form(mode, item) {
    let confirming = null;
    if (mode === 'create') replace(heading, 'Create item');
    else replace(heading, 'Item ', h('code', {}, keyText(keyOf(item, table.KeySchema))));
    const editor = itemEditor({
      item,
      keys,
      mode,
      view: lastView,
      report: (e) => (e ? say(errorBox(e)) : say()),
    });
    const save = h('button', { type: 'submit', class: 'primary' }, mode === 'create' ? 'Create item' : 'Save');
    const confirmBox = h('div', {});
    const actions = h(
      'div',
      { class: 'toolbar' },
      save,
      h('a', { href: itemsHash(name), class: 'button' }, 'Cancel'),
      h('span', { class: 'spacer' }),
      mode === 'edit'
        ? [
            h('button', { type: 'button', onclick: copyAsNew }, 'Copy as new item'),
            h('button', { type: 'button', class: 'danger', onclick: askDelete }, 'Delete item'),
          ]
        : null,
    );
    const formEl = h(
      'form',
      { class: 'panel items-form', onsubmit: (ev) => { ev.preventDefault(); submit(); } },
      editor.el,
      status,
      actions,
      confirmBox,
    );
    replace(formBox, formEl);
    editor.focus();

    /** The checked item, or null (the error shown in place, the edits kept). */
    function current() {
      lastView = editor.view();
      try {
        return editor.value();
      } catch (e) {
        say(errorBox(e));
        return null;
      }
    }

    async function submit() {
      const it = current();
      if (!it) return;
      save.disabled = true;
      say(h('p', { class: 'muted' }, mode === 'create' ? 'Creating…' : 'Saving…'));
      const request = { TableName: name, Item: it, ReturnConsumedCapacity: 'TOTAL' };
      if (mode === 'create') {
        request.ConditionExpression = 'attribute_not_exists(#pk)';
        request.ExpressionAttributeNames = { '#pk': keys[0].name };
      }
      let answer;
      try {
        answer = await ctx.api.dynamodb('PutItem', request, { trace: true });
      } catch (e) {
        if (!ctx.current()) return;
        save.disabled = false;
        showTrace('PutItem', e);
        if (e.code === 'ConditionalCheckFailedException' && mode === 'create') {
          const k = keyOf(it, table.KeySchema);
          say(
            errorBox({
              code: e.code,
              message: `An item with the key ${keyText(k)} already exists; nothing was written. Change the key, or open the existing item to edit it.`,
              requestId: e.requestId,
            }),
            h('p', {}, h('a', { href: itemsHash(name, 'edit', k) }, 'Open the existing item')),
          );
        } else {
          say(errorBox(e));
        }
        return;
      }
      if (!ctx.current()) return;
      showTrace('PutItem', answer);
      const capacity = capacityText(answer, 'write');
      const when = new Date().toLocaleTimeString();
      if (mode === 'create') {
        // The page becomes the new item's editor; the address follows without reloading.
        const k = keyOf(it, table.KeySchema);
        history.replaceState(null, '', itemsHash(name, 'edit', k));
        form('edit', it);
        say(h('p', { class: 'notice', role: 'status' }, `Created at ${when}${capacity ? ` (${capacity})` : ''}.`));
      } else {
        save.disabled = false;
        say(h('p', { class: 'notice', role: 'status' }, `Saved at ${when}${capacity ? ` (${capacity})` : ''}.`));
      }
    }

    function copyAsNew() {
      let it;
      try {
        it = editor.value();
      } catch {
        it = item; // the edits do not form an item yet: copy the item as loaded
      }
      lastView = editor.view();
      draft = { table: name, item: it };
      ctx.navigate(itemsHash(name, 'new'));
    }

    function askDelete() {
      if (confirming) return;
      const k = keyOf(item, table.KeySchema);
      const cancel = () => {
        confirming.remove();
        confirming = null;
        deleteButton.focus();
      };
      const deleteButton = actions.querySelector('button.danger');
      const yes = h('button', { type: 'button', class: 'danger primary', onclick: () => remove(k) }, 'Delete');
      confirming = h(
        'div',
        {
          class: 'confirm items-confirm',
          role: 'alertdialog',
          'aria-label': 'Confirm delete',
          onkeydown: (ev) => {
            if (ev.key === 'Escape') {
              ev.preventDefault();
              cancel();
            }
          },
        },
        h('p', {}, 'Delete the item ', h('code', {}, keyText(k)), '? This cannot be undone.'),
        h('div', { class: 'toolbar' }, yes, h('button', { type: 'button', onclick: cancel }, 'Cancel')),
      );
      confirmBox.append(confirming);
      yes.focus();
    }

    async function remove(k) {
      for (const b of confirming.querySelectorAll('button')) b.disabled = true;
      let answer;
      try {
        answer = await ctx.api.dynamodb('DeleteItem', { TableName: name, Key: k, ReturnValues: 'ALL_OLD', ReturnConsumedCapacity: 'TOTAL' }, { trace: true });
      } catch (e) {
        if (!ctx.current()) return;
        showTrace('DeleteItem', e);
        for (const b of confirming.querySelectorAll('button')) b.disabled = false;
        say(errorBox(e));
        return;
      }
      if (!ctx.current()) return;
      showTrace('DeleteItem', answer);
      const old = answer.Attributes;
      const capacity = capacityText(answer, 'write');
      const back = h('a', { href: itemsHash(name), class: 'button primary' }, 'Back to the items');
      replace(
        formBox,
        h(
          'div',
          { class: 'panel' },
          h(
            'p',
            { class: 'notice', role: 'status' },
            old ? 'Deleted the item ' : 'No item had the key ',
            h('code', {}, keyText(k)),
            old ? '' : ' any more (someone deleted it already)',
            `.${capacity ? ` ${capacity}.` : ''}`,
          ),
          h(
            'div',
            { class: 'toolbar' },
            back,
            old
              ? h('button', { type: 'button', onclick: () => { draft = { table: name, item: old }; ctx.navigate(itemsHash(name, 'new')); } }, 'Restore it (opens the create form)')
              : null,
          ),
          old ? h('details', {}, h('summary', {}, 'The deleted item'), h('pre', { class: 'mono items-old' }, formatItem(old))) : null,
        ),
      );
      back.focus();
    }
  }
}
