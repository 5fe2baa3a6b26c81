"""Exports and imports through boto3: ExportTableToPointInTime, DescribeExport, ListExports,
ImportTable, DescribeImport and ListImports (docs/backup.md, docs/format/export.md), with
DynamoDB's errors. Buckets are folders of the server's --export-root, given to the suite as
SHALE_EXPORT_ROOT. An export holds the table of its instant, laid out as DynamoDB lays it out;
an export imports back unchanged; the AWS documentation's examples import; bad lines are
counted, never silently dropped."""

import base64
import gzip
import hashlib
import json
import os
import time

import pytest

import dynamo_helpers as h

ROOT = os.environ.get("SHALE_EXPORT_ROOT")
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "aws_export")

pytestmark = pytest.mark.skipif(not ROOT, reason="SHALE_EXPORT_ROOT (the server's --export-root) is not set")


ks = h.ks


@pytest.fixture
def bucket():
    """A new, empty bucket: its name (its folder is under ROOT)."""
    name = "b-" + h.unique_name("x").split("-")[1]
    os.makedirs(os.path.join(ROOT, name))
    return name


@pytest.fixture
def tables(ddb):
    made = []

    def make(name=None, create=True, pitr=True, **kwargs):
        name = name or h.unique_name("ex")
        made.append(name)
        if create:
            kwargs.setdefault("KeySchema", ks("pk", "sk"))
            kwargs.setdefault("AttributeDefinitions", [
                {"AttributeName": n, "AttributeType": t}
                for n, t in (("pk", "S"), ("sk", "S"), ("owner", "S"))])
            kwargs.setdefault("GlobalSecondaryIndexes", [
                {"IndexName": "byOwner", "KeySchema": ks("owner", "sk"),
                 "Projection": {"ProjectionType": "ALL"}}])
            ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **kwargs)
            h.wait_active(ddb, name)
            if pitr:
                ddb.update_continuous_backups(
                    TableName=name,
                    PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        return name

    yield make
    for name in made:
        h.delete_table_quietly(ddb, name)


def item(i, owner="o1"):
    return {"pk": {"S": f"p{i % 7}"}, "sk": {"S": f"s{i:04}"}, "owner": {"S": owner},
            "n": {"N": str(i * 100)}, "f": {"N": "-1.25"}, "b": {"B": bytes([i % 256, 0, 255])},
            "ss": {"SS": ["a", f"x{i}"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [b"\x01", b"\x02"]},
            "m": {"M": {"k k": {"L": [{"S": "v"}, {"NULL": True}, {"BOOL": True}]}}},
            "s": {"S": f"quote \" backslash \\ newline \n é {i}"}}


def put_all(ddb, name, items):
    for it in items:
        ddb.put_item(TableName=name, Item=it)


def scan_all(ddb, name, **kwargs):
    out, start = [], None
    while True:
        if start:
            kwargs["ExclusiveStartKey"] = start
        r = ddb.scan(TableName=name, **kwargs)
        out += r["Items"]
        start = r.get("LastEvaluatedKey")
        if not start:
            return sorted(out, key=canon)


def canon(i):
    def norm(v):
        if isinstance(v, (bytes, bytearray)):
            return base64.b64encode(bytes(v)).decode()
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v
    d = norm(i)
    for v in d.values():
        for t in ("SS", "NS", "BS"):
            if isinstance(v, dict) and t in v:
                v[t] = sorted(v[t])
    return json.dumps(d, sort_keys=True)


def table_arn(ddb, name):
    return ddb.describe_table(TableName=name)["Table"]["TableArn"]


def wait_export(ddb, arn, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = ddb.describe_export(ExportArn=arn)["ExportDescription"]
        if d["ExportStatus"] != "IN_PROGRESS":
            return d
        time.sleep(0.1)
    raise AssertionError(f"export {arn} still IN_PROGRESS")


def wait_import(ddb, arn, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = ddb.describe_import(ImportArn=arn)["ImportTableDescription"]
        if d["ImportStatus"] != "IN_PROGRESS":
            return d
        time.sleep(0.1)
    raise AssertionError(f"import {arn} still IN_PROGRESS")


def export(ddb, name, bucket, **kwargs):
    d = ddb.export_table_to_point_in_time(TableArn=table_arn(ddb, name), S3Bucket=bucket,
                                          **kwargs)["ExportDescription"]
    assert d["ExportStatus"] == "IN_PROGRESS"
    for absent in ("EndTime", "ExportManifest", "ItemCount", "BilledSizeBytes"):
        assert absent not in d
    return wait_export(ddb, d["ExportArn"])


def export_dir(bucket, d):
    manifest = d["ExportManifest"]
    return os.path.join(ROOT, bucket, os.path.dirname(manifest))


def lines_of(bucket, d):
    """The data lines of an export, checked against its manifests."""
    folder = export_dir(bucket, d)
    assert sorted(os.listdir(folder)) == ["_started", "data", "manifest-files.json",
                                          "manifest-files.md5", "manifest-summary.json",
                                          "manifest-summary.md5"]
    for m in ("manifest-summary", "manifest-files"):
        body = open(os.path.join(folder, m + ".json"), "rb").read()
        md5 = open(os.path.join(folder, m + ".md5")).read().strip()
        assert md5 == base64.b64encode(hashlib.md5(body).digest()).decode()
    summary = json.load(open(os.path.join(folder, "manifest-summary.json")))
    assert summary["version"] == "2020-06-30"
    assert summary["exportArn"] == d["ExportArn"] and summary["tableArn"] == d["TableArn"]
    assert summary["itemCount"] == d["ItemCount"] and summary["s3Bucket"] == bucket
    assert summary["outputFormat"] == d["ExportFormat"]
    assert summary["manifestFilesS3Key"] == os.path.dirname(d["ExportManifest"]) + "/manifest-files.json"
    lines, count = [], 0
    for entry in open(os.path.join(folder, "manifest-files.json")).read().splitlines():
        f = json.loads(entry)
        raw = open(os.path.join(ROOT, bucket, f["dataFileS3Key"]), "rb").read()
        assert f["md5Checksum"] == base64.b64encode(hashlib.md5(raw).digest()).decode()
        assert f["etag"] == hashlib.md5(raw).hexdigest()
        ext = ".json.gz" if d["ExportFormat"] == "DYNAMODB_JSON" else ".ion.gz"
        assert f["dataFileS3Key"].endswith(ext)
        text = gzip.decompress(raw).decode()
        assert len(text.splitlines()) == f["itemCount"]
        lines += text.splitlines()
        count += f["itemCount"]
    assert count == d["ItemCount"]
    return lines


def start_import(ddb, bucket, prefix, fmt, table, compression=None, **kwargs):
    params = dict(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": prefix}, InputFormat=fmt,
        TableCreationParameters=table)
    if compression:
        params["InputCompressionType"] = compression
    params.update(kwargs)
    return ddb.import_table(**params)["ImportTableDescription"]


def creation(name, gsi=True, key=("pk", "sk"), types=None):
    types = types or {}
    attrs = [a for a in key if a] + (["owner"] if gsi else [])
    out = {"TableName": name, "KeySchema": ks(*key),
           "AttributeDefinitions": [{"AttributeName": a, "AttributeType": types.get(a, "S")}
                                    for a in dict.fromkeys(attrs)],
           "BillingMode": "PAY_PER_REQUEST"}
    if gsi:
        out["GlobalSecondaryIndexes"] = [{"IndexName": "byOwner", "KeySchema": ks("owner", "sk"),
                                          "Projection": {"ProjectionType": "ALL"}}]
    return out


# ---------------------------------------------------------------------------------------------
# Export


@pytest.mark.parametrize("fmt", ["DYNAMODB_JSON", "ION"])
def test_export_lays_out_the_table_and_imports_back_unchanged(ddb, tables, bucket, fmt):
    src = tables()
    items = [item(i, owner=f"o{i % 3}") for i in range(40)]
    put_all(ddb, src, items)
    d = export(ddb, src, bucket, S3Prefix="nightly/", ExportFormat=fmt)
    assert d["ExportStatus"] == "COMPLETED", d
    assert d["ItemCount"] == 40 and d["BilledSizeBytes"] > 0
    assert d["ExportManifest"].startswith("nightly/AWSDynamoDB/")
    assert d["ExportFormat"] == fmt and d["S3Prefix"] == "nightly/"
    assert "ExportType" not in d
    lines = lines_of(bucket, d)
    if fmt == "DYNAMODB_JSON":
        assert all(set(json.loads(l)) == {"Item"} for l in lines)
    else:
        assert all(l.startswith("$ion_1_0 {Item:{") for l in lines)
    dst = tables(create=False)
    folder = os.path.dirname(d["ExportManifest"])
    imp = start_import(ddb, bucket, folder + "/data/", fmt, creation(dst), compression="GZIP")
    assert imp["ImportStatus"] == "IN_PROGRESS" and imp["ErrorCount"] == 0
    done = wait_import(ddb, imp["ImportArn"])
    assert done["ImportStatus"] == "COMPLETED", done
    assert (done["ProcessedItemCount"], done["ImportedItemCount"], done["ErrorCount"]) == (40, 40, 0)
    assert done["ProcessedSizeBytes"] == sum(len(l.encode()) + 1 for l in lines)
    assert ddb.describe_table(TableName=dst)["Table"]["TableStatus"] == "ACTIVE"
    assert scan_all(ddb, dst) == scan_all(ddb, src)
    # The global index was filled as the items went in.
    got = ddb.query(TableName=dst, IndexName="byOwner", KeyConditionExpression="#o = :o",
                    ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues={":o": {"S": "o1"}})["Items"]
    assert len(got) == len([i for i in items if i["owner"]["S"] == "o1"])


def test_export_time_gives_the_table_of_that_instant(ddb, tables, bucket):
    src = tables()
    put_all(ddb, src, [item(i) for i in range(10)])
    time.sleep(1.1)
    then = time.time()
    time.sleep(1.1)
    put_all(ddb, src, [item(i) for i in range(10, 20)])
    ddb.delete_item(TableName=src, Key={"pk": item(0)["pk"], "sk": item(0)["sk"]})
    d = export(ddb, src, bucket, ExportTime=then)
    assert d["ExportStatus"] == "COMPLETED", d
    assert d["ItemCount"] == 10
    assert abs(d["ExportTime"].timestamp() - then) < 1.0
    keys = sorted(json.loads(l)["Item"]["sk"]["S"] for l in lines_of(bucket, d))
    assert keys == [f"s{i:04}" for i in range(10)]
    # Without ExportTime: the table when asked for.
    d = export(ddb, src, bucket)
    assert d["ItemCount"] == 19


def test_export_refusals(ddb, raw_ddb, tables, bucket):
    plain = tables(pitr=False)
    with h.expect_error("PointInTimeRecoveryUnavailableException"):
        ddb.export_table_to_point_in_time(TableArn=table_arn(ddb, plain), S3Bucket=bucket)
    with h.expect_error("TableNotFoundException", contains="Table not found"):
        ddb.export_table_to_point_in_time(TableArn=h.table_arn("no-such-table"), S3Bucket=bucket)
    src = tables()
    arn = table_arn(ddb, src)
    with h.expect_error("InvalidExportTimeException", contains="Export Time is invalid"):
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket,
                                          ExportTime=time.time() - 7 * 86400)
    with h.expect_error("InvalidExportTimeException"):
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket,
                                          ExportTime=time.time() + 3600)
    with h.expect_error("ValidationException", contains="INCREMENTAL_EXPORT"):
        ddb.export_table_to_point_in_time(
            TableArn=arn, S3Bucket=bucket, ExportType="INCREMENTAL_EXPORT",
            IncrementalExportSpecification={"ExportFromTime": time.time() - 3600})
    with h.expect_error("ValidationException", contains="S3SseAlgorithm"):
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3SseAlgorithm="AES256")
    with h.expect_error("ValidationException", contains="S3Prefix"):
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3Prefix="a/../../etc")
    with h.expect_error("ValidationException", contains="exportFormat"):
        raw_ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ExportFormat="CSV")
    with h.expect_error("ValidationException", contains="clientToken"):
        raw_ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ClientToken="a$b")
    # A missing bucket is found by the job: FAILED, named.
    d = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="no-such-bucket-here")
    d = wait_export(ddb, d["ExportDescription"]["ExportArn"])
    assert d["ExportStatus"] == "FAILED" and d["FailureCode"] == "S3NoSuchBucket", d
    assert "does not exist" in d["FailureMessage"]
    d = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3BucketOwner="123456789012")
    d = wait_export(ddb, d["ExportDescription"]["ExportArn"])
    assert d["ExportStatus"] == "FAILED" and d["FailureCode"] == "S3AccessDenied", d


