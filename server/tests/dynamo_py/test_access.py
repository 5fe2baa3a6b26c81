"""Authorization of DynamoDB operations by IAM policies, through boto3 with IAM users holding
different policies: allow and deny per action and per table ARN (wildcards, NotAction,
NotResource, policy variables, conditions on aws:SourceIp and aws:SecureTransport), explicit
Deny over Allow, group policies, customer and AWS managed policies attached to users and
groups, the read-only managed policy, BatchWriteItem/BatchGetItem per table,
TransactWriteItems/TransactGetItems per action and table, ListTables on `*`, DescribeTable,
CreateTable, DeleteTable, Query of an index, and the AccessDeniedException envelope.

Expected answers are DynamoDB's: `com.amazon.coral.service#AccessDeniedException`, HTTP 400,
`User: ARN is not authorized to perform: dynamodb:ACTION on resource: ARN because no
identity-based policy allows the dynamodb:ACTION action` (or `with an explicit deny in an
identity-based policy`); the actions each operation needs are the Service Authorization
Reference's (batch operations their own action on every table; transactions the item actions
per table; Query of an index the index's ARN).

CloudWatch too: `cloudwatch:<Operation>` on `*` (the alarm operations on the alarm's ARN), refused
with `AccessDenied`."""

import json
from datetime import datetime, timedelta, timezone

import pytest

import dynamo_helpers as h
from dynamo_helpers import expect_error

ADMIN = h.AWS_POLICY + "AdministratorAccess"
DDB_FULL = h.AWS_POLICY + "AmazonDynamoDBFullAccess"
DDB_READ = h.AWS_POLICY + "AmazonDynamoDBReadOnlyAccess"

KEY = {"pk": {"S": "k1"}}
ITEM = {"pk": {"S": "k1"}, "v": {"N": "1"}}


@pytest.fixture(scope="module")
def root_ddb():
    return h.make_client()


@pytest.fixture(scope="module")
def tables(root_ddb):
    """Three tables sharing a unique prefix: PREFIX-orders, PREFIX-other, PREFIX-users, each
    holding the item pk=k1. Returns a dict: prefix, orders, other, users."""
    prefix = h.unique_name("acc")
    names = {"prefix": prefix}
    for n in ("orders", "other", "users"):
        name = f"{prefix}-{n}"
        h.create_table(root_ddb, name)
        root_ddb.put_item(TableName=name, Item=ITEM)
        names[n] = name
    yield names
    for n in ("orders", "other", "users"):
        h.delete_table_quietly(root_ddb, names[n])


OPS = {
    "GetItem": lambda c, t: c.get_item(TableName=t, Key=KEY),
    "PutItem": lambda c, t: c.put_item(TableName=t, Item=ITEM),
    "UpdateItem": lambda c, t: c.update_item(
        TableName=t, Key=KEY, UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"N": "1"}}),
    "DeleteItem": lambda c, t: c.delete_item(
        TableName=t, Key={"pk": {"S": "not-there"}}),
    "Query": lambda c, t: c.query(
        TableName=t, KeyConditionExpression="pk = :k",
        ExpressionAttributeValues={":k": {"S": "k1"}}),
    "Scan": lambda c, t: c.scan(TableName=t, Limit=1),
    "DescribeTable": lambda c, t: c.describe_table(TableName=t),
    "BatchGetItem": lambda c, t: c.batch_get_item(RequestItems={t: {"Keys": [KEY]}}),
    "BatchWriteItem": lambda c, t: c.batch_write_item(
        RequestItems={t: [{"PutRequest": {"Item": ITEM}}]}),
}


def expect_denied(user, action, resource, explicit=False):
    return expect_error("AccessDeniedException",
                        h.denied_message(user.arn, action, resource, explicit=explicit))


def check(user, op, table, outcome):
    """Runs `op` on `table` as `user`: `outcome` is "allow", "deny" (no policy allows it) or
    "explicit" (a Deny statement)."""
    action = f"dynamodb:{op}"
    if outcome == "allow":
        OPS[op](user.ddb, table)
    else:
        with expect_denied(user, action, h.table_arn(table), explicit=outcome == "explicit") as e:
            OPS[op](user.ddb, table)
        assert h.status_of(e) == 400


