//! `pgpolicy._native`: the core's schema, diff, introspection and throwaway PostgreSQL for
//! Python. Thin: every decision is the core's; this module converts values and errors,
//! releases the GIL around database and diff work, and lets a Python connection (a
//! SQLAlchemy Connection) carry the core's database protocol (`pgpolicy::exec`:
//! introspection, the round trip and apply, each in a pinned savepoint).

mod change;
mod convert;
mod impact;
mod lint;

use std::sync::Mutex;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;
use serde_json::Value;

use pgpolicy::diff::{ExprPair, Resolution, Resolver};
use pgpolicy::exec::{self, DbError, Exec, Scope};
use pgpolicy::introspect::{self, LiveDb};
use pgpolicy::session::{self, Timeouts};
use pgpolicy::{DiffOptions, Plan, Schema};

create_exception!(
    pgpolicy._native,
    Error,
    PyException,
    "Base class of every pgpolicy error."
);
create_exception!(
    pgpolicy._native,
    ValidationError,
    Error,
    "Invalid declarations; names the table, the policy and the clause."
);
create_exception!(
    pgpolicy._native,
    SourceError,
    Error,
    "A JSON or SQL source that cannot be read."
);
create_exception!(
    pgpolicy._native,
    DatabaseError,
    Error,
    "A database error (connection, query, apply)."
);
create_exception!(
    pgpolicy._native,
    EmbeddedError,
    Error,
    "The throwaway PostgreSQL could not be started."
);
create_exception!(
    pgpolicy._native,
    WeakeningError,
    Error,
    "A plan that weakens protection, refused because weakening was not allowed (`code` is \"WEAKENS\")."
);

/// A core error on its way to Python.
pub(crate) struct CoreError(pgpolicy::Error);

impl From<pgpolicy::Error> for CoreError {
    fn from(e: pgpolicy::Error) -> CoreError {
        CoreError(e)
    }
}

impl From<CoreError> for PyErr {
    fn from(e: CoreError) -> PyErr {
        let message = e.0.to_string();
        let code = e.0.code();
        let err = match e.0 {
            pgpolicy::Error::Validation(errors) => {
                return Python::attach(|py| validation_error(py, &message, &errors))
            }
            pgpolicy::Error::Source(_) | pgpolicy::Error::Io(_) => SourceError::new_err(message),
            pgpolicy::Error::Database(_) => DatabaseError::new_err(message),
            pgpolicy::Error::Embedded(_) => EmbeddedError::new_err(message),
            pgpolicy::Error::Weakening(_) => WeakeningError::new_err(message),
        };
        Python::attach(|py| match error_fields(py, &err, code) {
            Ok(()) => err,
            Err(e) => e,
        })
    }
}

/// The fields every pgpolicy error has (as in the Node package): the core's `code`
/// (`SOURCE`, `DATABASE`, `WEAKENS`, ...); no table, policy or clause; no validation errors.
fn error_fields(py: Python<'_>, err: &PyErr, code: &str) -> PyResult<()> {
    let value = err.value(py);
    value.setattr("code", code)?;
    for key in ["table", "policy", "clause"] {
        value.setattr(key, py.None())?;
    }
    value.setattr("errors", PyList::empty(py))?;
    Ok(())
}

/// `ValidationError` with `.errors` (every error as a dict, the core's serde form) and the
/// first error's `.code`, `.table`, `.policy`, `.clause` and `.message`. Clauses are
/// spelled as the core serializes them (`USING`, `WITH_CHECK`, `NAME`, ...), the same in
/// every binding; the message is the core's.
fn validation_error(py: Python<'_>, message: &str, errors: &[pgpolicy::ValidationError]) -> PyErr {
    let err = ValidationError::new_err(message.to_string());
    let set = || -> PyResult<()> {
        let value = err.value(py);
        let all = serde_json::to_value(errors).unwrap_or(Value::Null);
        let first = all.get(0).cloned().unwrap_or(Value::Null);
        for key in ["code", "table", "policy", "clause", "message"] {
            value.setattr(
                key,
                convert::to_py(py, first.get(key).unwrap_or(&Value::Null))?,
            )?;
        }
        value.setattr("errors", convert::to_py(py, &all)?)?;
        Ok(())
    };
    if let Err(e) = set() {
        return e;
    }
    err
}

