"""PartiQL: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction through boto3.

Sources of the expected behaviour (the AWS DynamoDB Developer Guide's PartiQL reference,
"ql-reference.*.md" in awsdocs/amazon-dynamodb-developer-guide):
- INSERT of an existing key: DuplicateItemException (ql-reference.insert: "If the DynamoDB
  table already has an item with the same primary key ... DuplicateItemException is returned").
- UPDATE whose WHERE clause matches no item: ConditionalCheckFailedException
  (ql-reference.update).
- DELETE of a missing item succeeds; of an item whose WHERE clause is false:
  ConditionalCheckFailedException (ql-reference.delete).
- RETURNING ALL OLD * on DELETE returns the item in Items (ql-reference.delete's example).
- SELECT on "table"."index", IN [...], ORDER BY ... DESC, nested paths (ql-reference.select).
- EXISTS only in transactions (ql-functions.exists); a batch or transaction is all reads or
  all writes (ql-reference.multiplestatements.*).
- Messages quoted from real DynamoDB answers: "Duplicate primary key exists in table",
  "Where clause does not contain a mandatory equality on all key attributes", "Number of
  parameters in request and statement don't match.", and the prefix "Statement wasn't well
  formed, can't be processed:" of syntax errors. Other messages are Shale's and asserted as
  substrings.
"""

import pytest

import dynamo_helpers as h
from dynamo_helpers import expect_error


def put(ddb, table, **attrs):
    item = {}
    for k, v in attrs.items():
        item[k] = {"N": str(v)} if isinstance(v, int) else {"S": v}
    ddb.put_item(TableName=table, Item=item)


def run(ddb, statement, params=None, **kw):
    args = {"Statement": statement, **kw}
    if params is not None:
        args["Parameters"] = params
    return ddb.execute_statement(**args)


def select_all(ddb, statement, params=None, **kw):
    """Every item of a SELECT, following NextToken."""
    items, token = [], None
    while True:
        extra = dict(kw)
        if token:
            extra["NextToken"] = token
        r = run(ddb, statement, params, **extra)
        items.extend(r["Items"])
        token = r.get("NextToken")
        if not token:
            return items


def test_insert_select_update_delete_round_trip(ddb, table_hr):
    t = table_hr
    run(ddb, f'INSERT INTO "{t}" VALUE {{\'pk\': \'a\', \'sk\': \'1\', \'n\': 5, '
             f"'m': {{'x': [1, 'two']}}, 'ss': <<'p', 'q'>>}}")
    got = ddb.get_item(TableName=t, Key={"pk": {"S": "a"}, "sk": {"S": "1"}})["Item"]
    assert got["n"] == {"N": "5"}
    assert got["m"] == {"M": {"x": {"L": [{"N": "1"}, {"S": "two"}]}}}
    assert sorted(got["ss"]["SS"]) == ["p", "q"]

    r = run(ddb, f"SELECT n, m.x[1] FROM \"{t}\" WHERE pk = 'a' AND sk = '1'")
    assert r["Items"] == [{"n": {"N": "5"}, "m": {"M": {"x": {"L": [{"S": "two"}]}}}}]

    r = run(ddb, f"UPDATE \"{t}\" SET n = n + 1 SET ss = set_add(ss, <<'r'>>) REMOVE m "
                 f"WHERE pk = 'a' AND sk = '1' RETURNING ALL NEW *")
    new = r["Items"][0]
    assert new["n"] == {"N": "6"} and "m" not in new and len(new["ss"]["SS"]) == 3

    r = run(ddb, f"DELETE FROM \"{t}\" WHERE pk = 'a' AND sk = '1' RETURNING ALL OLD *")
    assert r["Items"][0]["n"] == {"N": "6"}
    assert "Item" not in ddb.get_item(TableName=t, Key={"pk": {"S": "a"}, "sk": {"S": "1"}})


def test_writes_without_returning_answer_no_items(ddb, table):
    assert run(ddb, f"INSERT INTO \"{table}\" VALUE {{'pk': 'k'}}")["Items"] == []
    r = run(ddb, f"UPDATE \"{table}\" SET a = 1 WHERE pk = 'k'")
    assert r["Items"] == []


