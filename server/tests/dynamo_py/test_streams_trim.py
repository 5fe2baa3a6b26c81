"""TrimmedDataAccessException through boto3: needs a server whose streams roll over and trim
within seconds (`--stream-shard-rollover 1 --stream-retention 2`); the Rust harness
(`tests/dynamo_clients.rs`) starts one and sets SHALE_SHORT_STREAM_RETENTION=1. Skipped
otherwise (the shared server keeps records 24 hours)."""

import os
import time

import pytest

import dynamo_helpers as h

pytestmark = pytest.mark.skipif(os.environ.get("SHALE_SHORT_STREAM_RETENTION") != "1",
                                reason="needs a server with --stream-retention 2")


def test_a_lagging_reader_is_told_its_records_were_trimmed(ddb, make_table):
    streams = h.make_session().client("dynamodbstreams", endpoint_url=h.ENDPOINT,
                                      config=h.client_config(True))
    name = make_table()
    arn = ddb.update_table(TableName=name, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})["TableDescription"]["LatestStreamArn"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "early"}})
    first = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=first,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    deadline = time.monotonic() + 30
    while True:
        try:
            streams.get_records(ShardIterator=it)
        except streams.exceptions.TrimmedDataAccessException as e:
            assert e.response["Error"]["Message"] == "The data you are trying to access has been trimmed"
            break
        assert time.monotonic() < deadline, "the first generation was never trimmed"
        time.sleep(0.25)
    with h.expect_error("TrimmedDataAccessException", "The data you are trying to access has been trimmed"):
        streams.get_shard_iterator(StreamArn=arn, ShardId=first, ShardIteratorType="TRIM_HORIZON")
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    assert first not in [s["ShardId"] for s in shards]
