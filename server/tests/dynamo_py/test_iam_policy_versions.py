"""Managed policy versions through boto3's `iam` client: CreatePolicyVersion (SetAsDefault, the
5-version limit, documents validated as CreatePolicy validates them), ListPolicyVersions (newest
first, paging), GetPolicyVersion, DeletePolicyVersion (never the default), SetDefaultPolicyVersion,
GetPolicy's DefaultVersionId and UpdateDate, DeletePolicy's refusal while other versions exist;
the default version deciding at once what an attached user's key may do on DynamoDB; each
operation authorized for its own `iam:` action on the policy; every refusal.

Expected answers are IAM's: the API reference (shapes, errors, the 5-version quota, DeletePolicy
requiring the non-default versions deleted first, ListPolicyVersions newest first as the AWS
CLI reference's example lists them); messages as AWS's SDK users quote them:
- "A managed policy can have up to 5 versions. Before you create a new version, you must delete
  an existing version." (LimitExceeded, 409);
- "Cannot delete the default version of a policy." (DeleteConflict, 409);
- "This policy has more than one version. Before you delete a policy, you must delete the
  policy's versions. The default version is deleted with the policy." (DeleteConflict, 409).
`# wording: unverified` marks messages whose exact AWS text is not confirmed."""

import datetime
import json

import pytest

import dynamo_helpers as h
from dynamo_helpers import expect_error

LIMIT = ("A managed policy can have up to 5 versions. Before you create a new version, you must "
         "delete an existing version.")
DEFAULT_CONFLICT = "Cannot delete the default version of a policy."
VERSIONS_CONFLICT = ("This policy has more than one version. Before you delete a policy, you must "
                     "delete the policy's versions. The default version is deleted with the "
                     "policy.")
DDB_READ = h.AWS_POLICY + "AmazonDynamoDBReadOnlyAccess"


def doc(*actions, resource="*"):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}]}


@pytest.fixture(scope="module")
def raw_iam():
    """The root's IAM client without botocore's parameter validation."""
    return h.make_service_client("iam", validate=False)


def versions(iam, arn):
    return [(v["VersionId"], v["IsDefaultVersion"])
            for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]]


def new_version(iam, arn, document, default=False):
    return iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document),
                                     SetAsDefault=default)["PolicyVersion"]


def denied(user, action, resource):
    return expect_error("AccessDeniedException", h.denied_message(user.arn, action, resource))


def test_the_default_version_decides_at_once(iam_env, iam, table):
    """A user's key is allowed what the default version allows: a new default version, and
    SetDefaultPolicyVersion, change it on the very next request."""
    arn = iam_env.managed_policy(json.dumps(doc("dynamodb:GetItem",
                                                resource=h.table_arn(table))))["Arn"]
    u = iam_env.user(managed=[arn])
    key = {"pk": {"S": "k"}}
    item = {"pk": {"S": "k"}, "v": {"N": "1"}}
    u.ddb.get_item(TableName=table, Key=key)
    with denied(u, "dynamodb:PutItem", h.table_arn(table)):
        u.ddb.put_item(TableName=table, Item=item)

    # A version that is not the default changes nothing.
    v2 = new_version(iam, arn, doc("dynamodb:Scan"))
    assert v2["VersionId"] == "v2" and v2["IsDefaultVersion"] is False
    assert "Document" not in v2
    u.ddb.get_item(TableName=table, Key=key)
    with denied(u, "dynamodb:Scan", h.table_arn(table)):
        u.ddb.scan(TableName=table)

    # v3, the default: GetItem is refused and PutItem allowed, at once.
    v3 = new_version(iam, arn, doc("dynamodb:PutItem", resource=h.table_arn(table)), default=True)
    assert v3["VersionId"] == "v3" and v3["IsDefaultVersion"] is True
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    u.ddb.put_item(TableName=table, Item=item)
    with denied(u, "dynamodb:GetItem", h.table_arn(table)):
        u.ddb.get_item(TableName=table, Key=key)

    # Back to v1: GetItem again, PutItem refused.
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    assert u.ddb.get_item(TableName=table, Key=key)["Item"] == item
    with denied(u, "dynamodb:PutItem", h.table_arn(table)):
        u.ddb.put_item(TableName=table, Item=item)
    # v2 (Scan) made the default by SetDefaultPolicyVersion.
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert u.ddb.scan(TableName=table)["Count"] == 1
    with denied(u, "dynamodb:GetItem", h.table_arn(table)):
        u.ddb.get_item(TableName=table, Key=key)


