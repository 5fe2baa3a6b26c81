// A table's stream (`#/table/<name>/streams`): enabling it with a view type and disabling it
// (UpdateTable StreamSpecification), the stream's ARN, label, status and shards
// (DescribeStream), the table's other streams still kept (ListStreams), and a live view of its
// records: every shard read once a second while the page is shown (stream_reader.js), newest
// first, the last MAX_RECORDS kept; pause and resume; from LATEST or TRIM_HORIZON.

import { h, replace, errorBox, select, labelled, facts, notice, showError } from '../dom.js';
import { time } from '../format.js';
import { displayValue, keyText } from '../ddbjson.js';
import { streamReader } from '../stream_reader.js';

const VIEW_TYPES = [
  ['NEW_AND_OLD_IMAGES', 'New and old images'],
  ['NEW_IMAGE', 'New image'],
  ['OLD_IMAGE', 'Old image'],
  ['KEYS_ONLY', 'Keys only'],
];
const POSITIONS = [
  ['LATEST', 'Latest: new records from now on'],
  ['TRIM_HORIZON', 'Trim horizon: the oldest records kept'],
];
/** Records the live view keeps (older ones leave the view). */
const MAX_RECORDS = 200;
/** Shards shown in the shard list. */
const MAX_SHARDS_SHOWN = 100;
const POLL_MS = 1000;

/** `00000000000000000012` as `12`. */
function seq(s) {
  return s ? s.replace(/^0+(?=\d)/, '') : '—';
}

/** An image as compact text (its whole text as the title when cut). */
function image(img) {
  if (!img) return h('span', { class: 'muted' }, '—');
  const full = displayValue({ M: img }, 0);
  const short = displayValue({ M: img }, 160);
  return h('code', { class: 'st-image', title: full !== short ? full : false }, short);
}

function recordRow(r) {
  const d = r.dynamodb || {};
  const ttl = r.userIdentity && r.userIdentity.type === 'Service';
  return h(
    'tr',
    { class: 'st-record' },
    h('td', {}, h('span', { class: `st-event ${r.eventName}` }, r.eventName), ttl ? h('span', { class: 'muted', title: `by ${r.userIdentity.principalId}` }, ' (TTL)') : null),
    h('td', { class: 'st-time' }, time(d.ApproximateCreationDateTime)),
    h('td', { class: 'num' }, h('span', { title: `${d.SequenceNumber} in ${r.shardId}` }, seq(d.SequenceNumber))),
    h('td', {}, h('code', {}, keyText(d.Keys))),
    h('td', {}, image(d.OldImage)),
    h('td', {}, image(d.NewImage)),
  );
}

