"""Time to Live through boto3: UpdateTimeToLive and DescribeTimeToLive with DynamoDB's
checks, and the expirer deleting expired items through the write path (their index entries
and a REMOVE stream record with DynamoDB's service identity go with them).

The server must run with a short scan interval and cooldown: `--ttl-scan-interval 1
--ttl-change-cooldown 3` (the harness starts it so)."""

import time

import pytest

import dynamo_helpers as h

COOLDOWN = 3.2


@pytest.fixture(scope="session")
def streams():
    return h.make_session().client("dynamodbstreams", endpoint_url=h.ENDPOINT,
                                   config=h.client_config(True))


def spec(enabled, name="exp"):
    return {"Enabled": enabled, "AttributeName": name}


def test_describe_enable_disable_and_every_refusal(ddb, raw_ddb, table):
    assert ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"}
    with h.expect_error("ValidationException", "TimeToLive is already disabled"):
        ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=spec(False))
    out = ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=spec(True))
    assert out["TimeToLiveSpecification"] == spec(True)
    assert ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    with h.expect_error("ValidationException", "TimeToLive is already enabled"):
        ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=spec(True))
    for enabled in (True, False):
        with h.expect_error("ValidationException", "TimeToLive is active on a different AttributeName: current AttributeName is exp"):
            ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=spec(enabled, "other"))
    with h.expect_error("ValidationException", "Time to live has been modified multiple times within a fixed interval"):
        ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=spec(False))
    time.sleep(COOLDOWN)
    out = ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=spec(False))
    assert out["TimeToLiveSpecification"] == spec(False)
    assert ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"}
    missing = h.unique_name()
    for call in (lambda: ddb.describe_time_to_live(TableName=missing),
                 lambda: ddb.update_time_to_live(TableName=missing, TimeToLiveSpecification=spec(True))):
        with h.expect_error("ResourceNotFoundException", f"Requested resource not found: Table: {missing} not found"):
            call()
    with h.expect_error("ValidationException", "1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1"):
        raw_ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=spec(True, ""))
    with h.expect_error("ValidationException", contains="Member must have length less than or equal to 255"):
        raw_ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=spec(True, "a" * 256))
    with h.expect_error("ValidationException", "1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null"):
        raw_ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"AttributeName": "exp"})
    with h.expect_error("ValidationException", "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null"):
        raw_ddb.update_time_to_live(TableName=table)


def test_expired_items_are_deleted_with_their_index_entries_and_a_service_record(ddb, streams):
    name = h.unique_name()
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    try:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec(True))
        now = int(time.time())
        items = {
            "gone": {"N": str(now - 10)},
            "decimal": {"N": f"{now - 5}.5"},
            "future": {"N": str(now + 3600)},
            "string": {"S": str(now - 10)},
            "ancient": {"N": "1"},
        }
        for pk, exp in items.items():
            ddb.put_item(TableName=name, Item={"pk": {"S": pk}, "g": {"S": "x"}, "exp": exp})
        ddb.put_item(TableName=name, Item={"pk": {"S": "none"}, "g": {"S": "x"}})
        deadline = time.monotonic() + 15
        while True:
            left = {i["pk"]["S"] for i in ddb.scan(TableName=name, ConsistentRead=True)["Items"]}
            if "gone" not in left and "decimal" not in left or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert left == {"future", "string", "ancient", "none"}
        in_index = {i["pk"]["S"] for i in ddb.query(
            TableName=name, IndexName="byg", KeyConditionExpression="g = :x",
            ExpressionAttributeValues={":x": {"S": "x"}})["Items"]}
        assert in_index == left, "index entries go with their items"
        arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
        removes = []
        for s in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            it = streams.get_shard_iterator(StreamArn=arn, ShardId=s["ShardId"],
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            removes += [r for r in streams.get_records(ShardIterator=it)["Records"]
                        if r["eventName"] == "REMOVE"]
        assert sorted(r["dynamodb"]["Keys"]["pk"]["S"] for r in removes) == ["decimal", "gone"]
        for r in removes:
            assert r["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
            assert r["dynamodb"]["OldImage"]["exp"] == items[r["dynamodb"]["Keys"]["pk"]["S"]]
    finally:
        h.delete_table_quietly(ddb, name)
