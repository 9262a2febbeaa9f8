//! Parse analysis: turns sqlparser's syntax tree into the tree PostgreSQL builds
//! (`transformExpr`): column references resolved against the policy's table and the
//! tables of sub-selects, literal types chosen the way operator and function resolution
//! chooses them, IN lists, BETWEEN, IS NOT DISTINCT FROM and friends rewritten.
//!
//! Whenever PostgreSQL's choice depends on something we do not know or do not model, the
//! analysis fails instead of guessing.

use super::lit::{self, UserKind};
use super::print::{bool_ty, is_bool, From, Node, Query, SqlKind, SubKind};
use super::types::{parse_type, Cat, Ty, TypeLookup};
use super::{Catalog, Context, TypeKind};
use crate::ir::Table;
use crate::sql::quote;
use sqlparser::ast::{
    self as sq, BinaryOperator as B, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
    JoinConstraint, JoinOperator, ObjectName, ObjectNamePart, SelectItem, SetExpr, TableFactor,
    UnaryOperator as U, Value,
};

type R<T> = Result<T, String>;

struct Rte<'a> {
    written: String,
    refname: String,
    schema: String,
    relname: String,
    aliased: bool,
    table: Option<&'a Table>,
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

enum PFrom<'q> {
    Rel(From),
    Join(
        &'static str,
        Box<PFrom<'q>>,
        Box<PFrom<'q>>,
        Option<&'q Expr>,
    ),
}

pub struct Analyzer<'a> {
    ctx: &'a Context<'a>,
    cat: &'a Catalog,
    levels: Vec<Vec<Rte<'a>>>,
    mode: Mode,
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

fn res(l: Option<Ty>, r: Option<Ty>, out: Option<Ty>) -> R<OpRes> {
    Ok(OpRes { l, r, out })
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
            _ => Err("unsupported name".to_string()),
        })
        .collect()
}

/// PostgreSQL grammar precedence levels (gram.y), low to high.
fn level(e: &Expr) -> u8 {
    match e {
        Expr::BinaryOp { op, .. } => bin_level(op),
        Expr::UnaryOp { op, .. } => match op {
            U::Not => 3,
            U::Minus | U::Plus => 14,
            _ => 8,
        },
        Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsTrue(_)
        | Expr::IsNotTrue(_)
        | Expr::IsFalse(_)
        | Expr::IsNotFalse(_)
        | Expr::IsUnknown(_)
        | Expr::IsNotUnknown(_)
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..) => 4,
        Expr::Between { .. }
        | Expr::In { .. }
        | Expr::Like { .. }
        | Expr::ILike { .. }
        | Expr::SimilarTo { .. } => 6,
        Expr::AnyOp { compare_op, .. } | Expr::AllOp { compare_op, .. } => bin_level(compare_op),
        Expr::AtTimeZone { .. } => 12,
        Expr::Collate { .. } => 13,
        _ => 100,
    }
}

fn bin_level(op: &B) -> u8 {
    match op {
        B::Or => 1,
        B::And => 2,
        B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq => 5,
        B::Overlaps => 6,
        B::Plus | B::Minus => 9,
        B::Multiply | B::Divide | B::Modulo => 10,
        B::PGExp => 11,
        _ => 8,
    }
}

fn need(e: &Expr, min: u8) -> R<()> {
    if level(e) < min {
        return Err("operator precedence is ambiguous here; add parentheses".into());
    }
    Ok(())
}

fn op_name(op: &B) -> R<&'static str> {
    Ok(match op {
        B::Eq => "=",
        B::NotEq => "<>",
        B::Lt => "<",
        B::LtEq => "<=",
        B::Gt => ">",
        B::GtEq => ">=",
        B::Plus => "+",
        B::Minus => "-",
        B::Multiply => "*",
        B::Divide => "/",
        B::Modulo => "%",
        B::StringConcat => "||",
        B::PGRegexMatch => "~",
        B::PGRegexIMatch => "~*",
        B::PGRegexNotMatch => "!~",
        B::PGRegexNotIMatch => "!~*",
        B::PGLikeMatch => "~~",
        B::PGILikeMatch => "~~*",
        B::PGNotLikeMatch => "!~~",
        B::PGNotILikeMatch => "!~~*",
        B::Arrow => "->",
        B::LongArrow => "->>",
        B::HashArrow => "#>",
        B::HashLongArrow => "#>>",
        B::AtArrow => "@>",
        B::ArrowAt => "<@",
        B::Question => "?",
        B::QuestionAnd => "?&",
        B::QuestionPipe => "?|",
        B::AtQuestion => "@?",
        B::AtAt => "@@",
        B::HashMinus => "#-",
        B::PGOverlap => "&&",
        B::PGExp => "^",
        B::BitwiseAnd => "&",
        B::BitwiseOr => "|",
        B::PGBitwiseXor => "#",
        B::PGBitwiseShiftLeft => "<<",
        B::PGBitwiseShiftRight => ">>",
        other => return Err(format!("unsupported operator {other}")),
    })
}

fn is_cmp(op: &str) -> bool {
    matches!(op, "=" | "<>" | "<" | "<=" | ">" | ">=")
}
fn is_pattern(op: &str) -> bool {
    matches!(
        op,
        "~~" | "~~*" | "!~~" | "!~~*" | "~" | "~*" | "!~" | "!~*"
    )
}

/// Implicit casts between the built-in types we model.
fn can_implicit(from: &Ty, to: &Ty) -> bool {
    if from.same_base(to) {
        return true;
    }
    if from.array && to.array {
        return can_implicit(&from.elem().unwrap(), &to.elem().unwrap());
    }
    if let (Some(a), Some(b)) = (from.num_rank(), to.num_rank()) {
        return a < b;
    }
    if from.is_stringish() && to.is_stringish() {
        return true;
    }
    if from.is("date") && (to.is("timestamp") || to.is("timestamptz")) {
        return true;
    }
    if from.is("timestamp") && to.is("timestamptz") {
        return true;
    }
    false
}

// ---------------------------------------------------------------------------------------
// Operator resolution
// ---------------------------------------------------------------------------------------

fn cmp_known(a: &Ty, b: &Ty) -> R<(Option<Ty>, Option<Ty>)> {
    let bad = || {
        Err(format!(
            "comparison of {} with {} is not modelled offline",
            a.name, b.name
        ))
    };
    if a.same_base(b) {
        if a.is("varchar") {
            return Ok((Some(TEXT), Some(TEXT)));
        }
        if a.is("json") || a.is("xml") || a.is("point") {
            return bad();
        }
        if a.is_user() && !a.is_enum
            || !a.is_user()
                && a.category() == Cat::Other
                && !matches!(
                    &*a.name,
                    "bytea"
                        | "oid"
                        | "char"
                        | "money"
                        | "bit"
                        | "varbit"
                        | "tsvector"
                        | "tsquery"
                        | "macaddr"
                        | "regclass"
                        | "regtype"
                        | "regrole"
                        | "regproc"
                        | "regnamespace"
                        | "pg_lsn"
                )
        {
            return bad();
        }
        return Ok((None, None));
    }
    if let (Some(ra), Some(rb)) = (a.num_rank(), b.num_rank()) {
        if ra <= 2 && rb <= 2 || ra >= 4 && rb >= 4 {
            return Ok((None, None));
        }
        let hi = ra.max(rb);
        if hi == 3 || hi == 5 {
            let target = if hi == 3 { t("numeric") } else { t("float8") };
            return Ok(if ra < rb {
                (Some(target), None)
            } else {
                (None, Some(target))
            });
        }
        return bad();
    }
    if a.is_datetime() && b.is_datetime() {
        return Ok((None, None));
    }
    if a.is_stringish() && b.is_stringish() {
        let (x, y) = (&*a.name, &*b.name);
        return Ok(match (x, y) {
            ("text", "varchar") | ("text", "bpchar") => (None, Some(TEXT)),
            ("varchar", "text") | ("bpchar", "text") => (Some(TEXT), None),
            ("text", "name") | ("name", "text") => (None, None),
            _ => return bad(),
        });
    }
    bad()
}

fn unknown_vs(k: &Ty) -> R<(Option<Ty>, Option<Ty>)> {
    // literal compared with a known type: the literal takes that type
    if k.is("varchar") {
        return Ok((Some(TEXT), Some(TEXT)));
    }
    if k.is("json") || k.is("xml") {
        return Err(format!(
            "comparison with {} is not modelled offline",
            k.name
        ));
    }
    Ok((None, Some(k.without_mods())))
}

fn resolve_cmp(l: In, r: In) -> R<OpRes> {
    let b = Some(bool_ty());
    match (l, r) {
        (In::U, In::U) => res(Some(TEXT), Some(TEXT), b),
        (In::K(k), In::U) => {
            let (kt, ut) = unknown_vs(k)?;
            res(kt, ut, b)
        }
        (In::U, In::K(k)) => {
            let (kt, ut) = unknown_vs(k)?;
            res(ut, kt, b)
        }
        (In::K(x), In::K(y)) => {
            let (a, c) = cmp_known(x, y)?;
            res(a, c, b)
        }
        (In::O, In::U) | (In::U, In::O) => {
            Err("a literal is compared with an expression of unknown type".into())
        }
        _ => res(None, None, b),
    }
}

