//! `pgpolicy._native`: the core's schema, diff, introspection and throwaway PostgreSQL for
//! Python. Thin: every decision is the core's; this module converts values and errors,
//! releases the GIL around database and diff work, and lets a Python connection (a
//! SQLAlchemy Connection) run the core's catalog and round-trip statements.

mod convert;

use std::sync::Mutex;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyList;
use serde_json::Value;

use pgpolicy::diff::{ExprPair, Resolution, Resolver};
use pgpolicy::expr::roundtrip;
use pgpolicy::introspect::{self, LiveDb};
use pgpolicy::{DiffOptions, Plan, Schema};

create_exception!(pgpolicy._native, Error, PyException, "Base class of every pgpolicy error.");
create_exception!(
    pgpolicy._native,
    ValidationError,
    Error,
    "Invalid declarations; names the table, the policy and the clause."
);
create_exception!(pgpolicy._native, SourceError, Error, "A JSON or SQL source that cannot be read.");
create_exception!(pgpolicy._native, DatabaseError, Error, "A database error (connection, query, apply).");
create_exception!(pgpolicy._native, EmbeddedError, Error, "The throwaway PostgreSQL could not be started.");

/// A core error on its way to Python.
struct CoreError(pgpolicy::Error);

impl From<pgpolicy::Error> for CoreError {
    fn from(e: pgpolicy::Error) -> CoreError {
        CoreError(e)
    }
}

impl From<CoreError> for PyErr {
    fn from(e: CoreError) -> PyErr {
        let message = e.0.to_string();
        match e.0 {
            pgpolicy::Error::Validation(errors) => Python::attach(|py| validation_error(py, &message, &errors)),
            pgpolicy::Error::Source(_) | pgpolicy::Error::Io(_) => SourceError::new_err(message),
            pgpolicy::Error::Database(_) => DatabaseError::new_err(message),
            pgpolicy::Error::Embedded(_) => EmbeddedError::new_err(message),
        }
    }
}

/// `ValidationError` with `.errors` (every error as a dict) and the first error's `.code`,
/// `.table`, `.policy`, `.clause` and `.message`.
fn validation_error(py: Python<'_>, message: &str, errors: &[pgpolicy::ValidationError]) -> PyErr {
    let err = ValidationError::new_err(message.to_string());
    let set = || -> PyResult<()> {
        let value = err.value(py);
        let all = serde_json::to_value(errors).unwrap_or(Value::Null);
        let first = all.get(0).cloned().unwrap_or(Value::Null);
        for key in ["code", "table", "policy", "message"] {
            value.setattr(key, convert::to_py(py, first.get(key).unwrap_or(&Value::Null))?)?;
        }
        let clause = errors.first().and_then(|e| e.clause).map(|c| c.as_str());
        value.setattr("clause", clause)?;
        let list = PyList::empty(py);
        for (e, v) in errors.iter().zip(all.as_array().into_iter().flatten()) {
            let d = convert::to_py(py, v)?;
            d.set_item("clause", e.clause.map(|c| c.as_str()))?;
            list.append(d)?;
        }
        value.setattr("errors", list)?;
        Ok(())
    };
    if let Err(e) = set() {
        return e;
    }
    err
}

type CoreResult<T> = Result<T, CoreError>;

/// The declared or introspected RLS state: tables (with columns, RLS flags and policies),
/// roles and grants.
#[pyclass(name = "Schema", module = "pgpolicy._native", frozen)]
struct PySchema {
    inner: Schema,
    warnings: Vec<String>,
}

impl PySchema {
    fn new(inner: Schema) -> PySchema {
        PySchema { inner, warnings: Vec::new() }
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
            let (mut s, warnings) = pgpolicy::sql::read_sql(text)?;
            pgpolicy::validate::validate(&s)?;
            s.normalize();
            Ok(PySchema { inner: s, warnings })
        })
    }

    /// Reads a `.sql` file (see `from_sql`).
    #[staticmethod]
    fn from_sql_file(py: Python<'_>, path: std::path::PathBuf) -> CoreResult<PySchema> {
        py.detach(|| {
            let (mut s, warnings) = pgpolicy::sql::read_sql_file(&path)?;
            pgpolicy::validate::validate(&s)?;
            s.normalize();
            Ok(PySchema { inner: s, warnings })
        })
    }

    /// The catalog document `catalog_query` returns, as a schema.
    #[staticmethod]
    fn from_catalog_json(text: &str) -> CoreResult<PySchema> {
        Ok(PySchema::new(introspect::from_catalog_json(text)?))
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
        convert::to_py(py, self.value().get("tables").unwrap_or(&Value::Array(Vec::new())))
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
        convert::to_py(py, &serde_json::to_value(&self.inner.roles).unwrap_or(Value::Null))
    }

    #[getter]
    fn grants<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &serde_json::to_value(&self.inner.grants).unwrap_or(Value::Null))
    }

    /// Statements skipped while reading a SQL source.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
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
        slf.py().import("pgpolicy._html")?.call_method1("schema_html", (slf,))?.extract()
    }
}