pub(crate) type CoreResult<T> = Result<T, CoreError>;

/// A duration given as PostgreSQL writes it (`"5s"`, `"500ms"`, `"2min"`) or as a
/// `datetime.timedelta`; numbers are refused (seconds or milliseconds would be a guess).
fn duration_arg(what: &str, value: &Bound<'_, PyAny>) -> PyResult<std::time::Duration> {
    if let Ok(text) = value.extract::<String>() {
        return session::parse_duration(&text)
            .map_err(|e| PyValueError::new_err(format!("{what}: {e}")));
    }
    value.extract::<std::time::Duration>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what}: expected a duration such as \"5s\" or \"500ms\", or a datetime.timedelta"
        ))
    })
}

/// Time limits for pgpolicy's transactions: `lock` (lock_timeout, default 5 s; at least
/// 1 ms), `statement` (statement_timeout, default 5 min; zero means none) and `connect`
/// (connecting, default 10 s; a URL's `connect_timeout` wins). Each is a string such as
/// `"5s"` or a `datetime.timedelta`; None keeps the default.
#[pyclass(name = "Timeouts", module = "pgpolicy._native", frozen, eq)]
#[derive(PartialEq)]
struct PyTimeouts {
    inner: Timeouts,
}

#[pymethods]
impl PyTimeouts {
    #[new]
    #[pyo3(signature = (*, lock=None, statement=None, connect=None))]
    fn new(
        lock: Option<&Bound<'_, PyAny>>,
        statement: Option<&Bound<'_, PyAny>>,
        connect: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTimeouts> {
        let mut t = Timeouts::default();
        if let Some(v) = lock {
            t.lock = duration_arg("lock_timeout", v)?;
        }
        if let Some(v) = statement {
            t.statement = duration_arg("statement_timeout", v)?;
        }
        if let Some(v) = connect {
            t.connect = duration_arg("connect_timeout", v)?;
        }
        Ok(PyTimeouts { inner: t })
    }

    #[getter]
    fn lock(&self) -> std::time::Duration {
        self.inner.lock
    }

    #[getter]
    fn statement(&self) -> std::time::Duration {
        self.inner.statement
    }

    #[getter]
    fn connect(&self) -> std::time::Duration {
        self.inner.connect
    }

    /// The statements that pin a transaction before any statement carrying user text,
    /// each to be run on its own: standard_conforming_strings, search_path, lock_timeout,
    /// statement_timeout (`SET LOCAL`: they end with the transaction).
    fn pins(&self) -> Vec<String> {
        session::pins(&self.inner)
    }

    fn __repr__(&self) -> String {
        let t = &self.inner;
        format!(
            "Timeouts(lock='{}ms', statement='{}ms', connect='{}ms')",
            t.lock.as_millis(),
            t.statement.as_millis(),
            t.connect.as_millis()
        )
    }
}

fn timeouts_of(t: Option<PyRef<'_, PyTimeouts>>) -> Timeouts {
    t.map(|t| t.inner).unwrap_or_default()
}

/// The declared or introspected RLS state: tables (with columns, RLS flags and policies),
/// roles and grants.
#[pyclass(name = "Schema", module = "pgpolicy._native", frozen)]
struct PySchema {
    inner: Schema,
    warnings: Vec<String>,
}

impl PySchema {
    fn new(inner: Schema) -> PySchema {
        PySchema {
            inner,
            warnings: Vec::new(),
        }
    }

    fn value(&self) -> Value {
        serde_json::to_value(&self.inner).unwrap_or(Value::Null)
    }
}

#[pymethods]
impl PySchema {
    /// Reads the JSON exchange format (or the ModelIR shape) and validates it.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> CoreResult<PySchema> {
        let s = py.detach(|| Schema::from_json(text))?;
        Ok(PySchema::new(s))
    }

    /// Reads SQL text: CREATE TABLE for columns, ALTER TABLE .. ROW LEVEL SECURITY,
    /// CREATE POLICY, CREATE ROLE, GRANT. Skipped statements are listed in `warnings`.
    #[staticmethod]
    fn from_sql(py: Python<'_>, text: &str) -> CoreResult<PySchema> {
        py.detach(|| {
            let (inner, warnings) = pgpolicy::source::from_sql(text)?;
            Ok(PySchema { inner, warnings })
        })
    }

