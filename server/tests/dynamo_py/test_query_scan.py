"""Query and Scan: key conditions and DynamoDB's key ordering, Limit/paging, filters,
projections, Select COUNT, the 1 MB page limit, parallel scan, and the validation errors."""

import random
from decimal import Decimal

import pytest

from dynamo_helpers import expect_error


def put_all(ddb, table, items):
    for i in range(0, len(items), 25):
        chunk = items[i:i + 25]
        resp = ddb.batch_write_item(RequestItems={
            table: [{"PutRequest": {"Item": it}} for it in chunk]})
        assert resp["UnprocessedItems"] == {}


def query_all(ddb, **kwargs):
    """Follows LastEvaluatedKey to the end; returns (items, pages)."""
    items, pages = [], 0
    while True:
        resp = ddb.query(**kwargs)
        pages += 1
        items.extend(resp["Items"])
        lek = resp.get("LastEvaluatedKey")
        if not lek:
            return items, pages
        kwargs["ExclusiveStartKey"] = lek
        assert pages < 10000


def scan_all(ddb, **kwargs):
    items, pages = [], 0
    while True:
        resp = ddb.scan(**kwargs)
        pages += 1
        items.extend(resp["Items"])
        lek = resp.get("LastEvaluatedKey")
        if not lek:
            return items, pages
        kwargs["ExclusiveStartKey"] = lek
        assert pages < 10000


def q(ddb, table, cond, values, **kw):
    return ddb.query(TableName=table, KeyConditionExpression=cond,
                     ExpressionAttributeValues=values, ConsistentRead=True, **kw)


# ---------------------------------------------------------------------------------------------
# Ordering


def test_number_sort_key_order(ddb, table_hn):
    nums = ["-1e125", "-1e10", "-100", "-10", "-1.5", "-1", "-0.001", "0", "1E-130", "0.5", "1",
            "1.05", "2", "10", "100", "1e10", "9.9999999999999999999999999999999999999e125"]
    shuffled = nums[:]
    random.Random(7).shuffle(shuffled)
    put_all(ddb, table_hn, [{"pk": {"S": "p"}, "sk": {"N": n}} for n in shuffled])
    put_all(ddb, table_hn, [{"pk": {"S": "other"}, "sk": {"N": "5"}}])
    items = q(ddb, table_hn, "pk = :p", {":p": {"S": "p"}})["Items"]
    assert [Decimal(i["sk"]["N"]) for i in items] == [Decimal(n) for n in nums]
    rev = q(ddb, table_hn, "pk = :p", {":p": {"S": "p"}}, ScanIndexForward=False)["Items"]
    assert [Decimal(i["sk"]["N"]) for i in rev] == [Decimal(n) for n in reversed(nums)]


def test_string_sort_key_order_is_utf8_bytes(ddb, table_hr):
    # DynamoDB orders strings by their UTF-8 bytes: "Z" < "a", and U+FFFD (EF BF BD) sorts
    # before U+1F600 (F0 9F 98 80) although UTF-16 would put the surrogate pair first.
    keys = ["a", "B", "Z", "aa", "ab", "é", "中", "\uFFFD", "\U0001F600", "0", " ", "a b", "~"]
    put_all(ddb, table_hr, [{"pk": {"S": "p"}, "sk": {"S": k}} for k in keys])
    items = q(ddb, table_hr, "pk = :p", {":p": {"S": "p"}})["Items"]
    assert [i["sk"]["S"] for i in items] == sorted(keys, key=lambda s: s.encode("utf-8"))


def test_binary_sort_key_order_is_unsigned_bytes(ddb, table_hb):
    keys = [b"\x00", b"\x00\x00", b"\x01", b"\x7f", b"\x80", b"\xff", b"\xff\x00", b"a", b"ab"]
    put_all(ddb, table_hb, [{"pk": {"S": "p"}, "sk": {"B": k}} for k in reversed(keys)])
    items = q(ddb, table_hb, "pk = :p", {":p": {"S": "p"}})["Items"]
    assert [i["sk"]["B"] for i in items] == sorted(keys)
    got = q(ddb, table_hb, "pk = :p AND begins_with(sk, :b)",
            {":p": {"S": "p"}, ":b": {"B": b"\xff"}})["Items"]
    assert [i["sk"]["B"] for i in got] == [b"\xff", b"\xff\x00"]
    got = q(ddb, table_hb, "pk = :p AND sk > :b", {":p": {"S": "p"}, ":b": {"B": b"\x7f"}})["Items"]
    assert [i["sk"]["B"] for i in got] == [b"\x80", b"\xff", b"\xff\x00"]


