"""TransactWriteItems and TransactGetItems.

Behaviour and messages follow ScyllaDB Alternator's test_transact.py (written against DynamoDB)
and the dynamodb-conformance suite's exact captures from AWS. dynalite has no transactions.
"""

import uuid

from boto3.dynamodb.types import TypeDeserializer

import dynamo_helpers as h
from dynamo_helpers import expect_error

TCE = "TransactionCanceledException"


def cancel_msg(*codes):
    return ("Transaction cancelled, please refer cancellation reasons for specific reasons "
            f"[{', '.join(codes)}]")


def get(ddb, table, k):
    return ddb.get_item(TableName=table, Key=k, ConsistentRead=True).get("Item")


def S(s):
    return {"S": s}


def test_all_four_actions_succeed(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("upd"), "n": {"N": "1"}})
    ddb.put_item(TableName=table, Item={"pk": S("del")})
    ddb.put_item(TableName=table, Item={"pk": S("chk"), "ok": {"BOOL": True}})
    resp = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": S("new"), "v": S("x")},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": table, "Key": {"pk": S("upd")},
                    "UpdateExpression": "SET n = n + :one, s = :s",
                    "ConditionExpression": "n = :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":s": S("set")}}},
        {"Delete": {"TableName": table, "Key": {"pk": S("del")},
                    "ConditionExpression": "attribute_exists(pk)"}},
        {"ConditionCheck": {"TableName": table, "Key": {"pk": S("chk")},
                            "ConditionExpression": "#o = :t",
                            "ExpressionAttributeNames": {"#o": "ok"},
                            "ExpressionAttributeValues": {":t": {"BOOL": True}}}},
    ])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert get(ddb, table, {"pk": S("new")}) == {"pk": S("new"), "v": S("x")}
    assert get(ddb, table, {"pk": S("upd")}) == {"pk": S("upd"), "n": {"N": "2"}, "s": S("set")}
    assert get(ddb, table, {"pk": S("del")}) is None
    assert get(ddb, table, {"pk": S("chk")}) == {"pk": S("chk"), "ok": {"BOOL": True}}


def test_put_replaces_item(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("r"), "old": S("x")})
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table,
                                                     "Item": {"pk": S("r"), "new": S("y")}}}])
    assert get(ddb, table, {"pk": S("r")}) == {"pk": S("r"), "new": S("y")}


