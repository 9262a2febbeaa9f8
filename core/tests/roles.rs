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

fn server_major(db: &Db) -> u32 {
    db.sql("SHOW server_version_num")
        .trim()
        .parse::<u32>()
        .unwrap()
        / 10000
}

fn membership(db: &Db) -> String {
    // One row per grantor on 16; the plan runs as one role, so one row.
    let cols = if server_major(db) >= 16 {
        "admin_option::text || '/' || inherit_option::text || '/' || set_option::text"
    } else {
        "admin_option::text"
    };
    db.sql(&format!(
        "SELECT coalesce(string_agg({cols}, ','), 'none') FROM pg_auth_members \
         WHERE roleid = 'grp'::regrole AND member = 'mem'::regrole"
    ))
    .trim()
    .to_string()
}

fn plan_against(db: &Db, declared: &Schema) -> Result<pgpolicy::Plan, pgpolicy::Error> {
    let mut live = LiveDb::connect(&db.url).unwrap();
    let current = live.introspect(&[]).unwrap();
    pgpolicy::diff_with(&current, declared, &DiffOptions::default(), Some(&mut live))
}

fn apply(db: &Db, plan: &pgpolicy::Plan) {
    LiveDb::connect(&db.url).unwrap().apply(plan).unwrap();
}

fn with_membership(options: serde_json::Value, inherit: bool) -> Schema {
    let mut m = serde_json::json!({"role": "grp"});
    m.as_object_mut()
        .unwrap()
        .extend(options.as_object().unwrap().clone());
    Schema::from_json(
        &serde_json::json!({"tables": [], "roles": [
            {"name": "grp"},
            {"name": "mem", "inherit": inherit, "member_of": [m]}
        ]})
        .to_string(),
    )
    .unwrap()
}

