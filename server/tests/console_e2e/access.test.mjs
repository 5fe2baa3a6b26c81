// Access (IAM) through the console: creates a user, creates its access key (the secret read
// from the page, shown once), writes an inline policy in the policy editor (a JSON syntax error
// and a grammar error shown in place first, then the read-only template for one table), and
// proves it with the new key: GetItem allowed, PutItem refused. Then creates a managed policy
// from the LeadingKeys template, attaches it (PutItem of the user's own item allowed, another's
// refused), edits it (saved as v2, the default: the key's next PutItem follows it; v1 made the
// default again takes it back), deletes the key (the key stops working), the managed policy
// (detached from the user and its v2 deleted first) and the user (its inline policy deleted
// first). Groups and roles: a group created through the form in place, the list 25 a page
// (Next, Previous, 100 a page), a group and a role deleted from their rows. Screenshots:
// access-users, access-user, access-policy-editor, access-policy-versions, access-groups,
// access-roles.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openConsole, skip, unique, api, endpoint, credentials, createTable } from './lib.mjs';
import { client } from '../../console/js/api.js';

/** IAM's raw XML answer of `action` (Node has no DOMParser): `{ ok, text }`. */
async function iamRaw(action, params = {}) {
  let raw = '';
  const c = client({
    endpoint,
    credentials,
    parseXml: (t) => {
      raw = t;
      return { getElementsByTagName: () => [] };
    },
  });
  try {
    await c.iam(action, params);
    return { ok: true, text: raw };
  } catch {
    return { ok: false, text: raw };
  }
}

