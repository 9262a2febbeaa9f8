//! Offline canonicalization of policy expressions (in progress).

use crate::ir::{Schema, TableName};

/// What the canonicalizer knows about where an expression lives.
pub struct Context<'a> {
    /// The table the policy is defined on.
    pub table: &'a TableName,
    /// Tables with their columns (for literal casts that depend on column types).
    pub schema: &'a Schema,
    /// Schemas that unqualified names resolve in, in order (e.g. `["public"]`).
    pub search_path: &'a [String],
}

/// The canonical text of `expr`: ideally exactly what `pg_get_expr` prints for it.
pub fn canonicalize(expr: &str, _ctx: &Context) -> Result<String, String> {
    super::validate(expr)?;
    Ok(expr.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Whether two expressions are proven equal offline.
pub fn equivalent(a: &str, b: &str, ctx: &Context) -> bool {
    match (canonicalize(a, ctx), canonicalize(b, ctx)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}
