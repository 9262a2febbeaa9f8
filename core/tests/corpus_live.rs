//! The corpus on a live PostgreSQL: create every policy as its `sql` says, then plan from
//! the database to the same declarations (read from those statements). With the round
//! trip the plan must be empty; every mutation must show as a change of that policy and
//! every equivalent spelling as no change. The offline rate is printed.

mod common;

use std::collections::HashMap;

use common::*;
use pgpolicy::introspect::LiveDb;
use pgpolicy::{Change, DiffOptions, Schema};
use serde_json::Value;

fn lines(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(corpus_dir().join(name)).expect("corpus file");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The declaration a developer would write: the policy's CREATE POLICY statement, on a
/// table with RLS enabled.
fn declaration(sql: &str) -> Schema {
    let (mut s, warnings) = pgpolicy::sql::read_sql(sql).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    for t in &mut s.tables {
        t.rls.enabled = Some(true);
    }
    s.normalize();
    s
}

/// The declaration of the parent's table (all its policies), with the parent policy's
/// expressions replaced by the variant's.
fn with_variant(all: &Schema, parent: &Value, variant: &Value) -> Schema {
    let (schema, table) = (
        parent["schema"].as_str().unwrap(),
        parent["table"].as_str().unwrap(),
    );
    let mut t = all.table(schema, table).unwrap().clone();
    let p = t
        .policies
        .iter_mut()
        .find(|p| p.name == parent["name"].as_str().unwrap())
        .unwrap();
    p.using = variant["using"].as_str().map(str::to_string);
    p.with_check = variant["with_check"].as_str().map(str::to_string);
    Schema {
        tables: vec![t],
        ..Schema::default()
    }
}

#[test]
fn corpus_policies_mutations_and_equivalents_live() {
    let db = Db::start();
    db.cluster
        .psql_file("app", &corpus_dir().join("schema.sql"))
        .unwrap();
    let policies = lines("policies.jsonl");
    let all_sql: String = policies
        .iter()
        .map(|p| format!("{}\n", p["sql"].as_str().unwrap()))
        .collect();
    db.sql(&all_sql);

    let mut live = LiveDb::connect(&db.url).unwrap();
    let schemas: Vec<String> = [
        "public", "auth", "storage", "realtime", "private", "app", "billing",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let current = live.introspect(&schemas).unwrap();
    let version = current.database.as_ref().unwrap().server_version_num;
    println!("server version {version}");
    if let Ok(major) = std::env::var("PGPOLICY_EXPECT_SERVER_MAJOR") {
        assert_eq!(
            (version / 10000).to_string(),
            major,
            "the cluster runs the expected major version"
        );
    }
    let desired = declaration(&all_sql);
    let n = policies.len();
    assert_eq!(
        desired
            .tables
            .iter()
            .map(|t| t.policies.len())
            .sum::<usize>(),
        n
    );

    let offline = pgpolicy::diff(&current, &desired, &DiffOptions::default()).unwrap();
    let offline_changed = offline.changes.len();
    println!(
        "corpus policies judged unchanged offline: {}/{n} ({:.1}%)",
        n - offline_changed,
        100.0 * (n - offline_changed) as f64 / n as f64
    );
    // With the database's catalog (user functions, enums) the offline layer alone proves
    // every declaration equal to what PostgreSQL stored.
    assert_eq!(offline_changed, 0, "offline plan:\n{}", offline.sql());
    let exact =
        pgpolicy::diff_with(&current, &desired, &DiffOptions::default(), Some(&mut live)).unwrap();
    println!(
        "corpus policies judged unchanged with the round trip: {}/{n}",
        n - exact.changes.len()
    );
    assert!(
        exact.is_empty(),
        "plan from the database to the corpus declarations:\n{}",
        exact.sql()
    );

    let by_id: HashMap<&str, &Value> = policies
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p))
        .collect();
    let (mut m_off, mut m_rt) = (0, 0);
    let mutations = lines("mutations.jsonl");
    for m in &mutations {
        let parent = by_id[m["of"].as_str().unwrap()];
        let desired = with_variant(&desired, parent, m);
        let name = parent["name"].as_str().unwrap();
        let touches = |plan: &pgpolicy::Plan| {
            plan.changes.len() == 1
                && matches!(&plan.changes[0], Change::AlterPolicy { to, .. } if to.name == name)
        };
        // Offline, other policies of the table may also be unproven; count this one.
        let offline = pgpolicy::diff(&current, &desired, &DiffOptions::default()).unwrap();
        if offline
            .changes
            .iter()
            .any(|c| matches!(c, Change::AlterPolicy { to, .. } if to.name == name))
        {
            m_off += 1;
        }
        let plan =
            pgpolicy::diff_with(&current, &desired, &DiffOptions::default(), Some(&mut live))
                .unwrap();
        assert!(
            touches(&plan),
            "mutation {} ({}) not seen as a change of {name}:\n{}",
            m["id"],
            m["change"],
            plan.sql()
        );
        m_rt += 1;
    }
    println!(
        "mutations judged different: offline {m_off}/{}, round trip {m_rt}/{}",
        mutations.len(),
        mutations.len()
    );
    assert_eq!(m_off, mutations.len());

    let (mut e_off, mut e_rt) = (0, 0);
    let equivalents = lines("equivalents.jsonl");
    for e in &equivalents {
        let parent = by_id[e["of"].as_str().unwrap()];
        let desired = with_variant(&desired, parent, e);
        if pgpolicy::diff(&current, &desired, &DiffOptions::default())
            .unwrap()
            .is_empty()
        {
            e_off += 1;
        }
        let plan =
            pgpolicy::diff_with(&current, &desired, &DiffOptions::default(), Some(&mut live))
                .unwrap();
        assert!(
            plan.is_empty(),
            "equivalent {} ({}) seen as a change:\n{}",
            e["id"],
            e["change"],
            plan.sql()
        );
        e_rt += 1;
    }
    println!(
        "equivalents judged equal: offline {e_off}/{}, round trip {e_rt}/{}",
        equivalents.len(),
        equivalents.len()
    );
    assert_eq!(e_off, equivalents.len());
}