test('users, access keys, the policy editor, managed policies', { skip }, async () => {
  const root = api();
  const table = unique('e2e_access');
  const user = unique('e2e_user').replace(/_/g, '-');
  const managed = unique('e2e_own_items');
  await createTable(root, table);
  await root.dynamodb('PutItem', { TableName: table, Item: { pk: { S: 'a' }, v: { N: '1' } } });

  const c = await openConsole();
  const { page } = c;
  try {
    await c.signIn(undefined, '#/access');
    await page.getByRole('heading', { name: 'Users' }).waitFor();

    // Create the user.
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByLabel('User name').fill(user);
    await page.getByRole('form', { name: 'Create user' }).getByRole('button', { name: 'Create user' }).click();
    await page.waitForURL((u) => u.hash === `#/access/users/${user}`);
    await page.getByText(`Created user ${user}.`).waitFor();
    assert.match((await iamRaw('GetUser', { UserName: user })).text, new RegExp(`<UserName>${user}</UserName>`));

    // A second user of the same name: the server's error, in place.
    await c.goto('#/access/users');
    await page.getByRole('link', { name: user }).waitFor();
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByLabel('User name').fill(user);
    await page.getByLabel('User name').press('Enter');
    await page.getByRole('alert').filter({ hasText: 'EntityAlreadyExists' }).waitFor();
    await page.getByLabel('User name').press('Escape');
    await c.screenshot('access-users');

    // Its access key: the secret is on the page once.
    await page.getByRole('link', { name: user }).click();
    await page.getByRole('heading', { name: user }).waitFor();
    await page.getByRole('button', { name: 'Create access key' }).click();
    const secretField = page.getByLabel('New secret access key');
    await secretField.waitFor();
    const key = {
      accessKeyId: await page.getByLabel('New access key id').inputValue(),
      secretAccessKey: await secretField.inputValue(),
    };
    assert.match(key.accessKeyId, /^AKIA[A-Z0-9]{16}$/);
    assert.ok(key.secretAccessKey.length >= 40);
    await page.getByText('This is the only time it is shown').waitFor();
    await page.getByRole('button', { name: 'Done: I saved the secret' }).click();
    await page.getByText(`Key ${key.accessKeyId} is ready`).waitFor();
    assert.equal(await page.getByLabel('New secret access key').count(), 0, 'the secret is gone from the page');
    const keyed = client({ endpoint, credentials: key });
    // No policy yet: refused.
    await assert.rejects(keyed.dynamodb('GetItem', { TableName: table, Key: { pk: { S: 'a' } } }), { code: 'AccessDeniedException' });

    // An inline policy: a syntax error, a grammar error, then the read-only template.
    await page.getByRole('link', { name: 'Add inline policy' }).click();
    await page.getByRole('heading', { name: `New inline policy of ${user}` }).waitFor();
    await page.getByLabel('Policy name').fill('ReadOneTable');
    const doc = page.getByLabel('Policy document (JSON)');
    // Keyboard: Enter keeps the indentation, Tab indents, Escape then Tab leaves the editor.
    await doc.click();
    await page.keyboard.type('{');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert.equal(await doc.inputValue(), '{\n    ');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    assert.equal(await doc.evaluate((t) => document.activeElement === t), false, 'Escape, Tab leaves the editor');
    await doc.fill('{\n  "Version": "2012-10-17",\n  "Statement": [\n    { "Effect": "Allow", }\n  ]\n}');
    await page.getByRole('button', { name: 'Create policy' }).click();
    const errors = page.getByRole('alert').filter({ hasText: 'to fix before it can be saved' });
    await errors.getByText('(JSON syntax)').waitFor();
    assert.match(await errors.textContent(), /No comma may follow the last member of an object \(line 4, column 26\)/);
    await doc.fill(JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'allow', Action: 'dynamodb:GetItem', Resource: '*' },
        { Sid: 'x-1', Effect: 'Allow', Action: ['GetItem'], Resource: 'table' },
      ],
    }, null, 2));
    await page.getByRole('button', { name: 'Check' }).click();
    for (const path of ['Statement[0].Effect', 'Statement[1].Sid', 'Statement[1].Action[0]', 'Statement[1].Resource']) {
      await errors.getByRole('button', { name: path, exact: true }).waitFor();
    }
    assert.match(await errors.textContent(), /Effect is case-sensitive: "Allow"/);
    // Clicking a problem puts the caret on it.
    await errors.getByRole('button', { name: 'Statement[1].Resource', exact: true }).click();
    const caret = await doc.evaluate((t) => t.value.slice(t.selectionStart, t.selectionStart + 7));
    assert.equal(caret, '"table"');
    await page.getByText('Start from a template').click();
    await page.getByLabel('Template').selectOption({ label: 'Read-only access to one table' });
    await page.getByLabel('Table', { exact: true }).selectOption(table);
    await page.evaluate(() => window.scrollTo(0, 0));
    await c.screenshot('access-policy-editor');
    await page.getByRole('button', { name: 'Insert template' }).click();
    await page.getByText('✓ The document is valid.').waitFor();
    assert.match(await doc.inputValue(), new RegExp(`arn:aws:dynamodb:us-east-1:\\d{12}:table/${table}`));
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.waitForURL((u) => u.hash === `#/access/users/${user}`);
    await page.getByText('Created the inline policy ReadOneTable.').waitFor();
    await page.getByRole('link', { name: 'ReadOneTable' }).first().waitFor();

    // The policy works: reads of that table only.
    const got = await keyed.dynamodb('GetItem', { TableName: table, Key: { pk: { S: 'a' } } });
    assert.equal(got.Item.v.N, '1');
    await assert.rejects(keyed.dynamodb('PutItem', { TableName: table, Item: { pk: { S: 'b' } } }), { code: 'AccessDeniedException' });

    // A managed policy from the LeadingKeys template, attached to the user.
    await c.goto('#/access/policies');
    await page.getByRole('link', { name: 'Create policy' }).click();
    await page.getByLabel('Policy name').fill(managed);
    await page.getByLabel('Description (optional)').fill('Items whose key is the user name');
    await page.getByText('Start from a template').click();
    await page.getByLabel('Template').selectOption('leading');
    await page.getByLabel('Table', { exact: true }).selectOption(table);
    await page.getByRole('button', { name: 'Insert template' }).click();
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.getByRole('heading', { name: managed }).waitFor();
    await page.getByText('dynamodb:LeadingKeys').waitFor();
    await c.goto(`#/access/users/${user}`);
    await page.getByRole('button', { name: 'Attach policy' }).click();
    await page.getByLabel('Find a policy').fill(managed);
    await page.getByRole('button', { name: `Attach ${managed}` }).click();
    await page.getByText(`Attached ${managed}.`).waitFor();
    assert.match((await iamRaw('ListAttachedUserPolicies', { UserName: user })).text, new RegExp(`<PolicyName>${managed}</PolicyName>`));
    await keyed.dynamodb('PutItem', { TableName: table, Item: { pk: { S: user }, note: { S: 'mine' } } });
    await assert.rejects(keyed.dynamodb('PutItem', { TableName: table, Item: { pk: { S: 'someone-else' } } }), { code: 'AccessDeniedException' });
    await page.evaluate(() => window.scrollTo(0, 0));
    await c.screenshot('access-user');

    // Edit the managed policy: the new document is saved as v2, the default, and decides the
    // key's next request; v1 made the default again takes it back.
    await c.goto('#/access/policies');
    await page.getByRole('link', { name: managed }).click();
    await page.getByRole('heading', { name: managed }).waitFor();
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.getByLabel('Policy document (JSON)').fill(JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: '*' }],
    }, null, 2));
    await page.getByRole('button', { name: 'Save as the new default version' }).click();
    await page.getByText(`Saved a new default version of ${managed}.`).waitFor();
    const versions = page.getByRole('table', { name: 'Versions' });
    await versions.getByRole('row', { name: /v2\s*Default/ }).waitFor();
    await keyed.dynamodb('PutItem', { TableName: table, Item: { pk: { S: 'someone-else' } } });
    await page.getByRole('button', { name: 'Make v1 the default' }).click();
    await versions.getByRole('button', { name: 'Make default', exact: true }).click();
    await page.getByText(`v1 is the default version of ${managed}.`).waitFor();
    await versions.getByRole('row', { name: /v1\s*Default/ }).waitFor();
    await versions.scrollIntoViewIfNeeded();
    await c.screenshot('access-policy-versions');
    await assert.rejects(keyed.dynamodb('PutItem', { TableName: table, Item: { pk: { S: 'someone-else' } } }), { code: 'AccessDeniedException' });
    const managedArn = new RegExp(`<Arn>([^<]*:policy/${managed})</Arn>`).exec((await iamRaw('ListPolicies', { Scope: 'Local' })).text)[1];
    assert.match((await iamRaw('ListPolicyVersions', { PolicyArn: managedArn })).text, /<VersionId>v2<\/VersionId>\s*<IsDefaultVersion>false<\/IsDefaultVersion>/);
    await c.goto(`#/access/users/${user}`);
    await page.getByRole('heading', { name: user }).waitFor();

    // Delete the key: it stops working.
    await page.getByRole('button', { name: `Delete ${key.accessKeyId}` }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByText(`Deleted access key ${key.accessKeyId}.`).waitFor();
    // The row and its confirmation went: the message has the focus.
    assert.equal(await page.getByText(`Deleted access key ${key.accessKeyId}.`).evaluate((el) => el === document.activeElement), true);
    await assert.rejects(keyed.dynamodb('GetItem', { TableName: table, Key: { pk: { S: 'a' } } }), { code: 'UnrecognizedClientException' });

    // Delete the managed policy from its page: it is detached from the user first.
    await c.goto('#/access/policies');
    await page.getByRole('link', { name: managed }).click();
    await page.getByRole('heading', { name: managed }).waitFor();
    await page.getByRole('region', { name: 'Attached to' }).getByRole('link', { name: user }).waitFor();
    await page.getByRole('button', { name: 'Delete policy' }).click();
    await page.getByText('attached to 1 user, group or role').waitFor();
    await page.getByText('1 version besides the default').waitFor();
    await page.getByLabel(`Type ${managed} to confirm`).fill(managed);
    await page.getByRole('button', { name: 'Remove them and delete' }).click();
    await page.getByText(`Deleted policy ${managed}.`).waitFor();
    assert.doesNotMatch((await iamRaw('ListPolicies', { Scope: 'Local' })).text, new RegExp(managed));

    // Delete the user from the list: its inline policy goes first.
    await c.goto('#/access/users');
    await page.getByRole('button', { name: `Delete ${user}` }).click();
    const confirm = page.locator('tr.confirm');
    await confirm.getByText('1 inline policy').waitFor();
    await page.getByLabel(`Type ${user} to confirm`).fill(user);
    await confirm.getByRole('button', { name: 'Remove it and delete' }).click();
    await page.getByText(`Deleted user ${user}.`).waitFor();
    assert.equal(await page.getByText(`Deleted user ${user}.`).evaluate((el) => el === document.activeElement), true);
    assert.match((await iamRaw('GetUser', { UserName: user })).text, /NoSuchEntity/);
  } finally {
    await c.close();
    await root.dynamodb('DeleteTable', { TableName: table }).catch(() => {});
    await removeUser(user);
    const listed = (await iamRaw('ListPolicies', { Scope: 'Local' })).text;
    const arn = new RegExp(`<Arn>([^<]*:policy/${managed})</Arn>`).exec(listed);
    if (arn) {
      await iamRaw('DeletePolicyVersion', { PolicyArn: arn[1], VersionId: 'v2' });
      await iamRaw('DeletePolicy', { PolicyArn: arn[1] });
    }
  }
});

