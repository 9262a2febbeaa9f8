//! Parse analysis: turns sqlparser's syntax tree into the tree PostgreSQL builds
//! (`transformExpr`): column references resolved against the policy's table and the
//! tables of sub-selects, literal types chosen the way operator and function resolution
//! chooses them, IN lists, BETWEEN, IS NOT DISTINCT FROM and friends rewritten.
//!
//! Whenever PostgreSQL's choice depends on something we do not know or do not model, the
//! analysis fails instead of guessing, with the reason (an [`Undecidable`]).
//!
//! By concern: `expr` (every expression form), `operators` (operator resolution and
//! operator expressions), `functions` (built-in and catalog signatures, function
//! resolution), `coerce` (implicit casts, common types, untyped literals), `precedence`
//! (where the two grammars could disagree), `range_table` (columns, FROM items, joins),
//! `subselect` (sub-selects and their column names).

mod coerce;
mod expr;
mod functions;
mod operators;
mod precedence;
mod range_table;
mod subselect;

pub(crate) use functions::BUILTIN_ARG_NAMES;

use coerce::*;
use functions::marker_name;
use operators::*;
use precedence::*;

use super::lit::{self, UserKind};
use super::markers;
use super::print::{bool_ty, is_bool, Cte, From, Node, Query, SetOp, SqlKind, SubKind};
use super::types::{parse_type, Cat, Ty, TypeLookup};
use super::undecidable::{OriginShape, SignatureProblem, Undecidable};
use super::{Catalog, Context, TypeKind};
use crate::ir::Table;
use crate::sql::quote;
use sqlparser::ast::{
    self as sq, BinaryOperator as B, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
    JoinConstraint, JoinOperator, ObjectName, ObjectNamePart, SelectItem, SetExpr, TableFactor,
    UnaryOperator as U, Value,
};

type R<T> = Result<T, Undecidable>;

/// The output columns of a sub-select in FROM or a CTE: name and type.
type Columns = Vec<(String, Option<Ty>)>;

/// A range-table entry: a table a column reference may resolve to, at one query level.
/// Its printed name is chosen after analysis, the way `pg_get_expr` chooses it (see
/// `print::name_range_tables`); column references carry the entry's `id`.
struct Rte<'a> {
    id: u32,
    /// The name the parser gives it: the alias, else the table's or CTE's name (or
    /// `unnamed_subquery`).
    written: String,
    /// Whether a qualified column reference may name it (not an unaliased sub-select).
    visible: bool,
    schema: String,
    relname: String,
    aliased: bool,
    table: Option<&'a Table>,
    /// The output columns of a sub-select in FROM or of a CTE (None for a table).
    cols: Option<Columns>,
    /// The names `pg_get_expr` prints for those columns, where they differ (two columns
    /// of one name: `a`, `a_1`).
    printed_cols: Option<Vec<String>>,
    /// Whether an unqualified column reference may resolve to it: not a table inside a
    /// join (the join's own entry answers for its columns).
    cols_visible: bool,
    /// An unaliased join with USING (or NATURAL): what each of its columns (`cols`)
    /// stands for, a column of one side or, for a merged column of a FULL join, the bare
    /// column name.
    join_vars: Option<Vec<Node>>,
}

/// How the text was produced, which decides what a parenthesized AND (OR) group as the left
/// operand of another AND (OR) means. PostgreSQL's grammar flattens `(a AND b) AND c` into
/// one list, while `pg_get_expr` prints a genuinely nested group (from BETWEEN, for
/// example) the same way.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Written by a developer: parsed the way PostgreSQL parses it.
    Declared,
    /// Printed by `pg_get_expr`: parentheses show the stored tree exactly.
    Stored,
    /// Either: such a group is ambiguous and fails.
    Generic,
}

pub struct Analyzer<'a> {
    ctx: &'a Context<'a>,
    cat: &'a Catalog,
    levels: Vec<Vec<Rte<'a>>>,
    mode: Mode,
    /// The CTEs in scope (innermost last): name and output columns (None while a CTE of
    /// `WITH RECURSIVE` is not yet known: a reference to it is not modelled).
    ctes: Vec<(String, Option<Columns>)>,
    /// Inside a sub-select in FROM or a CTE: the output column names of queries are kept.
    collecting: u32,
    /// The id of the next range-table entry (the policy's table is 0).
    next_id: u32,
    /// Whether the expression has a sub-select (whose entries are then named).
    pub has_queries: bool,
    /// The recursive terms of `WITH RECURSIVE` being analysed (innermost last).
    recursive_terms: Vec<RecursiveTerm>,
    /// How many sub-links (EXISTS, IN, ANY/ALL, ARRAY and scalar sub-selects) and CTE
    /// bodies enclose the query being analysed.
    sublinks: u32,
    cte_bodies: u32,
    /// The next SELECT is a leaf of a set operation: its untyped literals are left
    /// unresolved, for the set operation to coerce to the column's common type.
    setop_leaf: bool,
}

