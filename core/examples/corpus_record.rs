//! Records the text PostgreSQL stores for the corpus (tests/corpus): loads schema.sql into a
//! throwaway cluster (TimeZone UTC, DateStyle ISO, MDY, IntervalStyle postgres, as the
//! README says), runs every policy's `sql`, and reads `pg_get_expr` back. Each mutation and
//! each equivalent spelling is created as a policy of its own on its parent's table, with
//! the parent's command, permissiveness and roles.
//!
//! Entries without a `pg15` object (new ones) get it filled in; entries that have one are
//! checked against the server, and a difference fails the run (nothing is written). An
//! equivalent must print byte-identical to its parent, a mutation must print differently:
//! otherwise the run fails. Every entry carries its `id` (written with the entry; new ones
//! end in a letter-free tag of their own, see README.md).
//!
//! `PGPOLICY_PG_BIN=/usr/lib/postgresql/15/bin cargo run --release -p pgpolicy --features db
//! --example corpus_record [-- corpus dir] [--check]` (`--check` writes nothing)

use std::collections::HashMap;
use std::fmt::Write as _;

use pgpolicy::embedded::Cluster;
use pgpolicy::sql::quote::{ident, literal};
use serde_json::{json, Value};

fn read(dir: &str, name: &str) -> Vec<Value> {
    std::fs::read_to_string(format!("{dir}/{name}"))
        .unwrap_or_else(|e| panic!("{dir}/{name}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {e}: {l}")))
        .collect()
}

