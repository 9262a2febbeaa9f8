//! Live database access over tokio-postgres: connect, introspect, apply, and the
//! round-trip comparison layer.

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls};

use crate::diff::{Change, ExprPair, Plan, Resolution, Resolver};
use crate::error::Error;
use crate::exec::{self, DbError, Exec, Scope};
use crate::ir::{Schema, TableName};
use crate::session::Timeouts;

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
/// socket). The connection task runs on the current tokio runtime. The whole of
/// connecting (socket, TLS, startup, authentication) is bounded by the URL's
/// `connect_timeout` (seconds, as libpq reads it) or else by `limit`; an error names the
/// host or socket.
///
/// TLS follows libpq's `sslmode`: `disable` never, `prefer` (the default) and `require`
/// encrypt without checking the certificate, `verify-ca` and `verify-full` check it
/// against the Mozilla roots and the `sslrootcert` file when given (`verify-full` also
/// checks the host name; rustls always does, so both verify it). Unix sockets never use TLS.
pub async fn connect_within(url: &str, limit: std::time::Duration) -> Result<Client, Error> {
    let (url, tls) = tls::settings(url)?;
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| Error::Database(format!("invalid connection URL: {e}")))?;
    // Operators see who holds a lock in pg_stat_activity.
    if config.get_application_name().is_none() {
        config.application_name("pgpolicy");
    }
    let limit = config
        .get_connect_timeout()
        .copied()
        .filter(|d| !d.is_zero())
        .unwrap_or(limit);
    let target = describe_target(&config);
    let attempt = async {
        match tls {
            None => {
                let (client, conn) = config.connect(NoTls).await?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                Ok(client)
            }
            Some(make) => {
                let (client, conn) = config.connect(make).await?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                Ok(client)
            }
        }
    };
    match tokio::time::timeout(limit, attempt).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(db_err(&format!("cannot connect to {target}"), e)),
        Err(_) => Err(Error::Database(format!(
            "cannot connect to {target}: no answer within {:.1} s (connect_timeout)",
            limit.as_secs_f64()
        ))),
    }
}

/// Connects with the default limit (10 s).
pub async fn connect(url: &str) -> Result<Client, Error> {
    connect_within(url, Timeouts::default().connect).await
}

