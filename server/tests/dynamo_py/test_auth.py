"""SigV4 authentication over raw HTTP: every way a request's signature is refused, for DynamoDB
(JSON errors, HTTP 400, `com.amazon.coral.service#…`) and for STS and IAM (query-protocol XML
errors, HTTP 403 but IncompleteSignature's 400), with AWS's codes and messages: no
Authorization, another scheme, missing parts, an unknown key, a wrong secret, a date out of
the 15-minute window either way, a credential scope of another region, service, day or
terminator, a body or signed header changed after signing, `host` not signed, presigned
(query-string) requests, and that well-signed requests (by botocore's signer and by the
hand-written one here) are accepted.

Requests are signed with botocore's `SigV4Auth` on a hand-built `AWSRequest`, or by
`dynamo_helpers.sigv4` (written from AWS's specification) where the date, the scope or the
signed headers must be something botocore would not sign."""

import datetime
import json
import re
import uuid
import zlib

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import dynamo_helpers as h

JSON_TYPE = "application/x-amz-json-1.0"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
LIST_TABLES = "DynamoDB_20120810.ListTables"
BODY = "{}"

MSG_MISMATCH = ("The request signature we calculated does not match the signature you "
                "provided. Check your AWS Secret Access Key and signing method. Consult the "
                "service documentation for details.")
MSG_INVALID_TOKEN = "The security token included in the request is invalid."
MSG_MISSING = "Request is missing Authentication Token"
AMZ = r"\d{8}T\d{6}Z"


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def ddb_headers(target=LIST_TABLES, **extra):
    hdrs = {"content-type": JSON_TYPE, "x-amz-target": target}
    hdrs.update(extra)
    return hdrs


def signed_ddb(body=BODY, target=LIST_TABLES, **kw):
    """A DynamoDB request signed by hand: (headers, query)."""
    return h.sigv4(body=body, headers=ddb_headers(target), **kw)


def send(headers, body=BODY, query="", method="POST", path="/"):
    return h.raw_request(method, path, query, headers, body)


def expect_ddb_error(result, code, message=None, contains=(), match=None):
    """A DynamoDB authentication error: HTTP 400, `com.amazon.coral.service#CODE`, a request id,
    the JSON 1.0 content type and a CRC32 of the body."""
    status, headers, body = result
    assert status == 400, (status, body)
    got_code, typ, msg = h.json_error(body)
    assert typ == f"com.amazon.coral.service#{code}", body
    assert headers.get("x-amzn-requestid")
    assert headers.get("content-type", "").startswith(JSON_TYPE)
    if "x-amz-crc32" in headers:
        assert int(headers["x-amz-crc32"]) == zlib.crc32(body)
    if message is not None:
        assert msg == message, f"\n  want {message!r}\n  got  {msg!r}"
    for part in ([contains] if isinstance(contains, str) else contains):
        assert part in msg, f"{part!r} not in {msg!r}"
    if match is not None:
        assert re.fullmatch(match, msg), f"{msg!r} does not match {match!r}"
    return msg


def expect_ok(result):
    status, _, body = result
    assert status == 200, body
    return body


def expect_query_error(result, code, status, message=None, contains=(), match=None):
    """A query-protocol (STS, IAM) error: <ErrorResponse><Error><Type>Sender</Type><Code>…"""
    got_status, headers, body = result
    assert got_status == status, (got_status, body)
    assert headers.get("content-type", "").startswith("text/xml"), headers
    got_code, msg, typ = h.xml_error(body)
    assert got_code == code, body
    assert typ == "Sender", body
    assert b"<RequestId>" in body, body
    assert headers.get("x-amzn-requestid")
    if message is not None:
        assert msg == message, f"\n  want {message!r}\n  got  {msg!r}"
    for part in ([contains] if isinstance(contains, str) else contains):
        assert part in msg, f"{part!r} not in {msg!r}"
    if match is not None:
        assert re.fullmatch(match, msg), f"{msg!r} does not match {match!r}"
    return msg


def botocore_signed(body=BODY, service="dynamodb", region=h.REGION, key=h.ACCESS_KEY,
                    secret=h.SECRET_KEY, token=None, headers=None):
    """Headers of a POST / signed by botocore's own SigV4 signer."""
    hdrs = dict(headers or ddb_headers())
    req = AWSRequest(method="POST", url=h.ENDPOINT + "/", data=body, headers=hdrs)
    SigV4Auth(Credentials(key, secret, token), service, region).add_auth(req)
    return dict(req.headers.items())


