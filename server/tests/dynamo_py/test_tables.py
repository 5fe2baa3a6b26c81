"""CreateTable / DescribeTable / ListTables / UpdateTable / DeleteTable, as DynamoDB answers them."""

import datetime

import pytest

import dynamo_helpers as h
from dynamo_helpers import expect_error

HASH = [{"AttributeName": "pk", "KeyType": "HASH"}]
HASH_DEF = [{"AttributeName": "pk", "AttributeType": "S"}]


def sorted_defs(defs):
    return sorted(defs, key=lambda d: d["AttributeName"])


# ---------------------------------------------------------------------------------------------
# CreateTable


def test_create_table_response_describes_the_new_table(ddb):
    name = h.unique_name()
    try:
        resp = ddb.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "N"}])
        desc = resp["TableDescription"]
        assert desc["TableName"] == name
        # DynamoDB answers CREATING and turns ACTIVE later; a local server may be ACTIVE at once.
        assert desc["TableStatus"] in ("CREATING", "ACTIVE")
        assert desc["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                     {"AttributeName": "sk", "KeyType": "RANGE"}]
        assert sorted_defs(desc["AttributeDefinitions"]) == [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"}]
        assert desc["TableArn"].startswith("arn:aws:dynamodb:us-east-1:")
        assert desc["TableArn"].endswith(f":table/{name}")
        assert isinstance(desc["CreationDateTime"], datetime.datetime)
        h.wait_active(ddb, name)
    finally:
        h.delete_table_quietly(ddb, name)


def test_describe_table_fields_pay_per_request(ddb, make_table):
    name = make_table(range_key=("sk", "B"))
    desc = ddb.describe_table(TableName=name)["Table"]
    assert desc["TableName"] == name
    assert desc["TableStatus"] == "ACTIVE"
    assert desc["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                 {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert sorted_defs(desc["AttributeDefinitions"]) == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "B"}]
    assert desc["ItemCount"] == 0
    assert desc["TableSizeBytes"] == 0
    assert desc["TableArn"].startswith("arn:aws:dynamodb:us-east-1:")
    assert desc["TableArn"].endswith(f":table/{name}")
    now = datetime.datetime.now(datetime.timezone.utc)
    created = desc["CreationDateTime"]
    assert isinstance(created, datetime.datetime)
    assert abs((now - created).total_seconds()) < 600
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    # On-demand tables report zero provisioned throughput.
    pt = desc["ProvisionedThroughput"]
    assert pt["ReadCapacityUnits"] == 0
    assert pt["WriteCapacityUnits"] == 0
    assert pt["NumberOfDecreasesToday"] == 0


def test_describe_table_fields_provisioned(ddb, make_table):
    name = make_table(billing="PROVISIONED", throughput=(7, 3))
    desc = ddb.describe_table(TableName=name)["Table"]
    assert desc["TableStatus"] == "ACTIVE"
    pt = desc["ProvisionedThroughput"]
    assert pt["ReadCapacityUnits"] == 7
    assert pt["WriteCapacityUnits"] == 3
    assert pt["NumberOfDecreasesToday"] == 0
    # A provisioned table either omits BillingModeSummary or says PROVISIONED.
    assert desc.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] == \
        "PROVISIONED"


def test_describe_table_item_count_is_a_number(ddb, table):
    # DynamoDB refreshes ItemCount/TableSizeBytes only about every six hours, so after writes
    # the exact values are not specified; they must still be non-negative integers.
    for i in range(3):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"k{i}"}, "v": {"S": "x" * 100}})
    desc = ddb.describe_table(TableName=table)["Table"]
    assert isinstance(desc["ItemCount"], int) and desc["ItemCount"] >= 0
    assert isinstance(desc["TableSizeBytes"], int) and desc["TableSizeBytes"] >= 0


