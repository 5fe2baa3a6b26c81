// Users (`#/access/users`): ListUsers a page at a time (Marker), CreateUser (name, optional
// path), and Delete (removing its keys, policies and group memberships first, once confirmed).

import { h, replace, errorBox, field, notice, showNotice } from '../dom.js';
import { record } from '../xml.js';
import { confirmInRow } from '../confirm.js';
import { accessHeader, iamPager, listTable, when, userHash, setFlash, takeFlash } from './access_common.js';
import { confirmDelete } from './access_delete.js';

/** A name's check (1–64 of `[\w+=,.@-]`): the problem, or ''. */
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

export async function usersPage(root, ctx) {
  const said = h('div', { 'aria-live': 'polite' });
  const status = h('div', { 'aria-live': 'polite' });
  const body = h('div', {});
  const createSlot = h('div', {});
  const pages = iamPager(ctx, {
    status,
    label: 'Users a page',
    listPath: 'Users',
    list: (Marker, MaxItems) => ctx.api.iam('ListUsers', { MaxItems, Marker }),
    show,
  });
  const createButton = h('button', { type: 'button', class: 'primary', onclick: () => openCreate() }, 'Create user');
  const flash = takeFlash();
  replace(
    root,
    accessHeader('users', 'Users'),
    h('p', { class: 'muted' }, 'IAM users: identities with long-term access keys. What a user may do is what its policies (its own, and its groups\') allow.'),
    h('div', { class: 'toolbar' }, createButton, h('button', { type: 'button', onclick: () => pages.reload() }, 'Refresh'), h('span', { class: 'spacer' }), pages.controls),
    flash ? notice(flash) : null,
    said,
    createSlot,
    status,
    body,
  );

  function openCreate() {
    if (createSlot.firstChild) {
      createSlot.querySelector('input').focus();
      return;
    }
    const name = field({ label: 'User name', hint: 'up to 64 letters, digits and + = , . @ _ -', type: 'text', autocomplete: 'off', spellcheck: 'false' });
    const path = field({ label: 'Path (optional)', hint: 'such as /engineering/; default /', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: '/' });
    const errors = h('div', { 'aria-live': 'polite' });
    const go = h('button', { type: 'submit', class: 'primary' }, 'Create user');
    const close = () => {
      replace(createSlot);
      createButton.focus();
    };
    const form = h(
      'form',
      {
        class: 'panel',
        'aria-label': 'Create user',
        onkeydown: (ev) => {
          if (ev.key === 'Escape') close();
        },
        onsubmit: async (ev) => {
          ev.preventDefault();
          const n = name.input.value.trim();
          const p = path.input.value.trim();
          const bad = nameProblem(n) || pathProblem(p);
          if (bad) {
            replace(errors, errorBox({ code: 'Check', message: bad }));
            (nameProblem(n) ? name : path).input.focus();
            return;
          }
          go.disabled = true;
          try {
            await ctx.api.iam('CreateUser', { UserName: n, Path: p || undefined });
          } catch (e) {
            go.disabled = false;
            replace(errors, errorBox(e));
            return;
          }
          setFlash(`Created user ${n}. Next: create an access key for it, and give it permissions with a policy.`);
          ctx.navigate(userHash(n));
        },
      },
      h('h2', {}, 'Create user'),
      errors,
      h('div', { class: 'row' }, name.el, path.el),
      h('div', { class: 'toolbar' }, go, h('button', { type: 'button', onclick: close }, 'Cancel')),
    );
    replace(createSlot, form);
    name.input.focus();
  }

  function show(p, number) {
    if (!p.items.length) {
      replace(body, h('p', { class: 'muted' }, number === 1 ? 'No users yet. Create one to give a program or a person its own access key.' : 'No more users.'));
      return;
    }
    const rows = p.items.map((m) => {
      const u = record(m, ['UserName', 'Path', 'UserId', 'Arn', 'CreateDate']);
      const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${u.UserName}` }, 'Delete');
      const tr = h(
        'tr',
        {},
        h('td', {}, h('a', { href: userHash(u.UserName) }, u.UserName)),
        h('td', {}, h('code', {}, u.Path)),
        h('td', {}, h('code', {}, u.UserId)),
        h('td', { class: 'nowrap' }, when(u.CreateDate)),
        h('td', {}, del),
      );
      del.addEventListener('click', () =>
        confirmDelete(ctx, 'user', u.UserName, del, (options) => confirmInRow(tr, 5, del, options), () => {
          showNotice(said, `Deleted user ${u.UserName}.`);
          pages.reload();
        }),
      );
      return tr;
    });
    replace(
      body,
      listTable(['Name', 'Path', 'User id', 'Created', ''], rows, 'Users'),
      h('p', { class: 'muted' }, `Page ${number}: ${rows.length} user${rows.length === 1 ? '' : 's'}${p.truncated ? '; more on the next page' : ''}.`),
    );
  }

  await pages.reload();
}
