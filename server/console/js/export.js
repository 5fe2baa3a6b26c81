// Exports of loaded items: DynamoDB JSON (one array) or CSV (RFC 4180), downloaded through a
// Blob and an `<a download>`; nothing leaves the browser.

import { h } from './dom.js';
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

/** The CSV text of attribute value `av`: a string exactly (line breaks kept), others as displayed, uncut. */
function csvValue(av) {
  if (av === undefined) return '';
  return typeOf(av) === 'S' ? av.S : displayValue(av, Infinity);
}

/**
 * The items as CSV (RFC 4180: CRLF line ends, a header line of the column names): one line an
 * item, each value as the console displays it, uncut (a string exactly, its line breaks
 * inside the quoted field); an absent attribute is an empty field.
 */
export function csvOf(items, columns) {
  const lines = [columns.map(csvField).join(',')];
  for (const item of items) lines.push(columns.map((c) => csvField(csvValue(item[c]))).join(','));
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
 * The two export buttons: `items()` answers the items to export, `columns()` the CSV's columns,
 * `base` names the files. The buttons are disabled while `items()` is empty (call `refresh()`).
 */
export function exportButtons({ items, columns, base }) {
  const json = h(
    'button',
    { type: 'button', onclick: () => download(fileName(base, 'json'), jsonOf(items()), 'application/json') },
    'Export JSON',
  );
  const csv = h(
    'button',
    { type: 'button', onclick: () => download(fileName(base, 'csv'), csvOf(items(), columns()), 'text/csv;charset=utf-8') },
    'Export CSV',
  );
  const el = h('span', { class: 'rs-export' }, json, csv);
  function refresh() {
    const empty = items().length === 0;
    json.disabled = empty;
    csv.disabled = empty;
  }
  refresh();
  return { el, refresh };
}
