// A table's point-in-time recovery: DescribeContinuousBackups (status, recovery period, the
// restorable window), turning it on and off and changing its period (UpdateContinuousBackups),
// and restoring the table as of an instant of the window to a new table
// (RestoreTableToPointInTime: the latest restorable time, or a UTC date and time checked
// against the window as the server describes it when the form is sent).
//
// `pitrPanel(ctx, table)` answers `{ el, load() }`.

import { h, replace, errorBox, field } from './dom.js';
import { time } from './format.js';
import { restoreForm } from './restore.js';

const PERIOD_MIN = 1;
const PERIOD_MAX = 35;

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]));
}

/** Seconds since the epoch as the value of a `datetime-local` input, read as UTC. */
export function inputValue(seconds) {
  return new Date(Math.floor(seconds) * 1000).toISOString().slice(0, 19);
}

/** A `datetime-local` value (`2026-12-07T12:08` or with seconds) read as UTC: seconds, or NaN. */
export function parseUtc(value) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value || '')) return NaN;
  return Date.parse(`${value}Z`) / 1000;
}

/** Whether instant `t` (seconds) is inside the window `p` describes; an Error saying why not. */
export function checkInWindow(t, p) {
  if (!Number.isFinite(t)) return new Error('Enter the date and time to restore to (UTC), to the second.');
  const earliest = Number(p.EarliestRestorableDateTime);
  const latest = Number(p.LatestRestorableDateTime);
  if (t < Math.floor(earliest)) return new Error(`${time(t)} is before the earliest restorable time, ${time(earliest)}.`);
  if (t > latest) return new Error(`${time(t)} is after the latest restorable time, ${time(latest)}.`);
  return null;
}

