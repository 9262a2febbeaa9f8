//! The guides' scenarios end to end through the CLI: plan from empty, apply, tenant
//! isolation as a non-owner role, and an empty plan from the database afterwards.

mod common;

use common::*;
use pgpolicy::Schema;

/// Runs `query` as `role` in a transaction with `app.current_tenant` set locally and
/// returns the last line of output.
fn as_tenant(db: &Db, role: &str, tenant: &str, query: &str) -> String {
    let out = db.sql(&format!(
        "BEGIN; SET LOCAL ROLE {role}; SELECT set_config('app.current_tenant', '{tenant}', true); {query}; COMMIT;"
    ));
    out.lines()
        .rfind(|l| !l.is_empty())
        .unwrap_or("")
        .to_string()
}

fn scenario(
    declaration: &str,
    schema: &Schema,
    table_sql: &str,
    seed: &str,
    check: &[(&str, &str)],
) {
    let db = Db::start();
    create_tables(&db, schema);
    db.sql("CREATE ROLE app_user LOGIN");
    db.sql(&format!("GRANT SELECT, INSERT ON {table_sql} TO app_user"));
    db.sql(seed);

    let plan = cli_ok(&["plan", "--from", "empty", "--to", declaration]);
    assert!(plan.contains("CREATE POLICY"), "{plan}");
    assert!(plan.contains("ENABLE ROW LEVEL SECURITY"), "{plan}");
    db.sql(&plan);

    for (tenant, expected) in check {
        let seen = as_tenant(
            &db,
            "app_user",
            tenant,
            &format!("SELECT string_agg(name, ',' ORDER BY name) FROM {table_sql}"),
        );
        assert_eq!(&seen, expected, "tenant {tenant}");
    }

    // The database now holds what is declared: nothing to do, and --exit-code says so.
    let again = cli(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        declaration,
        "--exit-code",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        "",
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn model_ir_guide() {
    let decl = fixture("model-ir.json");
    let schema = Schema::from_json(&std::fs::read_to_string(&decl).unwrap()).unwrap();
    let a = "6f1c1d1e-0000-4000-8000-000000000001";
    let b = "6f1c1d1e-0000-4000-8000-000000000002";
    scenario(
        &decl,
        &schema,
        "tenants",
        &format!(
            "INSERT INTO tenants VALUES (gen_random_uuid(), '{a}', 'alpha'), (gen_random_uuid(), '{b}', 'beta'), (gen_random_uuid(), '{a}', 'alpha2')"
        ),
        &[(a, "alpha,alpha2"), (b, "beta")],
    );
}

#[test]
fn sqlalchemy_guide() {
    let decl = fixture("sqlalchemy-schema.sql");
    let (schema, _) = pgpolicy::sql::read_sql_file(decl.as_ref()).unwrap();
    scenario(
        &decl,
        &schema,
        "users",
        "INSERT INTO tenants (id, name) VALUES (1, 'a'), (2, 'b'); INSERT INTO users (name, tenant_id) VALUES ('John', 1), ('Sarah', 2)",
        &[("1", "John"), ("2", "Sarah")],
    );
}

#[test]
fn sequelize_guide() {
    let decl = fixture("sequelize-schema.sql");
    let (schema, _) = pgpolicy::sql::read_sql_file(decl.as_ref()).unwrap();
    scenario(
        &decl,
        &schema,
        "\"Users\"",
        "INSERT INTO \"Tenants\" VALUES (1, 'Tenant A', now(), now()), (2, 'Tenant B', now(), now()); \
         INSERT INTO \"Users\" VALUES (1, 'John Doe', 1, now(), now()), (2, 'Jane Smith', 2, now(), now())",
        &[("1", "John Doe"), ("2", "Jane Smith")],
    );
}

/// The practical guide: one policy per command, a restrictive tenant policy, an admin role
/// with BYPASSRLS, roles and grants declared in the same file.
#[test]
fn practical_guide() {
    let decl = fixture("practical-guide.sql");
    let (schema, warnings) = pgpolicy::sql::read_sql_file(decl.as_ref()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(schema.role("app_admin").unwrap().bypassrls);
    let db = Db::start();
    create_tables(&db, &schema);
    // The declared INSERT on posts carries USAGE on posts_id_seq: app_user inserts with
    // only the declared grants.
    db.sql(&cli_ok(&["plan", "--from", "empty", "--to", &decl]));
    let (t1, t2) = (
        "10000000-0000-4000-8000-000000000001",
        "10000000-0000-4000-8000-000000000002",
    );
    let (alice, bob) = (
        "a0000000-0000-4000-8000-00000000000a",
        "b0000000-0000-4000-8000-00000000000b",
    );
    db.sql(&format!(
        "INSERT INTO posts (tenant_id, author_id, title, status) VALUES \
         ('{t1}', '{alice}', 'alice in t1', 'draft'), ('{t1}', '{bob}', 'bob in t1', 'draft'), ('{t2}', '{alice}', 'alice in t2', 'draft')"
    ));
    let run = |role: &str, tenant: &str, user: &str, sql: &str| {
        db.try_sql(&format!(
            "BEGIN; SET LOCAL ROLE {role}; SELECT set_config('app.tenant_id', '{tenant}', true), \
             set_config('app.current_user_id', '{user}', true); {sql}; COMMIT;"
        ))
        .map(|out| {
            out.lines()
                .rfind(|l| !l.is_empty())
                .unwrap_or("")
                .to_string()
        })
    };
    let titles = "SELECT string_agg(title, ',' ORDER BY title) FROM posts";
    assert_eq!(run("app_user", t1, alice, titles).unwrap(), "alice in t1");
    assert_eq!(run("app_user", t1, bob, titles).unwrap(), "bob in t1");
    assert_eq!(run("app_user", t2, alice, titles).unwrap(), "alice in t2");
    // Writing a post as someone else, or into another tenant, is refused.
    let err = run("app_user", t1, alice, &format!("INSERT INTO posts (tenant_id, author_id, title, status) VALUES ('{t1}', '{bob}', 'forged', 'draft')")).unwrap_err();
    assert!(err.contains("row-level security"), "{err}");
    let err = run("app_user", t1, alice, &format!("INSERT INTO posts (tenant_id, author_id, title, status) VALUES ('{t2}', '{alice}', 'elsewhere', 'draft')")).unwrap_err();
    assert!(err.contains("row-level security"), "{err}");
    // Updates and deletes touch only one's own rows.
    assert_eq!(
        run(
            "app_user",
            t1,
            alice,
            "WITH u AS (UPDATE posts SET status = 'published' RETURNING 1) SELECT count(*) FROM u"
        )
        .unwrap(),
        "1"
    );
    assert_eq!(run("app_user", t1, alice, "WITH d AS (DELETE FROM posts WHERE title = 'bob in t1' RETURNING 1) SELECT count(*) FROM d").unwrap(), "0");
    // The admin role bypasses RLS.
    assert_eq!(
        run("app_admin", t1, alice, "SELECT count(*) FROM posts").unwrap(),
        "3"
    );
    // And the database holds exactly the declaration.
    assert_eq!(cli_ok(&["plan", "--from", &db.url, "--to", &decl]), "");
}