def test_failed_condition_cancels_everything(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("exists"), "n": {"N": "5"}})
    ddb.put_item(TableName=table, Item={"pk": S("exists2")})
    ddb.put_item(TableName=table, Item={"pk": S("victim")})
    with expect_error(TCE, message=cancel_msg("None", "None", "ConditionalCheckFailed", "None",
                                              "ConditionalCheckFailed")) as err:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("p1")}}},
            {"Update": {"TableName": table, "Key": {"pk": S("exists")},
                        "UpdateExpression": "SET n = :z",
                        "ExpressionAttributeValues": {":z": {"N": "0"}}}},
            {"ConditionCheck": {"TableName": table, "Key": {"pk": S("nope")},
                                "ConditionExpression": "attribute_exists(pk)"}},
            {"Delete": {"TableName": table, "Key": {"pk": S("victim")}}},
            {"Put": {"TableName": table, "Item": {"pk": S("exists2"), "new": S("x")},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
    reasons = err.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "None", "ConditionalCheckFailed", "None",
                                            "ConditionalCheckFailed"]
    # "None" reasons carry no message; failed ones say what failed.
    assert "Message" not in reasons[0]
    assert reasons[2]["Message"] == "The conditional request failed"
    assert reasons[4]["Message"] == "The conditional request failed"
    # Nothing was applied.
    assert get(ddb, table, {"pk": S("p1")}) is None
    assert get(ddb, table, {"pk": S("exists")}) == {"pk": S("exists"), "n": {"N": "5"}}
    assert get(ddb, table, {"pk": S("exists2")}) == {"pk": S("exists2")}
    assert get(ddb, table, {"pk": S("victim")}) == {"pk": S("victim")}


def test_return_values_on_condition_check_failure(ddb, table):
    item = {"pk": S("rv"), "x": {"N": "42"}, "y": S("dog")}
    ddb.put_item(TableName=table, Item=item)
    with expect_error(TCE, message=cancel_msg("ConditionalCheckFailed")) as err:
        ddb.transact_write_items(TransactItems=[{"Update": {
            "TableName": table, "Key": {"pk": S("rv")}, "UpdateExpression": "SET x = x + :one",
            "ConditionExpression": "x = :v", "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":v": {"N": "43"}}}}])
    reasons = err.response["CancellationReasons"]
    assert reasons[0]["Code"] == "ConditionalCheckFailed"
    got = reasons[0]["Item"]
    # botocore leaves this nested item in wire form.
    des = TypeDeserializer()
    assert {k: des.deserialize(v) for k, v in got.items()} == \
        {k: des.deserialize(v) for k, v in item.items()}
    with expect_error(TCE) as err:
        ddb.transact_write_items(TransactItems=[{"ConditionCheck": {
            "TableName": table, "Key": {"pk": S("rv")}, "ConditionExpression": "x = :v",
            "ReturnValuesOnConditionCheckFailure": "NONE",
            "ExpressionAttributeValues": {":v": {"N": "43"}}}}])
    assert "Item" not in err.response["CancellationReasons"][0]


def test_two_actions_on_one_item(ddb, table):
    msg = "Transaction request cannot include multiple operations on one item"
    with expect_error("ValidationException", message=msg):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("same")}}},
            {"Put": {"TableName": table, "Item": {"pk": S("same"), "v": S("2")}}}])
    with expect_error("ValidationException", message=msg):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("same")}}},
            {"ConditionCheck": {"TableName": table, "Key": {"pk": S("same")},
                                "ConditionExpression": "attribute_not_exists(pk)"}}])
    with expect_error("ValidationException", message=msg):
        ddb.transact_write_items(TransactItems=[
            {"Delete": {"TableName": table, "Key": {"pk": S("other")}}},
            {"Update": {"TableName": table, "Key": {"pk": S("same")},
                        "UpdateExpression": "SET a = :a",
                        "ExpressionAttributeValues": {":a": S("a")}}},
            {"Delete": {"TableName": table, "Key": {"pk": S("same")}}}])
    assert get(ddb, table, {"pk": S("same")}) is None


def test_same_key_in_two_tables_is_allowed(ddb, make_table):
    t1, t2 = make_table(), make_table(range_key=("sk", "S"))
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": t1, "Item": {"pk": S("k"), "v": S("1")}}},
        {"Put": {"TableName": t2, "Item": {"pk": S("k"), "sk": S("s")},
                 "ConditionExpression": "attribute_not_exists(pk)"}}])
    assert get(ddb, t1, {"pk": S("k")}) == {"pk": S("k"), "v": S("1")}
    assert get(ddb, t2, {"pk": S("k"), "sk": S("s")}) is not None


