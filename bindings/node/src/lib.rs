//! Node.js bindings for the pgpolicy core (napi-rs).
//!
//! Thin by design: schemas cross the boundary as JSON text (the exchange format or the
//! ModelIR shape, read by `Schema::from_json`), plans come back as JSON text, and every
//! core error becomes a JS error whose message carries the error's fields; `index.js`
//! turns that into the `PgPolicyError` subclasses. Database work runs on libuv's worker
//! pool (`AsyncTask`), each task with its own connection and runtime (`LiveDb`).

use napi::bindgen_prelude::*;
use napi_derive::napi;
use pgpolicy::embedded::Cluster;
use pgpolicy::introspect::LiveDb;
use pgpolicy::session::{self, Timeouts};
use pgpolicy::{DiffOptions, Error as CoreError, Plan, Schema};
use serde_json::json;

/// Marks messages that carry a serialized core error; `index.js` strips it.
const ERROR_PREFIX: &str = "PGPOLICY_ERROR:";

fn kind_of(e: &CoreError) -> &'static str {
    match e {
        CoreError::Validation(_) => "Validation",
        CoreError::Source(_) => "Source",
        CoreError::Database(_) => "Database",
        CoreError::Embedded(_) => "Embedded",
        CoreError::Weakening(_) => "Weakening",
        CoreError::Io(_) => "Io",
    }
}

fn to_js(e: CoreError) -> napi::Error {
    let errors = match &e {
        CoreError::Validation(v) => serde_json::to_value(v).unwrap_or_default(),
        _ => json!([]),
    };
    let payload = json!({
        "kind": kind_of(&e),
        "code": e.code(),
        "message": e.to_string(),
        "errors": errors,
    });
    napi::Error::new(Status::GenericFailure, format!("{ERROR_PREFIX}{payload}"))
}

fn schema(json_text: &str) -> Result<Schema> {
    Schema::from_json(json_text).map_err(to_js)
}

/// A duration: a string as PostgreSQL writes it (`"5s"`, `"500ms"`, `"2min"`) or a
/// number of milliseconds.
type DurationJs = Either<String, f64>;

fn duration(what: &str, d: &DurationJs) -> Result<std::time::Duration> {
    match d {
        Either::A(text) => session::parse_duration(text)
            .map_err(|e| napi::Error::new(Status::InvalidArg, format!("{what}: {e}"))),
        Either::B(ms) if ms.is_finite() && *ms >= 0.0 => {
            Ok(std::time::Duration::from_micros((ms * 1000.0) as u64))
        }
        Either::B(ms) => Err(napi::Error::new(
            Status::InvalidArg,
            format!(
                "{what}: expected a number of milliseconds or a string such as \"5s\", not {ms}"
            ),
        )),
    }
}

/// The core's time limits with the given ones in place of its defaults.
fn timeouts(
    lock: &Option<DurationJs>,
    statement: &Option<DurationJs>,
    connect: &Option<DurationJs>,
) -> Result<Timeouts> {
    let mut t = Timeouts::default();
    if let Some(d) = lock {
        t.lock = duration("lockTimeout", d)?;
    }
    if let Some(d) = statement {
        t.statement = duration("statementTimeout", d)?;
    }
    if let Some(d) = connect {
        t.connect = duration("connectTimeout", d)?;
    }
    Ok(t)
}

/// Options of `diff`.
#[napi(object)]
#[derive(Default)]
pub struct DiffOptionsJs {
    /// Remove RLS objects the current side has and the desired side does not name.
    /// Default: true when the current side is a declaration, false when it was read from a
    /// database (it has a `database` entry).
    pub prune: Option<bool>,
    /// `lock_timeout` in the plan's preamble (default 5 s).
    pub lock_timeout: Option<DurationJs>,
    /// `statement_timeout` in the plan's preamble (default 5 min; 0 means none).
    pub statement_timeout: Option<DurationJs>,
}

/// Options of `introspect`.
#[napi(object)]
#[derive(Default)]
pub struct IntrospectOptions {
    /// PostgreSQL schemas to read (default `["public"]`).
    pub schemas: Option<Vec<String>>,
    /// How long one statement waits for a lock (default 5 s).
    pub lock_timeout: Option<DurationJs>,
    /// `statement_timeout` (default 5 min; 0 means none).
    pub statement_timeout: Option<DurationJs>,
    /// How long connecting may take (default 10 s; the URL's `connect_timeout` wins).
    pub connect_timeout: Option<DurationJs>,
}

