// A small DOM helper: elements from tag, properties and children; no HTML strings, so
// nothing the server answers is ever parsed as markup.

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
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces `el`'s children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
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

/** A labelled input: `{ label, hint, ...input props }`. */
export function field({ label, hint, class: cls, ...input }) {
  const id = input.id || `f_${Math.random().toString(36).slice(2, 9)}`;
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