def test_lifecycle_limit_and_deletes(iam_env, iam):
    d1 = doc("dynamodb:GetItem")
    p = iam_env.managed_policy(json.dumps(d1))
    arn = p["Arn"]
    assert versions(iam, arn) == [("v1", True)]
    new_version(iam, arn, doc("dynamodb:Query"), default=True)
    # Newest first.
    assert versions(iam, arn) == [("v2", True), ("v1", False)]
    for i in range(3):
        new_version(iam, arn, doc(f"dynamodb:Scan{i}"))
    assert [v for v, _ in versions(iam, arn)] == ["v5", "v4", "v3", "v2", "v1"]
    # The 6th is refused.
    with expect_error("LimitExceeded", LIMIT) as e:
        new_version(iam, arn, doc("dynamodb:PutItem"))
    assert h.status_of(e) == 409
    with expect_error("LimitExceeded", LIMIT):
        new_version(iam, arn, doc("dynamodb:PutItem"), default=True)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    # The default version is not deleted.
    with expect_error("DeleteConflict", DEFAULT_CONFLICT) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert h.status_of(e) == 409
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert versions(iam, arn) == [("v5", False), ("v4", False), ("v3", False), ("v2", False),
                                  ("v1", True)]
    with expect_error("DeleteConflict", DEFAULT_CONFLICT):
        iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert [v for v, _ in versions(iam, arn)] == ["v5", "v4", "v3", "v1"]
    with expect_error("NoSuchEntity") as e:
        iam.get_policy_version(PolicyArn=arn, VersionId="v2")
    assert h.status_of(e) == 404
    # A deleted version's id is not given again.
    assert new_version(iam, arn, doc("dynamodb:PutItem"))["VersionId"] == "v6"
    # DeletePolicy: refused while it is attached, then while other versions exist.
    u = iam_env.user(key=False, managed=[arn])
    with expect_error("DeleteConflict", "Cannot delete a policy attached to entities."):
        iam.delete_policy(PolicyArn=arn)
    iam.detach_user_policy(UserName=u.name, PolicyArn=arn)
    with expect_error("DeleteConflict", VERSIONS_CONFLICT) as e:
        iam.delete_policy(PolicyArn=arn)
    assert h.status_of(e) == 409
    for v, default in versions(iam, arn):
        if not default:
            iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    assert versions(iam, arn) == [("v1", True)]
    iam.delete_policy(PolicyArn=arn)
    with expect_error("NoSuchEntity", f"Policy {arn} was not found."):
        iam.list_policy_versions(PolicyArn=arn)


def test_get_policy_version_and_policy_dates(iam_env, iam):
    d1, d2 = doc("dynamodb:GetItem"), doc("dynamodb:GetItem", "dynamodb:Query")
    p = iam_env.managed_policy(json.dumps(d1))
    arn = p["Arn"]
    assert p["DefaultVersionId"] == "v1"
    assert p["UpdateDate"] == p["CreateDate"]
    v2 = new_version(iam, arn, d2)
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    # UpdateDate: when the most recent version was created.
    assert got["DefaultVersionId"] == "v1"
    assert got["UpdateDate"] == v2["CreateDate"] >= got["CreateDate"]
    assert isinstance(got["UpdateDate"], datetime.datetime)
    for vid, d, default in [("v1", d1, True), ("v2", d2, False)]:
        v = iam.get_policy_version(PolicyArn=arn, VersionId=vid)["PolicyVersion"]
        assert (v["VersionId"], v["IsDefaultVersion"], v["Document"]) == (vid, default, d)
    listed = iam.list_policies(Scope="Local", PathPrefix=p["Path"], MaxItems=1000)["Policies"]
    assert [x["DefaultVersionId"] for x in listed if x["Arn"] == arn] == ["v1"]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    v1 = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert v1["IsDefaultVersion"] is False
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"


