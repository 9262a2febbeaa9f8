//! `pgpolicy plan --impact`: what a plan changes for one role's rows, measured before it
//! runs.
//!
//! For each table the plan touches (and each table whose rule for the role changes
//! through a role, membership or grant change), the old and the new effective predicates
//! ([`crate::explain`]: permissive OR-ed, restrictive AND-ed, WITH CHECK falling back to
//! USING, deny-all, bypasses) are evaluated against the table's rows, and the rows that
//! become visible or invisible (SELECT), writable or unwritable (UPDATE and DELETE
//! USING), and the existing rows that would pass or fail the WITH CHECK of INSERT and
//! UPDATE (a proxy for new rows) are counted.
//!
//! How, in one transaction (or savepoint) that is always rolled back, under the session
//! pins (`statement_timeout`, `lock_timeout`, `search_path`, ...):
//! 1. As the connecting role, with `row_security = off` (so that a connecting role that
//!    RLS would filter fails instead of counting a part of the table): each table's rows
//!    are copied into a temporary table, all of them up to the sample limit, else a
//!    `TABLESAMPLE BERNOULLI .. REPEATABLE` sample cut at the limit, and the role is
//!    granted SELECT on the copy.
//! 2. `SET TRANSACTION READ ONLY`, `row_security` back on, `SET LOCAL ROLE` the role and
//!    the settings by `set_config(name, value, true)` (names and values quoted literals):
//!    from here the policy expressions run with the role's privileges, as the server
//!    would run them for that role (a sub-select in a predicate sees what the role may
//!    see), and cannot write.
//! 3. One query per table counts every predicate with `count(*) FILTER (WHERE ..)`.
//!
//! Every policy expression is proved to be exactly one expression
//! ([`crate::expr::validate`]) before it is put between parentheses; names are quoted by
//! [`crate::sql::quote`]. It fails closed: an unknown role, a setting a predicate reads
//! (`current_setting('name')`) that was not given, a `current_setting` whose name is not
//! a literal, or a connecting role that cannot read every row is an error, never a count.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::diff::Plan;
use crate::error::Error;
use crate::exec::{DbError, Exec, Scope};
use crate::explain::{Effective, Index, Verdict};
use crate::ir::{Command, Schema, Table, TableName};
use crate::lint::DbFacts;
use crate::session::{Purpose, Timeouts};
use crate::sql::quote;

/// Rows evaluated per table unless told otherwise; above it, a sample of this size.
pub const DEFAULT_SAMPLE_LIMIT: u64 = 10_000;

/// Whose rows, under which settings, and how many at most per table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpactOptions {
    pub role: String,
    pub settings: Vec<(String, String)>,
    pub sample_limit: u64,
}

impl ImpactOptions {
    /// Checks the role name, the setting names (`prefix.name`, each once) and the limit.
    pub fn new(
        role: &str,
        settings: Vec<(String, String)>,
        sample_limit: u64,
    ) -> Result<ImpactOptions, Error> {
        crate::context::Context::new(
            Some(role.to_string()),
            settings
                .iter()
                .map(|(k, v)| (k.clone(), Some(v.clone())))
                .collect(),
        )?;
        if role.eq_ignore_ascii_case(crate::context::NO_ROLE) {
            return Err(Error::Source(
                "impact: --role names the role whose rows are measured (not NONE)".into(),
            ));
        }
        if sample_limit == 0 {
            return Err(Error::Source(
                "impact: the sample limit must be at least 1".into(),
            ));
        }
        Ok(ImpactOptions {
            role: role.to_string(),
            settings,
            sample_limit,
        })
    }

    /// Reads `name=value` (as `--setting` takes it).
    pub fn parse_setting(text: &str) -> Result<(String, String), Error> {
        let (k, v) = text.split_once('=').ok_or_else(|| {
            Error::Source(format!(
                "--setting {text:?}: expected name=value, e.g. app.tenant_id=2"
            ))
        })?;
        Ok((k.trim().to_string(), v.to_string()))
    }
}

/// Which predicate a count is about.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// SELECT USING: the rows the role sees.
    Select,
    /// UPDATE USING: the rows the role may update.
    Update,
    /// DELETE USING: the rows the role may delete.
    Delete,
    /// INSERT WITH CHECK, judged against existing rows (a proxy for new rows).
    InsertCheck,
    /// UPDATE WITH CHECK, judged against existing rows (a proxy for updated rows).
    UpdateCheck,
}

