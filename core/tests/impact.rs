//! `pgpolicy plan --impact`: the rows a plan makes visible, invisible, writable or
//! unwritable to a role, counted before the plan runs, as that role, in a transaction
//! that is rolled back; and the refusals (unknown role, a setting a predicate reads that
//! was not given, a connecting role that RLS filters, an expression that is not one
//! expression).

mod common;

use common::*;
use serde_json::Value;

/// Tenants 1 (3 rows) and 2 (5 rows), one of tenant 1's rows owned by app_user; the
/// tenant policy as the database has it today.
fn documents(db: &Db) {
    db.sql(
        "CREATE ROLE app_user NOLOGIN;
         CREATE ROLE app_admin NOLOGIN BYPASSRLS;
         CREATE TABLE documents (id serial PRIMARY KEY, tenant_id integer NOT NULL, owner text, title text);
         CREATE TABLE secrets (id integer);
         GRANT SELECT, INSERT, UPDATE, DELETE ON documents TO app_user, app_admin;
         INSERT INTO documents (tenant_id, owner, title) VALUES
           (1, 'app_user', 'a'), (1, 'x', 'b'), (1, 'x', 'c'),
           (2, 'y', 'd'), (2, 'y', 'e'), (2, 'y', 'f'), (2, 'y', 'g'), (2, 'y', 'h');
         ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
         CREATE POLICY tenant_isolation ON documents USING (tenant_id = current_setting('app.tenant_id')::integer);",
    );
}

fn declaration(dir: &tempfile::TempDir, sql: &str) -> String {
    let path = dir.path().join("schema.sql");
    std::fs::write(&path, sql).unwrap();
    path.display().to_string()
}

fn impact_json(args: &[&str]) -> Value {
    let out = cli_ok(args);
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    doc["impact"].clone()
}

fn check<'a>(table: &'a Value, name: &str) -> &'a Value {
    table["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {table}"))
}

const WIDER: &str = "CREATE TABLE documents (id serial, tenant_id integer NOT NULL, owner text, title text);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON documents USING (tenant_id <= current_setting('app.tenant_id')::integer);
";

#[test]
fn counts_rows_that_become_visible_as_the_role_and_changes_nothing() {
    let db = Db::start();
    documents(&db);
    let dir = tempfile::tempdir().unwrap();
    let decl = declaration(&dir, WIDER);
    let args = [
        "plan",
        "--from",
        &db.url,
        "--to",
        &decl,
        "--impact",
        "--role",
        "app_user",
        "--setting",
        "app.tenant_id=2",
        "--format",
        "json",
    ];
    let impact = impact_json(&args);
    assert_eq!(impact["role"], "app_user");
    let tables = impact["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 1, "{impact}");
    let t = &tables[0];
    assert_eq!(t["table"], "public.documents");
    assert_eq!(t["rows"], 8);
    assert_eq!(t["evaluated"], 8);
    assert_eq!(t["sampled"], false);
    // tenant 2 saw its 5 rows; with `<=` it also sees tenant 1's 3
    for name in ["select", "update", "delete", "update_check", "insert_check"] {
        let c = check(t, name);
        assert_eq!(c["before"]["rows"], 5, "{name}: {c}");
        assert_eq!(c["after"]["rows"], 8, "{name}: {c}");
        assert_eq!(c["gained"], 3, "{name}: {c}");
        assert_eq!(c["lost"], 0, "{name}: {c}");
    }
    assert_eq!(check(t, "insert_check")["proxy"], true);
    assert_eq!(check(t, "select")["proxy"], false);

    // the text form says it in a sentence, and the plan follows the comment block
    let text = cli_ok(&args[..args.len() - 2]);
    assert!(
        text.contains(
            "--   3 more row(s) of public.documents become visible to app_user with app.tenant_id=2"
        ),
        "{text}"
    );
    assert!(text.contains("ALTER POLICY tenant_isolation"), "{text}");

    // nothing was applied or left behind
    assert_eq!(
        db.sql("SELECT pg_get_expr(polqual, polrelid) FROM pg_policy")
            .trim(),
        "(tenant_id = (current_setting('app.tenant_id'::text))::integer)"
    );
    assert_eq!(db.sql("SELECT count(*) FROM documents").trim(), "8");

    // tenant 1 loses nothing and gains nothing it could not see before
    let impact = impact_json(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        &decl,
        "--impact",
        "--role",
        "app_user",
        "--setting",
        "app.tenant_id=1",
        "--format",
        "json",
    ]);
    let c = check(&impact["tables"][0], "select");
    assert_eq!(
        (c["before"]["rows"].clone(), c["after"]["rows"].clone()),
        (3.into(), 3.into())
    );
    assert_eq!(
        (c["gained"].clone(), c["lost"].clone()),
        (0.into(), 0.into())
    );

    // a BYPASSRLS role sees everything before and after
    let impact = impact_json(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        &decl,
        "--impact",
        "--role",
        "app_admin",
        "--format",
        "json",
    ]);
    let c = check(&impact["tables"][0], "select");
    assert_eq!(c["before"]["verdict"], "bypass");
    assert_eq!(c["before"]["rows"], 8);
    assert_eq!(c["gained"], 0);
}

