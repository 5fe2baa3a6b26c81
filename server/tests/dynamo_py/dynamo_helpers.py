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


def run_cli(*args, check=True, cwd=None, timeout=120):
    """Runs ``aws dynamodb ARGS...`` against the endpoint and returns a CliResult."""
    assert shutil.which("aws"), "the aws CLI is not installed"
    cmd = ["aws", "dynamodb", *args, "--endpoint-url", ENDPOINT, "--region", REGION,
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
