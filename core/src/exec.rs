//! The driver-independent database protocol: every transaction pgpolicy runs — reading
//! the catalog, the round-trip comparison, applying a plan — is written once here, over
//! [`Exec`], a connection that runs one statement at a time. The core's own connections
//! (tokio-postgres, extended protocol) and the Python and Node packages (the user's own
//! connections) implement it; none of them writes its own transaction logic.
//!
//! Each transaction opens with [`session::begin`] (or a savepoint inside the caller's
//! transaction), then the pins in one statement ([`session::pin_statement`]), before any
//! statement that carries user text.

use std::time::Duration;

use crate::diff::{ExprPair, Plan, Resolution};
use crate::error::Error;
use crate::ir::{Schema, TableName};
use crate::session::{self, Purpose, Timeouts};

/// A database error as a driver reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    /// The SQLSTATE, when the server sent one.
    pub code: Option<String>,
    /// The server's message (with its severity), or the driver's.
    pub message: String,
}

impl DbError {
    pub fn new(code: Option<String>, message: impl Into<String>) -> DbError {
        DbError {
            code,
            message: message.into(),
        }
    }

    fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// An error in how a statement reads (syntax or names: SQLSTATE class 42), as opposed
    /// to the session's or the server's state (locks, timeouts, connections).
    pub fn is_statement_error(&self) -> bool {
        self.code.as_deref().is_some_and(|c| c.starts_with("42"))
    }
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(c) => write!(f, "{} (SQLSTATE {c})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A connection that runs one statement at a time. Implementations must send each call
/// as exactly one statement (the extended protocol, or a driver that refuses several
/// statements in one string): the statements pgpolicy passes may carry user text that
/// was proven to be one expression, and must never be read as two statements.
pub trait Exec {
    /// Runs one statement, discarding any rows.
    fn execute(&mut self, sql: &str) -> Result<(), DbError>;
    /// Runs one statement and returns its rows, every column as text (or NULL).
    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError>;
    /// Runs one statement and returns the first column of its first row (None for no row
    /// or NULL).
    fn query_text(&mut self, sql: &str) -> Result<Option<String>, DbError> {
        Ok(self
            .query(sql)?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .flatten())
    }
    /// Runs one statement and hands each row to `each` (every column as text, or NULL).
    /// A driver that can stream rows overrides this, so that a large result is never held
    /// whole; the default runs [`Exec::query`].
    fn query_each(
        &mut self,
        sql: &str,
        each: &mut dyn FnMut(&[Option<&str>]),
    ) -> Result<(), DbError> {
        for row in self.query(sql)? {
            let fields: Vec<Option<&str>> = row.iter().map(|f| f.as_deref()).collect();
            each(&fields);
        }
        Ok(())
    }
    /// Waits before a retry (a blocking sleep unless the driver knows better).
    fn sleep(&mut self, d: Duration) {
        std::thread::sleep(d)
    }
    /// Opens a pgpolicy transaction with `open` ([`Scope::open`]: `BEGIN` or a savepoint,
    /// then the pins) and reads the catalog of `schemas` into `reader`. The default sends
    /// each statement on its own, then [`catalog_query`](crate::introspect::catalog_query).
    /// A driver with connections of its own may send these statements, which carry only
    /// pgpolicy's text (schema names as quoted literals, never an expression), as one
    /// message, and read half of the policies on a second connection that imports the
    /// transaction's snapshot ([`catalog_query_split`](crate::introspect::catalog_query_split)):
    /// the rows are the same, read in one snapshot.
    fn open_and_read_catalog(
        &mut self,
        open: &[String],
        schemas: &[String],
        reader: &mut crate::introspect::CatalogReader,
    ) -> Result<(), DbError> {
        read_catalog_one_by_one(self, open, schemas, reader)
    }
}

/// Where a pgpolicy transaction lives: a transaction of its own (the core's connections)
/// or a savepoint inside the caller's transaction (the packages, on the user's
/// connection; the caller commits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Transaction,
    Savepoint,
}

const SAVEPOINT: &str = "pgpolicy";

impl Scope {
    /// The statements that open a pgpolicy transaction for `purpose`: `BEGIN ...` or a
    /// savepoint, then the pins.
    pub fn open(self, purpose: Purpose, timeouts: &Timeouts) -> Vec<String> {
        let mut out = vec![match self {
            Scope::Transaction => session::begin(purpose).to_string(),
            Scope::Savepoint => format!("SAVEPOINT {SAVEPOINT}"),
        }];
        out.push(session::pin_statement(timeouts));
        out
    }

