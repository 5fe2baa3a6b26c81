// Deleting a user, group, role or managed policy as the AWS console does: IAM refuses to delete
// one that still has access keys, inline policies, attached policies or group members, or a
// policy still attached somewhere or with versions besides the default (DeleteConflict), so the
// confirmation lists them, and
// confirming removes them first, then the entity itself (a retry resumes where it stopped).

import { h, facts } from '../dom.js';
import { listAll, text, members } from '../xml.js';
import { confirmInSlot } from '../confirm.js';
import { plural, setFlash } from './access_common.js';

/** Entities listed at most when planning (beyond that the server's DeleteConflict says so). */
const MAX = 1000;

async function names(ctx, action, params, listPath, field) {
  const { items } = await listAll(ctx.api.iam, action, params, listPath, MAX);
  return field ? items.map((m) => text(m, field)) : items.map((m) => m.textContent);
}

/** What deleting each kind takes: `{ parts: [[count text, [names]]], steps: [[label, run]] }`. */
const PLANS = {
  async user(ctx, name) {
    const p = { UserName: name };
    const [keys, inline, attached, groups] = await Promise.all([
      names(ctx, 'ListAccessKeys', p, 'AccessKeyMetadata', 'AccessKeyId'),
      names(ctx, 'ListUserPolicies', p, 'PolicyNames'),
      listAll(ctx.api.iam, 'ListAttachedUserPolicies', p, 'AttachedPolicies', MAX).then((r) => r.items.map((m) => [text(m, 'PolicyName'), text(m, 'PolicyArn')])),
      names(ctx, 'ListGroupsForUser', p, 'Groups', 'GroupName'),
    ]);
    return {
      parts: [
        [plural(keys.length, 'access key'), keys, 'requests signed with them stop working'],
        [plural(inline.length, 'inline policy', 'inline policies'), inline],
        [plural(attached.length, 'attached managed policy', 'attached managed policies'), attached.map((a) => a[0]), 'detached, not deleted'],
        [`membership in ${plural(groups.length, 'group')}`, groups, 'the groups are not deleted'],
      ],
      steps: [
        ...keys.map((k) => [`Deleting access key ${k}…`, () => ctx.api.iam('DeleteAccessKey', { ...p, AccessKeyId: k })]),
        ...inline.map((n) => [`Deleting inline policy ${n}…`, () => ctx.api.iam('DeleteUserPolicy', { ...p, PolicyName: n })]),
        ...attached.map(([n, arn]) => [`Detaching ${n}…`, () => ctx.api.iam('DetachUserPolicy', { ...p, PolicyArn: arn })]),
        ...groups.map((g) => [`Removing from group ${g}…`, () => ctx.api.iam('RemoveUserFromGroup', { ...p, GroupName: g })]),
        [`Deleting user ${name}…`, () => ctx.api.iam('DeleteUser', p)],
      ],
    };
  },
  async group(ctx, name) {
    const p = { GroupName: name };
    const [users, inline, attached] = await Promise.all([
      names(ctx, 'GetGroup', p, 'Users', 'UserName'),
      names(ctx, 'ListGroupPolicies', p, 'PolicyNames'),
      listAll(ctx.api.iam, 'ListAttachedGroupPolicies', p, 'AttachedPolicies', MAX).then((r) => r.items.map((m) => [text(m, 'PolicyName'), text(m, 'PolicyArn')])),
    ]);
    return {
      parts: [
        [plural(users.length, 'member'), users, 'removed from the group, not deleted'],
        [plural(inline.length, 'inline policy', 'inline policies'), inline],
        [plural(attached.length, 'attached managed policy', 'attached managed policies'), attached.map((a) => a[0]), 'detached, not deleted'],
      ],
      steps: [
        ...users.map((u) => [`Removing ${u} from the group…`, () => ctx.api.iam('RemoveUserFromGroup', { ...p, UserName: u })]),
        ...inline.map((n) => [`Deleting inline policy ${n}…`, () => ctx.api.iam('DeleteGroupPolicy', { ...p, PolicyName: n })]),
        ...attached.map(([n, arn]) => [`Detaching ${n}…`, () => ctx.api.iam('DetachGroupPolicy', { ...p, PolicyArn: arn })]),
        [`Deleting group ${name}…`, () => ctx.api.iam('DeleteGroup', p)],
      ],
    };
  },
  async role(ctx, name) {
    const p = { RoleName: name };
    const [inline, attached] = await Promise.all([
      names(ctx, 'ListRolePolicies', p, 'PolicyNames'),
      listAll(ctx.api.iam, 'ListAttachedRolePolicies', p, 'AttachedPolicies', MAX).then((r) => r.items.map((m) => [text(m, 'PolicyName'), text(m, 'PolicyArn')])),
    ]);
    return {
      parts: [
        [plural(inline.length, 'inline policy', 'inline policies'), inline],
        [plural(attached.length, 'attached managed policy', 'attached managed policies'), attached.map((a) => a[0]), 'detached, not deleted'],
      ],
      steps: [
        ...inline.map((n) => [`Deleting inline policy ${n}…`, () => ctx.api.iam('DeleteRolePolicy', { ...p, PolicyName: n })]),
        ...attached.map(([n, arn]) => [`Detaching ${n}…`, () => ctx.api.iam('DetachRolePolicy', { ...p, PolicyArn: arn })]),
        [`Deleting role ${name}…`, () => ctx.api.iam('DeleteRole', p)],
      ],
    };
  },
};

