//! Offline rates on the corpus: declarations that canonicalize to the text PostgreSQL
//! stores, equivalent spellings judged equal, mutations judged different. Each with the
//! origin of the texts known (declared / stored) and unknown, with and without the
//! catalog of user functions and types.
//!
//! `cargo run --release -p pgpolicy --example corpus_rates -- /path/to/corpus`

use pgpolicy::expr::canon::{canonicalize_mode, Catalog, Context, Mode};
use pgpolicy::ir::{Schema, TableName};
use serde_json::Value;
use std::collections::HashMap;

struct Env {
    schema: Schema,
    catalog: Catalog,
    search_path: Vec<String>,
}

impl Env {
    fn canon(&self, p: &Value, text: &str, mode: Mode) -> Result<String, String> {
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
        .unwrap_or_else(|| "/work/shared/corpus".to_string());
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

    for (label, catalog) in [
        ("with catalog", Catalog::from_sql(&sql, "public")),
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
}
