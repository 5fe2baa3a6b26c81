use super::*;
use crate::dynamodb::expr::test_util::*;
use serde_json::json;
use std::collections::HashMap;

fn std_values() -> HashMap<String, AttrValue> {
    values(&[
        (":s", json!({"S": "a"})),
        (":n", json!({"N": "1"})),
        (":two", json!({"N": "2"})),
        (":p1", json!({"N": "0.1"})),
        (":p2", json!({"N": "0.2"})),
        (":big", json!({"N": "9.9999999999999999999999999999999999999E+125"})),
        (":b", json!({"B": "YQ=="})),
        (":bool", json!({"BOOL": true})),
        (":null", json!({"NULL": true})),
        (":ss", json!({"SS": ["a"]})),
        (":ss2", json!({"SS": ["c", "b"]})),
        (":ns", json!({"NS": ["1", "3"]})),
        (":bs", json!({"BS": ["YQ=="]})),
        (":l", json!({"L": [{"N": "1"}]})),
        (":l2", json!({"L": [{"S": "x"}, {"S": "y"}]})),
        (":empty", json!({"L": []})),
        (":m", json!({"M": {"a": {"L": [{"N": "1"}]}}})),
    ])
}

fn parse_with(s: &str, nm: &HashMap<String, String>) -> Result<Update, String> {
    let vals = std_values();
    let mut n = Names::new(Some(nm));
    let mut v = Values::new(Some(&vals));
    parse_update(s, &mut n, &mut v).map_err(|e| e.0)
}

fn parse(s: &str) -> Result<Update, String> {
    parse_with(s, &names(&[("#c", "c"), ("#d", "[3]"), ("#b", "b"), ("#1", "1")]))
}

fn err(s: &str) -> String {
    match parse(s) {
        Ok(u) => panic!("{s:?} parsed: {u:?}"),
        Err(e) => e.strip_prefix("Invalid UpdateExpression: ").unwrap_or(&e).to_string(),
    }
}

/// Applies `expr` to `before` and returns the result (or the error).
fn run(expr: &str, before: serde_json::Value) -> Result<Item, String> {
    let u = parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let mut it = item(before);
    let snapshot = it.clone();
    match u.apply(&mut it) {
        Ok(()) => Ok(it),
        Err(e) => {
            assert_eq!(it, snapshot, "an error leaves the item as it was");
            Err(e.0)
        }
    }
}

fn ok(expr: &str, before: serde_json::Value, after: serde_json::Value) {
    assert_eq!(run(expr, before).unwrap_or_else(|e| panic!("{expr}: {e}")), item(after), "{expr}");
}

fn fails(expr: &str, before: serde_json::Value, msg: &str) {
    assert_eq!(run(expr, before).unwrap_err(), msg, "{expr}");
}

#[test]
fn parses_sections_in_any_order() {
    let u = parse("REMOVE b DELETE c :ss ADD d :n, e :ss SET f = :l, g = h + :n").unwrap();
    let kinds: Vec<&str> = u
        .actions()
        .iter()
        .map(|a| match a {
            Action::Set(..) => "set",
            Action::Remove(_) => "remove",
            Action::Add(..) => "add",
            Action::Delete(..) => "delete",
        })
        .collect();
    assert_eq!(kinds, ["remove", "delete", "add", "add", "set", "set"]);
    let paths: Vec<String> =
        u.paths().iter().map(|p| crate::dynamodb::expr::path::show(p)).collect();
    assert_eq!(paths, ["[b]", "[c]", "[d]", "[e]", "[f]", "[g]"]);
    for s in [
        "set a = :n",
        "SET a=:n,b=:s",
        "set a = b, c = if_not_exists(c, :n) + :n",
        "set a = list_append(if_not_exists(a, :empty), :l)",
        "set a = (b + c)",
        "set a = ((b))",
        "set a = (b) - (c)",
        "set b.c=((c[1])+(b.a)),b.a = a",
        "set a = if_not_exists(a, if_not_exists(b, :n))",
        "remove a, b[1].c, #c",
        "add a :n",
        "delete a :ss, b :ns",
        "set a.b [1] . c = :n",
    ] {
        if let Err(e) = parse(s) {
            panic!("{s}: {e}");
        }
    }
}