/**
 * Where managed policy `arn` is attached: `[[kind, name]]`, looking through the users, groups
 * and roles (IAM has ListEntitiesForPolicy; this server does not) until `count` are found.
 */
export async function policyAttachments(ctx, arn, count) {
  const found = [];
  const kinds = [
    ['user', 'ListUsers', 'Users', 'UserName', 'ListAttachedUserPolicies'],
    ['group', 'ListGroups', 'Groups', 'GroupName', 'ListAttachedGroupPolicies'],
    ['role', 'ListRoles', 'Roles', 'RoleName', 'ListAttachedRolePolicies'],
  ];
  for (const [kind, list, listPath, field, attachedAction] of kinds) {
    if (found.length >= count) break;
    const entities = await names(ctx, list, {}, listPath, field);
    // A few at a time, stopping once all are found.
    for (let i = 0; i < entities.length && found.length < count; i += 8) {
      const batch = entities.slice(i, i + 8);
      const answers = await Promise.all(batch.map((n) => ctx.api.iam(attachedAction, { [field]: n, MaxItems: 100 })));
      answers.forEach((doc, j) => {
        const arns = members(doc, 'AttachedPolicies').map((m) => text(m, 'PolicyArn'));
        if (arns.includes(arn)) found.push([kind, batch[j]]);
      });
    }
  }
  return found;
}

const DETACH = { user: 'DetachUserPolicy', group: 'DetachGroupPolicy', role: 'DetachRolePolicy' };

PLANS.policy = async (ctx, name, { arn, count }) => {
  const [where, versions] = await Promise.all([
    count > 0 ? policyAttachments(ctx, arn, count) : [],
    // IAM deletes a policy only once its versions but the default are deleted.
    listAll(ctx.api.iam, 'ListPolicyVersions', { PolicyArn: arn }, 'Versions', MAX).then((r) => r.items
      .filter((m) => text(m, 'IsDefaultVersion') !== 'true')
      .map((m) => text(m, 'VersionId'))),
  ]);
  return {
    parts: [
      [`attached to ${plural(where.length, 'user, group or role', 'users, groups or roles')}`, where.map(([k, n]) => `${k} ${n}`), 'detached; they lose what it allows'],
      [plural(versions.length, 'version besides the default', 'versions besides the default'), versions, 'deleted'],
    ],
    steps: [
      ...where.map(([k, n]) => [`Detaching from ${k} ${n}…`, () => ctx.api.iam(DETACH[k], { [`${k[0].toUpperCase()}${k.slice(1)}Name`]: n, PolicyArn: arn })]),
      ...versions.map((v) => [`Deleting version ${v}…`, () => ctx.api.iam('DeletePolicyVersion', { PolicyArn: arn, VersionId: v })]),
      [`Deleting policy ${name}…`, () => ctx.api.iam('DeletePolicy', { PolicyArn: arn })],
    ],
  };
};

