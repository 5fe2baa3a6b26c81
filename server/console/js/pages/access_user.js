// One user (`#/access/users/<name>`): what GetUser answers, its access keys, its groups, its
// inline and attached policies, and Delete (removing what it has first, once confirmed).

import { h, replace, errorBox, append, facts, notice } from '../dom.js';
import { find, result, record } from '../xml.js';
import { confirmInSlot } from '../confirm.js';
import { accessHeader, when, takeFlash, setFlash } from './access_common.js';
import { keysSection } from './access_keys.js';
import { inlineSection, attachedSection } from './access_perms.js';
import { userGroupsSection } from './access_groups.js';
import { confirmDelete } from './access_delete.js';

export async function userPage(root, ctx, name) {
  const flash = takeFlash();
  replace(root, accessHeader('users', name, [['#/access/users', 'Users']]), h('p', { class: 'muted' }, 'Loading…'));
  let u;
  try {
    const doc = await ctx.api.iam('GetUser', { UserName: name });
    u = record(find(result(doc), 'User'), ['UserName', 'Path', 'UserId', 'Arn', 'CreateDate']);
  } catch (e) {
    if (!ctx.current()) return;
    root.lastChild.remove();
    append(root, errorBox(e), e.code === 'NoSuchEntity' ? h('p', {}, h('a', { href: '#/access/users' }, 'Back to the users')) : null);
    return;
  }
  if (!ctx.current()) return;
  root.lastChild.remove();
  const deleteSlot = h('div', {});
  const del = h('button', { type: 'button', class: 'danger' }, 'Delete user');
  del.addEventListener('click', () =>
    confirmDelete(ctx, 'user', u.UserName, del, (options) => confirmInSlot(deleteSlot, del, options), () => {
      setFlash(`Deleted user ${u.UserName}.`);
      ctx.navigate('#/access/users');
    }),
  );
  append(
    root,
    flash ? notice(flash) : null,
    h(
      'section',
      { class: 'panel', 'aria-label': 'Summary' },
      h(
        'div',
        { class: 'toolbar' },
        facts([
          ['ARN', h('code', {}, u.Arn)],
          ['User id', h('code', {}, u.UserId)],
          ['Path', h('code', {}, u.Path)],
          ['Created', when(u.CreateDate)],
        ], 'grow cols2'),
        del,
      ),
      deleteSlot,
    ),
    h('div', { class: 'grid2' }, keysSection(ctx, u.UserName), userGroupsSection(ctx, u.UserName)),
    h('div', { class: 'grid2' }, inlineSection(ctx, 'user', u.UserName), attachedSection(ctx, 'user', u.UserName)),
  );
}