# ---------------------------------------------------------------------------------------------
# Accepted


def test_botocore_signed_request_accepted():
    body = expect_ok(send(botocore_signed()))
    assert "TableNames" in json.loads(body)


def test_hand_signed_request_accepted():
    """The hand-written signer agrees with the server: the refusals below are for what each
    one changes, not for the signer."""
    headers, _ = signed_ddb()
    assert "TableNames" in json.loads(expect_ok(send(headers)))


def test_unsigned_extra_header_accepted():
    """Headers not in SignedHeaders may be added or changed after signing."""
    headers, _ = signed_ddb()
    headers["user-agent"] = "changed-after-signing"
    headers["x-extra"] = "1"
    expect_ok(send(headers))


def test_date_within_window_accepted():
    for minutes in (-10, 10):
        headers, _ = signed_ddb(when=utcnow() + datetime.timedelta(minutes=minutes))
        expect_ok(send(headers))


# ---------------------------------------------------------------------------------------------
# DynamoDB: missing or malformed signatures


def test_no_authorization():
    expect_ddb_error(send(ddb_headers()), "MissingAuthenticationTokenException", MSG_MISSING)


def test_no_authorization_large_body_refused_before_reading():
    expect_ddb_error(send(ddb_headers(), body="{" + " " * 60_000 + "}"),
                     "MissingAuthenticationTokenException", MSG_MISSING)


@pytest.mark.parametrize("auth", [
    "Basic dGVzdDp0ZXN0",
    "Bearer abc.def.ghi",
    "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
    "AWS4-HMAC-SHA1 Credential=AKIAIOSFODNN7EXAMPLE/20261206/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=00",
])
def test_not_sigv4(auth):
    headers, _ = signed_ddb()
    headers["authorization"] = auth
    expect_ddb_error(send(headers), "IncompleteSignatureException")


def _strip(auth, part):
    """The Authorization header without its `part=` parameter."""
    scheme, params = auth.split(" ", 1)
    kept = [p for p in params.split(", ") if not p.startswith(part + "=")]
    return scheme + " " + ", ".join(kept)


@pytest.mark.parametrize("part", ["Credential", "SignedHeaders", "Signature"])
def test_missing_part(part):
    headers, _ = signed_ddb()
    headers["authorization"] = _strip(headers["authorization"], part)
    expect_ddb_error(send(headers), "IncompleteSignatureException",
                     contains=[f"Authorization header requires '{part}' parameter.",
                               "Authorization=AWS4-HMAC-SHA256"])


def test_missing_every_part_names_each():
    headers, _ = signed_ddb()
    headers["authorization"] = "AWS4-HMAC-SHA256 Foo=bar"
    del headers["x-amz-date"]
    msg = expect_ddb_error(send(headers), "IncompleteSignatureException")
    for part in ("Credential", "Signature", "SignedHeaders"):
        assert f"Authorization header requires '{part}' parameter." in msg, msg
    assert "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' " \
           "header." in msg, msg


def test_missing_date():
    headers, _ = signed_ddb()
    del headers["x-amz-date"]
    expect_ddb_error(send(headers), "IncompleteSignatureException", contains=(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
        "header."))


@pytest.mark.parametrize("date", ["2026-12-06T10:00:00Z", "20261206", "yesterday"])
def test_malformed_date(date):
    headers, _ = signed_ddb()
    headers["x-amz-date"] = date
    expect_ddb_error(send(headers), "IncompleteSignatureException",
                     f"Date must be in ISO-8601 'basic format'. Got '{date}'. "
                     "See http://en.wikipedia.org/wiki/ISO_8601")


def test_credential_not_five_parts():
    headers, _ = signed_ddb()
    auth = headers["authorization"]
    cred = re.search(r"Credential=([^,]+)", auth).group(1)
    short = cred.rsplit("/", 1)[0]  # no terminator
    headers["authorization"] = auth.replace(cred, short)
    expect_ddb_error(send(headers), "IncompleteSignatureException",
                     contains="Credential must have exactly 5 slash-delimited elements")


# ---------------------------------------------------------------------------------------------
# DynamoDB: signatures that do not verify


