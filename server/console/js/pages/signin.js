// Sign in: credentials entered once, checked by calling ListTables, kept in sessionStorage.

import { h, errorBox, field, replace } from '../dom.js';
import * as session from '../session.js';

export async function signinPage(root, ctx) {
  const saved = session.load() || {};
  // autocomplete off on every field: a password manager must not offer to save the secret key
  // (it is kept in this tab only), nor fill it in elsewhere.
  const key = field({ label: 'Access key id', type: 'text', name: 'accessKeyId', autocomplete: 'off', spellcheck: 'false', required: true, autofocus: true, value: saved.accessKeyId || '' });
  const secret = field({ label: 'Secret access key', type: 'password', name: 'secretAccessKey', autocomplete: 'off', required: true });
  const token = field({ label: 'Session token', hint: '(optional: for temporary credentials from STS)', type: 'password', name: 'sessionToken', autocomplete: 'off' });
  const region = field({ label: 'Region', type: 'text', name: 'region', spellcheck: 'false', autocomplete: 'off', value: saved.region || 'us-east-1', required: true });
  const errors = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'panel',
      autocomplete: 'off',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const creds = {
          accessKeyId: key.input.value.trim(),
          secretAccessKey: secret.input.value,
          sessionToken: token.input.value.trim(),
          region: region.input.value.trim() || 'us-east-1',
        };
        replace(errors);
        submit.disabled = true;
        submit.textContent = 'Signing in…';
        try {
          // The credentials are good when the server answers a signed ListTables.
          await session.apiFor(creds).dynamodb('ListTables', { Limit: 1 });
          session.save(creds);
          const next = sessionStorage.getItem('shale.console.next') || '#/tables';
          sessionStorage.removeItem('shale.console.next');
          ctx.navigate(next === '#/signin' ? '#/tables' : next);
        } catch (e) {
          replace(errors, errorBox(e));
          secret.input.focus();
        } finally {
          submit.disabled = false;
          submit.textContent = 'Sign in';
        }
      },
    },
    errors,
    key.el,
    secret.el,
    token.el,
    region.el,
    h('div', { class: 'toolbar' }, submit),
  );
  replace(
    root,
    h(
      'div',
      { class: 'signin' },
      h('h1', {}, 'Sign in'),
      h(
        'p',
        { class: 'muted' },
        'Every request the console makes is signed with these credentials (SigV4) in this browser. ',
        'They are kept in this tab only (sessionStorage); the secret key never leaves this browser.',
      ),
      form,
    ),
  );
}
