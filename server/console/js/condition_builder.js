// Building Query and Scan expressions from form fields: every attribute name becomes a `#n`
// placeholder and every value a `:v` placeholder (ExpressionAttributeNames / Values), so no
// text the user typed is ever spliced into an expression. Also the filter editor: rows of
// attribute, operator, type and value(s), joined with AND or OR.

import { h, replace, select } from './dom.js';
import { checkNumber, isBase64, TYPE_NAMES } from './ddbjson.js';

/** A value typed in the form is wrong (shown in place; nothing is sent). */
export class FormError extends Error {
  constructor(message) {
    super(message);
    this.name = 'FormError';
    this.code = 'Invalid input';
  }
}

/** The types a condition's value may be given as. */
export const VALUE_TYPES = ['S', 'N', 'B', 'BOOL', 'NULL'];

/** Sort key operators: `[value, label]`. */
export const KEY_OPS = [
  ['', 'any (no condition)'],
  ['=', '='],
  ['<', '<'],
  ['<=', '<='],
  ['>', '>'],
  ['>=', '>='],
  ['BETWEEN', 'between'],
  ['begins_with', 'begins with'],
];

/** Filter operators: `[value, label]`. */
export const FILTER_OPS = [
  ['=', '='],
  ['<>', '≠ (<>)'],
  ['<', '<'],
  ['<=', '<='],
  ['>', '>'],
  ['>=', '>='],
  ['BETWEEN', 'between'],
  ['begins_with', 'begins with'],
  ['contains', 'contains'],
  ['attribute_exists', 'exists'],
  ['attribute_not_exists', 'does not exist'],
];

/** How many values operator `op` takes: 0, 1 or 2. */
export function arity(op) {
  if (op === '' || op === 'attribute_exists' || op === 'attribute_not_exists') return 0;
  return op === 'BETWEEN' ? 2 : 1;
}

/**
 * The attribute value of `text` typed `type` (S, N, B, BOOL, NULL); throws a FormError naming
 * `what` when the text is not such a value.
 */
export function toValue(type, text, what) {
  switch (type) {
    case 'S':
      return { S: text };
    case 'N': {
      const t = text.trim();
      const why = checkNumber(t);
      if (why) throw new FormError(`${what}: ${t === '' ? 'a number is needed' : why}`);
      return { N: t };
    }
    case 'B':
      if (!isBase64(text.trim()) || text.trim() === '') throw new FormError(`${what}: a binary value is typed as base64 (e.g. AAEC)`);
      return { B: text.trim() };
    case 'BOOL': {
      const t = text.trim().toLowerCase();
      if (t !== 'true' && t !== 'false') throw new FormError(`${what}: a boolean is true or false`);
      return { BOOL: t === 'true' };
    }
    case 'NULL':
      return { NULL: true };
    default:
      throw new FormError(`${what}: unknown type ${type}`);
  }
}

/** Placeholders for one request: `name(n)` → `#n0`, `value(av)` → `:v0`; `into(body)` adds the maps. */
export function placeholders() {
  const names = {};
  const byName = new Map();
  const values = {};
  let v = 0;
  return {
    name(n) {
      if (!byName.has(n)) {
        const p = `#n${byName.size}`;
        byName.set(n, p);
        names[p] = n;
      }
      return byName.get(n);
    },
    value(av) {
      const p = `:v${v++}`;
      values[p] = av;
      return p;
    },
    /** Adds ExpressionAttributeNames / Values to `body` when there are any. */
    into(body) {
      if (Object.keys(names).length) body.ExpressionAttributeNames = names;
      if (Object.keys(values).length) body.ExpressionAttributeValues = values;
      return body;
    },
  };
}

/** One condition `name op values` as expression text, with placeholders from `p`. */
export function condition(p, name, op, values) {
  const n = p.name(name);
  switch (op) {
    case 'attribute_exists':
    case 'attribute_not_exists':
      return `${op}(${n})`;
    case 'begins_with':
    case 'contains':
      return `${op}(${n}, ${p.value(values[0])})`;
    case 'BETWEEN':
      return `${n} BETWEEN ${p.value(values[0])} AND ${p.value(values[1])}`;
    default:
      return `${n} ${op} ${p.value(values[0])}`;
  }
}

