//! A throwaway PostgreSQL cluster started from local binaries.
//!
//! Used by `--dev embedded`, by the examples and by every database test. The cluster
//! lives in a temporary directory, listens only on a unix socket in that directory (no
//! TCP), and is stopped and removed when the [`Cluster`] is dropped, even after a panic.
//! `initdb` refuses to run as root, so when the process is root the server binaries run
//! through `runuser -u postgres --` with the directory owned by `postgres`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::Error;

/// Port number used to name the socket file when nothing listens on TCP.
const PORT: u16 = 5432;

pub struct Cluster {
    dir: Option<tempfile::TempDir>,
    bin: PathBuf,
    as_postgres: bool,
    stopped: bool,
    port: u16,
}

fn is_root() -> bool {
    // SAFETY-free check: `id -u` avoids a libc dependency.
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Where the PostgreSQL server binaries are: `$PGPOLICY_PG_BIN`, else `pg_config --bindir`
/// when it has `initdb`, else the newest `/usr/lib/postgresql/*/bin`.
pub fn find_bin_dir() -> Result<PathBuf, Error> {
    if let Ok(dir) = std::env::var("PGPOLICY_PG_BIN") {
        let p = PathBuf::from(dir);
        if p.join("initdb").exists() {
            return Ok(p);
        }
        return Err(Error::Embedded(format!(
            "PGPOLICY_PG_BIN={} has no initdb",
            p.display()
        )));
    }
    let mut candidates: Vec<(u32, PathBuf)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/usr/lib/postgresql") {
        for e in rd.flatten() {
            let bin = e.path().join("bin");
            if bin.join("initdb").exists() {
                let v = e.file_name().to_string_lossy().parse::<u32>().unwrap_or(0);
                candidates.push((v, bin));
            }
        }
    }
    candidates.sort();
    if let Some((_, p)) = candidates.pop() {
        return Ok(p);
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if p.join("initdb").exists() {
            return Ok(p);
        }
    }
    Err(Error::Embedded(
        "no PostgreSQL server binaries found (install postgresql, or set PGPOLICY_PG_BIN to the directory holding initdb and pg_ctl)".into(),
    ))
}

impl Cluster {
    /// initdb + start a new cluster with the binaries from [`find_bin_dir`].
    pub fn start() -> Result<Cluster, Error> {
        Self::start_with(&find_bin_dir()?)
    }

    pub fn start_with(bin: &Path) -> Result<Cluster, Error> {
        Self::start_configured(bin, PORT, &[])
    }

    /// A cluster with extra `postgresql.conf` settings (they override the defaults here,
    /// e.g. `listen_addresses` to test TCP and TLS on the loopback) on the given port.
    pub fn start_configured(
        bin: &Path,
        port: u16,
        settings: &[(&str, &str)],
    ) -> Result<Cluster, Error> {
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("pgpolicy-pg-")
            .tempdir()
            .map_err(|e| Error::Embedded(format!("cannot create a temporary directory: {e}")))?;
        let mut cluster = Cluster {
            dir: Some(dir),
            bin: bin.to_path_buf(),
            as_postgres,
            stopped: true,
            port,
        };
        let root = cluster.dir().to_path_buf();
        if as_postgres {
            run(Command::new("chown").arg("postgres:postgres").arg(&root))?;
        }
        let data = root.join("data");
        let mut initdb = cluster.server_command("initdb");
        initdb.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        run(&mut initdb)?;
        let mut conf = String::from(
            "\n# pgpolicy throwaway cluster\nlisten_addresses = ''\nfsync = off\nsynchronous_commit = off\n\
             full_page_writes = off\ntimezone = 'UTC'\ndatestyle = 'ISO, MDY'\nmax_connections = 50\n",
        );
        for (k, v) in settings {
            conf.push_str(&format!("{k} = {}\n", crate::sql::quote::literal(v)));
        }
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .and_then(|mut f| f.write_all(conf.as_bytes()))
            .map_err(|e| Error::Embedded(format!("cannot write postgresql.conf: {e}")))?;
        let opts = format!("-k {} -p {port}", root.display());
        let mut ctl = cluster.server_command("pg_ctl");
        ctl.arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(root.join("server.log"))
            .args(["-w", "-t", "60", "-o", &opts, "start"]);
        cluster.stopped = false;
        if let Err(e) = run(&mut ctl) {
            let log = std::fs::read_to_string(root.join("server.log")).unwrap_or_default();
            return Err(Error::Embedded(format!("{e}\n{log}")));
        }
        Ok(cluster)
    }

    fn server_command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    /// The directory holding the data directory, the socket and the server log.
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("cluster directory").path()
    }

    pub fn socket_dir(&self) -> &Path {
        self.dir()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A libpq-style URL for `database` as the superuser `postgres`, over the unix socket.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgresql://postgres@/{}?host={}&port={}",
            database,
            self.socket_dir().display(),
            self.port
        )
    }

    /// Run SQL through `psql` as the superuser on `database` (stops on the first error).
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, Error> {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-U",
                "postgres",
                "-h",
            ])
            .arg(self.socket_dir())
            .args(["-p", &self.port.to_string(), "-d", database, "-c", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::Embedded(format!("psql: {e}")))?;
        if !out.status.success() {
            return Err(Error::Embedded(format!(
                "psql failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Run a SQL file through `psql` (stops on the first error).
    pub fn psql_file(&self, database: &str, path: &Path) -> Result<String, Error> {
        let sql = std::fs::read_to_string(path)
            .map_err(|e| Error::Embedded(format!("cannot read {}: {e}", path.display())))?;
        self.psql(database, &sql)
    }

    /// Create a database and return its URL.
    pub fn create_database(&self, name: &str) -> Result<String, Error> {
        self.psql(
            "postgres",
            &format!("CREATE DATABASE {}", crate::sql::quote::ident(name)),
        )?;
        Ok(self.url(name))
    }

    /// Stop the server now (dropping the cluster also does this).
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let data = self.dir().join("data");
        let mut ctl = self.server_command("pg_ctl");
        ctl.arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"]);
        let _ = ctl.stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

fn run(cmd: &mut Command) -> Result<(), Error> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Embedded(format!("{:?}: {e}", cmd.get_program())))?;
    if !out.status.success() {
        return Err(Error::Embedded(format!(
            "{:?} failed: {}{}",
            cmd.get_program(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(())
}
