//! The round-trip comparison: PostgreSQL itself prints both expressions of a pair through
//! the same deparser. The pending expressions of one table become the columns of one
//! `SELECT` over that table (the current and the desired text of each pair side by side);
//! equal printed columns mean equal expressions. Every `SELECT` of a stage goes into the
//! body of one temporary SQL function (`BEGIN ATOMIC`, which PostgreSQL stores parsed, as
//! it stores a view, and prints back with `pg_get_functiondef`), so a stage is one
//! statement that creates one catalog object, read back by one query: a comparison sends
//! the same few statements, and costs the server about the same, for one expression or
//! for thousands. Where the function cannot be made (a server before 14, a role without
//! TEMP), every table's `SELECT` becomes a view, all created by one statement (`CREATE
//! SCHEMA s CREATE VIEW v0 AS ... CREATE VIEW v1 AS ...`, in a schema named with a random
//! nonce); a role that may not create schemas gets one temporary view per table. Either
//! takes only ACCESS SHARE on the tables, and everything runs in a transaction (or
//! savepoint) that is rolled back: nothing is ever committed, and no other session sees
//! the function, the schema or the views.
//!
//! PostgreSQL's printing is not idempotent for every expression (a `varchar` IN list
//! prints as `= ANY ((ARRAY[...])::text[])`, which parses back to a different tree), so
//! the stored text and the declared text are each taken through two print-and-parse
//! cycles: stage one prints both, stage two parses and prints those prints. Equal
//! expressions reach the same text; different ones do not.
//!
//! A view that PostgreSQL refuses is retried expression by expression, to name the one
//! at fault. An expression that names a column, table or function the database does not
//! have (yet: the migration that adds it may be the one being planned) counts as changed,
//! with PostgreSQL's message kept as a note; any other refusal (a syntax or type error)
//! fails the comparison naming the table, the policy, the clause and PostgreSQL's message.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hasher};

use crate::diff::{ExprPair, Resolution};
use crate::error::Error;
use crate::exec::{DbError, Exec};

/// Columns per view (PostgreSQL allows 1,664 in a select list).
const MAX_COLUMNS: usize = 1600;

/// A fresh marker for column names, unguessable by whoever writes the expressions (the
/// printed view is split at these names).
fn nonce() -> String {
    let s = std::collections::hash_map::RandomState::new();
    let mut h = s.build_hasher();
    h.write_u64(std::process::id() as u64);
    let a = h.finish();
    let mut h2 = std::collections::hash_map::RandomState::new().build_hasher();
    h2.write_u64(a);
    format!("{:016x}{:016x}", a, h2.finish())
}

/// One view of a stage: a table and the expressions that become its columns.
struct View<'a> {
    table: String,
    /// (pair index, side: 0 current / 1 desired, text)
    exprs: Vec<(usize, usize, &'a str)>,
}

impl View<'_> {
    /// The expressions' texts, in column order.
    fn texts(&self) -> Vec<&str> {
        self.exprs.iter().map(|x| x.2).collect()
    }
}

fn column(nonce: &str, k: usize) -> String {
    format!("pgpolicy_{nonce}_{k}_e")
}

/// `VIEW name AS SELECT (e0) AS c0, ... FROM table`: what follows `CREATE TEMPORARY` for a
/// view of its own, or `CREATE` inside `CREATE SCHEMA`.
fn view_def(name: &str, nonce: &str, table: &str, exprs: &[&str]) -> String {
    let mut s = format!("VIEW {name} AS SELECT ");
    for (k, e) in exprs.iter().enumerate() {
        if k > 0 {
            s.push_str(", ");
        }
        // The newline ends a `--` comment the expression may close with.
        s.push('(');
        s.push_str(e);
        s.push_str("\n) AS ");
        s.push_str(&column(nonce, k));
    }
    s.push_str(" FROM ");
    s.push_str(table);
    s
}

/// The name of a stage's function (in `pg_temp`, unguessable).
fn function_name(nonce: &str, stage: usize) -> String {
    format!("pgpolicy_{nonce}_f{stage}")
}

/// The marker that opens the `SELECT` of view `v` in the function (a constant column),
/// and the column of its expression `k`: unique in the whole body, so the printed body is
/// split by them alone.
fn function_marker(nonce: &str, v: usize, k: Option<usize>) -> String {
    match k {
        None => format!("pgpolicy_{nonce}_s{v}_b"),
        Some(k) => format!("pgpolicy_{nonce}_s{v}_{k}_e"),
    }
}