def test_list_policy_versions_paging(iam_env, iam):
    arn = iam_env.managed_policy(json.dumps(doc("dynamodb:GetItem")))["Arn"]
    for i in range(4):
        new_version(iam, arn, doc(f"dynamodb:Query{i}"))
    page = iam.list_policy_versions(PolicyArn=arn, MaxItems=2)
    assert [v["VersionId"] for v in page["Versions"]] == ["v5", "v4"]
    assert page["IsTruncated"] is True
    page2 = iam.list_policy_versions(PolicyArn=arn, MaxItems=2, Marker=page["Marker"])
    assert [v["VersionId"] for v in page2["Versions"]] == ["v3", "v2"]
    page3 = iam.list_policy_versions(PolicyArn=arn, MaxItems=2, Marker=page2["Marker"])
    assert [v["VersionId"] for v in page3["Versions"]] == ["v1"]
    assert page3["IsTruncated"] is False and "Marker" not in page3
    got = [v["VersionId"] for p in iam.get_paginator("list_policy_versions").paginate(
        PolicyArn=arn, PaginationConfig={"PageSize": 3}) for v in p["Versions"]]
    assert got == ["v5", "v4", "v3", "v2", "v1"]
    assert all("Document" not in v for v in page["Versions"])


def test_aws_managed_policy_versions(iam):
    assert versions(iam, DDB_READ) == [("v1", True)]
    v = iam.get_policy_version(PolicyArn=DDB_READ, VersionId="v1")["PolicyVersion"]
    assert v["Document"]["Statement"]
    # An AWS managed policy is not the account's to change. wording: unverified (InvalidInput).
    with expect_error("InvalidInput"):
        new_version(iam, DDB_READ, doc("dynamodb:*"))
    with expect_error("InvalidInput"):
        iam.set_default_policy_version(PolicyArn=DDB_READ, VersionId="v1")
    with expect_error("InvalidInput"):
        iam.delete_policy_version(PolicyArn=DDB_READ, VersionId="v1")
    assert versions(iam, DDB_READ) == [("v1", True)]


def test_unknown_policy_or_version(iam_env, iam):
    missing = f"arn:aws:iam::{h.ACCOUNT}:policy/{h.unique_name('nopolicy')}"
    gone = f"Policy {missing} was not found."
    with expect_error("NoSuchEntity", gone) as e:
        new_version(iam, missing, doc("dynamodb:GetItem"))
    assert h.status_of(e) == 404
    with expect_error("NoSuchEntity", gone):
        iam.list_policy_versions(PolicyArn=missing)
    with expect_error("NoSuchEntity", gone):
        iam.get_policy_version(PolicyArn=missing, VersionId="v1")
    with expect_error("NoSuchEntity", gone):
        iam.set_default_policy_version(PolicyArn=missing, VersionId="v1")
    with expect_error("NoSuchEntity", gone):
        iam.delete_policy_version(PolicyArn=missing, VersionId="v1")
    arn = iam_env.managed_policy(json.dumps(doc("dynamodb:GetItem")))["Arn"]
    # wording: unverified ("…is not deletable." / "…is not attachable.": as IAM words GetPolicyVersion's).
    with expect_error("NoSuchEntity", contains="version v7 does not exist") as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v7")
    assert h.status_of(e) == 404
    with expect_error("NoSuchEntity",
                      f"Policy {arn} version v7 does not exist or is not attachable."):
        iam.set_default_policy_version(PolicyArn=arn, VersionId="v7")
    with expect_error("NoSuchEntity",
                      f"Policy {arn} version v7 does not exist or is not attachable."):
        iam.get_policy_version(PolicyArn=arn, VersionId="v7")
    assert versions(iam, arn) == [("v1", True)]


@pytest.mark.parametrize("version", ["1", "v0", "v01", "V1", "vx", "v1.!"])
@pytest.mark.parametrize("op", ["get_policy_version", "delete_policy_version",
                                "set_default_policy_version"])
def test_bad_version_id(iam_env, raw_iam, op, version):
    arn = iam_env.managed_policy(json.dumps(doc("dynamodb:GetItem")))["Arn"]
    with expect_error("ValidationError", contains="versionId") as e:
        getattr(raw_iam, op)(PolicyArn=arn, VersionId=version)
    assert h.status_of(e) == 400


