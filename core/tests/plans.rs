//! Plans against a real PostgreSQL: ALTER in place versus DROP + CREATE, reverse plans,
//! hostile names, refused expressions, and atomic apply.

mod common;

use common::*;
use pgpolicy::introspect::LiveDb;
use pgpolicy::{Change, DiffOptions, Schema};

fn json(v: serde_json::Value) -> Schema {
    Schema::from_json(&v.to_string()).unwrap()
}

fn docs_schema(using: &str, command: &str) -> Schema {
    json(serde_json::json!({
        "tables": [{
            "name": "docs",
            "columns": [
                {"name": "id", "type": "integer"},
                {"name": "owner", "type": "text"},
                {"name": "tenant_id", "type": "integer"}
            ],
            "rls": {"enabled": true},
            "policies": [{"name": "owner_only", "command": command, "using": using}]
        }]
    }))
}

fn write_tmp(name: &str, text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    (dir, p.display().to_string())
}

fn inspect(db: &Db) -> String {
    cli_ok(&["inspect", &db.url])
}

#[test]
fn changed_using_alters_and_changed_command_replaces() {
    let db = Db::start();
    let v1 = docs_schema("owner = current_user", "SELECT");
    create_tables(&db, &v1);
    let mut live = LiveDb::connect(&db.url).unwrap();
    let mut live_r = LiveDb::connect(&db.url).unwrap();
    live.apply(&pgpolicy::diff(&Schema::empty(), &v1, &DiffOptions::default()).unwrap())
        .unwrap();
    let before = inspect(&db);

    // USING changed: one ALTER POLICY, no DROP.
    let v2 = docs_schema("owner = current_user AND tenant_id = 1", "SELECT");
    let current = live.introspect(&[]).unwrap();
    let plan =
        pgpolicy::diff_with(&current, &v2, &DiffOptions::default(), Some(&mut live_r)).unwrap();
    let stmts = plan.statements();
    assert_eq!(stmts.len(), 1, "{stmts:?}");
    assert!(
        stmts[0].starts_with("ALTER POLICY owner_only ON public.docs USING ("),
        "{stmts:?}"
    );
    assert!(!plan.sql().contains("DROP"));
    match &plan.changes[0] {
        Change::AlterPolicy { clauses, .. } => {
            assert_eq!(clauses.len(), 1);
            assert_eq!(clauses[0].clause, pgpolicy::Clause::Using);
            // Both texts as PostgreSQL prints them.
            assert!(
                clauses[0]
                    .from_canonical
                    .as_deref()
                    .unwrap()
                    .contains("CURRENT_USER"),
                "{clauses:?}"
            );
            assert!(
                clauses[0].to_canonical.as_deref().unwrap().contains("= 1"),
                "{clauses:?}"
            );
        }
        other => panic!("expected AlterPolicy, got {other:?}"),
    }
    assert!(plan
        .sql()
        .contains("-- Alter policy \"owner_only\" on public.docs: USING changed"));
    live.apply(&plan).unwrap();
    let after_alter = inspect(&db);
    assert_ne!(before, after_alter);

    // Apply the reverse: back to identical inspect output.
    live.apply(&plan.reverse()).unwrap();
    assert_eq!(inspect(&db), before);

    // Command changed: DROP + CREATE.
    let v3 = docs_schema("owner = current_user", "DELETE");
    let current = live.introspect(&[]).unwrap();
    let plan =
        pgpolicy::diff_with(&current, &v3, &DiffOptions::default(), Some(&mut live_r)).unwrap();
    let stmts = plan.statements();
    assert_eq!(stmts.len(), 2, "{stmts:?}");
    assert!(stmts[0].starts_with("DROP POLICY owner_only ON public.docs"));
    assert!(stmts[1].starts_with(
        "CREATE POLICY owner_only ON public.docs AS PERMISSIVE FOR DELETE TO PUBLIC USING ("
    ));
    live.apply(&plan).unwrap();
    assert_ne!(inspect(&db), before);
    live.apply(&plan.reverse()).unwrap();
    assert_eq!(inspect(&db), before);

    // The CLI's --reverse prints the plan that undoes the plan.
    let (_d, p) = write_tmp("v3.json", &v3.to_json());
    let fwd = cli_ok(&["plan", "--from", &db.url, "--to", &p]);
    let rev = cli_ok(&["plan", "--from", &db.url, "--to", &p, "--reverse"]);
    db.sql(&fwd);
    assert_ne!(inspect(&db), before);
    db.sql(&rev);
    assert_eq!(inspect(&db), before);
}