def test_modified_returning(ddb, table):
    put(ddb, table, pk="k", a=1, b=2)
    r = run(ddb, f"UPDATE \"{table}\" SET a = 10 WHERE pk = 'k' RETURNING MODIFIED OLD *")
    assert r["Items"] == [{"a": {"N": "1"}}]
    r = run(ddb, f"UPDATE \"{table}\" SET b = 20 WHERE pk = 'k' RETURNING MODIFIED NEW *")
    assert r["Items"] == [{"b": {"N": "20"}}]


def test_insert_of_an_existing_key_is_a_duplicate(ddb, table):
    put(ddb, table, pk="dup")
    with expect_error("DuplicateItemException", "Duplicate primary key exists in table"):
        run(ddb, f"INSERT INTO \"{table}\" VALUE {{'pk': 'dup', 'x': 1}}")
    assert "x" not in ddb.get_item(TableName=table, Key={"pk": {"S": "dup"}})["Item"]


def test_update_of_a_missing_item_fails_its_condition(ddb, table):
    with expect_error("ConditionalCheckFailedException"):
        run(ddb, f"UPDATE \"{table}\" SET a = 1 WHERE pk = 'nobody'")
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "nobody"}})
    put(ddb, table, pk="k", a=1)
    with expect_error("ConditionalCheckFailedException") as e:
        run(ddb, f"UPDATE \"{table}\" SET a = 2 WHERE pk = 'k' AND a = 5",
            ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.error.response["Item"]["a"] == {"N": "1"}


def test_delete_of_a_missing_item_succeeds_and_a_false_condition_fails(ddb, table):
    assert run(ddb, f"DELETE FROM \"{table}\" WHERE pk = 'nobody'")["Items"] == []
    put(ddb, table, pk="k", a=1)
    with expect_error("ConditionalCheckFailedException"):
        run(ddb, f"DELETE FROM \"{table}\" WHERE pk = 'k' AND a = 2")
    assert "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": "k"}})
    run(ddb, f"DELETE FROM \"{table}\" WHERE pk = 'k' AND a = 1")
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "k"}})


def test_writes_must_name_the_whole_key(ddb, table_hr):
    msg = "Where clause does not contain a mandatory equality on all key attributes"
    for stmt in [f"UPDATE \"{table_hr}\" SET a = 1 WHERE pk = 'a'",
                 f"DELETE FROM \"{table_hr}\" WHERE pk = 'a' OR sk = 'b'",
                 f"UPDATE \"{table_hr}\" SET a = 1 WHERE pk = 'a' AND sk > 'b'"]:
        with expect_error("ValidationException", msg):
            run(ddb, stmt)


def test_update_of_a_key_attribute_is_refused(ddb, table):
    put(ddb, table, pk="k")
    with expect_error("ValidationException", contains="Cannot update attribute pk"):
        run(ddb, f"UPDATE \"{table}\" SET pk = 'other' WHERE pk = 'k'")


def test_parameters_bind_in_order(ddb, table_hr):
    run(ddb, f"INSERT INTO \"{table_hr}\" VALUE {{'pk': ?, 'sk': ?, 'b': ?}}",
        [{"S": "p"}, {"S": "s"}, {"B": b"\x01\x02"}])
    r = run(ddb, f"SELECT b FROM \"{table_hr}\" WHERE pk = ? AND sk = ?",
            [{"S": "p"}, {"S": "s"}])
    assert r["Items"] == [{"b": {"B": b"\x01\x02"}}]
    msg = "Number of parameters in request and statement don't match."
    with expect_error("ValidationException", msg):
        run(ddb, f"SELECT * FROM \"{table_hr}\" WHERE pk = ?")
    with expect_error("ValidationException", msg):
        run(ddb, f"SELECT * FROM \"{table_hr}\" WHERE pk = ?", [{"S": "a"}, {"S": "b"}])


