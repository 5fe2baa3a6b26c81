"""Fixtures for the DynamoDB end-to-end suite.

Run against a server with:

    SHALE_DYNAMO_ENDPOINT=http://127.0.0.1:8000 python3 -m pytest server/tests/dynamo_py -q

Every test creates its own uniquely named tables and deletes them afterwards, so tests are
independent of one another and of whatever else lives on the server.
"""

import pytest

import dynamo_helpers as h


def pytest_report_header(config):
    return f"DynamoDB endpoint: {h.ENDPOINT} (set SHALE_DYNAMO_ENDPOINT to change)"


@pytest.fixture(scope="session")
def ddb():
    """A boto3 low-level client with botocore's parameter validation on."""
    return h.make_client(validate=True)


@pytest.fixture(scope="session")
def raw_ddb():
    """A boto3 client that skips botocore's client-side parameter validation, so the server's
    own validation answers (too-short names, missing required members, > max lists...)."""
    return h.make_client(validate=False)


@pytest.fixture(scope="session")
def ddb_resource():
    return h.make_resource()


@pytest.fixture
def make_table(ddb):
    """Factory: make_table(hash_key=("pk","S"), range_key=None, billing="PAY_PER_REQUEST")
    creates a uniquely named table, waits until it is ACTIVE and returns its name. Every table
    made is deleted when the test ends."""
    created = []

    def make(hash_key=("pk", "S"), range_key=None, billing="PAY_PER_REQUEST", throughput=(5, 5),
             name=None, prefix="shale"):
        name = name or h.unique_name(prefix)
        h.create_table(ddb, name, hash_key=hash_key, range_key=range_key, billing=billing,
                       throughput=throughput)
        created.append(name)
        return name

    yield make
    for name in created:
        h.delete_table_quietly(ddb, name)


@pytest.fixture
def table(make_table):
    """A hash-only table: pk (S)."""
    return make_table()


@pytest.fixture
def table_hr(make_table):
    """A hash+range table: pk (S), sk (S)."""
    return make_table(range_key=("sk", "S"))


@pytest.fixture
def table_hn(make_table):
    """A hash+range table with a number sort key: pk (S), sk (N)."""
    return make_table(range_key=("sk", "N"))


@pytest.fixture
def table_hb(make_table):
    """A hash+range table with a binary sort key: pk (S), sk (B)."""
    return make_table(range_key=("sk", "B"))


@pytest.fixture
def res_table(ddb_resource, table):
    """The boto3 resource Table for `table`."""
    return ddb_resource.Table(table)


@pytest.fixture
def res_table_hr(ddb_resource, table_hr):
    return ddb_resource.Table(table_hr)


# ---------------------------------------------------------------------------------------------
# IAM and STS


@pytest.fixture(scope="session")
def iam():
    """The root's IAM client (query protocol, same endpoint)."""
    return h.make_service_client("iam")


@pytest.fixture(scope="session")
def sts():
    """The root's STS client."""
    return h.make_service_client("sts")


@pytest.fixture
def iam_env(iam):
    """An `h.IamEnv`: makes uniquely named users (with an access key and their clients),
    groups, roles and managed policies, and deletes all of them when the test ends."""
    env = h.IamEnv(iam)
    yield env
    env.cleanup()


@pytest.fixture(scope="session", autouse=True)
def record_secrets():
    """With SHALE_SECRETS_FILE set (the Rust harness sets it), every secret access key and
    session token any answer carries is appended to that file, one a line, so the harness can
    check that none of them ever reached the server's log."""
    import os
    import botocore.client

    path = os.environ.get("SHALE_SECRETS_FILE")
    if not path:
        yield
        return
    original = botocore.client.BaseClient._make_api_call

    def find(value, out):
        if isinstance(value, dict):
            for k, v in value.items():
                if k in ("SecretAccessKey", "SessionToken") and isinstance(v, str):
                    out.append(v)
                else:
                    find(v, out)
        elif isinstance(value, list):
            for v in value:
                find(v, out)

    def recording(self, operation_name, api_params):
        response = original(self, operation_name, api_params)
        found = []
        find(response, found)
        if found:
            with open(path, "a", encoding="utf-8") as f:
                for s in found:
                    f.write(s + "\n")
        return response

    botocore.client.BaseClient._make_api_call = recording
    yield
    botocore.client.BaseClient._make_api_call = original
