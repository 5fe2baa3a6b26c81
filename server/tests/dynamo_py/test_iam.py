"""IAM through boto3's `iam` client on the DynamoDB endpoint: users, access keys, inline and
managed policies, attachments, groups and roles; each operation's answer and its errors (code,
message, HTTP status); paging with MaxItems/Marker; where the secret access key shows (only in
CreateAccessKey's answer); and an access key's life as DynamoDB sees it (allowed, inactive,
active again, deleted).

Expected answers are IAM's (API reference and its documented error messages); messages are
asserted exactly where IAM's wording is known, by code and status otherwise."""

import json
import uuid

import pytest
from botocore.exceptions import ClientError

import dynamo_helpers as h
from dynamo_helpers import expect_error

ADMIN = h.AWS_POLICY + "AdministratorAccess"
DDB_FULL = h.AWS_POLICY + "AmazonDynamoDBFullAccess"
DDB_READ = h.AWS_POLICY + "AmazonDynamoDBReadOnlyAccess"
IAM_FULL = h.AWS_POLICY + "IAMFullAccess"
IAM_READ = h.AWS_POLICY + "IAMReadOnlyAccess"
AWS_MANAGED = [ADMIN, DDB_FULL, DDB_READ, IAM_FULL, IAM_READ]

LIST_TABLES = h.policy(h.allow("dynamodb:ListTables"))


def doc(*actions):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}


@pytest.fixture(scope="module")
def raw_iam():
    """The root's IAM client without botocore's parameter validation."""
    return h.make_service_client("iam", validate=False)


class _any_client_error:
    """Asserts the block raises some ClientError (where AWS's code is not known)."""

    def __enter__(self):
        return self

    def __exit__(self, typ, value, tb):
        assert typ is not None and issubclass(typ, ClientError), "expected a ClientError"
        return True


def unique_path():
    return f"/p{uuid.uuid4().hex[:12]}/"


# ---------------------------------------------------------------------------------------------
# Users


def test_create_get_delete_user(iam):
    name = h.unique_name("user")
    path = unique_path()
    u = iam.create_user(UserName=name, Path=path)["User"]
    try:
        assert u["UserName"] == name
        assert u["Path"] == path
        assert u["Arn"] == h.user_arn(name, path)
        # AWS user ids: AIDA + 17 upper-case letters and digits.
        assert u["UserId"].startswith("AIDA") and len(u["UserId"]) == 21, u["UserId"]
        assert u["UserId"].isalnum() and u["UserId"].upper() == u["UserId"]
        assert u["CreateDate"].year >= 2024
        got = iam.get_user(UserName=name)["User"]
        for k in ("UserName", "Path", "Arn", "UserId", "CreateDate"):
            assert got[k] == u[k], k
        # Names are unique case-insensitively: the same name in upper case is the same user.
        assert iam.get_user(UserName=name.upper())["User"]["UserName"] == name
    finally:
        iam.delete_user(UserName=name)
    with expect_error("NoSuchEntity", f"The user with name {name} cannot be found.") as e:
        iam.get_user(UserName=name)
    assert h.status_of(e) == 404
    assert e.response["Error"]["Type"] == "Sender"


def test_create_user_twice(iam_env, iam):
    u = iam_env.user(key=False)
    with expect_error("EntityAlreadyExists", f"User with name {u.name} already exists.") as e:
        iam.create_user(UserName=u.name)
    assert h.status_of(e) == 409
    with expect_error("EntityAlreadyExists") as e:
        iam.create_user(UserName=u.name.upper())
    assert h.status_of(e) == 409


@pytest.mark.parametrize("name", ["has space", "slash/name", "x" * 65, "é"])
def test_create_user_bad_name(raw_iam, name):
    with expect_error("ValidationError", contains="userName") as e:
        raw_iam.create_user(UserName=name)
    assert h.status_of(e) == 400


def test_create_user_bad_path(raw_iam):
    with expect_error("ValidationError", contains="path") as e:
        raw_iam.create_user(UserName=h.unique_name("user"), Path="no-slashes")
    assert h.status_of(e) == 400


def test_get_user_without_name_is_the_caller(iam, iam_env):
    root = iam.get_user()["User"]
    assert root["Arn"] == h.ROOT_ARN
    assert root["UserId"] == h.ACCOUNT
    u = iam_env.user(policy=h.policy(h.allow("iam:GetUser", h.user_arn("*"))))
    me = u.iam.get_user()["User"]
    assert me["UserName"] == u.name and me["Arn"] == u.arn and me["UserId"] == u.id


def test_delete_user_missing(iam):
    name = h.unique_name("nobody")
    with expect_error("NoSuchEntity", f"The user with name {name} cannot be found.") as e:
        iam.delete_user(UserName=name)
    assert h.status_of(e) == 404


