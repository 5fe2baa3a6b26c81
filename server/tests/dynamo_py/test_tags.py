"""Tags (TagResource, UntagResource, ListTagsOfResource, CreateTable's Tags), DescribeEndpoints
and the Kinesis streaming destination operations.

Where the expected answers come from:
- **ack-api-quirks**: the DynamoDB catalogue of the AWS Controllers for Kubernetes lab, whose
  findings record real DynamoDB's answers to probes (2026-10): DDB-TABLE-105 (upserts, untag of
  an absent key, the `aws:` prefix), DDB-TABLE-106 (empty values, Unicode, '#'),
  DDB-TABLE-107 (every tag validation message), DDB-TABLE-108 (the 50-tag limit on the merged
  set, no NextToken at 50 tags), DDB-TABLE-110 (CreateTable's Tags), DDB-TABLE-071 (ARN
  shapes), DDB-TABLE-070 (not-found messages), DDB-BACKUP-013 (a backup ARN).
- **Alternator** (ScyllaDB's test/alternator/test_tag.py, run against DynamoDB): an index ARN's
  message, Tags=[] refused by TagResource.
- **AWS documentation**: RestoreTableFromBackup ("You must manually set up the following on the
  restored table: ... Tags"); DescribeEndpoints' shape; the Tag shape's limits.
"""

import pytest

import dynamo_helpers as h

TOO_MANY = "Number of Tags exceed the current limit for the provided ResourceArn"  # ack DDB-TABLE-108


def tags_of(ddb, arn, **kwargs):
    return ddb.list_tags_of_resource(ResourceArn=arn, **kwargs)["Tags"]


def as_dict(tags):
    return {t["Key"]: t["Value"] for t in tags}


def many(n, prefix="k"):
    return [{"Key": f"{prefix}{i:02}", "Value": f"v{i:02}"} for i in range(n)]


def not_found(arn):
    # ack DDB-TABLE-070/101 (older captures, 2019-2022, spell it "ResourcArn").
    return f"Requested resource not found: ResourceArn: {arn} not found"


@pytest.fixture
def names(ddb):
    made = []

    def make():
        made.append(h.unique_name("tag"))
        return made[-1]

    yield make
    for n in made:
        h.delete_table_quietly(ddb, n)


def create(ddb, name, **kwargs):
    ks, ad = h.key_schema()
    return ddb.create_table(TableName=name, KeySchema=ks, AttributeDefinitions=ad,
                            BillingMode="PAY_PER_REQUEST", **kwargs)["TableDescription"]


def test_tag_untag_list_round_trip(ddb, table):
    arn = h.table_arn(table)
    assert tags_of(ddb, arn) == []
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "storage"},
                                            {"Key": "Env", "Value": ""},
                                            {"Key": "env", "Value": "x"}])
    # Keys are case-sensitive, an empty value is kept as '' (ack DDB-TABLE-106).
    assert as_dict(tags_of(ddb, arn)) == {"team": "storage", "Env": "", "env": "x"}
    # A key already there takes the new value (ack DDB-TABLE-105).
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "db"}])
    assert as_dict(tags_of(ddb, arn)) == {"team": "db", "Env": "", "env": "x"}
    # Untagging a key the table lacks is no error; the present one goes (ack DDB-TABLE-105).
    ddb.untag_resource(ResourceArn=arn, TagKeys=["env", "never-set"])
    assert as_dict(tags_of(ddb, arn)) == {"team": "db", "Env": ""}
    ddb.untag_resource(ResourceArn=arn, TagKeys=["never-set"])
    # Letters of any script, white space and + - = . _ : / @ (ack DDB-TABLE-106, DDB-TABLE-372).
    odd = [{"Key": "ключ", "Value": "café 表"}, {"Key": "sp ace", "Value": "a+b-c=d.e_f:g/h@i"}]
    ddb.tag_resource(ResourceArn=arn, Tags=odd)
    assert as_dict(tags_of(ddb, arn)) == {"team": "db", "Env": "", **as_dict(odd)}


