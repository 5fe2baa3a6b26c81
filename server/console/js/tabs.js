// The header every page of one table shares: the way back to the tables, the table's name,
// and its tabs (`#/table/<name>` is the overview, `#/table/<name>/<tab>` the others).

import { h } from './dom.js';

/** The tabs of a table's pages: `[id, label]`, `''` the overview. */
export const TABLE_TABS = [
  ['', 'Overview'],
  ['items', 'Items'],
  ['explore', 'Query / Scan'],
  ['indexes', 'Indexes'],
  ['streams', 'Streams'],
  ['ttl', 'TTL'],
  ['backups', 'Backups'],
  ['metrics', 'Metrics'],
];

/** `#/table/<name>`, `#/table/<name>/<tab>` or `#/table/<name>/<tab>/<rest>` (`rest` as given). */
export function tableHash(name, tab = '', rest = '') {
  return `#/table/${encodeURIComponent(name)}${tab ? `/${tab}` : ''}${tab && rest ? `/${rest}` : ''}`;
}

/** The back link, the `<h1>` and the tab bar of table `name` with `current` selected. */
export function tableHeader(name, current) {
  return [
    h('p', { class: 'crumbs' }, h('a', { href: '#/tables' }, '← Tables')),
    h('h1', {}, name),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Table' },
      TABLE_TABS.map(([id, label]) =>
        h('a', { href: tableHash(name, id), 'aria-current': id === current ? 'page' : false }, label),
      ),
    ),
  ];
}
