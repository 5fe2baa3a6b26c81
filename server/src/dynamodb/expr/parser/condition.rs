//! The condition grammar (`or`, `and`, `not`, `primary`, comparisons, BETWEEN, IN and the
//! functions) on the shared parser core of [`super`].

use super::*;

impl Parser<'_, '_, '_, '_> {
    pub(super) fn or(&mut self) -> R<Condition> {
        let mut left = self.and()?;
        loop {
            let t = self.peek();
            if !self.is_keyword(t, "OR") {
                return Ok(left);
            }
            self.bump(t);
            self.count_operator();
            let right = self.and()?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
    }

    pub(super) fn and(&mut self) -> R<Condition> {
        let mut left = self.not()?;
        loop {
            let t = self.peek();
            if !self.is_keyword(t, "AND") {
                return Ok(left);
            }
            self.bump(t);
            self.count_operator();
            let right = self.not()?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
    }

    pub(super) fn not(&mut self) -> R<Condition> {
        let t = self.peek();
        if !self.is_keyword(t, "NOT") {
            return self.primary();
        }
        self.bump(t);
        self.count_operator();
        self.enter()?;
        let inner = self.not()?;
        self.leave();
        Ok(Condition::Not(Box::new(inner)))
    }

    /// Whether the `(` token `open` starts a parenthesized operand (its group is followed by a
    /// comparator, BETWEEN or IN) rather than a parenthesized condition.
    fn opens_operand(&self, open: Token) -> bool {
        self.after_group(open).is_some_and(|t| {
            comparator(self.c.s, t).is_some()
                || self.is_keyword(t, "BETWEEN")
                || self.is_keyword(t, "IN")
        })
    }

    pub(super) fn primary(&mut self) -> R<Condition> {
        let t = self.peek();
        if self.is_op(t, "(") && !self.opens_operand(t) {
            self.enter()?;
            self.bump(t);
            let inner = self.or()?;
            self.expect_op(")")?;
            self.leave();
            return Ok(inner);
        }
        let left = self.term()?;
        let t = self.peek();
        if let Some(op) = comparator(self.c.s, t) {
            self.bump(t);
            self.count_operator();
            let right = self.term()?;
            return Ok(self.compare(left, op, right));
        }
        if self.is_keyword(t, "BETWEEN") {
            self.bump(t);
            self.count_operator();
            let low = self.term()?;
            let and = self.peek();
            if !self.is_keyword(and, "AND") {
                return Err(self.error_at(and));
            }
            self.bump(and);
            let high = self.term()?;
            return Ok(self.between(left, low, high));
        }
        if self.is_keyword(t, "IN") {
            self.bump(t);
            self.count_operator();
            self.expect_op("(")?;
            let mut list = vec![self.term()?];
            while self.eat_op(",") {
                list.push(self.term()?);
            }
            self.expect_op(")")?;
            return Ok(self.is_in(left, list));
        }
        match left {
            Term::Call { name, args } => Ok(self.function(name, args)),
            _ => Err(self.error_at(t)),
        }
    }

    // ---- checks: terms to operands and conditions ----

    /// The operand a term stands for; a function other than `size` here is an error.
    fn operand(&mut self, t: Term) -> Operand {
        match t {
            Term::Path(p) => Operand::Path(p),
            Term::Value(v) => Operand::Value(v),
            Term::Call { name, args } if name == "size" => self.size(args),
            Term::Call { name, args } => {
                if CONDITION_FUNCTIONS.contains(&name.as_str()) {
                    self.note(Check::MisusedFunction, || {
                        format!("The function is not allowed to be used this way in an expression; function: {name}")
                    });
                } else {
                    self.note(Check::UnknownFunction, || {
                        format!("Invalid function name; function: {name}")
                    });
                }
                // Its arguments are still checked, as DynamoDB checks them.
                for a in args {
                    self.operand(a);
                }
                dummy_operand()
            }
        }
    }

    fn operands(&mut self, terms: Vec<Term>) -> Vec<Operand> {
        terms.into_iter().map(|t| self.operand(t)).collect()
    }

    /// `size(x)`: of a path, evaluated per item; of a value, computed now.
    fn size(&mut self, args: Vec<Term>) -> Operand {
        let mut ops = self.operands(args);
        if ops.len() != 1 {
            self.wrong_count("size", ops.len());
            return dummy_operand();
        }
        match ops.pop() {
            Some(Operand::Path(p)) => Operand::Size(p),
            Some(Operand::Value(v)) => match size_of(&v) {
                Some(n) => Operand::Value(AttrValue::N(n)),
                None => {
                    self.wrong_type("size", v.type_name());
                    dummy_operand()
                }
            },
            _ => {
                self.wrong_type("size", "N");
                dummy_operand()
            }
        }
    }

    pub(crate) fn wrong_count(&mut self, name: &str, n: usize) {
        self.note(Check::OperandCount, || {
            format!("Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {n}")
        });
    }

    pub(crate) fn wrong_type(&mut self, name: &str, ty: &str) {
        self.note(Check::Function, || {
            format!("Incorrect operand type for operator or function; operator or function: {name}, operand type: {ty}")
        });
    }

    pub(crate) fn needs_path(&mut self, name: &str) {
        self.note(Check::Function, || {
            format!("Operator or function requires a document path; operator or function: {name}")
        });
    }

    /// DynamoDB refuses the same path as the first and another operand.
    fn distinct(&mut self, op: &str, first: &Operand, rest: &[&Operand]) {
        if let Operand::Path(p) = first {
            if rest.iter().any(|o| matches!(o, Operand::Path(q) if q == p)) {
                self.note(Check::Distinct, || {
                    format!("The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {}", show(p))
                });
            }
        }
    }

    fn compare(&mut self, left: Term, op: CmpOp, right: Term) -> Condition {
        let a = self.operand(left);
        let b = self.operand(right);
        self.distinct(op.symbol(), &a, &[&b]);
        if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
            self.ordered(op.symbol(), &[&a, &b]);
        }
        Condition::Compare(a, op, b)
    }

    /// An ordering (`<`, ..., BETWEEN) of a value that has no order is an error, not a false
    /// condition (an item's value of such a type only makes the condition false).
    fn ordered(&mut self, op: &str, operands: &[&Operand]) {
        for o in operands {
            if let Operand::Value(v) = o {
                if !matches!(v, AttrValue::S(_) | AttrValue::N(_) | AttrValue::B(_)) {
                    self.wrong_type(op, v.type_name());
                }
            }
        }
    }

    fn between(&mut self, x: Term, low: Term, high: Term) -> Condition {
        let a = self.operand(x);
        let lo = self.operand(low);
        let hi = self.operand(high);
        self.distinct("BETWEEN", &a, &[&lo, &hi]);
        if let (Operand::Value(l), Operand::Value(h)) = (&lo, &hi) {
            let bounds = || {
                format!(
                    "lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                    render(l),
                    render(h)
                )
            };
            if l.type_name() != h.type_name() {
                self.note(Check::Function, || {
                    format!("The BETWEEN operator requires same data type for lower and upper bounds; {}", bounds())
                });
            } else if crate::dynamodb::expr::eval::order(l, h) == Some(std::cmp::Ordering::Greater)
            {
                self.note(Check::Function, || {
                    format!("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; {}", bounds())
                });
            }
        }
        self.ordered("BETWEEN", &[&a, &lo, &hi]);
        Condition::Between(a, lo, hi)
    }

    fn is_in(&mut self, x: Term, list: Vec<Term>) -> Condition {
        let a = self.operand(x);
        let list = self.operands(list);
        // The count is of every operand, the first included.
        let n = list.len() + 1;
        if n > IN_OPERANDS_MAX {
            self.note(Check::OperandCount, || {
                format!(
                    "The IN operator is provided with too many operands; number of operands: {n}"
                )
            });
        }
        let rest: Vec<&Operand> = list.iter().collect();
        self.distinct("IN", &a, &rest);
        Condition::In(a, list)
    }

    /// A function used as a condition.
    fn function(&mut self, name: String, args: Vec<Term>) -> Condition {
        let ops = self.operands(args);
        let arity = match name.as_str() {
            "attribute_exists" | "attribute_not_exists" => 1,
            "attribute_type" | "begins_with" | "contains" => 2,
            "size" => {
                self.note(Check::MisusedFunction, || {
                    "The function is not allowed to be used this way in an expression; function: size".into()
                });
                return Condition::True;
            }
            _ => {
                self.note(Check::UnknownFunction, || {
                    format!("Invalid function name; function: {name}")
                });
                return Condition::True;
            }
        };
        if ops.len() != arity {
            self.wrong_count(&name, ops.len());
            return Condition::True;
        }
        let mut it = ops.into_iter();
        let (Some(a), b) = (it.next(), it.next()) else { return Condition::True };
        match (name.as_str(), a, b) {
            ("attribute_exists", Operand::Path(p), None) => Condition::AttributeExists(p),
            ("attribute_not_exists", Operand::Path(p), None) => Condition::AttributeNotExists(p),
            ("attribute_type", a, Some(t)) => {
                match &t {
                    Operand::Value(AttrValue::S(ty)) => {
                        if !is_type_name(ty) {
                            self.note(Check::Function, || {
                                format!("Invalid attribute type name found; type: {ty}, valid types: {TYPE_NAMES}")
                            });
                        }
                    }
                    Operand::Value(v) => self.wrong_type(&name, v.type_name()),
                    Operand::Size(_) => self.wrong_type(&name, "N"),
                    Operand::Path(_) => self.wrong_type(&name, "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"),
                }
                match (a, &t) {
                    (Operand::Path(p), _) => Condition::AttributeType(p, t),
                    // Of a value, the answer is known now.
                    (Operand::Value(v), Operand::Value(AttrValue::S(ty)))
                        if v.type_name() == ty =>
                    {
                        Condition::True
                    }
                    (Operand::Value(_), _) => Condition::Not(Box::new(Condition::True)),
                    (Operand::Size(_), _) => {
                        self.needs_path(&name);
                        Condition::True
                    }
                }
            }
            ("begins_with", a, Some(b)) => {
                self.distinct(&name, &a, &[&b]);
                for ty in [static_type(&a), static_type(&b)].into_iter().flatten() {
                    if ty != "S" && ty != "B" {
                        self.wrong_type(&name, ty);
                    }
                }
                Condition::BeginsWith(a, b)
            }
            ("contains", a, Some(b)) => {
                self.distinct(&name, &a, &[&b]);
                Condition::Contains(a, b)
            }
            _ => {
                self.needs_path(&name);
                Condition::True
            }
        }
    }
}

/// Stands in for an operand whose error is already recorded (never returned to a caller).
fn dummy_operand() -> Operand {
    Operand::Value(AttrValue::Null)
}

/// The comparator token `t` is, if it is one.
fn comparator(s: &str, t: Token) -> Option<CmpOp> {
    if t.kind != Tok::Op {
        return None;
    }
    Some(match t.text(s) {
        "=" => CmpOp::Eq,
        "<>" => CmpOp::Ne,
        "<" => CmpOp::Lt,
        "<=" => CmpOp::Le,
        ">" => CmpOp::Gt,
        ">=" => CmpOp::Ge,
        _ => return None,
    })
}