def test_delete_user_conflicts(iam_env, iam):
    """A user with access keys, inline policies, attached policies or groups is not deleted;
    each is named, and the user can be deleted once it has none."""
    u = iam_env.user(policy=LIST_TABLES, managed=[DDB_READ])
    g = iam_env.group()
    iam.add_user_to_group(GroupName=g, UserName=u.name)
    with expect_error("DeleteConflict",
                      "Cannot delete entity, must delete access keys first.") as e:
        iam.delete_user(UserName=u.name)
    assert h.status_of(e) == 409
    iam.delete_access_key(UserName=u.name, AccessKeyId=u.access_key)
    with expect_error("DeleteConflict", "Cannot delete entity, must delete policies first."):
        iam.delete_user(UserName=u.name)
    iam.delete_user_policy(UserName=u.name, PolicyName="inline0")
    with expect_error("DeleteConflict", "Cannot delete entity, must detach all policies first."):
        iam.delete_user(UserName=u.name)
    iam.detach_user_policy(UserName=u.name, PolicyArn=DDB_READ)
    with expect_error("DeleteConflict", contains="group"):
        iam.delete_user(UserName=u.name)
    iam.remove_user_from_group(GroupName=g, UserName=u.name)
    iam.delete_user(UserName=u.name)
    with expect_error("NoSuchEntity"):
        iam.get_user(UserName=u.name)


def test_list_users_path_prefix_and_paging(iam_env, iam):
    path = unique_path()
    names = sorted(iam_env.user(key=False, path=path).name for _ in range(5))
    resp = iam.list_users(PathPrefix=path)
    assert [u["UserName"] for u in resp["Users"]] == names
    assert resp["IsTruncated"] is False
    assert "Marker" not in resp
    assert all(u["Path"] == path and u["Arn"] == h.user_arn(u["UserName"], path)
               for u in resp["Users"])
    # MaxItems pages: 2 + 2 + 1, in name order, each page's Marker leading to the next.
    pages, marker = [], None
    while True:
        kw = {"PathPrefix": path, "MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        page = iam.list_users(**kw)
        pages.append([u["UserName"] for u in page["Users"]])
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert pages == [names[0:2], names[2:4], names[4:5]]
    # boto3's paginator follows the markers too.
    got = [u["UserName"] for p in iam.get_paginator("list_users").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 3}) for u in p["Users"]]
    assert got == names
    # A prefix matching nothing: an empty, untruncated list.
    assert iam.list_users(PathPrefix=unique_path())["Users"] == []


@pytest.mark.parametrize("max_items", [0, 1001])
def test_list_users_bad_max_items(raw_iam, max_items):
    with expect_error("ValidationError", contains="maxItems") as e:
        raw_iam.list_users(MaxItems=max_items)
    assert h.status_of(e) == 400


# ---------------------------------------------------------------------------------------------
# Access keys


def test_create_access_key_shape_and_limit(iam_env, iam):
    u = iam_env.user(key=False)
    k1 = iam.create_access_key(UserName=u.name)["AccessKey"]
    assert k1["UserName"] == u.name
    assert k1["Status"] == "Active"
    assert k1["AccessKeyId"].startswith("AKIA") and len(k1["AccessKeyId"]) == 20
    assert len(k1["SecretAccessKey"]) == 40
    assert k1["CreateDate"].year >= 2024
    k2 = iam.create_access_key(UserName=u.name)["AccessKey"]
    assert k2["AccessKeyId"] != k1["AccessKeyId"]
    assert k2["SecretAccessKey"] != k1["SecretAccessKey"]
    # Two keys per user at most.
    with expect_error("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2") as e:
        iam.create_access_key(UserName=u.name)
    assert h.status_of(e) == 409
    listed = iam.list_access_keys(UserName=u.name)
    assert listed["IsTruncated"] is False
    assert sorted(m["AccessKeyId"] for m in listed["AccessKeyMetadata"]) == sorted(
        [k1["AccessKeyId"], k2["AccessKeyId"]])
    for m in listed["AccessKeyMetadata"]:
        assert set(m) == {"UserName", "AccessKeyId", "Status", "CreateDate"}
    # Paging over keys.
    page = iam.list_access_keys(UserName=u.name, MaxItems=1)
    assert len(page["AccessKeyMetadata"]) == 1 and page["IsTruncated"] is True
    rest = iam.list_access_keys(UserName=u.name, Marker=page["Marker"])
    assert len(rest["AccessKeyMetadata"]) == 1 and rest["IsTruncated"] is False


