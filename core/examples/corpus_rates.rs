//! Offline rates on the corpus: declarations that canonicalize to the text PostgreSQL
//! stores, equivalent spellings judged equal, mutations judged different. Each with the
//! origin of the texts known (declared / stored) and unknown, with and without the
//! catalog of user functions and types.
//!
//! Then the same three rates with the round trip through PostgreSQL's deparser, on a
//! throwaway PostgreSQL loaded with the corpus's schema.sql.
//!
//! `cargo run --release -p pgpolicy --example corpus_rates [-- /path/to/corpus]` (default:
//! the repository's tests/corpus)

use pgpolicy::expr::canon::{
    canonicalize_mode, Catalog, Context, Mode, SessionSettings, Undecidable,
};
use pgpolicy::ir::{Schema, TableName};
use serde_json::Value;
use std::collections::HashMap;

struct Env {
    schema: Schema,
    catalog: Catalog,
    search_path: Vec<String>,
}

impl Env {
    fn canon(&self, p: &Value, text: &str, mode: Mode) -> Result<String, Undecidable> {
        let table = TableName::new(p["schema"].as_str().unwrap(), p["table"].as_str().unwrap());
        let ctx = Context {
            table: &table,
            schema: &self.schema,
            search_path: &self.search_path,
        };
        canonicalize_mode(text, &ctx, &self.catalog, mode)
    }
    /// `a` written by a developer, `b` stored (or written, when `b_declared`).
    fn equal(&self, p: &Value, a: &str, b: &str, known_origin: bool, b_declared: bool) -> bool {
        let (ma, mb) = if known_origin {
            (
                Mode::Declared,
                if b_declared {
                    Mode::Declared
                } else {
                    Mode::Stored
                },
            )
        } else {
            (Mode::Generic, Mode::Generic)
        };
        matches!((self.canon(p, a, ma), self.canon(p, b, mb)), (Ok(x), Ok(y)) if x == y)
    }
}

fn lines(dir: &str, name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{dir}/{name}"))
        .unwrap_or_else(|e| panic!("{dir}/{name}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/corpus").to_string());
    let sql = std::fs::read_to_string(format!("{dir}/schema.sql")).expect("schema.sql");
    let (schema, _) = pgpolicy::sql::read::read_sql(&sql).expect("schema.sql");
    let policies = lines(&dir, "policies.jsonl");
    let equivalents = lines(&dir, "equivalents.jsonl");
    let mutations = lines(&dir, "mutations.jsonl");
    let by_id: HashMap<&str, &Value> = policies
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p))
        .collect();
    let clauses = ["using", "with_check"];

    // the catalog of schema.sql, with the settings the corpus was recorded under (README.md)
    let mut with = Catalog::from_sql(&sql, "public");
    with.session = Some(SessionSettings {
        timezone: "UTC".into(),
        datestyle: "ISO, MDY".into(),
        intervalstyle: "postgres".into(),
        ..Default::default()
    });
    for (label, catalog) in [
        ("with catalog and settings", with),
        ("without catalog", Catalog::default()),
    ] {
        let env = Env {
            schema: schema.clone(),
            catalog,
            search_path: vec!["public".into()],
        };
        for known in [true, false] {
            let origin = if known {
                "origin known (Declared/Stored)"
            } else {
                "origin unknown (Generic)"
            };
            let (mut pt, mut pe, mut pf) = (0, 0, 0);
            for p in &policies {
                for c in clauses {
                    let (Some(w), Some(s)) = (p[c].as_str(), p["pg15"][c].as_str()) else {
                        continue;
                    };
                    pt += 1;
                    if env.equal(p, w, s, known, false) {
                        pe += 1;
                    }
                    let mode = if known { Mode::Stored } else { Mode::Generic };
                    if env.canon(p, s, mode).as_deref() == Ok(s) {
                        pf += 1;
                    }
                }
            }
            let (mut et, mut ee) = (0, 0);
            for e in &equivalents {
                let p = by_id[e["of"].as_str().unwrap()];
                for c in clauses {
                    let (Some(v), Some(s)) = (e[c].as_str(), p["pg15"][c].as_str()) else {
                        continue;
                    };
                    if Some(v) == p[c].as_str() {
                        continue;
                    }
                    et += 1;
                    if env.equal(p, v, s, known, false) {
                        ee += 1;
                    }
                }
            }
            let (mut mt, mut md) = (0, 0);
            for m in &mutations {
                let p = by_id[m["of"].as_str().unwrap()];
                for c in clauses {
                    let (Some(v), Some(ms)) = (m[c].as_str(), m["pg15"][c].as_str()) else {
                        continue;
                    };
                    if p["pg15"][c].as_str() == Some(ms) {
                        continue;
                    }
                    mt += 1;
                    let eq_stored = p["pg15"][c]
                        .as_str()
                        .map(|s| env.equal(p, v, s, known, false))
                        .unwrap_or(false);
                    let eq_written = p[c]
                        .as_str()
                        .map(|s| env.equal(p, v, s, known, true))
                        .unwrap_or(false);
                    if !eq_stored && !eq_written {
                        md += 1;
                    }
                }
            }
            println!("{label}, {origin}:");
            println!("  policies     {pe:>3}/{pt} declarations proven equal to the stored text ({:.1}%); {pf}/{pt} stored texts canonicalize to themselves", 100.0 * pe as f64 / pt as f64);
            println!(
                "  equivalents  {ee:>3}/{et} proven equal ({:.1}%)",
                100.0 * ee as f64 / et as f64
            );
            println!(
                "  mutations    {md:>3}/{mt} judged different ({:.1}%)",
                100.0 * md as f64 / mt as f64
            );
        }
    }
    round_trip_rates(&dir, &policies, &equivalents, &mutations, &by_id);
}

