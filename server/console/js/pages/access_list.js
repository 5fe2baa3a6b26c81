// The list page of one kind of IAM entity (users, groups, roles, managed policies): the section
// tabs and an intro, Create (a form in place, or a page of its own), Refresh, the Marker pager
// of its List action, then a table a page: its name (a link to its page), its own columns,
// when it was created, and Delete (removing what it has first, once confirmed: access_delete.js).

import { h, replace, errorBox, field, notice, showNotice } from '../dom.js';
import { record } from '../xml.js';
import { confirmInRow } from '../confirm.js';
import { accessHeader, iamPager, listTable, when, plural, nameProblem, pathProblem, setFlash, takeFlash } from './access_common.js';
import { confirmDelete } from './access_delete.js';

/**
 * `spec`:
 * - `section` (`'users'`), `title` (the `<h1>` and the table's label), `intro`;
 * - `kind` (`'user'`: what confirmDelete deletes, and the messages), `many` (its plural, when not `<kind>s`);
 * - `action` (`'ListUsers'`), `listPath` (`'Users'`), `params()` (more of the List action's parameters);
 * - `fields` (read from each member), `name(r)`, `href(r)` (its page);
 * - `heads` and `cells(r)`: the columns between the name and Created;
 * - `empty(number)`: what a page without any says;
 * - `create`: `{ label, href }` (a page of its own) or `{ label, nameLabel, max, pathHint, action, param, flash(name), hash(name) }`
 *   (a form here, then the new one's page);
 * - `controls(pages)`: more controls before the pager;
 * - `deletable(r)` (default: yes), `deleteExtra(r)` (confirmDelete's last argument).
 */
export async function entityListPage(root, ctx, spec) {
  const many = spec.many || `${spec.kind}s`;
  const said = h('div', { 'aria-live': 'polite' });
  const status = h('div', { 'aria-live': 'polite' });
  const body = h('div', {});
  const createSlot = spec.create.href ? null : h('div', {});
  const pages = iamPager(ctx, {
    status,
    label: `${spec.listPath} a page`,
    listPath: spec.listPath,
    list: (Marker, MaxItems) => ctx.api.iam(spec.action, { ...(spec.params ? spec.params() : {}), MaxItems, Marker }),
    show,
  });
  const createButton = spec.create.href
    ? h('a', { class: 'button primary', href: spec.create.href }, spec.create.label)
    : h('button', { type: 'button', class: 'primary', onclick: () => openCreate(spec.create) }, spec.create.label);
  const flash = takeFlash();
  replace(
    root,
    accessHeader(spec.section, spec.title),
    h('p', { class: 'muted' }, spec.intro),
    h('div', { class: 'toolbar' },
      createButton,
      h('button', { type: 'button', onclick: () => pages.reload() }, 'Refresh'),
      h('span', { class: 'spacer' }), spec.controls ? spec.controls(pages) : null, pages.controls),
    flash ? notice(flash) : null,
    said,
    createSlot,
    status,
    body,
  );

  /** The form in place: a name and an optional path. */
  function openCreate(c) {
    if (createSlot.firstChild) {
      createSlot.querySelector('input').focus();
      return;
    }
    const what = `A ${c.nameLabel.toLowerCase()}`;
    const name = field({ label: c.nameLabel, hint: `up to ${c.max} letters, digits and + = , . @ _ -`, type: 'text', autocomplete: 'off', spellcheck: 'false' });
    const path = field({ label: 'Path (optional)', hint: c.pathHint, type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: '/' });
    const errors = h('div', { 'aria-live': 'polite' });
    const go = h('button', { type: 'submit', class: 'primary' }, c.label);
    const close = () => {
      replace(createSlot);
      createButton.focus();
    };
    const form = h(
      'form',
      {
        class: 'panel',
        'aria-label': c.label,
        onkeydown: (ev) => {
          if (ev.key === 'Escape') close();
        },
        onsubmit: async (ev) => {
          ev.preventDefault();
          const n = name.input.value.trim();
          const p = path.input.value.trim();
          const bad = nameProblem(n, what, c.max) || pathProblem(p);
          if (bad) {
            replace(errors, errorBox({ code: 'Check', message: bad }));
            (nameProblem(n, what, c.max) ? name : path).input.focus();
            return;
          }
          go.disabled = true;
          try {
            await ctx.api.iam(c.action, { [c.param]: n, Path: p || undefined });
          } catch (e) {
            go.disabled = false;
            replace(errors, errorBox(e));
            return;
          }
          setFlash(c.flash(n));
          ctx.navigate(c.hash(n));
        },
      },
      h('h2', {}, c.label),
      errors,
      h('div', { class: 'row' }, name.el, path.el),
      h('div', { class: 'toolbar' }, go, h('button', { type: 'button', onclick: close }, 'Cancel')),
    );
    replace(createSlot, form);
    name.input.focus();
  }

  function show(p, number) {
    if (!p.items.length) {
      replace(body, h('p', { class: 'muted' }, spec.empty(number)));
      return;
    }
    const heads = ['Name', ...spec.heads, 'Created', ''];
    const rows = p.items.map((m) => {
      const r = record(m, spec.fields);
      const name = spec.name(r);
      const del = spec.deletable && !spec.deletable(r) ? null : h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${name}` }, 'Delete');
      const tr = h('tr', {},
        h('td', {}, h('a', { href: spec.href(r) }, name), r.Description ? h('div', { class: 'hint' }, r.Description) : null),
        spec.cells(r),
        h('td', { class: 'nowrap' }, when(r.CreateDate)),
        h('td', {}, del));
      if (del) {
        del.addEventListener('click', () =>
          confirmDelete(ctx, spec.kind, name, del, (o) => confirmInRow(tr, heads.length, del, o), () => {
            showNotice(said, `Deleted ${spec.kind} ${name}.`);
            pages.reload();
          }, spec.deleteExtra ? spec.deleteExtra(r) : undefined),
        );
      }
      return tr;
    });
    replace(body, listTable(heads, rows, spec.title),
      h('p', { class: 'muted' }, `Page ${number}: ${plural(rows.length, spec.kind, many)}${p.truncated ? '; more on the next page' : ''}.`));
  }

  await pages.reload();
}
