//! `pgpolicy test FILE`: declared assertions about what a role may see and change, run on
//! a database inside transactions that are rolled back.
//!
//! A test file (TOML) lists cases: as role R with settings S, command C on table T "sees
//! exactly these rows", "sees N rows", "changes N rows", or "is denied". Each case runs in
//! a transaction of its own (the session pins first, then `SET LOCAL ROLE` and
//! `set_config(.., true)`), and is rolled back whatever happens. Every name is quoted by
//! `sql::quote`, every value is a quoted literal, a `where` is checked to be exactly one
//! expression, and each statement is one statement of the extended protocol.
//!
//! ```toml
//! setup = ["tables.sql"]        # a throwaway database: these files, in order (relative paths)
//! declaration = "schema.sql"    # then this declaration applied
//!
//! [[test]]
//! name = "tenant 1 sees only its posts"
//! role = "app_user"
//! settings = { "app.tenant_id" = "1" }
//! select = "posts"              # or insert / update / delete = "schema.table"
//! where = "status = 'draft'"    # select, update, delete: which rows (default all)
//! rows = [{ title = "a" }]      # select: exactly these rows (compared on the keys given)
//! count = 1                     # rows seen (select) or changed (insert, update, delete)
//! denied = true                 # refused: no privilege, or a row-level security violation
//! values = { title = "x" }      # insert, update: the new values (typed by the table)
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::exec::{Exec, Scope};
use crate::session::{Purpose, Timeouts};
use crate::sql::quote;

/// A test file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    /// SQL files run on a throwaway database before the tests (paths relative to the file).
    #[serde(default)]
    pub setup: Vec<String>,
    /// A declaration applied after `setup` on a throwaway database.
    #[serde(default)]
    pub declaration: Option<String>,
    #[serde(default, rename = "test")]
    pub tests: Vec<Case>,
}

/// One assertion.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub settings: BTreeMap<String, Value>,
    #[serde(default)]
    pub select: Option<String>,
    #[serde(default)]
    pub insert: Option<String>,
    #[serde(default)]
    pub update: Option<String>,
    #[serde(default)]
    pub delete: Option<String>,
    #[serde(default, rename = "where")]
    pub where_: Option<String>,
    #[serde(default)]
    pub values: Option<Map<String, Value>>,
    #[serde(default)]
    pub rows: Option<Vec<Map<String, Value>>>,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub denied: Option<bool>,
}

/// The result of one case.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub name: String,
    pub passed: bool,
    /// What was expected and what happened.
    pub detail: String,
}

impl TestFile {
    pub fn from_toml(text: &str) -> Result<TestFile, Error> {
        let f: TestFile =
            toml::from_str(text).map_err(|e| Error::Source(format!("test file: {e}")))?;
        for c in &f.tests {
            c.statement()?;
        }
        Ok(f)
    }
}

/// The SQL a value of `settings` stands for (strings as they are, numbers and booleans
/// as PostgreSQL prints them).
fn setting_text(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!(
            "a setting must be a string, a number or a boolean, not {other}"
        )),
    }
}

fn table_sql(name: &str) -> String {
    let (s, t) = name.split_once('.').unwrap_or(("public", name));
    crate::ir::TableName::new(s, t).to_string()
}

impl Case {
    fn bad(&self, what: impl std::fmt::Display) -> Error {
        Error::Source(format!("test {:?}: {what}", self.name))
    }

    /// The statement this case runs: one statement returning one text value (the rows seen
    /// as a JSON array, or the count of rows changed).
    pub fn statement(&self) -> Result<String, Error> {
        let commands: Vec<(&str, &String)> = [
            ("select", &self.select),
            ("insert", &self.insert),
            ("update", &self.update),
            ("delete", &self.delete),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
        let [(command, table)] = commands.as_slice() else {
            return Err(self.bad("give exactly one of select, insert, update, delete"));
        };
        if self.denied.is_none() && self.count.is_none() && self.rows.is_none() {
            return Err(self.bad("expects nothing: give rows, count or denied"));
        }
        if self.rows.is_some() && *command != "select" {
            return Err(self.bad("rows is for select (use count for changes)"));
        }
        if let Some(r) = &self.role {
            crate::context::Context::new(Some(r.clone()), Vec::new()).map_err(|e| self.bad(e))?;
        }
        for (k, v) in &self.settings {
            if !crate::context::is_setting_name(k) {
                return Err(self.bad(format!(
                    "invalid setting name {k:?}: expected a custom setting such as \"app.tenant_id\""
                )));
            }
            setting_text(v).map_err(|e| self.bad(e))?;
        }
        let condition = match &self.where_ {
            Some(w) => {
                crate::expr::validate(w).map_err(|e| self.bad(format!("where: {e}")))?;
                if *command == "insert" {
                    return Err(self.bad("where is not for insert"));
                }
                w.clone()
            }
            None => "true".into(),
        };
        let t = table_sql(table);
        let values = || -> Result<(Vec<String>, String), Error> {
            let v = self
                .values
                .as_ref()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| self.bad(format!("{command} needs values")))?;
            let cols = v.keys().map(|k| quote::ident(k)).collect();
            Ok((cols, quote::literal(&Value::Object(v.clone()).to_string())))
        };
        Ok(match *command {
            "select" => format!(
                "SELECT coalesce(pg_catalog.json_agg(pg_catalog.row_to_json(t)), '[]')::text FROM {t} AS t WHERE ({condition})"
            ),
            "insert" => {
                let (cols, json) = values()?;
                let list = cols.join(", ");
                format!(
                    "WITH c AS (INSERT INTO {t} ({list}) SELECT {list} FROM pg_catalog.json_populate_record(NULL::{t}, {json}::pg_catalog.json) RETURNING 1) SELECT pg_catalog.count(*)::text FROM c"
                )
            }
            "update" => {
                let (cols, json) = values()?;
                // each new value from a sub-select, so that `where` sees the table's columns only
                let set: Vec<String> = cols
                    .iter()
                    .map(|c| {
                        format!("{c} = (SELECT r.{c} FROM pg_catalog.json_populate_record(NULL::{t}, {json}::pg_catalog.json) AS r)")
                    })
                    .collect();
                format!(
                    "WITH c AS (UPDATE {t} AS t SET {} WHERE ({condition}) RETURNING 1) SELECT pg_catalog.count(*)::text FROM c",
                    set.join(", ")
                )
            }
            _ => format!(
                "WITH c AS (DELETE FROM {t} AS t WHERE ({condition}) RETURNING 1) SELECT pg_catalog.count(*)::text FROM c"
            ),
        })
    }

