// Reading the XML documents AWS Query-protocol services (IAM, STS) answer:
//
//   <ListUsersResponse xmlns="…"><ListUsersResult>
//     <Users><member><UserName>ann</UserName>…</member>…</Users>
//     <IsTruncated>true</IsTruncated><Marker>…</Marker>
//   </ListUsersResult><ResponseMetadata>…</ResponseMetadata></ListUsersResponse>
//
// Paths are `/`-separated element names walked child by child from an element (never a
// search of every descendant, so `User/Path` cannot pick up a nested `Path`).

/** The first child element of `el` called `name` (its local name), or null. */
export function child(el, name) {
  if (!el) return null;
  for (const c of el.children || []) if ((c.localName || c.nodeName) === name) return c;
  return null;
}

/** The element at `path` (`'User/UserName'`) under `el`, or null; `''` is `el` itself. */
export function find(el, path) {
  let at = el;
  for (const part of String(path).split('/').filter(Boolean)) {
    at = child(at, part);
    if (!at) return null;
  }
  return at;
}

/** The `<ActionResult>` element of an answer (`doc`: a Document or its root element). */
export function result(doc) {
  const root = doc && (doc.documentElement || doc);
  if (!root) return null;
  for (const c of root.children || []) if ((c.localName || '').endsWith('Result')) return c;
  return root;
}

/** The text at `path` under `el` (its result element when `el` is a Document), or `fallback`. */
export function text(el, path, fallback = '') {
  const base = el && el.documentElement ? result(el) : el;
  const at = find(base, path);
  return at ? at.textContent : fallback;
}

/** The `<member>` elements of the list at `path` (`'Users'`). */
export function members(el, path) {
  const base = el && el.documentElement ? result(el) : el;
  const list = find(base, path);
  if (!list) return [];
  return [...list.children].filter((c) => (c.localName || c.nodeName) === 'member');
}

/** The texts of the `<member>`s at `path` (a list of strings, as ListUserPolicies answers). */
export function strings(el, path) {
  return members(el, path).map((m) => m.textContent);
}

/** `{ name: text }` of the named children of `el` (missing ones are `''`). */
export function record(el, names) {
  const out = {};
  for (const n of names) out[n] = text(el, n);
  return out;
}

/**
 * One page of a List answer: its `members` at `listPath`, `truncated` (IsTruncated) and the
 * `marker` to ask for the next page with (Marker), or '' on the last page.
 */
export function page(doc, listPath) {
  const r = result(doc);
  const truncated = text(r, 'IsTruncated') === 'true';
  return { items: members(r, listPath), truncated, marker: truncated ? text(r, 'Marker') : '' };
}

/**
 * Every member of a List action, following `Marker` page by page, at most `max` of them:
 * answers `{ items, more }` (`more`: the server had more than `max`).
 * @param {(action: string, params: object) => Promise<Document>} iam
 */
export async function listAll(iam, action, params, listPath, max = 1000) {
  const items = [];
  let marker;
  for (;;) {
    const doc = await iam(action, { ...params, MaxItems: Math.min(1000, max - items.length), Marker: marker });
    const p = page(doc, listPath);
    items.push(...p.items);
    if (!p.truncated) return { items, more: false };
    if (items.length >= max) return { items, more: true };
    marker = p.marker;
  }
}

/** A policy document as IAM answers it (URL-encoded, RFC 3986) as its JSON text. */
export function decodeDocument(s) {
  try {
    return decodeURIComponent(String(s || ''));
  } catch {
    return String(s || '');
  }
}
