// Policy documents checked before they are sent: JSON syntax (with line and column), then the
// grammar the server's policy parser enforces (server/src/iam/policy/parse.rs, condition.rs),
// every problem with its path (`Statement[1].Effect`) and place in the text. Errors are what
// the server would refuse as MalformedPolicyDocument; warnings are accepted by the server but
// probably not what was meant (an action no service has, a variable in a 2008-10-17 document).

/** The versions of the policy language. */
export const VERSIONS = ['2012-10-17', '2008-10-17'];

const TOP_FIELDS = ['Version', 'Id', 'Statement'];
const STATEMENT_FIELDS = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition'];
const STATEMENTS_MAX = 1000;

/** Condition operators, before the `ForAllValues:`/`ForAnyValue:` prefix and `IfExists` suffix. */
export const OPERATORS = [
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
];

/** The actions this server authorizes, by vendor (an exact name outside these matches nothing). */
export const ACTIONS = {
  dynamodb: [
    'BatchExecuteStatement', 'BatchGetItem', 'BatchWriteItem', 'ConditionCheckItem', 'CreateBackup', 'CreateTable', 'DeleteBackup',
    'DeleteItem', 'DeleteTable', 'DescribeBackup', 'DescribeContinuousBackups', 'DescribeEndpoints', 'DescribeExport',
    'DescribeImport', 'DescribeKinesisStreamingDestination', 'DescribeLimits', 'DescribeStream', 'DescribeTable',
    'DescribeTimeToLive', 'DisableKinesisStreamingDestination', 'EnableKinesisStreamingDestination', 'ExecuteStatement',
    'ExecuteTransaction', 'ExportTableToPointInTime', 'GetItem', 'GetRecords', 'GetShardIterator', 'ImportTable', 'ListBackups',
    'ListExports', 'ListImports', 'ListStreams', 'ListTables', 'ListTagsOfResource', 'PartiQLDelete', 'PartiQLInsert',
    'PartiQLSelect', 'PartiQLUpdate', 'PutItem', 'Query', 'RestoreTableFromBackup', 'RestoreTableToPointInTime', 'Scan',
    'TagResource', 'TransactGetItems', 'TransactWriteItems', 'UntagResource', 'UpdateContinuousBackups', 'UpdateItem',
    'UpdateKinesisStreamingDestination', 'UpdateTable', 'UpdateTimeToLive',
  ],
  iam: [
    'AddUserToGroup', 'AttachGroupPolicy', 'AttachRolePolicy', 'AttachUserPolicy', 'CreateAccessKey', 'CreateGroup', 'CreatePolicy',
    'CreatePolicyVersion', 'CreateRole', 'CreateUser', 'DeleteAccessKey', 'DeleteGroup', 'DeleteGroupPolicy', 'DeletePolicy',
    'DeletePolicyVersion', 'DeleteRole', 'DeleteRolePolicy', 'DeleteUser', 'DeleteUserPolicy', 'DetachGroupPolicy',
    'DetachRolePolicy', 'DetachUserPolicy', 'GetGroup', 'GetGroupPolicy', 'GetPolicy', 'GetPolicyVersion', 'GetRole',
    'GetRolePolicy', 'GetUser', 'GetUserPolicy', 'ListAccessKeys', 'ListAttachedGroupPolicies', 'ListAttachedRolePolicies',
    'ListAttachedUserPolicies', 'ListGroupPolicies', 'ListGroups', 'ListGroupsForUser', 'ListPolicies', 'ListPolicyVersions',
    'ListRolePolicies', 'ListRoles', 'ListUserPolicies', 'ListUsers', 'PutGroupPolicy', 'PutRolePolicy', 'PutUserPolicy',
    'RemoveUserFromGroup', 'SetDefaultPolicyVersion', 'UpdateAccessKey',
  ],
  sts: ['AssumeRole', 'GetCallerIdentity', 'GetSessionToken'],
  cloudwatch: [
    'DeleteAlarms', 'DescribeAlarmHistory', 'DescribeAlarms', 'DescribeAlarmsForMetric', 'GetMetricData', 'GetMetricStatistics',
    'ListMetrics', 'PutMetricAlarm', 'PutMetricData', 'SetAlarmState',
  ],
};

