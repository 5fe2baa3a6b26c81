"""Fine-grained access control: DynamoDB's condition keys in IAM policies, as the DynamoDB
Developer Guide ("Using IAM policy conditions for fine-grained access control") and the IAM
User Guide's DynamoDB examples describe them:

- `dynamodb:LeadingKeys`: the partition key values of every item a request touches (GetItem,
  PutItem, UpdateItem, DeleteItem, Query, the batches and transactions), typically
  `"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:userid}"]}`;
- `dynamodb:Attributes`: the top-level attribute names a request names (projections,
  AttributesToGet, the item written, the attributes updated), key attributes included;
- `dynamodb:Select`: Query's and Scan's Select;
- `dynamodb:ReturnValues`: the writes' ReturnValues;
- `dynamodb:ReturnConsumedCapacity`.

A request whose condition keys do not satisfy the only Allow is refused like any other:
AccessDeniedException, `... because no identity-based policy allows the dynamodb:ACTION
action` (or `with an explicit deny ...` for a Deny statement that matches).

The table mirrors the guide's GameScores: partition key `pk` (the user), sort key `sk`."""

import pytest

import dynamo_helpers as h
from dynamo_helpers import expect_error

ITEM_ACTIONS = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
                "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                "dynamodb:BatchWriteItem"]


@pytest.fixture
def games(make_table):
    return make_table(range_key=("sk", "S"), prefix="fgac")


def key(pk, sk="g1"):
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def item(pk, sk="g1", **attrs):
    out = key(pk, sk)
    out.update({k: {"S": v} for k, v in attrs.items()})
    return out


def denied(user_arn, action, table, explicit=False):
    return expect_error("AccessDeniedException",
                        h.denied_message(user_arn, action, h.table_arn(table),
                                         explicit=explicit))


