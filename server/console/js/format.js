// Formatting of what DescribeTable and friends answer: key schemas, sizes, counts, capacity
// and billing, dates, projections.

import { TYPE_NAMES } from './ddbjson.js';

/** `pk (String)` of the key of type `keyType` (`HASH`, `RANGE`), or `—`. */
export function keyLabel(keySchema, attributeDefinitions, keyType) {
  const k = (keySchema || []).find((x) => x.KeyType === keyType);
  if (!k) return '—';
  const d = (attributeDefinitions || []).find((x) => x.AttributeName === k.AttributeName);
  return d ? `${k.AttributeName} (${TYPE_NAMES[d.AttributeType] || d.AttributeType})` : k.AttributeName;
}

/** One KB: 1,024 bytes, as DynamoDB counts its 400 KB item limit (409,600 bytes). */
export const KB = 1024;

/** Bytes as `76 B`, `12.3 KB`, `1.5 MB` (binary multiples: 1 KB = 1,024 bytes, as DynamoDB counts them). */
export function bytes(n) {
  if (n === undefined || n === null || n === '') return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = Number(n);
  let i = 0;
  while (v >= KB && i < units.length - 1) {
    v /= KB;
    i++;
  }
  return i === 0 ? `${v} B` : `${Number(v.toFixed(1))} ${units[i]}`;
}

/** A count with thousands separators. */
export function count(n) {
  return n === undefined || n === null ? '—' : Number(n).toLocaleString('en-US');
}

/**
 * Whether table `t` is billed by provisioned capacity: DescribeTable's Table (its
 * BillingModeSummary; none means provisioned) or DescribeBackup's SourceTableDetails (BillingMode).
 */
export function isProvisioned(t) {
  return (t?.BillingModeSummary?.BillingMode || t?.BillingMode || 'PROVISIONED') === 'PROVISIONED';
}

/**
 * The capacity of table `t` or one of its indexes: `5 RCU, 5 WCU` from `p` (a
 * ProvisionedThroughput) when provisioned, else `On-demand` (with the maximums of `onDemand`,
 * an OnDemandThroughput, when set).
 */
export function capacity(t, p, onDemand) {
  if (!isProvisioned(t)) {
    const max = [];
    if (onDemand?.MaxReadRequestUnits > 0) max.push(`max ${onDemand.MaxReadRequestUnits} RRU`);
    if (onDemand?.MaxWriteRequestUnits > 0) max.push(`max ${onDemand.MaxWriteRequestUnits} WRU`);
    return max.length ? `On-demand (${max.join(', ')})` : 'On-demand';
  }
  return `${p?.ReadCapacityUnits ?? '?'} RCU, ${p?.WriteCapacityUnits ?? '?'} WCU`;
}

/** A table's billing mode: `On-demand` or `Provisioned (5 RCU, 5 WCU)`. */
export function billing(t) {
  return isProvisioned(t) ? `Provisioned (${capacity(t, t.ProvisionedThroughput)})` : capacity(t, null, t.OnDemandThroughput);
}

/**
 * Consumed capacity as text: `1.5 read capacity units` (`kind` read or write), or `1.5 RCU`
 * when `short`, of `units`: a number, or an answer holding ConsumedCapacity; '' when there is none.
 */
export function consumed(units, kind = 'read', short = false) {
  const n = typeof units === 'number' ? units : units?.ConsumedCapacity?.CapacityUnits;
  if (typeof n !== 'number') return '';
  const shown = Number(n.toFixed(2)).toLocaleString('en-US');
  if (short) return `${shown} ${kind === 'write' ? 'WCU' : 'RCU'}`;
  return `${shown} ${kind} capacity unit${n === 1 ? '' : 's'}`;
}

/** A date of an answer (seconds since the epoch) in ISO form, UTC; `—` when missing. */
export function time(seconds) {
  if (seconds === undefined || seconds === null || seconds === '' || !Number.isFinite(Number(seconds))) return '—';
  return new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z');
}

/** `ALL`, `KEYS_ONLY`, or `INCLUDE (a, b)`. */
export function projection(p) {
  if (!p) return '—';
  return p.ProjectionType === 'INCLUDE'
    ? `INCLUDE (${(p.NonKeyAttributes || []).join(', ')})`
    : p.ProjectionType;
}