/** Condition keys that hold several values (they want `ForAllValues:` or `ForAnyValue:`). */
const MULTIVALUED_KEYS = ['dynamodb:leadingkeys', 'dynamodb:attributes'];

// ---------------------------------------------------------------------------------------
// JSON with locations.

/** A JSON syntax error at `offset` (and its `line`, `column`, both from 1). */
export class JsonSyntaxError extends Error {
  constructor(message, offset, line, column) {
    super(message);
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}

/** Line and column (from 1) of `offset` in `text`. */
export function lineColumn(text, offset) {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** `Statement[1].Condition["dynamodb:LeadingKeys"]` of path segments (strings and indexes). */
export function pathString(segments) {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out || '(document)';
}

/**
 * Parses strict JSON (RFC 8259), keeping where each value starts: answers `{ value, at,
 * duplicates }`, `at` a Map of path string to offset, `duplicates` the paths of keys given
 * twice. Throws JsonSyntaxError.
 */
export function parseJson(text) {
  let i = 0;
  const at = new Map();
  const duplicates = [];
  const fail = (message, offset = i) => {
    const { line, column } = lineColumn(text, offset);
    throw new JsonSyntaxError(`${message} (line ${line}, column ${column})`, offset, line, column);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const describe = () => (i >= text.length ? 'the end of the text' : JSON.stringify(text[i]));

  function value(path) {
    ws();
    at.set(pathString(path), i);
    const c = text[i];
    if (c === '{') return object(path);
    if (c === '[') return array(path);
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    if (c === "'") fail('Strings take double quotes, not single quotes');
    return fail(`Expected a value but found ${describe()}`);
  }

  function object(path) {
    i++;
    // No prototype: a member named `__proto__` or `constructor` is a member like any other.
    const out = Object.create(null);
    ws();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail(text[i] === '}' ? 'No comma may follow the last member of an object' : `Expected a property name in double quotes but found ${describe()}`);
      const keyAt = i;
      const key = string();
      ws();
      if (text[i] !== ':') fail(`Expected ':' after the property name "${key}" but found ${describe()}`);
      i++;
      const sub = [...path, key];
      if (Object.hasOwn(out, key)) duplicates.push({ path: pathString(sub), offset: keyAt });
      out[key] = value(sub);
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      fail(`Expected ',' or '}' after the value of "${key}" but found ${describe()}`);
    }
  }

  function array(path) {
    i++;
    const out = [];
    ws();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (text[i] === ']') fail('No comma may follow the last element of an array');
      out.push(value([...path, out.length]));
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return out;
      }
      fail(`Expected ',' or ']' after an array element but found ${describe()}`);
    }
  }

  function string() {
    const start = i;
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('This string is never closed', start);
      const c = text[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        const e = text[i + 1];
        const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          fail(`Invalid escape '\\${e ?? ''}' in a string`);
        }
        continue;
      }
      if (c < ' ') fail(c === '\n' ? 'A string may not span lines (close it with ")' : 'A control character in a string must be escaped');
      out += c;
      i++;
    }
  }

  function number() {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (!m) fail('Invalid number');
    i += m[0].length;
    return Number(m[0]);
  }

  const v = value([]);
  ws();
  if (i < text.length) fail(`Unexpected ${describe()} after the end of the document`);
  return { value: v, at, duplicates };
}

// ---------------------------------------------------------------------------------------
// The grammar.

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (o, k) => Object.hasOwn(o, k);
const typeName = (v) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : isObject(v) ? 'an object' : `a ${typeof v}`);

/** A date the server's Date operators take: ISO 8601 date (and time) or epoch seconds. */
export function isPolicyDate(s) {
  const t = String(s).trim();
  if (!/[-Tt]/.test(t)) return /^-?[0-9]+$/.test(t);
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[Tt](\d{2})(?::(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|z|[+-]\d{2}:?\d{2})?)?$/.exec(t);
  if (!m) return false;
  const [, y, mo = '01', d = '01', hh = '00', mm = '00', ss = '00'] = m;
  const days = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  return Number(mo) >= 1 && Number(mo) <= 12 && Number(d) >= 1 && Number(d) <= days && Number(hh) <= 23 && Number(mm) <= 59 && Number(ss) <= 59;
}

