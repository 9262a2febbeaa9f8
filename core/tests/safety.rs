//! pgpolicy is never the way in. Each test first reproduces the attack or the fault on a
//! real PostgreSQL (what an unprotected client would suffer), then shows that pgpolicy's
//! CLI or core stops it.

mod common;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use pgpolicy::introspect::LiveDb;

/// The expression that escapes its parentheses when the server reads backslashes as
/// escapes (`standard_conforming_strings = off`), and is one harmless expression when it
/// does not.
const HOSTILE: &str = "b = '\\' AND b = ');DROP TABLE victim;SELECT (1 --'\nIS NOT NULL";
const HOSTILE_COMMIT: &str =
    "'\\' = '); COMMIT; DROP TABLE victim; COMMIT; SELECT (1 --'\nIS NOT NULL";

fn exists(db: &Db, rel: &str) -> bool {
    db.sql(&format!("SELECT to_regclass('{rel}') IS NOT NULL"))
        .trim()
        == "t"
}

fn write_json(dir: &tempfile::TempDir, name: &str, v: serde_json::Value) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.display().to_string()
}

fn one_policy(table: &str, using: &str) -> serde_json::Value {
    serde_json::json!({"tables": [{"name": table, "rls": {"enabled": true},
        "policies": [{"name": "p", "command": "SELECT", "using": using}]}]})
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn standard_conforming_strings_off_cannot_inject_through_apply() {
    let db = Db::start();
    db.sql("CREATE TABLE t (b text); CREATE TABLE victim (x int)");
    db.sql(&format!(
        "ALTER DATABASE {} SET standard_conforming_strings = off",
        db.name
    ));

    // The attack: the same CREATE POLICY text sent by a client that does not pin the
    // setting drops the victim.
    let naive = LiveDb::connect(&db.url).unwrap();
    let _ = naive.execute(&format!("CREATE POLICY repro ON t USING ({HOSTILE})"));
    assert!(
        !exists(&db, "victim"),
        "the reproduction should have dropped the victim"
    );
    db.sql("CREATE TABLE victim (x int); DROP POLICY IF EXISTS repro ON t");

    // pgpolicy apply: the victim stays, and the policy holds the text as declared.
    let dir = tempfile::tempdir().unwrap();
    let decl = write_json(&dir, "decl.json", one_policy("t", HOSTILE));
    let out = cli(&["apply", "--url", &db.url, "--to", &decl]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(exists(&db, "victim"));
    let qual = db.sql("SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polname = 'p'");
    assert!(
        qual.contains("');DROP TABLE victim;SELECT (1 --'"),
        "{qual}"
    );
    // And the plan from the database is now empty: compared as applied.
    let out = cli(&["plan", "--from", &db.url, "--to", &decl, "--exit-code"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
}

#[test]
fn standard_conforming_strings_off_per_role_or_per_url_cannot_inject() {
    let db = Db::start();
    db.sql(
        "CREATE ROLE app LOGIN; CREATE TABLE t (b text); CREATE TABLE victim (x int); \
         ALTER TABLE t OWNER TO app; ALTER TABLE victim OWNER TO app; \
         ALTER ROLE app SET standard_conforming_strings = off",
    );
    let as_app = db.url.replacen("postgres@", "app@", 1);
    assert_ne!(as_app, db.url);
    let by_url = format!("{}&options=-c%20standard_conforming_strings%3Doff", db.url);
    let dir = tempfile::tempdir().unwrap();
    let decl = write_json(&dir, "decl.json", one_policy("t", HOSTILE));
    for url in [&as_app, &by_url] {
        // The attack, where the setting comes from the role or from the URL.
        let naive = LiveDb::connect(url).unwrap();
        assert_eq!(
            naive.query("SHOW standard_conforming_strings").unwrap()[0][0].as_deref(),
            Some("off"),
            "{url}"
        );
        let _ = naive.execute(&format!("CREATE POLICY repro ON t USING ({HOSTILE})"));
        assert!(
            !exists(&db, "victim"),
            "{url}: the reproduction should have dropped the victim"
        );
        db.sql(
            "CREATE TABLE victim (x int); ALTER TABLE victim OWNER TO app; \
             DROP POLICY IF EXISTS repro ON t; DROP POLICY IF EXISTS p ON t",
        );
        // pgpolicy apply through the same URL: the victim stays.
        let out = cli(&["apply", "--url", url, "--to", &decl]);
        assert!(out.status.success(), "{url}: {}", stderr(&out));
        assert!(exists(&db, "victim"), "{url}");
        let qual =
            db.sql("SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polname = 'p'");
        assert!(
            qual.contains("');DROP TABLE victim;SELECT (1 --'"),
            "{url}: {qual}"
        );
    }
}

#[test]
fn standard_conforming_strings_off_cannot_commit_through_the_round_trip() {
    let db = Db::start();
    db.sql("CREATE TABLE t (b text); CREATE TABLE victim (x int); ALTER TABLE t ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON t FOR SELECT USING (b = 'x')");
    db.sql(&format!(
        "ALTER DATABASE {} SET standard_conforming_strings = off",
        db.name
    ));

    // The attack on a comparison written as one multi-statement query in a plain
    // transaction: the COMMIT ends it and the DROP sticks.
    let naive = LiveDb::connect(&db.url).unwrap();
    let r = naive.execute(&format!(
        "BEGIN; CREATE TEMPORARY VIEW v AS SELECT ({HOSTILE_COMMIT}\n) AS expr FROM t; ROLLBACK"
    ));
    assert!(r.is_ok(), "{r:?}");
    let _ = naive.execute("ROLLBACK");
    assert!(
        !exists(&db, "victim"),
        "the reproduction should have dropped the victim"
    );
    db.sql("CREATE TABLE victim (x int)");

    let dir = tempfile::tempdir().unwrap();
    let decl = write_json(&dir, "decl.json", one_policy("t", HOSTILE_COMMIT));
    let out = cli(&["plan", "--from", &db.url, "--to", &decl]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ALTER POLICY"));
    assert!(exists(&db, "victim"));
}

#[test]
fn column_types_cannot_inject_into_the_dev_database() {
    let db = Db::start();
    let dev_url = db.cluster.create_database("dev").unwrap();
    let dev = |sql: &str| db.cluster.psql("dev", sql).unwrap();
    dev("CREATE TABLE victim3 (x int)");
    let hostile = "integer); COMMIT; DROP TABLE victim3; CREATE TABLE pwned(x int); --";

    // The attack: the table statement as a plain render of the column type.
    let mut table = pgpolicy::Table::new("public", "t");
    table.columns.push(pgpolicy::Column {
        name: "a".into(),
        data_type: hostile.into(),
        nullable: true,
    });
    let naive = LiveDb::connect(&dev_url).unwrap();
    let _ = naive.execute(&format!(
        "BEGIN; {}; ROLLBACK",
        pgpolicy::sql::render::create_table(&table)
    ));
    assert_eq!(
        dev("SELECT to_regclass('pwned') IS NOT NULL").trim(),
        "t",
        "reproduction"
    );
    dev("DROP TABLE pwned; CREATE TABLE victim3 (x int)");

    // pgpolicy refuses the declaration, naming the table and the column.
    db.sql("CREATE TABLE t (a int)");
    let dir = tempfile::tempdir().unwrap();
    let decl = write_json(
        &dir,
        "decl.json",
        serde_json::json!({"tables": [{"name": "t", "columns": [{"name": "a", "type": hostile}],
            "policies": [{"name": "p", "using": "a = 1"}]}]}),
    );
    let out = cli(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        &decl,
        "--dev-url",
        &dev_url,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("table public.t")
            && err.contains("column \"a\"")
            && err.contains("not a type name"),
        "{err}"
    );
    assert_eq!(
        dev("SELECT to_regclass('pwned') IS NULL AND to_regclass('victim3') IS NOT NULL").trim(),
        "t"
    );
}

#[test]
fn objects_planted_in_public_are_never_resolved_by_introspection() {
    let db = Db::start();
    db.sql(
        "CREATE ROLE app_user; CREATE TABLE docs (owner text); ALTER TABLE docs ENABLE ROW LEVEL SECURITY; \
         CREATE POLICY p ON docs TO app_user USING (owner = current_user); \
         CREATE FUNCTION public.unnest(oid[]) RETURNS SETOF oid LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'planted unnest called'; END $$; \
         CREATE FUNCTION public.oid_eq_int(oid, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true'; \
         CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = integer, FUNCTION = public.oid_eq_int); \
         CREATE FUNCTION public.oid_ne_int(oid, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT false'; \
         CREATE OPERATOR public.<> (LEFTARG = oid, RIGHTARG = integer, FUNCTION = public.oid_ne_int)",
    );
    // The plants work on an unqualified query under search_path public.
    assert!(db
        .try_sql("SET search_path = public; SELECT count(*) FROM unnest('{1}'::oid[])")
        .unwrap_err()
        .contains("planted unnest called"));
    assert_eq!(
        db.sql("SET search_path = public; SELECT 10::oid = 0")
            .trim(),
        "t"
    );

    let out = cli(&["inspect", &db.url]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["tables"][0]["policies"][0]["roles"],
        serde_json::json!(["app_user"]),
        "{doc}"
    );

    // The drift check sees the truth: TO PUBLIC is a change, TO app_user is not.
    let dir = tempfile::tempdir().unwrap();
    let mut decl = serde_json::json!({"roles": [{"name": "app_user"}], "tables": [{"name": "docs", "rls": {"enabled": true},
        "policies": [{"name": "p", "roles": ["app_user"], "using": "owner = current_user"}]}]});
    let same = write_json(&dir, "same.json", decl.clone());
    let out = cli(&["plan", "--from", &db.url, "--to", &same, "--exit-code"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    decl["tables"][0]["policies"][0]["roles"] = serde_json::json!(["PUBLIC"]);
    let public = write_json(&dir, "public.json", decl);
    let out = cli(&["plan", "--from", &db.url, "--to", &public, "--exit-code"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn apply_gives_up_on_a_held_lock_and_leaves_no_waiter() {
    let db = Db::start();
    db.sql("CREATE TABLE t (owner text); ALTER TABLE t ENABLE ROW LEVEL SECURITY");
    let holder = LiveDb::connect(&db.url).unwrap();
    holder
        .execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        .unwrap();

    // The fault: a client without a lock timeout waits (here cut by a statement timeout
    // so the test ends; without it, it would wait for as long as the holder holds).
    let naive = LiveDb::connect(&db.url).unwrap();
    let t0 = Instant::now();
    let e = naive
        .execute("SET statement_timeout = '1s'; CREATE POLICY waits ON t USING (true)")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("statement timeout") && t0.elapsed() >= Duration::from_millis(900),
        "{e}"
    );

    let dir = tempfile::tempdir().unwrap();
    let decl = write_json(&dir, "decl.json", one_policy("t", "owner = current_user"));
    let t0 = Instant::now();
    let out = cli(&[
        "apply",
        "--url",
        &db.url,
        "--to",
        &decl,
        "--lock-timeout",
        "200ms",
        "--retries",
        "2",
    ]);
    let took = t0.elapsed();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("nothing was applied")
            && err.contains("after 3 attempts")
            && err.contains("lock"),
        "{err}"
    );
    assert!(took < Duration::from_secs(15), "{took:?}");
    // No request of pgpolicy's is left waiting: readers are not queued behind it.
    let waiting = holder
        .query("SELECT count(*) FROM pg_locks WHERE NOT granted")
        .unwrap();
    assert_eq!(waiting[0][0].as_deref(), Some("0"));
    holder.execute("COMMIT").unwrap();

    let out = cli(&[
        "apply",
        "--url",
        &db.url,
        "--to",
        &decl,
        "--lock-timeout",
        "200ms",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(db.sql("SELECT count(*) FROM pg_policy").trim(), "1");
}

#[test]
fn the_comparison_gives_up_on_a_held_lock() {
    let db = Db::start();
    db.sql("CREATE TABLE t (b text); ALTER TABLE t ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON t FOR SELECT USING (b = 'x')");
    let holder = LiveDb::connect(&db.url).unwrap();
    holder
        .execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let decl = write_json(&dir, "decl.json", one_policy("t", "b = 'y'"));
    let out = cli(&[
        "plan",
        "--from",
        &db.url,
        "--to",
        &decl,
        "--lock-timeout",
        "300ms",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("lock") && err.contains("55P03"), "{err}");
    holder.execute("COMMIT").unwrap();
}

#[test]
fn connecting_to_a_server_that_never_answers_is_bounded() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let keeper = std::thread::spawn(move || {
        // Accept and hold connections without a word, for a bounded time.
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let end = Instant::now() + Duration::from_secs(30);
        while Instant::now() < end && held.len() < 4 {
            if let Ok((s, _)) = listener.accept() {
                held.push(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        held
    });
    // The fault: the connection is accepted and nothing ever comes back.
    let mut raw = TcpStream::connect(("127.0.0.1", port)).unwrap();
    raw.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut buf = [0u8; 1];
    assert!(raw.read(&mut buf).is_err(), "the listener answered");

    let url =
        format!("postgresql://postgres@127.0.0.1:{port}/app?sslmode=disable&connect_timeout=2");
    let t0 = Instant::now();
    let out = cli(&["inspect", &url]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("no answer"),
        "{err}"
    );
    assert!(t0.elapsed() < Duration::from_secs(8), "{:?}", t0.elapsed());

    // Without connect_timeout in the URL, --connect-timeout (default 10 s) bounds it.
    let url = format!("postgresql://postgres@127.0.0.1:{port}/app?sslmode=disable");
    let t0 = Instant::now();
    let out = cli(&["inspect", &url, "--connect-timeout", "1s"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(t0.elapsed() < Duration::from_secs(6), "{:?}", t0.elapsed());
    drop(raw);
    drop(keeper);
}

#[test]
fn rls_is_never_weakened_implicitly() {
    let db = Db::start();
    db.sql(
        "CREATE SCHEMA storage; CREATE TABLE storage.objects (owner text, name text); \
         ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY; ALTER TABLE storage.objects FORCE ROW LEVEL SECURITY",
    );
    assert_eq!(
        db.sql(
            "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = 'objects'"
        )
        .trim(),
        "t"
    );
    // The platform's layout: policies only, RLS enabled by someone else.
    let dir = tempfile::tempdir().unwrap();
    let sql = dir.path().join("policies.sql");
    std::fs::write(
        &sql,
        "CREATE POLICY \"read own\" ON storage.objects FOR SELECT USING (owner = current_user);\n",
    )
    .unwrap();
    let sql = sql.display().to_string();
    let out = cli(&["plan", "--from", &db.url, "--to", &sql, "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["change"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["create_policy"], "{plan}");
    assert_eq!(plan["weakens"], false);
    let out = cli(&["apply", "--url", &db.url, "--to", &sql]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        db.sql(
            "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = 'objects'"
        )
        .trim(),
        "t"
    );

    // RLS declared off with policies declared on the table is a contradiction, refused.
    let contradiction = write_json(
        &dir,
        "contradiction.json",
        serde_json::json!({"tables": [{"schema": "storage", "name": "objects", "rls": {"enabled": false, "forced": false},
            "policies": [{"name": "read own", "command": "SELECT", "using": "owner = current_user"}]}]}),
    );
    let out = cli(&["plan", "--from", &db.url, "--to", &contradiction]);
    assert!(!out.status.success());
    assert!(
        stderr(&out)
            .contains("policy \"read own\", clause table: row-level security is declared off"),
        "{}",
        stderr(&out)
    );

    // An explicit declaration may turn RLS off: marked in every form, refused by apply
    // unless allowed.
    let off = write_json(
        &dir,
        "off.json",
        serde_json::json!({"tables": [{"schema": "storage", "name": "objects", "rls": {"enabled": false, "forced": false}}]}),
    );
    let out = cli(&["plan", "--from", &db.url, "--to", &off]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("-- WEAKENS: turns row-level security off on storage.objects"),
        "{text}"
    );
    let out = cli(&["plan", "--from", &db.url, "--to", &off, "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["weakens"], true);
    let steps: Vec<(&str, bool)> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["change"]["kind"].as_str().unwrap(),
                s["weakens"].is_string(),
            )
        })
        .collect();
    // Both flags off weaken; the permissive policy the declaration no longer has goes too.
    assert_eq!(
        steps,
        [
            ("disable_rls", true),
            ("no_force_rls", true),
            ("drop_policy", false)
        ],
        "{plan}"
    );
    let out = cli(&["apply", "--url", &db.url, "--to", &off]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("weakens protection") && stderr(&out).contains("--allow-weaken"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        db.sql("SELECT relrowsecurity FROM pg_class WHERE relname = 'objects'")
            .trim(),
        "t"
    );
    let out = cli(&["apply", "--url", &db.url, "--to", &off, "--allow-weaken"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        db.sql(
            "SELECT relrowsecurity OR relforcerowsecurity FROM pg_class WHERE relname = 'objects'"
        )
        .trim(),
        "f"
    );
}

#[test]
fn a_refused_expression_names_its_place_and_postgresql_message() {
    let db = Db::start();
    db.sql("CREATE TABLE t (b text); ALTER TABLE t ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON t FOR SELECT USING (b = 'x')");
    let dir = tempfile::tempdir().unwrap();
    let decl = write_json(
        &dir,
        "decl.json",
        one_policy("t", "current_setting('x')::in::teger = b"),
    );
    let out = cli(&["plan", "--from", &db.url, "--to", &decl]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("table public.t, policy \"p\", clause USING")
            && err.contains("syntax error")
            && err.contains("42601"),
        "{err}"
    );
    assert!(!err.contains("savepoint"), "{err}");

    // A column the database lacks (the migration may add it): counted as changed, named.
    let decl = write_json(&dir, "later.json", one_policy("t", "tenant = 'a'"));
    let out = cli(&["plan", "--from", &db.url, "--to", &decl]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: table public.t, policy \"p\", clause USING")
            && stderr(&out).contains("tenant"),
        "{}",
        stderr(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ALTER POLICY"));
}

#[test]
fn carriage_return_line_ends_and_other_grants_in_sql_sources() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cr.sql");
    std::fs::write(
        &path,
        "-- policies\rCREATE TABLE t (b text);\rGRANT CONNECT ON DATABASE app TO PUBLIC;\rALTER TABLE t ENABLE ROW LEVEL SECURITY;\rCREATE POLICY p ON t USING (b = 'x');\r",
    )
    .unwrap();
    let out = cli(&[
        "plan",
        "--from",
        "empty",
        "--to",
        &path.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let sql = String::from_utf8_lossy(&out.stdout);
    assert!(
        sql.contains("CREATE POLICY p ON public.t") && sql.contains("ENABLE ROW LEVEL SECURITY"),
        "{sql}"
    );
    assert!(
        stderr(&out).contains("line 3: skipped GRANT on an object other than a table"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn exit_codes_and_a_closed_pipe() {
    // A typo is a usage error, never "drift".
    let out = cli(&["plan", "--form", "empty", "--to", "empty", "--exit-code"]);
    assert_eq!(out.status.code(), Some(64));
    // A large plan piped into a reader that stops early ends quietly.
    let dir = tempfile::tempdir().unwrap();
    let tables: Vec<serde_json::Value> = (0..3000)
        .map(|i| serde_json::json!({"name": format!("t{i}"), "rls": {"enabled": true}, "policies": [{"name": "p", "using": "true"}]}))
        .collect();
    let big = write_json(&dir, "big.json", serde_json::json!({ "tables": tables }));
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgpolicy"))
        .args(["plan", "--from", "empty", "--to", &big])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        matches!(out.status.code(), Some(141) | Some(0)),
        "{:?} {err}",
        out.status
    );
}

#[test]
fn sessions_name_themselves_for_operators() {
    let db = Db::start();
    let live = LiveDb::connect(&db.url).unwrap();
    let name = live
        .query("SELECT current_setting('application_name')")
        .unwrap();
    assert_eq!(name[0][0].as_deref(), Some("pgpolicy"));
    // A URL that names the application keeps its name.
    let live = LiveDb::connect(&format!("{}&application_name=deploy", db.url)).unwrap();
    let name = live
        .query("SELECT current_setting('application_name')")
        .unwrap();
    assert_eq!(name[0][0].as_deref(), Some("deploy"));
}