    /// Reads a `.sql` file (see `from_sql`).
    #[staticmethod]
    fn from_sql_file(py: Python<'_>, path: std::path::PathBuf) -> CoreResult<PySchema> {
        py.detach(|| {
            let (inner, warnings) = pgpolicy::source::from_sql_file(&path)?;
            Ok(PySchema { inner, warnings })
        })
    }

    /// The rows `catalog_query` returns (every column as text or None), as a schema.
    #[staticmethod]
    fn from_catalog_rows(rows: Vec<Vec<Option<String>>>) -> CoreResult<PySchema> {
        Ok(PySchema::new(introspect::from_catalog_rows(rows)?))
    }

    /// A schema with nothing in it.
    #[staticmethod]
    fn empty() -> PySchema {
        PySchema::new(Schema::empty())
    }

    /// The JSON exchange format (pretty-printed).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The JSON exchange format as Python values.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &self.value())
    }

    /// Tables as dicts (schema, name, columns, rls, policies).
    #[getter]
    fn tables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(
            py,
            self.value()
                .get("tables")
                .unwrap_or(&Value::Array(Vec::new())),
        )
    }

    /// Every policy as a dict, with its table's `schema` and `table`.
    #[getter]
    fn policies<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for t in &self.inner.tables {
            for p in &t.policies {
                let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.insert("schema".into(), Value::String(t.schema.clone()));
                    m.insert("table".into(), Value::String(t.name.clone()));
                }
                out.append(convert::to_py(py, &v)?)?;
            }
        }
        Ok(out)
    }

    #[getter]
    fn roles<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(
            py,
            &serde_json::to_value(&self.inner.roles).unwrap_or(Value::Null),
        )
    }

    #[getter]
    fn grants<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(
            py,
            &serde_json::to_value(&self.inner.grants).unwrap_or(Value::Null),
        )
    }

    /// `ALTER DEFAULT PRIVILEGES` entries: `{"for_role"?, "schema"?, "on", "role",
    /// "privileges", "grant_option"?}`.
    #[getter]
    fn default_privileges<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(
            py,
            &serde_json::to_value(&self.inner.default_privileges).unwrap_or(Value::Null),
        )
    }

    /// Statements skipped while reading a SQL source.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// The schemas the declaration names (its tables' and grants'), sorted; `public` when
    /// it names none: what `plan` and `apply` introspect.
    fn schema_names(&self) -> Vec<String> {
        self.inner.schema_names()
    }

    /// Whether the schema was read from a live database.
    #[getter]
    fn is_introspected(&self) -> bool {
        self.inner.is_introspected()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PySchema>() {
            Ok(o) => self.inner == o.get().inner,
            Err(_) => false,
        }
    }

    fn __repr__(&self) -> String {
        let policies: usize = self.inner.tables.iter().map(|t| t.policies.len()).sum();
        format!(
            "<pgpolicy.Schema: {} tables, {} policies, {} roles, {} grants>",
            self.inner.tables.len(),
            policies,
            self.inner.roles.len(),
            self.inner.grants.len()
        )
    }

    fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
        slf.py()
            .import("pgpolicy._html")?
            .call_method1("schema_html", (slf,))?
            .extract()
    }
}

/// Ordered, reversible changes from one schema to another.
#[pyclass(name = "Plan", module = "pgpolicy._native", frozen)]
struct PyPlan {
    inner: Plan,
}

#[pymethods]
impl PyPlan {
    /// The SQL script: the session pins, then each change under a comment (and a
    /// `-- WEAKENS:` line when it weakens protection), all in one transaction; empty
    /// when there is nothing to do.
    #[pyo3(signature = (timeouts=None))]
    fn sql(&self, timeouts: Option<PyRef<'_, PyTimeouts>>) -> String {
        self.inner.sql_with(&timeouts_of(timeouts))
    }

    /// The statements that start the plan's transaction, each on its own, before its
    /// first change (see `Timeouts.pins`).
    #[pyo3(signature = (timeouts=None))]
    fn preamble(&self, timeouts: Option<PyRef<'_, PyTimeouts>>) -> Vec<String> {
        self.inner.preamble(&timeouts_of(timeouts))
    }