#[test]
fn syntax_errors() {
    for s in [
        "whatever",
        "set a",
        "add a",
        "delete a",
        "set a=set",
        "remove a = b",
        "add a = b",
        "delete a = b",
        "delete a b",
        "delete a if_not_exist(b)",
        "add abort b",
        "add a if_not_exist(b)",
        "remove a b",
        "set a b",
        "set :a = b",
        "add :a b",
        "delete :a b",
        "remove :a",
        "set a = b / c",
        "set a = b * c",
        "set a[1] = \"eight\"",
        "set a[1] = 1",
        "SET if_not_exist(a, b) = a",
        "set (a = (b + c))",
        "set a = (b.c).d + e",
        "set a = (b.c)[0] + e",
        "set a = b + c + d",
        "set a = (b + c) + d",
        "set a = :n,",
        "set a = :n remove",
        "SET a = :n AND b = :n",
        "set and = :n",
    ] {
        let e = err(s);
        assert!(e.starts_with("Syntax error; token: "), "{s:?}: {e}");
    }
    assert_eq!(err(""), "The expression can not be empty;");
    assert_eq!(err("add hits : incr"), "Syntax error; token: \":\", near: \"hits : incr\"");
}

#[test]
fn parse_time_errors() {
    assert_eq!(
        err(" set #c = :s set abOrt = :s "),
        "Attribute name is a reserved keyword; reserved keyword: abOrt"
    );
    assert_eq!(
        err(" remove Absolute "),
        "Attribute name is a reserved keyword; reserved keyword: Absolute"
    );
    assert_eq!(
        err("set a = size(b)"),
        "The function is not allowed in an update expression; function: size"
    );
    assert_eq!(
        err("set a = list_append(list_append(a, :l), :l)"),
        "The function is not allowed to be used this way in an expression; function: list_append"
    );
    assert_eq!(
        err("set #c = if_not_exist(:s) set c = d"),
        "Invalid function name; function: if_not_exist"
    );
    for (s, sec) in [
        ("set a = #c set c = :s", "SET"),
        ("remove #c set a = b remove e", "REMOVE"),
        ("add #c :n set a = b add e :n", "ADD"),
        ("delete #c :ss set a = b delete e :ss", "DELETE"),
    ] {
        assert_eq!(
            err(s),
            format!("The \"{sec}\" section can only be used once in an update expression;")
        );
    }
    assert_eq!(
        err("SET #zz = if_not_exists(:s)"),
        "An expression attribute name used in the document path is not defined; attribute name: #zz"
    );
    assert_eq!(
        err("SET a = if_not_exists(:zz)"),
        "An expression attribute value used in expression is not defined; attribute value: :zz"
    );
    let overlap = |a: &str, b: &str| {
        format!("Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}")
    };
    for (s, one, two) in [
        ("set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)", "[c, [1], a]", "[c]"),
        ("set c.b.#c = a, c = a, #d = a", "[c, b, c]", "[c]"),
        ("set a = b remove a, #c, #d", "[a]", "[a]"),
        ("set #c[3].#d = a, #c[3] = a", "[c, [3], [3]]", "[c, [3]]"),
        ("remove c, #c.a, #d", "[c]", "[c, a]"),
        ("remove a, #c, a, #d", "[a]", "[a]"),
    ] {
        assert_eq!(err(s), overlap(one, two), "{s}");
    }
    let conflict = |a: &str, b: &str| {
        format!("Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}")
    };
    assert_eq!(
        err("set #c[3].#d = a, #c.#d[3] = if_not_exists(a)"),
        conflict("[c, [3], [3]]", "[c, [3], [3]]")
    );
    assert_eq!(err("remove a.#c set a[1] = #d"), conflict("[a, c]", "[a, [1]]"));
    let operand = |op: &str, ty: &str| {
        format!(
            "Incorrect operand type for operator or function; operator: {op}, operand type: {ty}"
        )
    };
    assert_eq!(
        err("set b = list_append(:s, a), c = if_not_exists(a) add a.b :s"),
        operand("ADD", "STRING")
    );
    for (v, ty) in [
        (":s", "STRING"),
        (":null", "NULL"),
        (":bool", "BOOLEAN"),
        (":b", "BINARY"),
        (":m", "MAP"),
        (":l", "LIST"),
    ] {
        assert_eq!(err(&format!("add a.b {v}")), operand("ADD", ty));
        assert_eq!(err(&format!("delete a.b {v}")), operand("DELETE", ty));
    }
    assert_eq!(err("delete a.b :n"), operand("DELETE", "NUMBER"));
    for s in ["set a = if_not_exists(c)", "set a = list_append(c)"] {
        assert!(
            err(s).starts_with(
                "Incorrect number of operands for operator or function; operator or function: "
            ),
            "{s}"
        );
    }
    assert_eq!(
        err("set a = if_not_exists(:s, c)"),
        "Operator or function requires a document path; operator or function: if_not_exists"
    );
    assert_eq!(
        err("set a = if_not_exists(if_not_exists(a, b), c)"),
        "Operator or function requires a document path; operator or function: if_not_exists"
    );
    let ftype = |f: &str, ty: &str| {
        format!("Incorrect operand type for operator or function; operator or function: {f}, operand type: {ty}")
    };
    assert_eq!(err("set a = list_append(:s, a)"), ftype("list_append", "S"));
    assert_eq!(err("set a = list_append(a, :n)"), ftype("list_append", "N"));
    assert_eq!(err("set a = list_append(:m, a)"), ftype("list_append", "M"));
    assert_eq!(err("set a = a + :s"), ftype("+", "S"));
    assert_eq!(err("set a = :s + :b"), ftype("+", "S"));
    assert_eq!(err("set a = :b - a"), ftype("-", "B"));
    assert_eq!(err("set a = a - :l"), ftype("-", "L"));
    assert_eq!(err("set a = a - :ns"), ftype("-", "NS"));
}

