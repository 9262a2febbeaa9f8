//! Property test against a real PostgreSQL: for random declarations (tables, RLS flags,
//! policies, roles, grants), applying the plan from the empty state and planning again
//! gives an empty plan; a plan between two random declarations and then its reverse
//! returns the database to where it was.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use pgpolicy::introspect::LiveDb;
use pgpolicy::*;
use proptest::prelude::*;

const TABLES: &[&str] = &["docs", "Users", "select", "with space"];
const POLICY_NAMES: &[&str] = &["p", "tenant_isolation", "Owner Only", "a\"b", "read"];
const USING: &[&str] = &[
    "owner = current_user",
    "tenant_id = current_setting('app.t')::integer",
    "flag",
    "id > 10 AND owner IS NOT NULL",
    "tenant_id IN (1, 2, 3)",
    "(select true)",
    "owner ILIKE 'a%'",
];

#[derive(Debug, Clone)]
struct PolicySpec {
    name: usize,
    command: usize,
    permissive: bool,
    roles: Vec<usize>,
    using: usize,
    check: usize,
}

#[derive(Debug, Clone)]
struct TableSpec {
    table: usize,
    enabled: bool,
    forced: bool,
    policies: Vec<PolicySpec>,
    grants: Vec<(usize, Vec<usize>)>,
}

#[derive(Debug, Clone)]
struct DeclSpec {
    roles: Vec<(bool, bool, Option<usize>)>,
    tables: Vec<TableSpec>,
}

fn policy_spec() -> impl Strategy<Value = PolicySpec> {
    (
        0..POLICY_NAMES.len(),
        0..5usize,
        any::<bool>(),
        prop::collection::vec(0..3usize, 0..3),
        0..USING.len(),
        0..USING.len(),
    )
        .prop_map(
            |(name, command, permissive, roles, using, check)| PolicySpec {
                name,
                command,
                permissive,
                roles,
                using,
                check,
            },
        )
}