# ---------------------------------------------------------------------------------------------
# Key conditions


@pytest.fixture
def ten(ddb, table_hn):
    put_all(ddb, table_hn, [{"pk": {"S": "p"}, "sk": {"N": str(i)}, "even": {"BOOL": i % 2 == 0},
                             "v": {"S": f"v{i}"}} for i in range(10)])
    put_all(ddb, table_hn, [{"pk": {"S": "q"}, "sk": {"N": str(i)}} for i in range(3)])
    return table_hn


@pytest.mark.parametrize("cond, values, expected", [
    ("pk = :p", {}, list(range(10))),
    ("pk = :p AND sk = :a", {":a": "3"}, [3]),
    ("pk = :p AND sk < :a", {":a": "3"}, [0, 1, 2]),
    ("pk = :p AND sk <= :a", {":a": "3"}, [0, 1, 2, 3]),
    ("pk = :p AND sk > :a", {":a": "7"}, [8, 9]),
    ("pk = :p AND sk >= :a", {":a": "7"}, [7, 8, 9]),
    ("pk = :p AND sk BETWEEN :a AND :b", {":a": "2", ":b": "5"}, [2, 3, 4, 5]),
    ("pk = :p AND sk BETWEEN :a AND :b", {":a": "2.5", ":b": "2.9"}, []),
    ("pk = :p AND sk > :a", {":a": "-0.5"}, list(range(10))),
    ("pk = :p AND sk < :a", {":a": "0"}, []),
    (":p = pk AND :a < sk", {":a": "7"}, [8, 9]),
    ("(pk = :p) AND (sk = :a)", {":a": "4"}, [4]),
])
def test_key_conditions_number(ddb, ten, cond, values, expected):
    vals = {":p": {"S": "p"}, **{k: {"N": v} for k, v in values.items()}}
    items = q(ddb, ten, cond, vals)["Items"]
    assert [int(i["sk"]["N"]) for i in items] == expected


def test_key_conditions_string(ddb, table_hr):
    keys = ["a", "ab", "abc", "abd", "b", "ba", "A", "ab\u00e9"]
    put_all(ddb, table_hr, [{"pk": {"S": "p"}, "sk": {"S": k}} for k in keys])

    def run(cond, **vals):
        values = {":p": {"S": "p"}, **{":" + k: {"S": v} for k, v in vals.items()}}
        return [i["sk"]["S"] for i in q(ddb, table_hr, cond, values)["Items"]]

    assert run("pk = :p AND begins_with(sk, :x)", x="ab") == ["ab", "abc", "abd", "ab\u00e9"]
    assert run("pk = :p AND begins_with(sk, :x)", x="c") == []
    assert run("pk = :p AND sk BETWEEN :x AND :y", x="ab", y="b") == ["ab", "abc", "abd",
                                                                       "ab\u00e9", "b"]
    assert run("pk = :p AND sk < :x", x="a") == ["A"]
    assert run("pk = :p AND sk >= :x", x="b") == ["b", "ba"]


