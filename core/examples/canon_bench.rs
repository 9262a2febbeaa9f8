//! Canonicalizes 100,000 policy expressions (cycling through the corpus: declared and
//! stored texts) on one thread and prints the rate.
//!
//! `cargo run --release -p pgpolicy --example canon_bench -- [corpus dir] [count]` (the
//! corpus dir defaults to the repository's tests/corpus)

use pgpolicy::expr::canon::{canonicalize_mode, Catalog, Context, Mode, SessionSettings};
use pgpolicy::ir::TableName;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/corpus").to_string());
    let count: usize = args
        .next()
        .map(|s| s.parse().expect("count"))
        .unwrap_or(100_000);
    let sql = std::fs::read_to_string(format!("{dir}/schema.sql")).expect("schema.sql");
    let (schema, _) = pgpolicy::sql::read::read_sql(&sql).expect("schema");
    let mut catalog = Catalog::from_sql(&sql, "public");
    // the settings the corpus was recorded under (tests/corpus/README.md)
    catalog.session = Some(SessionSettings {
        timezone: "UTC".into(),
        datestyle: "ISO, MDY".into(),
        intervalstyle: "postgres".into(),
        ..Default::default()
    });
    let search_path = vec!["public".to_string()];
    let mut items: Vec<(TableName, String, Mode)> = Vec::new();
    for line in std::fs::read_to_string(format!("{dir}/policies.jsonl"))
        .expect("policies")
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let table = TableName::new(v["schema"].as_str().unwrap(), v["table"].as_str().unwrap());
        for c in ["using", "with_check"] {
            if let Some(s) = v[c].as_str() {
                items.push((table.clone(), s.to_string(), Mode::Declared));
            }
            if let Some(s) = v["pg15"][c].as_str() {
                items.push((table.clone(), s.to_string(), Mode::Stored));
            }
        }
    }
    if std::env::var("CANON_BENCH_PARSE").is_ok() {
        parse_only(&items, count);
    }
    let start = Instant::now();
    let (mut ok, mut bytes) = (0usize, 0usize);
    for i in 0..count {
        let (table, text, mode) = &items[i % items.len()];
        let ctx = Context {
            table,
            schema: &schema,
            search_path: &search_path,
        };
        if let Ok(s) = canonicalize_mode(text, &ctx, &catalog, *mode) {
            ok += 1;
            bytes += s.len();
        }
    }
    let el = start.elapsed();
    println!(
        "{count} expressions ({} distinct) in {:.3} s: {:.0} expressions/s, {ok} canonicalized ({bytes} bytes of output)",
        items.len(),
        el.as_secs_f64(),
        count as f64 / el.as_secs_f64()
    );
}

/// The stages before analysis, alone: the validation lexer and the parse (tokenizer and
/// parser).
fn parse_only(items: &[(TableName, String, Mode)], count: usize) {
    let start = Instant::now();
    for i in 0..count {
        let _ = pgpolicy::expr::validate(&items[i % items.len()].1);
    }
    println!("validate only: {:.3} s", start.elapsed().as_secs_f64());
    let start = Instant::now();
    let mut parsed = 0;
    for i in 0..count {
        parsed += usize::from(pgpolicy::expr::canon::parses(&items[i % items.len()].1));
    }
    println!(
        "parse only: {:.3} s ({parsed} parsed)",
        start.elapsed().as_secs_f64()
    );
}
