//! `pgpolicy test`: the examples' tenant-isolation tests pass on a throwaway PostgreSQL,
//! fail (exit 2, naming the cases) on a database where the isolation is broken, and
//! malformed cases are refused before anything runs.

mod common;

use common::*;
use serde_json::Value;

fn example(name: &str) -> String {
    repo_root()
        .join("examples/policy-tests")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn the_examples_pass_on_a_throwaway_database() {
    let out = cli(&["test", &example("tenant-isolation.toml")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("8 passed, 0 failed"), "{text}");
}

#[test]
fn broken_isolation_fails_the_tests() {
    let db = Db::start();
    let tables = std::fs::read_to_string(example("tables.sql")).unwrap();
    db.sql(&tables);
    // The fault: the policy exists but RLS is not enabled.
    db.sql("CREATE POLICY tenant_isolation ON users USING (tenant_id = current_setting('app.current_tenant')::integer)");
    let out = cli(&[
        "test",
        &example("tenant-isolation.toml"),
        "--db",
        &db.url,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let outcomes: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o["passed"] == false)
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(
        failed.contains(&"tenant 1 sees only its users"),
        "{failed:?}"
    );
    assert!(
        failed.contains(&"tenant 1 cannot insert a user into tenant 2"),
        "{failed:?}"
    );
    assert!(
        failed.contains(&"tenant 1 cannot move its user to tenant 2"),
        "{failed:?}"
    );
    // Every case was rolled back: the rows are as they were.
    assert_eq!(
        db.sql("SELECT string_agg(name, ',' ORDER BY name) FROM users")
            .trim(),
        "Jane Smith,John Doe"
    );
    // With RLS on, the same file passes on that database.
    db.sql("ALTER TABLE users ENABLE ROW LEVEL SECURITY");
    let out = cli(&["test", &example("tenant-isolation.toml"), "--db", &db.url]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn malformed_cases_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let case = |body: &str| {
        let p = dir.path().join("t.toml");
        std::fs::write(&p, format!("[[test]]\nname = \"bad\"\n{body}\n")).unwrap();
        let out = cli(&[
            "test",
            p.to_str().unwrap(),
            "--db",
            "postgresql://nobody@/none?host=/nonexistent",
        ]);
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    assert!(
        case("select = \"users\"\ninsert = \"users\"\ncount = 1").contains("exactly one of select")
    );
    assert!(case("select = \"users\"").contains("expects nothing"));
    let e = case("select = \"users\"\nwhere = \"true); DROP TABLE users; --\"\ncount = 0");
    assert!(
        e.contains("test \"bad\": where: must be exactly one SQL expression"),
        "{e}"
    );
    let e = case("select = \"users\"\nsettings = { tenant = \"1\" }\ncount = 0");
    assert!(e.contains("invalid setting name \"tenant\""), "{e}");
    assert!(case("select = \"users\"\ncount = 0\nexpect = 1").contains("unknown field"));
}