# ---------------------------------------------------------------------------------------------
# Table-driven: one policy, several requests.
#
# Each case: (id, statements (a function of the tables dict), [(op, table key, outcome)]).

CASES = [
    ("get-one-table",
     lambda t: [h.allow("dynamodb:GetItem", h.table_arn(t["orders"]))],
     [("GetItem", "orders", "allow"), ("PutItem", "orders", "deny"),
      ("GetItem", "users", "deny"), ("Query", "orders", "deny")]),
    ("list-of-actions",
     lambda t: [h.allow(["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"],
                        h.table_arn(t["orders"]))],
     [("GetItem", "orders", "allow"), ("Query", "orders", "allow"), ("Scan", "orders", "allow"),
      ("UpdateItem", "orders", "deny"), ("DescribeTable", "orders", "deny")]),
    ("action-wildcard",
     lambda t: [h.allow("dynamodb:Get*", h.table_arn(t["orders"]))],
     # Get* is GetItem, not BatchGetItem.
     [("GetItem", "orders", "allow"), ("BatchGetItem", "orders", "deny"),
      ("PutItem", "orders", "deny")]),
    ("action-case-insensitive",
     lambda t: [h.allow("DynamoDB:getitem", h.table_arn(t["orders"]))],
     [("GetItem", "orders", "allow")]),
    ("table-wildcard",
     lambda t: [h.allow("dynamodb:*", h.table_arn(t["prefix"] + "-o*"))],
     [("GetItem", "orders", "allow"), ("PutItem", "other", "allow"),
      ("GetItem", "users", "deny")]),
    ("table-single-char-wildcard",
     lambda t: [h.allow("dynamodb:GetItem", h.table_arn(t["prefix"] + "-?sers"))],
     [("GetItem", "users", "allow"), ("GetItem", "orders", "deny")]),
    ("arn-region-account-wildcards",
     lambda t: [h.allow("dynamodb:GetItem", f"arn:aws:dynamodb:*:*:table/{t['orders']}")],
     [("GetItem", "orders", "allow"), ("GetItem", "users", "deny")]),
    ("other-region",
     lambda t: [h.allow("dynamodb:*",
                        f"arn:aws:dynamodb:eu-west-1:{h.ACCOUNT}:table/{t['orders']}")],
     [("GetItem", "orders", "deny")]),
    ("other-account",
     lambda t: [h.allow("dynamodb:*",
                        f"arn:aws:dynamodb:{h.REGION}:111122223333:table/{t['orders']}")],
     [("GetItem", "orders", "deny")]),
    ("resource-case-sensitive",
     lambda t: [h.allow("dynamodb:GetItem", h.table_arn(t["orders"].upper()))],
     [("GetItem", "orders", "deny")]),
    ("explicit-deny-beats-allow",
     lambda t: [h.allow("dynamodb:*"),
                h.deny("dynamodb:DeleteItem", h.table_arn(t["orders"]))],
     [("DeleteItem", "orders", "explicit"), ("DeleteItem", "users", "allow"),
      ("PutItem", "orders", "allow")]),
    ("deny-wildcard-actions",
     lambda t: [h.allow("dynamodb:*"), h.deny(["dynamodb:Put*", "dynamodb:Update*"])],
     [("PutItem", "orders", "explicit"), ("UpdateItem", "users", "explicit"),
      ("GetItem", "orders", "allow")]),
    ("not-action",
     lambda t: [{"Effect": "Allow", "NotAction": ["dynamodb:DeleteItem", "dynamodb:Scan"],
                 "Resource": "*"}],
     [("PutItem", "orders", "allow"), ("DeleteItem", "orders", "deny"),
      ("Scan", "users", "deny")]),
    ("not-resource",
     lambda t: [{"Effect": "Allow", "Action": "dynamodb:GetItem",
                 "NotResource": h.table_arn(t["users"])}],
     [("GetItem", "orders", "allow"), ("GetItem", "users", "deny")]),
    ("deny-not-resource",
     lambda t: [h.allow("dynamodb:*"),
                {"Effect": "Deny", "Action": "dynamodb:*",
                 "NotResource": h.table_arn(t["orders"])}],
     [("GetItem", "orders", "allow"), ("GetItem", "users", "explicit")]),
    ("only-other-service",
     lambda t: [h.allow(["s3:*", "iam:*"])],
     [("GetItem", "orders", "deny"), ("DescribeTable", "orders", "deny")]),
    ("source-ip-allowed",
     lambda t: [h.allow("dynamodb:GetItem", condition={
         "IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]}})],
     [("GetItem", "orders", "allow")]),
    ("source-ip-elsewhere",
     lambda t: [h.allow("dynamodb:GetItem", condition={
         "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})],
     [("GetItem", "orders", "deny")]),
    ("deny-insecure-transport",
     lambda t: [h.allow("dynamodb:*"),
                h.deny("dynamodb:*", condition={"Bool": {"aws:SecureTransport": "false"}})],
     [("GetItem", "orders", "explicit")]),
    ("two-statements-add-up",
     lambda t: [h.allow("dynamodb:GetItem", h.table_arn(t["orders"])),
                h.allow("dynamodb:PutItem", h.table_arn(t["users"]))],
     [("GetItem", "orders", "allow"), ("PutItem", "users", "allow"),
      ("PutItem", "orders", "deny"), ("GetItem", "users", "deny")]),
]


@pytest.mark.parametrize("statements,requests", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_policy_matrix(iam_env, tables, statements, requests):
    u = iam_env.user(policy=h.policy(*statements(tables)))
    for op, table, outcome in requests:
        check(u, op, tables[table], outcome)


def test_no_policy_denies_everything(iam_env, tables):
    u = iam_env.user()
    for op in OPS:
        check(u, op, tables["orders"], "deny")
    with expect_denied(u, "dynamodb:ListTables", "*"):
        u.ddb.list_tables()


def test_policy_variable_username(iam_env, root_ddb, make_table):
    """`${aws:username}` in a Resource (version 2012-10-17): each user gets the tables named
    after it. Under version 2008-10-17 the text is not substituted."""
    u = iam_env.user(key=True)
    own = make_table(name=f"{u.name}-data")
    other = make_table()
    iam_env.iam.put_user_policy(UserName=u.name, PolicyName="own", PolicyDocument=h.policy(
        h.allow("dynamodb:*", h.table_arn("${aws:username}-*"))))
    check(u, "GetItem", own, "allow")
    check(u, "GetItem", other, "deny")
    iam_env.iam.put_user_policy(UserName=u.name, PolicyName="own", PolicyDocument=h.policy(
        h.allow("dynamodb:*", h.table_arn("${aws:username}-*")), version="2008-10-17"))
    check(u, "GetItem", own, "deny")


def test_access_denied_envelope(iam_env, tables):
    """The raw answer: HTTP 400, `com.amazon.coral.service#AccessDeniedException`, the message,
    a request id."""
    u = iam_env.user()
    body = json.dumps({"TableName": tables["orders"], "Key": KEY})
    headers, _ = h.sigv4(body=body, access_key=u.access_key, secret_key=u.secret_key, headers={
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.GetItem"})
    status, hdrs, data = h.raw_request("POST", headers=headers, body=body)
    assert status == 400, data
    code, typ, msg = h.json_error(data)
    assert typ == "com.amazon.coral.service#AccessDeniedException", data
    assert msg == h.denied_message(u.arn, "dynamodb:GetItem", h.table_arn(tables["orders"]))
    assert hdrs.get("x-amzn-requestid")


def test_denied_write_changes_nothing(iam_env, tables, root_ddb):
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:GetItem")))
    key = {"pk": {"S": "never-written"}}
    with expect_denied(u, "dynamodb:PutItem", h.table_arn(tables["orders"])):
        u.ddb.put_item(TableName=tables["orders"], Item=key)
    assert "Item" not in root_ddb.get_item(TableName=tables["orders"], Key=key,
                                           ConsistentRead=True)


# ---------------------------------------------------------------------------------------------
# Groups and managed policies


def test_group_inline_policy(iam_env, iam, tables):
    g = iam_env.group(policy=h.policy(h.allow("dynamodb:GetItem", h.table_arn(tables["orders"]))))
    u = iam_env.user(groups=[g])
    check(u, "GetItem", tables["orders"], "allow")
    check(u, "PutItem", tables["orders"], "deny")
    # Out of the group, out of its permissions (on the next request).
    iam.remove_user_from_group(GroupName=g, UserName=u.name)
    check(u, "GetItem", tables["orders"], "deny")
    iam.add_user_to_group(GroupName=g, UserName=u.name)
    check(u, "GetItem", tables["orders"], "allow")


def test_group_deny_beats_user_allow(iam_env, tables):
    g = iam_env.group(policy=h.policy(h.deny("dynamodb:PutItem", h.table_arn(tables["users"]))))
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:*")), groups=[g])
    check(u, "PutItem", tables["users"], "explicit")
    check(u, "PutItem", tables["orders"], "allow")


def test_two_groups_add_up(iam_env, tables):
    g1 = iam_env.group(policy=h.policy(h.allow("dynamodb:GetItem")))
    g2 = iam_env.group(policy=h.policy(h.allow("dynamodb:PutItem")))
    u = iam_env.user(groups=[g1, g2])
    check(u, "GetItem", tables["orders"], "allow")
    check(u, "PutItem", tables["orders"], "allow")
    check(u, "DeleteItem", tables["orders"], "deny")


def test_customer_managed_policy_on_user(iam_env, iam, tables):
    p = iam_env.managed_policy(h.policy(h.allow(["dynamodb:GetItem", "dynamodb:Query"],
                                                h.table_arn(tables["orders"]))))
    u = iam_env.user(managed=[p["Arn"]])
    check(u, "GetItem", tables["orders"], "allow")
    check(u, "Query", tables["orders"], "allow")
    check(u, "GetItem", tables["users"], "deny")
    iam.detach_user_policy(UserName=u.name, PolicyArn=p["Arn"])
    check(u, "GetItem", tables["orders"], "deny")


def test_customer_managed_policy_on_group(iam_env, tables):
    p = iam_env.managed_policy(h.policy(h.allow("dynamodb:PutItem")))
    g = iam_env.group(managed=[p["Arn"]])
    u = iam_env.user(groups=[g])
    check(u, "PutItem", tables["other"], "allow")
    check(u, "GetItem", tables["other"], "deny")


def test_managed_deny_beats_inline_allow(iam_env, tables):
    p = iam_env.managed_policy(h.policy(h.deny("dynamodb:Scan")))
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:*")), managed=[p["Arn"]])
    check(u, "Scan", tables["orders"], "explicit")
    check(u, "Query", tables["orders"], "allow")


@pytest.mark.parametrize("on", ["user", "group"])
def test_aws_read_only_policy(iam_env, tables, on):
    if on == "user":
        u = iam_env.user(managed=[DDB_READ])
    else:
        u = iam_env.user(groups=[iam_env.group(managed=[DDB_READ])])
    t = tables["orders"]
    for op in ("GetItem", "Query", "Scan", "DescribeTable", "BatchGetItem"):
        check(u, op, t, "allow")
    assert t in u.ddb.list_tables(Limit=100, ExclusiveStartTableName=t[:-1])["TableNames"]
    # TransactGetItems needs dynamodb:GetItem, which the read-only policy has.
    u.ddb.transact_get_items(TransactItems=[{"Get": {"TableName": t, "Key": KEY}}])
    for op in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"):
        check(u, op, t, "deny")
    new = h.unique_name("ro")
    with expect_denied(u, "dynamodb:CreateTable", h.table_arn(new)):
        h.create_table(u.ddb, new, wait=False)
    with expect_denied(u, "dynamodb:DeleteTable", h.table_arn(t)):
        u.ddb.delete_table(TableName=t)


def test_aws_full_access_and_admin(iam_env, root_ddb):
    for arn in (DDB_FULL, ADMIN):
        u = iam_env.user(managed=[arn])
        name = h.unique_name("full")
        try:
            h.create_table(u.ddb, name)
            u.ddb.put_item(TableName=name, Item=ITEM)
            assert u.ddb.get_item(TableName=name, Key=KEY, ConsistentRead=True)["Item"] == ITEM
            u.ddb.delete_table(TableName=name)
        finally:
            h.delete_table_quietly(root_ddb, name)


def test_inline_and_managed_add_up(iam_env, tables):
    p = iam_env.managed_policy(h.policy(h.allow("dynamodb:Query")))
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:GetItem")), managed=[p["Arn"]])
    check(u, "GetItem", tables["users"], "allow")
    check(u, "Query", tables["users"], "allow")
    check(u, "Scan", tables["users"], "deny")


# ---------------------------------------------------------------------------------------------
# Batches: their own action, on every table


def test_batch_write_needs_every_table(iam_env, tables, root_ddb):
    a, b = tables["orders"], tables["users"]
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:BatchWriteItem", h.table_arn(a))))
    fresh = {"pk": {"S": "batch-fresh"}}
    with expect_denied(u, "dynamodb:BatchWriteItem", h.table_arn(b)):
        u.ddb.batch_write_item(RequestItems={
            a: [{"PutRequest": {"Item": fresh}}],
            b: [{"PutRequest": {"Item": fresh}}]})
    # Refused as a whole: not even the allowed table's write happened.
    assert "Item" not in root_ddb.get_item(TableName=a, Key=fresh, ConsistentRead=True)
    u.ddb.batch_write_item(RequestItems={a: [{"PutRequest": {"Item": fresh}}]})
    assert root_ddb.get_item(TableName=a, Key=fresh, ConsistentRead=True)["Item"] == fresh
    u.ddb.batch_write_item(RequestItems={a: [{"DeleteRequest": {"Key": fresh}}]})


def test_batch_write_needs_its_own_action(iam_env, tables):
    """PutItem and DeleteItem do not allow BatchWriteItem."""
    u = iam_env.user(policy=h.policy(h.allow(["dynamodb:PutItem", "dynamodb:DeleteItem"])))
    check(u, "BatchWriteItem", tables["orders"], "deny")
    u2 = iam_env.user(policy=h.policy(h.allow("dynamodb:BatchWriteItem")))
    check(u2, "BatchWriteItem", tables["orders"], "allow")
    check(u2, "PutItem", tables["orders"], "deny")


def test_batch_get_needs_every_table(iam_env, tables):
    a, b = tables["orders"], tables["users"]
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:BatchGetItem", h.table_arn(a))))
    with expect_denied(u, "dynamodb:BatchGetItem", h.table_arn(b)):
        u.ddb.batch_get_item(RequestItems={a: {"Keys": [KEY]}, b: {"Keys": [KEY]}})
    got = u.ddb.batch_get_item(RequestItems={a: {"Keys": [KEY]}})["Responses"][a]
    assert got == [ITEM]
    # GetItem does not allow BatchGetItem.
    u2 = iam_env.user(policy=h.policy(h.allow("dynamodb:GetItem")))
    check(u2, "BatchGetItem", a, "deny")


def test_batch_explicit_deny_on_one_table(iam_env, tables):
    a, b = tables["orders"], tables["other"]
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:*"),
                                     h.deny("dynamodb:BatchGetItem", h.table_arn(b))))
    with expect_denied(u, "dynamodb:BatchGetItem", h.table_arn(b), explicit=True):
        u.ddb.batch_get_item(RequestItems={a: {"Keys": [KEY]}, b: {"Keys": [KEY]}})


# ---------------------------------------------------------------------------------------------
# Transactions: the item actions, per action and table


def _transact(t):
    return [
        {"Put": {"TableName": t["orders"], "Item": {"pk": {"S": "tx-put"}}}},
        {"Update": {"TableName": t["users"], "Key": KEY, "UpdateExpression": "SET w = :w",
                    "ExpressionAttributeValues": {":w": {"S": "x"}}}},
        {"Delete": {"TableName": t["other"], "Key": {"pk": {"S": "tx-none"}}}},
        {"ConditionCheck": {"TableName": t["orders"], "Key": KEY,
                            "ConditionExpression": "attribute_exists(pk)"}},
    ]


NEEDED = [("PutItem", "orders"), ("UpdateItem", "users"), ("DeleteItem", "other"),
          ("ConditionCheckItem", "orders")]


@pytest.mark.parametrize("missing", [None] + [n[0] for n in NEEDED])
def test_transact_write_needs_each_action(iam_env, tables, missing):
    statements = [h.allow(f"dynamodb:{op}", h.table_arn(tables[t]))
                  for op, t in NEEDED if op != missing]
    u = iam_env.user(policy=h.policy(*statements))
    if missing is None:
        u.ddb.transact_write_items(TransactItems=_transact(tables))
        return
    table = dict(NEEDED)[missing]
    with expect_denied(u, f"dynamodb:{missing}", h.table_arn(tables[table])):
        u.ddb.transact_write_items(TransactItems=_transact(tables))


def test_transact_write_action_on_the_right_table(iam_env, tables):
    """PutItem allowed on another table than the one the Put writes: refused."""
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:PutItem", h.table_arn(tables["users"]))))
    with expect_denied(u, "dynamodb:PutItem", h.table_arn(tables["orders"])):
        u.ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": tables["orders"], "Item": {"pk": {"S": "tx"}}}}])


def test_transact_write_is_not_an_action_of_its_own(iam_env, tables):
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:TransactWriteItems")))
    with expect_denied(u, "dynamodb:PutItem", h.table_arn(tables["orders"])):
        u.ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": tables["orders"], "Item": {"pk": {"S": "tx"}}}}])


def test_transact_write_explicit_deny(iam_env, tables):
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:*"),
                                     h.deny("dynamodb:ConditionCheckItem")))
    with expect_denied(u, "dynamodb:ConditionCheckItem", h.table_arn(tables["orders"]),
                       explicit=True):
        u.ddb.transact_write_items(TransactItems=_transact(tables))


def test_transact_get_needs_get_item_per_table(iam_env, tables):
    a, b = tables["orders"], tables["users"]
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:GetItem", h.table_arn(a))))
    got = u.ddb.transact_get_items(TransactItems=[{"Get": {"TableName": a, "Key": KEY}}])
    assert got["Responses"] == [{"Item": ITEM}]
    with expect_denied(u, "dynamodb:GetItem", h.table_arn(b)):
        u.ddb.transact_get_items(TransactItems=[{"Get": {"TableName": a, "Key": KEY}},
                                                {"Get": {"TableName": b, "Key": KEY}}])
    u2 = iam_env.user(policy=h.policy(h.allow("dynamodb:TransactGetItems")))
    with expect_denied(u2, "dynamodb:GetItem", h.table_arn(a)):
        u2.ddb.transact_get_items(TransactItems=[{"Get": {"TableName": a, "Key": KEY}}])


# ---------------------------------------------------------------------------------------------
# Table operations


def test_list_tables_resource_is_star(iam_env, tables):
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:ListTables", h.table_arn("*"))))
    with expect_denied(u, "dynamodb:ListTables", "*"):
        u.ddb.list_tables()
    u2 = iam_env.user(policy=h.policy(h.allow("dynamodb:ListTables")))
    names = u2.ddb.list_tables(ExclusiveStartTableName=tables["prefix"], Limit=3)["TableNames"]
    assert names == [tables["orders"], tables["other"], tables["users"]]
    # ListTables shows every table's name; no permission on the tables themselves is needed.
    check(u2, "DescribeTable", tables["orders"], "deny")


def test_create_describe_delete_table(iam_env, root_ddb):
    prefix = h.unique_name("mine")
    u = iam_env.user(policy=h.policy(
        h.allow("dynamodb:CreateTable", h.table_arn(prefix + "-*"))))
    name = f"{prefix}-t"
    other = h.unique_name("notmine")
    try:
        with expect_denied(u, "dynamodb:CreateTable", h.table_arn(other)):
            h.create_table(u.ddb, other, wait=False)
        resp = h.create_table(u.ddb, name, wait=False)
        assert resp["TableDescription"]["TableName"] == name
        with expect_denied(u, "dynamodb:DescribeTable", h.table_arn(name)):
            u.ddb.describe_table(TableName=name)
        with expect_denied(u, "dynamodb:DeleteTable", h.table_arn(name)):
            u.ddb.delete_table(TableName=name)
        h.wait_active(root_ddb, name)
        iam_env.iam.put_user_policy(UserName=u.name, PolicyName="more", PolicyDocument=h.policy(
            h.allow(["dynamodb:DescribeTable", "dynamodb:DeleteTable"],
                    h.table_arn(prefix + "-*"))))
        assert u.ddb.describe_table(TableName=name)["Table"]["TableArn"] == h.table_arn(name)
        u.ddb.delete_table(TableName=name)
    finally:
        h.delete_table_quietly(root_ddb, name)
        h.delete_table_quietly(root_ddb, other)
    # The refused CreateTable made nothing.
    assert other not in root_ddb.list_tables(ExclusiveStartTableName=other[:-1],
                                             Limit=5)["TableNames"]


def test_missing_table_authorization_comes_first(iam_env):
    """A request on a table that does not exist is refused for lack of permission before the
    table is looked for; with the permission, the table is not found."""
    name = h.unique_name("missing")
    u = iam_env.user()
    with expect_denied(u, "dynamodb:DescribeTable", h.table_arn(name)):
        u.ddb.describe_table(TableName=name)
    with expect_denied(u, "dynamodb:GetItem", h.table_arn(name)):
        u.ddb.get_item(TableName=name, Key=KEY)
    u2 = iam_env.user(policy=h.policy(h.allow(["dynamodb:DescribeTable", "dynamodb:GetItem"])))
    with expect_error("ResourceNotFoundException"):
        u2.ddb.describe_table(TableName=name)
    with expect_error("ResourceNotFoundException"):
        u2.ddb.get_item(TableName=name, Key=KEY)


# ---------------------------------------------------------------------------------------------
# Indexes


@pytest.fixture
def indexed_table(root_ddb):
    name = h.unique_name("acc-ix")
    root_ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "byG",
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    h.wait_active(root_ddb, name)
    root_ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"S": "x"}})
    yield name
    h.delete_table_quietly(root_ddb, name)


def _query_index(c, t):
    return c.query(TableName=t, IndexName="byG", KeyConditionExpression="g = :g",
                   ExpressionAttributeValues={":g": {"S": "x"}})


def test_query_index_needs_the_index_arn(iam_env, indexed_table):
    """A Query or Scan of an index is authorized on the index's ARN (table/T/index/I): a
    permission on the table alone does not cover it."""
    t = indexed_table
    index_arn = h.table_arn(t) + "/index/byG"
    u = iam_env.user(policy=h.policy(h.allow(["dynamodb:Query", "dynamodb:Scan"],
                                             h.table_arn(t))))
    with expect_denied(u, "dynamodb:Query", index_arn):
        _query_index(u.ddb, t)
    with expect_denied(u, "dynamodb:Scan", index_arn):
        u.ddb.scan(TableName=t, IndexName="byG")
    u2 = iam_env.user(policy=h.policy(h.allow(["dynamodb:Query", "dynamodb:Scan"],
                                              h.table_arn(t) + "/index/*")))
    assert _query_index(u2.ddb, t)["Count"] == 1
    assert u2.ddb.scan(TableName=t, IndexName="byG")["Count"] == 1
    # ...and the index permission does not cover the table.
    with expect_denied(u2, "dynamodb:Query", h.table_arn(t)):
        u2.ddb.query(TableName=t, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "a"}})


