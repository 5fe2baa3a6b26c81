"""The AWS CLI (`aws dynamodb ...`) against the server: table lifecycle, items, query, paginated
scan, batch writes from a file, and how a service error surfaces (exit code and stderr); the
streams and CloudWatch commands (`aws dynamodbstreams ...`, `aws cloudwatch ...`)."""

import json
from datetime import datetime, timedelta, timezone

import dynamo_helpers as h
from dynamo_helpers import run_cli


def js(obj):
    return json.dumps(obj)


def test_cli_table_lifecycle(ddb):
    name = h.unique_name("cli")
    try:
        out = run_cli("create-table", "--table-name", name,
                      "--attribute-definitions", "AttributeName=pk,AttributeType=S",
                      "AttributeName=sk,AttributeType=N",
                      "--key-schema", "AttributeName=pk,KeyType=HASH",
                      "AttributeName=sk,KeyType=RANGE",
                      "--billing-mode", "PAY_PER_REQUEST").json
        desc = out["TableDescription"]
        assert desc["TableName"] == name
        assert desc["TableStatus"] in ("CREATING", "ACTIVE")
        assert desc["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                     {"AttributeName": "sk", "KeyType": "RANGE"}]
        res = run_cli("wait", "table-exists", "--table-name", name)
        assert res.stdout.strip() == ""
        desc = run_cli("describe-table", "--table-name", name).json["Table"]
        assert desc["TableStatus"] == "ACTIVE"
        assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert desc["ItemCount"] == 0
        listed = run_cli("list-tables").json["TableNames"]
        assert name in listed
        out = run_cli("delete-table", "--table-name", name).json
        assert out["TableDescription"]["TableName"] == name
        h.wait_gone(ddb, name)
        res = run_cli("describe-table", "--table-name", name, check=False)
        assert res.returncode == h.cli_service_error_exit_code()
        assert (f"An error occurred (ResourceNotFoundException) when calling the DescribeTable "
                f"operation: Requested resource not found: Table: {name} not found") in res.stderr
    finally:
        h.delete_table_quietly(ddb, name)


def test_cli_item_operations(table_hn):
    t = table_hn
    run_cli("put-item", "--table-name", t, "--item",
            js({"pk": {"S": "a"}, "sk": {"N": "1.50"}, "v": {"S": "one"},
                "tags": {"SS": ["x", "y"]}}))
    out = run_cli("get-item", "--table-name", t, "--consistent-read",
                  "--key", js({"pk": {"S": "a"}, "sk": {"N": "1.5"}})).json
    item = out["Item"]
    assert item["pk"] == {"S": "a"}
    assert item["sk"] == {"N": "1.5"}
    assert item["v"] == {"S": "one"}
    assert sorted(item["tags"]["SS"]) == ["x", "y"]

    out = run_cli("update-item", "--table-name", t,
                  "--key", js({"pk": {"S": "a"}, "sk": {"N": "1.5"}}),
                  "--update-expression", "SET v = :v, n = if_not_exists(n, :z) + :one",
                  "--expression-attribute-values",
                  js({":v": {"S": "two"}, ":z": {"N": "0"}, ":one": {"N": "1"}}),
                  "--return-values", "UPDATED_NEW").json
    assert out["Attributes"] == {"v": {"S": "two"}, "n": {"N": "1"}}

    out = run_cli("update-item", "--table-name", t,
                  "--key", js({"pk": {"S": "a"}, "sk": {"N": "1.5"}}),
                  "--update-expression", "REMOVE tags", "--return-values", "ALL_NEW").json
    assert out["Attributes"] == {"pk": {"S": "a"}, "sk": {"N": "1.5"}, "v": {"S": "two"},
                                 "n": {"N": "1"}}

    out = run_cli("delete-item", "--table-name", t,
                  "--key", js({"pk": {"S": "a"}, "sk": {"N": "1.5"}}),
                  "--return-values", "ALL_OLD").json
    assert out["Attributes"]["v"] == {"S": "two"}
    out = run_cli("get-item", "--table-name", t, "--consistent-read",
                  "--key", js({"pk": {"S": "a"}, "sk": {"N": "1.5"}})).json
    assert "Item" not in (out or {})


def test_cli_query(ddb, table_hn):
    for i in range(8):
        ddb.put_item(TableName=table_hn, Item={"pk": {"S": "q"}, "sk": {"N": str(i)},
                                               "odd": {"BOOL": i % 2 == 1}})
    ddb.put_item(TableName=table_hn, Item={"pk": {"S": "other"}, "sk": {"N": "0"}})
    out = run_cli("query", "--table-name", table_hn, "--consistent-read",
                  "--key-condition-expression", "pk = :p AND sk BETWEEN :lo AND :hi",
                  "--filter-expression", "odd = :t",
                  "--expression-attribute-values",
                  js({":p": {"S": "q"}, ":lo": {"N": "2"}, ":hi": {"N": "6"}, ":t": {"BOOL": True}}),
                  "--no-scan-index-forward").json
    assert [i["sk"]["N"] for i in out["Items"]] == ["5", "3"]
    assert out["Count"] == 2
    assert out["ScannedCount"] == 5


def test_cli_scan_pagination(ddb, table):
    keys = [f"k{i:02}" for i in range(7)]
    for k in keys:
        ddb.put_item(TableName=table, Item={"pk": {"S": k}})
    # The CLI paginates by itself: every item, fetched 2 per request.
    out = run_cli("scan", "--table-name", table, "--page-size", "2").json
    assert sorted(i["pk"]["S"] for i in out["Items"]) == keys
    assert out["Count"] == 7
    # --max-items stops early and hands back a NextToken to resume from.
    first = run_cli("scan", "--table-name", table, "--page-size", "2", "--max-items", "3").json
    assert len(first["Items"]) == 3
    assert first["NextToken"]
    rest = run_cli("scan", "--table-name", table, "--page-size", "2",
                   "--starting-token", first["NextToken"]).json
    got = [i["pk"]["S"] for i in first["Items"]] + [i["pk"]["S"] for i in rest["Items"]]
    assert sorted(got) == keys
    assert len(got) == len(set(got))
    # --no-paginate makes exactly one request.
    one = run_cli("scan", "--table-name", table, "--limit", "4", "--no-paginate").json
    assert len(one["Items"]) == 4
    assert "LastEvaluatedKey" in one


def test_cli_batch_write_from_file(ddb, table, tmp_path):
    req = {table: [{"PutRequest": {"Item": {"pk": {"S": f"b{i}"}, "n": {"N": str(i)}}}}
                   for i in range(5)] + [{"DeleteRequest": {"Key": {"pk": {"S": "gone"}}}}]}
    ddb.put_item(TableName=table, Item={"pk": {"S": "gone"}})
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(req))
    out = run_cli("batch-write-item", "--request-items", f"file://{path}").json
    assert out["UnprocessedItems"] == {}
    items = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
    assert sorted(i["pk"]["S"] for i in items) == [f"b{i}" for i in range(5)]


