//! Benchmark: diff of a 1,000-table schema (3 policies a table, a tenth of them changed),
//! offline. `cargo run --release -p pgpolicy --example diff_bench [-- --write DIR]`;
//! `--write` also saves the two schemas as `current.json` and `desired.json` so the
//! Python and Node benchmarks diff exactly the same input.

use std::time::Instant;

use pgpolicy::*;

pub fn schemas(tables: usize) -> (Schema, Schema) {
    let mut current = Schema::default();
    let mut desired = Schema::default();
    for i in 0..tables {
        let mut t = Table::new("public", format!("table_{i}"));
        t.columns = vec![
            Column {
                name: "id".into(),
                data_type: "integer".into(),
                nullable: false,
            },
            Column {
                name: "tenant_id".into(),
                data_type: "integer".into(),
                nullable: false,
            },
            Column {
                name: "owner".into(),
                data_type: "text".into(),
                nullable: true,
            },
        ];
        t.rls = Rls::new(true, false);
        let mut p1 = Policy::new("tenant_isolation");
        p1.using = Some("tenant_id = current_setting('app.current_tenant')::integer".into());
        let mut p2 = Policy::new("owner_read");
        p2.command = Command::Select;
        p2.using = Some("owner = current_user".into());
        let mut p3 = Policy::new("owner_write");
        p3.command = Command::Insert;
        p3.with_check = Some("owner = current_user AND tenant_id > 0".into());
        t.policies = vec![p1, p2, p3];
        current.tables.push(t.clone());
        if i % 10 == 0 {
            t.policies[0].using = Some("tenant_id = current_setting('app.tenant')::integer".into());
            t.rls.forced = Some(true);
        }
        desired.tables.push(t);
    }
    current.normalize();
    desired.normalize();
    (current, desired)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (current, desired) = schemas(1000);
    if let Some(i) = args.iter().position(|a| a == "--write") {
        let dir = std::path::Path::new(&args[i + 1]);
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("current.json"), current.to_json()).unwrap();
        std::fs::write(dir.join("desired.json"), desired.to_json()).unwrap();
    }
    let opts = DiffOptions::default();
    let plan = diff(&current, &desired, &opts).unwrap();
    let runs = 20;
    let start = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(diff(&current, &desired, &opts).unwrap());
    }
    let per = start.elapsed().as_secs_f64() / runs as f64;
    println!(
        "diff of 1000 tables ({} changes): {:.2} ms per diff (mean of {runs})",
        plan.len(),
        per * 1e3
    );
    // The same including reading both JSON documents, as the bindings do.
    let (cj, dj) = (current.to_json(), desired.to_json());
    let start = Instant::now();
    for _ in 0..runs {
        let c = Schema::from_json(&cj).unwrap();
        let d = Schema::from_json(&dj).unwrap();
        std::hint::black_box(diff(&c, &d, &opts).unwrap().sql());
    }
    let per = start.elapsed().as_secs_f64() / runs as f64;
    println!(
        "from JSON to plan SQL: {:.2} ms per diff (mean of {runs})",
        per * 1e3
    );
}
