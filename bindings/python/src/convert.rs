//! Values crossing the boundary: serde JSON values to Python objects and back, and core
//! changes rebuilt from the dicts the package hands out (an Alembic op holds one).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::Deserialize;
use serde_json::Value;

use pgpolicy::error::Clause;
use pgpolicy::ir::{Policy, Privilege, Role, RoleSpec, TableName};
use pgpolicy::{Change, Command};
use pgpolicy::diff::ClauseChange;

pub fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into_pyobject(py)?.into_any(),
            None => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let items = a.iter().map(|x| to_py(py, x)).collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

pub fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.cast::<PyInt>().is_ok() {
        return Ok(Value::from(obj.extract::<i64>()?));
    }
    if obj.cast::<PyFloat>().is_ok() {
        return Ok(serde_json::Number::from_f64(obj.extract::<f64>()?)
            .map(Value::Number)
            .unwrap_or(Value::Null));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = serde_json::Map::new();
        for (k, v) in d.iter() {
            let k: String = k
                .extract()
                .map_err(|_| PyTypeError::new_err("dict keys must be strings"))?;
            m.insert(k, from_py(&v)?);
        }
        return Ok(Value::Object(m));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return Ok(Value::Array(l.iter().map(|x| from_py(&x)).collect::<PyResult<_>>()?));
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return Ok(Value::Array(t.iter().map(|x| from_py(&x)).collect::<PyResult<_>>()?));
    }
    Err(PyTypeError::new_err(format!(
        "cannot convert {} to JSON",
        obj.get_type().name()?
    )))
}

// The shapes `Change` serializes to, read back. Field names follow the core's serde output.

#[derive(Deserialize)]
struct TableDe {
    schema: String,
    name: String,
}

impl From<TableDe> for TableName {
    fn from(t: TableDe) -> TableName {
        TableName::new(t.schema, t.name)
    }
}

fn roles_default() -> Vec<String> {
    vec!["PUBLIC".into()]
}
fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct PolicyDe {
    name: String,
    #[serde(default)]
    command: Option<String>,
    #[serde(default = "yes")]
    permissive: bool,
    #[serde(default = "roles_default")]
    roles: Vec<String>,
    #[serde(default)]
    using: Option<String>,
    #[serde(default)]
    with_check: Option<String>,
    #[serde(default)]
    comment: Option<String>,
}

impl PolicyDe {
    fn into_policy(self) -> PyResult<Policy> {
        let command = match self.command.as_deref() {
            None => Command::All,
            Some(c) => Command::parse(c)
                .ok_or_else(|| PyValueError::new_err(format!("unknown policy command {c:?}")))?,
        };
        Ok(Policy {
            name: self.name,
            command,
            permissive: self.permissive,
            roles: self.roles.iter().map(|r| RoleSpec::parse(r)).collect(),
            using: self.using,
            with_check: self.with_check,
            comment: self.comment,
            renamed_from: None,
        })
    }
}

#[derive(Deserialize)]
struct RoleDe {
    name: String,
    #[serde(default)]
    login: bool,
    #[serde(default = "yes")]
    inherit: bool,
    #[serde(default)]
    bypassrls: bool,
}

impl From<RoleDe> for Role {
    fn from(r: RoleDe) -> Role {
        Role { name: r.name, login: r.login, inherit: r.inherit, bypassrls: r.bypassrls, member_of: Vec::new() }
    }
}

