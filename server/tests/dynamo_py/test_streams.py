"""DynamoDB Streams through boto3: StreamSpecification on CreateTable and UpdateTable, the
stream fields of DescribeTable, and the Streams API (ListStreams, DescribeStream,
GetShardIterator, GetRecords) with its records and errors."""

import pytest

import dynamo_helpers as h


@pytest.fixture(scope="session")
def streams():
    return h.make_session().client("dynamodbstreams", endpoint_url=h.ENDPOINT,
                                   config=h.client_config(True))


@pytest.fixture(scope="session")
def raw_streams():
    return h.make_session().client("dynamodbstreams", endpoint_url=h.ENDPOINT,
                                   config=h.client_config(False))


def make_stream_table(ddb, make_table, view="NEW_AND_OLD_IMAGES", range_key=("sk", "S")):
    name = make_table(range_key=range_key)
    d = ddb.update_table(TableName=name,
                         StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    return name, d["TableDescription"]["LatestStreamArn"]


def read_all(streams, arn):
    """Every record of every shard, parents before children, as (shard id, record)."""
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    out = []
    for s in shards:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=s["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for _ in range(100):
            r = streams.get_records(ShardIterator=it)
            out.extend((s["ShardId"], rec) for rec in r["Records"])
            it = r.get("NextShardIterator")
            if it is None or not r["Records"]:
                break
    return out


def test_enabling_describes_and_lists_the_stream(ddb, streams, make_table):
    name, arn = make_stream_table(ddb, make_table, view="KEYS_ONLY")
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    assert t["LatestStreamArn"] == arn
    assert arn == f"{t['TableArn']}/stream/{t['LatestStreamLabel']}"
    assert len(t["LatestStreamLabel"]) == 23 and t["LatestStreamLabel"][10] == "T"
    listed = streams.list_streams(TableName=name)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": name, "StreamLabel": t["LatestStreamLabel"]}]
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert d["StreamStatus"] == "ENABLED" and d["StreamViewType"] == "KEYS_ONLY"
    assert d["TableName"] == name
    assert [k["KeyType"] for k in d["KeySchema"]] == ["HASH", "RANGE"]
    assert len(d["Shards"]) >= 1
    for s in d["Shards"]:
        assert s["ShardId"].startswith("shardId-") and len(s["ShardId"]) == 37
        assert len(s["SequenceNumberRange"]["StartingSequenceNumber"]) == 21


def test_stream_specification_errors(ddb, raw_ddb, make_table):
    name, _ = make_stream_table(ddb, make_table)
    with h.expect_error("ValidationException",
                        f"Table already has an enabled stream: TableName: {name}"):
        ddb.update_table(TableName=name,
                         StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    with h.expect_error("ValidationException", "One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required"):
        ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True})
    with h.expect_error("ValidationException", "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified"):
        ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False,
                                                              "StreamViewType": "KEYS_ONLY"})
    with h.expect_error("ValidationException", contains="at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [OLD_IMAGE, KEYS_ONLY, NEW_AND_OLD_IMAGES, NEW_IMAGE]"):
        raw_ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                                  "StreamViewType": "new_image"})
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    with h.expect_error("ValidationException", f"Table has no stream to disable: TableName: {name}"):
        ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    plain = make_table()
    with h.expect_error("ValidationException", f"Table has no stream to disable: TableName: {plain}"):
        ddb.update_table(TableName=plain, StreamSpecification={"StreamEnabled": False})
    with h.expect_error("ValidationException", "One or more parameter values were invalid: You cannot modify stream status while updating table IOPS"):
        ddb.update_table(TableName=plain, BillingMode="PROVISIONED",
                         ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                         StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})