    /// The statements that undo everything since [`Scope::open`].
    pub fn rollback(self) -> Vec<String> {
        match self {
            Scope::Transaction => vec!["ROLLBACK".to_string()],
            Scope::Savepoint => vec![
                format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}"),
                format!("RELEASE SAVEPOINT {SAVEPOINT}"),
            ],
        }
    }

    /// The statements that keep everything since [`Scope::open`] (a savepoint's work is
    /// committed by the caller with its own transaction; [`apply`] then sets the pinned
    /// settings back to the caller's).
    pub fn commit(self) -> Vec<String> {
        match self {
            Scope::Transaction => vec!["COMMIT".to_string()],
            Scope::Savepoint => vec![format!("RELEASE SAVEPOINT {SAVEPOINT}")],
        }
    }
}

/// [`Exec::open_and_read_catalog`] statement by statement: `open`, then
/// [`catalog_query`](crate::introspect::catalog_query).
pub fn read_catalog_one_by_one<E: Exec + ?Sized>(
    exec: &mut E,
    open: &[String],
    schemas: &[String],
    reader: &mut crate::introspect::CatalogReader,
) -> Result<(), DbError> {
    run_all(exec, open)?;
    exec.query_each(&crate::introspect::catalog_query(schemas), &mut |row| {
        reader.row(row)
    })
}

/// [`Exec::open_and_read_catalog`] statement by statement, with the catalog as one text
/// ([`catalog_query_packed`](crate::introspect::catalog_query_packed)): `open`, then one
/// row of one column. For a driver that pays per row and per field (a callback into
/// another language); the rows, and so the schema, are those of
/// [`read_catalog_one_by_one`].
pub fn read_catalog_packed<E: Exec + ?Sized>(
    exec: &mut E,
    open: &[String],
    schemas: &[String],
    reader: &mut crate::introspect::CatalogReader,
) -> Result<(), DbError> {
    run_all(exec, open)?;
    let packed = exec
        .query_text(&crate::introspect::catalog_query_packed(schemas))?
        .ok_or_else(|| DbError::new(None, "the catalog query returned no row"))?;
    crate::introspect::feed_packed(&packed, reader).map_err(|e| DbError::new(None, e.to_string()))
}

fn run_all<E: Exec + ?Sized>(exec: &mut E, stmts: &[String]) -> Result<(), DbError> {
    for s in stmts {
        exec.execute(s)?;
    }
    Ok(())
}

/// Undoes the scope, ignoring a failure to do so (the original error is the one to show).
fn abandon(exec: &mut dyn Exec, scope: Scope) {
    for s in scope.rollback() {
        if exec.execute(&s).is_err() {
            break;
        }
    }
}

/// PostgreSQL's 2BP01 (dependent objects still exist):
/// what a REVOKE without CASCADE gets when the grantee granted the privileges onward.
const DEPENDENT_PRIVILEGES: &str = "2BP01";

fn db(context: &str, e: DbError) -> Error {
    if e.is(session::LOCK_NOT_AVAILABLE) {
        return Error::Database(format!(
            "{context}: {e}: another session holds a lock on a table pgpolicy needs; \
             raise the lock timeout or retry when that session is done"
        ));
    }
    if e.is(session::QUERY_CANCELED) {
        return Error::Database(format!("{context}: {e} (statement timeout)"));
    }
    Error::Database(format!("{context}: {e}"))
}

/// Reads the RLS state of `schemas` (default `public`) in a read-only transaction (or
/// savepoint) that is rolled back.
pub fn introspect(
    exec: &mut dyn Exec,
    scope: Scope,
    timeouts: &Timeouts,
    schemas: &[String],
) -> Result<Schema, Error> {
    let schema = open_and_read_catalog(exec, scope, Purpose::Read, timeouts, schemas);
    abandon(exec, scope);
    schema
}

