"""Point-in-time recovery through boto3: UpdateContinuousBackups, DescribeContinuousBackups and
RestoreTableToPointInTime (docs/backup.md). A table with a global and a local index is changed
in steps, the time after each step noted; restores to those instants hold exactly the table of
that instant, its indexes included; every refusal names its cause."""

import time

import pytest

import dynamo_helpers as h


ks = h.ks


@pytest.fixture
def tables(ddb):
    """Factory: tables(name=None, **create_kwargs) creates a table (or notes a name to delete,
    for restore targets) and returns its name; all are deleted at the end."""
    made = []

    def make(create=True, **kwargs):
        name = h.unique_name("pitr")
        made.append(name)
        if create:
            kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
            ddb.create_table(TableName=name, **kwargs)
            h.wait_active(ddb, name)
        return name

    yield make
    for name in made:
        h.delete_table_quietly(ddb, name)


def orders(tables):
    return tables(
        KeySchema=ks("pk", "sk"),
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                              for n, t in (("pk", "S"), ("sk", "S"), ("owner", "S"), ("at", "N"))],
        GlobalSecondaryIndexes=[{"IndexName": "byOwner", "KeySchema": ks("owner", "at"),
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "byAt", "KeySchema": ks("pk", "at"),
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}])


def scan_all(ddb, name, **kwargs):
    items, start = [], None
    while True:
        if start:
            kwargs["ExclusiveStartKey"] = start
        r = ddb.scan(TableName=name, **kwargs)
        items += r["Items"]
        start = r.get("LastEvaluatedKey")
        if not start:
            return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def owners(ddb, name, owner):
    r = ddb.query(TableName=name, IndexName="byOwner",
                  KeyConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
                  ExpressionAttributeValues={":o": {"S": owner}})
    return [(i["pk"]["S"], i["sk"]["S"], i["at"]["N"]) for i in r["Items"]]


def item(pk, sk, owner, at, note="x"):
    return {"pk": {"S": pk}, "sk": {"S": sk}, "owner": {"S": owner}, "at": {"N": str(at)},
            "note": {"S": note}}


def pause():
    """Lets the clock move past the last commit, so that an instant falls between steps."""
    time.sleep(1.1)


