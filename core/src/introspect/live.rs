//! Live database access over tokio-postgres: connect, introspect, apply, and the
//! round-trip comparison layer.

use tokio_postgres::{Client, NoTls};

use super::{catalog_query, from_catalog_json, SETUP};
use crate::diff::{ExprPair, Plan, Resolution, Resolver};
use crate::error::Error;
use crate::expr::roundtrip;
use crate::ir::Schema;

fn db_err(context: &str, e: tokio_postgres::Error) -> Error {
    match e.as_db_error() {
        Some(d) => Error::Database(format!("{context}: {}: {}", d.severity(), d.message())),
        None => Error::Database(format!("{context}: {e}")),
    }
}

/// Connects with a libpq-style URL (`postgresql://user@/db?host=/socket/dir` for a unix
/// socket). The connection task runs on the current tokio runtime.
pub async fn connect(url: &str) -> Result<Client, Error> {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| db_err("cannot connect", e))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// Reads the RLS state of `schemas` (default `public`) in a read-only transaction that
/// is rolled back.
pub async fn introspect(client: &Client, schemas: &[String]) -> Result<Schema, Error> {
    client
        .batch_execute(&format!("BEGIN READ ONLY; {SETUP}"))
        .await
        .map_err(|e| db_err("introspection", e))?;
    let result = client.query_one(catalog_query(schemas).as_str(), &[]).await;
    let _ = client.batch_execute("ROLLBACK").await;
    let row = result.map_err(|e| db_err("introspection", e))?;
    from_catalog_json(row.get::<_, &str>(0))
}

/// Runs the plan in one transaction: all of it or nothing, under the search_path the
/// comparison uses.
pub async fn apply(client: &Client, plan: &Plan) -> Result<(), Error> {
    if plan.is_empty() {
        return Ok(());
    }
    client
        .batch_execute(&format!("BEGIN; {SETUP}"))
        .await
        .map_err(|e| db_err("apply", e))?;
    for stmt in plan.statements() {
        if let Err(e) = client.batch_execute(&stmt).await {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(db_err(&format!("apply failed (nothing was applied) at `{stmt}`"), e));
        }
    }
    client.batch_execute("COMMIT").await.map_err(|e| db_err("apply: COMMIT", e))?;
    Ok(())
}

/// Compares pairs through PostgreSQL's deparser in a read-only transaction that is
/// rolled back (temporary views only; ACCESS SHARE on the tables).
pub async fn compare(client: &Client, pairs: &[ExprPair]) -> Result<Vec<Resolution>, Error> {
    compare_after(client, &[], pairs).await
}

/// [`compare`], after running `setup` statements inside the same rolled-back
/// transaction, each in a savepoint (one that fails is skipped).
pub async fn compare_after(client: &Client, setup: &[String], pairs: &[ExprPair]) -> Result<Vec<Resolution>, Error> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    client
        .batch_execute(&format!("BEGIN; {}", roundtrip::SETUP))
        .await
        .map_err(|e| db_err("comparison", e))?;
    for stmt in setup {
        let wrapped = format!("SAVEPOINT pgpolicy_setup; {stmt}; RELEASE SAVEPOINT pgpolicy_setup");
        if client.batch_execute(&wrapped).await.is_err() {
            client
                .batch_execute("ROLLBACK TO SAVEPOINT pgpolicy_setup; RELEASE SAVEPOINT pgpolicy_setup")
                .await
                .map_err(|e| db_err("comparison", e))?;
        }
    }
    let mut out = Vec::with_capacity(pairs.len());
    for pair in pairs {
        let mut printed = run_stage(client, &roundtrip::statements(pair)).await?;
        if let Some(p) = &printed {
            printed = run_stage(client, &roundtrip::next_statements(pair, p)).await?;
        }
        out.push(roundtrip::resolution(printed));
    }
    client.batch_execute("ROLLBACK").await.map_err(|e| db_err("comparison", e))?;
    Ok(out)
}

async fn run_stage(
    client: &Client,
    st: &roundtrip::PairStatements,
) -> Result<Option<(String, String)>, Error> {
    let printed = match client.batch_execute(&st.setup.join("; ")).await {
        Ok(()) => match client.query_one(st.query.as_str(), &[]).await {
            Ok(row) => Some((row.get::<_, String>(0), row.get::<_, String>(1))),
            Err(_) => None,
        },
        Err(_) => None,
    };
    if let Err(e) = client.batch_execute(&st.cleanup.join("; ")).await {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(db_err("comparison", e));
    }
    Ok(printed)
}