def test_create_table_without_billing_mode_defaults_to_provisioned(ddb, make_table):
    name = make_table(billing=None, throughput=(2, 4))
    desc = ddb.describe_table(TableName=name)["Table"]
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert desc["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    assert desc.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] == \
        "PROVISIONED"


def test_create_duplicate_table(ddb, table):
    # Real DynamoDB: "Table already exists: NAME" (quoted in Terraform/Go projects' error
    # strings, e.g. "ResourceInUseException: Table already exists: PriceHistory").
    # dynalite answers ResourceInUseException with an empty message.
    with expect_error("ResourceInUseException", message=f"Table already exists: {table}"):
        ddb.create_table(TableName=table, KeySchema=HASH, AttributeDefinitions=HASH_DEF,
                         BillingMode="PAY_PER_REQUEST")


def test_create_table_missing_key_schema(raw_ddb):
    # Classic form: "1 validation error detected: Value null at 'keySchema' failed to satisfy
    # constraint: Member must not be null"; regions on AWS's newer validation layer name the
    # member differently (dynamodb-conformance), so the member is matched case-insensitively.
    with expect_error("ValidationException", startswith="1 validation error detected: ",
                      contains="failed to satisfy constraint: Member must not be null") as err:
        raw_ddb.create_table(TableName=h.unique_name(), AttributeDefinitions=HASH_DEF,
                             BillingMode="PAY_PER_REQUEST")
    assert "keyschema" in err.message.lower()


def test_create_table_missing_attribute_definitions(raw_ddb):
    # Alternator's suite (run against DynamoDB) only pins ValidationException + the member name.
    with expect_error("ValidationException", contains="ttributeDefinitions"):
        raw_ddb.create_table(TableName=h.unique_name(), KeySchema=HASH,
                             BillingMode="PAY_PER_REQUEST")


def test_create_table_extra_attribute_definition(ddb):
    with expect_error("ValidationException",
                      message="One or more parameter values were invalid: Number of attributes in "
                              "KeySchema does not exactly match number of attributes defined in "
                              "AttributeDefinitions"):
        ddb.create_table(TableName=h.unique_name(), KeySchema=HASH,
                         AttributeDefinitions=HASH_DEF + [
                             {"AttributeName": "extra", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")


def test_create_table_key_attribute_not_defined(ddb):
    with expect_error("ValidationException",
                      message="One or more parameter values were invalid: Some index key "
                              "attributes are not defined in AttributeDefinitions. Keys: [pk], "
                              "AttributeDefinitions: [other]"):
        ddb.create_table(TableName=h.unique_name(), KeySchema=HASH,
                         AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")


def test_create_table_duplicate_attribute_definition(ddb):
    # Alternator's test_create_table_duplicate_attribute_name (checked against DynamoDB) matches
    # "ValidationException.*uplicate.*xyz". dynalite reports a count mismatch instead.
    with expect_error("ValidationException", contains=["uplicate", "xyz"]):  # wording: unverified
        ddb.create_table(TableName=h.unique_name(),
                         KeySchema=[{"AttributeName": "xyz", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "xyz", "AttributeType": "S"},
                                               {"AttributeName": "xyz", "AttributeType": "N"}],
                         BillingMode="PAY_PER_REQUEST")


def test_create_table_bad_attribute_type(ddb, raw_ddb):
    # Classic form (dynalite): "1 validation error detected: Value 'Q' at
    # 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must
    # satisfy enum value set: [B, N, S]".
    with expect_error("ValidationException",
                      contains=["attributeType", "failed to satisfy constraint: Member must "
                                                 "satisfy enum value set: [B, N, S]"]):
        raw_ddb.create_table(TableName=h.unique_name(), KeySchema=HASH,
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "Q"}],
                             BillingMode="PAY_PER_REQUEST")


def test_create_table_first_key_not_hash(ddb):
    with expect_error("ValidationException",
                      message="Invalid KeySchema: The first KeySchemaElement is not a HASH key "
                              "type"):  # wording: from dynalite
        ddb.create_table(TableName=h.unique_name(),
                         KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"}],
                         AttributeDefinitions=HASH_DEF, BillingMode="PAY_PER_REQUEST")


def test_create_table_two_hash_keys(ddb):
    with expect_error("ValidationException",
                      message="Invalid KeySchema: The second KeySchemaElement is not a RANGE key "
                              "type"):  # wording: from dynalite
        ddb.create_table(TableName=h.unique_name(),
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                    {"AttributeName": "sk", "KeyType": "HASH"}],
                         AttributeDefinitions=HASH_DEF + [
                             {"AttributeName": "sk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")


def test_create_table_same_attribute_as_hash_and_range(ddb):
    # The dynamodb-conformance suite (verified against AWS) pins only "Invalid KeySchema".
    with expect_error("ValidationException", contains="Invalid KeySchema"):
        ddb.create_table(TableName=h.unique_name(),
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                    {"AttributeName": "pk", "KeyType": "RANGE"}],
                         AttributeDefinitions=HASH_DEF, BillingMode="PAY_PER_REQUEST")


def test_create_table_three_key_elements(raw_ddb):
    with expect_error("ValidationException",
                      contains="Member must have length less than or equal to 2"):
        raw_ddb.create_table(
            TableName=h.unique_name(),
            KeySchema=[{"AttributeName": "a", "KeyType": "HASH"},
                       {"AttributeName": "b", "KeyType": "RANGE"},
                       {"AttributeName": "c", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in "abc"],
            BillingMode="PAY_PER_REQUEST")


@pytest.mark.parametrize("bad", ["ab", "a" * 256])
def test_create_table_name_length(raw_ddb, bad):
    # DynamoDB names must be 3..255 characters. For PutItem the conformance suite pins
    # "...at 'tableName' failed to satisfy constraint: Member must have length ...";
    # dynalite's CreateTable says "TableName must be at least 3 characters long and at most
    # 255 characters long". Both name the parameter.
    with expect_error("ValidationException") as err:  # wording: unverified
        raw_ddb.create_table(TableName=bad, KeySchema=HASH, AttributeDefinitions=HASH_DEF,
                             BillingMode="PAY_PER_REQUEST")
    assert "tablename" in err.message.lower()
    if len(bad) < 3:
        assert "3" in err.message
    else:
        assert "255" in err.message


def test_create_table_name_bad_characters(ddb):
    with expect_error("ValidationException",
                      message="1 validation error detected: Value 'bad name!' at 'tableName' "
                              "failed to satisfy constraint: Member must satisfy regular "
                              "expression pattern: [a-zA-Z0-9_.-]+"):
        ddb.create_table(TableName="bad name!", KeySchema=HASH, AttributeDefinitions=HASH_DEF,
                         BillingMode="PAY_PER_REQUEST")


def test_item_operation_bad_table_names(raw_ddb):
    # Exact (dynamodb-conformance error-messages/putItem, AWS).
    with expect_error("ValidationException",
                      message="1 validation error detected: Value 'bad table!@#' at 'tableName' "
                              "failed to satisfy constraint: Member must satisfy regular "
                              "expression pattern: [a-zA-Z0-9_.-]+"):
        raw_ddb.put_item(TableName="bad table!@#", Item={"pk": {"S": "test"}})
    with expect_error("ValidationException",
                      message=f"1 validation error detected: Value '{'a' * 256}' at 'tableName' "
                              f"failed to satisfy constraint: Member must have length less than "
                              f"or equal to 255"):
        raw_ddb.put_item(TableName="a" * 256, Item={"pk": {"S": "test"}})


def test_create_table_accepts_every_legal_name_character(ddb):
    name = "A.z_0-" + h.unique_name("Legal")
    try:
        h.create_table(ddb, name)
        assert ddb.describe_table(TableName=name)["Table"]["TableName"] == name
    finally:
        h.delete_table_quietly(ddb, name)


def test_create_table_pay_per_request_with_throughput(ddb):
    with expect_error("ValidationException",
                      message="One or more parameter values were invalid: Neither "
                              "ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                              "BillingMode is PAY_PER_REQUEST"):  # wording: from dynalite
        ddb.create_table(TableName=h.unique_name(), KeySchema=HASH, AttributeDefinitions=HASH_DEF,
                         BillingMode="PAY_PER_REQUEST",
                         ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})


@pytest.mark.parametrize("billing", ["PROVISIONED", None])
def test_create_table_provisioned_without_throughput(ddb, billing):
    kwargs = {"BillingMode": billing} if billing else {}
    with expect_error("ValidationException",
                      message="One or more parameter values were invalid: ReadCapacityUnits and "
                              "WriteCapacityUnits must both be specified when BillingMode is "
                              "PROVISIONED"):  # wording: from dynalite
        ddb.create_table(TableName=h.unique_name(), KeySchema=HASH, AttributeDefinitions=HASH_DEF,
                         **kwargs)


def test_create_table_bad_billing_mode(raw_ddb):
    # The conformance suite (AWS) pins "billingMode" and the enum set in the message.
    with expect_error("ValidationException",
                      contains=["billingMode", "[PROVISIONED, PAY_PER_REQUEST]"]):
        raw_ddb.create_table(TableName=h.unique_name(), KeySchema=HASH,
                             AttributeDefinitions=HASH_DEF, BillingMode="pay_per_request")


def test_failed_create_leaves_no_table(ddb):
    name = h.unique_name()
    with expect_error("ValidationException"):
        ddb.create_table(TableName=name, KeySchema=HASH,
                         AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    with expect_error("ResourceNotFoundException"):
        ddb.describe_table(TableName=name)


# ---------------------------------------------------------------------------------------------
# DescribeTable / DeleteTable


def test_describe_missing_table(ddb):
    name = h.unique_name("missing")
    # Quoted from real DynamoDB by aws-sdk-go's DescribeTable smoke test:
    # "Requested resource not found: Table: fake-table not found".
    with expect_error("ResourceNotFoundException",
                      message=f"Requested resource not found: Table: {name} not found"):
        ddb.describe_table(TableName=name)


def test_item_operation_on_missing_table(ddb):
    # Data-plane operations say just "Requested resource not found" (dynamodb-conformance).
    name = h.unique_name("missing")
    with expect_error("ResourceNotFoundException", message="Requested resource not found"):
        ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})
    with expect_error("ResourceNotFoundException", message="Requested resource not found"):
        ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    with expect_error("ResourceNotFoundException", message="Requested resource not found"):
        ddb.delete_item(TableName=name, Key={"pk": {"S": "a"}})
    with expect_error("ResourceNotFoundException", message="Requested resource not found"):
        ddb.update_item(TableName=name, Key={"pk": {"S": "a"}}, UpdateExpression="SET a = :a",
                        ExpressionAttributeValues={":a": {"S": "x"}})
    with expect_error("ResourceNotFoundException", message="Requested resource not found"):
        ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "a"}})
    with expect_error("ResourceNotFoundException", message="Requested resource not found"):
        ddb.scan(TableName=name)


