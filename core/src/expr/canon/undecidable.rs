//! Why an expression's canonical text cannot be known offline.
//!
//! Every reason is a variant; [`Display`](std::fmt::Display) writes the sentence the
//! canonicalizer has always written for it, so messages keep their words while callers
//! match on the reason (an unknown column, for example) instead of on the text.

use std::borrow::Cow;
use std::fmt;

/// Why the canonicalizer cannot tell what PostgreSQL stores for an expression. Such an
/// expression is never judged equal to another offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undecidable {
    /// pgpolicy's parser cannot read the text (which says nothing of PostgreSQL's grammar).
    Parse(ParseFailure),
    /// No table in scope has this column (`qualifier` as written, folded).
    UnknownColumn {
        qualifier: Option<String>,
        column: String,
    },
    /// More than one table in scope has this unqualified column.
    AmbiguousColumn { column: String },
    /// A table in FROM that the schema does not know (`name` as written, folded).
    UnknownTable { name: String },
    /// A qualifier that names no table in scope.
    MissingFromEntry { qualifier: String },
    /// A column of a table in scope whose columns are not known.
    ColumnOfUnknownTable { column: String, table: String },
    /// Function resolution cannot be done offline.
    FunctionSignature {
        function: String,
        problem: SignatureProblem,
    },
    /// A literal of a user-defined type that the catalog does not describe.
    NeedsCatalog { type_name: String },
    /// A literal (or an operand) whose type depends on an expression of a type not known
    /// offline; the sentence says which.
    Untyped(Cow<'static, str>),
    /// Written and stored text read this shape as different trees: only a known origin
    /// (declared or stored) decides.
    NeedsOrigin(OriginShape),
    /// Operator precedence that sqlparser's grammar and PostgreSQL's may read differently.
    AmbiguousPrecedence,
    /// Syntax the canonicalizer does not read: `unsupported <what>`.
    Unsupported(Cow<'static, str>),
    /// A construct whose typing or printing is not modelled: `<what> is (are) not
    /// modelled offline`.
    NotModelled {
        what: Cow<'static, str>,
        plural: bool,
    },
    /// A FROM item other than a plain table.
    NotPlainTable,
    /// A join other than `JOIN ... ON` (or `CROSS JOIN`).
    JoinWithoutOn,
    /// A type name that cannot be read offline; the sentence says why.
    TypeName(String),
    /// A literal that is not (or not provably) a value of its type; the sentence says which.
    Literal(String),
    /// Types or shapes that do not fit (no implicit cast, not boolean, no common type, a
    /// sub-select of more than one column, ...); the sentence says which.
    Mismatch(Cow<'static, str>),
    /// A construct whose acceptance depends on the server's version, which is not known
    /// (no database was read).
    NeedsServerVersion { what: Cow<'static, str>, since: u32 },
}

/// Why pgpolicy's parser cannot read the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseFailure {
    Empty,
    /// Grammar pgpolicy's parser does not read (sqlparser's message). PostgreSQL's grammar
    /// is larger: this says nothing about whether the server accepts the text.
    Syntax(String),
    /// The parser reads an expression followed by more text (the token it starts with).
    /// The text is contained (see [`crate::expr::validate`]); PostgreSQL's grammar may read
    /// it whole.
    TrailingText(String),
}

/// What function resolution cannot decide offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureProblem {
    /// No signature of the function fits the argument types.
    NoMatch,
    /// More than one signature fits.
    Ambiguous,
    /// A function not known offline, with an untyped literal argument.
    UnknownArgumentTypes,
    /// Polymorphic parameters whose types cannot be settled.
    Polymorphic,
}

/// Shapes that mean different trees in written and in stored text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginShape {
    /// `(- 1)`: a constant when written, minus applied to a constant when printed.
    ParenthesizedNegativeNumber,
    /// `(a AND b) AND c`: one list when written, a nested group when printed.
    NestedAndOr,
}

