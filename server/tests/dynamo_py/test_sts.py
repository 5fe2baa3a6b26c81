"""STS through boto3's `sts` client on the DynamoDB endpoint: GetCallerIdentity of the root, a
user and an assumed role; AssumeRole (what it answers, and each refusal: a trust policy that
does not name the caller, an identity policy that does not allow sts:AssumeRole, a role that
does not exist, DurationSeconds out of range); session policies narrowing a role's
permissions; GetSessionToken credentials acting as their user for DynamoDB but refused by IAM;
temporary credentials without (or with a wrong) session token.

Expected answers are STS's (API reference, its documented errors and messages)."""

import datetime
import json

import pytest

import dynamo_helpers as h
from dynamo_helpers import expect_error

ALLOW_ALL_DDB = h.policy(h.allow("dynamodb:*"))


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def assert_expires_in(expiration, seconds, slack=120):
    delta = (expiration - now()).total_seconds()
    assert seconds - slack <= delta <= seconds + slack, (expiration, seconds)


def assert_temporary(creds):
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20, creds
    assert len(creds["SecretAccessKey"]) == 40
    assert len(creds["SessionToken"]) >= 16


@pytest.fixture(scope="module")
def raw_sts():
    """The root's STS client without botocore's parameter validation."""
    return h.make_service_client("sts", validate=False)


def assume(identity_sts, role, session="sess", **kwargs):
    return identity_sts.assume_role(RoleArn=role["Arn"], RoleSessionName=session, **kwargs)


def session_of(resp):
    return h.Identity.of_credentials(resp["Credentials"])


# ---------------------------------------------------------------------------------------------
# GetCallerIdentity


def test_caller_identity_root(sts):
    me = sts.get_caller_identity()
    assert me["Account"] == h.ACCOUNT
    assert me["Arn"] == h.ROOT_ARN
    assert me["UserId"] == h.ACCOUNT
    assert me["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert me["ResponseMetadata"]["RequestId"]


def test_caller_identity_user_needs_no_permission(iam_env):
    u = iam_env.user()  # no policy at all: GetCallerIdentity is always allowed
    me = u.sts.get_caller_identity()
    assert me == {**me, "Account": h.ACCOUNT, "Arn": u.arn, "UserId": u.id}


def test_caller_identity_assumed_role(iam_env, sts):
    role = iam_env.role(h.trust_policy(h.ROOT_ARN))
    resp = assume(sts, role, session="who-am-i")
    me = session_of(resp).sts.get_caller_identity()
    arn = f"arn:aws:sts::{h.ACCOUNT}:assumed-role/{role['RoleName']}/who-am-i"
    assert me["Arn"] == arn
    assert me["UserId"] == f"{role['RoleId']}:who-am-i"
    assert me["Account"] == h.ACCOUNT


# ---------------------------------------------------------------------------------------------
# AssumeRole


def test_assume_role_by_root(iam_env, sts):
    role = iam_env.role(h.trust_policy(h.ROOT_ARN))
    resp = assume(sts, role, session="root-session")
    creds = resp["Credentials"]
    assert_temporary(creds)
    assert_expires_in(creds["Expiration"], 3600)  # the default: one hour
    assert resp["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:root-session",
        "Arn": f"arn:aws:sts::{h.ACCOUNT}:assumed-role/{role['RoleName']}/root-session",
    }
    assert "PackedPolicySize" not in resp
    # Each AssumeRole makes new credentials.
    again = assume(sts, role, session="root-session")["Credentials"]
    assert again["AccessKeyId"] != creds["AccessKeyId"]


def test_assume_role_duration(iam_env, sts):
    role = iam_env.role(h.trust_policy(h.ROOT_ARN), MaxSessionDuration=7200)
    assert_expires_in(assume(sts, role, DurationSeconds=900)["Credentials"]["Expiration"], 900)
    assert_expires_in(assume(sts, role, DurationSeconds=7200)["Credentials"]["Expiration"], 7200)


@pytest.mark.parametrize("trusted", ["user", "root", "account"])
def test_assume_role_by_user(iam_env, trusted):
    """A user may assume a role when its own policies allow sts:AssumeRole on the role and the
    role's trust policy names the user (its ARN) or the account (root ARN or account id)."""
    u = iam_env.user()
    principal = {"user": u.arn, "root": h.ROOT_ARN, "account": h.ACCOUNT}[trusted]
    role = iam_env.role(h.trust_policy(principal), policy=h.policy(h.allow("dynamodb:ListTables")))
    iam_env.iam.put_user_policy(
        UserName=u.name, PolicyName="assume",
        PolicyDocument=h.policy(h.allow("sts:AssumeRole", role["Arn"])))
    resp = assume(u.sts, role, session=u.name)
    assert_temporary(resp["Credentials"])
    s = session_of(resp)
    assert s.sts.get_caller_identity()["Arn"] == \
        f"arn:aws:sts::{h.ACCOUNT}:assumed-role/{role['RoleName']}/{u.name}"
    # The session has the role's permissions, not the user's.
    assert "TableNames" in s.ddb.list_tables()


def denied_assume(caller_arn, role_arn):
    return (f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: "
            f"{role_arn}")


def test_assume_role_trust_policy_names_someone_else(iam_env, iam):
    u = iam_env.user()
    other = iam_env.user(key=False)
    role = iam_env.role(h.trust_policy(other.arn))
    iam.put_user_policy(UserName=u.name, PolicyName="assume",
                        PolicyDocument=h.policy(h.allow("sts:AssumeRole", role["Arn"])))
    with expect_error("AccessDenied", denied_assume(u.arn, role["Arn"])) as e:
        assume(u.sts, role)
    assert h.status_of(e) == 403
    assert e.response["Error"]["Type"] == "Sender"


def test_assume_role_trust_policy_denies(iam_env, iam):
    u = iam_env.user()
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": h.ROOT_ARN}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": u.arn}, "Action": "sts:AssumeRole"}]})
    role = iam_env.role(trust)
    iam.put_user_policy(UserName=u.name, PolicyName="assume",
                        PolicyDocument=h.policy(h.allow("sts:AssumeRole")))
    with expect_error("AccessDenied", denied_assume(u.arn, role["Arn"])):
        assume(u.sts, role)