/// A recursive term being analysed: where its self-reference may appear
/// (`checkWellFormedRecursion`).
struct RecursiveTerm {
    /// The CTE (an index of `Analyzer::ctes`).
    slot: usize,
    /// The sub-links and CTE bodies around the term: the reference must not be inside
    /// another (a sub-select in FROM is allowed).
    sublinks: u32,
    cte_bodies: u32,
    /// The entry of the self-reference, once seen.
    rte: Option<u32>,
}

/// Input types for operator and function resolution.
#[derive(Clone, Copy)]
enum In<'t> {
    K(&'t Ty),
    /// An untyped literal.
    U,
    /// An expression whose type is not known offline.
    O,
}

fn inp(n: &Node) -> In<'_> {
    if n.is_unknown_lit() {
        return In::U;
    }
    match n.ty() {
        Some(t) => In::K(t),
        None => In::O,
    }
}

struct OpRes {
    l: Option<Ty>,
    r: Option<Ty>,
    out: Option<Ty>,
}

const TEXT: Ty = Ty::builtin("text");

fn t(n: &'static str) -> Ty {
    Ty::builtin(n)
}

fn fold(id: &sq::Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_ascii_lowercase()
    }
}

fn name_parts(n: &ObjectName) -> R<Vec<(String, bool)>> {
    n.0.iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(id) => Ok((fold(id), id.quote_style.is_some())),
            _ => Err(Undecidable::unsupported("name")),
        })
        .collect()
}

impl<'a> TypeLookup for Analyzer<'a> {
    fn resolve_type_schema(&self, name: &str) -> Option<String> {
        let sp = self.ctx.search_path;
        sp.iter()
            .find(|s| {
                self.cat
                    .types
                    .iter()
                    .any(|t| t.schema == **s && t.name == name)
            })
            .cloned()
    }
    fn is_enum(&self, schema: &str, name: &str) -> bool {
        self.cat
            .types
            .iter()
            .any(|t| t.schema == schema && t.name == name && matches!(t.kind, TypeKind::Enum(_)))
    }
}

impl<'a> Analyzer<'a> {
    pub fn new(ctx: &'a Context<'a>, cat: &'a Catalog, mode: Mode) -> Analyzer<'a> {
        let table = ctx.schema.table(&ctx.table.schema, &ctx.table.name);
        let top = Rte {
            id: 0,
            written: ctx.table.name.clone(),
            visible: true,
            schema: ctx.table.schema.clone(),
            relname: ctx.table.name.clone(),
            aliased: false,
            table,
            cols: None,
            printed_cols: None,
            cols_visible: true,
            join_vars: None,
        };
        Analyzer {
            ctx,
            cat,
            levels: vec![vec![top]],
            mode,
            ctes: Vec::new(),
            collecting: 0,
            next_id: 1,
            recursive_terms: Vec::new(),
            sublinks: 0,
            cte_bodies: 0,
            setop_leaf: false,
            has_queries: false,
        }
    }

    /// How many range-table entries the analysis made (ids `0..count`).
    pub fn rte_count(&self) -> u32 {
        self.next_id
    }

    pub fn top(&mut self, e: &Expr) -> R<Node> {
        let n = self.expr(e)?;
        self.to_bool(n)
    }

    fn ty(&self, s: &str) -> R<Ty> {
        parse_type(s, self, self.ctx.search_path).map_err(Undecidable::TypeName)
    }

    fn user_kind(&self, t: &Ty) -> UserKind<'a> {
        let cat: &'a Catalog = self.cat;
        let schema = t.schema.as_deref().unwrap_or("");
        for d in &cat.types {
            if d.schema == schema && d.name == *t.name {
                if let TypeKind::Enum(labels) = &d.kind {
                    return UserKind::Enum(labels);
                }
            }
        }
        UserKind::Unknown
    }
}
