// The item editor: one item in two views the user switches between without losing edits.
//
// - **Form**: one row an attribute (name, type among the ten, value); maps and lists hold rows
//   of their own (Add entry, Add element), to any depth; sets are one member a line. Changing a
//   row's type keeps what it held under the other types (switching back restores it).
// - **DynamoDB JSON**: a textarea of the item as the API carries it.
//
// `itemEditor({ item, keys, mode, view, report })` answers `{ el, value(), view(), focus() }`:
// - `keys`: the table's key attributes `[{ name, type: 'S'|'N'|'B', role }]` (partition first);
//   their rows are always present, their names and types fixed; in mode `'edit'` their values
//   too (and the JSON view refuses a changed key when saving);
// - `report(error | null)`: where the editor shows an error of switching views (the page's
//   status area);
// - `value()`: the item, checked (`validateItem` and the key rules); throws an `ItemError`
//   naming the attribute path, after marking and focusing the control at fault.

import { h, replace } from './dom.js';
import { bytes } from './format.js';
import { TYPES, TYPE_NAMES, ItemError, pathJoin, validateItem, validateValue, parseItem, formatItem, itemSize, typeOf, displayValue, ITEM_SIZE_MAX } from './ddbjson.js';

const TEXT_TYPES = new Set(['S', 'N', 'B']);
const SET_TYPES = new Set(['SS', 'NS', 'BS']);
const TYPE_OPTIONS = TYPES.map((t) => [t, `${TYPE_NAMES[t]} (${t})`]);

/** Submits the form holding `el` (Ctrl+Enter in a textarea). */
function submitOnCtrlEnter(ev) {
  if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
    ev.preventDefault();
    ev.target.closest('form')?.requestSubmit();
  }
}

/**
 * One row of the form: an attribute, a map's entry or a list's element.
 * `parent`: the node of the map or list holding it, or null at the item's top level.
 */
