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
        None => {
            // The cause (a TLS or I/O error) is where the useful words are.
            let mut msg = format!("{context}: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            Error::Database(msg)
        }
    }
}

/// Connects with a libpq-style URL (`postgresql://user@/db?host=/socket/dir` for a unix
/// socket). The connection task runs on the current tokio runtime.
///
/// TLS follows libpq's `sslmode`: `disable` never, `prefer` (the default) and `require`
/// encrypt without checking the certificate, `verify-ca` and `verify-full` check it
/// against the Mozilla roots and the `sslrootcert` file when given (`verify-full` also
/// checks the host name; rustls always does, so both verify it). Unix sockets never use TLS.
pub async fn connect(url: &str) -> Result<Client, Error> {
    let (url, tls) = tls::settings(url)?;
    let client = match tls {
        None => {
            let (client, conn) = tokio_postgres::connect(&url, NoTls)
                .await
                .map_err(|e| db_err("cannot connect", e))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            client
        }
        Some(make) => {
            let (client, conn) = tokio_postgres::connect(&url, make)
                .await
                .map_err(|e| db_err("cannot connect", e))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            client
        }
    };
    Ok(client)
}

mod tls {
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
    use tokio_postgres_rustls::MakeRustlsConnect;

    use crate::error::Error;

    /// The URL as tokio-postgres reads it (`sslmode` limited to disable, prefer and
    /// require) and the TLS connector the original `sslmode` asks for.
    pub fn settings(url: &str) -> Result<(String, Option<MakeRustlsConnect>), Error> {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, q),
            None => (url, ""),
        };
        let mut mode = "prefer".to_string();
        let mut rootcert = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "sslmode" => mode = v.to_string(),
                "sslrootcert" => rootcert = Some(percent_decode(v)),
                _ => kept.push(pair.to_string()),
            }
        }
        let (pg_mode, verify) = match mode.as_str() {
            "disable" => ("disable", None),
            "allow" | "prefer" => ("prefer", Some(false)),
            "require" => ("require", Some(false)),
            "verify-ca" | "verify-full" => ("require", Some(true)),
            other => return Err(Error::Database(format!("unknown sslmode {other:?}"))),
        };
        kept.push(format!("sslmode={pg_mode}"));
        let url = format!("{base}?{}", kept.join("&"));
        let Some(verify) = verify else { return Ok((url, None)) };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Database(format!("TLS: {e}")))?;
        let config = if verify {
            let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
            if let Some(path) = rootcert {
                let certs = CertificateDer::pem_file_iter(&path)
                    .map_err(|e| Error::Database(format!("sslrootcert {path}: {e}")))?;
                for c in certs {
                    let c = c.map_err(|e| Error::Database(format!("sslrootcert {path}: {e}")))?;
                    roots.add(c).map_err(|e| Error::Database(format!("sslrootcert {path}: {e}")))?;
                }
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
                .with_no_client_auth()
        };
        Ok((url, Some(MakeRustlsConnect::new(config))))
    }

    fn percent_decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() {
                if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// libpq's `require`: the channel is encrypted, the certificate is not checked (the
    /// handshake signatures still are).
    #[derive(Debug)]
    struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

    impl ServerCertVerifier for EncryptOnly {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
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
