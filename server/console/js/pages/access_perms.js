// The permissions of a user, group or role: its inline policies (List/Get/Put/Delete…Policy,
// edited on their own page) and its attached managed policies (ListAttached…Policies,
// Attach…Policy with a picker, Detach…Policy).

import { h, replace, errorBox, field, notice, showNotice } from '../dom.js';
import { strings, members, text, page, listAll, decodeDocument } from '../xml.js';
import { confirmInRow } from '../confirm.js';
import { formatPolicy } from '../policy.js';
import { listTable, policyHash, accessHeader, setFlash, takeFlash, loadBelow, loadSection } from './access_common.js';
import { policyEditor } from './access_editor.js';

/** What each kind of owner is called, and its quotas (docs/security.md). */
export const OWNERS = {
  user: { title: 'User', route: 'users', section: 'Users', inlineMax: 2048 },
  group: { title: 'Group', route: 'groups', section: 'Groups', inlineMax: 5120 },
  role: { title: 'Role', route: 'roles', section: 'Roles', inlineMax: 10240 },
};
/** Most managed policies attached to one user, group or role. */
export const ATTACHED_MAX = 10;
/** Inline policies listed at most. */
const INLINE_SHOWN = 100;
/** Managed policies the attach picker loads at most, and shows at most. */
const PICKER_LOAD = 1000;
const PICKER_SHOWN = 50;

const ownerHash = (kind, name) => `#/access/${OWNERS[kind].route}/${encodeURIComponent(name)}`;
const inlineHash = (kind, name, policy = '') => `${ownerHash(kind, name)}/inline/${encodeURIComponent(policy)}`;
/** The owner's name parameter (`UserName`) and an action on its policies (`ListUserPolicies`). */
const param = (kind) => `${OWNERS[kind].title}Name`;
const act = (kind, verb, noun = 'Policy') => `${verb}${OWNERS[kind].title}${noun}`;

/** A policy name's check (1–128 of `[\w+=,.@-]`): the problem, or ''. */
export function policyNameProblem(n) {
  if (!n) return 'Give the policy a name.';
  if (n.length > 128) return 'A policy name has at most 128 characters.';
  if (!/^[\w+=,.@-]+$/.test(n)) return 'A policy name holds letters, digits and + = , . @ _ - only.';
  return '';
}

