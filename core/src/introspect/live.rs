//! Live database access over tokio-postgres: connect, introspect, apply.

use tokio_postgres::{Client, NoTls};

use super::{catalog_query, from_catalog_json, SETUP};
use crate::diff::Plan;
use crate::error::Error;
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

/// Runs the plan in one transaction: all of it or nothing.
pub async fn apply(client: &Client, plan: &Plan) -> Result<(), Error> {
    if plan.is_empty() {
        return Ok(());
    }
    client.batch_execute("BEGIN").await.map_err(|e| db_err("apply", e))?;
    for stmt in plan.statements() {
        if let Err(e) = client.batch_execute(&stmt).await {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(db_err(&format!("apply failed (nothing was applied) at `{stmt}`"), e));
        }
    }
    client.batch_execute("COMMIT").await.map_err(|e| db_err("apply: COMMIT", e))?;
    Ok(())
}

/// Blocking forms for callers without a runtime (the CLI, the Python package).
pub mod blocking {
    use super::*;

    pub fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
    }

    pub fn introspect_url(url: &str, schemas: &[String]) -> Result<Schema, Error> {
        runtime().block_on(async {
            let c = connect(url).await?;
            introspect(&c, schemas).await
        })
    }

    pub fn apply_url(url: &str, plan: &Plan) -> Result<(), Error> {
        runtime().block_on(async {
            let c = connect(url).await?;
            apply(&c, plan).await
        })
    }
}
