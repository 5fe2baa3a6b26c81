//! Metric math for GetMetricData: arithmetic (`+ - * /`, parentheses, unary minus) over the
//! query ids and numbers, and the functions `SUM`, `AVG`, `MIN`, `MAX` (pointwise over a
//! list `[m1, m2]` of series, or over one series' points, giving a scalar) and `ABS`.
//! Two series combine pointwise on the timestamps both have; a scalar applies to every point.
//! Anything else (another function, `METRICS()`, a search) is refused by name.

use crate::cloudwatch::error::{CwError, CwResult};
use std::collections::BTreeMap;

/// A time series: epoch seconds → value.
pub type Series = BTreeMap<i64, f64>;

/// Longest expression.
pub const EXPRESSION_LEN_MAX: usize = 2048;
/// Deepest nesting of an expression.
const DEPTH_MAX: usize = 32;

/// A value of an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(f64),
    Series(Series),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Op(char),
}

fn lex(s: &str) -> CwResult<Vec<Tok>> {
    let mut out = Vec::new();
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    while let Some(&c) = cs.get(i) {
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while cs.get(i).is_some_and(|c| c.is_ascii_digit() || *c == '.') {
                i += 1;
            }
            let text: String = cs.get(start..i).unwrap_or_default().iter().collect();
            let n = text.parse::<f64>().map_err(|_| bad(s, &format!("bad number {text}")))?;
            out.push(Tok::Num(n));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while cs.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_') {
                i += 1;
            }
            out.push(Tok::Ident(cs.get(start..i).unwrap_or_default().iter().collect()));
        } else if "+-*/()[],".contains(c) {
            out.push(Tok::Op(c));
            i += 1;
        } else {
            return Err(bad(s, &format!("unexpected character {c:?}")));
        }
    }
    Ok(out)
}

fn bad(expr: &str, why: &str) -> CwError {
    CwError::invalid(format!("The expression {expr:?} is not valid: {why}."))
}

/// Evaluates `expr` with the series of each query id in `vars`.
pub fn eval(expr: &str, vars: &BTreeMap<String, Series>) -> CwResult<Value> {
    if expr.len() > EXPRESSION_LEN_MAX {
        return Err(bad(expr, &format!("longer than {EXPRESSION_LEN_MAX} characters")));
    }
    let toks = lex(expr)?;
    let mut p = Parser { toks, at: 0, expr, vars, depth: 0 };
    let v = p.sum()?;
    if p.at != p.toks.len() {
        return Err(bad(expr, "unexpected text after the expression"));
    }
    Ok(v)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    at: usize,
    expr: &'a str,
    vars: &'a BTreeMap<String, Series>,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Op(c)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> CwResult<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(bad(self.expr, &format!("expected {c:?}")))
        }
    }

    fn sum(&mut self) -> CwResult<Value> {
        self.depth += 1;
        if self.depth > DEPTH_MAX {
            return Err(bad(self.expr, "nested too deeply"));
        }
        let mut v = self.product()?;
        loop {
            if self.eat('+') {
                v = binary(v, self.product()?, |a, b| a + b);
            } else if self.eat('-') {
                v = binary(v, self.product()?, |a, b| a - b);
            } else {
                break;
            }
        }
        self.depth -= 1;
        Ok(v)
    }

    fn product(&mut self) -> CwResult<Value> {
        let mut v = self.unary()?;
        loop {
            if self.eat('*') {
                v = binary(v, self.unary()?, |a, b| a * b);
            } else if self.eat('/') {
                v = binary(v, self.unary()?, |a, b| a / b);
            } else {
                break;
            }
        }
        Ok(v)
    }

    fn unary(&mut self) -> CwResult<Value> {
        if self.eat('-') {
            self.depth += 1;
            if self.depth > DEPTH_MAX {
                return Err(bad(self.expr, "nested too deeply"));
            }
            let v = binary(Value::Scalar(0.0), self.unary()?, |a, b| a - b);
            self.depth -= 1;
            return Ok(v);
        }
        self.atom()
    }

    fn atom(&mut self) -> CwResult<Value> {
        match self.toks.get(self.at).cloned() {
            Some(Tok::Num(n)) => {
                self.at += 1;
                Ok(Value::Scalar(n))
            }
            Some(Tok::Op('(')) => {
                self.at += 1;
                let v = self.sum()?;
                self.expect(')')?;
                Ok(v)
            }
            Some(Tok::Ident(name)) => {
                self.at += 1;
                if self.eat('(') {
                    return self.call(&name);
                }
                match self.vars.get(&name) {
                    Some(s) => Ok(Value::Series(s.clone())),
                    None => Err(bad(self.expr, &format!("no query has the id {name}"))),
                }
            }
            _ => Err(bad(self.expr, "expected a number, an id, a function or '('")),
        }
    }

    fn call(&mut self, name: &str) -> CwResult<Value> {
        let f: fn(&[f64]) -> f64 = match name.to_ascii_uppercase().as_str() {
            "SUM" => |x| x.iter().sum(),
            "AVG" => |x| x.iter().sum::<f64>() / x.len().max(1) as f64,
            "MIN" => |x| x.iter().copied().fold(f64::INFINITY, f64::min),
            "MAX" => |x| x.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            "ABS" => {
                let v = self.sum()?;
                self.expect(')')?;
                return Ok(map(v, f64::abs));
            }
            _ => {
                return Err(bad(
                    self.expr,
                    &format!("the function {name} is not supported (SUM, AVG, MIN, MAX, ABS are)"),
                ))
            }
        };
        if self.eat('[') {
            let mut args = vec![self.sum()?];
            while self.eat(',') {
                args.push(self.sum()?);
            }
            self.expect(']')?;
            self.expect(')')?;
            return Ok(pointwise(&args, f));
        }
        let v = self.sum()?;
        self.expect(')')?;
        Ok(match v {
            Value::Series(s) => {
                let xs: Vec<f64> = s.values().copied().collect();
                if xs.is_empty() {
                    Value::Series(Series::new())
                } else {
                    Value::Scalar(f(&xs))
                }
            }
            scalar => scalar,
        })
    }
}