def test_assume_role_without_identity_policy(iam_env, iam):
    u = iam_env.user()
    role = iam_env.role(h.trust_policy(u.arn))
    with expect_error("AccessDenied", denied_assume(u.arn, role["Arn"])) as e:
        assume(u.sts, role)
    assert h.status_of(e) == 403
    # Allowed on another role only: still refused.
    other = iam_env.role(h.trust_policy(u.arn))
    iam.put_user_policy(UserName=u.name, PolicyName="assume",
                        PolicyDocument=h.policy(h.allow("sts:AssumeRole", other["Arn"])))
    with expect_error("AccessDenied", denied_assume(u.arn, role["Arn"])):
        assume(u.sts, role)
    assume(u.sts, other)
    # An explicit Deny beats the Allow.
    iam.put_user_policy(UserName=u.name, PolicyName="no",
                        PolicyDocument=h.policy(h.deny("sts:AssumeRole", other["Arn"])))
    with expect_error("AccessDenied", denied_assume(u.arn, other["Arn"])):
        assume(u.sts, other)


def test_assume_missing_role(iam_env, sts):
    u = iam_env.user(policy=h.policy(h.allow("sts:AssumeRole")))
    arn = h.role_arn(h.unique_name("norole"))
    # Whether the role exists is not told: the refusal is the same as for a role not trusting.
    with expect_error("AccessDenied", denied_assume(u.arn, arn)) as e:
        u.sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    assert h.status_of(e) == 403
    with expect_error("AccessDenied", denied_assume(h.ROOT_ARN, arn)):
        sts.assume_role(RoleArn=arn, RoleSessionName="s1")


