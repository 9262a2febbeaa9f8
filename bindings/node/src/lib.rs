//! Node.js bindings for the pgpolicy core (napi-rs).
//!
//! Thin by design: schemas go in as JSON text (the exchange format or the ModelIR shape,
//! read by `Schema::from_json`); what comes out is built by napi from the core's typed
//! values (serde): plans are the core's `PlanDocument`, schemas the exchange format, and
//! every core error is thrown as an instance of the error class `index.js` registered for
//! its kind, with `code`, `table`, `policy`, `clause` and `errors` set here and the
//! message as the core formats it. Database work runs on libuv's worker pool
//! (`AsyncTask`), each task with its own connection and runtime (`LiveDb`).

use std::cell::RefCell;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use pgpolicy::diff::PlanDocument;
use pgpolicy::embedded::Cluster;
use pgpolicy::introspect::LiveDb;
use pgpolicy::session::{self, Timeouts};
use pgpolicy::{DiffOptions, Error as CoreError, Plan, Schema, TableName, ValidationError};

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

thread_local! {
    /// The error classes `index.js` registered, by kind (`Validation`, ...; `PgPolicy` for
    /// the others). One per thread: each Node environment (main thread, worker) has its own.
    static ERROR_CLASSES: RefCell<Option<ObjectRef<false>>> = const { RefCell::new(None) };
}

/// Registers the classes core errors are thrown as: an object mapping a kind
/// (`Validation`, `Source`, `Database`, `Embedded`, `Weakening`, and `PgPolicy` for any
/// other) to a constructor taking the message.
#[napi(js_name = "registerErrorClasses")]
pub fn register_error_classes(classes: Object) -> Result<()> {
    let r = classes.create_ref::<false>()?;
    ERROR_CLASSES.with(|c| *c.borrow_mut() = Some(r));
    Ok(())
}

/// A core value handed to JS as napi's serde support builds it (no JSON text between).
pub struct Js<T>(T);

impl<T: serde::Serialize> ToNapiValue for Js<T> {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        let env = Env::from_raw(env);
        Ok(env.to_js_value(&val.0)?.raw())
    }
}

impl<T> TypeName for Js<T> {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

/// The JS error object for a core error: an instance of the registered class for its
/// kind, with the core's message and fields.
fn error_object<'e>(env: &'e Env, e: &CoreError) -> Result<Object<'e>> {
    let message = e.to_string();
    let ctor = ERROR_CLASSES.with(|c| -> Result<Option<Object<'e>>> {
        let classes = match &*c.borrow() {
            Some(r) => r.get_value(env)?,
            None => return Ok(None),
        };
        let kind = kind_of(e);
        let key = if classes.has_named_property(kind)? {
            kind
        } else {
            "PgPolicy"
        };
        let f: Function<'e, String, Unknown<'e>> = classes.get_named_property(key)?;
        Ok(Some(f.new_instance(message.clone())?.coerce_to_object()?))
    })?;
    let mut obj = match ctor {
        Some(o) => o,
        None => env.create_error(napi::Error::from_reason(message))?,
    };
    let errors = match e {
        CoreError::Validation(v) => v.clone(),
        _ => Vec::new(),
    };
    let first = errors.first();
    obj.set("code", e.code())?;
    obj.set("table", first.and_then(|f| f.table.clone()))?;
    obj.set("policy", first.and_then(|f| f.policy.clone()))?;
    obj.set("clause", Js(first.and_then(|f| f.clause)))?;
    obj.set("errors", Js(errors))?;
    Ok(obj)
}

/// A core error as the napi error that throws (or rejects with) its JS error object.
fn throw(env: &Env, e: CoreError) -> napi::Error {
    match error_object(env, &e) {
        Ok(obj) => napi::Error::from(obj.to_unknown()),
        Err(failed) => failed,
    }
}