    /// Why each change that weakens protection does (disables RLS or FORCE, drops or
    /// changes a restrictive policy, opens a policy to PUBLIC, grants BYPASSRLS); empty
    /// when none does.
    fn weakening(&self) -> Vec<String> {
        self.inner
            .weakening()
            .into_iter()
            .map(|(_, why)| why)
            .collect()
    }

    /// Raises `WeakeningError` listing the weakening changes, unless `allow`.
    #[pyo3(signature = (allow=false))]
    fn check_weakening(&self, allow: bool) -> CoreResult<()> {
        Ok(self.inner.check_weakening(allow)?)
    }

    /// What the comparison could not settle and counted as changed, with the reason.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }

    /// The script that undoes this plan.
    fn reverse_sql(&self) -> String {
        self.inner.reverse().sql()
    }

    fn reverse(&self) -> PyPlan {
        PyPlan {
            inner: self.inner.reverse(),
        }
    }

    /// Every statement in order, without semicolons.
    fn statements(&self) -> Vec<String> {
        self.inner.statements()
    }

    /// The changes (`pgpolicy.Change`), in plan order.
    #[getter]
    fn changes(&self) -> Vec<change::PyChange> {
        self.inner
            .changes
            .iter()
            .map(|c| change::PyChange { inner: c.clone() })
            .collect()
    }

    /// Each change with its comment, its SQL, the SQL that undoes it and why it weakens
    /// protection (`pgpolicy.Step`).
    fn steps(&self) -> Vec<change::PyStep> {
        self.inner
            .steps()
            .into_iter()
            .map(change::PyStep::of)
            .collect()
    }

    /// `{"steps": [...], "sql": "...", "reverse_sql": "...", "preamble": [...],
    /// "weakens": bool, "warnings": [...]}`.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn __bool__(&self) -> bool {
        !self.inner.is_empty()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        if self.inner.is_empty() {
            return "<pgpolicy.Plan: no changes>".into();
        }
        let lines: Vec<String> = self
            .inner
            .changes
            .iter()
            .map(|c| format!("  {}", c.describe().lines().next().unwrap_or_default()))
            .collect();
        format!(
            "<pgpolicy.Plan: {} changes\n{}>",
            self.inner.len(),
            lines.join("\n")
        )
    }

    fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
        slf.py()
            .import("pgpolicy._html")?
            .call_method1("plan_html", (slf,))?
            .extract()
    }
}

fn options(prune: Option<bool>) -> DiffOptions {
    DiffOptions { prune }
}

/// Offline diff: expressions the canonicalizer cannot prove equal count as changed.
#[pyfunction]
#[pyo3(signature = (current, desired, *, prune=None))]
fn diff(
    py: Python<'_>,
    current: PyRef<'_, PySchema>,
    desired: PyRef<'_, PySchema>,
    prune: Option<bool>,
) -> CoreResult<PyPlan> {
    let (c, d) = (&current.inner, &desired.inner);
    let plan = py.detach(|| pgpolicy::diff(c, d, &options(prune)))?;
    Ok(PyPlan { inner: plan })
}

/// Diff whose undecided pairs are compared by the round trip on the database at `url`.
#[pyfunction]
#[pyo3(signature = (url, current, desired, *, prune=None, timeouts=None))]
fn diff_url(
    py: Python<'_>,
    url: &str,
    current: PyRef<'_, PySchema>,
    desired: PyRef<'_, PySchema>,
    prune: Option<bool>,
    timeouts: Option<PyRef<'_, PyTimeouts>>,
) -> CoreResult<PyPlan> {
    let (c, d, t) = (&current.inner, &desired.inner, timeouts_of(timeouts));
    let plan = py.detach(|| -> pgpolicy::Result<Plan> {
        let mut db = LiveDb::connect_with(url, t)?;
        pgpolicy::diff_with(c, d, &options(prune), Some(&mut db))
    })?;
    Ok(PyPlan { inner: plan })
}

/// The core's database protocol over a Python callable `run(sql, fetch)` that runs one
/// statement on the caller's connection and returns its rows (sequences of text or None)
/// when `fetch`, raising on a database error. The error's `sqlstate` or `pgcode` (on the
/// exception or on its `orig`, as SQLAlchemy wraps driver errors) is the SQLSTATE the
/// core reads (lock and statement timeouts, refused expressions).
struct CallbackExec {
    run: Py<PyAny>,
    /// An exception that is not an `Exception` (KeyboardInterrupt, SystemExit): the core
    /// sees a failure and rolls back; the exception is raised again afterwards.
    interrupt: Option<PyErr>,
}

