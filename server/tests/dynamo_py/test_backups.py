"""On-demand backups through boto3: CreateBackup, DescribeBackup, ListBackups (filters and
paging), DeleteBackup and RestoreTableFromBackup (overrides), with DynamoDB's errors. A backup
holds the table as it was when taken, indexes included, and outlives the table."""

import time

import pytest

import dynamo_helpers as h


ks = h.ks


@pytest.fixture
def tables(ddb):
    made = []

    def make(create=True, **kwargs):
        name = h.unique_name("bk")
        made.append(name)
        if create:
            ddb.create_table(
                TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=ks("pk", "sk"),
                AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in
                                      (("pk", "S"), ("sk", "S"), ("owner", "S"))],
                GlobalSecondaryIndexes=[{"IndexName": "byOwner", "KeySchema": ks("owner", "sk"),
                                         "Projection": {"ProjectionType": "ALL"}}],
                **kwargs)
            h.wait_active(ddb, name)
        return name

    yield make
    for name in made:
        h.delete_table_quietly(ddb, name)


@pytest.fixture
def backups(ddb):
    """Backup ARNs to delete at the end."""
    made = []
    yield made
    for arn in made:
        try:
            ddb.delete_backup(BackupArn=arn)
        except Exception:
            pass


def put(ddb, name, n, owner="ada"):
    ddb.put_item(TableName=name, Item={"pk": {"S": f"p{n % 3}"}, "sk": {"S": f"s{n:03}"},
                                       "owner": {"S": owner}, "n": {"N": str(n)}})