def leading_keys_policy(table, variable="${aws:userid}", actions=ITEM_ACTIONS):
    return h.policy(h.allow(actions, h.table_arn(table), condition={
        "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [variable]}}))


# ---------------------------------------------------------------------------------------------
# dynamodb:LeadingKeys


def test_leading_keys_single_item_operations(iam_env, games):
    u = iam_env.user()
    iam_env.iam.put_user_policy(UserName=u.name, PolicyName="own",
                                PolicyDocument=leading_keys_policy(games))
    me, other = u.id, "someone-else"
    d = u.ddb
    d.put_item(TableName=games, Item=item(me, score="1"))
    assert d.get_item(TableName=games, Key=key(me), ConsistentRead=True)["Item"]["score"] == \
        {"S": "1"}
    d.update_item(TableName=games, Key=key(me), UpdateExpression="SET score = :s",
                  ExpressionAttributeValues={":s": {"S": "2"}})
    d.delete_item(TableName=games, Key=key(me))
    with denied(u.arn, "dynamodb:PutItem", games):
        d.put_item(TableName=games, Item=item(other))
    with denied(u.arn, "dynamodb:GetItem", games):
        d.get_item(TableName=games, Key=key(other))
    with denied(u.arn, "dynamodb:UpdateItem", games):
        d.update_item(TableName=games, Key=key(other), UpdateExpression="SET score = :s",
                      ExpressionAttributeValues={":s": {"S": "2"}})
    with denied(u.arn, "dynamodb:DeleteItem", games):
        d.delete_item(TableName=games, Key=key(other))


def test_leading_keys_query(iam_env, games, ddb):
    u = iam_env.user()
    iam_env.iam.put_user_policy(UserName=u.name, PolicyName="own",
                                PolicyDocument=leading_keys_policy(games))
    ddb.put_item(TableName=games, Item=item(u.id, "g1"))
    ddb.put_item(TableName=games, Item=item(u.id, "g2"))
    ddb.put_item(TableName=games, Item=item("other", "g1"))
    got = u.ddb.query(TableName=games, KeyConditionExpression="pk = :p AND begins_with(sk, :g)",
                      ExpressionAttributeValues={":p": {"S": u.id}, ":g": {"S": "g"}})
    assert got["Count"] == 2
    with denied(u.arn, "dynamodb:Query", games):
        u.ddb.query(TableName=games, KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "other"}})
    # Scan is not among the allowed actions at all.
    with denied(u.arn, "dynamodb:Scan", games):
        u.ddb.scan(TableName=games)


def test_leading_keys_batches(iam_env, games):
    u = iam_env.user()
    iam_env.iam.put_user_policy(UserName=u.name, PolicyName="own",
                                PolicyDocument=leading_keys_policy(games))
    me = u.id
    u.ddb.batch_write_item(RequestItems={games: [
        {"PutRequest": {"Item": item(me, "g1")}}, {"PutRequest": {"Item": item(me, "g2")}}]})
    got = u.ddb.batch_get_item(RequestItems={games: {"Keys": [key(me, "g1"), key(me, "g2")],
                                                     "ConsistentRead": True}})
    assert len(got["Responses"][games]) == 2
    # One item of someone else's and the whole batch is refused.
    with denied(u.arn, "dynamodb:BatchWriteItem", games):
        u.ddb.batch_write_item(RequestItems={games: [
            {"PutRequest": {"Item": item(me, "g3")}},
            {"DeleteRequest": {"Key": key("other", "g1")}}]})
    with denied(u.arn, "dynamodb:BatchGetItem", games):
        u.ddb.batch_get_item(RequestItems={games: {"Keys": [key(me), key("other")]}})


def test_leading_keys_transactions(iam_env, games):
    u = iam_env.user()
    iam_env.iam.put_user_policy(UserName=u.name, PolicyName="own",
                                PolicyDocument=leading_keys_policy(games))
    me = u.id
    u.ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": games, "Item": item(me, "t1")}}])
    got = u.ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": games, "Key": key(me, "t1")}}])
    assert got["Responses"][0]["Item"] == item(me, "t1")
    with denied(u.arn, "dynamodb:PutItem", games):
        u.ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": games, "Item": item(me, "t2")}},
            {"Put": {"TableName": games, "Item": item("other", "t2")}}])
    with denied(u.arn, "dynamodb:GetItem", games):
        u.ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": games, "Key": key("other", "t1")}}])


def test_leading_keys_username(iam_env, games):
    u = iam_env.user()
    iam_env.iam.put_user_policy(UserName=u.name, PolicyName="own", PolicyDocument=(
        leading_keys_policy(games, "${aws:username}")))
    u.ddb.put_item(TableName=games, Item=item(u.name))
    with denied(u.arn, "dynamodb:PutItem", games):
        u.ddb.put_item(TableName=games, Item=item(u.id))


def test_leading_keys_role_session_userid(iam_env, sts, games):
    """For a role session, `${aws:userid}` is `ROLEID:SESSION`."""
    role = iam_env.role(h.trust_policy(h.ROOT_ARN), policy=leading_keys_policy(games))
    resp = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="player1")
    s = h.Identity.of_credentials(resp["Credentials"])
    userid = f"{role['RoleId']}:player1"
    assert resp["AssumedRoleUser"]["AssumedRoleId"] == userid
    s.ddb.put_item(TableName=games, Item=item(userid))
    session_arn = resp["AssumedRoleUser"]["Arn"]
    with denied(session_arn, "dynamodb:PutItem", games):
        s.ddb.put_item(TableName=games, Item=item(role["RoleId"]))


def test_leading_keys_explicit_deny(iam_env, games, ddb):
    ddb.put_item(TableName=games, Item=item("admin"))
    u = iam_env.user(policy=h.policy(
        h.allow("dynamodb:*"),
        h.deny("dynamodb:*", h.table_arn(games), condition={
            "ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": ["admin", "root"]}})))
    u.ddb.get_item(TableName=games, Key=key("player"))
    with denied(u.arn, "dynamodb:GetItem", games, explicit=True):
        u.ddb.get_item(TableName=games, Key=key("admin"))
    with denied(u.arn, "dynamodb:BatchGetItem", games, explicit=True):
        u.ddb.batch_get_item(RequestItems={games: {"Keys": [key("player"), key("root")]}})
    with denied(u.arn, "dynamodb:Query", games, explicit=True):
        u.ddb.query(TableName=games, KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "admin"}})


