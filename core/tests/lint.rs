//! `pgpolicy lint` on real PostgreSQL: one database where every rule has a positive case
//! (and where the fault each rule describes is reproduced as the application role), one
//! where the same schema is written correctly (no finding at all), and declarations
//! checked offline and against a database (`--db`), with the configuration file and the
//! inline opt-outs.

mod common;

use common::*;
use serde_json::Value;

/// Runs `query` as `role` with `settings` set locally; the last line of output.
fn as_role(db: &Db, database: &str, role: &str, settings: &[(&str, &str)], query: &str) -> String {
    let mut sql = format!("BEGIN; SET LOCAL ROLE {role};");
    for (k, v) in settings {
        sql.push_str(&format!(" SELECT set_config('{k}', '{v}', true);"));
    }
    sql.push_str(&format!(" {query}; ROLLBACK;"));
    let out = db
        .cluster
        .psql(database, &sql)
        .unwrap_or_else(|e| panic!("{e}\nSQL: {sql}"));
    out.lines()
        .rfind(|l| !l.is_empty())
        .unwrap_or("")
        .to_string()
}

fn lint_json(args: &[&str]) -> Value {
    let mut all = vec!["lint"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    serde_json::from_str(&cli_ok(&all)).expect("lint JSON")
}

/// (rule, table or object or role) of every finding.
fn hits(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let at = ["table", "object", "role"]
                .iter()
                .find_map(|k| f[*k].as_str())
                .unwrap_or("")
                .to_string();
            (f["rule"].as_str().unwrap().to_string(), at)
        })
        .collect()
}

fn has(report: &Value, rule: &str, at: &str) -> bool {
    hits(report).iter().any(|(r, a)| r == rule && a == at)
}

const ROLES: &str = "
CREATE ROLE app_user LOGIN;
CREATE ROLE app_admin BYPASSRLS;
CREATE ROLE app_super SUPERUSER;
CREATE ROLE app_owner;
";

const AUTH: &str = "
CREATE SCHEMA auth;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('app.uid', true), '')::uuid $$;
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE
  AS $$ SELECT coalesce(nullif(current_setting('app.jwt', true), ''), '{}')::jsonb $$;
GRANT USAGE ON SCHEMA auth TO PUBLIC;
";

/// A positive case of every rule that can exist in a database.
const BAD: &str = "
CREATE FUNCTION is_member(t int) RETURNS boolean LANGUAGE sql AS $$ SELECT t = 1 $$;
CREATE FUNCTION leak() RETURNS SETOF int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;

CREATE TABLE t_disabled (id int, tenant_id int);
CREATE POLICY p ON t_disabled TO app_user USING (tenant_id = 1);
GRANT SELECT ON t_disabled TO app_user;
INSERT INTO t_disabled VALUES (1, 1), (2, 2);

CREATE TABLE t_closed (id int);
ALTER TABLE t_closed ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON t_closed TO app_admin, app_super;
CREATE TABLE t_closed_on_purpose (id int);
ALTER TABLE t_closed_on_purpose ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE t_closed_on_purpose IS 'written by triggers. pgpolicy: allow rls_enabled_no_policy';

CREATE TABLE t_owned (id int, tenant_id int);
CREATE INDEX ON t_owned (tenant_id);
ALTER TABLE t_owned OWNER TO app_owner;
ALTER TABLE t_owned ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON t_owned TO app_owner USING (tenant_id = (SELECT 1));
INSERT INTO t_owned VALUES (1, 1), (2, 2);

CREATE TABLE docs (id int PRIMARY KEY, tenant_id int, owner uuid, body text);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON docs TO app_user;
CREATE POLICY docs_read ON docs FOR SELECT TO app_user
  USING (tenant_id = current_setting('app.tenant')::int);