/** `[ForAllValues:|ForAnyValue:]Name[IfExists]` as `{ set, base, ifExists }`, or null. */
export function parseOperator(name) {
  let set = null;
  let rest = name;
  for (const p of ['ForAllValues:', 'ForAnyValue:']) {
    if (rest.startsWith(p)) {
      set = p.slice(0, -1);
      rest = rest.slice(p.length);
    }
  }
  const ifExists = rest.endsWith('IfExists');
  const base = ifExists ? rest.slice(0, -'IfExists'.length) : rest;
  if (!OPERATORS.includes(base)) return null;
  if (base === 'Null' && (ifExists || set)) return null;
  return { set, base, ifExists };
}

/**
 * Checks a policy document. `kind`: `identity` (users', groups', roles' and managed policies:
 * Resource, no Principal) or `trust` (a role's: Principal, no Resource). `sizeMax`: the most
 * characters without whitespace the document may have (IAM's quotas count them so).
 * Answers `{ ok, value, errors, warnings, size }`; each problem is `{ path, message, offset,
 * line, column }`.
 */
export function validatePolicy(text, { kind = 'identity', sizeMax } = {}) {
  const errors = [];
  const warnings = [];
  const size = String(text).replace(/\s/g, '').length;
  let parsed;
  try {
    parsed = parseJson(String(text));
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    const problem = { path: '(JSON syntax)', message: e.message, offset: e.offset, line: e.line, column: e.column };
    return { ok: false, value: undefined, errors: [problem], warnings, size };
  }
  const { value: doc, at } = parsed;
  const place = (segments) => {
    // The nearest enclosing value that has a place (a missing field is reported at its object).
    for (let n = segments.length; n >= 0; n--) {
      const offset = at.get(pathString(segments.slice(0, n)));
      if (offset !== undefined) return { offset, ...lineColumn(text, offset) };
    }
    return { offset: 0, line: 1, column: 1 };
  };
  const err = (segments, message) => errors.push({ path: pathString(segments), message, ...place(segments) });
  const warn = (segments, message) => warnings.push({ path: pathString(segments), message, ...place(segments) });

  for (const d of parsed.duplicates) {
    warnings.push({ path: d.path, message: 'This key is given twice: only its last value counts.', offset: d.offset, ...lineColumn(text, d.offset) });
  }
  if (sizeMax && size > sizeMax) {
    err([], `The document has ${size} characters without whitespace: at most ${sizeMax} are allowed.`);
  }
  if (!isObject(doc)) {
    err([], `A policy document is a JSON object ({ "Version": …, "Statement": … }), not ${typeName(doc)}.`);
    return { ok: false, value: doc, errors, warnings, size };
  }
  unknownFields(doc, [], TOP_FIELDS, err);
  let variables = false;
  let versionKnown = true;
  if (!has(doc, 'Version')) {
    warn([], 'No Version: the document is read as version 2008-10-17, which has no policy variables (${aws:username} …). Add "Version": "2012-10-17".');
  } else if (!VERSIONS.includes(doc.Version)) {
    err(['Version'], `Version must be "2012-10-17" or "2008-10-17", not ${JSON.stringify(doc.Version)}.`);
    versionKnown = false;
  } else {
    variables = doc.Version === '2012-10-17';
  }
  if (has(doc, 'Id') && typeof doc.Id !== 'string') err(['Id'], `Id must be a string, not ${typeName(doc.Id)}.`);

  if (!has(doc, 'Statement')) {
    err([], 'Missing required field Statement (a statement object, or an array of them).');
  } else {
    const list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    const single = !Array.isArray(doc.Statement);
    if (!single && list.length === 0) err(['Statement'], 'Statement must hold at least one statement.');
    if (list.length > STATEMENTS_MAX) err(['Statement'], `A policy may have at most ${STATEMENTS_MAX} statements.`);
    const sids = new Map();
    list.forEach((s, n) => {
      const p = single ? ['Statement'] : ['Statement', n];
      if (!isObject(s)) {
        err(p, `A statement is an object, not ${typeName(s)}.`);
        return;
      }
      statement(s, p, { kind, err, warn, sids });
    });
  }
  if (versionKnown && !variables && /\$\{[^}]*\}/.test(JSON.stringify(doc.Statement ?? ''))) {
    warn(['Version'], 'The document uses policy variables (${…}), which only version 2012-10-17 substitutes: here they are plain text.');
  }
  return { ok: errors.length === 0, value: doc, errors, warnings, size };
}

