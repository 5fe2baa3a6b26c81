// One user (`#/access/users/<name>`): what GetUser answers, its access keys, its groups, its
// inline and attached policies, and Delete (removing what it has first, once confirmed).

import { h, replace, append, notice } from '../dom.js';
import { find, result, record } from '../xml.js';
import { accessHeader, when, takeFlash, loadBelow } from './access_common.js';
import { keysSection } from './access_keys.js';
import { inlineSection, attachedSection } from './access_perms.js';
import { userGroupsSection } from './access_groups.js';
import { summaryPanel } from './access_delete.js';

export async function userPage(root, ctx, name) {
  const flash = takeFlash();
  replace(root, accessHeader('users', name, [['#/access/users', 'Users']]), h('p', { class: 'muted' }, 'Loading…'));
  const u = await loadBelow(
    root,
    ctx,
    async () => record(find(result(await ctx.api.iam('GetUser', { UserName: name })), 'User'), ['UserName', 'Path', 'UserId', 'Arn', 'CreateDate']),
    (e) => (e.code === 'NoSuchEntity' ? h('p', {}, h('a', { href: '#/access/users' }, 'Back to the users')) : null),
  );
  if (!u) return;
  append(
    root,
    flash ? notice(flash) : null,
    summaryPanel(ctx, {
      kind: 'user',
      name: u.UserName,
      back: '#/access/users',
      facts: [
        ['ARN', h('code', {}, u.Arn)],
        ['User id', h('code', {}, u.UserId)],
        ['Path', h('code', {}, u.Path)],
        ['Created', when(u.CreateDate)],
      ],
    }),
    h('div', { class: 'grid2' }, keysSection(ctx, u.UserName), userGroupsSection(ctx, u.UserName)),
    h('div', { class: 'grid2' }, inlineSection(ctx, 'user', u.UserName), attachedSection(ctx, 'user', u.UserName)),
  );
}