impl CallbackExec {
    fn new(run: Py<PyAny>) -> CallbackExec {
        CallbackExec {
            run,
            interrupt: None,
        }
    }

    fn call(&mut self, sql: &str, fetch: bool) -> Result<Vec<Vec<Option<String>>>, DbError> {
        if self.interrupt.is_some() {
            return Err(DbError::new(None, "interrupted"));
        }
        Python::attach(|py| match self.run.bind(py).call1((sql, fetch)) {
            Ok(rows) if fetch => rows
                .extract::<Vec<Vec<Option<String>>>>()
                .map_err(|e| DbError::new(None, format!("the rows of `{sql}` are not text: {e}"))),
            Ok(_) => Ok(Vec::new()),
            Err(e) => {
                let db = db_error_of(py, &e);
                if !e.is_instance_of::<PyException>(py) {
                    self.interrupt = Some(e);
                }
                Err(db)
            }
        })
    }

    /// The core's result, unless the callback was interrupted.
    fn finish<T>(&mut self, result: pgpolicy::Result<T>) -> PyResult<T> {
        if let Some(e) = self.interrupt.take() {
            return Err(e);
        }
        Ok(result.map_err(CoreError)?)
    }
}

fn db_error_of(py: Python<'_>, err: &PyErr) -> DbError {
    let value = err.value(py);
    let orig = match value.getattr("orig") {
        Ok(o) if !o.is_none() => o,
        _ => value.clone().into_any(),
    };
    let code = ["sqlstate", "pgcode"].iter().find_map(|a| {
        orig.getattr(*a)
            .ok()
            .and_then(|c| c.extract::<String>().ok())
    });
    let message = orig
        .str()
        .map(|s| s.to_string())
        .unwrap_or_else(|_| err.to_string())
        .trim()
        .to_string();
    DbError::new(code, message)
}

impl Exec for CallbackExec {
    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        self.call(sql, false).map(|_| ())
    }

    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        self.call(sql, true)
    }

    /// The catalog as one packed text: a Python object per field of thousands of rows
    /// would cost more than the server's read.
    fn open_and_read_catalog(
        &mut self,
        open: &[String],
        schemas: &[String],
        reader: &mut pgpolicy::introspect::CatalogReader,
    ) -> Result<(), DbError> {
        exec::read_catalog_packed(self, open, schemas, reader)
    }
}

/// The round trip on the caller's connection: the core's comparison in a savepoint of
/// the caller's transaction, rolled back.
struct CallbackResolver<'a> {
    exec: &'a mut CallbackExec,
    timeouts: Timeouts,
}

impl Resolver for CallbackResolver<'_> {
    fn resolve(
        &mut self,
        pairs: &[ExprPair],
        _context: &Schema,
    ) -> pgpolicy::Result<Vec<Resolution>> {
        exec::compare(self.exec, Scope::Savepoint, &self.timeouts, &[], pairs)
    }
}

/// Diff whose undecided pairs are compared by the round trip through `run(sql, fetch)`,
/// in a savepoint of the caller's transaction that is rolled back.
#[pyfunction]
#[pyo3(signature = (run, current, desired, *, prune=None, timeouts=None))]
fn diff_with(
    py: Python<'_>,
    run: Py<PyAny>,
    current: PyRef<'_, PySchema>,
    desired: PyRef<'_, PySchema>,
    prune: Option<bool>,
    timeouts: Option<PyRef<'_, PyTimeouts>>,
) -> PyResult<PyPlan> {
    let (c, d, t) = (&current.inner, &desired.inner, timeouts_of(timeouts));
    let mut exec = CallbackExec::new(run);
    let result = py.detach(|| {
        let mut resolver = CallbackResolver {
            exec: &mut exec,
            timeouts: t,
        };
        pgpolicy::diff_with(c, d, &options(prune), Some(&mut resolver))
    });
    Ok(PyPlan {
        inner: exec.finish(result)?,
    })
}