const CHECKS: [Check; 5] = [
    Check::Select,
    Check::Update,
    Check::Delete,
    Check::InsertCheck,
    Check::UpdateCheck,
];

impl Check {
    pub fn command(self) -> Command {
        match self {
            Check::Select => Command::Select,
            Check::Update | Check::UpdateCheck => Command::Update,
            Check::Delete => Command::Delete,
            Check::InsertCheck => Command::Insert,
        }
    }

    /// Whether the count is a proxy (a WITH CHECK judged on existing rows).
    pub fn is_proxy(self) -> bool {
        matches!(self, Check::InsertCheck | Check::UpdateCheck)
    }

    /// What a row that passes is, and what one that stops passing becomes.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Check::Select => ("visible", "invisible"),
            Check::Update => ("updatable", "not updatable"),
            Check::Delete => ("deletable", "not deletable"),
            Check::InsertCheck => ("insertable (proxy)", "not insertable (proxy)"),
            Check::UpdateCheck => (
                "accepted after update (proxy)",
                "refused after update (proxy)",
            ),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Check::Select => "SELECT USING",
            Check::Update => "UPDATE USING",
            Check::Delete => "DELETE USING",
            Check::InsertCheck => "INSERT WITH CHECK",
            Check::UpdateCheck => "UPDATE WITH CHECK",
        }
    }

    /// The predicate this check evaluates, from the role's rule for its command: `true`
    /// without RLS or with a bypass, `false` when denied (no privilege, or no permissive
    /// policy), else the clause.
    fn predicate(self, e: &Effective) -> String {
        match e.verdict {
            Verdict::NoRls | Verdict::Bypass => "true".into(),
            Verdict::NoPrivilege | Verdict::DenyAll => "false".into(),
            Verdict::Filtered => {
                let clause = if self.is_proxy() {
                    &e.with_check
                } else {
                    &e.using
                };
                clause.clone().unwrap_or_else(|| "false".into())
            }
        }
    }
}

/// One side (before or after the plan) of a check.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    pub verdict: Verdict,
    /// The predicate evaluated, as SQL.
    pub predicate: String,
    /// Why, in words (which bypass, which policies).
    pub reason: String,
    /// Rows that pass.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
}

/// The counts of one check on one table.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckImpact {
    pub check: Check,
    pub command: Command,
    /// A WITH CHECK judged against existing rows: a proxy for the rows the role may write.
    pub proxy: bool,
    pub before: Side,
    pub after: Side,
    /// Rows that pass after the plan and did not before.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub gained: u64,
    /// Rows that passed before the plan and no longer do.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub lost: u64,
}

/// A table's impact.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableImpact {
    pub table: String,
    /// The table's rows: exact up to the sample limit, else the planner's estimate (or an
    /// exact count when the table was never analyzed).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
    /// `rows` is the planner's estimate (`pg_class.reltuples`).
    pub rows_estimated: bool,
    /// Rows the predicates were evaluated on (all of them, or the sample).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub evaluated: u64,
    /// The rows were sampled (`TABLESAMPLE BERNOULLI`, cut at the sample limit).
    pub sampled: bool,
    pub checks: Vec<CheckImpact>,
}

/// What a plan changes for one role's rows.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Impact {
    pub role: String,
    pub settings: BTreeMap<String, String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sample_limit: u64,
    pub tables: Vec<TableImpact>,
    /// Tables the plan touches that were not measured, with the reason.
    pub skipped: Vec<String>,
    /// What the counts mean and do not mean.
    pub notes: Vec<String>,
}

/// The notes every impact report carries.
fn notes() -> Vec<String> {
    vec![
        "Predicates were evaluated as the role (SET LOCAL ROLE, with the settings given) in a \
         read-only transaction that was rolled back."
            .into(),
        "INSERT and UPDATE WITH CHECK counts judge existing rows as if they were the new rows: \
         a proxy for what the role may write."
            .into(),
        "A predicate's sub-select over another table (or over the same table) sees the rows \
         the role may see there today, under the current policies."
            .into(),
    ]
}

