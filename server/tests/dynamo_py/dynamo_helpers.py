"""Shared helpers for the DynamoDB end-to-end suite (imported by conftest.py and the tests).

Everything here talks to the server only through the real clients: boto3 / botocore, the AWS
CLI, or (for protocol tests) raw HTTP requests signed with botocore's own SigV4 signer.
"""

import contextlib
import json
import os
import shutil
import subprocess
import time
import uuid

import boto3
import botocore.config
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("SHALE_DYNAMO_ENDPOINT", "http://127.0.0.1:8000").rstrip("/")
REGION = "us-east-1"
# The server's root credentials: the test harness starts it with this pair (AWS's documented
# example); against a server of your own, set SHALE_ACCESS_KEY_ID / SHALE_SECRET_ACCESS_KEY.
ACCESS_KEY = os.environ.get("SHALE_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
SECRET_KEY = os.environ.get("SHALE_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")

# The CLI subprocess and boto3 both read these.
os.environ["AWS_ACCESS_KEY_ID"] = ACCESS_KEY
os.environ["AWS_SECRET_ACCESS_KEY"] = SECRET_KEY
os.environ["AWS_DEFAULT_REGION"] = REGION
os.environ.pop("AWS_SESSION_TOKEN", None)
# Never let a developer's ~/.aws/config (profiles, retries, endpoints) leak into the runs.
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)


def client_config(validate=True):
    return botocore.config.Config(
        region_name=REGION,
        # One attempt: errors (including throttling and 5xx) surface at once.
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        # With validation off, botocore sends requests its own checks would refuse
        # client-side (too-short names, missing required members) so that the *server's*
        # validation is what gets tested.
        parameter_validation=validate,
    )


def make_session():
    return boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )


def make_client(validate=True):
    return make_session().client("dynamodb", endpoint_url=ENDPOINT, config=client_config(validate))


def make_resource():
    return make_session().resource("dynamodb", endpoint_url=ENDPOINT, config=client_config())


def unique_name(prefix="shale"):
    """A table name unique to this test run: [a-zA-Z0-9_.-], well under 255 characters."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def wait_active(client, name, timeout=30.0):
    """Polls DescribeTable until the table is ACTIVE (tables may report CREATING first)."""
    deadline = time.monotonic() + timeout
    while True:
        desc = client.describe_table(TableName=name)["Table"]
        if desc["TableStatus"] == "ACTIVE":
            return desc
        if time.monotonic() > deadline:
            raise AssertionError(f"table {name} not ACTIVE after {timeout}s: {desc['TableStatus']}")
        time.sleep(0.02)


def wait_gone(client, name, timeout=30.0):
    """Polls DescribeTable until it answers ResourceNotFoundException."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.describe_table(TableName=name)
        except ClientError as e:
            if e.response["Error"]["Code"] == "ResourceNotFoundException":
                return
            raise
        if time.monotonic() > deadline:
            raise AssertionError(f"table {name} still exists after {timeout}s")
        time.sleep(0.02)


def ks(hash_name, range_name=None):
    """A KeySchema: the hash attribute, and the range one when given."""
    out = [{"AttributeName": hash_name, "KeyType": "HASH"}]
    if range_name:
        out.append({"AttributeName": range_name, "KeyType": "RANGE"})
    return out


def key_schema(hash_key=("pk", "S"), range_key=None):
    ks = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    ad = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    if range_key is not None:
        ks.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
        ad.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
    return ks, ad


def create_table(client, name, hash_key=("pk", "S"), range_key=None, billing="PAY_PER_REQUEST",
                 throughput=(5, 5), wait=True):
    ks, ad = key_schema(hash_key, range_key)
    kwargs = dict(TableName=name, KeySchema=ks, AttributeDefinitions=ad)
    if billing == "PAY_PER_REQUEST":
        kwargs["BillingMode"] = "PAY_PER_REQUEST"
    elif billing == "PROVISIONED":
        kwargs["BillingMode"] = "PROVISIONED"
        kwargs["ProvisionedThroughput"] = {
            "ReadCapacityUnits": throughput[0], "WriteCapacityUnits": throughput[1]}
    else:  # billing=None: no BillingMode at all (defaults to PROVISIONED)
        kwargs["ProvisionedThroughput"] = {
            "ReadCapacityUnits": throughput[0], "WriteCapacityUnits": throughput[1]}
    resp = client.create_table(**kwargs)
    if wait:
        wait_active(client, name)
    return resp