def test_syntax_errors(ddb, table):
    for stmt in ["SELEC * FROM t", f"SELECT * FROM \"{table}\" WHERE", "SELECT * FROM",
                 f"INSERT INTO \"{table}\" VALUES {{'pk': 'a'}}",
                 f"SELECT * FROM \"{table}\" WHERE a = 'unterminated"]:
        with expect_error("ValidationException",
                          startswith="Statement wasn't well formed, can't be processed:"):
            run(ddb, stmt)


def test_unknown_table(ddb):
    with expect_error("ResourceNotFoundException"):
        run(ddb, "SELECT * FROM \"no_such_table_xyz\"")
    with expect_error("ResourceNotFoundException"):
        run(ddb, "INSERT INTO \"no_such_table_xyz\" VALUE {'pk': 'a'}")


def test_select_where_operators(ddb, table_hr):
    t = table_hr
    for i in range(6):
        put(ddb, t, pk="p", sk=f"s{i}", n=i)
    ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"S": "z"}, "z": {"NULL": True}})

    def sks(where):
        return sorted(i["sk"]["S"] for i in select_all(ddb, f"SELECT sk FROM \"{t}\" WHERE {where}"))

    assert sks("pk = 'p' AND n BETWEEN 1 AND 3") == ["s1", "s2", "s3"]
    assert sks("pk = 'p' AND sk IN ['s0', 's5', 'nope']") == ["s0", "s5"]
    assert sks("pk = 'p' AND begins_with(sk, 's') AND n >= 4") == ["s4", "s5"]
    assert sks("pk = 'p' AND n IS MISSING") == ["z"]
    assert sks("pk = 'p' AND z IS NOT MISSING") == ["z"]
    # As in condition expressions (the same evaluator): a comparison with a missing attribute
    # is false, so its negation holds.
    assert sks("pk = 'p' AND NOT (n < 5)") == ["s5", "z"]
    assert sks("pk = 'p' AND sk > 's3' AND n <> 5") == ["s4", "z"]
    assert sks("n = 2") == ["s2"]  # a scan
    assert sks("pk = 'p' AND attribute_type(z, 'NULL')") == ["z"]


def test_select_in_on_the_partition_key_and_order_by(ddb, table_hr):
    t = table_hr
    for p in ["a", "b", "c"]:
        for s in ["1", "2"]:
            put(ddb, t, pk=p, sk=s)
    items = select_all(ddb, f"SELECT pk, sk FROM \"{t}\" WHERE pk IN ['c', 'a'] ORDER BY pk DESC")
    assert [(i["pk"]["S"], i["sk"]["S"]) for i in items] == \
        [("c", "1"), ("c", "2"), ("a", "1"), ("a", "2")]
    items = select_all(ddb, f"SELECT sk FROM \"{t}\" WHERE pk = 'b' ORDER BY sk DESC")
    assert [i["sk"]["S"] for i in items] == ["2", "1"]
    with expect_error("ValidationException", contains="ORDER BY"):
        run(ddb, f"SELECT * FROM \"{t}\" ORDER BY sk")
    with expect_error("ValidationException", contains="ORDER BY"):
        run(ddb, f"SELECT * FROM \"{t}\" WHERE pk = 'a' ORDER BY other")


def test_limit_and_next_token_page_through_everything(ddb, table_hr):
    t = table_hr
    for i in range(25):
        put(ddb, t, pk="p", sk=f"{i:03}")
    r = run(ddb, f"SELECT * FROM \"{t}\" WHERE pk = 'p'", Limit=10)
    assert len(r["Items"]) == 10 and "NextToken" in r
    items = select_all(ddb, f"SELECT * FROM \"{t}\" WHERE pk = 'p'", Limit=7)
    assert [i["sk"]["S"] for i in items] == [f"{i:03}" for i in range(25)]
    # A token belongs to its statement and parameters.
    with expect_error("ValidationException", contains="NextToken"):
        run(ddb, f"SELECT * FROM \"{t}\" WHERE pk = 'q'", NextToken=r["NextToken"])
    with expect_error("ValidationException", contains="NextToken"):
        run(ddb, f"SELECT * FROM \"{t}\" WHERE pk = 'p'", NextToken="garbage")
    with expect_error("ValidationException", contains="Limit"):
        run(ddb, f"DELETE FROM \"{t}\" WHERE pk = 'p' AND sk = '000'", Limit=1)