def test_unknown_access_key():
    key = "AKIA" + uuid.uuid4().hex[:16].upper()
    headers, _ = signed_ddb(access_key=key, secret_key="x" * 40)
    expect_ddb_error(send(headers), "UnrecognizedClientException", MSG_INVALID_TOKEN)
    # botocore's signer, same answer.
    expect_ddb_error(send(botocore_signed(key=key, secret="y" * 40)),
                     "UnrecognizedClientException", MSG_INVALID_TOKEN)


def test_wrong_secret():
    expect_ddb_error(send(botocore_signed(secret=h.SECRET_KEY[:-1] + "X")),
                     "InvalidSignatureException", MSG_MISMATCH)
    headers, _ = signed_ddb(secret_key="")
    expect_ddb_error(send(headers), "InvalidSignatureException", MSG_MISMATCH)


def test_session_token_with_root_key():
    expect_ddb_error(send(botocore_signed(token="not-a-session-token")),
                     "UnrecognizedClientException", MSG_INVALID_TOKEN)


def test_date_20_minutes_past():
    when = utcnow() - datetime.timedelta(minutes=20)
    headers, _ = signed_ddb(when=when)
    amz = when.strftime(h.AMZ_DATE_FORMAT)
    expect_ddb_error(send(headers), "InvalidSignatureException",
                     match=rf"Signature expired: {amz} is now earlier than {AMZ} "
                           rf"\({AMZ} - 15 min\.\)")


def test_date_20_minutes_future():
    when = utcnow() + datetime.timedelta(minutes=20)
    headers, _ = signed_ddb(when=when)
    amz = when.strftime(h.AMZ_DATE_FORMAT)
    expect_ddb_error(send(headers), "InvalidSignatureException",
                     match=rf"Signature not yet current: {amz} is still later than {AMZ} "
                           rf"\({AMZ} \+ 15 min\.\)")


def test_date_skew_botocore_clock(monkeypatch):
    """botocore's own signer with its clock 20 minutes behind."""
    import botocore.auth
    if not hasattr(botocore.auth, "get_current_datetime"):
        pytest.skip("this botocore reads its clock elsewhere")
    behind = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - \
        datetime.timedelta(minutes=20)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: behind)
    headers = botocore_signed()
    assert headers["X-Amz-Date"] == behind.strftime(h.AMZ_DATE_FORMAT)
    expect_ddb_error(send(headers), "InvalidSignatureException",
                     contains=f"Signature expired: {headers['X-Amz-Date']} is now earlier than")


def test_scope_other_region():
    expect_ddb_error(send(botocore_signed(region="eu-west-1")), "InvalidSignatureException",
                     contains="Credential should be scoped to a valid region")


@pytest.mark.parametrize("service", ["iam", "sts", "s3"])
def test_scope_other_service(service):
    expect_ddb_error(send(botocore_signed(service=service)), "InvalidSignatureException",
                     contains="Credential should be scoped to correct service: 'dynamodb'.")


def test_scope_other_terminator():
    headers, _ = signed_ddb(terminator="aws4_other")
    expect_ddb_error(send(headers), "InvalidSignatureException", contains=(
        "Credential should be scoped with a valid terminator: 'aws4_request', not "
        "'aws4_other'."))


def test_scope_other_day():
    when = utcnow()
    day = (when - datetime.timedelta(days=1)).strftime("%Y%m%d")
    headers, _ = signed_ddb(when=when, scope_day=day)
    expect_ddb_error(send(headers), "InvalidSignatureException", contains=(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        f"HTTP: '{day}' != '{headers['x-amz-date'][:8]}', from '{headers['x-amz-date']}'."))


def test_body_tampered_after_signing(table):
    body = json.dumps({"TableName": table, "Item": {"pk": {"S": "a"}}})
    headers = botocore_signed(body=body, headers=ddb_headers("DynamoDB_20120810.PutItem"))
    tampered = body.replace('"a"', '"b"')
    expect_ddb_error(send(headers, body=tampered), "InvalidSignatureException", MSG_MISMATCH)
    # Nothing was written, and the untampered request goes through.
    expect_ok(send(headers, body=body))


def test_signed_header_changed_after_signing():
    headers = botocore_signed()
    headers["X-Amz-Target"] = "DynamoDB_20120810.ListTables "  # signed: any change breaks it
    expect_ddb_error(send(headers), "InvalidSignatureException", MSG_MISMATCH)