def test_leading_keys_string_like(iam_env, games):
    u = iam_env.user(policy=h.policy(h.allow(["dynamodb:PutItem", "dynamodb:GetItem"],
                                             h.table_arn(games), condition={
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["tenant-a#*"]}})))
    u.ddb.put_item(TableName=games, Item=item("tenant-a#42"))
    with denied(u.arn, "dynamodb:PutItem", games):
        u.ddb.put_item(TableName=games, Item=item("tenant-b#42"))


# ---------------------------------------------------------------------------------------------
# dynamodb:Attributes (with dynamodb:Select)

VISIBLE = ["pk", "sk", "shown", "score"]


def attributes_policy(table):
    """The guide's "allow access to specific attributes" policy."""
    return h.policy(h.allow(
        ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
         "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"],
        h.table_arn(table), condition={
            "ForAllValues:StringEquals": {"dynamodb:Attributes": VISIBLE},
            "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}}))


@pytest.fixture
def attr_user(iam_env, games, ddb):
    ddb.put_item(TableName=games, Item=item("p1", shown="yes", score="9", secret="shh"))
    u = iam_env.user()
    iam_env.iam.put_user_policy(UserName=u.name, PolicyName="attrs",
                                PolicyDocument=attributes_policy(games))
    return u


def test_attributes_get_item_projection(attr_user, games):
    u = attr_user
    got = u.ddb.get_item(TableName=games, Key=key("p1"), ProjectionExpression="pk, shown",
                         ConsistentRead=True)
    assert got["Item"] == {"pk": {"S": "p1"}, "shown": {"S": "yes"}}
    got = u.ddb.get_item(TableName=games, Key=key("p1"), AttributesToGet=["score"],
                         ConsistentRead=True)
    assert got["Item"] == {"score": {"S": "9"}}
    with denied(u.arn, "dynamodb:GetItem", games):
        u.ddb.get_item(TableName=games, Key=key("p1"), ProjectionExpression="pk, secret")
    with denied(u.arn, "dynamodb:GetItem", games):
        u.ddb.get_item(TableName=games, Key=key("p1"), ProjectionExpression="#s",
                       ExpressionAttributeNames={"#s": "secret"})
    with denied(u.arn, "dynamodb:GetItem", games):
        u.ddb.get_item(TableName=games, Key=key("p1"), AttributesToGet=["shown", "secret"])
    # A nested path counts as its top-level attribute.
    with denied(u.arn, "dynamodb:GetItem", games):
        u.ddb.get_item(TableName=games, Key=key("p1"), ProjectionExpression="secret.part")


def test_attributes_query_select(attr_user, games):
    u = attr_user
    q = dict(TableName=games, KeyConditionExpression="pk = :p",
             ExpressionAttributeValues={":p": {"S": "p1"}})
    got = u.ddb.query(ProjectionExpression="sk, score", **q)
    assert got["Items"] == [{"sk": {"S": "g1"}, "score": {"S": "9"}}]
    got = u.ddb.query(Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="shown", **q)
    assert got["Items"] == [{"shown": {"S": "yes"}}]
    with denied(u.arn, "dynamodb:Query", games):
        u.ddb.query(Select="ALL_ATTRIBUTES", **q)
    with denied(u.arn, "dynamodb:Query", games):
        u.ddb.query(ProjectionExpression="sk, secret", **q)


def test_attributes_put_item(attr_user, games):
    u = attr_user
    u.ddb.put_item(TableName=games, Item=item("p2", shown="a", score="1"))
    with denied(u.arn, "dynamodb:PutItem", games):
        u.ddb.put_item(TableName=games, Item=item("p3", shown="a", secret="b"))


def test_attributes_update_item(attr_user, games):
    u = attr_user
    u.ddb.update_item(TableName=games, Key=key("p1"), UpdateExpression="SET score = :v",
                      ExpressionAttributeValues={":v": {"S": "10"}})
    with denied(u.arn, "dynamodb:UpdateItem", games):
        u.ddb.update_item(TableName=games, Key=key("p1"), UpdateExpression="SET secret = :v",
                          ExpressionAttributeValues={":v": {"S": "x"}})
    with denied(u.arn, "dynamodb:UpdateItem", games):
        u.ddb.update_item(TableName=games, Key=key("p1"), UpdateExpression="REMOVE #s",
                          ExpressionAttributeNames={"#s": "secret"})
    with denied(u.arn, "dynamodb:UpdateItem", games):
        u.ddb.update_item(TableName=games, Key=key("p1"),
                          UpdateExpression="SET score = :v, secret = :v",
                          ExpressionAttributeValues={":v": {"S": "x"}})


def test_attributes_deny_some(iam_env, games, ddb):
    """The guide's "prevent updates on certain attributes": ForAllValues:StringNotEquals on the
    protected attributes, with ReturnValues limited to what cannot reveal them."""
    ddb.put_item(TableName=games, Item=item("p1", Wins="1", BossLevelUnlocked="no"))
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:UpdateItem", h.table_arn(games),
                                             condition={
        "ForAllValues:StringNotEquals": {
            "dynamodb:Attributes": ["FreeGamesAvailable", "BossLevelUnlocked"]},
        "StringEquals": {"dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"]}})))
    got = u.ddb.update_item(TableName=games, Key=key("p1"), UpdateExpression="SET Wins = :w",
                            ExpressionAttributeValues={":w": {"S": "2"}},
                            ReturnValues="UPDATED_NEW")
    assert got["Attributes"] == {"Wins": {"S": "2"}}
    with denied(u.arn, "dynamodb:UpdateItem", games):
        u.ddb.update_item(TableName=games, Key=key("p1"),
                          UpdateExpression="SET BossLevelUnlocked = :b",
                          ExpressionAttributeValues={":b": {"S": "yes"}},
                          ReturnValues="UPDATED_NEW")
    for rv in ("ALL_NEW", "ALL_OLD"):
        with denied(u.arn, "dynamodb:UpdateItem", games):
            u.ddb.update_item(TableName=games, Key=key("p1"), UpdateExpression="SET Wins = :w",
                              ExpressionAttributeValues={":w": {"S": "3"}}, ReturnValues=rv)


