//! Privileges beyond tables, against a real PostgreSQL: sequences (and the owned sequences
//! a table's INSERT carries), schemas, functions (EXECUTE revoked from PUBLIC), columns and
//! the grant option; applied, read back as declared, and undone exactly.

mod common;

use common::*;
use pgpolicy::introspect::LiveDb;
use pgpolicy::{DiffOptions, Plan, Schema};

fn json(v: serde_json::Value) -> Schema {
    Schema::from_json(&v.to_string()).unwrap()
}

fn plan(live: &mut LiveDb, declared: &Schema) -> Plan {
    let current = live.introspect(&declared.schema_names()).unwrap();
    pgpolicy::diff_with(&current, declared, &DiffOptions::default(), Some(live)).unwrap()
}

/// The guides' app: a table with a serial id and one with an identity id, an app role
/// granted INSERT and SELECT on both and USAGE on their schema, nothing else.
fn app_declaration(sequences: bool) -> Schema {
    json(serde_json::json!({
        "tables": [
            {"schema": "app", "name": "documents", "rls": {"enabled": true},
             "policies": [{"name": "all_rows", "roles": ["app_user"], "using": "true", "with_check": "true"}]},
            {"schema": "app", "name": "tenants"}
        ],
        "roles": [{"name": "app_user", "login": true}],
        "grants": [
            {"schema": "app", "role": "app_user", "privileges": ["USAGE"]},
            {"schema": "app", "table": "documents", "role": "app_user", "privileges": ["SELECT", "INSERT"], "sequences": sequences},
            {"schema": "app", "table": "tenants", "role": "app_user", "privileges": ["SELECT", "INSERT"], "sequences": sequences}
        ]
    }))
}

fn create_app_tables(db: &Db) {
    db.sql(
        "CREATE SCHEMA app; \
         CREATE TABLE app.documents (id serial PRIMARY KEY, title text); \
         CREATE TABLE app.tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text)",
    );
}

#[test]
fn an_app_role_inserts_with_only_its_declared_grants_and_is_dropped_cleanly() {
    let db = Db::start();
    create_app_tables(&db);
    let declared = app_declaration(true);
    let mut live = LiveDb::connect(&db.url).unwrap();
    let p = plan(&mut live, &declared);
    let sql = p.statements().join(";\n");
    assert!(
        sql.contains("GRANT USAGE ON SCHEMA app TO app_user"),
        "{sql}"
    );
    assert!(
        sql.contains("GRANT SELECT, INSERT ON TABLE app.documents TO app_user"),
        "{sql}"
    );
    assert!(sql.contains("DO $seq$"), "{sql}");
    live.apply(&p).unwrap();

    // The app role inserts into both tables: its ids come from sequences it was given
    // USAGE on with the table's INSERT.
    db.sql(
        "SET ROLE app_user; \
         INSERT INTO app.documents (title) VALUES ('a'); \
         INSERT INTO app.tenants (name) VALUES ('t'); RESET ROLE",
    );
    assert_eq!(db.sql("SELECT count(*) FROM app.documents").trim(), "1");

    // What the database has now reads back as the declaration: nothing left to do.
    let again = plan(&mut live, &declared);
    assert!(again.is_empty(), "{}", again.sql());

    // Undone: the sequences' USAGE goes with the INSERT, and the role is dropped.
    live.apply(&p.reverse()).unwrap();
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'app_user'")
            .trim(),
        "0"
    );
}

#[test]
fn opting_out_of_owned_sequences_leaves_them_alone() {
    let db = Db::start();
    create_app_tables(&db);
    let declared = app_declaration(false);
    let mut live = LiveDb::connect(&db.url).unwrap();
    let p = plan(&mut live, &declared);
    assert!(
        !p.statements().join("\n").contains("SEQUENCE"),
        "{}",
        p.sql()
    );
    live.apply(&p).unwrap();
    let denied = db
        .try_sql("SET ROLE app_user; INSERT INTO app.documents (title) VALUES ('a')")
        .unwrap_err();
    assert!(
        denied.contains("permission denied for sequence documents_id_seq"),
        "{denied}"
    );
    live.apply(&p.reverse()).unwrap();
}

