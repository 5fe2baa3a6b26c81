"""Secondary indexes: CreateTable with LocalSecondaryIndexes and GlobalSecondaryIndexes (and
DynamoDB's validation of them), DescribeTable's index descriptions, index maintenance by every
write (sparse indexes, moves between index keys, type checks), Query and Scan with IndexName
(Select, projections, paging, ConsistentRead), DeleteTable.

Messages come from the sources the README lists: AWS captures (dynamodb-conformance, and
probe notes of 2026-10 against AWS), dynalite's AWS-checked tests, and Alternator.
"""

import random

import pytest

import dynamo_helpers as h
from dynamo_helpers import expect_error

P = "One or more parameter values were invalid: "


def ks(hash_name, range_name=None):
    out = [{"AttributeName": hash_name, "KeyType": "HASH"}]
    if range_name:
        out.append({"AttributeName": range_name, "KeyType": "RANGE"})
    return out


def defs(**types):
    return [{"AttributeName": n, "AttributeType": t} for n, t in types.items()]


@pytest.fixture
def new_table(ddb):
    """Factory: new_table(**create_table_kwargs) creates a uniquely named table (deleted at the
    end) and returns its name and the CreateTable response."""
    made = []

    def make(**kwargs):
        name = h.unique_name("ix")
        kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
        resp = ddb.create_table(TableName=name, **kwargs)
        made.append(name)
        h.wait_active(ddb, name)
        return name, resp

    yield make
    for name in made:
        h.delete_table_quietly(ddb, name)


GSI_OWNER = {"IndexName": "byOwner", "KeySchema": ks("owner", "at"),
             "Projection": {"ProjectionType": "ALL"}}
LSI_AT = {"IndexName": "byAt", "KeySchema": ks("pk", "at"),
          "Projection": {"ProjectionType": "KEYS_ONLY"}}


@pytest.fixture
def orders(new_table):
    """pk (S) + sk (S); GSI byOwner (owner S, at N, ALL); LSI byAt (pk, at N, KEYS_ONLY); GSI
    byStatus (status S, INCLUDE note)."""
    name, _ = new_table(
        KeySchema=ks("pk", "sk"),
        AttributeDefinitions=defs(pk="S", sk="S", owner="S", at="N", status="S"),
        GlobalSecondaryIndexes=[GSI_OWNER, {
            "IndexName": "byStatus", "KeySchema": ks("status"),
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}}],
        LocalSecondaryIndexes=[LSI_AT])
    return name


def item(pk, sk, **attrs):
    out = {"pk": {"S": pk}, "sk": {"S": sk}}
    for k, v in attrs.items():
        out[k] = {"N": str(v)} if isinstance(v, int) else {"S": v}
    return out


# --- CreateTable and DescribeTable -------------------------------------------------------------

