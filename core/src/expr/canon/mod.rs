//! Offline canonicalization of policy expressions.
//!
//! An expression is parsed (sqlparser, PostgreSQL dialect), analysed the way PostgreSQL's
//! parser analyses it (column resolution, literal types from operator and function
//! resolution, IN lists, BETWEEN, ...), and printed the way `pg_get_expr` prints the stored
//! tree. The canonical text of the text PostgreSQL stores is therefore that text itself,
//! and a declared expression canonicalizes to what PostgreSQL will store for it. Where
//! PostgreSQL's printing is not idempotent (an ARRAY[] constructor coerced implicitly,
//! `(ARRAY['a'::character varying])::text[]`, reads back as a cast of each element), the
//! canonical text is the fixed point it reaches when it reads its own text back, for both
//! sides, as the round trip's two print-and-parse cycles do.
//!
//! Whenever the outcome depends on something not known offline (a literal next to a
//! function whose result type is unknown, an operator combination that is not modelled,
//! ambiguous operator precedence), canonicalization fails with the reason (an
//! [`Undecidable`]): two expressions are judged equal only when the canonical texts are both
//! available and identical.
//!
//! Use:
//! - [`canonicalize_declared`] for text a developer wrote and [`canonicalize_stored`] for
//!   text read back with `pg_get_expr`: `(a AND b) AND c` is one AND list when written but
//!   a nested group when printed by PostgreSQL (BETWEEN, IN-list fallbacks), and `(- 1)` is
//!   a constant when written but an operator when printed. [`canonicalize`] does not know
//!   the origin and fails on exactly those shapes.
//! - Pass a [`Catalog`] (user functions with argument and result types, enums) so that
//!   literals next to user functions and enum columns can be typed; without it those
//!   expressions are not provable offline (never wrongly equal).

mod analyze;
mod datetime;
mod dialect;
mod jsonpath;
mod lit;
mod markers;
mod print;
mod tokens;
mod types;
mod undecidable;

#[cfg(test)]
mod tests;

pub use crate::ir::catalog::{Catalog, FunctionSig, SessionSettings, TypeDef, TypeKind};
use crate::ir::{Schema, TableName};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

pub use analyze::Mode;
pub use datetime::{DEFAULT_ABBREVIATIONS, ZONE_FROM, ZONE_STEP, ZONE_TO};
pub use types::Ty;
pub use undecidable::{OriginShape, ParseFailure, SignatureProblem, Undecidable};

/// An argument type as `format_type(oid, NULL)` prints it under the plans' search_path
/// (`int` → `integer`, `varchar(10)` → `character varying`): how a function's identity is
/// compared with the catalog's.
pub fn argument_type(text: &str) -> Result<String, String> {
    struct NoTypes;
    impl types::TypeLookup for NoTypes {
        fn resolve_type_schema(&self, _: &str) -> Option<String> {
            None
        }
    }
    let path = [crate::session::SEARCH_PATH.to_string()];
    let ty = types::parse_type(text.trim(), &NoTypes, &path)?;
    Ok(ty.without_mods().format(&path))
}

/// What the canonicalizer knows about where an expression lives.
pub struct Context<'a> {
    /// The table the policy is defined on.
    pub table: &'a TableName,
    /// Tables with their columns (for literal casts that depend on column types).
    pub schema: &'a Schema,
    /// Schemas that unqualified names resolve in, in order (e.g. `["public"]`).
    pub search_path: &'a [String],
}

static EMPTY: Catalog = Catalog {
    functions: Vec::new(),
    types: Vec::new(),
    session: None,
};

/// The canonical text of `expr`: exactly what `pg_get_expr` prints for it, as far as it
/// can be determined offline.
pub fn canonicalize(expr: &str, ctx: &Context) -> Result<String, Undecidable> {
    canonicalize_with(expr, ctx, &EMPTY)
}

/// Whether two expressions are proven equal offline.
pub fn equivalent(a: &str, b: &str, ctx: &Context) -> bool {
    equivalent_with(a, b, ctx, &EMPTY)
}

