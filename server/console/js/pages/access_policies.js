// Managed policies: the list (`#/access/policies`: ListPolicies by scope, Marker paging;
// Delete), Create (`#/access/policies/new`, or `new/<arn>` to start from a copy), and one
// policy (`#/access/policies/<arn>`: GetPolicy, its default version's document, where it is
// attached; its versions (ListPolicyVersions; Make default, Delete) and Edit, which saves the
// document as a new default version (CreatePolicyVersion)).

import { h, replace, errorBox, field, select, append, notice, showNotice } from '../dom.js';
import { record, find, result, text, members, decodeDocument } from '../xml.js';
import { confirmInRow } from '../confirm.js';
import { formatPolicy } from '../policy.js';
import { accessHeader, listTable, when, policyHash, userHash, groupHash, roleHash, setFlash, takeFlash, pathProblem, loadBelow, loadSection } from './access_common.js';
import { entityListPage } from './access_list.js';
import { policyEditor } from './access_editor.js';
import { policyNameProblem } from './access_perms.js';
import { summaryPanel, policyAttachments } from './access_delete.js';

/** Largest managed policy document, in characters without whitespace (IAM's quota). */
export const MANAGED_POLICY_SIZE_MAX = 6144;
const SCOPES = [['Local', 'Customer managed'], ['AWS', 'AWS managed'], ['All', 'All']];
const FIELDS = ['PolicyName', 'PolicyId', 'Arn', 'Path', 'DefaultVersionId', 'AttachmentCount', 'IsAttachable', 'Description', 'CreateDate', 'UpdateDate'];

const isAwsManaged = (arn) => arn.startsWith('arn:aws:iam::aws:');

export function policiesPage(root, ctx) {
  let scope = 'Local';
  return entityListPage(root, ctx, {
    section: 'policies',
    title: 'Managed policies',
    intro: 'A managed policy is attached to any number of users, groups and roles. Customer managed policies are this account\'s own; AWS managed ones are built in.',
    kind: 'policy',
    many: 'policies',
    action: 'ListPolicies',
    listPath: 'Policies',
    params: () => ({ Scope: scope }),
    fields: FIELDS,
    name: (x) => x.PolicyName,
    href: (x) => policyHash(x.Arn),
    heads: ['Type', 'Path', ['Attached to', 'num']],
    cells: (x) => [
      h('td', {}, isAwsManaged(x.Arn) ? 'AWS managed' : 'Customer managed'),
      h('td', {}, h('code', {}, x.Path)),
      h('td', { class: 'num' }, x.AttachmentCount),
    ],
    empty: (number) => (scope === 'Local' && number === 1 ? ['No customer managed policies yet. ', h('a', { href: '#/access/policies/new' }, 'Create one'), '.'] : 'No policies.'),
    create: { label: 'Create policy', href: '#/access/policies/new' },
    controls: (pages) => select(SCOPES, scope, {
      'aria-label': 'Which policies',
      onchange: (ev) => {
        scope = ev.target.value;
        pages.first();
      },
    }),
    deletable: (x) => !isAwsManaged(x.Arn),
    deleteExtra: (x) => ({ arn: x.Arn, count: Number(x.AttachmentCount) || 0 }),
  });
}

/** The default version's document of policy `arn` (as JSON text, re-indented when it parses). */
async function documentOf(ctx, arn, versionId) {
  const doc = await ctx.api.iam('GetPolicyVersion', { PolicyArn: arn, VersionId: versionId });
  const raw = decodeDocument(text(find(result(doc), 'PolicyVersion'), 'Document'));
  return formatPolicy(raw) ?? raw;
}