fn resolve_binop(op: &str, l: In, r: In) -> R<OpRes> {
    let b = Some(bool_ty());
    if is_cmp(op) {
        return resolve_cmp(l, r);
    }
    if is_pattern(op) {
        let side = |x: In| -> R<Option<Ty>> {
            Ok(match x {
                In::U => Some(TEXT),
                In::O => None,
                In::K(k) if k.is("text") => None,
                In::K(k) if k.is_stringish() => Some(TEXT),
                In::K(k) => {
                    return Err(format!(
                        "pattern match on {} is not modelled offline",
                        k.name
                    ))
                }
            })
        };
        let lt = match l {
            In::K(k) if k.is("name") || k.is("bpchar") => None,
            x => side(x)?,
        };
        return res(lt, side(r)?, b);
    }
    let is_json = |x: In| matches!(x, In::K(k) if k.is("json") || k.is("jsonb"));
    let jsonish = |x: In| is_json(x) || matches!(x, In::O);
    match op {
        "->" | "->>" if jsonish(l) => {
            let rt = match r {
                In::U => Some(TEXT),
                In::K(k) if k.is("text") || k.is("int4") => None,
                In::K(k) if k.is("varchar") => Some(TEXT),
                In::O => None,
                _ => return Err("unsupported json accessor".into()),
            };
            let out = if op == "->>" {
                Some(TEXT)
            } else {
                match l {
                    In::K(k) => Some(k.clone()),
                    _ => None,
                }
            };
            return res(None, rt, out);
        }
        "#>" | "#>>" if jsonish(l) => {
            let rt = match r {
                In::U => Some(TEXT.array_of()),
                In::K(k) if k.array && k.name == "text" => None,
                In::O => None,
                _ => return Err("unsupported json path accessor".into()),
            };
            let out = if op == "#>>" {
                Some(TEXT)
            } else {
                match l {
                    In::K(k) => Some(k.clone()),
                    _ => None,
                }
            };
            return res(None, rt, out);
        }
        "?" if jsonish(l) => {
            let rt = match r {
                In::U => Some(TEXT),
                In::K(k) if k.is("text") => None,
                In::K(k) if k.is("varchar") => Some(TEXT),
                In::O => None,
                _ => return Err("unsupported ? operand".into()),
            };
            return res(None, rt, b);
        }
        "?|" | "?&" if jsonish(l) => {
            let rt = match r {
                In::U => Some(TEXT.array_of()),
                In::K(k) if k.array && k.name == "text" => None,
                In::O => None,
                _ => return Err("unsupported ?| operand".into()),
            };
            return res(None, rt, b);
        }
        "@?" | "@@" if jsonish(l) => {
            if matches!(l, In::O) && op == "@@" {
                return Err("@@ on an expression of unknown type".into());
            }
            let rt = match r {
                In::U => Some(t("jsonpath")),
                In::K(k) if k.is("jsonpath") => None,
                In::O => None,
                _ => return Err("unsupported jsonpath operand".into()),
            };
            return res(None, rt, b);
        }
        "#-" if jsonish(l) => {
            let rt = match r {
                In::U => Some(TEXT.array_of()),
                In::K(k) if k.array && k.name == "text" => None,
                In::O => None,
                _ => return Err("unsupported #- operand".into()),
            };
            return res(None, rt, l_ty(l));
        }
        "-" if is_json(l) => {
            let rt = match r {
                In::U => Some(TEXT),
                In::K(k) if k.is("text") || k.is("int4") || (k.array && k.name == "text") => None,
                In::O => None,
                _ => return Err("unsupported jsonb - operand".into()),
            };
            return res(None, rt, l_ty(l));
        }
        "@>" | "<@" | "&&" => {
            return match (l, r) {
                (In::K(a), In::U) if a.is("jsonb") && op != "&&" || a.array => {
                    res(None, Some(a.without_mods()), b)
                }
                (In::U, In::K(a)) if a.is("jsonb") && op != "&&" || a.array => {
                    res(Some(a.without_mods()), None, b)
                }
                (In::K(a), In::K(c))
                    if a.is("jsonb") && c.is("jsonb") && op != "&&"
                        || a.array && c.array && a.same_base(c) =>
                {
                    res(None, None, b)
                }
                (In::O, In::K(_)) | (In::K(_), In::O) | (In::O, In::O) => res(None, None, b),
                _ => Err(format!("operands of {op} are not modelled offline")),
            };
        }
        "||" => return resolve_concat(l, r),
        "+" | "-" | "*" | "/" | "%" => return resolve_arith(op, l, r),
        _ => {}
    }
    match (l, r) {
        (In::U, _) | (_, In::U) => {
            Err(format!("a literal operand of {op} cannot be typed offline"))
        }
        _ => res(None, None, None),
    }
}

fn l_ty(l: In) -> Option<Ty> {
    match l {
        In::K(k) => Some(k.clone()),
        _ => None,
    }
}

fn resolve_concat(l: In, r: In) -> R<OpRes> {
    let s = |x: In| matches!(x, In::U) || matches!(x, In::K(k) if k.is_stringish());
    if s(l) && s(r) {
        let side = |x: In| match x {
            In::K(k) if k.is("text") => None,
            _ => Some(TEXT),
        };
        return res(side(l), side(r), Some(TEXT));
    }
    match (l, r) {
        (In::K(a), In::U) | (In::U, In::K(a)) if a.is("jsonb") => {
            let (x, y) = if matches!(l, In::U) {
                (Some(a.clone()), None)
            } else {
                (None, Some(a.clone()))
            };
            res(x, y, Some(a.clone()))
        }
        (In::K(a), In::K(c)) if a.is("jsonb") && c.is("jsonb") => res(None, None, Some(a.clone())),
        (In::K(a), In::U) if !a.array && !a.is("jsonb") && !a.is_user() => {
            res(None, Some(TEXT), Some(TEXT))
        }
        (In::U, In::K(a)) if !a.array && !a.is("jsonb") && !a.is_user() => {
            res(Some(TEXT), None, Some(TEXT))
        }
        (In::K(a), In::K(c))
            if (a.is("text") && !c.array && !c.is("jsonb") && !c.is_user())
                || (c.is("text") && !a.array && !a.is("jsonb") && !a.is_user()) =>
        {
            res(None, None, Some(TEXT))
        }
        (In::U, _) | (_, In::U) => Err("a literal operand of || cannot be typed offline".into()),
        (In::K(a), In::K(c)) if a.array || c.array => {
            Err("array concatenation is not modelled offline".into())
        }
        _ => res(None, None, None),
    }
}

fn resolve_arith(op: &str, l: In, r: In) -> R<OpRes> {
    let bad = || Err(format!("operands of {op} are not modelled offline"));
    match (l, r) {
        (In::K(a), In::K(c)) => {
            if let (Some(ra), Some(rc)) = (a.num_rank(), c.num_rank()) {
                if ra <= 2 && rc <= 2 {
                    let out = if ra >= rc {
                        a.without_mods()
                    } else {
                        c.without_mods()
                    };
                    return res(None, None, Some(out));
                }
                if ra >= 4 && rc >= 4 {
                    return res(
                        None,
                        None,
                        Some(t(if ra == 5 || rc == 5 {
                            "float8"
                        } else {
                            "float4"
                        })),
                    );
                }
                let hi = ra.max(rc);
                if ra == rc {
                    return res(None, None, Some(a.without_mods()));
                }
                if hi == 3 || hi == 5 {
                    let target = if hi == 3 { t("numeric") } else { t("float8") };
                    return Ok(if ra < rc {
                        OpRes {
                            l: Some(target.clone()),
                            r: None,
                            out: Some(target),
                        }
                    } else {
                        OpRes {
                            l: None,
                            r: Some(target.clone()),
                            out: Some(target),
                        }
                    });
                }
                return bad();
            }
            let (x, y) = (&*a.name, &*c.name);
            if a.array || c.array || a.is_user() || c.is_user() {
                return bad();
            }
            let out = match (op, x, y) {
                ("+", "date", "int4") | ("+", "int4", "date") | ("-", "date", "int4") => "date",
                ("-", "date", "date") => "int4",
                ("+" | "-", "date", "interval") | ("+", "interval", "date") => "timestamp",
                ("+" | "-", "timestamptz", "interval") | ("+", "interval", "timestamptz") => {
                    "timestamptz"
                }
                ("+" | "-", "timestamp", "interval") | ("+", "interval", "timestamp") => {
                    "timestamp"
                }
                ("-", "timestamptz", "timestamptz") | ("-", "timestamp", "timestamp") => "interval",
                ("+" | "-", "interval", "interval") => "interval",
                ("*" | "/", "interval", "float8") | ("*", "float8", "interval") => "interval",
                ("*" | "/", "interval", _) if c.num_rank().is_some() => {
                    return res(None, Some(t("float8")), Some(t("interval")));
                }
                ("*", _, "interval") if a.num_rank().is_some() => {
                    return res(Some(t("float8")), None, Some(t("interval")));
                }
                _ => return bad(),
            };
            res(None, None, Some(t(out)))
        }
        (In::K(a), In::U) | (In::U, In::K(a)) => {
            let left_known = matches!(l, In::K(_));
            let lit = a.without_mods();
            let out = if a.num_rank().is_some() {
                Some(lit.clone())
            } else if op == "-" && left_known && a.is("date") {
                Some(t("int4"))
            } else if (op == "-" && left_known && (a.is("timestamptz") || a.is("timestamp")))
                || ((op == "+" || op == "-") && a.is("interval"))
            {
                Some(t("interval"))
            } else {
                return bad();
            };
            if left_known {
                res(None, Some(lit), out)
            } else {
                res(Some(lit), None, out)
            }
        }
        (In::U, _) | (_, In::U) => bad(),
        _ => res(None, None, None),
    }
}

/// `select_common_type`.
fn common_type(tys: &[In]) -> R<Ty> {
    let mut first: Option<&Ty> = None;
    let mut all_same = true;
    for x in tys {
        match x {
            In::O => return Err("expression of unknown type in a list".into()),
            In::U => all_same = false,
            In::K(k) => match first {
                None => first = Some(k),
                Some(f) => {
                    if !f.same_base(k) {
                        all_same = false
                    }
                }
            },
        }
    }
    if let (true, Some(f)) = (all_same, first) {
        return Ok(f.without_mods());
    }
    let mut p: Option<&Ty> = None;
    for x in tys {
        if let In::K(n) = x {
            match p {
                None => p = Some(n),
                Some(pt) if pt.same_base(n) => {}
                Some(pt) => {
                    if pt.category() != n.category()
                        || pt.category() == Cat::User
                        || pt.category() == Cat::Other
                        || pt.category() == Cat::Array
                    {
                        return Err(format!("no common type for {} and {}", pt.name, n.name));
                    }
                    if !pt.preferred() && can_implicit(pt, n) && !can_implicit(n, pt) {
                        p = Some(n);
                    }
                }
            }
        }
    }
    Ok(p.map(|t| t.without_mods()).unwrap_or(TEXT))
}

// ---------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------

