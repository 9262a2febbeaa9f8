//! The round-trip comparison: PostgreSQL itself prints both expressions of a pair through
//! the same deparser. Each expression becomes the one column of a temporary view over the
//! policy's table; equal view definitions mean equal expressions. Creating a view takes
//! only ACCESS SHARE on the table, nothing is written outside the session's temporary
//! schema, and everything runs in a transaction (or savepoint) that is rolled back.
//! Driver-independent: the Python and Node packages run the same statements.
//!
//! PostgreSQL's printing is not idempotent for every expression (a `varchar` IN list
//! prints as `= ANY ((ARRAY[...])::text[])`, which parses back to a different tree), so
//! the stored text and the declared text are each taken through two print-and-parse
//! cycles: stage one prints both, stage two parses and prints those prints. Equal
//! expressions reach the same text; different ones do not.

use crate::diff::{ExprPair, Resolution};

/// Run once before the pairs, inside the transaction that is rolled back afterwards.
pub const SETUP: &str = crate::introspect::SETUP;

/// The statements for one pair, each a single statement (drivers that prepare every
/// statement can run them one by one): run `setup` (no results), then `query` (one row,
/// two text columns), then `cleanup`. If a setup statement or the query fails (an
/// expression that does not compile against the table), run `cleanup` and count the
/// pair as different.
pub struct PairStatements {
    pub setup: Vec<String>,
    pub query: String,
    pub cleanup: Vec<String>,
}

pub fn statements(pair: &ExprPair) -> PairStatements {
    view_statements(&pair.table.to_string(), &pair.current, &pair.desired)
}

/// Stage two: the statements that print again what stage one printed.
pub fn next_statements(pair: &ExprPair, printed: &(String, String)) -> PairStatements {
    view_statements(
        &pair.table.to_string(),
        &expression_of(&printed.0),
        &expression_of(&printed.1),
    )
}

fn view_statements(table: &str, current: &str, desired: &str) -> PairStatements {
    let setup = vec![
        "SAVEPOINT pgpolicy_compare".to_string(),
        format!("CREATE TEMPORARY VIEW pgpolicy_compare_current AS SELECT ({current}\n) AS expr FROM {table}"),
        format!("CREATE TEMPORARY VIEW pgpolicy_compare_desired AS SELECT ({desired}\n) AS expr FROM {table}"),
    ];
    PairStatements {
        setup,
        query: "SELECT pg_catalog.pg_get_viewdef('pgpolicy_compare_current'::regclass), \
                pg_catalog.pg_get_viewdef('pgpolicy_compare_desired'::regclass)"
            .to_string(),
        cleanup: vec![
            "ROLLBACK TO SAVEPOINT pgpolicy_compare".to_string(),
            "RELEASE SAVEPOINT pgpolicy_compare".to_string(),
        ],
    }
}

/// The expression part of a view definition printed by `pg_get_viewdef`.
fn expression_of(viewdef: &str) -> String {
    let body = viewdef.trim_start().strip_prefix("SELECT ").unwrap_or(viewdef);
    match body.rfind(" AS expr\n") {
        Some(i) => body[..i].to_string(),
        None => body.trim_end_matches(';').to_string(),
    }
}

/// The verdict from the two view definitions printed by stage two (None when a stage
/// failed).
pub fn resolution(printed: Option<(String, String)>) -> Resolution {
    match printed {
        Some((a, b)) => Resolution {
            equal: a == b,
            current_canonical: Some(expression_of(&a)),
            desired_canonical: Some(expression_of(&b)),
        },
        None => Resolution { equal: false, current_canonical: None, desired_canonical: None },
    }
}