def table_with_index(ddb, prefix, projection, **extra):
    """A table keyed by pk (S) with a global index `byG` on g (S); its name."""
    name = h.unique_name(prefix)
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [
            {"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": projection}}],
        **extra)
    h.wait_active(ddb, name)
    return name


def test_select_from_an_index(ddb):
    name = table_with_index(ddb, "pq", "ALL")
    try:
        for i in range(4):
            ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}, "g": {"S": "even" if i % 2 == 0 else "odd"}})
        items = select_all(ddb, f"SELECT pk FROM \"{name}\".\"byG\" WHERE g = 'odd'")
        assert sorted(i["pk"]["S"] for i in items) == ["k1", "k3"]
        with expect_error("ValidationException", contains="index"):
            run(ddb, f"SELECT * FROM \"{name}\".\"nope\"")
        with expect_error("ValidationException", contains="Consistent reads are not supported"):
            run(ddb, f"SELECT * FROM \"{name}\".\"byG\" WHERE g = 'odd'", ConsistentRead=True)
    finally:
        h.delete_table_quietly(ddb, name)


def test_exists_only_in_transactions(ddb, table):
    with expect_error("ValidationException", contains="EXISTS"):
        run(ddb, f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 'a')")


def test_transaction_of_writes_is_atomic(ddb, table):
    put(ddb, table, pk="guard", gstate="open")
    put(ddb, table, pk="counter", n=0)
    ddb.execute_transaction(TransactStatements=[
        {"Statement": f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 'guard' AND gstate = 'open')"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': ?, 'v': 1}}", "Parameters": [{"S": "t1"}]},
        {"Statement": f"UPDATE \"{table}\" SET n = n + 1 WHERE pk = 'counter'"},
    ])
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "counter"}})["Item"]["n"] == {"N": "1"}
    ddb.update_item(TableName=table, Key={"pk": {"S": "guard"}}, UpdateExpression="SET gstate = :u",
                    ExpressionAttributeValues={":u": {"S": "used"}})
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "t1"}})["Item"]["v"] == {"N": "1"}
    # The guard is now 'used': the whole transaction is cancelled, nothing is written.
    with expect_error("TransactionCanceledException") as e:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 'guard' AND gstate = 'open')"},
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 't2'}}"},
        ])
    codes = [r["Code"] for r in e.error.response["CancellationReasons"]]
    assert codes == ["ConditionalCheckFailed", "None"]
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "t2"}})
    with expect_error("TransactionCanceledException") as e:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 't1'}}"},
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 't3'}}"},
        ])
    assert [r["Code"] for r in e.error.response["CancellationReasons"]] == ["DuplicateItem", "None"]
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "t3"}})


def test_transaction_rules(ddb, table):
    put(ddb, table, pk="a", v=1)
    r = ddb.execute_transaction(TransactStatements=[
        {"Statement": f"SELECT v FROM \"{table}\" WHERE pk = 'a'"},
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'missing'"},
    ])
    assert r["Responses"] == [{"Item": {"v": {"N": "1"}}}, {}]
    with expect_error("ValidationException", contains="either read statements or write statements"):
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'a'"},
            {"Statement": f"DELETE FROM \"{table}\" WHERE pk = 'a'"},
        ])
    with expect_error("ValidationException",
                      "Transaction request cannot include multiple operations on one item"):
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"UPDATE \"{table}\" SET v = 2 WHERE pk = 'a'"},
            {"Statement": f"DELETE FROM \"{table}\" WHERE pk = 'a'"},
        ])
    # Idempotency: the same token and statements answer once.
    stmts = [{"Statement": f"UPDATE \"{table}\" SET v = v + 1 WHERE pk = 'a'"}]
    tok = h.unique_name("tok")[:36]
    ddb.execute_transaction(TransactStatements=stmts, ClientRequestToken=tok)
    ddb.execute_transaction(TransactStatements=stmts, ClientRequestToken=tok)
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]["v"] == {"N": "2"}
    with expect_error("IdempotentParameterMismatchException"):
        ddb.execute_transaction(
            TransactStatements=[{"Statement": f"UPDATE \"{table}\" SET v = 9 WHERE pk = 'a'"}],
            ClientRequestToken=tok)


