// Previous / Next paging of a list the server answers a page at a time, each page starting
// after a token of the previous one (ListTables' LastEvaluatedTableName, Scan's
// LastEvaluatedKey, ListBackups' LastEvaluatedBackupArn, IAM's Marker): a stack of the start
// token of every page shown so far (Previous pops it), and the page size.
//
// `pager({ load, status, sizes, size, label, state, current })` answers
// `{ controls, prev, next, sizeSelect, reload(), first(), page(), size(), busy() }`:
// - `load({ start, size, page, live })` reads and shows one page and answers the next page's
//   token (or null at the end); it must show nothing once `live()` is false (a later load, or
//   another page, took over). An error it throws is shown in `status`.
// - `status`: where "Loading…" and the errors go;
// - `sizes`: the page sizes offered (a select labelled `label`), none when omitted;
// - `state`: `{ starts, size }` to keep across visits (the caller's object is updated);
// - `current()`: false once the user left the page (`ctx.current`).
// While a page loads, Previous and Next are disabled (a double click moves one page, not two)
// and every load has a number: only the latest one's answer is shown, so a Refresh, a page
// size or another option changed while a page loads never shows an older answer.

import { h, replace, errorBox, select } from './dom.js';

export function pager({ load, status, sizes, size, label = 'Rows a page', state, current = () => true }) {
  const s = state || {};
  if (!Array.isArray(s.starts) || s.starts.length === 0) s.starts = [undefined];
  if (!s.size) s.size = size || (sizes && sizes[0]) || 25;
  let seq = 0;
  let busy = false;
  let nextToken = null;

  const prev = h('button', { type: 'button', disabled: true }, '← Previous');
  const next = h('button', { type: 'button', disabled: true }, 'Next →');
  prev.addEventListener('click', () => {
    if (busy || s.starts.length === 1) return;
    s.starts.pop();
    run(prev);
  });
  next.addEventListener('click', () => {
    if (busy || !nextToken) return;
    s.starts.push(nextToken);
    run(next);
  });
  const sizeSelect = sizes
    ? select(sizes.map((n) => [String(n), `${n} a page`]), String(s.size), {
        'aria-label': label,
        onchange: (ev) => {
          s.size = Number(ev.target.value);
          s.starts = [undefined];
          run();
        },
      })
    : null;

  function sync() {
    prev.disabled = busy || s.starts.length === 1;
    next.disabled = busy || !nextToken;
  }

  /** Loads the page on top of the stack; `opener`: the button that asked (it gets the focus back). */
  async function run(opener) {
    const mine = ++seq;
    const live = () => mine === seq && current();
    busy = true;
    nextToken = null;
    sync();
    if (status) replace(status, h('p', { class: 'muted' }, 'Loading…'));
    try {
      const token = await load({ start: s.starts[s.starts.length - 1], size: s.size, page: s.starts.length, live });
      if (mine !== seq) return;
      nextToken = token || null;
      if (status && live()) replace(status);
    } catch (e) {
      if (mine !== seq) return;
      if (status && live()) replace(status, errorBox(e));
    } finally {
      if (mine === seq) {
        busy = false;
        sync();
        // A button disabled while it had the focus lost it: give it back (or to the other one).
        if (opener && current() && (document.activeElement === document.body || document.activeElement === null)) {
          const to = [opener, opener === next ? prev : next].find((b) => !b.disabled);
          if (to) to.focus();
        }
      }
    }
  }

  return {
    controls: [sizeSelect, prev, next].filter(Boolean),
    prev,
    next,
    sizeSelect,
    /** Loads the current page again. */
    reload: () => run(),
    /** Goes back to the first page and loads it. */
    first() {
      s.starts = [undefined];
      return run();
    },
    /** The number of the page shown (from 1). */
    page: () => s.starts.length,
    size: () => s.size,
    busy: () => busy,
  };
}
