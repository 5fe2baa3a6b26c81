use super::*;
use crate::dynamodb::expr::path::Step;
use crate::dynamodb::expr::test_util::*;
use serde_json::json;
use std::collections::HashMap;

const KIND: &str = "ConditionExpression";

fn std_values() -> HashMap<String, AttrValue> {
    values(&[
        (":x", json!({"S": "x"})),
        (":y", json!({"S": "y"})),
        (":z", json!({"S": "z"})),
        (":n", json!({"N": "1"})),
        (":m", json!({"N": "2"})),
        (":t", json!({"S": "S"})),
        (":bad", json!({"S": "STRING"})),
        (":b", json!({"B": "AQ=="})),
        (":ss", json!({"SS": ["a"]})),
        (":bool", json!({"BOOL": true})),
        (":null", json!({"NULL": true})),
    ])
}

fn parse_with(s: &str, nm: &HashMap<String, String>) -> Result<Condition, String> {
    let vals = std_values();
    let mut n = Names::new(Some(nm));
    let mut v = Values::new(Some(&vals));
    parse_condition(s, KIND, &mut n, &mut v).map_err(|e| e.0)
}

fn parse(s: &str) -> Result<Condition, String> {
    parse_with(s, &names(&[("#s", "status"), ("#a", "a")]))
}

fn err(s: &str) -> String {
    match parse(s) {
        Ok(c) => panic!("{s:?} parsed: {c:?}"),
        Err(e) => e.strip_prefix("Invalid ConditionExpression: ").unwrap_or(&e).to_string(),
    }
}

fn path(names: &[&str]) -> Path {
    Path(names.iter().map(|n| Step::Attr(n.to_string())).collect())
}

fn cmp(a: &str, v: &str) -> Condition {
    Condition::Compare(Operand::Path(path(&[a])), CmpOp::Eq, Operand::Value(s(v)))
}

#[test]
fn precedence_is_comparison_not_and_or() {
    let c = parse("a = :x OR b = :y AND NOT c = :z").unwrap();
    let want = Condition::Or(
        Box::new(cmp("a", "x")),
        Box::new(Condition::And(
            Box::new(cmp("b", "y")),
            Box::new(Condition::Not(Box::new(cmp("c", "z")))),
        )),
    );
    assert_eq!(c, want);
    // Keywords are case-insensitive; AND and OR associate to the left.
    let c = parse("a = :x and b = :y or c = :z or NOT not a = :x").unwrap();
    let Condition::Or(left, right) = c else { panic!() };
    assert!(matches!(*left, Condition::Or(..)));
    assert!(matches!(*right, Condition::Not(ref inner) if matches!(**inner, Condition::Not(_))));
    // Parentheses regroup.
    let c = parse("(a = :x OR b = :y) AND c = :z").unwrap();
    assert!(matches!(c, Condition::And(ref l, _) if matches!(**l, Condition::Or(..))));
}

#[test]
fn parses_every_form() {
    let ok = [
        "a <> :x",
        "a < :n",
        "a <= :n",
        "a > :n",
        "a >= :n",
        ":n = a",
        "a = b",
        "a.b[1].#s = :x",
        "a BETWEEN :n AND :m",
        "a between :n and :m",
        "a IN (:x, :y, b)",
        "a in (:x)",
        "attribute_exists(a)",
        "attribute_not_exists(#s.x)",
        "attribute_type(a, :t)",
        "begins_with(a, :x)",
        "begins_with(a, :b)",
        "contains(a, :x)",
        "contains(a, b)",
        "size(a) > :n",
        "size (a.b) BETWEEN :n AND size(c)",
        ":n < size(a)",
        "(a) = :x",
        "(size(a)) = :n",
        "((a = :x) AND (b = :y))",
        "(a = :x AND (b = :y))",
        "((a = :x)) AND ((b = :y))",
        "NOT (a = :x)",
        "(NOT (a = :x))",
        "a=:x AND(b=:y)OR(c=:z)",
        "contains(size(a), :n)",
        "\ta\n=\r:x ",
        "a . b [ 2 ] = :x",
    ];
    for s in ok {
        if let Err(e) = parse(s) {
            panic!("{s:?}: {e}");
        }
    }
    assert_eq!(
        parse("size(a) > :n").unwrap(),
        Condition::Compare(Operand::Size(path(&["a"])), CmpOp::Gt, Operand::Value(n("1")))
    );
    // size of a value is computed at parse time.
    assert_eq!(
        parse("size(:x) = :n").unwrap(),
        Condition::Compare(Operand::Value(n("1")), CmpOp::Eq, Operand::Value(n("1")))
    );
    assert_eq!(
        parse("#s.x = :x").unwrap(),
        Condition::Compare(
            Operand::Path(path(&["status", "x"])),
            CmpOp::Eq,
            Operand::Value(s("x"))
        )
    );
}

