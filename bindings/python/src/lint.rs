//! `lint` and `explain` for Python: the core's report and explanation as classes, read
//! offline, through the core's own connection (a URL), or on a SQLAlchemy connection (the
//! core's protocol through a callback, inside a savepoint that is rolled back).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use pgpolicy::exec::Scope;
use pgpolicy::explain::Explanation;
use pgpolicy::introspect::LiveDb;
use pgpolicy::lint::{self, DbFacts, LintConfig, Report, Severity};
use pgpolicy::{Command, Schema};

use crate::convert::{from_py, to_py};
use crate::{timeouts_of, CallbackExec, CoreError, CoreResult, PySchema, PyTimeouts};

/// What `lint` found: `findings` (dicts with rule, severity, table, policy, role, object,
/// message, fix, errors first) and `skipped` (rules that needed a database).
#[pyclass(name = "LintReport", module = "pgpolicy._native", frozen)]
pub struct PyLintReport {
    inner: Report,
}

#[pymethods]
impl PyLintReport {
    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(
            py,
            &serde_json::to_value(&self.inner.findings).unwrap_or_default(),
        )
    }

    #[getter]
    fn skipped(&self) -> Vec<String> {
        self.inner.skipped.clone()
    }

    /// Whether a finding is at or above `level` (`info`, `warning` or `error`).
    #[pyo3(signature = (level="warning"))]
    fn fails(&self, level: &str) -> PyResult<bool> {
        Ok(self.inner.fails(severity(level)?))
    }

    /// The report as the CLI prints it.
    fn text(&self) -> String {
        lint::to_text(&self.inner)
    }

    /// SARIF 2.1.0 (`artifact`: the declaration file, as the physical location).
    #[pyo3(signature = (artifact=None))]
    fn sarif(&self, artifact: Option<&str>) -> String {
        lint::to_sarif(&self.inner, artifact)
    }

    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn __len__(&self) -> usize {
        self.inner.findings.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "<pgpolicy.LintReport: {} error(s), {} warning(s), {} info>",
            self.inner.count(Severity::Error),
            self.inner.count(Severity::Warning),
            self.inner.count(Severity::Info)
        )
    }

    fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
        slf.py()
            .import("pgpolicy._html")?
            .call_method1("lint_html", (slf,))?
            .extract()
    }
}

/// The effective rules of one table: `entries` (dicts with role, command, verdict, reason,
/// using, with_check, permissive, restrictive), a roles × commands matrix in notebooks.
#[pyclass(name = "Explanation", module = "pgpolicy._native", frozen)]
pub struct PyExplanation {
    inner: Explanation,
}

#[pymethods]
impl PyExplanation {
    #[getter]
    fn table(&self) -> String {
        self.inner.table.clone()
    }

    #[getter]
    fn rls_enabled(&self) -> bool {
        self.inner.rls_enabled
    }

    #[getter]
    fn rls_forced(&self) -> bool {
        self.inner.rls_forced
    }

    #[getter]
    fn owner(&self) -> Option<String> {
        self.inner.owner.clone()
    }

    #[getter]
    fn entries<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(
            py,
            &serde_json::to_value(&self.inner.entries).unwrap_or_default(),
        )
    }

    /// The matrix and each role's predicates, as the CLI prints them.
    fn text(&self) -> String {
        self.inner.to_text()
    }

    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn __repr__(&self) -> String {
        format!(
            "<pgpolicy.Explanation {}: {} role/command entries>",
            self.inner.table,
            self.inner.entries.len()
        )
    }

    fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
        slf.py()
            .import("pgpolicy._html")?
            .call_method1("explain_html", (slf,))?
            .extract()
    }
}

fn severity(level: &str) -> PyResult<Severity> {
    Severity::parse(level).ok_or_else(|| {
        PyValueError::new_err(format!(
            "level {level:?}: expected \"info\", \"warning\" or \"error\""
        ))
    })
}

/// A configuration: None, the text of a `pgpolicy.toml`, or a dict shaped like its
/// `[lint]` section.
fn config_of(config: Option<&Bound<'_, PyAny>>) -> PyResult<LintConfig> {
    let Some(c) = config.filter(|c| !c.is_none()) else {
        return Ok(LintConfig::default());
    };
    if let Ok(text) = c.cast::<PyString>() {
        return Ok(LintConfig::from_toml(&text.to_cow()?).map_err(CoreError)?);
    }
    let cfg: LintConfig = serde_json::from_value(from_py(c)?)
        .map_err(|e| CoreError(pgpolicy::Error::Source(format!("lint configuration: {e}"))))?;
    cfg.check().map_err(CoreError)?;
    Ok(cfg)
}