def test_assume_role_with_path(iam_env, sts):
    role = iam_env.role(h.trust_policy(h.ROOT_ARN), Path="/team/")
    assert role["Arn"] == h.role_arn(role["RoleName"], "/team/")
    resp = assume(sts, role)
    assert resp["AssumedRoleUser"]["Arn"] == \
        f"arn:aws:sts::{h.ACCOUNT}:assumed-role/{role['RoleName']}/sess"
    # The ARN without its path is no role.
    pathless = h.role_arn(role["RoleName"])
    with expect_error("AccessDenied", denied_assume(h.ROOT_ARN, pathless)):
        sts.assume_role(RoleArn=pathless, RoleSessionName="sess")


@pytest.mark.parametrize("seconds", [0, 899])
def test_assume_role_duration_too_short(iam_env, raw_sts, seconds):
    role = iam_env.role(h.trust_policy(h.ROOT_ARN))
    with expect_error("ValidationError",
                      f"1 validation error detected: Value '{seconds}' at 'durationSeconds' "
                      "failed to satisfy constraint: Member must have value greater than or "
                      "equal to 900") as e:
        assume(raw_sts, role, DurationSeconds=seconds)
    assert h.status_of(e) == 400


def test_assume_role_duration_over_max_session_duration(iam_env, sts):
    role = iam_env.role(h.trust_policy(h.ROOT_ARN))  # MaxSessionDuration 3600
    with expect_error("ValidationError",
                      "The requested DurationSeconds exceeds the MaxSessionDuration set for "
                      "this role.") as e:
        assume(sts, role, DurationSeconds=3601)
    assert h.status_of(e) == 400


@pytest.mark.parametrize("session", ["a", "has space", "x" * 65])
def test_assume_role_bad_session_name(iam_env, raw_sts, session):
    role = iam_env.role(h.trust_policy(h.ROOT_ARN))
    with expect_error("ValidationError", contains="roleSessionName") as e:
        assume(raw_sts, role, session=session)
    assert h.status_of(e) == 400


def test_assume_role_missing_parameters(raw_sts):
    with expect_error("ValidationError", contains="roleArn"):
        raw_sts.assume_role(RoleSessionName="s1")
    with expect_error("ValidationError", contains="roleSessionName"):
        raw_sts.assume_role(RoleArn=h.role_arn("x"))


# ---------------------------------------------------------------------------------------------
# What a role session may do


def test_role_session_has_role_permissions(iam_env, iam, sts, make_table):
    t = make_table()
    role = iam_env.role(h.trust_policy(h.ROOT_ARN),
                        policy=h.policy(h.allow("dynamodb:GetItem", h.table_arn(t))))
    s = session_of(assume(sts, role, session="reader"))
    s.ddb.get_item(TableName=t, Key={"pk": {"S": "k"}})
    session_arn = f"arn:aws:sts::{h.ACCOUNT}:assumed-role/{role['RoleName']}/reader"
    with expect_error("AccessDeniedException", h.denied_message(
            session_arn, "dynamodb:PutItem", h.table_arn(t))):
        s.ddb.put_item(TableName=t, Item={"pk": {"S": "k"}})
    # A change to the role's policies applies to its live sessions on their next request.
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="more",
                        PolicyDocument=h.policy(h.allow("dynamodb:PutItem", h.table_arn(t))))
    s.ddb.put_item(TableName=t, Item={"pk": {"S": "k"}})


def test_role_session_may_call_iam(iam_env, sts):
    """Role sessions (unlike GetSessionToken's) may call IAM, with the role's permissions."""
    role = iam_env.role(h.trust_policy(h.ROOT_ARN), managed=[h.AWS_POLICY + "IAMReadOnlyAccess"])
    s = session_of(assume(sts, role))
    assert s.iam.get_role(RoleName=role["RoleName"])["Role"]["Arn"] == role["Arn"]


