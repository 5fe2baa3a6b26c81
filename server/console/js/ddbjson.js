// DynamoDB JSON: attribute values as the API carries them (`{ "S": "x" }`, `{ "N": "1.5" }`,
// `{ "M": { … } }`, …), and the helpers the pages share to show, key, check and size them.
//
// - `TYPES`, `TYPE_NAMES`: the ten type descriptors and their names; `KEY_TYPES`: the three a
//   key (or an index's key) may have;
// - `typeOf(av)`: the descriptor of an attribute value;
// - `displayValue(av, max)`: one line of text for a table cell;
// - `keyNames(keySchema)`, `keyOf(item, keySchema)`: the key attributes of an item;
// - `keyText(key)`: a key as text (`pk = a, sk = 1`);
// - `validateItem(item)`, `validateValue(av, path)`: a clear error naming the attribute path
//   of the first malformed value (`ItemError`, with `.path`);
// - `parseItem(text)`: JSON text → a checked item (JSON syntax errors with line and column);
// - `formatItem(item)`: an item as indented JSON text;
// - `itemSize(item)`: the item's size in bytes as DynamoDB counts it (400 KB at most);
// - `checkNumber(text)`: why a number string is not a DynamoDB Number, or null.
//
// Nothing here touches the DOM: Node imports it unchanged.

/** The ten type descriptors, scalars first. */
export const TYPES = ['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS'];

/** Each descriptor's name, for selects and messages. */
export const TYPE_NAMES = {
  S: 'String',
  N: 'Number',
  B: 'Binary',
  BOOL: 'Boolean',
  NULL: 'Null',
  M: 'Map',
  L: 'List',
  SS: 'String set',
  NS: 'Number set',
  BS: 'Binary set',
};

/** The types a key attribute may have (S, N, B), as `[descriptor, name]` options. */
export const KEY_TYPES = ['S', 'N', 'B'].map((t) => [t, TYPE_NAMES[t]]);

/** The largest item DynamoDB stores, in bytes: 400 KB of 1,024 bytes (409,600 bytes). */
export const ITEM_SIZE_MAX = 400 * 1024;

/** An error in an item, at `path` (`address.city`, `tags[2]`; `''` for the item itself). */
export class ItemError extends Error {
  constructor(path, message) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'ItemError';
    this.path = path;
    this.detail = message;
  }
}

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The type descriptor of attribute value `av` (`'S'`, `'N'`, `'B'`, `'BOOL'`, `'NULL'`, `'M'`,
 * `'L'`, `'SS'`, `'NS'`, `'BS'`), or `null` when `av` is not an object with exactly one known
 * descriptor.
 */
export function typeOf(av) {
  if (!isObject(av)) return null;
  const keys = Object.keys(av);
  return keys.length === 1 && TYPES.includes(keys[0]) ? keys[0] : null;
}

/** `.name` or `["odd name"]`: one step of an attribute path after `base`. */
export function pathJoin(base, name) {
  const plain = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name);
  if (!base) return plain ? name : JSON.stringify(name);
  return plain ? `${base}.${name}` : `${base}[${JSON.stringify(name)}]`;
}