def test_client_token_replays_and_conflicts(ddb, tables, bucket):
    src = tables()
    arn = table_arn(ddb, src)
    tok = h.unique_name("tok")
    first = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ClientToken=tok)
    again = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ClientToken=tok)
    assert first["ExportDescription"]["ExportArn"] == again["ExportDescription"]["ExportArn"]
    assert again["ExportDescription"]["ClientToken"] == tok
    with h.expect_error("ExportConflictException", contains="Duplicate request detected"):
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ClientToken=tok,
                                          ExportFormat="ION")
    # Without a token (botocore makes one up each time): two exports.
    a = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket)["ExportDescription"]
    b = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket)["ExportDescription"]
    assert a["ExportArn"] != b["ExportArn"]
    for d in (first["ExportDescription"], a, b):
        assert wait_export(ddb, d["ExportArn"])["ExportStatus"] == "COMPLETED"


def test_describe_and_list_exports(ddb, raw_ddb, tables, bucket):
    src = tables()
    arns = [export(ddb, src, bucket)["ExportArn"] for _ in range(3)]
    page = ddb.list_exports(TableArn=table_arn(ddb, src), MaxResults=2)
    assert [s["ExportArn"] for s in page["ExportSummaries"]] == sorted(arns)[:2]
    assert all(s["ExportStatus"] == "COMPLETED" and s["ExportType"] == "FULL_EXPORT"
               for s in page["ExportSummaries"])
    rest = ddb.list_exports(TableArn=table_arn(ddb, src), MaxResults=2, NextToken=page["NextToken"])
    assert [s["ExportArn"] for s in rest["ExportSummaries"]] == sorted(arns)[2:]
    assert "NextToken" not in rest
    with h.expect_error("ValidationException", contains="maxResults"):
        raw_ddb.list_exports(MaxResults=26)
    with h.expect_error("ExportNotFoundException"):
        ddb.describe_export(ExportArn=arns[0][:-8] + "00000000")
    with h.expect_error("ValidationException", contains="Invalid Export ARN"):
        ddb.describe_export(ExportArn=h.table_arn(src) + "/backup/01234567890123-abcdefab")


