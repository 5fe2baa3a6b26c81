// Confirmations of what cannot be undone (deleting a table, an index, an item, a backup, an IAM
// user…): what is about to happen, an optional name to type, the confirm button and Cancel;
// Escape cancels. Shown in place: in a row under the list row it is about (`confirmInRow`) or
// in a slot of the page (`confirmInSlot`). Cancelling gives the focus back to the button that
// opened it; after the work is done the caller shows what happened (its notice takes the
// focus), else the opener (or, when the opener went away, nothing is left without focus: see
// `settle`).

import { h, replace, errorBox } from './dom.js';

/**
 * A confirmation form: `message` (nodes), an optional name to type (`typeToConfirm`), the
 * confirm button (`confirmLabel`), Cancel. `run(progress)` does the work; it may throw (shown in
 * place, the confirmation stays, ready to try again); `progress(text)` says what it is doing.
 * `label`: the dialog's accessible name. Answers the form; its `focus()` focuses the name to
 * type, or the confirm button.
 */
export function confirmation({ message, confirmLabel = 'Delete', typeToConfirm, danger = true, label = 'Confirm', run, onCancel, onDone }) {
  const errors = h('div', { 'aria-live': 'polite' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const input = typeToConfirm
    ? h('input', { type: 'text', 'aria-label': `Type ${typeToConfirm} to confirm`, spellcheck: 'false', autocomplete: 'off' })
    : null;
  const go = h('button', { type: 'submit', class: danger ? 'danger primary' : 'primary', disabled: !!input }, confirmLabel);
  const cancel = h('button', { type: 'button', onclick: () => onCancel && onCancel() }, 'Cancel');
  if (input) input.addEventListener('input', () => { go.disabled = input.value !== typeToConfirm; });
  let busy = false;
  const form = h(
    'form',
    {
      class: 'confirm-form',
      role: 'alertdialog',
      'aria-label': label,
      onsubmit: async (ev) => {
        ev.preventDefault();
        if (busy || (input && input.value !== typeToConfirm)) return;
        busy = true;
        go.disabled = true;
        cancel.disabled = true;
        replace(errors);
        try {
          await run((t) => replace(status, t));
          replace(status);
          if (onDone) onDone();
        } catch (e) {
          replace(status);
          replace(errors, errorBox(e));
          go.disabled = false;
          (input || go).focus();
        } finally {
          busy = false;
          cancel.disabled = false;
        }
      },
      onkeydown: (ev) => {
        if (ev.key === 'Escape' && !busy) {
          ev.preventDefault();
          ev.stopPropagation();
          if (onCancel) onCancel();
        }
      },
    },
    errors,
    h('div', {}, message),
    typeToConfirm ? h('p', {}, 'Type ', h('strong', {}, typeToConfirm), ' to confirm:') : null,
    h('div', { class: 'toolbar' }, input, go, cancel),
    status,
  );
  form.focus = () => (input || go).focus();
  return form;
}

/** After the confirmation holding the focus went away: the focus goes to `opener` when nothing else took it. */
function settle(opener) {
  const lost = document.activeElement === document.body || document.activeElement === null;
  if (lost && opener && opener.isConnected && !opener.disabled) opener.focus();
}

/**
 * Shows a confirmation in a row after `afterRow` of a list table (`colspan` cells wide, with
 * `options.rowClass` added to its classes); only one at a time per row (asking again focuses
 * it). Cancelling removes it and gives the focus back to `opener`; when done, the row goes and
 * `options.onDone()` runs (it should show a notice and focus it).
 */
export function confirmInRow(afterRow, colspan, opener, options) {
  const next = afterRow.nextElementSibling;
  if (next && next.classList.contains('confirm')) {
    next.querySelector('input, button.primary')?.focus();
    return null;
  }
  const row = h('tr', { class: `confirm ${options.rowClass || ''}`.trim() });
  const close = () => {
    row.remove();
    opener.focus();
  };
  const box = confirmation({
    ...options,
    onCancel: close,
    onDone: () => {
      row.remove();
      if (options.onDone) options.onDone();
      settle(opener);
    },
  });
  row.append(h('td', { colspan: String(colspan) }, box));
  afterRow.after(row);
  box.focus();
  return row;
}

/** Shows a confirmation in `slot` (replacing what it holds); cancelling or finishing empties it. */
export function confirmInSlot(slot, opener, options) {
  const close = () => {
    replace(slot);
    opener.focus();
  };
  const box = confirmation({
    ...options,
    onCancel: close,
    onDone: () => {
      replace(slot);
      if (options.onDone) options.onDone();
      settle(opener);
    },
  });
  replace(slot, h('div', { class: 'confirm-box' }, box));
  box.focus();
  return box;
}