def test_query_descending_with_limit_and_paging(ddb, ten):
    resp = q(ddb, ten, "pk = :p", {":p": {"S": "p"}}, ScanIndexForward=False, Limit=3)
    assert [int(i["sk"]["N"]) for i in resp["Items"]] == [9, 8, 7]
    assert resp["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "7"}}
    resp = q(ddb, ten, "pk = :p", {":p": {"S": "p"}}, ScanIndexForward=False, Limit=3,
             ExclusiveStartKey=resp["LastEvaluatedKey"])
    assert [int(i["sk"]["N"]) for i in resp["Items"]] == [6, 5, 4]
    items, _ = query_all(ddb, TableName=ten, KeyConditionExpression="pk = :p AND sk < :x",
                         ExpressionAttributeValues={":p": {"S": "p"}, ":x": {"N": "6"}},
                         ScanIndexForward=False, Limit=4)
    assert [int(i["sk"]["N"]) for i in items] == [5, 4, 3, 2, 1, 0]


def test_query_missing_partition_is_empty(ddb, ten):
    resp = q(ddb, ten, "pk = :p", {":p": {"S": "nobody"}})
    assert resp["Items"] == []
    assert resp["Count"] == 0
    assert resp["ScannedCount"] == 0
    assert "LastEvaluatedKey" not in resp


# ---------------------------------------------------------------------------------------------
# Limit, filters, Select, projections


def test_limit_counts_items_before_the_filter(ddb, ten):
    resp = q(ddb, ten, "pk = :p", {":p": {"S": "p"}, ":t": {"BOOL": True}}, Limit=4,
             FilterExpression="even = :t")
    assert resp["ScannedCount"] == 4
    assert resp["Count"] == 2
    assert [int(i["sk"]["N"]) for i in resp["Items"]] == [0, 2]
    assert resp["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "3"}}
    # A page whose items are all filtered out is still a page with a LastEvaluatedKey.
    resp = q(ddb, ten, "pk = :p", {":p": {"S": "p"}, ":t": {"BOOL": True}}, Limit=1,
             FilterExpression="even = :t", ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"N": "0"}})
    assert resp["Items"] == []
    assert resp["Count"] == 0
    assert resp["ScannedCount"] == 1
    assert resp["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "1"}}


def test_filter_without_limit(ddb, ten):
    resp = q(ddb, ten, "pk = :p", {":p": {"S": "p"}, ":t": {"BOOL": False}, ":v": {"S": "v5"}},
             FilterExpression="even = :t AND v <> :v")
    assert [int(i["sk"]["N"]) for i in resp["Items"]] == [1, 3, 7, 9]
    assert resp["Count"] == 4
    assert resp["ScannedCount"] == 10


def test_select_count(ddb, ten):
    resp = q(ddb, ten, "pk = :p", {":p": {"S": "p"}}, Select="COUNT")
    assert "Items" not in resp
    assert resp["Count"] == 10
    assert resp["ScannedCount"] == 10
    resp = q(ddb, ten, "pk = :p", {":p": {"S": "p"}, ":t": {"BOOL": True}}, Select="COUNT",
             FilterExpression="even = :t")
    assert "Items" not in resp
    assert resp["Count"] == 5
    assert resp["ScannedCount"] == 10
    resp = ddb.scan(TableName=ten, Select="COUNT")
    assert "Items" not in resp
    assert resp["Count"] == 13


def test_query_projection(ddb, ten):
    resp = q(ddb, ten, "pk = :p AND sk < :x", {":p": {"S": "p"}, ":x": {"N": "2"}},
             ProjectionExpression="v, #e", ExpressionAttributeNames={"#e": "even"})
    assert resp["Items"] == [{"v": {"S": "v0"}, "even": {"BOOL": True}},
                             {"v": {"S": "v1"}, "even": {"BOOL": False}}]


def test_query_hash_only_table(ddb, table):
    put_all(ddb, table, [{"pk": {"S": f"k{i}"}, "n": {"N": str(i)}} for i in range(5)])
    resp = q(ddb, table, "pk = :p", {":p": {"S": "k3"}})
    assert resp["Items"] == [{"pk": {"S": "k3"}, "n": {"N": "3"}}]
    assert resp["Count"] == 1


# ---------------------------------------------------------------------------------------------
# Paging


def test_query_paging_collects_everything(ddb, table_hn):
    put_all(ddb, table_hn, [{"pk": {"S": "p"}, "sk": {"N": str(i)}} for i in range(37)])
    items, pages = query_all(ddb, TableName=table_hn, KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": {"S": "p"}}, Limit=5)
    assert [int(i["sk"]["N"]) for i in items] == list(range(37))
    assert pages in (8, 9)  # 7 full pages + 2 items, maybe one trailing empty page


def test_query_and_scan_paginators(ddb, table_hn):
    put_all(ddb, table_hn, [{"pk": {"S": "p"}, "sk": {"N": str(i)}} for i in range(23)])
    pages = list(ddb.get_paginator("query").paginate(
        TableName=table_hn, KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}}, PaginationConfig={"PageSize": 4}))
    items = [i for p in pages for i in p["Items"]]
    assert [int(i["sk"]["N"]) for i in items] == list(range(23))
    assert len(pages) >= 6
    assert all(len(p["Items"]) <= 4 for p in pages)
    pages = list(ddb.get_paginator("scan").paginate(TableName=table_hn,
                                                     PaginationConfig={"PageSize": 6}))
    assert sorted(int(i["sk"]["N"]) for p in pages for i in p["Items"]) == list(range(23))
    assert len(pages) >= 4
    # MaxItems stops early and hands back a resume token.
    result = ddb.get_paginator("scan").paginate(
        TableName=table_hn, PaginationConfig={"PageSize": 5, "MaxItems": 7}).build_full_result()
    assert len(result["Items"]) == 7
    assert "NextToken" in result