def test_create_table_with_a_stream_and_its_errors(ddb, make_table):
    name = h.unique_name()
    base = dict(TableName=name, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    with h.expect_error("ValidationException", "One or more parameter values were invalid: Table is being created with a stream enabled, UpdateViewType is required"):
        ddb.create_table(**base, StreamSpecification={"StreamEnabled": True})
    with h.expect_error("ValidationException", "One or more parameter values were invalid: Table is being created with a stream disabled, UpdateViewType should not be specified"):
        ddb.create_table(**base, StreamSpecification={"StreamEnabled": False,
                                                      "StreamViewType": "KEYS_ONLY"})
    try:
        d = ddb.create_table(**base, StreamSpecification={"StreamEnabled": True,
                                                          "StreamViewType": "NEW_IMAGE"})
        t = d["TableDescription"]
        assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
        ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
        assert h.make_session().client("dynamodbstreams", endpoint_url=h.ENDPOINT).list_streams(
            TableName=name)["Streams"][0]["StreamArn"] == t["LatestStreamArn"]
    finally:
        h.delete_table_quietly(ddb, name)


def test_records_per_view_type_and_no_record_for_no_change(ddb, streams, make_table):
    for view in ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]:
        name, arn = make_stream_table(ddb, make_table, view=view)
        k = {"pk": {"S": "a"}, "sk": {"S": "b"}}
        ddb.put_item(TableName=name, Item={**k, "data": {"S": "old"}})
        ddb.put_item(TableName=name, Item={**k, "data": {"S": "old"}})  # no change: no record
        ddb.update_item(TableName=name, Key=k, UpdateExpression="SET #d = :v",
                        ExpressionAttributeNames={"#d": "data"},
                        ExpressionAttributeValues={":v": {"S": "test"}})
        ddb.delete_item(TableName=name, Key=k)
        ddb.delete_item(TableName=name, Key=k)  # nothing to delete: no record
        records = [r for _, r in read_all(streams, arn)]
        assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"], view
        seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
        assert seqs == sorted(seqs) and len(set(seqs)) == 3
        for r in records:
            assert r["eventSource"] == "aws:dynamodb" and r["eventVersion"] == "1.1"
            assert r["awsRegion"] == "us-east-1" and len(r["eventID"]) == 32
            assert r["dynamodb"]["Keys"] == k and r["dynamodb"]["StreamViewType"] == view
            assert "userIdentity" not in r
        ins, mod, rem = (r["dynamodb"] for r in records)
        new = view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
        old = view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
        assert ("NewImage" in ins, "OldImage" in ins) == (new, False)
        assert ("NewImage" in mod, "OldImage" in mod) == (new, old)
        assert ("NewImage" in rem, "OldImage" in rem) == (False, old)
        if view == "NEW_AND_OLD_IMAGES":
            assert mod["OldImage"]["data"] == {"S": "old"} and mod["NewImage"]["data"] == {"S": "test"}
            # DynamoDB's sizes: Keys 6, the old image 13, the new one 14.
            assert (ins["SizeBytes"], mod["SizeBytes"], rem["SizeBytes"]) == (6 + 13, 6 + 13 + 14, 6 + 14)


def test_batches_and_transactions_write_one_record_per_item(ddb, streams, make_table):
    name, arn = make_stream_table(ddb, make_table, view="NEW_IMAGE")
    ddb.batch_write_item(RequestItems={name: [
        {"PutRequest": {"Item": {"pk": {"S": f"p{i}"}, "sk": {"S": "s"}}}} for i in range(10)]})
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": {"S": "t1"}, "sk": {"S": "s"}}}},
        {"Delete": {"TableName": name, "Key": {"pk": {"S": "p0"}, "sk": {"S": "s"}}}},
        {"ConditionCheck": {"TableName": name, "Key": {"pk": {"S": "p1"}, "sk": {"S": "s"}},
                            "ConditionExpression": "attribute_exists(pk)"}},
    ])
    records = [r for _, r in read_all(streams, arn)]
    names = sorted((r["dynamodb"]["Keys"]["pk"]["S"], r["eventName"]) for r in records)
    assert len(records) == 12
    assert ("t1", "INSERT") in names and ("p0", "REMOVE") in names
    assert sum(1 for n in names if n[0] == "p1") == 1, "a condition check writes nothing"


def test_iterators_positions_and_paging(ddb, streams, make_table):
    name, arn = make_stream_table(ddb, make_table, view="KEYS_ONLY", range_key=None)
    for i in range(5):
        ddb.put_item(TableName=name, Item={"pk": {"S": "same"}, "n": {"N": str(i)}})
    by_shard = {}
    for sid, r in read_all(streams, arn):
        by_shard.setdefault(sid, []).append(r)
    [(sid, recs)] = [(s, r) for s, r in by_shard.items() if r]
    assert len(recs) == 5, "one item's records stay in one shard"
    seqs = [r["dynamodb"]["SequenceNumber"] for r in recs]
    at = streams.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                    SequenceNumber=seqs[2])["ShardIterator"]
    got = streams.get_records(ShardIterator=at, Limit=2)
    assert [r["dynamodb"]["SequenceNumber"] for r in got["Records"]] == seqs[2:4]
    got = streams.get_records(ShardIterator=got["NextShardIterator"])
    assert [r["dynamodb"]["SequenceNumber"] for r in got["Records"]] == seqs[4:]
    after = streams.get_shard_iterator(StreamArn=arn, ShardId=sid,
                                       ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                       SequenceNumber=seqs[4])["ShardIterator"]
    empty = streams.get_records(ShardIterator=after)
    assert empty["Records"] == [] and "NextShardIterator" in empty, "an open shard goes on"
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=sid,
                                        ShardIteratorType="LATEST")["ShardIterator"]
    assert streams.get_records(ShardIterator=latest)["Records"] == []
    ddb.put_item(TableName=name, Item={"pk": {"S": "same"}, "n": {"N": "99"}})
    assert len(streams.get_records(ShardIterator=latest)["Records"]) == 1
    # ListStreams and DescribeStream page.
    page = streams.describe_stream(StreamArn=arn, Limit=1)["StreamDescription"]
    assert len(page["Shards"]) == 1 and page["LastEvaluatedShardId"] == page["Shards"][0]["ShardId"]
    rest = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=page["LastEvaluatedShardId"])
    assert page["Shards"][0] not in rest["StreamDescription"]["Shards"]
    garbage = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId="shardId-zzzzzzzzzzzzzzzzzzzzzzzzzzz")
    assert garbage["StreamDescription"]["Shards"] == []


