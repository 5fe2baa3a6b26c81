// The policy document editor: a monospace textarea (Tab indents, Escape then Tab leaves it,
// Enter keeps the indentation), Format, Check, the problems found by js/policy.js listed with
// their path and place (a click puts the caret there), the server's own refusal shown in
// place, and templates (with a table picker for the DynamoDB ones).

import { h, replace, errorBox, select } from '../dom.js';
import { validatePolicy, formatPolicy, lineColumn } from '../policy.js';
import { TEMPLATES, tableArn } from './access_templates.js';
import { whoAmI } from './access_common.js';

/** Tables offered by the template picker (the first ones, by name). */
const TABLES_SHOWN = 100;

/**
 * A policy editor. Options: `value` (JSON text), `kind` (`identity` or `trust`), `sizeMax`
 * (characters without whitespace; over it is an error), `sizeNote` (what the quota counts),
 * `label`. Answers `{ el, textarea, value (get/set), check(), checkToSave(), serverError(e),
 * clear() }`: `check()` validates, shows the problems and answers whether there are no errors;
 * `checkToSave()` also holds a document with warnings back once, so they are seen.
 */
export function policyEditor(ctx, { value = '', kind = 'identity', sizeMax, sizeNote, label = 'Policy document (JSON)' } = {}) {
  const id = `pe_${Math.random().toString(36).slice(2, 8)}`;
  const textarea = h('textarea', {
    id,
    class: 'policy-text',
    rows: '20',
    spellcheck: 'false',
    autocomplete: 'off',
    autocapitalize: 'off',
    'aria-describedby': `${id}_hint ${id}_problems`,
    value,
  });
  const where = h('span', { class: 'muted', 'aria-live': 'off' });
  const hint = h('p', { class: 'hint', id: `${id}_hint` }, 'Tab indents. Press Escape, then Tab, to leave the editor. Checked before it is sent.');
  const problems = h('div', { id: `${id}_problems`, 'aria-live': 'polite' });
  let escaped = false;
  let lastValid = null;
  let warnedText = null;

  function status() {
    const { line, column } = lineColumn(textarea.value, textarea.selectionStart);
    const size = textarea.value.replace(/\s/g, '').length;
    replace(
      where,
      `Line ${line}, column ${column} · ${size.toLocaleString('en-US')}`,
      sizeMax ? ` of ${sizeMax.toLocaleString('en-US')}` : '',
      ' characters without whitespace',
      sizeNote ? ` (${sizeNote})` : '',
    );
    where.classList.toggle('over', !!sizeMax && size > sizeMax);
  }

  /** Inserts `s` at the caret, keeping the browser's undo history where it can. */
  function insert(s) {
    textarea.focus();
    if (!document.execCommand || !document.execCommand('insertText', false, s)) {
      textarea.setRangeText(s, textarea.selectionStart, textarea.selectionEnd, 'end');
    }
  }

  textarea.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      escaped = true;
      replace(hint, 'Tab now moves to the next control (Shift+Tab to the previous one).');
      return;
    }
    if (ev.key === 'Tab' && !ev.shiftKey && !ev.ctrlKey && !ev.altKey && !ev.metaKey && !escaped) {
      ev.preventDefault();
      insert('  ');
      return;
    }
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.ctrlKey && !ev.altKey && !ev.metaKey) {
      const before = textarea.value.slice(0, textarea.selectionStart);
      const line = before.slice(before.lastIndexOf('\n') + 1);
      let indent = /^[ \t]*/.exec(line)[0];
      if (/[{[]\s*$/.test(line)) indent += '  ';
      ev.preventDefault();
      insert(`\n${indent}`);
      return;
    }
    if (ev.key !== 'Shift') {
      if (escaped) replace(hint, 'Tab indents. Press Escape, then Tab, to leave the editor. Checked before it is sent.');
      escaped = false;
    }
  });
  textarea.addEventListener('focus', () => { escaped = false; });
  for (const e of ['keyup', 'click', 'input', 'select']) textarea.addEventListener(e, status);

  /** Puts the caret at `offset` and scrolls it into view. */
  function goTo(offset) {
    textarea.focus();
    textarea.setSelectionRange(offset, offset);
    const { line } = lineColumn(textarea.value, offset);
    const lh = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
    textarea.scrollTop = Math.max(0, (line - 4) * lh);
    status();
  }

  function problemList(list) {
    return h(
      'ul',
      { class: 'problems' },
      list.map((p) =>
        h(
          'li',
          {},
          h('button', { type: 'button', class: 'linkish', onclick: () => goTo(p.offset) }, p.path),
          h('span', { class: 'where' }, ` line ${p.line}, column ${p.column}`),
          h('div', {}, p.message),
        ),
      ),
    );
  }

  function show(result) {
    const parts = [];
    if (result.errors.length) {
      parts.push(
        h(
          'div',
          { class: 'error', role: 'alert' },
          h('strong', {}, result.errors.length === 1 ? '1 problem' : `${result.errors.length} problems`, ' to fix before it can be saved:'),
          problemList(result.errors),
        ),
      );
    }
    if (result.warnings.length) {
      parts.push(
        h(
          'div',
          { class: 'warning' },
          h('strong', {}, result.warnings.length === 1 ? '1 warning' : `${result.warnings.length} warnings`, ' (the server accepts the document, but check):'),
          problemList(result.warnings),
        ),
      );
    }
    if (!parts.length) parts.push(h('p', { class: 'ok-line' }, '✓ The document is valid.'));
    replace(problems, parts);
  }

  /** Validates and shows the problems; answers whether there are no errors. */
  function check() {
    const result = validatePolicy(textarea.value, { kind, sizeMax });
    show(result);
    lastValid = result.ok ? textarea.value : null;
    return result;
  }

  /**
   * Before saving: no errors, and warnings only when they were shown for this very text
   * already (the first save shows them; saving again sends the document as it is).
   */
  function checkToSave() {
    const result = check();
    if (!result.ok) return false;
    if (result.warnings.length && warnedText !== textarea.value) {
      warnedText = textarea.value;
      problems.append(h('p', { class: 'warning-next', role: 'status' }, 'Save again to save the document as it is.'));
      return false;
    }
    return true;
  }

  /** Replaces the whole text with `s` (one undo step); with `top`, then shows it from its start. */
  function replaceAll(s, top = true) {
    textarea.focus();
    textarea.select();
    insert(s);
    if (top) {
      textarea.setSelectionRange(0, 0);
      textarea.scrollTop = 0;
    }
    status();
  }

  function format() {
    const out = formatPolicy(textarea.value);
    if (out === null) {
      check();
      return;
    }
    replaceAll(out);
  }

  const templateBox = templates(ctx, kind, (text) => {
    const previous = textarea.value;
    replaceAll(text);
    check();
    return previous;
  }, (previous) => replaceAll(previous, false));

  const el = h(
    'div',
    { class: 'policy-editor' },
    templateBox,
    h(
      'div',
      { class: 'pe-body' },
      h(
        'div',
        { class: 'pe-text' },
        h(
          'div',
          { class: 'toolbar' },
          h('label', { for: id, class: 'inline' }, label),
          h('span', { class: 'spacer' }),
          h('button', { type: 'button', onclick: format }, 'Format'),
          h('button', { type: 'button', onclick: () => check() }, 'Check'),
        ),
        textarea,
        h('p', { class: 'pe-status' }, where),
      ),
      h('div', { class: 'pe-side' }, hint, problems),
    ),
  );
  status();

  return {
    el,
    textarea,
    get value() {
      return textarea.value;
    },
    set value(v) {
      textarea.value = v;
      status();
    },
    check: () => check().ok,
    checkToSave,
    /** The server's refusal of the document (MalformedPolicyDocument …), shown in place. */
    serverError(e) {
      replace(
        problems,
        h('p', { class: 'muted' }, lastValid !== null ? 'The document passed the checks here, but the server refused it:' : 'The server refused it:'),
        errorBox(e),
      );
      textarea.focus();
    },
    clear() {
      replace(problems);
    },
  };
}

