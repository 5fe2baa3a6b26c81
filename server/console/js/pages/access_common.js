// What the Access pages share: their section tabs, links, dates, the pager of IAM's List
// actions (Marker), confirmations (Escape cancels) and who is signed in.

import { h, replace, errorBox, select } from '../dom.js';
import { text } from '../xml.js';

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

/** `1 access key`, `2 access keys`. */
export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** A success message shown in place (announced to screen readers). */
export function notice(...children) {
  return h('div', { class: 'notice', role: 'status' }, ...children);
}

/** A `<table class="list">` with headers `heads` (`'Name'` or `['Items', 'num']`) and `rows`. */
export function listTable(heads, rows, label) {
  return h(
    'table',
    { class: 'list', 'aria-label': label || null },
    h('thead', {}, h('tr', {}, heads.map((x) => {
      const [t, cls] = Array.isArray(x) ? x : [x, ''];
      return h('th', { scope: 'col', class: cls || null }, t === '' ? h('span', { class: 'hidden' }, 'Actions') : t);
    }))),
    h('tbody', {}, rows),
  );
}

/**
 * Previous/Next paging of an IAM List action: `onChange()` is called when the page changes.
 * `marker()` is the Marker of the page to load; after loading, `update(truncated, nextMarker)`.
 */
export function pager(onChange, sizes = [25, 50, 100], label = 'Rows a page') {
  const markers = [undefined];
  let size = sizes[0];
  let next = '';
  const prevButton = h('button', { type: 'button', disabled: true, onclick: () => { markers.pop(); onChange(); } }, '← Previous');
  const nextButton = h('button', { type: 'button', disabled: true, onclick: () => { markers.push(next); onChange(); } }, 'Next →');
  const sizeSelect = select(sizes.map((n) => [String(n), `${n} a page`]), String(size), {
    'aria-label': label,
    onchange: (ev) => {
      size = Number(ev.target.value);
      markers.length = 1;
      onChange();
    },
  });
  return {
    controls: [sizeSelect, prevButton, nextButton],
    marker: () => markers[markers.length - 1],
    size: () => size,
    page: () => markers.length,
    reset() {
      markers.length = 1;
    },
    update(truncated, nextMarker) {
      next = truncated ? nextMarker : '';
      prevButton.disabled = markers.length === 1;
      nextButton.disabled = !next;
    },
  };
}

/**
 * A confirmation: `message` (nodes), an optional name to type (`typeToConfirm`), the confirm
 * button (`confirmLabel`), Cancel; Escape cancels. `run()` does the work; it may throw (shown in
 * place, the confirmation stays). `progress(text)` is passed to `run` to say what it is doing.
 * Answers the element; the caller places it and `focus()`es it.
 */
export function confirmation({ message, confirmLabel = 'Delete', typeToConfirm, danger = true, run, onCancel, onDone }) {
  const errors = h('div', { 'aria-live': 'polite' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const input = typeToConfirm
    ? h('input', { type: 'text', 'aria-label': `Type ${typeToConfirm} to confirm`, spellcheck: 'false', autocomplete: 'off' })
    : null;
  const go = h('button', { type: 'submit', class: danger ? 'danger primary' : 'primary', disabled: !!input }, confirmLabel);
  const cancel = h('button', { type: 'button', onclick: () => onCancel && onCancel() }, 'Cancel');
  if (input) input.addEventListener('input', () => { go.disabled = input.value !== typeToConfirm; });
  let busy = false;
  const form = h(
    'form',
    {
      class: 'ax-confirm',
      onsubmit: async (ev) => {
        ev.preventDefault();
        if (busy || (input && input.value !== typeToConfirm)) return;
        busy = true;
        go.disabled = true;
        replace(errors);
        try {
          await run((t) => replace(status, t));
          replace(status);
          if (onDone) onDone();
        } catch (e) {
          replace(status);
          replace(errors, errorBox(e));
          go.disabled = false;
        } finally {
          busy = false;
        }
      },
      onkeydown: (ev) => {
        if (ev.key === 'Escape' && !busy) {
          ev.preventDefault();
          if (onCancel) onCancel();
        }
      },
    },
    errors,
    h('div', {}, message),
    typeToConfirm ? h('p', {}, 'Type ', h('strong', {}, typeToConfirm), ' to confirm:') : null,
    h('div', { class: 'toolbar' }, input, go, cancel),
    status,
  );
  form.focus = () => (input || go).focus();
  return form;
}

/**
 * Shows a confirmation in a row after `afterRow` of a list table (`colspan` cells wide); the
 * opener gets the focus back when it is cancelled. Only one at a time per row.
 */
export function confirmInRow(afterRow, colspan, opener, options) {
  const next = afterRow.nextElementSibling;
  if (next && next.classList.contains('confirm')) {
    next.querySelector('input, button.primary')?.focus();
    return;
  }
  const row = h('tr', { class: 'confirm' });
  const close = () => {
    row.remove();
    opener.focus();
  };
  const box = confirmation({ ...options, onCancel: close, onDone: () => { row.remove(); if (options.onDone) options.onDone(); } });
  row.append(h('td', { colspan: String(colspan) }, box));
  afterRow.after(row);
  box.focus();
}

/** Shows a confirmation in `slot` (replacing what it holds); cancelling empties it. */
export function confirmInSlot(slot, opener, options) {
  const close = () => {
    replace(slot);
    opener.focus();
  };
  const box = confirmation({ ...options, onCancel: close, onDone: () => { replace(slot); if (options.onDone) options.onDone(); } });
  replace(slot, h('div', { class: 'panel confirm' }, box));
  box.focus();
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

/** Appends `children` to `el` as `h` does (nested arrays flattened; null, false left out). */
export function add(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c);
  }
  return el;
}
