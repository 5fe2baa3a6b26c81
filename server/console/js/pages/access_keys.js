// A user's access keys: ListAccessKeys; CreateAccessKey, whose secret is shown this once (with
// copy buttons and a warning); UpdateAccessKey (active / inactive); DeleteAccessKey.

import { h, replace, errorBox, facts, showNotice } from '../dom.js';
import { members, record, find, result } from '../xml.js';
import { confirmInRow } from '../confirm.js';
import { listTable, when, copyButton, loadSection } from './access_common.js';

/** Most access keys a user may have (IAM's quota). */
export const KEYS_MAX = 2;

/** The access keys panel of user `name`. */
export function keysSection(ctx, name) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const fresh = h('div', {});
  const said = h('div', { 'aria-live': 'polite' });
  const createButton = h('button', { type: 'button', class: 'primary', onclick: () => create() }, 'Create access key');
  const panel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'keys_h' },
    h('div', { class: 'toolbar' }, h('h2', { id: 'keys_h' }, 'Access keys'), h('span', { class: 'spacer' }), createButton),
    h('p', { class: 'muted' }, `They sign requests as ${name}. At most ${KEYS_MAX}, to rotate: create a new key, move programs to it, make the old one inactive, then delete it.`),
    fresh,
    said,
    body,
  );

  async function create() {
    replace(said);
    createButton.disabled = true;
    let doc;
    try {
      doc = await ctx.api.iam('CreateAccessKey', { UserName: name });
    } catch (e) {
      createButton.disabled = false;
      replace(said, errorBox(e));
      return;
    }
    const k = record(find(result(doc), 'AccessKey'), ['AccessKeyId', 'SecretAccessKey', 'Status', 'CreateDate']);
    showSecret(k);
    await load();
  }

  function showSecret(k) {
    const idInput = h('input', { type: 'text', readonly: true, value: k.AccessKeyId, 'aria-label': 'New access key id', class: 'mono', spellcheck: 'false' });
    const secretInput = h('input', { type: 'text', readonly: true, value: k.SecretAccessKey, 'aria-label': 'New secret access key', class: 'mono', spellcheck: 'false', autocomplete: 'off' });
    const done = h('button', {
      type: 'button',
      class: 'primary',
      onclick: () => {
        // The secret leaves the page for good.
        secretInput.value = '';
        replace(fresh);
        showNotice(said, `Key ${k.AccessKeyId} is ready. Its secret is no longer shown anywhere.`);
      },
    }, 'Done: I saved the secret');
    replace(
      fresh,
      h(
        'div',
        { class: 'secret-box', role: 'region', 'aria-label': 'New access key' },
        h('p', { class: 'secret-warning', role: 'alert' },
          h('strong', {}, 'Copy the secret access key now. '),
          'This is the only time it is shown: the server keeps it sealed and never answers it again. If it is lost, create another key and delete this one.'),
        facts([
          ['Access key id', h('div', { class: 'copy-row' }, idInput, copyButton('Copy key id', () => k.AccessKeyId, idInput))],
          ['Secret access key', h('div', { class: 'copy-row' }, secretInput, copyButton('Copy secret', () => k.SecretAccessKey, secretInput))],
        ]),
        h('div', { class: 'toolbar' }, done),
      ),
    );
    secretInput.focus();
    secretInput.select();
  }

  async function load() {
    const doc = await loadSection(ctx, body, () => ctx.api.iam('ListAccessKeys', { UserName: name, MaxItems: 100 }));
    if (!doc) return;
    const keys = members(doc, 'AccessKeyMetadata').map((m) => record(m, ['AccessKeyId', 'Status', 'CreateDate']));
    createButton.disabled = keys.length >= KEYS_MAX;
    createButton.title = createButton.disabled ? `A user has at most ${KEYS_MAX} access keys: delete one first.` : '';
    if (!keys.length) {
      replace(body, h('p', { class: 'muted' }, 'No access keys: this user cannot sign requests yet.'));
      return;
    }
    const rows = keys.map((k) => {
      const mine = k.AccessKeyId === ctx.api.accessKeyId;
      const active = k.Status === 'Active';
      const toggle = h('button', { type: 'button', 'aria-label': `${active ? 'Make inactive' : 'Make active'} ${k.AccessKeyId}` }, active ? 'Make inactive' : 'Make active');
      const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${k.AccessKeyId}` }, 'Delete');
      const tr = h(
        'tr',
        {},
        h('td', {}, h('code', {}, k.AccessKeyId), mine ? h('div', { class: 'hint' }, 'This console is signed in with it.') : null),
        h('td', {}, h('span', { class: `status ${active ? 'ACTIVE' : 'DISABLED'}` }, k.Status)),
        h('td', { class: 'nowrap', title: when(k.CreateDate) }, when(k.CreateDate).slice(0, 10)),
        h('td', {}, toggle, ' ', del),
      );
      toggle.addEventListener('click', () => {
        const go = () => ctx.api.iam('UpdateAccessKey', { UserName: name, AccessKeyId: k.AccessKeyId, Status: active ? 'Inactive' : 'Active' });
        // The row is drawn again: the focus goes to the message.
        const done = () => {
          showNotice(said, `Key ${k.AccessKeyId} is now ${active ? 'inactive: requests signed with it are refused' : 'active'}.`);
          load();
        };
        if (active) {
          confirmInRow(tr, 4, toggle, {
            message: h('p', {}, 'Make ', h('code', {}, k.AccessKeyId), ' inactive? Requests signed with it are refused until it is made active again.', mine ? ' This console is signed in with it: you will be signed out of the server\'s point of view.' : ''),
            confirmLabel: 'Make inactive',
            run: go,
            onDone: done,
          });
        } else {
          toggle.disabled = true;
          go().then(done, (e) => {
            toggle.disabled = false;
            replace(said, errorBox(e));
          });
        }
      });
      del.addEventListener('click', () =>
        confirmInRow(tr, 4, del, {
          message: h('p', {}, 'Delete access key ', h('code', {}, k.AccessKeyId), '? ',
            active ? 'It is active: programs signing with it stop working now (making it inactive first lets you check nothing still uses it). ' : '',
            mine ? 'This console is signed in with it. ' : '', 'This cannot be undone.'),
          run: () => ctx.api.iam('DeleteAccessKey', { UserName: name, AccessKeyId: k.AccessKeyId }),
          onDone: () => {
            showNotice(said, `Deleted access key ${k.AccessKeyId}.`);
            load();
          },
        }),
      );
      return tr;
    });
    replace(body, listTable(['Access key id', 'Status', 'Created', ''], rows, 'Access keys'), h('p', { class: 'muted' }, `${keys.length} of at most ${KEYS_MAX}.`));
  }

  load();
  return panel;
}