function unknownFields(obj, path, known, err) {
  for (const k of Object.keys(obj)) {
    if (known.includes(k)) continue;
    const close = known.find((f) => f.toLowerCase() === k.toLowerCase());
    err([...path, k], close ? `Unknown field ${k}: field names are case-sensitive, did you mean ${close}?` : `Unknown field ${k} (a ${path.length ? 'statement' : 'policy'} has ${known.join(', ')}).`);
  }
}

/** A string or a non-empty array of strings: answers the strings, or null after reporting. */
function stringList(v, path, what, err) {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) {
    err(path, `${what} must be a string or an array of strings, not ${typeName(v)}.`);
    return null;
  }
  if (v.length === 0) {
    err(path, `${what} must not be empty.`);
    return null;
  }
  let ok = true;
  v.forEach((x, n) => {
    if (typeof x !== 'string') {
      err([...path, n], `Each ${what} must be a string, not ${typeName(x)}.`);
      ok = false;
    }
  });
  return ok ? v : null;
}

/** Exactly one of `a` and `b` of statement `s`: answers the field's name, or null. */
function either(s, a, b, path, err, required) {
  if (has(s, a) && has(s, b)) {
    err([...path, b], `A statement has ${a} or ${b}, not both.`);
    return null;
  }
  if (has(s, a)) return a;
  if (has(s, b)) return b;
  if (required) err(path, required);
  return null;
}

function statement(s, path, { kind, err, warn, sids }) {
  unknownFields(s, path, STATEMENT_FIELDS, err);
  if (has(s, 'Sid')) {
    if (typeof s.Sid !== 'string') err([...path, 'Sid'], `Sid must be a string, not ${typeName(s.Sid)}.`);
    else if (!/^[0-9A-Za-z]*$/.test(s.Sid)) err([...path, 'Sid'], 'Sid may hold only letters and digits ([0-9A-Za-z]*).');
    else if (s.Sid) {
      if (sids.has(s.Sid)) err([...path, 'Sid'], `Sid ${s.Sid} is also the Sid of ${sids.get(s.Sid)}: each must be unique.`);
      else sids.set(s.Sid, pathString(path));
    }
  }
  if (!has(s, 'Effect')) err(path, 'Missing required field Effect ("Allow" or "Deny").');
  else if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
    const fold = typeof s.Effect === 'string' && ['allow', 'deny'].includes(s.Effect.toLowerCase());
    err([...path, 'Effect'], fold ? `Effect is case-sensitive: "${s.Effect[0].toUpperCase()}${s.Effect.slice(1).toLowerCase()}".` : `Effect must be "Allow" or "Deny", not ${JSON.stringify(s.Effect)}.`);
  }

  const actionField = either(s, 'Action', 'NotAction', path, err, 'A statement must have Action or NotAction.');
  if (actionField) {
    const list = stringList(s[actionField], [...path, actionField], actionField === 'Action' ? 'Action' : 'NotAction', err);
    (list || []).forEach((a, n) => action(a, Array.isArray(s[actionField]) ? [...path, actionField, n] : [...path, actionField], err, warn));
  }

  if (kind === 'trust') {
    for (const f of ['Resource', 'NotResource']) if (has(s, f)) err([...path, f], `A role's trust policy has no ${f}: it names who may assume the role (Principal).`);
    const pf = either(s, 'Principal', 'NotPrincipal', path, err, 'A trust policy statement must have Principal or NotPrincipal.');
    if (pf) principal(s[pf], [...path, pf], err);
  } else {
    for (const f of ['Principal', 'NotPrincipal']) if (has(s, f)) err([...path, f], `This policy is attached to an identity, so it names no ${f}.`);
    const rf = either(s, 'Resource', 'NotResource', path, err, 'A statement must have Resource or NotResource ("*" or ARNs).');
    if (rf) {
      const list = stringList(s[rf], [...path, rf], rf, err);
      (list || []).forEach((r, n) => {
        const p = Array.isArray(s[rf]) ? [...path, rf, n] : [...path, rf];
        if (r !== '*' && !r.includes(':')) err(p, `Resource ${JSON.stringify(r)} must be "*" or an ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME).`);
      });
    }
  }
  if (has(s, 'Condition')) condition(s.Condition, [...path, 'Condition'], { err, warn });
}