/// `host:port` or `socket /dir/.s.PGSQL.port` for error messages.
fn describe_target(config: &tokio_postgres::Config) -> String {
    use tokio_postgres::config::Host;
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(name) => format!("{name}:{port}"),
            Host::Unix(dir) => format!("socket {}/.s.PGSQL.{port}", dir.display()),
        })
        .collect();
    if hosts.is_empty() {
        format!("localhost:{port}")
    } else {
        hosts.join(", ")
    }
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
        let Some(verify) = verify else {
            return Ok((url, None));
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Database(format!("TLS: {e}")))?;
        let config = if verify {
            let mut roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            if let Some(path) = rootcert {
                let certs = CertificateDer::pem_file_iter(&path)
                    .map_err(|e| Error::Database(format!("sslrootcert {path}: {e}")))?;
                for c in certs {
                    let c = c.map_err(|e| Error::Database(format!("sslrootcert {path}: {e}")))?;
                    roots
                        .add(c)
                        .map_err(|e| Error::Database(format!("sslrootcert {path}: {e}")))?;
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
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}

fn db_error(e: &tokio_postgres::Error) -> DbError {
    match e.as_db_error() {
        Some(d) => DbError::new(
            Some(d.code().code().to_string()),
            format!("{}: {}", d.severity(), d.message()),
        ),
        None => {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            DbError::new(None, msg)
        }
    }
}

/// A connection with its own runtime, for synchronous callers (the CLI, the Python and
/// Node packages). Every statement goes through the extended protocol (one Parse per
/// statement), so no text it sends can be read as two statements. Also the round-trip
/// [`Resolver`].
pub struct LiveDb {
    rt: tokio::runtime::Runtime,
    client: Client,
    /// How to connect again: a second connection reads half of a large catalog.
    url: String,
    /// From how many policies on the catalog is read on two connections.
    split_min_policies: u32,
    timeouts: Timeouts,
    retries: u32,
    /// A plan's transaction is open ([`LiveDb::introspect_for_plan`]).
    in_plan: bool,
}

impl Drop for LiveDb {
    fn drop(&mut self) {
        self.end_plan();
    }
}

impl Exec for LiveDb {
    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        self.rt
            .block_on(self.client.query_typed(sql, &[]))
            .map(|_| ())
            .map_err(|e| db_error(&e))
    }

    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        let rows = self
            .rt
            .block_on(self.client.query_typed(sql, &[]))
            .map_err(|e| db_error(&e))?;
        // Each row's buffer is freed as soon as its text is taken (the catalog's one row
        // is the whole document).
        rows.into_iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get::<_, Option<String>>(i).map_err(|e| db_error(&e)))
                    .collect()
            })
            .collect()
    }

    fn query_each(
        &mut self,
        sql: &str,
        each: &mut dyn FnMut(&[Option<&str>]),
    ) -> Result<(), DbError> {
        use futures_util::TryStreamExt;
        // Rows are taken as they arrive: no row is kept after `each` has read it.
        self.rt.block_on(async {
            let stream = self
                .client
                .query_typed_raw(sql, std::iter::empty::<(&(dyn ToSql + Sync), Type)>())
                .await
                .map_err(|e| db_error(&e))?;
            futures_util::pin_mut!(stream);
            while let Some(row) = stream.try_next().await.map_err(|e| db_error(&e))? {
                let fields = (0..row.len())
                    .map(|i| row.try_get::<_, Option<&str>>(i))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| db_error(&e))?;
                each(&fields);
            }
            Ok(())
        })
    }

    /// One message opens the transaction, decides whether to split the read, and reads
    /// the catalog (all of it, or all but the odd half of the policies, which a second
    /// connection reads at the same time in the exported snapshot). Should the second
    /// connection fail, this one reads that half itself, in its own snapshot: the rows are
    /// the same either way.
    fn open_and_read_catalog(
        &mut self,
        open: &[String],
        schemas: &[String],
        reader: &mut crate::introspect::CatalogReader,
    ) -> Result<(), DbError> {
        use futures_util::TryStreamExt;
        use tokio_postgres::SimpleQueryMessage;
        if !open.first().is_some_and(|s| s.starts_with("BEGIN")) {
            return exec::read_catalog_one_by_one(self, open, schemas, reader);
        }
        let (decide, first, second) =
            crate::introspect::catalog_query_split(schemas, self.split_min_policies);
        let mut batch = open.join(";\n");
        for q in [&decide, &first] {
            batch.push_str(";\n");
            batch.push_str(q);
        }
        let (decide_at, rows_at) = (open.len(), open.len() + 1);
        let (url, timeouts) = (self.url.clone(), self.timeouts);
        let client = &self.client;
        let split = self.rt.block_on(async {
            let stream = client
                .simple_query_raw(&batch)
                .await
                .map_err(|e| db_error(&e))?;
            futures_util::pin_mut!(stream);
            // Up to the decision: the snapshot to share, if the read is split.
            let mut done = 0;
            let mut snapshot = String::new();
            while done <= decide_at {
                match stream.try_next().await.map_err(|e| db_error(&e))? {
                    Some(SimpleQueryMessage::CommandComplete(_)) => done += 1,
                    Some(SimpleQueryMessage::Row(r)) if done == decide_at => {
                        snapshot = r.get(0).unwrap_or("").to_string();
                    }
                    Some(_) => {}
                    None => return Err(DbError::new(None, "the catalog read ended early")),
                }
            }
            if !snapshot.is_empty() && !snapshot_name(&snapshot) {
                return Err(DbError::new(
                    None,
                    format!("unexpected snapshot name {snapshot:?}"),
                ));
            }
            let split = !snapshot.is_empty();
            let second_half = async {
                match split {
                    true => Some(read_second_half(url, timeouts, snapshot, second.clone()).await),
                    false => None,
                }
            };
            let first_half = feed_rows(stream, done, rows_at, rows_at + 1, reader);
            let (first, second) = futures_util::future::join(first_half, second_half).await;
            first?;
            Ok(second)
        })?;
        match split {
            Some(Ok(other)) => {
                reader.merge(other);
                Ok(())
            }
            // The half the second connection did not read, read here.
            Some(Err(_)) => self.query_each(&second, &mut |row| reader.row(row)),
            None => Ok(()),
        }
    }
}

