//! The core side of `bench/diff.js`: the same diff of the same schemas, in Rust.
//!
//! `cargo run --release -p pgpolicy-node --example node_diff_bench -- current.json desired.json [iterations]`
//! prints the median milliseconds of one diff: read both schemas from JSON (as the
//! binding does), diff, render the SQL and its reverse.

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: node_diff_bench CURRENT.json DESIRED.json [ITERATIONS]");
        std::process::exit(2);
    }
    let current = std::fs::read_to_string(&args[1]).expect("current schema");
    let desired = std::fs::read_to_string(&args[2]).expect("desired schema");
    let iterations: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(20);
    let mut times = Vec::with_capacity(iterations);
    let mut changes = 0;
    for _ in 0..iterations + 2 {
        let start = Instant::now();
        let c = pgpolicy::Schema::from_json(&current).expect("current");
        let d = pgpolicy::Schema::from_json(&desired).expect("desired");
        let plan = pgpolicy::diff(&c, &d, &Default::default()).expect("diff");
        let sql = plan.sql();
        let reverse = plan.reverse().sql();
        std::hint::black_box((&sql, &reverse));
        changes = plan.len();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    // The first two runs warm up.
    let mut t = times[2..].to_vec();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{{\"median_ms\": {:.3}, \"changes\": {changes}}}",
        t[t.len() / 2]
    );
}