#[test]
fn hostile_names_round_trip() {
    let db = Db::start();
    let names = [
        "Users",
        "tenantId",
        "a\"quote",
        "select",
        "with space",
        "ünïcödé",
        "semi;colon",
        "x'y",
        "$dollar",
    ];
    let mut policies = Vec::new();
    for (i, n) in names.iter().enumerate() {
        policies.push(serde_json::json!({
            "name": n,
            "command": (["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"][i % 5]),
            "roles": ["Weird \"Role\"", "user"],
            "using": if i % 5 == 2 { serde_json::Value::Null } else { "\"tenantId\" = 1".into() },
            "with_check": if i % 5 == 1 || i % 5 == 4 { serde_json::Value::Null } else { "\"tenantId\" > 0".into() },
            "comment": format!("it's policy {n}")
        }));
    }
    let desired = json(serde_json::json!({
        "tables": [{
            "schema": "My Schema",
            "name": "Users\"; DROP TABLE x; --",
            "columns": [{"name": "tenantId", "type": "integer"}],
            "rls": {"enabled": true, "forced": true},
            "policies": policies
        }],
        "roles": [{"name": "Weird \"Role\""}, {"name": "user", "member_of": ["Weird \"Role\""]}],
        "grants": [{"schema": "My Schema", "table": "Users\"; DROP TABLE x; --", "role": "user", "privileges": ["SELECT", "UPDATE"]}]
    }));
    create_tables(&db, &desired);
    let (_d, p) = write_tmp("hostile.json", &desired.to_json());
    let plan = cli_ok(&["plan", "--from", "empty", "--to", &p]);
    db.sql(&plan);
    let mut live = LiveDb::connect(&db.url).unwrap();
    let got = live.introspect(&["My Schema".to_string()]).unwrap();
    let t = got
        .table("My Schema", "Users\"; DROP TABLE x; --")
        .expect("table with hostile name");
    assert!(t.rls.is_enabled() && t.rls.is_forced());
    let mut got_names: Vec<&str> = t.policies.iter().map(|p| p.name.as_str()).collect();
    got_names.sort();
    let mut want: Vec<&str> = names.to_vec();
    want.sort();
    assert_eq!(got_names, want);
    let p0 = t.policy("a\"quote").unwrap();
    assert_eq!(p0.comment.as_deref(), Some("it's policy a\"quote"));
    assert!(p0
        .roles
        .contains(&pgpolicy::RoleSpec::Named("Weird \"Role\"".into())));
    assert!(got
        .role("user")
        .unwrap()
        .member_of
        .contains(&"Weird \"Role\"".to_string()));
    // And the database now matches the declaration exactly.
    let again = cli_ok(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        &p,
        "--schema",
        "My Schema",
    ]);
    assert_eq!(again, "");
}

#[test]
fn hostile_expression_is_refused_and_nothing_printed() {
    let decl = serde_json::json!({
        "tables": [{"name": "users", "rls": {"enabled": true},
            "policies": [{"name": "sneaky", "using": "true); DROP TABLE users; --"}]}]
    });
    let (_d, p) = write_tmp("bad.json", &decl.to_string());
    let out = cli(&["plan", "--from", "empty", "--to", &p]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no partial SQL on stdout");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("table public.users, policy \"sneaky\", clause USING: must be exactly one SQL expression"),
        "{err}"
    );
}