/** Deletes user `name` and whatever it still has (when a test stopped half way). */
async function removeUser(name) {
  const all = (action, tag) => iamRaw(action, { UserName: name }).then((r) => [...r.text.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]));
  for (const id of await all('ListAccessKeys', 'AccessKeyId')) await iamRaw('DeleteAccessKey', { UserName: name, AccessKeyId: id });
  for (const p of await all('ListUserPolicies', 'member')) await iamRaw('DeleteUserPolicy', { UserName: name, PolicyName: p });
  for (const a of await all('ListAttachedUserPolicies', 'PolicyArn')) await iamRaw('DetachUserPolicy', { UserName: name, PolicyArn: a });
  await iamRaw('DeleteUser', { UserName: name });
}

test('groups and roles: the lists render, page, create and delete in place', { skip }, async () => {
  const prefix = unique('e2e-grp').replace(/_/g, '-');
  // 26 groups: more than one page of 25.
  const groups = Array.from({ length: 26 }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
  const role = unique('e2e-role').replace(/_/g, '-');
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] });
  for (const g of groups.slice(1)) assert.ok((await iamRaw('CreateGroup', { GroupName: g })).ok, `CreateGroup ${g}`);
  assert.ok((await iamRaw('CreateRole', { RoleName: role, AssumeRolePolicyDocument: trust, Description: 'for the list test', MaxSessionDuration: 5400 })).ok);
  const c = await openConsole();
  const { page } = c;
  try {
    // Create a group through the form in place: its page, with the message.
    await c.signIn(undefined, '#/access/groups');
    await page.getByRole('heading', { name: 'Groups' }).waitFor();
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByLabel('Group name').fill('bad name');
    await page.getByLabel('Group name').press('Enter');
    await page.getByRole('alert').filter({ hasText: 'A group name holds letters' }).waitFor();
    await page.getByLabel('Group name').fill(groups[0]);
    await page.getByLabel('Group name').press('Enter');
    await page.waitForURL((u) => u.hash === `#/access/groups/${groups[0]}`);
    await page.getByText(`Created group ${groups[0]}.`).waitFor();
    assert.match((await iamRaw('GetGroup', { GroupName: groups[0] })).text, new RegExp(`<GroupName>${groups[0]}</GroupName>`));

    // The list, 25 a page: Next and Previous.
    await c.goto('#/access/groups');
    const list = page.getByRole('table', { name: 'Groups' });
    await list.waitFor();
    assert.equal(await list.locator('tbody tr').count(), 25);
    await page.getByText('Page 1: 25 groups; more on the next page.').waitFor();
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText(/^Page 2: \d+ groups?/).waitFor();
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText('Page 1: 25 groups; more on the next page.').waitFor();
    // 100 a page: every group of this test on one page; delete one from its row.
    await page.getByLabel('Groups a page').selectOption('100');
    await page.getByRole('link', { name: groups[25] }).waitFor();
    await c.screenshot('access-groups');
    await page.getByRole('button', { name: `Delete ${groups[0]}` }).click();
    await page.getByLabel(`Type ${groups[0]} to confirm`).fill(groups[0]);
    await page.locator('tr.confirm').getByRole('button', { name: 'Delete group' }).click();
    await page.getByText(`Deleted group ${groups[0]}.`).waitFor();
    assert.match((await iamRaw('GetGroup', { GroupName: groups[0] })).text, /NoSuchEntity/);
    assert.equal(await page.getByRole('link', { name: groups[0], exact: true }).count(), 0);

    // Roles: the row (description, longest session), Create's own page, Delete from the row.
    await page.getByRole('link', { name: 'Roles', exact: true }).click();
    const roles = page.getByRole('table', { name: 'Roles' });
    const row = roles.locator('tr').filter({ has: page.getByRole('link', { name: role }) });
    await row.waitFor();
    assert.match(await row.textContent(), /for the list test/);
    assert.match(await row.textContent(), /1 h 30 min/);
    await page.getByText(/^Page 1: \d+ roles?/).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Create role' }).getAttribute('href'), '#/access/roles/new');
    await c.screenshot('access-roles');
    await page.getByRole('button', { name: `Delete ${role}` }).click();
    await page.getByLabel(`Type ${role} to confirm`).fill(role);
    await page.locator('tr.confirm').getByRole('button', { name: 'Delete role' }).click();
    await page.getByText(`Deleted role ${role}.`).waitFor();
    assert.match((await iamRaw('GetRole', { RoleName: role })).text, /NoSuchEntity/);
  } finally {
    await c.close();
    for (const g of groups) await iamRaw('DeleteGroup', { GroupName: g });
    await iamRaw('DeleteRole', { RoleName: role });
  }
});