export function pitrPanel(ctx, table) {
  const errors = h('div', { 'aria-live': 'polite' });
  const body = h('div', {});
  const el = h('section', { class: 'panel', 'aria-labelledby': 'pitr-h' }, h('h2', { id: 'pitr-h' }, 'Point-in-time recovery'), errors, body);

  async function describe() {
    const r = await ctx.api.dynamodb('DescribeContinuousBackups', { TableName: table });
    return r.ContinuousBackupsDescription?.PointInTimeRecoveryDescription || {};
  }

  async function update(spec, message) {
    replace(errors);
    try {
      await ctx.api.dynamodb('UpdateContinuousBackups', { TableName: table, PointInTimeRecoverySpecification: spec });
      await load(message);
    } catch (e) {
      replace(errors, errorBox(e));
    }
  }

  function periodForm(p, enabled) {
    const days = field({
      label: 'Recovery period',
      type: 'number',
      min: String(PERIOD_MIN),
      max: String(PERIOD_MAX),
      step: '1',
      value: String(p.RecoveryPeriodInDays || PERIOD_MAX),
      hint: `days, ${PERIOD_MIN}–${PERIOD_MAX}`,
    });
    const go = h('button', { type: 'submit', class: enabled ? '' : 'primary' }, enabled ? 'Change period' : 'Turn on point-in-time recovery');
    return h(
      'form',
      {
        class: 'inline-form',
        novalidate: true,
        onsubmit: async (ev) => {
          ev.preventDefault();
          const n = Number(days.input.value);
          if (!Number.isInteger(n) || n < PERIOD_MIN || n > PERIOD_MAX) {
            replace(errors, errorBox(new Error(`The recovery period is a whole number of days from ${PERIOD_MIN} to ${PERIOD_MAX}.`)));
            return;
          }
          go.disabled = true;
          await update({ PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: n }, enabled ? `Recovery period set to ${n} days.` : 'Point-in-time recovery is on.');
          go.disabled = false;
        },
      },
      days.el,
      h('div', { class: 'field' }, go),
    );
  }

  function turnOff(holder, opener) {
    if (holder.firstChild) return;
    const go = h('button', { type: 'button', class: 'danger primary' }, 'Turn off');
    const cancel = () => {
      replace(holder);
      opener.focus();
    };
    go.addEventListener('click', () => update({ PointInTimeRecoveryEnabled: false }, 'Point-in-time recovery is off.'));
    replace(
      holder,
      h(
        'div',
        {
          class: 'confirm-box',
          onkeydown: (ev) => {
            if (ev.key === 'Escape') {
              ev.preventDefault();
              cancel();
            }
          },
        },
        h('p', {}, 'Turn off point-in-time recovery? The restorable window is discarded: turning it on again starts a new window from then.'),
        h('div', { class: 'toolbar' }, go, h('button', { type: 'button', onclick: cancel }, 'Cancel')),
      ),
    );
    go.focus();
  }

  function restoreToTime(p) {
    const latest = h('input', { type: 'radio', name: 'pitr-when', value: 'latest', checked: true, id: 'pitr-latest' });
    const chosen = h('input', { type: 'radio', name: 'pitr-when', value: 'time', id: 'pitr-time' });
    const when = field({
      label: 'Date and time (UTC)',
      type: 'datetime-local',
      step: '1',
      value: inputValue(p.LatestRestorableDateTime),
      min: inputValue(Math.ceil(p.EarliestRestorableDateTime)),
      hint: `from ${time(Math.ceil(p.EarliestRestorableDateTime))} to now`,
      disabled: true,
    });
    const sync = () => {
      when.input.disabled = !chosen.checked;
    };
    latest.addEventListener('change', sync);
    chosen.addEventListener('change', sync);
    const f = restoreForm(ctx, {
      title: 'Restore to a point in time',
      suggested: `${table.slice(0, 250)}-pitr`,
      fields: [
        h(
          'fieldset',
          {},
          h('legend', {}, 'Restore the table as of'),
          h(
            'div',
            { class: 'radios' },
            h('label', { for: 'pitr-latest' }, latest, 'The latest restorable time'),
            h('label', { for: 'pitr-time' }, chosen, 'A chosen time'),
          ),
          when.el,
        ),
      ],
      prepare: async () => {
        if (latest.checked) return { SourceTableName: table, UseLatestRestorableTime: true };
        const t = parseUtc(when.input.value);
        // The window as the server says it is now: its start may have moved on since loading.
        const now = await describe();
        if (now.PointInTimeRecoveryStatus !== 'ENABLED') throw new Error('Point-in-time recovery is off for this table.');
        const bad = checkInWindow(t, now);
        if (bad) throw bad;
        return { SourceTableName: table, RestoreDateTime: t };
      },
      send: (body) => ctx.api.dynamodb('RestoreTableToPointInTime', body),
      submitLabel: 'Restore to a new table',
    });
    return f.el;
  }

  async function load(message) {
    let p;
    try {
      p = await describe();
    } catch (e) {
      if (ctx.current()) replace(body, errorBox(e));
      return;
    }
    if (!ctx.current()) return;
    const enabled = p.PointInTimeRecoveryStatus === 'ENABLED';
    const offHolder = h('div', {});
    const off = h('button', { type: 'button', class: 'danger' }, 'Turn off…');
    off.addEventListener('click', () => turnOff(offHolder, off));
    replace(
      body,
      message ? h('div', { class: 'notice', role: 'status' }, message) : null,
      h(
        'div',
        { class: 'grid2' },
        h(
          'div',
          {},
          facts([
            ['Status', h('span', { class: `status ${p.PointInTimeRecoveryStatus}` }, p.PointInTimeRecoveryStatus || 'DISABLED')],
            ['Recovery period', enabled && p.RecoveryPeriodInDays ? `${p.RecoveryPeriodInDays} days` : null],
            ['Earliest restorable', enabled ? time(p.EarliestRestorableDateTime) : null],
            ['Latest restorable', enabled ? `${time(p.LatestRestorableDateTime)} (now)` : null],
          ]),
          h('div', { class: 'toolbar pitr-actions' }, h('button', { type: 'button', onclick: () => load() }, 'Refresh'), enabled ? off : null),
          offHolder,
          periodForm(p, enabled),
          h('p', { class: 'muted' }, enabled
            ? 'Every acknowledged write is restorable at once: the window runs from the earliest restorable time to now.'
            : 'With recovery on, the table can be restored to any second of its window into a new table.'),
        ),
        enabled ? h('div', {}, restoreToTime(p)) : null,
      ),
    );
  }

  return { el, load };
}
