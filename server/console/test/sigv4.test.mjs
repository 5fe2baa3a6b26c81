// The console's SigV4 signer against signatures botocore computes.
//
// The expected Authorization headers were produced with botocore 1.43.11:
//
//   req = AWSRequest(method="POST", url="http://127.0.0.1:8000/", data='{"Limit":10}',
//                    headers={"Content-Type": "application/x-amz-json-1.0",
//                             "X-Amz-Target": "DynamoDB_20120810.ListTables"})
//   creds = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", token)
//   with mock.patch("botocore.auth.get_current_datetime",
//                   return_value=datetime.datetime(2024, 5, 17, 12, 34, 56)):
//       SigV4Auth(creds, "dynamodb", "us-east-1").add_auth(req)
//   print(req.headers["Authorization"])
//
// once with token None and once with token "FQoGZXIvYXdzEXAMPLETOKEN".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign, amzDate, canonicalQuery, canonicalUri, sha256Hex } from '../js/sigv4.js';
import { errorOf } from '../js/api.js';

const request = (sessionToken) => ({
  method: 'POST',
  host: '127.0.0.1:8000',
  path: '/',
  headers: {
    'Content-Type': 'application/x-amz-json-1.0',
    'X-Amz-Target': 'DynamoDB_20120810.ListTables',
  },
  body: '{"Limit":10}',
  credentials: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    sessionToken,
  },
  region: 'us-east-1',
  service: 'dynamodb',
  date: new Date(Date.UTC(2024, 4, 17, 12, 34, 56)),
});

test('signs as botocore does', async () => {
  const { headers } = await sign(request(undefined));
  assert.equal(headers['x-amz-date'], '20240517T123456Z');
  assert.equal(headers['x-amz-security-token'], undefined);
  assert.equal(
    headers.authorization,
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240517/us-east-1/dynamodb/aws4_request, ' +
      'SignedHeaders=content-type;host;x-amz-date;x-amz-target, ' +
      'Signature=5502ef4ffbb2dbd007f23074bd375b02a080700528aa51bfdabe610375491b28',
  );
});

test('signs a session token as botocore does', async () => {
  const { headers } = await sign(request('FQoGZXIvYXdzEXAMPLETOKEN'));
  assert.equal(headers['x-amz-security-token'], 'FQoGZXIvYXdzEXAMPLETOKEN');
  assert.equal(
    headers.authorization,
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240517/us-east-1/dynamodb/aws4_request, ' +
      'SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, ' +
      'Signature=21b5403857469a3c076da8c9ac9ca7178c76678a0f727386248bd96d4962ab8e',
  );
});

test('a change to the body, target or secret changes the signature', async () => {
  const base = (await sign(request(undefined))).headers.authorization;
  const other = [
    { ...request(undefined), body: '{"Limit":11}' },
    { ...request(undefined), headers: { ...request().headers, 'X-Amz-Target': 'DynamoDB_20120810.Scan' } },
    { ...request(undefined), credentials: { ...request().credentials, secretAccessKey: 'x' } },
  ];
  for (const r of other) {
    assert.notEqual((await sign(r)).headers.authorization, base);
  }
});

test('canonical parts', async () => {
  assert.equal(amzDate(new Date(Date.UTC(2015, 7, 30, 12, 36, 0))), '20150830T123600Z');
  assert.equal(canonicalUri('/'), '/');
  assert.equal(canonicalUri('/a b/c'), '/a%20b/c');
  assert.equal(canonicalQuery('b=2&a=1&a=0&c'), 'a=0&a=1&b=2&c=');
  assert.equal(canonicalQuery("x=a+b&y=!'()*"), 'x=a%20b&y=%21%27%28%29%2A');
  assert.equal(
    await sha256Hex(''),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
});

test('errors are read from the JSON body', () => {
  const e = errorOf(
    400,
    '{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}',
    'RID',
  );
  assert.equal(e.code, 'ResourceNotFoundException');
  assert.equal(e.message, 'Requested resource not found');
  assert.equal(e.status, 400);
  assert.equal(e.requestId, 'RID');
  const m = errorOf(403, '{"__type":"MissingAuthenticationTokenException","Message":"no"}');
  assert.equal(m.code, 'MissingAuthenticationTokenException');
  assert.equal(m.message, 'no');
  const t = errorOf(502, 'Bad Gateway\n');
  assert.equal(t.code, 'HTTP502');
  assert.equal(t.message, 'Bad Gateway');
});
