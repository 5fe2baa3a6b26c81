// Table overview: DescribeTable (keys, capacity, indexes, stream, ARN), DescribeTimeToLive
// and DescribeContinuousBackups, each section showing its own error in place.

import { h, replace, errorBox, facts } from '../dom.js';
import { keyLabel, bytes, count, billing, capacity, time, projection } from '../format.js';

function indexTable(t, indexes, global) {
  if (!indexes || indexes.length === 0) return h('p', { class: 'muted' }, 'None.');
  const head = ['Name', 'Status', 'Partition key', 'Sort key', 'Projection'];
  if (global) head.push('Capacity');
  head.push('Items', 'Size');
  return h(
    'table',
    { class: 'list' },
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col', class: c === 'Items' || c === 'Size' ? 'num' : false }, c)))),
    h(
      'tbody',
      {},
      indexes.map((i) =>
        h(
          'tr',
          {},
          h('td', {}, i.IndexName),
          h('td', {}, i.IndexStatus ? h('span', { class: `status ${i.IndexStatus}` }, i.IndexStatus, i.Backfilling ? ' (backfilling)' : '') : 'ACTIVE'),
          h('td', {}, keyLabel(i.KeySchema, t.AttributeDefinitions, 'HASH')),
          h('td', {}, keyLabel(i.KeySchema, t.AttributeDefinitions, 'RANGE')),
          h('td', {}, projection(i.Projection)),
          global ? h('td', {}, capacity(t, i.ProvisionedThroughput, i.OnDemandThroughput)) : null,
          h('td', { class: 'num' }, count(i.ItemCount)),
          h('td', { class: 'num' }, bytes(i.IndexSizeBytes)),
        ),
      ),
    ),
  );
}

export async function tablePage(root, ctx) {
  const [name] = ctx.params;
  const body = h('div', {});
  replace(
    root,
    h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: () => load() }, 'Refresh')),
    body,
  );

  let seq = 0;
  async function load() {
    const mine = ++seq;
    replace(body, h('p', { class: 'muted' }, 'Loading…'));
    const [d, ttl, backups] = await Promise.allSettled([
      ctx.api.dynamodb('DescribeTable', { TableName: name }),
      ctx.api.dynamodb('DescribeTimeToLive', { TableName: name }),
      ctx.api.dynamodb('DescribeContinuousBackups', { TableName: name }),
    ]);
    if (!ctx.current() || mine !== seq) return;
    if (d.status === 'rejected') {
      replace(body, errorBox(d.reason));
      return;
    }
    const t = d.value.Table;
    const stream = t.StreamSpecification;
    const ttlPanel =
      ttl.status === 'fulfilled'
        ? facts([
            ['Status', h('span', { class: `status ${ttl.value.TimeToLiveDescription?.TimeToLiveStatus}` }, ttl.value.TimeToLiveDescription?.TimeToLiveStatus)],
            ['Attribute', ttl.value.TimeToLiveDescription?.AttributeName],
          ])
        : errorBox(ttl.reason);
    const pitr = backups.status === 'fulfilled' ? backups.value.ContinuousBackupsDescription : null;
    const p = pitr?.PointInTimeRecoveryDescription;
    const pitrPanel = pitr
      ? facts([
          ['Continuous backups', pitr.ContinuousBackupsStatus],
          ['Point-in-time recovery', h('span', { class: `status ${p?.PointInTimeRecoveryStatus}` }, p?.PointInTimeRecoveryStatus)],
          ['Recovery period', p?.RecoveryPeriodInDays ? `${p.RecoveryPeriodInDays} days` : null],
          ['Earliest restorable', time(p?.EarliestRestorableDateTime)],
          ['Latest restorable', time(p?.LatestRestorableDateTime)],
        ])
      : errorBox(backups.reason);
    replace(
      body,
      h(
        'div',
        { class: 'grid2' },
        h(
          'section',
          { class: 'panel' },
          h('h2', {}, 'Overview'),
          facts([
            ['Status', h('span', { class: `status ${t.TableStatus}` }, t.TableStatus)],
            ['ARN', h('code', {}, t.TableArn)],
            ['Table id', h('code', {}, t.TableId)],
            ['Created', time(t.CreationDateTime)],
            ['Items', count(t.ItemCount)],
            ['Size', bytes(t.TableSizeBytes)],
            ['Table class', t.TableClassSummary?.TableClass || 'STANDARD'],
            ['Deletion protection', t.DeletionProtectionEnabled ? 'On' : 'Off'],
          ]),
        ),
        h(
          'section',
          { class: 'panel' },
          h('h2', {}, 'Keys and capacity'),
          facts([
            ['Partition key', keyLabel(t.KeySchema, t.AttributeDefinitions, 'HASH')],
            ['Sort key', keyLabel(t.KeySchema, t.AttributeDefinitions, 'RANGE')],
            ['Billing mode', billing(t)],
            ['Last increase', time(t.ProvisionedThroughput?.LastIncreaseDateTime)],
            ['Last decrease', time(t.ProvisionedThroughput?.LastDecreaseDateTime)],
            ['Decreases today', t.ProvisionedThroughput?.NumberOfDecreasesToday],
          ]),
        ),
      ),
      h('section', { class: 'panel' }, h('h2', {}, 'Global secondary indexes'), indexTable(t, t.GlobalSecondaryIndexes, true)),
      h('section', { class: 'panel' }, h('h2', {}, 'Local secondary indexes'), indexTable(t, t.LocalSecondaryIndexes, false)),
      h(
        'div',
        { class: 'grid3' },
        h(
          'section',
          { class: 'panel' },
          h('h2', {}, 'Stream'),
          facts([
            ['Status', stream?.StreamEnabled ? 'Enabled' : 'Disabled'],
            ['View type', stream?.StreamEnabled ? stream.StreamViewType : null],
            ['Latest label', t.LatestStreamLabel],
            ['Latest ARN', t.LatestStreamArn ? h('code', {}, t.LatestStreamArn) : null],
          ]),
        ),
        h('section', { class: 'panel' }, h('h2', {}, 'Time to live'), ttlPanel),
        h('section', { class: 'panel' }, h('h2', {}, 'Point-in-time recovery'), pitrPanel),
      ),
    );
  }

  await load();
}
