// The console's router: `location.hash` names the page (`#/tables`, `#/create`,
// `#/table/<name>`, `#/signin`); every page but sign-in needs saved credentials.

import { h, replace, errorBox } from './dom.js';
import * as session from './session.js';
import { signinPage } from './pages/signin.js';
import { tablesPage } from './pages/tables.js';
import { createTablePage } from './pages/create_table.js';
import { tablePage } from './pages/table.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

/** Each route: a pattern of the hash and its page. */
const ROUTES = [
  [/^#\/signin$/, signinPage, 'Sign in'],
  [/^#\/tables$/, tablesPage, 'Tables'],
  [/^#\/create$/, createTablePage, 'Create table'],
  [/^#\/table\/(.+)$/, tablePage, 'Table'],
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
      ? [
          h('a', { href: '#/tables', 'aria-current': current === '#/tables' ? 'page' : false }, 'Tables'),
          h('a', { href: '#/create', 'aria-current': current === '#/create' ? 'page' : false }, 'Create table'),
        ]
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
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'No page at ', h('code', {}, hash), '. ', h('a', { href: '#/tables' }, 'Tables')));
    return;
  }
  const [re, page, title] = route;
  const params = hash.match(re).slice(1).map(decodeURIComponent);
  document.title = `${title} · Shale console`;
  const root = h('div', {});
  replace(main, root);
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
    const first = root.querySelector('[autofocus]') || root.querySelector('h1');
    if (first) {
      if (!first.hasAttribute('tabindex') && first.tagName === 'H1') first.setAttribute('tabindex', '-1');
      first.focus();
    }
  }
}

window.addEventListener('hashchange', render);
render();