#[test]
fn apply_is_all_or_nothing() {
    let db = Db::start();
    db.sql("CREATE TABLE a (x int); CREATE TABLE b (x int)");
    // The second policy names a column that does not exist: apply fails as a whole.
    let desired = json(serde_json::json!({
        "tables": [
            {"name": "a", "rls": {"enabled": true}, "policies": [{"name": "p", "using": "x = 1"}]},
            {"name": "b", "rls": {"enabled": true}, "policies": [{"name": "q", "using": "no_such_column = 1"}]}
        ]
    }));
    let (_d, p) = write_tmp("d.json", &desired.to_json());
    let before = inspect(&db);
    let out = cli(&["apply", "--url", &db.url, "--to", &p]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing was applied") && err.contains("no_such_column"),
        "{err}"
    );
    assert_eq!(inspect(&db), before);
    // --dry-run prints and changes nothing.
    let dry = cli_ok(&["apply", "--url", &db.url, "--to", &p, "--dry-run"]);
    assert!(
        dry.starts_with("BEGIN;\n") && dry.ends_with("COMMIT;\n"),
        "{dry}"
    );
    assert_eq!(inspect(&db), before);
}

#[test]
fn inspect_formats() {
    let db = Db::start();
    db.sql(
        "CREATE TABLE t (id int, owner text); ALTER TABLE t ENABLE ROW LEVEL SECURITY; \
         CREATE POLICY p ON t FOR SELECT USING (owner = current_user); \
         CREATE ROLE reader; GRANT SELECT ON t TO reader",
    );
    let j = cli_ok(&["inspect", &db.url]);
    let v: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert_eq!(
        v["tables"][0]["policies"][0]["using"],
        "(owner = CURRENT_USER)"
    );
    assert_eq!(v["database"]["search_path"], "public");
    let s = cli_ok(&["inspect", &db.url, "--format", "sql"]);
    assert!(s.contains("CREATE POLICY p ON public.t AS PERMISSIVE FOR SELECT TO PUBLIC USING ((owner = CURRENT_USER));"), "{s}");
    assert!(
        s.contains("GRANT SELECT ON TABLE public.t TO reader;"),
        "{s}"
    );
    // The SQL output reads back as the same declaration.
    let (_d, p) = write_tmp("inspected.sql", &s);
    assert_eq!(cli_ok(&["plan", "--from", &db.url, "--to", &p]), "");
}

#[test]
fn rename_only_when_declared() {
    let db = Db::start();
    db.sql(
        "CREATE TABLE t (id int, owner text); ALTER TABLE t ENABLE ROW LEVEL SECURITY; \
         CREATE POLICY old_name ON t FOR SELECT USING (owner = current_user); CREATE ROLE reader",
    );
    let mut live = LiveDb::connect(&db.url).unwrap();
    let current = live.introspect(&[]).unwrap();
    let table = |policy: serde_json::Value| {
        json(
            serde_json::json!({"tables": [{"name": "t", "rls": {"enabled": true}, "policies": [policy]}]}),
        )
    };
    // Without renamed_from a new name is a new policy: drop the old, create the new.
    let guessed = table(
        serde_json::json!({"name": "new_name", "command": "SELECT", "using": "owner = current_user"}),
    );
    let plan =
        pgpolicy::diff_with(&current, &guessed, &DiffOptions::default(), Some(&mut live)).unwrap();
    assert!(
        matches!(
            plan.changes.as_slice(),
            [Change::DropPolicy { .. }, Change::CreatePolicy { .. }]
        ),
        "{}",
        plan.sql()
    );
    // With renamed_from: one ALTER POLICY ... RENAME TO, and a reverse that renames back.
    let declared = table(
        serde_json::json!({"name": "new_name", "renamedFrom": "old_name", "command": "SELECT", "using": "owner = current_user"}),
    );
    let plan = pgpolicy::diff_with(
        &current,
        &declared,
        &DiffOptions::default(),
        Some(&mut live),
    )
    .unwrap();
    assert_eq!(
        plan.statements(),
        ["ALTER POLICY old_name ON public.t RENAME TO new_name"]
    );
    let before = inspect(&db);
    live.apply(&plan).unwrap();
    let current = live.introspect(&[]).unwrap();
    assert_eq!(current.tables[0].policies[0].name, "new_name");
    assert!(pgpolicy::diff_with(
        &current,
        &declared,
        &DiffOptions::default(),
        Some(&mut live)
    )
    .unwrap()
    .is_empty());
    live.apply(&plan.reverse()).unwrap();
    assert_eq!(inspect(&db), before);
    // Renamed and changed: rename, then ALTER on the new name.
    let changed = table(
        serde_json::json!({"name": "new_name", "renamed_from": "old_name", "command": "SELECT", "roles": ["reader"], "using": "owner = session_user"}),
    );
    let current = live.introspect(&[]).unwrap();
    let plan =
        pgpolicy::diff_with(&current, &changed, &DiffOptions::default(), Some(&mut live)).unwrap();
    assert_eq!(
        plan.statements(),
        [
            "ALTER POLICY old_name ON public.t RENAME TO new_name",
            "ALTER POLICY new_name ON public.t TO reader USING (owner = session_user)"
        ]
    );
    live.apply(&plan).unwrap();
    live.apply(&plan.reverse()).unwrap();
    assert_eq!(inspect(&db), before);
}

