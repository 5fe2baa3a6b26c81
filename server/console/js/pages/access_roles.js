// Roles: the list (ListRoles, Marker paging; Delete), Create (`#/access/roles/new`: name,
// trust policy with its editor, description, session length) and one role's page (GetRole: its
// trust policy, session length; its inline and attached policies).

import { h, replace, errorBox, field, append, notice } from '../dom.js';
import { record, find, result, decodeDocument } from '../xml.js';
import { formatPolicy } from '../policy.js';
import { accessHeader, when, roleHash, setFlash, takeFlash, nameProblem, pathProblem, loadBelow } from './access_common.js';
import { entityListPage } from './access_list.js';
import { inlineSection, attachedSection } from './access_perms.js';
import { summaryPanel } from './access_delete.js';
import { policyEditor } from './access_editor.js';

const FIELDS = ['RoleName', 'RoleId', 'Arn', 'Path', 'CreateDate', 'Description', 'MaxSessionDuration', 'AssumeRolePolicyDocument'];

/** Seconds as `1 h` or `1 h 30 min`. */
function duration(s) {
  const n = Number(s);
  if (!n) return '—';
  const hours = Math.floor(n / 3600);
  const minutes = Math.round((n % 3600) / 60);
  return [hours ? `${hours} h` : '', minutes ? `${minutes} min` : ''].filter(Boolean).join(' ');
}

export function rolesPage(root, ctx) {
  return entityListPage(root, ctx, {
    section: 'roles',
    title: 'Roles',
    intro: 'A role has no keys of its own: those its trust policy allows assume it (STS AssumeRole) and get temporary credentials with its permissions.',
    kind: 'role',
    action: 'ListRoles',
    listPath: 'Roles',
    fields: FIELDS,
    name: (r) => r.RoleName,
    href: (r) => roleHash(r.RoleName),
    heads: ['Path', 'Longest session'],
    cells: (r) => [h('td', {}, h('code', {}, r.Path)), h('td', {}, duration(r.MaxSessionDuration))],
    empty: (number) => (number === 1 ? 'No roles yet.' : 'No more roles.'),
    create: { label: 'Create role', href: '#/access/roles/new' },
  });
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
  const r = await loadBelow(root, ctx, async () => record(find(result(await ctx.api.iam('GetRole', { RoleName: name })), 'Role'), FIELDS));
  if (!r) return;
  // Re-indented when it is JSON (each number as written), else shown as stored.
  const stored = decodeDocument(r.AssumeRolePolicyDocument);
  const trust = formatPolicy(stored) ?? stored;
  append(
    root,
    flash ? notice(flash) : null,
    summaryPanel(ctx, {
      kind: 'role',
      name: r.RoleName,
      back: '#/access/roles',
      facts: [
        ['ARN', h('code', {}, r.Arn)],
        ['Role id', h('code', {}, r.RoleId)],
        ['Path', h('code', {}, r.Path)],
        r.Description ? ['Description', r.Description] : null,
        ['Longest session', duration(r.MaxSessionDuration)],
        ['Created', when(r.CreateDate)],
      ],
    }),
    h('section', { class: 'panel', 'aria-labelledby': 'trust_h' },
      h('h2', { id: 'trust_h' }, 'Trust policy'),
      h('p', { class: 'muted' }, 'Who may assume the role. This server has no UpdateAssumeRolePolicy: to change it, create a new role.'),
      h('pre', { class: 'policy-doc', tabindex: '0', 'aria-label': 'Trust policy' }, trust)),
    h('div', { class: 'grid2' }, inlineSection(ctx, 'role', r.RoleName), attachedSection(ctx, 'role', r.RoleName)),
  );
}