/** `#/access/policies/new[/<arn>]`: CreatePolicy, from scratch or from a copy of `fromArn`. */
export async function createPolicyPage(root, ctx, fromArn) {
  const errors = h('div', { 'aria-live': 'polite' });
  replace(root, accessHeader('policies', 'Create policy', [['#/access/policies', 'Policies']]), errors);
  let start = '';
  let description = '';
  if (fromArn) {
    try {
      const p = record(find(result(await ctx.api.iam('GetPolicy', { PolicyArn: fromArn })), 'Policy'), FIELDS);
      start = await documentOf(ctx, fromArn, p.DefaultVersionId || 'v1');
      description = p.Description;
      root.append(notice('Starting from a copy of ', h('code', {}, fromArn), '. Give the new policy its own name.'));
    } catch (e) {
      if (!ctx.current()) return;
      errors.append(errorBox(e));
    }
  }
  if (!ctx.current()) return;
  const name = field({ label: 'Policy name', hint: 'up to 128 letters, digits and + = , . @ _ -', type: 'text', autocomplete: 'off', spellcheck: 'false', autofocus: true });
  const path = field({ label: 'Path (optional)', hint: 'default /', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: '/' });
  const desc = field({ label: 'Description (optional)', hint: 'up to 1,000 characters; cannot be changed later', type: 'text', autocomplete: 'off', value: description, maxlength: '1000' });
  const editor = policyEditor(ctx, { value: start, kind: 'identity', sizeMax: MANAGED_POLICY_SIZE_MAX });
  const go = h('button', { type: 'submit', class: 'primary' }, 'Create policy');
  root.append(h('form', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      replace(errors);
      const n = name.input.value.trim();
      const p = path.input.value.trim();
      const bad = policyNameProblem(n) || pathProblem(p);
      if (bad) {
        replace(errors, errorBox({ code: 'Check', message: bad }));
        (policyNameProblem(n) ? name : path).input.focus();
        return;
      }
      if (!editor.checkToSave()) {
        editor.textarea.focus();
        return;
      }
      go.disabled = true;
      let doc;
      try {
        doc = await ctx.api.iam('CreatePolicy', { PolicyName: n, Path: p || undefined, Description: desc.input.value.trim() || undefined, PolicyDocument: editor.value });
      } catch (e) {
        go.disabled = false;
        if (['MalformedPolicyDocument', 'LimitExceeded'].includes(e.code)) editor.serverError(e);
        else {
          replace(errors, errorBox(e));
          name.input.focus();
        }
        return;
      }
      setFlash(`Created policy ${n}. Attach it to users, groups or roles from their pages.`);
      ctx.navigate(policyHash(text(find(result(doc), 'Policy'), 'Arn')));
    },
  },
  h('div', { class: 'panel' }, h('div', { class: 'row' }, name.el, path.el), desc.el, editor.el),
  h('div', { class: 'toolbar' }, go, h('a', { class: 'button', href: '#/access/policies' }, 'Cancel'))));
}

/** `#/access/policies/<arn>`: one managed policy. */
export async function policyPage(root, ctx, arn) {
  const flash = takeFlash();
  replace(root, accessHeader('policies', 'Policy', [['#/access/policies', 'Policies']]), h('p', { class: 'muted' }, 'Loading…'));
  const p = await loadBelow(root, ctx, async () => record(find(result(await ctx.api.iam('GetPolicy', { PolicyArn: arn })), 'Policy'), FIELDS));
  if (!p) return;
  root.querySelector('h1').textContent = p.PolicyName;
  const aws = isAwsManaged(arn);
  const docSection = h('section', { class: 'panel', 'aria-labelledby': 'doc_h' }, h('h2', { id: 'doc_h' }, 'Policy document'), h('p', { class: 'muted' }, 'Loading…'));
  append(
    root,
    flash ? notice(flash) : null,
    summaryPanel(ctx, {
      kind: 'policy',
      name: p.PolicyName,
      back: '#/access/policies',
      facts: [
        ['ARN', h('code', {}, p.Arn)],
        ['Type', aws ? 'AWS managed' : 'Customer managed'],
        ['Policy id', h('code', {}, p.PolicyId)],
        ['Path', h('code', {}, p.Path)],
        p.Description ? ['Description', p.Description] : null,
        ['Default version', p.DefaultVersionId],
        ['Attached to', `${p.AttachmentCount} ${p.AttachmentCount === '1' ? 'user, group or role' : 'users, groups or roles'}`],
        ['Created', when(p.CreateDate)],
        ['Updated', when(p.UpdateDate)],
      ],
      actions: h('a', { class: 'button', href: `#/access/policies/new/${encodeURIComponent(arn)}` }, 'Create a copy'),
      deletable: !aws,
      extra: { arn, count: Number(p.AttachmentCount) || 0 },
    }),
    docSection,
    Number(p.AttachmentCount) > 0 ? attachmentsSection(ctx, p) : null,
  );
  await showDocument(ctx, docSection, p, aws);
}