def test_delete_table(ddb):
    name = h.unique_name()
    h.create_table(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    resp = ddb.delete_table(TableName=name)
    desc = resp["TableDescription"]
    assert desc["TableName"] == name
    # DeleteTable answers with the table as it goes: DELETING.
    assert desc["TableStatus"] == "DELETING"
    h.wait_gone(ddb, name)
    with expect_error("ResourceNotFoundException",
                      message=f"Requested resource not found: Table: {name} not found"):
        ddb.describe_table(TableName=name)
    assert name not in ddb.list_tables(ExclusiveStartTableName=name[:-1], Limit=100)["TableNames"]
    # DeleteTable on the deleted table: same not-found answer as DescribeTable.
    with expect_error("ResourceNotFoundException",
                      startswith="Requested resource not found"):  # wording: from dynalite
        ddb.delete_table(TableName=name)


def test_recreate_table_after_delete_is_empty(ddb):
    name = h.unique_name()
    try:
        h.create_table(ddb, name)
        ddb.put_item(TableName=name, Item={"pk": {"S": "old"}})
        ddb.delete_table(TableName=name)
        h.wait_gone(ddb, name)
        h.create_table(ddb, name, range_key=("sk", "N"))
        desc = ddb.describe_table(TableName=name)["Table"]
        assert [k["AttributeName"] for k in desc["KeySchema"]] == ["pk", "sk"]
        assert ddb.scan(TableName=name, ConsistentRead=True)["Items"] == []
    finally:
        h.delete_table_quietly(ddb, name)


# ---------------------------------------------------------------------------------------------
# ListTables


def test_list_tables_paging(ddb, make_table):
    prefix = h.unique_name("lt")
    names = [make_table(name=f"{prefix}-{c}") for c in "abc"]

    # Limit=1 from just before our prefix returns our first table, and says where it stopped.
    resp = ddb.list_tables(ExclusiveStartTableName=names[0], Limit=1)
    assert resp["TableNames"] == [names[1]]
    assert resp["LastEvaluatedTableName"] == names[1]
    resp = ddb.list_tables(ExclusiveStartTableName=names[1], Limit=1)
    assert resp["TableNames"] == [names[2]]
    resp = ddb.list_tables(ExclusiveStartTableName=names[0], Limit=2)
    assert resp["TableNames"] == names[1:]

    # Walk every page with Limit=2 and check the listing is complete and sorted.
    seen, start = [], None
    for _ in range(10000):
        kwargs = {"Limit": 2}
        if start:
            kwargs["ExclusiveStartTableName"] = start
        page = ddb.list_tables(**kwargs)
        assert len(page["TableNames"]) <= 2
        seen.extend(page["TableNames"])
        start = page.get("LastEvaluatedTableName")
        if not start:
            break
        assert start == page["TableNames"][-1]
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen))
    for n in names:
        assert n in seen


