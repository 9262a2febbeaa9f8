//! The comparison layers on a live PostgreSQL: locks, search_path, the dev database.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use pgpolicy::introspect::{DevDb, LiveDb};
use pgpolicy::{Change, DiffOptions, Schema};

/// Runs the comparison on its own connection in a thread; returns the thread and the
/// backend pid of that connection.
fn compare_in_thread(
    url: String,
    current: Schema,
    declared: Schema,
) -> (
    std::thread::JoinHandle<pgpolicy::Result<pgpolicy::Plan>>,
    String,
) {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let mut cmp = LiveDb::connect(&url).unwrap();
        let pid = cmp.query("SELECT pg_backend_pid()").unwrap()[0][0]
            .clone()
            .unwrap();
        tx.send(pid).unwrap();
        pgpolicy::diff_with(&current, &declared, &DiffOptions::default(), Some(&mut cmp))
    });
    let pid = rx.recv().unwrap();
    (worker, pid)
}

fn decl(using: &str) -> Schema {
    Schema::from_json(
        &serde_json::json!({
            "tables": [{"name": "items", "rls": {"enabled": true},
                "policies": [{"name": "p", "command": "SELECT", "using": using}]}]
        })
        .to_string(),
    )
    .unwrap()
}

#[test]
fn comparison_takes_no_lock_stronger_than_access_share() {
    let db = Db::start();
    db.sql(
        "CREATE TABLE items (id int, owner text, tags varchar(20)); ALTER TABLE items ENABLE ROW LEVEL SECURITY; \
         CREATE POLICY p ON items FOR SELECT USING (tags IN ('a', 'b') AND owner = current_user)",
    );
    // A real change: the offline layer cannot call it equal, so the round trip runs.
    let declared = decl("tags in ('a','b','c') and owner = CURRENT_USER");
    let current = LiveDb::connect(&db.url).unwrap().introspect(&[]).unwrap();

    // A second session holds EXCLUSIVE on the table: it conflicts with every lock but
    // ACCESS SHARE. The comparison must finish (lock_timeout turns a wait into an error).
    let holder = LiveDb::connect(&db.url).unwrap();
    holder
        .execute("BEGIN; LOCK TABLE items IN EXCLUSIVE MODE")
        .unwrap();
    let url = format!("{}&options=-c%20lock_timeout%3D5000", db.url);
    let (worker, pid) = compare_in_thread(url, current.clone(), declared);
    // Watch the comparing session's locks on user tables while it runs.
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !worker.is_finished() && Instant::now() < deadline {
        let rows = holder
            .query(&format!(
                "SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE l.pid = {pid} AND n.nspname = 'public' AND c.relkind = 'r'"
            ))
            .unwrap();
        seen.extend(rows.into_iter().map(|r| r[0].clone().unwrap()));
    }
    let plan = worker
        .join()
        .unwrap()
        .expect("comparison finished under a conflicting EXCLUSIVE lock");
    assert!(
        matches!(plan.changes.as_slice(), [Change::AlterPolicy { .. }]),
        "{}",
        plan.sql()
    );
    assert!(
        seen.iter().all(|m| m == "AccessShareLock"),
        "locks seen: {seen:?}"
    );
    holder.execute("COMMIT").unwrap();

    // With ACCESS EXCLUSIVE held, the comparison waits; pg_locks shows what it asks for.
    holder
        .execute("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let declared = decl("tags in ('a','b','c') and owner = CURRENT_USER");
    let (worker, pid) = compare_in_thread(db.url.clone(), current, declared);
    let deadline = Instant::now() + Duration::from_secs(20);
    let waiting = loop {
        let rows = holder
            .query(&format!("SELECT mode FROM pg_locks WHERE pid = {pid} AND NOT granted AND relation = 'items'::regclass"))
            .unwrap();
        if let Some(r) = rows.first() {
            break r[0].clone().unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the comparison never waited for the table"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(waiting, "AccessShareLock");
    holder.execute("COMMIT").unwrap();
    assert_eq!(worker.join().unwrap().unwrap().len(), 1);
}

#[test]
fn search_path_dependent_meaning() {
    let db = Db::start();
    db.sql(
        "CREATE SCHEMA other; \
         CREATE FUNCTION public.tenant() RETURNS int LANGUAGE sql AS 'SELECT 1'; \
         CREATE FUNCTION other.tenant() RETURNS int LANGUAGE sql AS 'SELECT 2'; \
         CREATE TABLE items (id int, tenant_id int); ALTER TABLE items ENABLE ROW LEVEL SECURITY; \
         SET search_path = other, public; \
         CREATE POLICY p ON items FOR SELECT USING (tenant_id = tenant());",
    );
    let mut live = LiveDb::connect(&db.url).unwrap();
    let current = live.introspect(&[]).unwrap();
    assert_eq!(
        current.tables[0].policies[0].using.as_deref(),
        Some("(tenant_id = other.tenant())")
    );

    // Same text, other meaning: declared `tenant()` is public.tenant() where pgpolicy
    // applies it. Offline and with the round trip it is a change.
    let same_text = decl("tenant_id = tenant()");
    for plan in [
        pgpolicy::diff(&current, &same_text, &DiffOptions::default()).unwrap(),
        pgpolicy::diff_with(
            &current,
            &same_text,
            &DiffOptions::default(),
            Some(&mut live),
        )
        .unwrap(),
    ] {
        assert!(
            matches!(plan.changes.as_slice(), [Change::AlterPolicy { .. }]),
            "{}",
            plan.sql()
        );
    }
    // The qualified spelling means the same: no change.
    let qualified = decl("tenant_id = other.tenant()");
    assert!(pgpolicy::diff_with(
        &current,
        &qualified,
        &DiffOptions::default(),
        Some(&mut live)
    )
    .unwrap()
    .is_empty());

    // Introspection under a non-default search_path gives the same result.
    let url = format!("{}&options=-c%20search_path%3Dother%2Cpublic", db.url);
    let mut other = LiveDb::connect(&url).unwrap();
    assert_eq!(
        other.query("SHOW search_path").unwrap()[0][0].as_deref(),
        Some("other,public")
    );
    assert_eq!(other.introspect(&[]).unwrap(), current);
    assert_eq!(cli_ok(&["inspect", &url]), cli_ok(&["inspect", &db.url]));
}

#[test]
fn dev_database_compares_without_touching_the_target() {
    let db = Db::start();
    let decl_path = fixture("sqlalchemy-schema.sql");
    let (schema, _) = pgpolicy::sql::read_sql_file(decl_path.as_ref()).unwrap();
    create_tables(&db, &schema);
    db.sql(&cli_ok(&["plan", "--from", "empty", "--to", &decl_path]));
    let before = cli_ok(&["inspect", &db.url]);

    // Embedded scratch database: equal, so nothing to do.
    let out = cli_ok(&[
        "plan", "--from", &db.url, "--to", &decl_path, "--dev", "embedded",
    ]);
    assert_eq!(out, "");
    // A scratch database by URL, from the core API: a real change is still found, with
    // both texts as PostgreSQL prints them.
    let scratch = db.cluster.create_database("scratch").unwrap();
    let mut dev = DevDb::url(&scratch).unwrap();
    let current = LiveDb::connect(&db.url).unwrap().introspect(&[]).unwrap();
    let mut changed = schema.clone();
    changed.normalize();
    changed.table_mut("public", "users").unwrap().policies[0].using =
        Some("tenant_id = current_setting('app.current_tenant')::bigint".into());
    let plan =
        pgpolicy::diff_with(&current, &changed, &DiffOptions::default(), Some(&mut dev)).unwrap();
    match plan.changes.as_slice() {
        [Change::AlterPolicy { clauses, .. }] => {
            assert!(
                clauses[0]
                    .to_canonical
                    .as_deref()
                    .unwrap()
                    .contains("::bigint"),
                "{clauses:?}"
            );
        }
        other => panic!("expected one ALTER POLICY, got {other:?}"),
    }
    let mut same = schema.clone();
    same.normalize();
    assert!(
        pgpolicy::diff_with(&current, &same, &DiffOptions::default(), Some(&mut dev))
            .unwrap()
            .is_empty()
    );
    // The target and the scratch database are as they were.
    assert_eq!(cli_ok(&["inspect", &db.url]), before);
    assert_eq!(
        db.cluster
            .psql(
                "scratch",
                "SELECT count(*) FROM pg_class WHERE relname = 'users'"
            )
            .unwrap()
            .trim(),
        "0"
    );
}