def test_scan_paging_collects_everything(ddb, table):
    put_all(ddb, table, [{"pk": {"S": f"k{i:03}"}, "v": {"N": str(i)}} for i in range(61)])
    items, pages = scan_all(ddb, TableName=table, Limit=7)
    assert sorted(i["pk"]["S"] for i in items) == [f"k{i:03}" for i in range(61)]
    assert pages >= 9


def test_scan_limit_and_filter(ddb, table):
    put_all(ddb, table, [{"pk": {"S": f"k{i}"}, "n": {"N": str(i)}} for i in range(20)])
    resp = ddb.scan(TableName=table, Limit=6, FilterExpression="n >= :x",
                    ExpressionAttributeValues={":x": {"N": "10"}})
    assert resp["ScannedCount"] == 6
    assert resp["Count"] == len(resp["Items"]) <= 6
    assert "LastEvaluatedKey" in resp
    items, _ = scan_all(ddb, TableName=table, FilterExpression="n >= :x",
                        ExpressionAttributeValues={":x": {"N": "10"}}, Limit=6)
    assert sorted(int(i["n"]["N"]) for i in items) == list(range(10, 20))
    resp = ddb.scan(TableName=table, ProjectionExpression="n", FilterExpression="n = :x",
                    ExpressionAttributeValues={":x": {"N": "4"}})
    assert resp["Items"] == [{"n": {"N": "4"}}]