function makeNode(editor, parent, name, av, key) {
  const t = typeOf(av) || 'S';
  const node = {
    parent,
    key,
    type: t,
    // What the row held under each kind of value: text (S, N, B, sets), a boolean, children.
    text: '',
    bool: 'true',
    kids: { M: [], L: [] },
  };
  const inList = parent && parent.type === 'L';
  const locked = key && editor.mode === 'edit';
  node.nameInput = inList
    ? null
    : h('input', { type: 'text', class: 'ie-name', spellcheck: 'false', autocomplete: 'off', value: name, readonly: !!key, oninput: () => editor.changed(true) });
  node.indexLabel = inList ? h('span', { class: 'ie-index mono' }) : null;
  node.typeSelect = h(
    'select',
    { class: 'ie-type', disabled: !!key, onchange: () => setType(node.typeSelect.value) },
    (key ? TYPE_OPTIONS.filter(([v]) => v === key.type) : TYPE_OPTIONS).map(([v, text]) => h('option', { value: v, selected: v === t }, text)),
  );
  node.valueCell = h('div', { class: 'ie-value' });
  node.removeButton = key
    ? h('span', { class: 'ie-keytag' }, key.role)
    : h('button', { type: 'button', class: 'ie-remove', onclick: () => removeNode(editor, node) }, 'Remove');
  node.kidsBox = h('div', { class: 'ie-kids' });
  node.addButton = h('button', { type: 'button', class: 'ie-add', onclick: () => addKid() });
  node.el = h(
    'div',
    { class: 'ie-node' },
    h('div', { class: 'ie-line' }, node.nameInput || node.indexLabel, node.typeSelect, node.valueCell, node.removeButton),
    node.kidsBox,
  );

  // The value as the row's controls hold it now (no checks beyond the JSON's shape).
  function load(value, type) {
    if (TEXT_TYPES.has(type)) node.text = String(value);
    else if (SET_TYPES.has(type)) node.text = Array.isArray(value) ? value.join('\n') : '';
    else if (type === 'BOOL') node.bool = value ? 'true' : 'false';
    else if (type === 'M') node.kids.M = Object.entries(value || {}).map(([k, x]) => makeNode(editor, node, k, x));
    else if (type === 'L') node.kids.L = (value || []).map((x) => makeNode(editor, node, '', x));
  }

  // Keeps what the shown control holds (under the type it was made for).
  function capture() {
    const ct = node.controlType;
    if (!node.control) return;
    if (TEXT_TYPES.has(ct) || SET_TYPES.has(ct)) node.text = node.control.value;
    else if (ct === 'BOOL') node.bool = node.control.value;
  }

  function render() {
    capture();
    const type = node.type;
    node.control = null;
    node.controlType = type;
    if (type === 'S' || type === 'N' || type === 'B') {
      const multi = type === 'S' && node.text.includes('\n');
      node.control = multi
        ? h('textarea', { class: 'ie-text', rows: String(Math.min(8, node.text.split('\n').length)), spellcheck: 'false', onkeydown: submitOnCtrlEnter })
        : h('input', {
            type: 'text',
            spellcheck: 'false',
            autocomplete: 'off',
            inputmode: type === 'N' ? 'decimal' : false,
            placeholder: type === 'N' ? 'e.g. 42 or -1.5E3' : type === 'B' ? 'base64, e.g. AAEC' : false,
          });
      node.control.value = node.text;
    } else if (SET_TYPES.has(type)) {
      node.control = h('textarea', {
        class: 'ie-set',
        rows: String(Math.max(2, Math.min(8, node.text.split('\n').length + 1))),
        spellcheck: 'false',
        placeholder: 'one member a line',
        onkeydown: submitOnCtrlEnter,
      });
      node.control.value = node.text;
    } else if (type === 'BOOL') {
      node.control = h('select', {}, h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
      node.control.value = node.bool;
    }
    if (node.control) {
      node.control.readOnly = !!locked;
      node.control.addEventListener('input', () => editor.changed(false));
      node.control.addEventListener('change', () => editor.changed(false));
    }
    const isParent = type === 'M' || type === 'L';
    replace(
      node.valueCell,
      node.control ||
        (type === 'NULL'
          ? h('span', { class: 'muted' }, 'null')
          : h('span', { class: 'muted ie-count' })),
      SET_TYPES.has(type) ? h('span', { class: 'hint ie-sethint' }, 'one member a line; blank lines are left out') : null,
    );
    node.kidsBox.classList.toggle('hidden', !isParent);
    if (isParent) {
      replace(node.kidsBox, node.kids[type].map((k) => k.el), h('div', { class: 'ie-addrow' }, node.addButton));
      for (const k of node.kids[type]) k.render();
    } else {
      replace(node.kidsBox);
    }
  }

  function setType(type) {
    capture();
    const from = node.type;
    // Text carries over between the text types and sets (`a` as a set is the one member `a`).
    if (type === 'BOOL' && (node.text === 'true' || node.text === 'false') && from !== 'BOOL') node.bool = node.text;
    node.type = type;
    render();
    editor.changed(true);
    if (node.control) node.control.focus();
    else if (type === 'M' || type === 'L') node.addButton.focus();
  }

  function addKid() {
    const kid = makeNode(editor, node, '', { S: '' });
    node.kids[node.type].push(kid);
    node.kidsBox.lastChild.before(kid.el);
    kid.render();
    editor.changed(true);
    (kid.nameInput || kid.typeSelect).focus();
  }

  /** The attribute value of this row (throws an ItemError for a name missing or repeated). */
  function read(path, paths) {
    capture();
    paths.set(path, node);
    const type = node.type;
    if (type === 'S') return { S: node.text };
    if (type === 'N' || type === 'B') return { [type]: node.text.trim() };
    if (type === 'BOOL') return { BOOL: node.bool === 'true' };
    if (type === 'NULL') return { NULL: true };
    if (SET_TYPES.has(type)) {
      const lines = node.text.split('\n').map((l) => l.replace(/\r$/, ''));
      const members = (type === 'SS' ? lines : lines.map((l) => l.trim())).filter((l) => l !== '');
      return { [type]: members };
    }
    if (type === 'L') return { L: node.kids.L.map((k, i) => k.read(`${path}[${i}]`, paths)) };
    return { M: readEntries(node.kids.M, path, paths, 'entry') };
  }

  /** Updates the labels of this row's controls (and its children's) for path `path`. */
  function label(path, nameLabel) {
    if (node.nameInput) node.nameInput.setAttribute('aria-label', nameLabel);
    if (node.indexLabel) node.indexLabel.textContent = `[${path.match(/\[(\d+)\]$/)?.[1] ?? ''}]`;
    node.typeSelect.setAttribute('aria-label', `Type of ${path}`);
    if (node.control) node.control.setAttribute('aria-label', SET_TYPES.has(node.type) ? `Members of ${path}` : `Value of ${path}`);
    if (node.removeButton.tagName === 'BUTTON') node.removeButton.setAttribute('aria-label', `Remove ${path}`);
    if (node.type === 'M' || node.type === 'L') {
      const kids = node.kids[node.type];
      node.addButton.textContent = node.type === 'M' ? 'Add entry' : 'Add element';
      node.addButton.setAttribute('aria-label', `${node.type === 'M' ? 'Add entry to' : 'Add element to'} ${path}`);
      const count = node.valueCell.querySelector('.ie-count');
      if (count) count.textContent = `${kids.length} ${node.type === 'M' ? (kids.length === 1 ? 'entry' : 'entries') : kids.length === 1 ? 'element' : 'elements'}`;
      labelRows(kids, path, node.type === 'L');
    }
  }

  node.render = render;
  node.read = read;
  node.label = label;
  node.mark = (on) => {
    const c = node.control || (node.nameInput && !node.nameInput.readOnly ? node.nameInput : node.typeSelect);
    c.setAttribute('aria-invalid', on ? 'true' : 'false');
    c.classList.toggle('ie-bad', on);
    return c;
  };
  node.name = () => (node.nameInput ? node.nameInput.value : '');
  load(typeOf(av) ? av[t] : '', t);
  return node;
}

/** The name of a row in messages and labels: its path, or `<parent> entry 3` while unnamed. */
function rowPath(parentPath, node, i, inList) {
  if (inList) return `${parentPath}[${i}]`;
  const name = node.name();
  if (name !== '') return pathJoin(parentPath, name);
  return parentPath ? `${parentPath} entry ${i + 1}` : `attribute ${i + 1}`;
}

function labelRows(rows, parentPath, inList) {
  rows.forEach((k, i) => {
    const nameLabel = parentPath ? `${parentPath} entry ${i + 1} name` : `Attribute ${i + 1} name`;
    k.label(rowPath(parentPath, k, i, inList), nameLabel);
  });
}

/** The entries of `rows` as an object; an empty or repeated name is an ItemError. */
function readEntries(rows, parentPath, paths, what) {
  const out = {};
  rows.forEach((k, i) => {
    const path = rowPath(parentPath, k, i, false);
    const name = k.name();
    if (name === '') {
      paths.set(path, k);
      throw new ItemError(path, `the ${what} has no name`);
    }
    if (Object.prototype.hasOwnProperty.call(out, name)) {
      paths.set(path, k);
      throw new ItemError(path, `the name ${JSON.stringify(name)} is given twice`);
    }
    // defineProperty: a name such as `__proto__` is an attribute like any other.
    put(out, name, k.read(path, paths));
  });
  return out;
}

function removeNode(editor, node) {
  const list = node.parent ? node.parent.kids[node.parent.type] : editor.rows;
  const i = list.indexOf(node);
  list.splice(i, 1);
  node.el.remove();
  editor.changed(true);
  // The focus goes to the next row's first control, or the Add button of the container.
  const next = list[i] || list[i - 1];
  if (next) (next.nameInput && !next.nameInput.readOnly ? next.nameInput : next.typeSelect).focus();
  else (node.parent ? node.parent.addButton : editor.addButton).focus();
}

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o || {}, k);
const put = (o, k, v) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });

/** Orders `item`'s attributes with the key attributes first. */
function keysFirst(item, keys) {
  const out = {};
  for (const k of keys) if (hasOwn(item, k.name)) put(out, k.name, item[k.name]);
  for (const [n, v] of Object.entries(item || {})) if (!hasOwn(out, n)) put(out, n, v);
  return out;
}

export function itemEditor({ item = {}, keys = [], mode = 'create', view = 'form', report = () => {} }) {
  const original = {};
  for (const k of keys) if (hasOwn(item, k.name)) original[k.name] = item[k.name];
  const keyByName = new Map(keys.map((k) => [k.name, k]));
  const rowsBox = h('div', { class: 'ie-rows' });
  const json = h('textarea', {
    class: 'ie-json mono',
    spellcheck: 'false',
    'aria-label': 'Item in DynamoDB JSON',
    onkeydown: submitOnCtrlEnter,
  });
  const size = h('span', { class: 'muted ie-size', 'aria-live': 'off', title: `1 KB = 1,024 bytes: an item holds at most ${ITEM_SIZE_MAX.toLocaleString('en-US')} bytes, its names and values counted as DynamoDB counts them.` });
  const formButton = h('button', { type: 'button', onclick: () => switchTo('form') }, 'Form');
  const jsonButton = h('button', { type: 'button', onclick: () => switchTo('json') }, 'DynamoDB JSON');
  const editor = {
    mode,
    rows: [],
    addButton: h('button', { type: 'button', onclick: () => addRow() }, 'Add attribute'),
    changed,
  };
  const formView = h(
    'div',
    { class: 'ie-form' },
    h('div', { class: 'ie-head', 'aria-hidden': 'true' }, h('span', {}, 'Name'), h('span', {}, 'Type'), h('span', {}, 'Value')),
    rowsBox,
    h('div', { class: 'ie-addrow' }, editor.addButton),
  );
  const keyNote =
    mode === 'edit' && keys.length
      ? `The key (${keys.map((k) => k.name).join(', ')}) cannot change while editing: use Copy as new item for another key.`
      : '';
  const jsonView = h(
    'div',
    { class: 'ie-jsonview' },
    h('p', { class: 'hint' }, 'One JSON object: attribute name → attribute value, e.g. {"pk": {"S": "a"}, "n": {"N": "1"}}. Ctrl+Enter saves. ', keyNote),
    json,
  );
  const el = h(
    'div',
    { class: 'item-editor' },
    h(
      'div',
      { class: 'toolbar' },
      h('div', { class: 'ie-switch', role: 'group', 'aria-label': 'Editor view' }, formButton, jsonButton),
      h('span', { class: 'spacer' }),
      size,
    ),
    mode === 'edit' && keyNote ? h('p', { class: 'hint ie-formnote' }, keyNote) : null,
    formView,
    jsonView,
  );
  let current = view;
  // Whether the JSON text was edited since it was last written from the form.
  let jsonEdited = false;
  let paths = new Map();
  let marked = null;
  json.addEventListener('input', () => {
    jsonEdited = true;
    updateSize();
  });

  /** Writes `text` into the JSON view, its height following the lines (10 to 28). */
  function setJson(text) {
    json.value = text;
    json.rows = Math.max(10, Math.min(28, text.split('\n').length + 1));
  }

  function changed(structure) {
    if (structure) labelRows(editor.rows, '', false);
    updateSize();
  }

  let sizeQueued = false;
  function updateSize() {
    if (sizeQueued) return;
    sizeQueued = true;
    requestAnimationFrame(() => {
      sizeQueued = false;
      let n = null;
      try {
        n = itemSize(current === 'form' ? readForm() : JSON.parse(json.value));
      } catch {
        n = null;
      }
      // KB of 1,024 bytes, as DynamoDB counts its 400 KB limit (format.bytes).
      size.textContent = n === null ? 'Item size: —' : `Item size: ${bytes(n)} of ${bytes(ITEM_SIZE_MAX)}`;
      size.classList.toggle('error-text', n !== null && n > ITEM_SIZE_MAX);
    });
  }

  function buildForm(it) {
    // The shape must be DynamoDB JSON for the form to hold it; values are checked on save.
    for (const [n, av] of Object.entries(it)) checkShape(av, pathJoin('', n));
    for (const k of keys) {
      if (hasOwn(it, k.name) && typeOf(it[k.name]) !== k.type) {
        throw new ItemError(pathJoin('', k.name), `the ${k.role} must be a ${TYPE_NAMES[k.type]} (${k.type}); fix it in the JSON view first`);
      }
    }
    editor.rows = Object.entries(keysFirst(it, keys)).map(([n, av]) => makeNode(editor, null, n, av, keyByName.get(n)));
    for (const k of keys) {
      if (!hasOwn(it, k.name)) editor.rows.splice(keys.indexOf(k), 0, makeNode(editor, null, k.name, { [k.type]: '' }, k));
    }
    replace(rowsBox, editor.rows.map((r) => r.el));
    for (const r of editor.rows) r.render();
    labelRows(editor.rows, '', false);
  }

  function addRow() {
    const row = makeNode(editor, null, '', { S: '' });
    editor.rows.push(row);
    rowsBox.append(row.el);
    row.render();
    changed(true);
    row.nameInput.focus();
  }

  function readForm() {
    paths = new Map();
    return readEntries(editor.rows, '', paths, 'attribute');
  }

  function show(v) {
    current = v;
    formView.classList.toggle('hidden', v !== 'form');
    jsonView.classList.toggle('hidden', v !== 'json');
    el.querySelector('.ie-formnote')?.classList.toggle('hidden', v !== 'form');
    formButton.setAttribute('aria-pressed', String(v === 'form'));
    jsonButton.setAttribute('aria-pressed', String(v === 'json'));
    formButton.classList.toggle('primary', v === 'form');
    jsonButton.classList.toggle('primary', v === 'json');
    updateSize();
  }

  /** Switches views, carrying the edits over; an error leaves the current view as it is. */
  function switchTo(v) {
    if (v === current) return;
    report(null);
    try {
      if (v === 'json') {
        setJson(formatItem(readForm()));
        jsonEdited = false;
      } else if (jsonEdited) {
        let it;
        try {
          it = JSON.parse(json.value);
        } catch {
          parseItem(json.value); // throws the error with its line and column
        }
        if (it === null || typeof it !== 'object' || Array.isArray(it)) validateItem(it);
        buildForm(it);
      }
    } catch (e) {
      report(e);
      focusError(e);
      return;
    }
    show(v);
    (v === 'json' ? json : jsonButton).focus();
  }

  function clearMark() {
    if (marked) {
      marked.setAttribute('aria-invalid', 'false');
      marked.classList.remove('ie-bad');
      marked = null;
    }
    json.removeAttribute('aria-invalid');
  }

  /** Marks and focuses where error `e` is. */
  function focusError(e) {
    clearMark();
    if (current === 'form' && e && e.path !== undefined) {
      // A set member's path (`tags[2]`) points at its set's row.
      let p = e.path;
      while (p && !paths.has(p)) {
        const up = p.replace(/\[\d+\]$/, '');
        p = up === p ? '' : up;
      }
      const node = paths.get(p);
      if (node) {
        marked = node.mark(true);
        marked.focus();
        return;
      }
    }
    if (current === 'json') {
      json.setAttribute('aria-invalid', 'true');
      json.focus();
      if (e && e.line) {
        const lines = json.value.split('\n');
        let at = 0;
        for (let i = 0; i < e.line - 1 && i < lines.length; i++) at += lines[i].length + 1;
        at += (e.column || 1) - 1;
        json.setSelectionRange(at, Math.min(json.value.length, at + 1));
      }
    }
  }

  /** The key rules: every key attribute present, of its type, not empty; unchanged in edit. */
  function checkKeys(it) {
    for (const k of keys) {
      const av = hasOwn(it, k.name) ? it[k.name] : undefined;
      const path = pathJoin('', k.name);
      if (!av) throw new ItemError(path, `the ${k.role} is missing: every item needs it (type ${k.type})`);
      if (typeOf(av) !== k.type) {
        throw new ItemError(path, `the ${k.role} must be a ${TYPE_NAMES[k.type]} (${k.type}), not ${TYPE_NAMES[typeOf(av)] || typeOf(av)}`);
      }
      if (av[k.type] === '') throw new ItemError(path, `the ${k.role} cannot be empty`);
      if (mode === 'edit' && hasOwn(original, k.name) && JSON.stringify(av) !== JSON.stringify(original[k.name])) {
        throw new ItemError(
          path,
          `the key cannot change while editing (it is ${displayValue(original[k.name], 60)}); use Copy as new item to save under another key`,
        );
      }
    }
  }

  /** The item, checked; throws an ItemError after marking where it is. */
  function value() {
    clearMark();
    try {
      const it = current === 'form' ? validateItem(readForm()) : parseItem(json.value);
      checkKeys(it);
      return it;
    } catch (e) {
      focusError(e);
      throw e;
    }
  }

  buildForm(item);
  setJson(formatItem(keysFirst(item, keys)));
  show(view === 'json' ? 'json' : 'form');
  if (view === 'json') jsonEdited = true;

  return {
    el,
    value,
    view: () => current,
    focus() {
      if (current === 'json') json.focus();
      else {
        const first = editor.rows.find((r) => (r.nameInput && !r.nameInput.readOnly) || (r.control && !r.control.readOnly));
        if (first) (first.control && !first.control.readOnly ? first.control : first.nameInput).focus();
        else editor.addButton.focus();
      }
    },
  };
}

