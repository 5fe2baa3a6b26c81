// The console's router: `location.hash` names the page (`#/tables`, `#/create`, `#/backups`,
// `#/access…`, `#/table/<name>` and `#/table/<name>/<tab>[/<rest>]`, `#/signin`); every page
// but sign-in needs saved credentials. A table's pages share its header and tabs (tabs.js).

import { h, replace, errorBox } from './dom.js';
import * as session from './session.js';
import { signinPage } from './pages/signin.js';
import { tablesPage } from './pages/tables.js';
import { createTablePage } from './pages/create_table.js';
import { tablePage } from './pages/table.js';
import { itemsPage } from './pages/items.js';
import { explorePage } from './pages/explore.js';
import { indexesPage } from './pages/indexes.js';
import { streamsPage } from './pages/streams.js';
import { ttlPage } from './pages/ttl.js';
import { tableBackupsPage, backupsPage } from './pages/backups.js';
import { metricsPage } from './pages/metrics.js';
import { accessPage } from './pages/access.js';
import { tableHeader } from './tabs.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

/** A table's pages by tab (`#/table/<name>/<tab>`): the page and its title. */
const TABLE_PAGES = {
  '': [tablePage, 'Overview'],
  items: [itemsPage, 'Items'],
  explore: [explorePage, 'Query / Scan'],
  indexes: [indexesPage, 'Indexes'],
  streams: [streamsPage, 'Streams'],
  ttl: [ttlPage, 'TTL'],
  backups: [tableBackupsPage, 'Backups'],
  metrics: [metricsPage, 'Metrics'],
};

/** Each route: a pattern of the hash, its page and title. */
const ROUTES = [
  [/^#\/signin$/, signinPage, 'Sign in'],
  [/^#\/tables$/, tablesPage, 'Tables'],
  [/^#\/create$/, createTablePage, 'Create table'],
  [/^#\/backups$/, backupsPage, 'Backups'],
  [/^#\/access(?:\/(.*))?$/, accessPage, 'Access'],
  // `#/table/<name>[/<tab>[/<rest>]]`: the page gets params [name, tab, rest].
  [/^#\/table\/([^/]+)(?:\/([a-z-]+)(?:\/(.*))?)?$/, null, 'Table'],
];

/** The top navigation: `[hash, label]`; a link is current on its page and below it. */
const NAV = [
  ['#/tables', 'Tables'],
  ['#/create', 'Create table'],
  ['#/backups', 'Backups'],
  ['#/access', 'Access'],
];

/** Goes to `hash` (rendering it even when it is the current one). */
export function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function chrome(signedIn) {
  const current = location.hash;
  replace(
    nav,
    signedIn
      ? NAV.map(([hash, label]) =>
          h('a', { href: hash, 'aria-current': current === hash || current.startsWith(`${hash}/`) ? 'page' : false }, label),
        )
      : [],
  );
  const c = session.load();
  replace(
    who,
    c
      ? [
          h('span', {}, `${c.accessKeyId} · ${c.region || 'us-east-1'}`),
          h(
            'button',
            {
              type: 'button',
              onclick: () => {
                session.clear();
                navigate('#/signin');
              },
            },
            'Sign out',
          ),
        ]
      : [],
  );
}

let generation = 0;

/** The page shown for an address that names none: `what` says which part is unknown. */
function notFound(...what) {
  const h1 = h('h1', { tabindex: '-1' }, 'Not found');
  replace(main, h1, h('p', {}, ...what, ' ', h('a', { href: '#/tables' }, 'Tables')));
  document.title = 'Not found · Shale console';
  h1.focus();
}

/** The route's captures, URL-decoded; null when one is not valid percent-encoding (`%E0`). */
function decodeParams(match) {
  try {
    return match.slice(1).map((p) => (p === undefined ? '' : decodeURIComponent(p)));
  } catch {
    return null;
  }
}

async function render() {
  const mine = ++generation;
  let hash = location.hash || '#/tables';
  const creds = session.load();
  if (!creds && hash !== '#/signin') {
    sessionStorage.setItem('shale.console.next', hash);
    location.replace('#/signin');
    return;
  }
  const route = ROUTES.find(([re]) => re.test(hash));
  chrome(!!creds);
  if (!route) {
    notFound('No page at ', h('code', {}, hash), '.');
    return;
  }
  let [re, page, title] = route;
  const params = decodeParams(hash.match(re));
  if (!params) {
    notFound('The address ', h('code', {}, hash), ' is not valid (a % not followed by an encoded character).');
    return;
  }
  const root = h('div', {});
  if (page === null) {
    // One table's page: its header and tabs, then the tab's own page.
    const [name, tab] = params;
    if (!Object.hasOwn(TABLE_PAGES, tab)) {
      notFound('No tab ', h('code', {}, tab), ' of a table.');
      return;
    }
    [page, title] = TABLE_PAGES[tab];
    title = `${name} · ${title}`;
    replace(main, tableHeader(name, tab), root);
  } else {
    replace(main, root);
  }
  document.title = `${title} · Shale console`;
  const ctx = {
    api: creds ? session.apiFor(creds) : null,
    params,
    navigate,
    /** Whether this page is still the one shown (a later navigation replaced it otherwise). */
    current: () => mine === generation,
  };
  try {
    await page(root, ctx);
  } catch (e) {
    if (ctx.current()) root.append(errorBox(e));
  }
  // Keyboard users land on the page's heading (or its first field).
  if (ctx.current() && !main.contains(document.activeElement)) {
    const first = main.querySelector('[autofocus]') || main.querySelector('h1');
    if (first) {
      if (!first.hasAttribute('tabindex') && first.tagName === 'H1') first.setAttribute('tabindex', '-1');
      first.focus();
    }
  }
}

window.addEventListener('hashchange', render);
render();
