// AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html),
// with WebCrypto's SHA-256 and HMAC-SHA256: `globalThis.crypto.subtle`, in browsers and Node 20.
//
// `sign` computes the headers to add to a request (x-amz-date, x-amz-security-token when the
// credentials have a session token, authorization). Every header given is signed, and host.

const encoder = new TextEncoder();

function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) {
    // Browsers give WebCrypto to secure contexts only: https, or http on localhost/127.0.0.1.
    throw new Error('WebCrypto is not available: open the console over https or on localhost');
  }
  return s;
}

function bytes(data) {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

/** Lowercase hex of `buffer`. */
export function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Hex SHA-256 of a string (as UTF-8) or bytes. */
export async function sha256Hex(data) {
  return hex(await subtle().digest('SHA-256', bytes(data)));
}

async function hmac(key, data) {
  const k = await subtle().importKey('raw', bytes(key), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return subtle().sign('HMAC', k, bytes(data));
}

/** `YYYYMMDDTHHMMSSZ` of `date` (UTC). */
export function amzDate(date) {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** RFC 3986 percent-encoding (unreserved characters kept), as SigV4 encodes URI parts. */
export function uriEncode(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** The canonical URI of `path` (not yet encoded): each segment encoded. */
export function canonicalUri(path) {
  return (path || '/').split('/').map(uriEncode).join('/');
}

/** The canonical query string of `query` (`a=1&b=2`, already encoded as sent). */
export function canonicalQuery(query) {
  if (!query) return '';
  const pairs = query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      const [k, v] = i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
      const norm = (s) => uriEncode(decodeURIComponent(s.replace(/\+/g, '%20')));
      return [norm(k), norm(v)];
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** The signing key: HMAC chain of the secret over date, region, service, `aws4_request`. */
export async function signingKey(secretAccessKey, dateStamp, region, service) {
  const kDate = await hmac('AWS4' + secretAccessKey, dateStamp);
  const kRegion = await hmac(kDate, region);
  const kService = await hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

/**
 * Signs a request. Returns `{ headers, canonicalRequest, stringToSign }`: `headers` are the
 * ones to add (`x-amz-date`, `x-amz-security-token` when there is a token, `authorization`).
 *
 * @param {object} r
 * @param {string} r.method - `POST`
 * @param {string} r.host - the `Host` header the request goes out with (`127.0.0.1:8000`)
 * @param {string} [r.path] - `/`
 * @param {string} [r.query] - the query string, without `?`
 * @param {Object<string,string>} r.headers - headers to sign besides host and x-amz-date
 * @param {string|Uint8Array} r.body
 * @param {{accessKeyId: string, secretAccessKey: string, sessionToken?: string}} r.credentials
 * @param {string} r.region
 * @param {string} r.service - the signing name (`dynamodb`, `iam`, `sts`, `monitoring`)
 * @param {Date} [r.date] - now unless given
 */
export async function sign(r) {
  const date = r.date || new Date();
  const stamp = amzDate(date);
  const day = stamp.slice(0, 8);
  const { accessKeyId, secretAccessKey, sessionToken } = r.credentials;
  const added = { 'x-amz-date': stamp };
  if (sessionToken) added['x-amz-security-token'] = sessionToken;
  const all = new Map();
  for (const [k, v] of Object.entries(r.headers || {})) all.set(k.toLowerCase(), String(v));
  for (const [k, v] of Object.entries(added)) all.set(k, v);
  all.set('host', r.host);
  const names = [...all.keys()].sort();
  const canonicalHeaders = names
    .map((n) => `${n}:${all.get(n).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    r.method.toUpperCase(),
    canonicalUri(r.path),
    canonicalQuery(r.query),
    canonicalHeaders,
    signedHeaders,
    await sha256Hex(r.body ?? ''),
  ].join('\n');
  const scope = `${day}/${r.region}/${r.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, await sha256Hex(canonicalRequest)].join('\n');
  const key = await signingKey(secretAccessKey, day, r.region, r.service);
  const signature = hex(await hmac(key, stringToSign));
  const authorization =
    `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers: { ...added, authorization }, canonicalRequest, stringToSign };
}
