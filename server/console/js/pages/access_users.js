// Users (`#/access/users`): ListUsers a page at a time (Marker), CreateUser (name, optional
// path), and Delete (removing its keys, policies and group memberships first, once confirmed):
// an entity list page (access_list.js).

import { h } from '../dom.js';
import { userHash } from './access_common.js';
import { entityListPage } from './access_list.js';

export function usersPage(root, ctx) {
  return entityListPage(root, ctx, {
    section: 'users',
    title: 'Users',
    intro: 'IAM users: identities with long-term access keys. What a user may do is what its policies (its own, and its groups\') allow.',
    kind: 'user',
    action: 'ListUsers',
    listPath: 'Users',
    fields: ['UserName', 'Path', 'UserId', 'Arn', 'CreateDate'],
    name: (u) => u.UserName,
    href: (u) => userHash(u.UserName),
    heads: ['Path', 'User id'],
    cells: (u) => [h('td', {}, h('code', {}, u.Path)), h('td', {}, h('code', {}, u.UserId))],
    empty: (number) => (number === 1 ? 'No users yet. Create one to give a program or a person its own access key.' : 'No more users.'),
    create: {
      label: 'Create user',
      nameLabel: 'User name',
      max: 64,
      pathHint: 'such as /engineering/; default /',
      action: 'CreateUser',
      param: 'UserName',
      hash: userHash,
      flash: (n) => `Created user ${n}. Next: create an access key for it, and give it permissions with a policy.`,
    },
  });
}
