//! The core's `Change` and plan `Step` as Python objects: every answer (SQL, reverse,
//! description, weakening, phase) is the core's; the fields are the core's serde form.

use pyo3::exceptions::{PyDeprecationWarning, PyKeyError};
use pyo3::prelude::*;
use serde_json::Value;

use pgpolicy::Change;

use crate::convert;
use crate::CoreResult;

/// One change of a plan (the core's `Change`): `kind` says which (`create_policy`,
/// `alter_policy`, ...); the getters hold the fields of that kind (None where the kind has
/// no such field); `sql()`, `reverse()`, `describe()` and `weakens` are the core's.
#[pyclass(name = "Change", module = "pgpolicy._native", frozen, eq)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyChange {
    pub(crate) inner: Change,
}

impl PyChange {
    fn value(&self) -> Value {
        serde_json::to_value(&self.inner).unwrap_or(Value::Null)
    }

    fn field<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, self.value().get(key).unwrap_or(&Value::Null))
    }

    /// A change from the core's serde form (a dict or JSON text), read by the core.
    pub(crate) fn from_value(v: Value) -> CoreResult<PyChange> {
        let inner = serde_json::from_value(v)
            .map_err(|e| pgpolicy::Error::Source(format!("not a change: {e}")))?;
        Ok(PyChange { inner })
    }

    /// A change given as a `Change` or (the older form) as its dict.
    pub(crate) fn extract(obj: &Bound<'_, PyAny>) -> PyResult<Change> {
        if let Ok(c) = obj.cast::<PyChange>() {
            return Ok(c.get().inner.clone());
        }
        Ok(PyChange::from_value(convert::from_py(obj)?)?.inner)
    }
}

/// Dict-style access to a value that is an object now: still answered, with a warning.
pub(crate) fn deprecated_item<'py>(
    py: Python<'py>,
    value: &Value,
    key: &str,
    what: &std::ffi::CStr,
) -> PyResult<Bound<'py, PyAny>> {
    PyErr::warn(py, &py.get_type::<PyDeprecationWarning>(), what, 2)?;
    match value.get(key) {
        Some(v) => convert::to_py(py, v),
        None => Err(PyKeyError::new_err(key.to_string())),
    }
}

#[pymethods]
impl PyChange {
    /// A change from its dict form (`to_dict()`), checked by the core.
    #[staticmethod]
    fn from_dict(change: &Bound<'_, PyAny>) -> PyResult<PyChange> {
        Ok(PyChange::from_value(convert::from_py(change)?)?)
    }

    /// A change from its JSON form (`to_json()`), checked by the core.
    #[staticmethod]
    fn from_json(text: &str) -> CoreResult<PyChange> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| pgpolicy::Error::Source(format!("not a change: {e}")))?;
        PyChange::from_value(v)
    }

    /// `create_policy`, `alter_policy`, `enable_rls`, ... (the core's tag).
    #[getter]
    fn kind(&self) -> String {
        self.value()
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// `{"schema": ..., "name": ...}` of the table the change concerns, or None.
    #[getter]
    fn table<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "table")
    }

    /// The policy (a dict) of `create_policy` / `drop_policy`; the policy's name for
    /// `comment_on_policy`.
    #[getter]
    fn policy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "policy")
    }

    /// The role (a dict) of `create_role` / `drop_role`; the grantee's name for `grant`
    /// / `revoke`.
    #[getter]
    fn role<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "role")
    }

    #[getter]
    fn group<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "group")
    }

    #[getter]
    fn member<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "member")
    }

    #[getter]
    fn privileges<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "privileges")
    }

    /// The state before (`from` in the core's form): a policy or role dict, a policy name
    /// (`rename_policy`) or a comment (`comment_on_policy`).
    #[getter(from_)]
    fn from_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "from")
    }

    /// The state after (see `from_`).
    #[getter]
    fn to<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "to")
    }

    /// The clauses an `alter_policy` changes: `{"clause": "ROLES" | "USING" |
    /// "WITH_CHECK", "from": ..., "to": ...}`.
    #[getter]
    fn clauses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "clauses")
    }

    /// Why a `replace_policy` cannot be an ALTER POLICY.
    #[getter]
    fn reason<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, "reason")
    }

    /// The SQL statements, without semicolons.
    fn sql(&self) -> Vec<String> {
        self.inner.sql()
    }

    /// The change that undoes this one (undoing an added clause is a replacement: ALTER
    /// POLICY cannot remove a clause).
    fn reverse(&self) -> PyChange {
        PyChange {
            inner: self.inner.reverse(),
        }
    }

    /// The one-line description (the comment above the change's SQL in a plan).
    fn describe(&self) -> String {
        self.inner.describe()
    }

    /// Why the change weakens protection, or None.
    #[getter]
    fn weakens(&self) -> Option<String> {
        self.inner.weakens()
    }

    /// Its place in plan order (roles first, ..., RLS enabled after the policies, roles
    /// dropped last).
    #[getter]
    fn phase(&self) -> u8 {
        self.inner.phase()
    }

    /// The core's serde form as Python values (`kind` and the fields of that kind).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &self.value())
    }

    fn to_json(&self) -> String {
        serde_json::to_string(&self.inner).expect("a change serializes")
    }

    /// Deprecated: `change["kind"]`; use the attributes (`change.kind`) or `to_dict()`.
    fn __getitem__<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        deprecated_item(
            py,
            &self.value(),
            key,
            c"pgpolicy.Change is an object: use its attributes (change.kind, change.table, ...) or change.to_dict() instead of change[...]",
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "<pgpolicy.Change {}: {}>",
            self.kind(),
            self.inner.describe().lines().next().unwrap_or_default()
        )
    }
}

/// One step of a plan (the core's `Step`): a change with its description, its place in
/// plan order, its SQL, the SQL that undoes it, and why it weakens protection (or None).
#[pyclass(name = "Step", module = "pgpolicy._native", frozen)]
pub(crate) struct PyStep {
    inner: pgpolicy::diff::plan::Step,
}

impl PyStep {
    pub(crate) fn of(step: pgpolicy::diff::plan::Step) -> PyStep {
        PyStep { inner: step }
    }

    fn value(&self) -> Value {
        serde_json::to_value(&self.inner).unwrap_or(Value::Null)
    }
}

#[pymethods]
impl PyStep {
    #[getter]
    fn change(&self) -> PyChange {
        PyChange {
            inner: self.inner.change.clone(),
        }
    }

    /// What the change does (the comment above its SQL in a script), as in the Node
    /// package's `step.description`.
    #[getter]
    fn description(&self) -> String {
        self.inner.description.clone()
    }

    /// The same as `description` (its earlier name).
    #[getter]
    fn comment(&self) -> String {
        self.inner.comment.clone()
    }

    #[getter]
    fn sql(&self) -> Vec<String> {
        self.inner.sql.clone()
    }

    /// The statements that undo the step.
    #[getter]
    fn reverse(&self) -> Vec<String> {
        self.inner.reverse.clone()
    }

    #[getter]
    fn weakens(&self) -> Option<String> {
        self.inner.weakens.clone()
    }

    #[getter]
    fn phase(&self) -> u8 {
        self.inner.phase
    }

    /// The core's serde form (`description`, `comment`, `phase`, `sql`, `reverse`,
    /// `weakens`, `change`) as Python values.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &self.value())
    }

    /// Deprecated: `step["comment"]`; use the attributes (`step.comment`) or `to_dict()`.
    fn __getitem__<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        deprecated_item(
            py,
            &self.value(),
            key,
            c"pgpolicy.Step is an object: use its attributes (step.comment, step.sql, ...) or step.to_dict() instead of step[...]",
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "<pgpolicy.Step: {}>",
            self.inner.description.lines().next().unwrap_or_default()
        )
    }
}