fn command_of(command: Option<&str>) -> PyResult<Option<Command>> {
    command
        .map(|c| {
            Command::parse(c)
                .filter(|c| *c != Command::All)
                .ok_or_else(|| {
                    PyValueError::new_err(format!(
                        "command {c:?}: expected SELECT, INSERT, UPDATE or DELETE"
                    ))
                })
        })
        .transpose()
}

/// Lints a declaration offline.
#[pyfunction]
#[pyo3(signature = (schema, config=None))]
pub fn lint_schema(
    py: Python<'_>,
    schema: PyRef<'_, PySchema>,
    config: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyLintReport> {
    let cfg = config_of(config)?;
    let s = &schema.inner;
    let inner = py.detach(|| lint::lint(s, None, &cfg));
    Ok(PyLintReport { inner })
}

fn read_url(
    url: &str,
    declared: Option<&Schema>,
    schemas: &[String],
    t: pgpolicy::session::Timeouts,
) -> pgpolicy::Result<(Schema, DbFacts)> {
    let mut db = LiveDb::connect_with(url, t)?;
    lint::read_database(&mut db, Scope::Transaction, &t, declared, schemas)
}

/// Lints a database (the core connects to `url`), or `schema` checked against it.
#[pyfunction]
#[pyo3(signature = (url, schema=None, schemas=None, config=None, *, timeouts=None))]
pub fn lint_url(
    py: Python<'_>,
    url: &str,
    schema: Option<PyRef<'_, PySchema>>,
    schemas: Option<Vec<String>>,
    config: Option<&Bound<'_, PyAny>>,
    timeouts: Option<PyRef<'_, PyTimeouts>>,
) -> PyResult<PyLintReport> {
    let cfg = config_of(config)?;
    let (declared, names, t) = (
        schema.as_ref().map(|s| &s.inner),
        schemas.unwrap_or_default(),
        timeouts_of(timeouts),
    );
    let inner = py
        .detach(|| -> pgpolicy::Result<Report> {
            let (s, f) = read_url(url, declared, &names, t)?;
            Ok(lint::lint(&s, Some(&f), &cfg))
        })
        .map_err(CoreError)?;
    Ok(PyLintReport { inner })
}

/// Like `lint_url`, on a Python connection: `run(sql, fetch)` runs one statement.
#[pyfunction]
#[pyo3(signature = (run, schema=None, schemas=None, config=None, *, timeouts=None))]
pub fn lint_with(
    py: Python<'_>,
    run: Py<PyAny>,
    schema: Option<PyRef<'_, PySchema>>,
    schemas: Option<Vec<String>>,
    config: Option<&Bound<'_, PyAny>>,
    timeouts: Option<PyRef<'_, PyTimeouts>>,
) -> PyResult<PyLintReport> {
    let cfg = config_of(config)?;
    let (declared, names, t) = (
        schema.as_ref().map(|s| &s.inner),
        schemas.unwrap_or_default(),
        timeouts_of(timeouts),
    );
    let mut exec = CallbackExec::new(run);
    let result = py.detach(|| {
        lint::read_database(&mut exec, Scope::Savepoint, &t, declared, &names)
            .map(|(s, f)| lint::lint(&s, Some(&f), &cfg))
    });
    Ok(PyLintReport {
        inner: exec.finish(result)?,
    })
}

/// Explains a table of a declaration offline.
#[pyfunction]
#[pyo3(signature = (schema, table, role=None, command=None))]
pub fn explain_schema(
    schema: PyRef<'_, PySchema>,
    table: &str,
    role: Option<&str>,
    command: Option<&str>,
) -> PyResult<PyExplanation> {
    let c = command_of(command)?;
    let inner =
        pgpolicy::explain::explain(&schema.inner, None, table, role, c).map_err(CoreError)?;
    Ok(PyExplanation { inner })
}

/// Explains a table of a database (or of `schema` laid over it).
#[pyfunction]
#[pyo3(signature = (url, table, schema=None, role=None, command=None, schemas=None, *, timeouts=None))]
#[allow(clippy::too_many_arguments)]
pub fn explain_url(
    py: Python<'_>,
    url: &str,
    table: &str,
    schema: Option<PyRef<'_, PySchema>>,
    role: Option<&str>,
    command: Option<&str>,
    schemas: Option<Vec<String>>,
    timeouts: Option<PyRef<'_, PyTimeouts>>,
) -> CoreResult<PyExplanation> {
    let c = command_of(command).map_err(|e| CoreError(pgpolicy::Error::Source(e.to_string())))?;
    let (declared, names, t) = (
        schema.as_ref().map(|s| &s.inner),
        schemas.unwrap_or_default(),
        timeouts_of(timeouts),
    );
    let inner = py.detach(|| -> pgpolicy::Result<Explanation> {
        let (s, f) = read_url(url, declared, &names, t)?;
        pgpolicy::explain::explain(&s, Some(&f), table, role, c)
    })?;
    Ok(PyExplanation { inner })
}

/// Like `explain_url`, on a Python connection.
#[pyfunction]
#[pyo3(signature = (run, table, schema=None, role=None, command=None, schemas=None, *, timeouts=None))]
#[allow(clippy::too_many_arguments)]
pub fn explain_with(
    py: Python<'_>,
    run: Py<PyAny>,
    table: &str,
    schema: Option<PyRef<'_, PySchema>>,
    role: Option<&str>,
    command: Option<&str>,
    schemas: Option<Vec<String>>,
    timeouts: Option<PyRef<'_, PyTimeouts>>,
) -> PyResult<PyExplanation> {
    let c = command_of(command)?;
    let (declared, names, t) = (
        schema.as_ref().map(|s| &s.inner),
        schemas.unwrap_or_default(),
        timeouts_of(timeouts),
    );
    let mut exec = CallbackExec::new(run);
    let result = py.detach(|| {
        lint::read_database(&mut exec, Scope::Savepoint, &t, declared, &names)
            .and_then(|(s, f)| pgpolicy::explain::explain(&s, Some(&f), table, role, c))
    });
    Ok(PyExplanation {
        inner: exec.finish(result)?,
    })
}

/// Every lint rule: id, severity, title, explanation, fix, needs_database.
#[pyfunction]
pub fn lint_rules(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    to_py(py, &serde_json::to_value(lint::RULES).unwrap_or_default())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyLintReport>()?;
    m.add_class::<PyExplanation>()?;
    m.add_function(wrap_pyfunction!(lint_schema, m)?)?;
    m.add_function(wrap_pyfunction!(lint_url, m)?)?;
    m.add_function(wrap_pyfunction!(lint_with, m)?)?;
    m.add_function(wrap_pyfunction!(explain_schema, m)?)?;
    m.add_function(wrap_pyfunction!(explain_url, m)?)?;
    m.add_function(wrap_pyfunction!(explain_with, m)?)?;
    m.add_function(wrap_pyfunction!(lint_rules, m)?)?;
    m.add_function(wrap_pyfunction!(policy_tests_url, m)?)?;
    m.add_function(wrap_pyfunction!(policy_tests_with, m)?)?;
    Ok(())
}

fn outcomes_py(
    py: Python<'_>,
    outcomes: Vec<pgpolicy::policy_tests::Outcome>,
) -> PyResult<Bound<'_, PyAny>> {
    to_py(py, &serde_json::to_value(outcomes).unwrap_or_default())
}