# ---------------------------------------------------------------------------------------------
# Import


def write_gz(bucket, key, text):
    path = os.path.join(ROOT, bucket, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(gzip.compress(text.encode()))


@pytest.mark.parametrize("fmt,fixture", [("DYNAMODB_JSON", "product_catalog.json"),
                                         ("ION", "product_catalog.ion")])
def test_the_aws_documentation_examples_import(ddb, tables, bucket, fmt, fixture):
    text = open(os.path.join(FIXTURES, fixture)).read()
    write_gz(bucket, "docs/AWSDynamoDB/01234567890123-a1b2c3d4/data/bafybeiczss3yxay3o4abnabbb.json.gz", text)
    name = tables(create=False)
    imp = start_import(ddb, bucket, "docs/AWSDynamoDB/", fmt,
                       {"TableName": name, "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
                        "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "N"}],
                        "BillingMode": "PAY_PER_REQUEST"}, compression="GZIP")
    done = wait_import(ddb, imp["ImportArn"])
    assert done["ImportStatus"] == "COMPLETED", done
    got = ddb.get_item(TableName=name, Key={"Id": {"N": "104"}})["Item"]
    assert got == {"Authors": {"SS": ["Author1", "Author2"]}, "Dimensions": {"S": "8.5 x 11.0 x 1.5"},
                   "ISBN": {"S": "444-444444444"}, "Id": {"N": "104"},
                   "InPublication": {"BOOL": False}, "PageCount": {"N": "600"},
                   "Price": {"N": "2000"}, "ProductCategory": {"S": "Book"},
                   "Title": {"S": "Book 104 Title"}}
    assert len(scan_all(ddb, name)) == 3


def test_csv_import_with_header_delimiter_and_typed_keys(ddb, tables, bucket):
    path = os.path.join(ROOT, bucket, "csv", "part-1.csv")
    os.makedirs(os.path.dirname(path))
    open(path, "w").write('pk;n;note\na;1;"x;y"\nb;2;\n')
    name = tables(create=False)
    table = creation(name, gsi=False, key=("pk", "n"), types={"n": "N"})
    done = wait_import(ddb, start_import(ddb, bucket, "csv/", "CSV", table,
                                         InputFormatOptions={"Csv": {"Delimiter": ";"}})["ImportArn"])
    assert done["ImportStatus"] == "COMPLETED", done
    assert done["InputFormatOptions"] == {"Csv": {"Delimiter": ";"}}
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "n": {"N": "1"}})["Item"]["note"] == {"S": "x;y"}
    assert "note" not in ddb.get_item(TableName=name, Key={"pk": {"S": "b"}, "n": {"N": "2"}})["Item"]
    # A HeaderList: every line is data.
    name2 = tables(create=False)
    done = wait_import(ddb, start_import(
        ddb, bucket, "csv/", "CSV", creation(name2, gsi=False, key=("pk", None)),
        InputFormatOptions={"Csv": {"Delimiter": ";", "HeaderList": ["pk", "c2", "c3"]}})["ImportArn"])
    assert done["ImportStatus"] == "COMPLETED", done
    assert ddb.get_item(TableName=name2, Key={"pk": {"S": "pk"}})["Item"]["c3"] == {"S": "note"}


