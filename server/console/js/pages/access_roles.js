// Roles: the list (ListRoles, Marker paging; Delete), Create (`#/access/roles/new`: name,
// trust policy with its editor, description, session length) and one role's page (GetRole: its
// trust policy, session length; its inline and attached policies).

import { h, replace, errorBox, field } from '../dom.js';
import { page, record, find, result, decodeDocument } from '../xml.js';
import { accessHeader, pager, listTable, when, roleHash, confirmInRow, confirmInSlot, notice, setFlash, takeFlash, plural, add } from './access_common.js';
import { inlineSection, attachedSection } from './access_perms.js';
import { confirmDelete } from './access_delete.js';
import { policyEditor } from './access_editor.js';
import { nameProblem, pathProblem } from './access_users.js';

const FIELDS = ['RoleName', 'RoleId', 'Arn', 'Path', 'CreateDate', 'Description', 'MaxSessionDuration', 'AssumeRolePolicyDocument'];

/** Seconds as `1 h` or `1 h 30 min`. */
function duration(s) {
  const n = Number(s);
  if (!n) return '—';
  const hours = Math.floor(n / 3600);
  const minutes = Math.round((n % 3600) / 60);
  return [hours ? `${hours} h` : '', minutes ? `${minutes} min` : ''].filter(Boolean).join(' ');
}