/// Ordered, reversible changes from one schema to another.
#[pyclass(name = "Plan", module = "pgpolicy._native", frozen)]
struct PyPlan {
    inner: Plan,
}

#[pymethods]
impl PyPlan {
    /// The SQL script: each change under a comment, all in one transaction; empty when
    /// there is nothing to do.
    fn sql(&self) -> String {
        self.inner.sql()
    }

    /// The script that undoes this plan.
    fn reverse_sql(&self) -> String {
        self.inner.reverse().sql()
    }

    fn reverse(&self) -> PyPlan {
        PyPlan { inner: self.inner.reverse() }
    }

    /// Every statement in order, without semicolons.
    fn statements(&self) -> Vec<String> {
        self.inner.statements()
    }

    /// The changes as dicts; `kind` says which (`create_policy`, `alter_policy`, ...).
    #[getter]
    fn changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &serde_json::to_value(&self.inner.changes).unwrap_or(Value::Null))
    }

    /// Each change with its comment, its SQL and the SQL that undoes it.
    fn steps<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &serde_json::to_value(self.inner.steps()).unwrap_or(Value::Null))
    }

    /// `{"steps": [...], "sql": "...", "reverse_sql": "..."}`.
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
        format!("<pgpolicy.Plan: {} changes\n{}>", self.inner.len(), lines.join("\n"))
    }

    fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
        slf.py().import("pgpolicy._html")?.call_method1("plan_html", (slf,))?.extract()
    }
}

fn options(prune: Option<bool>) -> DiffOptions {
    DiffOptions { prune }
}

/// Offline diff: expressions the canonicalizer cannot prove equal count as changed.
#[pyfunction]
#[pyo3(signature = (current, desired, *, prune=None))]
fn diff(py: Python<'_>, current: PyRef<'_, PySchema>, desired: PyRef<'_, PySchema>, prune: Option<bool>) -> CoreResult<PyPlan> {
    let (c, d) = (&current.inner, &desired.inner);
    let plan = py.detach(|| pgpolicy::diff(c, d, &options(prune)))?;
    Ok(PyPlan { inner: plan })
}

/// Diff whose undecided pairs are compared by the round trip on the database at `url`.
#[pyfunction]
#[pyo3(signature = (url, current, desired, *, prune=None))]
fn diff_url(
    py: Python<'_>,
    url: &str,
    current: PyRef<'_, PySchema>,
    desired: PyRef<'_, PySchema>,
    prune: Option<bool>,
) -> CoreResult<PyPlan> {
    let (c, d) = (&current.inner, &desired.inner);
    let plan = py.detach(|| -> pgpolicy::Result<Plan> {
        let mut db = LiveDb::connect(url)?;
        pgpolicy::diff_with(c, d, &options(prune), Some(&mut db))
    })?;
    Ok(PyPlan { inner: plan })
}

/// The round trip run through a Python callable `run(sql, fetch)`: executes one
/// statement on the caller's connection and returns the row's two texts when `fetch`,
/// raising on a database error.
struct CallbackResolver {
    run: Py<PyAny>,
}

impl CallbackResolver {
    fn exec(&self, py: Python<'_>, sql: &str, fetch: bool) -> PyResult<Option<(String, String)>> {
        self.run.bind(py).call1((sql, fetch))?.extract()
    }

    /// One stage: setup, query, cleanup. None when the setup or query failed (an
    /// expression that does not compile against the table counts as different).
    fn stage(&self, py: Python<'_>, st: &roundtrip::PairStatements) -> PyResult<Option<(String, String)>> {
        let mut printed = None;
        let mut ok = true;
        for s in &st.setup {
            if self.exec(py, &s, false).is_err() {
                ok = false;
                break;
            }
        }
        if ok {
            printed = self.exec(py, &st.query, true).ok().flatten();
        }
        for s in &st.cleanup {
            self.exec(py, s, false)?;
        }
        Ok(printed)
    }
}

impl Resolver for CallbackResolver {
    fn resolve(&mut self, pairs: &[ExprPair], _context: &Schema) -> pgpolicy::Result<Vec<Resolution>> {
        Python::attach(|py| -> PyResult<Vec<Resolution>> {
            self.exec(py, roundtrip::SETUP, false)?;
            let mut out = Vec::with_capacity(pairs.len());
            for pair in pairs {
                let mut printed = self.stage(py, &roundtrip::statements(pair))?;
                if let Some(p) = &printed {
                    printed = self.stage(py, &roundtrip::next_statements(pair, p))?;
                }
                out.push(roundtrip::resolution(printed));
            }
            Ok(out)
        })
        .map_err(|e| pgpolicy::Error::Database(format!("comparison: {e}")))
    }
}

