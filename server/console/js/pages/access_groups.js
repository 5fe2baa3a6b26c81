// Groups: the list (ListGroups, Marker paging; CreateGroup; Delete), one group's page (GetGroup
// with its members: AddUserToGroup, RemoveUserFromGroup; its policies) and a user's groups
// (ListGroupsForUser) on the user's page.

import { h, replace, errorBox, field, select, append, notice, showNotice } from '../dom.js';
import { page, record, members, find, result, text, listAll } from '../xml.js';
import { confirmInRow } from '../confirm.js';
import { accessHeader, listTable, when, groupHash, userHash, takeFlash, loadBelow, loadSection } from './access_common.js';
import { entityListPage } from './access_list.js';
import { inlineSection, attachedSection } from './access_perms.js';
import { summaryPanel } from './access_delete.js';

/** Most groups a user may be in (IAM's quota). */
const GROUPS_PER_USER_MAX = 10;
/** Members of a group shown at most. */
const MEMBERS_SHOWN = 100;

export function groupsPage(root, ctx) {
  return entityListPage(root, ctx, {
    section: 'groups',
    title: 'Groups',
    intro: 'A group gives its policies to every user in it.',
    kind: 'group',
    action: 'ListGroups',
    listPath: 'Groups',
    fields: ['GroupName', 'Path', 'GroupId', 'CreateDate'],
    name: (g) => g.GroupName,
    href: (g) => groupHash(g.GroupName),
    heads: ['Path', 'Group id'],
    cells: (g) => [h('td', {}, h('code', {}, g.Path)), h('td', {}, h('code', {}, g.GroupId))],
    empty: (number) => (number === 1 ? 'No groups yet.' : 'No more groups.'),
    create: {
      label: 'Create group',
      nameLabel: 'Group name',
      max: 128,
      pathHint: 'default /',
      action: 'CreateGroup',
      param: 'GroupName',
      hash: groupHash,
      flash: (n) => `Created group ${n}. Next: add users to it, and give it permissions with a policy.`,
    },
  });
}

export async function groupPage(root, ctx, name) {
  const flash = takeFlash();
  replace(root, accessHeader('groups', name, [['#/access/groups', 'Groups']]), h('p', { class: 'muted' }, 'Loading…'));
  const g = await loadBelow(root, ctx, async () =>
    record(find(result(await ctx.api.iam('GetGroup', { GroupName: name, MaxItems: 1 })), 'Group'), ['GroupName', 'Path', 'GroupId', 'Arn', 'CreateDate']));
  if (!g) return;
  append(
    root,
    flash ? notice(flash) : null,
    summaryPanel(ctx, {
      kind: 'group',
      name: g.GroupName,
      back: '#/access/groups',
      facts: [
        ['ARN', h('code', {}, g.Arn)],
        ['Group id', h('code', {}, g.GroupId)],
        ['Path', h('code', {}, g.Path)],
        ['Created', when(g.CreateDate)],
      ],
    }),
    membersSection(ctx, g.GroupName),
    h('div', { class: 'grid2' }, inlineSection(ctx, 'group', g.GroupName), attachedSection(ctx, 'group', g.GroupName)),
  );
}

/** The members of group `name`: the list (GetGroup), Add user, Remove. */
function membersSection(ctx, name) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const said = h('div', { 'aria-live': 'polite' });
  const userField = field({ label: 'Add a user', hint: 'its name', type: 'text', autocomplete: 'off', spellcheck: 'false', list: `users_${name}` });
  const datalist = h('datalist', { id: `users_${name}` });
  const add = h('form', {
    class: 'row',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const u = userField.input.value.trim();
      if (!u) return userField.input.focus();
      try {
        await ctx.api.iam('AddUserToGroup', { GroupName: name, UserName: u });
      } catch (e) {
        replace(said, errorBox(e));
        return;
      }
      userField.input.value = '';
      replace(said, notice(`Added ${u} to ${name}.`));
      load();
    },
  }, userField.el, datalist, h('div', { class: 'field narrow' }, h('button', { type: 'submit' }, 'Add user')));
  userField.input.addEventListener('focus', async () => {
    if (datalist.firstChild) return;
    try {
      const { items } = await listAll(ctx.api.iam, 'ListUsers', {}, 'Users', 1000);
      replace(datalist, items.map((m) => h('option', { value: text(m, 'UserName') })));
    } catch {
      // Typing the name still works.
    }
  }, { once: true });
  const panel = h('section', { class: 'panel', 'aria-labelledby': 'members_h' }, h('h2', { id: 'members_h' }, 'Members'), add, said, body);

  async function load() {
    const doc = await loadSection(ctx, body, () => ctx.api.iam('GetGroup', { GroupName: name, MaxItems: MEMBERS_SHOWN }));
    if (!doc) return;
    const p = page(doc, 'Users');
    if (!p.items.length) {
      replace(body, h('p', { class: 'muted' }, 'No members.'));
      return;
    }
    const rows = p.items.map((m) => {
      const u = text(m, 'UserName');
      const rm = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${u}` }, 'Remove');
      const tr = h('tr', {}, h('td', {}, h('a', { href: userHash(u) }, u)), h('td', { class: 'nowrap' }, when(text(m, 'CreateDate'))), h('td', {}, rm));
      rm.addEventListener('click', () => confirmInRow(tr, 3, rm, {
        message: h('p', {}, 'Remove ', h('strong', {}, u), ` from ${name}? It loses what the group's policies allow.`),
        confirmLabel: 'Remove',
        run: () => ctx.api.iam('RemoveUserFromGroup', { GroupName: name, UserName: u }),
        onDone: () => {
          showNotice(said, `Removed ${u} from ${name}.`);
          load();
        },
      }));
      return tr;
    });
    replace(body, listTable(['User', 'Created', ''], rows, 'Members'), p.truncated ? h('p', { class: 'muted' }, `The first ${MEMBERS_SHOWN} members are shown.`) : null);
  }
  load();
  return panel;
}