#[test]
fn set_values() {
    ok(
        "set a = :s, b = c, d = if_not_exists(d, :n), e = if_not_exists(c, :n), f = list_append(l, :l2)",
        json!({"c": {"N": "5"}, "l": {"L": [{"S": "w"}]}}),
        json!({"a": {"S": "a"}, "b": {"N": "5"}, "c": {"N": "5"}, "d": {"N": "1"}, "e": {"N": "5"},
               "f": {"L": [{"S": "w"}, {"S": "x"}, {"S": "y"}]}, "l": {"L": [{"S": "w"}]}}),
    );
    ok("set a = :p1 + :p2", json!({}), json!({"a": {"N": "0.3"}}));
    ok("set a = a - :two", json!({"a": {"N": "0.3"}}), json!({"a": {"N": "-1.7"}}));
    ok("set a = if_not_exists(a, :two) + :n", json!({}), json!({"a": {"N": "3"}}));
    ok(
        "set l = list_append(:l, if_not_exists(l, :empty))",
        json!({"l": {"L": [{"S": "z"}]}}),
        json!({"l": {"L": [{"N": "1"}, {"S": "z"}]}}),
    );
    fails(
        "set a = a + :big",
        json!({"a": {"N": "1E125"}}),
        "Number overflow. Attempting to store a number with magnitude larger than supported range",
    );
    fails(
        "set c = b",
        json!({}),
        "The provided expression refers to an attribute that does not exist in the item",
    );
    fails(
        "set e = list_append(b, c)",
        json!({"b": {"L": []}}),
        "The provided expression refers to an attribute that does not exist in the item",
    );
    for (expr, before) in [
        ("set e = a + :n", json!({"a": {"S": "x"}})),
        ("set e = b - :n", json!({"b": {"M": {}}})),
        ("set e = :n - b", json!({"b": {"NS": ["1"]}})),
        ("set e = list_append(d, if_not_exists(f, :empty))", json!({"d": {"NS": ["1"]}})),
        ("set e = list_append(:l, d)", json!({"d": {"S": "x"}})),
    ] {
        fails(expr, before, "An operand in the update expression has an incorrect data type");
    }
    // Values come from the item before the update: a swap works.
    ok(
        "set a = b, b = a",
        json!({"a": {"S": "1"}, "b": {"S": "2"}}),
        json!({"a": {"S": "2"}, "b": {"S": "1"}}),
    );
}