/// [`canonicalize`] with user-defined functions and types.
pub fn canonicalize_with(
    expr: &str,
    ctx: &Context,
    catalog: &Catalog,
) -> Result<String, Undecidable> {
    canonicalize_mode(expr, ctx, catalog, Mode::Generic)
}

/// The canonical text of an expression as a developer wrote it (PostgreSQL's grammar
/// applies: `(a AND b) AND c` is one AND list).
pub fn canonicalize_declared(
    expr: &str,
    ctx: &Context,
    catalog: &Catalog,
) -> Result<String, Undecidable> {
    canonicalize_mode(expr, ctx, catalog, Mode::Declared)
}

/// The canonical text of an expression printed by `pg_get_expr` (its parentheses show the
/// stored tree: `((a AND b) AND c)` is a nested group).
pub fn canonicalize_stored(
    expr: &str,
    ctx: &Context,
    catalog: &Catalog,
) -> Result<String, Undecidable> {
    canonicalize_mode(expr, ctx, catalog, Mode::Stored)
}

/// Whether a declared expression is proven to be stored as `stored` (text from
/// `pg_get_expr`).
pub fn declared_matches_stored(
    declared: &str,
    stored: &str,
    ctx: &Context,
    catalog: &Catalog,
) -> bool {
    match (
        canonicalize_declared(declared, ctx, catalog),
        canonicalize_stored(stored, ctx, catalog),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

pub fn canonicalize_mode(
    expr: &str,
    ctx: &Context,
    catalog: &Catalog,
    mode: Mode,
) -> Result<String, Undecidable> {
    let e = parse(expr)?;
    let mut an = analyze::Analyzer::new(ctx, catalog, mode);
    let mut node = an.top(&e)?;
    if an.has_queries {
        print::name_range_tables(&mut node, &ctx.table.name, an.rte_count());
    }
    let mut p = print::Printer::new(ctx.search_path);
    p.expr(&node, false);
    match p.error {
        Some(err) => Err(err),
        None => Ok(p.buf),
    }
}

/// [`equivalent`] with user-defined functions and types.
pub fn equivalent_with(a: &str, b: &str, ctx: &Context, catalog: &Catalog) -> bool {
    match (
        canonicalize_with(a, ctx, catalog),
        canonicalize_with(b, ctx, catalog),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Parses exactly one expression. `ISNULL` / `NOTNULL` (which sqlparser does not know) are
/// rewritten to `IS NULL` / `IS NOT NULL` on the token stream. Also what the lint rules
/// walk (`crate::lint`).
pub(crate) fn parse(text: &str) -> Result<sqlparser::ast::Expr, Undecidable> {
    parse_with(text, dialect::PgDialect::default())
}

/// The parameter names the offline layer knows for built-in functions: name, parameter
/// count and names (checked against `pg_proc` on a live server by the tests).
#[doc(hidden)]
pub fn builtin_parameter_names() -> &'static [(&'static str, usize, &'static [&'static str])] {
    analyze::BUILTIN_ARG_NAMES
}

/// Whether `text` parses (the parse stage of canonicalization alone, fast paths included):
/// for `examples/canon_bench.rs`.
#[doc(hidden)]
pub fn parses(text: &str) -> bool {
    parse(text).is_ok()
}

/// Whether the fast paths (the tokenizer of `tokens.rs`, the parser of `dialect.rs`) read
/// `text` exactly as sqlparser's PostgreSQL dialect does: the same tokens with the same
/// spans, and the same tree or a failure on both. `Err` says how they differ. For the
/// proofs in the tests (unit tests and `core/tests/grammar.rs`).
#[doc(hidden)]
pub fn fast_path_agrees(text: &str) -> Result<(), String> {
    if let Some(fast) = tokens::tokenize(text) {
        let dialect = PostgreSqlDialect {};
        let slow: Vec<TokenWithSpan> = Tokenizer::new(&dialect, text)
            .tokenize_with_location()
            .map_err(|e| format!("sqlparser refuses what the fast tokenizer reads: {e}"))?
            .into_iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .collect();
        if fast != slow {
            return Err(format!(
                "tokens differ\nsqlparser: {slow:?}\nfast:      {fast:?}"
            ));
        }
    }
    let plain = dialect::PgDialect { plain: true };
    match (
        parse_with(text, plain),
        parse_with(text, dialect::PgDialect::default()),
    ) {
        (Ok(a), Ok(b)) if a == b => Ok(()),
        (Err(_), Err(_)) => Ok(()),
        (a, b) => Err(format!("trees differ\nsqlparser: {a:?}\nfast:      {b:?}")),
    }
}

/// `ISNULL` / `NOTNULL` as `IS NULL` / `IS NOT NULL`.
fn rewrite_postfix_null(toks: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let postfix = |t: &TokenWithSpan| {
        matches!(&t.token, Token::Word(w) if w.quote_style.is_none()
            && (w.value.eq_ignore_ascii_case("isnull") || w.value.eq_ignore_ascii_case("notnull")))
    };
    if !toks.iter().any(postfix) {
        return toks;
    }
    let mut out = Vec::with_capacity(toks.len() + 2);
    for t in toks {
        match &t.token {
            Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("isnull") => {
                out.push(TokenWithSpan::new(Token::make_keyword("IS"), t.span));
                out.push(TokenWithSpan::new(Token::make_keyword("NULL"), t.span));
            }
            Token::Word(w)
                if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("notnull") =>
            {
                out.push(TokenWithSpan::new(Token::make_keyword("IS"), t.span));
                out.push(TokenWithSpan::new(Token::make_keyword("NOT"), t.span));
                out.push(TokenWithSpan::new(Token::make_keyword("NULL"), t.span));
            }
            _ => out.push(t),
        }
    }
    out
}

/// [`parse`] with sqlparser's PostgreSQL dialect as it is (`plain`) or with the fast path.
fn parse_with(text: &str, pg: dialect::PgDialect) -> Result<sqlparser::ast::Expr, Undecidable> {
    let syntax =
        |e: &dyn std::fmt::Display| Undecidable::Parse(ParseFailure::Syntax(e.to_string()));
    if text.trim().is_empty() {
        return Err(Undecidable::Parse(ParseFailure::Empty));
    }
    let fast = if pg.plain {
        None
    } else {
        tokens::tokenize(text)
    };
    let mut out = match fast {
        Some(toks) => rewrite_postfix_null(toks),
        None => {
            let dialect = PostgreSqlDialect {};
            let toks = Tokenizer::new(&dialect, text)
                .tokenize_with_location()
                .map_err(|e| syntax(&e))?;
            // whitespace and comments mean nothing to the grammar; dropping them saves the
            // parser from skipping them on every look-ahead
            let toks = toks
                .into_iter()
                .filter(|t| !matches!(t.token, Token::Whitespace(_)))
                .collect();
            rewrite_postfix_null(toks)
        }
    };
    // grammar sqlparser lacks (BETWEEN SYMMETRIC, VARIADIC, IS JSON, ...) as markers
    if out.iter().any(|t| markers::may_need(&t.token)) {
        out = markers::rewrite(out).ok_or_else(|| syntax(&"a NUL character"))?;
    }
    // see `PgDialect`: `PRIOR` is read by sqlparser alone
    let prior = |t: &TokenWithSpan| matches!(&t.token, Token::Word(w) if w.keyword == sqlparser::keywords::Keyword::PRIOR);
    let pg = if pg.plain || out.iter().any(prior) {
        dialect::PgDialect { plain: true }
    } else {
        pg
    };
    let mut parser = Parser::new(&pg).with_tokens_with_locations(out);
    let e = parser.parse_expr().map_err(|e| syntax(&e))?;
    match parser.peek_token().token {
        Token::EOF => Ok(e),
        t => Err(Undecidable::Parse(ParseFailure::TrailingText(
            t.to_string(),
        ))),
    }
}