def test_session_policy_narrows(iam_env, sts, make_table):
    t1, t2 = make_table(), make_table()
    role = iam_env.role(h.trust_policy(h.ROOT_ARN), policy=ALLOW_ALL_DDB)
    session_policy = h.policy(h.allow(["dynamodb:GetItem", "dynamodb:DescribeTable"],
                                      h.table_arn(t1)))
    resp = assume(sts, role, session="narrow", Policy=session_policy)
    assert 0 < resp["PackedPolicySize"] <= 100
    s = session_of(resp)
    arn = f"arn:aws:sts::{h.ACCOUNT}:assumed-role/{role['RoleName']}/narrow"
    s.ddb.get_item(TableName=t1, Key={"pk": {"S": "x"}})
    assert s.ddb.describe_table(TableName=t1)["Table"]["TableName"] == t1
    with expect_error("AccessDeniedException", h.denied_message(
            arn, "dynamodb:PutItem", h.table_arn(t1), session=True)):
        s.ddb.put_item(TableName=t1, Item={"pk": {"S": "x"}})
    with expect_error("AccessDeniedException", h.denied_message(
            arn, "dynamodb:GetItem", h.table_arn(t2), session=True)):
        s.ddb.get_item(TableName=t2, Key={"pk": {"S": "x"}})
    # A session without the policy has all of the role's permissions.
    full = session_of(assume(sts, role, session="full"))
    full.ddb.put_item(TableName=t1, Item={"pk": {"S": "x"}})


def test_session_policy_cannot_widen(iam_env, sts, make_table):
    t = make_table()
    role = iam_env.role(h.trust_policy(h.ROOT_ARN),
                        policy=h.policy(h.allow("dynamodb:GetItem", h.table_arn(t))))
    s = session_of(assume(sts, role, session="wide", Policy=ALLOW_ALL_DDB))
    s.ddb.get_item(TableName=t, Key={"pk": {"S": "x"}})
    arn = f"arn:aws:sts::{h.ACCOUNT}:assumed-role/{role['RoleName']}/wide"
    with expect_error("AccessDeniedException", h.denied_message(
            arn, "dynamodb:PutItem", h.table_arn(t))):
        s.ddb.put_item(TableName=t, Item={"pk": {"S": "x"}})


def test_session_policy_explicit_deny(iam_env, sts, make_table):
    t = make_table()
    role = iam_env.role(h.trust_policy(h.ROOT_ARN), policy=ALLOW_ALL_DDB)
    session_policy = h.policy(h.allow("dynamodb:*"), h.deny("dynamodb:DeleteItem"))
    s = session_of(assume(sts, role, session="nodelete", Policy=session_policy))
    s.ddb.put_item(TableName=t, Item={"pk": {"S": "x"}})
    arn = f"arn:aws:sts::{h.ACCOUNT}:assumed-role/{role['RoleName']}/nodelete"
    with expect_error("AccessDeniedException", h.denied_message(
            arn, "dynamodb:DeleteItem", h.table_arn(t), explicit=True, session=True)):
        s.ddb.delete_item(TableName=t, Key={"pk": {"S": "x"}})


def test_session_policy_malformed(iam_env, sts):
    role = iam_env.role(h.trust_policy(h.ROOT_ARN))
    with expect_error("MalformedPolicyDocument") as e:
        assume(sts, role, Policy="{not json")
    assert h.status_of(e) == 400


# ---------------------------------------------------------------------------------------------
# GetSessionToken


def test_get_session_token_acts_as_user(iam_env, make_table):
    t = make_table()
    u = iam_env.user(policy=h.policy(h.allow(["dynamodb:GetItem", "dynamodb:ListTables"])))
    resp = u.sts.get_session_token()
    creds = resp["Credentials"]
    assert_temporary(creds)
    assert_expires_in(creds["Expiration"], 43200)  # the default: 12 hours
    s = h.Identity.of_credentials(creds)
    me = s.sts.get_caller_identity()
    assert (me["Arn"], me["UserId"]) == (u.arn, u.id)
    assert "TableNames" in s.ddb.list_tables()
    s.ddb.get_item(TableName=t, Key={"pk": {"S": "x"}})
    # The user's permissions, no more: refused in the user's name.
    with expect_error("AccessDeniedException",
                      h.denied_message(u.arn, "dynamodb:PutItem", h.table_arn(t))):
        s.ddb.put_item(TableName=t, Item={"pk": {"S": "x"}})


