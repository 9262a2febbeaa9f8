//! The guides' scenarios with the core alone, on a throwaway PostgreSQL: read each
//! declaration (the ModelIR JSON, the SQLAlchemy and Sequelize guides' schema.sql), plan
//! from the database, apply in one transaction, show each tenant's rows as a non-owner
//! role, and show that planning again finds nothing to do.
//!
//! `cargo run --release -p pgpolicy --example demo -- tests/fixtures`

use std::path::Path;

use pgpolicy::embedded::Cluster;
use pgpolicy::introspect::LiveDb;
use pgpolicy::{DiffOptions, Schema};

struct Scenario {
    title: &'static str,
    file: &'static str,
    table: &'static str,
    seed: &'static str,
    tenants: [&'static str; 2],
}

fn load(path: &Path) -> Schema {
    if path.extension().is_some_and(|e| e == "json") {
        Schema::from_json(&std::fs::read_to_string(path).expect("read declaration"))
            .expect("valid declaration")
    } else {
        let (mut s, _) = pgpolicy::sql::read_sql_file(path).expect("read declaration");
        s.normalize();
        s
    }
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/fixtures".into());
    let scenarios = [
        Scenario {
            title: "ModelIR guide (tenants, uuid tenant ids)",
            file: "model-ir.json",
            table: "tenants",
            seed: "INSERT INTO tenants VALUES \
                   (gen_random_uuid(), '00000000-0000-4000-8000-000000000001', 'Tenant A row'), \
                   (gen_random_uuid(), '00000000-0000-4000-8000-000000000002', 'Tenant B row')",
            tenants: ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"],
        },
        Scenario {
            title: "SQLAlchemy guide (users.tenant_id)",
            file: "sqlalchemy-schema.sql",
            table: "users",
            seed: "INSERT INTO tenants (id, name) VALUES (1, 'Tenant A'), (2, 'Tenant B'); \
                   INSERT INTO users (name, tenant_id) VALUES ('John', 1), ('Sarah', 2)",
            tenants: ["1", "2"],
        },
        Scenario {
            title: "Sequelize guide (\"Users\".\"tenantId\")",
            file: "sequelize-schema.sql",
            table: "\"Users\"",
            seed: "INSERT INTO \"Tenants\" VALUES (1, 'Tenant A', now(), now()), (2, 'Tenant B', now(), now()); \
                   INSERT INTO \"Users\" VALUES (1, 'John Doe', 1, now(), now()), (2, 'Jane Smith', 2, now(), now())",
            tenants: ["1", "2"],
        },
    ];
    let cluster = Cluster::start().expect("start a throwaway PostgreSQL");
    println!("throwaway PostgreSQL at {}", cluster.socket_dir().display());
    cluster
        .psql("postgres", "CREATE ROLE app_user LOGIN")
        .unwrap();
    for (i, s) in scenarios.iter().enumerate() {
        println!("\n== {}", s.title);
        let db = format!("guide{i}");
        let url = cluster.create_database(&db).unwrap();
        let desired = load(&Path::new(&dir).join(s.file));
        // The ORM's part: the tables, a grant for the application role, and rows.
        for t in &desired.tables {
            cluster
                .psql(&db, &pgpolicy::sql::render::create_table(t))
                .unwrap();
        }
        cluster
            .psql(&db, &format!("GRANT SELECT ON {} TO app_user", s.table))
            .unwrap();
        cluster.psql(&db, s.seed).unwrap();

        let mut live = LiveDb::connect(&url).unwrap();
        let current = live.introspect(&[]).unwrap();
        let plan =
            pgpolicy::diff_with(&current, &desired, &DiffOptions::default(), Some(&mut live))
                .unwrap();
        print!("{}", plan.sql());
        live.apply(&plan).unwrap();

        for tenant in s.tenants {
            let rows = cluster
                .psql(
                    &db,
                    &format!(
                        "BEGIN; SET LOCAL ROLE app_user; SELECT set_config('app.current_tenant', '{tenant}', true); \
                         SELECT coalesce(string_agg(name, ', ' ORDER BY name), '(none)') FROM {}; COMMIT;",
                        s.table
                    ),
                )
                .unwrap();
            let last = rows.lines().rfind(|l| !l.is_empty()).unwrap_or("");
            println!("as app_user, tenant {tenant}: {last}");
        }
        let current = live.introspect(&[]).unwrap();
        let again =
            pgpolicy::diff_with(&current, &desired, &DiffOptions::default(), Some(&mut live))
                .unwrap();
        println!(
            "plan from the database to the declaration: {} change(s)",
            again.len()
        );
        assert!(again.is_empty());
    }
    practical_guide(&cluster, &dir);
}

/// The practical guide: a policy per command, a restrictive tenant policy, an admin role
/// with BYPASSRLS, all declared in one `.sql` file with its roles and grants.
fn practical_guide(cluster: &Cluster, dir: &str) {
    println!(
        "\n== Practical RLS guide (posts: a policy per command, tenant isolation, admin bypass)"
    );
    let url = cluster.create_database("practical").unwrap();
    let desired = load(&Path::new(dir).join("practical-guide.sql"));
    for t in &desired.tables {
        cluster
            .psql("practical", &pgpolicy::sql::render::create_table(t))
            .unwrap();
    }
    let mut live = LiveDb::connect(&url).unwrap();
    // app_user exists already (cluster-wide, from the guides above): declared, so kept in line.
    let current = live.introspect(&[]).unwrap();
    let plan =
        pgpolicy::diff_with(&current, &desired, &DiffOptions::default(), Some(&mut live)).unwrap();
    print!("{}", plan.sql());
    live.apply(&plan).unwrap();
    cluster
        .psql(
            "practical",
            "GRANT USAGE ON SEQUENCE posts_id_seq TO app_user",
        )
        .unwrap();
    let (t1, alice, bob) = (
        "10000000-0000-4000-8000-000000000001",
        "a0000000-0000-4000-8000-00000000000a",
        "b0000000-0000-4000-8000-00000000000b",
    );
    cluster
        .psql(
            "practical",
            &format!(
                "INSERT INTO posts (tenant_id, author_id, title, status) VALUES \
                 ('{t1}', '{alice}', 'Alice''s post', 'draft'), ('{t1}', '{bob}', 'Bob''s post', 'draft')"
            ),
        )
        .unwrap();
    for (role, user, who) in [
        ("app_user", alice, "alice"),
        ("app_user", bob, "bob"),
        ("app_admin", alice, "admin"),
    ] {
        let out = cluster
            .psql(
                "practical",
                &format!(
                    "BEGIN; SET LOCAL ROLE {role}; SELECT set_config('app.tenant_id', '{t1}', true), \
                     set_config('app.current_user_id', '{user}', true); \
                     SELECT string_agg(title, ', ' ORDER BY title) FROM posts; COMMIT;"
                ),
            )
            .unwrap();
        let last = out.lines().rfind(|l| !l.is_empty()).unwrap_or("");
        println!("as {role} ({who}): {last}");
    }
    let current = live.introspect(&[]).unwrap();
    let again =
        pgpolicy::diff_with(&current, &desired, &DiffOptions::default(), Some(&mut live)).unwrap();
    println!(
        "plan from the database to the declaration: {} change(s)",
        again.len()
    );
    assert!(again.is_empty());
}
