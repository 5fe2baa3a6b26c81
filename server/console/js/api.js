// The console's only way to the server: the public APIs, each request SigV4-signed.
//
// `client({ endpoint, credentials, region })` gives
// - `call(service, target, body, options)`, which signs and POSTs a JSON 1.0 request
//   (`X-Amz-Target: <target>`) to `endpoint` and answers the parsed JSON (DynamoDB, DynamoDB
//   Streams, CloudWatch);
// - `query(service, action, params)`, which signs and POSTs an AWS Query request
//   (`Action=<action>&Version=…`, form-encoded) and answers the XML document (IAM, STS);
// either throws an `ApiError` with the service's error code and message.
//
// `options.trace`: asks for the server's latency breakdown of the request (`x-shale-trace: 1`,
// docs/format/trace.md); the answer then has a non-enumerable `$trace` property: the header's
// figures as `{ operation_nanos, memtable_nanos, … }`, plus `$trace.client_nanos`, the time
// from sending the request to reading its whole answer as the page saw it.

import { sign } from './sigv4.js';

/** The services the console calls, by the name `call` takes. */
export const SERVICES = {
  dynamodb: { signingName: 'dynamodb', targetPrefix: 'DynamoDB_20120810' },
  streams: { signingName: 'dynamodb', targetPrefix: 'DynamoDBStreams_20120810' },
  cloudwatch: { signingName: 'monitoring', targetPrefix: 'GraniteServiceVersion20100801' },
};

/** The services the console calls with the AWS Query protocol, by the name `query` takes. */
export const QUERY_SERVICES = {
  iam: { signingName: 'iam', version: '2010-05-08', region: 'us-east-1' },
  sts: { signingName: 'sts', version: '2011-06-15' },
};

/** The request and response header of the latency breakdown (docs/format/trace.md). */
export const TRACE_HEADER = 'x-shale-trace';

/** `operation_nanos=1, memtable_nanos=2` as `{ operation_nanos: 1, memtable_nanos: 2 }`. */
export function parseTrace(value) {
  const out = {};
  for (const pair of String(value || '').split(',')) {
    const [k, v] = pair.trim().split('=');
    if (k && v !== undefined && /^[0-9]+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** The error of a failed AWS Query answer: `<Error><Code>` and `<Message>` of its XML. */
export function queryErrorOf(status, doc, text, requestId) {
  const pick = (tag) => doc?.getElementsByTagName(tag)[0]?.textContent || '';
  const code = pick('Code') || `HTTP${status}`;
  const message = pick('Message') || (doc ? '' : text.trim()) || `HTTP status ${status}`;
  return new ApiError(code, message, status, requestId || pick('RequestId'));
}

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
export function client({
  endpoint,
  credentials,
  region = 'us-east-1',
  fetch: f = globalThis.fetch,
  parseXml = (text) => new globalThis.DOMParser().parseFromString(text, 'application/xml'),
}) {
  const url = new URL('/', endpoint);

  /** Signs and sends `payload` with `headers`; answers the response, its text and timing. */
  async function send(signingName, signingRegion, headers, payload) {
    const signed = await sign({
      method: 'POST',
      host: url.host,
      path: '/',
      headers,
      body: payload,
      credentials,
      region: signingRegion,
      service: signingName,
    });
    const started = performance.now();
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
    const clientNanos = Math.round((performance.now() - started) * 1e6);
    const requestId = response.headers.get('x-amzn-requestid') || '';
    return { response, text, requestId, clientNanos };
  }

  /** Attaches the breakdown of `response` (when it has one) to `value` as `$trace`. */
  function withTrace(value, response, clientNanos) {
    const header = response.headers.get(TRACE_HEADER);
    if (header && value && typeof value === 'object') {
      Object.defineProperty(value, '$trace', {
        value: { ...parseTrace(header), client_nanos: clientNanos },
        enumerable: false,
      });
    }
    return value;
  }

  /**
   * Calls operation `target` of `service` with `body`.
   * @param {string} service - a key of SERVICES
   * @param {string} target - the operation (`ListTables`) or the whole target
   *   (`DynamoDB_20120810.ListTables`)
   * @param {object} [body]
   * @param {{trace?: boolean}} [options]
   */
  async function call(service, target, body = {}, options = {}) {
    const s = SERVICES[service];
    if (!s) throw new ApiError('UnknownService', `no service ${service}`, 0);
    const fullTarget = target.includes('.') ? target : `${s.targetPrefix}.${target}`;
    const payload = JSON.stringify(body);
    const headers = { 'content-type': CONTENT_TYPE, 'x-amz-target': fullTarget };
    if (options.trace) headers[TRACE_HEADER] = '1';
    const { response, text, requestId, clientNanos } = await send(s.signingName, region, headers, payload);
    if (!response.ok) throw withTrace(errorOf(response.status, text, requestId), response, clientNanos);
    if (text === '') return withTrace({}, response, clientNanos);
    try {
      return withTrace(JSON.parse(text), response, clientNanos);
    } catch {
      throw new ApiError('InvalidResponse', `the answer is not JSON: ${text.slice(0, 200)}`, response.status, requestId);
    }
  }

  /**
   * Calls `action` of Query-protocol `service` (a key of QUERY_SERVICES) with `params`, a
   * flat object of the form's members (`{ UserName: 'ann', 'Tags.member.1.Key': 'k' }`;
   * undefined values are left out). Answers the XML document.
   */
  async function query(service, action, params = {}) {
    const s = QUERY_SERVICES[service];
    if (!s) throw new ApiError('UnknownService', `no service ${service}`, 0);
    const form = new URLSearchParams({ Action: action, Version: s.version });
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) form.append(k, String(v));
    const payload = form.toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    const { response, text, requestId } = await send(s.signingName, s.region || region, headers, payload);
    let doc = null;
    try {
      doc = parseXml(text);
      if (doc.getElementsByTagName('parsererror').length > 0) doc = null;
    } catch {
      doc = null;
    }
    if (!response.ok) throw queryErrorOf(response.status, doc, text, requestId);
    if (!doc) throw new ApiError('InvalidResponse', `the answer is not XML: ${text.slice(0, 200)}`, response.status, requestId);
    return doc;
  }

  return {
    call,
    query,
    /** `call('dynamodb', op, body, options)`. */
    dynamodb: (op, body, options) => call('dynamodb', op, body, options),
    /** `call('streams', op, body)`. */
    streams: (op, body) => call('streams', op, body),
    /** `call('cloudwatch', op, body)`. */
    cloudwatch: (op, body) => call('cloudwatch', op, body),
    /** `query('iam', action, params)`. */
    iam: (action, params) => query('iam', action, params),
    region,
    accessKeyId: credentials.accessKeyId,
  };
}