/// Rates with the round trip: every (stored, written) pair compared by PostgreSQL.
fn round_trip_rates(
    dir: &str,
    policies: &[Value],
    equivalents: &[Value],
    mutations: &[Value],
    by_id: &HashMap<&str, &Value>,
) {
    use pgpolicy::diff::ExprPair;
    let cluster = pgpolicy::embedded::Cluster::start().expect("throwaway PostgreSQL");
    let url = cluster.create_database("corpus").unwrap();
    cluster
        .psql_file("corpus", std::path::Path::new(&format!("{dir}/schema.sql")))
        .expect("load schema.sql");
    let mut db = pgpolicy::introspect::LiveDb::connect(&url).unwrap();
    let pair = |p: &Value, current: &str, desired: &str| ExprPair {
        table: TableName::new(p["schema"].as_str().unwrap(), p["table"].as_str().unwrap()),
        policy: p["name"].as_str().unwrap().to_string(),
        clause: pgpolicy::Clause::Using,
        current: current.to_string(),
        desired: desired.to_string(),
    };
    let clauses = ["using", "with_check"];
    let mut groups: Vec<(&str, Vec<ExprPair>, bool)> = Vec::new();
    let mut own = Vec::new();
    for p in policies {
        for c in clauses {
            if let (Some(w), Some(s)) = (p[c].as_str(), p["pg15"][c].as_str()) {
                own.push(pair(p, s, w));
            }
        }
    }
    groups.push(("policies   ", own, true));
    let mut eq = Vec::new();
    for e in equivalents {
        let p = by_id[e["of"].as_str().unwrap()];
        for c in clauses {
            if let (Some(v), Some(s)) = (e[c].as_str(), p["pg15"][c].as_str()) {
                if Some(v) != p[c].as_str() {
                    eq.push(pair(p, s, v));
                }
            }
        }
    }
    groups.push(("equivalents", eq, true));
    let mut mu = Vec::new();
    for m in mutations {
        let p = by_id[m["of"].as_str().unwrap()];
        for c in clauses {
            if let (Some(v), Some(ms), Some(s)) =
                (m[c].as_str(), m["pg15"][c].as_str(), p["pg15"][c].as_str())
            {
                if ms != s {
                    mu.push(pair(p, s, v));
                }
            }
        }
    }
    groups.push(("mutations  ", mu, false));
    println!(
        "with the round trip (PostgreSQL's deparser, server {}):",
        db.query("SHOW server_version").unwrap()[0][0]
            .clone()
            .unwrap_or_default()
    );
    for (label, pairs, want_equal) in groups {
        let res = db.compare(&pairs).expect("round trip");
        let good = res.iter().filter(|r| r.equal == want_equal).count();
        let what = if want_equal {
            "judged equal"
        } else {
            "judged different"
        };
        println!(
            "  {label}  {good:>3}/{} {what} ({:.1}%)",
            pairs.len(),
            100.0 * good as f64 / pairs.len() as f64
        );
    }
}
