"""Regression tests from the security review of #17: sessions bound to their role's id,
iam:PolicyARN, whole-item reads under attribute-limited policies."""

import json

import pytest
from botocore.exceptions import ClientError

import dynamo_helpers as h


def allow(actions, resource="*", condition=None):
    s = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        s["Condition"] = condition
    return s


def test_a_session_of_a_deleted_role_stays_dead_when_the_name_is_reused(iam_env, iam, sts):
    read = h.policy(allow(["dynamodb:ListTables"]))
    role = iam_env.role(h.trust_policy(h.ROOT_ARN), policy=read)
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="old")["Credentials"]
    old = h.Identity.of_credentials(creds)
    old.ddb.list_tables()
    # Delete the role and make another under the same name, with the same permissions.
    iam.delete_role_policy(RoleName=role["RoleName"], PolicyName="inline0")
    iam.delete_role(RoleName=role["RoleName"])
    iam.create_role(RoleName=role["RoleName"],
                    AssumeRolePolicyDocument=h.trust_policy(h.ROOT_ARN))
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="inline0", PolicyDocument=read)
    with pytest.raises(ClientError) as e:
        old.ddb.list_tables()
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    # New sessions of the new role work.
    fresh = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="new")["Credentials"]
    h.Identity.of_credentials(fresh).ddb.list_tables()


def test_policy_arn_condition_key(iam_env, iam):
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    readonly = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"
    delegate = iam_env.user(policy=h.policy(
        allow(["iam:AttachUserPolicy", "iam:DetachUserPolicy"]),
        {"Effect": "Deny", "Action": "iam:Attach*Policy", "Resource": "*",
         "Condition": {"ArnEquals": {"iam:PolicyARN": admin}}}))
    target = iam_env.user(key=False)
    delegate.iam.attach_user_policy(UserName=target.name, PolicyArn=readonly)
    with pytest.raises(ClientError) as e:
        delegate.iam.attach_user_policy(UserName=target.name, PolicyArn=admin)
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert "explicit deny" in e.value.response["Error"]["Message"]
    delegate.iam.detach_user_policy(UserName=target.name, PolicyArn=readonly)


def test_whole_item_reads_are_refused_by_attribute_limited_policies(iam_env, make_table, ddb):
    table = make_table()
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "shown": {"S": "p"},
                                        "secret": {"S": "s"}})
    arn = f"arn:aws:dynamodb:us-east-1:{h.ACCOUNT}:table/{table}"
    user = iam_env.user(policy=h.policy(allow(
        ["dynamodb:GetItem", "dynamodb:BatchGetItem"], arn,
        {"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "shown"]},
         "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}})))
    got = user.ddb.get_item(TableName=table, Key={"pk": {"S": "a"}},
                            ProjectionExpression="pk, shown")
    assert got["Item"] == {"pk": {"S": "a"}, "shown": {"S": "p"}}
    for call in (
        lambda: user.ddb.get_item(TableName=table, Key={"pk": {"S": "a"}}),
        lambda: user.ddb.batch_get_item(RequestItems={table: {"Keys": [{"pk": {"S": "a"}}]}}),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == "AccessDeniedException"