@pytest.mark.parametrize("compression", ["NONE", "ZSTD"])
def test_other_compressions(ddb, tables, bucket, compression):
    import zstandard
    text = "".join(json.dumps({"Item": {"pk": {"S": f"k{i}"}}}) + "\n" for i in range(5))
    raw = text.encode() if compression == "NONE" else zstandard.ZstdCompressor().compress(text.encode())
    path = os.path.join(ROOT, bucket, "in", "f")
    os.makedirs(os.path.dirname(path))
    open(path, "wb").write(raw)
    name = tables(create=False)
    done = wait_import(ddb, start_import(ddb, bucket, "in/", "DYNAMODB_JSON",
                                         creation(name, gsi=False, key=("pk", None)),
                                         compression=compression)["ImportArn"])
    assert (done["ImportStatus"], done["ImportedItemCount"]) == ("COMPLETED", 5), done
    assert done["InputCompressionType"] == compression


def test_bad_lines_are_counted_and_the_good_items_kept(ddb, tables, bucket):
    lines = [
        {"Item": {"pk": {"S": "a"}, "sk": {"S": "1"}, "owner": {"S": "o"}}},
        "not json at all",
        {"Item": {"sk": {"S": "no partition key"}}},
        {"Item": {"pk": {"N": "1"}, "sk": {"S": "wrong key type"}}},
        {"Item": {"pk": {"S": "b"}, "sk": {"S": "2"}, "owner": {"N": "5"}}},  # GSI key type
        {"NotItem": {}},
        "",
        {"Item": {"pk": {"S": "c"}, "sk": {"S": "3"}, "big": {"S": "x" * 410_000}}},
        {"Item": {"pk": {"S": "d"}, "sk": {"S": "4"}}},
        {"Item": {"pk": {"S": "d"}, "sk": {"S": "4"}, "v": {"S": "last wins"}}},
    ]
    text = "\n".join(l if isinstance(l, str) else json.dumps(l) for l in lines) + "\n"
    write_gz(bucket, "mixed/data.json.gz", text)
    name = tables(create=False)
    done = wait_import(ddb, start_import(ddb, bucket, "mixed/", "DYNAMODB_JSON", creation(name),
                                         compression="GZIP")["ImportArn"])
    assert done["ImportStatus"] == "FAILED" and done["FailureCode"] == "ItemValidationError", done
    assert done["ErrorCount"] == 6
    assert done["ImportedItemCount"] == 3
    assert done["ProcessedItemCount"] == done["ImportedItemCount"] + done["ErrorCount"]
    # The table stays, with the valid items.
    assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    got = scan_all(ddb, name)
    assert sorted(i["pk"]["S"] for i in got) == ["a", "d"]
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "d"}, "sk": {"S": "4"}})["Item"]["v"] == {"S": "last wins"}


