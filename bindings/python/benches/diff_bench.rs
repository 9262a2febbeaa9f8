//! The core's diff of two schemas read from JSON files, timed; the baseline that
//! `bench/bench_diff.py` compares the Python call against.
//!
//!     cargo run --release -p pgpolicy-python --example py_diff_bench -- current.json desired.json 20
//!
//! Prints `rust_ms_per_diff=<ms> changes=<n>`.

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: py_diff_bench CURRENT.json DESIRED.json [ITERATIONS]");
        std::process::exit(2);
    }
    let read = |p: &str| {
        let text = std::fs::read_to_string(p).expect("read schema");
        pgpolicy::Schema::from_json(&text).expect("valid schema")
    };
    let (current, desired) = (read(&args[1]), read(&args[2]));
    let iterations: u32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(20);
    let opts = pgpolicy::DiffOptions::default();
    let mut changes = pgpolicy::diff(&current, &desired, &opts)
        .expect("diff")
        .len();
    let start = Instant::now();
    for _ in 0..iterations {
        changes = pgpolicy::diff(&current, &desired, &opts)
            .expect("diff")
            .len();
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0 / iterations as f64;
    println!("rust_ms_per_diff={ms:.3} changes={changes}");
}
