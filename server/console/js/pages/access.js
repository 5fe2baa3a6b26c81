// Access (`#/access/…`): IAM users, groups, roles and managed policies, managed through IAM's
// own API (AWS Query protocol, signed like every other request). The routes below `#/access/`
// (`ctx.params[0]`, already URL-decoded):
//
//   '' or users                    the users               access_users.js
//   users/<name>                   one user                access_user.js
//   users/<name>/inline/[<policy>] an inline policy (new)   access_perms.js
//   groups, groups/<name>[/inline/…]                       access_groups.js
//   roles, roles/new, roles/<name>[/inline/…]              access_roles.js
//   policies, policies/new[/<arn>], policies/<arn>         access_policies.js

import { h, replace } from '../dom.js';
import { accessHeader } from './access_common.js';
import { usersPage } from './access_users.js';
import { userPage } from './access_user.js';
import { inlinePolicyPage } from './access_perms.js';
import { groupsPage, groupPage } from './access_groups.js';
import { rolesPage, rolePage, createRolePage } from './access_roles.js';
import { policiesPage, policyPage, createPolicyPage } from './access_policies.js';

const OWNER_KINDS = { users: 'user', groups: 'group', roles: 'role' };

export async function accessPage(root, ctx) {
  root.classList.add('access');
  const rest = ctx.params[0] || '';
  const [section, ...more] = rest.split('/');
  const tail = more.join('/');

  if (section === '' || section === 'users' || section === 'groups' || section === 'roles') {
    const kind = OWNER_KINDS[section || 'users'];
    if (more.length === 0 || tail === '') {
      return { user: usersPage, group: groupsPage, role: rolesPage }[kind](root, ctx);
    }
    if (kind === 'role' && tail === 'new') return createRolePage(root, ctx);
    const [name, sub, ...policy] = more;
    if (sub === undefined) return { user: userPage, group: groupPage, role: rolePage }[kind](root, ctx, name);
    if (sub === 'inline') return inlinePolicyPage(root, ctx, kind, name, policy.join('/'));
  }
  if (section === 'policies') {
    if (tail === '') return policiesPage(root, ctx);
    if (tail === 'new') return createPolicyPage(root, ctx, '');
    if (tail.startsWith('new/')) return createPolicyPage(root, ctx, tail.slice(4));
    return policyPage(root, ctx, tail);
  }
  replace(
    root,
    accessHeader('', 'Not found'),
    h('p', {}, 'No Access page at ', h('code', {}, `#/access/${rest}`), '. ', h('a', { href: '#/access/users' }, 'Users')),
  );
}