def test_list_tables_paginator(ddb, make_table):
    prefix = h.unique_name("ltp")
    names = [make_table(name=f"{prefix}-{i}") for i in range(3)]
    paginator = ddb.get_paginator("list_tables")
    all_names = []
    pages = 0
    for page in paginator.paginate(PaginationConfig={"PageSize": 1}):
        pages += 1
        all_names.extend(page["TableNames"])
    assert pages >= 3
    for n in names:
        assert n in all_names
    assert all_names == sorted(all_names)


def test_list_tables_limit_too_large(raw_ddb):
    # Classic form: "1 validation error detected: Value '101' at 'limit' failed to satisfy
    # constraint: Member must have value less than or equal to 100".
    with expect_error("ValidationException", startswith="1 validation error detected: ",
                      contains="failed to satisfy constraint: Member must have value less than "
                               "or equal to 100") as err:
        raw_ddb.list_tables(Limit=101)
    assert "limit" in err.message.lower()


def test_list_tables_limit_zero(raw_ddb):
    with expect_error("ValidationException", startswith="1 validation error detected: ",
                      contains="failed to satisfy constraint: Member must have value greater "
                               "than or equal to 1") as err:
        raw_ddb.list_tables(Limit=0)
    assert "limit" in err.message.lower()


# ---------------------------------------------------------------------------------------------
# UpdateTable