impl Undecidable {
    pub(crate) fn unsupported(what: impl Into<Cow<'static, str>>) -> Undecidable {
        Undecidable::Unsupported(what.into())
    }
    pub(crate) fn not_modelled(what: impl Into<Cow<'static, str>>) -> Undecidable {
        Undecidable::NotModelled {
            what: what.into(),
            plural: false,
        }
    }
    /// [`Undecidable::NotModelled`] of a plural (`operands of + are not modelled`).
    pub(crate) fn are_not_modelled(what: impl Into<Cow<'static, str>>) -> Undecidable {
        Undecidable::NotModelled {
            what: what.into(),
            plural: true,
        }
    }
    pub(crate) fn untyped(what: impl Into<Cow<'static, str>>) -> Undecidable {
        Undecidable::Untyped(what.into())
    }
    pub(crate) fn mismatch(what: impl Into<Cow<'static, str>>) -> Undecidable {
        Undecidable::Mismatch(what.into())
    }
    pub(crate) fn signature(function: &str, problem: SignatureProblem) -> Undecidable {
        Undecidable::FunctionSignature {
            function: function.to_string(),
            problem,
        }
    }
}

impl fmt::Display for Undecidable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Undecidable::*;
        match self {
            Parse(p) => p.fmt(f),
            UnknownColumn {
                qualifier: Some(q),
                column,
            } => write!(f, "column {q}.{column} does not exist"),
            UnknownColumn {
                qualifier: None,
                column,
            } => write!(f, "column {column} does not exist"),
            AmbiguousColumn { column } => write!(f, "column reference {column} is ambiguous"),
            UnknownTable { name } => write!(f, "table {name} is unknown"),
            MissingFromEntry { qualifier } => {
                write!(f, "missing FROM-clause entry for table {qualifier}")
            }
            ColumnOfUnknownTable { column, table } => {
                write!(
                    f,
                    "cannot resolve column {column}: table {table} is unknown"
                )
            }
            FunctionSignature { function, problem } => match problem {
                SignatureProblem::NoMatch => write!(f, "no matching signature for {function}"),
                SignatureProblem::Ambiguous => {
                    write!(
                        f,
                        "cannot choose among the signatures of {function}() offline"
                    )
                }
                SignatureProblem::UnknownArgumentTypes => {
                    write!(f, "argument types of {function}() are unknown offline")
                }
                SignatureProblem::Polymorphic => write!(
                    f,
                    "polymorphic arguments of {function}() are not modelled offline"
                ),
            },
            NeedsCatalog { type_name } => {
                write!(f, "cannot interpret a literal of type {type_name}")
            }
            NeedsOrigin(OriginShape::ParenthesizedNegativeNumber) => f.write_str(
                "a parenthesized negative number means different trees in written and stored \
                 text; compare with a known origin",
            ),
            NeedsOrigin(OriginShape::NestedAndOr) => f.write_str(
                "a parenthesized AND/OR group as the left operand of the same operator means \
                 different trees in written and stored text; compare with a known origin",
            ),
            AmbiguousPrecedence => {
                f.write_str("operator precedence is ambiguous here; add parentheses")
            }
            Unsupported(what) => write!(f, "unsupported {what}"),
            NotModelled { what, plural } => {
                let verb = if *plural { "are" } else { "is" };
                write!(f, "{what} {verb} not modelled offline")
            }
            NotPlainTable => f.write_str("only plain tables are supported in FROM"),
            JoinWithoutOn => f.write_str("only JOIN ... ON is modelled offline"),
            NeedsServerVersion { what, since } => write!(
                f,
                "{what} is accepted from PostgreSQL {since} on, and the server's version is not known offline"
            ),
            Untyped(s) | Mismatch(s) => f.write_str(s),
            TypeName(s) | Literal(s) => f.write_str(s),
        }
    }
}

impl fmt::Display for ParseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseFailure::Empty => f.write_str("the expression is empty"),
            ParseFailure::Syntax(m) => write!(
                f,
                "pgpolicy's parser cannot read this expression ({})",
                m.strip_prefix("sql parser error: ").unwrap_or(m)
            ),
            ParseFailure::TrailingText(t) => write!(
                f,
                "pgpolicy's parser reads an expression followed by more text at {t}"
            ),
        }
    }
}

impl std::error::Error for Undecidable {}

impl From<Undecidable> for String {
    fn from(u: Undecidable) -> String {
        u.to_string()
    }
}
