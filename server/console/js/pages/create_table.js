// Create table: name, keys, billing mode, and global and local secondary indexes.

import { h, replace, field, showError } from '../dom.js';
import { TABLE_NAME_INPUT, keyFields, projectionFields, capacityFields } from '../schema_fields.js';
import { tableHash } from '../tabs.js';

export async function createTablePage(root, ctx) {
  const errors = h('div', { 'aria-live': 'polite' });
  const name = field({ label: 'Table name', type: 'text', spellcheck: 'false', autocomplete: 'off', required: true, autofocus: true, ...TABLE_NAME_INPUT });
  const pk = keyFields('Partition key', false);
  const sk = keyFields('Sort key', true);
  const onDemand = h('input', { type: 'radio', name: 'billing', value: 'PAY_PER_REQUEST', checked: true });
  const provisionedRadio = h('input', { type: 'radio', name: 'billing', value: 'PROVISIONED' });
  const provisioned = () => provisionedRadio.checked;
  const capacity = capacityFields();
  capacity.show(false);
  const gsis = [];
  const lsis = [];
  const gsiList = h('div', {});
  const lsiList = h('div', {});
  const onBilling = () => {
    capacity.show(provisioned());
    for (const g of gsis) g.capacity.show(provisioned());
  };
  onDemand.addEventListener('change', onBilling);
  provisionedRadio.addEventListener('change', onBilling);

  function addGsi() {
    const n = field({ label: 'Index name', type: 'text', spellcheck: 'false', autocomplete: 'off', required: true, ...TABLE_NAME_INPUT });
    const gpk = keyFields('Partition key', false);
    const gsk = keyFields('Sort key', true);
    const proj = projectionFields();
    const cap = capacityFields();
    cap.show(provisioned());
    const g = { name: n.input, pk: gpk, sk: gsk, proj, capacity: cap };
    const remove = h('button', { type: 'button', class: 'danger' }, 'Remove index');
    const box = h('fieldset', {}, h('legend', {}, 'Global secondary index'), h('div', { class: 'row' }, n.el, ...gpk.els, ...gsk.els), h('div', { class: 'row' }, ...proj.els), cap.el, remove);
    remove.addEventListener('click', () => {
      gsis.splice(gsis.indexOf(g), 1);
      box.remove();
      addGsiButton.focus();
    });
    gsis.push(g);
    gsiList.append(box);
    n.input.focus();
  }

  function addLsi() {
    const n = field({ label: 'Index name', type: 'text', spellcheck: 'false', autocomplete: 'off', required: true, ...TABLE_NAME_INPUT });
    const lsk = keyFields('Sort key', false);
    const proj = projectionFields();
    const l = { name: n.input, sk: lsk, proj };
    const remove = h('button', { type: 'button', class: 'danger' }, 'Remove index');
    const box = h('fieldset', {}, h('legend', {}, 'Local secondary index (same partition key as the table)'), h('div', { class: 'row' }, n.el, ...lsk.els), h('div', { class: 'row' }, ...proj.els), remove);
    remove.addEventListener('click', () => {
      lsis.splice(lsis.indexOf(l), 1);
      box.remove();
      addLsiButton.focus();
    });
    lsis.push(l);
    lsiList.append(box);
    n.input.focus();
  }

  const addGsiButton = h('button', { type: 'button', onclick: addGsi }, 'Add global index');
  const addLsiButton = h('button', { type: 'button', onclick: addLsi }, 'Add local index');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create table');

  const form = h(
    'form',
    { onsubmit: (ev) => { ev.preventDefault(); create(); } },
    errors,
    h('div', { class: 'panel' }, h('h2', {}, 'Table'), name.el, h('div', { class: 'row' }, ...pk.els, ...sk.els)),
    h(
      'div',
      { class: 'panel' },
      h('h2', {}, 'Capacity'),
      h('div', { class: 'field radios', role: 'radiogroup', 'aria-label': 'Billing mode' },
        h('label', {}, onDemand, 'On-demand'),
        h('label', {}, provisionedRadio, 'Provisioned')),
      capacity.el,
    ),
    h('div', { class: 'panel' }, h('h2', {}, 'Global secondary indexes'), gsiList, addGsiButton),
    h('div', { class: 'panel' }, h('h2', {}, 'Local secondary indexes'), lsiList, addLsiButton),
    h('div', { class: 'toolbar' }, submit, h('a', { href: '#/tables' }, 'Cancel')),
  );
  replace(root, h('h1', {}, 'Create table'), form);

  /** The CreateTable request the form describes; throws on a contradiction. */
  function request() {
    const defs = new Map();
    const define = (k) => {
      const n = k.name.value.trim();
      if (!n) return null;
      const had = defs.get(n);
      if (had && had !== k.type.value) {
        throw Object.assign(new Error(`Attribute ${n} is given two types: ${had} and ${k.type.value}.`), { code: 'FormError' });
      }
      defs.set(n, k.type.value);
      return n;
    };
    const keys = (hash, range) => {
      const ks = [{ AttributeName: hash, KeyType: 'HASH' }];
      if (range) ks.push({ AttributeName: range, KeyType: 'RANGE' });
      return ks;
    };
    const hash = define(pk);
    const range = define(sk);
    const r = { TableName: name.input.value.trim(), KeySchema: keys(hash, range) };
    if (provisioned()) {
      r.BillingMode = 'PROVISIONED';
      r.ProvisionedThroughput = capacity.value();
    } else {
      r.BillingMode = 'PAY_PER_REQUEST';
    }
    if (gsis.length) {
      r.GlobalSecondaryIndexes = gsis.map((g) => {
        const gi = { IndexName: g.name.value.trim(), KeySchema: keys(define(g.pk), define(g.sk)), Projection: g.proj.value() };
        if (provisioned()) gi.ProvisionedThroughput = g.capacity.value();
        return gi;
      });
    }
    if (lsis.length) {
      r.LocalSecondaryIndexes = lsis.map((l) => ({
        IndexName: l.name.value.trim(),
        KeySchema: keys(hash, define(l.sk)),
        Projection: l.proj.value(),
      }));
    }
    r.AttributeDefinitions = [...defs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
    return r;
  }

  async function create() {
    replace(errors);
    submit.disabled = true;
    try {
      const r = request();
      await ctx.api.dynamodb('CreateTable', r);
      ctx.navigate(tableHash(r.TableName));
    } catch (e) {
      if (!ctx.current()) return;
      showError(errors, e);
    } finally {
      submit.disabled = false;
    }
  }
}