def test_signed_header_missing_from_request():
    headers, _ = h.sigv4(body=BODY, headers={**ddb_headers(), "x-amz-meta": "v"})
    del headers["x-amz-meta"]
    expect_ddb_error(send(headers), "InvalidSignatureException", MSG_MISMATCH)


def test_host_not_signed():
    headers, _ = signed_ddb(signed_headers=["content-type", "x-amz-date", "x-amz-target"])
    expect_ddb_error(send(headers), "InvalidSignatureException",
                     "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")


def test_host_changed_after_signing():
    headers, _ = signed_ddb()
    headers["host"] = "dynamodb.us-east-1.amazonaws.com"
    expect_ddb_error(send(headers), "InvalidSignatureException", MSG_MISMATCH)


def test_wrong_content_sha256():
    headers, _ = signed_ddb()
    headers["x-amz-content-sha256"] = "0" * 64
    expect_ddb_error(send(headers), "InvalidSignatureException")


def test_signature_not_hex():
    headers, _ = signed_ddb()
    headers["authorization"] = re.sub(r"Signature=\w+", "Signature=zz", headers["authorization"])
    expect_ddb_error(send(headers), "InvalidSignatureException", MSG_MISMATCH)


# ---------------------------------------------------------------------------------------------
# DynamoDB: presigned (query-string) requests


def test_presigned_post_accepted():
    headers, query = signed_ddb(presign_expires=300)
    assert "authorization" not in headers and "X-Amz-Signature=" in query
    assert "TableNames" in json.loads(expect_ok(send(headers, query=query)))


def test_presigned_post_body_tampered():
    headers, query = signed_ddb(presign_expires=300)
    expect_ddb_error(send(headers, query=query, body='{"Limit": 1}'),
                     "InvalidSignatureException", MSG_MISMATCH)


def test_presigned_expired():
    when = utcnow() - datetime.timedelta(minutes=10)
    headers, query = signed_ddb(presign_expires=60, when=when)
    amz = when.strftime(h.AMZ_DATE_FORMAT)
    expect_ddb_error(send(headers, query=query), "InvalidSignatureException",
                     contains=f"Signature expired: {amz} is now earlier than")


def test_presigned_expires_over_a_week():
    headers, query = signed_ddb(presign_expires=604801)
    expect_ddb_error(send(headers, query=query), "IncompleteSignatureException",
                     contains="X-Amz-Expires must be less than a week (in seconds) that is 604800")


def test_presigned_missing_parameter():
    headers, query = signed_ddb(presign_expires=300)
    query = "&".join(p for p in query.split("&") if not p.startswith("X-Amz-Credential="))
    expect_ddb_error(send(headers, query=query), "IncompleteSignatureException",
                     "AWS query-string parameters must include 'X-Amz-Credential'. Re-examine "
                     "the query-string parameters.")


def test_presigned_unknown_key():
    headers, query = signed_ddb(presign_expires=300, access_key="AKIA" + "Q" * 16)
    expect_ddb_error(send(headers, query=query), "UnrecognizedClientException",
                     MSG_INVALID_TOKEN)


# ---------------------------------------------------------------------------------------------
# STS and IAM: the query protocol's errors

STS_BODY = "Action=GetCallerIdentity&Version=2011-06-15"
IAM_BODY = "Action=ListUsers&Version=2010-05-08&MaxItems=1"


def signed_query(body, service, **kw):
    headers, _ = h.sigv4(body=body, service=service, headers={"content-type": FORM_TYPE}, **kw)
    return headers


@pytest.mark.parametrize("body,service", [(STS_BODY, "sts"), (IAM_BODY, "iam")])
def test_query_signed_accepted(body, service):
    data = expect_ok(send(signed_query(body, service), body=body))
    assert data.startswith(b"<") and b"<RequestId>" in data
    data = expect_ok(send(botocore_signed(body=body, service=service,
                                          headers={"Content-Type": FORM_TYPE}), body=body))
    assert b"<RequestId>" in data


@pytest.mark.parametrize("body,service", [(STS_BODY, "sts"), (IAM_BODY, "iam")])
def test_query_unknown_key(body, service):
    headers = signed_query(body, service, access_key="AKIA" + "W" * 16)
    expect_query_error(send(headers, body=body), "InvalidClientTokenId", 403, MSG_INVALID_TOKEN)