def test_cli_condition_failure(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "c"}})
    res = run_cli("put-item", "--table-name", table, "--item", js({"pk": {"S": "c"}}),
                  "--condition-expression", "attribute_not_exists(pk)", check=False)
    assert res.returncode == h.cli_service_error_exit_code()
    assert res.stdout.strip() == ""
    assert ("An error occurred (ConditionalCheckFailedException) when calling the PutItem "
            "operation: The conditional request failed") in res.stderr


def test_cli_validation_error(table):
    res = run_cli("get-item", "--table-name", table, "--key", js({"pk": {"N": "1"}}), check=False)
    assert res.returncode == h.cli_service_error_exit_code()
    assert ("An error occurred (ValidationException) when calling the GetItem operation: The "
            "provided key element does not match the schema") in res.stderr


def test_cli_return_consumed_capacity(table):
    out = run_cli("put-item", "--table-name", table, "--item", js({"pk": {"S": "cc"}}),
                  "--return-consumed-capacity", "TOTAL").json
    assert out["ConsumedCapacity"]["TableName"] == table
    assert out["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_cli_streams_and_ttl(ddb):
    name = h.unique_name("cli")
    try:
        out = run_cli("create-table", "--table-name", name,
                      "--attribute-definitions", "AttributeName=pk,AttributeType=S",
                      "--key-schema", "AttributeName=pk,KeyType=HASH",
                      "--billing-mode", "PAY_PER_REQUEST",
                      "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_IMAGE").json
        arn = out["TableDescription"]["LatestStreamArn"]
        run_cli("put-item", "--table-name", name, "--item", js({"pk": {"S": "a"}}))
        streams = run_cli("list-streams", "--table-name", name, service="dynamodbstreams").json
        assert [s["StreamArn"] for s in streams["Streams"]] == [arn]
        shards = run_cli("describe-stream", "--stream-arn", arn,
                         service="dynamodbstreams").json["StreamDescription"]["Shards"]
        records = []
        for s in shards:
            it = run_cli("get-shard-iterator", "--stream-arn", arn, "--shard-id", s["ShardId"],
                         "--shard-iterator-type", "TRIM_HORIZON",
                         service="dynamodbstreams").json["ShardIterator"]
            records += run_cli("get-records", "--shard-iterator", it,
                               service="dynamodbstreams").json["Records"]
        assert [(r["eventName"], r["dynamodb"]["NewImage"]) for r in records] == [
            ("INSERT", {"pk": {"S": "a"}})]
        out = run_cli("update-time-to-live", "--table-name", name,
                      "--time-to-live-specification", "Enabled=true,AttributeName=exp").json
        assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "exp"}
        d = run_cli("describe-time-to-live", "--table-name", name).json
        assert d["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    finally:
        h.delete_table_quietly(ddb, name)


def test_cli_cloudwatch_custom_metric():
    ns = f"Shale/Cli/{h.unique_name('cw')}"
    run_cli("put-metric-data", "--namespace", ns, "--metric-name", "jobs", "--value", "3",
            "--unit", "Count", service="cloudwatch")
    run_cli("put-metric-data", "--namespace", ns, "--metric-name", "jobs", "--value", "4.5",
            "--unit", "Count", service="cloudwatch")
    now = datetime.now(timezone.utc)
    out = run_cli("get-metric-statistics", "--namespace", ns, "--metric-name", "jobs",
                  "--start-time", (now - timedelta(minutes=5)).isoformat(),
                  "--end-time", (now + timedelta(minutes=1)).isoformat(),
                  "--period", "60", "--statistics", "Sum", "SampleCount",
                  service="cloudwatch").json
    assert out["Label"] == "jobs"
    # Both values in one minute, unless the minute turned over between the two puts.
    assert sum(d["Sum"] for d in out["Datapoints"]) == 7.5
    assert sum(d["SampleCount"] for d in out["Datapoints"]) == 2.0
    assert {d["Unit"] for d in out["Datapoints"]} == {"Count"}
    listed = run_cli("list-metrics", "--namespace", ns, service="cloudwatch").json["Metrics"]
    assert listed == [{"Namespace": ns, "MetricName": "jobs", "Dimensions": []}]