fn schema(env: &Env, json_text: &str) -> Result<Schema> {
    Schema::from_json(json_text).map_err(|e| throw(env, e))
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

/// The plan as the JS value the package hands out (the core's `PlanDocument`).
fn plan_value(plan: &Plan, applied: Option<bool>, timeouts: &Timeouts) -> Js<PlanDocument> {
    let mut doc = plan.document(timeouts);
    doc.applied = applied;
    Js(doc)
}

/// Diffs two schemas offline (JSON text in, the plan out).
///
/// Expression pairs the offline canonicalizer cannot prove equal count as changed; use
/// `apply(url, desired, { dryRun: true })` to let PostgreSQL compare them.
#[napi(js_name = "diff")]
pub fn diff(
    env: Env,
    current: String,
    desired: String,
    options: Option<DiffOptionsJs>,
) -> Result<Js<PlanDocument>> {
    let current = schema(&env, &current)?;
    let desired = schema(&env, &desired)?;
    let o = options.unwrap_or_default();
    let t = timeouts(&o.lock_timeout, &o.statement_timeout, &None)?;
    let opts = DiffOptions { prune: o.prune };
    let plan = pgpolicy::diff(&current, &desired, &opts).map_err(|e| throw(&env, e))?;
    Ok(plan_value(&plan, None, &t))
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
#[napi(js_name = "checkColumns")]
pub fn check_columns(env: Env, text: String) -> Result<()> {
    let schema = schema(&env, &text)?;
    let errors = pgpolicy::expr::columns::unknown_columns(&schema);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(throw(&env, CoreError::Validation(errors)))
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
    env: &Env,
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
    pgpolicy::context::Context::new(role, names.into_iter().zip(values).collect())
        .map_err(|e| throw(env, e))
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
    env: Env,
    role: Option<String>,
    names: Vec<String>,
    values: Vec<Option<String>>,
) -> Result<ContextStatementsJs> {
    let c = context_of(&env, role, names, values)?;
    Ok(ContextStatementsJs {
        enter: c.enter().into_iter().map(statement_js).collect(),
        snapshot: statement_js(c.snapshot()),
    })
}

/// The statements that leave a nested context for the state its snapshot row describes.
#[napi(js_name = "contextRestore")]
pub fn context_restore(
    env: Env,
    role: Option<String>,
    names: Vec<String>,
    values: Vec<Option<String>>,
    row: Vec<Option<String>>,
) -> Result<Vec<ContextStatementJs>> {
    let c = context_of(&env, role, names, values)?;
    Ok(c.restore(&row)
        .map_err(|e| throw(&env, e))?
        .into_iter()
        .map(statement_js)
        .collect())
}

/// Reads a schema (exchange format or ModelIR shape), validates it and returns it in the
/// exchange format.
#[napi(js_name = "parseSchema")]
pub fn parse_schema(env: Env, text: String) -> Result<Js<Schema>> {
    Ok(Js(schema(&env, &text)?))
}

/// Every validation error of a schema (empty when it is valid).
#[napi(js_name = "check")]
pub fn check(env: Env, text: String) -> Result<Js<Vec<ValidationError>>> {
    let raw: pgpolicy::ir::RawSchema = serde_json::from_str(&text)
        .map_err(|e| throw(&env, CoreError::Source(format!("invalid schema JSON: {e}"))))?;
    let errors = match raw.into_schema() {
        Ok(s) => pgpolicy::validate::check(&s),
        Err(CoreError::Validation(v)) => v,
        Err(e) => return Err(throw(&env, e)),
    };
    Ok(Js(errors))
}

/// A schema read from SQL, with the statements the reader skipped.
#[derive(serde::Serialize)]
pub struct SqlSchema {
    schema: Schema,
    warnings: Vec<String>,
}

fn sql_schema(env: &Env, res: pgpolicy::Result<(Schema, Vec<String>)>) -> Result<Js<SqlSchema>> {
    let (schema, warnings) = res.map_err(|e| throw(env, e))?;
    Ok(Js(SqlSchema { schema, warnings }))
}

/// Reads a `.sql` file (CREATE TABLE, ALTER TABLE .. ROW LEVEL SECURITY, CREATE POLICY,
/// CREATE ROLE, GRANT) into a validated schema; skipped statements come back as `warnings`.
#[napi(js_name = "fromSqlFile")]
pub fn from_sql_file(env: Env, path: String) -> Result<Js<SqlSchema>> {
    sql_schema(
        &env,
        pgpolicy::source::from_sql_file(std::path::Path::new(&path)),
    )
}

/// Reads SQL text like `fromSqlFile`.
#[napi(js_name = "fromSql")]
pub fn from_sql(env: Env, sql: String) -> Result<Js<SqlSchema>> {
    sql_schema(&env, pgpolicy::source::from_sql(&sql))
}

pub struct IntrospectTask {
    url: String,
    schemas: Vec<String>,
    timeouts: Timeouts,
}

impl Task for IntrospectTask {
    type Output = pgpolicy::Result<Schema>;
    type JsValue = Js<Schema>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(LiveDb::connect_with(&self.url, self.timeouts)
            .and_then(|mut db| db.introspect(&self.schemas)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Js<Schema>> {
        Ok(Js(output.map_err(|e| throw(&env, e))?))
    }
}

/// Reads the RLS state of a database (tables, columns, RLS flags, policies, roles,
/// grants) on a worker thread; resolves to the schema in the exchange format.
#[napi(js_name = "introspect")]
pub fn introspect(
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

impl ApplyTask {
    fn run(&self) -> pgpolicy::Result<Plan> {
        let (mut db, _, _, plan) = plan_on(
            &self.url,
            self.timeouts,
            self.retries,
            &self.desired,
            &self.schemas,
            self.prune,
        )?;
        if !self.dry_run {
            plan.check_weakening(self.allow_weaken)?;
            db.apply(&plan)?;
        }
        Ok(plan)
    }
}

impl Task for ApplyTask {
    type Output = pgpolicy::Result<Plan>;
    type JsValue = Js<PlanDocument>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.run())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Js<PlanDocument>> {
        let plan = output.map_err(|e| throw(&env, e))?;
        Ok(plan_value(
            &plan,
            Some(!self.dry_run && !plan.is_empty()),
            &self.timeouts,
        ))
    }
}

/// Brings a database to the declared state in one transaction (or, with `dryRun`, only
/// computes the plan). Expressions are compared through the database's own deparser when
/// the offline canonicalizer cannot prove them equal. Every transaction is pinned first
/// (standard_conforming_strings, search_path, lock and statement timeouts); a plan that
/// weakens protection is refused unless `allowWeaken`; a lock timeout rolls back and
/// retries. Resolves to the plan.
#[napi(js_name = "apply")]
pub fn apply(
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

/// A table named by schema and name.
#[napi(object)]
pub struct TableRefJs {
    pub schema: String,
    pub name: String,
}

pub struct ColumnPoliciesTask {
    url: String,
    tables: Vec<TableName>,
    timeouts: Timeouts,
}

impl Task for ColumnPoliciesTask {
    type Output = pgpolicy::Result<Plan>;
    type JsValue = Js<PlanDocument>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(LiveDb::connect_with(&self.url, self.timeouts)
            .and_then(|mut db| db.column_policies(&self.tables)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Js<PlanDocument>> {
        let plan = output.map_err(|e| throw(&env, e))?;
        Ok(plan_value(&plan, None, &self.timeouts))
    }
}

/// The plan that drops the policies depending on a column of one of `tables` (the
/// database's dependency records), to run before changing those columns; its reverse
/// re-creates them as the database has them. Resolves to the plan.
#[napi(js_name = "columnPolicies")]
pub fn column_policies(
    url: String,
    tables: Vec<TableRefJs>,
    options: Option<PinOptions>,
) -> Result<AsyncTask<ColumnPoliciesTask>> {
    let o = options.unwrap_or_default();
    Ok(AsyncTask::new(ColumnPoliciesTask {
        url,
        tables: tables
            .into_iter()
            .map(|t| TableName::new(t.schema, t.name))
            .collect(),
        timeouts: timeouts(&o.lock_timeout, &o.statement_timeout, &None)?,
    }))
}

/// A throwaway PostgreSQL cluster: initdb in a temporary directory, unix socket only,
/// superuser `postgres`, trust authentication. Removed by `stop()` (and at process exit).
#[napi]
pub struct EmbeddedPostgres {
    cluster: Option<Cluster>,
}

impl EmbeddedPostgres {
    fn cluster(&self, env: &Env) -> Result<&Cluster> {
        self.cluster
            .as_ref()
            .ok_or_else(|| throw(env, CoreError::Embedded("the cluster was stopped".into())))
    }
}

#[napi]
impl EmbeddedPostgres {
    /// A libpq URL for `database` as `postgres` over the unix socket.
    #[napi]
    pub fn url(&self, env: Env, database: String) -> Result<String> {
        Ok(self.cluster(&env)?.url(&database))
    }

    /// Creates a database and returns its URL.
    #[napi]
    pub fn create_database(&self, env: Env, name: String) -> Result<String> {
        self.cluster(&env)?
            .create_database(&name)
            .map_err(|e| throw(&env, e))
    }

    /// Runs SQL through psql as the superuser (stops on the first error); returns the output.
    #[napi]
    pub fn psql(&self, env: Env, database: String, sql: String) -> Result<String> {
        self.cluster(&env)?
            .psql(&database, &sql)
            .map_err(|e| throw(&env, e))
    }

    /// The directory of the unix socket (use it as `host` with pg or Sequelize).
    #[napi(getter)]
    pub fn socket_dir(&self, env: Env) -> Result<String> {
        Ok(self.cluster(&env)?.socket_dir().display().to_string())
    }

    /// The port that names the socket file.
    #[napi(getter)]
    pub fn port(&self, env: Env) -> Result<u32> {
        Ok(self.cluster(&env)?.port() as u32)
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
pub fn start_embedded_postgres(env: Env) -> Result<EmbeddedPostgres> {
    Ok(EmbeddedPostgres {
        cluster: Some(Cluster::start().map_err(|e| throw(&env, e))?),
    })
}

/// Options of `lint` and `explain`.
#[napi(object)]
#[derive(Default)]
pub struct LintOptions {
    /// PostgreSQL schemas to read (default: the declaration's, else `["public"]`).
    pub schemas: Option<Vec<String>>,
    /// The `[lint]` section as JSON text (`appRoles` is spelt `app_roles`, as in the file).
    pub config_json: Option<String>,
    /// The text of a `pgpolicy.toml`.
    pub config_toml: Option<String>,
    /// `explain`: the role (default: every role the table's policies and grants name).
    pub role: Option<String>,
    /// `explain`: SELECT, INSERT, UPDATE or DELETE (default: all four).
    pub command: Option<String>,
    pub lock_timeout: Option<DurationJs>,
    pub statement_timeout: Option<DurationJs>,
    pub connect_timeout: Option<DurationJs>,
}

/// A lint report as JS sees it: the core's `Report` plus its text and SARIF forms.
#[derive(serde::Serialize)]
pub struct LintReportJs {
    findings: Vec<pgpolicy::lint::Finding>,
    skipped: Vec<String>,
    text: String,
    sarif: String,
}

fn lint_config(o: &LintOptions) -> pgpolicy::Result<pgpolicy::lint::LintConfig> {
    use pgpolicy::lint::LintConfig;
    if let Some(t) = &o.config_toml {
        return LintConfig::from_toml(t);
    }
    if let Some(j) = &o.config_json {
        let cfg: LintConfig = serde_json::from_str(j)
            .map_err(|e| CoreError::Source(format!("lint configuration: {e}")))?;
        cfg.check()?;
        return Ok(cfg);
    }
    Ok(LintConfig::default())
}

pub struct LintTask {
    declaration: Option<String>,
    url: Option<String>,
    schemas: Vec<String>,
    options: LintOptions,
    timeouts: Timeouts,
    explain_table: Option<String>,
}

/// What a lint or explain task resolves to.
pub enum LintOutput {
    Report(pgpolicy::lint::Report),
    Explanation(pgpolicy::explain::Explanation),
}

impl LintTask {
    fn run(&self) -> pgpolicy::Result<LintOutput> {
        let declared = match &self.declaration {
            Some(text) => Some(Schema::from_json(text)?),
            None => None,
        };
        let (schema, facts) = match &self.url {
            Some(url) => {
                let mut db = LiveDb::connect_with(url, self.timeouts)?;
                let (s, f) = pgpolicy::lint::read_database(
                    &mut db,
                    pgpolicy::exec::Scope::Transaction,
                    &self.timeouts,
                    declared.as_ref(),
                    &self.schemas,
                )?;
                (s, Some(f))
            }
            None => (declared.unwrap_or_default(), None),
        };
        match &self.explain_table {
            Some(table) => {
                let command = match self.options.command.as_deref() {
                    None => None,
                    Some(c) => Some(
                        pgpolicy::Command::parse(c)
                            .filter(|c| *c != pgpolicy::Command::All)
                            .ok_or_else(|| {
                                CoreError::Source(format!(
                                    "command {c:?}: expected SELECT, INSERT, UPDATE or DELETE"
                                ))
                            })?,
                    ),
                };
                pgpolicy::explain::explain(
                    &schema,
                    facts.as_ref(),
                    table,
                    self.options.role.as_deref(),
                    command,
                )
                .map(LintOutput::Explanation)
            }
            None => {
                let cfg = lint_config(&self.options)?;
                Ok(LintOutput::Report(pgpolicy::lint::lint(
                    &schema,
                    facts.as_ref(),
                    &cfg,
                )))
            }
        }
    }
}

impl Task for LintTask {
    type Output = pgpolicy::Result<LintOutput>;
    type JsValue = Js<serde_json::Value>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.run())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Js<serde_json::Value>> {
        let value = match output.map_err(|e| throw(&env, e))? {
            LintOutput::Report(r) => serde_json::to_value(LintReportJs {
                text: pgpolicy::lint::to_text(&r),
                sarif: pgpolicy::lint::to_sarif(&r, None),
                findings: r.findings,
                skipped: r.skipped,
            }),
            LintOutput::Explanation(e) => {
                let text = e.to_text();
                serde_json::to_value(&e).map(|mut v| {
                    v["text"] = serde_json::Value::String(text);
                    v
                })
            }
        };
        Ok(Js(
            value.map_err(|e| napi::Error::from_reason(e.to_string()))?
        ))
    }
}

fn lint_task(
    declaration: Option<String>,
    url: Option<String>,
    options: Option<LintOptions>,
    explain_table: Option<String>,
) -> Result<AsyncTask<LintTask>> {
    let o = options.unwrap_or_default();
    Ok(AsyncTask::new(LintTask {
        declaration,
        url,
        schemas: o.schemas.clone().unwrap_or_default(),
        timeouts: timeouts(&o.lock_timeout, &o.statement_timeout, &o.connect_timeout)?,
        options: o,
        explain_table,
    }))
}

/// Lints a declaration (JSON text), a database (`url`), or the declaration checked
/// against the database; resolves to `{ findings, skipped, text, sarif }`.
#[napi(js_name = "lint", ts_return_type = "Promise<unknown>")]
pub fn lint(
    declaration: Option<String>,
    url: Option<String>,
    options: Option<LintOptions>,
) -> Result<AsyncTask<LintTask>> {
    lint_task(declaration, url, options, None)
}

/// The effective predicates of `table`; resolves to the core's `Explanation` plus `text`.
#[napi(js_name = "explain", ts_return_type = "Promise<unknown>")]
pub fn explain(
    declaration: Option<String>,
    url: Option<String>,
    table: String,
    options: Option<LintOptions>,
) -> Result<AsyncTask<LintTask>> {
    lint_task(declaration, url, options, Some(table))
}

pub struct PolicyTestsTask {
    url: String,
    tests: String,
    timeouts: Timeouts,
}

impl Task for PolicyTestsTask {
    type Output = pgpolicy::Result<Vec<pgpolicy::policy_tests::Outcome>>;
    type JsValue = Js<Vec<pgpolicy::policy_tests::Outcome>>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok((|| {
            let file = pgpolicy::policy_tests::TestFile::from_toml(&self.tests)?;
            let mut db = LiveDb::connect_with(&self.url, self.timeouts)?;
            pgpolicy::policy_tests::run(
                &mut db,
                pgpolicy::exec::Scope::Transaction,
                &self.timeouts,
                &file,
            )
        })())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(Js(output.map_err(|e| throw(&env, e))?))
    }
}

/// Runs policy tests (the TOML cases of `pgpolicy test`) on the database at `url`, each
/// case in a transaction that is rolled back; resolves to `[{ name, passed, detail }]`.
#[napi(js_name = "policyTests", ts_return_type = "Promise<unknown>")]
pub fn policy_tests(
    url: String,
    tests: String,
    options: Option<IntrospectOptions>,
) -> Result<AsyncTask<PolicyTestsTask>> {
    let o = options.unwrap_or_default();
    Ok(AsyncTask::new(PolicyTestsTask {
        url,
        tests,
        timeouts: timeouts(&o.lock_timeout, &o.statement_timeout, &o.connect_timeout)?,
    }))
}

/// Options of `impact`.
#[napi(object)]
#[derive(Default)]
pub struct ImpactOptionsJs {
    /// The role whose rows are measured.
    pub role: String,
    /// The settings the role runs with (`{ 'app.tenant_id': '2' }`); every setting a
    /// predicate reads must be given.
    pub settings: Option<std::collections::HashMap<String, String>>,
    /// Rows evaluated per table (default 10,000); above it, a sample of this size.
    pub sample_limit: Option<u32>,
    /// PostgreSQL schemas to read (default: the declaration's).
    pub schemas: Option<Vec<String>>,
    pub lock_timeout: Option<DurationJs>,
    pub statement_timeout: Option<DurationJs>,
    pub connect_timeout: Option<DurationJs>,
}

pub struct ImpactTask {
    url: String,
    desired: String,
    schemas: Option<Vec<String>>,
    options: pgpolicy::impact::ImpactOptions,
    timeouts: Timeouts,
}

impl ImpactTask {
    fn run(&self) -> pgpolicy::Result<pgpolicy::impact::Impact> {
        let (mut db, current, desired, plan) = plan_on(
            &self.url,
            self.timeouts,
            pgpolicy::session::DEFAULT_RETRIES,
            &self.desired,
            &self.schemas,
            None,
        )?;
        db.impact(&current, &desired, &plan, &self.options)
    }
}

/// The declaration `desired` (JSON) decoded, then the database at `url` read (`schemas`,
/// default the declaration's) and the plan from it to the declaration: the connection
/// (`apply` retries a lock timeout `retries` times), the current schema, the declaration
/// and the plan. The database is the resolver: pairs the offline layer cannot prove equal
/// are printed by PostgreSQL's deparser.
fn plan_on(
    url: &str,
    timeouts: Timeouts,
    retries: u32,
    desired: &str,
    schemas: &Option<Vec<String>>,
    prune: Option<bool>,
) -> pgpolicy::Result<(LiveDb, Schema, Schema, Plan)> {
    let desired = Schema::from_json(desired)?;
    let schemas = schemas.clone().unwrap_or_else(|| desired.schema_names());
    let mut db = LiveDb::connect_with(url, timeouts)?;
    db.set_retries(retries);
    let current = db.introspect(&schemas)?;
    let plan = pgpolicy::diff_with(&current, &desired, &DiffOptions { prune }, Some(&mut db))?;
    Ok((db, current, desired, plan))
}

impl Task for ImpactTask {
    type Output = pgpolicy::Result<pgpolicy::impact::Impact>;
    type JsValue = Js<serde_json::Value>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.run())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Js<serde_json::Value>> {
        let impact = output.map_err(|e| throw(&env, e))?;
        let mut v =
            serde_json::to_value(&impact).map_err(|e| napi::Error::from_reason(e.to_string()))?;
        v["headlines"] = serde_json::json!(impact.headlines());
        v["text"] = serde_json::Value::String(impact.to_text());
        v["comment"] = serde_json::Value::String(impact.to_comment("// "));
        Ok(Js(v))
    }
}

/// What the plan that takes the database at `url` to `desired` changes for a role's rows,
/// measured before it runs (the core's `plan --impact`: the old and new predicates
/// evaluated as the role, with its settings, in a read-only transaction that is rolled
/// back; one query per table, sampled above `sampleLimit`). Resolves to the core's
/// `Impact` plus `headlines`, `text` and `comment` (the text behind `// `).
#[napi(js_name = "impact", ts_return_type = "Promise<unknown>")]
pub fn impact(
    env: Env,
    url: String,
    desired: String,
    options: ImpactOptionsJs,
) -> Result<AsyncTask<ImpactTask>> {
    let settings: Vec<(String, String)> = options
        .settings
        .clone()
        .map(|m| {
            let mut v: Vec<(String, String)> = m.into_iter().collect();
            v.sort();
            v
        })
        .unwrap_or_default();
    let opts = pgpolicy::impact::ImpactOptions::new(
        &options.role,
        settings,
        options
            .sample_limit
            .map(u64::from)
            .unwrap_or(pgpolicy::impact::DEFAULT_SAMPLE_LIMIT),
    )
    .map_err(|e| throw(&env, e))?;
    Ok(AsyncTask::new(ImpactTask {
        url,
        desired,
        schemas: options.schemas,
        timeouts: timeouts(
            &options.lock_timeout,
            &options.statement_timeout,
            &options.connect_timeout,
        )?,
        options: opts,
    }))
}
