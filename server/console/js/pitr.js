// A table's point-in-time recovery: DescribeContinuousBackups (status, recovery period, the
// restorable window), turning it on and off and changing its period (UpdateContinuousBackups),
// and restoring the table as of an instant of the window to a new table
// (RestoreTableToPointInTime: the latest restorable time, or a UTC date and time checked
// against the window as the server describes it when the form is sent).
//
// `pitrPanel(ctx, table)` answers `{ el, load() }`.

import { h, replace, errorBox, field, facts, notice, focusOn } from './dom.js';
import { time } from './format.js';
import { confirmInSlot } from './confirm.js';
import { restoreForm } from './restore.js';

const PERIOD_MIN = 1;
const PERIOD_MAX = 35;

/** Seconds since the epoch as the value of a `datetime-local` input, read as UTC; '' when there is no such time. */
export function inputValue(seconds) {
  const n = Number(seconds);
  if (seconds === undefined || seconds === null || seconds === '' || !Number.isFinite(n)) return '';
  return new Date(Math.floor(n) * 1000).toISOString().slice(0, 19);
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

  /** UpdateContinuousBackups, then the panel drawn again with `message` (which takes the focus). */
  async function update(spec, message) {
    replace(errors);
    await ctx.api.dynamodb('UpdateContinuousBackups', { TableName: table, PointInTimeRecoverySpecification: spec });
    await load(message, true);
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
          try {
            await update({ PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: n }, enabled ? `Recovery period set to ${n} days.` : 'Point-in-time recovery is on.');
          } catch (e) {
            replace(errors, errorBox(e));
          } finally {
            go.disabled = false;
          }
        },
      },
      days.el,
      h('div', { class: 'field' }, go),
    );
  }

  function turnOff(holder, opener) {
    if (holder.firstChild) {
      holder.querySelector('button.primary')?.focus();
      return;
    }
    confirmInSlot(holder, opener, {
      message: h('p', {}, 'Turn off point-in-time recovery? The restorable window is discarded: turning it on again starts a new window from then.'),
      confirmLabel: 'Turn off',
      label: 'Turn off point-in-time recovery',
      run: () => update({ PointInTimeRecoveryEnabled: false }, 'Point-in-time recovery is off.'),
    });
  }

  function restoreToTime(p) {
    const latest = h('input', { type: 'radio', name: 'pitr-when', value: 'latest', checked: true, id: 'pitr-latest' });
    const chosen = h('input', { type: 'radio', name: 'pitr-when', value: 'time', id: 'pitr-time' });
    // The window as described; a time the server left out leaves that end open.
    const earliest = Number.isFinite(Number(p.EarliestRestorableDateTime)) ? Math.ceil(p.EarliestRestorableDateTime) : undefined;
    const when = field({
      label: 'Date and time (UTC)',
      type: 'datetime-local',
      step: '1',
      value: inputValue(p.LatestRestorableDateTime),
      min: inputValue(earliest) || undefined,
      hint: earliest !== undefined ? `from ${time(earliest)} to now` : 'up to now',
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

  let seq = 0;
  /**
   * Describes and draws the panel, with `message` above. `focus`: the control that had the focus
   * (Refresh, a form's button, a confirmation) is replaced: the message takes it, or the new Refresh.
   */
  async function load(message, focus = false) {
    const mine = ++seq;
    let p;
    try {
      p = await describe();
    } catch (e) {
      if (ctx.current() && mine === seq) replace(body, errorBox(e));
      return;
    }
    if (!ctx.current() || mine !== seq) return;
    const said = message ? notice(message) : null;
    const enabled = p.PointInTimeRecoveryStatus === 'ENABLED';
    const offHolder = h('div', {});
    const off = h('button', { type: 'button', class: 'danger' }, 'Turn off…');
    const refresh = h('button', { type: 'button', onclick: () => load(null, true) }, 'Refresh');
    off.addEventListener('click', () => turnOff(offHolder, off));
    replace(
      body,
      said,
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
          h('div', { class: 'toolbar pitr-actions' }, refresh, enabled ? off : null),
          offHolder,
          periodForm(p, enabled),
          h('p', { class: 'muted' }, enabled
            ? 'Every acknowledged write is restorable at once: the window runs from the earliest restorable time to now.'
            : 'With recovery on, the table can be restored to any second of its window into a new table.'),
        ),
        enabled ? h('div', {}, restoreToTime(p)) : null,
      ),
    );
    if (focus) focusOn(said || refresh);
  }

  return { el, load };
}
