//! Shared by the database tests: a throwaway PostgreSQL per test (removed on drop, also
//! when the test panics), the CLI, and the fixtures.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use pgpolicy::embedded::Cluster;

pub struct Db {
    pub cluster: Cluster,
    pub name: String,
    pub url: String,
}

impl Db {
    /// A new cluster with an empty database `app`.
    pub fn start() -> Db {
        let cluster = Cluster::start().expect("start throwaway PostgreSQL");
        let url = cluster.create_database("app").expect("create database");
        Db {
            cluster,
            name: "app".into(),
            url,
        }
    }

    pub fn sql(&self, sql: &str) -> String {
        self.cluster
            .psql(&self.name, sql)
            .unwrap_or_else(|e| panic!("{e}\nSQL: {sql}"))
    }

    pub fn try_sql(&self, sql: &str) -> Result<String, String> {
        self.cluster
            .psql(&self.name, sql)
            .map_err(|e| e.to_string())
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn fixture(name: &str) -> String {
    repo_root()
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// The project's corpus (tests/corpus), or $PGPOLICY_CORPUS. A missing corpus fails the test.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var("PGPOLICY_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("tests/corpus"));
    assert!(
        dir.join("policies.jsonl").is_file(),
        "corpus not found at {} (tests/corpus in the repository, or set PGPOLICY_CORPUS)",
        dir.display()
    );
    dir
}

pub fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgpolicy"))
        .args(args)
        .output()
        .expect("run pgpolicy")
}

/// Runs the CLI and returns stdout; panics with stderr on failure.
pub fn cli_ok(args: &[&str]) -> String {
    let out = cli(args);
    assert!(
        out.status.success(),
        "pgpolicy {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Creates the tables of a schema from its columns (what the ORM does before pgpolicy).
pub fn create_tables(db: &Db, schema: &pgpolicy::Schema) {
    let mut sql = String::new();
    let mut schemas: Vec<&str> = schema.tables.iter().map(|t| t.schema.as_str()).collect();
    schemas.sort();
    schemas.dedup();
    for s in schemas {
        sql.push_str(&format!(
            "CREATE SCHEMA IF NOT EXISTS {};\n",
            pgpolicy::sql::quote::ident(s)
        ));
    }
    for t in &schema.tables {
        sql.push_str(&pgpolicy::sql::render::create_table(t));
        sql.push_str(";\n");
    }
    db.sql(&sql);
}
