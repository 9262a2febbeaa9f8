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

const TENANT_V1: &str = r#"
CREATE TABLE docs (id serial PRIMARY KEY, tenant integer, body text);
CREATE FUNCTION current_tenant() RETURNS integer LANGUAGE sql STABLE
    AS $$ SELECT current_setting('app.tenant')::integer $$;
REVOKE EXECUTE ON FUNCTION current_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION current_tenant() TO app_user;
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON docs TO app_user USING (tenant = current_tenant());
CREATE POLICY other ON docs AS RESTRICTIVE TO app_user USING (body <> 'hidden');
GRANT SELECT, INSERT ON docs TO app_user;
"#;

fn function_state(db: &Db) -> String {
    db.sql(
        "SELECT prorettype::regtype::text || ' ' || coalesce(proacl::text, 'default') FROM pg_proc \
         WHERE proname = 'current_tenant'",
    )
    .trim()
    .to_string()
}

fn policy_state(db: &Db) -> String {
    db.sql(
        "SELECT string_agg(policyname || ':' || coalesce(qual, '-') || ':' || coalesce(with_check, '-'), ' | ' ORDER BY policyname) \
         FROM pg_policies WHERE tablename = 'docs'",
    )
    .trim()
    .to_string()
}

#[test]
fn a_result_type_change_drops_and_creates_the_function_with_the_policies_calling_it() {
    let db = Db::start();
    db.sql("CREATE ROLE app_user; CREATE TABLE docs (id serial PRIMARY KEY, tenant integer, body text)");
    let v1 = read(TENANT_V1);
    let mut live = LiveDb::connect(&db.url).unwrap();
    let p1 = plan(&mut live, &v1);
    live.apply(&p1).unwrap();
    let (fn_before, policies_before) = (function_state(&db), policy_state(&db));
    assert!(fn_before.starts_with("integer {"), "{fn_before}");

    // The result type changes (CREATE OR REPLACE refuses that) and the policy calling it
    // gains a WITH CHECK in the same revision.
    let v2 = read(
        &TENANT_V1
            .replace("RETURNS integer", "RETURNS bigint")
            .replace("::integer $$", "::bigint $$")
            .replace(
                "USING (tenant = current_tenant());",
                "USING (tenant = current_tenant()) WITH CHECK (tenant = current_tenant());",
            ),
    );
    let p = plan(&mut live, &v2);
    assert_eq!(p.changes.len(), 1, "{}", p.sql());
    match &p.changes[0] {
        Change::RecreateFunction {
            changed, policies, ..
        } => {
            assert_eq!(changed, &["result type", "body"]);
            // Only the policy that calls the function.
            assert_eq!(policies.len(), 1, "{policies:?}");
            assert_eq!(policies[0].from.as_ref().unwrap().name, "tenant");
            assert!(policies[0].to.as_ref().unwrap().with_check.is_some());
        }
        other => panic!("expected a recreation, got {other:?}"),
    }
    let st = p.statements();
    assert_eq!(st[0], "DROP POLICY tenant ON public.docs");
    assert!(
        st[1].starts_with("SELECT pg_catalog.set_config('pgpolicy.function_acl'"),
        "{}",
        st[1]
    );
    assert_eq!(st[2], "DROP FUNCTION public.current_tenant()");
    assert!(st[3].starts_with("CREATE OR REPLACE FUNCTION public.current_tenant() RETURNS bigint"));
    assert!(st[4].starts_with("DO $acl$"), "{}", st[4]);
    assert!(
        st[5].starts_with("CREATE POLICY tenant ON public.docs"),
        "{}",
        st[5]
    );
    assert!(p.check_weakening(false).is_ok(), "{}", p.sql());

    live.apply(&p).unwrap();
    let fn_after = function_state(&db);
    assert!(fn_after.starts_with("bigint "), "{fn_after}");
    // The EXECUTE privileges are those the function had (PUBLIC's still revoked).
    assert_eq!(
        fn_after.trim_start_matches("bigint "),
        fn_before.trim_start_matches("integer ")
    );
    assert!(policy_state(&db)
        .contains("tenant:(tenant = current_tenant()):(tenant = current_tenant())"));
    db.sql(
        "BEGIN; SET LOCAL ROLE app_user; SELECT set_config('app.tenant', '7', true); \
         INSERT INTO docs (tenant, body) VALUES (7, 'ok'); COMMIT;",
    );
    let refused = db.try_sql(
        "BEGIN; SET LOCAL ROLE app_user; SELECT set_config('app.tenant', '7', true); \
         INSERT INTO docs (tenant, body) VALUES (8, 'no'); COMMIT;",
    );
    assert!(refused.is_err(), "WITH CHECK must hold");
    assert!(plan(&mut live, &v2).is_empty());

    // The reverse goes back exactly: function, privileges and policies.
    live.apply(&p.reverse()).unwrap();
    assert_eq!(function_state(&db), fn_before);
    assert_eq!(policy_state(&db), policies_before);
    assert!(plan(&mut live, &v1).is_empty());
}