def test_disabled_streams_stay_readable_and_closed_shards_end(ddb, streams, make_table):
    name, arn = make_stream_table(ddb, make_table, view="KEYS_ONLY", range_key=None)
    ddb.put_item(TableName=name, Item={"pk": {"S": "x"}})
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    t = ddb.describe_table(TableName=name)["Table"]
    assert "StreamSpecification" not in t and t["LatestStreamArn"] == arn
    ddb.put_item(TableName=name, Item={"pk": {"S": "y"}})  # after the disable: no record
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert d["StreamStatus"] == "DISABLED"
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in d["Shards"])
    records = read_all(streams, arn)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for _, r in records] == ["x"]
    for s in d["Shards"]:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=s["ShardId"],
                                        ShardIteratorType="LATEST")["ShardIterator"]
        r = streams.get_records(ShardIterator=it)
        assert r["Records"] == [] and "NextShardIterator" not in r
    # Enabling again makes a new stream; both are listed.
    d2 = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                              "StreamViewType": "NEW_IMAGE"})
    arn2 = d2["TableDescription"]["LatestStreamArn"]
    assert arn2 != arn
    listed = {s["StreamArn"] for s in streams.list_streams(TableName=name)["Streams"]}
    assert listed == {arn, arn2}
    # Deleting the table disables its stream; it stays readable.
    ddb.delete_table(TableName=name)
    h.wait_gone(ddb, name)
    assert streams.describe_stream(StreamArn=arn2)["StreamDescription"]["StreamStatus"] == "DISABLED"


def test_streams_api_errors(ddb, streams, raw_streams, make_table):
    name, arn = make_stream_table(ddb, make_table, view="KEYS_ONLY")
    missing = arn.rsplit("/", 1)[0] + "/1999-01-01T00:00:00.000"
    with h.expect_error("ResourceNotFoundException", f"Requested resource not found: Stream: {missing} not found"):
        streams.describe_stream(StreamArn=missing)
    with h.expect_error("ValidationException", "Invalid StreamArn"):
        raw_streams.describe_stream(StreamArn="x" * 40)
    with h.expect_error("ValidationException", contains="at 'streamArn' failed to satisfy constraint: Member must have length greater than or equal to 37"):
        raw_streams.describe_stream(StreamArn="fake-stream")
    sid = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    with h.expect_error("ResourceNotFoundException", "Requested resource not found: Shard does not exist"):
        streams.get_shard_iterator(StreamArn=arn, ShardId="shardId-00000000000000000001-00000000",
                                   ShardIteratorType="LATEST")
    with h.expect_error("ValidationException", contains="Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER]"):
        raw_streams.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="bulle")
    with h.expect_error("ValidationException", contains="SequenceNumber is required"):
        streams.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="AT_SEQUENCE_NUMBER")
    with h.expect_error("ValidationException", contains="may not be given"):
        streams.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="LATEST",
                                   SequenceNumber="0" * 21)
    with h.expect_error("ValidationException", "Invalid ShardIterator"):
        streams.get_records(ShardIterator="x" * 55)
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="LATEST")["ShardIterator"]
    for bad in (1001, 0):
        with h.expect_error("ValidationException", contains="at 'limit' failed to satisfy constraint"):
            raw_streams.get_records(ShardIterator=it, Limit=bad)
    with h.expect_error("ValidationException", contains="Member must have value less than or equal to 100"):
        raw_streams.list_streams(Limit=100000)
    assert streams.list_streams(TableName=h.unique_name())["Streams"] == []


def forge(iterator, issued_ms=None, crc_ok=True):
    """The iterator with another issue time (the format is in docs/format/dynamodb.md)."""
    import base64
    import struct
    import zlib
    arn, blob = iterator.rsplit("|1|", 1)
    raw = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
    body = bytearray(raw[:23])
    if issued_ms is not None:
        struct.pack_into(">Q", body, 15, issued_ms)
    crc = zlib.crc32(arn.encode() + bytes(body)) ^ (0 if crc_ok else 1)
    out = bytes(body) + struct.pack(">I", crc)
    return f"{arn}|1|" + base64.urlsafe_b64encode(out).decode().rstrip("=")


def test_iterators_expire_after_15_minutes_and_are_checked(ddb, streams, make_table):
    import time
    name, arn = make_stream_table(ddb, make_table, view="KEYS_ONLY")
    sid = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=sid,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert streams.get_records(ShardIterator=forge(it))["Records"] == []
    old = int(time.time() * 1000) - 16 * 60 * 1000
    with h.expect_error("ExpiredIteratorException", "The provided iterator exceeds the maximum age allowed."):
        streams.get_records(ShardIterator=forge(it, issued_ms=old))
    fresh = int(time.time() * 1000) - 14 * 60 * 1000
    assert "Records" in streams.get_records(ShardIterator=forge(it, issued_ms=fresh))
    with h.expect_error("ValidationException", "Invalid ShardIterator"):
        streams.get_records(ShardIterator=forge(it, crc_ok=False))