export async function streamsPage(root, ctx) {
  const [name] = ctx.params;
  let table = null;
  /** The reader of the stream shown live, and its loop's token. */
  let reader = null;
  let paused = false;
  let shown = 0;
  let total = 0;

  const errors = h('div', { 'aria-live': 'polite' });
  const notices = h('div', { 'aria-live': 'polite' });
  const settingBody = h('div', {});
  const viewType = select(VIEW_TYPES, 'NEW_AND_OLD_IMAGES', {});
  const enableButton = h('button', { type: 'submit', class: 'primary' }, 'Enable stream');
  const enableForm = h(
    'form',
    { class: 'st-form', onsubmit: (ev) => { ev.preventDefault(); setStream(true); } },
    h('div', { class: 'row' }, labelled('View type', viewType).el, h('div', { class: 'field' }, enableButton)),
    h('p', { class: 'muted' }, 'What each record holds: the item after the change, before it, both, or only its key attributes.'),
  );
  const disableButton = h('button', { type: 'button', class: 'danger', onclick: () => setStream(false) }, 'Disable stream');
  const disableBox = h('div', { class: 'toolbar' }, disableButton, h('span', { class: 'muted' }, 'A disabled stream’s records stay readable until they expire (24 hours by default); enabling again starts a new stream.'));
  const shardsBody = h('div', {});
  const streamsBody = h('div', {});

  const position = select(POSITIONS, 'LATEST', {});
  const restartButton = h('button', { type: 'button' }, 'Restart');
  const pauseButton = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Pause');
  const clearButton = h('button', { type: 'button' }, 'Clear');
  const liveStatus = h('span', { role: 'status' });
  const liveClock = h('span', {});
  const liveLine = h('p', { class: 'muted st-live-status' }, liveStatus, liveClock);
  const liveErrors = h('div', { 'aria-live': 'polite' });
  const liveWhich = h('p', { class: 'muted' });
  const recordsBody = h('tbody', {});
  const recordsTable = h(
    'table',
    { class: 'list st-records' },
    h('caption', { class: 'muted' }, `Newest first; the last ${MAX_RECORDS} records are kept. Times are approximate (the second the change was made, UTC).`),
    h(
      'thead',
      {},
      h('tr', {}, ['Event', 'Approximate time', 'Sequence number', 'Keys', 'Old image', 'New image'].map((c) => h('th', { scope: 'col', class: c === 'Sequence number' ? 'num' : false }, c))),
    ),
    recordsBody,
  );
  const liveSection = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'st-live-h' },
    h('h2', { id: 'st-live-h' }, 'Live records'),
    liveWhich,
    h('div', { class: 'toolbar st-live-controls' }, labelled('Start from', position).el, restartButton, pauseButton, clearButton),
    liveLine,
    liveErrors,
    recordsTable,
  );

  replace(
    root,
    errors,
    notices,
    h('div', { class: 'grid2' }, h('section', { class: 'panel' }, h('h2', {}, 'Stream'), settingBody, enableForm, disableBox), h('section', { class: 'panel' }, h('h2', {}, 'Shards'), shardsBody)),
    liveSection,
    h('section', { class: 'panel' }, h('h2', {}, 'Streams of this table'), streamsBody),
  );

  restartButton.addEventListener('click', () => {
    if (reader) start(reader.state.arn);
  });
  pauseButton.addEventListener('click', () => {
    paused = !paused;
    pauseButton.setAttribute('aria-pressed', String(paused));
    replace(pauseButton, paused ? 'Resume' : 'Pause');
    status();
  });
  clearButton.addEventListener('click', () => {
    replace(recordsBody);
    shown = 0;
    status();
  });

  /** The live view's state and counts (a polite live region: changed only when they change). */
  function status(clock) {
    if (clock !== undefined) replace(liveClock, clock ? ` · ${clock}` : '');
    if (!reader) {
      say('Not reading: the table has no stream.');
      return;
    }
    const s = reader.state;
    const n = reader.reading();
    const parts = [
      paused ? 'Paused' : s.first ? 'Starting…' : `Reading ${n} shard${n === 1 ? '' : 's'} every second`,
      `${total} record${total === 1 ? '' : 's'} read, ${shown} shown`,
    ];
    if (s.gaps) parts.push(`${s.gaps} position${s.gaps === 1 ? '' : 's'} trimmed away (restarted at the oldest record)`);
    say(parts.join(' · '));
  }

  function say(text) {
    if (liveStatus.textContent !== text) replace(liveStatus, text);
  }

  function renderShards(s) {
    const list = [...s.shards.values()];
    const rows = list.slice(-MAX_SHARDS_SHOWN);
    replace(
      shardsBody,
      h(
        'p',
        { class: 'muted' },
        `${list.length} shard${list.length === 1 ? '' : 's'} of stream ${s.label || ''} (${s.status || '?'})`,
        s.truncated ? '; only the first 1,000 are listed' : '',
        list.length > rows.length ? `; the last ${rows.length} shown` : '',
        '.',
      ),
      h(
        'table',
        { class: 'list st-shards' },
        h('thead', {}, h('tr', {}, ['Shard', 'Parent', 'Sequence numbers', 'State'].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          rows.map((sh) =>
            h(
              'tr',
              {},
              h('td', {}, h('code', { title: sh.id }, sh.id.replace(/^shardId-/, ''))),
              h('td', {}, sh.parent ? h('code', { title: sh.parent }, sh.parent.replace(/^shardId-0*/, '…')) : '—'),
              h('td', {}, `${seq(sh.start)} – ${sh.end ? seq(sh.end) : 'open'}`),
              h('td', {}, sh.end ? 'closed' : 'open', sh.done ? (sh.end ? ', read to its end' : ', not read') : ', reading', sh.read ? ` (${sh.read} read)` : ''),
            ),
          ),
        ),
      ),
    );
  }

  /** Starts reading stream `arn` live (stopping any other reader). */
  function start(arn) {
    const mine = streamReader(ctx.api.streams, arn, { position: position.value, onShards: renderShards });
    reader = mine;
    paused = false;
    pauseButton.setAttribute('aria-pressed', 'false');
    replace(pauseButton, 'Pause');
    replace(liveErrors);
    const label = arn.split('/stream/')[1] || arn;
    replace(liveWhich, 'Reading stream ', h('code', {}, label), ` from ${position.value === 'LATEST' ? 'its latest records (new ones only)' : 'its oldest records kept'}.`);
    status();
    loop(mine);
  }

  async function loop(mine) {
    // A poll stops between two requests once the view is paused or restarted, or the page left.
    const alive = () => reader === mine && !paused && ctx.current();
    while (reader === mine && ctx.current()) {
      if (!paused) {
        try {
          const records = await mine.poll(alive);
          if (reader !== mine || !ctx.current()) return;
          add(records);
          if (mine.state.error) {
            replace(liveErrors, errorBox(mine.state.error));
            status('retrying every second');
          } else {
            replace(liveErrors);
            status(`last read ${new Date().toLocaleTimeString()}`);
          }
        } catch (e) {
          if (reader !== mine || !ctx.current()) return;
          replace(liveErrors, errorBox(e));
          status('retrying every second');
        }
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  function add(records) {
    if (records.length === 0) return;
    total += records.length;
    // Newest first: each new record goes on top, in the order they happened.
    for (const r of records) recordsBody.prepend(recordRow(r));
    while (recordsBody.childElementCount > MAX_RECORDS) recordsBody.lastElementChild.remove();
    shown = recordsBody.childElementCount;
  }

  function renderSetting(t) {
    const spec = t.StreamSpecification;
    const on = !!spec?.StreamEnabled;
    replace(
      settingBody,
      facts([
        ['Status', h('span', { class: `status ${on ? 'ENABLED' : 'DISABLED'}` }, on ? 'ENABLED' : 'DISABLED')],
        ['View type', on ? spec.StreamViewType : null],
        ['Latest label', t.LatestStreamLabel],
        ['Latest ARN', t.LatestStreamArn ? h('code', {}, t.LatestStreamArn) : null],
      ]),
    );
    enableForm.classList.toggle('hidden', on);
    disableBox.classList.toggle('hidden', !on);
  }

  async function listStreams() {
    try {
      const r = await ctx.api.streams('ListStreams', { TableName: name, Limit: 100 });
      if (!ctx.current()) return;
      const list = r.Streams || [];
      if (list.length === 0) {
        replace(streamsBody, h('p', { class: 'muted' }, 'None: the table has never had a stream, or its streams have expired.'));
        return;
      }
      replace(
        streamsBody,
        h('p', { class: 'muted' }, 'A disabled stream stays readable until its records expire. Up to 100 are listed.'),
        h(
          'table',
          { class: 'list' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Label'), h('th', { scope: 'col' }, 'ARN'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
          h(
            'tbody',
            {},
            list.map((s) =>
              h(
                'tr',
                {},
                h('td', {}, s.StreamLabel, s.StreamArn === table?.LatestStreamArn ? h('span', { class: 'muted' }, ' (latest)') : null),
                h('td', {}, h('code', {}, s.StreamArn)),
                h(
                  'td',
                  {},
                  h('button', { type: 'button', 'aria-label': `Read stream ${s.StreamLabel}`, onclick: () => { start(s.StreamArn); recordsTable.scrollIntoView({ block: 'nearest' }); } }, 'Read'),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (e) {
      if (ctx.current()) replace(streamsBody, errorBox(e));
    }
  }

  /** Describes the table; (re)starts the live view on its stream when that changed. */
  async function load() {
    let d;
    try {
      d = await ctx.api.dynamodb('DescribeTable', { TableName: name });
    } catch (e) {
      if (ctx.current()) replace(errors, errorBox(e));
      return;
    }
    if (!ctx.current()) return;
    table = d.Table;
    renderSetting(table);
    const arn = table.LatestStreamArn;
    if (arn && (!reader || reader.state.arn !== arn)) start(arn);
    if (!arn) {
      reader = null;
      replace(shardsBody, h('p', { class: 'muted' }, 'No stream yet.'));
      replace(liveWhich, 'Enable the stream to see the table’s changes here as they happen.');
      status();
    }
    listStreams();
  }

  async function setStream(on) {
    replace(errors);
    replace(notices);
    const button = on ? enableButton : disableButton;
    button.disabled = true;
    try {
      const spec = on ? { StreamEnabled: true, StreamViewType: viewType.value } : { StreamEnabled: false };
      await ctx.api.dynamodb('UpdateTable', { TableName: name, StreamSpecification: spec });
      if (!ctx.current()) return;
      replace(notices, notice(on ? `Stream enabled (${viewType.value}).` : 'Stream disabled: its shards are closed; what it recorded stays readable.'));
      // A new stream is read from its start, so the first changes are not missed.
      if (on) position.value = 'TRIM_HORIZON';
      // The stream read now changed state: its reader describes it again on its next poll.
      if (reader) reader.state.needDescribe = true;
      await load();
      (on ? disableButton : enableButton).focus();
    } catch (e) {
      if (!ctx.current()) return;
      showError(errors, e);
    } finally {
      button.disabled = false;
    }
  }

  await load();
}