def test_get_session_token_refused_by_iam(iam_env):
    u = iam_env.user(managed=[h.AWS_POLICY + "IAMFullAccess"])
    u.iam.list_users(MaxItems=1)  # the user's own key may
    s = h.Identity.of_credentials(u.sts.get_session_token(DurationSeconds=900)["Credentials"])
    with expect_error("InvalidClientTokenId",
                      startswith="The security token included in the request is invalid") as e:
        s.iam.list_users(MaxItems=1)
    assert h.status_of(e) == 403


def test_get_session_token_duration(iam_env):
    u = iam_env.user()
    assert_expires_in(u.sts.get_session_token(DurationSeconds=900)["Credentials"]["Expiration"],
                      900)
    assert_expires_in(
        u.sts.get_session_token(DurationSeconds=129600)["Credentials"]["Expiration"], 129600)
    raw = u.client("sts", validate=False)
    with expect_error("ValidationError", contains="durationSeconds") as e:
        raw.get_session_token(DurationSeconds=899)
    assert h.status_of(e) == 400
    with expect_error("ValidationError") as e:
        raw.get_session_token(DurationSeconds=129601)
    assert h.status_of(e) == 400


def test_get_session_token_with_session_credentials(iam_env, sts):
    role = iam_env.role(h.trust_policy(h.ROOT_ARN))
    s = session_of(assume(sts, role))
    with expect_error("AccessDenied", "Cannot call GetSessionToken with session credentials") as e:
        s.sts.get_session_token()
    assert h.status_of(e) == 403
    u = iam_env.user()
    st = h.Identity.of_credentials(u.sts.get_session_token()["Credentials"])
    with expect_error("AccessDenied", "Cannot call GetSessionToken with session credentials"):
        st.sts.get_session_token()


# ---------------------------------------------------------------------------------------------
# Temporary credentials and their session token


def test_temporary_credentials_need_their_token(iam_env, sts):
    role = iam_env.role(h.trust_policy(h.ROOT_ARN), policy=ALLOW_ALL_DDB)
    creds = assume(sts, role)["Credentials"]
    good = h.Identity.of_credentials(creds)
    assert "TableNames" in good.ddb.list_tables()
    no_token = h.Identity(creds["AccessKeyId"], creds["SecretAccessKey"])
    with expect_error("UnrecognizedClientException",
                      "The security token included in the request is invalid.") as e:
        no_token.ddb.list_tables()
    assert h.status_of(e) == 400
    with expect_error("InvalidClientTokenId",
                      "The security token included in the request is invalid.") as e:
        no_token.sts.get_caller_identity()
    assert h.status_of(e) == 403
    wrong = h.Identity(creds["AccessKeyId"], creds["SecretAccessKey"],
                       creds["SessionToken"][:-4] + "AAAA")
    with expect_error("UnrecognizedClientException",
                      "The security token included in the request is invalid."):
        wrong.ddb.list_tables()
    # Another session's token does not go with this key.
    other = assume(sts, role)["Credentials"]
    mixed = h.Identity(creds["AccessKeyId"], creds["SecretAccessKey"], other["SessionToken"])
    with expect_error("UnrecognizedClientException"):
        mixed.ddb.list_tables()


def test_session_token_with_long_term_key(iam_env):
    """A session token sent with a long-term key (no session) is refused."""
    u = iam_env.user(policy=h.policy(h.allow("dynamodb:ListTables")))
    bad = h.Identity(u.access_key, u.secret_key, "FQoGZXIvYXdzEXAMPLETOKEN")
    with expect_error("UnrecognizedClientException",
                      "The security token included in the request is invalid."):
        bad.ddb.list_tables()


def test_temporary_credentials_wrong_secret(iam_env, sts):
    role = iam_env.role(h.trust_policy(h.ROOT_ARN), policy=ALLOW_ALL_DDB)
    creds = assume(sts, role)["Credentials"]
    bad = h.Identity(creds["AccessKeyId"], "x" * 40, creds["SessionToken"])
    with expect_error("InvalidSignatureException", contains="signature"):
        bad.ddb.list_tables()
    with expect_error("SignatureDoesNotMatch") as e:
        bad.sts.get_caller_identity()
    assert h.status_of(e) == 403
