// A table's Time to Live (`#/table/<name>/ttl`): its setting (DescribeTimeToLive), enabling it
// on an attribute and disabling it (UpdateTimeToLive, the server's refusals shown in place,
// such as a second change within the cooldown), and a preview: a small Scan page of the
// items' keys and TTL attribute, each value read as a date and judged expired or not, with the
// scan's latency breakdown (trace_view.js) under a disclosure.

import { h, replace, errorBox, field, facts, notice, showError } from '../dom.js';
import { time } from '../format.js';
import { keyNames, displayValue, typeOf, TYPE_NAMES } from '../ddbjson.js';
import { traceView } from '../trace_view.js';

/** Items a preview page scans. */
const PREVIEW_PAGE = 25;
/** Epoch seconds past this (the year 5138) are most likely milliseconds. */
const SECONDS_MAX = 1e11;

/** `in 5 min`, `3 h ago`, `now`. */
export function relative(seconds, now = Date.now() / 1000) {
  const d = seconds - now;
  const a = Math.abs(d);
  const units = [
    [86400 * 365, 'y'],
    [86400, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  if (a < 1) return 'now';
  const [u, name] = units.find(([n]) => a >= n);
  const v = Math.floor(a / u);
  return d > 0 ? `in ${v} ${name}` : `${v} ${name} ago`;
}

/**
 * What the TTL attribute value `av` means: `{ state, date, note }`, `state` one of `expired`,
 * `live`, `missing`, `ignored` (not a Number, or not a plausible epoch second).
 */
export function judge(av, now = Date.now() / 1000) {
  if (av === undefined) return { state: 'missing', note: 'no TTL attribute: never expires' };
  if (typeOf(av) !== 'N') return { state: 'ignored', note: `a ${TYPE_NAMES[typeOf(av)] || 'malformed'} value, not a Number: never expires` };
  const s = Number(av.N);
  if (!Number.isFinite(s) || s < 0) return { state: 'ignored', note: 'not a time in epoch seconds: never expires' };
  if (s > SECONDS_MAX) return { state: 'ignored', note: 'far in the future: milliseconds rather than seconds?' };
  const date = time(s);
  if (s <= now) return { state: 'expired', date, note: `expired ${relative(s, now)}: deleted at the next pass` };
  return { state: 'live', date, note: `expires ${relative(s, now)}` };
}

export async function ttlPage(root, ctx) {
  const [name] = ctx.params;
  let keys = [];
  let setting = null;
  const statusBody = h('div', {});
  const errors = h('div', { 'aria-live': 'polite' });
  const notices = h('div', { 'aria-live': 'polite' });
  const attr = field({ label: 'TTL attribute', hint: '(a Number of epoch seconds)', type: 'text', spellcheck: 'false', autocomplete: 'off', required: true, maxlength: '255' });
  const enable = h('button', { type: 'submit', class: 'primary' }, 'Enable TTL');
  const disable = h('button', { type: 'button', class: 'danger' }, 'Disable TTL');
  const enableForm = h('form', { class: 'ttl-form', onsubmit: (ev) => { ev.preventDefault(); change(true); } }, h('div', { class: 'row' }, attr.el, h('div', { class: 'field' }, enable)));
  const disableBox = h('div', { class: 'toolbar ttl-form' }, disable);
  const previewBody = h('div', {});
  const previewStatus = h('p', { class: 'muted', role: 'status' });
  const scanButton = h('button', { type: 'button' }, 'Scan first page');
  const nextButton = h('button', { type: 'button', disabled: true }, 'Next page');
  let lastKey = null;

  replace(
    root,
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Time to live'),
      statusBody,
      notices,
      errors,
      enableForm,
      disableBox,
      h(
        'p',
        { class: 'muted' },
        'With TTL on, the server deletes each item whose TTL attribute is a Number of seconds since the epoch (1970-01-01 UTC) in the past, ',
        'in the background, through the normal write path (its stream record is a REMOVE by the service). ',
        'Items without the attribute, or with a value of another type, never expire. An expired item can still be read until it is deleted: filter on the attribute to hide it sooner. ',
        'The setting can change only once within the server’s cooldown (DynamoDB: an hour); to move TTL to another attribute, disable it, then enable it on the new one.',
      ),
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Preview'),
      h('p', { class: 'muted' }, `A Scan of ${PREVIEW_PAGE} items at a time (their keys and the TTL attribute only), each TTL value read as a date in UTC. Uses the enabled attribute, or the one typed above.`),
      h('div', { class: 'toolbar' }, scanButton, nextButton, previewStatus),
      previewBody,
    ),
  );

  disable.addEventListener('click', () => change(false));
  scanButton.addEventListener('click', () => preview(null));
  nextButton.addEventListener('click', () => preview(lastKey));

  function previewAttribute() {
    return setting?.TimeToLiveStatus === 'ENABLED' || setting?.TimeToLiveStatus === 'ENABLING' ? setting.AttributeName : attr.input.value.trim();
  }

  function render() {
    const s = setting?.TimeToLiveStatus || 'DISABLED';
    const on = s === 'ENABLED' || s === 'ENABLING';
    replace(
      statusBody,
      facts([
        ['Status', h('span', { class: `status ${s}` }, s)],
        ['Attribute', setting?.AttributeName ? h('code', {}, setting.AttributeName) : null],
      ]),
    );
    enableForm.classList.toggle('hidden', on);
    disableBox.classList.toggle('hidden', !on);
    replace(disable, setting?.AttributeName ? `Disable TTL on ${setting.AttributeName}` : 'Disable TTL');
  }

  async function load() {
    const [d, t] = await Promise.allSettled([
      ctx.api.dynamodb('DescribeTable', { TableName: name }),
      ctx.api.dynamodb('DescribeTimeToLive', { TableName: name }),
    ]);
    if (!ctx.current()) return false;
    if (d.status === 'fulfilled') keys = keyNames(d.value.Table.KeySchema);
    if (t.status === 'rejected' || d.status === 'rejected') {
      replace(errors, errorBox(t.status === 'rejected' ? t.reason : d.reason));
      return false;
    }
    setting = t.value.TimeToLiveDescription || null;
    render();
    return true;
  }

  async function change(on) {
    replace(errors);
    replace(notices);
    const attributeName = on ? attr.input.value.trim() : setting?.AttributeName;
    const button = on ? enable : disable;
    button.disabled = true;
    try {
      const r = await ctx.api.dynamodb('UpdateTimeToLive', { TableName: name, TimeToLiveSpecification: { Enabled: on, AttributeName: attributeName } });
      if (!ctx.current()) return;
      const spec = r.TimeToLiveSpecification || {};
      replace(notices, notice(spec.Enabled ? `TTL enabled on ${spec.AttributeName}.` : `TTL disabled (it was on ${spec.AttributeName}).`));
      await load();
      (on ? disable : attr.input).focus();
      if (on) preview(null);
    } catch (e) {
      if (!ctx.current()) return;
      showError(errors, e);
    } finally {
      button.disabled = false;
    }
  }

  async function preview(start) {
    const a = previewAttribute();
    if (!a) {
      replace(previewStatus, 'Type the TTL attribute above to preview it.');
      attr.input.focus();
      return;
    }
    scanButton.disabled = true;
    nextButton.disabled = true;
    replace(previewStatus, 'Scanning…');
    const names = [...new Set([...keys, a])];
    const attributeNames = Object.fromEntries(names.map((n, i) => [`#a${i}`, n]));
    const req = {
      TableName: name,
      Limit: PREVIEW_PAGE,
      ProjectionExpression: Object.keys(attributeNames).join(', '),
      ExpressionAttributeNames: attributeNames,
    };
    if (start) req.ExclusiveStartKey = start;
    try {
      const r = await ctx.api.dynamodb('Scan', req, { trace: true });
      if (!ctx.current()) return;
      lastKey = r.LastEvaluatedKey || null;
      const now = Date.now() / 1000;
      const items = r.Items || [];
      const judged = items.map((item) => [item, judge(item[a], now)]);
      const expired = judged.filter(([, j]) => j.state === 'expired').length;
      replace(previewStatus, `${items.length} items ${start ? '(a later page)' : '(first page)'}; ${expired} expired, not yet deleted${lastKey ? '; more remain' : '; the last page'}. Scanned at ${new Date(now * 1000).toLocaleTimeString()}.`);
      replace(
        previewBody,
        items.length === 0
          ? h('p', { class: 'muted' }, 'No items.')
          : h(
              'table',
              { class: 'list ttl-preview' },
              h(
                'thead',
                {},
                h('tr', {}, keys.map((k) => h('th', { scope: 'col' }, k)), h('th', { scope: 'col' }, a, h('span', { class: 'hint' }, ' (value)')), h('th', { scope: 'col' }, 'As a date (UTC)'), h('th', { scope: 'col' }, 'State')),
              ),
              h(
                'tbody',
                {},
                judged.map(([item, j]) =>
                  h(
                    'tr',
                    { class: `ttl-${j.state}` },
                    keys.map((k) => h('td', {}, h('code', {}, displayValue(item[k], 60)))),
                    h('td', {}, item[a] === undefined ? h('span', { class: 'muted' }, '—') : h('code', {}, displayValue(item[a], 40))),
                    h('td', {}, j.date || '—'),
                    h('td', {}, h('span', { class: `ttl-state ${j.state}` }, { expired: 'Expired', live: 'Live', missing: 'No TTL', ignored: 'Ignored' }[j.state]), ' ', h('span', { class: 'muted' }, j.note)),
                  ),
                ),
              ),
            ),
        r.$trace
          ? h('details', { class: 'ttl-trace' }, h('summary', {}, 'Where this scan’s time went'), traceView(r.$trace, { title: `Scan of ${name} (${items.length} items)` }))
          : null,
      );
    } catch (e) {
      if (!ctx.current()) return;
      replace(previewStatus);
      replace(previewBody, errorBox(e));
    } finally {
      scanButton.disabled = false;
      nextButton.disabled = !lastKey;
    }
  }

  if (await load()) {
    if (previewAttribute()) await preview(null);
    else replace(previewStatus, 'Type the TTL attribute above to preview it.');
  }
}