def test_create_table_with_tags(ddb, names):
    name = names()
    create(ddb, name, Tags=many(50))
    h.wait_active(ddb, name)
    # 50 tags in one page, without a NextToken (ack DDB-TABLE-108, DDB-TABLE-110).
    got = ddb.list_tags_of_resource(ResourceArn=h.table_arn(name))
    assert got["Tags"] == many(50)
    assert "NextToken" not in got
    # An empty list is accepted by CreateTable (ack DDB-TABLE-110).
    empty = names()
    create(ddb, empty, Tags=[])
    assert tags_of(ddb, h.table_arn(empty)) == []


def test_list_tags_pages_go_on_after_the_token(ddb, table):
    arn = h.table_arn(table)
    ddb.tag_resource(ResourceArn=arn, Tags=many(20))
    # This server's NextToken is the key a page ended at; one given goes on after it.
    got = ddb.list_tags_of_resource(ResourceArn=arn, NextToken="k09")
    assert got["Tags"] == many(20)[10:]
    assert "NextToken" not in got
    assert tags_of(ddb, arn, NextToken="k19") == []
    # boto3's paginator (NextToken in, NextToken out) reads them all.
    pages = list(ddb.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn))
    assert [t for p in pages for t in p["Tags"]] == many(20)


def test_at_most_50_tags(ddb, raw_ddb, table, names):
    arn = h.table_arn(table)
    ddb.tag_resource(ResourceArn=arn, Tags=many(50))
    # The limit is checked on the merged set (ack DDB-TABLE-108).
    with h.expect_error("ValidationException", message=TOO_MANY):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k51", "Value": "v"}])
    with h.expect_error("ValidationException", message=TOO_MANY):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k00", "Value": "new"},
                                                {"Key": "k51", "Value": "v"}])
    assert as_dict(tags_of(ddb, arn))["k00"] == "v00", "a refused request changes nothing"
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": "new"} for k in as_dict(many(50))])
    assert set(as_dict(tags_of(ddb, arn)).values()) == {"new"}
    ddb.untag_resource(ResourceArn=arn, TagKeys=["k00"])
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k51", "Value": "v"}])
    with h.expect_error("ValidationException", message=TOO_MANY):
        raw_ddb.tag_resource(ResourceArn=arn, Tags=many(51, prefix="x"))
    # UntagResource with more than 50 keys (ack DDB-TABLE-107).
    with h.expect_error("ValidationException", message=TOO_MANY):
        raw_ddb.untag_resource(ResourceArn=arn, TagKeys=[f"x{i}" for i in range(51)])
    # CreateTable with 51 tags: refused, and no table (ack DDB-TABLE-110).
    name = names()
    with h.expect_error("ValidationException", message=TOO_MANY):
        create(ddb, name, Tags=many(51))
    with h.expect_error("ResourceNotFoundException"):
        ddb.describe_table(TableName=name)


def test_keys_and_values_are_checked(ddb, raw_ddb, table):
    arn = h.table_arn(table)

    def refused(message, tags, client=raw_ddb):
        with h.expect_error("ValidationException", message=message):
            client.tag_resource(ResourceArn=arn, Tags=tags)

    k128, v256 = "k" * 128, "v" * 256
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": k128, "Value": v256}])
    # ack DDB-TABLE-107: lengths, empty key, missing value; DDB-TABLE-106: '#'.
    refused(f"The Tag Key provided is invalid, Key: {k128}k", [{"Key": k128 + "k", "Value": "v"}])
    refused(f"The Tag Value provided is invalid, Value: {v256}v",
            [{"Key": "k", "Value": v256 + "v"}])
    refused("The Tag Key provided is invalid, Key: ", [{"Key": "", "Value": "dog"}])
    refused("The Tag Value provided is invalid, Value: null", [{"Key": "dog"}])
    refused("The Tag Key provided is invalid, Key: null", [{"Value": "dog"}])
    refused("The Tag Key provided is invalid, Key: bad#char", [{"Key": "bad#char", "Value": "v"}])
    refused("The Tag Value provided is invalid, Value: bad#char",
            [{"Key": "k", "Value": "bad#char"}])
    refused("Duplicate Tag Keys provided as input: Duplicate Tag Key found dup",
            [{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}])
    refused("Atleast one Tag needs to be provided as Input.", [])
    # A request with one bad tag applies none (ack DDB-TABLE-107).
    refused(f"The Tag Key provided is invalid, Key: {k128}x",
            [{"Key": "good", "Value": "v"}, {"Key": k128 + "x", "Value": "v"}])
    assert "good" not in as_dict(tags_of(ddb, arn))
    with h.expect_error("ValidationException",
                        message="Atleast one Tag Key needs to be provided as Input."):
        raw_ddb.untag_resource(ResourceArn=arn, TagKeys=[])
    with h.expect_error("ValidationException", message=f"The Tag Key provided is invalid, Key: {k128}k"):
        raw_ddb.untag_resource(ResourceArn=arn, TagKeys=[k128 + "k"])
    # Members missing altogether: the usual constraint form.  # wording: unverified
    with h.expect_error("ValidationException", contains="'tags' failed to satisfy constraint"):
        raw_ddb.tag_resource(ResourceArn=arn)