/** The inline policies panel of `kind` `name`. */
export function inlineSection(ctx, kind, name) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const said = h('div', { 'aria-live': 'polite' });
  const panel = h(
    'section',
    { class: 'panel', 'aria-labelledby': `inline_h` },
    h('div', { class: 'toolbar' }, h('h2', { id: 'inline_h' }, 'Inline policies'), h('span', { class: 'spacer' }),
      h('a', { class: 'button', href: inlineHash(kind, name) }, 'Add inline policy')),
    said,
    body,
  );
  async function load() {
    const doc = await loadSection(ctx, body, () => ctx.api.iam(act(kind, 'List', 'Policies'), { [param(kind)]: name, MaxItems: INLINE_SHOWN }));
    if (!doc) return;
    const names = strings(doc, 'PolicyNames');
    if (!names.length) {
      replace(body, h('p', { class: 'muted' }, `No inline policies. An inline policy belongs to this ${kind} alone.`));
      return;
    }
    const rows = names.map((p) => {
      const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${p}` }, 'Delete');
      const tr = h('tr', {}, h('td', {}, h('a', { href: inlineHash(kind, name, p) }, p)),
        h('td', {}, h('a', { href: inlineHash(kind, name, p), 'aria-label': `Edit ${p}` }, 'View / edit'), ' ', del));
      del.addEventListener('click', () =>
        confirmInRow(tr, 2, del, {
          message: h('p', {}, 'Delete the inline policy ', h('strong', {}, p), ` of ${name}? What it allows is no longer allowed.`),
          run: () => ctx.api.iam(act(kind, 'Delete'), { [param(kind)]: name, PolicyName: p }),
          onDone: () => {
            showNotice(said, `Deleted the inline policy ${p}.`);
            load();
          },
        }),
      );
      return tr;
    });
    replace(
      body,
      listTable(['Name', ''], rows, 'Inline policies'),
      page(doc, 'PolicyNames').truncated ? h('p', { class: 'muted' }, `The first ${INLINE_SHOWN} are shown.`) : null,
    );
  }
  load();
  return panel;
}

/** The attached managed policies panel of `kind` `name`, with the attach picker. */
export function attachedSection(ctx, kind, name) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const picker = h('div', {});
  const attachButton = h('button', { type: 'button', onclick: () => openPicker() }, 'Attach policy');
  const said = h('div', { 'aria-live': 'polite' });
  const panel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'attached_h' },
    h('div', { class: 'toolbar' }, h('h2', { id: 'attached_h' }, 'Attached managed policies'), h('span', { class: 'spacer' }), attachButton),
    said,
    picker,
    body,
  );
  let attached = [];

  async function load() {
    const doc = await loadSection(ctx, body, () => ctx.api.iam(act(kind, 'ListAttached', 'Policies'), { [param(kind)]: name, MaxItems: 100 }));
    if (!doc) return;
    attached = members(doc, 'AttachedPolicies').map((m) => ({ name: text(m, 'PolicyName'), arn: text(m, 'PolicyArn') }));
    attachButton.disabled = attached.length >= ATTACHED_MAX;
    attachButton.title = attachButton.disabled ? `At most ${ATTACHED_MAX} managed policies may be attached.` : '';
    if (!attached.length) {
      replace(body, h('p', { class: 'muted' }, `No managed policies attached (at most ${ATTACHED_MAX}).`));
      return;
    }
    const rows = attached.map((p) => {
      const detach = h('button', { type: 'button', class: 'danger', 'aria-label': `Detach ${p.name}` }, 'Detach');
      const tr = h('tr', {}, h('td', {}, h('a', { href: policyHash(p.arn), title: p.arn }, p.name)), h('td', {}, p.arn.startsWith('arn:aws:iam::aws:') ? 'AWS managed' : 'Customer managed'), h('td', {}, detach));
      detach.addEventListener('click', () =>
        confirmInRow(tr, 3, detach, {
          message: h('p', {}, 'Detach ', h('strong', {}, p.name), ` from ${name}? The policy itself stays.`),
          confirmLabel: 'Detach',
          run: () => ctx.api.iam(act(kind, 'Detach'), { [param(kind)]: name, PolicyArn: p.arn }),
          onDone: () => {
            showNotice(said, `Detached ${p.name}.`);
            load();
          },
        }),
      );
      return tr;
    });
    replace(body, listTable(['Name', 'Type', ''], rows, 'Attached managed policies'), h('p', { class: 'muted' }, `${attached.length} of at most ${ATTACHED_MAX}.`));
  }

  async function openPicker() {
    replace(said);
    const filter = field({ label: 'Find a policy', hint: 'by name or ARN', type: 'text', autocomplete: 'off', spellcheck: 'false' });
    const list = h('div', {}, h('p', { class: 'muted' }, 'Loading policies…'));
    const close = () => {
      replace(picker);
      attachButton.focus();
    };
    replace(
      picker,
      h(
        'div',
        {
          class: 'picker',
          role: 'group',
          'aria-label': 'Attach a managed policy',
          onkeydown: (ev) => {
            if (ev.key === 'Escape') close();
          },
        },
        h('div', { class: 'row' }, filter.el, h('div', { class: 'field narrow' }, h('button', { type: 'button', onclick: close }, 'Close'))),
        list,
      ),
    );
    filter.input.focus();
    let all;
    let more = false;
    try {
      ({ items: all, more } = await listAll(ctx.api.iam, 'ListPolicies', { Scope: 'All' }, 'Policies', PICKER_LOAD));
    } catch (e) {
      replace(list, errorBox(e));
      return;
    }
    const policies = all.map((m) => ({ name: text(m, 'PolicyName'), arn: text(m, 'Arn'), description: text(m, 'Description') }));
    const show = () => {
      const q = filter.input.value.trim().toLowerCase();
      const have = new Set(attached.map((p) => p.arn));
      const found = policies.filter((p) => !have.has(p.arn) && (!q || p.name.toLowerCase().includes(q) || p.arn.toLowerCase().includes(q)));
      if (!found.length) {
        replace(list, h('p', { class: 'muted' }, q ? 'No policy matches.' : 'Every policy is attached already.', ' ', h('a', { href: '#/access/policies/new' }, 'Create a policy')));
        return;
      }
      const rows = found.slice(0, PICKER_SHOWN).map((p) => {
        const b = h('button', { type: 'button', class: 'primary', 'aria-label': `Attach ${p.name}` }, 'Attach');
        b.addEventListener('click', async () => {
          b.disabled = true;
          try {
            await ctx.api.iam(act(kind, 'Attach'), { [param(kind)]: name, PolicyArn: p.arn });
          } catch (e) {
            replace(said, errorBox(e));
            b.disabled = false;
            return;
          }
          replace(picker);
          showNotice(said, `Attached ${p.name}.`);
          load();
        });
        return h('tr', {},
          h('td', { title: p.arn }, p.name, p.description ? h('div', { class: 'hint' }, p.description) : null),
          h('td', {}, p.arn.startsWith('arn:aws:iam::aws:') ? 'AWS managed' : 'Customer managed'),
          h('td', {}, b));
      });
      replace(
        list,
        listTable(['Name', 'Type', ''], rows, 'Policies to attach'),
        h('p', { class: 'muted' },
          found.length > PICKER_SHOWN ? `${PICKER_SHOWN} of ${found.length} shown: type to narrow. ` : '',
          more ? `Only the first ${PICKER_LOAD} policies were loaded. ` : '',
          h('a', { href: '#/access/policies/new' }, 'Create a policy')),
      );
    };
    filter.input.addEventListener('input', show);
    show();
  }

  load();
  return panel;
}

/**
 * The page of one inline policy of `kind` `owner` (`#/access/users/<name>/inline/<policy>`);
 * `policyName` '' is a new one.
 */
export async function inlinePolicyPage(root, ctx, kind, owner, policyName) {
  const o = OWNERS[kind];
  const isNew = !policyName;
  const errors = h('div', { 'aria-live': 'polite' });
  replace(
    root,
    accessHeader(o.route, isNew ? `New inline policy of ${owner}` : `Inline policy ${policyName}`, [
      [`#/access/${o.route}`, o.section],
      [ownerHash(kind, owner), owner],
    ]),
    errors,
    h('p', { class: 'muted' }, 'Loading…'),
  );
  // The owner's other inline policies count against the same quota.
  const loaded = await loadBelow(root, ctx, async () => {
    const doc = await ctx.api.iam(act(kind, 'List', 'Policies'), { [param(kind)]: owner, MaxItems: 100 });
    const names = strings(doc, 'PolicyNames');
    let current = '';
    if (!isNew) {
      const got = await ctx.api.iam(act(kind, 'Get'), { [param(kind)]: owner, PolicyName: policyName });
      current = decodeDocument(text(got, 'PolicyDocument'));
    }
    const rest = names.filter((n) => n !== policyName).slice(0, 20);
    const others = await Promise.all(rest.map(async (n) => {
      const d = await ctx.api.iam(act(kind, 'Get'), { [param(kind)]: owner, PolicyName: n });
      return { name: n, size: decodeDocument(text(d, 'PolicyDocument')).replace(/\s/g, '').length };
    }));
    return { others, current };
  });
  if (!loaded) return;
  const { others, current } = loaded;
  const used = others.reduce((n, x) => n + x.size, 0);
  const editor = policyEditor(ctx, {
    value: current ? formatPolicy(current) ?? current : '',
    kind: 'identity',
    sizeMax: o.inlineMax - used,
    sizeNote: used ? `${o.inlineMax.toLocaleString('en-US')} for all of this ${kind}'s inline policies; the others use ${used.toLocaleString('en-US')}` : `the quota of all this ${kind}'s inline policies`,
  });
  const nameField = field({ label: 'Policy name', hint: 'letters, digits and + = , . @ _ -; up to 128', type: 'text', autocomplete: 'off', spellcheck: 'false', value: policyName, readonly: !isNew, autofocus: isNew });
  const save = h('button', { type: 'submit', class: 'primary' }, isNew ? 'Create policy' : 'Save changes');
  const flash = takeFlash();
  const form = h(
    'form',
    {
      onsubmit: async (ev) => {
        ev.preventDefault();
        replace(errors);
        const n = nameField.input.value.trim();
        const bad = policyNameProblem(n);
        if (bad) {
          replace(errors, errorBox({ code: 'Policy name', message: bad }));
          nameField.input.focus();
          return;
        }
        if (isNew && others.some((x) => x.name.toLowerCase() === n.toLowerCase())) {
          replace(errors, errorBox({ code: 'Policy name', message: `${owner} already has an inline policy named ${n}: choose another name, or edit that one.` }));
          nameField.input.focus();
          return;
        }
        if (!editor.checkToSave()) {
          editor.textarea.focus();
          return;
        }
        save.disabled = true;
        try {
          await ctx.api.iam(act(kind, 'Put'), { [param(kind)]: owner, PolicyName: n, PolicyDocument: editor.value });
        } catch (e) {
          save.disabled = false;
          if (['MalformedPolicyDocument', 'LimitExceeded'].includes(e.code)) editor.serverError(e);
          else replace(errors, errorBox(e));
          return;
        }
        setFlash(isNew ? `Created the inline policy ${n}.` : `Saved the inline policy ${n}.`);
        ctx.navigate(ownerHash(kind, owner));
      },
    },
    flash ? notice(flash) : null,
    h('div', { class: 'panel' }, nameField.el, editor.el),
    h('div', { class: 'toolbar' }, save, h('a', { class: 'button', href: ownerHash(kind, owner) }, 'Cancel')),
  );
  root.append(form);
  if (!isNew) editor.textarea.focus();
}