/// Options of `apply`.
#[napi(object)]
#[derive(Default)]
pub struct ApplyOptions {
    /// Compute the plan only; change nothing.
    pub dry_run: Option<bool>,
    /// PostgreSQL schemas to read (default: the schemas the declaration names, else `public`).
    pub schemas: Option<Vec<String>>,
    /// See `DiffOptions.prune` (default false against a database).
    pub prune: Option<bool>,
    /// Run a plan that weakens protection (disables RLS or FORCE, drops or changes a
    /// restrictive policy, opens a policy to PUBLIC with `true`, grants BYPASSRLS);
    /// without it such a plan is refused with a `WeakeningError` (code `WEAKENS`).
    pub allow_weaken: Option<bool>,
    /// How long one statement waits for a lock (default 5 s); a plan whose lock wait
    /// times out is rolled back and retried.
    pub lock_timeout: Option<DurationJs>,
    /// `statement_timeout` (default 5 min; 0 means none).
    pub statement_timeout: Option<DurationJs>,
    /// How long connecting may take (default 10 s; the URL's `connect_timeout` wins).
    pub connect_timeout: Option<DurationJs>,
    /// Retries after a lock timeout, with backoff (default 3); then the apply fails
    /// saying nothing was applied.
    pub retries: Option<u32>,
}

/// Options of `sessionPins`.
#[napi(object)]
#[derive(Default)]
pub struct PinOptions {
    pub lock_timeout: Option<DurationJs>,
    pub statement_timeout: Option<DurationJs>,
}

fn steps_json(plan: &Plan) -> Vec<serde_json::Value> {
    plan.changes
        .iter()
        .map(|c| {
            json!({
                "comment": c.describe(),
                "sql": c.sql(),
                "reverse": c.reverse().sql(),
                "weakens": c.weakens(),
            })
        })
        .collect()
}

/// The plan as JSON text: SQL both ways (with the preamble for `timeouts`), statements,
/// steps both ways (each with its `weakens` reason or null) and typed changes.
fn plan_json(plan: &Plan, applied: Option<bool>, timeouts: &Timeouts) -> String {
    let reverse = plan.reverse();
    let mut v = json!({
        "sql": plan.sql_with(timeouts),
        "reverseSql": reverse.sql_with(timeouts),
        "preamble": plan.preamble(timeouts),
        "statements": plan.statements(),
        "reverseStatements": reverse.statements(),
        "steps": steps_json(plan),
        "reverseSteps": steps_json(&reverse),
        "weakens": !plan.weakening().is_empty(),
        "warnings": plan.warnings,
        "changes": plan.changes,
    });
    if let Some(a) = applied {
        v["applied"] = json!(a);
    }
    v.to_string()
}

/// Diffs two schemas offline (JSON text in, plan JSON text out).
///
/// Expression pairs the offline canonicalizer cannot prove equal count as changed; use
/// `apply(url, desired, { dryRun: true })` to let PostgreSQL compare them.
#[napi(js_name = "diffJson")]
pub fn diff_json(
    current: String,
    desired: String,
    options: Option<DiffOptionsJs>,
) -> Result<String> {
    let current = schema(&current)?;
    let desired = schema(&desired)?;
    let o = options.unwrap_or_default();
    let t = timeouts(&o.lock_timeout, &o.statement_timeout, &None)?;
    let opts = DiffOptions { prune: o.prune };
    let plan = pgpolicy::diff(&current, &desired, &opts).map_err(to_js)?;
    Ok(plan_json(&plan, None, &t))
}

/// The statements that pin a transaction before any statement that carries user text,
/// each to be run on its own right after BEGIN: standard_conforming_strings, search_path,
/// lock_timeout, statement_timeout (`SET LOCAL`: they end with the transaction).
#[napi(js_name = "sessionPins")]
pub fn session_pins(options: Option<PinOptions>) -> Result<Vec<String>> {
    let o = options.unwrap_or_default();
    Ok(session::pins(&timeouts(
        &o.lock_timeout,
        &o.statement_timeout,
        &None,
    )?))
}

/// Checks the columns that the policies of a schema name, for tables whose columns are
/// declared: a `ValidationError` (code `UNKNOWN_COLUMN`, with a "did you mean") for each
/// column the core's column resolution proves unknown.
#[napi(js_name = "checkColumnsJson")]
pub fn check_columns_json(text: String) -> Result<()> {
    let schema = schema(&text)?;
    let errors = pgpolicy::expr::columns::unknown_columns(&schema);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(to_js(CoreError::Validation(errors)))
    }
}

/// One statement of the runtime RLS context, with `$1`, `$2`, ... bound to `params`.
#[napi(object)]
pub struct ContextStatementJs {
    pub sql: String,
    pub params: Vec<Option<String>>,
}

/// The runtime RLS context's statements: `enter` sets the role and settings, `snapshot`
/// reads what `contextRestore` needs (run it before `enter` in a nested context).
#[napi(object)]
pub struct ContextStatementsJs {
    pub enter: Vec<ContextStatementJs>,
    pub snapshot: ContextStatementJs,
}