#[derive(Deserialize)]
struct ClauseDe {
    clause: String,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum ChangeDe {
    CreateRole { role: RoleDe },
    AlterRole { from: RoleDe, to: RoleDe },
    DropRole { role: RoleDe },
    GrantMembership { group: String, member: String },
    RevokeMembership { group: String, member: String },
    Grant { table: TableDe, role: String, privileges: Vec<String> },
    Revoke { table: TableDe, role: String, privileges: Vec<String> },
    EnableRls { table: TableDe },
    DisableRls { table: TableDe },
    ForceRls { table: TableDe },
    NoForceRls { table: TableDe },
    CreatePolicy { table: TableDe, policy: PolicyDe },
    DropPolicy { table: TableDe, policy: PolicyDe },
    RenamePolicy { table: TableDe, from: String, to: String },
    AlterPolicy { table: TableDe, from: PolicyDe, to: PolicyDe, clauses: Vec<ClauseDe> },
    ReplacePolicy { table: TableDe, from: PolicyDe, to: PolicyDe, #[serde(default)] reason: String },
    CommentOnPolicy { table: TableDe, policy: String, from: Option<String>, to: Option<String> },
}

fn privileges(p: Vec<String>) -> PyResult<Vec<Privilege>> {
    let mut out = Vec::new();
    for s in p {
        if s.eq_ignore_ascii_case("ALL") {
            out.extend(Privilege::ALL);
            continue;
        }
        out.push(Privilege::parse(&s).ok_or_else(|| PyValueError::new_err(format!("unknown privilege {s:?}")))?);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn clause(s: &str) -> PyResult<Clause> {
    Ok(match s.to_ascii_uppercase().replace(' ', "_").as_str() {
        "USING" => Clause::Using,
        "WITH_CHECK" => Clause::WithCheck,
        "ROLES" => Clause::Roles,
        _ => return Err(PyValueError::new_err(format!("unknown policy clause {s:?}"))),
    })
}

/// A core change from the dict form `Plan.changes` hands out.
pub fn change_from_value(v: Value) -> PyResult<Change> {
    let de: ChangeDe = serde_json::from_value(v).map_err(|e| PyValueError::new_err(format!("not a change: {e}")))?;
    Ok(match de {
        ChangeDe::CreateRole { role } => Change::CreateRole { role: role.into() },
        ChangeDe::AlterRole { from, to } => Change::AlterRole { from: from.into(), to: to.into() },
        ChangeDe::DropRole { role } => Change::DropRole { role: role.into() },
        ChangeDe::GrantMembership { group, member } => Change::GrantMembership { group, member },
        ChangeDe::RevokeMembership { group, member } => Change::RevokeMembership { group, member },
        ChangeDe::Grant { table, role, privileges: p } => {
            Change::Grant { table: table.into(), role: RoleSpec::parse(&role), privileges: privileges(p)? }
        }
        ChangeDe::Revoke { table, role, privileges: p } => {
            Change::Revoke { table: table.into(), role: RoleSpec::parse(&role), privileges: privileges(p)? }
        }
        ChangeDe::EnableRls { table } => Change::EnableRls { table: table.into() },
        ChangeDe::DisableRls { table } => Change::DisableRls { table: table.into() },
        ChangeDe::ForceRls { table } => Change::ForceRls { table: table.into() },
        ChangeDe::NoForceRls { table } => Change::NoForceRls { table: table.into() },
        ChangeDe::CreatePolicy { table, policy } => {
            Change::CreatePolicy { table: table.into(), policy: policy.into_policy()? }
        }
        ChangeDe::DropPolicy { table, policy } => {
            Change::DropPolicy { table: table.into(), policy: policy.into_policy()? }
        }
        ChangeDe::RenamePolicy { table, from, to } => Change::RenamePolicy { table: table.into(), from, to },
        ChangeDe::AlterPolicy { table, from, to, clauses } => Change::AlterPolicy {
            table: table.into(),
            from: from.into_policy()?,
            to: to.into_policy()?,
            clauses: clauses
                .into_iter()
                .map(|c| {
                    Ok(ClauseChange {
                        clause: clause(&c.clause)?,
                        from: c.from,
                        to: c.to,
                        from_canonical: None,
                        to_canonical: None,
                    })
                })
                .collect::<PyResult<_>>()?,
        },
        ChangeDe::ReplacePolicy { table, from, to, reason } => Change::ReplacePolicy {
            table: table.into(),
            from: from.into_policy()?,
            to: to.into_policy()?,
            reason,
        },
        ChangeDe::CommentOnPolicy { table, policy, from, to } => {
            Change::CommentOnPolicy { table: table.into(), policy, from, to }
        }
    })
}