fn map(v: Value, f: fn(f64) -> f64) -> Value {
    match v {
        Value::Scalar(x) => Value::Scalar(f(x)),
        Value::Series(s) => Value::Series(s.into_iter().map(|(t, x)| (t, f(x))).collect()),
    }
}

fn binary(a: Value, b: Value, f: fn(f64, f64) -> f64) -> Value {
    match (a, b) {
        (Value::Scalar(x), Value::Scalar(y)) => Value::Scalar(f(x, y)),
        (Value::Series(s), Value::Scalar(y)) => {
            Value::Series(s.into_iter().map(|(t, x)| (t, f(x, y))).collect())
        }
        (Value::Scalar(x), Value::Series(s)) => {
            Value::Series(s.into_iter().map(|(t, y)| (t, f(x, y))).collect())
        }
        (Value::Series(s), Value::Series(r)) => Value::Series(
            s.into_iter().filter_map(|(t, x)| r.get(&t).map(|y| (t, f(x, *y)))).collect(),
        ),
    }
}

/// `f` over the values at each timestamp of every series argument (scalars join each).
fn pointwise(args: &[Value], f: fn(&[f64]) -> f64) -> Value {
    let mut times: Vec<i64> = args
        .iter()
        .filter_map(|a| match a {
            Value::Series(s) => Some(s.keys().copied()),
            Value::Scalar(_) => None,
        })
        .flatten()
        .collect();
    if times.is_empty() && args.iter().all(|a| matches!(a, Value::Scalar(_))) {
        let xs: Vec<f64> = args
            .iter()
            .filter_map(|a| match a {
                Value::Scalar(x) => Some(*x),
                Value::Series(_) => None,
            })
            .collect();
        return Value::Scalar(f(&xs));
    }
    times.sort_unstable();
    times.dedup();
    let mut out = Series::new();
    for t in times {
        let xs: Vec<f64> = args
            .iter()
            .filter_map(|a| match a {
                Value::Scalar(x) => Some(*x),
                Value::Series(s) => s.get(&t).copied(),
            })
            .collect();
        out.insert(t, f(&xs));
    }
    Value::Series(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, Series> {
        let mut v = BTreeMap::new();
        v.insert("m1".to_string(), Series::from([(0, 1.0), (60, 2.0), (120, 3.0)]));
        v.insert("m2".to_string(), Series::from([(0, 10.0), (60, 20.0)]));
        v
    }

    #[test]
    fn arithmetic_and_functions() {
        let v = vars();
        assert_eq!(
            eval("m1 + m2", &v).unwrap(),
            Value::Series(Series::from([(0, 11.0), (60, 22.0)]))
        );
        assert_eq!(
            eval("-m1 * 2 + 1", &v).unwrap(),
            Value::Series(Series::from([(0, -1.0), (60, -3.0), (120, -5.0)]))
        );
        assert_eq!(
            eval("(m1 + 1) / 2", &v).unwrap(),
            Value::Series(Series::from([(0, 1.0), (60, 1.5), (120, 2.0)]))
        );
        assert_eq!(
            eval("SUM([m1, m2])", &v).unwrap(),
            Value::Series(Series::from([(0, 11.0), (60, 22.0), (120, 3.0)]))
        );
        assert_eq!(eval("MAX(m1)", &v).unwrap(), Value::Scalar(3.0));
        assert_eq!(eval("avg(m2)", &v).unwrap(), Value::Scalar(15.0));
        assert_eq!(eval("ABS(0 - m2)", &v).unwrap(), eval("m2", &v).unwrap());
        assert_eq!(eval("2 * 3 - 1", &v).unwrap(), Value::Scalar(5.0));
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let v = vars();
        for (e, why) in [
            ("m3 + 1", "no query has the id m3"),
            ("FILL(m1, 0)", "the function FILL is not supported"),
            ("m1 +", "expected a number"),
            ("(m1", "expected ')'"),
            ("m1 $ 2", "unexpected character"),
            ("m1 m2", "unexpected text"),
        ] {
            let err = eval(e, &v).unwrap_err();
            assert!(err.message.contains(why), "{e}: {}", err.message);
        }
        let deep = format!("{}m1{}", "(".repeat(40), ")".repeat(40));
        assert!(eval(&deep, &v).unwrap_err().message.contains("nested too deeply"));
        let minus = format!("{}m1", "-".repeat(40));
        assert!(eval(&minus, &v).unwrap_err().message.contains("nested too deeply"));
        assert!(eval(&format!("{}m1", "-".repeat(30)), &v).is_ok());
    }
}
