"""The DynamoDB JSON protocol over raw HTTP: headers, CRC32, error envelopes for unknown
operations, bad JSON and missing authentication, the GET / health check, content types,
truncated and oversize bodies, CORS (as a browser asks), gzip request and response bodies, and
that the server keeps serving after all of them."""

import gzip
import http.client
import json
import socket
import zlib

import botocore.awsrequest
import botocore.retryhandler
import urllib3

import pytest

import dynamo_helpers as h

TARGET = "DynamoDB_20120810."


def conn(timeout=30):
    host, port = h.host_port()
    return http.client.HTTPConnection(host, port, timeout=timeout)


def post(target, body, content_type="application/x-amz-json-1.0", sign=True, headers=None,
         connection=None):
    """POSTs `body` (str/bytes) to / and returns (status, headers dict lower-cased, raw body)."""
    if isinstance(body, str):
        body = body.encode()
    if sign:
        hdrs = h.signed_headers(target, body, content_type, extra=headers)
    else:
        hdrs = {"Content-Type": content_type}
        if target is not None:
            hdrs["X-Amz-Target"] = target
        hdrs.update(headers or {})
    c = connection or conn()
    try:
        c.request("POST", "/", body=body, headers=hdrs)
        resp = c.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        if connection is None:
            c.close()


def error_type(body):
    doc = json.loads(body)
    return doc["__type"], doc.get("message", doc.get("Message"))


def assert_server_alive():
    status, _, body = post(TARGET + "ListTables", "{}")
    assert status == 200, body
    assert "TableNames" in json.loads(body)


def check_crc(headers, body):
    assert "x-amz-crc32" in headers
    assert int(headers["x-amz-crc32"]) == zlib.crc32(body)


# ---------------------------------------------------------------------------------------------


def test_success_headers_and_crc(table):
    body = json.dumps({"TableName": table, "Item": {"pk": {"S": "raw"}, "v": {"N": "1.50"}}})
    status, headers, data = post(TARGET + "PutItem", body)
    assert status == 200, data
    assert headers.get("x-amzn-requestid")
    check_crc(headers, data)
    assert headers["content-type"].startswith("application/x-amz-json-1.0")
    assert int(headers["content-length"]) == len(data)
    # PutItem answers an empty JSON object, not an empty body.
    assert json.loads(data) == {}
    status, headers, data = post(TARGET + "GetItem", json.dumps(
        {"TableName": table, "Key": {"pk": {"S": "raw"}}, "ConsistentRead": True}))
    assert status == 200
    check_crc(headers, data)
    assert json.loads(data) == {"Item": {"pk": {"S": "raw"}, "v": {"N": "1.5"}}}


def test_request_ids_are_unique():
    ids = set()
    for _ in range(5):
        _, headers, _ = post(TARGET + "ListTables", "{}")
        ids.add(headers["x-amzn-requestid"])
    assert len(ids) == 5


def test_error_envelope_and_crc():
    name = h.unique_name("missing")
    status, headers, data = post(TARGET + "DescribeTable", json.dumps({"TableName": name}))
    assert status == 400
    assert headers.get("x-amzn-requestid")
    check_crc(headers, data)
    typ, msg = error_type(data)
    # Service errors carry the model namespace before the '#'.
    assert typ == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    assert msg == f"Requested resource not found: Table: {name} not found"


def test_validation_error_envelope(table):
    status, headers, data = post(TARGET + "GetItem", json.dumps(
        {"TableName": table, "Key": {"pk": {"N": "1"}}}))
    assert status == 400
    check_crc(headers, data)
    typ, msg = error_type(data)
    assert typ == "com.amazon.coral.validate#ValidationException"
    assert msg == "The provided key element does not match the schema"


def test_conditional_check_failed_envelope(table):
    item = {"TableName": table, "Item": {"pk": {"S": "c"}},
            "ConditionExpression": "attribute_exists(pk)"}
    status, _, data = post(TARGET + "PutItem", json.dumps(item))
    assert status == 400
    typ, msg = error_type(data)
    assert typ == "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
    assert msg == "The conditional request failed"


def test_unknown_operation():
    status, headers, data = post(TARGET + "FrobnicateTable", "{}")
    assert status == 400
    check_crc(headers, data)
    typ, msg = error_type(data)
    assert typ == "com.amazon.coral.service#UnknownOperationException"
    # DynamoDB answers with no message (clients then show "UnknownError"): this one names it.
    assert "FrobnicateTable" in msg
    assert_server_alive()


@pytest.mark.parametrize("target", ["DynamoDB_20120810", "ListTables", "Bogus_20120810.ListTables",
                                    "DynamoDB_20120810.listTables"])
def test_bad_target(target):
    status, _, data = post(target, "{}")
    assert status == 400
    typ, msg = error_type(data)
    assert typ == "com.amazon.coral.service#UnknownOperationException"
    assert target in msg