/// Runs the policy tests of a TOML text on the database at `url` (each case in a
/// transaction that is rolled back); returns `[{name, passed, detail}]`.
#[pyfunction]
#[pyo3(signature = (url, tests, *, timeouts=None))]
pub fn policy_tests_url<'py>(
    py: Python<'py>,
    url: &str,
    tests: &str,
    timeouts: Option<PyRef<'_, PyTimeouts>>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = timeouts_of(timeouts);
    let file = pgpolicy::policy_tests::TestFile::from_toml(tests).map_err(CoreError)?;
    let outcomes = py
        .detach(|| -> pgpolicy::Result<_> {
            let mut db = LiveDb::connect_with(url, t)?;
            pgpolicy::policy_tests::run(&mut db, Scope::Transaction, &t, &file)
        })
        .map_err(CoreError)?;
    outcomes_py(py, outcomes)
}

/// Like `policy_tests_url`, on a Python connection (each case in a savepoint of its
/// transaction, rolled back).
#[pyfunction]
#[pyo3(signature = (run, tests, *, timeouts=None))]
pub fn policy_tests_with<'py>(
    py: Python<'py>,
    run: Py<PyAny>,
    tests: &str,
    timeouts: Option<PyRef<'_, PyTimeouts>>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = timeouts_of(timeouts);
    let file = pgpolicy::policy_tests::TestFile::from_toml(tests).map_err(CoreError)?;
    let mut exec = CallbackExec::new(run);
    let result = py.detach(|| pgpolicy::policy_tests::run(&mut exec, Scope::Savepoint, &t, &file));
    let outcomes = exec.finish(result)?;
    outcomes_py(py, outcomes)
}