def test_update_table_billing_mode_to_on_demand(ddb, make_table):
    name = make_table(billing="PROVISIONED", throughput=(5, 5))
    resp = ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    assert resp["TableDescription"]["TableName"] == name
    desc = h.wait_active(ddb, name)
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert desc["ProvisionedThroughput"]["WriteCapacityUnits"] == 0


def test_update_table_throughput(ddb, make_table):
    name = make_table(billing="PROVISIONED", throughput=(5, 5))
    ddb.update_table(TableName=name,
                     ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 20})
    desc = h.wait_active(ddb, name)
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 10
    assert desc["ProvisionedThroughput"]["WriteCapacityUnits"] == 20
    # Data written before the update is still there, and the table still takes writes.
    ddb.put_item(TableName=name, Item={"pk": {"S": "after"}})
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "after"}})["Item"] == {
        "pk": {"S": "after"}}


def test_update_table_to_provisioned(ddb, make_table):
    name = make_table()
    ddb.update_table(TableName=name, BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})
    desc = h.wait_active(ddb, name)
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert desc["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    assert desc.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] == \
        "PROVISIONED"


def test_update_table_same_throughput(ddb, make_table):
    name = make_table(billing="PROVISIONED", throughput=(5, 5))
    with expect_error("ValidationException",
                      startswith="The provisioned throughput for the table will not change. The "
                                 "requested value equals the current value."):  # from dynalite
        ddb.update_table(TableName=name,
                         ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})


def test_update_table_provisioned_without_throughput(ddb, make_table):
    name = make_table()
    with expect_error("ValidationException",
                      contains="ProvisionedThroughput must be specified when BillingMode is "
                               "PROVISIONED"):  # wording: from dynalite
        ddb.update_table(TableName=name, BillingMode="PROVISIONED")


def test_update_missing_table(ddb):
    name = h.unique_name("missing")
    with expect_error("ResourceNotFoundException",
                      startswith="Requested resource not found"):  # wording: from dynalite
        ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")


# ---------------------------------------------------------------------------------------------
# Waiters and the resource API


def test_waiters(ddb):
    name = h.unique_name()
    try:
        ddb.create_table(TableName=name, KeySchema=HASH, AttributeDefinitions=HASH_DEF,
                         BillingMode="PAY_PER_REQUEST")
        ddb.get_waiter("table_exists").wait(TableName=name,
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
        ddb.delete_table(TableName=name)
        ddb.get_waiter("table_not_exists").wait(TableName=name,
                                                WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        with expect_error("ResourceNotFoundException"):
            ddb.describe_table(TableName=name)
    finally:
        h.delete_table_quietly(ddb, name)


def test_resource_create_table_and_attributes(ddb_resource, ddb):
    name = h.unique_name()
    try:
        t = ddb_resource.create_table(TableName=name, KeySchema=HASH,
                                      AttributeDefinitions=HASH_DEF,
                                      BillingMode="PAY_PER_REQUEST")
        t.wait_until_exists(WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        t.reload()
        assert t.table_status == "ACTIVE"
        assert t.key_schema == HASH
        assert t.item_count == 0
        assert t.table_arn.endswith(f":table/{name}")
        assert name in [x.name for x in ddb_resource.tables.all()]
    finally:
        h.delete_table_quietly(ddb, name)