function action(a, path, err, warn) {
  if (a === '*') return;
  const colon = a.indexOf(':');
  if (colon < 0) {
    err(path, `Action ${JSON.stringify(a)} needs its service prefix, as in "dynamodb:GetItem".`);
    return;
  }
  const vendor = a.slice(0, colon);
  const name = a.slice(colon + 1);
  if (name.includes(':')) err(path, `Action ${JSON.stringify(a)} may have only one colon.`);
  else if (/[*?]/.test(vendor)) err(path, `The service prefix of ${JSON.stringify(a)} may not have wildcards.`);
  else if (!/^[A-Za-z0-9.-]+$/.test(vendor)) err(path, `Service prefix ${JSON.stringify(vendor)} is not valid.`);
  else {
    const known = has(ACTIONS, vendor.toLowerCase()) ? ACTIONS[vendor.toLowerCase()] : null;
    if (!known) {
      warn(path, `This server has no ${vendor} service: the action never applies.`);
    } else if (!/[*?]/.test(name) && !known.some((k) => k.toLowerCase() === name.toLowerCase())) {
      const near = known.filter((k) => k.toLowerCase().startsWith(name.toLowerCase().slice(0, 5))).slice(0, 3);
      warn(path, `${vendor}:${name} is no action of ${vendor}: it matches nothing.${near.length ? ` Did you mean ${near.map((k) => `${vendor}:${k}`).join(', ')}?` : ''}`);
    } else if (/[*?]/.test(name) && !known.some((k) => globMatch(name.toLowerCase(), k.toLowerCase()))) {
      warn(path, `${a} matches no action of ${vendor}.`);
    }
  }
}

function globMatch(pattern, s) {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(s);
}

function principal(p, path, err) {
  if (p === '*') return;
  if (!isObject(p)) {
    err(path, `A principal is "*" or an object such as {"AWS": "arn:aws:iam::ACCOUNT:root"}, not ${typeName(p)}.`);
    return;
  }
  const types = Object.keys(p);
  if (types.length === 0) err(path, 'The principal names nobody.');
  for (const t of types) {
    const list = stringList(p[t], [...path, t], `${t} principal`, err);
    if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(t)) {
      err([...path, t], `Unknown principal type ${t} (AWS, Service, Federated, CanonicalUser).`);
      continue;
    }
    for (const [n, v] of (list || []).entries()) {
      const at = Array.isArray(p[t]) ? [...path, t, n] : [...path, t];
      if (t === 'AWS' && !(v === '*' || /^[0-9]{12}$/.test(v) || /^arn:[^:]+:(iam|sts)::[0-9]{12}:(root|user\/|role\/|assumed-role\/)/.test(v))) {
        err(at, `AWS principal ${JSON.stringify(v)} must be "*", an account id, or an IAM ARN (arn:aws:iam::ACCOUNT:root, …:user/NAME, …:role/NAME).`);
      } else if (t !== 'AWS' && (v === '' || /[*?]/.test(v))) {
        err(at, `${t} principal ${JSON.stringify(v)} must be a name without wildcards.`);
      }
    }
  }
}