def test_access_key_errors(iam_env, iam):
    name = h.unique_name("nobody")
    with expect_error("NoSuchEntity", f"The user with name {name} cannot be found.") as e:
        iam.create_access_key(UserName=name)
    assert h.status_of(e) == 404
    with expect_error("NoSuchEntity"):
        iam.list_access_keys(UserName=name)
    a = iam_env.user()
    b = iam_env.user()
    # A key is found only under its own user.
    with expect_error("NoSuchEntity",
                      f"The Access Key with id {a.access_key} cannot be found.") as e:
        iam.delete_access_key(UserName=b.name, AccessKeyId=a.access_key)
    assert h.status_of(e) == 404
    with expect_error("NoSuchEntity"):
        iam.update_access_key(UserName=b.name, AccessKeyId=a.access_key, Status="Inactive")
    missing = "AKIA" + "Z" * 16
    with expect_error("NoSuchEntity", f"The Access Key with id {missing} cannot be found."):
        iam.delete_access_key(UserName=a.name, AccessKeyId=missing)
    # The root's key is set when the server starts: the root makes none through IAM (AWS
    # would make the root a key here; this server refuses, whatever the code).
    with _any_client_error():
        iam.create_access_key()


def test_update_access_key_bad_status(iam_env, raw_iam):
    u = iam_env.user()
    with expect_error("ValidationError", contains="status") as e:
        raw_iam.update_access_key(UserName=u.name, AccessKeyId=u.access_key, Status="Paused")
    assert h.status_of(e) == 400


def test_secret_only_in_create_access_key(iam_env, iam):
    """The secret access key is in CreateAccessKey's answer and nowhere else: not in
    ListAccessKeys, GetUser, ListUsers, GetGroup, nor anything else that describes the user."""
    path = unique_path()
    u = iam_env.user(path=path, policy=LIST_TABLES)
    g = iam_env.group()
    iam.add_user_to_group(GroupName=g, UserName=u.name)
    answers = [
        iam.list_access_keys(UserName=u.name),
        iam.get_user(UserName=u.name),
        iam.list_users(PathPrefix=path),
        iam.get_group(GroupName=g),
        iam.list_user_policies(UserName=u.name),
        iam.get_user_policy(UserName=u.name, PolicyName="inline0"),
        iam.list_groups_for_user(UserName=u.name),
    ]
    for a in answers:
        text = repr(a)
        assert u.secret_key not in text, a
    assert u.access_key in repr(answers[0])


def test_fresh_key_works_once_allowed(iam_env, iam):
    u = iam_env.user()
    with expect_error("AccessDeniedException",
                      h.denied_message(u.arn, "dynamodb:ListTables", "*")):
        u.ddb.list_tables()
    iam.put_user_policy(UserName=u.name, PolicyName="lt", PolicyDocument=LIST_TABLES)
    assert "TableNames" in u.ddb.list_tables()
    # And it stops working as soon as the permission goes.
    iam.delete_user_policy(UserName=u.name, PolicyName="lt")
    with expect_error("AccessDeniedException"):
        u.ddb.list_tables()


def test_inactive_key_refused_active_again_works_deleted_refused(iam_env, iam):
    u = iam_env.user(policy=LIST_TABLES)
    u.ddb.list_tables()
    iam.update_access_key(UserName=u.name, AccessKeyId=u.access_key, Status="Inactive")
    meta = iam.list_access_keys(UserName=u.name)["AccessKeyMetadata"]
    assert [m["Status"] for m in meta] == ["Inactive"]
    with expect_error("UnrecognizedClientException",
                      "The security token included in the request is invalid."):
        u.ddb.list_tables()
    iam.update_access_key(UserName=u.name, AccessKeyId=u.access_key, Status="Active")
    assert "TableNames" in u.ddb.list_tables()
    iam.delete_access_key(UserName=u.name, AccessKeyId=u.access_key)
    assert iam.list_access_keys(UserName=u.name)["AccessKeyMetadata"] == []
    with expect_error("UnrecognizedClientException",
                      "The security token included in the request is invalid."):
        u.ddb.list_tables()
    # The deleted key does not come back for IAM or STS either.
    with expect_error("InvalidClientTokenId") as e:
        u.sts.get_caller_identity()
    assert h.status_of(e) == 403


def test_user_manages_own_keys_without_user_name(iam_env):
    """With no UserName, the key operations are about the calling user."""
    u = iam_env.user(policy=h.policy(h.allow(
        ["iam:CreateAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey",
         "iam:DeleteAccessKey"], h.user_arn("${aws:username}"))))
    listed = u.iam.list_access_keys()
    assert [m["UserName"] for m in listed["AccessKeyMetadata"]] == [u.name]
    assert [m["AccessKeyId"] for m in listed["AccessKeyMetadata"]] == [u.access_key]
    k2 = u.iam.create_access_key()["AccessKey"]
    assert k2["UserName"] == u.name
    u.iam.update_access_key(AccessKeyId=k2["AccessKeyId"], Status="Inactive")
    u.iam.delete_access_key(AccessKeyId=k2["AccessKeyId"])
    assert len(u.iam.list_access_keys()["AccessKeyMetadata"]) == 1


# ---------------------------------------------------------------------------------------------
# Inline policies of users, groups and roles


