use super::*;
use crate::dynamodb::expr::test_util::{item, n, s};
use serde_json::json;

fn ok(stmt: &str) -> Statement {
    parse(stmt, &[]).unwrap_or_else(|e| panic!("{stmt}: {e:?}"))
}

fn err(stmt: &str, params: &[AttrValue]) -> String {
    parse(stmt, params).unwrap_err().0
}

fn select(stmt: &str) -> Select {
    match ok(stmt) {
        Statement::Select(s) => s,
        other => panic!("{other:?}"),
    }
}

#[test]
fn select_with_index_projection_where_and_order() {
    let s = select(
        "select a, \"b\".c[2], m['k'] FROM \"Music\".\"ByYear\" WHERE pk = 'x' ORDER BY sk DESC",
    );
    assert_eq!(s.table, "Music");
    assert_eq!(s.index.as_deref(), Some("ByYear"));
    let p = s.projection.unwrap();
    assert_eq!(p.len(), 3);
    assert_eq!(p[1].0, vec![Step::Attr("b".into()), Step::Attr("c".into()), Step::Index(2)]);
    assert_eq!(p[2].0, vec![Step::Attr("m".into()), Step::Attr("k".into())]);
    assert_eq!(s.order_by, vec![(Path(vec![Step::Attr("sk".into())]), true)]);
    assert!(select("SELECT * FROM t").condition.is_none());
}

#[test]
fn conditions_evaluate_as_partiql_says() {
    let it = item(json!({"pk": {"S": "a"}, "n": {"N": "5"}, "l": {"L": [{"N": "1"}]},
        "z": {"NULL": true}, "ss": {"SS": ["x", "y"]}, "t": {"BOOL": true}}));
    let cases = [
        ("pk = 'a'", true),
        ("pk <> 'a'", false),
        ("pk != 'b'", true),
        ("n BETWEEN 1 AND 5", true),
        ("n NOT BETWEEN 1 AND 5", false),
        ("n IN [1, 5]", true),
        ("n IN (1, 2)", false),
        ("n NOT IN [1, 2]", true),
        ("missing_attr IS MISSING", true),
        ("n IS NOT MISSING", true),
        ("z IS NULL", true),
        ("nope IS NULL", true),
        ("n IS NULL", false),
        ("n IS NUMBER", true),
        ("pk IS STRING", true),
        ("l IS LIST", true),
        ("t IS BOOLEAN AND t = true", true),
        ("begins_with(pk, 'a')", true),
        ("contains(ss, 'y')", true),
        ("attribute_type(n, 'N')", true),
        ("size(l) = 1", true),
        ("l[0] = 1", true),
        ("NOT (pk = 'a' OR n > 10)", false),
        ("n > -1 AND n < 5.5e0", true),
    ];
    for (w, want) in cases {
        let c = select(&format!("SELECT * FROM t WHERE {w}")).condition.unwrap();
        assert_eq!(c.eval(&it), want, "{w}");
    }
}

#[test]
fn parameters_bind_in_order_and_must_all_be_used() {
    let st = parse("SELECT * FROM t WHERE pk = ? AND n > ?", &[s("a"), n("1")]).unwrap();
    let Statement::Select(sel) = st else { panic!() };
    let it = item(json!({"pk": {"S": "a"}, "n": {"N": "2"}}));
    assert!(sel.condition.unwrap().eval(&it));
    let m = "Number of parameters in request and statement don't match.";
    assert_eq!(err("SELECT * FROM t WHERE pk = ?", &[]), m);
    assert_eq!(err("SELECT * FROM t WHERE pk = ?", &[s("a"), s("b")]), m);
    // A '?' in quotes is a string, not a parameter.
    let Statement::Insert { item, .. } = ok("INSERT INTO t VALUE {'pk': '?'}") else { panic!() };
    assert_eq!(item.get("pk"), Some(&s("?")));
}

#[test]
fn insert_takes_a_tuple_of_every_type() {
    let st = ok("INSERT INTO \"T\" value {'pk':'1', 'n':1, 'm':{'a':'v','b':4}, 'l':[1,'s'], \
         'ns':<<1,34,4.5>>, 'ss':<<'a','b'>>, 'b': TRUE, 'z': null, 'neg': -2}");
    let Statement::Insert { table, item } = st else { panic!() };
    assert_eq!(table, "T");
    assert_eq!(item.len(), 9);
    assert!(matches!(item.get("ns"), Some(AttrValue::Ns(v)) if v.len() == 3));
    assert!(matches!(item.get("ss"), Some(AttrValue::Ss(v)) if v.len() == 2));
    assert_eq!(item.get("neg"), Some(&n("-2")));
    assert!(err("INSERT INTO t VALUE {'a': 1, 'a': 2}", &[]).contains("Duplicate"));
    assert!(err("INSERT INTO t VALUE {'s': <<1, 1>>}", &[]).contains("duplicates"));
    assert!(err("INSERT INTO t VALUE {'s': <<1, 'a'>>}", &[]).contains("set"));
    assert!(err("INSERT INTO t VALUE 5", &[]).starts_with("Statement wasn't well formed"));
}