def test_missing_target():
    # wording/type for a request with no X-Amz-Target at all: from dynalite (unverified)
    status, _, data = post(None, "{}")
    assert status == 400
    typ, _ = error_type(data)
    assert typ == "com.amazon.coral.service#UnknownOperationException"  # from dynalite


@pytest.mark.parametrize("body", ["{", "not json", '{"TableName": }', "[1, 2", "\x00\x01"])
def test_malformed_json(body):
    status, headers, data = post(TARGET + "ListTables", body)
    assert status == 400
    check_crc(headers, data)
    typ, _ = error_type(data)
    assert typ == "com.amazon.coral.service#SerializationException"
    assert_server_alive()


def test_wrong_json_type_for_member():
    # A string where a structure is expected. Alternator's test_number_in_json (AWS) shows
    # SerializationException for wrongly typed JSON members.
    status, _, data = post(TARGET + "GetItem", json.dumps(
        {"TableName": "abc", "Key": {"pk": {"N": 123}}}))
    assert status == 400
    typ, _ = error_type(data)
    assert typ.endswith("#SerializationException")


def test_missing_authentication():
    status, headers, data = post(TARGET + "ListTables", "{}", sign=False)
    assert status == 400
    check_crc(headers, data)
    typ, msg = error_type(data)
    assert typ == "com.amazon.coral.service#MissingAuthenticationTokenException"
    assert msg == "Request is missing Authentication Token"
    assert_server_alive()


def test_health_check():
    c = conn()
    try:
        c.request("GET", "/")
        resp = c.getresponse()
        data = resp.read()
    finally:
        c.close()
    assert resp.status == 200
    # DynamoDB answers "healthy: dynamodb.<region>.amazonaws.com"; Alternator answers
    # "healthy: <host:port>". Either way, it starts with "healthy: ".
    assert data.decode().startswith("healthy: ")


def test_content_type_application_json(table):
    status, headers, data = post(TARGET + "DescribeTable", json.dumps({"TableName": table}),
                                 content_type="application/json")
    assert status == 200, data
    assert json.loads(data)["Table"]["TableName"] == table
    check_crc(headers, data)


def test_keep_alive_serves_many_requests(table):
    c = conn()
    try:
        for i in range(20):
            status, _, data = post(TARGET + "PutItem", json.dumps(
                {"TableName": table, "Item": {"pk": {"S": f"ka{i}"}}}), connection=c)
            assert status == 200, data
        status, _, data = post(TARGET + "Scan", json.dumps(
            {"TableName": table, "Select": "COUNT", "ConsistentRead": True}), connection=c)
        assert status == 200
        assert json.loads(data)["Count"] == 20
    finally:
        c.close()


def test_truncated_body_json():
    # A body cut short, with a Content-Length that matches what was sent.
    full = json.dumps({"TableName": "abc", "Item": {"pk": {"S": "x"}}})
    for cut in (1, len(full) // 2, len(full) - 1):
        status, _, data = post(TARGET + "PutItem", full[:cut])
        assert status == 400
        typ, _ = error_type(data)
        assert typ == "com.amazon.coral.service#SerializationException"
    assert_server_alive()


def test_body_shorter_than_content_length():
    # The client promises 1000 bytes, sends 10 and stops writing. The server must not crash; it
    # either answers an error or closes the connection, and then goes on serving.
    host, port = h.host_port()
    s = socket.create_connection((host, port), timeout=5)
    try:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
                  b"X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 1000\r\n\r\n"
                  b'{"Limit":1')
        s.shutdown(socket.SHUT_WR)
        got = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        assert got == b"" or got.startswith(b"HTTP/1.1 4") or got.startswith(b"HTTP/1.0 4"), got
    finally:
        s.close()
    assert_server_alive()


def test_oversize_body():
    # DynamoDB's HTTP requests are at most 16 MB. A 17 MB body must be refused (an error status,
    # or the connection closed), not buffered forever.
    body = b'{"TableName":"abc","Item":{"pk":{"S":"' + b"x" * (17 * 1024 * 1024) + b'"}}}'
    c = conn(timeout=60)
    try:
        try:
            c.request("POST", "/", body=body, headers=h.signed_headers(TARGET + "PutItem", body))
            resp = c.getresponse()
            resp.read()
            assert 400 <= resp.status < 500
        except (ConnectionError, http.client.RemoteDisconnected):
            pass  # the server closed the connection: also a refusal
    finally:
        c.close()
    assert_server_alive()


# ---------------------------------------------------------------------------------------------
# CORS: the server runs with the default origins (`*`, as DynamoDB answers). Refused origins are
# tested against a server of their own (server/tests/dynamo_http.rs).