def _owner(iam_env, kind):
    if kind == "User":
        return iam_env.user(key=False).name
    if kind == "Group":
        return iam_env.group()
    return iam_env.role(h.trust_policy(h.ROOT_ARN))["RoleName"]


@pytest.mark.parametrize("kind", ["User", "Group", "Role"])
def test_inline_policy_lifecycle(iam_env, iam, kind):
    owner = _owner(iam_env, kind)
    param = f"{kind}Name"
    snake = kind.lower()
    put = getattr(iam, f"put_{snake}_policy")
    get = getattr(iam, f"get_{snake}_policy")
    lst = getattr(iam, f"list_{snake}_policies")
    delete = getattr(iam, f"delete_{snake}_policy")
    assert lst(**{param: owner})["PolicyNames"] == []
    d1 = doc("dynamodb:GetItem")
    d2 = doc("dynamodb:PutItem", "dynamodb:Query")
    put(**{param: owner}, PolicyName="b-policy", PolicyDocument=json.dumps(d1))
    put(**{param: owner}, PolicyName="a-policy", PolicyDocument=json.dumps(d2))
    got = get(**{param: owner}, PolicyName="b-policy")
    assert got[param] == owner
    assert got["PolicyName"] == "b-policy"
    # IAM returns the document URL-encoded; boto3 decodes it back into the JSON.
    assert got["PolicyDocument"] == d1
    listed = lst(**{param: owner})
    assert listed["PolicyNames"] == ["a-policy", "b-policy"]
    assert listed["IsTruncated"] is False
    page = lst(**{param: owner}, MaxItems=1)
    assert page["PolicyNames"] == ["a-policy"] and page["IsTruncated"] is True
    assert lst(**{param: owner}, Marker=page["Marker"])["PolicyNames"] == ["b-policy"]
    # Putting again under the same name replaces the document.
    put(**{param: owner}, PolicyName="b-policy", PolicyDocument=json.dumps(d2))
    assert get(**{param: owner}, PolicyName="b-policy")["PolicyDocument"] == d2
    delete(**{param: owner}, PolicyName="b-policy")
    assert lst(**{param: owner})["PolicyNames"] == ["a-policy"]
    with expect_error("NoSuchEntity",
                      f"The {snake} policy with name b-policy cannot be found.") as e:
        get(**{param: owner}, PolicyName="b-policy")
    assert h.status_of(e) == 404
    with expect_error("NoSuchEntity",
                      f"The {snake} policy with name b-policy cannot be found."):
        delete(**{param: owner}, PolicyName="b-policy")


@pytest.mark.parametrize("kind", ["User", "Group", "Role"])
def test_inline_policy_owner_missing(iam, kind):
    name = h.unique_name("nobody")
    put = getattr(iam, f"put_{kind.lower()}_policy")
    with expect_error("NoSuchEntity",
                      f"The {kind.lower()} with name {name} cannot be found.") as e:
        put(**{f"{kind}Name": name}, PolicyName="p", PolicyDocument=json.dumps(doc("s3:*")))
    assert h.status_of(e) == 404
    with expect_error("NoSuchEntity"):
        getattr(iam, f"list_{kind.lower()}_policies")(**{f"{kind}Name": name})


@pytest.mark.parametrize("document,message", [
    ("not json", "Syntax errors in policy."),
    (json.dumps({"Version": "2012-10-17"}), "Missing required field Statement"),
    (json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:GetItem"}]}),
     "Policy statement must contain resources."),
    (json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Resource": "*"}]}), "Policy statement must contain actions."),
    (json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "GetItem", "Resource": "*"}]}),
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    (json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*",
         "Principal": {"AWS": "*"}}]}), "Policy document should not specify a principal."),
    # wording: unverified (IAM's message for an unknown statement field is not confirmed).
    (json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*", "Bogus": 1}]}), None),
])
def test_put_user_policy_malformed(iam_env, iam, document, message):
    u = iam_env.user(key=False)
    with expect_error("MalformedPolicyDocument", message) as e:
        iam.put_user_policy(UserName=u.name, PolicyName="bad", PolicyDocument=document)
    assert h.status_of(e) == 400
    assert iam.list_user_policies(UserName=u.name)["PolicyNames"] == []


# ---------------------------------------------------------------------------------------------
# Managed policies