/// Built-in functions: name, argument types, result (a leading `*` marks set-returning).
const BUILTINS: &[(&str, &[&str], &str)] = &[
    ("current_setting", &["text"], "text"),
    ("current_setting", &["text", "bool"], "text"),
    ("set_config", &["text", "text", "bool"], "text"),
    ("now", &[], "timestamptz"),
    ("statement_timestamp", &[], "timestamptz"),
    ("transaction_timestamp", &[], "timestamptz"),
    ("clock_timestamp", &[], "timestamptz"),
    ("lower", &["text"], "text"),
    ("upper", &["text"], "text"),
    ("initcap", &["text"], "text"),
    ("length", &["text"], "int4"),
    ("length", &["bpchar"], "int4"),
    ("length", &["bytea"], "int4"),
    ("char_length", &["text"], "int4"),
    ("char_length", &["bpchar"], "int4"),
    ("character_length", &["text"], "int4"),
    ("character_length", &["bpchar"], "int4"),
    ("octet_length", &["text"], "int4"),
    ("btrim", &["text"], "text"),
    ("btrim", &["text", "text"], "text"),
    ("ltrim", &["text"], "text"),
    ("ltrim", &["text", "text"], "text"),
    ("rtrim", &["text"], "text"),
    ("rtrim", &["text", "text"], "text"),
    ("split_part", &["text", "text", "int4"], "text"),
    ("string_to_array", &["text", "text"], "text[]"),
    ("string_to_array", &["text", "text", "text"], "text[]"),
    ("array_to_string", &["anyarray", "text"], "text"),
    ("array_to_string", &["anyarray", "text", "text"], "text"),
    (
        "array_position",
        &["anycompatiblearray", "anycompatible"],
        "int4",
    ),
    ("array_length", &["anyarray", "int4"], "int4"),
    ("cardinality", &["anyarray"], "int4"),
    ("unnest", &["anyarray"], "*anyelement"),
    ("date_trunc", &["text", "timestamptz"], "timestamptz"),
    ("date_trunc", &["text", "timestamp"], "timestamp"),
    ("date_trunc", &["text", "interval"], "interval"),
    (
        "date_trunc",
        &["text", "timestamptz", "text"],
        "timestamptz",
    ),
    ("date_part", &["text", "timestamptz"], "float8"),
    ("date_part", &["text", "timestamp"], "float8"),
    ("date_part", &["text", "date"], "float8"),
    ("date_part", &["text", "interval"], "float8"),
    ("timezone", &["text", "timestamptz"], "timestamp"),
    ("timezone", &["text", "timestamp"], "timestamptz"),
    ("age", &["timestamptz", "timestamptz"], "interval"),
    ("age", &["timestamptz"], "interval"),
    ("to_char", &["timestamptz", "text"], "text"),
    ("to_char", &["timestamp", "text"], "text"),
    ("to_char", &["numeric", "text"], "text"),
    ("pg_has_role", &["name", "text"], "bool"),
    ("pg_has_role", &["oid", "text"], "bool"),
    ("pg_has_role", &["name", "name", "text"], "bool"),
    ("pg_has_role", &["name", "oid", "text"], "bool"),
    ("pg_has_role", &["oid", "name", "text"], "bool"),
    ("pg_has_role", &["oid", "oid", "text"], "bool"),
    ("inet_client_addr", &[], "inet"),
    ("inet_server_addr", &[], "inet"),
    ("gen_random_uuid", &[], "uuid"),
    ("jsonb_typeof", &["jsonb"], "text"),
    ("jsonb_array_length", &["jsonb"], "int4"),
    ("jsonb_array_elements_text", &["jsonb"], "*text"),
    ("jsonb_object_keys", &["jsonb"], "*text"),
    ("json_typeof", &["json"], "text"),
    ("left", &["text", "int4"], "text"),
    ("right", &["text", "int4"], "text"),
    ("substr", &["text", "int4"], "text"),
    ("substr", &["text", "int4", "int4"], "text"),
    ("substring", &["text", "int4"], "text"),
    ("substring", &["text", "int4", "int4"], "text"),
    ("strpos", &["text", "text"], "int4"),
    ("starts_with", &["text", "text"], "bool"),
    ("replace", &["text", "text", "text"], "text"),
    ("md5", &["text"], "text"),
    ("reverse", &["text"], "text"),
    ("abs", &["int4"], "int4"),
    ("abs", &["int8"], "int8"),
    ("abs", &["numeric"], "numeric"),
    ("abs", &["float8"], "float8"),
    ("random", &[], "float8"),
    ("current_database", &[], "name"),
    ("current_schema", &[], "name"),
    ("pg_backend_pid", &[], "int4"),
    ("txid_current", &[], "int8"),
    ("to_timestamp", &["float8"], "timestamptz"),
];

/// Further pg_catalog function names (only their existence matters: a user function of the
/// same name is shadowed).
const OTHER_BUILTIN_NAMES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "array_agg",
    "string_agg",
    "bool_and",
    "bool_or",
    "concat",
    "concat_ws",
    "format",
    "coalesce",
    "greatest",
    "least",
    "nullif",
    "exists",
    "has_table_privilege",
    "has_schema_privilege",
    "has_column_privilege",
    "has_function_privilege",
    "current_user",
    "session_user",
    "user",
    "version",
    "to_jsonb",
    "to_json",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "json_extract_path_text",
    "jsonb_path_exists",
    "jsonb_path_match",
    "regexp_replace",
    "regexp_match",
    "regexp_matches",
    "position",
    "overlay",
    "trim",
    "encode",
    "decode",
    "round",
    "floor",
    "ceil",
    "ceiling",
    "trunc",
    "date",
    "make_date",
    "make_interval",
    "extract",
    "array_append",
    "array_prepend",
    "array_cat",
    "array_remove",
    "array_replace",
    "array_dims",
    "array_lower",
    "array_upper",
    "generate_series",
    "row_number",
    "rank",
    "lag",
    "lead",
    "uuid_in",
    "text",
    "int4",
    "int8",
    "numeric",
    "bool",
    "name",
    "inet",
    "host",
    "family",
    "masklen",
    "set_masklen",
    "pg_get_userbyid",
    "obj_description",
    "to_date",
    "to_number",
    "lpad",
    "rpad",
    "repeat",
    "ascii",
    "chr",
    "quote_ident",
    "quote_literal",
    "quote_nullable",
    "translate",
    "sha256",
    "digest",
    "isfinite",
    "justify_days",
    "justify_hours",
    "localtime",
    "timeofday",
    "pi",
    "sign",
    "sqrt",
    "cbrt",
    "exp",
    "ln",
    "log",
    "log10",
    "power",
    "mod",
    "div",
    "width_bucket",
    "array_ndims",
    "string_to_table",
    "to_tsvector",
    "to_tsquery",
    "plainto_tsquery",
    "websearch_to_tsquery",
    "phraseto_tsquery",
    "ts_rank",
    "setweight",
    "jsonb_set",
    "jsonb_insert",
    "jsonb_strip_nulls",
    "jsonb_pretty",
    "jsonb_each",
    "jsonb_each_text",
    "jsonb_array_elements",
    "json_array_elements",
    "json_each",
    "row_to_json",
    "array_to_json",
    "lower_inf",
    "upper_inf",
    "isempty",
    "range_merge",
    "num_nonnulls",
    "num_nulls",
    "current_query",
    "pg_current_xact_id",
    "inet_client_port",
    "session_user",
    "uuid_send",
    "convert_from",
    "convert_to",
    "bit_length",
    "char_length",
    "octet_length",
    "overlaps",
    "date_bin",
    "make_timestamp",
    "make_timestamptz",
    "epoch",
    "hashtext",
    "gen_random_bytes",
];

fn is_builtin_fn(name: &str) -> bool {
    BUILTINS.iter().any(|(n, _, _)| *n == name) || OTHER_BUILTIN_NAMES.contains(&name)
}

struct Cand {
    schema: String,
    args: Vec<Ty>,
    ret: Ty,
    set: bool,
}

