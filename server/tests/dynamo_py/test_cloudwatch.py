"""CloudWatch through boto3, in each of the three protocols its SDKs speak: Smithy RPC v2 CBOR,
AWS JSON 1.0 (what botocore 1.43 picks when a model lists both) and the query protocol (botocore is pointed at a copy of its
model that names only the protocol under test). DynamoDB's metrics appear within seconds of
traffic with the right statistics; custom metrics, metric math, alarms going to ALARM and back
with their webhook called, history, and errors in each protocol's form.

The server must run with `--alarm-evaluation-interval 1 --alarm-webhook-allow http://127.0.0.1:`
(as server/tests/dynamo_clients.rs starts it).
"""

import gzip
import http.server
import json
import os
import threading
import time
from datetime import datetime, timedelta, timezone

import botocore
import botocore.exceptions
import botocore.session
import pytest

import dynamo_helpers as h

PROTOCOLS = ["smithy-rpc-v2-cbor", "json", "query"]


def model_dir(tmp_path_factory, protocol):
    """A botocore data directory whose CloudWatch model speaks only `protocol`."""
    src = os.path.join(os.path.dirname(botocore.__file__), "data", "cloudwatch", "2010-08-01")
    for name in ("service-2.json.gz", "service-2.json"):
        path = os.path.join(src, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rt") as f:
                model = json.load(f)
            break
    else:
        pytest.skip("botocore has no CloudWatch model")
    model["metadata"]["protocol"] = protocol
    model["metadata"]["protocols"] = [protocol]
    root = tmp_path_factory.mktemp(f"botocore-{protocol}")
    out = root / "cloudwatch" / "2010-08-01"
    out.mkdir(parents=True)
    (out / "service-2.json").write_text(json.dumps(model))
    return str(root)


@pytest.fixture(scope="module", params=PROTOCOLS)
def cw(request, tmp_path_factory):
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    loader.search_paths.insert(0, model_dir(tmp_path_factory, request.param))
    client = session.create_client(
        "cloudwatch", endpoint_url=h.ENDPOINT, region_name=h.REGION,
        aws_access_key_id=h.ACCESS_KEY, aws_secret_access_key=h.SECRET_KEY,
        config=h.client_config(True),
    )
    client.protocol_under_test = request.param
    return client


def now():
    return datetime.now(timezone.utc)


def wait_for(f, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        v = f()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def test_dynamodb_metrics_appear_with_the_right_statistics(cw, ddb, make_table):
    table = make_table()
    for i in range(5):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"k{i}"}, "v": {"S": "x" * 1500}})
    for _ in range(3):
        ddb.get_item(TableName=table, Key={"pk": {"S": "k1"}})
    dims = [{"Name": "TableName", "Value": table}]

    def listed():
        names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/DynamoDB", Dimensions=dims)["Metrics"]}
        return names if {"ConsumedWriteCapacityUnits", "ConsumedReadCapacityUnits", "SuccessfulRequestLatency"} <= names else None

    wait_for(listed)

    def stat(name, stat, extra=()):
        r = cw.get_metric_statistics(
            Namespace="AWS/DynamoDB", MetricName=name, Dimensions=dims + list(extra),
            StartTime=now() - timedelta(minutes=5), EndTime=now() + timedelta(minutes=1),
            Period=60, Statistics=[stat])
        return sum(d[stat] for d in r["Datapoints"]), r

    # 5 writes of 2 KB items: 2 units each; 3 eventually consistent reads: half a unit each.
    wait_for(lambda: stat("ConsumedWriteCapacityUnits", "Sum")[0] == 10.0)
    assert stat("ConsumedWriteCapacityUnits", "SampleCount")[0] == 5.0
    assert stat("ConsumedReadCapacityUnits", "Sum")[0] == 1.5
    n, r = stat("SuccessfulRequestLatency", "SampleCount", [{"Name": "Operation", "Value": "PutItem"}])
    assert n == 5.0
    point = r["Datapoints"][0]
    assert point["Unit"] == "Milliseconds"
    assert isinstance(point["Timestamp"], datetime)
    assert point["Timestamp"].second == 0