def test_the_aws_prefix_is_reserved(ddb, names, table):
    arn = h.table_arn(table)
    # ack DDB-TABLE-105 (any case, UntagResource too) and DDB-TABLE-110 (CreateTable).
    for key in ["aws:foo", "AWS:foo"]:
        with h.expect_error("ValidationException",
                            message=f"Tag Key cannot be prefixed with aws:, Key: {key}"):
            ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "good", "Value": "v"},
                                                    {"Key": key, "Value": "v"}])
    with h.expect_error("ValidationException",
                        message="Tag Key cannot be prefixed with aws:, Key: aws:foo"):
        ddb.untag_resource(ResourceArn=arn, TagKeys=["aws:foo"])
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "myaws:foo", "Value": "v"}])
    assert as_dict(tags_of(ddb, arn)) == {"myaws:foo": "v"}
    name = names()
    with h.expect_error("ValidationException",
                        message="Tag Key cannot be prefixed with aws:, Key: aws:foo"):
        create(ddb, name, Tags=[{"Key": "aws:foo", "Value": "v"}])
    with h.expect_error("ResourceNotFoundException"):
        ddb.describe_table(TableName=name)


def test_unknown_table(ddb):
    arn = h.table_arn(h.unique_name("missing"))
    # ack DDB-TABLE-070.
    with h.expect_error("ResourceNotFoundException", message=not_found(arn)):
        ddb.list_tags_of_resource(ResourceArn=arn)
    with h.expect_error("ResourceNotFoundException", message=not_found(arn)):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    with h.expect_error("ResourceNotFoundException", message=not_found(arn)):
        ddb.untag_resource(ResourceArn=arn, TagKeys=["k"])


def test_bad_arns(ddb, table):
    def list_tags(arn):
        return ddb.list_tags_of_resource(ResourceArn=arn)

    # ack DDB-TABLE-071: a bare name, even of an existing table.
    for arn in [table, "not-an-arn"]:
        with h.expect_error("ValidationException", message=(
                f"One or more parameter values were invalid: ARNs must start with 'arn:': {arn}")):
            list_tags(arn)
    # Alternator's test_tag_lsi_gsi, quoting DynamoDB: an index ARN.
    index = h.table_arn(table) + "/index/gsi"
    with h.expect_error("ValidationException", contains=(
            "Invalid resource arn provided, only table or stream is accepted")):
        list_tags(index)
    # ack DDB-BACKUP-013: a backup's ARN.
    backup = h.table_arn(table) + "/backup/01700000000000-abcdef12"
    with h.expect_error("ValidationException", message=(
            "One or more parameter values were invalid: Provided Arn is not a DynamoDB "
            f"resource arn: {backup}")):
        ddb.tag_resource(ResourceArn=backup, Tags=[{"Key": "k", "Value": "v"}])
    # ack DDB-TABLE-071: another account's ARN is AccessDeniedException, another region's
    # ValidationException (wording: unverified).
    foreign = f"arn:aws:dynamodb:{h.REGION}:123456789012:table/{table}"
    with h.expect_error("AccessDeniedException", message="Access is denied"):
        list_tags(foreign)
    elsewhere = f"arn:aws:dynamodb:eu-north-1:{h.ACCOUNT}:table/{table}"
    with h.expect_error("ValidationException", contains=elsewhere):
        list_tags(elsewhere)