function condition(c, path, { err, warn }) {
  if (!isObject(c)) {
    err(path, `Condition is an object of operator → key → values, not ${typeName(c)}.`);
    return;
  }
  for (const [opName, keys] of Object.entries(c)) {
    const op = parseOperator(opName);
    const opPath = [...path, opName];
    if (!op) {
      const base = opName.replace(/^For(AllValues|AnyValue):/, '').replace(/IfExists$/, '');
      const b = base.toLowerCase();
      const close = OPERATORS.find((o) => o.toLowerCase() === b) || OPERATORS.find((o) => o.toLowerCase().startsWith(b) || b.startsWith(o.toLowerCase()));
      err(opPath, base === 'Null'
        ? 'Null takes neither IfExists nor ForAllValues:/ForAnyValue:.'
        : `Unknown condition operator ${opName}${close ? ` (did you mean ${close}? operators are case-sensitive)` : ''}.`);
      continue;
    }
    if (!isObject(keys)) {
      err(opPath, `An operator takes an object of condition key → values, not ${typeName(keys)}.`);
      continue;
    }
    for (const [key, values] of Object.entries(keys)) {
      const keyPath = [...opPath, key];
      if (!key.includes(':') || key.startsWith(':')) {
        err(keyPath, `Condition key ${JSON.stringify(key)} needs its prefix, as in "aws:username" or "dynamodb:LeadingKeys".`);
        continue;
      }
      const list = Array.isArray(values) ? values : [values];
      let scalars = true;
      list.forEach((v, n) => {
        if (v === null || typeof v === 'object') {
          err(Array.isArray(values) ? [...keyPath, n] : keyPath, `A condition value is a string, number or boolean, not ${typeName(v)}.`);
          scalars = false;
        }
      });
      if (!scalars) continue;
      list.forEach((v, n) => {
        const at = Array.isArray(values) ? [...keyPath, n] : keyPath;
        const s = String(v);
        if (op.base.startsWith('Date') && !isPolicyDate(s)) err(at, `${JSON.stringify(s)} is not a date (2026-12-06, 2026-12-06T12:00:00Z, or epoch seconds).`);
        if (op.base.startsWith('Numeric') && !/^-?[0-9]+(\.[0-9]+)?$/.test(s.trim())) warn(at, `${JSON.stringify(s)} is not a number: it matches nothing.`);
        if (op.base === 'Null' && !['true', 'false'].includes(s.toLowerCase())) warn(at, 'Null takes true (the key is absent) or false (it is present).');
        if (op.base === 'Bool' && !['true', 'false'].includes(s.toLowerCase())) warn(at, 'Bool takes true or false.');
        if ((op.base === 'IpAddress' || op.base === 'NotIpAddress') && !/^[0-9a-fA-F:.]+(\/[0-9]{1,3})?$/.test(s)) warn(at, `${JSON.stringify(s)} is not an IP address or CIDR range: it matches nothing.`);
      });
      if (MULTIVALUED_KEYS.includes(key.toLowerCase()) && !op.set && op.base !== 'Null') {
        warn(keyPath, `${key} holds several values: say how they must match with ForAllValues:${opName} (every value) or ForAnyValue:${opName} (any one).`);
      }
    }
  }
}

/**
 * The document re-indented with 2 spaces (as `JSON.stringify(…, null, 2)` lays it out), or null
 * when it is not JSON. Only the whitespace between tokens changes: every number keeps the text
 * it was written with (`12345678901234567891`, `1.50`), every string its escapes, and a key given
 * twice stays twice (a warning says so).
 */
export function formatPolicy(text) {
  const t = String(text);
  try {
    parseJson(t);
  } catch {
    return null;
  }
  const WS = ' \t\n\r';
  let out = '';
  let depth = 0;
  const newline = () => `\n${'  '.repeat(depth)}`;
  for (let i = 0; i < t.length; ) {
    const c = t[i];
    if (WS.includes(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (t[j] !== '"') j += t[j] === '\\' ? 2 : 1;
      out += t.slice(i, j + 1);
      i = j + 1;
    } else if (c === '{' || c === '[') {
      let j = i + 1;
      while (WS.includes(t[j])) j++;
      const close = c === '{' ? '}' : ']';
      if (t[j] === close) {
        out += c + close;
        i = j + 1;
      } else {
        depth++;
        out += c + newline();
        i++;
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += newline() + c;
      i++;
    } else if (c === ',') {
      out += `,${newline()}`;
      i++;
    } else if (c === ':') {
      out += ': ';
      i++;
    } else {
      // A number, true, false or null: as written.
      let j = i;
      while (j < t.length && !`${WS},:]}`.includes(t[j])) j++;
      out += t.slice(i, j);
      i = j;
    }
  }
  return out;
}