def test_client_request_token_idempotency(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("ctr"), "n": {"N": "0"}})
    inc = [{"Update": {"TableName": table, "Key": {"pk": S("ctr")},
                       "UpdateExpression": "SET n = n + :one",
                       "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
    # Without a token every call applies.
    ddb.transact_write_items(TransactItems=inc)
    ddb.transact_write_items(TransactItems=inc)
    assert get(ddb, table, {"pk": S("ctr")})["n"] == {"N": "2"}
    # With a token the replay succeeds without applying again.
    token = str(uuid.uuid4())
    ddb.transact_write_items(TransactItems=inc, ClientRequestToken=token)
    assert get(ddb, table, {"pk": S("ctr")})["n"] == {"N": "3"}
    ddb.transact_write_items(TransactItems=inc, ClientRequestToken=token)
    assert get(ddb, table, {"pk": S("ctr")})["n"] == {"N": "3"}
    # Same token, different request.
    other = [{"Put": {"TableName": table, "Item": {"pk": S("else")}}}]
    with expect_error("IdempotentParameterMismatchException"):  # message: unverified
        ddb.transact_write_items(TransactItems=other, ClientRequestToken=token)
    assert get(ddb, table, {"pk": S("else")}) is None
    assert get(ddb, table, {"pk": S("ctr")})["n"] == {"N": "3"}


def test_client_request_token_too_long(raw_ddb, table):
    with expect_error("ValidationException", contains="lientRequestToken"):
        raw_ddb.transact_write_items(ClientRequestToken="x" * 37, TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("t")}}}])
    raw_ddb.transact_write_items(ClientRequestToken=uuid.uuid4().hex[:4] + "y" * 32,
                                 TransactItems=[{"Put": {"TableName": table,
                                                         "Item": {"pk": S("t")}}}])
    assert get(raw_ddb, table, {"pk": S("t")}) is not None


def test_100_actions_allowed_101_rejected(raw_ddb, table):
    raw_ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": S(f"i{i}"), "n": {"N": str(i)}}}}
        for i in range(100)])
    assert get(raw_ddb, table, {"pk": S("i99")}) == {"pk": S("i99"), "n": {"N": "99"}}
    with expect_error("ValidationException", startswith="1 validation error detected: ",
                      contains="failed to satisfy constraint: Member must have length less than "
                               "or equal to 100") as err:
        raw_ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S(f"j{i}")}}} for i in range(101)])
    assert "ransactItems'" in err.message
    assert get(raw_ddb, table, {"pk": S("j0")}) is None


def test_empty_transaction(raw_ddb):
    with expect_error("ValidationException") as err:
        raw_ddb.transact_write_items(TransactItems=[])
    assert err.message in (
        "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1",
        "1 validation error detected: Value at 'TransactItems' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1")


def test_condition_check_needs_condition(raw_ddb, table):
    with expect_error("ValidationException", contains="onditionExpression"):
        raw_ddb.transact_write_items(TransactItems=[
            {"ConditionCheck": {"TableName": table, "Key": {"pk": S("c")}}}])


def test_missing_table(ddb, table):
    with expect_error("ResourceNotFoundException", message="Requested resource not found"):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("a")}}},
            {"Put": {"TableName": h.unique_name("missing"), "Item": {"pk": S("a")}}}])
    assert get(ddb, table, {"pk": S("a")}) is None


def test_wrong_key_type_is_a_validation_error_reason(ddb, table):
    # dynamodb-conformance (exact, AWS): a wrong-typed Put key cancels with ValidationError.
    with expect_error(TCE, message=cancel_msg("ValidationError")) as err:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"N": "5"}}}}])
    reason = err.response["CancellationReasons"][0]
    assert reason["Code"] == "ValidationError"
    assert reason["Message"] == ("One or more parameter values were invalid: Type mismatch for "
                                 "key pk expected: S actual: N")
    with expect_error(TCE, message=cancel_msg("ValidationError")) as err:
        ddb.transact_write_items(TransactItems=[
            {"Delete": {"TableName": table, "Key": {"pk": {"N": "5"}}}}])
    assert err.response["CancellationReasons"][0]["Message"] == \
        "The provided key element does not match the schema"


def test_empty_string_key_is_a_top_level_error(ddb, table):
    with expect_error("ValidationException",
                      message="One or more parameter values are not valid. The AttributeValue "
                              "for a key attribute cannot contain an empty string value. Key: pk"):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("")}}}])