/// Diff whose undecided pairs are compared by the round trip through `run(sql, fetch)`.
/// The caller runs this inside a savepoint that it rolls back afterwards.
#[pyfunction]
#[pyo3(signature = (run, current, desired, *, prune=None))]
fn diff_with(
    py: Python<'_>,
    run: Py<PyAny>,
    current: PyRef<'_, PySchema>,
    desired: PyRef<'_, PySchema>,
    prune: Option<bool>,
) -> CoreResult<PyPlan> {
    let (c, d) = (&current.inner, &desired.inner);
    let mut resolver = CallbackResolver { run };
    let plan = py.detach(|| pgpolicy::diff_with(c, d, &options(prune), Some(&mut resolver)))?;
    Ok(PyPlan { inner: plan })
}

/// Reads the RLS state of `schemas` (default `public`) from the database at `url`.
#[pyfunction]
#[pyo3(signature = (url, schemas=None))]
fn introspect_url(py: Python<'_>, url: &str, schemas: Option<Vec<String>>) -> CoreResult<PySchema> {
    let schemas = schemas.unwrap_or_default();
    let s = py.detach(|| introspect::blocking::introspect_url(url, &schemas))?;
    Ok(PySchema::new(s))
}

/// Runs the plan on the database at `url` in one transaction.
#[pyfunction]
fn apply_url(py: Python<'_>, url: &str, plan: PyRef<'_, PyPlan>) -> CoreResult<()> {
    let p = &plan.inner;
    py.detach(|| introspect::blocking::apply_url(url, p))?;
    Ok(())
}

/// The one catalog query (one row, one text column: JSON); run `INTROSPECT_SETUP` first
/// in a savepoint that is rolled back afterwards.
#[pyfunction]
#[pyo3(signature = (schemas=None))]
fn catalog_query(schemas: Option<Vec<String>>) -> String {
    introspect::catalog_query(&schemas.unwrap_or_default())
}

/// The SQL statements of one change given as a dict (the form `Plan.changes` hands out).
#[pyfunction]
fn change_sql(change: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    Ok(convert::change_from_value(convert::from_py(change)?)?.sql())
}

/// The one-line description of a change given as a dict.
#[pyfunction]
fn change_describe(change: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(convert::change_from_value(convert::from_py(change)?)?.describe())
}

/// The change that undoes the given one, as a dict.
#[pyfunction]
fn change_reverse<'py>(py: Python<'py>, change: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let c = convert::change_from_value(convert::from_py(change)?)?.reverse();
    convert::to_py(py, &serde_json::to_value(&c).unwrap_or(Value::Null))
}

/// Checks a schema given as JSON without keeping it (raises `ValidationError`).
#[pyfunction]
fn validate_json(py: Python<'_>, text: &str) -> CoreResult<()> {
    py.detach(|| Schema::from_json(text))?;
    Ok(())
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
    fn with<T>(&self, f: impl FnOnce(&pgpolicy::embedded::Cluster) -> pgpolicy::Result<T>) -> CoreResult<T> {
        let guard = self.cluster.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(c) => Ok(f(c)?),
            None => Err(CoreError(pgpolicy::Error::Embedded("the server was stopped".into()))),
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
        Ok(PyEmbedded { cluster: Mutex::new(Some(cluster)), socket_dir, port })
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
        let cluster = self.cluster.lock().unwrap_or_else(|e| e.into_inner()).take();
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
        format!("<pgpolicy.EmbeddedPostgres socket_dir={:?} running={}>", self.socket_dir, self.running())
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
    m.add_class::<PySchema>()?;
    m.add_class::<PyPlan>()?;
    m.add_class::<PyEmbedded>()?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(diff_url, m)?)?;
    m.add_function(wrap_pyfunction!(diff_with, m)?)?;
    m.add_function(wrap_pyfunction!(introspect_url, m)?)?;
    m.add_function(wrap_pyfunction!(apply_url, m)?)?;
    m.add_function(wrap_pyfunction!(catalog_query, m)?)?;
    m.add_function(wrap_pyfunction!(change_sql, m)?)?;
    m.add_function(wrap_pyfunction!(change_describe, m)?)?;
    m.add_function(wrap_pyfunction!(change_reverse, m)?)?;
    m.add_function(wrap_pyfunction!(validate_json, m)?)?;
    m.add("INTROSPECT_SETUP", introspect::SETUP)?;
    m.add("ROUNDTRIP_SETUP", roundtrip::SETUP)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