fn poly(t: &Ty) -> Option<&'static str> {
    if t.schema.is_some() || t.array {
        return None;
    }
    match &*t.name {
        "anyarray" | "anycompatiblearray" => Some("array"),
        "anyelement" | "anycompatible" | "anynonarray" => Some("elem"),
        _ => None,
    }
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
            written: ctx.table.name.clone(),
            refname: ctx.table.name.clone(),
            schema: ctx.table.schema.clone(),
            relname: ctx.table.name.clone(),
            aliased: false,
            table,
        };
        Analyzer {
            ctx,
            cat,
            levels: vec![vec![top]],
            mode,
        }
    }

    pub fn top(&mut self, e: &Expr) -> R<Node> {
        let n = self.expr(e)?;
        self.to_bool(n)
    }

    fn ty(&self, s: &str) -> R<Ty> {
        parse_type(s, self, self.ctx.search_path)
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

    fn coerce_unknown(&self, n: Node, t: &Ty) -> R<Node> {
        match n {
            Node::Const {
                text: Some(v),
                ty: None,
            } => {
                let f = |x: &Ty| self.user_kind(x);
                let out = lit::output(&v, t, &f)?;
                Ok(Node::Const {
                    text: Some(out),
                    ty: Some(t.clone()),
                })
            }
            Node::Const {
                text: None,
                ty: None,
            } => Ok(Node::Const {
                text: None,
                ty: Some(t.clone()),
            }),
            other => Ok(other),
        }
    }

    fn apply(&self, n: Node, target: Option<Ty>) -> R<Node> {
        let Some(t) = target else { return Ok(n) };
        if n.is_unknown_lit() {
            return self.coerce_unknown(n, &t);
        }
        match n.ty() {
            Some(nt) if nt.same_base(&t) => Ok(n),
            Some(nt) if !can_implicit(nt, &t) => {
                Err(format!("no implicit cast from {} to {}", nt.name, t.name))
            }
            _ => Ok(Node::Cast {
                arg: Box::new(n),
                ty: t,
                implicit: true,
            }),
        }
    }

    fn to_bool(&self, n: Node) -> R<Node> {
        if n.is_unknown_lit() {
            return self.coerce_unknown(n, &bool_ty());
        }
        match n.ty() {
            Some(t) if !is_bool(t) => Err(format!("argument must be boolean, not {}", t.name)),
            _ => Ok(n),
        }
    }

    fn explicit_cast(&self, n: Node, t: Ty) -> R<Node> {
        if n.is_unknown_lit() {
            if t.is("interval") && !t.mods.is_empty() {
                return Err("interval type modifiers are not modelled offline".into());
            }
            let base = t.without_mods();
            let c = self.coerce_unknown(n, &base)?;
            return Ok(if t.mods.is_empty() {
                c
            } else {
                Node::Cast {
                    arg: Box::new(c),
                    ty: t,
                    implicit: false,
                }
            });
        }
        if let Some(nt) = n.ty() {
            if *nt == t {
                return Ok(n);
            }
        }
        Ok(Node::Cast {
            arg: Box::new(n),
            ty: t,
            implicit: false,
        })
    }

    // -----------------------------------------------------------------------------------

    fn expr(&mut self, e: &Expr) -> R<Node> {
        match e {
            Expr::Nested(inner) => {
                // `(- 1)` is how pg_get_expr prints minus applied to a constant, while the
                // grammar folds a written `(-1)` into a negative constant
                if self.mode == Mode::Generic && is_negated_number(inner) {
                    return Err("a parenthesized negative number means different trees in written and stored text; compare with a known origin".into());
                }
                self.expr(inner)
            }
            Expr::Identifier(id) => {
                if id.quote_style.is_none() {
                    let kw = match id.value.to_ascii_lowercase().as_str() {
                        "current_role" => Some(("CURRENT_ROLE", "name")),
                        "current_user" => Some(("CURRENT_USER", "name")),
                        "session_user" => Some(("SESSION_USER", "name")),
                        "user" => Some(("USER", "name")),
                        "current_catalog" => Some(("CURRENT_CATALOG", "name")),
                        "current_schema" => Some(("CURRENT_SCHEMA", "name")),
                        "current_date" => Some(("CURRENT_DATE", "date")),
                        "current_timestamp" => Some(("CURRENT_TIMESTAMP", "timestamptz")),
                        "localtimestamp" => Some(("LOCALTIMESTAMP", "timestamp")),
                        "current_time" => Some(("CURRENT_TIME", "timetz")),
                        "localtime" => Some(("LOCALTIME", "time")),
                        _ => None,
                    };
                    if let Some((kw, ty)) = kw {
                        return Ok(Node::SqlValue { kw, ty: t(ty) });
                    }
                }
                self.column(&[fold(id)])
            }
            Expr::CompoundIdentifier(ids) => {
                let parts: Vec<String> = ids.iter().map(fold).collect();
                self.column(&parts)
            }
            Expr::Value(v) => self.value(&v.value),
            Expr::TypedString(ts) => {
                let ty = self.ty(&ts.data_type.to_string())?;
                let s = string_value(&ts.value.value).ok_or("unsupported typed literal")?;
                self.explicit_cast(
                    Node::Const {
                        text: Some(s),
                        ty: None,
                    },
                    ty,
                )
            }
            Expr::Interval(iv) => {
                if iv.leading_field.is_some()
                    || iv.last_field.is_some()
                    || iv.leading_precision.is_some()
                    || iv.fractional_seconds_precision.is_some()
                {
                    return Err("interval qualifiers are not modelled offline".into());
                }
                let s = match &*iv.value {
                    Expr::Value(v) => {
                        string_value(&v.value).ok_or("unsupported interval literal")?
                    }
                    _ => return Err("unsupported interval literal".into()),
                };
                self.explicit_cast(
                    Node::Const {
                        text: Some(s),
                        ty: None,
                    },
                    t("interval"),
                )
            }
            Expr::Cast {
                kind,
                expr,
                data_type,
                format,
            } => {
                if format.is_some()
                    || !matches!(kind, sq::CastKind::DoubleColon | sq::CastKind::Cast)
                {
                    return Err("unsupported cast".into());
                }
                let ty = self.ty(&data_type.to_string())?;
                let n = self.expr(expr)?;
                self.explicit_cast(n, ty)
            }
            Expr::IsNull(a) | Expr::IsNotNull(a) => {
                need(a, 5)?;
                let n = self.expr(a)?;
                if n.is_unknown_lit() {
                    return Err("IS NULL on an untyped literal".into());
                }
                Ok(Node::NullTest {
                    arg: Box::new(n),
                    not: matches!(e, Expr::IsNotNull(_)),
                })
            }
            Expr::IsTrue(a)
            | Expr::IsNotTrue(a)
            | Expr::IsFalse(a)
            | Expr::IsNotFalse(a)
            | Expr::IsUnknown(a)
            | Expr::IsNotUnknown(a) => {
                need(a, 5)?;
                let what = match e {
                    Expr::IsTrue(_) => "IS TRUE",
                    Expr::IsNotTrue(_) => "IS NOT TRUE",
                    Expr::IsFalse(_) => "IS FALSE",
                    Expr::IsNotFalse(_) => "IS NOT FALSE",
                    Expr::IsUnknown(_) => "IS UNKNOWN",
                    _ => "IS NOT UNKNOWN",
                };
                let n = self.expr(a)?;
                let n = self.to_bool(n)?;
                Ok(Node::BoolTest {
                    arg: Box::new(n),
                    what,
                })
            }
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
                need(a, 5)?;
                need(b, 5)?;
                let l = self.expr(a)?;
                let r = self.expr(b)?;
                let rs = resolve_cmp(inp(&l), inp(&r))?;
                let l = self.apply(l, rs.l)?;
                let r = self.apply(r, rs.r)?;
                let d = Node::Distinct {
                    l: Box::new(l),
                    r: Box::new(r),
                };
                Ok(if matches!(e, Expr::IsNotDistinctFrom(..)) {
                    Node::Not(Box::new(d))
                } else {
                    d
                })
            }
            Expr::In {
                expr,
                target,
                negated,
                global,
            } => {
                if *global {
                    return Err("unsupported IN".into());
                }
                need(expr, 7)?;
                match target {
                    sq::InTarget::List(list) => self.in_list(expr, list, *negated),
                    sq::InTarget::Subquery(q) => {
                        let l = self.expr(expr)?;
                        let n = self.any_sublink("=", true, l, q)?;
                        Ok(if *negated { Node::Not(Box::new(n)) } else { n })
                    }
                    _ => Err("unsupported IN".into()),
                }
            }
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                need(expr, 7)?;
                need(low, 7)?;
                need(high, 7)?;
                let (o1, o2) = if *negated { ("<", ">") } else { (">=", "<=") };
                let a = self.binop_expr(o1, expr, low)?;
                let b = self.binop_expr(o2, expr, high)?;
                Ok(if *negated {
                    Node::Or(vec![a, b])
                } else {
                    Node::And(vec![a, b])
                })
            }
            Expr::BinaryOp { left, op, right } => self.binary(e, left, op, right),
            Expr::UnaryOp { op, expr } => {
                match op {
                    U::Not => {
                        need(expr, 3)?;
                        let n = self.expr(expr)?;
                        Ok(Node::Not(Box::new(self.to_bool(n)?)))
                    }
                    U::Minus | U::Plus => {
                        // the grammar folds a minus sign into a numeric literal, even
                        // through parentheses
                        let mut inner: &Expr = expr;
                        while let Expr::Nested(i) = inner {
                            inner = i;
                        }
                        if let (U::Minus, Expr::Value(v), false) =
                            (op, inner, self.mode == Mode::Stored)
                        {
                            if let Value::Number(s, _) = &v.value {
                                return number(&format!("-{s}"));
                            }
                        }
                        need(expr, 14)?;
                        let n = self.expr(expr)?;
                        let ty = match inp(&n) {
                            In::K(k) if k.num_rank().is_some() || k.is("interval") => {
                                Some(k.without_mods())
                            }
                            In::O => None,
                            _ => return Err("unsupported prefix operator operand".into()),
                        };
                        let name = if matches!(op, U::Minus) { "-" } else { "+" };
                        Ok(Node::Op {
                            name,
                            l: None,
                            r: Box::new(n),
                            ty,
                        })
                    }
                    _ => Err(format!("unsupported prefix operator {op}")),
                }
            }
            Expr::Like {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            }
            | Expr::ILike {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => {
                if escape_char.is_some() {
                    return Err("LIKE ... ESCAPE is not modelled offline".into());
                }
                need(expr, 7)?;
                need(pattern, 7)?;
                let ilike = matches!(e, Expr::ILike { .. });
                let op = match (ilike, *negated) {
                    (false, false) => "~~",
                    (false, true) => "!~~",
                    (true, false) => "~~*",
                    (true, true) => "!~~*",
                };
                if *any {
                    let l = self.expr(expr)?;
                    let r = self.expr(pattern)?;
                    return self.saop(op, true, l, r);
                }
                self.binop_expr(op, expr, pattern)
            }
            Expr::AnyOp {
                left,
                compare_op,
                right,
                ..
            }
            | Expr::AllOp {
                left,
                compare_op,
                right,
            } => {
                let any = matches!(e, Expr::AnyOp { .. });
                let op = op_name(compare_op)?;
                need(left, bin_level(compare_op) + 1)?;
                let l = self.expr(left)?;
                if let Expr::Subquery(q) = &**right {
                    return self.any_sublink(op, any, l, q);
                }
                if let Expr::Nested(inner) = &**right {
                    if matches!(**inner, Expr::Subquery(_)) {
                        return Err(
                            "ANY over a parenthesized sub-select is not modelled offline".into(),
                        );
                    }
                }
                let r = self.expr(right)?;
                self.saop(op, any, l, r)
            }
            Expr::Function(f) => self.function(f),
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.case(operand.as_deref(), conditions, else_result.as_deref()),
            Expr::Exists { subquery, negated } => {
                let q = self.query(subquery)?;
                let n = Node::Sublink {
                    kind: SubKind::Exists,
                    query: Box::new(q.0),
                    ty: Some(bool_ty()),
                };
                Ok(if *negated { Node::Not(Box::new(n)) } else { n })
            }
            Expr::Subquery(q) => {
                let (q, tys) = self.query(q)?;
                if tys.len() != 1 {
                    return Err("sub-select must return one column".into());
                }
                Ok(Node::Sublink {
                    kind: SubKind::Expr,
                    query: Box::new(q),
                    ty: tys.into_iter().next().unwrap(),
                })
            }
            Expr::Array(arr) => {
                if !arr.named {
                    return Err("unsupported array syntax".into());
                }
                self.array(&arr.elem)
            }
            Expr::CompoundFieldAccess { root, access_chain } => {
                let base = self.expr(root)?;
                let mut subs = Vec::new();
                let mut slice_any = false;
                for a in access_chain {
                    match a {
                        sq::AccessExpr::Subscript(sq::Subscript::Index { index }) => {
                            let i = self.expr(index)?;
                            subs.push((None, Some(self.int_index(i)?), false));
                        }
                        sq::AccessExpr::Subscript(sq::Subscript::Slice {
                            lower_bound,
                            upper_bound,
                            stride: None,
                        }) => {
                            let lo = match lower_bound {
                                Some(x) => {
                                    let n = self.expr(x)?;
                                    Some(self.int_index(n)?)
                                }
                                None => None,
                            };
                            let hi = match upper_bound {
                                Some(x) => {
                                    let n = self.expr(x)?;
                                    Some(self.int_index(n)?)
                                }
                                None => None,
                            };
                            slice_any = true;
                            subs.push((lo, hi, true));
                        }
                        _ => return Err("unsupported field access".into()),
                    }
                }
                let ty = match inp(&base) {
                    In::K(k) if k.array => Some(if slice_any {
                        k.without_mods()
                    } else {
                        k.elem().unwrap()
                    }),
                    In::K(k) if k.is("jsonb") => {
                        return Err(format!("subscripting {} is not modelled offline", k.name))
                    }
                    In::O => None,
                    _ => return Err("subscript on a non-array".into()),
                };
                Ok(Node::Subscript {
                    base: Box::new(base),
                    subs,
                    ty,
                })
            }
            Expr::Extract {
                field,
                syntax,
                expr,
            } => {
                if !matches!(syntax, sq::ExtractSyntax::From) {
                    return Err("unsupported EXTRACT syntax".into());
                }
                let f = field.to_string().to_ascii_lowercase();
                if !f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err("unsupported EXTRACT field".into());
                }
                let n = self.expr(expr)?;
                match inp(&n) {
                    In::K(k)
                        if k.is_datetime()
                            || k.is("time")
                            || k.is("timetz")
                            || k.is("interval") => {}
                    In::O => {}
                    _ => return Err("EXTRACT argument type is not modelled offline".into()),
                }
                Ok(Node::Sql {
                    kind: SqlKind::Extract(f),
                    args: vec![n],
                    ty: Some(t("numeric")),
                })
            }
            Expr::Substring {
                expr,
                substring_from,
                substring_for,
                special,
                shorthand,
            } => {
                if *shorthand {
                    return Err("unsupported SUBSTRING syntax".into());
                }
                let mut args = vec![self.expr(expr)?];
                if let Some(f) = substring_from {
                    args.push(self.expr(f)?);
                } else {
                    return Err("SUBSTRING without FROM is not modelled offline".into());
                }
                if let Some(f) = substring_for {
                    args.push(self.expr(f)?);
                }
                if *special {
                    let name = vec![("substring".to_string(), false)];
                    return self.call(&name, args);
                }
                if args
                    .iter()
                    .skip(1)
                    .any(|a| !matches!(inp(a), In::K(k) if k.is_int()))
                {
                    return Err("SUBSTRING bounds must be integers to be modelled offline".into());
                }
                let (node, _) = self.resolve_call(&[("substring".to_string(), false)], args)?;
                match node {
                    Node::Func { args, ty, .. } => Ok(Node::Sql {
                        kind: SqlKind::Substring,
                        args,
                        ty,
                    }),
                    _ => unreachable!(),
                }
            }
            Expr::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                if trim_characters.is_some() {
                    return Err("unsupported TRIM syntax".into());
                }
                let (fname, kw) = match trim_where {
                    None | Some(sq::TrimWhereField::Both) => ("btrim", "BOTH"),
                    Some(sq::TrimWhereField::Leading) => ("ltrim", "LEADING"),
                    Some(sq::TrimWhereField::Trailing) => ("rtrim", "TRAILING"),
                };
                let mut args = vec![self.expr(expr)?];
                if let Some(w) = trim_what {
                    args.push(self.expr(w)?);
                }
                let (node, _) = self.resolve_call(&[(fname.to_string(), false)], args)?;
                match node {
                    Node::Func { args, ty, .. } => Ok(Node::Sql {
                        kind: SqlKind::Trim(kw),
                        args,
                        ty,
                    }),
                    _ => unreachable!(),
                }
            }
            Expr::Position { expr, r#in } => {
                let sub = self.expr(expr)?;
                let s = self.expr(r#in)?;
                let (node, _) =
                    self.resolve_call(&[("strpos".to_string(), false)], vec![s, sub])?;
                match node {
                    Node::Func { args, ty, .. } => Ok(Node::Sql {
                        kind: SqlKind::Position,
                        args,
                        ty,
                    }),
                    _ => unreachable!(),
                }
            }
            Expr::AtTimeZone {
                timestamp,
                time_zone,
            } => {
                need(timestamp, 12)?;
                need(time_zone, 13)?;
                let ts = self.expr(timestamp)?;
                let z = self.expr(time_zone)?;
                let out = match inp(&ts) {
                    In::K(k) if k.is("timestamptz") => t("timestamp"),
                    In::K(k) if k.is("timestamp") => t("timestamptz"),
                    _ => return Err("AT TIME ZONE operand type is not modelled offline".into()),
                };
                let z = match inp(&z) {
                    In::U => self.coerce_unknown(z, &TEXT)?,
                    In::K(k) if k.is("text") => z,
                    _ => return Err("AT TIME ZONE zone type is not modelled offline".into()),
                };
                Ok(Node::Sql {
                    kind: SqlKind::AtTimeZone,
                    args: vec![z, ts],
                    ty: Some(out),
                })
            }
            _ => Err("this expression syntax is not modelled offline".into()),
        }
    }

    fn int_index(&self, n: Node) -> R<Node> {
        match inp(&n) {
            In::U => self.coerce_unknown(n, &t("int4")),
            In::K(k) if k.is("int4") => Ok(n),
            In::K(k) if k.is("int2") => self.apply(n, Some(t("int4"))),
            In::O => Ok(n),
            _ => Err("array subscript must be an integer".into()),
        }
    }

    fn value(&self, v: &Value) -> R<Node> {
        match v {
            Value::Number(s, _) => number(s),
            Value::Boolean(b) => Ok(Node::Const {
                text: Some(if *b { "true" } else { "false" }.into()),
                ty: Some(bool_ty()),
            }),
            Value::Null => Ok(Node::Const {
                text: None,
                ty: None,
            }),
            other => match string_value(other) {
                Some(s) => Ok(Node::Const {
                    text: Some(s),
                    ty: None,
                }),
                None => Err("unsupported literal".into()),
            },
        }
    }

    fn binary(&mut self, e: &Expr, left: &Expr, op: &B, right: &Expr) -> R<Node> {
        let lv = bin_level(op);
        match op {
            B::And | B::Or => {
                need(left, lv)?;
                need(right, lv + 1)?;
                // the grammar flattens a left operand that is itself AND (OR) on sight
                let mut args = Vec::new();
                let mut spine = vec![right];
                let mut cur = left;
                loop {
                    let mut c = cur;
                    while let Expr::Nested(inner) = c {
                        c = inner;
                    }
                    let parenthesized = !std::ptr::eq(c, cur);
                    match c {
                        Expr::BinaryOp { op: o2, .. }
                            if o2 == op && parenthesized && self.mode == Mode::Stored =>
                        {
                            spine.push(cur);
                            break;
                        }
                        Expr::BinaryOp { op: o2, .. }
                            if o2 == op && parenthesized && self.mode == Mode::Generic =>
                        {
                            return Err("a parenthesized AND/OR group as the left operand of the same operator means different trees in written and stored text; compare with a known origin".into());
                        }
                        Expr::BinaryOp {
                            left: l2,
                            op: o2,
                            right: r2,
                        } if o2 == op => {
                            need(l2, lv)?;
                            need(r2, lv + 1)?;
                            spine.push(r2);
                            cur = l2;
                        }
                        _ => {
                            spine.push(cur);
                            break;
                        }
                    }
                }
                for x in spine.into_iter().rev() {
                    let n = self.expr(x)?;
                    args.push(self.to_bool(n)?);
                }
                Ok(if matches!(op, B::And) {
                    Node::And(args)
                } else {
                    Node::Or(args)
                })
            }
            B::Overlaps => {
                let (Expr::Tuple(a), Expr::Tuple(b)) = (left, right) else {
                    return Err("OVERLAPS needs two pairs".into());
                };
                if a.len() != 2 || b.len() != 2 {
                    return Err("OVERLAPS needs two pairs".into());
                }
                let mut args = Vec::new();
                for x in a.iter().chain(b.iter()) {
                    args.push(self.expr(x)?);
                }
                let ins: Vec<In> = args.iter().map(inp).collect();
                let ct = common_type(&ins)?;
                if !(ct.is_datetime() || ct.is("time") || ct.is("timetz"))
                    || ins
                        .iter()
                        .any(|x| matches!(x, In::K(k) if !k.same_base(&ct)))
                {
                    return Err("OVERLAPS operand types are not modelled offline".into());
                }
                let mut out = Vec::new();
                for a in args {
                    out.push(self.apply(a, Some(ct.clone()))?);
                }
                Ok(Node::Sql {
                    kind: SqlKind::Overlaps,
                    args: out,
                    ty: Some(bool_ty()),
                })
            }
            _ => {
                let name = op_name(op)?;
                if lv == 5 {
                    need(left, lv + 1)?;
                } else {
                    need(left, lv)?;
                }
                need(right, lv + 1)?;
                if let (Expr::Tuple(a), Expr::Tuple(b)) = (left, right) {
                    return self.row_cmp(name, a, b);
                }
                let _ = e;
                self.binop_expr(name, left, right)
            }
        }
    }

    fn row_cmp(&mut self, op: &'static str, a: &[Expr], b: &[Expr]) -> R<Node> {
        if a.len() != b.len() || !(op == "=" || op == "<>") {
            return Err("row comparison is not modelled offline".into());
        }
        let mut out = Vec::new();
        for (x, y) in a.iter().zip(b) {
            out.push(self.binop_expr(op, x, y)?);
        }
        Ok(if op == "=" {
            Node::And(out)
        } else {
            Node::Or(out)
        })
    }

    fn binop_expr(&mut self, op: &'static str, left: &Expr, right: &Expr) -> R<Node> {
        let l = self.expr(left)?;
        let r = self.expr(right)?;
        self.binop(op, l, r)
    }

    fn binop(&self, op: &'static str, l: Node, r: Node) -> R<Node> {
        let rs = resolve_binop(op, inp(&l), inp(&r))?;
        let l = self.apply(l, rs.l)?;
        let r = self.apply(r, rs.r)?;
        Ok(Node::Op {
            name: op,
            l: Some(Box::new(l)),
            r: Box::new(r),
            ty: rs.out,
        })
    }

    fn saop(&self, op: &'static str, any: bool, l: Node, r: Node) -> R<Node> {
        if !(is_cmp(op) || is_pattern(op)) {
            return Err(format!("{op} ANY is not modelled offline"));
        }
        let elem: Option<Ty>;
        let r_in = match inp(&r) {
            In::U => In::U,
            In::O => In::O,
            In::K(k) if k.array => {
                elem = k.elem();
                In::K(elem.as_ref().unwrap())
            }
            In::K(_) => return Err("ANY/ALL needs an array".into()),
        };
        let rs = resolve_binop(op, inp(&l), r_in)?;
        let r_target = match (&rs.r, inp(&r)) {
            (Some(et), In::U) => Some(et.clone().array_of()),
            (Some(et), In::K(k)) if !k.elem().map(|x| x.same_base(et)).unwrap_or(false) => {
                Some(et.clone().array_of())
            }
            _ => None,
        };
        let l = self.apply(l, rs.l)?;
        let r = self.apply(r, r_target)?;
        Ok(Node::ScalarArray {
            op,
            any,
            l: Box::new(l),
            r: Box::new(r),
        })
    }

    fn any_sublink(&mut self, op: &'static str, any: bool, l: Node, q: &sq::Query) -> R<Node> {
        let (q, tys) = self.query(q)?;
        if tys.len() != 1 {
            return Err("sub-select must return one column".into());
        }
        let rt = tys[0].clone();
        let r_in = match &rt {
            Some(t) => In::K(t),
            None => In::O,
        };
        let rs = resolve_binop(op, inp(&l), r_in)?;
        if !matches!(rs.out, Some(ref b) if is_bool(b)) {
            return Err("sub-select comparison is not modelled offline".into());
        }
        let l = self.apply(l, rs.l)?;
        let kind = if any {
            SubKind::Any {
                op,
                left: Box::new(l),
            }
        } else {
            SubKind::All {
                op,
                left: Box::new(l),
            }
        };
        Ok(Node::Sublink {
            kind,
            query: Box::new(q),
            ty: Some(bool_ty()),
        })
    }

    fn in_list(&mut self, lexpr: &Expr, list: &[Expr], negated: bool) -> R<Node> {
        let op = if negated { "<>" } else { "=" };
        let l = self.expr(lexpr)?;
        let cur_level = self.levels.len() - 1;
        let mut items: Vec<(Node, bool)> = Vec::new();
        for x in list {
            let n = self.expr(x)?;
            let v = has_vars(&n, cur_level);
            items.push((n, v));
        }
        let nonvar_count = items.iter().filter(|(_, v)| !*v).count();
        let mut result: Option<Node> = None;
        let rest: Vec<Node>;
        if nonvar_count > 1 {
            let mut ins = vec![inp(&l)];
            ins.extend(items.iter().filter(|(_, v)| !*v).map(|(n, _)| inp(n)));
            let ct = common_type(&ins)
                .map_err(|_| "IN list element types are not modelled offline".to_string())?;
            let mut elems = Vec::new();
            let mut vars = Vec::new();
            for (n, v) in items {
                if v {
                    vars.push(n);
                } else {
                    elems.push(self.apply(n, Some(ct.clone()))?);
                }
            }
            let arr = Node::Array {
                elems,
                ty: ct.array_of(),
            };
            result = Some(self.saop(op, !negated, l.clone(), arr)?);
            rest = vars;
        } else {
            rest = items.into_iter().map(|(n, _)| n).collect();
        }
        for r in rest {
            let cmp = self.binop(op, l.clone(), r)?;
            result = Some(match result {
                None => cmp,
                Some(prev) => {
                    if negated {
                        Node::And(vec![prev, cmp])
                    } else {
                        Node::Or(vec![prev, cmp])
                    }
                }
            });
        }
        result.ok_or_else(|| "empty IN list".into())
    }

    fn array(&mut self, elems: &[Expr]) -> R<Node> {
        if elems.is_empty() {
            return Err("empty ARRAY[] is not modelled offline".into());
        }
        let mut nodes = Vec::new();
        for x in elems {
            if matches!(x, Expr::Array(_)) {
                return Err("multidimensional ARRAY[] is not modelled offline".into());
            }
            nodes.push(self.expr(x)?);
        }
        let ins: Vec<In> = nodes.iter().map(inp).collect();
        let ct = common_type(&ins)?;
        if ct.array {
            return Err("multidimensional ARRAY[] is not modelled offline".into());
        }
        let mut out = Vec::new();
        for n in nodes {
            out.push(self.apply(n, Some(ct.clone()))?);
        }
        Ok(Node::Array {
            elems: out,
            ty: ct.array_of(),
        })
    }

    fn case(
        &mut self,
        operand: Option<&Expr>,
        conditions: &[sq::CaseWhen],
        else_result: Option<&Expr>,
    ) -> R<Node> {
        let arg = match operand {
            Some(o) => Some(self.expr(o)?),
            None => None,
        };
        let mut whens = Vec::new();
        let mut results = Vec::new();
        for cw in conditions {
            let c = self.expr(&cw.condition)?;
            let c = match &arg {
                Some(a) => {
                    let rs = resolve_cmp(inp(a), inp(&c))?;
                    if rs.l.is_some() && a.is_unknown_lit() {
                        return Err("untyped CASE operand".into());
                    }
                    self.apply(c, rs.r)?
                }
                None => self.to_bool(c)?,
            };
            whens.push(c);
            results.push(self.expr(&cw.result)?);
        }
        let els = match else_result {
            Some(x) => self.expr(x)?,
            None => Node::Const {
                text: None,
                ty: None,
            },
        };
        results.push(els);
        let ins: Vec<In> = results.iter().map(inp).collect();
        let ty = match common_type(&ins) {
            Ok(t) => Some(t),
            Err(_) if ins.iter().all(|x| !matches!(x, In::U)) => None,
            Err(e) => return Err(e),
        };
        let mut rs = Vec::new();
        for r in results {
            rs.push(match &ty {
                Some(t) => self.apply(r, Some(t.clone()))?,
                None => r,
            });
        }
        let els = rs.pop().unwrap();
        Ok(Node::Case {
            arg: arg.map(Box::new),
            whens: whens.into_iter().zip(rs).collect(),
            els: Box::new(els),
            ty,
        })
    }

    // -----------------------------------------------------------------------------------
    // Functions
    // -----------------------------------------------------------------------------------

    fn function(&mut self, f: &sq::Function) -> R<Node> {
        if f.filter.is_some()
            || f.over.is_some()
            || !f.within_group.is_empty()
            || f.null_treatment.is_some()
            || !matches!(f.parameters, FunctionArguments::None)
            || f.uses_odbc_syntax
        {
            return Err("aggregate and window syntax is not modelled offline".into());
        }
        let parts = name_parts(&f.name)?;
        let single = if parts.len() == 1 && !parts[0].1 {
            Some(parts[0].0.as_str())
        } else {
            None
        };
        match &f.args {
            FunctionArguments::None => {
                let (kw, ty) = match single {
                    Some("current_user") => ("CURRENT_USER", "name"),
                    Some("session_user") => ("SESSION_USER", "name"),
                    Some("current_role") => ("CURRENT_ROLE", "name"),
                    Some("user") => ("USER", "name"),
                    Some("current_catalog") => ("CURRENT_CATALOG", "name"),
                    Some("current_schema") => ("CURRENT_SCHEMA", "name"),
                    Some("current_date") => ("CURRENT_DATE", "date"),
                    Some("current_timestamp") => ("CURRENT_TIMESTAMP", "timestamptz"),
                    Some("localtimestamp") => ("LOCALTIMESTAMP", "timestamp"),
                    Some("current_time") => ("CURRENT_TIME", "timetz"),
                    Some("localtime") => ("LOCALTIME", "time"),
                    _ => return Err("unsupported function syntax".into()),
                };
                Ok(Node::SqlValue { kw, ty: t(ty) })
            }
            FunctionArguments::Subquery(q) => {
                if single != Some("array") {
                    return Err("unsupported function syntax".into());
                }
                let (q, tys) = self.query(q)?;
                if tys.len() != 1 {
                    return Err("ARRAY() sub-select must return one column".into());
                }
                let ty = match &tys[0] {
                    Some(t) if !t.array => Some(t.without_mods().array_of()),
                    Some(_) => return Err("ARRAY() of arrays is not modelled offline".into()),
                    None => None,
                };
                Ok(Node::Sublink {
                    kind: SubKind::Array,
                    query: Box::new(q),
                    ty,
                })
            }
            FunctionArguments::List(list) => {
                if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
                    return Err("aggregate syntax is not modelled offline".into());
                }
                let mut args = Vec::new();
                let mut star = false;
                for a in &list.args {
                    match a {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => args.push(self.expr(x)?),
                        FunctionArg::Unnamed(FunctionArgExpr::Wildcard) if list.args.len() == 1 => {
                            star = true
                        }
                        _ => {
                            return Err(
                                "named or wildcard function arguments are not modelled offline"
                                    .into(),
                            )
                        }
                    }
                }
                if star {
                    if single != Some("count") {
                        return Err("unsupported * argument".into());
                    }
                    return Ok(Node::Func {
                        name: "count".into(),
                        args: vec![],
                        star: true,
                        ty: Some(t("int8")),
                    });
                }
                match single {
                    Some("coalesce") | Some("greatest") | Some("least") => {
                        let ins: Vec<In> = args.iter().map(inp).collect();
                        let ct = common_type(&ins)?;
                        let mut out = Vec::new();
                        for a in args {
                            out.push(self.apply(a, Some(ct.clone()))?);
                        }
                        return Ok(match single {
                            Some("coalesce") => Node::Coalesce {
                                args: out,
                                ty: Some(ct),
                            },
                            Some("greatest") => Node::MinMax {
                                name: "GREATEST",
                                args: out,
                                ty: Some(ct),
                            },
                            _ => Node::MinMax {
                                name: "LEAST",
                                args: out,
                                ty: Some(ct),
                            },
                        });
                    }
                    Some("nullif") => {
                        if args.len() != 2 {
                            return Err("NULLIF takes two arguments".into());
                        }
                        let r = args.pop().unwrap();
                        let l = args.pop().unwrap();
                        let rs = resolve_cmp(inp(&l), inp(&r))?;
                        let l = self.apply(l, rs.l)?;
                        let r = self.apply(r, rs.r)?;
                        let ty = l.ty().cloned();
                        return Ok(Node::NullIf {
                            l: Box::new(l),
                            r: Box::new(r),
                            ty,
                        });
                    }
                    Some("exists") | Some("row") | Some("array") => {
                        return Err("unsupported function syntax".into())
                    }
                    _ => {}
                }
                self.call(&parts, args)
            }
        }
    }

    fn call(&self, parts: &[(String, bool)], args: Vec<Node>) -> R<Node> {
        Ok(self.resolve_call(parts, args)?.0)
    }

    /// Function resolution (a subset of `func_select_candidate`).
    fn resolve_call(&self, parts: &[(String, bool)], args: Vec<Node>) -> R<(Node, bool)> {
        let (schema, name) = match parts {
            [(n, _)] => (None, n.as_str()),
            [(s, _), (n, _)] => (Some(s.as_str()), n.as_str()),
            _ => return Err("unsupported function name".into()),
        };
        let sp = self.ctx.search_path;
        let mut cands: Vec<Cand> = Vec::new();
        let want_builtin = schema.is_none() || schema == Some("pg_catalog");
        if want_builtin {
            for (n, a, r) in BUILTINS {
                if *n == name && a.len() == args.len() {
                    let (set, r) = match r.strip_prefix('*') {
                        Some(x) => (true, x),
                        None => (false, *r),
                    };
                    cands.push(Cand {
                        schema: "pg_catalog".into(),
                        args: a.iter().map(|x| self.ty(x)).collect::<R<Vec<_>>>()?,
                        ret: self.ty(r)?,
                        set,
                    });
                }
            }
        }
        let mut user_found = false;
        for f in &self.cat.functions {
            if f.name != name {
                continue;
            }
            let visible = match schema {
                Some(s) => f.schema == s,
                None => sp.contains(&f.schema),
            };
            if !visible {
                continue;
            }
            user_found = true;
            if f.args.len() != args.len() {
                continue;
            }
            let Ok(atys) = f.args.iter().map(|x| self.ty(x)).collect::<R<Vec<_>>>() else {
                continue;
            };
            let Ok(ret) = self.ty(&f.returns) else {
                continue;
            };
            cands.push(Cand {
                schema: f.schema.clone(),
                args: atys,
                ret,
                set: f.returns_set,
            });
        }
        let builtin_name = is_builtin_fn(name);
        if cands.is_empty() {
            if user_found
                || (builtin_name && want_builtin && BUILTINS.iter().any(|(n, _, _)| *n == name))
            {
                return Err(format!("no matching signature for {name}"));
            }
            // unknown function: no argument may need typing
            if args.iter().any(|a| a.is_unknown_lit()) {
                return Err(format!("argument types of {name}() are unknown offline"));
            }
            let printed = self.fn_name(schema, name, None);
            return Ok((
                Node::Func {
                    name: printed,
                    args,
                    star: false,
                    ty: None,
                },
                false,
            ));
        }
        let ins: Vec<In> = args.iter().map(inp).collect();
        // filter by coercibility
        let mut ok: Vec<(usize, usize)> = Vec::new(); // (index, exact matches)
        'c: for (ci, c) in cands.iter().enumerate() {
            let mut exact = 0;
            for (x, p) in ins.iter().zip(&c.args) {
                match x {
                    In::U | In::O => {}
                    In::K(k) => match poly(p) {
                        Some("array") => {
                            if !k.array {
                                continue 'c;
                            }
                        }
                        Some(_) => {
                            if p.name == "anynonarray" && k.array {
                                continue 'c;
                            }
                        }
                        _ => {
                            if k.same_base(p) {
                                exact += 1;
                            } else if !can_implicit(k, p) {
                                continue 'c;
                            }
                        }
                    },
                }
            }
            ok.push((ci, exact));
        }
        if ok.len() > 1 {
            let best = ok.iter().map(|x| x.1).max().unwrap();
            ok.retain(|x| x.1 == best);
        }
        if ok.len() > 1 {
            // unknown literals prefer string-category parameters
            for (pos, x) in ins.iter().enumerate() {
                if matches!(x, In::U) {
                    let any_string = ok
                        .iter()
                        .any(|(ci, _)| cands[*ci].args[pos].category() == Cat::String);
                    if any_string {
                        ok.retain(|(ci, _)| cands[*ci].args[pos].category() == Cat::String);
                    }
                }
            }
            if ok.len() > 1 {
                let any_pref = ok.iter().any(|(ci, _)| {
                    cands[*ci]
                        .args
                        .iter()
                        .zip(&ins)
                        .any(|(p, x)| !matches!(x, In::K(k) if k.same_base(p)) && p.preferred())
                });
                if any_pref && ok.len() == 2 {
                    // fall through to ambiguity
                }
            }
        }
        if ok.len() != 1 {
            return Err(format!(
                "cannot choose among the signatures of {name}() offline"
            ));
        }
        if ins.iter().any(|x| matches!(x, In::O)) && cands.len() > 1 {
            return Err(format!(
                "cannot choose among the signatures of {name}() offline"
            ));
        }
        let c = &cands[ok[0].0];
        // resolve polymorphic types
        let mut elem: Option<Ty> = None;
        for (x, p) in ins.iter().zip(&c.args) {
            if let (In::K(k), Some(kind)) = (x, poly(p)) {
                let e = if kind == "array" {
                    k.elem().unwrap()
                } else {
                    k.without_mods()
                };
                match &elem {
                    None => elem = Some(e),
                    Some(prev) if prev.same_base(&e) => {}
                    Some(_) => {
                        return Err(format!(
                            "polymorphic arguments of {name}() are not modelled offline"
                        ))
                    }
                }
            }
        }
        let subst = |p: &Ty| -> R<Option<Ty>> {
            Ok(match poly(p) {
                None => Some(p.clone()),
                Some(kind) => elem.as_ref().map(|e| {
                    if kind == "array" {
                        e.clone().array_of()
                    } else {
                        e.clone()
                    }
                }),
            })
        };
        let mut out = Vec::new();
        for (a, p) in args.into_iter().zip(&c.args) {
            let target = subst(p)?;
            if target.is_none() && a.is_unknown_lit() {
                return Err(format!(
                    "polymorphic arguments of {name}() are not modelled offline"
                ));
            }
            out.push(self.apply(a, target)?);
        }
        let ret = subst(&c.ret)?;
        let _ = c.set;
        let printed = self.fn_name(schema, name, Some(&c.schema));
        Ok((
            Node::Func {
                name: printed,
                args: out,
                star: false,
                ty: ret,
            },
            true,
        ))
    }

    /// `generate_function_name`: qualified only when not visible on the search path.
    fn fn_name(&self, written_schema: Option<&str>, name: &str, resolved: Option<&str>) -> String {
        let sp = self.ctx.search_path;
        let schema = resolved.or(written_schema);
        let visible = match schema {
            None => true,
            Some("pg_catalog") => true,
            Some(s) => {
                if is_builtin_fn(name) {
                    false
                } else {
                    // the first schema on the path that has a function of this name
                    let first = sp.iter().find(|p| {
                        self.cat
                            .functions
                            .iter()
                            .any(|f| f.schema == **p && f.name == name)
                    });
                    match first {
                        Some(f) => f == s,
                        None => sp.first().map(|f| f == s).unwrap_or(false) && resolved.is_none(),
                    }
                }
            }
        };
        if visible {
            quote::ident(name)
        } else {
            format!("{}.{}", quote::ident(schema.unwrap()), quote::ident(name))
        }
    }

    // -----------------------------------------------------------------------------------
    // Columns and sub-selects
    // -----------------------------------------------------------------------------------

    fn col_type(&self, table: Option<&Table>, col: &str) -> R<Option<Option<Ty>>> {
        match table {
            None => Ok(Some(None)),
            Some(t) => match t.column(col) {
                None => Ok(None),
                Some(c) => Ok(Some(Some(self.ty(&c.data_type)?))),
            },
        }
    }

    fn column(&self, parts: &[String]) -> R<Node> {
        let nlev = self.levels.len();
        match parts {
            [c] => {
                for li in (0..nlev).rev() {
                    let mut found: Option<Node> = None;
                    for rte in &self.levels[li] {
                        if rte.table.is_none() && li > 0 {
                            return Err(format!(
                                "cannot resolve column {c}: table {} is unknown",
                                rte.relname
                            ));
                        }
                        if let Some(ty) = self.col_type(rte.table, c)? {
                            if rte.table.is_none() && found.is_some() {
                                continue;
                            }
                            if found.is_some() {
                                return Err(format!("column reference {c} is ambiguous"));
                            }
                            found = Some(Node::Var {
                                refname: rte.refname.clone(),
                                col: c.clone(),
                                level: li,
                                ty,
                            });
                        }
                    }
                    if let Some(n) = found {
                        return Ok(n);
                    }
                }
                Err(format!("column {c} does not exist"))
            }
            [q, c] | [_, q, c] => {
                let want_schema = if parts.len() == 3 {
                    Some(&parts[0])
                } else {
                    None
                };
                for li in (0..nlev).rev() {
                    for rte in &self.levels[li] {
                        let m = match want_schema {
                            None => rte.written == *q,
                            Some(s) => !rte.aliased && rte.relname == *q && rte.schema == *s,
                        };
                        if m {
                            return match self.col_type(rte.table, c)? {
                                Some(ty) => Ok(Node::Var {
                                    refname: rte.refname.clone(),
                                    col: c.clone(),
                                    level: li,
                                    ty,
                                }),
                                None => Err(format!("column {q}.{c} does not exist")),
                            };
                        }
                    }
                }
                Err(format!("missing FROM-clause entry for table {q}"))
            }
            _ => Err("unsupported column reference".into()),
        }
    }

    fn resolve_table(&self, name: &ObjectName) -> R<(String, String, &'a Table, String)> {
        let parts = name_parts(name)?;
        let schema: &'a crate::ir::Schema = self.ctx.schema;
        let sp = self.ctx.search_path;
        let (s, t) = match parts.as_slice() {
            [(t, _)] => {
                let s = sp
                    .iter()
                    .find(|s| schema.table(s, t).is_some())
                    .ok_or_else(|| format!("table {t} is unknown"))?;
                (s.clone(), t.clone())
            }
            [(s, _), (t, _)] => (s.clone(), t.clone()),
            _ => return Err("unsupported table name".into()),
        };
        let table = schema
            .table(&s, &t)
            .ok_or_else(|| format!("table {s}.{t} is unknown"))?;
        let first = sp.iter().find(|p| schema.table(p, &t).is_some());
        let visible = first == Some(&s) && !t.starts_with("pg_");
        let printed = if visible {
            quote::ident(&t)
        } else {
            format!("{}.{}", quote::ident(&s), quote::ident(&t))
        };
        Ok((s, t, table, printed))
    }

    fn pfrom<'q>(&mut self, twj: &'q sq::TableWithJoins) -> R<PFrom<'q>> {
        let mut cur = match &twj.relation {
            TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => self.pfrom(table_with_joins)?,
            other => PFrom::Rel(self.add_rel(other)?),
        };
        for j in &twj.joins {
            if j.global {
                return Err("unsupported join".into());
            }
            let (kind, c) = match &j.join_operator {
                JoinOperator::Join(c) | JoinOperator::Inner(c) => (" JOIN ", c),
                JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (" LEFT JOIN ", c),
                JoinOperator::Right(c) | JoinOperator::RightOuter(c) => (" RIGHT JOIN ", c),
                JoinOperator::FullOuter(c) => (" FULL JOIN ", c),
                JoinOperator::CrossJoin(c) => (" CROSS JOIN ", c),
                _ => return Err("unsupported join".into()),
            };
            let on = match c {
                JoinConstraint::On(e) if kind != " CROSS JOIN " => Some(e),
                JoinConstraint::None if kind == " CROSS JOIN " => None,
                _ => return Err("only JOIN ... ON is modelled offline".into()),
            };
            let r = match &j.relation {
                TableFactor::NestedJoin {
                    table_with_joins,
                    alias: None,
                } => self.pfrom(table_with_joins)?,
                other => PFrom::Rel(self.add_rel(other)?),
            };
            cur = PFrom::Join(kind, Box::new(cur), Box::new(r), on);
        }
        Ok(cur)
    }

    fn finish_from(&mut self, p: PFrom) -> R<From> {
        match p {
            PFrom::Rel(f) => Ok(f),
            PFrom::Join(kind, l, r, on) => {
                let l = self.finish_from(*l)?;
                let r = self.finish_from(*r)?;
                let on = match on {
                    Some(e) => {
                        let n = self.expr(e)?;
                        Some(self.to_bool(n)?)
                    }
                    None => None,
                };
                Ok(From::Join {
                    kind,
                    l: Box::new(l),
                    r: Box::new(r),
                    on,
                })
            }
        }
    }

    fn unique_name(&self, base: &str) -> String {
        let used = |n: &str| self.levels.iter().any(|l| l.iter().any(|r| r.refname == n));
        if !used(base) {
            return base.to_string();
        }
        let mut i = 1;
        loop {
            let cand = format!("{base}_{i}");
            if !used(&cand) {
                return cand;
            }
            i += 1;
        }
    }

    fn add_rel(&mut self, tf: &TableFactor) -> R<From> {
        let TableFactor::Table {
            name,
            alias,
            args,
            with_hints,
            version,
            with_ordinality,
            partitions,
            json_path,
            sample,
            index_directives,
            ..
        } = tf
        else {
            return Err("only plain tables are supported in FROM".into());
        };
        if args.is_some()
            || !with_hints.is_empty()
            || version.is_some()
            || *with_ordinality
            || !partitions.is_empty()
            || json_path.is_some()
            || sample.is_some()
            || !index_directives.is_empty()
        {
            return Err("unsupported FROM item".into());
        }
        let (schema, relname, table, printed) = self.resolve_table(name)?;
        let (written, aliased) = match alias {
            Some(a) => {
                if !a.columns.is_empty() {
                    return Err("column aliases are not modelled offline".into());
                }
                (fold(&a.name), true)
            }
            None => (relname.clone(), false),
        };
        let refname = self.unique_name(&written);
        let alias_out = if refname != relname {
            Some(refname.clone())
        } else {
            None
        };
        self.levels.last_mut().unwrap().push(Rte {
            written,
            refname,
            schema,
            relname,
            aliased,
            table: Some(table),
        });
        Ok(From::Rel {
            name: printed,
            alias: alias_out,
        })
    }

    /// Analyses a sub-select; returns it with the types of its output columns.
    fn query(&mut self, q: &sq::Query) -> R<(Query, Vec<Option<Ty>>)> {
        if q.with.is_some()
            || q.order_by.is_some()
            || q.fetch.is_some()
            || !q.locks.is_empty()
            || q.for_clause.is_some()
            || q.settings.is_some()
            || q.format_clause.is_some()
            || !q.pipe_operators.is_empty()
        {
            return Err("this sub-select syntax is not modelled offline".into());
        }
        let limit = match &q.limit_clause {
            None => None,
            Some(sq::LimitClause::LimitOffset {
                limit,
                offset: None,
                limit_by,
            }) if limit_by.is_empty() => limit.as_ref(),
            _ => return Err("OFFSET is not modelled offline".into()),
        };
        let SetExpr::Select(s) = &*q.body else {
            return Err("set operations are not modelled offline".into());
        };
        let gb_empty = matches!(&s.group_by, sq::GroupByExpr::Expressions(a, b) if a.is_empty() && b.is_empty());
        if s.distinct.is_some()
            || s.top.is_some()
            || s.into.is_some()
            || !s.lateral_views.is_empty()
            || s.prewhere.is_some()
            || !gb_empty
            || !s.cluster_by.is_empty()
            || !s.distribute_by.is_empty()
            || !s.sort_by.is_empty()
            || s.having.is_some()
            || !s.named_window.is_empty()
            || s.qualify.is_some()
            || s.value_table_mode.is_some()
            || s.exclude.is_some()
            || !s.connect_by.is_empty()
        {
            return Err("this sub-select syntax is not modelled offline".into());
        }
        self.levels.push(Vec::new());
        let r = self.query_body(s, limit);
        self.levels.pop();
        r
    }

    fn query_body(&mut self, s: &sq::Select, limit: Option<&Expr>) -> R<(Query, Vec<Option<Ty>>)> {
        // register every table of this level first, then analyse join conditions
        let mut items = Vec::new();
        for twj in &s.from {
            items.push(self.pfrom(twj)?);
        }
        let mut from = Vec::new();
        for it in items {
            from.push(self.finish_from(it)?);
        }
        let mut targets = Vec::new();
        let mut tys = Vec::new();
        for item in &s.projection {
            let (e, alias) = match item {
                SelectItem::UnnamedExpr(e) => (e, None),
                SelectItem::ExprWithAlias { expr, alias } => (expr, Some(fold(alias))),
                _ => return Err("SELECT * is not modelled offline".into()),
            };
            let mut n = self.expr(e)?;
            if n.is_unknown_lit() {
                n = self.coerce_unknown(n, &TEXT)?;
            }
            let resname = alias.unwrap_or_else(|| colname(e).0);
            let printed_alias = match &n {
                Node::Var { col, .. } => {
                    if *col != resname {
                        Some(resname)
                    } else {
                        None
                    }
                }
                _ => {
                    if resname != "?column?" {
                        Some(resname)
                    } else {
                        None
                    }
                }
            };
            tys.push(n.ty().cloned());
            targets.push((n, printed_alias));
        }
        let filter = match &s.selection {
            Some(w) => {
                let n = self.expr(w)?;
                Some(self.to_bool(n)?)
            }
            None => None,
        };
        let limit = match limit {
            Some(e) => {
                let n = self.expr(e)?;
                let n = match inp(&n) {
                    In::U => self.coerce_unknown(n, &t("int8"))?,
                    In::K(k) if k.is_int() => self.apply(n, Some(t("int8")))?,
                    In::O => n,
                    _ => return Err("LIMIT must be an integer".into()),
                };
                Some(n)
            }
            None => None,
        };
        Ok((
            Query {
                targets,
                from,
                filter,
                limit,
            },
            tys,
        ))
    }
}

