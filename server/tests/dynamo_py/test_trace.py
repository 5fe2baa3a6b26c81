"""The per-request latency breakdown (`x-shale-trace`, docs/format/trace.md) through boto3: a
client adds the request header with an event hook and reads the answer's header from the
response metadata, for DynamoDB and for CloudWatch (whatever protocol botocore picks)."""

import botocore.exceptions
import pytest

import dynamo_helpers as h


def traced(client, value="1"):
    """`client` with every request carrying `x-shale-trace: value`."""
    def add(request, **_):
        request.headers["x-shale-trace"] = value
    client.meta.events.register("before-sign.*.*", add)
    return client


def figures(response):
    value = response["ResponseMetadata"]["HTTPHeaders"]["x-shale-trace"]
    pairs = [p.split("=") for p in value.split(", ")]
    return {name: int(v) for name, v in pairs}


def test_a_write_and_a_read_answer_their_engine_breakdown(make_table):
    table = make_table()
    ddb = traced(h.make_client())
    put = figures(ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"S": "x" * 100}}))
    assert put["wal_bytes"] > 100
    assert put["memtable_insert_nanos"] > 0 and put["wal_nanos"] + put["fsync_nanos"] > 0
    got = ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})
    assert got["Item"]["v"]["S"] == "x" * 100
    f = figures(got)
    assert f["memtable_hits"] >= 1 and f["wal_bytes"] == 0
    assert f["operation_nanos"] >= f["memtable_nanos"] + f["table_nanos"]


def test_untraced_requests_carry_no_header_and_a_bad_value_is_refused(make_table):
    table = make_table()
    plain = h.make_client()
    r = plain.get_item(TableName=table, Key={"pk": {"S": "a"}})
    assert "x-shale-trace" not in r["ResponseMetadata"]["HTTPHeaders"]
    bad = traced(h.make_client(), "yes")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        bad.put_item(TableName=table, Item={"pk": {"S": "b"}})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "x-shale-trace" in e.value.response["Error"]["Message"]
    assert "Item" not in plain.get_item(TableName=table, Key={"pk": {"S": "b"}})


def test_other_services_answer_it_too():
    cw = traced(h.make_service_client("cloudwatch"))
    f = figures(cw.list_metrics(Namespace="AWS/DynamoDB"))
    assert f["operation_nanos"] > 0
