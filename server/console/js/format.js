// Formatting of what DescribeTable and friends answer.

const TYPES = { S: 'String', N: 'Number', B: 'Binary' };

/** `pk (S)` of the key of type `keyType` (`HASH`, `RANGE`), or `—`. */
export function keyOf(keySchema, attributeDefinitions, keyType) {
  const k = (keySchema || []).find((x) => x.KeyType === keyType);
  if (!k) return '—';
  const d = (attributeDefinitions || []).find((x) => x.AttributeName === k.AttributeName);
  return d ? `${k.AttributeName} (${TYPES[d.AttributeType] || d.AttributeType})` : k.AttributeName;
}

/** Bytes as `12.3 KB`. */
export function bytes(n) {
  if (n === undefined || n === null) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = Number(n);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** A count with thousands separators. */
export function count(n) {
  return n === undefined || n === null ? '—' : Number(n).toLocaleString('en-US');
}

/** `On-demand` or `Provisioned (5 RCU, 5 WCU)`. */
export function billing(t) {
  const mode = (t.BillingModeSummary && t.BillingModeSummary.BillingMode) || 'PROVISIONED';
  if (mode === 'PAY_PER_REQUEST') return 'On-demand';
  const p = t.ProvisionedThroughput || {};
  return `Provisioned (${p.ReadCapacityUnits ?? '?'} RCU, ${p.WriteCapacityUnits ?? '?'} WCU)`;
}

/** A date of an answer (seconds since the epoch) in ISO form, UTC. */
export function time(seconds) {
  if (seconds === undefined || seconds === null) return '—';
  return new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z');
}

/** `ALL`, `KEYS_ONLY`, or `INCLUDE (a, b)`. */
export function projection(p) {
  if (!p) return '—';
  return p.ProjectionType === 'INCLUDE'
    ? `INCLUDE (${(p.NonKeyAttributes || []).join(', ')})`
    : p.ProjectionType;
}