/// The settings a predicate reads with `current_setting('name' ...)`; `Err` with the call
/// when a `current_setting` does not name its setting with a literal (then which settings
/// it reads cannot be known, and the impact refuses to guess).
pub fn settings_read(expr: &str) -> Result<BTreeSet<String>, String> {
    use crate::sql::lex::{tokenize, Kind};
    let tokens = tokenize(expr).map_err(|e| e.message)?;
    let mut out = BTreeSet::new();
    for (i, t) in tokens.iter().enumerate() {
        if t.ident(expr).as_deref() != Some("current_setting") {
            continue;
        }
        if tokens.get(i + 1).map(|t| t.kind) != Some(Kind::LParen) {
            continue;
        }
        match tokens.get(i + 2).and_then(|t| t.string_value(expr)) {
            Some(name) => {
                out.insert(name);
            }
            None => {
                return Err(
                    "current_setting() is called with a name that is not a string literal".into(),
                )
            }
        }
    }
    Ok(out)
}

/// The tables to measure: those the plan's changes name, and those whose rule for the
/// role differs before and after (a role, membership or grant change reaches them).
fn tables_to_measure(
    before: &Schema,
    after: &Schema,
    facts: &DbFacts,
    plan: &Plan,
    role: &str,
) -> Vec<TableName> {
    let mut out: BTreeSet<(String, String)> = plan
        .changes
        .iter()
        .filter_map(|c| c.table())
        .map(|t| (t.schema.clone(), t.name.clone()))
        .collect();
    let reaches_roles = plan.changes.iter().any(|c| c.table().is_none());
    if reaches_roles {
        let (ib, ia) = (
            Index::new(before, Some(facts)),
            Index::new(after, Some(facts)),
        );
        for t in &after.tables {
            let Some(old) = before.table(&t.schema, &t.name) else {
                continue;
            };
            let differs = crate::explain::COMMANDS
                .iter()
                .any(|c| ib.effective(old, role, *c) != ia.effective(t, role, *c));
            if differs {
                out.insert((t.schema.clone(), t.name.clone()));
            }
        }
    }
    out.into_iter()
        .map(|(s, n)| TableName::new(&s, &n))
        .collect()
}

/// Every clause of the table's policies is exactly one expression; the settings the ones
/// `role`'s rules use read were all given.
fn check_expressions(
    tables: [&Table; 2],
    rules: &[(&Effective, &Effective)],
    given: &BTreeSet<&str>,
) -> Result<(), Error> {
    for t in tables {
        for p in &t.policies {
            let used = rules.iter().any(|(a, b)| {
                [a, b]
                    .iter()
                    .any(|e| e.permissive.contains(&p.name) || e.restrictive.contains(&p.name))
            });
            for (clause, text) in [("USING", &p.using), ("WITH CHECK", &p.with_check)] {
                let Some(text) = text else { continue };
                let at = format!("{}, policy {:?}, {clause}", t.display_name(), p.name);
                crate::expr::validate(text)
                    .map_err(|e| Error::Source(format!("impact: {at}: {e}")))?;
                if !used {
                    continue;
                }
                let read = settings_read(text)
                    .map_err(|e| Error::Source(format!("impact: {at}: {e}: give the settings the role runs with, and write the name as a literal")))?;
                let missing: Vec<&String> = read
                    .iter()
                    .filter(|s| !given.contains(s.as_str()))
                    .collect();
                if !missing.is_empty() {
                    return Err(Error::Source(format!(
                        "impact: {at} reads the setting(s) {}, not given: pass --setting name=value for each (the value the application sets), so that nothing is counted under a setting the role never runs with",
                        missing.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
                    )));
                }
            }
        }
    }
    Ok(())
}

fn db(context: &str, e: DbError) -> Error {
    if e.code.as_deref() == Some(crate::session::QUERY_CANCELED) {
        return Error::Database(format!("impact: {context}: {e} (statement timeout)"));
    }
    Error::Database(format!("impact: {context}: {e}"))
}

fn number(cell: &Option<String>) -> u64 {
    cell.as_deref().and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// What is measured for one table, decided before any statement runs.
struct Target<'a> {
    name: TableName,
    before: Vec<Effective>,
    after: Vec<Effective>,
    table: &'a Table,
}

/// Measures what `plan` (from `current`, the database's state, to `desired`) changes for
/// `opts.role`'s rows of the database `exec` is connected to. `desired` is laid over
/// `current` as `lint --db` does ([`crate::lint::overlay`]).
pub fn plan_impact(
    exec: &mut dyn Exec,
    scope: Scope,
    timeouts: &Timeouts,
    current: &Schema,
    desired: &Schema,
    plan: &Plan,
    opts: &ImpactOptions,
) -> Result<Impact, Error> {
    let after = crate::lint::overlay(desired, current);
    for s in scope.open(Purpose::Impact, timeouts) {
        exec.execute(&s).map_err(|e| {
            abandon(exec, scope);
            db("opening the transaction", e)
        })?;
    }
    let result = measure(exec, current, &after, plan, opts);
    abandon(exec, scope);
    result
}