/// [`introspect`], and in the same read-only snapshot (one transaction or savepoint, one
/// set of pins, rolled back) the `extra` queries, each returning one row with one text
/// column (a catalog document such as the lint facts); returns the schema and those texts.
pub fn introspect_with(
    exec: &mut dyn Exec,
    scope: Scope,
    timeouts: &Timeouts,
    schemas: &[String],
    extra: &[String],
) -> Result<(Schema, Vec<String>), Error> {
    let result =
        open_and_read_catalog(exec, scope, Purpose::Read, timeouts, schemas).and_then(|schema| {
            let mut out = Vec::with_capacity(extra.len());
            for q in extra {
                let text = exec
                    .query_text(q)
                    .map_err(|e| db("introspection", e))?
                    .ok_or_else(|| {
                        Error::Database("introspection: a catalog query returned no row".into())
                    })?;
                out.push(text);
            }
            Ok((schema, out))
        });
    abandon(exec, scope);
    result
}

/// Reads the catalog for a plan in a transaction that stays open for that plan's
/// comparison ([`compare_in_plan`]), so that both see one snapshot (repeatable read) and
/// share one `BEGIN` and one set of pins. [`end_plan`] rolls it back; it is rolled back
/// here when the read fails. Nothing in it is ever committed.
pub fn introspect_for_plan(
    exec: &mut dyn Exec,
    timeouts: &Timeouts,
    schemas: &[String],
) -> Result<Schema, Error> {
    let scope = Scope::Transaction;
    let schema = open_and_read_catalog(exec, scope, Purpose::Plan, timeouts, schemas);
    if schema.is_err() {
        abandon(exec, scope);
    }
    schema
}

/// The round trip inside the transaction [`introspect_for_plan`] left open.
pub fn compare_in_plan(exec: &mut dyn Exec, pairs: &[ExprPair]) -> Result<Vec<Resolution>, Error> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    crate::expr::roundtrip::run(exec, pairs)
}

/// Ends the transaction [`introspect_for_plan`] opened.
pub fn end_plan(exec: &mut dyn Exec) {
    abandon(exec, Scope::Transaction)
}

/// Opens the scope for `purpose` and reads the catalog in it (see
/// [`Exec::open_and_read_catalog`]); the caller ends the scope, also on failure.
fn open_and_read_catalog(
    exec: &mut dyn Exec,
    scope: Scope,
    purpose: Purpose,
    timeouts: &Timeouts,
    schemas: &[String],
) -> Result<Schema, Error> {
    let mut reader = crate::introspect::CatalogReader::new();
    exec.open_and_read_catalog(&scope.open(purpose, timeouts), schemas, &mut reader)
        .map_err(|e| db("introspection", e))?;
    reader.finish()
}

/// The policies that depend on a column of one of `tables` (PostgreSQL's own dependency
/// records: a policy's USING or WITH CHECK reads the column, on its table or in a
/// sub-select), as `(schema, table, policy)`, sorted. PostgreSQL refuses to change the
/// type of such a column while the policy exists.
pub fn column_policies(
    exec: &mut dyn Exec,
    scope: Scope,
    timeouts: &Timeouts,
    tables: &[TableName],
) -> Result<Vec<(String, String, String)>, Error> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    run_all(exec, &scope.open(Purpose::Read, timeouts)).map_err(|e| db("dependencies", e))?;
    let rows = exec.query(&column_policies_query(tables));
    abandon(exec, scope);
    let rows = rows.map_err(|e| db("dependencies", e))?;
    Ok(rows
        .into_iter()
        .filter_map(|r| match r.as_slice() {
            [Some(s), Some(t), Some(p)] => Some((s.clone(), t.clone(), p.clone())),
            _ => None,
        })
        .collect())
}