def test_describe_lists_each_index(ddb, orders):
    t = ddb.describe_table(TableName=orders)["Table"]
    arn = t["TableArn"]
    (lsi,) = t["LocalSecondaryIndexes"]
    assert lsi["IndexName"] == "byAt"
    assert lsi["KeySchema"] == ks("pk", "at")
    assert lsi["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert lsi["IndexArn"] == f"{arn}/index/byAt"
    assert "IndexStatus" not in lsi and "ProvisionedThroughput" not in lsi
    g1, g2 = t["GlobalSecondaryIndexes"]
    assert [g1["IndexName"], g2["IndexName"]] == ["byOwner", "byStatus"]
    assert g1["IndexStatus"] == "ACTIVE"
    assert g1["ProvisionedThroughput"] == {
        "NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
    assert g2["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}
    assert g2["KeySchema"] == ks("status")


def test_counts_follow_the_items(ddb, orders):
    ddb.put_item(TableName=orders, Item=item("a", "1", owner="o", at=1, status="new"))
    ddb.put_item(TableName=orders, Item=item("a", "2", at=2))
    t = ddb.describe_table(TableName=orders)["Table"]
    assert t["ItemCount"] == 2
    counts = {i["IndexName"]: i["ItemCount"]
              for i in t["GlobalSecondaryIndexes"] + t["LocalSecondaryIndexes"]}
    assert counts == {"byOwner": 1, "byStatus": 1, "byAt": 2}
    assert all(i["IndexSizeBytes"] > 0 for i in t["GlobalSecondaryIndexes"])


def test_provisioned_gsi_reports_its_throughput(ddb, new_table):
    name, resp = new_table(
        KeySchema=ks("pk"), AttributeDefinitions=defs(pk="S", g="S"), BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        GlobalSecondaryIndexes=[{"IndexName": "gg1", "KeySchema": ks("g"),
                                 "Projection": {"ProjectionType": "ALL"},
                                 "ProvisionedThroughput": {"ReadCapacityUnits": 3,
                                                           "WriteCapacityUnits": 4}}])
    g = resp["TableDescription"]["GlobalSecondaryIndexes"][0]
    assert g["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert g["ProvisionedThroughput"]["WriteCapacityUnits"] == 4


def create(raw_ddb, **kwargs):
    kwargs.setdefault("TableName", h.unique_name("ixbad"))
    kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
    try:
        raw_ddb.create_table(**kwargs)
    finally:
        h.delete_table_quietly(raw_ddb, kwargs["TableName"])


def test_create_table_refuses_bad_indexes(raw_ddb):
    base = dict(KeySchema=ks("pk", "sk"), AttributeDefinitions=defs(pk="S", sk="S", x="S"))
    cases = [
        # (request changes, exact message)
        (dict(LocalSecondaryIndexes=[], AttributeDefinitions=defs(pk="S", sk="S")),
         P + "List of LocalSecondaryIndexes is empty"),
        (dict(GlobalSecondaryIndexes=[], AttributeDefinitions=defs(pk="S", sk="S")),
         P + "List of GlobalSecondaryIndexes is empty"),
        (dict(KeySchema=ks("pk"), AttributeDefinitions=defs(pk="S", x="S"),
              LocalSecondaryIndexes=[{"IndexName": "abc", "KeySchema": ks("pk", "x"),
                                      "Projection": {"ProjectionType": "ALL"}}]),
         P + "Table KeySchema does not have a range key, which is required when specifying a "
             "LocalSecondaryIndex"),
        (dict(LocalSecondaryIndexes=[{"IndexName": "abc", "KeySchema": ks("pk"),
                                      "Projection": {"ProjectionType": "ALL"}}],
              AttributeDefinitions=defs(pk="S", sk="S")),
         P + "Index KeySchema does not have a range key for index: abc"),
        (dict(LocalSecondaryIndexes=[{"IndexName": "abc", "KeySchema": ks("x", "sk"),
                                      "Projection": {"ProjectionType": "ALL"}}]),
         P + "Index KeySchema does not have the same leading hash key as table KeySchema for "
             "index: abc. index hash key: x, table hash key: pk"),
        (dict(GlobalSecondaryIndexes=[{"IndexName": "abc", "KeySchema": ks("x"),
                                       "Projection": {}}]),
         P + "Unknown ProjectionType: null"),
        (dict(GlobalSecondaryIndexes=[{"IndexName": "abc", "KeySchema": ks("x"),
                                       "Projection": {"ProjectionType": "ALL",
                                                      "NonKeyAttributes": ["a"]}}]),
         P + "ProjectionType is ALL, but NonKeyAttributes is specified"),
        (dict(GlobalSecondaryIndexes=[{"IndexName": "abc", "KeySchema": ks("x"),
                                       "Projection": {"ProjectionType": "INCLUDE"}}]),
         P + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified"),
        (dict(GlobalSecondaryIndexes=[{"IndexName": "abc", "KeySchema": ks("x"),
                                       "Projection": {"ProjectionType": "ALL"}}] * 2),
         P + "Duplicate index name: abc"),
        (dict(GlobalSecondaryIndexes=[{"IndexName": "abc", "KeySchema": ks("x"),
                                       "Projection": {"ProjectionType": "ALL"},
                                       "ProvisionedThroughput": {"ReadCapacityUnits": 1,
                                                                 "WriteCapacityUnits": 1}}]),
         P + "ProvisionedThroughput should not be specified for index: abc when BillingMode is "
             "PAY_PER_REQUEST"),
        (dict(BillingMode="PROVISIONED",
              ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
              GlobalSecondaryIndexes=[{"IndexName": "abc", "KeySchema": ks("x"),
                                       "Projection": {"ProjectionType": "ALL"}}]),
         P + "ProvisionedThroughput is not specified for index: abc"),
        (dict(GlobalSecondaryIndexes=[{"IndexName": f"g{i:02}", "KeySchema": ks("x"),
                                       "Projection": {"ProjectionType": "ALL"}}
                                      for i in range(21)]),
         P + "GlobalSecondaryIndex count exceeds the per-table limit of 20"),
        (dict(AttributeDefinitions=defs(pk="S", sk="S", x="S", y="S"),
              GlobalSecondaryIndexes=[{"IndexName": "abc", "KeySchema": ks("x"),
                                       "Projection": {"ProjectionType": "ALL"}}]),
         P + "Some AttributeDefinitions are not used. AttributeDefinitions: [pk, sk, x, y], "
             "keys used: [pk, sk, x]"),
        (dict(AttributeDefinitions=defs(pk="S", sk="S"),
              GlobalSecondaryIndexes=[{"IndexName": "abc", "KeySchema": ks("x"),
                                       "Projection": {"ProjectionType": "ALL"}}]),
         P + "Some index key attributes are not defined in AttributeDefinitions. Keys: [x], "
             "AttributeDefinitions: [pk, sk]"),
    ]
    for change, message in cases:
        with expect_error("ValidationException", message=message):
            create(raw_ddb, **{**base, **change})
    lsis = [{"IndexName": f"l{i}xx", "KeySchema": ks("pk", "x"),
             "Projection": {"ProjectionType": "ALL"}} for i in range(6)]
    with expect_error("ValidationException",
                      message=P + "Number of LocalSecondaryIndexes exceeds per-table limit of 5"):
        create(raw_ddb, **{**base, "LocalSecondaryIndexes": lsis})


def test_index_members_are_constrained(raw_ddb):
    base = dict(KeySchema=ks("pk", "sk"), AttributeDefinitions=defs(pk="S", sk="S", x="S"))
    # Global indexes' violations are listed before local ones'.
    with expect_error("ValidationException", message=(
            "2 validation errors detected: Value 'g1' at 'globalSecondaryIndexes.1.member."
            "indexName' failed to satisfy constraint: Member must have length greater than or "
            "equal to 3; Value 'l1' at 'localSecondaryIndexes.1.member.indexName' failed to "
            "satisfy constraint: Member must have length greater than or equal to 3")):
        create(raw_ddb, **base,
               LocalSecondaryIndexes=[{"IndexName": "l1", "KeySchema": ks("pk", "x"),
                                       "Projection": {"ProjectionType": "ALL"}}],
               GlobalSecondaryIndexes=[{"IndexName": "g1", "KeySchema": ks("x"),
                                        "Projection": {"ProjectionType": "ALL"}}])
    with expect_error("ValidationException", contains=[
            "Value 'abc' at 'localSecondaryIndexes.1.member.projection.projectionType' failed "
            "to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, "
            "KEYS_ONLY]"]):
        create(raw_ddb, **base,
               LocalSecondaryIndexes=[{"IndexName": "lll", "KeySchema": ks("pk", "x"),
                                       "Projection": {"ProjectionType": "abc"}}])
    with expect_error("ValidationException", contains=[
            "Value null at 'globalSecondaryIndexes.1.member.projection' failed to satisfy "
            "constraint: Member must not be null"]):
        create(raw_ddb, **base, GlobalSecondaryIndexes=[{"IndexName": "ggg",
                                                         "KeySchema": ks("x")}])
    with expect_error("ValidationException", contains=[
            "at 'globalSecondaryIndexes.1.member.projection.nonKeyAttributes' failed to "
            "satisfy constraint: Member must have length less than or equal to 20"]):
        create(raw_ddb, **base, GlobalSecondaryIndexes=[{
            "IndexName": "ggg", "KeySchema": ks("x"),
            "Projection": {"ProjectionType": "INCLUDE",
                           "NonKeyAttributes": [f"a{i}" for i in range(21)]}}])


# --- Writes keep every index exact -------------------------------------------------------------

def gsi_items(ddb, table, index="byOwner", **kwargs):
    items, start = [], None
    while True:
        args = dict(TableName=table, IndexName=index, **kwargs)
        if start:
            args["ExclusiveStartKey"] = start
        resp = ddb.scan(**args)
        items.extend(resp["Items"])
        start = resp.get("LastEvaluatedKey")
        if not start:
            return items


def test_writes_move_items_between_index_keys(ddb, orders):
    ddb.put_item(TableName=orders, Item=item("a", "1", owner="ann", at=5, note="n1",
                                            status="new", big="x" * 10))
    q = dict(TableName=orders, IndexName="byOwner",
             KeyConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"})
    got = ddb.query(**q, ExpressionAttributeValues={":o": {"S": "ann"}})["Items"]
    assert got == [item("a", "1", owner="ann", at=5, note="n1", status="new", big="x" * 10)]
    # Moved to another owner: gone from the old key, present under the new one, once.
    ddb.update_item(TableName=orders, Key={"pk": {"S": "a"}, "sk": {"S": "1"}},
                    UpdateExpression="SET #o = :b", ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues={":b": {"S": "bob"}})
    assert ddb.query(**q, ExpressionAttributeValues={":o": {"S": "ann"}})["Items"] == []
    got = ddb.query(**q, ExpressionAttributeValues={":o": {"S": "bob"}})["Items"]
    assert [i["pk"]["S"] for i in got] == ["a"]
    # The INCLUDE index holds the keys and `note` only.
    (st,) = ddb.query(TableName=orders, IndexName="byStatus",
                      KeyConditionExpression="#s = :s", ExpressionAttributeNames={"#s": "status"},
                      ExpressionAttributeValues={":s": {"S": "new"}})["Items"]
    assert set(st) == {"pk", "sk", "status", "note"}
    # Removing an index key attribute takes the item out of that index only (sparse).
    ddb.update_item(TableName=orders, Key={"pk": {"S": "a"}, "sk": {"S": "1"}},
                    UpdateExpression="REMOVE #s", ExpressionAttributeNames={"#s": "status"})
    assert gsi_items(ddb, orders, "byStatus") == []
    assert len(gsi_items(ddb, orders, "byOwner")) == 1
    ddb.delete_item(TableName=orders, Key={"pk": {"S": "a"}, "sk": {"S": "1"}})
    assert gsi_items(ddb, orders, "byOwner") == []
    assert gsi_items(ddb, orders, "byAt") == []


def test_batch_and_transaction_writes_maintain_indexes(ddb, orders):
    ddb.batch_write_item(RequestItems={orders: [
        {"PutRequest": {"Item": item("b", str(i), owner="o", at=i)}} for i in range(10)]})
    ddb.transact_write_items(TransactItems=[
        {"Delete": {"TableName": orders, "Key": {"pk": {"S": "b"}, "sk": {"S": "0"}}}},
        {"Update": {"TableName": orders, "Key": {"pk": {"S": "b"}, "sk": {"S": "1"}},
                    "UpdateExpression": "SET #o = :p", "ExpressionAttributeNames": {"#o": "owner"},
                    "ExpressionAttributeValues": {":p": {"S": "p"}}}}])
    owners = sorted((i["owner"]["S"], i["sk"]["S"]) for i in gsi_items(ddb, orders))
    assert owners == [("o", str(i)) for i in range(2, 10)] + [("p", "1")]


def test_index_key_types_are_checked(ddb, orders):
    with expect_error("ValidationException", message=P + "Type mismatch for Index Key owner "
                      "Expected: S Actual: N IndexName: byOwner"):
        ddb.put_item(TableName=orders, Item=item("a", "1", owner=7))
    with expect_error("ValidationException", message=P + "Type mismatch for Index Key at "
                      "Expected: N Actual: S IndexName: byOwner"):
        ddb.update_item(TableName=orders, Key={"pk": {"S": "a"}, "sk": {"S": "1"}},
                        UpdateExpression="SET #a = :v", ExpressionAttributeNames={"#a": "at"},
                        ExpressionAttributeValues={":v": {"S": "x"}})
    with expect_error("ValidationException", message=(
            "One or more parameter values are not valid. A value specified for a secondary index "
            "key is not supported. The AttributeValue for a key attribute cannot contain an empty "
            "string value. IndexName: byOwner, IndexKey: owner")):
        ddb.put_item(TableName=orders, Item=item("a", "1", owner=""))
    with expect_error("ValidationException", message=(
            "One or more parameter values are not valid. The update expression attempted to "
            "update a secondary index key to a value that is not supported. The AttributeValue "
            "for a key attribute cannot contain an empty string value.")):
        ddb.update_item(TableName=orders, Key={"pk": {"S": "a"}, "sk": {"S": "1"}},
                        UpdateExpression="SET #s = :v", ExpressionAttributeNames={"#s": "status"},
                        ExpressionAttributeValues={":v": {"S": ""}})
    with expect_error("ValidationException", contains="Type mismatch for Index Key owner"):
        ddb.batch_write_item(RequestItems={orders: [
            {"PutRequest": {"Item": item("a", "2", owner=1)}}]})
    # Nothing was written by the refused requests.
    assert ddb.scan(TableName=orders)["Items"] == []


# --- Query and Scan on indexes -----------------------------------------------------------------

def test_query_an_index_in_index_key_order_with_paging(ddb, orders):
    rows = [(f"p{i % 3}", f"s{i}", f"o{i % 2}", random.randrange(100)) for i in range(60)]
    for pk, sk, owner, at in rows:
        ddb.put_item(TableName=orders, Item=item(pk, sk, owner=owner, at=at))
    for forward in (True, False):
        got, start = [], None
        while True:
            args = dict(TableName=orders, IndexName="byOwner", Limit=7,
                        KeyConditionExpression="#o = :o AND #a BETWEEN :lo AND :hi",
                        ExpressionAttributeNames={"#o": "owner", "#a": "at"},
                        ExpressionAttributeValues={":o": {"S": "o1"}, ":lo": {"N": "10"},
                                                   ":hi": {"N": "80"}},
                        ScanIndexForward=forward)
            if start:
                args["ExclusiveStartKey"] = start
            resp = ddb.query(**args)
            got.extend(resp["Items"])
            start = resp.get("LastEvaluatedKey")
            if start:
                assert set(start) == {"pk", "sk", "owner", "at"}
            else:
                break
        want = sorted(((at, pk, sk) for pk, sk, owner, at in rows
                       if owner == "o1" and 10 <= at <= 80), reverse=not forward)
        # Index order: by `at`, then by the table key (pk, sk).
        assert [(int(i["at"]["N"]), i["pk"]["S"], i["sk"]["S"]) for i in got] == want


def test_local_index_query_and_fetch(ddb, orders):
    for i in range(5):
        ddb.put_item(TableName=orders, Item=item("p", f"s{i}", at=10 - i, note=f"n{i}"))
    q = dict(TableName=orders, IndexName="byAt", KeyConditionExpression="pk = :p AND #a < :n",
             ExpressionAttributeNames={"#a": "at"},
             ExpressionAttributeValues={":p": {"S": "p"}, ":n": {"N": "9"}})
    keys_only = ddb.query(**q)["Items"]
    assert [i["sk"]["S"] for i in keys_only] == ["s4", "s3", "s2"]
    assert all(set(i) == {"pk", "sk", "at"} for i in keys_only)
    # ALL_ATTRIBUTES on a local index fetches the rest from the table; ConsistentRead is fine.
    full = ddb.query(**q, Select="ALL_ATTRIBUTES", ConsistentRead=True)["Items"]
    assert [i["note"]["S"] for i in full] == ["n4", "n3", "n2"]
    picked = ddb.query(**q, ProjectionExpression="note")["Items"]
    assert picked == [{"note": {"S": "n4"}}, {"note": {"S": "n3"}}, {"note": {"S": "n2"}}]
    assert ddb.query(**q, Select="COUNT")["Count"] == 3


def test_index_read_errors(ddb, orders):
    q = dict(TableName=orders, KeyConditionExpression="#o = :o",
             ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":o": {"S": "x"}})
    with expect_error("ValidationException",
                      message="The table does not have the specified index: nope"):
        ddb.query(IndexName="nope", **q)
    with expect_error("ValidationException",
                      message="Consistent reads are not supported on global secondary indexes"):
        ddb.query(IndexName="byOwner", ConsistentRead=True, **q)
    with expect_error("ValidationException",
                      message="Consistent reads are not supported on global secondary indexes"):
        ddb.scan(TableName=orders, IndexName="byStatus", ConsistentRead=True)
    with expect_error("ValidationException", message=(
            P + "Select type ALL_ATTRIBUTES is not supported for global secondary index byStatus "
            "because its projection type is not ALL")):
        ddb.scan(TableName=orders, IndexName="byStatus", Select="ALL_ATTRIBUTES")
    with expect_error("ValidationException", message=(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")):
        ddb.scan(TableName=orders, Select="ALL_PROJECTED_ATTRIBUTES")
    with expect_error("ValidationException",
                      message="Query condition missed key schema element: owner"):
        ddb.query(TableName=orders, IndexName="byOwner", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "x"}})
    with expect_error("ValidationException", contains="The provided starting key is invalid"):
        ddb.query(IndexName="byOwner", ExclusiveStartKey={"pk": {"S": "a"}, "sk": {"S": "b"}},
                  **q)


def test_scan_index_with_segments_reads_every_entry_once(ddb, orders):
    for i in range(40):
        ddb.put_item(TableName=orders, Item=item(f"p{i}", "s", owner=f"o{i % 7}", at=i))
    seen = []
    for seg in range(3):
        seen += gsi_items(ddb, orders, Segment=seg, TotalSegments=3)
    assert sorted(i["pk"]["S"] for i in seen) == sorted(f"p{i}" for i in range(40))
    # The segments split the key space: together they read each entry once.
    for total in (1, 2, 7, 64):
        scanned = sum(ddb.scan(TableName=orders, IndexName="byOwner", Segment=s,
                               TotalSegments=total)["ScannedCount"] for s in range(total))
        assert scanned == 40, (total, scanned)
        scanned = sum(ddb.scan(TableName=orders, Segment=s, TotalSegments=total)["ScannedCount"]
                      for s in range(total))
        assert scanned == 40, (total, scanned)
    resp = ddb.scan(TableName=orders, IndexName="byOwner", Select="ALL_PROJECTED_ATTRIBUTES",
                    Limit=5)
    assert len(resp["Items"]) == 5 and set(resp["LastEvaluatedKey"]) == {"pk", "sk", "owner", "at"}


def test_delete_table_drops_its_indexes(ddb, new_table):
    name, _ = new_table(KeySchema=ks("pk"), AttributeDefinitions=defs(pk="S", g="S"),
                        GlobalSecondaryIndexes=[{"IndexName": "gg1", "KeySchema": ks("g"),
                                                 "Projection": {"ProjectionType": "ALL"}}])
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"S": "x"}})
    d = ddb.delete_table(TableName=name)["TableDescription"]
    assert d["GlobalSecondaryIndexes"][0]["IndexName"] == "gg1"
    h.wait_gone(ddb, name)
    # A new table of the same name starts with empty indexes.
    ddb.create_table(TableName=name, KeySchema=ks("pk"), AttributeDefinitions=defs(pk="S", g="S"),
                     BillingMode="PAY_PER_REQUEST",
                     GlobalSecondaryIndexes=[{"IndexName": "gg1", "KeySchema": ks("g"),
                                              "Projection": {"ProjectionType": "ALL"}}])
    try:
        assert gsi_items(ddb, name, "gg1") == []
    finally:
        h.delete_table_quietly(ddb, name)


# --- UpdateTable: global indexes added to and removed from a live table ------------------------

def wait_index(ddb, table, index, status, timeout=60):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        t = ddb.describe_table(TableName=table)["Table"]
        found = [i for i in t.get("GlobalSecondaryIndexes", []) if i["IndexName"] == index]
        if (found[0]["IndexStatus"] if found else None) == status:
            return t
        time.sleep(0.05)
    raise AssertionError(f"index {index} never became {status}")


def test_add_query_and_delete_a_global_index_online(ddb, new_table):
    name, _ = new_table(KeySchema=ks("pk"), AttributeDefinitions=defs(pk="S"))
    for i in range(300):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}, "color": {"S": f"c{i % 3}"},
                                           "size": {"N": str(i)}})
    resp = ddb.update_table(
        TableName=name, AttributeDefinitions=defs(color="S", size="N"),
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "byColor", "KeySchema": ks("color", "size"),
            "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
    (g,) = resp["TableDescription"]["GlobalSecondaryIndexes"]
    assert g["IndexStatus"] in ("CREATING", "ACTIVE")
    t = wait_index(ddb, name, "byColor", "ACTIVE")
    assert "Backfilling" not in t["GlobalSecondaryIndexes"][0]
    assert {d["AttributeName"] for d in t["AttributeDefinitions"]} == {"pk", "color", "size"}
    got = ddb.query(TableName=name, IndexName="byColor",
                    KeyConditionExpression="color = :c AND #s < :n",
                    ExpressionAttributeNames={"#s": "size"},
                    ExpressionAttributeValues={":c": {"S": "c1"}, ":n": {"N": "10"}})["Items"]
    assert [int(i["size"]["N"]) for i in got] == [1, 4, 7]
    ddb.update_table(TableName=name,
                     GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byColor"}}])
    import time
    deadline = time.time() + 30
    while "GlobalSecondaryIndexes" in ddb.describe_table(TableName=name)["Table"]:
        assert time.time() < deadline
        time.sleep(0.05)
    assert ddb.describe_table(TableName=name)["Table"]["AttributeDefinitions"] == defs(pk="S")


def test_global_index_updates_are_checked(ddb, raw_ddb, new_table):
    name, _ = new_table(
        KeySchema=ks("pk", "sk"), AttributeDefinitions=defs(pk="S", sk="S", g="S"),
        GlobalSecondaryIndexes=[{"IndexName": "gg1", "KeySchema": ks("g"),
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "ll1", "KeySchema": ks("pk", "g"),
                                "Projection": {"ProjectionType": "ALL"}}])
    create = lambda n, key="g": {"Create": {"IndexName": n, "KeySchema": ks(key),  # noqa: E731
                                            "Projection": {"ProjectionType": "ALL"}}}
    cases = [
        ([{}], "ValidationException", P + "One of GlobalSecondaryIndexUpdate.Update, "
         "GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null"),
        ([{**create("gg2"), "Delete": {"IndexName": "gg1"}}], "ValidationException",
         P + "Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate "
             "object"),
        ([{"Delete": {"IndexName": "gg1"}}, {"Delete": {"IndexName": "gg1"}}],
         "ValidationException", P + "Only one global secondary index update per index is "
                                    "allowed simultaneously. Index: gg1"),
        ([create("gg2"), create("gg3")], "LimitExceededException",
         "Subscriber limit exceeded: Only 1 online index can be created or deleted "
         "simultaneously per table"),
        ([create("gg1")], "ValidationException", "Attempting to create an index which already "
                                                 "exists"),
        ([create("gg2", key="x")], "ValidationException",
         P + "AttributeDefinitions is not specified for index: gg2"),
        ([{"Delete": {"IndexName": "nope"}}], "ResourceNotFoundException",
         f"Requested resource not found: Index nope for table {name}"),
        ([{"Delete": {"IndexName": "ll1"}}], "ValidationException",
         "Cannot delete an index that is not a GlobalSecondaryIndex: ll1"),
        ([{"Update": {"IndexName": "ll1", "ProvisionedThroughput": {
            "ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}], "ValidationException",
         "Cannot update an index that is not a GlobalSecondaryIndex: ll1"),
        ([{"Update": {"IndexName": "gg1", "ProvisionedThroughput": {
            "ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}], "ValidationException",
         P + "The only Updates for index: gg1 when TableThroughputMode is PAY_PER_REQUEST can be "
             "to OnDemandThroughput, WarmThroughput"),
    ]
    for updates, code, message in cases:
        with expect_error(code, message=message):
            raw_ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=updates)
    with expect_error("ValidationException",
                      message=P + "List of GlobalSecondaryIndexUpdates is empty"):
        raw_ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[],
                             BillingMode="PAY_PER_REQUEST")
    # Nothing changed.
    t = ddb.describe_table(TableName=name)["Table"]
    assert [i["IndexName"] for i in t["GlobalSecondaryIndexes"]] == ["gg1"]


# --- Consumed capacity with indexes ------------------------------------------------------------

def test_index_writes_and_reads_are_charged_per_index(ddb, orders):
    def put(it, mode="INDEXES"):
        return ddb.put_item(TableName=orders, Item=it, ReturnConsumedCapacity=mode)[
            "ConsumedCapacity"]
    # A new item in byOwner (ALL) and byAt (LSI): one unit each, one for the table.
    c = put(item("a", "1", owner="o", at=1))
    assert c["CapacityUnits"] == 3
    assert c["Table"]["CapacityUnits"] == 1
    assert c["GlobalSecondaryIndexes"] == {"byOwner": {"CapacityUnits": 1}}
    assert c["LocalSecondaryIndexes"] == {"byAt": {"CapacityUnits": 1}}
    # The same item again: no index entry changes, no index is charged.
    c = put(item("a", "1", owner="o", at=1))
    assert c["CapacityUnits"] == 1 and "GlobalSecondaryIndexes" not in c
    # A sparse item (no index keys): the table only.
    c = put(item("a", "2"))
    assert c["CapacityUnits"] == 1 and "LocalSecondaryIndexes" not in c
    # Moving the item in byOwner deletes one entry and writes another: two units; TOTAL folds
    # index units into the total.
    c = ddb.update_item(TableName=orders, Key={"pk": {"S": "a"}, "sk": {"S": "1"}},
                        UpdateExpression="SET #o = :b", ExpressionAttributeNames={"#o": "owner"},
                        ExpressionAttributeValues={":b": {"S": "b"}},
                        ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert c == {"TableName": orders, "CapacityUnits": 3.0, "WriteCapacityUnits": 3.0}
    # A query of the global index charges the index, not the table.
    c = ddb.query(TableName=orders, IndexName="byOwner", KeyConditionExpression="#o = :o",
                  ExpressionAttributeNames={"#o": "owner"},
                  ExpressionAttributeValues={":o": {"S": "b"}},
                  ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert c["Table"] == {"CapacityUnits": 0.0}
    assert c["GlobalSecondaryIndexes"] == {"byOwner": {"CapacityUnits": 0.5}}
    assert c["CapacityUnits"] == 0.5


# --- Item collections (tables with local indexes) ----------------------------------------------

def test_item_collection_metrics(ddb, raw_ddb, orders, table):
    r = ddb.put_item(TableName=orders, Item=item("a", "1", at=1),
                     ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == {"ItemCollectionKey": {"pk": {"S": "a"}},
                                          "SizeEstimateRangeGB": [0.0, 1.0]}
    # Not asked, or a table without local indexes: none.
    assert "ItemCollectionMetrics" not in ddb.put_item(TableName=orders, Item=item("a", "2"))
    r = ddb.put_item(TableName=table, Item={"pk": {"S": "x"}}, ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in r
    r = ddb.delete_item(TableName=orders, Key={"pk": {"S": "a"}, "sk": {"S": "2"}},
                        ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": {"S": "a"}}
    r = ddb.batch_write_item(RequestItems={orders: [{"PutRequest": {"Item": item("b", "1")}},
                                                    {"PutRequest": {"Item": item("c", "1")}}]},
                             ReturnItemCollectionMetrics="SIZE")
    keys = [m["ItemCollectionKey"]["pk"]["S"] for m in r["ItemCollectionMetrics"][orders]]
    assert sorted(keys) == ["b", "c"]
    # A ConditionCheck writes nothing and reports no collection.
    r = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": orders, "Item": item("d", "1")}},
        {"ConditionCheck": {"TableName": orders, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                            "ConditionExpression": "attribute_exists(pk)"}}],
        ReturnItemCollectionMetrics="SIZE")
    (only,) = r["ItemCollectionMetrics"][orders]
    assert only["ItemCollectionKey"] == {"pk": {"S": "d"}}
    with expect_error("ValidationException", message=(
            "1 validation error detected: Value 'ALL' at 'returnItemCollectionMetrics' failed to "
            "satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]")):
        raw_ddb.put_item(TableName=orders, Item=item("a", "1"), ReturnItemCollectionMetrics="ALL")