def test_one_megabyte_page_limit(ddb, table_hn):
    # ~3 MB in one partition: 30 items of ~100 KB. A page stops at 1 MB of data read.
    blob = "x" * 100_000
    put_all(ddb, table_hn, [{"pk": {"S": "big"}, "sk": {"N": str(i)}, "d": {"S": blob}}
                            for i in range(30)])
    resp = q(ddb, table_hn, "pk = :p", {":p": {"S": "big"}})
    assert 9 <= resp["Count"] <= 11, resp["Count"]
    assert resp["ScannedCount"] == resp["Count"]
    assert resp["LastEvaluatedKey"] == {"pk": {"S": "big"},
                                        "sk": {"N": str(resp["Count"] - 1)}}
    items, pages = query_all(ddb, TableName=table_hn, KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": {"S": "big"}})
    assert [int(i["sk"]["N"]) for i in items] == list(range(30))
    assert 3 <= pages <= 4
    # Scan pages are bounded the same way; Select COUNT still reads (and counts) 1 MB pages.
    resp = ddb.scan(TableName=table_hn)
    assert 9 <= resp["Count"] <= 11
    assert "LastEvaluatedKey" in resp
    resp = q(ddb, table_hn, "pk = :p", {":p": {"S": "big"}}, Select="COUNT")
    assert 9 <= resp["Count"] <= 11
    assert "LastEvaluatedKey" in resp


# ---------------------------------------------------------------------------------------------
# Parallel scan


def test_parallel_scan_segments_partition_the_table(ddb, table):
    keys = [f"item-{i}" for i in range(200)]
    put_all(ddb, table, [{"pk": {"S": k}} for k in keys])
    total = 4
    segments = []
    for seg in range(total):
        items, _ = scan_all(ddb, TableName=table, Segment=seg, TotalSegments=total, Limit=13)
        segments.append({i["pk"]["S"] for i in items})
    union = set().union(*segments)
    assert union == set(keys)
    assert sum(len(s) for s in segments) == len(keys)  # pairwise disjoint
    one, _ = scan_all(ddb, TableName=table, Segment=0, TotalSegments=1)
    assert {i["pk"]["S"] for i in one} == set(keys)


def test_parallel_scan_bad_segment(raw_ddb, table):
    with expect_error("ValidationException",
                      contains="The Segment parameter is zero-based and must be less than "
                               "parameter TotalSegments"):  # wording: from dynalite
        raw_ddb.scan(TableName=table, Segment=4, TotalSegments=4)
    with expect_error("ValidationException",
                      contains="The TotalSegments parameter is required but was not present in "
                               "the request when Segment parameter is present"):  # from dynalite
        raw_ddb.scan(TableName=table, Segment=1)


# ---------------------------------------------------------------------------------------------
# Validation errors


def test_key_condition_missing_partition_key(ddb, table_hn):
    # "Query condition missed key schema element: <hash key>" is quoted from real DynamoDB
    # by several projects (e.g. CLI output in blog posts).
    with expect_error("ValidationException",
                      message="Query condition missed key schema element: pk"):
        q(ddb, table_hn, "sk = :v", {":v": {"N": "1"}})
    with expect_error("ValidationException",
                      message="Query condition missed key schema element: pk"):
        q(ddb, table_hn, "attr1 = :v", {":v": {"N": "1"}})


def test_key_condition_on_non_key_attribute(ddb, table_hn):
    # moto's suite pins this form ("...missed key schema element: <sort key>") for a condition
    # naming a non-key attribute in place of the sort key. wording: unverified
    with expect_error("ValidationException",
                      message="Query condition missed key schema element: sk"):
        q(ddb, table_hn, "pk = :p AND attr1 = :v", {":p": {"S": "p"}, ":v": {"N": "1"}})


def test_key_condition_too_many_conditions(ddb, table_hn):
    with expect_error("ValidationException",
                      message="The number of query conditions (3) exceeds the number of key "
                              "attributes defined in the schema (2)"):
        q(ddb, table_hn, "pk = :p AND sk > :a AND attr1 = :b",
          {":p": {"S": "q"}, ":a": {"N": "1"}, ":b": {"N": "5"}})


def test_key_condition_or(ddb, table_hn):
    with expect_error("ValidationException",
                      contains="Invalid operator used in KeyConditionExpression: OR"):
        q(ddb, table_hn, "pk = :p OR sk = :v", {":p": {"S": "p"}, ":v": {"N": "1"}})


def test_key_condition_partition_key_not_equality(ddb, table_hn):
    with expect_error("ValidationException",
                      message="Query key condition not supported"):  # from dynalite and moto
        q(ddb, table_hn, "pk > :p", {":p": {"S": "p"}})


def test_key_condition_two_conditions_on_sort_key(ddb, table_hn):
    with expect_error("ValidationException",
                      contains="KeyConditionExpressions must only contain one condition per key"):
        q(ddb, table_hn, "pk = :p AND sk > :a AND sk < :b",
          {":p": {"S": "q"}, ":a": {"N": "1"}, ":b": {"N": "5"}})


def test_key_condition_wrong_value_type(ddb, table_hn):
    with expect_error("ValidationException",
                      message="One or more parameter values were invalid: Condition parameter "
                              "type does not match schema type"):
        q(ddb, table_hn, "pk = :p AND sk = :v", {":p": {"S": "p"}, ":v": {"S": "x"}})
    with expect_error("ValidationException",
                      message="One or more parameter values were invalid: Condition parameter "
                              "type does not match schema type"):
        q(ddb, table_hn, "pk = :p", {":p": {"N": "1"}})


def test_key_condition_begins_with_on_number(ddb, table_hn):
    with expect_error("ValidationException",
                      message="Invalid KeyConditionExpression: Incorrect operand type for "
                              "operator or function; operator or function: begins_with, operand "
                              "type: N"):
        q(ddb, table_hn, "pk = :p AND begins_with(sk, :v)", {":p": {"S": "p"}, ":v": {"N": "1"}})


def test_key_condition_between_reversed_bounds(ddb, table_hn):
    with expect_error("ValidationException",
                      contains="Invalid KeyConditionExpression: The BETWEEN operator requires "
                               "upper bound to be greater than or equal to lower bound"):
        q(ddb, table_hn, "pk = :p AND sk BETWEEN :a AND :b",
          {":p": {"S": "p"}, ":a": {"N": "5"}, ":b": {"N": "1"}})


def test_query_without_key_condition(raw_ddb, table_hn):
    with expect_error("ValidationException",
                      message="Either the KeyConditions or KeyConditionExpression parameter must "
                              "be specified in the request."):  # wording: from dynalite
        raw_ddb.query(TableName=table_hn)


def test_filter_on_key_attribute(ddb, table_hn):
    # Quoted from DynamoDB in several production incident notes ("... Primary key attribute: SK").
    with expect_error("ValidationException",
                      contains="Filter Expression can only contain non-primary key attributes: "
                               "Primary key attribute: sk"):
        q(ddb, table_hn, "pk = :p", {":p": {"S": "p"}, ":v": {"N": "1"}},
          FilterExpression="sk = :v")


def test_query_limit_zero(raw_ddb, table_hn):
    # The conformance suite pins only "Limit" appearing; this is the standard constraint text.
    with expect_error("ValidationException",
                      contains="failed to satisfy constraint: Member must have value greater "
                               "than or equal to 1") as err:
        raw_ddb.query(TableName=table_hn, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "p"}}, Limit=0)
    assert "imit" in err.message
