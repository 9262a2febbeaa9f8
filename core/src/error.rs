//! One error type for the whole core. Validation errors carry the table, the policy and the
//! clause they concern so that every binding can show them and expose them as fields.

use std::fmt;

/// The clause of a policy or table an error concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Clause {
    Name,
    Command,
    Roles,
    Using,
    WithCheck,
    Table,
    Role,
    Grant,
    /// A declaration's inline lint opt-out (`lint_allow`).
    Lint,
}

impl Clause {
    pub fn as_str(self) -> &'static str {
        match self {
            Clause::Name => "name",
            Clause::Command => "command",
            Clause::Roles => "roles",
            Clause::Using => "USING",
            Clause::WithCheck => "WITH CHECK",
            Clause::Table => "table",
            Clause::Role => "role",
            Clause::Grant => "grant",
            Clause::Lint => "lint",
        }
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A declaration that cannot be applied: names what and where.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", ts(rename = "ValidationErrorDetail"))]
pub struct ValidationError {
    /// Stable machine-readable code, e.g. `INSERT_WITH_USING`.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub code: &'static str,
    /// `schema.table` as declared, when the error concerns a table.
    pub table: Option<String>,
    pub policy: Option<String>,
    pub clause: Option<Clause>,
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut place = Vec::new();
        if let Some(t) = &self.table {
            place.push(format!("table {t}"));
        }
        if let Some(p) = &self.policy {
            place.push(format!("policy {p:?}"));
        }
        if let Some(c) = &self.clause {
            place.push(format!("clause {c}"));
        }
        if place.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", place.join(", "), self.message)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more invalid declarations (all found, not only the first).
    #[error("{}", join_validation(.0))]
    Validation(Vec<ValidationError>),
    /// A source (JSON, SQL) that cannot be read.
    #[error("{0}")]
    Source(String),
    /// A database error (connection, query, apply).
    #[error("{0}")]
    Database(String),
    /// A plan that weakens protection, refused because weakening was not allowed.
    #[error("{0}")]
    Weakening(String),
    /// The throwaway PostgreSQL could not be started.
    #[error("embedded PostgreSQL: {0}")]
    Embedded(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn join_validation(errors: &[ValidationError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    pub fn validation(e: ValidationError) -> Error {
        Error::Validation(vec![e])
    }

    /// A short machine-readable code for bindings.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation(v) => v.first().map(|e| e.code).unwrap_or("VALIDATION"),
            Error::Source(_) => "SOURCE",
            Error::Database(_) => "DATABASE",
            Error::Weakening(_) => "WEAKENS",
            Error::Embedded(_) => "EMBEDDED",
            Error::Io(_) => "IO",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
