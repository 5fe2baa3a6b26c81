// What restoring a table from a backup and to a point in time share: the target table's name,
// the billing mode override, and the restored table (a link, its status polled until ACTIVE).
//
// `restoreForm(ctx, { title, suggested, fields, prepare, send, onCancel })` answers a
// `<form>`:
// - `fields`: more controls, placed after the target name;
// - `prepare()`: checks them (throws an Error whose message is shown) and answers more of the
//   request's members (may be async);
// - `send(body)`: makes the request with `TargetTableName` and the overrides merged in;
//   answers its TableDescription (RestoreTableFromBackup and RestoreTableToPointInTime do);
// - `onCancel`: when given, a Cancel button (and Escape) calls it.
// Errors (the client's checks and the server's, say TableAlreadyExistsException) are shown at
// the top of the form; a success replaces the form's controls by the restored table.

import { h, replace, errorBox, field, select, labelled, focusOn, showError } from './dom.js';
import { TABLE_NAME, TABLE_NAME_RULE, capacityFields } from './schema_fields.js';
import { tableHash } from './tabs.js';

/** How long the restored table's status is polled at most. */
const POLL_MS = 10 * 60 * 1000;

/** The billing-mode override controls: `{ el, overrides() }` (throws on a bad number). */
export function billingOverride() {
  const mode = select(
    [
      ['', 'Same as the source'],
      ['PAY_PER_REQUEST', 'On-demand'],
      ['PROVISIONED', 'Provisioned'],
    ],
    '',
  );
  const units = capacityFields();
  units.show(false);
  mode.addEventListener('change', () => units.show(mode.value === 'PROVISIONED'));
  const el = h('div', {}, labelled('Billing mode of the new table', mode).el, units.el);
  function overrides() {
    if (!mode.value) return {};
    if (mode.value === 'PAY_PER_REQUEST') return { BillingModeOverride: 'PAY_PER_REQUEST' };
    return { BillingModeOverride: 'PROVISIONED', ProvisionedThroughputOverride: units.value() };
  }
  return { el, overrides };
}

/** A link to table `name` and its status, polled with DescribeTable until ACTIVE. */
export function restoredTable(ctx, name, firstStatus) {
  const status = h('span', { class: `status ${firstStatus || ''}` }, firstStatus || '…');
  const el = h(
    'div',
    { class: 'notice', role: 'status' },
    'Restored into ',
    h('a', { href: tableHash(name) }, name),
    ': ',
    status,
  );
  const set = (s) => {
    status.className = `status ${s}`;
    status.textContent = s;
  };
  (async () => {
    const end = Date.now() + POLL_MS;
    let s = firstStatus;
    while (s !== 'ACTIVE' && Date.now() < end) {
      try {
        const d = await ctx.api.dynamodb('DescribeTable', { TableName: name });
        s = d.Table.TableStatus + (d.Table.RestoreSummary?.RestoreInProgress ? ' (restore in progress)' : '');
      } catch (e) {
        s = e.code || 'error';
      }
      if (!ctx.current() || !el.isConnected) return;
      set(s);
      if (s !== 'ACTIVE') await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return el;
}

export function restoreForm(ctx, { title, suggested = '', fields = [], prepare = () => ({}), send, onCancel, submitLabel = 'Restore' }) {
  const errors = h('div', { 'aria-live': 'polite' });
  const target = field({ label: 'New table name', type: 'text', value: suggested, required: true, spellcheck: 'false', autocomplete: 'off', hint: `${TABLE_NAME_RULE}; must not exist` });
  const billing = billingOverride();
  const go = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  const controls = h(
    'div',
    {},
    target.el,
    fields,
    billing.el,
    h('div', { class: 'toolbar' }, go, onCancel ? h('button', { type: 'button', onclick: onCancel }, 'Cancel') : null),
  );
  const formControls = [...controls.childNodes];
  const form = h(
    'form',
    {
      class: 'restore-form',
      novalidate: true,
      'aria-label': title,
      onkeydown: (ev) => {
        if (ev.key === 'Escape' && onCancel) {
          ev.preventDefault();
          onCancel();
        }
      },
      onsubmit: async (ev) => {
        ev.preventDefault();
        replace(errors);
        const name = target.input.value.trim();
        let body;
        try {
          if (!TABLE_NAME.test(name)) throw new Error(`The new table name must be ${TABLE_NAME_RULE}.`);
          body = { TargetTableName: name, ...(await prepare()), ...billing.overrides() };
        } catch (e) {
          showError(errors, e);
          return;
        }
        go.disabled = true;
        go.textContent = 'Restoring…';
        try {
          const d = await send(body);
          if (!form.isConnected) return;
          const t = d.TableDescription || d.Table || {};
          const again = h('button', { type: 'button' }, 'Another restore');
          again.addEventListener('click', () => {
            replace(controls, ...formControls);
            target.input.value = '';
            target.input.focus();
          });
          const restored = restoredTable(ctx, t.TableName || name, t.TableStatus);
          replace(
            controls,
            restored,
            h('div', { class: 'toolbar' }, again, onCancel ? h('button', { type: 'button', onclick: onCancel }, 'Close') : null),
          );
          // The Restore button is gone: the focus goes to what happened.
          focusOn(restored);
        } catch (e) {
          replace(errors, errorBox(e));
        } finally {
          go.disabled = false;
          go.textContent = submitLabel;
        }
      },
    },
    title ? h('h3', {}, title) : null,
    errors,
    controls,
  );
  return { el: form, focus: () => target.input.focus() };
}
