// What the Access pages share: their section tabs, links, dates, list tables, the paging of
// IAM's List actions (Marker: js/pager.js), messages kept across a navigation, and who is
// signed in. Confirmations are js/confirm.js.

import { h, append, replace, errorBox } from '../dom.js';
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

/** A name's check (1–`max` of `[\w+=,.@-]`): the problem, or ''. */
export function nameProblem(n, what = 'A user name', max = 64) {
  if (!n) return `${what} is required.`;
  if (n.length > max) return `${what} has at most ${max} characters.`;
  if (!/^[\w+=,.@-]+$/.test(n)) return `${what} holds letters, digits and + = , . @ _ - only.`;
  return '';
}

/** A path's check (`/` or `/a/b/`, printable ASCII): the problem, or ''. */
export function pathProblem(p) {
  if (p === '/' || p === '') return '';
  if (p.length > 512 || !/^\/[\x21-\x7e]+\/$/.test(p)) return 'A path starts and ends with / (such as /engineering/), printable characters without spaces.';
  return '';
}

/**
 * What a page shows, loaded while its "Loading…" line (`root`'s last child) stands: `load()`'s
 * answer once the line is gone; or null when the user navigated away, or when it failed (its
 * error then stands in the line's place, followed by `more(e)`).
 */
export async function loadBelow(root, ctx, load, more = () => null) {
  let v;
  try {
    v = await load();
  } catch (e) {
    if (ctx.current()) {
      root.lastChild.remove();
      append(root, errorBox(e), more(e));
    }
    return null;
  }
  if (!ctx.current()) return null;
  root.lastChild.remove();
  return v;
}

/** `load()`'s answer for a section; or null when the user navigated away, or when it failed (its error then shown in `body`). */
export async function loadSection(ctx, body, load) {
  let v;
  try {
    v = await load();
  } catch (e) {
    if (ctx.current()) replace(body, errorBox(e));
    return null;
  }
  return ctx.current() ? v : null;
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