CREATE POLICY docs_member ON docs FOR SELECT TO app_user USING (is_member(tenant_id));
CREATE POLICY docs_meta ON docs FOR SELECT TO app_user
  USING ((auth.jwt() -> 'user_metadata' ->> 'role') = 'admin');
CREATE POLICY docs_write ON docs FOR UPDATE USING (true);
CREATE POLICY docs_insert ON docs FOR INSERT TO app_user
  WITH CHECK (current_setting('app.tenant', true) IS NOT NULL);
INSERT INTO docs VALUES (1, 1, NULL, 'one'), (2, 2, NULL, 'two');

CREATE TABLE notes (id int PRIMARY KEY, tenant_id int);
CREATE INDEX ON notes (tenant_id);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE ON notes TO app_user;
CREATE POLICY notes_update ON notes FOR UPDATE TO app_user
  USING (tenant_id = (SELECT 1)) WITH CHECK (tenant_id = (SELECT 1));
INSERT INTO notes VALUES (1, 1);

CREATE TABLE locked (id int PRIMARY KEY, tenant_id int);
CREATE INDEX ON locked (tenant_id);
ALTER TABLE locked ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON locked TO app_user;
CREATE POLICY locked_tenant ON locked AS RESTRICTIVE FOR SELECT TO app_user
  USING (tenant_id = (SELECT current_setting('app.tenant', true))::int);
INSERT INTO locked VALUES (1, 1);

CREATE VIEW docs_view AS SELECT * FROM docs;
GRANT SELECT ON docs_view TO app_user;
";

/// The same application written correctly.
const GOOD: &str = "
CREATE FUNCTION is_member(t int) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT t = 1 $$;
CREATE FUNCTION safe() RETURNS SETOF int LANGUAGE sql SECURITY DEFINER SET search_path = ''
  AS $$ SELECT 1 $$;
REVOKE EXECUTE ON FUNCTION safe() FROM PUBLIC;

CREATE TABLE lookup (id int);

CREATE TABLE t_owned (id int, tenant_id int);
CREATE INDEX ON t_owned (tenant_id);
ALTER TABLE t_owned OWNER TO app_owner;
ALTER TABLE t_owned ENABLE ROW LEVEL SECURITY;
ALTER TABLE t_owned FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON t_owned TO app_owner USING (tenant_id = (SELECT 1));
INSERT INTO t_owned VALUES (1, 1), (2, 2);

CREATE TABLE docs (id int PRIMARY KEY, tenant_id int, owner uuid, body text);
CREATE INDEX ON docs (tenant_id);
CREATE INDEX ON docs (owner);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON docs TO app_user;
CREATE POLICY docs_all ON docs FOR ALL TO app_user
  USING (tenant_id = (SELECT nullif(current_setting('app.tenant', true), ''))::int AND is_member(tenant_id));
CREATE POLICY docs_owner ON docs AS RESTRICTIVE FOR ALL TO app_user
  USING (owner = (SELECT auth.uid()) OR (SELECT auth.jwt() -> 'app_metadata' ->> 'role') = 'admin');

CREATE VIEW docs_view WITH (security_invoker = true) AS SELECT * FROM docs;
GRANT SELECT ON docs_view TO app_user;
";