/** Throws an ItemError when `av` (at `path`) is not shaped as DynamoDB JSON the form can hold. */
function checkShape(av, path) {
  const t = typeOf(av);
  if (!t) validateValue(av, path); // an unknown or missing type: its own message
  const v = av[t];
  const fail = (what) => {
    throw new ItemError(path, `${what}; fix it in the JSON view first`);
  };
  if ((t === 'S' || t === 'N' || t === 'B') && typeof v !== 'string') fail(`${t} must be a string`);
  if (t === 'BOOL' && typeof v !== 'boolean') fail('BOOL must be true or false');
  if (t === 'NULL' && v !== true) fail('NULL must be true');
  if (SET_TYPES.has(t)) {
    if (!Array.isArray(v) || v.some((m) => typeof m !== 'string')) fail(`${t} must be an array of strings`);
    if (v.some((m) => /[\r\n]/.test(m))) fail(`${t} has a member with a line break, which the form's one-member-a-line list cannot hold`);
    if (v.some((m) => m === '')) fail(`${t} has an empty member, which the form's list cannot hold`);
  }
  if (t === 'M') {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail('M must be an object');
    for (const [k, x] of Object.entries(v)) checkShape(x, pathJoin(path, k));
  }
  if (t === 'L') {
    if (!Array.isArray(v)) fail('L must be an array');
    v.forEach((x, i) => checkShape(x, `${path}[${i}]`));
  }
}