/** `a, b , c` as the attribute names `['a', 'b', 'c']` (empty entries dropped). */
export function splitNames(text) {
  return String(text || '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A ProjectionExpression of `names` (placeholders from `p`), or undefined when none. */
export function projection(p, names) {
  return names.length ? names.map((n) => p.name(n)).join(', ') : undefined;
}

let rowCounter = 0;

/**
 * The filter editor: rows of attribute, operator, type and value(s), and AND / OR between
 * them. Answers `{ el, build(p) }`: `build` answers the FilterExpression (or undefined when no
 * row has an attribute) and throws a FormError for a value that is not of its type.
 */
export function filterEditor() {
  const rows = [];
  const list = h('div', { class: 'cb-rows' });
  const join = select([['AND', 'all (AND)'], ['OR', 'any (OR)']], 'AND', { id: `cb_join_${++rowCounter}` });
  const joinField = h('div', { class: 'cb-join' }, h('label', { for: join.id }, 'Items must match'), join, h('span', { class: 'muted' }, 'of the conditions'));
  const empty = h('span', { class: 'muted cb-empty' }, 'No filter: every item read is returned.');
  const add = h('button', { type: 'button', onclick: () => addRow(true) }, 'Add filter condition');
  const el = h(
    'fieldset',
    { class: 'cb-filters' },
    h('legend', {}, 'Filter ', h('span', { class: 'hint' }, 'applied after the items are read: it reduces Count, not ScannedCount or the capacity used')),
    list,
    h('div', { class: 'row cb-foot' }, add, empty, joinField),
  );

  function refresh() {
    empty.classList.toggle('hidden', rows.length > 0);
    joinField.classList.toggle('hidden', rows.length < 2);
    rows.forEach((r, i) => r.setIndex(i));
  }

  function addRow(focus) {
    const id = `cb${++rowCounter}`;
    const attr = h('input', { type: 'text', id: `${id}_a`, autocomplete: 'off', spellcheck: 'false' });
    const op = select(FILTER_OPS, '=', { id: `${id}_o` });
    const type = select(VALUE_TYPES.map((t) => [t, TYPE_NAMES[t]]), 'S', { id: `${id}_t` });
    const v1 = h('input', { type: 'text', id: `${id}_v`, autocomplete: 'off', spellcheck: 'false' });
    const v2 = h('input', { type: 'text', id: `${id}_w`, autocomplete: 'off', spellcheck: 'false' });
    const labels = {};
    const cell = (control, text, cls) => {
      labels[control.id] = h('label', { for: control.id }, text);
      return h('div', { class: `field ${cls}` }, labels[control.id], control);
    };
    const typeCell = cell(type, 'Type', 'cb-type');
    const v1Cell = cell(v1, 'Value', 'cb-value');
    const v2Cell = cell(v2, 'and', 'cb-value2');
    const remove = h('button', { type: 'button', class: 'cb-remove', onclick: () => removeRow(row) }, 'Remove');
    const rowEl = h('div', { class: 'row cb-row', role: 'group' }, cell(attr, 'Attribute', 'cb-attr'), cell(op, 'Operator', 'cb-op'), typeCell, v1Cell, v2Cell, remove);
    function sync() {
      const n = arity(op.value);
      const noValue = n === 0 || type.value === 'NULL';
      typeCell.classList.toggle('hidden', n === 0);
      v1Cell.classList.toggle('hidden', noValue);
      v2Cell.classList.toggle('hidden', noValue || n < 2);
      replace(labels[v1.id], n === 2 ? 'From' : 'Value');
    }
    op.addEventListener('change', sync);
    type.addEventListener('change', sync);
    const row = {
      el: rowEl,
      setIndex(i) {
        rowEl.setAttribute('aria-label', `Filter condition ${i + 1}`);
        remove.setAttribute('aria-label', `Remove filter condition ${i + 1}`);
      },
      build(p, i) {
        const name = attr.value.trim();
        if (!name) return null;
        const what = `filter condition ${i + 1} (${name})`;
        const n = arity(op.value);
        const values = [];
        if (n >= 1) values.push(toValue(type.value, v1.value, what));
        if (n >= 2) values.push(toValue(type.value, v2.value, what));
        return condition(p, name, op.value, values);
      },
    };
    rows.push(row);
    list.append(rowEl);
    sync();
    refresh();
    if (focus) attr.focus();
  }

  function removeRow(row) {
    const i = rows.indexOf(row);
    rows.splice(i, 1);
    row.el.remove();
    refresh();
    (rows[Math.min(i, rows.length - 1)]?.el.querySelector('input') || add).focus();
  }

  refresh();
  return {
    el,
    /** The FilterExpression of the rows with an attribute (placeholders from `p`), or undefined. */
    build(p) {
      const parts = rows.map((r, i) => r.build(p, i)).filter(Boolean);
      if (parts.length === 0) return undefined;
      return parts.length === 1 ? parts[0] : parts.map((c) => `(${c})`).join(` ${join.value} `);
    },
  };
}