#[test]
fn nested_paths_and_list_appends() {
    // DynamoDB's own example: values from the old item, appends in index order.
    ok(
        "set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c add c[8] :ss, c[6] :two",
        json!({"a": {"S": "k"}, "b": {"M": {"a": {"N": "1"}, "b": {"N": "2"}, "c": {"N": "3"}}},
               "c": {"L": [{"N": "1"}, {"N": "3"}]}}),
        json!({"a": {"S": "k"}, "b": {"M": {"a": {"S": "k"}, "b": {"N": "2"}, "c": {"N": "4"}}},
               "c": {"L": [{"N": "1"}, {"S": "k"}, {"N": "3"}, {"N": "-1"}, {"N": "2"}, {"SS": ["a"]}]}}),
    );
    ok("set l[0] = :s", json!({"l": {"L": []}}), json!({"l": {"L": [{"S": "a"}]}}));
    ok(
        "set l[5] = :s",
        json!({"l": {"L": [{"N": "0"}, {"N": "1"}]}}),
        json!({"l": {"L": [{"N": "0"}, {"N": "1"}, {"S": "a"}]}}),
    );
    ok(
        "set m.x.y = :n, m.l[1].z = :s",
        json!({"m": {"M": {"x": {"M": {}}, "l": {"L": [{"N": "0"}, {"M": {}}]}}}}),
        json!({"m": {"M": {"x": {"M": {"y": {"N": "1"}}}, "l": {"L": [{"N": "0"}, {"M": {"z": {"S": "a"}}}]}}}}),
    );
    let bad = "The document path provided in the update expression is invalid for update";
    let before = json!({"b": {"S": "x"}, "c": {"M": {"1": {"S": "a"}}}, "d": {"L": [{"S": "a"}, {"S": "b"}]}});
    for verb in ["set", "remove", "delete", "add"] {
        for target in ["b.a", "b[1]", "y.a", "y[1]", "c[1]", "d.#1", "y.a.b"] {
            let expr = match verb {
                "set" => format!("set {target} = :ss"),
                "remove" => format!("remove {target}"),
                _ => format!("{verb} {target} :ss"),
            };
            fails(&expr, before.clone(), bad);
        }
    }
    fails("set b.a = a", json!({"a": {"S": "k"}}), bad);
    fails("set b[1] = a", json!({"a": {"S": "k"}}), bad);
}