def test_batch_reads_and_writes_answer_per_statement(ddb, table):
    put(ddb, table, pk="dup")
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'b1'}}"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'dup'}}"},
        {"Statement": f"UPDATE \"{table}\" SET x = 1 WHERE pk = 'nobody'"},
        {"Statement": "INSERT INTO \"no_such_table_xyz\" VALUE {'pk': 'a'}"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': ?}}", "Parameters": [{"S": "b2"}]},
    ], ReturnConsumedCapacity="TOTAL")
    res = r["Responses"]
    assert "Error" not in res[0] and res[0]["TableName"] == table
    assert res[1]["Error"]["Code"] == "DuplicateItem"
    assert res[2]["Error"]["Code"] == "ConditionalCheckFailed"
    assert res[3]["Error"]["Code"] == "ResourceNotFound"
    assert "Error" not in res[4]
    assert r["ConsumedCapacity"][0]["TableName"] == table
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'b1'"},
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'nobody'"},
        {"Statement": f"SELECT * FROM \"{table}\" WHERE x = 1"},
    ])
    res = r["Responses"]
    assert res[0]["Item"] == {"pk": {"S": "b1"}}
    assert "Item" not in res[1] and "Error" not in res[1]
    assert res[2]["Error"]["Code"] == "ValidationError"
    with expect_error("ValidationException", contains="either read statements or write statements"):
        ddb.batch_execute_statement(Statements=[
            {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'b1'"},
            {"Statement": f"DELETE FROM \"{table}\" WHERE pk = 'b1'"},
        ])


def test_batch_and_transaction_limits(raw_ddb, table):
    stmt = {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'a'"}
    with expect_error("ValidationException", contains="length less than or equal to 25"):
        raw_ddb.batch_execute_statement(Statements=[stmt] * 26)
    with expect_error("ValidationException", contains="length less than or equal to 100"):
        raw_ddb.execute_transaction(TransactStatements=[stmt] * 101)
    with expect_error("ValidationException", contains="length less than or equal to 8192"):
        raw_ddb.execute_statement(Statement="SELECT * FROM t WHERE a = '" + "x" * 8200 + "'")


def test_partiql_writes_feed_streams_and_indexes_like_any_write(ddb):
    name = table_with_index(ddb, "pqs", "KEYS_ONLY", StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    try:
        run(ddb, f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'g': 'one'}}")
        run(ddb, f"UPDATE \"{name}\" SET g = 'two' WHERE pk = 'a'")
        q = ddb.query(TableName=name, IndexName="byG", KeyConditionExpression="g = :g",
                      ExpressionAttributeValues={":g": {"S": "two"}})
        assert q["Items"] == [{"pk": {"S": "a"}, "g": {"S": "two"}}]
        arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
        streams = h.make_session().client("dynamodbstreams", endpoint_url=h.ENDPOINT,
                                          config=h.client_config(True))
        events = []
        for s in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            it = streams.get_shard_iterator(StreamArn=arn, ShardId=s["ShardId"],
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            events += [r["eventName"] for r in streams.get_records(ShardIterator=it)["Records"]]
        assert events == ["INSERT", "MODIFY"]
    finally:
        h.delete_table_quietly(ddb, name)


def test_iam_partiql_actions(iam_env, table):
    arn = h.table_arn(table)
    u = iam_env.user(policy=h.policy(h.allow(["dynamodb:PartiQLSelect"], arn)))
    u.ddb.execute_statement(Statement=f"SELECT * FROM \"{table}\" WHERE pk = 'a'")
    with expect_error("AccessDeniedException", contains="dynamodb:PartiQLInsert"):
        u.ddb.execute_statement(Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'a'}}")
    r = u.ddb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'a'}}"}])
    assert r["Responses"][0]["Error"]["Code"] == "AccessDenied"