def delete_table_quietly(client, name):
    for _ in range(200):
        try:
            client.delete_table(TableName=name)
            return
        except ClientError as e:
            code = e.response["Error"]["Code"]
            if code == "ResourceNotFoundException":
                return
            if code == "ResourceInUseException":  # still CREATING/UPDATING: retry shortly
                time.sleep(0.05)
                continue
            return
        except Exception:
            return


@contextlib.contextmanager
def expect_error(code, message=None, contains=(), startswith=None):
    """Asserts the block raises a ClientError with this code; checks the message exactly
    (``message``), by substrings (``contains``: str or list) and/or by prefix."""
    holder = _ErrorHolder()
    try:
        yield holder
    except ClientError as e:
        holder.error = e
        err = e.response.get("Error", {})
        got_code = err.get("Code")
        got_msg = err.get("Message", "")
        assert got_code == code, f"expected {code}, got {got_code}: {got_msg!r}"
        if message is not None:
            assert got_msg == message, f"message mismatch:\n  want {message!r}\n  got  {got_msg!r}"
        if isinstance(contains, str):
            contains_list = [contains]
        else:
            contains_list = list(contains)
        for part in contains_list:
            assert part in got_msg, f"message lacks {part!r}: {got_msg!r}"
        if startswith is not None:
            assert got_msg.startswith(startswith), f"message {got_msg!r} lacks prefix {startswith!r}"
    else:
        raise AssertionError(f"expected ClientError {code}, but the call succeeded")


class _ErrorHolder:
    error = None

    @property
    def response(self):
        return self.error.response

    @property
    def message(self):
        return self.error.response["Error"]["Message"]


# ---------------------------------------------------------------------------------------------
# AWS CLI


def cli_major_version():
    out = subprocess.run(["aws", "--version"], capture_output=True, text=True, timeout=60)
    text = (out.stdout + out.stderr).strip()
    # "aws-cli/1.45.11 Python/3.11.7 ..." or "aws-cli/2.x ..."
    return int(text.split("/", 1)[1].split(".", 1)[0])


def cli_service_error_exit_code():
    """AWS CLI v2 exits 254 when the service answered with an error (documented return codes);
    AWS CLI v1 has no separate code for it and exits 255 (observed with aws-cli/1.45)."""
    return 254 if cli_major_version() >= 2 else 255


class CliResult:
    def __init__(self, proc):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def json(self):
        return json.loads(self.stdout) if self.stdout.strip() else None

    def __repr__(self):
        return f"CliResult(rc={self.returncode}, stdout={self.stdout!r}, stderr={self.stderr!r})"


def run_cli(*args, check=True, cwd=None, timeout=120, service="dynamodb"):
    """Runs ``aws SERVICE ARGS...`` (``aws dynamodb`` by default) against the endpoint and
    returns a CliResult."""
    assert shutil.which("aws"), "the aws CLI is not installed"
    cmd = ["aws", service, *args, "--endpoint-url", ENDPOINT, "--region", REGION,
           "--output", "json"]
    env = dict(os.environ)
    env.update({"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": ""})
    # Retries stay at the CLI's default: a single-attempt setting would make botocore append
    # "(reached max retries: 0)" to every error line, which is not what users see. The errors
    # tested here (validation, conditional check) are never retried anyway.
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    res = CliResult(proc)
    if check:
        assert res.returncode == 0, f"aws {' '.join(args)} failed: {res!r}"
    return res


# ---------------------------------------------------------------------------------------------
# Raw HTTP


def signed_headers(target, body, content_type="application/x-amz-json-1.0", extra=None):
    """Headers for a POST / with X-Amz-Target ``target`` signed with SigV4 (dummy keys)."""
    headers = {"Content-Type": content_type}
    if target is not None:
        headers["X-Amz-Target"] = target
    if extra:
        headers.update(extra)
    req = AWSRequest(method="POST", url=ENDPOINT + "/", data=body, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "dynamodb", REGION).add_auth(req)
    return dict(req.headers.items())


