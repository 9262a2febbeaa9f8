//! The corpus, offline: every declared expression must canonicalize to what PostgreSQL 15
//! stores for it (and the stored text to itself), every equivalent spelling must be judged
//! equal to its parent, and every mutation must be judged different. No database needed.

use pgpolicy::expr::canon::{
    canonicalize_mode, Catalog, Context, Mode, SessionSettings, Undecidable,
};
use pgpolicy::ir::{Schema, TableName};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

/// The project's corpus (tests/corpus), or $PGPOLICY_CORPUS. A missing corpus fails the test.
fn corpus_dir() -> PathBuf {
    let dir = std::env::var("PGPOLICY_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus"));
    assert!(
        dir.join("policies.jsonl").is_file(),
        "corpus not found at {} (tests/corpus in the repository, or set PGPOLICY_CORPUS)",
        dir.display()
    );
    dir
}

fn lines(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(corpus_dir().join(name)).expect("corpus file");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

struct Env {
    schema: Schema,
    catalog: Catalog,
    search_path: Vec<String>,
}

impl Env {
    fn load() -> Env {
        let sql = std::fs::read_to_string(corpus_dir().join("schema.sql")).unwrap();
        let (schema, _warnings) = pgpolicy::sql::read::read_sql(&sql).expect("schema.sql");
        let mut catalog = Catalog::from_sql(&sql, "public");
        // the settings the corpus was recorded under (README.md)
        catalog.session = Some(SessionSettings {
            timezone: "UTC".into(),
            datestyle: "ISO, MDY".into(),
            intervalstyle: "postgres".into(),
            ..Default::default()
        });
        Env {
            schema,
            catalog,
            search_path: vec!["public".to_string()],
        }
    }
    fn canon_in(&self, p: &Value, text: &str, mode: Mode) -> Result<String, Undecidable> {
        let table = TableName::new(p["schema"].as_str().unwrap(), p["table"].as_str().unwrap());
        let ctx = Context {
            table: &table,
            schema: &self.schema,
            search_path: &self.search_path,
        };
        canonicalize_mode(text, &ctx, &self.catalog, mode)
    }
    /// A declared (written) expression.
    fn canon(&self, p: &Value, text: &str) -> Result<String, Undecidable> {
        self.canon_in(p, text, Mode::Declared)
    }
    /// Text printed by PostgreSQL.
    fn canon_stored(&self, p: &Value, text: &str) -> Result<String, Undecidable> {
        self.canon_in(p, text, Mode::Stored)
    }
    /// Declared `a` against stored `b`.
    fn equal(&self, p: &Value, a: &str, b: &str) -> bool {
        match (self.canon(p, a), self.canon_stored(p, b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
    /// Declared `a` against declared `b`.
    fn equal_declared(&self, p: &Value, a: &str, b: &str) -> bool {
        match (self.canon(p, a), self.canon(p, b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
    /// Both in the mode that does not know where the text came from.
    fn equal_generic(&self, p: &Value, a: &str, b: &str) -> bool {
        match (
            self.canon_in(p, a, Mode::Generic),
            self.canon_in(p, b, Mode::Generic),
        ) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

const CLAUSES: [&str; 2] = ["using", "with_check"];

#[test]
fn corpus_offline() {
    let env = Env::load();
    let policies = lines("policies.jsonl");
    let by_id: HashMap<&str, &Value> = policies
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p))
        .collect();

    // Policies: declaration == stored text, stored text is a fixed point.
    let (mut total, mut equal, mut fixed, mut generic) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for p in &policies {
        for c in CLAUSES {
            let (Some(w), Some(s)) = (p[c].as_str(), p["pg15"][c].as_str()) else {
                continue;
            };
            total += 1;
            let cw = env.canon(p, w);
            let cs = env.canon_stored(p, s);
            if env.equal_generic(p, w, s) {
                generic += 1;
            }
            if cs.as_deref() == Ok(s) {
                fixed += 1;
            }
            match (&cw, &cs) {
                (Ok(x), Ok(y)) if x == y => equal += 1,
                _ => failures.push(format!("{} {c}\n  written:   {w}\n  canonical: {cw:?}\n  stored:    {s:?}\n  stored canonical: {cs:?}", p["id"])),
            }
        }
    }
    println!("policies: {equal}/{total} declarations equal to the stored text; {fixed}/{total} stored texts canonicalize to themselves; {generic}/{total} equal with origin unknown (Mode::Generic)");
    for f in &failures {
        println!("FAIL {f}");
    }

    // Equivalents: judged equal to the parent.
    let (mut etotal, mut eequal) = (0, 0);
    let mut efail = Vec::new();
    for e in lines("equivalents.jsonl") {
        let p = by_id[e["of"].as_str().unwrap()];
        for c in CLAUSES {
            let (Some(v), Some(s)) = (e[c].as_str(), p["pg15"][c].as_str()) else {
                continue;
            };
            if Some(v) == p[c].as_str() {
                continue;
            }
            etotal += 1;
            if env.equal(p, v, s) {
                eequal += 1;
            } else {
                efail.push(format!(
                    "{} {c} ({})\n  variant:   {v}\n  canonical: {:?}\n  parent:    {:?}",
                    e["id"],
                    e["change"],
                    env.canon(p, v),
                    env.canon_stored(p, s)
                ));
            }
        }
    }
    println!("equivalents: {eequal}/{etotal} judged equal");
    for f in &efail {
        println!("FAIL {f}");
    }

    // Mutations: judged different from the parent (stored and written).
    let (mut mtotal, mut mdiff, mut mexact) = (0, 0, 0);
    let mut mfail = Vec::new();
    for m in lines("mutations.jsonl") {
        let p = by_id[m["of"].as_str().unwrap()];
        for c in CLAUSES {
            let (Some(v), Some(ms)) = (m[c].as_str(), m["pg15"][c].as_str()) else {
                continue;
            };
            if p["pg15"][c].as_str() == Some(ms) {
                continue; // clause not changed by this mutation
            }
            mtotal += 1;
            if env.canon(p, v).as_deref() == Ok(ms) {
                mexact += 1;
            }
            let against_stored = p["pg15"][c]
                .as_str()
                .map(|s| env.equal(p, v, s))
                .unwrap_or(false);
            let against_written = p[c]
                .as_str()
                .map(|s| env.equal_declared(p, v, s))
                .unwrap_or(false);
            let generic_stored = p["pg15"][c]
                .as_str()
                .map(|s| env.equal_generic(p, v, s))
                .unwrap_or(false);
            let generic_written = p[c]
                .as_str()
                .map(|s| env.equal_generic(p, v, s))
                .unwrap_or(false);
            if !against_stored && !against_written && !generic_stored && !generic_written {
                mdiff += 1;
            } else {
                mfail.push(format!(
                    "{} {c} ({}): judged equal\n  variant: {v}",
                    m["id"], m["change"]
                ));
            }
        }
    }
    println!("mutations: {mdiff}/{mtotal} judged different; {mexact}/{mtotal} canonicalize to their stored text");
    for f in &mfail {
        println!("FAIL {f}");
    }

    assert!(mfail.is_empty(), "mutations judged equal: {mfail:#?}");
    assert!(efail.is_empty(), "equivalents not judged equal: {efail:#?}");
    // Floor: raise it as coverage grows.
    assert!(equal >= total, "policies: {equal}/{total}");
}
