// Items (DynamoDB JSON) as a table: key attributes first, then every other attribute name in
// the order the items first show it; a column picker (a disclosure of checkboxes) shows and
// hides each column; each row may have an Open action.
//
// `resultsTable(items, { keyNames, onOpen, hidden, max })` answers
// `{ el, columns(), setItems(items) }`:
// - `keyNames`: the key attributes to put first (the table's, then the index's), in order;
// - `onOpen(item, button)`: when given, each row starts with an Open button calling it (with
//   the button, to give the focus back to);
// - `hidden`: a Set of column names to hide; the picker adds to and removes from it, so a
//   caller that keeps the Set keeps the user's choice across new results;
// - `max`: the characters a cell shows before it is cut (its title holds the whole value);
// - `columns()`: the visible column names, in order (what a CSV export writes);
// - `setItems(items)`: shows other items (after Load more, say), keeping the picked columns.

import { h, replace } from './dom.js';
import { typeOf, displayValue, keyOf, keyText } from './ddbjson.js';

/** The column names of `items`: `keyNames` first (those any item has), then the others as first seen. */
export function columnsOf(items, keyNames = []) {
  const seen = new Set();
  for (const item of items) for (const name of Object.keys(item || {})) seen.add(name);
  const keys = keyNames.filter((k, i) => k && seen.has(k) && keyNames.indexOf(k) === i);
  const keySet = new Set(keys);
  return [...keys, ...[...seen].filter((n) => !keySet.has(n))];
}

let counter = 0;

export function resultsTable(items, { keyNames = [], onOpen, hidden = new Set(), max = 80 } = {}) {
  const id = `rs${++counter}`;
  let current = items || [];
  let all = columnsOf(current, keyNames);
  const keySet = new Set(keyNames);

  const summary = h('summary', {});
  const boxes = h('div', { class: 'rs-boxes', role: 'group', 'aria-label': 'Columns shown' });
  const picker = h(
    'details',
    { class: 'rs-picker' },
    summary,
    h(
      'div',
      { class: 'rs-menu' },
      h(
        'div',
        { class: 'toolbar' },
        h('button', { type: 'button', onclick: () => setAll(false) }, 'Show all'),
        h('button', { type: 'button', onclick: () => setAll(true) }, 'Keys only'),
      ),
      boxes,
    ),
  );
  // Escape closes the open picker and gives the focus back to its summary.
  picker.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && picker.open) {
      e.preventDefault();
      e.stopPropagation();
      picker.open = false;
      summary.focus();
    }
  });
  const note = h('span', { class: 'muted' });
  const scroll = h('div', { class: 'rs-scroll', tabindex: '0', role: 'region', 'aria-label': 'Results' });
  const el = h('div', { class: 'results' }, h('div', { class: 'toolbar' }, picker, note), scroll);

  function visible() {
    return all.filter((c) => !hidden.has(c));
  }

  function setAll(keysOnly) {
    for (const c of all) {
      if (keysOnly && !keySet.has(c)) hidden.add(c);
      else hidden.delete(c);
    }
    renderPicker();
    renderTable();
  }

  function renderPicker() {
    const shown = visible().length;
    replace(summary, `Columns (${shown} of ${all.length})`);
    picker.classList.toggle('hidden', all.length === 0);
    replace(
      boxes,
      all.map((c, i) => {
        const boxId = `${id}_c${i}`;
        const box = h('input', {
          type: 'checkbox',
          id: boxId,
          onchange: () => {
            if (box.checked) hidden.delete(c);
            else hidden.add(c);
            replace(summary, `Columns (${visible().length} of ${all.length})`);
            renderTable();
          },
        });
        box.checked = !hidden.has(c);
        return h('label', { for: boxId, class: 'rs-box' }, box, ' ', c, keySet.has(c) ? h('span', { class: 'hint' }, ' key') : null);
      }),
    );
  }

  function cell(av) {
    if (av === undefined) return h('td', { class: 'rs-absent' });
    const full = displayValue(av);
    const shown = displayValue(av, max);
    return h(
      'td',
      { class: `rs-v rs-${typeOf(av)}`, title: shown === full ? false : full.length > 4000 ? `${full.slice(0, 4000)}…` : full },
      shown,
    );
  }

  function renderTable() {
    const cols = visible();
    note.textContent = current.length === 0 ? '' : `${current.length.toLocaleString('en-US')} item${current.length === 1 ? '' : 's'}`;
    if (current.length === 0) {
      replace(scroll, h('p', { class: 'muted rs-empty' }, 'No items.'));
      return;
    }
    replace(
      scroll,
      h(
        'table',
        { class: 'list rs-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            onOpen ? h('th', { scope: 'col', class: 'rs-act' }, h('span', { class: 'sr-only' }, 'Actions')) : null,
            cols.map((c) => h('th', { scope: 'col', class: keySet.has(c) ? 'rs-key' : false }, c)),
          ),
        ),
        h(
          'tbody',
          {},
          current.map((item) =>
            h(
              'tr',
              {},
              onOpen
                ? h(
                    'td',
                    { class: 'rs-act' },
                    h('button', { type: 'button', class: 'rs-open', 'aria-label': `Open item ${keyText(keyOf(item, keyNames), 40)}`.trim(), onclick: (ev) => onOpen(item, ev.currentTarget) }, 'Open'),
                  )
                : null,
              cols.map((c) => cell(item[c])),
            ),
          ),
        ),
      ),
    );
  }

  function setItems(next) {
    current = next || [];
    all = columnsOf(current, keyNames);
    renderPicker();
    renderTable();
  }

  setItems(current);
  return { el, columns: visible, setItems };
}