/** Cuts `text` at `max` characters with an ellipsis. */
function cut(text, max) {
  if (!(max > 0) || text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Compact text of `av` with no length bound (strings quoted inside maps, lists and sets). */
function compact(av, nested) {
  const t = typeOf(av);
  const v = t ? av[t] : av;
  switch (t) {
    case 'S':
      return nested ? JSON.stringify(v) : String(v);
    case 'N':
      return String(v);
    case 'B':
      return nested ? `<${v}>` : String(v);
    case 'BOOL':
      return v ? 'true' : 'false';
    case 'NULL':
      return 'null';
    case 'SS':
      return `{${(v || []).map((s) => (nested ? JSON.stringify(s) : s)).join(', ')}}`;
    case 'NS':
      return `{${(v || []).join(', ')}}`;
    case 'BS':
      return `{${(v || []).map((b) => `<${b}>`).join(', ')}}`;
    case 'L':
      return `[${(v || []).map((x) => compact(x, true)).join(', ')}]`;
    case 'M':
      return `{${Object.entries(v || {})
        .map(([k, x]) => `${JSON.stringify(k)}: ${compact(x, true)}`)
        .join(', ')}}`;
    default:
      // Not DynamoDB JSON: shown as it is rather than hidden.
      return JSON.stringify(av) ?? String(av);
  }
}

/**
 * One line of human text for attribute value `av`: strings and numbers as they are, booleans
 * and null as words, binaries as their base64, sets as `{a, b}` (members quoted inside maps and lists), maps and lists as compact
 * JSON-like text (`{"k": 1, "l": ["a", true]}`). Cut at `max` characters with an ellipsis
 * (`max <= 0` or `Infinity`: no cut). `undefined` (attribute absent) gives `''`.
 */
export function displayValue(av, max = 120) {
  if (av === undefined) return '';
  const text = compact(av, false).replace(/[\r\n\t]+/g, ' ');
  return cut(text, max);
}

/**
 * The key attribute names of `keySchema` (`[{AttributeName, KeyType}]` as DescribeTable
 * answers it, or already a list of names): the partition key first, then the sort key.
 */
export function keyNames(keySchema) {
  const list = keySchema || [];
  if (list.every((k) => typeof k === 'string')) return [...list];
  const order = { HASH: 0, RANGE: 1 };
  return [...list].sort((a, b) => (order[a.KeyType] ?? 2) - (order[b.KeyType] ?? 2)).map((k) => k.AttributeName);
}

/**
 * The key of `item` under `keySchema` (as `keyNames` takes it): an item holding only its key
 * attributes (the ones present), e.g. `{ pk: { S: 'a' }, sk: { N: '1' } }`.
 */
export function keyOf(item, keySchema) {
  const out = {};
  for (const name of keyNames(keySchema)) {
    if (item && hasOwn(item, name)) Object.defineProperty(out, name, { value: item[name], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * A key (an item of key attributes, or any item: every attribute is listed) as text:
 * `pk = a, sk = 1`, each value as `displayValue` shows it, cut at `max` characters.
 */
export function keyText(key, max = 60) {
  return Object.entries(key || {})
    .map(([k, av]) => `${k} = ${displayValue(av, max)}`)
    .join(', ');
}

/**
 * Why `text` is not a DynamoDB Number (`[+-]digits[.digits][e[+-]digits]`, at most 38
 * significant digits, magnitude 1E-130 to 9.99…E+125, or zero), or `null` when it is one.
 */
export function checkNumber(text) {
  if (typeof text !== 'string') return 'a number must be given as a string, e.g. "42"';
  const m = /^[+-]?(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(?:[eE]([+-]?[0-9]+))?$/.exec(text);
  if (!m || text.length > 1024) return `${JSON.stringify(cut(text, 40))} is not a number`;
  const intPart = m[1] || '';
  const frac = m[2] !== undefined ? m[2] : m[3] || '';
  let digits = intPart + frac;
  // value = 0.digits × 10^exp
  let exp = intPart.length + (m[4] ? Number(m[4]) : 0);
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead).replace(/0+$/, '');
  exp -= lead;
  if (digits === '') return null;
  if (exp > 126) return `${cut(text, 40)} is too large (at most 9.99…E+125)`;
  if (exp < -129) return `${cut(text, 40)} is too small (at least 1E-130 when not zero)`;
  if (digits.length > 38) return `${cut(text, 40)} has more than 38 significant digits`;
  return null;
}

/** A number string in one canonical form (`"1.50"`, `"15E-1"` → `"0.15e1"`), for set checks. */
function canonicalNumber(text) {
  const m = /^([+-]?)(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(?:[eE]([+-]?[0-9]+))?$/.exec(text);
  if (!m) return text;
  const intPart = m[2] || '';
  let digits = intPart + (m[3] !== undefined ? m[3] : m[4] || '');
  let exp = intPart.length + (m[5] ? Number(m[5]) : 0);
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead).replace(/0+$/, '');
  exp -= lead;
  if (digits === '') return '0';
  return `${m[1] === '-' ? '-' : ''}0.${digits}e${exp}`;
}

/** Whether `text` is standard base64 (padding included, no whitespace). */
export function isBase64(text) {
  return typeof text === 'string' && text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}

/**
 * Checks attribute value `av` at attribute path `path`; throws an `ItemError` naming the path
 * of the first thing wrong (unknown or several type descriptors, a number that is not one, a
 * binary that is not base64, an empty or duplicated set, a wrong JSON type…).
 */
export function validateValue(av, path) {
  if (!isObject(av)) {
    throw new ItemError(path, `expected an attribute value such as {"S": "text"}, found ${jsonKind(av)}`);
  }
  const keys = Object.keys(av);
  if (keys.length === 0) throw new ItemError(path, 'empty attribute value: give one type, e.g. {"S": "text"}');
  if (keys.length > 1) {
    throw new ItemError(path, `an attribute value has exactly one type, found ${keys.map((k) => JSON.stringify(k)).join(', ')}`);
  }
  const t = keys[0];
  const v = av[t];
  if (!TYPES.includes(t)) {
    const near = TYPES.find((x) => x === t.toUpperCase());
    throw new ItemError(
      path,
      `unknown type ${JSON.stringify(t)}${near ? ` (did you mean "${near}"?)` : ''}; one of ${TYPES.join(', ')}`,
    );
  }
  switch (t) {
    case 'S':
      if (typeof v !== 'string') throw new ItemError(path, `S must be a JSON string, found ${jsonKind(v)}`);
      return;
    case 'N': {
      const why = checkNumber(v);
      if (why) throw new ItemError(path, `N: ${why}`);
      return;
    }
    case 'B':
      if (!isBase64(v)) throw new ItemError(path, 'B must be a base64 string (A–Z, a–z, 0–9, +, /, = padding)');
      return;
    case 'BOOL':
      if (typeof v !== 'boolean') throw new ItemError(path, `BOOL must be true or false, found ${jsonKind(v)}`);
      return;
    case 'NULL':
      if (v !== true) throw new ItemError(path, 'NULL must be true');
      return;
    case 'M':
      if (!isObject(v)) throw new ItemError(path, `M must be a JSON object, found ${jsonKind(v)}`);
      for (const [k, x] of Object.entries(v)) validateValue(x, pathJoin(path, k));
      return;
    case 'L':
      if (!Array.isArray(v)) throw new ItemError(path, `L must be a JSON array, found ${jsonKind(v)}`);
      v.forEach((x, i) => validateValue(x, `${path}[${i}]`));
      return;
    default:
      validateSet(t, v, path);
  }
}

function validateSet(t, v, path) {
  if (!Array.isArray(v)) throw new ItemError(path, `${t} must be a JSON array, found ${jsonKind(v)}`);
  if (v.length === 0) throw new ItemError(path, `${t}: a set cannot be empty (remove the attribute instead)`);
  const seen = new Map();
  v.forEach((m, i) => {
    const at = `${path}[${i}]`;
    let canon = m;
    if (t === 'SS') {
      if (typeof m !== 'string') throw new ItemError(at, `SS members must be strings, found ${jsonKind(m)}`);
    } else if (t === 'NS') {
      const why = checkNumber(m);
      if (why) throw new ItemError(at, `NS: ${why}`);
      canon = canonicalNumber(m);
    } else if (!isBase64(m)) {
      throw new ItemError(at, 'BS members must be base64 strings');
    }
    if (seen.has(canon)) {
      throw new ItemError(path, `${t}: duplicate member ${JSON.stringify(m)} (at [${seen.get(canon)}] and [${i}])`);
    }
    seen.set(canon, i);
  });
}

function jsonKind(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(cut(v, 30))}`;
  return `${typeof v} ${String(v)}`;
}

/**
 * Checks that `item` is a DynamoDB JSON item (an object of attribute name → attribute value);
 * throws an `ItemError` (an `Error`) whose message names the attribute path of the first
 * problem, e.g. `address.zip: N: "12a" is not a number`.
 */
export function validateItem(item) {
  if (!isObject(item)) throw new ItemError('', `an item is a JSON object of attributes, found ${jsonKind(item)}`);
  for (const [name, av] of Object.entries(item)) {
    if (name === '') throw new ItemError('', 'an attribute name cannot be empty');
    validateValue(av, pathJoin('', name));
  }
  return item;
}

/**
 * Parses `text` as a DynamoDB JSON item and checks it (`validateItem`). A JSON syntax error
 * becomes an `ItemError` with `.line` and `.column` (1-based) where the browser tells them.
 */
export function parseItem(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const err = new ItemError('', `not valid JSON: ${e.message}`);
    const where = syntaxPosition(text, e.message);
    if (where) {
      Object.assign(err, where);
      err.message = `line ${where.line}, column ${where.column}: not valid JSON (${e.message})`;
    }
    throw err;
  }
  return validateItem(value);
}

/** `{ line, column }` of a JSON.parse error message (`at position 12`, `line 2 column 3`). */
function syntaxPosition(text, message) {
  let m = /line (\d+) column (\d+)/.exec(message);
  if (m) return { line: Number(m[1]), column: Number(m[2]) };
  m = /position (\d+)/.exec(message);
  if (!m) return null;
  const before = text.slice(0, Number(m[1])).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/**
 * `item` as JSON text for reading and editing: one attribute a line, scalars and sets inline
 * (`"pk": {"S": "a"}`), maps and lists opened over the lines below, indented by two spaces.
 */
export function formatItem(item) {
  return formatEntries(item || {}, '');
}

function formatEntries(obj, indent) {
  const names = Object.keys(obj);
  if (names.length === 0) return '{}';
  const inner = `${indent}  `;
  const lines = names.map((n) => `${inner}${JSON.stringify(n)}: ${formatValue(obj[n], inner)}`);
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

function formatValue(av, indent) {
  const t = typeOf(av);
  if (t === 'M' && isObject(av.M)) return `{"M": ${formatEntries(av.M, indent)}}`;
  if (t === 'L' && Array.isArray(av.L)) {
    if (av.L.length === 0) return '{"L": []}';
    const inner = `${indent}  `;
    return `{"L": [\n${av.L.map((x) => `${inner}${formatValue(x, inner)}`).join(',\n')}\n${indent}]}`;
  }
  if (t && Array.isArray(av[t])) return `{${JSON.stringify(t)}: [${av[t].map((m) => JSON.stringify(m)).join(', ')}]}`;
  if (t) return `{${JSON.stringify(t)}: ${JSON.stringify(av[t])}}`;
  return JSON.stringify(av);
}

const utf8 = (s) => new TextEncoder().encode(s).length;
const b64len = (s) => Math.floor((s.length * 3) / 4) - (s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0);

/** DynamoDB's size of a Number: 1 byte, plus 1 per 2 digits of its plain decimal text. */
function numberSize(text) {
  const c = canonicalNumber(String(text));
  if (c === '0') return 2;
  const m = /^-?0\.([0-9]+)e(-?[0-9]+)$/.exec(c);
  if (!m) return 1;
  const len = m[1].length;
  const exp = Number(m[2]);
  const digits = exp >= len ? exp : exp > 0 ? len : len - exp + 1;
  return 1 + Math.ceil(digits / 2);
}

/** The size of attribute value `av` in bytes, as DynamoDB counts it. */
export function valueSize(av) {
  const t = typeOf(av);
  const v = t ? av[t] : null;
  switch (t) {
    case 'S':
      return utf8(v);
    case 'N':
      return numberSize(v);
    case 'B':
      return b64len(v);
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return v.reduce((n, s) => n + utf8(s), 0);
    case 'NS':
      return v.reduce((n, s) => n + numberSize(s), 0);
    case 'BS':
      return v.reduce((n, s) => n + b64len(s), 0);
    case 'L':
      return 3 + v.reduce((n, x) => n + 1 + valueSize(x), 0);
    case 'M':
      return 3 + Object.entries(v).reduce((n, [k, x]) => n + 1 + utf8(k) + valueSize(x), 0);
    default:
      return 0;
  }
}

/** The size of `item` in bytes as DynamoDB counts it (names plus values; 400 KB at most). */
export function itemSize(item) {
  return Object.entries(item || {}).reduce((n, [k, av]) => n + utf8(k) + valueSize(av), 0);
}