test('a user that cannot list users sees the refusal in place', { skip }, async () => {
  // Not every visitor is the root: the console signs every request, and IAM's refusal is shown.
  const name = unique('e2e_noiam').replace(/_/g, '-');
  await iamRaw('CreateUser', { UserName: name });
  const created = await iamRaw('CreateAccessKey', { UserName: name });
  const id = /<AccessKeyId>([^<]+)</.exec(created.text)[1];
  const secret = /<SecretAccessKey>([^<]+)</.exec(created.text)[1];
  await iamRaw('PutUserPolicy', {
    UserName: name,
    PolicyName: 'ListTablesOnly',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:ListTables', Resource: '*' }] }),
  });
  const c = await openConsole();
  try {
    await c.signIn({ accessKeyId: id, secretAccessKey: secret }, '#/access/users');
    await c.page.getByRole('alert').filter({ hasText: 'AccessDenied' }).waitFor();
    assert.match(await c.page.getByRole('alert').first().textContent(), /iam:ListUsers/);
  } finally {
    await c.close();
    await removeUser(name);
  }
});

test('the console\'s policy checks agree with the server', { skip }, async () => {
  // Each document: what js/policy.js says, and what PutUserPolicy answers, must agree.
  const { validatePolicy } = await import('../../console/js/policy.js');
  const ok = (s) => ({ Version: '2012-10-17', Statement: s });
  const allow = { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' };
  const docs = [
    JSON.stringify(ok(allow)),
    JSON.stringify(ok([allow, { ...allow, Sid: 'Two', Effect: 'Deny' }])),
    JSON.stringify({ Statement: allow }),
    JSON.stringify(ok({ ...allow, Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['${aws:username}'] } } })),
    JSON.stringify(ok({ ...allow, Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' }, NumericLessThanIfExists: { 'x:y': 3 } } })),
    JSON.stringify(ok({ ...allow, NotAction: 'iam:*', Action: undefined })),
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",}]}',
    JSON.stringify(ok([])),
    JSON.stringify({ Version: '2012-10-18', Statement: allow }),
    JSON.stringify(ok({ ...allow, Effect: 'allow' })),
    JSON.stringify(ok({ ...allow, Sid: 'a-b' })),
    JSON.stringify(ok([{ ...allow, Sid: 'A' }, { ...allow, Sid: 'A' }])),
    JSON.stringify(ok({ ...allow, Action: 'GetItem' })),
    JSON.stringify(ok({ ...allow, Action: 'dynamodb:Get:Item' })),
    JSON.stringify(ok({ ...allow, Action: '*:GetItem' })),
    JSON.stringify(ok({ ...allow, Action: [] })),
    JSON.stringify(ok({ ...allow, Resource: 'table' })),
    JSON.stringify(ok({ ...allow, Resource: undefined })),
    JSON.stringify(ok({ ...allow, NotResource: '*' })),
    JSON.stringify(ok({ ...allow, Principal: '*' })),
    JSON.stringify(ok({ ...allow, Conditions: {} })),
    JSON.stringify(ok({ ...allow, Condition: { StringEqual: { 'aws:username': 'a' } } })),
    JSON.stringify(ok({ ...allow, Condition: { NullIfExists: { 'aws:username': 'true' } } })),
    JSON.stringify(ok({ ...allow, Condition: { StringEquals: { username: 'a' } } })),
    JSON.stringify(ok({ ...allow, Condition: { DateLessThan: { 'aws:CurrentTime': 'soon' } } })),
    JSON.stringify(ok({ ...allow, Condition: { StringEquals: { 'aws:username': { a: 1 } } } })),
    JSON.stringify(ok({ ...allow, Condition: { StringEquals: 'x' } })),
    '[1]',
  ];
  const name = unique('e2e_policycheck');
  await iamRaw('CreateUser', { UserName: name });
  try {
    for (const doc of docs) {
      const mine = validatePolicy(doc).ok;
      const server = await iamRaw('PutUserPolicy', { UserName: name, PolicyName: 'Check', PolicyDocument: doc });
      assert.equal(mine, server.ok, `${doc}: the console says ${mine ? 'valid' : 'invalid'}, the server ${server.text}`);
      if (!server.ok) assert.match(server.text, /MalformedPolicyDocument/);
    }
  } finally {
    await removeUser(name);
  }
});

test('policy documents: Format keeps every number as written; __proto__ is a member like another', async () => {
  const { formatPolicy, validatePolicy, parseJson } = await import('../../console/js/policy.js');
  const text = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*",' +
    '"Condition":{"NumericLessThan":{"x:big":12345678901234567891,"x:dec":1.50,"x:exp":1E+2}}},"Id":"a\\u0041"}';
  const formatted = formatPolicy(text);
  assert.match(formatted, /"x:big": 12345678901234567891,/);
  assert.match(formatted, /"x:dec": 1\.50,/);
  assert.match(formatted, /"x:exp": 1E\+2\n/);
  assert.match(formatted, /"Id": "a\\u0041"/, 'strings as written');
  assert.equal(formatPolicy(formatted), formatted);
  assert.equal(formatPolicy('{"a": [] , "b": {}}'), '{\n  "a": [],\n  "b": {}\n}');
  assert.equal(formatPolicy('{"a": '), null);
  // Laid out as JSON.stringify lays it out.
  const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['a:b', 'c:d'], Resource: '*' }] };
  assert.equal(formatPolicy(JSON.stringify(doc)), JSON.stringify(doc, null, 2));
  // `__proto__` and `constructor` are members, not the prototype or an inherited name.
  const parsed = parseJson('{"__proto__": {"polluted": 1}, "constructor": 2}').value;
  assert.equal(Object.getPrototypeOf(parsed), null);
  assert.deepEqual(Object.keys(parsed), ['__proto__', 'constructor']);
  assert.equal({}.polluted, undefined);
  const r = validatePolicy('{"Version":"2012-10-17","__proto__":{},"Statement":{"Effect":"Allow","Action":"constructor:GetItem","Resource":"*"}}');
  assert.deepEqual(r.errors.map((e) => e.path), ['__proto__']);
  assert.deepEqual(r.warnings.map((w) => w.message), ['This server has no constructor service: the action never applies.']);
});
