"""BatchWriteItem and BatchGetItem."""

import re


import dynamo_helpers as h
from dynamo_helpers import expect_error


def put(i, **extra):
    return {"PutRequest": {"Item": {"pk": {"S": str(i)}, **extra}}}


def key(i):
    return {"pk": {"S": str(i)}}


def get(ddb, table, k):
    return ddb.get_item(TableName=table, Key=k, ConsistentRead=True).get("Item")


# ---------------------------------------------------------------------------------------------
# BatchWriteItem


def test_batch_write_25_puts(ddb, table):
    resp = ddb.batch_write_item(RequestItems={table: [put(i, v={"N": str(i)}) for i in range(25)]})
    assert resp["UnprocessedItems"] == {}
    for i in range(25):
        assert get(ddb, table, key(i)) == {"pk": {"S": str(i)}, "v": {"N": str(i)}}


def test_batch_write_put_and_delete(ddb, table):
    ddb.batch_write_item(RequestItems={table: [put(i) for i in range(5)]})
    resp = ddb.batch_write_item(RequestItems={table: [
        {"DeleteRequest": {"Key": key(0)}},
        {"DeleteRequest": {"Key": key(1)}},
        {"DeleteRequest": {"Key": key("never-existed")}},
        put(9, x={"S": "new"}),
        put(2, x={"S": "replaced"}),
    ]})
    assert resp["UnprocessedItems"] == {}
    assert get(ddb, table, key(0)) is None
    assert get(ddb, table, key(1)) is None
    assert get(ddb, table, key(2)) == {"pk": {"S": "2"}, "x": {"S": "replaced"}}
    assert get(ddb, table, key(3)) == {"pk": {"S": "3"}}
    assert get(ddb, table, key(9)) == {"pk": {"S": "9"}, "x": {"S": "new"}}


def test_batch_write_multiple_tables(ddb, table, table_hr):
    resp = ddb.batch_write_item(RequestItems={
        table: [put("a", v={"S": "one"})],
        table_hr: [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"S": "b"}}}}],
    })
    assert resp["UnprocessedItems"] == {}
    assert get(ddb, table, key("a")) == {"pk": {"S": "a"}, "v": {"S": "one"}}
    assert get(ddb, table_hr, {"pk": {"S": "a"}, "sk": {"S": "b"}}) is not None


def test_batch_write_same_key_in_two_tables_is_not_a_duplicate(ddb, make_table):
    t1, t2 = make_table(), make_table()
    resp = ddb.batch_write_item(RequestItems={t1: [put("x")], t2: [put("x")]})
    assert resp["UnprocessedItems"] == {}
    assert get(ddb, t1, key("x")) and get(ddb, t2, key("x"))


def test_batch_write_26_in_one_table(raw_ddb, table):
    # Real DynamoDB (dynamodb-conformance capture) either echoes the request or names the member:
    #   1 validation error detected: Value '{T=[...]}' at 'requestItems' failed to satisfy
    #   constraint: Map value must satisfy constraint: [Member must have length less than or
    #   equal to 25, Member must have length greater than or equal to 1]
    #   1 validation error detected: Value at 'RequestItems.T.member' failed to satisfy
    #   constraint: Member must have length less than or equal to 25
    with expect_error("ValidationException", startswith="1 validation error detected: ",
                      contains="Member must have length less than or equal to 25") as err:
        raw_ddb.batch_write_item(RequestItems={table: [put(i) for i in range(26)]})
    assert re.search(r"at '(requestItems|RequestItems\.)", err.message)
    assert get(raw_ddb, table, key(0)) is None


def test_batch_write_26_across_two_tables(raw_ddb, make_table):
    # 25 is the limit for the whole request. Message: the DynamoDB Local error table and every
    # emulator agree on this text; dynalite accepts the request. wording: unverified
    t1, t2 = make_table(), make_table()
    with expect_error("ValidationException",
                      message="Too many items requested for the BatchWriteItem call"):
        raw_ddb.batch_write_item(RequestItems={t1: [put(i) for i in range(13)],
                                               t2: [put(i) for i in range(13)]})
    assert get(raw_ddb, t1, key(0)) is None


