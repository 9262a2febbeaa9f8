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

/// Options of `diff`.
#[napi(object)]
#[derive(Default)]
pub struct DiffOptionsJs {
    /// Remove RLS objects the current side has and the desired side does not name.
    /// Default: true when the current side is a declaration, false when it was read from a
    /// database (it has a `database` entry).
    pub prune: Option<bool>,
}

/// Options of `introspect`.
#[napi(object)]
#[derive(Default)]
pub struct IntrospectOptions {
    /// PostgreSQL schemas to read (default `["public"]`).
    pub schemas: Option<Vec<String>>,
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
}

/// The plan as JSON text: SQL both ways, statements, steps and typed changes.
fn plan_json(plan: &Plan, applied: Option<bool>) -> String {
    let reverse = plan.reverse();
    let steps: Vec<_> = plan
        .changes
        .iter()
        .map(|c| json!({ "comment": c.describe(), "sql": c.sql(), "reverse": c.reverse().sql() }))
        .collect();
    let mut v = json!({
        "sql": plan.sql(),
        "reverseSql": reverse.sql(),
        "statements": plan.statements(),
        "reverseStatements": reverse.statements(),
        "steps": steps,
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
pub fn diff_json(current: String, desired: String, options: Option<DiffOptionsJs>) -> Result<String> {
    let current = schema(&current)?;
    let desired = schema(&desired)?;
    let opts = DiffOptions {
        prune: options.unwrap_or_default().prune,
    };
    let plan = pgpolicy::diff(&current, &desired, &opts).map_err(to_js)?;
    Ok(plan_json(&plan, None))
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
    let (mut s, warnings) = res.map_err(to_js)?;
    pgpolicy::validate::validate(&s).map_err(to_js)?;
    s.normalize();
    let mut v: serde_json::Value = serde_json::from_str(&s.to_json()).expect("schema JSON");
    v["warnings"] = json!(warnings);
    Ok(v.to_string())
}

/// Reads a `.sql` file (CREATE TABLE, ALTER TABLE .. ROW LEVEL SECURITY, CREATE POLICY,
/// CREATE ROLE, GRANT) into a schema; skipped statements come back as `warnings`.
#[napi(js_name = "fromSqlFileJson")]
pub fn from_sql_file_json(path: String) -> Result<String> {
    read_sql_result(pgpolicy::sql::read_sql_file(std::path::Path::new(&path)))
}

/// Reads SQL text like `fromSqlFile`.
#[napi(js_name = "fromSqlJson")]
pub fn from_sql_json(sql: String) -> Result<String> {
    read_sql_result(pgpolicy::sql::read_sql(&sql))
}

pub struct IntrospectTask {
    url: String,
    schemas: Vec<String>,
}

impl Task for IntrospectTask {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        let db = LiveDb::connect(&self.url).map_err(to_js)?;
        Ok(db.introspect(&self.schemas).map_err(to_js)?.to_json())
    }

    fn resolve(&mut self, _env: Env, output: String) -> Result<String> {
        Ok(output)
    }
}

/// Reads the RLS state of a database (tables, columns, RLS flags, policies, roles,
/// grants) on a worker thread; resolves to the schema as JSON text.
#[napi(js_name = "introspectJson")]
pub fn introspect_json(url: String, options: Option<IntrospectOptions>) -> AsyncTask<IntrospectTask> {
    AsyncTask::new(IntrospectTask {
        url,
        schemas: options.and_then(|o| o.schemas).unwrap_or_default(),
    })
}

pub struct ApplyTask {
    url: String,
    desired: String,
    schemas: Option<Vec<String>>,
    dry_run: bool,
    prune: Option<bool>,
}

impl Task for ApplyTask {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        let desired = schema(&self.desired)?;
        let schemas = self.schemas.clone().unwrap_or_else(|| desired.schema_names());
        let mut db = LiveDb::connect(&self.url).map_err(to_js)?;
        let current = db.introspect(&schemas).map_err(to_js)?;
        let opts = DiffOptions { prune: self.prune };
        // The database is the resolver: pairs the offline layer cannot prove equal are
        // printed by PostgreSQL's deparser.
        let plan = pgpolicy::diff_with(&current, &desired, &opts, Some(&mut db)).map_err(to_js)?;
        if !self.dry_run {
            db.apply(&plan).map_err(to_js)?;
        }
        Ok(plan_json(&plan, Some(!self.dry_run && !plan.is_empty())))
    }

    fn resolve(&mut self, _env: Env, output: String) -> Result<String> {
        Ok(output)
    }
}

/// Brings a database to the declared state in one transaction (or, with `dryRun`, only
/// computes the plan). Expressions are compared through the database's own deparser when
/// the offline canonicalizer cannot prove them equal. Resolves to the plan as JSON text.
#[napi(js_name = "applyJson")]
pub fn apply_json(url: String, desired: String, options: Option<ApplyOptions>) -> AsyncTask<ApplyTask> {
    let o = options.unwrap_or_default();
    AsyncTask::new(ApplyTask {
        url,
        desired,
        schemas: o.schemas,
        dry_run: o.dry_run.unwrap_or(false),
        prune: o.prune,
    })
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
