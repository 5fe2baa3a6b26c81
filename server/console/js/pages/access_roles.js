// Roles: the list (ListRoles, Marker paging; Delete), Create (`#/access/roles/new`: name,
// trust policy with its editor, description, session length) and one role's page (GetRole: its
// trust policy, session length; its inline and attached policies).

import { h, replace, errorBox, field, append, facts, notice, showNotice } from '../dom.js';
import { record, find, result, decodeDocument } from '../xml.js';
import { confirmInRow, confirmInSlot } from '../confirm.js';
import { formatPolicy } from '../policy.js';
import { accessHeader, iamPager, listTable, when, roleHash, setFlash, takeFlash, plural } from './access_common.js';
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
  const pages = iamPager(ctx, {
    status,
    label: 'Roles a page',
    listPath: 'Roles',
    list: (Marker, MaxItems) => ctx.api.iam('ListRoles', { MaxItems, Marker }),
    show,
  });
  const flash = takeFlash();
  replace(
    root,
    accessHeader('roles', 'Roles'),
    h('p', { class: 'muted' }, 'A role has no keys of its own: those its trust policy allows assume it (STS AssumeRole) and get temporary credentials with its permissions.'),
    h('div', { class: 'toolbar' },
      h('a', { class: 'button primary', href: '#/access/roles/new' }, 'Create role'),
      h('button', { type: 'button', onclick: () => pages.reload() }, 'Refresh'), h('span', { class: 'spacer' }), pages.controls),
    flash ? notice(flash) : null,
    said,
    status,
    body,
  );

  function show(p, number) {
    if (!p.items.length) {
      replace(body, h('p', { class: 'muted' }, number === 1 ? 'No roles yet.' : 'No more roles.'));
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
        showNotice(said, `Deleted role ${r.RoleName}.`);
        pages.reload();
      }));
      return tr;
    });
    replace(body, listTable(['Name', 'Path', 'Longest session', 'Created', ''], rows, 'Roles'),
      h('p', { class: 'muted' }, `Page ${number}: ${plural(rows.length, 'role')}${p.truncated ? '; more on the next page' : ''}.`));
  }

  await pages.reload();
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
  // Re-indented when it is JSON (each number as written), else shown as stored.
  const stored = decodeDocument(r.AssumeRolePolicyDocument);
  const trust = formatPolicy(stored) ?? stored;
  const deleteSlot = h('div', {});
  const del = h('button', { type: 'button', class: 'danger' }, 'Delete role');
  del.addEventListener('click', () => confirmDelete(ctx, 'role', r.RoleName, del, (o) => confirmInSlot(deleteSlot, del, o), () => {
    setFlash(`Deleted role ${r.RoleName}.`);
    ctx.navigate('#/access/roles');
  }));
  append(
    root,
    flash ? notice(flash) : null,
    h('section', { class: 'panel', 'aria-label': 'Summary' },
      h('div', { class: 'toolbar' },
        facts([
          ['ARN', h('code', {}, r.Arn)],
          ['Role id', h('code', {}, r.RoleId)],
          ['Path', h('code', {}, r.Path)],
          r.Description ? ['Description', r.Description] : null,
          ['Longest session', duration(r.MaxSessionDuration)],
          ['Created', when(r.CreateDate)],
        ], 'grow cols2'),
        del),
      deleteSlot),
    h('section', { class: 'panel', 'aria-labelledby': 'trust_h' },
      h('h2', { id: 'trust_h' }, 'Trust policy'),
      h('p', { class: 'muted' }, 'Who may assume the role. This server has no UpdateAssumeRolePolicy: to change it, create a new role.'),
      h('pre', { class: 'policy-doc', tabindex: '0', 'aria-label': 'Trust policy' }, trust)),
    h('div', { class: 'grid2' }, inlineSection(ctx, 'role', r.RoleName), attachedSection(ctx, 'role', r.RoleName)),
  );
}