/// Each line as it was when it is unchanged (the file's own spelling), the entry
/// serialized otherwise.
fn write(dir: &str, name: &str, before: &[Value], after: &[Value]) {
    let old: Vec<String> = std::fs::read_to_string(format!("{dir}/{name}"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let mut out = String::new();
    for (i, v) in after.iter().enumerate() {
        if before[i] == *v {
            out.push_str(&old[i]);
        } else {
            out.push_str(&serde_json::to_string(v).unwrap());
        }
        out.push('\n');
    }
    std::fs::write(format!("{dir}/{name}"), out).unwrap();
}

struct Recorder {
    cluster: Cluster,
}

impl Recorder {
    /// `pg_get_expr` of the USING and WITH CHECK of policy `name` on `schema.table`.
    fn stored(&self, schema: &str, table: &str, name: &str) -> (Option<String>, Option<String>) {
        let sql = format!(
            "SELECT pg_catalog.json_build_object('using', pg_catalog.pg_get_expr(p.polqual, p.polrelid), \
             'with_check', pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))::text \
             FROM pg_catalog.pg_policy p WHERE p.polrelid = {}::pg_catalog.regclass AND p.polname = {}",
            literal(&format!("{}.{}", ident(schema), ident(table))),
            literal(name)
        );
        let out = self
            .cluster
            .psql("corpus", &sql)
            .unwrap_or_else(|e| panic!("{e}"));
        let v: Value = serde_json::from_str(out.trim())
            .unwrap_or_else(|e| panic!("policy {name} on {schema}.{table}: {e}: {out:?}"));
        let s = |k: &str| v[k].as_str().map(str::to_string);
        (s("using"), s("with_check"))
    }

    /// Creates a variant of `parent` under a name of its own and returns what is stored.
    fn variant(&self, parent: &Value, v: &Value, k: usize) -> (Option<String>, Option<String>) {
        let (schema, table) = (
            parent["schema"].as_str().unwrap(),
            parent["table"].as_str().unwrap(),
        );
        let name = format!("corpus variant {k}");
        let roles: Vec<String> = parent["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| match r.as_str().unwrap() {
                "public" => "PUBLIC".to_string(),
                r => ident(r),
            })
            .collect();
        let mut sql = format!(
            "CREATE POLICY {} ON {}.{} AS {} FOR {} TO {}",
            ident(&name),
            ident(schema),
            ident(table),
            if parent["permissive"].as_bool().unwrap() {
                "PERMISSIVE"
            } else {
                "RESTRICTIVE"
            },
            parent["command"].as_str().unwrap(),
            roles.join(", ")
        );
        if let Some(u) = v["using"].as_str() {
            write!(sql, " USING ({u}\n)").unwrap();
        }
        if let Some(c) = v["with_check"].as_str() {
            write!(sql, " WITH CHECK ({c}\n)").unwrap();
        }
        self.cluster
            .psql("corpus", &sql)
            .unwrap_or_else(|e| panic!("variant {}: {e}", v["id"]));
        let out = self.stored(schema, table, &name);
        self.cluster
            .psql(
                "corpus",
                &format!(
                    "DROP POLICY {} ON {}.{}",
                    ident(&name),
                    ident(schema),
                    ident(table)
                ),
            )
            .unwrap();
        out
    }
}

fn texts(v: &Value) -> (Option<String>, Option<String>) {
    let s = |k: &str| v["pg15"][k].as_str().map(str::to_string);
    (s("using"), s("with_check"))
}

fn main() {
    let mut dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/corpus").to_string();
    let mut check = false;
    for a in std::env::args().skip(1) {
        if a == "--check" {
            check = true;
        } else {
            dir = a;
        }
    }
    let cluster = Cluster::start().expect("start PostgreSQL (set PGPOLICY_PG_BIN)");
    cluster.create_database("corpus").unwrap();
    let version = cluster
        .psql("corpus", "SHOW server_version")
        .unwrap()
        .trim()
        .to_string();
    assert!(
        version.starts_with("15."),
        "the corpus records PostgreSQL 15's text; this server is {version}"
    );
    cluster
        .psql_file("corpus", std::path::Path::new(&format!("{dir}/schema.sql")))
        .unwrap();
    let rec = Recorder { cluster };
    let mut problems = Vec::new();

    let policies = read(&dir, "policies.jsonl");
    let mut new_policies = policies.clone();
    for p in &mut new_policies {
        let (schema, table, name) = (
            p["schema"].as_str().unwrap().to_string(),
            p["table"].as_str().unwrap().to_string(),
            p["name"].as_str().unwrap().to_string(),
        );
        assert!(p["id"].is_string(), "a policy without an id: {p}");
        rec.cluster
            .psql("corpus", p["sql"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("policy {}: {e}", p["id"]));
        let (u, c) = rec.stored(&schema, &table, &name);
        if p.get("pg15").is_some() {
            if texts(p) != (u.clone(), c.clone()) {
                problems.push(format!(
                    "policy {}: recorded {:?}, the server stores {:?}",
                    p["id"],
                    texts(p),
                    (u, c)
                ));
            }
        } else {
            p["pg15"] = json!({"using": u, "with_check": c});
        }
    }
    let by_id: HashMap<String, Value> = new_policies
        .iter()
        .map(|p| (p["id"].as_str().unwrap().to_string(), p.clone()))
        .collect();

    let mut k = 0;
    let mut outputs = Vec::new();
    for (file, prefix) in [("mutations.jsonl", "m"), ("equivalents.jsonl", "e")] {
        let before = read(&dir, file);
        let mut after = before.clone();
        for v in &mut after {
            let parent = by_id
                .get(v["of"].as_str().unwrap())
                .unwrap_or_else(|| panic!("{file}: no parent {}", v["of"]));
            assert!(v["id"].is_string(), "{file}: an entry without an id: {v}");
            k += 1;
            let got = rec.variant(parent, v, k);
            let same_as_parent = got == texts(parent);
            if prefix == "e" {
                if !same_as_parent {
                    problems.push(format!(
                        "equivalent {} prints {got:?}, its parent {:?}",
                        v["id"],
                        texts(parent)
                    ));
                }
                continue;
            }
            if same_as_parent {
                problems.push(format!("mutation {} prints as its parent", v["id"]));
            }
            if v.get("pg15").is_some() {
                if texts(v) != got {
                    problems.push(format!(
                        "mutation {}: recorded {:?}, the server stores {got:?}",
                        v["id"],
                        texts(v)
                    ));
                }
            } else {
                v["pg15"] = json!({"using": got.0, "with_check": got.1});
            }
        }
        outputs.push((file, before, after));
    }
    if !problems.is_empty() {
        eprintln!("{}", problems.join("\n"));
        std::process::exit(1);
    }
    if !check {
        write(&dir, "policies.jsonl", &policies, &new_policies);
        for (file, before, after) in &outputs {
            write(&dir, file, before, after);
        }
    }
    println!(
        "PostgreSQL {version}: {} policies, {k} variants {}",
        new_policies.len(),
        if check { "checked" } else { "recorded" }
    );
}