def host_port():
    from urllib.parse import urlsplit
    u = urlsplit(ENDPOINT)
    return u.hostname, u.port or 80


# ---------------------------------------------------------------------------------------------
# IAM, STS and identities other than the root

ACCOUNT = "000000000000"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
AWS_POLICY = "arn:aws:iam::aws:policy/"

_shared_session = None


def _session():
    """One boto3 session for every client made here: its loaded service models are shared, so a
    client for a new identity costs milliseconds."""
    global _shared_session
    if _shared_session is None:
        _shared_session = make_session()
    return _shared_session


def make_service_client(service, access_key=ACCESS_KEY, secret_key=SECRET_KEY, token=None,
                        validate=True):
    """A client of `service` (dynamodb, iam, sts) on the endpoint, signing with these
    credentials (the root's by default)."""
    return _session().client(
        service, endpoint_url=ENDPOINT, config=client_config(validate),
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, aws_session_token=token)


class Identity:
    """A set of credentials (a user's access key, temporary credentials) with its clients."""

    def __init__(self, access_key, secret_key, token=None):
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token
        self._clients = {}

    def client(self, service, validate=True):
        k = (service, validate)
        if k not in self._clients:
            self._clients[k] = make_service_client(service, self.access_key, self.secret_key,
                                                   self.token, validate)
        return self._clients[k]

    @property
    def ddb(self):
        return self.client("dynamodb")

    @property
    def iam(self):
        return self.client("iam")

    @property
    def sts(self):
        return self.client("sts")

    @classmethod
    def of_credentials(cls, creds):
        """From STS's `Credentials` member."""
        return cls(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


class User(Identity):
    def __init__(self, name, arn, user_id, access_key=None, secret_key=None):
        super().__init__(access_key, secret_key)
        self.name = name
        self.arn = arn
        self.id = user_id


def policy(*statements, version="2012-10-17"):
    """A policy document (JSON text) of these statements."""
    return json.dumps({"Version": version, "Statement": list(statements)})


def statement(effect, actions, resources="*", condition=None):
    s = {"Effect": effect, "Action": actions, "Resource": resources}
    if condition is not None:
        s["Condition"] = condition
    return s


def allow(actions, resources="*", condition=None):
    return statement("Allow", actions, resources, condition)


def deny(actions, resources="*", condition=None):
    return statement("Deny", actions, resources, condition)


def trust_policy(*principals, condition=None):
    """A role's trust policy letting these AWS principals (ARNs or account ids) assume it."""
    s = {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}
    if condition is not None:
        s["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [s]})


def table_arn(name):
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def user_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT}:user{path}{name}"


def role_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT}:role{path}{name}"


def denied_message(principal_arn, action, resource, explicit=False, session=False):
    """AWS's AccessDenied message for an identity-based refusal."""
    if explicit:
        why = "with an explicit deny in a session policy" if session else \
            "with an explicit deny in an identity-based policy"
    else:
        kind = "session" if session else "identity-based"
        why = f"because no {kind} policy allows the {action} action"
    return (f"User: {principal_arn} is not authorized to perform: {action} on resource: "
            f"{resource} {why}")


def _quietly(fn, **kwargs):
    try:
        return fn(**kwargs)
    except ClientError:
        return None