#[test]
fn every_rule_on_a_database() {
    let db = Db::start();
    db.sql(ROLES);
    let bad_url = db.cluster.create_database("bad").unwrap();
    let good_url = db.cluster.create_database("good").unwrap();
    db.cluster.psql("bad", &format!("{AUTH}{BAD}")).unwrap();
    db.cluster.psql("good", &format!("{AUTH}{GOOD}")).unwrap();

    let bad = lint_json(&[&bad_url]);
    let expected = [
        ("rls_disabled_with_policies", "public.t_disabled"),
        ("table_without_rls_granted_to_app_role", "public.t_disabled"),
        ("rls_enabled_no_policy", "public.t_closed"),
        ("owner_not_forced", "public.t_owned"),
        ("bypassrls_app_role", "app_admin"),
        ("superuser_app_role", "app_super"),
        ("permissive_true_for_write", "public.docs"),
        ("policy_to_public_on_write", "public.docs"),
        ("multiple_permissive_policies", "public.docs"),
        ("restrictive_only", "public.locked"),
        ("update_without_select_policy", "public.notes"),
        ("per_row_function_call", "public.docs"),
        ("current_setting_without_missing_ok", "public.docs"),
        ("unindexed_policy_column", "public.docs"),
        (
            "security_definer_function_without_search_path",
            "public.leak",
        ),
        ("security_definer_function_in_exposed_schema", "public.leak"),
        ("volatile_function_in_policy", "public.docs"),
        ("view_bypasses_rls", "public.docs_view"),
        ("user_metadata_in_policy", "public.docs"),
        ("insert_policy_checks_nothing", "public.docs"),
        ("grant_without_policy", "public.notes"),
    ];
    for (rule, at) in expected {
        assert!(
            has(&bad, rule, at),
            "{rule} on {at} missing: {:#?}",
            hits(&bad)
        );
    }
    // The comment on t_closed_on_purpose silences its rls_enabled_no_policy.
    assert!(!has(
        &bad,
        "rls_enabled_no_policy",
        "public.t_closed_on_purpose"
    ));
    // Findings name their policy; errors come first.
    let f = bad["findings"].as_array().unwrap();
    assert!(f.iter().any(|x| x["rule"] == "permissive_true_for_write"
        && x["policy"] == "docs_write"
        && x["severity"] == "error"));
    assert_eq!(f[0]["severity"], "error");
    assert!(bad["skipped"].as_array().unwrap().is_empty());

    // What the rules say happens, happens.
    let q =
        |role: &str, settings: &[(&str, &str)], sql: &str| as_role(&db, "bad", role, settings, sql);
    // rls_disabled_with_policies: the policy (tenant 1) is not applied.
    assert_eq!(q("app_user", &[], "SELECT count(*) FROM t_disabled"), "2");
    // owner_not_forced: the owner sees every row despite its policy (tenant 1).
    assert_eq!(q("app_owner", &[], "SELECT count(*) FROM t_owned"), "2");
    // permissive_true_for_write: app_user updates another tenant's row.
    assert_eq!(
        q("app_user", &[("app.tenant", "1")], "WITH u AS (UPDATE docs SET body = 'x' WHERE id = 2 RETURNING 1) SELECT count(*) FROM u"),
        "0", // the UPDATE's WHERE needs SELECT visibility of row 2 ...
    );
    assert_eq!(
        q("app_user", &[("app.tenant", "2")], "WITH u AS (UPDATE docs SET tenant_id = 1 WHERE id = 2 RETURNING 1) SELECT count(*) FROM u"),
        "1", // ... and once visible, USING (true) lets it move the row to tenant 1
    );
    // update_without_select_policy: the UPDATE finds no row.
    assert_eq!(
        q("app_user", &[], "WITH u AS (UPDATE notes SET tenant_id = 1 WHERE id = 1 RETURNING 1) SELECT count(*) FROM u"),
        "0"
    );
    // restrictive_only: nothing is visible, even for the right tenant.
    assert_eq!(
        q(
            "app_user",
            &[("app.tenant", "1")],
            "SELECT count(*) FROM locked"
        ),
        "0"
    );
    // view_bypasses_rls: the view shows both tenants' rows, the table one.
    assert_eq!(
        q(
            "app_user",
            &[("app.tenant", "1")],
            "SELECT count(*) FROM docs"
        ),
        "1"
    );
    assert_eq!(
        q(
            "app_user",
            &[("app.tenant", "1")],
            "SELECT count(*) FROM docs_view"
        ),
        "2"
    );
    // insert_policy_checks_nothing: a row for another tenant goes in.
    assert_eq!(
        q("app_user", &[("app.tenant", "1")], "WITH i AS (INSERT INTO docs VALUES (3, 2, NULL, 'x') RETURNING 1) SELECT count(*) FROM i"),
        "1"
    );
    // user_metadata_in_policy: a claim the user wrote grants access to every row.
    assert_eq!(
        q(
            "app_user",
            &[
                ("app.tenant", "1"),
                ("app.jwt", r#"{"user_metadata": {"role": "admin"}}"#)
            ],
            "SELECT count(*) FROM docs"
        ),
        "2"
    );

    // The negative cases: the same application written correctly has no finding at all.
    let good = lint_json(&[&good_url]);
    assert_eq!(hits(&good), Vec::<(String, String)>::new());
    assert_eq!(
        as_role(
            &db,
            "good",
            "app_owner",
            &[],
            "SELECT count(*) FROM t_owned"
        ),
        "1"
    );
    assert_eq!(
        as_role(
            &db,
            "good",
            "app_user",
            &[("app.tenant", "1")],
            "SELECT count(*) FROM docs_view"
        ),
        "0" // no auth.uid(): the restrictive policy hides every row, through the view too
    );

    // --exit-code: 2 on findings at or above --fail-on, 0 otherwise.
    let out = cli(&["lint", &bad_url, "--exit-code", "--fail-on", "error"]);
    assert_eq!(out.status.code(), Some(2));
    let out = cli(&["lint", &good_url, "--exit-code"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // SARIF: every rule described, one result per finding.
    let sarif: Value =
        serde_json::from_str(&cli_ok(&["lint", &bad_url, "--format", "sarif"])).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        pgpolicy::lint::RULES.len()
    );
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        bad["findings"].as_array().unwrap().len()
    );
}

#[test]
fn declarations_offline_and_against_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };

    // Offline: the practical guide. Rules that need a database are listed as skipped.
    let guide = fixture("practical-guide.sql");
    let r = lint_json(&[&guide]);
    assert!(has(&r, "bypassrls_app_role", "app_admin"));
    assert!(has(&r, "per_row_function_call", "public.posts"));
    assert!(has(&r, "policy_to_public_on_write", "public.posts"));
    assert!(!has(&r, "restrictive_only", "public.posts"));
    assert!(!has(&r, "multiple_permissive_policies", "public.posts"));
    assert!(r["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "view_bypasses_rls"));

    // pgpolicy.toml: admin_roles, a rule off, a severity changed, a table allowed.
    let cfg = write(
        "pgpolicy.toml",
        r#"
[lint]
admin_roles = ["app_admin"]
[lint.rules]
current_setting_without_missing_ok = "off"
per_row_function_call = "error"
[lint.allow]
"public.posts" = ["policy_to_public_on_write"]
"#,
    );
    let r = lint_json(&[&guide, "--config", &cfg]);
    assert!(!has(&r, "bypassrls_app_role", "app_admin"));
    assert!(!hits(&r)
        .iter()
        .any(|(rule, _)| rule == "current_setting_without_missing_ok"
            || rule == "policy_to_public_on_write"));
    let per_row = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "per_row_function_call")
        .unwrap();
    assert_eq!(per_row["severity"], "error");
    let bad_cfg = write("bad.toml", "[lint.rules]\nper_row_functon_call = \"off\"\n");
    let out = cli(&["lint", &guide, "--config", &bad_cfg]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown rule \"per_row_functon_call\""));

    // The inline opt-out on a policy.
    let decl = write(
        "roles.sql",
        "CREATE ROLE app_user;
CREATE TABLE items (id int, tenant_id int);
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
CREATE POLICY ok ON items TO app_user USING (tenant_id = 1);
CREATE POLICY anyone ON items FOR UPDATE TO app_user USING (true);
COMMENT ON POLICY anyone ON items IS 'intended. pgpolicy: allow permissive_true_for_write';
",
    );
    let r = lint_json(&[&decl]);
    assert!(
        !hits(&r)
            .iter()
            .any(|(rule, _)| rule == "permissive_true_for_write"),
        "{r:#}"
    );
    let without = write(
        "roles2.sql",
        &std::fs::read_to_string(&decl)
            .unwrap()
            .replace("COMMENT ON POLICY", "-- "),
    );
    let r = lint_json(&[&without]);
    assert!(
        has(&r, "permissive_true_for_write", "public.items"),
        "{r:#}"
    );

    // Against a database: columns, roles, owners and grants come from it.
    let db = Db::start();
    db.sql(
        "CREATE ROLE app_user;
CREATE TABLE items (id int, tenant_id int);
CREATE TABLE tenants (id int);
GRANT SELECT ON items, tenants TO app_user;",
    );
    let decl = write(
        "items.sql",
        "ALTER TABLE items ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_tenant ON items TO app_user USING (tenantId = (SELECT current_setting('app.t', true))::int);
CREATE POLICY for_ghost ON items TO ghost USING (tenant_id = 1);
",
    );
    let r = lint_json(&[&decl, "--db", &db.url]);
    assert!(
        has(&r, "policy_column_not_in_table", "public.items"),
        "{r:#}"
    );
    let unknown: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "policy_on_unknown_role")
        .collect();
    assert_eq!(unknown.len(), 1, "{r:#}");
    assert_eq!(unknown[0]["policy"], "for_ghost");
    assert_eq!(unknown[0]["role"], "ghost");
    // tenants: created by the ORM, granted, and forgotten by the declaration
    assert!(has(
        &r,
        "table_without_rls_granted_to_app_role",
        "public.tenants"
    ));
    // the declaration enables RLS on items: its grant is not reported
    assert!(!has(
        &r,
        "table_without_rls_granted_to_app_role",
        "public.items"
    ));
    let fixed = write(
        "fixed.sql",
        "ALTER TABLE items ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_tenant ON items TO app_user USING (tenant_id = (SELECT current_setting('app.t', true))::int);
",
    );
    let r = lint_json(&[&fixed, "--db", &db.url]);
    assert!(!hits(&r)
        .iter()
        .any(|(rule, _)| rule == "policy_column_not_in_table" || rule == "policy_on_unknown_role"));
    assert!(has(&r, "unindexed_policy_column", "public.items"));
    db.sql("CREATE INDEX ON items (tenant_id)");
    let r = lint_json(&[&fixed, "--db", &db.url]);
    assert!(!has(&r, "unindexed_policy_column", "public.items"), "{r:#}");

    // A URL and --db together is a usage mistake with a clear message.
    let out = cli(&["lint", &db.url, "--db", &db.url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already a database"));
}

/// `explain`'s effective SELECT predicate, evaluated by a superuser, selects exactly the
/// rows the server lets each role see; bypasses see every row, deny-all none, and a role
/// without the grant is refused.
#[test]
fn explain_matches_the_server() {
    let db = Db::start();
    db.sql(
        "CREATE ROLE readers NOLOGIN;
CREATE ROLE reader LOGIN IN ROLE readers;
CREATE ROLE stubborn NOINHERIT LOGIN IN ROLE readers;
CREATE ROLE tenant_user LOGIN;
CREATE ROLE admin BYPASSRLS;
CREATE ROLE owner_role;
CREATE ROLE nobody LOGIN;
CREATE TABLE docs (id int PRIMARY KEY, tenant_id int, published boolean);
ALTER TABLE docs OWNER TO owner_role;
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON docs TO readers, stubborn, tenant_user, admin;
CREATE POLICY published ON docs FOR SELECT TO readers USING (published);
CREATE POLICY by_tenant ON docs FOR ALL TO tenant_user
  USING (tenant_id = (SELECT current_setting('app.tenant', true))::int);
CREATE POLICY also_tenant_3 ON docs FOR SELECT TO tenant_user USING (tenant_id = 3);
CREATE POLICY not_archived ON docs AS RESTRICTIVE FOR SELECT TO tenant_user USING (id < 100);
INSERT INTO docs SELECT g, g % 4, g % 3 = 0 FROM generate_series(1, 120) g;",
    );
    let settings = [("app.tenant", "1")];
    let ex: Value = serde_json::from_str(&cli_ok(&[
        "explain",
        &db.url,
        "--table",
        "docs",
        "--command",
        "select",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(ex["owner"], "owner_role");
    let entries = ex["entries"].as_array().unwrap();
    let verdict = |role: &str| -> (String, Option<String>) {
        let e = entries
            .iter()
            .find(|e| e["role"] == role)
            .unwrap_or_else(|| panic!("no entry for {role}: {ex:#}"));
        (
            e["verdict"].as_str().unwrap().to_string(),
            e["using"].as_str().map(str::to_string),
        )
    };
    let superuser_count = |predicate: &str| {
        as_role(
            &db,
            "app",
            "postgres",
            &settings,
            &format!("SELECT count(*) FROM docs WHERE {predicate}"),
        )
    };
    for role in ["reader", "tenant_user", "stubborn", "admin"] {
        let seen = as_role(&db, "app", role, &settings, "SELECT count(*) FROM docs");
        let (v, using) = verdict(role);
        let expected = match v.as_str() {
            "filtered" => superuser_count(&using.unwrap()),
            "bypass" | "no_rls" => "120".to_string(),
            "deny_all" => "0".to_string(),
            other => panic!("{role}: {other}"),
        };
        assert_eq!(seen, expected, "{role}: {v}");
    }
    assert_eq!(verdict("reader").0, "filtered");
    assert_eq!(verdict("stubborn").0, "deny_all"); // NOINHERIT: readers' policy is not its
    assert_eq!(verdict("admin").0, "bypass");
    let (_, using) = verdict("tenant_user");
    assert!(using.unwrap().contains(" OR "), "permissive policies OR-ed");
    // the owner without FORCE, and a role without the grant
    let ex: Value = serde_json::from_str(&cli_ok(&[
        "explain",
        &db.url,
        "--table",
        "public.docs",
        "--role",
        "owner_role",
        "--format",
        "json",
    ]))
    .unwrap();
    assert!(ex["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["verdict"] == "bypass"));
    assert_eq!(
        as_role(&db, "app", "owner_role", &[], "SELECT count(*) FROM docs"),
        "120"
    );
    let ex: Value = serde_json::from_str(&cli_ok(&[
        "explain",
        &db.url,
        "--table",
        "docs",
        "--role",
        "nobody",
        "--command",
        "SELECT",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(ex["entries"][0]["verdict"], "no_privilege");
    let denied = db.try_sql("SET ROLE nobody; SELECT count(*) FROM docs");
    assert!(denied.unwrap_err().contains("permission denied"));
    // INSERT: WITH CHECK falls back to USING for FOR ALL.
    let ex: Value = serde_json::from_str(&cli_ok(&[
        "explain",
        &db.url,
        "--table",
        "docs",
        "--role",
        "tenant_user",
        "--command",
        "insert",
        "--format",
        "json",
    ]))
    .unwrap();
    let check = ex["entries"][0]["with_check"].as_str().unwrap().to_string();
    assert!(check.contains("current_setting"), "{check}");
    // The matrix: every role named, every command.
    let text = cli_ok(&["explain", &db.url, "--table", "docs"]);
    for needle in [
        "reader",
        "tenant_user",
        "stubborn",
        "admin",
        "PUBLIC",
        "DELETE",
        "all (bypass)",
        "none",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
    // An unknown table is a clear error.
    let out = cli(&["explain", &db.url, "--table", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no table public.nope"));
}

/// Overloads are told apart by the number and the spelt-out types of the arguments: a
/// STABLE `f(integer)` beside a VOLATILE `f(text)` is not reported when the policy calls
/// `f(1)`, and is when it calls `f('x'::text)`. Matched by name only, the first overload
/// the catalog lists decides both calls alike (the fault).
#[test]
fn function_rules_match_overloads_by_arguments() {
    let db = Db::start();
    db.sql(
        "CREATE ROLE app_user;
CREATE FUNCTION f(t integer) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT t = 1 $$;
CREATE FUNCTION f(t text) RETURNS boolean LANGUAGE sql VOLATILE AS $$ SELECT t = 'x' $$;
CREATE FUNCTION g(a integer, b integer) RETURNS boolean LANGUAGE sql VOLATILE AS $$ SELECT a = b $$;
CREATE FUNCTION g(a integer) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT a = 1 $$;
CREATE TABLE by_int (id int, tenant_id int);
CREATE TABLE by_text (id int, tenant_id int);
CREATE TABLE by_arity (id int, tenant_id int);
GRANT SELECT ON by_int, by_text, by_arity TO app_user;
ALTER TABLE by_int ENABLE ROW LEVEL SECURITY;
ALTER TABLE by_text ENABLE ROW LEVEL SECURITY;
ALTER TABLE by_arity ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON by_int TO app_user USING (f(1::integer));
CREATE POLICY p ON by_text TO app_user USING (f('x'::text));
CREATE POLICY p ON by_arity TO app_user USING (g(tenant_id));",
    );
    let r = lint_json(&[&db.url]);
    assert!(
        has(&r, "volatile_function_in_policy", "public.by_text"),
        "{r:#}"
    );
    assert!(
        !has(&r, "volatile_function_in_policy", "public.by_int"),
        "{r:#}"
    );
    // by arity: g(tenant_id) is the STABLE one-argument g
    assert!(
        !has(&r, "volatile_function_in_policy", "public.by_arity"),
        "{r:#}"
    );
}

/// Offline, a policy for a role the declaration does not declare is suspect (info), and
/// says how to check it exactly; well-known roles are not reported; with the database the
/// check is exact (error, or nothing when the role exists).
#[test]
fn unknown_roles_offline_and_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let decl = dir.path().join("schema.sql");
    std::fs::write(
        &decl,
        "CREATE TABLE items (id int, tenant_id int);
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
CREATE POLICY for_app ON items TO app_usr USING (tenant_id = 1);
CREATE POLICY for_supabase ON items TO authenticated USING (tenant_id = 1);
CREATE POLICY for_builtin ON items TO pg_read_all_data USING (tenant_id = 1);
",
    )
    .unwrap();
    let decl = decl.display().to_string();
    let unknown = |r: &Value| -> Vec<(String, String, String)> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "policy_on_unknown_role")
            .map(|f| {
                (
                    f["role"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let r = lint_json(&[&decl]);
    let found = unknown(&r);
    assert_eq!(found.len(), 1, "{r:#}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        ("app_usr", "info")
    );
    assert!(found[0].2.contains("(--db)"), "{}", found[0].2);
    // a severity from the configuration still wins
    let cfg = dir.path().join("pgpolicy.toml");
    std::fs::write(&cfg, "[lint.rules]\npolicy_on_unknown_role = \"error\"\n").unwrap();
    let r = lint_json(&[&decl, "--config", &cfg.display().to_string()]);
    assert_eq!(unknown(&r)[0].1, "error");

    let db = Db::start();
    db.sql("CREATE ROLE app_user; CREATE ROLE authenticated; CREATE TABLE items (id int, tenant_id int);");
    let r = lint_json(&[&decl, "--db", &db.url]);
    let found = unknown(&r);
    assert_eq!(found.len(), 1, "{r:#}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        ("app_usr", "error")
    );
    assert!(
        found[0].2.ends_with("which does not exist"),
        "{}",
        found[0].2
    );
}

/// The inline opt-out of a declaration: `-- pgpolicy-lint: disable=...` on a .sql
/// statement (before it, inside it, or after it on its line), `lint_allow` / `lintAllow`
/// on a JSON table or policy. Text in a string literal is not a comment; an unknown rule
/// id is refused naming the table, the policy and the clause; plans never carry it.
#[test]
fn declarations_opt_out_inline() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let base = "CREATE ROLE app_user;
CREATE TABLE items (id int, tenant_id int, note text);
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
CREATE POLICY ok ON items TO app_user USING (tenant_id = 1);
CREATE POLICY anyone ON items FOR UPDATE TO app_user USING (true);
CREATE TABLE audit (id int);
ALTER TABLE audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY quoted ON items FOR UPDATE TO app_user USING (true) WITH CHECK (note <> '-- pgpolicy-lint: disable=all');
";
    let r = lint_json(&[&write("base.sql", base)]);
    assert!(
        has(&r, "permissive_true_for_write", "public.items"),
        "{r:#}"
    );
    assert!(has(&r, "rls_enabled_no_policy", "public.audit"), "{r:#}");
    let count = |r: &Value, rule: &str| hits(r).iter().filter(|(x, _)| x == rule).count();
    assert_eq!(count(&r, "permissive_true_for_write"), 2, "{r:#}");

    let marked = base
        .replace(
            "CREATE POLICY anyone",
            "-- an intended open update\n-- pgpolicy-lint: disable=permissive_true_for_write\nCREATE POLICY anyone",
        )
        .replace(
            "ALTER TABLE audit ENABLE ROW LEVEL SECURITY;",
            "ALTER TABLE audit ENABLE ROW LEVEL SECURITY; -- pgpolicy-lint: disable=rls_enabled_no_policy",
        );
    let decl = write("marked.sql", &marked);
    let r = lint_json(&[&decl]);
    assert!(!has(&r, "rls_enabled_no_policy", "public.audit"), "{r:#}");
    // only the marked policy is exempt; the one with the text in a string literal is not
    let open: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "permissive_true_for_write")
        .collect();
    assert_eq!(open.len(), 1, "{r:#}");
    assert_eq!(open[0]["policy"], "quoted");
    // the plan is the same with or without the markers, and carries none
    let plain = cli_ok(&[
        "plan",
        "--from",
        "empty",
        "--to",
        &write("p.sql", base),
        "--format",
        "json",
    ]);
    let with = cli_ok(&["plan", "--from", "empty", "--to", &decl, "--format", "json"]);
    assert_eq!(plain, with);
    assert!(!with.contains("lint_allow"));

    // JSON: on a table and on a policy
    let json = write(
        "schema.json",
        r#"{"roles": [{"name": "app_user"}],
            "tables": [
              {"name": "items", "columns": [{"name": "tenant_id", "type": "integer"}], "rls": {"enabled": true},
               "policies": [{"name": "anyone", "command": "UPDATE", "roles": ["app_user"], "using": "true",
                             "lintAllow": ["permissive_true_for_write"]}]},
              {"name": "audit", "rls": {"enabled": true}, "lint_allow": ["all"]}
            ]}"#,
    );
    let r = lint_json(&[&json]);
    assert!(
        !has(&r, "permissive_true_for_write", "public.items"),
        "{r:#}"
    );
    assert!(!has(&r, "rls_enabled_no_policy", "public.audit"), "{r:#}");

    // an unknown rule id is an error that says where
    let bad = write(
        "bad.sql",
        "CREATE TABLE items (id int);\nALTER TABLE items ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON items USING (true); -- pgpolicy-lint: disable=permisive_true_for_write\n",
    );
    let out = cli(&["lint", &bad]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("permisive_true_for_write"), "{err}");
    assert!(
        err.contains("table public.items, policy \"p\", clause lint"),
        "{err}"
    );
}