/// `FigureColname` on the written expression: the column name PostgreSQL derives.
fn colname(e: &Expr) -> (String, u8) {
    let s = |x: &str| x.to_string();
    match e {
        Expr::Nested(i) => colname(i),
        Expr::Identifier(id) => (fold(id), 2),
        Expr::CompoundIdentifier(ids) => (fold(ids.last().unwrap()), 2),
        Expr::Function(f) => {
            let last = match f.name.0.last() {
                Some(ObjectNamePart::Identifier(id)) => fold(id),
                _ => s("?column?"),
            };
            if matches!(f.args, FunctionArguments::Subquery(_)) && last == "array" {
                return (s("array"), 2);
            }
            (last, 2)
        }
        Expr::Cast {
            expr, data_type, ..
        } => {
            let (n, st) = colname(expr);
            if st > 1 {
                return (n, st);
            }
            let tn = data_type.to_string();
            struct NoT;
            impl TypeLookup for NoT {
                fn resolve_type_schema(&self, _: &str) -> Option<String> {
                    None
                }
            }
            match parse_type(&tn, &NoT, &[]) {
                Ok(t) => (t.name.to_string(), 1),
                Err(_) => (s("?column?"), 0),
            }
        }
        Expr::CompoundFieldAccess { root, .. } => colname(root),
        Expr::Case { else_result, .. } => {
            if let Some(er) = else_result {
                let (n, st) = colname(er);
                if st > 1 {
                    return (n, st);
                }
            }
            (s("case"), 1)
        }
        Expr::Subquery(q) => {
            if let SetExpr::Select(sel) = &*q.body {
                match sel.projection.first() {
                    Some(SelectItem::ExprWithAlias { alias, .. }) => return (fold(alias), 2),
                    Some(SelectItem::UnnamedExpr(x)) => return (colname(x).0, 2),
                    _ => {}
                }
            }
            (s("?column?"), 0)
        }
        Expr::Exists { .. } => (s("exists"), 2),
        Expr::Array(_) => (s("array"), 1),
        Expr::Extract { .. } => (s("extract"), 2),
        Expr::Substring { .. } => (s("substring"), 2),
        Expr::Position { .. } => (s("position"), 2),
        Expr::AtTimeZone { .. } => (s("timezone"), 2),
        Expr::Trim { trim_where, .. } => (
            s(match trim_where {
                Some(sq::TrimWhereField::Leading) => "ltrim",
                Some(sq::TrimWhereField::Trailing) => "rtrim",
                _ => "btrim",
            }),
            2,
        ),
        Expr::TypedString(ts) => {
            let (n, st) = colname(&Expr::Cast {
                kind: sq::CastKind::DoubleColon,
                expr: Box::new(Expr::Value(ts.value.clone())),
                data_type: ts.data_type.clone(),
                format: None,
            });
            (n, st)
        }
        Expr::Interval(_) => (s("interval"), 1),
        _ => (s("?column?"), 0),
    }
}