export async function rolesPage(root, ctx) {
  const said = h('div', { 'aria-live': 'polite' });
  const status = h('div', { 'aria-live': 'polite' });
  const body = h('div', {});
  const pages = pager(() => load(), [25, 50, 100], 'Roles a page');
  const flash = takeFlash();
  replace(
    root,
    accessHeader('roles', 'Roles'),
    h('p', { class: 'muted' }, 'A role has no keys of its own: those its trust policy allows assume it (STS AssumeRole) and get temporary credentials with its permissions.'),
    h('div', { class: 'toolbar' },
      h('a', { class: 'button primary', href: '#/access/roles/new' }, 'Create role'),
      h('button', { type: 'button', onclick: () => load() }, 'Refresh'), h('span', { class: 'spacer' }), pages.controls),
    flash ? notice(flash) : null,
    said,
    status,
    body,
  );

  async function load() {
    replace(status, h('p', { class: 'muted' }, 'Loading…'));
    let doc;
    try {
      doc = await ctx.api.iam('ListRoles', { MaxItems: pages.size(), Marker: pages.marker() });
    } catch (e) {
      if (ctx.current()) replace(status, errorBox(e));
      return;
    }
    if (!ctx.current()) return;
    replace(status);
    const p = page(doc, 'Roles');
    pages.update(p.truncated, p.marker);
    if (!p.items.length) {
      replace(body, h('p', { class: 'muted' }, pages.page() === 1 ? 'No roles yet.' : 'No more roles.'));
      return;
    }
    const rows = p.items.map((m) => {
      const r = record(m, FIELDS);
      const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${r.RoleName}` }, 'Delete');
      const tr = h('tr', {},
        h('td', {}, h('a', { href: roleHash(r.RoleName) }, r.RoleName), r.Description ? h('div', { class: 'hint' }, r.Description) : null),
        h('td', {}, h('code', {}, r.Path)),
        h('td', {}, duration(r.MaxSessionDuration)),
        h('td', { class: 'nowrap' }, when(r.CreateDate)),
        h('td', {}, del));
      del.addEventListener('click', () => confirmDelete(ctx, 'role', r.RoleName, del, (o) => confirmInRow(tr, 5, del, o), () => {
        replace(said, notice(`Deleted role ${r.RoleName}.`));
        load();
      }));
      return tr;
    });
    replace(body, listTable(['Name', 'Path', 'Longest session', 'Created', ''], rows, 'Roles'),
      h('p', { class: 'muted' }, `Page ${pages.page()}: ${plural(rows.length, 'role')}${p.truncated ? '; more on the next page' : ''}.`));
  }

  await load();
}

/** `#/access/roles/new`: CreateRole. */
export async function createRolePage(root, ctx) {
  const errors = h('div', { 'aria-live': 'polite' });
  const name = field({ label: 'Role name', hint: 'up to 64 letters, digits and + = , . @ _ -', type: 'text', autocomplete: 'off', spellcheck: 'false', autofocus: true });
  const path = field({ label: 'Path (optional)', hint: 'default /', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: '/' });
  const desc = field({ label: 'Description (optional)', type: 'text', autocomplete: 'off', maxlength: '1000' });
  const hours = field({ label: 'Longest session', hint: 'hours, 1 to 12', type: 'number', min: '1', max: '12', step: '1', value: '1', class: 'narrow' });
  const editor = policyEditor(ctx, { kind: 'trust', label: 'Trust policy (who may assume the role)' });
  const go = h('button', { type: 'submit', class: 'primary' }, 'Create role');
  replace(root, accessHeader('roles', 'Create role', [['#/access/roles', 'Roles']]), errors, h('form', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      replace(errors);
      const n = name.input.value.trim();
      const p = path.input.value.trim();
      const hs = Number(hours.input.value);
      const bad = nameProblem(n, 'A role name') || pathProblem(p) || (Number.isInteger(hs) && hs >= 1 && hs <= 12 ? '' : 'The longest session is 1 to 12 hours.');
      if (bad) {
        replace(errors, errorBox({ code: 'Check', message: bad }));
        return;
      }
      if (!editor.checkToSave()) return editor.textarea.focus();
      go.disabled = true;
      try {
        await ctx.api.iam('CreateRole', { RoleName: n, Path: p || undefined, Description: desc.input.value.trim() || undefined, MaxSessionDuration: hs * 3600, AssumeRolePolicyDocument: editor.value });
      } catch (e) {
        go.disabled = false;
        if (e.code === 'MalformedPolicyDocument') editor.serverError(e);
        else replace(errors, errorBox(e));
        return;
      }
      setFlash(`Created role ${n}. Next: give it permissions with a policy.`);
      ctx.navigate(roleHash(n));
    },
  },
  h('div', { class: 'panel' }, h('div', { class: 'row' }, name.el, path.el, hours.el), desc.el, editor.el),
  h('div', { class: 'toolbar' }, go, h('a', { class: 'button', href: '#/access/roles' }, 'Cancel'))));
}

/** `#/access/roles/<name>`. */
export async function rolePage(root, ctx, name) {
  const flash = takeFlash();
  replace(root, accessHeader('roles', name, [['#/access/roles', 'Roles']]), h('p', { class: 'muted' }, 'Loading…'));
  let r;
  try {
    r = record(find(result(await ctx.api.iam('GetRole', { RoleName: name })), 'Role'), FIELDS);
  } catch (e) {
    if (!ctx.current()) return;
    root.lastChild.remove();
    root.append(errorBox(e));
    return;
  }
  if (!ctx.current()) return;
  root.lastChild.remove();
  let trust = decodeDocument(r.AssumeRolePolicyDocument);
  try {
    trust = JSON.stringify(JSON.parse(trust), null, 2);
  } catch {
    // Shown as stored.
  }
  const deleteSlot = h('div', {});
  const del = h('button', { type: 'button', class: 'danger' }, 'Delete role');
  del.addEventListener('click', () => confirmDelete(ctx, 'role', r.RoleName, del, (o) => confirmInSlot(deleteSlot, del, o), () => {
    setFlash(`Deleted role ${r.RoleName}.`);
    ctx.navigate('#/access/roles');
  }));
  add(
    root,
    flash ? notice(flash) : null,
    h('section', { class: 'panel', 'aria-label': 'Summary' },
      h('div', { class: 'toolbar' },
        h('dl', { class: 'facts grow cols2' },
          h('dt', {}, 'ARN'), h('dd', {}, h('code', {}, r.Arn)),
          h('dt', {}, 'Role id'), h('dd', {}, h('code', {}, r.RoleId)),
          h('dt', {}, 'Path'), h('dd', {}, h('code', {}, r.Path)),
          r.Description ? [h('dt', {}, 'Description'), h('dd', {}, r.Description)] : null,
          h('dt', {}, 'Longest session'), h('dd', {}, duration(r.MaxSessionDuration)),
          h('dt', {}, 'Created'), h('dd', {}, when(r.CreateDate))),
        del),
      deleteSlot),
    h('section', { class: 'panel', 'aria-labelledby': 'trust_h' },
      h('h2', { id: 'trust_h' }, 'Trust policy'),
      h('p', { class: 'muted' }, 'Who may assume the role. This server has no UpdateAssumeRolePolicy: to change it, create a new role.'),
      h('pre', { class: 'policy-doc', tabindex: '0', 'aria-label': 'Trust policy' }, trust)),
    h('div', { class: 'grid2' }, inlineSection(ctx, 'role', r.RoleName), attachedSection(ctx, 'role', r.RoleName)),
  );
}