def test_create_get_policy_and_version(iam_env, iam):
    d = doc("dynamodb:GetItem", "dynamodb:Query")
    path = unique_path()
    p = iam_env.managed_policy(json.dumps(d), Path=path, Description="read some")
    name = p["PolicyName"]
    assert p["Arn"] == f"arn:aws:iam::{h.ACCOUNT}:policy{path}{name}"
    assert p["Path"] == path
    assert p["PolicyId"].startswith("ANPA")
    assert p["DefaultVersionId"] == "v1"
    assert p["AttachmentCount"] == 0
    assert p["IsAttachable"] is True
    got = iam.get_policy(PolicyArn=p["Arn"])["Policy"]
    for k in ("PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId", "AttachmentCount",
              "IsAttachable", "Description"):
        assert got[k] == (p[k] if k in p else "read some"), k
    v = iam.get_policy_version(PolicyArn=p["Arn"], VersionId="v1")["PolicyVersion"]
    assert v["VersionId"] == "v1"
    assert v["IsDefaultVersion"] is True
    assert v["Document"] == d
    with expect_error("NoSuchEntity") as e:
        iam.get_policy_version(PolicyArn=p["Arn"], VersionId="v2")
    assert h.status_of(e) == 404


def test_create_policy_errors(iam_env, iam):
    p = iam_env.managed_policy(json.dumps(doc("dynamodb:GetItem")))
    with expect_error("EntityAlreadyExists",
                      f"A policy called {p['PolicyName']} already exists. "
                      "Duplicate names are not allowed.") as e:
        iam.create_policy(PolicyName=p["PolicyName"], PolicyDocument=json.dumps(doc("s3:*")))
    assert h.status_of(e) == 409
    with expect_error("MalformedPolicyDocument", "Syntax errors in policy.") as e:
        iam.create_policy(PolicyName=h.unique_name("bad"), PolicyDocument="{")
    assert h.status_of(e) == 400


def test_get_policy_missing(iam):
    arn = f"arn:aws:iam::{h.ACCOUNT}:policy/{h.unique_name('nopolicy')}"
    with expect_error("NoSuchEntity", f"Policy {arn} was not found.") as e:
        iam.get_policy(PolicyArn=arn)
    assert h.status_of(e) == 404
    with expect_error("NoSuchEntity", f"Policy {arn} was not found."):
        iam.delete_policy(PolicyArn=arn)


def test_aws_managed_policies(iam):
    for arn in AWS_MANAGED:
        p = iam.get_policy(PolicyArn=arn)["Policy"]
        assert p["Arn"] == arn
        assert p["PolicyName"] == arn.rsplit("/", 1)[1]
        assert p["IsAttachable"] is True
        v = iam.get_policy_version(PolicyArn=arn, VersionId=p["DefaultVersionId"])
        assert v["PolicyVersion"]["Document"]["Statement"]
    listed = [p["Arn"] for p in iam.get_paginator("list_policies").paginate(Scope="AWS")
              .build_full_result()["Policies"]]
    assert set(AWS_MANAGED) <= set(listed)
    assert all(a.startswith(h.AWS_POLICY) for a in listed)
    # An AWS managed policy is not the account's to delete.
    with _any_client_error():
        iam.delete_policy(PolicyArn=DDB_READ)
    assert iam.get_policy(PolicyArn=DDB_READ)["Policy"]["Arn"] == DDB_READ


def test_list_policies_scope_only_attached_paging(iam_env, iam):
    path = unique_path()
    made = sorted((iam_env.managed_policy(json.dumps(doc("dynamodb:GetItem")), Path=path)
                   for _ in range(3)), key=lambda p: p["Arn"])
    arns = [p["Arn"] for p in made]
    local = iam.list_policies(Scope="Local", PathPrefix=path)
    assert [p["Arn"] for p in local["Policies"]] == arns
    assert local["IsTruncated"] is False
    assert not any(p["Arn"] in AWS_MANAGED for p in
                   iam.list_policies(Scope="Local", MaxItems=1000)["Policies"])
    # OnlyAttached: none, then the one attached.
    assert iam.list_policies(Scope="Local", PathPrefix=path, OnlyAttached=True)["Policies"] == []
    u = iam_env.user(key=False, managed=[arns[1]])
    only = iam.list_policies(Scope="Local", PathPrefix=path, OnlyAttached=True)["Policies"]
    assert [p["Arn"] for p in only] == [arns[1]]
    assert only[0]["AttachmentCount"] == 1
    assert iam.get_policy(PolicyArn=arns[1])["Policy"]["AttachmentCount"] == 1
    # Paging.
    page = iam.list_policies(Scope="Local", PathPrefix=path, MaxItems=2)
    assert [p["Arn"] for p in page["Policies"]] == arns[:2] and page["IsTruncated"] is True
    rest = iam.list_policies(Scope="Local", PathPrefix=path, Marker=page["Marker"])
    assert [p["Arn"] for p in rest["Policies"]] == arns[2:] and rest["IsTruncated"] is False
    del u


def test_list_policies_bad_scope(raw_iam):
    with expect_error("ValidationError", contains="scope"):
        raw_iam.list_policies(Scope="Everything")