#[test]
fn membership_admin_option_is_granted_diffed_and_reversed() {
    let db = Db::start();
    let admin = with_membership(serde_json::json!({"admin": true}), true);
    let plan = plan_against(&db, &admin).unwrap();
    assert!(
        plan.statements()
            .contains(&"GRANT grp TO mem WITH ADMIN OPTION".to_string()),
        "{}",
        plan.sql()
    );
    apply(&db, &plan);
    let on16 = server_major(&db) >= 16;
    assert_eq!(
        membership(&db),
        if on16 { "true/true/true" } else { "true" }
    );
    assert!(plan_against(&db, &admin).unwrap().is_empty());

    // Taking the option away keeps the membership.
    let plain = with_membership(serde_json::json!({}), true);
    let plan = plan_against(&db, &plain).unwrap();
    assert_eq!(plan.statements(), ["REVOKE ADMIN OPTION FOR grp FROM mem"]);
    apply(&db, &plan);
    assert_eq!(
        membership(&db),
        if on16 { "false/true/true" } else { "false" }
    );
    apply(&db, &plan.reverse());
    assert_eq!(
        membership(&db),
        if on16 { "true/true/true" } else { "true" }
    );
    // The JSON form carries the options (inspect, then plan from the file).
    let json = plan.reverse().to_json();
    assert!(json.contains(r#""admin": true"#), "{json}");
}

#[test]
fn membership_inherit_and_set_options_on_16_are_an_error_before() {
    let db = Db::start();
    let declared = with_membership(serde_json::json!({"inherit": false, "set": false}), true);
    if server_major(&db) < 16 {
        let err = plan_against(&db, &declared).unwrap_err();
        assert_eq!(err.code(), "MEMBERSHIP_OPTION_NEEDS_16");
        let msg = err.to_string();
        assert!(
            msg.contains("role \"mem\"")
                && msg.contains("\"grp\"")
                && msg.contains("INHERIT FALSE and SET FALSE"),
            "{msg}"
        );
        // Declaring the defaults is no error.
        let defaults = with_membership(serde_json::json!({"inherit": true, "set": true}), true);
        assert!(plan_against(&db, &defaults).is_ok());
        // A plan made without the database (between declarations) fails as clearly when it
        // runs, with nothing applied.
        let offline =
            pgpolicy::diff(&Schema::default(), &declared, &DiffOptions::default()).unwrap();
        let err = LiveDb::connect(&db.url)
            .unwrap()
            .apply(&offline)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("nothing was applied")
                && err.contains("role mem: its membership in grp declares INHERIT or SET options, which need PostgreSQL 16"),
            "{err}"
        );
        assert_eq!(
            db.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'mem'")
                .trim(),
            "0"
        );
        return;
    }
    let plan = plan_against(&db, &declared).unwrap();
    assert!(
        plan.statements()
            .iter()
            .any(|s| s.contains("EXECUTE 'GRANT grp TO mem WITH INHERIT FALSE, SET FALSE'")),
        "{}",
        plan.sql()
    );
    apply(&db, &plan);
    assert_eq!(membership(&db), "false/false/false");
    assert!(plan_against(&db, &declared).unwrap().is_empty());

    // SET back to true, ADMIN added: one statement each, reversed exactly.
    let changed = with_membership(serde_json::json!({"inherit": false, "admin": true}), true);
    let plan = plan_against(&db, &changed).unwrap();
    let st = plan.statements();
    assert_eq!(st.len(), 2, "{}", plan.sql());
    assert_eq!(st[0], "GRANT grp TO mem WITH ADMIN OPTION");
    assert!(
        st[1].contains("EXECUTE 'GRANT grp TO mem WITH SET TRUE'"),
        "{}",
        st[1]
    );
    apply(&db, &plan);
    assert_eq!(membership(&db), "true/false/true");
    assert!(plan_against(&db, &changed).unwrap().is_empty());
    apply(&db, &plan.reverse());
    assert_eq!(membership(&db), "false/false/false");

    // The member's INHERIT attribute changes; a membership without a declared option
    // follows it (PostgreSQL 16 does not change existing memberships with the attribute).
    let plain = with_membership(serde_json::json!({}), true);
    apply(&db, &plan_against(&db, &plain).unwrap());
    assert_eq!(membership(&db), "false/true/true");
    let noinherit = with_membership(serde_json::json!({}), false);
    let plan = plan_against(&db, &noinherit).unwrap();
    assert!(
        plan.statements()
            .iter()
            .any(|s| s.contains("EXECUTE 'GRANT grp TO mem WITH INHERIT FALSE'")),
        "{}",
        plan.sql()
    );
    apply(&db, &plan);
    assert_eq!(membership(&db), "false/false/true");
    assert!(plan_against(&db, &noinherit).unwrap().is_empty());
}

#[test]
fn membership_options_are_read_from_sql_and_json() {
    let (schema, warnings) = pgpolicy::sql::read::read_sql(
        "CREATE ROLE grp;\nCREATE ROLE mem;\n\
         GRANT grp TO mem WITH ADMIN OPTION, INHERIT FALSE, SET TRUE GRANTED BY CURRENT_USER;",
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut schema = schema;
    schema.normalize();
    let mem = schema.role("mem").unwrap();
    assert_eq!(mem.member_of, ["grp"]);
    let o = mem.options_in("grp");
    // SET TRUE is the default: not kept.
    assert_eq!((o.admin, o.inherit, o.set), (true, Some(false), None));
    let again = Schema::from_json(&schema.to_json()).unwrap();
    assert_eq!(again.role("mem"), schema.role("mem"));

    let bad = pgpolicy::sql::read::read_sql(
        "CREATE ROLE grp;\nCREATE ROLE mem;\nGRANT grp TO mem WITH INHERIT MAYBE;",
    );
    let msg = format!("{bad:?}");
    assert!(msg.contains("expected OPTION, TRUE or FALSE"), "{msg}");

    let err = Schema::from_json(
        r#"{"tables": [], "roles": [{"name": "grp"}, {"name": "mem", "membership_options": {"grp": {"admin": true}}}]}"#,
    )
    .and_then(|s| pgpolicy::diff(&Schema::default(), &s, &DiffOptions::default()))
    .unwrap_err();
    assert_eq!(err.code(), "MEMBERSHIP_OPTIONS_WITHOUT_MEMBERSHIP", "{err}");
}

fn reporting(db: &Db) -> String {
    db.sql(
        "SELECT rolcanlogin::text || ' ' || rolconnlimit || ' ' || coalesce(shobj_description(oid, 'pg_authid'), '-') \
         FROM pg_roles WHERE rolname = 'reporting'",
    )
    .trim()
    .to_string()
}

#[test]
fn a_role_that_existed_before_gets_its_attributes_back_when_the_last_database_lets_go() {
    let db = Db::start();
    let url2 = db.cluster.create_database("app2").unwrap();
    // The plan was written where the role did not exist (a fresh development database):
    // it creates the role. Where the migration runs, someone made it before.
    let declared = Schema::from_json(
        &serde_json::json!({"tables": [], "roles": [
            {"name": "reporting", "login": true, "connection_limit": 3}
        ]})
        .to_string(),
    )
    .unwrap();
    let plan = pgpolicy::diff(&Schema::default(), &declared, &DiffOptions::default()).unwrap();
    assert!(matches!(
        plan.changes[..],
        [pgpolicy::Change::CreateRole { .. }]
    ));
    db.sql("CREATE ROLE reporting NOLOGIN CONNECTION LIMIT 7; COMMENT ON ROLE reporting IS 'the data team''s'");

    let mut one = LiveDb::connect(&db.url).unwrap();
    let mut two = LiveDb::connect(&url2).unwrap();
    one.apply(&plan).unwrap();
    two.apply(&plan).unwrap();
    let state = reporting(&db);
    assert!(state.starts_with("true 3 pgpolicy restores: "), "{state}");
    assert!(state.contains(r#""databases": ["app", "app2"]"#), "{state}");

    // Undone on the first database: the second still relies on the attributes.
    one.apply(&plan.reverse()).unwrap();
    let state = reporting(&db);
    assert!(state.starts_with("true 3 pgpolicy restores: "), "{state}");
    assert!(state.contains(r#""databases": ["app2"]"#), "{state}");
    // Undone on the last one: the role is kept (it is not pgpolicy's), with the attributes
    // and the comment it had.
    two.apply(&plan.reverse()).unwrap();
    assert_eq!(reporting(&db), "false 7 the data team's");

    // A role whose attributes a run does not change is not marked, and is left as it is.
    db.sql("ALTER ROLE reporting LOGIN CONNECTION LIMIT 3");
    one.apply(&plan).unwrap();
    assert_eq!(reporting(&db), "true 3 the data team's");
    one.apply(&plan.reverse()).unwrap();
    assert_eq!(reporting(&db), "true 3 the data team's");
}

#[test]
fn a_membership_without_inherit_gives_no_privileges_in_explain() {
    let schema = Schema::from_json(
        &serde_json::json!({
            "tables": [{"name": "docs", "rls": {"enabled": true},
                "policies": [{"name": "read", "command": "SELECT", "roles": ["readers"], "using": "true"}]}],
            "roles": [
                {"name": "readers"},
                {"name": "m1", "member_of": ["readers"]},
                {"name": "m2", "member_of": [{"role": "readers", "inherit": false}]}
            ],
            "grants": [{"table": "docs", "role": "readers", "privileges": ["SELECT"]}]
        })
        .to_string(),
    )
    .unwrap();
    let verdict = |role: &str| {
        let ex = pgpolicy::explain::explain(
            &schema,
            None,
            "docs",
            Some(role),
            Some(pgpolicy::Command::Select),
        )
        .unwrap();
        ex.entries[0].verdict.clone()
    };
    assert_eq!(verdict("m1"), pgpolicy::explain::Verdict::Filtered);
    assert_eq!(verdict("m2"), pgpolicy::explain::Verdict::NoPrivilege);
}