#[test]
fn syntax_errors_name_the_token() {
    assert_eq!(err("a = :x AND"), "Syntax error; token: \"<EOF>\", near: \"AND\"");
    assert_eq!(err("a > 4"), "Syntax error; token: \"4\", near: \"> 4\"");
    assert_eq!(err("a = :x b = :y"), "Syntax error; token: \"b\", near: \":x b =\"");
    assert_eq!(err("ADD #a :x"), "Syntax error; token: \"ADD\", near: \"ADD #a\"");
    for bad in [
        "a",
        "a =",
        "= :x",
        "a = :x)",
        "(a = :x",
        "a BETWEEN :n",
        "a BETWEEN :n OR :m",
        "a IN ()",
        "a IN :x",
        "a IN (:x,)",
        "NOT",
        "a == :x",
        "a != :x",
        "a = AND",
        "attribute_exists()",
        "attribute_exists(a",
        "things are not gonna be ok",
        "(size(a))[0] > a",
        "a = \"x\"",
        "a[-1] = :x",
        "a.1 = :x",
        "#",
        ":",
        "a = :x AND OR b = :y",
        "é = :x",
    ] {
        let e = err(bad);
        assert!(e.starts_with("Syntax error; token: "), "{bad:?}: {e}");
    }
}

#[test]
fn empty_and_too_long() {
    assert_eq!(err(""), "The expression can not be empty;");
    assert_eq!(err("  "), "The expression can not be empty;");
    let long = format!("a = :x{}", " ".repeat(4096));
    assert_eq!(
        err(&long),
        "Expression size has exceeded the maximum allowed size; expression size: 4102"
    );
}

#[test]
fn reserved_words_and_placeholders() {
    assert_eq!(
        err("status = :x"),
        "Attribute name is a reserved keyword; reserved keyword: status"
    );
    assert_eq!(err("a.Size = :x"), "Attribute name is a reserved keyword; reserved keyword: Size");
    assert_eq!(
        err("contains(a, comment)"),
        "Attribute name is a reserved keyword; reserved keyword: comment"
    );
    parse("#s = :x").unwrap();
    assert_eq!(
        err("#nope = :x"),
        "An expression attribute name used in the document path is not defined; attribute name: #nope"
    );
    assert_eq!(
        err("a = :nope"),
        "An expression attribute value used in expression is not defined; attribute value: :nope"
    );
    // A syntax error anywhere wins over held errors.
    assert!(err("status = :nope AND").starts_with("Syntax error"));
    // A reserved word is reported before an undefined placeholder.
    assert!(err("a = :nope AND status = :x").contains("reserved keyword"));
    // The first undefined placeholder is reported.
    assert!(err("#q = :nope").ends_with("attribute name: #q"));
    assert!(err("a = :nope AND #q = :x").ends_with("attribute value: :nope"));
}