ORIGIN = "http://localhost:3000"
SDK_HEADERS = "amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-date," \
    "x-amz-target,x-amz-user-agent"


def options(headers):
    c = conn()
    try:
        c.request("OPTIONS", "/", headers=headers)
        resp = c.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        c.close()


def test_cors_preflight_needs_no_credentials_and_echoes_the_headers_asked_for():
    # What a browser sends before the JavaScript SDK's POST: no credentials at all.
    status, headers, _ = options({"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                                  "Access-Control-Request-Headers": SDK_HEADERS})
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == SDK_HEADERS
    assert int(headers["access-control-max-age"]) > 0
    # Asked for no headers: the SDKs' own.
    status, headers, _ = options({"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert status == 200
    allowed = headers["access-control-allow-headers"]
    for name in SDK_HEADERS.split(",") + ["x-amz-security-token", "content-encoding"]:
        assert name in allowed


def test_cors_headers_on_answers_and_errors():
    exposed = lambda hs: [x.strip().lower() for x in hs["access-control-expose-headers"].split(",")]
    status, headers, _ = post(TARGET + "ListTables", "{}", headers={"Origin": ORIGIN})
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"
    assert {"x-amzn-requestid", "x-amz-crc32"} <= set(exposed(headers))
    # Errors too: the service's, the protocol's, and a request with no credentials.
    for target, sign in [(TARGET + "DescribeTable", True), (TARGET + "Frob", True),
                         (TARGET + "ListTables", False)]:
        status, headers, _ = post(target, '{"TableName": "nope"}', sign=sign,
                                  headers={"Origin": ORIGIN})
        assert status == 400, target
        assert headers["access-control-allow-origin"] == "*"
        assert "x-amzn-requestid" in exposed(headers)
    # No Origin (not a browser): no CORS header.
    _, headers, _ = post(TARGET + "ListTables", "{}")
    assert "access-control-allow-origin" not in headers


def test_cors_as_a_browser_library_sees_it():
    # urllib3 (botocore's HTTP library) as a stand-in for a page's fetch: the preflight, then
    # the signed call, accepting gzip as browsers do.
    http = urllib3.PoolManager()
    pre = http.request("OPTIONS", h.ENDPOINT + "/", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-amz-target,authorization,x-amz-date"},
        timeout=30)
    assert pre.status == 200 and pre.headers["Access-Control-Allow-Origin"] == "*"
    body = b"{}"
    hdrs = h.signed_headers(TARGET + "ListTables", body,
                            extra={"Origin": ORIGIN, "Accept-Encoding": "gzip, deflate, br"})
    r = http.request("POST", h.ENDPOINT + "/", body=body, headers=hdrs, timeout=30)
    assert r.status == 200 and "TableNames" in json.loads(r.data)
    assert r.headers["Access-Control-Allow-Origin"] == "*"


# ---------------------------------------------------------------------------------------------
# gzip


def test_gzip_request_signed_over_the_compressed_bytes(table):
    item = {"TableName": table, "Item": {"pk": {"S": "gz"}, "v": {"S": "x" * 5000}}}
    body = gzip.compress(json.dumps(item).encode())
    assert len(body) < 1000
    # botocore's signer hashes the body as sent: the compressed bytes.
    status, _, data = post(TARGET + "PutItem", body, headers={"Content-Encoding": "gzip"})
    assert status == 200, data
    status, _, data = post(TARGET + "GetItem", json.dumps(
        {"TableName": table, "Key": {"pk": {"S": "gz"}}, "ConsistentRead": True}))
    assert json.loads(data)["Item"]["v"]["S"] == "x" * 5000
    # Signed over the decompressed body instead: the signature does not match what was sent.
    plain = json.dumps(item).encode()
    hdrs = h.signed_headers(TARGET + "PutItem", plain, extra={"Content-Encoding": "gzip"})
    c = conn()
    try:
        c.request("POST", "/", body=body, headers=hdrs)
        resp = c.getresponse()
        data = resp.read()
    finally:
        c.close()
    assert resp.status == 400
    assert error_type(data)[0] == "com.amazon.coral.service#InvalidSignatureException"


def test_corrupt_gzip_and_unknown_codings_are_refused():
    whole = gzip.compress(b"{}")
    for bad in [b"{}", whole[:-4], whole[:10] + bytes([whole[10] ^ 0xff]) + whole[11:]]:
        status, headers, data = post(TARGET + "ListTables", bad,
                                     headers={"Content-Encoding": "gzip"})
        assert status == 400, data
        check_crc(headers, data)
        typ, msg = error_type(data)
        assert typ == "com.amazon.coral.service#SerializationException"
        assert "gzip" in msg
    status, _, data = post(TARGET + "ListTables", b"{}", headers={"Content-Encoding": "br"})
    assert status == 415
    typ, msg = error_type(data)
    assert typ == "com.amazon.coral.service#SerializationException" and '"br"' in msg
    assert_server_alive()


def test_gzip_bomb_is_refused():
    # 64 MiB of spaces in 64 KiB: past the 16 MiB bound once inflated.
    bomb = gzip.compress(b" " * (64 << 20), compresslevel=9)
    assert len(bomb) < 128 << 10
    status, _, data = post(TARGET + "ListTables", bomb, headers={"Content-Encoding": "gzip"})
    assert status == 413
    typ, msg = error_type(data)
    assert typ == "com.amazon.coral.service#RequestEntityTooLarge"
    assert "decompressed" in msg
    assert_server_alive()


def put_big_item(table, size=8000):
    item = {"TableName": table, "Item": {"pk": {"S": "big"}, "v": {"S": "abc" * (size // 3)}}}
    status, _, data = post(TARGET + "PutItem", json.dumps(item))
    assert status == 200, data
    return json.dumps({"TableName": table, "Key": {"pk": {"S": "big"}}, "ConsistentRead": True})


class RawBody:
    """The raw stream of an AWSResponse: the bytes as they came off the wire."""

    def __init__(self, data):
        self.data = data

    def stream(self, *args, **kwargs):
        yield self.data


def botocore_crc32_check(status, headers, data):
    """botocore's own DynamoDB CRC32 check (retryhandler.CRC32Checker, on the raw body it reads
    with decode_content=False); raises botocore's ChecksumError on a mismatch."""
    response = botocore.awsrequest.AWSResponse(h.ENDPOINT, status, headers, RawBody(data))
    checker = botocore.retryhandler.CRC32Checker(header="x-amz-crc32")
    assert not checker._check_response(1, (response, {}))


def test_gzip_answer_when_accepted_and_its_crc32_is_of_the_bytes_sent(table):
    get = put_big_item(table)
    status, headers, data = post(TARGET + "GetItem", get, headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) == len(data)
    decoded = gzip.decompress(data)
    assert len(data) < len(decoded) // 4
    assert json.loads(decoded)["Item"]["pk"] == {"S": "big"}
    # The checksum is of the compressed bytes (as DynamoDB, and as every SDK checks it).
    assert int(headers["x-amz-crc32"]) == zlib.crc32(data)
    botocore_crc32_check(status, headers, data)
    # Not asked (http.client sends `Accept-Encoding: identity`), or refused: plain.
    for accept in [None, "gzip;q=0", "br"]:
        status, headers, plain = post(TARGET + "GetItem", get,
                                      headers=accept and {"Accept-Encoding": accept})
        assert "content-encoding" not in headers, accept
        assert plain == decoded
        botocore_crc32_check(status, headers, plain)
    # A short answer stays plain even when gzip is accepted.
    _, headers, _ = post(TARGET + "ListTables", '{"Limit": 1}', headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in headers
    # A client that inflates answers itself (urllib3 with its default decode_content).
    hdrs = h.signed_headers(TARGET + "GetItem", get.encode(), extra={"Accept-Encoding": "gzip"})
    r = urllib3.PoolManager().request("POST", h.ENDPOINT + "/", body=get.encode(), headers=hdrs,
                                      timeout=30)
    assert r.headers["Content-Encoding"] == "gzip"
    assert json.loads(r.data)["Item"]["pk"] == {"S": "big"}


def test_boto3_compresses_cloudwatch_put_metric_data_and_it_is_served():
    # botocore gzips PutMetricData bodies of 10 KB and more (the operation's requestcompression
    # trait): the server takes them.
    cw = h.make_service_client("cloudwatch")
    seen = []
    cw.meta.events.register("before-send.cloudwatch.PutMetricData",
                            lambda request, **kw: seen.append(request.headers.get("Content-Encoding")))
    namespace = h.unique_name("gz")
    data = [{"MetricName": f"m{i}", "Value": float(i), "Unit": "Count",
             "Dimensions": [{"Name": "d", "Value": "v" * 40}]} for i in range(300)]
    cw.put_metric_data(Namespace=namespace, MetricData=data)
    assert seen and seen[0] in (b"gzip", "gzip"), seen
    names = set()
    for page in cw.get_paginator("list_metrics").paginate(Namespace=namespace):
        names.update(m["MetricName"] for m in page["Metrics"])
    assert names == {f"m{i}" for i in range(300)}


def test_server_still_serves_after_abuse(ddb, table):
    # Runs last in this file: after all of the above, ordinary clients still work.
    ddb.put_item(TableName=table, Item={"pk": {"S": "after"}})
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "after"}},
                        ConsistentRead=True)["Item"] == {"pk": {"S": "after"}}
    assert table in ddb.list_tables(ExclusiveStartTableName=table[:-1], Limit=100)["TableNames"]