#[test]
fn undeclared_roles_and_grants_are_left_alone() {
    let db = Db::start();
    db.sql(
        "CREATE TABLE t (id int); CREATE TABLE other (id int); \
         CREATE ROLE app_user; CREATE ROLE bystander; \
         GRANT SELECT, DELETE ON t TO app_user; GRANT SELECT ON other TO app_user; GRANT ALL ON t TO bystander",
    );
    let declared = json(serde_json::json!({
        "tables": [{"name": "t"}],
        "roles": [{"name": "app_user", "login": true}],
        "grants": [{"table": "t", "role": "app_user", "privileges": ["SELECT", "INSERT"]}]
    }));
    let mut live = LiveDb::connect(&db.url).unwrap();
    let current = live.introspect(&[]).unwrap();
    let plan = pgpolicy::diff_with(
        &current,
        &declared,
        &DiffOptions::default(),
        Some(&mut live),
    )
    .unwrap();
    // app_user is declared: its attributes and its grants on the declared table follow the
    // declaration. bystander, and app_user's grant on an undeclared table, are not touched.
    // INSERT carries USAGE on the table's owned sequences (none here), found when it runs.
    let owned = pgpolicy::sql::render::owned_sequences(
        &pgpolicy::TableName::new("public", "t"),
        &pgpolicy::RoleSpec::Named("app_user".into()),
        true,
    );
    assert_eq!(
        plan.statements(),
        [
            "ALTER ROLE app_user WITH LOGIN INHERIT NOBYPASSRLS",
            "GRANT INSERT ON TABLE public.t TO app_user",
            owned.as_str(),
            "REVOKE DELETE ON TABLE public.t FROM app_user",
        ]
    );
    live.apply(&plan).unwrap();
    let after = live.introspect(&[]).unwrap();
    assert!(
        pgpolicy::diff_with(&after, &declared, &DiffOptions::default(), Some(&mut live))
            .unwrap()
            .is_empty()
    );
    assert!(after.role("bystander").is_some());
    let grants: Vec<String> = after
        .grants
        .iter()
        .map(|g| {
            format!(
                "{}.{} {} {:?}",
                g.schema,
                g.table,
                g.role.as_json(),
                g.privileges
            )
        })
        .collect();
    assert!(
        grants.contains(&"public.other app_user [Select]".to_string()),
        "{grants:?}"
    );
    assert!(
        grants.iter().any(|g| g.starts_with("public.t bystander")),
        "{grants:?}"
    );
}

#[test]
fn added_clause_reverses_by_replacement() {
    let db = Db::start();
    db.sql(
        "CREATE TABLE t (id int, owner text); ALTER TABLE t ENABLE ROW LEVEL SECURITY; \
         CREATE POLICY upd ON t FOR UPDATE USING (owner = current_user)",
    );
    let mut live = LiveDb::connect(&db.url).unwrap();
    let current = live.introspect(&[]).unwrap();
    let declared = json(
        serde_json::json!({"tables": [{"name": "t", "rls": {"enabled": true}, "policies": [
        {"name": "upd", "command": "UPDATE", "using": "owner = current_user", "with_check": "id > 0"}]}]}),
    );
    let plan = pgpolicy::diff_with(
        &current,
        &declared,
        &DiffOptions::default(),
        Some(&mut live),
    )
    .unwrap();
    assert_eq!(
        plan.statements(),
        ["ALTER POLICY upd ON public.t WITH CHECK (id > 0)"]
    );
    let reverse = plan.reverse();
    assert!(
        matches!(reverse.changes.as_slice(), [Change::ReplacePolicy { .. }]),
        "{}",
        reverse.sql()
    );
    let before = inspect(&db);
    live.apply(&plan).unwrap();
    live.apply(&reverse).unwrap();
    assert_eq!(inspect(&db), before);
    // Changes read back from their JSON form render the same SQL.
    for c in plan.changes.iter().chain(reverse.changes.iter()) {
        let back: Change = serde_json::from_str(&serde_json::to_string(c).unwrap()).unwrap();
        assert_eq!(&back, c);
    }
}