fn table_spec() -> impl Strategy<Value = TableSpec> {
    (
        0..TABLES.len(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(policy_spec(), 0..4),
        prop::collection::vec((0..3usize, prop::collection::vec(0..7usize, 1..4)), 0..3),
    )
        .prop_map(|(table, enabled, forced, policies, grants)| TableSpec {
            table,
            enabled,
            forced,
            policies,
            grants,
        })
}

fn decl_spec() -> impl Strategy<Value = DeclSpec> {
    (
        prop::collection::vec(
            (any::<bool>(), any::<bool>(), prop::option::of(0..3usize)),
            0..3,
        ),
        prop::collection::vec(table_spec(), 1..4),
    )
        .prop_map(|(roles, tables)| DeclSpec { roles, tables })
}

fn columns() -> Vec<Column> {
    [
        ("id", "integer"),
        ("owner", "text"),
        ("tenant_id", "integer"),
        ("flag", "boolean"),
    ]
    .iter()
    .map(|(n, t)| Column {
        name: n.to_string(),
        data_type: t.to_string(),
        nullable: true,
    })
    .collect()
}

/// Builds a valid declaration from a spec; roles are named per case so cases do not
/// collide in the cluster.
fn build(spec: &DeclSpec, case: usize) -> Schema {
    let role_name = |i: usize| format!("r{case}_{i}");
    let mut schema = Schema::default();
    for (i, (login, inherit, member_of)) in spec.roles.iter().enumerate() {
        let mut r = Role::new(role_name(i));
        r.login = *login;
        r.inherit = *inherit;
        if let Some(m) = member_of.filter(|m| *m < i) {
            r.member_of.push(role_name(m));
        }
        schema.roles.push(r);
    }
    for t in &spec.tables {
        if schema.table("public", TABLES[t.table]).is_some() {
            continue;
        }
        let mut table = Table::new("public", TABLES[t.table]);
        table.columns = columns();
        // RLS declared off with policies is refused (POLICY_WITH_RLS_OFF): a table with
        // policies has RLS on; one without may have it off.
        table.rls = Rls::new(t.enabled || !t.policies.is_empty(), t.forced);
        for p in &t.policies {
            if table.policy(POLICY_NAMES[p.name]).is_some() {
                continue;
            }
            let command = [
                Command::All,
                Command::Select,
                Command::Insert,
                Command::Update,
                Command::Delete,
            ][p.command];
            let mut policy = Policy::new(POLICY_NAMES[p.name]);
            policy.command = command;
            policy.permissive = p.permissive;
            let mut roles: Vec<RoleSpec> = p
                .roles
                .iter()
                .filter(|r| **r < spec.roles.len())
                .map(|r| RoleSpec::Named(role_name(*r)))
                .collect();
            roles.sort();
            roles.dedup();
            policy.roles = if roles.is_empty() {
                vec![RoleSpec::Public]
            } else {
                roles
            };
            if command.allows_using() {
                policy.using = Some(USING[p.using].to_string());
            }
            if command.allows_with_check() {
                policy.with_check = Some(USING[p.check].to_string());
            }
            table.policies.push(policy);
        }
        for (role, privs) in &t.grants {
            if *role < spec.roles.len() {
                schema.grants.push(Grant::table(
                    "public",
                    table.name.clone(),
                    RoleSpec::Named(role_name(*role)),
                    privs.iter().map(|i| Privilege::ALL[*i]).collect(),
                ));
            }
        }
        schema.tables.push(table);
    }
    schema.normalize();
    validate::validate(&schema).expect("generated declaration is valid");
    schema
}

/// The introspected state without the cluster's own roles.
fn state(db: &mut LiveDb, case: usize) -> Schema {
    let mut s = db.introspect(&[]).unwrap();
    let prefix = format!("r{case}_");
    s.roles.retain(|r| r.name.starts_with(&prefix));
    s
}

static CASE: AtomicUsize = AtomicUsize::new(0);

#[test]
fn random_declarations_round_trip() {
    let pg = pgpolicy::embedded::Cluster::start().unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&(decl_spec(), decl_spec()), |(a_spec, b_spec)| {
            let case = CASE.fetch_add(1, Ordering::SeqCst);
            let dbname = format!("case{case}");
            let url = pg.create_database(&dbname).unwrap();
            let a = build(&a_spec, case);
            let b = build(&b_spec, case);
            // The ORM's tables: every table either declaration names.
            let mut ddl = String::new();
            for t in a.tables.iter().chain(b.tables.iter()) {
                let stmt = sql::render::create_table(t);
                if !ddl.contains(&stmt) {
                    ddl.push_str(&stmt);
                    ddl.push_str(";\n");
                }
            }
            pg.psql(&dbname, &ddl).unwrap();
            let mut live = LiveDb::connect(&url).unwrap();
            let opts = DiffOptions::default();

            // From empty to A, then nothing left to do.
            live.apply(&diff(&Schema::empty(), &a, &opts).unwrap())
                .unwrap();
            let cur = live.introspect(&[]).unwrap();
            let again = diff_with(&cur, &a, &opts, Some(&mut live)).unwrap();
            prop_assert!(
                again.is_empty(),
                "plan after apply is not empty:\n{}",
                again.sql()
            );
            let state_a = state(&mut live, case);

            // A to B between the two declarations, then B is what the database holds.
            let ab = diff(&a, &b, &opts).unwrap();
            live.apply(&ab).unwrap();
            let cur = live.introspect(&[]).unwrap();
            let rest = diff_with(&cur, &b, &opts, Some(&mut live)).unwrap();
            prop_assert!(
                rest.is_empty(),
                "after A->B the database differs from B:\n{}\nplan was:\n{}",
                rest.sql(),
                ab.sql()
            );

            // The reverse returns to A exactly.
            live.apply(&ab.reverse()).unwrap();
            prop_assert_eq!(state(&mut live, case), state_a);

            drop(live);
            let roles: Vec<String> = a
                .roles
                .iter()
                .chain(b.roles.iter())
                .map(|r| sql::quote::ident(&r.name))
                .collect();
            pg.psql("postgres", &format!("DROP DATABASE {dbname}"))
                .unwrap();
            if !roles.is_empty() {
                let mut unique = roles.clone();
                unique.sort();
                unique.dedup();
                pg.psql(
                    "postgres",
                    &format!("DROP ROLE IF EXISTS {}", unique.join(", ")),
                )
                .unwrap();
            }
            Ok(())
        })
        .unwrap();
}