def test_tags_go_with_the_table_and_are_not_restored(ddb, names):
    name = names()
    create(ddb, name, Tags=[{"Key": "team", "Value": "storage"}])
    h.wait_active(ddb, name)
    backup = ddb.create_backup(TableName=name, BackupName="tagged")["BackupDetails"]["BackupArn"]
    try:
        # AWS documentation (RestoreTableFromBackup): tags are set up again by hand.
        target = names()
        ddb.restore_table_from_backup(TargetTableName=target, BackupArn=backup)
        h.wait_active(ddb, target)
        assert tags_of(ddb, h.table_arn(target)) == []
    finally:
        ddb.delete_backup(BackupArn=backup)
    # A table made again under the name does not have the old one's tags.
    ddb.delete_table(TableName=name)
    h.wait_gone(ddb, name)
    with h.expect_error("ResourceNotFoundException", message=not_found(h.table_arn(name))):
        tags_of(ddb, h.table_arn(name))
    create(ddb, name)
    h.wait_active(ddb, name)
    assert tags_of(ddb, h.table_arn(name)) == []


def test_iam_actions(iam_env, ddb, names, table):
    arn = h.table_arn(table)
    u = iam_env.user(policy=h.policy(h.allow(["dynamodb:CreateTable", "dynamodb:ListTagsOfResource"])))
    with h.expect_error("AccessDeniedException",
                        message=h.denied_message(u.arn, "dynamodb:TagResource", arn)):
        u.ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    with h.expect_error("AccessDeniedException",
                        message=h.denied_message(u.arn, "dynamodb:UntagResource", arn)):
        u.ddb.untag_resource(ResourceArn=arn, TagKeys=["k"])
    assert tags_of(u.ddb, arn) == []
    # CreateTable with Tags needs dynamodb:TagResource too (AWS documentation: tagging on
    # creation); without Tags it does not.
    name = names()
    with h.expect_error("AccessDeniedException", message=h.denied_message(
            u.arn, "dynamodb:TagResource", h.table_arn(name))):
        create(u.ddb, name, Tags=[{"Key": "k", "Value": "v"}])
    create(u.ddb, name)


def test_describe_endpoints(ddb):
    got = ddb.describe_endpoints()
    host, port = h.host_port()
    # DescribeEndpoints' shape (the API reference): one endpoint, cached 1440 minutes. The
    # address is the gateway's own, host and port.
    assert got["Endpoints"] == [{"Address": f"{host}:{port}", "CachePeriodInMinutes": 1440}]


def test_kinesis_streaming_destinations(ddb, raw_ddb, table):
    got = ddb.describe_kinesis_streaming_destination(TableName=table)
    assert got["TableName"] == table
    assert got["KinesisDataStreamDestinations"] == []
    by_arn = ddb.describe_kinesis_streaming_destination(TableName=h.table_arn(table))
    assert by_arn["TableName"] == table
    missing = h.unique_name("missing")
    # ack DDB-TABLE-070.
    with h.expect_error("ResourceNotFoundException",
                        message=f"Requested resource not found: Table: {missing} not found"):
        ddb.describe_kinesis_streaming_destination(TableName=missing)
    stream = f"arn:aws:kinesis:{h.REGION}:{h.ACCOUNT}:stream/orders"
    for op, call in [
        ("EnableKinesisStreamingDestination", ddb.enable_kinesis_streaming_destination),
        ("DisableKinesisStreamingDestination", ddb.disable_kinesis_streaming_destination),
        ("UpdateKinesisStreamingDestination", ddb.update_kinesis_streaming_destination),
    ]:
        with h.expect_error("ValidationException", contains=[op, "Kinesis Data Streams"]):
            call(TableName=table, StreamArn=stream)
        with h.expect_error("ResourceNotFoundException"):
            call(TableName=missing, StreamArn=stream)
    with h.expect_error("ValidationException", contains="'streamArn' failed to satisfy"):
        raw_ddb.enable_kinesis_streaming_destination(TableName=table)