class IamEnv:
    """Makes uniquely named IAM users, groups, roles and managed policies through the root's
    IAM client, and deletes all of them (with their keys, policies, attachments and group
    memberships) in `cleanup`."""

    def __init__(self, iam):
        self.iam = iam
        self.users, self.groups, self.roles, self.policies = [], [], [], []

    def user(self, policy=None, policies=(), managed=(), groups=(), key=True, path="/",
             prefix="user"):
        name = unique_name(prefix)
        u = self.iam.create_user(UserName=name, Path=path)["User"]
        self.users.append(name)
        docs = ([policy] if policy is not None else []) + list(policies)
        for i, doc in enumerate(docs):
            self.iam.put_user_policy(UserName=name, PolicyName=f"inline{i}", PolicyDocument=doc)
        for arn in managed:
            self.iam.attach_user_policy(UserName=name, PolicyArn=arn)
        for g in groups:
            self.iam.add_user_to_group(GroupName=g, UserName=name)
        user = User(name, u["Arn"], u["UserId"])
        if key:
            k = self.iam.create_access_key(UserName=name)["AccessKey"]
            user.access_key, user.secret_key = k["AccessKeyId"], k["SecretAccessKey"]
        return user

    def group(self, policy=None, managed=(), prefix="group"):
        name = unique_name(prefix)
        self.iam.create_group(GroupName=name)
        self.groups.append(name)
        if policy is not None:
            self.iam.put_group_policy(GroupName=name, PolicyName="inline0", PolicyDocument=policy)
        for arn in managed:
            self.iam.attach_group_policy(GroupName=name, PolicyArn=arn)
        return name

    def role(self, trust, policy=None, managed=(), prefix="role", **kwargs):
        name = unique_name(prefix)
        r = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, **kwargs)["Role"]
        self.roles.append(name)
        if policy is not None:
            self.iam.put_role_policy(RoleName=name, PolicyName="inline0", PolicyDocument=policy)
        for arn in managed:
            self.iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        return r

    def managed_policy(self, document, prefix="policy", **kwargs):
        name = unique_name(prefix)
        p = self.iam.create_policy(PolicyName=name, PolicyDocument=document, **kwargs)["Policy"]
        self.policies.append(p["Arn"])
        return p

    def cleanup(self):
        iam = self.iam
        for name in self.users:
            keys = _quietly(iam.list_access_keys, UserName=name)
            for k in (keys or {}).get("AccessKeyMetadata", []):
                _quietly(iam.delete_access_key, UserName=name, AccessKeyId=k["AccessKeyId"])
            for p in (_quietly(iam.list_user_policies, UserName=name) or {}).get("PolicyNames", []):
                _quietly(iam.delete_user_policy, UserName=name, PolicyName=p)
            attached = _quietly(iam.list_attached_user_policies, UserName=name) or {}
            for p in attached.get("AttachedPolicies", []):
                _quietly(iam.detach_user_policy, UserName=name, PolicyArn=p["PolicyArn"])
            for g in (_quietly(iam.list_groups_for_user, UserName=name) or {}).get("Groups", []):
                _quietly(iam.remove_user_from_group, GroupName=g["GroupName"], UserName=name)
            _quietly(iam.delete_user, UserName=name)
        for name in self.groups:
            inline = _quietly(iam.list_group_policies, GroupName=name) or {}
            for p in inline.get("PolicyNames", []):
                _quietly(iam.delete_group_policy, GroupName=name, PolicyName=p)
            attached = _quietly(iam.list_attached_group_policies, GroupName=name) or {}
            for p in attached.get("AttachedPolicies", []):
                _quietly(iam.detach_group_policy, GroupName=name, PolicyArn=p["PolicyArn"])
            for u in (_quietly(iam.get_group, GroupName=name) or {}).get("Users", []):
                _quietly(iam.remove_user_from_group, GroupName=name, UserName=u["UserName"])
            _quietly(iam.delete_group, GroupName=name)
        for name in self.roles:
            for p in (_quietly(iam.list_role_policies, RoleName=name) or {}).get("PolicyNames", []):
                _quietly(iam.delete_role_policy, RoleName=name, PolicyName=p)
            attached = _quietly(iam.list_attached_role_policies, RoleName=name) or {}
            for p in attached.get("AttachedPolicies", []):
                _quietly(iam.detach_role_policy, RoleName=name, PolicyArn=p["PolicyArn"])
            _quietly(iam.delete_role, RoleName=name)
        for arn in self.policies:
            # IAM deletes a policy only once its versions but the default are deleted.
            listed = _quietly(iam.list_policy_versions, PolicyArn=arn) or {}
            for v in listed.get("Versions", []):
                if not v["IsDefaultVersion"]:
                    _quietly(iam.delete_policy_version, PolicyArn=arn, VersionId=v["VersionId"])
            _quietly(iam.delete_policy, PolicyArn=arn)


def status_of(holder):
    """The HTTP status of an `expect_error` holder's error."""
    return holder.response["ResponseMetadata"]["HTTPStatusCode"]


# ---------------------------------------------------------------------------------------------
# SigV4 by hand (for the authentication tests: any date, scope, signed header set, or a
# presigned query string), written from AWS's specification, not botocore's signer.

AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


def _uri_encode(s):
    """SigV4's URI encoding of a query name or value: everything but A-Z a-z 0-9 - _ . ~."""
    from urllib.parse import quote
    return quote(s, safe="-_.~")


def canonical_query(pairs):
    enc = sorted((_uri_encode(k), _uri_encode(v)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in enc)


def _hmac(key, msg):
    import hashlib
    import hmac
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret, day, region, service, terminator="aws4_request"):
    k = _hmac(("AWS4" + secret).encode(), day)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, terminator)


def sigv4(method="POST", path="/", query=(), headers=None, body=b"", *, access_key=ACCESS_KEY,
          secret_key=SECRET_KEY, token=None, region=REGION, service="dynamodb", when=None,
          signed_headers=None, presign_expires=None, payload_hash=None, scope_day=None,
          terminator="aws4_request"):
    """Signs a request. `query` is a list of (name, value) pairs, `headers` a dict (a `host`
    header is added). Returns (headers, query string): with `presign_expires` the signature is
    in the query string (X-Amz-*), else in an Authorization header with X-Amz-Date.
    `signed_headers` limits which headers are signed (names, lower case); `scope_day` and
    `terminator` put another day or terminator in the credential scope (signed with them)."""
    import datetime
    import hashlib
    if isinstance(body, str):
        body = body.encode()
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime(AMZ_DATE_FORMAT)
    day = scope_day or amz_date[:8]
    scope = f"{day}/{region}/{service}/{terminator}"
    host, port = host_port()
    hdrs = {"host": f"{host}:{port}"}
    for k, v in (headers or {}).items():
        hdrs[k.lower()] = v
    query = list(query)
    if presign_expires is None:
        hdrs["x-amz-date"] = amz_date
        if token is not None:
            hdrs["x-amz-security-token"] = token
    names = sorted(signed_headers if signed_headers is not None else hdrs.keys())
    signed = ";".join(names)
    if presign_expires is not None:
        query += [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                  ("X-Amz-Credential", f"{access_key}/{scope}"),
                  ("X-Amz-Date", amz_date), ("X-Amz-Expires", str(presign_expires)),
                  ("X-Amz-SignedHeaders", signed)]
        if token is not None:
            query.append(("X-Amz-Security-Token", token))
    canonical_headers = "".join(f"{n}:{' '.join(str(hdrs[n]).split())}\n" for n in names)
    payload = payload_hash or hashlib.sha256(body).hexdigest()
    creq = "\n".join([method, path, canonical_query(query), canonical_headers, signed, payload])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    import hmac as _hm
    sig = _hm.new(signing_key(secret_key, day, region, service, terminator), sts.encode(),
                  hashlib.sha256).hexdigest()
    if presign_expires is not None:
        query.append(("X-Amz-Signature", sig))
    else:
        hdrs["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                                 f"SignedHeaders={signed}, Signature={sig}")
    return hdrs, canonical_query(query)


def raw_request(method, path="/", query="", headers=None, body=b""):
    """Sends a request as given (headers as they are, `host` included) and returns (status,
    lower-cased headers, body bytes)."""
    import http.client
    if isinstance(body, str):
        body = body.encode()
    host, port = host_port()
    c = http.client.HTTPConnection(host, port, timeout=30)
    try:
        url = path + ("?" + query if query else "")
        hdrs = dict(headers or {})
        skip_host = any(k.lower() == "host" for k in hdrs)
        c.putrequest(method, url, skip_host=skip_host, skip_accept_encoding=True)
        for k, v in hdrs.items():
            c.putheader(k, v)
        if body or method == "POST":
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body if body else None)
        resp = c.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        c.close()


def json_error(body):
    """(code after the '#', full __type, message) of a JSON error body."""
    doc = json.loads(body)
    typ = doc.get("__type", "")
    return typ.rsplit("#", 1)[-1], typ, doc.get("message", doc.get("Message"))


def xml_error(body):
    """(Code, Message, Type) of a query-protocol <ErrorResponse>."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(body)
    def find(tag):
        for el in root.iter():
            if el.tag.rsplit("}", 1)[-1] == tag:
                return el.text
        return None
    return find("Code"), find("Message"), find("Type")