#[test]
fn remove_shifts_lists_by_original_indexes() {
    let l = || json!({"l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}]}});
    ok("remove l[1]", l(), json!({"l": {"L": [{"S": "a"}, {"S": "c"}, {"S": "d"}]}}));
    ok("remove l[0], l[2]", l(), json!({"l": {"L": [{"S": "b"}, {"S": "d"}]}}));
    ok("remove l[2], l[0]", l(), json!({"l": {"L": [{"S": "b"}, {"S": "d"}]}}));
    ok("remove l[3], l[9]", l(), json!({"l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}}));
    ok("remove l[1] set l[0] = :n", l(), json!({"l": {"L": [{"N": "1"}, {"S": "c"}, {"S": "d"}]}}));
    ok(
        "remove l[0] set l[9] = :n",
        l(),
        json!({"l": {"L": [{"S": "b"}, {"S": "c"}, {"S": "d"}, {"N": "1"}]}}),
    );
    // An index past the original end removes nothing, even after appends.
    ok(
        "remove l[4] set l[7] = :n",
        l(),
        json!({"l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}, {"N": "1"}]}}),
    );
    ok(
        "remove n[0], n[1].x",
        json!({"n": {"L": [{"S": "a"}, {"M": {"x": {"S": "1"}, "y": {"S": "2"}}}]}}),
        json!({"n": {"L": [{"M": {"y": {"S": "2"}}}]}}),
    );
    ok("remove l[0] set l[1] = :n", l(), json!({"l": {"L": [{"N": "1"}, {"S": "c"}, {"S": "d"}]}}));
    ok(
        "remove a, b.c, gone",
        json!({"a": {"S": "x"}, "b": {"M": {"c": {"N": "1"}, "d": {"N": "2"}}}}),
        json!({"b": {"M": {"d": {"N": "2"}}}}),
    );
    ok("remove m.gone", json!({"m": {"M": {}}}), json!({"m": {"M": {}}}));
}

#[test]
fn add_and_delete() {
    ok("add a :n", json!({}), json!({"a": {"N": "1"}}));
    ok("add a :p2", json!({"a": {"N": "0.1"}}), json!({"a": {"N": "0.3"}}));
    ok("add a :ss2", json!({}), json!({"a": {"SS": ["c", "b"]}}));
    ok("add a :ss2", json!({"a": {"SS": ["z", "b"]}}), json!({"a": {"SS": ["b", "c", "z"]}}));
    ok(
        "add a :ns",
        json!({"a": {"NS": ["3", "2", "10"]}}),
        json!({"a": {"NS": ["1", "2", "3", "10"]}}),
    );
    ok("add a :bs", json!({"a": {"BS": ["Yg=="]}}), json!({"a": {"BS": ["YQ==", "Yg=="]}}));
    ok(
        "add m.x :n, l[0] :n, l[3] :two",
        json!({"m": {"M": {}}, "l": {"L": [{"N": "5"}]}}),
        json!({"m": {"M": {"x": {"N": "1"}}}, "l": {"L": [{"N": "6"}, {"N": "2"}]}}),
    );
    fails(
        "add a :big",
        json!({"a": {"N": "1E125"}}),
        "Number overflow. Attempting to store a number with magnitude larger than supported range",
    );
    let bad = "An operand in the update expression has an incorrect data type";
    for (expr, before) in [
        ("add a :n", json!({"a": {"NS": ["1"]}})),
        ("add a :ns", json!({"a": {"SS": ["1"]}})),
        ("add a :ss", json!({"a": {"N": "1"}})),
        ("add a :ss", json!({"a": {"L": []}})),
        ("delete a :ss", json!({"a": {"NS": ["1"]}})),
        ("delete a :ns", json!({"a": {"N": "1"}})),
        ("delete a :bs", json!({"a": {"S": "YQ=="}})),
    ] {
        fails(expr, before, bad);
    }
    ok("delete a :ss", json!({"a": {"SS": ["a", "b"]}}), json!({"a": {"SS": ["b"]}}));
    ok("delete a :ns", json!({"a": {"NS": ["1", "2", "3"]}}), json!({"a": {"NS": ["2"]}}));
    ok("delete a :ss", json!({"a": {"SS": ["a"]}}), json!({}));
    ok("delete a :ss", json!({}), json!({}));
    ok("delete a :ss2", json!({"a": {"SS": ["a"]}}), json!({"a": {"SS": ["a"]}}));
    ok(
        "delete l[0] :ss",
        json!({"l": {"L": [{"SS": ["a"]}, {"S": "x"}]}}),
        json!({"l": {"L": [{"S": "x"}]}}),
    );
    ok(
        "delete m.s :bs",
        json!({"m": {"M": {"s": {"BS": ["YQ=="]}, "t": {"N": "1"}}}}),
        json!({"m": {"M": {"t": {"N": "1"}}}}),
    );
}

#[test]
fn everything_at_once_on_an_empty_item() {
    ok(
        "REMOVE b DELETE c :ss ADD d :n, e :ss SET f = :l",
        json!({}),
        json!({"d": {"N": "1"}, "e": {"SS": ["a"]}, "f": {"L": [{"N": "1"}]}}),
    );
}

#[test]
fn results_nested_too_deeply_are_refused() {
    let mut v = json!({"S": "x"});
    for _ in 0..31 {
        v = json!({"L": [v]});
    }
    let vals: HashMap<String, AttrValue> = values(&[(":deep", v)]);
    let mut names = Names::new(None);
    let mut values_ = Values::new(Some(&vals));
    let u = parse_update("set a.b.c = :deep", &mut names, &mut values_).unwrap();
    let mut it = item(json!({"a": {"M": {"b": {"M": {}}}}}));
    assert_eq!(u.apply(&mut it).unwrap_err().0, "Nesting Levels have exceeded supported limits");
    let u = parse_update("set a.b = :deep", &mut names, &mut values_).unwrap();
    u.apply(&mut it).unwrap();
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("set a = {}b{}", "if_not_exists(a, ".repeat(200), ")".repeat(200));
    assert!(err(&deep).contains("nested too deeply"));
    let parens = format!("set a = {}b{}", "(".repeat(300), ")".repeat(300));
    assert!(err(&parens).contains("nested too deeply"));
}