/// A snapshot name as `pg_export_snapshot` makes them (`0000000A-0000001B-1`).
fn snapshot_name(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// The second connection of a split catalog read: imports `snapshot`, pins the session as
/// the first connection did, and reads `query` (the odd half of the policies), then ends
/// its transaction, all in one message of pgpolicy's own text.
async fn read_second_half(
    url: String,
    timeouts: Timeouts,
    snapshot: String,
    query: String,
) -> Result<crate::introspect::CatalogReader, DbError> {
    let client = connect_within(&url, timeouts.connect)
        .await
        .map_err(|e| DbError::new(None, e.to_string()))?;
    let batch = format!(
        "{};\nSET TRANSACTION SNAPSHOT {};\n{};\n{};\nROLLBACK",
        crate::session::begin(crate::session::Purpose::Read),
        crate::sql::quote::literal(&snapshot),
        crate::session::pin_statement(&timeouts),
        query
    );
    let mut reader = crate::introspect::CatalogReader::new();
    let stream = client
        .simple_query_raw(&batch)
        .await
        .map_err(|e| db_error(&e))?;
    futures_util::pin_mut!(stream);
    // The catalog's rows are the 3rd statement's, of 5.
    feed_rows(stream, 0, 3, 5, &mut reader).await?;
    Ok(reader)
}

/// Hands the rows of statement `at` of a simple-protocol stream (statements counted by
/// their completions, `done` of them so far) to `reader`, to the stream's end, which must
/// come after `total` statements.
async fn feed_rows(
    mut stream: std::pin::Pin<&mut tokio_postgres::SimpleQueryStream>,
    mut done: usize,
    at: usize,
    total: usize,
    reader: &mut crate::introspect::CatalogReader,
) -> Result<(), DbError> {
    use futures_util::TryStreamExt;
    while let Some(m) = stream.try_next().await.map_err(|e| db_error(&e))? {
        match m {
            tokio_postgres::SimpleQueryMessage::CommandComplete(_) => done += 1,
            tokio_postgres::SimpleQueryMessage::Row(r) if done == at => {
                let fields: Vec<Option<&str>> = (0..r.len()).map(|i| r.get(i)).collect();
                reader.row(&fields);
            }
            _ => {}
        }
    }
    match done == total {
        true => Ok(()),
        false => Err(DbError::new(None, "the catalog read ended early")),
    }
}

impl LiveDb {
    /// Connects with the default time limits.
    pub fn connect(url: &str) -> Result<LiveDb, Error> {
        LiveDb::connect_with(url, Timeouts::default())
    }

    /// Connects within `timeouts.connect` (or the URL's `connect_timeout`, in seconds).
    pub fn connect_with(url: &str, timeouts: Timeouts) -> Result<LiveDb, Error> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Io)?;
        let client = rt.block_on(connect_within(url, timeouts.connect))?;
        Ok(LiveDb {
            rt,
            client,
            url: url.to_string(),
            split_min_policies: crate::introspect::SPLIT_MIN_POLICIES,
            timeouts,
            retries: crate::session::DEFAULT_RETRIES,
            in_plan: false,
        })
    }

    /// From how many policies in the database a catalog read is split over two
    /// connections (default [`crate::introspect::SPLIT_MIN_POLICIES`]; `u32::MAX`: never).
    pub fn set_split_min_policies(&mut self, n: u32) {
        self.split_min_policies = n;
    }

    /// How many times `apply` retries after a lock timeout (default 3).
    pub fn set_retries(&mut self, retries: u32) {
        self.retries = retries;
    }

    pub fn timeouts(&self) -> &Timeouts {
        &self.timeouts
    }

    pub fn introspect(&mut self, schemas: &[String]) -> Result<Schema, Error> {
        self.end_plan();
        let t = self.timeouts;
        exec::introspect(self, Scope::Transaction, &t, schemas)
    }

    /// Reads the catalog and keeps the transaction open for the comparisons of the plan
    /// made from it ([`LiveDb::compare`]): one snapshot, one `BEGIN`, one set of pins. It
    /// is rolled back by [`LiveDb::end_plan`], by `introspect` or `apply`, or when the
    /// connection is dropped.
    pub fn introspect_for_plan(&mut self, schemas: &[String]) -> Result<Schema, Error> {
        self.end_plan();
        let t = self.timeouts;
        let schema = exec::introspect_for_plan(self, &t, schemas)?;
        self.in_plan = true;
        Ok(schema)
    }

    /// Rolls back the plan's transaction, if one is open.
    pub fn end_plan(&mut self) {
        if std::mem::take(&mut self.in_plan) {
            exec::end_plan(self);
        }
    }

    pub fn apply(&mut self, plan: &Plan) -> Result<(), Error> {
        self.end_plan();
        let (t, r) = (self.timeouts, self.retries);
        exec::apply(self, Scope::Transaction, &t, r, plan)
    }

    /// What `plan` (from `current`, this database's state, to `desired`) changes for a
    /// role's rows (see [`crate::impact`]), in a transaction of its own, rolled back.
    pub fn impact(
        &mut self,
        current: &Schema,
        desired: &Schema,
        plan: &Plan,
        opts: &crate::impact::ImpactOptions,
    ) -> Result<crate::impact::Impact, Error> {
        self.end_plan();
        let t = self.timeouts;
        crate::impact::plan_impact(self, Scope::Transaction, &t, current, desired, plan, opts)
    }

    /// The plan that drops the policies depending on a column of one of `tables` (see
    /// [`exec::column_policies`]): run it before changing those columns (PostgreSQL
    /// refuses to change the type of a column a policy reads) and its reverse after, in
    /// the same transaction, to re-create them exactly as the database has them.
    pub fn column_policies(&mut self, tables: &[TableName]) -> Result<Plan, Error> {
        self.end_plan();
        let t = self.timeouts;
        let found = exec::column_policies(self, Scope::Transaction, &t, tables)?;
        if found.is_empty() {
            return Ok(Plan::default());
        }
        let mut schemas: Vec<String> = found.iter().map(|(s, _, _)| s.clone()).collect();
        schemas.sort();
        schemas.dedup();
        let current = self.introspect(&schemas)?;
        let changes = found
            .iter()
            .filter_map(|(s, t, p)| {
                let table = current.table(s, t)?;
                Some(Change::DropPolicy {
                    table: table.qualified(),
                    policy: table.policy(p)?.clone(),
                })
            })
            .collect();
        Ok(Plan::ordered(changes))
    }

    /// Compares the pairs through PostgreSQL: inside the plan's transaction when one is
    /// open, else in a transaction of its own.
    pub fn compare(&mut self, pairs: &[ExprPair]) -> Result<Vec<Resolution>, Error> {
        if self.in_plan {
            let res = exec::compare_in_plan(self, pairs);
            if res.is_err() {
                self.end_plan();
            }
            return res;
        }
        let t = self.timeouts;
        exec::compare(self, Scope::Transaction, &t, &[], pairs)
    }

    /// Runs one or more statements and returns the rows of the last one that returns rows,
    /// as text. For tests and tools that send their own trusted SQL; never given user text.
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

    /// Runs trusted SQL statements (no results) outside any transaction. For tests and
    /// tools; never given user text.
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
        DevDb::url_with(url, Timeouts::default())
    }

    pub fn url_with(url: &str, timeouts: Timeouts) -> Result<DevDb, Error> {
        Ok(DevDb {
            db: LiveDb::connect_with(url, timeouts)?,
            _cluster: None,
        })
    }

    /// Starts a throwaway PostgreSQL (stopped and removed when this is dropped).
    pub fn embedded() -> Result<DevDb, Error> {
        let cluster = crate::embedded::Cluster::start()?;
        let url = cluster.create_database("pgpolicy_dev")?;
        Ok(DevDb {
            db: LiveDb::connect(&url)?,
            _cluster: Some(cluster),
        })
    }

    /// The statements that create the context's schemas and tables (column types were
    /// checked to be type names when the declaration was validated).
    fn setup(context: &Schema) -> Vec<String> {
        let mut out = Vec::new();
        let mut schemas: Vec<&str> = context.tables.iter().map(|t| t.schema.as_str()).collect();
        schemas.sort();
        schemas.dedup();
        for s in schemas {
            out.push(format!(
                "CREATE SCHEMA IF NOT EXISTS {}",
                crate::sql::quote::ident(s)
            ));
        }
        for t in &context.tables {
            out.push(crate::sql::render::create_table(t).replacen(
                "CREATE TABLE",
                "CREATE TABLE IF NOT EXISTS",
                1,
            ));
        }
        out
    }
}

impl Resolver for DevDb {
    fn resolve(&mut self, pairs: &[ExprPair], context: &Schema) -> Result<Vec<Resolution>, Error> {
        let setup = DevDb::setup(context);
        let t = self.db.timeouts;
        exec::compare(&mut self.db, Scope::Transaction, &t, &setup, pairs)
    }
}

/// One-shot blocking helpers.
pub mod blocking {
    use super::*;

    pub fn introspect_url(url: &str, schemas: &[String]) -> Result<Schema, Error> {
        LiveDb::connect(url)?.introspect(schemas)
    }

    /// Applies the plan; refuses one that weakens protection unless `allow_weaken`.
    pub fn apply_url(url: &str, plan: &Plan, allow_weaken: bool) -> Result<(), Error> {
        plan.check_weakening(allow_weaken)?;
        LiveDb::connect(url)?.apply(plan)
    }
}
