// The credentials the console signs with: entered once on the sign-in page and kept in this
// tab's sessionStorage (gone when the tab closes; never sent anywhere but in signatures).

import { client } from './api.js';

const KEY = 'shale.console.credentials';

/** The saved credentials (`{ accessKeyId, secretAccessKey, sessionToken, region }`), or null. */
export function load() {
  try {
    const c = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return c && c.accessKeyId && c.secretAccessKey ? c : null;
  } catch {
    return null;
  }
}

export function save(c) {
  sessionStorage.setItem(KEY, JSON.stringify(c));
}

export function clear() {
  sessionStorage.removeItem(KEY);
}

/** A client of this page's own origin with `c` (the saved credentials by default). */
export function apiFor(c = load()) {
  return client({
    endpoint: location.origin,
    credentials: {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      sessionToken: c.sessionToken || undefined,
    },
    region: c.region || 'us-east-1',
  });
}
