// The console's end-to-end harness: headless Chromium (Debian's `chromium`, driven by
// playwright-core, pinned in package-lock.json) on the console of a real shale-server.
//
// Environment:
// - SHALE_ENDPOINT: the server's gateway (`http://127.0.0.1:8000`); the tests are skipped
//   without it. server/tests/console.rs starts a server and sets it.
// - SHALE_ACCESS_KEY_ID / SHALE_SECRET_ACCESS_KEY: its root credentials (AWS's example pair
//   by default, as the Rust tests start the server with).
// - SHALE_CHROMIUM: the browser (default /usr/bin/chromium).
// - SHALE_SCREENSHOTS: where screenshots go (default target/console-screenshots under the
//   workspace): the tests' artifacts.
// - SHALE_CONSOLE_DIR: for working on the console, serve its files from this folder (such as
//   server/console) instead of the server's embedded copy, without rebuilding the server. The
//   API calls still go to the server; CI never sets it.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { client } from '../../console/js/api.js';

const here = dirname(fileURLToPath(import.meta.url));
export const workspace = resolve(here, '..', '..', '..');

export const endpoint = process.env.SHALE_ENDPOINT;
export const credentials = {
  accessKeyId: process.env.SHALE_ACCESS_KEY_ID || 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: process.env.SHALE_SECRET_ACCESS_KEY || 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
/** `{ skip }` for `test()`: why the browser tests cannot run here, or false. */
export const skip = endpoint ? false : 'SHALE_ENDPOINT is not set';
const chromiumPath = process.env.SHALE_CHROMIUM || '/usr/bin/chromium';
export const screenshotDir = process.env.SHALE_SCREENSHOTS || join(workspace, 'target', 'console-screenshots');
const consoleDir = process.env.SHALE_CONSOLE_DIR ? resolve(process.env.SHALE_CONSOLE_DIR) : null;

/** The console's client in Node, for setting up and checking what the pages did. */
export function api() {
  return client({ endpoint, credentials, region: 'us-east-1' });
}

/** A name unique to this run: `prefix_<time>_<random>`. */
export function unique(prefix) {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
}

/** Polls `check` (every 100 ms, up to `ms`) until it answers truthy; answers that. */
export async function until(what, check, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const TYPES = { html: 'text/html', css: 'text/css', js: 'text/javascript', svg: 'image/svg+xml', json: 'application/json' };

/**
 * Opens the console in a new headless Chromium at 1280×800 and answers
 * `{ page, browser, screenshot(name), signIn(), goto(hash), close() }`.
 * Uncaught errors in the page fail the test at `close()`.
 */
export async function openConsole({ width = 1280, height = 800 } = {}) {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  if (consoleDir) {
    await page.route(`${endpoint}/console/**`, (route) => {
      const url = new URL(route.request().url());
      let rel = decodeURIComponent(url.pathname.slice('/console/'.length)) || 'index.html';
      const file = normalize(join(consoleDir, rel));
      if (!file.startsWith(consoleDir + sep) || !existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
      const ext = file.split('.').pop();
      return route.fulfill({ status: 200, contentType: TYPES[ext] || 'application/octet-stream', body: readFileSync(file) });
    });
  }
  mkdirSync(screenshotDir, { recursive: true });
  const console = {
    page,
    browser,
    context,
    /** Saves a screenshot of the page as `<SHALE_SCREENSHOTS>/<name>.png`; answers its path. */
    async screenshot(name, options = {}) {
      const path = join(screenshotDir, `${name}.png`);
      await page.screenshot({ path, fullPage: false, ...options });
      return path;
    },
    /** Goes to `#/…` of the console. */
    async goto(hash = '#/tables') {
      await page.goto(`${endpoint}/console/${hash}`);
    },
    /** Signs in through the sign-in page with `creds` (the root credentials by default). */
    async signIn(creds = credentials, next = '#/tables') {
      await page.goto(`${endpoint}/console/#/signin`);
      await page.getByLabel('Access key id').fill(creds.accessKeyId);
      await page.getByLabel('Secret access key').fill(creds.secretAccessKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((u) => !u.hash.startsWith('#/signin'));
      if (next) await page.goto(`${endpoint}/console/${next}`);
    },
    async close() {
      await browser.close();
      assert.deepEqual(pageErrors.map(String), [], 'uncaught errors in the page');
    },
  };
  return console;
}

/**
 * Creates an on-demand table `name` through client `a` and waits for it to be ACTIVE. Keys are
 * an attribute name (a string) or `[name, type]`: `hash` (default `pk`), `range` (optional),
 * and global indexes `{ name, hash, range }` (projecting ALL).
 */
export async function createTable(a, name, { hash = 'pk', range, indexes = [] } = {}) {
  const types = new Map();
  const schema = (...keys) =>
    keys.filter(Boolean).map((k, i) => {
      const [n, t] = Array.isArray(k) ? k : [k, 'S'];
      types.set(n, t);
      return { AttributeName: n, KeyType: i ? 'RANGE' : 'HASH' };
    });
  const body = { TableName: name, BillingMode: 'PAY_PER_REQUEST', KeySchema: schema(hash, range) };
  if (indexes.length) {
    body.GlobalSecondaryIndexes = indexes.map((x) => ({ IndexName: x.name, KeySchema: schema(x.hash, x.range), Projection: { ProjectionType: 'ALL' } }));
  }
  body.AttributeDefinitions = [...types].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
  await a.dynamodb('CreateTable', body);
  await until(`table ${name} to be active`, async () => (await a.dynamodb('DescribeTable', { TableName: name })).Table.TableStatus === 'ACTIVE');
}
