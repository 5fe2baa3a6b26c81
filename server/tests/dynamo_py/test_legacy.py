"""The pre-expression ("legacy") parameters: AttributesToGet, KeyConditions, QueryFilter,
ScanFilter, Expected, AttributeUpdates, ConditionalOperator, and the rule that they cannot be
mixed with expressions."""

import pytest

from dynamo_helpers import expect_error

MIX = "Can not use both expression and non-expression parameters in the same request: "


def S(s):
    return {"S": s}


def N(n):
    return {"N": str(n)}


def get(ddb, table, k, **kw):
    return ddb.get_item(TableName=table, Key=k, ConsistentRead=True, **kw).get("Item")


@pytest.fixture
def filled(ddb, table_hn):
    for i in range(10):
        item = {"pk": S("p"), "sk": N(i), "n": N(i % 4), "tag": S(f"t{i % 3}")}
        if i % 2 == 0:
            item["even"] = {"BOOL": True}
        ddb.put_item(TableName=table_hn, Item=item)
    ddb.put_item(TableName=table_hn, Item={"pk": S("other"), "sk": N(0), "n": N(0)})
    return table_hn


def sks(items):
    return [int(i["sk"]["N"]) for i in items]


def test_attributes_to_get(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("a"), "x": S("1"), "y": S("2"), "z": S("3")})
    assert get(ddb, table, {"pk": S("a")}, AttributesToGet=["x", "z", "nothere"]) == {
        "x": S("1"), "z": S("3")}


def test_key_conditions(ddb, filled):
    def run(**kc):
        conds = {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("p")]}}
        conds.update(kc)
        return sks(ddb.query(TableName=filled, KeyConditions=conds, ConsistentRead=True)["Items"])

    assert run() == list(range(10))
    assert run(sk={"ComparisonOperator": "GT", "AttributeValueList": [N(6)]}) == [7, 8, 9]
    assert run(sk={"ComparisonOperator": "LE", "AttributeValueList": [N(2)]}) == [0, 1, 2]
    assert run(sk={"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(3), N(5)]}) == \
        [3, 4, 5]
    assert run(sk={"ComparisonOperator": "EQ", "AttributeValueList": [N(4)]}) == [4]


def test_key_conditions_begins_with(ddb, table_hr):
    for sk in ("apple", "apricot", "banana"):
        ddb.put_item(TableName=table_hr, Item={"pk": S("p"), "sk": S(sk)})
    resp = ddb.query(TableName=table_hr, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("p")]},
        "sk": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [S("ap")]}})
    assert [i["sk"]["S"] for i in resp["Items"]] == ["apple", "apricot"]


def test_query_filter_and_conditional_operator(ddb, filled):
    kc = {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("p")]}}
    resp = ddb.query(TableName=filled, KeyConditions=kc, QueryFilter={
        "n": {"ComparisonOperator": "EQ", "AttributeValueList": [N(1)]}})
    assert sks(resp["Items"]) == [1, 5, 9]
    assert resp["ScannedCount"] == 10
    resp = ddb.query(TableName=filled, KeyConditions=kc, ConditionalOperator="OR", QueryFilter={
        "n": {"ComparisonOperator": "EQ", "AttributeValueList": [N(1)]},
        "tag": {"ComparisonOperator": "EQ", "AttributeValueList": [S("t0")]}})
    assert sks(resp["Items"]) == [0, 1, 3, 5, 6, 9]
    resp = ddb.query(TableName=filled, KeyConditions=kc, ConditionalOperator="AND", QueryFilter={
        "even": {"ComparisonOperator": "NOT_NULL"},
        "n": {"ComparisonOperator": "IN", "AttributeValueList": [N(0), N(2)]}})
    assert sks(resp["Items"]) == [0, 2, 4, 6, 8]
    resp = ddb.query(TableName=filled, KeyConditions=kc, QueryFilter={
        "even": {"ComparisonOperator": "NULL"}}, AttributesToGet=["sk"])
    assert resp["Items"] == [{"sk": N(i)} for i in (1, 3, 5, 7, 9)]


def test_scan_filter(ddb, filled):
    resp = ddb.scan(TableName=filled, ScanFilter={
        "tag": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [S("t2")]}})
    assert sorted(sks(resp["Items"])) == [2, 5, 8]
    resp = ddb.scan(TableName=filled, ScanFilter={
        "n": {"ComparisonOperator": "GE", "AttributeValueList": [N(3)]}})
    assert sorted(sks(resp["Items"])) == [3, 7]
    resp = ddb.scan(TableName=filled, ScanFilter={
        "tag": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [S("1")]},
        "n": {"ComparisonOperator": "NE", "AttributeValueList": [N(1)]}})
    assert sorted(sks(resp["Items"])) == [4, 7]
    resp = ddb.scan(TableName=filled, Select="COUNT", ScanFilter={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("other")]}})
    assert resp["Count"] == 1
    assert resp["ScannedCount"] == 11