def test_recovery_is_off_until_enabled_and_reports_its_window(ddb, tables):
    name = orders(tables)
    d = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert d["ContinuousBackupsStatus"] == "ENABLED"
    assert d["PointInTimeRecoveryDescription"] == {"PointInTimeRecoveryStatus": "DISABLED"}
    before = time.time()
    r = ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    p = r["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert p["PointInTimeRecoveryStatus"] == "ENABLED"
    assert p["RecoveryPeriodInDays"] == 35
    earliest = p["EarliestRestorableDateTime"].timestamp()
    latest = p["LatestRestorableDateTime"].timestamp()
    assert before - 1 <= earliest <= latest <= time.time() + 1
    # A period of its own, kept when re-enabled without one; the window's start stays.
    r = ddb.update_continuous_backups(
        TableName=h.table_arn(name),
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True,
                                          "RecoveryPeriodInDays": 7})
    p = r["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert p["RecoveryPeriodInDays"] == 7
    assert p["EarliestRestorableDateTime"].timestamp() == pytest.approx(earliest, abs=1)
    ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    d = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert d["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"


def test_a_restore_to_each_instant_holds_the_table_and_its_indexes_of_that_instant(ddb, tables):
    name = orders(tables)
    ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    steps = []  # (instant, scan, byOwner query for "ada")

    def note():
        pause()
        steps.append((time.time(), scan_all(ddb, name), owners(ddb, name, "ada")))
        pause()

    for i in range(30):
        ddb.put_item(TableName=name, Item=item(f"p{i % 5}", f"s{i}", "ada" if i % 2 else "bob", i))
    note()
    for i in range(0, 30, 3):
        ddb.delete_item(TableName=name, Key={"pk": {"S": f"p{i % 5}"}, "sk": {"S": f"s{i}"}})
    ddb.update_item(TableName=name, Key={"pk": {"S": "p1"}, "sk": {"S": "s1"}},
                    UpdateExpression="SET #o = :o", ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues={":o": {"S": "bob"}})
    note()
    for i in range(30, 45):
        ddb.put_item(TableName=name, Item=item(f"p{i % 3}", f"s{i}", "ada", i, note="later"))
    note()

    for n, (instant, want_scan, want_ada) in enumerate(steps):
        target = tables(create=False)
        r = ddb.restore_table_to_point_in_time(
            SourceTableName=name, TargetTableName=target, RestoreDateTime=instant)
        d = r["TableDescription"]
        assert d["TableName"] == target
        assert d["RestoreSummary"]["SourceTableArn"] == h.table_arn(name)
        assert d["RestoreSummary"]["RestoreInProgress"] is False
        # boto3 sends whole seconds: the restore is to the second, as in DynamoDB.
        assert d["RestoreSummary"]["RestoreDateTime"].timestamp() == int(instant)
        assert [g["IndexName"] for g in d["GlobalSecondaryIndexes"]] == ["byOwner"]
        assert [g["IndexName"] for g in d["LocalSecondaryIndexes"]] == ["byAt"]
        h.wait_active(ddb, target)
        assert scan_all(ddb, target) == want_scan, f"step {n}"
        assert owners(ddb, target, "ada") == want_ada, f"step {n}: the global index"
        lsi = ddb.query(TableName=target, IndexName="byAt",
                        KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p0"}})
        assert lsi["Count"] == sum(1 for i in want_scan if i["pk"]["S"] == "p0"), f"step {n}: LSI"
        # The restored table is a table like any other.
        ddb.put_item(TableName=target, Item=item("new", "one", "ada", 1))
        desc = ddb.describe_table(TableName=target)["Table"]
        assert desc["RestoreSummary"]["RestoreInProgress"] is False
        assert "StreamSpecification" not in desc


def test_latest_restorable_time_and_overrides(ddb, tables):
    name = orders(tables)
    ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    ddb.put_item(TableName=name, Item=item("a", "b", "ada", 1))
    target = tables(create=False)
    r = ddb.restore_table_to_point_in_time(
        SourceTableArn=h.table_arn(name), TargetTableName=target, UseLatestRestorableTime=True,
        BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3})
    d = r["TableDescription"]
    assert d["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert d["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    assert d["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    assert scan_all(ddb, target) == scan_all(ddb, name)
    # The restored table's own recovery is off, as in DynamoDB.
    p = ddb.describe_continuous_backups(TableName=target)["ContinuousBackupsDescription"]
    assert p["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    # Index overrides: the local index left out, the global one kept with its own throughput.
    slim = tables(create=False)
    d = ddb.restore_table_to_point_in_time(
        SourceTableName=name, TargetTableName=slim, UseLatestRestorableTime=True,
        BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3},
        LocalSecondaryIndexOverride=[],
        GlobalSecondaryIndexOverride=[{
            "IndexName": "byOwner", "KeySchema": ks("owner", "at"),
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 1}}])["TableDescription"]
    assert "LocalSecondaryIndexes" not in d
    assert [(g["IndexName"], g["ProvisionedThroughput"]["ReadCapacityUnits"])
            for g in d["GlobalSecondaryIndexes"]] == [("byOwner", 2)]
    assert scan_all(ddb, slim) == scan_all(ddb, name)
    got = ddb.query(TableName=slim, IndexName="byOwner", KeyConditionExpression="#o = :o",
                    ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues={":o": {"S": "ada"}})["Items"]
    assert len(got) == 1


def test_refusals_name_their_cause(ddb, raw_ddb, tables):
    name = orders(tables)
    other = tables(KeySchema=ks("pk"), AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"}])
    missing = h.unique_name("gone")
    with h.expect_error("TableNotFoundException", contains=missing):
        ddb.describe_continuous_backups(TableName=missing)
    with h.expect_error("TableNotFoundException", contains=missing):
        ddb.update_continuous_backups(
            TableName=missing,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    with h.expect_error("ValidationException", contains="recoveryPeriodInDays"):
        raw_ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 36})
    with h.expect_error("ValidationException", contains="pointInTimeRecoveryEnabled"):
        raw_ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={})
    with h.expect_error("ValidationException", contains="RecoveryPeriodInDays"):
        raw_ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": False, "RecoveryPeriodInDays": 3})
    target = tables(create=False)
    with h.expect_error("PointInTimeRecoveryUnavailableException", contains=name):
        ddb.restore_table_to_point_in_time(
            SourceTableName=name, TargetTableName=target, UseLatestRestorableTime=True)
    ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    with h.expect_error("TableAlreadyExistsException", contains=other):
        ddb.restore_table_to_point_in_time(
            SourceTableName=name, TargetTableName=other, UseLatestRestorableTime=True)
    with h.expect_error("TableNotFoundException", contains=missing):
        ddb.restore_table_to_point_in_time(
            SourceTableName=missing, TargetTableName=target, UseLatestRestorableTime=True)
    with h.expect_error("InvalidRestoreTimeException", contains="outside the recovery window"):
        ddb.restore_table_to_point_in_time(
            SourceTableName=name, TargetTableName=target, RestoreDateTime=time.time() - 3600)
    with h.expect_error("InvalidRestoreTimeException"):
        ddb.restore_table_to_point_in_time(
            SourceTableName=name, TargetTableName=target, RestoreDateTime=time.time() + 3600)
    with h.expect_error("ValidationException", contains="UseLatestRestorableTime"):
        ddb.restore_table_to_point_in_time(SourceTableName=name, TargetTableName=target)
    with h.expect_error("ValidationException", contains="SourceTableName"):
        ddb.restore_table_to_point_in_time(TargetTableName=target, UseLatestRestorableTime=True)
    with h.expect_error("ValidationException", contains="GlobalSecondaryIndexOverride"):
        ddb.restore_table_to_point_in_time(
            SourceTableName=name, TargetTableName=target, UseLatestRestorableTime=True,
            GlobalSecondaryIndexOverride=[{"IndexName": "nope", "KeySchema": ks("a"),
                                           "Projection": {"ProjectionType": "ALL"}}])
    with h.expect_error("ValidationException", contains="SSESpecificationOverride"):
        ddb.restore_table_to_point_in_time(
            SourceTableName=name, TargetTableName=target, UseLatestRestorableTime=True,
            SSESpecificationOverride={"Enabled": False})
    # Nothing was made by the refusals.
    with h.expect_error("ResourceNotFoundException"):
        ddb.describe_table(TableName=target)


def test_a_deleted_table_restores_up_to_its_deletion(ddb, tables):
    name = orders(tables)
    ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    for i in range(10):
        ddb.put_item(TableName=name, Item=item(f"p{i % 2}", f"s{i}", "ada", i))
    pause()
    middle = time.time()
    pause()
    want_middle = scan_all(ddb, name)
    for i in range(10, 15):
        ddb.put_item(TableName=name, Item=item("late", f"s{i}", "bob", i))
    want_end = scan_all(ddb, name)
    pause()
    ddb.delete_table(TableName=name)
    h.wait_gone(ddb, name)
    # Its recovery status is gone with it, but its window stays restorable.
    with h.expect_error("TableNotFoundException"):
        ddb.describe_continuous_backups(TableName=name)
    at_end = tables(create=False)
    ddb.restore_table_to_point_in_time(
        SourceTableArn=h.table_arn(name), TargetTableName=at_end, UseLatestRestorableTime=True)
    assert scan_all(ddb, at_end) == want_end
    at_middle = tables(create=False)
    ddb.restore_table_to_point_in_time(
        SourceTableName=name, TargetTableName=at_middle, RestoreDateTime=middle)
    assert scan_all(ddb, at_middle) == want_middle
    # Not after the deletion.
    with h.expect_error("InvalidRestoreTimeException"):
        ddb.restore_table_to_point_in_time(
            SourceTableName=name, TargetTableName=tables(create=False),
            RestoreDateTime=time.time() + 5)
    # A table deleted without recovery on is simply gone.
    plain = tables(KeySchema=ks("pk"), AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"}])
    ddb.delete_table(TableName=plain)
    h.wait_gone(ddb, plain)
    with h.expect_error("TableNotFoundException", contains=plain):
        ddb.restore_table_to_point_in_time(
            SourceTableName=plain, TargetTableName=tables(create=False),
            UseLatestRestorableTime=True)
