//! PartiQL for DynamoDB: the statements of ExecuteStatement, BatchExecuteStatement and
//! ExecuteTransaction, parsed into the trees of the expression language
//! ([`crate::dynamodb::expr`]): a `WHERE` clause is a [`Condition`], an `UPDATE`'s `SET` and
//! `REMOVE` clauses an [`Update`], so PartiQL is evaluated and applied by the same code as
//! condition and update expressions. Parameters (`?`) are bound while parsing.
//!
//! ```text
//! statement  ::= select | insert | update | delete | exists
//! select     ::= "SELECT" ("*" | path ("," path)*) "FROM" name ["." name]
//!                ["WHERE" condition] ["ORDER BY" path ["ASC" | "DESC"] ("," ...)*]
//! insert     ::= "INSERT" "INTO" name "VALUE" tuple
//! update     ::= "UPDATE" name (("SET" path "=" value ("," path "=" value)*)
//!                              | ("REMOVE" path ("," path)*))+
//!                "WHERE" condition ["RETURNING" ("ALL" | "MODIFIED") ("OLD" | "NEW") "*"]
//! delete     ::= "DELETE" "FROM" name "WHERE" condition ["RETURNING" "ALL" "OLD" "*"]
//! exists     ::= "EXISTS" "(" select ")"                          (transactions only)
//! condition  ::= or;  or ::= and ("OR" and)*;  and ::= not ("AND" not)*
//! not        ::= "NOT" not | "(" condition ")" | predicate
//! predicate  ::= operand comparator operand | operand ["NOT"] "BETWEEN" operand "AND" operand
//!              | operand ["NOT"] "IN" ("[" | "(") operand ("," operand)* ("]" | ")")
//!              | path "IS" ["NOT"] ("MISSING" | "NULL" | type)
//!              | ("begins_with" | "contains") "(" operand "," operand ")"
//!              | "attribute_type" "(" path "," operand ")"
//! comparator ::= "=" | "<>" | "!=" | "<" | "<=" | ">" | ">="
//! operand    ::= path | literal | "?" | "size" "(" path ")"
//! value      ::= term [("+" | "-") term]
//! term       ::= operand | "list_append" "(" term "," term ")" | "if_not_exists" "(" path "," term ")"
//!              | "set_add" "(" path "," literal ")" | "set_delete" "(" path "," literal ")"
//! path       ::= name ("." name | "[" digits "]" | "[" string "]")*
//! name       ::= word | "\"quoted\""
//! literal    ::= 'string' | ["-"] number | "TRUE" | "FALSE" | "NULL"
//!              | "<<" literal ("," literal)* ">>"   (a string, number or binary set)
//!              | "[" [literal ("," literal)*] "]" | "{" [key ":" literal ("," ...)*] "}"
//! ```
//!
//! Keywords and function names are case-insensitive; names are not. Nesting is bounded by
//! [`STATEMENT_NESTING_MAX`] (an error, never a deep recursion).

mod lexer;
mod parser;
pub mod plan;

use crate::dynamodb::expr::path::Path;
use crate::dynamodb::expr::{Condition, Update};
use crate::dynamodb::model::value::{AttrValue, Item};

pub use parser::parse;

/// The deepest nesting of parentheses, `NOT`s, function calls and literal collections in a
/// statement.
pub const STATEMENT_NESTING_MAX: usize = 64;
/// The longest statement, in bytes (the API's `PartiQLStatement` bound).
pub const STATEMENT_LEN_MAX: usize = 8192;

/// A statement that does not parse, or that parses but cannot be run; worded for a
/// ValidationException.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartiqlError(pub String);

impl PartiqlError {
    /// DynamoDB's wording for a statement it cannot parse.
    pub fn syntax(detail: impl std::fmt::Display) -> Self {
        PartiqlError(format!("Statement wasn't well formed, can't be processed: {detail}"))
    }
}

/// A parsed statement, its parameters bound.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Select(Select),
    Insert {
        table: String,
        item: Item,
    },
    Update {
        table: String,
        update: Update,
        condition: Condition,
        returning: Returning,
    },
    Delete {
        table: String,
        condition: Condition,
        returning: Returning,
    },
    /// `EXISTS(SELECT ...)`: a transaction's condition check.
    Exists(Select),
}

impl Statement {
    /// The table the statement reads or writes.
    pub fn table(&self) -> &str {
        match self {
            Statement::Select(s) | Statement::Exists(s) => &s.table,
            Statement::Insert { table, .. }
            | Statement::Update { table, .. }
            | Statement::Delete { table, .. } => table,
        }
    }

    /// Whether the statement only reads.
    pub fn is_read(&self) -> bool {
        matches!(self, Statement::Select(_))
    }
}

/// A `SELECT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub table: String,
    pub index: Option<String>,
    /// The paths projected; `None` for `*`.
    pub projection: Option<Vec<Path>>,
    pub condition: Option<Condition>,
    /// `ORDER BY`: each key attribute's path and whether it is descending.
    pub order_by: Vec<(Path, bool)>,
}

/// What a write's `RETURNING` clause asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returning {
    None,
    AllOld,
    ModifiedOld,
    AllNew,
    ModifiedNew,
}

impl Returning {
    /// The ReturnValues this stands for.
    pub fn return_values(self) -> &'static str {
        match self {
            Returning::None => "NONE",
            Returning::AllOld => "ALL_OLD",
            Returning::ModifiedOld => "UPDATED_OLD",
            Returning::AllNew => "ALL_NEW",
            Returning::ModifiedNew => "UPDATED_NEW",
        }
    }
}

/// A value of a statement: a literal or a bound parameter.
pub(crate) type Value = AttrValue;