def test_import_refusals_and_failures(ddb, raw_ddb, tables, bucket):
    existing = tables(pitr=False)
    with h.expect_error("ResourceInUseException", contains="Table already exists"):
        start_import(ddb, bucket, "", "DYNAMODB_JSON", creation(existing))
    name = tables(create=False)
    # A missing bucket fails the job and leaves no table.
    d = start_import(ddb, "no-such-bucket-here", "", "DYNAMODB_JSON", creation(name))
    done = wait_import(ddb, d["ImportArn"])
    assert done["ImportStatus"] == "FAILED" and done["FailureCode"] == "S3NoSuchBucket", done
    h.wait_gone(ddb, name)
    # A file that is not what its compression says fails it too, and removes the table.
    write_gz(bucket, "plain/f", "")
    open(os.path.join(ROOT, bucket, "plain", "f"), "w").write('{"Item":{"pk":{"S":"a"}}}\n')
    done = wait_import(ddb, start_import(ddb, bucket, "plain/", "DYNAMODB_JSON",
                                         creation(name, gsi=False, key=("pk", None)),
                                         compression="GZIP")["ImportArn"])
    assert done["ImportStatus"] == "FAILED" and done["FailureCode"] == "InvalidSourceFile", done
    h.wait_gone(ddb, name)
    # Refused before anything is made.
    with h.expect_error("ValidationException", contains="InputFormatOptions"):
        start_import(ddb, bucket, "", "DYNAMODB_JSON", creation(name),
                     InputFormatOptions={"Csv": {"Delimiter": ","}})
    with h.expect_error("ValidationException", contains="delimiter"):
        raw_ddb.import_table(S3BucketSource={"S3Bucket": bucket}, InputFormat="CSV",
                             InputFormatOptions={"Csv": {"Delimiter": "x"}},
                             TableCreationParameters=creation(name))
    with h.expect_error("ValidationException", contains="S3KeyPrefix"):
        start_import(ddb, bucket, "../elsewhere", "DYNAMODB_JSON", creation(name))
    with h.expect_error("ValidationException", contains="ReadCapacityUnits"):
        t = creation(name)
        del t["BillingMode"]
        del t["GlobalSecondaryIndexes"]
        start_import(ddb, bucket, "", "DYNAMODB_JSON", t)
    with pytest.raises(Exception):
        ddb.describe_table(TableName=name)
    # An empty prefix imports nothing, and completes.
    done = wait_import(ddb, start_import(ddb, bucket, "nothing-here/", "ION",
                                         creation(name))["ImportArn"])
    assert (done["ImportStatus"], done["ImportedItemCount"]) == ("COMPLETED", 0), done


