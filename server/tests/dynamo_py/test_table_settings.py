"""CreateTable's and UpdateTable's settings besides keys and capacity: DeletionProtectionEnabled
(honoured: DeleteTable refuses a protected table), TableClass (kept and described), and the
members this server does not serve (SSESpecification with a key, WarmThroughput,
ResourcePolicy, global tables), each refused with a message naming it, never dropped.
CreateTable's Tags are in test_tags.py."""

import json

import pytest

import dynamo_helpers as h

PROTECTED = ("Resource cannot be deleted as it is currently protected against deletion. "
             "Disable deletion protection first.")
# The message as DynamoDB answers it (dynoxide #46); the code is ValidationException, which
# rebuy-de/aws-nuke (resources/dynamodb-tables.go) matches against real AWS answers.


@pytest.fixture
def names(ddb):
    made = []

    def make():
        made.append(h.unique_name("set"))
        return made[-1]

    yield make
    for n in made:
        try:
            ddb.update_table(TableName=n, DeletionProtectionEnabled=False)
        except Exception:
            pass
        h.delete_table_quietly(ddb, n)


def create(ddb, name, **kwargs):
    ks, ad = h.key_schema()
    return ddb.create_table(TableName=name, KeySchema=ks, AttributeDefinitions=ad,
                            BillingMode="PAY_PER_REQUEST", **kwargs)["TableDescription"]


def test_deletion_protection_is_honoured(ddb, names):
    name = names()
    d = create(ddb, name, DeletionProtectionEnabled=True)
    assert d["DeletionProtectionEnabled"] is True
    h.wait_active(ddb, name)
    with h.expect_error("ValidationException", message=PROTECTED):
        ddb.delete_table(TableName=name)
    assert ddb.describe_table(TableName=name)["Table"]["DeletionProtectionEnabled"] is True
    d = ddb.update_table(TableName=name, DeletionProtectionEnabled=False)["TableDescription"]
    assert d["DeletionProtectionEnabled"] is False
    ddb.delete_table(TableName=name)
    h.wait_gone(ddb, name)
    # And on again by UpdateTable.
    other = names()
    assert create(ddb, other)["DeletionProtectionEnabled"] is False
    ddb.update_table(TableName=other, DeletionProtectionEnabled=True)
    with h.expect_error("ValidationException", message=PROTECTED):
        ddb.delete_table(TableName=other)


def test_table_class_is_kept(ddb, raw_ddb, names):
    name = names()
    d = create(ddb, name, TableClass="STANDARD_INFREQUENT_ACCESS")
    assert d["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    d = ddb.update_table(TableName=name, TableClass="STANDARD")["TableDescription"]
    assert d["TableClassSummary"]["TableClass"] == "STANDARD"
    plain = names()
    assert "TableClassSummary" not in create(ddb, plain)
    with h.expect_error("ValidationException", contains="tableClass"):
        raw_ddb.update_table(TableName=name, TableClass="GLACIER")


@pytest.mark.parametrize("member,value", [
    ("SSESpecification", {"Enabled": True}),
    ("SSESpecification", {"SSEType": "KMS"}),
    ("WarmThroughput", {"ReadUnitsPerSecond": 12000}),
    ("ResourcePolicy", "{}"),
])
def test_create_table_refuses_what_it_does_not_serve_by_name(ddb, names, member, value):
    name = names()
    with h.expect_error("ValidationException", contains=member):
        create(ddb, name, **{member: value})
    with h.expect_error("ResourceNotFoundException"):
        ddb.describe_table(TableName=name)


def test_the_default_encryption_setting_is_accepted(ddb, names):
    name = names()
    create(ddb, name, SSESpecification={"Enabled": False})
    h.wait_active(ddb, name)


def test_update_table_refuses_what_it_does_not_serve_by_name(ddb, names):
    name = names()
    create(ddb, name)
    h.wait_active(ddb, name)
    with h.expect_error("ValidationException", contains="ReplicaUpdates"):
        ddb.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    with h.expect_error("ValidationException", contains="SSESpecification"):
        ddb.update_table(TableName=name, SSESpecification={"Enabled": True})


def test_update_table_refuses_tags_by_name(ddb, names):
    """Tags is not UpdateTable's (SDKs do not send it): a raw request with it is refused by
    name, not dropped."""
    name = names()
    create(ddb, name)
    body = json.dumps({"TableName": name, "DeletionProtectionEnabled": False,
                       "Tags": [{"Key": "k", "Value": "v"}]})
    status, _, data = h.raw_request(
        "POST", headers=h.signed_headers("DynamoDB_20120810.UpdateTable", body), body=body)
    assert status == 400, data
    code, _, msg = h.json_error(data)
    assert code == "ValidationException" and "Tags" in msg and "TagResource" in msg, data