/// A throwaway PostgreSQL that logs every statement, with a database `app`: the cluster,
/// the database's URL and the server log.
fn logging_cluster() -> (pgpolicy::embedded::Cluster, String, std::path::PathBuf) {
    use pgpolicy::embedded::{find_bin_dir, Cluster};
    let cluster =
        Cluster::start_configured(&find_bin_dir().unwrap(), 5432, &[("log_statement", "all")])
            .unwrap();
    let url = cluster.create_database("app").unwrap();
    let log = cluster.dir().join("server.log");
    (cluster, url, log)
}

/// Statements the server has logged so far (simple and extended protocol).
fn logged_statements(log: &std::path::Path) -> usize {
    let text = std::fs::read_to_string(log).unwrap();
    text.matches("LOG:  statement:").count() + text.matches("LOG:  execute").count()
}

#[test]
fn introspection_is_a_constant_number_of_queries() {
    let (cluster, url, log) = logging_cluster();
    let logged = || logged_statements(&log);
    let mut counts = Vec::new();
    for n in [1, 40] {
        let mut ddl = String::new();
        for i in 0..n {
            ddl.push_str(&format!(
                "CREATE TABLE t{n}_{i} (id int, owner text); ALTER TABLE t{n}_{i} ENABLE ROW LEVEL SECURITY; \
                 CREATE POLICY p ON t{n}_{i} USING (owner = current_user); "
            ));
        }
        cluster.psql("app", &ddl).unwrap();
        let mut db = LiveDb::connect(&url).unwrap();
        let before = logged();
        let schema = db.introspect(&[]).unwrap();
        counts.push(logged() - before);
        assert_eq!(
            schema
                .tables
                .iter()
                .filter(|t| t.policies.len() == 1)
                .count(),
            if n == 1 { 1 } else { 41 }
        );
    }
    assert_eq!(
        counts[0], counts[1],
        "statements for 1 table vs 41 tables: {counts:?}"
    );
    // One message (BEGIN READ ONLY, the session pins before any other text, whether to
    // split the read, the catalog query), then ROLLBACK.
    assert_eq!(counts[0], 2, "{counts:?}");
}

/// The core's protocol run statement by statement, as a driver without connections of its
/// own runs it (the packages): the reference for the core's own connection.
struct OneByOne<'a>(&'a mut LiveDb);

impl pgpolicy::exec::Exec for OneByOne<'_> {
    fn execute(&mut self, sql: &str) -> Result<(), pgpolicy::exec::DbError> {
        pgpolicy::exec::Exec::execute(self.0, sql)
    }
    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, pgpolicy::exec::DbError> {
        pgpolicy::exec::Exec::query(self.0, sql)
    }
}

/// The catalog read as one packed text, as the Python package reads it.
struct Packed<'a>(&'a mut LiveDb);

impl pgpolicy::exec::Exec for Packed<'_> {
    fn execute(&mut self, sql: &str) -> Result<(), pgpolicy::exec::DbError> {
        pgpolicy::exec::Exec::execute(self.0, sql)
    }
    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, pgpolicy::exec::DbError> {
        pgpolicy::exec::Exec::query(self.0, sql)
    }
    fn open_and_read_catalog(
        &mut self,
        open: &[String],
        schemas: &[String],
        reader: &mut pgpolicy::introspect::CatalogReader,
    ) -> Result<(), pgpolicy::exec::DbError> {
        pgpolicy::exec::read_catalog_packed(self, open, schemas, reader)
    }
}