def test_delete_policy(iam_env, iam):
    p = iam_env.managed_policy(json.dumps(doc("dynamodb:GetItem")))
    u = iam_env.user(key=False, managed=[p["Arn"]])
    with expect_error("DeleteConflict", "Cannot delete a policy attached to entities.") as e:
        iam.delete_policy(PolicyArn=p["Arn"])
    assert h.status_of(e) == 409
    iam.detach_user_policy(UserName=u.name, PolicyArn=p["Arn"])
    iam.delete_policy(PolicyArn=p["Arn"])
    with expect_error("NoSuchEntity", f"Policy {p['Arn']} was not found."):
        iam.get_policy(PolicyArn=p["Arn"])


@pytest.mark.parametrize("kind", ["User", "Group", "Role"])
def test_attach_detach_list_attached(iam_env, iam, kind):
    owner = _owner(iam_env, kind)
    param = {f"{kind}Name": owner}
    snake = kind.lower()
    attach = getattr(iam, f"attach_{snake}_policy")
    detach = getattr(iam, f"detach_{snake}_policy")
    list_attached = getattr(iam, f"list_attached_{snake}_policies")
    mine = iam_env.managed_policy(json.dumps(doc("dynamodb:Query")))
    assert list_attached(**param)["AttachedPolicies"] == []
    attach(**param, PolicyArn=DDB_READ)
    attach(**param, PolicyArn=mine["Arn"])
    attach(**param, PolicyArn=DDB_READ)  # again: no change, no error
    got = list_attached(**param)
    assert sorted((p["PolicyName"], p["PolicyArn"]) for p in got["AttachedPolicies"]) == sorted(
        [("AmazonDynamoDBReadOnlyAccess", DDB_READ), (mine["PolicyName"], mine["Arn"])])
    assert got["IsTruncated"] is False
    page = list_attached(**param, MaxItems=1)
    assert len(page["AttachedPolicies"]) == 1 and page["IsTruncated"] is True
    assert iam.get_policy(PolicyArn=mine["Arn"])["Policy"]["AttachmentCount"] == 1
    detach(**param, PolicyArn=DDB_READ)
    assert [p["PolicyArn"] for p in list_attached(**param)["AttachedPolicies"]] == [mine["Arn"]]
    with expect_error("NoSuchEntity", f"Policy {DDB_READ} was not found.") as e:
        detach(**param, PolicyArn=DDB_READ)
    assert h.status_of(e) == 404
    missing = f"arn:aws:iam::{h.ACCOUNT}:policy/{h.unique_name('nopolicy')}"
    with expect_error("NoSuchEntity",
                      f"Policy {missing} does not exist or is not attachable.") as e:
        attach(**param, PolicyArn=missing)
    assert h.status_of(e) == 404
    detach(**param, PolicyArn=mine["Arn"])


@pytest.mark.parametrize("kind", ["User", "Group", "Role"])
def test_attach_to_missing_owner(iam, kind):
    name = h.unique_name("nobody")
    with expect_error("NoSuchEntity",
                      f"The {kind.lower()} with name {name} cannot be found.") as e:
        getattr(iam, f"attach_{kind.lower()}_policy")(**{f"{kind}Name": name},
                                                      PolicyArn=DDB_READ)
    assert h.status_of(e) == 404


def test_attach_invalid_arn(iam_env, raw_iam):
    u = iam_env.user(key=False)
    with expect_error("InvalidInput", contains="is not valid") as e:
        raw_iam.attach_user_policy(UserName=u.name, PolicyArn="not-an-arn-at-all-really")
    assert h.status_of(e) == 400


# ---------------------------------------------------------------------------------------------
# Groups


