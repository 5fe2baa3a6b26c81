// The form controls of a table's shape, shared by Create table (pages/create_table.js), a new
// global index (pages/indexes.js) and a restore's target (restore.js): DynamoDB's rule for
// table and index names, a key's name and type, an index's projection, capacity units.

import { h, replace, field, select, labelled } from './dom.js';
import { KEY_TYPES, TYPE_NAMES } from './ddbjson.js';

/** DynamoDB's table (and index) names: 3 to 255 of `a-z A-Z 0-9 _ . -`. */
export const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
/** `TABLE_NAME` as an input's `pattern` and `title`. */
export const TABLE_NAME_INPUT = { pattern: '[a-zA-Z0-9_.\\-]{3,255}', title: '3 to 255 letters, digits, _ - .' };
/** What `TABLE_NAME` allows, as a sentence's end. */
export const TABLE_NAME_RULE = '3 to 255 letters, digits, underscores, dots or dashes';

/** The projections an index may have: `[type, label]`. */
export const PROJECTIONS = [['ALL', 'All attributes'], ['KEYS_ONLY', 'Keys only'], ['INCLUDE', 'Keys and listed attributes']];

/**
 * A key's name and type side by side: `{ els, name, type }` (`name`, `type`: the controls).
 * `defined(name)`, when given, answers the type an attribute already has (or null): such a name
 * keeps its type (one attribute, one type), said beside the select.
 */
export function keyFields(label, optional, defined) {
  const name = field({ label, hint: optional ? '(optional)' : '', type: 'text', spellcheck: 'false', autocomplete: 'off', required: !optional });
  const type = select(KEY_TYPES, 'S', {});
  const typeField = labelled(['Type', h('span', { class: 'sr-only' }, ` of the ${label.toLowerCase()}`)], type, 'narrow');
  const hint = h('span', { class: 'hint' });
  typeField.el.append(hint);
  if (defined) {
    name.input.addEventListener('input', () => {
      const t = defined(name.input.value.trim());
      type.disabled = !!t;
      if (t) type.value = t;
      replace(hint, t ? `defined as ${TYPE_NAMES[t] || t}` : '');
    });
  }
  return { els: [name.el, typeField.el], name: name.input, type };
}

/** An index's projection and its attributes (for INCLUDE): `{ els, value() }`. */
export function projectionFields() {
  const type = select(PROJECTIONS, 'ALL', {});
  const typeField = labelled('Projection', type);
  const attrs = field({ label: 'Projected attributes', hint: '(comma-separated, besides the keys)', type: 'text', spellcheck: 'false', autocomplete: 'off' });
  attrs.el.classList.add('hidden');
  type.addEventListener('change', () => attrs.el.classList.toggle('hidden', type.value !== 'INCLUDE'));
  return {
    els: [typeField.el, attrs.el],
    /** The Projection; throws when INCLUDE lists no attribute. */
    value() {
      const p = { ProjectionType: type.value };
      if (type.value === 'INCLUDE') {
        p.NonKeyAttributes = attrs.input.value.split(',').map((s) => s.trim()).filter(Boolean);
        if (p.NonKeyAttributes.length === 0) throw Object.assign(new Error('INCLUDE needs at least one projected attribute.'), { code: 'FormError' });
      }
      return p;
    },
  };
}

/**
 * Read and write capacity units: `{ el, rcu, wcu, show(on), value() }`; `p` (a
 * ProvisionedThroughput) gives the starting values (5 and 5 without).
 */
export function capacityFields(p) {
  const rcu = field({ label: 'Read capacity units', type: 'number', min: '1', step: '1', required: true, value: String(p?.ReadCapacityUnits ?? 5), class: 'narrow units' });
  const wcu = field({ label: 'Write capacity units', type: 'number', min: '1', step: '1', required: true, value: String(p?.WriteCapacityUnits ?? 5), class: 'narrow units' });
  const el = h('div', { class: 'row' }, rcu.el, wcu.el);
  return {
    el,
    rcu: rcu.input,
    wcu: wcu.input,
    show: (on) => el.classList.toggle('hidden', !on),
    /** The ProvisionedThroughput; throws unless both are whole numbers of at least 1. */
    value() {
      const r = Number(rcu.input.value);
      const w = Number(wcu.input.value);
      if (!Number.isInteger(r) || r < 1 || !Number.isInteger(w) || w < 1) {
        throw Object.assign(new Error('Read and write capacity units are whole numbers of at least 1.'), { code: 'FormError' });
      }
      return { ReadCapacityUnits: r, WriteCapacityUnits: w };
    },
  };
}