def test_custom_metrics_and_metric_math(cw):
    ns = f"Shale/Test/{cw.protocol_under_test}/{h.unique_name('m')}"
    t = now() - timedelta(minutes=2)
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "a", "Value": 10.0, "Unit": "Count", "Timestamp": t},
        {"MetricName": "a", "Values": [1.0, 3.0], "Counts": [1.0, 2.0], "Unit": "Count", "Timestamp": t},
        {"MetricName": "b", "StatisticValues": {"SampleCount": 2, "Sum": 8, "Minimum": 3, "Maximum": 5},
         "Timestamp": t},
    ])
    r = cw.get_metric_statistics(Namespace=ns, MetricName="a", StartTime=t - timedelta(minutes=1),
                                 EndTime=now(), Period=60,
                                 Statistics=["SampleCount", "Sum", "Average", "Minimum", "Maximum"])
    (d,) = r["Datapoints"]
    assert (d["SampleCount"], d["Sum"], d["Minimum"], d["Maximum"]) == (4.0, 17.0, 1.0, 10.0)
    assert d["Average"] == 4.25
    assert d["Unit"] == "Count"
    q = lambda i, name, stat: {"Id": i, "MetricStat": {
        "Metric": {"Namespace": ns, "MetricName": name}, "Period": 60, "Stat": stat}, "ReturnData": False}
    r = cw.get_metric_data(
        MetricDataQueries=[q("ma", "a", "Sum"), q("mb", "b", "Sum"),
                           {"Id": "total", "Expression": "ma + mb * 2", "Label": "total"}],
        StartTime=t - timedelta(minutes=1), EndTime=now())
    (res,) = r["MetricDataResults"]
    assert res["Id"] == "total" and res["Label"] == "total"
    assert res["Values"] == [33.0]
    assert res["StatusCode"] == "Complete"
    names = {m["MetricName"] for m in cw.list_metrics(Namespace=ns)["Metrics"]}
    assert names == {"a", "b"}


def test_errors_in_each_protocol(cw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_statistics(Namespace="AWS/DynamoDB", MetricName="x", StartTime=now() - timedelta(hours=1),
                                 EndTime=now(), Period=61, Statistics=["Sum"])
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "Period" in e.value.response["Error"]["Message"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_metric_data(Namespace="AWS/Mine", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(cw.exceptions.ResourceNotFound):
        cw.delete_alarms(AlarmNames=[h.unique_name("missing")])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_metric_alarm(AlarmName="x", Namespace="n", MetricName="m", Statistic="Sum", Period=60,
                            EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
                            AlarmActions=["http://192.0.2.1/hook"])
    assert "not an allowed webhook destination" in e.value.response["Error"]["Message"]


class Hooks(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hooks.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def webhook():
    srv = http.server.HTTPServer(("127.0.0.1", 0), Hooks)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/hook"
    srv.shutdown()


def test_alarm_goes_to_alarm_and_back_calling_its_webhook(cw, webhook):
    ns = f"Shale/Alarm/{h.unique_name('a')}"
    name = h.unique_name("alarm")
    # Every datapoint at one instant (one minute), evaluated over the last two minutes, so
    # that a minute turning over during the test changes nothing.
    at = now()
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "errors", "Value": 10.0, "Timestamp": at}])
    cw.put_metric_alarm(
        AlarmName=name, Namespace=ns, MetricName="errors", Statistic="Average", Period=60,
        EvaluationPeriods=2, DatapointsToAlarm=1, Threshold=5.0,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[webhook], OKActions=[webhook], TreatMissingData="missing")

    def state():
        return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]

    wait_for(lambda: state() == "ALARM")
    msg = wait_for(lambda: [m for m in Hooks.received if json.loads(m["Message"])["AlarmName"] == name])
    assert msg[0]["Type"] == "Notification"
    body = json.loads(msg[0]["Message"])
    assert body["NewStateValue"] == "ALARM" and body["Trigger"]["Threshold"] == 5.0
    # Enough low values bring the average under the threshold.
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "errors", "Values": [0.0], "Counts": [99.0], "Timestamp": at}])
    wait_for(lambda: state() == "OK")
    wait_for(lambda: any(json.loads(m["Message"])["AlarmName"] == name
                         and json.loads(m["Message"])["NewStateValue"] == "OK" for m in Hooks.received))
    alarm = cw.describe_alarms_for_metric(Namespace=ns, MetricName="errors")["MetricAlarms"][0]
    assert alarm["AlarmName"] == name and alarm["Threshold"] == 5.0
    hist = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [i["HistorySummary"] for i in hist][:2] == [
        "Alarm updated from ALARM to OK", "Alarm updated from INSUFFICIENT_DATA to ALARM"]
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="testing")
    assert state() == "ALARM"
    cw.delete_alarms(AlarmNames=[name])
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []
