//! Roles are cluster-wide, migrations per database: the same plan runs on two databases
//! of one cluster and is undone on both; only a role a plan created is dropped, and only
//! once nothing depends on it.

mod common;

use common::*;
use pgpolicy::introspect::LiveDb;
use pgpolicy::{DiffOptions, Schema};

fn declared() -> Schema {
    Schema::from_json(
        &serde_json::json!({
            "tables": [{"name": "docs", "rls": {"enabled": true},
                "policies": [{"name": "own", "roles": ["app_user"], "using": "owner = current_user", "with_check": "owner = current_user"}]}],
            "roles": [
                {"name": "app_admin", "login": true, "connection_limit": 3},
                {"name": "app_user", "login": true, "member_of": ["app_admin"]},
                {"name": "auditor"}
            ],
            "grants": [
                {"table": "docs", "role": "app_user", "privileges": ["SELECT", "INSERT"]},
                {"table": "docs", "role": "app_admin", "privileges": ["SELECT"]},
                {"table": "docs", "role": "auditor", "privileges": ["SELECT"]}
            ]
        })
        .to_string(),
    )
    .unwrap()
}

fn roles(db: &Db) -> String {
    db.sql(
        "SELECT string_agg(rolname || ':' || rolconnlimit, ',' ORDER BY rolname) FROM pg_roles \
         WHERE rolname IN ('app_admin', 'app_user', 'auditor')",
    )
    .trim()
    .to_string()
}

#[test]
fn one_plan_runs_on_two_databases_and_is_undone_on_both() {
    let db = Db::start();
    let url2 = db.cluster.create_database("app2").unwrap();
    let table = "CREATE TABLE docs (id serial PRIMARY KEY, owner text)";
    db.sql(table);
    db.cluster.psql("app2", table).unwrap();

    let declared = declared();
    let mut one = LiveDb::connect(&db.url).unwrap();
    let current = one.introspect(&declared.schema_names()).unwrap();
    let plan =
        pgpolicy::diff_with(&current, &declared, &DiffOptions::default(), Some(&mut one)).unwrap();
    // The migration was written before someone created `auditor` by hand: that role is
    // theirs, and undoing the migration must leave it.
    db.sql("CREATE ROLE auditor CONNECTION LIMIT 7");

    one.apply(&plan).unwrap();
    let mut two = LiveDb::connect(&url2).unwrap();
    // The roles exist now: the second database's run brings their attributes to the
    // declared state instead of failing.
    two.apply(&plan).unwrap();
    assert_eq!(roles(&db), "app_admin:3,app_user:-1,auditor:7");
    for database in ["app", "app2"] {
        db.cluster
            .psql(
                database,
                "SET ROLE app_user; INSERT INTO docs (owner) VALUES ('app_user')",
            )
            .unwrap();
        let live = &mut LiveDb::connect(&db.cluster.url(database)).unwrap();
        let current = live.introspect(&declared.schema_names()).unwrap();
        let again =
            pgpolicy::diff_with(&current, &declared, &DiffOptions::default(), Some(live)).unwrap();
        assert!(again.is_empty(), "{database}: {}", again.sql());
    }

    // Undone on the first database: the roles still hold privileges in the second, so
    // they are kept (a NOTICE says so) and the undo does not fail.
    one.apply(&plan.reverse()).unwrap();
    assert_eq!(roles(&db), "app_admin:3,app_user:-1,auditor:7");
    // Undone on the second: nothing depends on the roles any more; the two this plan
    // created are dropped, the one created by hand is kept.
    two.apply(&plan.reverse()).unwrap();
    assert_eq!(roles(&db), "auditor:7");
}

#[test]
fn role_attributes_are_diffed_and_passwords_never_read() {
    let (schema, warnings) = pgpolicy::sql::read::read_sql(
        "CREATE ROLE app LOGIN PASSWORD 'hunter2' CONNECTION LIMIT 10;\n\
         CREATE ROLE admin BYPASSRLS;",
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let json = schema.to_json();
    assert!(!json.contains("hunter2"), "{json}");
    assert_eq!(schema.role("app").unwrap().connection_limit, Some(10));

    let db = Db::start();
    db.sql("CREATE ROLE app LOGIN CONNECTION LIMIT 2; CREATE ROLE admin");
    let mut live = LiveDb::connect(&db.url).unwrap();
    let current = live.introspect(&[]).unwrap();
    let plan =
        pgpolicy::diff_with(&current, &schema, &DiffOptions::default(), Some(&mut live)).unwrap();
    assert_eq!(
        plan.statements(),
        [
            "ALTER ROLE app WITH LOGIN INHERIT NOBYPASSRLS CONNECTION LIMIT 10",
            "ALTER ROLE admin WITH NOLOGIN INHERIT BYPASSRLS",
        ]
    );
    assert!(!plan.sql().contains("hunter2"));
    // BYPASSRLS weakens protection: apply refuses it unless allowed.
    let refused = plan.check_weakening(false).unwrap_err().to_string();
    assert!(
        refused.contains("gives role \"admin\" BYPASSRLS"),
        "{refused}"
    );
    live.apply(&plan).unwrap();
    live.apply(&plan.reverse()).unwrap();
    assert_eq!(
        db.sql("SELECT rolconnlimit::text || rolbypassrls::text FROM pg_roles WHERE rolname IN ('app', 'admin') ORDER BY rolname")
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["-1false", "2false"]
    );
}