def test_import_client_token_and_listing(ddb, raw_ddb, tables, bucket):
    write_gz(bucket, "tok/f.json.gz", json.dumps({"Item": {"pk": {"S": "a"}, "sk": {"S": "b"}}}) + "\n")
    name, other = tables(create=False), tables(create=False)
    tok = h.unique_name("imp")
    a = start_import(ddb, bucket, "tok/", "DYNAMODB_JSON", creation(name), compression="GZIP",
                     ClientToken=tok)
    b = start_import(ddb, bucket, "tok/", "DYNAMODB_JSON", creation(name), compression="GZIP",
                     ClientToken=tok)
    assert a["ImportArn"] == b["ImportArn"]
    with h.expect_error("ImportConflictException", contains="Duplicate request detected"):
        start_import(ddb, bucket, "tok/", "DYNAMODB_JSON", creation(other), ClientToken=tok)
    wait_import(ddb, a["ImportArn"])
    arn = table_arn(ddb, name)
    listed = ddb.list_imports(TableArn=arn)["ImportSummaryList"]
    assert [s["ImportArn"] for s in listed] == [a["ImportArn"]]
    assert listed[0]["ImportStatus"] == "COMPLETED" and listed[0]["InputFormat"] == "DYNAMODB_JSON"
    assert set(listed[0]) == {"ImportArn", "ImportStatus", "TableArn", "S3BucketSource",
                              "InputFormat", "StartTime", "EndTime"}
    # Paging over every import, newest first.
    first = ddb.list_imports(PageSize=1)
    assert len(first["ImportSummaryList"]) == 1 and len(first["NextToken"]) >= 112
    second = ddb.list_imports(PageSize=1, NextToken=first["NextToken"])
    assert second["ImportSummaryList"][0]["StartTime"] <= first["ImportSummaryList"][0]["StartTime"]
    with h.expect_error("ValidationException", contains="pageSize"):
        raw_ddb.list_imports(PageSize=26)
    with h.expect_error("ValidationException", contains="nextToken"):
        raw_ddb.list_imports(NextToken="zz")
    with h.expect_error("ImportNotFoundException"):
        ddb.describe_import(ImportArn=arn + "/import/01234567890123-abcdefab")
    with h.expect_error("ValidationException", contains="Invalid Import ARN"):
        ddb.describe_import(ImportArn=arn + "/export/01234567890123-abcdefab")