/** The groups of user `name` (ListGroupsForUser), Add to group, Remove. */
export function userGroupsSection(ctx, name) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const said = h('div', { 'aria-live': 'polite' });
  const picker = h('div', {});
  const addButton = h('button', { type: 'button', onclick: () => openAdd() }, 'Add to group');
  const panel = h('section', { class: 'panel', 'aria-labelledby': 'groups_h' },
    h('div', { class: 'toolbar' }, h('h2', { id: 'groups_h' }, 'Groups'), h('span', { class: 'spacer' }), addButton),
    said, picker, body);
  let mine = [];

  async function openAdd() {
    replace(said);
    let all;
    try {
      ({ items: all } = await listAll(ctx.api.iam, 'ListGroups', {}, 'Groups', 1000));
    } catch (e) {
      replace(said, errorBox(e));
      return;
    }
    const names = all.map((m) => text(m, 'GroupName')).filter((g) => !mine.includes(g));
    const close = () => {
      replace(picker);
      addButton.focus();
    };
    if (!names.length) {
      replace(said, h('p', { class: 'muted' }, all.length ? 'The user is in every group already. ' : 'There are no groups yet. ', h('a', { href: '#/access/groups' }, 'Groups')));
      return;
    }
    const choice = select(names, names[0], { id: `addgroup_${name}` });
    replace(picker, h('form', {
      class: 'row',
      onkeydown: (ev) => ev.key === 'Escape' && close(),
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          await ctx.api.iam('AddUserToGroup', { GroupName: choice.value, UserName: name });
        } catch (e) {
          replace(said, errorBox(e));
          return;
        }
        replace(said, notice(`Added ${name} to ${choice.value}.`));
        close();
        load();
      },
    }, h('div', { class: 'field' }, h('label', { for: choice.id }, 'Group'), choice),
    h('div', { class: 'field narrow' }, h('button', { type: 'submit', class: 'primary' }, 'Add')),
    h('div', { class: 'field narrow' }, h('button', { type: 'button', onclick: close }, 'Cancel'))));
    choice.focus();
  }

  async function load() {
    const doc = await loadSection(ctx, body, () => ctx.api.iam('ListGroupsForUser', { UserName: name, MaxItems: 100 }));
    if (!doc) return;
    const groups = members(doc, 'Groups').map((m) => record(m, ['GroupName', 'Path']));
    mine = groups.map((g) => g.GroupName);
    addButton.disabled = groups.length >= GROUPS_PER_USER_MAX;
    if (!groups.length) {
      replace(body, h('p', { class: 'muted' }, 'In no group.'));
      return;
    }
    const rows = groups.map((g) => {
      const rm = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove from ${g.GroupName}` }, 'Remove');
      const tr = h('tr', {}, h('td', {}, h('a', { href: groupHash(g.GroupName) }, g.GroupName)), h('td', {}, h('code', {}, g.Path)), h('td', {}, rm));
      rm.addEventListener('click', () => confirmInRow(tr, 3, rm, {
        message: h('p', {}, `Remove ${name} from `, h('strong', {}, g.GroupName), '? It loses what the group\'s policies allow.'),
        confirmLabel: 'Remove',
        run: () => ctx.api.iam('RemoveUserFromGroup', { GroupName: g.GroupName, UserName: name }),
        onDone: () => {
          showNotice(said, `Removed ${name} from ${g.GroupName}.`);
          load();
        },
      }));
      return tr;
    });
    replace(body, listTable(['Group', 'Path', ''], rows, 'Groups of the user'), h('p', { class: 'muted' }, `${groups.length} of at most ${GROUPS_PER_USER_MAX}.`));
  }
  load();
  return panel;
}
