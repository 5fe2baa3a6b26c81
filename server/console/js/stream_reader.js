// Reading a DynamoDB stream live, shard by shard (no DOM: Node imports it unchanged).
//
// `streamReader(streams, arn, { position, onShards, maxShards })` answers a reader whose
// `poll()` reads what is new: on the first call it describes the stream and takes an iterator
// of each shard (`LATEST`: the open shards, from now on; `TRIM_HORIZON`: every shard, from the
// oldest record kept), then each call runs GetRecords once on every shard not yet drained and
// answers the new records (each with `shardId`), oldest first. A shard whose NextShardIterator
// is null is drained (closed and read to its end): the stream is described again, and shards
// it did not know (the children of a rollover, the shards of a re-enabled stream) are read
// from their start, so nothing between them is missed. It also re-describes every
// `describeEvery` polls, to see the stream's status. An expired iterator (15 minutes, after a
// long pause) is taken again after the last record read, or, when none was read yet, as the
// shard was first read (TRIM_HORIZON stays TRIM_HORIZON: nothing is skipped); a trimmed
// position is taken again at TRIM_HORIZON (`gaps` counts those).
//
// `poll(alive)` checks `alive()` before each request and stops as soon as it is false (the
// page was left, the view paused or restarted): no request is made after that, and what was
// read already is answered. A shard's error does not lose the other shards' records: it is
// kept in `state.error` (null after a poll without one) and the shard is read again next poll.

const DESCRIBE_PAGES = 10;

/** Thrown instead of making a request once `alive()` is false. */
const STOPPED = Symbol('stopped');

/** Orders records of several shards: by approximate time, then sequence number (as numbers). */
export function compareRecords(a, b) {
  const ta = a.dynamodb?.ApproximateCreationDateTime ?? 0;
  const tb = b.dynamodb?.ApproximateCreationDateTime ?? 0;
  if (ta !== tb) return ta - tb;
  const sa = (a.dynamodb?.SequenceNumber || '').replace(/^0+/, '');
  const sb = (b.dynamodb?.SequenceNumber || '').replace(/^0+/, '');
  return sa.length - sb.length || (sa < sb ? -1 : sa > sb ? 1 : 0);
}

/**
 * @param {(op: string, body: object) => Promise<object>} streams - `ctx.api.streams`
 * @param {string} arn - the stream's ARN
 * @param {{position?: 'LATEST'|'TRIM_HORIZON', onShards?: Function, maxShards?: number,
 *   describeEvery?: number, limit?: number}} [options]
 */