fn abandon(exec: &mut dyn Exec, scope: Scope) {
    for s in scope.rollback() {
        if exec.execute(&s).is_err() {
            break;
        }
    }
}

fn measure(
    exec: &mut dyn Exec,
    before: &Schema,
    after: &Schema,
    plan: &Plan,
    opts: &ImpactOptions,
) -> Result<Impact, Error> {
    let role = opts.role.as_str();
    let exists = exec
        .query_text(&format!(
            "SELECT pg_catalog.count(*)::pg_catalog.text FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) {}",
            quote::literal(role)
        ))
        .map_err(|e| db("looking up the role", e))?;
    if exists.as_deref() != Some("1") {
        return Err(Error::Source(format!(
            "impact: role {role:?} does not exist in the database: nothing was measured"
        )));
    }
    let mut schemas: Vec<String> = plan
        .changes
        .iter()
        .filter_map(|c| c.table())
        .map(|t| t.schema.clone())
        .chain(after.schema_names())
        .collect();
    schemas.sort();
    schemas.dedup();
    let facts_text = exec
        .query_text(&crate::lint::facts::facts_query(&schemas))
        .map_err(|e| db("reading the catalog", e))?
        .unwrap_or_default();
    let facts = DbFacts::from_json(&facts_text)?;
    let given: BTreeSet<&str> = opts.settings.iter().map(|(k, _)| k.as_str()).collect();

    let mut skipped = Vec::new();
    let mut targets = Vec::new();
    let in_database: BTreeSet<(&str, &str)> = facts
        .tables
        .iter()
        .map(|t| (t.schema.as_str(), t.name.as_str()))
        .collect();
    let (ib, ia) = (
        Index::new(before, Some(&facts)),
        Index::new(after, Some(&facts)),
    );
    for name in tables_to_measure(before, after, &facts, plan, role) {
        let in_db = in_database.contains(&(name.schema.as_str(), name.name.as_str()));
        let (Some(old), Some(new), true) = (
            before.table(&name.schema, &name.name),
            after.table(&name.schema, &name.name),
            in_db,
        ) else {
            skipped.push(format!(
                "{}.{}: not a table of the database (nothing to count)",
                name.schema, name.name
            ));
            continue;
        };
        let rules = |ix: &Index, t| -> Vec<Effective> {
            crate::explain::COMMANDS
                .iter()
                .map(|c| ix.effective(t, role, *c))
                .collect()
        };
        let (b, a) = (rules(&ib, old), rules(&ia, new));
        let pairs: Vec<(&Effective, &Effective)> = b.iter().zip(&a).collect();
        check_expressions([old, new], &pairs, &given)?;
        targets.push(Target {
            name,
            before: b,
            after: a,
            table: new,
        });
    }

    // 1. Copies, read as the connecting role; a role that RLS filters fails here.
    run(
        exec,
        "SELECT pg_catalog.set_config('row_security', 'off', true)",
        "reading the tables",
    )?;
    let n = opts.sample_limit;
    let mut sizes = Vec::with_capacity(targets.len());
    for (i, t) in targets.iter().enumerate() {
        let what = format!("reading {}", t.table.display_name());
        let copy = copy_name(i);
        let upto = exec
            .query_text(&format!(
                "SELECT pg_catalog.count(*)::pg_catalog.text FROM (SELECT FROM {} LIMIT {}) AS s",
                t.name,
                n + 1
            ))
            .map_err(|e| unreadable(&what, e))?;
        let upto = number(&upto);
        let (rows, estimated, sample) = if upto <= n {
            (upto, false, String::new())
        } else {
            let est = exec
                .query_text(&format!(
                    "SELECT c.reltuples::pg_catalog.int8::pg_catalog.text FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) {}::pg_catalog.regclass",
                    quote::literal(&t.name.to_string())
                ))
                .map_err(|e| db(&what, e))?;
            let mut est = number(&est);
            let mut estimated = true;
            if est <= n {
                // never analyzed (or stale): the estimate says fewer rows than were just
                // seen, so count them (one query, bounded by statement_timeout)
                let exact = exec
                    .query_text(&format!(
                        "SELECT pg_catalog.count(*)::pg_catalog.text FROM {}",
                        t.name
                    ))
                    .map_err(|e| unreadable(&what, e))?;
                est = number(&exact).max(n + 1);
                estimated = false;
            }
            // a little over the share wanted, then cut at the limit
            let pct = (n as f64 / est as f64 * 125.0).min(100.0);
            (
                est,
                estimated,
                format!(" TABLESAMPLE BERNOULLI ({pct:.6}) REPEATABLE (0)"),
            )
        };
        run(
            exec,
            &format!(
                "CREATE TEMPORARY TABLE {copy} ON COMMIT DROP AS SELECT * FROM {}{sample} LIMIT {n}",
                t.name
            ),
            &what,
        )?;
        run(
            exec,
            &format!("GRANT SELECT ON pg_temp.{copy} TO {}", quote::ident(role)),
            &what,
        )?;
        sizes.push((rows, estimated, upto > n));
    }

    // 2. From here, user text runs: read only, as the role, with its settings.
    run(exec, "SET TRANSACTION READ ONLY", "entering the role")?;
    run(
        exec,
        "SELECT pg_catalog.set_config('row_security', 'on', true)",
        "entering the role",
    )?;
    run(
        exec,
        &format!("SET LOCAL ROLE {}", quote::ident(role)),
        "entering the role (the connecting role must be a member of it, or a superuser)",
    )?;
    for (k, v) in &opts.settings {
        run(
            exec,
            &format!(
                "SELECT pg_catalog.set_config({}, {}, true)",
                quote::literal(k),
                quote::literal(v)
            ),
            "setting the settings",
        )?;
    }

    // 3. One query per table.
    let mut tables = Vec::with_capacity(targets.len());
    for (i, (t, (rows, estimated, sampled))) in targets.iter().zip(sizes).enumerate() {
        let mut cols = vec!["pg_catalog.count(*)::pg_catalog.text".to_string()];
        let mut preds = Vec::new();
        for check in CHECKS {
            let c = check.command();
            let idx = crate::explain::COMMANDS
                .iter()
                .position(|x| *x == c)
                .expect("a command");
            let (old, new) = (
                check.predicate(&t.before[idx]),
                check.predicate(&t.after[idx]),
            );
            for filter in [
                format!("({old}) IS TRUE"),
                format!("({new}) IS TRUE"),
                format!("({new}) IS TRUE AND ({old}) IS NOT TRUE"),
                format!("({old}) IS TRUE AND ({new}) IS NOT TRUE"),
            ] {
                cols.push(format!(
                    "pg_catalog.count(*) FILTER (WHERE {filter})::pg_catalog.text"
                ));
            }
            preds.push((check, idx, old, new));
        }
        let sql = format!(
            "SELECT {} FROM pg_temp.{} AS {}",
            cols.join(", "),
            copy_name(i),
            quote::ident(&t.table.name)
        );
        let row = exec
            .query(&sql)
            .map_err(|e| {
                db(
                    &format!(
                        "evaluating the policies of {} as {role}",
                        t.table.display_name()
                    ),
                    e,
                )
            })?
            .into_iter()
            .next()
            .unwrap_or_default();
        let cell = |k: usize| number(row.get(k).unwrap_or(&None));
        let checks = preds
            .into_iter()
            .enumerate()
            .map(|(j, (check, idx, old, new))| {
                let base = 1 + j * 4;
                let side = |e: &Effective, predicate: String, rows: u64| Side {
                    verdict: e.verdict.clone(),
                    predicate,
                    reason: e.reason.clone(),
                    rows,
                };
                CheckImpact {
                    check,
                    command: check.command(),
                    proxy: check.is_proxy(),
                    before: side(&t.before[idx], old, cell(base)),
                    after: side(&t.after[idx], new, cell(base + 1)),
                    gained: cell(base + 2),
                    lost: cell(base + 3),
                }
            })
            .collect();
        tables.push(TableImpact {
            table: t.table.display_name(),
            rows,
            rows_estimated: estimated,
            evaluated: cell(0),
            sampled,
            checks,
        });
    }
    Ok(Impact {
        role: role.to_string(),
        settings: opts.settings.iter().cloned().collect(),
        sample_limit: n,
        tables,
        skipped,
        notes: notes(),
    })
}