def test_expression_errors_are_top_level(ddb, table):
    with expect_error("ValidationException", contains="#xyz"):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("e")},
                     "ConditionExpression": "attribute_exists(#xyz)"}}])
    with expect_error("ValidationException",
                      contains="Value provided in ExpressionAttributeValues unused in "
                               "expressions: keys: {:xyz}"):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("e")},
                     "ConditionExpression": "attribute_exists(pk)",
                     "ExpressionAttributeValues": {":xyz": {"N": "7"}}}}])
    with expect_error("ValidationException", contains="Syntax error"):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("e")},
                     "ConditionExpression": "hello!"}}])


def test_item_too_large_put(ddb, table):
    # A Put's size is known up front: a plain ValidationException (dynamodb-conformance).
    with expect_error("ValidationException",
                      contains="Item size has exceeded the maximum allowed size"):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("big"), "d": S("x" * 409600)}}}])


# ---------------------------------------------------------------------------------------------
# TransactGetItems


def test_transact_get_items(ddb, table, table_hr):
    ddb.put_item(TableName=table, Item={"pk": S("a"), "x": {"N": "1"}, "y": {"N": "2"}})
    ddb.put_item(TableName=table, Item={"pk": S("b"), "x": {"N": "1"}, "y": {"N": "2"}})
    ddb.put_item(TableName=table_hr, Item={"pk": S("a"), "sk": S("b"), "z": S("zz")})
    resp = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": table, "Key": {"pk": S("a")}}},
        {"Get": {"TableName": table, "Key": {"pk": S("missing")}}},
        {"Get": {"TableName": table_hr, "Key": {"pk": S("a"), "sk": S("b")},
                 "ProjectionExpression": "#z", "ExpressionAttributeNames": {"#z": "z"}}},
        {"Get": {"TableName": table, "Key": {"pk": S("b")}, "ProjectionExpression": "x"}},
    ])
    r = resp["Responses"]
    assert len(r) == 4
    assert r[0]["Item"] == {"pk": S("a"), "x": {"N": "1"}, "y": {"N": "2"}}
    assert "Item" not in r[1]
    assert r[2]["Item"] == {"z": S("zz")}
    assert r[3]["Item"] == {"x": {"N": "1"}}


def test_transact_get_100_and_101(raw_ddb, table):
    for start in range(0, 100, 25):
        raw_ddb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {"pk": S(str(i)), "n": {"N": str(i)}}}}
            for i in range(start, start + 25)]})
    resp = raw_ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": table, "Key": {"pk": S(str(i))}}} for i in range(100)])
    assert [int(x["Item"]["n"]["N"]) for x in resp["Responses"]] == list(range(100))
    with expect_error("ValidationException",
                      contains="Member must have length less than or equal to 100"):
        raw_ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": table, "Key": {"pk": S(str(i))}}} for i in range(101)])


def test_transact_get_errors(ddb, table):
    with expect_error("ResourceNotFoundException", message="Requested resource not found"):
        ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": h.unique_name("missing"), "Key": {"pk": S("x")}}}])
    with expect_error("ValidationException",
                      message='Invalid ProjectionExpression: Syntax error; token: "!", near: '
                              '"!!"'):
        ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": table, "Key": {"pk": S("x")}, "ProjectionExpression": "!!!"}}])
    with expect_error("ValidationException", contains=["unused", "#qq"]):
        ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": table, "Key": {"pk": S("x")}, "ProjectionExpression": "#xx",
                     "ExpressionAttributeNames": {"#xx": "x", "#qq": "q"}}}])
    with expect_error(TCE, message=cancel_msg("ValidationError")) as err:
        ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": table, "Key": {}}}])
    assert err.response["CancellationReasons"][0]["Code"] == "ValidationError"


def test_resource_client_transactions(ddb_resource, table):
    client = ddb_resource.meta.client  # the resource's client serializes Python values
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": "py", "n": 1, "s": {"a", "b"}}}}])
    resp = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": table, "Key": {"pk": "py"}}}])
    assert resp["Responses"][0]["Item"] == {"pk": "py", "n": 1, "s": {"a", "b"}}