/// `CREATE FUNCTION pg_temp.f() RETURNS void LANGUAGE sql BEGIN ATOMIC SELECT 0 AS m,
/// (e0) AS c0, ... FROM table; ... END`: every view of a stage as one statement of the
/// body. The statement is one statement: each expression was proven to be exactly one
/// expression before it gets here.
fn create_function(name: &str, nonce: &str, views: &[View<'_>]) -> String {
    let mut s = format!("CREATE FUNCTION pg_temp.{name}() RETURNS void LANGUAGE sql BEGIN ATOMIC");
    for (v, view) in views.iter().enumerate() {
        s.push_str(" SELECT 0 AS ");
        s.push_str(&function_marker(nonce, v, None));
        for (k, e) in view.exprs.iter().enumerate() {
            // The newline ends a `--` comment the expression may close with.
            s.push_str(", (");
            s.push_str(e.2);
            s.push_str("\n) AS ");
            s.push_str(&function_marker(nonce, v, Some(k)));
        }
        s.push_str(" FROM ");
        s.push_str(&view.table);
        s.push(';');
    }
    s.push_str(" END");
    s
}

/// Splits a printed function (`pg_get_functiondef`) into the expressions of each view.
fn split_function(def: &str, nonce: &str, views: &[View<'_>]) -> Option<Vec<Vec<String>>> {
    let mut out = Vec::with_capacity(views.len());
    // The body prints the SELECTs in order: each search starts where the last one ended,
    // so splitting is linear in the body's length.
    let mut pos = 0;
    for (v, view) in views.iter().enumerate() {
        let open = format!(" AS {}", function_marker(nonce, v, None));
        pos = def[pos..].find(&open)? + pos + open.len();
        let mut cols = Vec::with_capacity(view.exprs.len());
        for k in 0..view.exprs.len() {
            let rest = &def[pos..];
            pos += rest.len() - rest.trim_start().strip_prefix(',')?.len();
            let marker = format!(" AS {}", function_marker(nonce, v, Some(k)));
            let at = def[pos..].find(&marker)? + pos;
            cols.push(def[pos..at].trim().to_string());
            pos = at + marker.len();
        }
        out.push(cols);
    }
    Some(out)
}

fn create_temp_view(name: &str, nonce: &str, table: &str, exprs: &[&str]) -> String {
    format!("CREATE TEMPORARY {}", view_def(name, nonce, table, exprs))
}

/// Splits a printed view definition into its columns' expressions.
fn split_columns(viewdef: &str, nonce: &str, n: usize) -> Option<Vec<String>> {
    let body = viewdef.trim_start().strip_prefix("SELECT")?;
    let mut out = Vec::with_capacity(n);
    let mut pos = 0;
    for k in 0..n {
        let marker = format!(" AS {}", column(nonce, k));
        let at = body[pos..].find(&marker)? + pos;
        out.push(body[pos..at].trim().to_string());
        pos = at + marker.len();
        let rest = &body[pos..];
        let next = rest.trim_start();
        if k + 1 < n {
            pos += rest.len() - next.strip_prefix(',')?.len();
        }
    }
    Some(out)
}

fn stmt_err(context: &str, e: DbError) -> Error {
    Error::Database(format!("comparison: {context}: {e}"))
}

/// What happened to one expression of a stage.
enum Printed {
    Text(String),
    /// PostgreSQL could not read it; its message.
    Refused(DbError),
}

/// The statement that creates every view of a stage at once: a schema of its own holding
/// one view per table (`CREATE SCHEMA ... CREATE VIEW ...` is one statement, however many
/// views). The schema is rolled back with the comparison's transaction or savepoint.
fn create_schema(schema: &str, nonce: &str, views: &[View<'_>]) -> String {
    let mut s = format!("CREATE SCHEMA {schema}");
    for (v, view) in views.iter().enumerate() {
        // `CREATE VIEW v AS ...` inside CREATE SCHEMA names a view of that schema. The name
        // carries the nonce: PostgreSQL resolves the later views' names in the new schema
        // first, so a plain `v0` would shadow a user's relation `v0`.
        s.push_str(" CREATE ");
        s.push_str(&view_def(
            &schema_view(nonce, v),
            nonce,
            &view.table,
            &view.texts(),
        ));
    }
    s
}

/// The name of view `v` in the comparison's schema (unguessable, like the schema's).
fn schema_view(nonce: &str, v: usize) -> String {
    format!("pgpolicy_{nonce}_v{v}")
}

/// How a stage's views were made.
enum Made {
    /// One `CREATE SCHEMA` statement: `schema.pgpolicy_{nonce}_v{v}`.
    Schema(String),
    /// One temporary view per table: `pg_temp.pgpolicy_rt_{stage}_{v}`.
    PerTable,
    /// One temporary view per expression, refusals kept: `pg_temp.pgpolicy_rt_{stage}_{v}_{k}`.
    PerExpression(Vec<Vec<Option<DbError>>>),
}

/// Prints every expression of `views` through PostgreSQL: returns, per view, the printed
/// columns or per-expression refusals.
///
/// Fast path: all views in one `CREATE SCHEMA` statement, read back by one query; no
/// savepoint is released or rolled back on success (the caller's scope ends them all).
/// Where the role may not create a schema, one temporary view per table. Where PostgreSQL
/// refuses a view, each expression on its own, in its own savepoint, to name the one at
/// fault.
fn print_stage(
    exec: &mut dyn Exec,
    views: &[View<'_>],
    nonce: &str,
    stage: usize,
) -> Result<Vec<Vec<Printed>>, Error> {
    let savepoint = format!("pgpolicy_rt_{stage}");
    let temp = |v: usize, part: Option<usize>| match part {
        None => format!("pgpolicy_rt_{stage}_{v}"),
        Some(p) => format!("pgpolicy_rt_{stage}_{v}_{p}"),
    };
    let sp = |exec: &mut dyn Exec, what: &str| {
        exec.execute(&format!("{what} {savepoint}"))
            .map_err(|e| stmt_err("savepoint", e))
    };
    let table_err = |view: &View<'_>, e: DbError| stmt_err(&format!("table {}", view.table), e);
    sp(exec, "SAVEPOINT")?;
    let function = function_name(nonce, stage);
    match exec.execute(&create_function(&function, nonce, views)) {
        Ok(()) => {
            let q = format!(
                "SELECT pg_catalog.pg_get_functiondef(pg_catalog.to_regprocedure({}))",
                crate::sql::quote::literal(&format!("pg_temp.{function}()"))
            );
            let def = exec
                .query_text(&q)
                .map_err(|e| stmt_err("reading the comparison's function", e))?
                .ok_or_else(|| {
                    Error::Database("comparison: the comparison's function is gone".into())
                })?;
            let cols = split_function(&def, nonce, views).ok_or_else(|| {
                Error::Database(
                    "comparison: PostgreSQL printed a function pgpolicy cannot read back".into(),
                )
            })?;
            return Ok(cols
                .into_iter()
                .map(|c| c.into_iter().map(Printed::Text).collect())
                .collect());
        }
        // No BEGIN ATOMIC (before PostgreSQL 14), no TEMP privilege, or an expression
        // PostgreSQL refuses: the views below say which.
        Err(e) if e.is_statement_error() || e.code.as_deref() == Some("0A000") => {
            sp(exec, "ROLLBACK TO SAVEPOINT")?;
        }
        Err(e) => return Err(stmt_err("creating the comparison's function", e)),
    }
    let schema = format!("pgpolicy_rt_{nonce}_{stage}");
    let mut made = match exec.execute(&create_schema(&schema, nonce, views)) {
        Ok(()) => Made::Schema(schema.clone()),
        Err(e) if e.code.as_deref() == Some("42501") => Made::PerTable,
        Err(e) if e.is_statement_error() => Made::PerExpression(Vec::new()),
        Err(e) => return Err(stmt_err("creating the comparison's views", e)),
    };
    if let Made::PerTable = made {
        // The role may not create schemas (or an expression is not allowed): one
        // temporary view per table.
        sp(exec, "ROLLBACK TO SAVEPOINT")?;
        for (v, view) in views.iter().enumerate() {
            match exec.execute(&create_temp_view(
                &temp(v, None),
                nonce,
                &view.table,
                &view.texts(),
            )) {
                Ok(()) => {}
                Err(e) if e.is_statement_error() => {
                    made = Made::PerExpression(Vec::new());
                    break;
                }
                Err(e) => return Err(table_err(view, e)),
            }
        }
    }
    if let Made::PerExpression(refused) = &mut made {
        sp(exec, "ROLLBACK TO SAVEPOINT")?;
        *refused = views.iter().map(|v| vec![None; v.exprs.len()]).collect();
        for (v, view) in views.iter().enumerate() {
            for (k, x) in view.exprs.iter().enumerate() {
                exec.execute("SAVEPOINT pgpolicy_rt_one")
                    .map_err(|e| stmt_err("savepoint", e))?;
                match exec.execute(&create_temp_view(
                    &temp(v, Some(k)),
                    nonce,
                    &view.table,
                    &[x.2],
                )) {
                    Ok(()) => exec.execute("RELEASE SAVEPOINT pgpolicy_rt_one"),
                    Err(e) if e.is_statement_error() => {
                        refused[v][k] = Some(e);
                        exec.execute("ROLLBACK TO SAVEPOINT pgpolicy_rt_one")
                            .and_then(|_| exec.execute("RELEASE SAVEPOINT pgpolicy_rt_one"))
                    }
                    Err(e) => return Err(table_err(view, e)),
                }
                .map_err(|e| stmt_err("savepoint", e))?;
            }
        }
    }
    // The qualified name of each view (or expression view) that exists, keyed by (view, part).
    let mut names: Vec<((usize, Option<usize>), String)> = Vec::new();
    for v in 0..views.len() {
        match &made {
            Made::Schema(schema) => {
                names.push(((v, None), format!("{schema}.{}", schema_view(nonce, v))))
            }
            Made::PerTable => names.push(((v, None), format!("pg_temp.{}", temp(v, None)))),
            Made::PerExpression(refused) => {
                for (k, r) in refused[v].iter().enumerate() {
                    if r.is_none() {
                        names.push(((v, Some(k)), format!("pg_temp.{}", temp(v, Some(k)))));
                    }
                }
            }
        }
    }
    // One query reads every view back.
    let mut printed: BTreeMap<String, String> = BTreeMap::new();
    if !names.is_empty() {
        let list = names
            .iter()
            .map(|(_, n)| crate::sql::quote::literal(n))
            .collect::<Vec<_>>()
            .join(", ");
        let q = format!(
            "SELECT v.n, pg_catalog.pg_get_viewdef(pg_catalog.to_regclass(v.n)) \
             FROM pg_catalog.unnest(ARRAY[{list}]::pg_catalog.text[]) AS v(n)"
        );
        for row in exec
            .query(&q)
            .map_err(|e| stmt_err("reading the views", e))?
        {
            if let (Some(Some(n)), Some(Some(d))) = (row.first(), row.get(1)) {
                printed.insert(n.clone(), d.clone());
            }
        }
    }
    let unreadable = || {
        Error::Database("comparison: PostgreSQL printed a view pgpolicy cannot read back".into())
    };
    let by_key: HashMap<(usize, Option<usize>), &String> = names
        .iter()
        .filter_map(|(k, n)| printed.get(n).map(|d| (*k, d)))
        .collect();
    let def = |key: (usize, Option<usize>)| by_key.get(&key).copied().ok_or_else(unreadable);
    let mut out = Vec::with_capacity(views.len());
    for (v, view) in views.iter().enumerate() {
        let mut cols = Vec::with_capacity(view.exprs.len());
        match &mut made {
            Made::Schema(_) | Made::PerTable => {
                let d = def((v, None))?;
                for t in split_columns(d, nonce, view.exprs.len()).ok_or_else(unreadable)? {
                    cols.push(Printed::Text(t));
                }
            }
            Made::PerExpression(refused) => {
                for (k, slot) in refused[v].iter_mut().enumerate() {
                    match slot.take() {
                        Some(e) => cols.push(Printed::Refused(e)),
                        None => {
                            let t = split_columns(def((v, Some(k)))?, nonce, 1)
                                .ok_or_else(unreadable)?;
                            cols.push(Printed::Text(t.into_iter().next().ok_or_else(unreadable)?));
                        }
                    }
                }
            }
        }
        out.push(cols);
    }
    Ok(out)
}

/// Groups the given texts (pair index, side, text) into views per table.
fn views_of<'a>(pairs: &[ExprPair], texts: &[(usize, usize, &'a str)]) -> Vec<View<'a>> {
    let mut by_table: BTreeMap<String, Vec<(usize, usize, &'a str)>> = BTreeMap::new();
    for &(i, side, t) in texts {
        by_table
            .entry(pairs[i].table.to_string())
            .or_default()
            .push((i, side, t));
    }
    let mut out = Vec::new();
    for (table, exprs) in by_table {
        for chunk in exprs.chunks(MAX_COLUMNS) {
            out.push(View {
                table: table.clone(),
                exprs: chunk.to_vec(),
            });
        }
    }
    out
}

/// Runs both stages for `pairs` on `exec`, inside the caller's transaction (which must
/// have pinned the session: see [`crate::exec::compare`]).
pub fn run(exec: &mut dyn Exec, pairs: &[ExprPair]) -> Result<Vec<Resolution>, Error> {
    let nonce = nonce();
    // printed[i][side]
    let mut printed: Vec<[Option<String>; 2]> = vec![[None, None]; pairs.len()];
    let mut notes: Vec<Option<String>> = vec![None; pairs.len()];
    let mut inputs: Vec<[String; 2]> = pairs
        .iter()
        .map(|p| [p.current.clone(), p.desired.clone()])
        .collect();
    for stage in 1..=2 {
        let texts: Vec<(usize, usize, &str)> = inputs
            .iter()
            .enumerate()
            .filter(|(i, _)| notes[*i].is_none())
            .flat_map(|(i, t)| [(i, 0, t[0].as_str()), (i, 1, t[1].as_str())])
            .collect();
        if texts.is_empty() {
            break;
        }
        let views = views_of(pairs, &texts);
        let results = print_stage(exec, &views, &nonce, stage)?;
        for (view, cols) in views.iter().zip(results) {
            for (&(i, side, _), col) in view.exprs.iter().zip(cols) {
                match col {
                    Printed::Text(t) => printed[i][side] = Some(t),
                    Printed::Refused(e) => {
                        let p = &pairs[i];
                        let which = if side == 0 { "current" } else { "declared" };
                        let place = format!(
                            "table {}, policy {:?}, clause {}",
                            p.table, p.policy, p.clause
                        );
                        // Names the database lacks: maybe created by the same migration.
                        let missing = matches!(
                            e.code.as_deref(),
                            Some("42703" | "42P01" | "42883" | "3F000")
                        );
                        if missing && stage == 1 {
                            notes[i] = Some(format!(
                                "{place}: PostgreSQL cannot read the {which} expression here ({}); counted as changed",
                                e.message
                            ));
                        } else {
                            return Err(Error::Database(format!(
                                "comparison: {place}: PostgreSQL refuses the {which} expression: {e}"
                            )));
                        }
                    }
                }
            }
        }
        for (i, p) in printed.iter().enumerate() {
            if notes[i].is_none() {
                if let [Some(a), Some(b)] = p {
                    inputs[i] = [a.clone(), b.clone()];
                }
            }
        }
    }
    Ok(printed
        .into_iter()
        .zip(notes)
        .map(|(p, note)| match (p, note) {
            (_, Some(note)) => Resolution {
                equal: false,
                current_canonical: None,
                desired_canonical: None,
                note: Some(note),
            },
            ([Some(a), Some(b)], None) => Resolution {
                equal: a == b,
                current_canonical: Some(a),
                desired_canonical: Some(b),
                note: None,
            },
            _ => Resolution {
                equal: false,
                current_canonical: None,
                desired_canonical: None,
                note: None,
            },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_printed_columns() {
        let n = "abc";
        let def = format!(
            " SELECT (a = 1) AS {},\n    (b = ' AS x, ') AS {}\n   FROM t;",
            column(n, 0),
            column(n, 1)
        );
        assert_eq!(
            split_columns(&def, n, 2).unwrap(),
            vec!["(a = 1)", "(b = ' AS x, ')"]
        );
        let def1 = format!(" SELECT (a = 1) AS {}\n   FROM t;", column(n, 0));
        assert_eq!(split_columns(&def1, n, 1).unwrap(), vec!["(a = 1)"]);
        assert!(split_columns("SELECT 1", n, 1).is_none());
    }

    #[test]
    fn splits_a_printed_function() {
        let n = "abc";
        let views = [
            View {
                table: "t".into(),
                exprs: vec![(0, 0, "a = 1"), (0, 1, "b = ' AS x, '")],
            },
            View {
                table: "u".into(),
                exprs: vec![(1, 0, "c")],
            },
        ];
        let def = format!(
            "CREATE OR REPLACE FUNCTION pg_temp.f()\n RETURNS void\n LANGUAGE sql\nBEGIN ATOMIC\n \
             SELECT 0 AS {},\n     (t.a = 1) AS {},\n     (t.b = ' AS x, ') AS {}\n    FROM t;\n \
             SELECT 0 AS {},\n     u.c AS {}\n    FROM u;\nEND\n",
            function_marker(n, 0, None),
            function_marker(n, 0, Some(0)),
            function_marker(n, 0, Some(1)),
            function_marker(n, 1, None),
            function_marker(n, 1, Some(0)),
        );
        assert_eq!(
            split_function(&def, n, &views).unwrap(),
            vec![vec!["(t.a = 1)", "(t.b = ' AS x, ')"], vec!["u.c"]]
        );
        assert!(split_function("BEGIN ATOMIC END", n, &views).is_none());
        let made = create_function("f", n, &views);
        assert!(made.starts_with(
            "CREATE FUNCTION pg_temp.f() RETURNS void LANGUAGE sql BEGIN ATOMIC SELECT 0 AS "
        ));
        assert!(made.ends_with(" FROM u; END"), "{made}");
    }
}