export function streamReader(streams, arn, { position = 'LATEST', onShards, maxShards = 64, describeEvery = 10, limit = 100 } = {}) {
  /** Each shard by id: `{ id, parent, start, end, iterator, type, startType, lastSeq, done, read }`. */
  const shards = new Map();
  const state = { arn, status: null, viewType: null, polls: 0, gaps: 0, needDescribe: true, first: true, error: null, shards };

  async function describe(call) {
    const all = [];
    let start;
    let d;
    for (let page = 0; page < DESCRIBE_PAGES; page++) {
      const body = { StreamArn: arn, Limit: 100 };
      if (start) body.ExclusiveStartShardId = start;
      d = (await call('DescribeStream', body)).StreamDescription;
      all.push(...(d.Shards || []));
      start = d.LastEvaluatedShardId;
      if (!start) break;
    }
    state.status = d.StreamStatus;
    state.viewType = d.StreamViewType;
    state.label = d.StreamLabel;
    state.created = d.CreationRequestDateTime;
    state.truncated = !!start;
    const listed = new Set();
    for (const sh of all) {
      listed.add(sh.ShardId);
      const known = shards.get(sh.ShardId);
      const end = sh.SequenceNumberRange?.EndingSequenceNumber || null;
      if (known) {
        known.end = end;
        continue;
      }
      const s = { id: sh.ShardId, parent: sh.ParentShardId || null, start: sh.SequenceNumberRange?.StartingSequenceNumber || null, end, iterator: null, type: 'TRIM_HORIZON', lastSeq: null, done: false, read: 0 };
      if (state.first && position === 'LATEST') {
        // From now on: the open shards at their tip; closed ones hold only the past.
        if (end) s.done = true;
        else s.type = 'LATEST';
      }
      s.startType = s.type;
      shards.set(sh.ShardId, s);
    }
    // A shard no longer listed was trimmed away: nothing more to read there.
    for (const s of shards.values()) if (!listed.has(s.id)) s.done = true;
    state.first = false;
    state.needDescribe = false;
    if (onShards) onShards(state);
  }

  /**
   * Whether failure `e` of shard `s` is one the reader gets over: its records trimmed (a gap
   * counted; read again from the oldest kept), or the shard gone (done with it).
   */
  function settled(s, e) {
    if (e.code === 'TrimmedDataAccessException') {
      state.gaps++;
      s.type = 'TRIM_HORIZON';
      return true;
    }
    if (e.code === 'ResourceNotFoundException') {
      s.done = true;
      return true;
    }
    return false;
  }

  async function readShard(s, call) {
    if (!s.iterator) {
      const body = { StreamArn: arn, ShardId: s.id, ShardIteratorType: s.type };
      if (s.type === 'AFTER_SEQUENCE_NUMBER') body.SequenceNumber = s.lastSeq;
      try {
        s.iterator = (await call('GetShardIterator', body)).ShardIterator;
      } catch (e) {
        if (e === STOPPED) throw e;
        if (settled(s, e)) return [];
        throw e;
      }
    }
    let r;
    try {
      r = await call('GetRecords', { ShardIterator: s.iterator, Limit: limit });
    } catch (e) {
      if (e === STOPPED) throw e;
      s.iterator = null;
      if (settled(s, e)) return [];
      // The iterator is taken again after the last record read; with none read yet, from where
      // the shard was first read (an expired iterator, or any other failure).
      s.type = s.lastSeq ? 'AFTER_SEQUENCE_NUMBER' : s.startType;
      if (e.code === 'ExpiredIteratorException') return [];
      throw e;
    }
    const records = r.Records || [];
    if (records.length) s.lastSeq = records[records.length - 1].dynamodb?.SequenceNumber || s.lastSeq;
    s.read += records.length;
    s.iterator = r.NextShardIterator || null;
    if (!s.iterator) {
      s.done = true;
      state.needDescribe = true;
    }
    return records.map((rec) => Object.assign(rec, { shardId: s.id }));
  }

  return {
    state,
    /**
     * Reads what is new on every shard once; answers the new records, oldest first. Makes no
     * request once `alive()` is false. Throws only when the stream cannot be described.
     */
    async poll(alive = () => true) {
      const call = (op, body) => {
        if (!alive()) throw STOPPED;
        return streams(op, body);
      };
      state.error = null;
      try {
        if (state.needDescribe || state.polls % describeEvery === 0) await describe(call);
      } catch (e) {
        if (e === STOPPED) return [];
        throw e;
      }
      state.polls++;
      const active = [...shards.values()].filter((s) => !s.done).slice(0, maxShards);
      const got = await Promise.allSettled(active.map((s) => readShard(s, call)));
      const records = [];
      for (const g of got) {
        if (g.status === 'fulfilled') records.push(...g.value);
        else if (g.reason !== STOPPED && !state.error) state.error = g.reason;
      }
      if (state.needDescribe && alive()) {
        // A shard was drained: its children (already listed, or listed now) are read next poll.
        try {
          await describe(call);
        } catch (e) {
          if (e !== STOPPED && !state.error) state.error = e;
        }
      }
      return records.sort(compareRecords);
    },
    /** The shards being read now. */
    reading: () => [...shards.values()].filter((s) => !s.done).length,
  };
}
