//! `plan --impact` for Python: the core's measurement of what a plan changes for one
//! role's rows, through the core's own connection (a URL) or on a SQLAlchemy connection
//! (the core's protocol through a callback, inside a savepoint that is rolled back).

use std::collections::BTreeMap;

use pyo3::prelude::*;

use pgpolicy::exec::Scope;
use pgpolicy::impact::{self, Impact, ImpactOptions};
use pgpolicy::introspect::LiveDb;

use crate::convert::to_py;
use crate::{timeouts_of, CallbackExec, CoreError, PyPlan, PySchema, PyTimeouts};

/// What a plan changes for one role's rows: per table, the rows that pass each check
/// (SELECT, UPDATE and DELETE USING; INSERT and UPDATE WITH CHECK judged on existing
/// rows, a proxy) before and after, and how many are gained and lost.
#[pyclass(name = "Impact", module = "pgpolicy._native", frozen)]
pub struct PyImpact {
    inner: Impact,
}

#[pymethods]
impl PyImpact {
    #[getter]
    fn role(&self) -> String {
        self.inner.role.clone()
    }

    #[getter]
    fn settings(&self) -> BTreeMap<String, String> {
        self.inner.settings.clone()
    }

    #[getter]
    fn sample_limit(&self) -> u64 {
        self.inner.sample_limit
    }

    /// Dicts: table, rows, rows_estimated, evaluated, sampled, checks (each with check,
    /// command, proxy, before and after {verdict, predicate, reason, rows}, gained, lost).
    #[getter]
    fn tables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(
            py,
            &serde_json::to_value(&self.inner.tables).unwrap_or_default(),
        )
    }

    #[getter]
    fn skipped(&self) -> Vec<String> {
        self.inner.skipped.clone()
    }

    #[getter]
    fn notes(&self) -> Vec<String> {
        self.inner.notes.clone()
    }

    /// One sentence per change ("3 more row(s) of public.documents become visible to ...").
    fn headlines(&self) -> Vec<String> {
        self.inner.headlines()
    }

    /// The report as the CLI prints it.
    fn text(&self) -> String {
        self.inner.to_text()
    }

    /// The report as a comment block, each line behind `prefix`.
    #[pyo3(signature = (prefix="# "))]
    fn comment(&self, prefix: &str) -> String {
        self.inner.to_comment(prefix)
    }

    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn __repr__(&self) -> String {
        format!(
            "<pgpolicy.Impact for {}: {} table(s), {} change(s)>",
            self.inner.role,
            self.inner.tables.len(),
            self.inner.headlines().len()
        )
    }
}

fn options(
    role: &str,
    settings: Option<Vec<(String, String)>>,
    sample_limit: Option<u64>,
) -> PyResult<ImpactOptions> {
    Ok(ImpactOptions::new(
        role,
        settings.unwrap_or_default(),
        sample_limit.unwrap_or(impact::DEFAULT_SAMPLE_LIMIT),
    )
    .map_err(CoreError)?)
}

/// Measures `plan` (from `current`, the database's state, to `desired`) for `role` on the
/// database at `url`, in a transaction that is rolled back.
#[pyfunction]
#[pyo3(signature = (url, current, desired, plan, role, settings=None, sample_limit=None, *, timeouts=None))]
#[allow(clippy::too_many_arguments)]
pub fn impact_url(
    py: Python<'_>,
    url: &str,
    current: PyRef<'_, PySchema>,
    desired: PyRef<'_, PySchema>,
    plan: PyRef<'_, PyPlan>,
    role: &str,
    settings: Option<Vec<(String, String)>>,
    sample_limit: Option<u64>,
    timeouts: Option<PyRef<'_, PyTimeouts>>,
) -> PyResult<PyImpact> {
    let opts = options(role, settings, sample_limit)?;
    let (c, d, p, t) = (
        &current.inner,
        &desired.inner,
        &plan.inner,
        timeouts_of(timeouts),
    );
    let inner = py
        .detach(|| -> pgpolicy::Result<Impact> {
            LiveDb::connect_with(url, t)?.impact(c, d, p, &opts)
        })
        .map_err(CoreError)?;
    Ok(PyImpact { inner })
}

/// Like `impact_url`, on a Python connection: `run(sql, fetch)` runs one statement, in a
/// savepoint of the caller's transaction that is rolled back.
#[pyfunction]
#[pyo3(signature = (run, current, desired, plan, role, settings=None, sample_limit=None, *, timeouts=None))]
#[allow(clippy::too_many_arguments)]
pub fn impact_with(
    py: Python<'_>,
    run: Py<PyAny>,
    current: PyRef<'_, PySchema>,
    desired: PyRef<'_, PySchema>,
    plan: PyRef<'_, PyPlan>,
    role: &str,
    settings: Option<Vec<(String, String)>>,
    sample_limit: Option<u64>,
    timeouts: Option<PyRef<'_, PyTimeouts>>,
) -> PyResult<PyImpact> {
    let opts = options(role, settings, sample_limit)?;
    let (c, d, p, t) = (
        &current.inner,
        &desired.inner,
        &plan.inner,
        timeouts_of(timeouts),
    );
    let mut exec = CallbackExec::new(run);
    let result = py.detach(|| impact::plan_impact(&mut exec, Scope::Savepoint, &t, c, d, p, &opts));
    Ok(PyImpact {
        inner: exec.finish(result)?,
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyImpact>()?;
    m.add_function(wrap_pyfunction!(impact_url, m)?)?;
    m.add_function(wrap_pyfunction!(impact_with, m)?)?;
    Ok(())
}