#[test]
fn predicates_run_with_the_roles_identity_and_privileges() {
    let db = Db::start();
    documents(&db);
    let dir = tempfile::tempdir().unwrap();
    // current_user is the role measured, not the connecting superuser
    let decl = declaration(
        &dir,
        "CREATE TABLE documents (id serial, tenant_id integer NOT NULL, owner text, title text);
         ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
         CREATE POLICY tenant_isolation ON documents USING (owner = current_user);",
    );
    let impact = impact_json(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        &decl,
        "--impact",
        "--role",
        "app_user",
        "--setting",
        "app.tenant_id=2",
        "--format",
        "json",
    ]);
    let c = check(&impact["tables"][0], "select");
    assert_eq!(c["after"]["rows"], 1, "{c}");
    assert_eq!(c["gained"], 1, "{c}");
    assert_eq!(c["lost"], 5, "{c}");

    // a sub-select over a table the role may not read fails as it would for the role
    // (the connecting superuser could read it)
    let decl = declaration(
        &dir,
        "CREATE TABLE documents (id serial, tenant_id integer NOT NULL, owner text, title text);
         ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
         CREATE POLICY tenant_isolation ON documents USING (EXISTS (SELECT 1 FROM secrets));",
    );
    let out = cli(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        &decl,
        "--impact",
        "--role",
        "app_user",
        "--setting",
        "app.tenant_id=2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("permission denied for table secrets"), "{err}");
    assert!(err.contains("as app_user"), "{err}");

    // and nothing it runs can write: the transaction is read-only before user text runs
    let decl = declaration(
        &dir,
        "CREATE TABLE documents (id serial, tenant_id integer NOT NULL, owner text, title text);
         ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
         CREATE POLICY tenant_isolation ON documents USING (nextval('documents_id_seq') > 0);",
    );
    db.sql("GRANT USAGE ON SEQUENCE documents_id_seq TO app_user");
    let out = cli(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        &decl,
        "--impact",
        "--role",
        "app_user",
        "--setting",
        "app.tenant_id=2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("read-only transaction"), "{err}");
    assert_eq!(
        db.sql("SELECT last_value FROM documents_id_seq").trim(),
        "8"
    );
}

#[test]
fn fails_closed() {
    let db = Db::start();
    documents(&db);
    let dir = tempfile::tempdir().unwrap();
    let decl = declaration(&dir, WIDER);
    let base = [
        "plan",
        "--from",
        db.url.as_str(),
        "--to",
        decl.as_str(),
        "--impact",
    ];
    let run = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let out = cli(&args);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // a setting the predicates read, not given: no count under a setting the role never has
    let (code, err) = run(&["--role", "app_user"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("public.documents, policy \"tenant_isolation\", USING"),
        "{err}"
    );
    assert!(err.contains("\"app.tenant_id\""), "{err}");
    // an unknown role
    let (code, err) = run(&["--role", "nobody", "--setting", "app.tenant_id=1"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("role \"nobody\" does not exist"), "{err}");
    // a malformed setting, and a built-in one
    let (code, err) = run(&["--role", "app_user", "--setting", "app.tenant_id"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("expected name=value"), "{err}");
    let (code, _) = run(&["--role", "app_user", "--setting", "search_path=evil"]);
    assert_eq!(code, Some(1));
    // --impact needs a role, and a database to count on
    let (code, _) = run(&[]);
    assert_eq!(code, Some(64));
    let out = cli(&[
        "plan", "--from", &decl, "--to", &decl, "--impact", "--role", "app_user",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from must be a postgres URL"));

    // a connecting role that RLS filters would count a part of the table: refused
    db.sql(
        "CREATE ROLE reader LOGIN; GRANT app_user TO reader;
         GRANT SELECT ON documents TO reader;",
    );
    let reader_url = db.url.replace("postgres@", "reader@");
    let out = cli(&[
        "plan",
        "--from",
        &reader_url,
        "--to",
        &decl,
        "--impact",
        "--role",
        "app_user",
        "--setting",
        "app.tenant_id=2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("must not be filtered by RLS"), "{err}");
    // the same connection may measure once RLS does not filter it
    db.sql("ALTER ROLE reader BYPASSRLS");
    let out = cli(&[
        "plan",
        "--from",
        &reader_url,
        "--to",
        &decl,
        "--impact",
        "--role",
        "app_user",
        "--setting",
        "app.tenant_id=2",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The core refuses an expression that is not exactly one expression, whoever built the
/// schema (a binding, a test): it is never put between parentheses and run.
#[test]
fn an_expression_that_escapes_its_parentheses_is_refused() {
    fn policy(d: &mut pgpolicy::Schema) -> &mut pgpolicy::Policy {
        &mut d
            .tables
            .iter_mut()
            .find(|t| t.name == "documents")
            .unwrap()
            .policies[0]
    }
    use pgpolicy::impact::{plan_impact, ImpactOptions};
    let db = Db::start();
    documents(&db);
    let mut conn = pgpolicy::introspect::LiveDb::connect(&db.url).unwrap();
    let current = conn.introspect(&[]).unwrap();
    let mut desired = current.clone();
    policy(&mut desired).using = Some("tenant_id > 0".into());
    let plan = pgpolicy::diff(&current, &desired, &Default::default()).unwrap();
    assert!(!plan.is_empty());
    // spliced as `(...) IS TRUE`, this text would close the parenthesis: the fault,
    // reproduced naively, counts every row whatever the first predicate says
    let escape = "false) OR (true";
    let naive = format!("SELECT count(*) FILTER (WHERE ({escape}) IS TRUE) FROM documents");
    assert_eq!(db.sql(&naive).trim(), "8");
    // a schema built past the loaders' validation carries it to the impact
    policy(&mut desired).using = Some(escape.into());
    let opts =
        ImpactOptions::new("app_user", vec![("app.tenant_id".into(), "1".into())], 100).unwrap();
    let timeouts = pgpolicy::session::Timeouts::default();
    let err = plan_impact(
        &mut conn,
        pgpolicy::exec::Scope::Transaction,
        &timeouts,
        &current,
        &desired,
        &plan,
        &opts,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("public.documents, policy \"tenant_isolation\", USING"),
        "{err}"
    );
}

#[test]
fn samples_above_the_limit_and_says_so() {
    let db = Db::start();
    documents(&db);
    db.sql(
        "INSERT INTO documents (tenant_id, owner, title) SELECT 2, 'z', 't' || g FROM generate_series(1, 492) g;",
    );
    let dir = tempfile::tempdir().unwrap();
    let decl = declaration(&dir, WIDER);
    // never analyzed: the planner knows no row count, so the rows are counted
    let impact = impact_json(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        &decl,
        "--impact",
        "--role",
        "app_user",
        "--setting",
        "app.tenant_id=2",
        "--sample-limit",
        "50",
        "--format",
        "json",
    ]);
    let t = &impact["tables"][0];
    assert_eq!(
        (
            t["sampled"].clone(),
            t["rows"].clone(),
            t["rows_estimated"].clone()
        ),
        (true.into(), 500.into(), false.into()),
        "{t}"
    );
    db.sql("ANALYZE documents");
    let impact = impact_json(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        &decl,
        "--impact",
        "--role",
        "app_user",
        "--setting",
        "app.tenant_id=2",
        "--sample-limit",
        "50",
        "--format",
        "json",
    ]);
    assert_eq!(impact["sample_limit"], 50);
    let t = &impact["tables"][0];
    assert_eq!(t["sampled"], true, "{t}");
    assert_eq!(t["rows"], 500, "{t}");
    assert_eq!(t["rows_estimated"], true, "{t}");
    let n = t["evaluated"].as_u64().unwrap();
    assert!(n > 0 && n <= 50, "{t}");
    let c = check(t, "select");
    assert_eq!(c["after"]["rows"].as_u64().unwrap(), n, "{c}");
    let text = cli_ok(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        &decl,
        "--impact",
        "--role",
        "app_user",
        "--setting",
        "app.tenant_id=2",
        "--sample-limit",
        "50",
    ]);
    assert!(
        text.contains(&format!("a sample of {n} evaluated (limit 50)")),
        "{text}"
    );
}

/// A plan that changes only a role (BYPASSRLS) touches no table by name; the tables whose
/// rule for the role changes are measured all the same.
#[test]
fn a_role_change_reaches_the_tables_it_opens() {
    let db = Db::start();
    documents(&db);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.json");
    std::fs::write(
        &path,
        r#"{"roles": [{"name": "app_user", "bypassrls": true}, {"name": "app_admin", "bypassrls": true}],
            "grants": [
              {"table": "documents", "role": "app_user", "privileges": ["SELECT", "INSERT", "UPDATE", "DELETE"], "sequences": false},
              {"table": "documents", "role": "app_admin", "privileges": ["SELECT", "INSERT", "UPDATE", "DELETE"], "sequences": false}],
            "tables": [{"name": "documents", "rls": {"enabled": true},
              "policies": [{"name": "tenant_isolation", "using": "tenant_id = current_setting('app.tenant_id')::integer"}]}]}"#,
    )
    .unwrap();
    let decl = path.display().to_string();
    let out = cli_ok(&["plan", "--from", &db.url, "--to", &decl, "--format", "json"]);
    let plan: Value = serde_json::from_str(&out).unwrap();
    let kinds: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["change"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["alter_role"], "{out}");
    let impact = impact_json(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        &decl,
        "--impact",
        "--role",
        "app_user",
        "--setting",
        "app.tenant_id=2",
        "--format",
        "json",
    ]);
    let c = check(&impact["tables"][0], "select");
    assert_eq!(impact["tables"][0]["table"], "public.documents");
    assert_eq!(c["before"]["verdict"], "filtered");
    assert_eq!(c["after"]["verdict"], "bypass");
    assert_eq!(
        (c["gained"].clone(), c["lost"].clone()),
        (3.into(), 0.into())
    );
}