fn context_of(
    role: Option<String>,
    names: Vec<String>,
    values: Vec<Option<String>>,
) -> Result<pgpolicy::context::Context> {
    if names.len() != values.len() {
        return Err(napi::Error::new(
            Status::InvalidArg,
            "setting names and values differ in length",
        ));
    }
    pgpolicy::context::Context::new(role, names.into_iter().zip(values).collect()).map_err(to_js)
}

fn statement_js(s: pgpolicy::context::Statement) -> ContextStatementJs {
    ContextStatementJs {
        sql: s.sql,
        params: s.params,
    }
}

/// The statements of a runtime RLS context (`pgpolicy::context`): `SET LOCAL ROLE` with
/// the role quoted, and `set_config($1, $2, true)` per setting, values bound.
#[napi(js_name = "contextStatements")]
pub fn context_statements(
    role: Option<String>,
    names: Vec<String>,
    values: Vec<Option<String>>,
) -> Result<ContextStatementsJs> {
    let c = context_of(role, names, values)?;
    Ok(ContextStatementsJs {
        enter: c.enter().into_iter().map(statement_js).collect(),
        snapshot: statement_js(c.snapshot()),
    })
}

/// The statements that leave a nested context for the state its snapshot row describes.
#[napi(js_name = "contextRestore")]
pub fn context_restore(
    role: Option<String>,
    names: Vec<String>,
    values: Vec<Option<String>>,
    row: Vec<Option<String>>,
) -> Result<Vec<ContextStatementJs>> {
    let c = context_of(role, names, values)?;
    Ok(c.restore(&row)
        .map_err(to_js)?
        .into_iter()
        .map(statement_js)
        .collect())
}

/// Reads a schema (exchange format or ModelIR shape), validates it and returns it in the
/// exchange format.
#[napi(js_name = "parseSchemaJson")]
pub fn parse_schema_json(text: String) -> Result<String> {
    Ok(schema(&text)?.to_json())
}

/// Every validation error of a schema (empty when it is valid), as JSON text.
#[napi(js_name = "checkJson")]
pub fn check_json(text: String) -> Result<String> {
    let raw: pgpolicy::ir::RawSchema = serde_json::from_str(&text)
        .map_err(|e| to_js(CoreError::Source(format!("invalid schema JSON: {e}"))))?;
    let errors = match raw.into_schema() {
        Ok(s) => pgpolicy::validate::check(&s),
        Err(CoreError::Validation(v)) => v,
        Err(e) => return Err(to_js(e)),
    };
    Ok(serde_json::to_string(&errors).expect("errors serialize"))
}

fn read_sql_result(res: pgpolicy::Result<(Schema, Vec<String>)>) -> Result<String> {
    let (s, warnings) = res.map_err(to_js)?;
    let mut v: serde_json::Value = serde_json::from_str(&s.to_json()).expect("schema JSON");
    v["warnings"] = json!(warnings);
    Ok(v.to_string())
}

/// Reads a `.sql` file (CREATE TABLE, ALTER TABLE .. ROW LEVEL SECURITY, CREATE POLICY,
/// CREATE ROLE, GRANT) into a schema; skipped statements come back as `warnings`.
#[napi(js_name = "fromSqlFileJson")]
pub fn from_sql_file_json(path: String) -> Result<String> {
    read_sql_result(pgpolicy::source::from_sql_file(std::path::Path::new(&path)))
}

/// Reads SQL text like `fromSqlFile`.
#[napi(js_name = "fromSqlJson")]
pub fn from_sql_json(sql: String) -> Result<String> {
    read_sql_result(pgpolicy::source::from_sql(&sql))
}

pub struct IntrospectTask {
    url: String,
    schemas: Vec<String>,
    timeouts: Timeouts,
}

impl Task for IntrospectTask {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        let mut db = LiveDb::connect_with(&self.url, self.timeouts).map_err(to_js)?;
        Ok(db.introspect(&self.schemas).map_err(to_js)?.to_json())
    }

    fn resolve(&mut self, _env: Env, output: String) -> Result<String> {
        Ok(output)
    }
}

/// Reads the RLS state of a database (tables, columns, RLS flags, policies, roles,
/// grants) on a worker thread; resolves to the schema as JSON text.
#[napi(js_name = "introspectJson")]
pub fn introspect_json(
    url: String,
    options: Option<IntrospectOptions>,
) -> Result<AsyncTask<IntrospectTask>> {
    let o = options.unwrap_or_default();
    Ok(AsyncTask::new(IntrospectTask {
        url,
        timeouts: timeouts(&o.lock_timeout, &o.statement_timeout, &o.connect_timeout)?,
        schemas: o.schemas.unwrap_or_default(),
    }))
}

