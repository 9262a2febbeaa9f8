//! Policy helper functions as declared objects, against a real PostgreSQL: created before
//! the policies calling them, compared as `pg_proc` stores them, replaced when their
//! definition changes, and reversed exactly.

mod common;

use common::*;
use pgpolicy::introspect::LiveDb;
use pgpolicy::{Change, DiffOptions, Plan, Schema};

const SOURCE: &str = r#"
CREATE TABLE docs (id serial PRIMARY KEY, owner uuid, body text);
CREATE OR REPLACE FUNCTION current_user_id() RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;
REVOKE EXECUTE ON FUNCTION current_user_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION current_user_id() TO app_user;
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON docs TO app_user USING (owner = current_user_id());
GRANT SELECT, INSERT ON docs TO app_user;
"#;

fn read(src: &str) -> Schema {
    let (mut s, warnings) = pgpolicy::sql::read::read_sql(src).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    s.normalize();
    s
}

fn plan(live: &mut LiveDb, declared: &Schema) -> Plan {
    let current = live.introspect(&declared.schema_names()).unwrap();
    pgpolicy::diff_with(&current, declared, &DiffOptions::default(), Some(live)).unwrap()
}

#[test]
fn a_helper_function_is_created_first_compared_as_stored_and_replaced_exactly() {
    let db = Db::start();
    db.sql(
        "CREATE ROLE app_user; CREATE TABLE docs (id serial PRIMARY KEY, owner uuid, body text)",
    );
    let declared = read(SOURCE);
    assert_eq!(declared.functions.len(), 1);
    let mut live = LiveDb::connect(&db.url).unwrap();
    let p = plan(&mut live, &declared);
    let kinds: Vec<&str> = p
        .changes
        .iter()
        .map(|c| match c {
            Change::CreateFunction { .. } => "create function",
            Change::Grant(_) => "grant",
            Change::CreatePolicy { .. } => "create policy",
            Change::EnableRls { .. } => "enable rls",
            Change::Revoke(_) => "revoke",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "create function",
            "grant",
            "grant",
            "create policy",
            "enable rls",
            "revoke"
        ],
        "{}",
        p.sql()
    );
    assert_eq!(
        p.statements()[0],
        "CREATE OR REPLACE FUNCTION public.current_user_id() RETURNS uuid LANGUAGE sql STABLE \
         SECURITY DEFINER SET search_path TO public, pg_temp AS $fn$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $fn$"
    );
    live.apply(&p).unwrap();
    // The app role sees its rows through the helper.
    db.sql(
        "INSERT INTO docs (owner, body) VALUES \
         ('a0000000-0000-4000-8000-00000000000a', 'mine'), ('b0000000-0000-4000-8000-00000000000b', 'theirs')",
    );
    let seen = db.sql(
        "BEGIN; SET LOCAL ROLE app_user; SELECT set_config('app.user_id', 'a0000000-0000-4000-8000-00000000000a', true); \
         SELECT string_agg(body, ',') FROM docs; COMMIT;",
    );
    assert!(seen.contains("mine") && !seen.contains("theirs"), "{seen}");
    // As stored, the function is what is declared: nothing to do, and the policy calling
    // it is settled offline (its signature is in the catalog).
    let again = plan(&mut live, &declared);
    assert!(again.is_empty(), "{}", again.sql());

    // A changed body (and volatility) is a CREATE OR REPLACE; its reverse restores the
    // function exactly as the database had it.
    let changed = read(
        &SOURCE
            .replace("STABLE SECURITY DEFINER", "VOLATILE SECURITY DEFINER")
            .replace(
                "nullif(current_setting('app.user_id', true), '')::uuid",
                "current_setting('app.user_id')::uuid",
            ),
    );
    let before = db.sql("SELECT pg_get_functiondef('current_user_id()'::regprocedure)");
    let p2 = plan(&mut live, &changed);
    assert_eq!(p2.changes.len(), 1, "{}", p2.sql());
    match &p2.changes[0] {
        Change::ReplaceFunction { changed, .. } => {
            assert_eq!(changed, &["volatility", "body"])
        }
        other => panic!("expected a replacement, got {other:?}"),
    }
    assert!(p2.statements()[0].starts_with("CREATE OR REPLACE FUNCTION public.current_user_id()"));
    live.apply(&p2).unwrap();
    assert!(plan(&mut live, &changed).is_empty());
    assert_ne!(
        db.sql("SELECT pg_get_functiondef('current_user_id()'::regprocedure)"),
        before
    );
    live.apply(&p2.reverse()).unwrap();
    assert_eq!(
        db.sql("SELECT pg_get_functiondef('current_user_id()'::regprocedure)"),
        before
    );

    // Undone: the policy goes first, then the grants, then the function.
    live.apply(&p.reverse()).unwrap();
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_proc WHERE proname = 'current_user_id'")
            .trim(),
        "0"
    );
}

#[test]
fn between_declarations_a_removed_function_is_dropped_after_its_policy() {
    let declared = read(SOURCE);
    let plan = pgpolicy::diff(&declared, &Schema::empty(), &DiffOptions::default()).unwrap();
    let order: Vec<String> = plan
        .statements()
        .into_iter()
        .filter(|s| s.starts_with("DROP") || s.starts_with("REVOKE EXECUTE"))
        .collect();
    assert_eq!(
        order,
        [
            "DROP POLICY own ON public.docs",
            "REVOKE EXECUTE ON ROUTINE public.current_user_id() FROM app_user",
            "DROP FUNCTION public.current_user_id()",
        ]
    );
}

#[test]
fn declared_functions_are_checked() {
    let err = |v: serde_json::Value| Schema::from_json(&v.to_string()).unwrap_err().to_string();
    let e = err(serde_json::json!({"functions": [
        {"name": "f", "arguments": "a int) RETURNS int AS $$ SELECT 1 $$; DROP TABLE x; --", "returns": "int", "body": "SELECT 1"}
    ]}));
    assert!(
        e.contains("BAD_FUNCTION_ARGUMENTS") || e.contains("function public.f"),
        "{e}"
    );
    let e = err(serde_json::json!({"functions": [
        {"name": "f", "returns": "int LANGUAGE c AS 'x'", "body": "SELECT 1"}
    ]}));
    assert!(e.contains("function public.f"), "{e}");
    // A declared function types the literals of policies calling it offline.
    let s = Schema::from_json(
        &serde_json::json!({"functions": [
            {"schema": "auth", "name": "uid", "returns": "uuid", "language": "sql", "volatility": "stable", "body": "SELECT NULL::uuid"}
        ]})
        .to_string(),
    )
    .unwrap();
    assert!(s
        .catalog
        .functions
        .iter()
        .any(|f| f.schema == "auth" && f.name == "uid" && f.returns == "uuid"));
}
