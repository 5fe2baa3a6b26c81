// Items of one table (`#/table/<name>/items[/new | /edit/<JSON key>]`):
// - browse: Scan a page at a time (25, 50 or 100 items; Previous and Next walk a stack of
//   LastEvaluatedKeys), key attributes first, the page's item count and consumed capacity;
// - create (`/new`): PutItem on the condition that no item has the key;
// - edit (`/edit/<key>`): GetItem (consistent) to load, PutItem to save on the condition that
//   the item still exists (a save never brings back an item deleted meanwhile: the page says so
//   and offers to save it as a new item), DeleteItem after a confirmation; each of these asks
//   for the server's latency breakdown, shown under the editor.
// The editor itself (form and DynamoDB JSON views) is js/item_editor.js.

import { h, replace, errorBox, notice, focusOn } from '../dom.js';
import { count, consumed } from '../format.js';
import { keyOf, keyNames, keyText, formatItem } from '../ddbjson.js';
import { resultsTable } from '../results.js';
import { pager } from '../pager.js';
import { confirmInSlot } from '../confirm.js';
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

/** The key attributes of `table` as the editor takes them: `[{ name, type, role }]`. */
function keysOf(table) {
  const types = new Map((table.AttributeDefinitions || []).map((d) => [d.AttributeName, d.AttributeType]));
  const roles = { HASH: 'partition key', RANGE: 'sort key' };
  return keyNames(table.KeySchema).map((name) => {
    const k = table.KeySchema.find((x) => x.AttributeName === name);
    return { name, type: types.get(name) || 'S', role: roles[k.KeyType] || 'key' };
  });
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
  const pages = pager({
    status,
    sizes: PAGE_SIZES,
    label: 'Items a page',
    state,
    current: ctx.current,
    load: async ({ start, size, page: number, live }) => {
      const page = await ctx.api.dynamodb('Scan', {
        TableName: name,
        Limit: size,
        ExclusiveStartKey: start,
        ConsistentRead: state.consistent || undefined,
        ReturnConsumedCapacity: 'TOTAL',
      });
      if (!live()) return null;
      show(page, number, size);
      return page.LastEvaluatedKey;
    },
  });
  const consistent = h('input', {
    type: 'checkbox',
    id: 'items_consistent',
    checked: state.consistent,
    onchange: () => {
      state.consistent = consistent.checked;
      pages.reload();
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
      h('button', { type: 'button', onclick: () => pages.reload() }, 'Refresh'),
      h('label', { for: 'items_consistent', class: 'check' }, consistent, 'Consistent read'),
      h('span', { class: 'spacer' }),
      pages.controls,
    ),
    status,
    summary,
    body,
  );

  function show(page, number, size) {
    const items = page.Items || [];
    const first = (number - 1) * size + 1;
    const capacity = consumed(page, 'read');
    replace(
      summary,
      `Page ${number} · `,
      items.length === 0
        ? 'no items'
        : `items ${count(first)}–${count(first + items.length - 1)} (${items.length} on this page, at most ${size})`,
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

  return pages.reload();
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

  /** Shows `children` in the status area under the editor; answers the first one. */
  function say(...children) {
    replace(status, ...children);
    return status.firstChild;
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
  say(h('p', { class: 'muted' }, `Loaded with a consistent GetItem${consumed(got, 'read') ? ` (${consumed(got, 'read')})` : ''}.`));
  return form('edit', got.Item);

  /** Shows the editor of `item` in `mode` ('create' or 'edit'). */
  function form(mode, item) {
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

    /**
     * Saves the item: a new one on the condition that no item has its key; an edit on the
     * condition that the item still exists (deleted meanwhile, it is not brought back: the
     * refusal says so and offers to save it as a new item, `asNew`).
     */
    async function submit(asNew = false) {
      const it = current();
      if (!it) return;
      const creating = mode === 'create' || asNew;
      save.disabled = true;
      say(h('p', { class: 'muted' }, creating ? 'Creating…' : 'Saving…'));
      const request = {
        TableName: name,
        Item: it,
        ReturnConsumedCapacity: 'TOTAL',
        ConditionExpression: creating ? 'attribute_not_exists(#pk)' : 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': keys[0].name },
      };
      let answer;
      try {
        answer = await ctx.api.dynamodb('PutItem', request, { trace: true });
      } catch (e) {
        if (!ctx.current()) return;
        save.disabled = false;
        showTrace('PutItem', e);
        const k = keyOf(it, table.KeySchema);
        if (e.code === 'ConditionalCheckFailedException' && creating) {
          say(
            errorBox({
              code: e.code,
              message: `An item with the key ${keyText(k)} already exists; nothing was written. Change the key, or open the existing item to edit it.`,
              requestId: e.requestId,
            }),
            h('p', {}, h('a', { href: itemsHash(name, 'edit', k) }, 'Open the existing item')),
          );
        } else if (e.code === 'ConditionalCheckFailedException') {
          say(
            errorBox({
              code: e.code,
              message: `The item ${keyText(k)} no longer exists: it was deleted after this page loaded it. Nothing was written, so it was not brought back.`,
              requestId: e.requestId,
            }),
            h(
              'div',
              { class: 'toolbar' },
              h('button', { type: 'button', onclick: () => submit(true) }, 'Save it as a new item'),
              h('a', { href: itemsHash(name), class: 'button' }, 'Back to the items'),
            ),
          );
        } else {
          say(errorBox(e));
        }
        return;
      }
      if (!ctx.current()) return;
      showTrace('PutItem', answer);
      const capacity = consumed(answer, 'write');
      const when = new Date().toLocaleTimeString();
      if (mode === 'create') {
        // The page becomes the new item's editor; the address follows without reloading.
        const k = keyOf(it, table.KeySchema);
        history.replaceState(null, '', itemsHash(name, 'edit', k));
        form('edit', it);
        say(notice(`Created at ${when}${capacity ? ` (${capacity})` : ''}.`));
      } else {
        save.disabled = false;
        const done = say(notice(`${asNew ? 'Created again' : 'Saved'} at ${when}${capacity ? ` (${capacity})` : ''}.`));
        // Save it as a new item was in the message this replaces: the focus goes to the new one.
        if (asNew) focusOn(done);
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

    function askDelete(ev) {
      const opener = ev.currentTarget;
      const k = keyOf(item, table.KeySchema);
      if (confirmBox.firstChild) {
        confirmBox.querySelector('button.primary')?.focus();
        return;
      }
      let answer = null;
      confirmInSlot(confirmBox, opener, {
        message: h('p', {}, 'Delete the item ', h('code', {}, keyText(k)), '? This cannot be undone.'),
        label: 'Confirm delete',
        run: async () => {
          try {
            answer = await ctx.api.dynamodb('DeleteItem', { TableName: name, Key: k, ReturnValues: 'ALL_OLD', ReturnConsumedCapacity: 'TOTAL' }, { trace: true });
          } catch (e) {
            showTrace('DeleteItem', e);
            throw e;
          }
        },
        onDone: () => {
          if (ctx.current()) deleted(k, answer);
        },
      });
    }

    /** The page after the item of key `k` was deleted (`answer`: DeleteItem's). */
    function deleted(k, answer) {
      showTrace('DeleteItem', answer);
      const old = answer.Attributes;
      const capacity = consumed(answer, 'write');
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
          old ? h('details', {}, h('summary', {}, 'The deleted item'), h('pre', { class: 'items-old' }, formatItem(old))) : null,
        ),
      );
      back.focus();
    }
  }
}