/// Reads the RLS state of `schemas` (default `public`) from the database at `url`.
#[pyfunction]
#[pyo3(signature = (url, schemas=None, *, timeouts=None))]
fn introspect_url(
    py: Python<'_>,
    url: &str,
    schemas: Option<Vec<String>>,
    timeouts: Option<PyRef<'_, PyTimeouts>>,
) -> CoreResult<PySchema> {
    let (schemas, t) = (schemas.unwrap_or_default(), timeouts_of(timeouts));
    let s = py.detach(|| LiveDb::connect_with(url, t)?.introspect(&schemas))?;
    Ok(PySchema::new(s))
}

/// Reads the RLS state of `schemas` (default `public`) through `run(sql, fetch)`, in a
/// savepoint of the caller's transaction that is rolled back.
#[pyfunction]
#[pyo3(signature = (run, schemas=None, *, timeouts=None))]
fn introspect_with(
    py: Python<'_>,
    run: Py<PyAny>,
    schemas: Option<Vec<String>>,
    timeouts: Option<PyRef<'_, PyTimeouts>>,
) -> PyResult<PySchema> {
    let (schemas, t) = (schemas.unwrap_or_default(), timeouts_of(timeouts));
    let mut exec = CallbackExec::new(run);
    let result = py.detach(|| exec::introspect(&mut exec, Scope::Savepoint, &t, &schemas));
    Ok(PySchema::new(exec.finish(result)?))
}

/// Runs the plan on the database at `url` in one transaction (pinned, retried after a
/// lock timeout); refuses a plan that weakens protection unless `allow_weaken`.
#[pyfunction]
#[pyo3(signature = (url, plan, *, allow_weaken=false, timeouts=None, retries=None))]
fn apply_url(
    py: Python<'_>,
    url: &str,
    plan: PyRef<'_, PyPlan>,
    allow_weaken: bool,
    timeouts: Option<PyRef<'_, PyTimeouts>>,
    retries: Option<u32>,
) -> CoreResult<()> {
    let (p, t) = (&plan.inner, timeouts_of(timeouts));
    p.check_weakening(allow_weaken)?;
    py.detach(|| -> pgpolicy::Result<()> {
        let mut db = LiveDb::connect_with(url, t)?;
        db.set_retries(retries.unwrap_or(session::DEFAULT_RETRIES));
        db.apply(p)
    })?;
    Ok(())
}

/// Runs the plan through `run(sql, fetch)` in a savepoint of the caller's transaction
/// (pinned, retried after a lock timeout; the caller commits); refuses a plan that
/// weakens protection unless `allow_weaken`.
#[pyfunction]
#[pyo3(signature = (run, plan, *, allow_weaken=false, timeouts=None, retries=None))]
fn apply_with(
    py: Python<'_>,
    run: Py<PyAny>,
    plan: PyRef<'_, PyPlan>,
    allow_weaken: bool,
    timeouts: Option<PyRef<'_, PyTimeouts>>,
    retries: Option<u32>,
) -> PyResult<()> {
    let (p, t) = (&plan.inner, timeouts_of(timeouts));
    p.check_weakening(allow_weaken).map_err(CoreError)?;
    let retries = retries.unwrap_or(session::DEFAULT_RETRIES);
    let mut exec = CallbackExec::new(run);
    let result = py.detach(|| exec::apply(&mut exec, Scope::Savepoint, &t, retries, p));
    exec.finish(result)
}

/// The one catalog query (one row, one text column: JSON), for tools that run it
/// themselves after the session pins (`Timeouts().pins()`), in a transaction or
/// savepoint that is rolled back.
#[pyfunction]
#[pyo3(signature = (schemas=None))]
fn catalog_query(schemas: Option<Vec<String>>) -> String {
    introspect::catalog_query(&schemas.unwrap_or_default())
}

/// The SQL statements of one change (a `Change`, or its dict form).
#[pyfunction]
fn change_sql(change: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    Ok(change::PyChange::extract(change)?.sql())
}

/// The one-line description of a change (a `Change`, or its dict form).
#[pyfunction]
fn change_describe(change: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(change::PyChange::extract(change)?.describe())
}

/// The change that undoes the given one (a `Change`, or its dict form).
#[pyfunction]
fn change_reverse(change: &Bound<'_, PyAny>) -> PyResult<change::PyChange> {
    Ok(change::PyChange {
        inner: change::PyChange::extract(change)?.reverse(),
    })
}