pub struct ApplyTask {
    url: String,
    desired: String,
    schemas: Option<Vec<String>>,
    dry_run: bool,
    prune: Option<bool>,
    allow_weaken: bool,
    timeouts: Timeouts,
    retries: u32,
}

impl Task for ApplyTask {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        let desired = schema(&self.desired)?;
        let schemas = self
            .schemas
            .clone()
            .unwrap_or_else(|| desired.schema_names());
        let mut db = LiveDb::connect_with(&self.url, self.timeouts).map_err(to_js)?;
        db.set_retries(self.retries);
        let current = db.introspect(&schemas).map_err(to_js)?;
        let opts = DiffOptions { prune: self.prune };
        // The database is the resolver: pairs the offline layer cannot prove equal are
        // printed by PostgreSQL's deparser.
        let plan = pgpolicy::diff_with(&current, &desired, &opts, Some(&mut db)).map_err(to_js)?;
        if !self.dry_run {
            plan.check_weakening(self.allow_weaken).map_err(to_js)?;
            db.apply(&plan).map_err(to_js)?;
        }
        Ok(plan_json(
            &plan,
            Some(!self.dry_run && !plan.is_empty()),
            &self.timeouts,
        ))
    }

    fn resolve(&mut self, _env: Env, output: String) -> Result<String> {
        Ok(output)
    }
}

/// Brings a database to the declared state in one transaction (or, with `dryRun`, only
/// computes the plan). Expressions are compared through the database's own deparser when
/// the offline canonicalizer cannot prove them equal. Every transaction is pinned first
/// (standard_conforming_strings, search_path, lock and statement timeouts); a plan that
/// weakens protection is refused unless `allowWeaken`; a lock timeout rolls back and
/// retries. Resolves to the plan as JSON text.
#[napi(js_name = "applyJson")]
pub fn apply_json(
    url: String,
    desired: String,
    options: Option<ApplyOptions>,
) -> Result<AsyncTask<ApplyTask>> {
    let o = options.unwrap_or_default();
    Ok(AsyncTask::new(ApplyTask {
        url,
        desired,
        timeouts: timeouts(&o.lock_timeout, &o.statement_timeout, &o.connect_timeout)?,
        schemas: o.schemas,
        dry_run: o.dry_run.unwrap_or(false),
        prune: o.prune,
        allow_weaken: o.allow_weaken.unwrap_or(false),
        retries: o.retries.unwrap_or(session::DEFAULT_RETRIES),
    }))
}

/// A throwaway PostgreSQL cluster: initdb in a temporary directory, unix socket only,
/// superuser `postgres`, trust authentication. Removed by `stop()` (and at process exit).
#[napi]
pub struct EmbeddedPostgres {
    cluster: Option<Cluster>,
}

impl EmbeddedPostgres {
    fn cluster(&self) -> Result<&Cluster> {
        self.cluster
            .as_ref()
            .ok_or_else(|| to_js(CoreError::Embedded("the cluster was stopped".into())))
    }
}

#[napi]
impl EmbeddedPostgres {
    /// A libpq URL for `database` as `postgres` over the unix socket.
    #[napi]
    pub fn url(&self, database: String) -> Result<String> {
        Ok(self.cluster()?.url(&database))
    }

    /// Creates a database and returns its URL.
    #[napi]
    pub fn create_database(&self, name: String) -> Result<String> {
        self.cluster()?.create_database(&name).map_err(to_js)
    }

    /// Runs SQL through psql as the superuser (stops on the first error); returns the output.
    #[napi]
    pub fn psql(&self, database: String, sql: String) -> Result<String> {
        self.cluster()?.psql(&database, &sql).map_err(to_js)
    }

    /// The directory of the unix socket (use it as `host` with pg or Sequelize).
    #[napi(getter)]
    pub fn socket_dir(&self) -> Result<String> {
        Ok(self.cluster()?.socket_dir().display().to_string())
    }

    /// The port that names the socket file.
    #[napi(getter)]
    pub fn port(&self) -> Result<u32> {
        Ok(self.cluster()?.port() as u32)
    }

    /// Stops the server and removes its directory. Idempotent.
    #[napi]
    pub fn stop(&mut self) {
        if let Some(mut c) = self.cluster.take() {
            c.stop();
        }
    }
}

/// Starts a throwaway PostgreSQL from the local server binaries (`PGPOLICY_PG_BIN`, else
/// the newest `/usr/lib/postgresql/*/bin`); as root, through `runuser -u postgres`.
#[napi]
pub fn start_embedded_postgres() -> Result<EmbeddedPostgres> {
    Ok(EmbeddedPostgres {
        cluster: Some(Cluster::start().map_err(to_js)?),
    })
}
