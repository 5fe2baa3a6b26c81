//! Error ranking: the errors DynamoDB reports only once an expression has parsed, held until
//! then and reported by each expression kind's precedence.

/// The kinds of error DynamoDB reports only once an expression has parsed. Each expression kind
/// ranks them in its own order (see [`Deferred::first`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// More than [`crate::dynamodb::limits::OPERATORS_MAX`] operators and functions.
    TooManyOperators,
    /// The whole expression (or an operand) wrapped in two pairs of parentheses.
    Parens,
    /// A function name that does not exist (in this kind of expression).
    UnknownFunction,
    /// A function used where it cannot be (a condition function as an operand, `size` alone).
    MisusedFunction,
    /// A bare attribute name that is a reserved word.
    Reserved,
    /// An update expression section (SET, REMOVE, ADD, DELETE) given twice.
    Section,
    /// A `#name` placeholder missing from ExpressionAttributeNames.
    UndefinedName,
    /// A `:value` placeholder missing from ExpressionAttributeValues.
    UndefinedValue,
    /// Two paths of which one is a prefix of the other.
    Overlap,
    /// Two paths that use one position as both a map key and a list index.
    Conflict,
    /// An ADD or DELETE value of a type the action does not take.
    UpdateOperand,
    /// A function or operator given the wrong number of operands.
    OperandCount,
    /// The same path as the first and another operand.
    Distinct,
    /// A function operand of the wrong kind (type, or a value where a path is needed).
    Function,
}

/// Errors found while parsing, held until the whole expression has parsed (a syntax error
/// anywhere wins over them): the first of each [`Check`] kind, in the order found.
#[derive(Debug, Default)]
pub(crate) struct Deferred {
    found: Vec<(Check, String)>,
}

impl Deferred {
    /// Records an error of kind `check`, unless one of that kind is already held.
    pub(crate) fn note(&mut self, check: Check, msg: impl FnOnce() -> String) {
        if !self.found.iter().any(|(c, _)| *c == check) {
            self.found.push((check, msg()));
        }
    }

    /// The error to report: the earliest-found error of the first group of `order` that has
    /// one. Kinds in no group are not reported.
    pub(crate) fn first(&self, order: &[&[Check]]) -> Option<&str> {
        order.iter().find_map(|group| {
            self.found.iter().find(|(c, _)| group.contains(c)).map(|(_, m)| m.as_str())
        })
    }
}
