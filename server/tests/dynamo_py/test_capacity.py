"""ReturnConsumedCapacity: read units per 4 KB (half for eventually consistent reads), write units
per 1 KB, transactions at twice the price, and the TOTAL / INDEXES shapes.

Item size = the UTF-8 bytes of every attribute name plus every value (DynamoDB developer guide,
"Item sizes and formats"); the boundaries below were checked against DynamoDB by ScyllaDB
Alternator's test_returnconsumedcapacity.py.
"""

import pytest

import dynamo_helpers as h


def S(s):
    return {"S": s}


def item_of_size(pk, size):
    """An item on a `pk (S)` table measuring exactly `size` bytes."""
    fixed = len("pk") + len(pk) + len("d")
    assert size >= fixed
    return {"pk": S(pk), "d": S("x" * (size - fixed))}


def cap(resp):
    # Only TableName and CapacityUnits are checked: whether TOTAL also carries
    # Read/WriteCapacityUnits is not pinned by any source found.
    return resp["ConsumedCapacity"]["CapacityUnits"]


@pytest.mark.parametrize("size, consistent, eventual", [
    (10, 1.0, 0.5),
    (4096, 1.0, 0.5),
    (4097, 2.0, 1.0),
    (12288, 3.0, 1.5),
    (12289, 4.0, 2.0),
])
def test_get_item_read_units(ddb, table, size, consistent, eventual):
    ddb.put_item(TableName=table, Item=item_of_size("k", size))
    resp = ddb.get_item(TableName=table, Key={"pk": S("k")}, ConsistentRead=True,
                        ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"]["TableName"] == table
    assert cap(resp) == consistent
    resp = ddb.get_item(TableName=table, Key={"pk": S("k")}, ReturnConsumedCapacity="TOTAL")
    assert cap(resp) == eventual
    # A projection does not make the read cheaper.
    resp = ddb.get_item(TableName=table, Key={"pk": S("k")}, ConsistentRead=True,
                        ProjectionExpression="pk", ReturnConsumedCapacity="TOTAL")
    assert cap(resp) == consistent


def test_get_missing_item_costs_the_minimum(ddb, table):
    resp = ddb.get_item(TableName=table, Key={"pk": S("none")}, ConsistentRead=True,
                        ReturnConsumedCapacity="TOTAL")
    assert "Item" not in resp
    assert cap(resp) == 1.0
    resp = ddb.get_item(TableName=table, Key={"pk": S("none")}, ReturnConsumedCapacity="TOTAL")
    assert cap(resp) == 0.5


def test_no_consumed_capacity_unless_asked(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("k")})
    assert "ConsumedCapacity" not in ddb.get_item(TableName=table, Key={"pk": S("k")})
    assert "ConsumedCapacity" not in ddb.get_item(TableName=table, Key={"pk": S("k")},
                                                  ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in ddb.put_item(TableName=table, Item={"pk": S("k")})


@pytest.mark.parametrize("size, units", [(10, 1.0), (1024, 1.0), (1025, 2.0), (2049, 3.0),
                                         (409600, 400.0)])
def test_put_item_write_units(ddb, table, size, units):
    resp = ddb.put_item(TableName=table, Item=item_of_size("k", size),
                        ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"]["TableName"] == table
    assert cap(resp) == units


def test_put_over_larger_item_costs_the_larger(ddb, table):
    ddb.put_item(TableName=table, Item=item_of_size("k", 2500))
    resp = ddb.put_item(TableName=table, Item=item_of_size("k", 10),
                        ReturnConsumedCapacity="TOTAL")
    assert cap(resp) == 3.0


def test_delete_and_update_write_units(ddb, table):
    resp = ddb.delete_item(TableName=table, Key={"pk": S("missing")},
                           ReturnConsumedCapacity="TOTAL")
    assert cap(resp) == 1.0
    ddb.put_item(TableName=table, Item=item_of_size("k", 2049))
    resp = ddb.update_item(TableName=table, Key={"pk": S("k")}, UpdateExpression="SET d = :d",
                           ExpressionAttributeValues={":d": S("small")},
                           ReturnConsumedCapacity="TOTAL")
    assert cap(resp) == 3.0   # the larger of the old (2049 B) and the new item
    resp = ddb.update_item(TableName=table, Key={"pk": S("k")}, UpdateExpression="SET e = :e",
                           ExpressionAttributeValues={":e": S("tiny")},
                           ReturnConsumedCapacity="TOTAL")
    assert cap(resp) == 1.0
    ddb.put_item(TableName=table, Item=item_of_size("k", 2049))
    resp = ddb.delete_item(TableName=table, Key={"pk": S("k")}, ReturnConsumedCapacity="TOTAL")
    assert cap(resp) == 3.0


def test_indexes_shape(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("k")})
    resp = ddb.get_item(TableName=table, Key={"pk": S("k")}, ConsistentRead=True,
                        ReturnConsumedCapacity="INDEXES")
    cc = resp["ConsumedCapacity"]
    assert cc["TableName"] == table
    assert cc["CapacityUnits"] == 1.0
    assert cc["Table"]["CapacityUnits"] == 1.0
    assert "GlobalSecondaryIndexes" not in cc or cc["GlobalSecondaryIndexes"] == {}
    resp = ddb.put_item(TableName=table, Item={"pk": S("k")}, ReturnConsumedCapacity="INDEXES")
    cc = resp["ConsumedCapacity"]
    assert cc["CapacityUnits"] == 1.0
    assert cc["Table"]["CapacityUnits"] == 1.0
    # TOTAL has no per-table breakdown.
    resp = ddb.put_item(TableName=table, Item={"pk": S("k")}, ReturnConsumedCapacity="TOTAL")
    assert "Table" not in resp["ConsumedCapacity"]


def test_query_and_scan_read_units(ddb, table_hr):
    # 10 items of 1000 bytes: 10,000 bytes read, rounded up to 3 x 4 KB.
    for i in range(10):
        fixed = len("pk") + 1 + len("sk") + 1 + len("n") + 1 + len("d")
        item = {"pk": S("p"), "sk": S(f"{i}"), "n": S(f"{i}"), "d": S("x" * (1000 - fixed))}
        ddb.put_item(TableName=table_hr, Item=item)
    resp = ddb.query(TableName=table_hr, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": S("p")}, ConsistentRead=True,
                     ReturnConsumedCapacity="TOTAL")
    assert resp["Count"] == 10
    assert cap(resp) == 3.0
    resp = ddb.query(TableName=table_hr, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": S("p")}, ReturnConsumedCapacity="TOTAL")
    assert cap(resp) == 1.5
    # Filtered-out items are still read, and paid for.
    resp = ddb.query(TableName=table_hr, KeyConditionExpression="pk = :p",
                     FilterExpression="n = :s",
                     ExpressionAttributeValues={":p": S("p"), ":s": S("3")}, ConsistentRead=True,
                     ReturnConsumedCapacity="TOTAL")
    assert resp["Count"] == 1
    assert cap(resp) == 3.0
    resp = ddb.scan(TableName=table_hr, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"]["TableName"] == table_hr
    assert cap(resp) == 3.0


def test_batch_capacity(ddb, table):
    resp = ddb.batch_write_item(RequestItems={table: [
        {"PutRequest": {"Item": item_of_size(f"k{i}", 100)}} for i in range(3)]},
        ReturnConsumedCapacity="TOTAL")
    assert len(resp["ConsumedCapacity"]) == 1
    assert resp["ConsumedCapacity"][0]["TableName"] == table
    assert resp["ConsumedCapacity"][0]["CapacityUnits"] == 3.0
    # BatchGetItem rounds each item on its own.
    resp = ddb.batch_get_item(RequestItems={table: {"Keys": [{"pk": S(f"k{i}")} for i in range(3)],
                                                    "ConsistentRead": True}},
                              ReturnConsumedCapacity="TOTAL")
    assert [(c["TableName"], c["CapacityUnits"]) for c in resp["ConsumedCapacity"]] == \
        [(table, 3.0)]
    resp = ddb.batch_get_item(RequestItems={table: {"Keys": [{"pk": S(f"k{i}")}
                                                             for i in range(3)]}},
                              ReturnConsumedCapacity="TOTAL")
    assert [(c["TableName"], c["CapacityUnits"]) for c in resp["ConsumedCapacity"]] == \
        [(table, 1.5)]


def test_transactions_cost_double(ddb, table):
    resp = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": item_of_size("t1", 100)}},
        {"Put": {"TableName": table, "Item": item_of_size("t2", 1500)}},
    ], ReturnConsumedCapacity="TOTAL")
    # 2 x (1 + 2) write units.
    cc = resp["ConsumedCapacity"]
    assert len(cc) == 1
    assert cc[0]["TableName"] == table
    assert cc[0]["CapacityUnits"] == 6.0
    resp = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": table, "Key": {"pk": S("t1")}}},
        {"Get": {"TableName": table, "Key": {"pk": S("t2")}}},
    ], ReturnConsumedCapacity="TOTAL")
    cc = resp["ConsumedCapacity"]
    assert len(cc) == 1
    assert cc[0]["TableName"] == table
    assert cc[0]["CapacityUnits"] == 4.0


def test_transaction_capacity_per_table(ddb, make_table):
    t1, t2 = make_table(), make_table()
    resp = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": t1, "Item": {"pk": S("a")}}},
        {"Put": {"TableName": t2, "Item": {"pk": S("a")}}},
        {"Put": {"TableName": t2, "Item": {"pk": S("b")}}},
    ], ReturnConsumedCapacity="TOTAL")
    by_table = {c["TableName"]: c["CapacityUnits"] for c in resp["ConsumedCapacity"]}
    assert by_table == {t1: 2.0, t2: 4.0}


def test_invalid_return_consumed_capacity(raw_ddb, table):
    # The conformance suite pins "returnConsumedCapacity" in the message; the enum text is the
    # standard constraint wording (value order: unverified, so not checked).
    with h.expect_error("ValidationException",
                        contains=["'returnConsumedCapacity'",
                                  "Member must satisfy enum value set:"]):
        raw_ddb.get_item(TableName=table, Key={"pk": S("k")}, ReturnConsumedCapacity="DUMMY")