def test_attributes_explicit_deny(iam_env, games, ddb):
    ddb.put_item(TableName=games, Item=item("p1", shown="yes", secret="shh"))
    u = iam_env.user(policy=h.policy(
        h.allow("dynamodb:*"),
        h.deny(["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"], h.table_arn(games),
               condition={"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["secret"]}})))
    u.ddb.get_item(TableName=games, Key=key("p1"), ProjectionExpression="shown")
    with denied(u.arn, "dynamodb:GetItem", games, explicit=True):
        u.ddb.get_item(TableName=games, Key=key("p1"), ProjectionExpression="shown, secret")
    with denied(u.arn, "dynamodb:UpdateItem", games, explicit=True):
        u.ddb.update_item(TableName=games, Key=key("p1"), UpdateExpression="REMOVE secret")


def test_leading_keys_and_attributes_together(iam_env, games):
    """The guide's GameScores policy: own items only, listed attributes only."""
    u = iam_env.user()
    iam_env.iam.put_user_policy(UserName=u.name, PolicyName="game", PolicyDocument=h.policy(
        h.allow(ITEM_ACTIONS, h.table_arn(games), condition={
            "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:userid}"],
                                          "dynamodb:Attributes": VISIBLE},
            "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}})))
    u.ddb.put_item(TableName=games, Item=item(u.id, score="5"))
    got = u.ddb.query(TableName=games, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": u.id}},
                      ProjectionExpression="pk, score")
    assert got["Items"] == [{"pk": {"S": u.id}, "score": {"S": "5"}}]
    with denied(u.arn, "dynamodb:PutItem", games):
        u.ddb.put_item(TableName=games, Item=item("other", score="5"))
    with denied(u.arn, "dynamodb:PutItem", games):
        u.ddb.put_item(TableName=games, Item=item(u.id, "g2", secret="x"))


# ---------------------------------------------------------------------------------------------
# dynamodb:Select


def test_select_count_only(iam_env, games, ddb):
    ddb.put_item(TableName=games, Item=item("p1"))
    u = iam_env.user(policy=h.policy(h.allow(["dynamodb:Scan", "dynamodb:Query"],
                                             h.table_arn(games), condition={
        "StringEquals": {"dynamodb:Select": "COUNT"}})))
    assert u.ddb.scan(TableName=games, Select="COUNT")["Count"] == 1
    assert u.ddb.query(TableName=games, Select="COUNT", KeyConditionExpression="pk = :p",
                       ExpressionAttributeValues={":p": {"S": "p1"}})["Count"] == 1
    with denied(u.arn, "dynamodb:Scan", games):
        u.ddb.scan(TableName=games, Select="ALL_ATTRIBUTES")
    with denied(u.arn, "dynamodb:Scan", games):
        u.ddb.scan(TableName=games, Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="pk")
    # No Select at all is not COUNT either.
    with denied(u.arn, "dynamodb:Scan", games):
        u.ddb.scan(TableName=games)


# ---------------------------------------------------------------------------------------------
# dynamodb:ReturnValues and dynamodb:ReturnConsumedCapacity


def test_return_values(iam_env, games):
    u = iam_env.user(policy=h.policy(h.allow(["dynamodb:PutItem", "dynamodb:DeleteItem"],
                                             h.table_arn(games), condition={
        "StringEquals": {"dynamodb:ReturnValues": "NONE"}})))
    u.ddb.put_item(TableName=games, Item=item("p1"), ReturnValues="NONE")
    with denied(u.arn, "dynamodb:PutItem", games):
        u.ddb.put_item(TableName=games, Item=item("p1"), ReturnValues="ALL_OLD")
    with denied(u.arn, "dynamodb:DeleteItem", games):
        u.ddb.delete_item(TableName=games, Key=key("p1"), ReturnValues="ALL_OLD")
    u.ddb.delete_item(TableName=games, Key=key("p1"), ReturnValues="NONE")


def test_return_values_explicit_deny(iam_env, games):
    u = iam_env.user(policy=h.policy(
        h.allow("dynamodb:*"),
        h.deny("dynamodb:UpdateItem", h.table_arn(games), condition={
            "StringEquals": {"dynamodb:ReturnValues": ["ALL_OLD", "ALL_NEW"]}})))
    u.ddb.update_item(TableName=games, Key=key("p1"), UpdateExpression="SET a = :a",
                      ExpressionAttributeValues={":a": {"S": "1"}}, ReturnValues="UPDATED_NEW")
    with denied(u.arn, "dynamodb:UpdateItem", games, explicit=True):
        u.ddb.update_item(TableName=games, Key=key("p1"), UpdateExpression="SET a = :a",
                          ExpressionAttributeValues={":a": {"S": "1"}}, ReturnValues="ALL_NEW")


def test_return_consumed_capacity(iam_env, games):
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:GetItem", h.table_arn(games), condition={
        "StringEqualsIfExists": {"dynamodb:ReturnConsumedCapacity": "NONE"}})))
    u.ddb.get_item(TableName=games, Key=key("p1"))
    u.ddb.get_item(TableName=games, Key=key("p1"), ReturnConsumedCapacity="NONE")
    with denied(u.arn, "dynamodb:GetItem", games):
        u.ddb.get_item(TableName=games, Key=key("p1"), ReturnConsumedCapacity="TOTAL")