#[test]
fn update_builds_the_expression_languages_update() {
    let st = ok("UPDATE t SET a = a + 1 SET m.k = [2020, 'x'], l = list_append(l, [4]) \
         SET ns = set_add(ns, <<3>>) SET ss = SET_DELETE(ss, <<'x'>>) REMOVE old, l2[1] \
         WHERE pk = 'k' RETURNING ALL NEW *");
    let Statement::Update { table, update, condition, returning } = st else { panic!() };
    assert_eq!(table, "t");
    assert_eq!(returning, Returning::AllNew);
    assert_eq!(update.actions().len(), 7);
    assert!(matches!(update.actions()[3], Action::Add(_, AttrValue::Ns(_))));
    assert!(matches!(update.actions()[4], Action::Delete(_, AttrValue::Ss(_))));
    let mut it = item(json!({"pk": {"S": "k"}, "a": {"N": "1"}, "m": {"M": {}},
        "l": {"L": []}, "ns": {"NS": ["1"]}, "ss": {"SS": ["x", "y"]}, "old": {"S": "o"},
        "l2": {"L": [{"N": "0"}, {"N": "1"}]}}));
    assert!(condition.eval(&it));
    update.apply(&mut it).unwrap();
    assert_eq!(it.get("a"), Some(&n("2")));
    assert!(!it.contains_key("old"));
    assert_eq!(it.get("ss"), Some(&AttrValue::Ss(vec!["y".into()])));
    // Overlapping paths, as in update expressions.
    assert!(err("UPDATE t SET a = 1 REMOVE a WHERE pk = 'k'", &[]).contains("overlap"));
    assert!(err("UPDATE t SET a = set_add(b, <<1>>) WHERE pk = 'k'", &[]).contains("SET_ADD"));
    assert!(err("UPDATE t WHERE pk = 'k'", &[]).contains("expected SET or REMOVE"));
    assert!(err("UPDATE t SET a = 1", &[]).contains("WHERE"));
}

#[test]
fn delete_and_exists() {
    let Statement::Delete { returning, .. } =
        ok("DELETE FROM t WHERE pk = 'a' RETURNING ALL OLD *")
    else {
        panic!()
    };
    assert_eq!(returning, Returning::AllOld);
    assert!(err("DELETE FROM t WHERE pk = 'a' RETURNING ALL NEW *", &[]).contains("ALL OLD"));
    assert!(matches!(
        ok("EXISTS(SELECT * FROM t WHERE pk = 'a' AND x IS MISSING)"),
        Statement::Exists(_)
    ));
    assert!(err("SELECT * FROM t WHERE EXISTS(SELECT * FROM t)", &[]).contains("EXISTS"));
}

#[test]
fn syntax_errors_say_what_was_found() {
    let cases = [
        ("", "but found end of statement"),
        ("SELEC * FROM t", "Unexpected term: SELEC"),
        ("SELECT * FROM", "Expected a name but found end of statement"),
        ("SELECT * FROM t WHERE", "found end of statement"),
        ("SELECT * FROM t WHERE a = ", "found end of statement"),
        ("SELECT * FROM t WHERE a", "Expected a comparison"),
        ("SELECT * FROM select", "Unexpected keyword: SELECT"),
        ("SELECT * FROM t t2", "Unexpected term: t2"),
        ("SELECT * FROM t WHERE a = 'x", "Unterminated string literal"),
        ("SELECT * FROM t WHERE lower(a) = 'x'", "Unsupported function: lower"),
    ];
    for (stmt, want) in cases {
        let e = err(stmt, &[]);
        assert!(e.contains(want), "{stmt}: {e}");
    }
    assert!(err("SELECT * FROM t WHERE a = 1e999999", &[]).contains("Number overflow"));
}

#[test]
fn nesting_and_length_are_bounded() {
    let deep = format!("SELECT * FROM t WHERE {}a = 1{}", "(".repeat(100), ")".repeat(100));
    assert!(err(&deep, &[]).contains("nesting"));
    let nots = format!("SELECT * FROM t WHERE {} a = 1", "NOT ".repeat(100));
    assert!(err(&nots, &[]).contains("nesting"));
    let lists = format!("INSERT INTO t VALUE {{'a': {}1{}}}", "[".repeat(40), "]".repeat(40));
    assert!(err(&lists, &[]).contains("Nesting Levels"));
    let long = format!("SELECT * FROM t WHERE a = '{}'", "x".repeat(9000));
    assert!(err(&long, &[]).contains("maximum"));
    let many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    let in_list = format!("SELECT * FROM t WHERE a IN [{}]", many.join(","));
    assert!(err(&in_list, &[]).contains("at most 100"));
}

/// Token soup: errors are fine, panics are not.
#[test]
fn random_statements_never_panic() {
    const TOKENS: &[&str] = &[
        "SELECT",
        "INSERT",
        "INTO",
        "VALUE",
        "UPDATE",
        "SET",
        "REMOVE",
        "DELETE",
        "FROM",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "IN",
        "IS",
        "MISSING",
        "NULL",
        "BETWEEN",
        "EXISTS",
        "RETURNING",
        "ALL",
        "OLD",
        "NEW",
        "ORDER",
        "BY",
        "DESC",
        "a",
        "\"t\"",
        "'s'",
        "1",
        "-",
        "+",
        "?",
        "*",
        ",",
        ".",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "<<",
        ">>",
        ":",
        "=",
        "<>",
        "<",
        "size",
        "begins_with",
        "list_append",
        "set_add",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut parsed = 0;
    for _ in 0..20_000 {
        let len = (next() % 16) as usize;
        let text: Vec<&str> =
            (0..len).map(|_| TOKENS[(next() % TOKENS.len() as u64) as usize]).collect();
        if parse(&text.join(" "), &[s("p")]).is_ok() {
            parsed += 1;
        }
    }
    let _ = parsed;
}