def test_batch_write_duplicate_keys(ddb, table, table_hr):
    # Exact (dynamodb-conformance error-messages/batchWriteItem).
    for reqs in ([put(1), put(1)],
                 [put(1), {"DeleteRequest": {"Key": key(1)}}],
                 [{"DeleteRequest": {"Key": key(1)}}, {"DeleteRequest": {"Key": key(1)}}]):
        with expect_error("ValidationException",
                          message="Provided list of item keys contains duplicates"):
            ddb.batch_write_item(RequestItems={table: reqs})
    assert get(ddb, table, key(1)) is None
    # Same hash key with different sort keys is fine.
    resp = ddb.batch_write_item(RequestItems={table_hr: [
        {"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"S": "1"}}}},
        {"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"S": "2"}}}}]})
    assert resp["UnprocessedItems"] == {}


def test_batch_write_empty(raw_ddb, table):
    with expect_error("ValidationException") as err:
        raw_ddb.batch_write_item(RequestItems={})
    # Two answers seen from AWS regions (dynamodb-conformance).
    assert err.message in (
        "The requestItems parameter is required for BatchWriteItem",
        "1 validation error detected: Value at 'RequestItems' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
        # dynalite's form of the same constraint:
        "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1",
    )
    with expect_error("ValidationException",
                      message=f"1 validation error detected: Value '{{{table}=[]}}' at "
                              f"'requestItems' failed to satisfy constraint: Map value must "
                              f"satisfy constraint: [Member must have length less than or equal "
                              f"to 25, Member must have length greater than or equal to 1]"):
        raw_ddb.batch_write_item(RequestItems={table: []})


def test_batch_write_missing_table(ddb, table):
    with expect_error("ResourceNotFoundException", message="Requested resource not found"):
        ddb.batch_write_item(RequestItems={table: [put(1)], h.unique_name("missing"): [put(1)]})
    assert get(ddb, table, key(1)) is None


def test_batch_write_bad_keys_reject_whole_batch(ddb, table):
    # Exact (dynamodb-conformance): BatchWriteItem validates every request up front.
    for bad in ({"pk": {"N": "5"}}, {"other": {"S": "x"}}):
        with expect_error("ValidationException",
                          message="The provided key element does not match the schema"):
            ddb.batch_write_item(RequestItems={table: [put("ok1"), {"PutRequest": {"Item": bad}},
                                                       put("ok2")]})
    with expect_error("ValidationException",
                      message="One or more parameter values are not valid. The AttributeValue "
                              "for a key attribute cannot contain an empty string value. Key: pk"):
        ddb.batch_write_item(RequestItems={table: [put("ok1"), put("")]})
    with expect_error("ValidationException",
                      message="The provided key element does not match the schema"):
        ddb.batch_write_item(RequestItems={table: [
            {"DeleteRequest": {"Key": {"other": {"S": "x"}}}}]})
    assert get(ddb, table, key("ok1")) is None
    assert get(ddb, table, key("ok2")) is None


def test_batch_write_item_too_large(ddb, table):
    with expect_error("ValidationException",
                      contains="Item size has exceeded the maximum allowed size"):
        ddb.batch_write_item(RequestItems={table: [put("small"),
                                                   put("big", d={"S": "x" * 409600})]})
    assert get(ddb, table, key("small")) is None


def test_batch_writer_resource(ddb_resource, table):
    t = ddb_resource.Table(table)
    with t.batch_writer() as bw:
        for i in range(60):
            bw.put_item(Item={"pk": f"bw{i}", "n": i})
    with t.batch_writer(overwrite_by_pkeys=["pk"]) as bw:
        for i in range(0, 60, 2):
            bw.delete_item(Key={"pk": f"bw{i}"})
        bw.put_item(Item={"pk": "bw1", "n": 100})
        bw.put_item(Item={"pk": "bw1", "n": 101})  # de-duplicated client-side
    items = t.scan(ConsistentRead=True)["Items"]
    got = {i["pk"]: i["n"] for i in items}
    expected = {f"bw{i}": i for i in range(1, 60, 2)}
    expected["bw1"] = 101
    assert got == expected


# ---------------------------------------------------------------------------------------------
# BatchGetItem


def test_batch_get_items(ddb, table):
    ddb.batch_write_item(RequestItems={table: [put(i, v={"N": str(i)}) for i in range(10)]})
    resp = ddb.batch_get_item(RequestItems={table: {
        "Keys": [key(i) for i in (3, 1, 7, "missing")], "ConsistentRead": True}})
    got = resp["Responses"][table]
    assert sorted(got, key=lambda it: it["pk"]["S"]) == [
        {"pk": {"S": str(i)}, "v": {"N": str(i)}} for i in (1, 3, 7)]
    assert resp["UnprocessedKeys"] == {}


def test_batch_get_100_keys(ddb, table):
    for start in range(0, 100, 25):
        ddb.batch_write_item(RequestItems={table: [put(i) for i in range(start, start + 25)]})
    resp = ddb.batch_get_item(RequestItems={table: {"Keys": [key(i) for i in range(100)]}})
    got = resp["Responses"][table]
    assert sorted(int(it["pk"]["S"]) for it in got) == list(range(100))
    assert resp["UnprocessedKeys"] == {}


def test_batch_get_all_missing_still_lists_the_table(ddb, table):
    resp = ddb.batch_get_item(RequestItems={table: {"Keys": [key("nope")]}})
    assert resp["Responses"] == {table: []}
    assert resp["UnprocessedKeys"] == {}


def test_batch_get_multiple_tables_and_projection(ddb, table, table_hr):
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "x": {"S": "1"}, "y": {"S": "2"}})
    ddb.put_item(TableName=table_hr, Item={"pk": {"S": "a"}, "sk": {"S": "b"},
                                           "m": {"M": {"in": {"N": "1"}, "out": {"N": "2"}}}})
    resp = ddb.batch_get_item(RequestItems={
        table: {"Keys": [key("a")], "ProjectionExpression": "#y", "ExpressionAttributeNames":
                {"#y": "y"}},
        table_hr: {"Keys": [{"pk": {"S": "a"}, "sk": {"S": "b"}}],
                   "ProjectionExpression": "sk, m.#i", "ExpressionAttributeNames": {"#i": "in"},
                   "ConsistentRead": True},
    })
    assert resp["Responses"][table] == [{"y": {"S": "2"}}]
    assert resp["Responses"][table_hr] == [{"sk": {"S": "b"}, "m": {"M": {"in": {"N": "1"}}}}]
    assert resp["UnprocessedKeys"] == {}


def test_batch_get_projection_matching_nothing(ddb, table):
    # dynamodb-conformance: an existing item whose projection matches nothing is kept as {}.
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "x": {"S": "1"}})
    resp = ddb.batch_get_item(RequestItems={table: {"Keys": [key("a")],
                                                    "ProjectionExpression": "nothere"}})
    assert resp["Responses"][table] == [{}]


def test_batch_get_101_keys(raw_ddb, table):
    # Exact for the current AWS wording (dynamodb-conformance); older regions and dynalite
    # echo the key list instead ("...Value '[...]' at 'requestItems.T.member.keys'...").
    with expect_error("ValidationException",
                      contains="Member must have length less than or equal to 100") as err:
        raw_ddb.batch_get_item(RequestItems={table: {"Keys": [key(i) for i in range(101)]}})
    assert err.message.startswith("1 validation error detected: ")


def test_batch_get_101_keys_across_tables(raw_ddb, make_table):
    t1, t2 = make_table(), make_table()
    with expect_error("ValidationException",
                      message="Too many items requested for the BatchGetItem call"):
        raw_ddb.batch_get_item(RequestItems={t1: {"Keys": [key(i) for i in range(60)]},
                                             t2: {"Keys": [key(i) for i in range(41)]}})


def test_batch_get_duplicate_keys(ddb, table):
    with expect_error("ValidationException",
                      message="Provided list of item keys contains duplicates"):
        ddb.batch_get_item(RequestItems={table: {"Keys": [key("d"), key("d")]}})


def test_batch_get_missing_table(ddb, table):
    with expect_error("ResourceNotFoundException", message="Requested resource not found"):
        ddb.batch_get_item(RequestItems={table: {"Keys": [key(1)]},
                                         h.unique_name("missing"): {"Keys": [key(1)]}})


def test_batch_get_bad_key(ddb, table_hr):
    with expect_error("ValidationException",
                      message="The provided key element does not match the schema"):
        ddb.batch_get_item(RequestItems={table_hr: {"Keys": [{"pk": {"S": "a"}}]}})


def test_batch_get_mixing_projection_styles(ddb, table):
    with expect_error("ValidationException",
                      contains="Can not use both expression and non-expression parameters in "
                               "the same request: Non-expression parameters: {AttributesToGet} "
                               "Expression parameters: {ProjectionExpression}"):
        ddb.batch_get_item(RequestItems={table: {"Keys": [key(1)], "AttributesToGet": ["pk"],
                                                 "ProjectionExpression": "pk"}})


def test_batch_get_resource(ddb_resource, table):
    t = ddb_resource.Table(table)
    with t.batch_writer() as bw:
        for i in range(5):
            bw.put_item(Item={"pk": f"r{i}", "n": i})
    resp = ddb_resource.batch_get_item(RequestItems={
        table: {"Keys": [{"pk": f"r{i}"} for i in range(5)], "ConsistentRead": True}})
    assert sorted(int(it["n"]) for it in resp["Responses"][table]) == list(range(5))