@pytest.mark.parametrize("body,service", [(STS_BODY, "sts"), (IAM_BODY, "iam")])
def test_query_wrong_secret(body, service):
    headers = signed_query(body, service, secret_key="w" * 40)
    expect_query_error(send(headers, body=body), "SignatureDoesNotMatch", 403, MSG_MISMATCH)


@pytest.mark.parametrize("body,service", [(STS_BODY, "sts"), (IAM_BODY, "iam")])
def test_query_date_expired(body, service):
    when = utcnow() - datetime.timedelta(minutes=20)
    headers = signed_query(body, service, when=when)
    expect_query_error(send(headers, body=body), "SignatureDoesNotMatch", 403,
                       match=rf"Signature expired: {when.strftime(h.AMZ_DATE_FORMAT)} is now "
                             rf"earlier than {AMZ} \({AMZ} - 15 min\.\)")


@pytest.mark.parametrize("body,service", [(STS_BODY, "sts"), (IAM_BODY, "iam")])
def test_query_date_future(body, service):
    when = utcnow() + datetime.timedelta(minutes=20)
    headers = signed_query(body, service, when=when)
    expect_query_error(send(headers, body=body), "SignatureDoesNotMatch", 403,
                       contains="Signature not yet current:")


@pytest.mark.parametrize("body,service", [(STS_BODY, "sts"), (IAM_BODY, "iam")])
def test_query_incomplete(body, service):
    headers = signed_query(body, service)
    headers["authorization"] = _strip(headers["authorization"], "SignedHeaders")
    expect_query_error(send(headers, body=body), "IncompleteSignature", 400,
                       contains="Authorization header requires 'SignedHeaders' parameter.")


def test_query_scope_other_region():
    """STS and IAM do not name the region (DynamoDB does)."""
    headers = signed_query(STS_BODY, "sts", region="eu-west-1")
    expect_query_error(send(headers, body=STS_BODY), "SignatureDoesNotMatch", 403,
                       contains="Credential should be scoped to a valid region. ")


def test_query_body_tampered():
    headers = signed_query(IAM_BODY, "iam")
    tampered = IAM_BODY.replace("MaxItems=1", "MaxItems=2")
    expect_query_error(send(headers, body=tampered), "SignatureDoesNotMatch", 403, MSG_MISMATCH)


def test_query_host_not_signed():
    headers = signed_query(STS_BODY, "sts", signed_headers=["content-type", "x-amz-date"])
    expect_query_error(send(headers, body=STS_BODY), "SignatureDoesNotMatch", 403,
                       "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
                       "Authorization.")


def test_query_no_authorization():
    """An unsigned STS request (curl -d Action=GetCallerIdentity…): AWS answers
    MissingAuthenticationToken, 403, in the query protocol's XML."""
    expect_query_error(send({"content-type": FORM_TYPE}, body=STS_BODY),
                       "MissingAuthenticationToken", 403, MSG_MISSING)


def test_query_no_credential():
    """A form-encoded request whose Authorization has no Credential (so no scope naming the
    service): still an IncompleteSignature answer in the query protocol's form."""
    headers = signed_query(STS_BODY, "sts")
    headers["authorization"] = _strip(headers["authorization"], "Credential")
    expect_query_error(send(headers, body=STS_BODY), "IncompleteSignature", 400,
                       contains="Authorization header requires 'Credential' parameter.")


def test_sts_presigned_get_caller_identity(sts):
    """A presigned GetCallerIdentity URL, fetched with GET (what `aws eks get-token` and
    aws-iam-authenticator do): STS answers as to a signed POST."""
    # Signed for GET, as `aws eks get-token` signs it (the method is part of the signature).
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    from urllib.parse import urlsplit
    u = urlsplit(url)
    assert "X-Amz-Signature=" in u.query
    host, port = h.host_port()
    status, _, body = h.raw_request("GET", u.path or "/", u.query, {"host": f"{host}:{port}"})
    assert status == 200, body
    assert f"<Arn>{h.ROOT_ARN}</Arn>".encode() in body, body


def test_target_not_signed():
    """An unsigned X-Amz-Target would let a captured request run as another operation."""
    headers, _ = signed_ddb(signed_headers=["content-type", "host", "x-amz-date"])
    expect_ddb_error(send(headers), "InvalidSignatureException",
                     "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.")
