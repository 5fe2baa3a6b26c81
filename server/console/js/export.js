// Exports of loaded items: DynamoDB JSON (one array) or CSV (RFC 4180), downloaded through a
// Blob and an `<a download>`; nothing leaves the browser. A CSV opened in a spreadsheet runs a
// cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return) as a formula: with
// the protection on (the default), such a cell is written with a leading `'`, which the
// spreadsheet shows as text; numbers (`-5`, `+1.5e3`) are left as they are.

import { h, uid } from './dom.js';
import { displayValue, typeOf } from './ddbjson.js';

/** The items as DynamoDB JSON: one array, indented. */
export function jsonOf(items) {
  return `${JSON.stringify(items, null, 2)}\n`;
}

/** One CSV field: quoted (with quotes doubled) when it holds a comma, a quote, CR or LF. */
export function csvField(text) {
  const s = String(text);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** What a spreadsheet may run as a formula: a cell starting with = + - @, a tab or a carriage return. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain number, which a spreadsheet reads as a number (never a formula). */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** `text` made safe to open in a spreadsheet: a leading `'` when it could run as a formula (numbers excepted). */
export function defuse(text) {
  const s = String(text);
  return FORMULA_START.test(s) && !PLAIN_NUMBER.test(s) ? `'${s}` : s;
}

/** The CSV text of attribute value `av`: a string exactly (line breaks kept), others as displayed, uncut. */
function csvValue(av) {
  if (av === undefined) return '';
  return typeOf(av) === 'S' ? av.S : displayValue(av, Infinity);
}

/**
 * The items as CSV (RFC 4180: CRLF line ends, a header line of the column names): one line an
 * item, each value as the console displays it, uncut (a string exactly, its line breaks
 * inside the quoted field); an absent attribute is an empty field. `protect` (the default):
 * every cell, the column names too, goes through `defuse`.
 */
export function csvOf(items, columns, { protect = true } = {}) {
  const cell = protect ? (t) => csvField(defuse(t)) : csvField;
  const lines = [columns.map(cell).join(',')];
  for (const item of items) lines.push(columns.map((c) => cell(csvValue(item[c]))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Makes the browser download `text` as file `name` of MIME `type`. */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name, class: 'hidden' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** `name_2024-05-01T10-11-12`: a file name of `base` and the time, without characters files dislike. */
export function fileName(base, ext) {
  const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '-');
  return `${String(base).replace(/[^A-Za-z0-9._-]+/g, '_')}_${stamp}.${ext}`;
}

/**
 * The two export buttons and the formula protection's checkbox: `items()` answers the items to
 * export, `columns()` the CSV's columns, `base` names the files. Answers `{ el, help, refresh }`:
 * `help` says what the protection does (place it near `el`); the buttons are disabled while
 * `items()` is empty (call `refresh()`).
 */
export function exportButtons({ items, columns, base }) {
  const protect = h('input', { type: 'checkbox', id: uid('csv_protect'), checked: true });
  const json = h(
    'button',
    { type: 'button', onclick: () => download(fileName(base, 'json'), jsonOf(items()), 'application/json') },
    'Export JSON',
  );
  const csv = h(
    'button',
    { type: 'button', onclick: () => download(fileName(base, 'csv'), csvOf(items(), columns(), { protect: protect.checked }), 'text/csv;charset=utf-8') },
    'Export CSV',
  );
  const el = h('span', { class: 'rs-export' }, json, csv, h('label', { for: protect.id, class: 'check' }, protect, 'Protect against spreadsheet formulas'));
  const help = h(
    'p',
    { class: 'hint' },
    'CSV: a value starting with = + - @ (or a tab or a carriage return) is run as a formula by a spreadsheet. ',
    'With “Protect against spreadsheet formulas” ticked, such a value is written with a leading \' so it shows as text (numbers are left as they are); ',
    'untick it to export every value exactly. The JSON export is always exact.',
  );
  function refresh() {
    const empty = items().length === 0;
    json.disabled = empty;
    csv.disabled = empty;
  }
  refresh();
  return { el, help, refresh };
}
