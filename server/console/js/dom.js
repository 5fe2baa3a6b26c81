// A small DOM helper: elements from tag, properties and children; no HTML strings, so
// nothing the server answers is ever parsed as markup. Also the pieces every page shares:
// labelled controls, facts lists, notices and errors shown in place (and focused when the
// control that had the focus goes away).

/**
 * `h('a', { href: '#/x', onclick: f }, 'text', child)`: properties starting with `on` are
 * event listeners, `class` and `for` are the attributes, booleans toggle attributes.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  return append(el, ...children);
}

/** Appends `children` to `el` (nested arrays flattened; null, undefined, false left out); answers `el`. */
export function append(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces `el`'s children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, ...children);
}

/** An error shown in place: its code, message and request id. */
export function errorBox(e) {
  return h(
    'div',
    { class: 'error', role: 'alert' },
    e && e.code ? h('span', { class: 'code' }, e.code) : null,
    (e && e.message) || String(e),
    e && e.requestId ? h('span', { class: 'rid' }, `request id ${e.requestId}`) : null,
  );
}

/** A message shown in place after an action (announced to screen readers; focusable). */
export function notice(...children) {
  return h('div', { class: 'notice', role: 'status', tabindex: '-1' }, ...children);
}

/**
 * Moves the keyboard focus to `el` (made focusable with tabindex -1 when it is not already),
 * for when the control that had the focus was removed by what it did.
 */
export function focusOn(el) {
  if (!el || !el.isConnected) return;
  if (!el.matches('a[href], button, input, select, textarea, summary, [tabindex]')) el.setAttribute('tabindex', '-1');
  el.focus();
}

/** Shows error `e` in `container` (replacing what it holds) and focuses it; answers the box. */
export function showError(container, e) {
  const box = errorBox(e);
  box.setAttribute('tabindex', '-1');
  replace(container, box);
  box.focus();
  return box;
}

/** Shows a notice of `children` in `container` (replacing what it holds) and focuses it. */
export function showNotice(container, ...children) {
  const box = notice(...children);
  replace(container, box);
  box.focus();
  return box;
}

let ids = 0;

/** A fresh element id starting with `prefix`. */
export function uid(prefix = 'f') {
  return `${prefix}_${++ids}`;
}

/** A labelled input: `{ label, hint, ...input props }`; answers `{ el, input }`. */
export function field({ label, hint, class: cls, ...input }) {
  const id = input.id || uid('f');
  const control = h(input.tag || 'input', { ...input, tag: undefined, id });
  return {
    el: h(
      'div',
      { class: `field ${cls || ''}` },
      h('label', { for: id }, label, hint ? h('span', { class: 'hint' }, ` ${hint}`) : null),
      control,
    ),
    input: control,
  };
}

/**
 * An existing control (a select, a checkbox built elsewhere) with its `<label>` in a `.field`
 * div; answers `{ el, label, input }` (the label can be rewritten later).
 */
export function labelled(text, control, cls = '') {
  if (!control.id) control.id = uid('c');
  const label = h('label', { for: control.id }, text);
  return { el: h('div', { class: `field ${cls}`.trim() }, label, control), label, input: control };
}

/** A `<select>` of `options` (`[value, text]` pairs or values). */
export function select(options, value, props = {}) {
  return h(
    'select',
    props,
    options.map((o) => {
      const [v, t] = Array.isArray(o) ? o : [o, o];
      return h('option', { value: v, selected: v === value }, t);
    }),
  );
}

/**
 * A facts list (`<dl class="facts">`) of `[term, value]` pairs: a missing value shows as `—`;
 * a pair that is null or false is left out. `cls` adds classes.
 */
export function facts(pairs, cls = '') {
  return h(
    'dl',
    { class: `facts ${cls}`.trim() },
    pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v === undefined || v === null || v === '' ? '—' : v)]),
  );
}