fn copy_name(i: usize) -> String {
    format!("pgpolicy_impact_{i}")
}

fn run(exec: &mut dyn Exec, sql: &str, context: &str) -> Result<(), Error> {
    exec.execute(sql).map_err(|e| db(context, e))
}

/// A table the connecting role cannot read whole.
fn unreadable(what: &str, e: DbError) -> Error {
    if e.code.as_deref() == Some("42501") {
        return Error::Database(format!(
            "impact: {what}: {e}: the impact is counted on every row, so pgpolicy reads the table as the connecting role, which must not be filtered by RLS (connect as the table's owner without FORCE, a superuser or a BYPASSRLS role) and needs SELECT on it; nothing was measured"
        ));
    }
    db(what, e)
}

impl Impact {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("impact serializes")
    }

    /// The headline sentences: what changes, per table and check ("lets app_user see 12
    /// more rows of public.documents").
    pub fn headlines(&self) -> Vec<String> {
        let who = self.who();
        let mut out = Vec::new();
        for t in &self.tables {
            let of = if t.sampled {
                let about = if t.rows_estimated { "~" } else { "" };
                format!(
                    "{} (in a sample of {} of {about}{} rows)",
                    t.table, t.evaluated, t.rows
                )
            } else {
                t.table.clone()
            };
            for c in &t.checks {
                let (yes, no) = c.check.words();
                if c.gained > 0 {
                    out.push(format!(
                        "{} more row(s) of {of} become {yes} to {who}",
                        c.gained
                    ));
                }
                if c.lost > 0 {
                    out.push(format!("{} row(s) of {of} become {no} to {who}", c.lost));
                }
            }
        }
        out
    }

    fn who(&self) -> String {
        if self.settings.is_empty() {
            self.role.clone()
        } else {
            let s: Vec<String> = self
                .settings
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!("{} with {}", self.role, s.join(", "))
        }
    }

    /// The report as text: the headlines, then per table the counts of every check.
    pub fn to_text(&self) -> String {
        let mut out = format!("Impact of the plan on the rows of {}:\n", self.who());
        let heads = self.headlines();
        if heads.is_empty() && !self.tables.is_empty() {
            out.push_str("  no row changes visibility or writability\n");
        }
        for h in heads {
            out.push_str(&format!("  {h}\n"));
        }
        for t in &self.tables {
            out.push_str(&format!(
                "\n{}: {} row(s){}, {}\n",
                t.table,
                t.rows,
                if t.rows_estimated { " (estimated)" } else { "" },
                if t.sampled {
                    format!(
                        "a sample of {} evaluated (limit {})",
                        t.evaluated, self.sample_limit
                    )
                } else {
                    format!("all {} evaluated", t.evaluated)
                }
            ));
            for c in &t.checks {
                out.push_str(&format!(
                    "  {:<18} {:>8} -> {:<8} (+{} -{})\n",
                    c.check.label(),
                    c.before.rows,
                    c.after.rows,
                    c.gained,
                    c.lost
                ));
                if c.before.predicate != c.after.predicate {
                    out.push_str(&format!(
                        "    before: {}\n    after:  {}\n",
                        c.before.predicate, c.after.predicate
                    ));
                }
            }
        }
        for s in &self.skipped {
            out.push_str(&format!("\nskipped {s}\n"));
        }
        out.push('\n');
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        out
    }

    /// The report as a comment block for a migration file: each line of [`Impact::to_text`]
    /// behind `prefix` (`# ` for Python, `// ` for JavaScript).
    pub fn to_comment(&self, prefix: &str) -> String {
        self.to_text()
            .lines()
            .map(|l| {
                format!(
                    "{}{l}",
                    if l.is_empty() {
                        prefix.trim_end()
                    } else {
                        prefix
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_by_predicates() {
        let s = settings_read(
            "tenant_id = current_setting('app.tenant')::int AND (select pg_catalog.current_setting('app.user', true)) = owner",
        )
        .unwrap();
        assert_eq!(
            s.into_iter().collect::<Vec<_>>(),
            vec!["app.tenant".to_string(), "app.user".to_string()]
        );
        assert!(settings_read("x = current_setting(name_col)").is_err());
        assert!(settings_read("owner = current_user").unwrap().is_empty());
    }

    #[test]
    fn options_are_checked() {
        assert!(ImpactOptions::new("app_user", vec![], 10).is_ok());
        assert!(ImpactOptions::new("", vec![], 10).is_err());
        assert!(ImpactOptions::new("none", vec![], 10).is_err());
        assert!(ImpactOptions::new("a", vec![], 0).is_err());
        assert!(ImpactOptions::new("a", vec![("search_path".into(), "x".into())], 1).is_err());
        assert_eq!(
            ImpactOptions::parse_setting("app.t=a=b").unwrap(),
            ("app.t".to_string(), "a=b".to_string())
        );
        assert!(ImpactOptions::parse_setting("app.t").is_err());
    }
}