/** The document of the default version, and the versions when the server keeps several. */
async function showDocument(ctx, section, p, aws) {
  const heading = section.firstChild;
  let current;
  try {
    current = await documentOf(ctx, p.Arn, p.DefaultVersionId || 'v1');
  } catch (e) {
    if (ctx.current()) replace(section, heading, errorBox(e));
    return;
  }
  // Versions: ListPolicyVersions and CreatePolicyVersion, where the server has them.
  let versions = null;
  let versionsError = null;
  try {
    const doc = await ctx.api.iam('ListPolicyVersions', { PolicyArn: p.Arn });
    versions = members(doc, 'Versions').map((m) => record(m, ['VersionId', 'IsDefaultVersion', 'CreateDate']));
  } catch (e) {
    versionsError = e;
  }
  if (!ctx.current()) return;
  const view = () => {
    const editButton = versions && !aws ? h('button', { type: 'button', class: 'primary', onclick: edit }, 'Edit') : null;
    replace(
      section,
      h('div', { class: 'toolbar' }, heading, h('span', { class: 'muted' }, `version ${p.DefaultVersionId} (default)`), h('span', { class: 'spacer' }), editButton),
      h('pre', { class: 'policy-doc', tabindex: '0', 'aria-label': 'Policy document' }, current),
      versions
        ? listTable(aws ? ['Version', 'Default', 'Created'] : ['Version', 'Default', 'Created', ''], versions.map(versionRow), 'Versions')
        : aws
          ? null
          : h('p', { class: 'muted' },
            versionsError && versionsError.code === 'InvalidAction'
              ? 'This server keeps one version of a managed policy (v1) and has no CreatePolicyVersion, so a policy is not edited in place: create a copy with the changes, attach the copy where this one is attached, then detach and delete this one.'
              : `The versions could not be listed${versionsError ? ` (${versionsError.code}: ${versionsError.message})` : ''}.`),
    );
  };
  // A version besides the default: made the default, or deleted (IAM never deletes the default).
  const versionRow = (v) => {
    const tr = h('tr', {}, h('td', {}, v.VersionId), h('td', {}, v.IsDefaultVersion === 'true' ? 'Default' : ''), h('td', { class: 'nowrap' }, when(v.CreateDate)));
    if (aws) return tr;
    if (v.IsDefaultVersion === 'true') {
      tr.append(h('td', {}));
      return tr;
    }
    const reload = (message) => {
      setFlash(message);
      ctx.navigate(policyHash(p.Arn));
    };
    const makeDefault = h('button', { type: 'button', 'aria-label': `Make ${v.VersionId} the default` }, 'Make default');
    makeDefault.addEventListener('click', () => confirmInRow(tr, 4, makeDefault, {
      message: h('p', {}, `Make ${v.VersionId} the default version of ${p.PolicyName}? Every user, group and role it is attached to gets what ${v.VersionId} allows at once.`),
      confirmLabel: 'Make default',
      danger: false,
      run: () => ctx.api.iam('SetDefaultPolicyVersion', { PolicyArn: p.Arn, VersionId: v.VersionId }),
      onDone: () => reload(`${v.VersionId} is the default version of ${p.PolicyName}.`),
    }));
    const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${v.VersionId}` }, 'Delete');
    del.addEventListener('click', () => confirmInRow(tr, 4, del, {
      message: h('p', {}, `Delete version ${v.VersionId} of ${p.PolicyName}? This cannot be undone.`),
      confirmLabel: 'Delete',
      run: () => ctx.api.iam('DeletePolicyVersion', { PolicyArn: p.Arn, VersionId: v.VersionId }),
      onDone: () => reload(`Deleted version ${v.VersionId} of ${p.PolicyName}.`),
    }));
    tr.append(h('td', { class: 'nowrap' }, makeDefault, ' ', del));
    return tr;
  };
  const edit = () => {
    const editor = policyEditor(ctx, { value: current, kind: 'identity', sizeMax: MANAGED_POLICY_SIZE_MAX });
    const save = h('button', { type: 'submit', class: 'primary' }, 'Save as the new default version');
    replace(section, heading, h('form', {
      onsubmit: async (ev) => {
        ev.preventDefault();
        if (!editor.checkToSave()) return editor.textarea.focus();
        save.disabled = true;
        try {
          await ctx.api.iam('CreatePolicyVersion', { PolicyArn: p.Arn, PolicyDocument: editor.value, SetAsDefault: 'true' });
        } catch (e) {
          save.disabled = false;
          editor.serverError(e);
          return;
        }
        setFlash(`Saved a new default version of ${p.PolicyName}.`);
        ctx.navigate(policyHash(p.Arn));
      },
    }, editor.el, h('p', { class: 'muted' }, 'IAM keeps at most 5 versions of a policy: delete an old one first when there are 5.'),
    h('div', { class: 'toolbar' }, save, h('button', { type: 'button', onclick: view }, 'Cancel'))));
    editor.textarea.focus();
  };
  view();
}

/** Where the policy is attached (found by looking through users, groups and roles). */
function attachmentsSection(ctx, p) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Looking through the users, groups and roles…'));
  const said = h('div', { 'aria-live': 'polite' });
  const HASH = { user: userHash, group: groupHash, role: roleHash };
  const DETACH = { user: ['DetachUserPolicy', 'UserName'], group: ['DetachGroupPolicy', 'GroupName'], role: ['DetachRolePolicy', 'RoleName'] };
  (async () => {
    const where = await loadSection(ctx, body, () => policyAttachments(ctx, p.Arn, Number(p.AttachmentCount)));
    if (!where) return;
    const rows = where.map(([kind, n]) => {
      const b = h('button', { type: 'button', class: 'danger', 'aria-label': `Detach from ${n}` }, 'Detach');
      const tr = h('tr', {}, h('td', {}, kind), h('td', {}, h('a', { href: HASH[kind](n) }, n)), h('td', {}, b));
      b.addEventListener('click', () => confirmInRow(tr, 3, b, {
        message: h('p', {}, `Detach ${p.PolicyName} from ${kind} `, h('strong', {}, n), '? It loses what the policy allows.'),
        confirmLabel: 'Detach',
        run: () => ctx.api.iam(DETACH[kind][0], { [DETACH[kind][1]]: n, PolicyArn: p.Arn }),
        onDone: () => {
          tr.remove();
          showNotice(said, `Detached from ${kind} ${n}.`);
        },
      }));
      return tr;
    });
    replace(body, rows.length ? listTable(['Kind', 'Name', ''], rows, 'Attached to') : h('p', { class: 'muted' }, 'Not found on any user, group or role (the first 1,000 of each were looked through).'));
  })();
  return h('section', { class: 'panel', 'aria-labelledby': 'att_h' }, h('h2', { id: 'att_h' }, 'Attached to'), said, body);
}