#[test]
fn the_packed_catalog_read_is_the_row_by_row_read() {
    use pgpolicy::exec::Scope;
    use pgpolicy::session::Timeouts;
    let (cluster, url, log) = logging_cluster();
    // Texts that JSON must escape: quotes, backslashes, line breaks, tabs, control and
    // non-ASCII characters, in names, expressions and comments; a table without columns.
    cluster
        .psql(
            "app",
            r#"CREATE SCHEMA "s ""q"""; CREATE TABLE "s ""q""".t (e text, "n
l" int);
ALTER TABLE "s ""q""".t ENABLE ROW LEVEL SECURITY;
CREATE POLICY "p ""1""" ON "s ""q""".t USING (e = E'a\\b\n\t\u0001"😀' OR "n
l" > 0);
COMMENT ON POLICY "p ""1""" ON "s ""q""".t IS E'line\nbreak \\ "quoted" é\u0002';
CREATE TABLE public.empty (); ALTER TABLE public.empty ENABLE ROW LEVEL SECURITY;
CREATE POLICY e ON public.empty USING (true);"#,
        )
        .unwrap();
    let schemas = vec!["public".to_string(), "s \"q\"".to_string()];
    let mut db = LiveDb::connect(&url).unwrap();
    let before = logged_statements(&log);
    let reference = pgpolicy::exec::introspect(
        &mut OneByOne(&mut db),
        Scope::Transaction,
        &Timeouts::default(),
        &schemas,
    )
    .unwrap();
    let by_rows = logged_statements(&log) - before;
    let before = logged_statements(&log);
    let packed = pgpolicy::exec::introspect(
        &mut Packed(&mut db),
        Scope::Transaction,
        &Timeouts::default(),
        &schemas,
    )
    .unwrap();
    assert_eq!(
        logged_statements(&log) - before,
        by_rows,
        "as many statements"
    );
    assert_eq!(packed.to_json(), reference.to_json());
    let t = reference
        .tables
        .iter()
        .find(|t| t.name == "t")
        .expect("the quoted table is read");
    assert_eq!(t.policies.len(), 1);
    assert!(t.policies[0]
        .using
        .as_deref()
        .unwrap()
        .contains('\u{1F600}'));
    assert_eq!(
        t.policies[0].comment.as_deref(),
        Some("line\nbreak \\ \"quoted\" \u{e9}\u{2}")
    );
    assert!(reference.tables.iter().any(|t| t.name == "empty"));

    // A packed text that is not the catalog's is refused, naming introspection.
    let mut reader = pgpolicy::introspect::CatalogReader::new();
    let err = pgpolicy::introspect::feed_packed("[[\"h\", null]]", &mut reader).unwrap_err();
    assert!(err.to_string().contains("introspection"), "{err}");
    let mut reader = pgpolicy::introspect::CatalogReader::new();
    assert!(pgpolicy::introspect::feed_packed("[] trailing", &mut reader).is_err());
}

#[test]
fn a_large_catalog_is_read_on_two_connections_in_one_snapshot() {
    use pgpolicy::exec::Scope;
    use pgpolicy::session::Timeouts;
    let (cluster, url, log) = logging_cluster();
    let mut ddl = String::from("CREATE ROLE solo LOGIN CONNECTION LIMIT 1; ");
    for i in 0..30 {
        ddl.push_str(&format!(
            "CREATE TABLE t{i} (id int, owner text, n numeric); ALTER TABLE t{i} ENABLE ROW LEVEL SECURITY; \
             CREATE POLICY a ON t{i} USING (owner = current_user); \
             CREATE POLICY b ON t{i} FOR UPDATE USING (id > {i}) WITH CHECK (n < {i}.5); \
             CREATE POLICY c ON t{i} AS RESTRICTIVE FOR DELETE TO solo USING (owner IN ('x', 'y')); \
             COMMENT ON POLICY c ON t{i} IS 'c of {i}'; "
        ));
    }
    cluster.psql("app", &ddl).unwrap();
    let snapshots = || {
        std::fs::read_to_string(&log)
            .unwrap()
            .matches("SET TRANSACTION SNAPSHOT")
            .count()
    };
    let json = |s: &Schema| s.to_json();

    let mut db = LiveDb::connect(&url).unwrap();
    let reference = pgpolicy::exec::introspect(
        &mut OneByOne(&mut db),
        Scope::Transaction,
        &Timeouts::default(),
        &[],
    )
    .unwrap();
    assert_eq!(
        reference
            .tables
            .iter()
            .map(|t| t.policies.len())
            .sum::<usize>(),
        90
    );

    // Under the threshold: one connection.
    let whole = db.introspect(&[]).unwrap();
    assert_eq!(snapshots(), 0);
    assert_eq!(json(&whole), json(&reference));

    // Over it: half of the policies on a second connection, in the exported snapshot.
    db.set_split_min_policies(10);
    let split = db.introspect(&[]).unwrap();
    assert_eq!(snapshots(), 1);
    assert_eq!(json(&split), json(&reference));
    // And in a plan's transaction, which goes on to compare on the first connection.
    let planned = db.introspect_for_plan(&[]).unwrap();
    db.end_plan();
    assert_eq!(snapshots(), 2);
    assert_eq!(json(&planned), json(&reference));

    // A second connection refused (the role's connection limit): the first one reads the
    // other half itself.
    let solo_url = url.replacen("postgres@", "solo@", 1);
    assert_ne!(solo_url, url);
    let mut solo = LiveDb::connect(&solo_url).unwrap();
    let solo_reference = pgpolicy::exec::introspect(
        &mut OneByOne(&mut solo),
        Scope::Transaction,
        &Timeouts::default(),
        &[],
    )
    .unwrap();
    solo.set_split_min_policies(10);
    let alone = solo.introspect(&[]).unwrap();
    assert_eq!(snapshots(), 2, "the refused connection imported nothing");
    assert!(std::fs::read_to_string(&log)
        .unwrap()
        .contains("too many connections for role \"solo\""));
    assert_eq!(json(&alone), json(&solo_reference));
    assert_eq!(alone.tables, reference.tables);
}

#[test]
fn the_round_trip_is_a_constant_number_of_statements() {
    use pgpolicy::diff::ExprPair;
    use pgpolicy::ir::TableName;
    let (cluster, url, log) = logging_cluster();
    let logged = || logged_statements(&log);
    let mut ddl = String::new();
    for i in 0..40 {
        ddl.push_str(&format!("CREATE TABLE t{i} (id int, owner text); "));
    }
    cluster.psql("app", &ddl).unwrap();
    // Pairs over `tables` tables, `per_table` per table; every other one equal as
    // PostgreSQL prints it.
    let pairs = |tables: usize, per_table: usize| -> Vec<ExprPair> {
        let mut out = Vec::new();
        for i in 0..tables {
            for k in 0..per_table {
                out.push(ExprPair {
                    table: TableName::new("public", format!("t{i}")),
                    policy: format!("p{k}"),
                    clause: pgpolicy::Clause::Using,
                    current: format!("(owner = current_user) AND (id > {k})"),
                    desired: if k.is_multiple_of(2) {
                        format!("owner=CURRENT_USER and id>{k}")
                    } else {
                        format!("owner = session_user AND id > {k}")
                    },
                });
            }
        }
        out
    };
    let mut db = LiveDb::connect(&url).unwrap();
    let mut counts = Vec::new();
    for (tables, per_table) in [(1, 1), (40, 25)] {
        let pairs = pairs(tables, per_table);
        let before = logged();
        let res = db.compare(&pairs).unwrap();
        counts.push(logged() - before);
        for (p, r) in pairs.iter().zip(&res) {
            let k: usize = p.policy[1..].parse().unwrap();
            assert_eq!(r.equal, k.is_multiple_of(2), "{p:?}: {r:?}");
        }
    }
    assert_eq!(
        counts[0], counts[1],
        "statements for 1 pair vs 1,000 pairs on 40 tables: {counts:?}"
    );
    // BEGIN, the pins, and per stage a savepoint, one CREATE SCHEMA, one read; ROLLBACK.
    assert_eq!(counts[0], 9, "{counts:?}");

    // A role that may not create schemas compares with one temporary view per table.
    cluster
        .psql(
            "app",
            "CREATE ROLE reader LOGIN; REVOKE CREATE ON DATABASE app FROM PUBLIC; \
             GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader",
        )
        .unwrap();
    let reader_url = url.replacen("postgres@", "reader@", 1);
    assert_ne!(reader_url, url, "{url}");
    let mut reader = LiveDb::connect(&reader_url).unwrap();
    let pairs = pairs(3, 2);
    let res = reader.compare(&pairs).unwrap();
    assert_eq!(
        res.iter().map(|r| r.equal).collect::<Vec<_>>(),
        [true, false, true, false, true, false]
    );
    // The comparison's own views never shadow a user's relation: `v0` here is the user's
    // table, in the view of the second table (created after the first one's).
    cluster
        .psql("app", "CREATE TABLE v0 (id int, owner text)")
        .unwrap();
    let shadow = |t: &str, current: &str, desired: &str| ExprPair {
        table: TableName::new("public", t),
        policy: "p".into(),
        clause: pgpolicy::Clause::Using,
        current: current.into(),
        desired: desired.into(),
    };
    let res = db
        .compare(&[
            shadow("t0", "owner = current_user", "owner = CURRENT_USER"),
            shadow(
                "t1",
                "EXISTS (SELECT 1 FROM v0)",
                "EXISTS (SELECT 1 FROM public.v0)",
            ),
        ])
        .unwrap();
    assert_eq!(
        res.iter().map(|r| r.equal).collect::<Vec<_>>(),
        [true, true],
        "{res:?}"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    // The reader may not create schemas, but it may create temporary objects: its stages
    // were the temporary function, as everyone's are.
    assert!(
        text.contains("CREATE FUNCTION pg_temp.pgpolicy_")
            && !text.contains("permission denied for database app"),
        "{text}"
    );

    // A role without TEMP (but with CREATE) cannot make the function: every view of a
    // stage comes from one CREATE SCHEMA, and the result is the same.
    cluster
        .psql(
            "app",
            "CREATE ROLE builder LOGIN; REVOKE TEMP ON DATABASE app FROM PUBLIC; \
             GRANT CREATE ON DATABASE app TO builder; \
             GRANT SELECT ON ALL TABLES IN SCHEMA public TO builder",
        )
        .unwrap();
    let builder_url = url.replacen("postgres@", "builder@", 1);
    let mut builder = LiveDb::connect(&builder_url).unwrap();
    let before = logged();
    let res = builder.compare(&pairs).unwrap();
    assert_eq!(
        res.iter().map(|r| r.equal).collect::<Vec<_>>(),
        [true, false, true, false, true, false]
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("permission denied to create temporary tables"),
        "{text}"
    );
    assert!(text.contains("CREATE SCHEMA pgpolicy_rt_"), "{text}");
    // BEGIN, the pins; per stage a savepoint, the refused function, back to the savepoint,
    // one CREATE SCHEMA, one read; ROLLBACK.
    assert_eq!(
        logged() - before,
        13,
        "function refused, then per stage one schema"
    );

    // A role with neither: one temporary view per table is not possible either, and the
    // comparison fails naming the cause rather than guessing.
    cluster
        .psql("app", "REVOKE CREATE ON DATABASE app FROM builder")
        .unwrap();
    let mut builder = LiveDb::connect(&builder_url).unwrap();
    let err = builder.compare(&pairs).unwrap_err().to_string();
    assert!(err.contains("permission denied"), "{err}");
}

#[test]
fn inspect_shows_only_the_roles_its_objects_reference() {
    let db = Db::start();
    db.sql(
        "CREATE ROLE app_user; CREATE ROLE unrelated; CREATE ROLE grp; GRANT grp TO app_user; \
         CREATE TABLE t (owner text); ALTER TABLE t ENABLE ROW LEVEL SECURITY; \
         CREATE POLICY p ON t TO app_user USING (owner = current_user); GRANT SELECT ON t TO app_user",
    );
    let out = cli_ok(&["inspect", &db.url]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = doc["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app_user", "grp"], "{doc}");
    // Fed back as a declaration, it plans nothing (no role is created or altered).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inspected.json");
    std::fs::write(&path, &out).unwrap();
    let out = cli(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        &path.display().to_string(),
        "--exit-code",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let sql = cli_ok(&["inspect", &db.url, "--format", "sql"]);
    assert!(
        !sql.contains("postgres") && !sql.contains("unrelated"),
        "{sql}"
    );
}