/// Why a change (a `Change`, or its dict form) weakens protection, or None.
#[pyfunction]
fn change_weakens(change: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    Ok(change::PyChange::extract(change)?.weakens())
}

/// The core's `ValidationError` (code `INVALID_EXPRESSION`) for a policy clause that the
/// package cannot turn into SQL text (an object that is no expression, one that does not
/// compile for PostgreSQL): returned, for the caller to raise. `clause` is the core's
/// spelling (`USING`, `WITH_CHECK`).
#[pyfunction]
#[pyo3(signature = (message, *, table=None, policy=None, clause=None))]
fn invalid_expression(
    message: String,
    table: Option<String>,
    policy: Option<String>,
    clause: Option<String>,
) -> PyResult<PyErr> {
    let clause = clause
        .map(|c| {
            serde_json::from_value::<pgpolicy::Clause>(Value::String(c.clone()))
                .map_err(|_| PyValueError::new_err(format!("unknown clause {c:?}")))
        })
        .transpose()?;
    let e = pgpolicy::ValidationError {
        code: "INVALID_EXPRESSION",
        table,
        policy,
        clause,
        message,
    };
    Ok(CoreError(pgpolicy::Error::validation(e)).into())
}

/// Checks a schema given as JSON without keeping it (raises `ValidationError`).
#[pyfunction]
fn validate_json(py: Python<'_>, text: &str) -> CoreResult<()> {
    py.detach(|| Schema::from_json(text))?;
    Ok(())
}

/// Checks the columns that the policies of a schema (given as JSON) name, for tables whose
/// columns are declared: raises `ValidationError` (code `UNKNOWN_COLUMN`, with a "did you
/// mean") for each column the core's column resolution proves unknown.
#[pyfunction]
fn check_columns(py: Python<'_>, text: &str) -> CoreResult<()> {
    py.detach(|| {
        let schema = Schema::from_json(text)?;
        let errors = pgpolicy::expr::columns::unknown_columns(&schema);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(pgpolicy::Error::Validation(errors))
        }
    })?;
    Ok(())
}

type ContextStatement = (String, Vec<Option<String>>);

fn context_of(
    role: Option<String>,
    settings: Vec<(String, Option<String>)>,
) -> CoreResult<pgpolicy::context::Context> {
    Ok(pgpolicy::context::Context::new(role, settings)?)
}

fn statement_tuple(s: pgpolicy::context::Statement) -> ContextStatement {
    (s.sql, s.params)
}

/// The runtime RLS context's statements (`pgpolicy::context`): `(enter, snapshot)`, each
/// statement `(sql, params)` with `$1`, `$2`, ... placeholders bound to `params`. `enter`
/// sets the role and settings; `snapshot` reads what `context_restore` needs. Raises
/// `ValidationError` (code `INVALID_CONTEXT`) for a setting name that is not `prefix.name`.
#[pyfunction]
#[pyo3(signature = (role, settings))]
fn context_statements(
    role: Option<String>,
    settings: Vec<(String, Option<String>)>,
) -> CoreResult<(Vec<ContextStatement>, ContextStatement)> {
    let c = context_of(role, settings)?;
    Ok((
        c.enter().into_iter().map(statement_tuple).collect(),
        statement_tuple(c.snapshot()),
    ))
}

/// The statements that leave a nested context for the state its snapshot row describes.
#[pyfunction]
#[pyo3(signature = (role, settings, row))]
fn context_restore(
    role: Option<String>,
    settings: Vec<(String, Option<String>)>,
    row: Vec<Option<String>>,
) -> CoreResult<Vec<ContextStatement>> {
    Ok(context_of(role, settings)?
        .restore(&row)?
        .into_iter()
        .map(statement_tuple)
        .collect())
}

/// A throwaway PostgreSQL cluster: initdb in a temporary directory, a unix socket only,
/// stopped and removed by `stop()`, on leaving a `with` block, or when collected.
#[pyclass(name = "EmbeddedPostgres", module = "pgpolicy._native")]
struct PyEmbedded {
    cluster: Mutex<Option<pgpolicy::embedded::Cluster>>,
    socket_dir: String,
    port: u16,
}

impl PyEmbedded {
    fn with<T>(
        &self,
        f: impl FnOnce(&pgpolicy::embedded::Cluster) -> pgpolicy::Result<T>,
    ) -> CoreResult<T> {
        let guard = self.cluster.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(c) => Ok(f(c)?),
            None => Err(CoreError(pgpolicy::Error::Embedded(
                "the server was stopped".into(),
            ))),
        }
    }
}

