// What the Access pages share: their section tabs, links, dates, list tables, the paging of
// IAM's List actions (Marker: js/pager.js), messages kept across a navigation, and who is
// signed in. Confirmations are js/confirm.js.

import { h, replace } from '../dom.js';
import { text, page } from '../xml.js';
import { pager } from '../pager.js';

/** The Access sections: `[route, label]`. */
export const SECTIONS = [
  ['users', 'Users'],
  ['groups', 'Groups'],
  ['roles', 'Roles'],
  ['policies', 'Policies'],
];

/** The section tabs with `current` selected, then the crumbs (`[[href, label], …]`) and `<h1>`. */
export function accessHeader(current, title, crumbs = []) {
  return [
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Access' },
      SECTIONS.map(([id, label]) => h('a', { href: `#/access/${id}`, 'aria-current': id === current ? 'page' : false }, label)),
    ),
    crumbs.length
      ? h('p', { class: 'crumbs' }, crumbs.map(([href, label], i) => [i ? ' / ' : '', h('a', { href }, label)]))
      : null,
    h('h1', {}, title),
  ];
}

export const userHash = (name) => `#/access/users/${encodeURIComponent(name)}`;
export const groupHash = (name) => `#/access/groups/${encodeURIComponent(name)}`;
export const roleHash = (name) => `#/access/roles/${encodeURIComponent(name)}`;
export const policyHash = (arn) => `#/access/policies/${encodeURIComponent(arn)}`;

/** An IAM date (`2026-12-07T12:08:57Z`) as `2026-12-07 12:08:57 UTC`. */
export function when(iso) {
  if (!iso) return '—';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/**
 * The Previous/Next pager of an IAM List action (js/pager.js): `list(marker, size)` answers its
 * XML document and `show(doc, page)` shows it; `pages.reload()` loads the current page.
 */
export function iamPager(ctx, { status, label, listPath, list, show }) {
  return pager({
    status,
    sizes: [25, 50, 100],
    label,
    current: ctx.current,
    load: async ({ start, size, page: number, live }) => {
      const doc = await list(start, size);
      if (!live()) return null;
      const p = page(doc, listPath);
      show(p, number);
      return p.truncated ? p.marker : null;
    },
  });
}

/** `1 access key`, `2 access keys`. */
export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** A `<table class="list">` with headers `heads` (`'Name'` or `['Items', 'num']`) and `rows`. */
export function listTable(heads, rows, label) {
  return h(
    'table',
    { class: 'list', 'aria-label': label || null },
    h('thead', {}, h('tr', {}, heads.map((x) => {
      const [t, cls] = Array.isArray(x) ? x : [x, ''];
      return h('th', { scope: 'col', class: cls || null }, t === '' ? h('span', { class: 'sr-only' }, 'Actions') : t);
    }))),
    h('tbody', {}, rows),
  );
}

let identity = null;

/** The signed-in identity (STS GetCallerIdentity): `{ account, arn }`, asked once a page load. */
export async function whoAmI(ctx) {
  if (!identity || identity.key !== ctx.api.accessKeyId) {
    const doc = await ctx.api.query('sts', 'GetCallerIdentity', {});
    identity = { key: ctx.api.accessKeyId, account: text(doc, 'Account'), arn: text(doc, 'Arn') };
  }
  return identity;
}

/** A button that copies `value()` to the clipboard, saying so (or to select and copy by hand). */
export function copyButton(label, value, field) {
  const said = h('span', { class: 'muted', 'aria-live': 'polite' });
  const b = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(value());
          replace(said, ' Copied.');
        } catch {
          if (field) {
            field.focus();
            field.select();
          }
          replace(said, ' Selected: press Ctrl+C (⌘C) to copy.');
        }
      },
    },
    label,
  );
  return h('span', {}, b, said);
}

let flash = '';

/** A message for the next Access page shown (after a save that navigates away). */
export function setFlash(message) {
  flash = message;
}

/** The message left by `setFlash`, once. */
export function takeFlash() {
  const m = flash;
  flash = '';
  return m;
}