# ---------------------------------------------------------------------------------------------
# Streams and Time to Live


def test_streams_and_ttl_are_authorized_per_stream_and_table(iam_env, root_ddb, make_table):
    """DescribeStream, GetShardIterator and GetRecords on the stream's ARN, ListStreams on `*`,
    UpdateTimeToLive and DescribeTimeToLive on the table: each refused without its action, and a
    stream allowed does not open another."""
    allowed, other = make_table(), make_table()
    arns = {}
    for t in (allowed, other):
        d = root_ddb.update_table(TableName=t, StreamSpecification={
            "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        arns[t] = d["TableDescription"]["LatestStreamArn"]
    u = iam_env.user(policy=h.policy(
        h.allow(["dynamodb:DescribeStream", "dynamodb:GetShardIterator"], arns[allowed]),
        h.allow("dynamodb:DescribeTimeToLive", h.table_arn(allowed))))
    streams = u.client("dynamodbstreams")
    sid = streams.describe_stream(StreamArn=arns[allowed])["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arns[allowed], ShardId=sid,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    with expect_denied(u, "dynamodb:GetRecords", arns[allowed]):
        streams.get_records(ShardIterator=it)
    with expect_denied(u, "dynamodb:DescribeStream", arns[other]):
        streams.describe_stream(StreamArn=arns[other])
    with expect_denied(u, "dynamodb:ListStreams", "*"):
        streams.list_streams()
    assert u.ddb.describe_time_to_live(TableName=allowed)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"}
    with expect_denied(u, "dynamodb:UpdateTimeToLive", h.table_arn(allowed)):
        u.ddb.update_time_to_live(TableName=allowed, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": "exp"})
    with expect_denied(u, "dynamodb:DescribeTimeToLive", h.table_arn(other)):
        u.ddb.describe_time_to_live(TableName=other)


# ---------------------------------------------------------------------------------------------
# CloudWatch (boto3's default protocol): cloudwatch:<Operation>, on `*` but for the alarm
# operations, which are authorized on the alarm's ARN. A refusal is `AccessDenied`.


@pytest.fixture(scope="module")
def root_cw():
    return h.make_service_client("cloudwatch")


def alarm_arn(name):
    return f"arn:aws:cloudwatch:{h.REGION}:{h.ACCOUNT}:alarm:{name}"


def expect_cw_denied(user, action, resource="*"):
    return expect_error("AccessDenied", h.denied_message(user.arn, action, resource))


def put_one(client, ns, value=5.0):
    client.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "m", "Value": value}])


def metric_names(client, ns):
    return [m["MetricName"] for m in client.list_metrics(Namespace=ns)["Metrics"]]


def test_cloudwatch_denied_without_permission(iam_env, root_cw):
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:*")))
    cw = u.client("cloudwatch")
    ns = f"Shale/Access/{h.unique_name('none')}"
    with expect_cw_denied(u, "cloudwatch:ListMetrics"):
        cw.list_metrics(Namespace=ns)
    with expect_cw_denied(u, "cloudwatch:PutMetricData"):
        put_one(cw, ns)
    # The refused write stored nothing.
    assert metric_names(root_cw, ns) == []


def test_cloudwatch_read_only_actions(iam_env, root_cw):
    ns = f"Shale/Access/{h.unique_name('read')}"
    put_one(root_cw, ns, 7.0)
    u = iam_env.user(policy=h.policy(h.allow(["cloudwatch:ListMetrics",
                                              "cloudwatch:GetMetricStatistics"])))
    cw = u.client("cloudwatch")
    assert metric_names(cw, ns) == ["m"]
    now = datetime.now(timezone.utc)
    points = cw.get_metric_statistics(
        Namespace=ns, MetricName="m", StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1), Period=60, Statistics=["Sum"])["Datapoints"]
    assert [p["Sum"] for p in points] == [7.0]
    with expect_cw_denied(u, "cloudwatch:PutMetricData"):
        put_one(cw, ns)


def test_cloudwatch_alarm_resource_arn(iam_env, root_cw):
    suffix = h.unique_name("alarm")
    allowed, refused = f"ok-{suffix}", f"no-{suffix}"
    u = iam_env.user(policy=h.policy(h.allow("cloudwatch:PutMetricAlarm", alarm_arn("ok-*"))))
    cw = u.client("cloudwatch")

    def put_alarm(name):
        cw.put_metric_alarm(
            AlarmName=name, Namespace="Shale/Access", MetricName="m", Statistic="Sum",
            Period=60, EvaluationPeriods=1, Threshold=1.0,
            ComparisonOperator="GreaterThanThreshold", AlarmActions=[])

    try:
        put_alarm(allowed)
        with expect_cw_denied(u, "cloudwatch:PutMetricAlarm", alarm_arn(refused)):
            put_alarm(refused)
        alarms = root_cw.describe_alarms(AlarmNames=[allowed, refused])["MetricAlarms"]
        assert [a["AlarmName"] for a in alarms] == [allowed]
        assert alarms[0]["AlarmArn"] == alarm_arn(allowed)
    finally:
        root_cw.delete_alarms(AlarmNames=[allowed])
