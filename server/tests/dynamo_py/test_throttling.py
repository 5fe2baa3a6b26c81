"""Throttling through boto3: a provisioned table past its capacity answers
ProvisionedThroughputExceededException (with ThrottlingReasons), batches answer the requests
capacity did not admit as UnprocessedItems / UnprocessedKeys, and an on-demand table past its
OnDemandThroughput answers ThrottlingException. The server's clock runs in real time here;
the exact arithmetic is checked with a controlled clock in server/tests/dynamo_capacity.rs.
"""

import botocore.exceptions
import pytest

import dynamo_helpers as h


def big_item(pk):
    return {"pk": {"S": pk}, "d": {"S": "x" * 20_000}}


def test_batch_write_leaves_unprocessed_items_then_throttles(make_table, ddb):
    name = make_table(billing="PROVISIONED", throughput=(1, 1))
    # 1 WCU holds 300 units of burst; 25 items of 20 KB cost 500.
    reqs = [{"PutRequest": {"Item": big_item(f"k{i:02}")}} for i in range(25)]
    resp = ddb.batch_write_item(RequestItems={name: reqs}, ReturnConsumedCapacity="TOTAL")
    left = resp["UnprocessedItems"].get(name, [])
    assert 0 < len(left) < 25
    assert left[0]["PutRequest"]["Item"]["pk"]["S"] == f"k{25 - len(left):02}"
    assert resp["ConsumedCapacity"][0]["CapacityUnits"] == 20.0 * (25 - len(left))
    # The bucket refills at 1 unit a second: a 350 KB item, admitted while it holds any unit,
    # leaves a debt of minutes (or is refused already).
    try:
        ddb.put_item(TableName=name, Item={"pk": {"S": "huge"}, "d": {"S": "x" * 350_000}})
    except botocore.exceptions.ClientError:
        pass
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.put_item(TableName=name, Item=big_item("late"))
    err = e.value.response
    assert err["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert err["Error"]["Message"].startswith(
        "The level of configured provisioned throughput for the table was exceeded")
    assert err["ThrottlingReasons"][0]["reason"] == "TableWriteProvisionedThroughputExceeded"
    assert err["ThrottlingReasons"][0]["resource"].endswith(f":table/{name}")
    # The throttled put wrote nothing.
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "late"}})


def test_batch_get_leaves_unprocessed_keys(make_table, ddb):
    name = make_table(billing="PROVISIONED", throughput=(1, 5))
    # Use up the read burst (300 units) but a few: 290 strongly consistent reads.
    for _ in range(290):
        ddb.get_item(TableName=name, Key={"pk": {"S": "none"}}, ConsistentRead=True)
    keys = [{"pk": {"S": f"n{i}"}} for i in range(100)]
    resp = ddb.batch_get_item(RequestItems={name: {"Keys": keys, "ConsistentRead": True}})
    left = resp["UnprocessedKeys"][name]["Keys"]
    assert 80 <= len(left) <= 90, len(left)


def test_on_demand_maximum_throttles_with_throttling_exception(ddb):
    name = h.unique_name("shale")
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        OnDemandThroughput={"MaxReadRequestUnits": 1, "MaxWriteRequestUnits": 100},
    )
    try:
        desc = h.wait_active(ddb, name)
        assert desc["OnDemandThroughput"] == {"MaxReadRequestUnits": 1, "MaxWriteRequestUnits": 100}
        # The client makes one attempt (dynamo_helpers.client_config): throttling surfaces.
        with pytest.raises(botocore.exceptions.ClientError) as e:
            for _ in range(50):
                ddb.get_item(TableName=name, Key={"pk": {"S": "a"}}, ConsistentRead=True)
        err = e.value.response
        assert err["Error"]["Code"] == "ThrottlingException"
        assert err["throttlingReasons"][0]["reason"] == "TableReadMaxOnDemandThroughputExceeded"
    finally:
        h.delete_table_quietly(ddb, name)


def test_describe_limits_answers_this_servers_limits(ddb):
    limits = ddb.describe_limits()
    assert limits["TableMaxReadCapacityUnits"] == 40000
    assert limits["TableMaxWriteCapacityUnits"] == 40000
    assert limits["AccountMaxReadCapacityUnits"] >= limits["TableMaxReadCapacityUnits"]
    assert limits["AccountMaxWriteCapacityUnits"] >= limits["TableMaxWriteCapacityUnits"]