def scan_all(ddb, name):
    items = ddb.scan(TableName=name)["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def by_owner(ddb, name, owner):
    r = ddb.query(TableName=name, IndexName="byOwner", KeyConditionExpression="#o = :o",
                  ExpressionAttributeNames={"#o": "owner"},
                  ExpressionAttributeValues={":o": {"S": owner}})
    return [i["sk"]["S"] for i in r["Items"]]


def test_a_backup_holds_the_table_as_it_was_and_outlives_it(ddb, tables, backups):
    name = tables()
    for n in range(20):
        put(ddb, name, n, "ada" if n % 2 else "bob")
    want = scan_all(ddb, name)
    want_ada = by_owner(ddb, name, "ada")
    d = ddb.create_backup(TableName=name, BackupName="first.backup_1")["BackupDetails"]
    backups.append(d["BackupArn"])
    assert d["BackupStatus"] == "AVAILABLE"
    assert d["BackupType"] == "USER"
    assert d["BackupName"] == "first.backup_1"
    assert d["BackupArn"].startswith(h.table_arn(name) + "/backup/")
    assert d["BackupSizeBytes"] > 0
    # Changes after the backup are not in it.
    for n in range(20, 30):
        put(ddb, name, n)
    ddb.delete_item(TableName=name, Key={"pk": {"S": "p0"}, "sk": {"S": "s000"}})

    desc = ddb.describe_backup(BackupArn=d["BackupArn"])["BackupDescription"]
    assert desc["BackupDetails"]["BackupArn"] == d["BackupArn"]
    src = desc["SourceTableDetails"]
    assert src["TableName"] == name and src["ItemCount"] == 20
    assert src["KeySchema"] == ks("pk", "sk")
    assert src["BillingMode"] == "PAY_PER_REQUEST"
    feats = desc["SourceTableFeatureDetails"]
    assert [g["IndexName"] for g in feats["GlobalSecondaryIndexes"]] == ["byOwner"]
    assert feats["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"

    # The table goes; the backup stays, and restores it as it was.
    ddb.delete_table(TableName=name)
    h.wait_gone(ddb, name)
    target = tables(create=False)
    r = ddb.restore_table_from_backup(TargetTableName=target, BackupArn=d["BackupArn"])
    t = r["TableDescription"]
    assert t["RestoreSummary"]["SourceBackupArn"] == d["BackupArn"]
    assert t["RestoreSummary"]["SourceTableArn"] == h.table_arn(name)
    assert t["RestoreSummary"]["RestoreInProgress"] is False
    h.wait_active(ddb, target)
    assert scan_all(ddb, target) == want
    assert by_owner(ddb, target, "ada") == want_ada


def test_restore_overrides(ddb, tables, backups):
    name = tables()
    put(ddb, name, 1)
    arn = ddb.create_backup(TableName=h.table_arn(name), BackupName="ovr")["BackupDetails"]["BackupArn"]
    backups.append(arn)
    target = tables(create=False)
    t = ddb.restore_table_from_backup(
        TargetTableName=target, BackupArn=arn, BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 4, "WriteCapacityUnits": 2})["TableDescription"]
    assert t["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 4
    assert len(scan_all(ddb, target)) == 1
    # Index overrides keep some (or none) of the indexes, each as it is.
    by_owner_index = {"IndexName": "byOwner", "KeySchema": ks("owner", "sk"),
                      "Projection": {"ProjectionType": "ALL"}}
    none = tables(create=False)
    t = ddb.restore_table_from_backup(TargetTableName=none, BackupArn=arn,
                                      GlobalSecondaryIndexOverride=[])["TableDescription"]
    assert "GlobalSecondaryIndexes" not in t
    assert len(scan_all(ddb, none)) == 1
    kept = tables(create=False)
    t = ddb.restore_table_from_backup(TargetTableName=kept, BackupArn=arn,
                                      GlobalSecondaryIndexOverride=[by_owner_index])["TableDescription"]
    assert [i["IndexName"] for i in t["GlobalSecondaryIndexes"]] == ["byOwner"]
    with h.expect_error("ValidationException", contains="has no global index nope"):
        ddb.restore_table_from_backup(
            TargetTableName=tables(create=False), BackupArn=arn,
            GlobalSecondaryIndexOverride=[dict(by_owner_index, IndexName="nope")])
    with h.expect_error("ValidationException", contains="does not match"):
        ddb.restore_table_from_backup(
            TargetTableName=tables(create=False), BackupArn=arn,
            GlobalSecondaryIndexOverride=[dict(by_owner_index, Projection={"ProjectionType": "KEYS_ONLY"})])
    with h.expect_error("ValidationException", contains="has no local index byOwner"):
        ddb.restore_table_from_backup(TargetTableName=tables(create=False), BackupArn=arn,
                                      LocalSecondaryIndexOverride=[by_owner_index])


def test_list_backups_filters_and_pages(ddb, tables, backups):
    a, b = tables(), tables()
    before = time.time()
    arns = []
    for i in range(3):
        arns.append(ddb.create_backup(TableName=a, BackupName=f"a{i}x")["BackupDetails"]["BackupArn"])
    arns.append(ddb.create_backup(TableName=b, BackupName="b0x")["BackupDetails"]["BackupArn"])
    backups.extend(arns)
    mine = ddb.list_backups(TableName=a)["BackupSummaries"]
    assert [s["BackupArn"] for s in mine] == arns[:3]
    assert all(s["TableName"] == a and s["BackupStatus"] == "AVAILABLE" for s in mine)
    # Paging: one at a time.
    seen, start = [], None
    while True:
        kw = {"TableName": a, "Limit": 1}
        if start:
            kw["ExclusiveStartBackupArn"] = start
        r = ddb.list_backups(**kw)
        seen += [s["BackupArn"] for s in r["BackupSummaries"]]
        start = r.get("LastEvaluatedBackupArn")
        if not start:
            break
    assert seen == arns[:3]
    # Time range and type.
    everything = [s["BackupArn"] for s in ddb.list_backups(TimeRangeLowerBound=before)["BackupSummaries"]]
    assert set(arns) <= set(everything)
    assert ddb.list_backups(TableName=a, TimeRangeUpperBound=before - 60)["BackupSummaries"] == []
    assert ddb.list_backups(TableName=a, BackupType="SYSTEM")["BackupSummaries"] == []
    assert len(ddb.list_backups(TableName=a, BackupType="ALL")["BackupSummaries"]) == 3
    # Deleted: gone from everywhere.
    r = ddb.delete_backup(BackupArn=arns[0])["BackupDescription"]
    assert r["BackupDetails"]["BackupStatus"] == "DELETED"
    assert [s["BackupArn"] for s in ddb.list_backups(TableName=a)["BackupSummaries"]] == arns[1:3]
    with h.expect_error("BackupNotFoundException", contains=arns[0]):
        ddb.describe_backup(BackupArn=arns[0])
    with h.expect_error("BackupNotFoundException"):
        ddb.delete_backup(BackupArn=arns[0])


def test_refusals_name_their_cause(ddb, raw_ddb, tables, backups):
    name = tables()
    missing = h.unique_name("gone")
    with h.expect_error("TableNotFoundException", contains=missing):
        ddb.create_backup(TableName=missing, BackupName="xyz")
    with h.expect_error("ValidationException", contains="backupName"):
        raw_ddb.create_backup(TableName=name, BackupName="no spaces")
    with h.expect_error("ValidationException", contains="backupName"):
        raw_ddb.create_backup(TableName=name, BackupName="ab")
    arn = ddb.create_backup(TableName=name, BackupName="okay")["BackupDetails"]["BackupArn"]
    backups.append(arn)
    with h.expect_error("TableAlreadyExistsException", contains=name):
        ddb.restore_table_from_backup(TargetTableName=name, BackupArn=arn)
    fake = arn[:-8] + "00000000"
    with h.expect_error("BackupNotFoundException", contains=fake):
        ddb.restore_table_from_backup(TargetTableName=tables(create=False), BackupArn=fake)
    with h.expect_error("ValidationException", contains="limit"):
        raw_ddb.list_backups(Limit=101)
    with h.expect_error("ValidationException", contains="backupType"):
        raw_ddb.list_backups(BackupType="NIGHTLY")
    with h.expect_error("ValidationException", contains="ExclusiveStartBackupArn"):
        ddb.list_backups(ExclusiveStartBackupArn=fake)