#[test]
fn function_execute_revoked_from_public_round_trips() {
    let db = Db::start();
    db.sql(
        "CREATE SCHEMA auth; GRANT USAGE ON SCHEMA auth TO PUBLIC; CREATE ROLE app_user; CREATE ROLE other; \
         CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT NULL::uuid $$; \
         CREATE FUNCTION public.has_role(account uuid, role_name varchar) RETURNS boolean \
           LANGUAGE sql STABLE SECURITY DEFINER AS $$ SELECT true $$",
    );
    let (declared, warnings) = pgpolicy::sql::read::read_sql(
        "REVOKE EXECUTE ON FUNCTION auth.uid() FROM PUBLIC;\n\
         GRANT EXECUTE ON FUNCTION auth.uid() TO app_user;\n\
         REVOKE ALL ON FUNCTION public.has_role(uuid, text) FROM PUBLIC;\n\
         GRANT EXECUTE ON FUNCTION public.has_role(a uuid, b character varying(10)) TO app_user WITH GRANT OPTION;\n",
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut declared = declared;
    declared.normalize();
    let mut live = LiveDb::connect(&db.url).unwrap();
    let p = plan(&mut live, &declared);
    assert_eq!(
        p.statements(),
        [
            "GRANT EXECUTE ON ROUTINE auth.uid() TO app_user",
            "GRANT EXECUTE ON ROUTINE public.has_role(uuid, character varying) TO app_user WITH GRANT OPTION",
            "REVOKE EXECUTE ON ROUTINE auth.uid() FROM PUBLIC",
        ],
        "{}",
        p.sql()
    );
    // has_role(uuid, text) does not exist: its REVOKE names no function of the database,
    // so it changes nothing (the declared one is (uuid, character varying)).
    live.apply(&p).unwrap();
    let denied = db.try_sql("SET ROLE other; SELECT auth.uid()").unwrap_err();
    assert!(
        denied.contains("permission denied for function uid"),
        "{denied}"
    );
    db.sql("SET ROLE app_user; SELECT auth.uid()");
    assert!(plan(&mut live, &declared).is_empty());

    live.apply(&p.reverse()).unwrap();
    db.sql("SET ROLE other; SELECT auth.uid()");
    let after = live.introspect(&["auth".into(), "public".into()]).unwrap();
    assert!(
        !after
            .grants
            .iter()
            .any(|g| g.role.name() == Some("app_user")),
        "{:?}",
        after.grants
    );
}

#[test]
fn column_grants_and_grant_options_change_in_place_and_reverse_exactly() {
    let db = Db::start();
    db.sql(
        "CREATE TABLE docs (id int, title text, body text, secret text); \
         CREATE SEQUENCE counter; CREATE ROLE reader; CREATE ROLE editor",
    );
    let v1 = json(serde_json::json!({
        "tables": [{"name": "docs"}],
        "grants": [
            {"table": "docs", "columns": ["title", "body"], "role": "reader", "privileges": ["SELECT"]},
            {"table": "docs", "role": "editor", "privileges": ["SELECT", "UPDATE"], "grant_option": true},
            {"sequence": "counter", "role": "editor", "privileges": ["USAGE", "SELECT"]}
        ]
    }));
    let mut live = LiveDb::connect(&db.url).unwrap();
    let p1 = plan(&mut live, &v1);
    assert_eq!(
        p1.statements(),
        [
            "GRANT SELECT, UPDATE ON TABLE public.docs TO editor WITH GRANT OPTION",
            "GRANT SELECT (body, title) ON TABLE public.docs TO reader",
            "GRANT SELECT, USAGE ON SEQUENCE public.counter TO editor",
        ],
        "{}",
        p1.sql()
    );
    live.apply(&p1).unwrap();
    assert!(plan(&mut live, &v1).is_empty());
    let denied = db
        .try_sql("SET ROLE reader; SELECT secret FROM docs")
        .unwrap_err();
    assert!(denied.contains("permission denied"), "{denied}");
    db.sql("SET ROLE reader; SELECT title, body FROM docs");

    // The grant option goes, UPDATE goes, a column is added; the sequence is not named
    // any more, so its grants are left as they are.
    let v2 = json(serde_json::json!({
        "tables": [{"name": "docs"}],
        "grants": [
            {"table": "docs", "columns": ["title", "body", "id"], "role": "reader", "privileges": ["SELECT"]},
            {"table": "docs", "role": "editor", "privileges": ["SELECT"]}
        ]
    }));
    let before = cli_ok(&["inspect", &db.url]);
    let p2 = plan(&mut live, &v2);
    assert_eq!(
        p2.statements(),
        [
            "GRANT SELECT (id) ON TABLE public.docs TO reader",
            "REVOKE GRANT OPTION FOR SELECT ON TABLE public.docs FROM editor",
            "REVOKE UPDATE ON TABLE public.docs FROM editor",
        ],
        "{}",
        p2.sql()
    );
    live.apply(&p2).unwrap();
    assert!(plan(&mut live, &v2).is_empty());
    live.apply(&p2.reverse()).unwrap();
    assert_eq!(cli_ok(&["inspect", &db.url]), before);
    assert!(plan(&mut live, &v1).is_empty());
}

#[test]
fn hostile_names_in_grants_are_quoted() {
    let db = Db::start();
    let declared = json(serde_json::json!({
        "tables": [{"schema": "s$seq$x", "name": "t'); DROP TABLE x; --"}],
        "roles": [{"name": "r\"; DROP ROLE postgres; --"}],
        "grants": [
            {"schema": "s$seq$x", "role": "r\"; DROP ROLE postgres; --", "privileges": ["USAGE"]},
            {"schema": "s$seq$x", "table": "t'); DROP TABLE x; --", "role": "r\"; DROP ROLE postgres; --", "privileges": ["INSERT"]}
        ]
    }));
    db.sql(
        "CREATE TABLE x (id int); CREATE SCHEMA \"s$seq$x\"; \
         CREATE TABLE \"s$seq$x\".\"t'); DROP TABLE x; --\" (id serial)",
    );
    let mut live = LiveDb::connect(&db.url).unwrap();
    let p = plan(&mut live, &declared);
    let sql = p.statements().join("\n");
    assert!(sql.contains("DO $seq1$"), "{sql}");
    live.apply(&p).unwrap();
    db.sql(
        "SET ROLE \"r\"\"; DROP ROLE postgres; --\"; \
         INSERT INTO \"s$seq$x\".\"t'); DROP TABLE x; --\" DEFAULT VALUES",
    );
    assert!(plan(&mut live, &declared).is_empty());
    live.apply(&p.reverse()).unwrap();
    assert_eq!(db.sql("SELECT count(*) FROM x").trim(), "0");
}

#[test]
fn default_privileges_apply_to_later_objects_and_reverse_exactly() {
    let db = Db::start();
    db.sql("CREATE SCHEMA app; CREATE ROLE app_user; CREATE ROLE app_owner; GRANT USAGE ON SCHEMA app TO app_user");
    let (mut declared, warnings) = pgpolicy::sql::read::read_sql(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT, INSERT ON TABLES TO app_user;\n\
         ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\n\
         ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA app GRANT USAGE ON SEQUENCES TO app_user WITH GRANT OPTION;\n",
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    declared.normalize();
    let mut live = LiveDb::connect(&db.url).unwrap();
    let p = plan(&mut live, &declared);
    assert_eq!(
        p.statements(),
        [
            "ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA app GRANT USAGE ON SEQUENCES TO app_user WITH GRANT OPTION",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT, INSERT ON TABLES TO app_user",
            "ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON ROUTINES FROM PUBLIC",
        ],
        "{}",
        p.sql()
    );
    live.apply(&p).unwrap();
    // Objects created afterwards get them.
    db.sql(
        "CREATE TABLE app.later (id int); \
         CREATE FUNCTION public.later_fn() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
    );
    db.sql("SET ROLE app_user; SELECT * FROM app.later");
    let denied = db
        .try_sql("SET ROLE app_user; SELECT public.later_fn()")
        .unwrap_err();
    assert!(
        denied.contains("permission denied for function later_fn"),
        "{denied}"
    );
    assert!(plan(&mut live, &declared).is_empty());

    live.apply(&p.reverse()).unwrap();
    assert_eq!(db.sql("SELECT count(*) FROM pg_default_acl").trim(), "0");
}

/// A grant option the grantee used: PostgreSQL refuses the REVOKE without CASCADE.
/// pgpolicy does not cascade (it would take the privilege from a role the plan does not
/// name, beyond what its reverse could give back): the plan names the risk, the apply
/// fails with nothing applied and says what to do, and runs once those grants are gone.
#[test]
fn a_grant_option_used_onward_is_not_revoked_with_cascade() {
    let db = Db::start();
    db.sql("CREATE TABLE docs (id int); CREATE ROLE app_admin; CREATE ROLE app_reader");
    let with_option = json(serde_json::json!({
        "tables": [{"name": "docs"}],
        "grants": [{"table": "docs", "role": "app_admin", "privileges": ["SELECT"], "grant_option": true}]
    }));
    let mut live = LiveDb::connect(&db.url).unwrap();
    let p = plan(&mut live, &with_option);
    live.apply(&p).unwrap();
    db.sql("SET ROLE app_admin; GRANT SELECT ON docs TO app_reader");

    let without = json(serde_json::json!({
        "tables": [{"name": "docs"}],
        "grants": [{"table": "docs", "role": "app_admin", "privileges": ["SELECT"]}]
    }));
    let p = plan(&mut live, &without);
    assert_eq!(
        p.statements(),
        ["REVOKE GRANT OPTION FOR SELECT ON TABLE public.docs FROM app_admin"]
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("does not revoke with CASCADE")),
        "{:?}",
        p.warnings
    );
    let err = live.apply(&p).unwrap_err().to_string();
    assert!(
        err.contains("nothing was applied")
            && err.contains("granted these privileges onward")
            && err.contains("REVOKE ... CASCADE by hand"),
        "{err}"
    );
    let acl = || db.sql("SELECT relacl::text FROM pg_class WHERE relname = 'docs'");
    assert!(acl().contains("app_admin=r*/"), "{}", acl());
    assert!(acl().contains("app_reader=r/app_admin"), "{}", acl());

    db.sql("SET ROLE app_admin; REVOKE SELECT ON docs FROM app_reader");
    live.apply(&p).unwrap();
    assert!(
        acl().contains("app_admin=r/") && !acl().contains("app_reader"),
        "{}",
        acl()
    );
    live.apply(&p.reverse()).unwrap();
    assert!(acl().contains("app_admin=r*/"), "{}", acl());
}