#[test]
fn parallel_cost_and_leakproof_are_compared_as_stored() {
    let db = Db::start();
    let src = r#"
CREATE FUNCTION is_even(n integer) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT
    LEAKPROOF PARALLEL SAFE COST 10
    AS $$ SELECT n % 2 = 0 $$;
"#;
    let declared = read(src);
    let f = &declared.functions[0];
    assert_eq!(
        (f.parallel.as_str(), f.leakproof, f.cost.as_deref()),
        ("SAFE", true, Some("10"))
    );
    let mut live = LiveDb::connect(&db.url).unwrap();
    let p = plan(&mut live, &declared);
    assert!(
        p.statements()[0].contains("IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE COST 10 AS"),
        "{}",
        p.sql()
    );
    live.apply(&p).unwrap();
    assert!(plan(&mut live, &declared).is_empty());
    // COST 100 is the default: the same as none.
    let default_cost = read(&src.replace("COST 10", "COST 100"));
    let p = plan(&mut live, &default_cost);
    assert_eq!(p.changes.len(), 1);
    let changed = |p: &Plan| match &p.changes[0] {
        Change::ReplaceFunction { changed, .. } => changed.clone(),
        other => panic!("expected a replacement, got {other:?}"),
    };
    assert_eq!(changed(&p), ["COST"]);

    let before = db.sql("SELECT pg_get_functiondef('is_even(integer)'::regprocedure)");
    let plain = read(&src.replace("LEAKPROOF PARALLEL SAFE COST 10", "PARALLEL RESTRICTED"));
    let p = plan(&mut live, &plain);
    assert_eq!(changed(&p), ["PARALLEL", "COST", "LEAKPROOF"]);
    live.apply(&p).unwrap();
    assert!(plan(&mut live, &plain).is_empty());
    let after = db.sql("SELECT pg_get_functiondef('is_even(integer)'::regprocedure)");
    assert!(
        after.contains("PARALLEL RESTRICTED") && !after.contains("LEAKPROOF"),
        "{after}"
    );
    live.apply(&p.reverse()).unwrap();
    assert_eq!(
        db.sql("SELECT pg_get_functiondef('is_even(integer)'::regprocedure)"),
        before
    );
    // From JSON too, COST as a number.
    let json = Schema::from_json(
        &serde_json::json!({"functions": [{"name": "is_even", "arguments": "n integer", "returns": "boolean",
            "volatility": "immutable", "strict": true, "leakproof": true, "parallel": "safe", "cost": 10,
            "body": " SELECT n % 2 = 0 "}]})
        .to_string(),
    )
    .unwrap();
    assert!(plan(&mut live, &json).is_empty());
    let bad = Schema::from_json(
        &serde_json::json!({"functions": [{"name": "f", "returns": "int", "parallel": "sometimes", "body": "SELECT 1"}]}).to_string(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        bad.contains("BAD_FUNCTION_PARALLEL") || bad.contains("not SAFE, RESTRICTED or UNSAFE"),
        "{bad}"
    );
}