def test_expected(ddb, table):
    key = {"pk": S("e")}
    ddb.put_item(TableName=table, Item={"pk": S("e"), "v": N(1)},
                 Expected={"pk": {"Exists": False}})
    with expect_error("ConditionalCheckFailedException", message="The conditional request failed"):
        ddb.put_item(TableName=table, Item={"pk": S("e"), "v": N(2)},
                     Expected={"pk": {"Exists": False}})
    ddb.put_item(TableName=table, Item={"pk": S("e"), "v": N(2)},
                 Expected={"v": {"Value": N(1)}})
    ddb.put_item(TableName=table, Item={"pk": S("e"), "v": N(3)},
                 Expected={"v": {"Exists": True, "Value": N(2)}})
    with expect_error("ConditionalCheckFailedException", message="The conditional request failed"):
        ddb.put_item(TableName=table, Item={"pk": S("e"), "v": N(9)},
                     Expected={"v": {"ComparisonOperator": "GT", "AttributeValueList": [N(5)]},
                               "pk": {"ComparisonOperator": "NOT_NULL"}})
    ddb.put_item(TableName=table, Item={"pk": S("e"), "v": N(4)}, ConditionalOperator="OR",
                 Expected={"v": {"ComparisonOperator": "GT", "AttributeValueList": [N(5)]},
                           "pk": {"ComparisonOperator": "NOT_NULL"}})
    assert get(ddb, table, key)["v"] == N(4)
    with expect_error("ConditionalCheckFailedException", message="The conditional request failed"):
        ddb.delete_item(TableName=table, Key=key, Expected={"v": {"Value": N(99)}})
    ddb.delete_item(TableName=table, Key=key, Expected={"v": {"Value": N(4)}})
    assert get(ddb, table, key) is None


def test_attribute_updates(ddb, table):
    key = {"pk": S("au")}
    ddb.put_item(TableName=table, Item={"pk": S("au"), "gone": S("x"), "n": N(1),
                                        "tags": {"SS": ["a", "b"]}})
    resp = ddb.update_item(TableName=table, Key=key, ReturnValues="ALL_NEW", AttributeUpdates={
        "s": {"Action": "PUT", "Value": S("new")},
        "gone": {"Action": "DELETE"},
        "n": {"Action": "ADD", "Value": N(41)},
        "tags": {"Action": "DELETE", "Value": {"SS": ["a"]}},
        "fresh": {"Action": "ADD", "Value": {"NS": ["7"]}},
    })
    assert resp["Attributes"] == {"pk": S("au"), "s": S("new"), "n": N(42),
                                  "tags": {"SS": ["b"]}, "fresh": {"NS": ["7"]}}
    assert get(ddb, table, key) == resp["Attributes"]


def test_attribute_updates_with_expected(ddb, table):
    key = {"pk": S("aue")}
    with expect_error("ConditionalCheckFailedException", message="The conditional request failed"):
        ddb.update_item(TableName=table, Key=key, Expected={"pk": {"ComparisonOperator": "NOT_NULL"}},
                        AttributeUpdates={"a": {"Action": "PUT", "Value": S("x")}})
    assert get(ddb, table, key) is None


@pytest.mark.parametrize("op, kwargs, legacy, expr", [
    ("get_item", {"Key": {"pk": S("a")}, "AttributesToGet": ["x"], "ProjectionExpression": "x"},
     "AttributesToGet", "ProjectionExpression"),
    ("put_item", {"Item": {"pk": S("a")}, "Expected": {"pk": {"Exists": False}},
                  "ConditionExpression": "attribute_not_exists(pk)"},
     "Expected", "ConditionExpression"),
    ("delete_item", {"Key": {"pk": S("a")}, "Expected": {"pk": {"Exists": False}},
                     "ConditionExpression": "attribute_not_exists(pk)"},
     "Expected", "ConditionExpression"),
    ("update_item", {"Key": {"pk": S("a")}, "UpdateExpression": "SET attr1 = :v",
                     "ExpressionAttributeValues": {":v": S("val")},
                     "AttributeUpdates": {"attr1": {"Value": S("val"), "Action": "PUT"}}},
     "AttributeUpdates", "UpdateExpression"),
    ("query", {"KeyConditions": {"pk": {"ComparisonOperator": "EQ",
                                        "AttributeValueList": [S("a")]}},
               "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": S("a")}},
     "KeyConditions", "KeyConditionExpression"),
    ("scan", {"ScanFilter": {"x": {"ComparisonOperator": "NULL"}},
              "FilterExpression": "attribute_exists(x)"},
     "ScanFilter", "FilterExpression"),
])
def test_mixing_expression_and_legacy_parameters(ddb, table, op, kwargs, legacy, expr):
    # Exact for GetItem-family/PutItem/DeleteItem/UpdateItem (dynamodb-conformance); the same
    # template for Query and Scan is from dynalite.
    with expect_error("ValidationException",
                      contains=f"{MIX}Non-expression parameters: {{{legacy}}} Expression "
                               f"parameters: {{{expr}}}"):
        getattr(ddb, op)(TableName=table, **kwargs)
    assert get(ddb, table, {"pk": S("a")}) is None


def test_expression_names_without_expression(ddb, table):
    with expect_error("ValidationException",
                      contains="ExpressionAttributeNames can only be specified when using "
                               "expressions"):
        ddb.delete_item(TableName=table, Key={"pk": S("a")}, Expected={"a": {"Exists": False}},
                        ExpressionAttributeNames={"#a": "a"})


@pytest.mark.parametrize("expected, msg", [
    ({"a": {"Exists": True}},
     "Value must be provided when Exists is true for Attribute: a"),
    ({"a": {"Exists": False, "Value": S("x")}},
     "Value cannot be used when Exists is false for Attribute: a"),
    ({"a": {"ComparisonOperator": "EQ"}},
     "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"),
    ({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [S("x")]}},
     "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
])
def test_malformed_expected(ddb, table, expected, msg):
    # Exact bodies from dynamodb-conformance (AWS wraps them in "1 validation error detected: ").
    with expect_error("ValidationException",
                      contains=f"One or more parameter values were invalid: {msg}"):
        ddb.delete_item(TableName=table, Key={"pk": S("a")}, Expected=expected)