#[test]
fn function_checks() {
    assert_eq!(err("foo(a)"), "Invalid function name; function: foo");
    assert_eq!(err("ATTRIBUTE_EXISTS(a)"), "Invalid function name; function: ATTRIBUTE_EXISTS");
    assert_eq!(err("if_not_exists(a, :x)"), "Invalid function name; function: if_not_exists");
    assert_eq!(err("a = foo(b)"), "Invalid function name; function: foo");
    assert_eq!(
        err("size(a)"),
        "The function is not allowed to be used this way in an expression; function: size"
    );
    assert_eq!(
        err("attribute_exists(a) = :x"),
        "The function is not allowed to be used this way in an expression; function: attribute_exists"
    );
    assert_eq!(
        err("contains(begins_with(a, :x), :x)"),
        "The function is not allowed to be used this way in an expression; function: begins_with"
    );
    assert_eq!(
        err("begins_with(a)"),
        "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"
    );
    assert_eq!(
        err("attribute_exists(a, b)"),
        "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"
    );
    assert_eq!(
        err("size(a, b) = :n"),
        "Incorrect number of operands for operator or function; operator or function: size, number of operands: 2"
    );
    assert_eq!(
        err("attribute_exists(:x)"),
        "Operator or function requires a document path; operator or function: attribute_exists"
    );
    assert_eq!(
        err("attribute_not_exists(size(a))"),
        "Operator or function requires a document path; operator or function: attribute_not_exists"
    );
    assert_eq!(
        err("attribute_type(size(a), :t)"),
        "Operator or function requires a document path; operator or function: attribute_type"
    );
    // attribute_type of a value is decided at parse time.
    assert_eq!(parse("attribute_type(:x, :t)").unwrap(), Condition::True);
    assert!(!parse("attribute_type(:n, :t)").unwrap().eval(&Default::default()));
    assert_eq!(
        err("begins_with(a, :n)"),
        "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    );
    assert_eq!(
        err("begins_with(:ss, a)"),
        "Incorrect operand type for operator or function; operator or function: begins_with, operand type: SS"
    );
    assert_eq!(
        err("begins_with(a, size(b))"),
        "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    );
    assert_eq!(
        err("attribute_type(a, :n)"),
        "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"
    );
    assert_eq!(
        err("attribute_type(a, b)"),
        "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}"
    );
    assert_eq!(
        err("attribute_type(a, :bad)"),
        "Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
    );
    for (v, ty) in [(":n", "N"), (":bool", "BOOL"), (":null", "NULL")] {
        assert_eq!(
            err(&format!("size({v}) = :n")),
            format!("Incorrect operand type for operator or function; operator or function: size, operand type: {ty}")
        );
    }
    assert_eq!(
        err("size(size(a)) = :n"),
        "Incorrect operand type for operator or function; operator or function: size, operand type: N"
    );
    // Unknown beats misused beats counts.
    assert_eq!(err("size(a) AND foo(b)"), "Invalid function name; function: foo");
}

#[test]
fn distinct_operands_and_between_bounds() {
    let msg = |op: &str, p: &str| {
        format!("The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {p}")
    };
    assert_eq!(err("a = a"), msg("=", "[a]"));
    assert_eq!(err("a.b[1] <> a.b[1]"), msg("<>", "[a, b, [1]]"));
    assert_eq!(err("#a >= a"), msg(">=", "[a]"));
    assert_eq!(err("contains(a, a)"), msg("contains", "[a]"));
    assert_eq!(err("begins_with(a, a)"), msg("begins_with", "[a]"));
    assert_eq!(err("a BETWEEN b AND a"), msg("BETWEEN", "[a]"));
    assert_eq!(err("a IN (:x, a)"), msg("IN", "[a]"));
    parse("a = a.b").unwrap();
    parse(":x = :x").unwrap();
    assert_eq!(
        err("a BETWEEN :n AND :x"),
        "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:x}"
    );
    assert_eq!(
        err("a BETWEEN :y AND :x"),
        "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:y}, upper bound operand: AttributeValue: {S:x}"
    );
    parse("a BETWEEN :x AND :x").unwrap();
}

#[test]
fn ordering_a_value_without_order_is_an_error() {
    let msg = |op: &str, ty: &str| {
        format!("Incorrect operand type for operator or function; operator or function: {op}, operand type: {ty}")
    };
    assert_eq!(err("a < :ss"), msg("<", "SS"));
    assert_eq!(err(":bool >= a"), msg(">=", "BOOL"));
    assert_eq!(err("a BETWEEN :ss AND :ss"), msg("BETWEEN", "SS"));
    assert_eq!(err(":null BETWEEN a AND b"), msg("BETWEEN", "NULL"));
    parse("a = :ss").unwrap();
    parse("a <> :null").unwrap();
    parse("a < b").unwrap();
    parse("a <= :b").unwrap();
}

#[test]
fn redundant_parentheses() {
    let msg = "The expression has redundant parentheses;";
    assert_eq!(err("((a = :x))"), msg);
    assert_eq!(err("(((attribute_not_exists(a))))"), msg);
    assert_eq!(err(" ( ( a = :x AND b = :y ) ) "), msg);
    assert_eq!(err("((a)) = :x"), msg);
    parse("((a = :x) AND (b = :y))").unwrap();
    parse("((a = :x)) AND ((b = :y))").unwrap();
    parse("(a) = (:x)").unwrap();
}

#[test]
fn in_and_operator_limits() {
    // 100 operands in all, the first included.
    let list: Vec<String> = (0..100).map(|i| format!("b{i}")).collect();
    assert_eq!(
        err(&format!("a IN ({})", list.join(","))),
        "The IN operator is provided with too many operands; number of operands: 101"
    );
    parse(&format!("a IN ({})", list[..99].join(","))).unwrap();
    let many = vec!["a = :x"; 151].join(" OR ");
    assert_eq!(err(&many), "The expression contains too many operators; operator count: 301");
    parse(&vec!["a = :x"; 150].join(" OR ")).unwrap();
}

#[test]
fn nesting_is_bounded() {
    let deep = format!(
        "{}a = :x{}",
        "(".repeat(EXPRESSION_NESTING_MAX),
        ")".repeat(EXPRESSION_NESTING_MAX)
    );
    assert!(err(&deep).contains("redundant"), "{}", err(&deep));
    let deeper = format!(
        "{}a = :x{}",
        "(".repeat(EXPRESSION_NESTING_MAX + 1),
        ")".repeat(EXPRESSION_NESTING_MAX + 1)
    );
    assert!(err(&deeper).contains("nested too deeply"));
    let nots = format!("{}a = :x", "NOT ".repeat(EXPRESSION_NESTING_MAX + 1));
    assert!(err(&nots).contains("nested too deeply"));
    let calls = format!(
        "{}a{} = :n",
        "size(".repeat(EXPRESSION_NESTING_MAX + 1),
        ")".repeat(EXPRESSION_NESTING_MAX + 1)
    );
    assert!(err(&calls).contains("nested too deeply"));
    // Far past the bound, still an error and no stack overflow.
    let huge = "(".repeat(4000);
    assert!(err(&huge).contains("nested too deeply"));
    let huge_nots = "NOT ".repeat(1000);
    assert!(err(&huge_nots).contains("nested too deeply"));
}