fn column_policies_query(tables: &[TableName]) -> String {
    use crate::sql::quote::literal;
    let list = |f: &dyn Fn(&TableName) -> &str| {
        tables
            .iter()
            .map(|t| literal(f(t)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        r#"SELECT DISTINCT n.nspname::pg_catalog.text, c.relname::pg_catalog.text, p.polname::pg_catalog.text
  FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_policy p ON p.oid OPERATOR(pg_catalog.=) d.objid
  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  JOIN pg_catalog.pg_class rc ON rc.oid OPERATOR(pg_catalog.=) d.refobjid
  JOIN pg_catalog.pg_namespace rn ON rn.oid OPERATOR(pg_catalog.=) rc.relnamespace
  JOIN ROWS FROM (pg_catalog.unnest(ARRAY[{schemas}]::pg_catalog.text[]), pg_catalog.unnest(ARRAY[{names}]::pg_catalog.text[])) AS w(s, t)
    ON w.s OPERATOR(pg_catalog.=) rn.nspname::pg_catalog.text AND w.t OPERATOR(pg_catalog.=) rc.relname::pg_catalog.text
  WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_policy'::pg_catalog.regclass
    AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
    AND d.refobjsubid OPERATOR(pg_catalog.>) 0
  ORDER BY 1, 2, 3"#,
        schemas = list(&|t| t.schema.as_str()),
        names = list(&|t| t.name.as_str()),
    )
}

pub fn apply(
    exec: &mut dyn Exec,
    scope: Scope,
    timeouts: &Timeouts,
    retries: u32,
    plan: &Plan,
) -> Result<(), Error> {
    if plan.is_empty() {
        return Ok(());
    }
    let saved = match scope {
        Scope::Transaction => None,
        Scope::Savepoint => {
            let rows = exec
                .query(&session::pinned_values_query())
                .map_err(|e| db("apply failed (nothing was applied)", e))?;
            rows.into_iter().next()
        }
    };
    let delays = session::retry_delays(retries);
    let statements = plan.statements();
    let mut attempt = 0;
    loop {
        let failure = (|| -> Result<(), (Option<String>, DbError)> {
            run_all(exec, &scope.open(Purpose::Apply, timeouts)).map_err(|e| (None, e))?;
            for stmt in &statements {
                exec.execute(stmt).map_err(|e| (Some(stmt.clone()), e))?;
            }
            run_all(exec, &scope.commit()).map_err(|e| (Some("COMMIT".into()), e))
        })();
        let (stmt, e) = match failure {
            Ok(()) => {
                if let Some(values) = &saved {
                    exec.execute(&session::restore_pinned(values)).map_err(|e| {
                        db("apply: setting the caller's session settings back failed (its transaction cannot commit)", e)
                    })?;
                }
                return Ok(());
            }
            Err(f) => f,
        };
        abandon(exec, scope);
        if e.is(session::LOCK_NOT_AVAILABLE) && attempt < delays.len() {
            exec.sleep(delays[attempt]);
            attempt += 1;
            continue;
        }
        let tries = if attempt > 0 {
            format!(" after {} attempts", attempt + 1)
        } else {
            String::new()
        };
        let revoke = stmt.as_deref().is_some_and(|s| s.starts_with("REVOKE "));
        let at = stmt.map(|s| format!(" at `{s}`")).unwrap_or_default();
        let err = db(
            &format!("apply failed{tries} (nothing was applied){at}"),
            e.clone(),
        );
        if revoke && e.is(DEPENDENT_PRIVILEGES) {
            return Err(Error::Database(format!(
                "{err}: the grantee granted these privileges onward (it held them WITH GRANT \
                 OPTION); pgpolicy does not revoke with CASCADE, which would also take them from \
                 roles it was not asked to change: revoke those grants first (as the grantee, or \
                 REVOKE ... CASCADE by hand), then run the plan again"
            )));
        }
        return Err(err);
    }
}

/// Compares pairs through PostgreSQL's deparser (see [`crate::expr::roundtrip`]) in a
/// transaction (or savepoint) that is rolled back. `setup` statements (the dev
/// database's tables) run first, each in a savepoint of its own.
pub fn compare(
    exec: &mut dyn Exec,
    scope: Scope,
    timeouts: &Timeouts,
    setup: &[String],
    pairs: &[ExprPair],
) -> Result<Vec<Resolution>, Error> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    run_all(exec, &scope.open(Purpose::Compare, timeouts)).map_err(|e| db("comparison", e))?;
    let result = (|| -> Result<Vec<Resolution>, Error> {
        for stmt in setup {
            exec.execute("SAVEPOINT pgpolicy_setup")
                .map_err(|e| db("comparison", e))?;
            match exec.execute(stmt) {
                Ok(()) => exec.execute("RELEASE SAVEPOINT pgpolicy_setup"),
                Err(e) if e.is_statement_error() => exec
                    .execute("ROLLBACK TO SAVEPOINT pgpolicy_setup")
                    .and_then(|_| exec.execute("RELEASE SAVEPOINT pgpolicy_setup")),
                Err(e) => {
                    return Err(db(
                        &format!("comparison: preparing the dev database at `{stmt}`"),
                        e,
                    ))
                }
            }
            .map_err(|e| db("comparison", e))?;
        }
        crate::expr::roundtrip::run(exec, pairs)
    })();
    abandon(exec, scope);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::Change;
    use crate::ir::TableName;

    /// Records statements; answers the settings query with the caller's values; fails
    /// the statements that contain `fail_on` with `code`.
    struct Recorder {
        log: Vec<String>,
        fail_on: Option<(&'static str, &'static str)>,
    }

    impl Exec for Recorder {
        fn execute(&mut self, sql: &str) -> Result<(), DbError> {
            self.log.push(sql.to_string());
            match self.fail_on {
                Some((needle, code)) if sql.contains(needle) => {
                    Err(DbError::new(Some(code.into()), "failed"))
                }
                _ => Ok(()),
            }
        }

        fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
            self.log.push(sql.to_string());
            Ok(vec![caller_settings()])
        }

        fn sleep(&mut self, _d: Duration) {}
    }

    /// The settings the recorder's caller has (what its `pinned_values_query` returns).
    fn caller_settings() -> Vec<Option<String>> {
        vec![
            Some("off".into()),
            Some("app".into()),
            Some("0".into()),
            Some("0".into()),
        ]
    }

    fn plan() -> Plan {
        Plan::ordered(vec![Change::EnableRls {
            table: TableName::new("public", "t"),
        }])
    }

    #[test]
    fn savepoint_apply_sets_the_callers_settings_back() {
        let mut r = Recorder {
            log: Vec::new(),
            fail_on: None,
        };
        apply(&mut r, Scope::Savepoint, &Timeouts::default(), 0, &plan()).unwrap();
        assert_eq!(r.log[0], session::pinned_values_query());
        assert_eq!(r.log[1], "SAVEPOINT pgpolicy");
        assert_eq!(r.log[2], session::pin_statement(&Timeouts::default()));
        assert_eq!(r.log[3], "ALTER TABLE public.t ENABLE ROW LEVEL SECURITY");
        assert_eq!(r.log[4], "RELEASE SAVEPOINT pgpolicy");
        assert_eq!(r.log[5], session::restore_pinned(&caller_settings()));
        assert_eq!(r.log.len(), 6);
    }

    #[test]
    fn a_failed_savepoint_apply_rolls_back_and_restores_nothing() {
        let mut r = Recorder {
            log: Vec::new(),
            fail_on: Some(("ENABLE ROW LEVEL", session::LOCK_NOT_AVAILABLE)),
        };
        let e = apply(&mut r, Scope::Savepoint, &Timeouts::default(), 1, &plan()).unwrap_err();
        assert!(
            e.to_string()
                .contains("after 2 attempts (nothing was applied)"),
            "{e}"
        );
        assert_eq!(
            r.log
                .iter()
                .filter(|s| s.starts_with("ROLLBACK TO SAVEPOINT pgpolicy"))
                .count(),
            2
        );
        assert!(!r.log.contains(&session::restore_pinned(&caller_settings())));
    }

    #[test]
    fn transaction_apply_reads_no_settings() {
        let mut r = Recorder {
            log: Vec::new(),
            fail_on: None,
        };
        apply(&mut r, Scope::Transaction, &Timeouts::default(), 0, &plan()).unwrap();
        assert_eq!(r.log[0], "BEGIN");
        assert_eq!(r.log.last().unwrap(), "COMMIT");
    }
}