def test_group_lifecycle(iam_env, iam):
    path = unique_path()
    name = h.unique_name("group")
    g = iam.create_group(GroupName=name, Path=path)["Group"]
    iam_env.groups.append(name)
    assert g["GroupName"] == name and g["Path"] == path
    assert g["Arn"] == f"arn:aws:iam::{h.ACCOUNT}:group{path}{name}"
    assert g["GroupId"].startswith("AGPA") and len(g["GroupId"]) == 21
    with expect_error("EntityAlreadyExists", f"Group with name {name} already exists.") as e:
        iam.create_group(GroupName=name)
    assert h.status_of(e) == 409
    users = sorted((iam_env.user(key=False) for _ in range(3)), key=lambda u: u.name)
    for u in users:
        iam.add_user_to_group(GroupName=name, UserName=u.name)
    iam.add_user_to_group(GroupName=name, UserName=users[0].name)  # again: no change
    got = iam.get_group(GroupName=name)
    assert got["Group"]["Arn"] == g["Arn"] and got["Group"]["GroupId"] == g["GroupId"]
    assert [u["UserName"] for u in got["Users"]] == [u.name for u in users]
    assert got["IsTruncated"] is False
    page = iam.get_group(GroupName=name, MaxItems=2)
    assert [u["UserName"] for u in page["Users"]] == [u.name for u in users[:2]]
    assert page["IsTruncated"] is True
    rest = iam.get_group(GroupName=name, Marker=page["Marker"])
    assert [u["UserName"] for u in rest["Users"]] == [users[2].name]
    listed = iam.list_groups(PathPrefix=path)["Groups"]
    assert [x["GroupName"] for x in listed] == [name]
    for_user = iam.list_groups_for_user(UserName=users[1].name)["Groups"]
    assert [x["GroupName"] for x in for_user] == [name]
    with expect_error("DeleteConflict",
                      "Cannot delete entity, must remove users from group first.") as e:
        iam.delete_group(GroupName=name)
    assert h.status_of(e) == 409
    for u in users:
        iam.remove_user_from_group(GroupName=name, UserName=u.name)
    assert iam.get_group(GroupName=name)["Users"] == []
    assert iam.list_groups_for_user(UserName=users[1].name)["Groups"] == []
    with expect_error("NoSuchEntity") as e:
        iam.remove_user_from_group(GroupName=name, UserName=users[0].name)
    assert h.status_of(e) == 404
    iam.put_group_policy(GroupName=name, PolicyName="p", PolicyDocument=LIST_TABLES)
    with expect_error("DeleteConflict", "Cannot delete entity, must delete policies first."):
        iam.delete_group(GroupName=name)
    iam.delete_group_policy(GroupName=name, PolicyName="p")
    iam.attach_group_policy(GroupName=name, PolicyArn=DDB_READ)
    with expect_error("DeleteConflict", "Cannot delete entity, must detach all policies first."):
        iam.delete_group(GroupName=name)
    iam.detach_group_policy(GroupName=name, PolicyArn=DDB_READ)
    iam.delete_group(GroupName=name)
    with expect_error("NoSuchEntity", f"The group with name {name} cannot be found.") as e:
        iam.get_group(GroupName=name)
    assert h.status_of(e) == 404


def test_group_membership_errors(iam_env, iam):
    g = iam_env.group()
    u = iam_env.user(key=False)
    nobody = h.unique_name("nobody")
    with expect_error("NoSuchEntity", f"The user with name {nobody} cannot be found.") as e:
        iam.add_user_to_group(GroupName=g, UserName=nobody)
    assert h.status_of(e) == 404
    with expect_error("NoSuchEntity", f"The group with name {nobody} cannot be found."):
        iam.add_user_to_group(GroupName=nobody, UserName=u.name)
    with expect_error("NoSuchEntity", f"The group with name {nobody} cannot be found."):
        iam.delete_group(GroupName=nobody)
    with expect_error("NoSuchEntity", f"The user with name {nobody} cannot be found."):
        iam.list_groups_for_user(UserName=nobody)


def test_list_groups_paging(iam_env, iam):
    path = unique_path()
    names = []
    for _ in range(3):
        n = h.unique_name("group")
        iam.create_group(GroupName=n, Path=path)
        iam_env.groups.append(n)
        names.append(n)
    names.sort()
    page = iam.list_groups(PathPrefix=path, MaxItems=2)
    assert [g["GroupName"] for g in page["Groups"]] == names[:2] and page["IsTruncated"]
    rest = iam.list_groups(PathPrefix=path, Marker=page["Marker"])
    assert [g["GroupName"] for g in rest["Groups"]] == names[2:] and not rest["IsTruncated"]


# ---------------------------------------------------------------------------------------------
# Roles


def test_role_lifecycle(iam_env, iam):
    trust = json.loads(h.trust_policy(h.ROOT_ARN))
    path = unique_path()
    name = h.unique_name("role")
    r = iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(trust),
                        Description="a test role", MaxSessionDuration=7200)["Role"]
    iam_env.roles.append(name)
    assert r["RoleName"] == name and r["Path"] == path
    assert r["Arn"] == h.role_arn(name, path)
    assert r["RoleId"].startswith("AROA") and len(r["RoleId"]) == 21
    assert r["AssumeRolePolicyDocument"] == trust
    got = iam.get_role(RoleName=name)["Role"]
    assert got["Arn"] == r["Arn"] and got["RoleId"] == r["RoleId"]
    assert got["AssumeRolePolicyDocument"] == trust
    assert got["Description"] == "a test role"
    assert got["MaxSessionDuration"] == 7200
    with expect_error("EntityAlreadyExists", f"Role with name {name} already exists.") as e:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    assert h.status_of(e) == 409
    assert [x["RoleName"] for x in iam.list_roles(PathPrefix=path)["Roles"]] == [name]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=LIST_TABLES)
    with expect_error("DeleteConflict", "Cannot delete entity, must delete policies first.") as e:
        iam.delete_role(RoleName=name)
    assert h.status_of(e) == 409
    iam.delete_role_policy(RoleName=name, PolicyName="p")
    iam.attach_role_policy(RoleName=name, PolicyArn=DDB_READ)
    with expect_error("DeleteConflict", "Cannot delete entity, must detach all policies first."):
        iam.delete_role(RoleName=name)
    iam.detach_role_policy(RoleName=name, PolicyArn=DDB_READ)
    iam.delete_role(RoleName=name)
    with expect_error("NoSuchEntity", f"The role with name {name} cannot be found.") as e:
        iam.get_role(RoleName=name)
    assert h.status_of(e) == 404
    with expect_error("NoSuchEntity", f"The role with name {name} cannot be found."):
        iam.delete_role(RoleName=name)