#[pymethods]
impl PyEmbedded {
    /// Starts the server (initdb + pg_ctl; through `runuser -u postgres` as root).
    #[new]
    fn new(py: Python<'_>) -> CoreResult<PyEmbedded> {
        let cluster = py.detach(pgpolicy::embedded::Cluster::start)?;
        let socket_dir = cluster.socket_dir().display().to_string();
        let port = cluster.port();
        Ok(PyEmbedded {
            cluster: Mutex::new(Some(cluster)),
            socket_dir,
            port,
        })
    }

    /// The directory holding the unix socket.
    #[getter]
    fn socket_dir(&self) -> String {
        self.socket_dir.clone()
    }

    #[getter]
    fn port(&self) -> u16 {
        self.port
    }

    /// A libpq URL for `dbname` as the superuser `postgres` over the unix socket.
    #[pyo3(signature = (dbname="postgres"))]
    fn url(&self, dbname: &str) -> CoreResult<String> {
        self.with(|c| Ok(c.url(dbname)))
    }

    /// Creates a database and returns its libpq URL.
    fn create_database(&self, py: Python<'_>, name: &str) -> CoreResult<String> {
        py.detach(|| self.with(|c| c.create_database(name)))
    }

    /// Runs SQL through psql as the superuser; returns psql's unaligned output.
    #[pyo3(signature = (sql, dbname="postgres"))]
    fn psql(&self, py: Python<'_>, sql: &str, dbname: &str) -> CoreResult<String> {
        py.detach(|| self.with(|c| c.psql(dbname, sql)))
    }

    /// Stops the server and removes its directory.
    fn stop(&self, py: Python<'_>) {
        let cluster = self
            .cluster
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        py.detach(move || drop(cluster));
    }

    #[getter]
    fn running(&self) -> bool {
        self.cluster.lock().map(|g| g.is_some()).unwrap_or(false)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.stop(py);
        false
    }

    fn __repr__(&self) -> String {
        format!(
            "<pgpolicy.EmbeddedPostgres socket_dir={:?} running={}>",
            self.socket_dir,
            self.running()
        )
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("ValidationError", py.get_type::<ValidationError>())?;
    m.add("SourceError", py.get_type::<SourceError>())?;
    m.add("DatabaseError", py.get_type::<DatabaseError>())?;
    m.add("EmbeddedError", py.get_type::<EmbeddedError>())?;
    m.add("WeakeningError", py.get_type::<WeakeningError>())?;
    m.add_class::<PyTimeouts>()?;
    m.add_class::<PySchema>()?;
    m.add_class::<PyPlan>()?;
    m.add_class::<change::PyChange>()?;
    m.add_class::<change::PyStep>()?;
    m.add_class::<PyEmbedded>()?;
    lint::register(m)?;
    impact::register(m)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(diff_url, m)?)?;
    m.add_function(wrap_pyfunction!(diff_with, m)?)?;
    m.add_function(wrap_pyfunction!(introspect_url, m)?)?;
    m.add_function(wrap_pyfunction!(introspect_with, m)?)?;
    m.add_function(wrap_pyfunction!(apply_url, m)?)?;
    m.add_function(wrap_pyfunction!(apply_with, m)?)?;
    m.add_function(wrap_pyfunction!(catalog_query, m)?)?;
    m.add_function(wrap_pyfunction!(change_sql, m)?)?;
    m.add_function(wrap_pyfunction!(change_describe, m)?)?;
    m.add_function(wrap_pyfunction!(change_reverse, m)?)?;
    m.add_function(wrap_pyfunction!(change_weakens, m)?)?;
    m.add_function(wrap_pyfunction!(validate_json, m)?)?;
    m.add_function(wrap_pyfunction!(invalid_expression, m)?)?;
    m.add_function(wrap_pyfunction!(context_statements, m)?)?;
    m.add_function(wrap_pyfunction!(check_columns, m)?)?;
    m.add_function(wrap_pyfunction!(context_restore, m)?)?;
    m.add("SEARCH_PATH", session::SEARCH_PATH)?;
    m.add("DEFAULT_RETRIES", session::DEFAULT_RETRIES)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