    /// The role and settings, as statements (names quoted, values literals).
    fn context(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(r) = &self.role {
            out.push(format!("SET LOCAL ROLE {}", quote::ident(r)));
        }
        for (k, v) in &self.settings {
            out.push(format!(
                "SELECT pg_catalog.set_config({}, {}, true)",
                quote::literal(k),
                quote::literal(&setting_text(v).unwrap_or_default())
            ));
        }
        out
    }

    fn judge(&self, result: Result<String, crate::exec::DbError>) -> (bool, String) {
        let denied = self.denied == Some(true);
        let text = match result {
            Err(e) if e.code.as_deref() == Some("42501") => {
                return if denied {
                    (true, format!("denied as expected: {e}"))
                } else {
                    (false, format!("denied: {e}"))
                };
            }
            Err(e) => return (false, format!("error: {e}")),
            Ok(t) => t,
        };
        if denied {
            return (false, format!("expected to be denied, but it ran ({text})"));
        }
        if self.select.is_some() {
            let seen: Vec<Map<String, Value>> = serde_json::from_str(&text).unwrap_or_default();
            if let Some(n) = self.count {
                if seen.len() as u64 != n {
                    return (false, format!("expected {n} row(s), saw {}", seen.len()));
                }
            }
            if let Some(expected) = &self.rows {
                let keys: std::collections::BTreeSet<&String> =
                    expected.iter().flat_map(|r| r.keys()).collect();
                let project = |r: &Map<String, Value>| -> String {
                    let m: BTreeMap<&String, String> = keys
                        .iter()
                        .map(|k| (*k, comparable(r.get(*k).unwrap_or(&Value::Null))))
                        .collect();
                    format!("{m:?}")
                };
                let mut a: Vec<String> = seen.iter().map(project).collect();
                let mut b: Vec<String> = expected.iter().map(project).collect();
                a.sort();
                b.sort();
                if a != b {
                    return (
                        false,
                        format!("expected rows {}, saw {}", b.join(" "), a.join(" ")),
                    );
                }
            }
            return (true, format!("saw {} row(s)", seen.len()));
        }
        let changed: u64 = text.parse().unwrap_or(0);
        match self.count {
            Some(n) if n != changed => (
                false,
                format!("expected {n} row(s) changed, {changed} were"),
            ),
            _ => (true, format!("{changed} row(s) changed")),
        }
    }
}

/// A value as it compares: numbers and strings by their text, so that `1` in a test file
/// matches an integer column and `"1"` a text column alike.
fn comparable(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs one case on `exec` in a transaction of its own (or a savepoint of the caller's,
/// `Scope::Savepoint`), rolled back.
pub fn run_case(
    exec: &mut dyn Exec,
    scope: Scope,
    timeouts: &Timeouts,
    case: &Case,
) -> Result<Outcome, Error> {
    let statement = case.statement()?;
    let mut setup = scope.open(Purpose::Apply, timeouts);
    setup.extend(case.context());
    let mut result = Ok(String::new());
    for s in &setup {
        if let Err(e) = exec.execute(s) {
            result = Err(e);
            break;
        }
    }
    if result.is_ok() {
        result = exec.query_text(&statement).map(Option::unwrap_or_default);
    }
    for s in scope.rollback() {
        let _ = exec.execute(&s);
    }
    let (passed, detail) = case.judge(result);
    Ok(Outcome {
        name: case.name.clone(),
        passed,
        detail,
    })
}

/// Runs every case of `file`.
pub fn run(
    exec: &mut dyn Exec,
    scope: Scope,
    timeouts: &Timeouts,
    file: &TestFile,
) -> Result<Vec<Outcome>, Error> {
    file.tests
        .iter()
        .map(|c| run_case(exec, scope, timeouts, c))
        .collect()
}

/// The outcomes as the CLI prints them.
pub fn to_text(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for o in outcomes {
        out.push_str(&format!(
            "{} {}: {}\n",
            if o.passed { "ok  " } else { "FAIL" },
            o.name,
            o.detail
        ));
    }
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    out.push_str(&format!(
        "{} passed, {failed} failed\n",
        outcomes.len() - failed
    ));
    out
}