def test_role_default_max_session_duration(iam_env):
    r = iam_env.role(h.trust_policy(h.ROOT_ARN))
    assert r["MaxSessionDuration"] == 3600


@pytest.mark.parametrize("seconds", [3599, 43201])
def test_role_bad_max_session_duration(raw_iam, seconds):
    with expect_error("ValidationError", contains="maxSessionDuration") as e:
        raw_iam.create_role(RoleName=h.unique_name("role"), MaxSessionDuration=seconds,
                            AssumeRolePolicyDocument=h.trust_policy(h.ROOT_ARN))
    assert h.status_of(e) == 400


@pytest.mark.parametrize("trust,message", [
    # A trust policy names who may assume the role, and no resources.
    (json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole"}]}),
     "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: "
     "The passed in policy has a statement with no principals!"),
    (json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": h.ROOT_ARN},
         "Resource": "*"}]}), "Has prohibited field Resource"),
    ("[]", "Syntax errors in policy."),
])
def test_role_malformed_trust_policy(iam, trust, message):
    with expect_error("MalformedPolicyDocument", message) as e:
        iam.create_role(RoleName=h.unique_name("role"), AssumeRolePolicyDocument=trust)
    assert h.status_of(e) == 400


def test_list_roles_paging(iam_env, iam):
    path = unique_path()
    names = []
    for _ in range(3):
        n = h.unique_name("role")
        iam.create_role(RoleName=n, Path=path, AssumeRolePolicyDocument=h.trust_policy(h.ROOT_ARN))
        iam_env.roles.append(n)
        names.append(n)
    names.sort()
    page = iam.list_roles(PathPrefix=path, MaxItems=1)
    assert [r["RoleName"] for r in page["Roles"]] == names[:1] and page["IsTruncated"]
    got = [r["RoleName"] for p in iam.get_paginator("list_roles").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2}) for r in p["Roles"]]
    assert got == names


# ---------------------------------------------------------------------------------------------
# IAM's own authorization


def test_iam_calls_need_iam_permissions(iam_env):
    u = iam_env.user()
    with expect_error("AccessDenied", h.denied_message(
            u.arn, "iam:ListUsers", f"arn:aws:iam::{h.ACCOUNT}:user/")) as e:
        u.iam.list_users()
    assert h.status_of(e) == 403
    target = h.unique_name("user")
    with expect_error("AccessDenied", h.denied_message(
            u.arn, "iam:CreateUser", h.user_arn(target))):
        u.iam.create_user(UserName=target)


def test_iam_read_only_policy(iam_env, iam):
    u = iam_env.user(managed=[IAM_READ])
    assert any(x["UserName"] == u.name for p in u.iam.get_paginator("list_users").paginate()
               for x in p["Users"])
    assert u.iam.get_user(UserName=u.name)["User"]["Arn"] == u.arn
    target = h.unique_name("user")
    with expect_error("AccessDenied", h.denied_message(
            u.arn, "iam:CreateUser", h.user_arn(target))):
        u.iam.create_user(UserName=target)
    # IAMFullAccess lets the same user create (and delete) a user.
    iam.attach_user_policy(UserName=u.name, PolicyArn=IAM_FULL)
    u.iam.create_user(UserName=target)
    u.iam.delete_user(UserName=target)


def test_iam_permission_on_one_user_only(iam_env):
    """A resource-scoped IAM permission: GetUser on one user's ARN, not another's."""
    other = iam_env.user(key=False)
    u = iam_env.user(policy=h.policy(h.allow("iam:GetUser", h.user_arn("${aws:username}"))))
    assert u.iam.get_user(UserName=u.name)["User"]["UserName"] == u.name
    with expect_error("AccessDenied", h.denied_message(u.arn, "iam:GetUser", other.arn)):
        u.iam.get_user(UserName=other.name)


def test_unknown_iam_action(iam):
    """An action IAM does not have (here) is InvalidAction, in the query protocol's form."""
    body = "Action=FrobnicateUser&Version=2010-05-08"
    headers, _ = h.sigv4(body=body, service="iam", headers={
        "content-type": "application/x-www-form-urlencoded; charset=utf-8"})
    status, hdrs, data = h.raw_request("POST", headers=headers, body=body)
    assert status == 400, data
    code, message, typ = h.xml_error(data)
    assert code == "InvalidAction", data
    assert message == "Could not find operation FrobnicateUser for version 2010-05-08", data
    assert typ == "Sender"
    assert hdrs.get("x-amzn-requestid")