/// A connection with its own runtime, for synchronous callers (the CLI, the Python and
/// Node packages). Also the round-trip [`Resolver`].
pub struct LiveDb {
    rt: tokio::runtime::Runtime,
    client: Client,
}

impl LiveDb {
    pub fn connect(url: &str) -> Result<LiveDb, Error> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Io)?;
        let client = rt.block_on(connect(url))?;
        Ok(LiveDb { rt, client })
    }

    pub fn introspect(&self, schemas: &[String]) -> Result<Schema, Error> {
        self.rt.block_on(introspect(&self.client, schemas))
    }

    pub fn apply(&self, plan: &Plan) -> Result<(), Error> {
        self.rt.block_on(apply(&self.client, plan))
    }

    pub fn compare(&self, pairs: &[ExprPair]) -> Result<Vec<Resolution>, Error> {
        self.rt.block_on(compare(&self.client, pairs))
    }

    /// Runs one or more statements and returns the rows of the last one that returns rows,
    /// as text.
    pub fn query(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, Error> {
        let msgs = self
            .rt
            .block_on(self.client.simple_query(sql))
            .map_err(|e| db_err("query", e))?;
        let mut rows = Vec::new();
        for m in msgs {
            match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => {
                    rows.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                }
                tokio_postgres::SimpleQueryMessage::RowDescription(_) => rows.clear(),
                _ => {}
            }
        }
        Ok(rows)
    }

    /// Runs SQL statements (no results) outside any transaction.
    pub fn execute(&self, sql: &str) -> Result<(), Error> {
        self.rt
            .block_on(self.client.batch_execute(sql))
            .map_err(|e| db_err("execute", e))
    }
}

impl Resolver for LiveDb {
    fn resolve(&mut self, pairs: &[ExprPair], _context: &Schema) -> Result<Vec<Resolution>, Error> {
        self.compare(pairs)
    }
}

/// The dev-database comparison layer: expressions are compared on a scratch database
/// (a URL, or a throwaway PostgreSQL started from local binaries) where the declared
/// tables are created from the IR's columns inside a transaction that is rolled back.
/// The target is not touched.
pub struct DevDb {
    db: LiveDb,
    _cluster: Option<crate::embedded::Cluster>,
}

impl DevDb {
    pub fn url(url: &str) -> Result<DevDb, Error> {
        Ok(DevDb { db: LiveDb::connect(url)?, _cluster: None })
    }

    /// Starts a throwaway PostgreSQL (stopped and removed when this is dropped).
    pub fn embedded() -> Result<DevDb, Error> {
        let cluster = crate::embedded::Cluster::start()?;
        let url = cluster.create_database("pgpolicy_dev")?;
        Ok(DevDb { db: LiveDb::connect(&url)?, _cluster: Some(cluster) })
    }

    /// The statements that create the context's schemas and tables.
    fn setup(context: &Schema) -> Vec<String> {
        let mut out = Vec::new();
        let mut schemas: Vec<&str> = context.tables.iter().map(|t| t.schema.as_str()).collect();
        schemas.sort();
        schemas.dedup();
        for s in schemas {
            out.push(format!("CREATE SCHEMA IF NOT EXISTS {}", crate::sql::quote::ident(s)));
        }
        for t in &context.tables {
            out.push(crate::sql::render::create_table(t).replacen("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1));
        }
        out
    }
}

impl Resolver for DevDb {
    fn resolve(&mut self, pairs: &[ExprPair], context: &Schema) -> Result<Vec<Resolution>, Error> {
        let setup = DevDb::setup(context);
        self.db.rt.block_on(compare_after(&self.db.client, &setup, pairs))
    }
}

/// One-shot blocking helpers.
pub mod blocking {
    use super::*;

    pub fn introspect_url(url: &str, schemas: &[String]) -> Result<Schema, Error> {
        LiveDb::connect(url)?.introspect(schemas)
    }

    pub fn apply_url(url: &str, plan: &Plan) -> Result<(), Error> {
        LiveDb::connect(url)?.apply(plan)
    }
}
