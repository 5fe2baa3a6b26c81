// The console's only way to the server: the public APIs, each request SigV4-signed.
//
// `client({ endpoint, credentials, region })` gives `call(service, target, body)`, which
// signs and POSTs a JSON 1.0 request (`X-Amz-Target: <target>`) to `endpoint` and answers
// the parsed JSON, or throws an `ApiError` with the service's error code and message.

import { sign } from './sigv4.js';

/** The services the console calls, by the name `call` takes. */
export const SERVICES = {
  dynamodb: { signingName: 'dynamodb', targetPrefix: 'DynamoDB_20120810' },
  streams: { signingName: 'dynamodb', targetPrefix: 'DynamoDBStreams_20120810' },
};

const CONTENT_TYPE = 'application/x-amz-json-1.0';

/** An error answered by the server (or met on the way to it). */
export class ApiError extends Error {
  /**
   * @param {string} code - `ResourceNotFoundException`, `NetworkError`, …
   * @param {string} message
   * @param {number} status - the HTTP status (0 when no answer came)
   * @param {string} [requestId]
   */
  constructor(code, message, status, requestId) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.requestId = requestId || '';
  }
}

/** The error of a failed answer: `__type` (after its `#`) and `message` of the JSON body. */
export function errorOf(status, text, requestId) {
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: the text itself is the message.
  }
  const type = (json && (json.__type || json.code)) || `HTTP${status}`;
  const code = String(type).split('#').pop();
  const message =
    (json && (json.message || json.Message)) || (json ? '' : text.trim()) || `HTTP status ${status}`;
  return new ApiError(code, message, status, requestId);
}

/**
 * A client of the server at `endpoint` (`http://127.0.0.1:8000`).
 * @param {{endpoint: string, credentials: {accessKeyId: string, secretAccessKey: string,
 *   sessionToken?: string}, region?: string, fetch?: typeof fetch}} options
 */
export function client({ endpoint, credentials, region = 'us-east-1', fetch: f = globalThis.fetch }) {
  const url = new URL('/', endpoint);
  /**
   * Calls operation `target` of `service` with `body`.
   * @param {string} service - a key of SERVICES
   * @param {string} target - the operation (`ListTables`) or the whole target
   *   (`DynamoDB_20120810.ListTables`)
   * @param {object} [body]
   */
  async function call(service, target, body = {}) {
    const s = SERVICES[service];
    if (!s) throw new ApiError('UnknownService', `no service ${service}`, 0);
    const fullTarget = target.includes('.') ? target : `${s.targetPrefix}.${target}`;
    const payload = JSON.stringify(body);
    const headers = { 'content-type': CONTENT_TYPE, 'x-amz-target': fullTarget };
    const signed = await sign({
      method: 'POST',
      host: url.host,
      path: '/',
      headers,
      body: payload,
      credentials,
      region,
      service: s.signingName,
    });
    let response;
    try {
      response = await f(url.href, {
        method: 'POST',
        headers: { ...headers, ...signed.headers },
        body: payload,
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError('NetworkError', `the server could not be reached: ${e.message}`, 0);
    }
    const text = await response.text();
    const requestId = response.headers.get('x-amzn-requestid') || '';
    if (!response.ok) throw errorOf(response.status, text, requestId);
    if (text === '') return {};
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError('InvalidResponse', `the answer is not JSON: ${text.slice(0, 200)}`, response.status, requestId);
    }
  }
  return {
    call,
    /** `call('dynamodb', op, body)`. */
    dynamodb: (op, body) => call('dynamodb', op, body),
    region,
    accessKeyId: credentials.accessKeyId,
  };
}