/** The delete alone, when what an entity has could not be listed. */
const BARE = {
  user: (ctx, name) => ctx.api.iam('DeleteUser', { UserName: name }),
  group: (ctx, name) => ctx.api.iam('DeleteGroup', { GroupName: name }),
  role: (ctx, name) => ctx.api.iam('DeleteRole', { RoleName: name }),
  policy: (ctx, name, { arn }) => ctx.api.iam('DeletePolicy', { PolicyArn: arn }),
};

/**
 * Plans deleting `kind` (`user`, `group`, `role`) `name`, then calls `place(options)` with the
 * options of a confirmation (see access_common.js): what goes first, the name to type, and the
 * run. When the plan cannot be made (no permission to list), the confirmation offers the
 * plain delete and the server's refusal says what is left.
 */
export async function confirmDelete(ctx, kind, name, opener, place, onDone, extra = {}) {
  opener.disabled = true;
  let plan = null;
  let why = null;
  try {
    plan = await PLANS[kind](ctx, name, extra);
  } catch (e) {
    why = e;
  } finally {
    opener.disabled = false;
  }
  if (!ctx.current()) return;
  const pending = plan ? plan.parts.filter(([, list]) => list.length) : [];
  const message = h(
    'div',
    {},
    h('p', {}, `Delete ${kind} `, h('strong', {}, name), '? This cannot be undone.'),
    pending.length
      ? [
          h('p', {}, kind === 'policy' ? 'IAM deletes only a policy attached nowhere and with no version but the default, so these go first:' : 'IAM deletes only an empty one, so these are removed first:'),
          h('ul', {}, pending.map(([what, list, note]) =>
            h('li', {}, h('strong', {}, what), ': ', list.slice(0, 10).join(', '), list.length > 10 ? `, and ${list.length - 10} more` : '', note ? h('span', { class: 'muted' }, ` (${note})`) : null))),
        ]
      : null,
    why ? h('p', { class: 'muted' }, `What it still has could not be listed (${why.code || 'error'}: ${why.message}); the server refuses the delete while ${kind === 'policy' ? 'it is attached or has versions besides the default' : 'it has keys, policies or members'}.`) : null,
  );
  const steps = plan ? plan.steps : [[`Deleting ${kind} ${name}…`, () => BARE[kind](ctx, name, extra)]];
  let done = 0;
  place({
    message,
    typeToConfirm: name,
    confirmLabel: pending.length ? `Remove ${pending.length === 1 ? 'it' : 'them'} and delete` : `Delete ${kind}`,
    // A retry after a failure goes on from the step that failed.
    run: async (progress) => {
      while (done < steps.length) {
        const [label, run] = steps[done];
        progress(label);
        await run();
        done++;
      }
    },
    onDone,
  });
}

/**
 * The Summary panel of one entity's page: its `facts` (`[[label, value], …]`), `actions`, and
 * Delete `<kind>` (unless not `deletable`), confirmed below them, then back to the list
 * (`back`) with a message. `extra`: confirmDelete's.
 */
export function summaryPanel(ctx, { kind, name, facts: pairs, back, actions = null, deletable = true, extra }) {
  const slot = h('div', {});
  const del = deletable ? h('button', { type: 'button', class: 'danger' }, `Delete ${kind}`) : null;
  if (del) {
    del.addEventListener('click', () =>
      confirmDelete(ctx, kind, name, del, (o) => confirmInSlot(slot, del, o), () => {
        setFlash(`Deleted ${kind} ${name}.`);
        ctx.navigate(back);
      }, extra),
    );
  }
  return h('section', { class: 'panel', 'aria-label': 'Summary' },
    h('div', { class: 'toolbar' }, facts(pairs, 'grow cols2'), actions ? h('div', { class: 'stack' }, actions, del) : del),
    slot);
}