/** The template picker of `kind`: a template, a table when it needs one, Insert (and Undo). */
function templates(ctx, kind, put, undo) {
  const list = TEMPLATES[kind] || [];
  if (!list.length) return null;
  const tableId = `tp_${Math.random().toString(36).slice(2, 8)}`;
  const tableSelect = h('select', { id: tableId, disabled: true }, h('option', { value: '' }, 'Loading tables…'));
  const tableField = h('div', { class: 'field' }, h('label', { for: tableId }, 'Table'), tableSelect);
  const templateSelect = select(list.map((t) => [t.id, t.label]), list[0].id, { id: `tt_${Math.random().toString(36).slice(2, 8)}` });
  const note = h('p', { class: 'hint' });
  const said = h('div', { 'aria-live': 'polite' });
  let tablesLoaded = false;

  async function loadTables() {
    if (tablesLoaded) return;
    tablesLoaded = true;
    try {
      const r = await ctx.api.dynamodb('ListTables', { Limit: TABLES_SHOWN });
      const names = r.TableNames || [];
      replace(
        tableSelect,
        names.length ? null : h('option', { value: '' }, 'No tables: create one first'),
        names.map((n) => h('option', { value: n }, n)),
        h('option', { value: '*' }, 'Every table (*)'),
      );
      tableSelect.disabled = false;
      if (r.LastEvaluatedTableName) tableField.append(h('span', { class: 'hint' }, `The first ${TABLES_SHOWN} tables by name.`));
    } catch (e) {
      tablesLoaded = false;
      replace(tableSelect, h('option', { value: '' }, 'Tables could not be listed'));
      replace(said, errorBox(e));
    }
  }

  function sync() {
    const t = list.find((x) => x.id === templateSelect.value);
    tableField.classList.toggle('hidden', !t.table);
    replace(note, t.note);
    if (t.table) loadTables();
  }
  templateSelect.addEventListener('change', sync);

  const insertButton = h('button', {
    type: 'button',
    onclick: async () => {
      const t = list.find((x) => x.id === templateSelect.value);
      replace(said);
      if (t.table && !tableSelect.value) {
        replace(said, h('p', { class: 'error' }, 'Choose a table first.'));
        tableSelect.focus();
        return;
      }
      let account;
      try {
        account = (await whoAmI(ctx)).account;
      } catch (e) {
        replace(said, errorBox(e));
        return;
      }
      const arn = t.table ? tableArn(ctx.api.region, account, tableSelect.value) : '';
      const previous = put(JSON.stringify(t.build({ arn, account }), null, 2));
      replace(
        said,
        h(
          'p',
          { class: 'muted' },
          t.table ? `Inserted “${t.label}” for ${arn}. ` : `Inserted “${t.label}”. `,
          previous.trim()
            ? h('button', { type: 'button', onclick: () => { undo(previous); replace(said, h('p', { class: 'muted' }, 'Restored the previous document.')); } }, 'Undo')
            : null,
        ),
      );
    },
  }, 'Insert template');

  const box = h(
    'details',
    { class: 'templates' },
    h('summary', {}, 'Start from a template'),
    h(
      'div',
      { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: templateSelect.id }, 'Template'), templateSelect),
      tableField,
      h('div', { class: 'field narrow' }, insertButton),
    ),
    note,
    said,
  );
  box.addEventListener('toggle', () => { if (box.open) sync(); });
  return box;
}
