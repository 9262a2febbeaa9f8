//! Operator precedence: where sqlparser's grammar and PostgreSQL's (gram.y) could read
//! the same text as different trees, the analysis asks for parentheses.

use super::*;

/// PostgreSQL grammar precedence levels (gram.y), low to high.
pub(super) fn level(e: &Expr) -> u8 {
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

pub(super) fn bin_level(op: &B) -> u8 {
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

pub(super) fn need(e: &Expr, min: u8) -> R<()> {
    if level(e) < min {
        return Err(Undecidable::AmbiguousPrecedence);
    }
    Ok(())
}