def test_bad_documents_and_parameters(iam_env, iam, raw_iam):
    arn = iam_env.managed_policy(json.dumps(doc("dynamodb:GetItem")))["Arn"]
    with expect_error("MalformedPolicyDocument", "Syntax errors in policy.") as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument="{")
    assert h.status_of(e) == 400
    with expect_error("MalformedPolicyDocument", "Policy statement must contain resources."):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem"}]}))
    with expect_error("MalformedPolicyDocument",
                      "Policy document should not specify a principal."):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*",
                                                     "Resource": "*", "Principal": {"AWS": "*"}}]}))
    # Larger than a managed policy may be (6,144 characters without whitespace).
    big = doc(*[f"dynamodb:GetItem{i:05}" for i in range(400)])
    with expect_error("LimitExceeded", "Cannot exceed quota for PolicySize: 6144") as e:
        new_version(iam, arn, big)
    assert h.status_of(e) == 409
    # Missing parameters, a bad ARN, a bad MaxItems.
    with expect_error("ValidationError", contains="policyDocument"):
        raw_iam.create_policy_version(PolicyArn=arn)
    with expect_error("ValidationError", contains="versionId"):
        raw_iam.delete_policy_version(PolicyArn=arn)
    with expect_error("InvalidInput", "ARN not-a-policy-arn-at-all is not valid."):
        iam.list_policy_versions(PolicyArn="not-a-policy-arn-at-all")
    with expect_error("ValidationError", contains="maxItems"):
        raw_iam.list_policy_versions(PolicyArn=arn, MaxItems=0)
    # None of it made a version.
    assert versions(iam, arn) == [("v1", True)]


def test_each_operation_is_authorized_for_its_action(iam_env, iam):
    arn = iam_env.managed_policy(json.dumps(doc("dynamodb:GetItem")))["Arn"]
    other = iam_env.managed_policy(json.dumps(doc("dynamodb:GetItem")))["Arn"]
    u = iam_env.user()
    d = json.dumps(doc("dynamodb:Query"))

    def refused(action, resource, call):
        with expect_error("AccessDenied", h.denied_message(u.arn, action, resource)) as e:
            call()
        assert h.status_of(e) == 403

    refused("iam:CreatePolicyVersion", arn,
            lambda: u.iam.create_policy_version(PolicyArn=arn, PolicyDocument=d))
    refused("iam:ListPolicyVersions", arn, lambda: u.iam.list_policy_versions(PolicyArn=arn))
    refused("iam:GetPolicyVersion", arn,
            lambda: u.iam.get_policy_version(PolicyArn=arn, VersionId="v1"))
    refused("iam:SetDefaultPolicyVersion", arn,
            lambda: u.iam.set_default_policy_version(PolicyArn=arn, VersionId="v1"))
    refused("iam:DeletePolicyVersion", arn,
            lambda: u.iam.delete_policy_version(PolicyArn=arn, VersionId="v2"))
    assert versions(iam, arn) == [("v1", True)]
    # Granted on `arn` alone.
    iam.put_user_policy(UserName=u.name, PolicyName="versions", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
            "iam:CreatePolicyVersion", "iam:ListPolicyVersions", "iam:GetPolicyVersion",
            "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion"], "Resource": arn}]}))
    assert u.iam.create_policy_version(PolicyArn=arn, PolicyDocument=d,
                                       SetAsDefault=True)["PolicyVersion"]["VersionId"] == "v2"
    assert [v["VersionId"] for v in u.iam.list_policy_versions(PolicyArn=arn)["Versions"]] == \
        ["v2", "v1"]
    u.iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    u.iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert versions(iam, arn) == [("v1", True)]
    refused("iam:CreatePolicyVersion", other,
            lambda: u.iam.create_policy_version(PolicyArn=other, PolicyDocument=d))
    # IAMReadOnlyAccess (iam:Get*, iam:List*) reads versions but does not make them.
    reader = iam_env.user(managed=[h.AWS_POLICY + "IAMReadOnlyAccess"])
    assert reader.iam.list_policy_versions(PolicyArn=arn)["Versions"][0]["VersionId"] == "v1"
    with expect_error("AccessDenied"):
        reader.iam.create_policy_version(PolicyArn=arn, PolicyDocument=d)