fn string_value(v: &Value) -> Option<String> {
    match v {
        Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s) => Some(s.clone()),
        Value::DollarQuotedString(d) => Some(d.value.clone()),
        _ => None,
    }
}

fn number(s: &str) -> R<Node> {
    let is_int = s
        .trim_start_matches('-')
        .chars()
        .all(|c| c.is_ascii_digit());
    if is_int {
        if let Ok(v) = s.parse::<i64>() {
            let ty = if i32::try_from(v).is_ok() {
                "int4"
            } else {
                "int8"
            };
            return Ok(Node::Const {
                text: Some(v.to_string()),
                ty: Some(t(ty)),
            });
        }
    }
    let n = lit::numeric(s).ok_or_else(|| format!("bad number {s}"))?;
    Ok(Node::Const {
        text: Some(n),
        ty: Some(t("numeric")),
    })
}

fn is_negated_number(e: &Expr) -> bool {
    let Expr::UnaryOp { op: U::Minus, expr } = e else {
        return false;
    };
    let mut inner: &Expr = expr;
    while let Expr::Nested(i) = inner {
        inner = i;
    }
    matches!(inner, Expr::Value(v) if matches!(v.value, Value::Number(..)))
}

/// `contain_vars_of_level(node, 0)` for the query level `level`.
fn has_vars(n: &Node, level: usize) -> bool {
    match n {
        Node::Var { level: l, .. } => *l == level,
        Node::Const { .. } | Node::SqlValue { .. } => false,
        Node::Op { l, r, .. } => {
            l.as_deref().map(|x| has_vars(x, level)).unwrap_or(false) || has_vars(r, level)
        }
        Node::Func { args, .. }
        | Node::Sql { args, .. }
        | Node::Coalesce { args, .. }
        | Node::MinMax { args, .. }
        | Node::And(args)
        | Node::Or(args) => args.iter().any(|a| has_vars(a, level)),
        Node::Cast { arg, .. }
        | Node::Not(arg)
        | Node::NullTest { arg, .. }
        | Node::BoolTest { arg, .. } => has_vars(arg, level),
        Node::Distinct { l, r } | Node::NullIf { l, r, .. } | Node::ScalarArray { l, r, .. } => {
            has_vars(l, level) || has_vars(r, level)
        }
        Node::Array { elems, .. } => elems.iter().any(|a| has_vars(a, level)),
        // sub-selects may reference this level's columns: treat as containing vars
        Node::Sublink { .. } => true,
        Node::Case {
            arg, whens, els, ..
        } => {
            arg.as_deref().map(|x| has_vars(x, level)).unwrap_or(false)
                || has_vars(els, level)
                || whens
                    .iter()
                    .any(|(a, b)| has_vars(a, level) || has_vars(b, level))
        }
        Node::Subscript { base, subs, .. } => {
            has_vars(base, level)
                || subs.iter().any(|(a, b, _)| {
                    a.as_ref().map(|x| has_vars(x, level)).unwrap_or(false)
                        || b.as_ref().map(|x| has_vars(x, level)).unwrap_or(false)
                })
        }
    }
}
