//! Each validation error, with its exact message naming table, policy and clause.

use pgpolicy::{Error, Schema};

fn errors(v: serde_json::Value) -> Vec<String> {
    match Schema::from_json(&v.to_string()) {
        Err(Error::Validation(errs)) => errs.iter().map(|e| format!("{}|{e}", e.code)).collect(),
        Err(other) => panic!("expected validation errors, got {other}"),
        Ok(_) => panic!("expected validation errors, got a schema"),
    }
}

fn one_table(policies: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"tables": [{"name": "users", "policies": policies}]})
}

#[test]
fn insert_with_using() {
    assert_eq!(
        errors(one_table(serde_json::json!([{"name": "ins", "command": "INSERT", "using": "true"}]))),
        ["INSERT_WITH_USING|table public.users, policy \"ins\", clause USING: an INSERT policy takes only WITH CHECK, not USING"]
    );
}

#[test]
fn select_and_delete_with_check() {
    assert_eq!(
        errors(one_table(serde_json::json!([
            {"name": "sel", "command": "SELECT", "using": "true", "with_check": "true"},
            {"name": "del", "command": "delete", "withCheck": "true"}
        ]))),
        [
            "SELECT_WITH_CHECK|table public.users, policy \"sel\", clause WITH CHECK: a SELECT policy takes only USING, not WITH CHECK",
            "DELETE_WITH_CHECK|table public.users, policy \"del\", clause WITH CHECK: a DELETE policy takes only USING, not WITH CHECK",
        ]
    );
}

#[test]
fn duplicate_policy_names() {
    assert_eq!(
        errors(one_table(serde_json::json!([{"name": "p", "using": "true"}, {"name": "p", "using": "false"}]))),
        ["DUPLICATE_POLICY|table public.users, policy \"p\", clause name: policy names must be unique per table; this name is used twice"]
    );
}

#[test]
fn identifiers_over_63_bytes() {
    let long = "p".repeat(64);
    let ok = "é".repeat(31); // 62 bytes
    let errs = errors(one_table(
        serde_json::json!([{"name": long, "using": "true"}, {"name": ok, "using": "true"}]),
    ));
    assert_eq!(
        errs,
        [format!("IDENTIFIER_TOO_LONG|table public.users, policy \"{long}\", clause name: policy name \"{long}\" is 64 bytes long; PostgreSQL identifiers are at most 63 bytes")]
    );
    let multibyte = "é".repeat(32); // 64 bytes, 32 characters
    let errs = errors(serde_json::json!({"tables": [{"name": multibyte}]}));
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].contains("table name") && errs[0].contains("64 bytes long"),
        "{errs:?}"
    );
}

#[test]
fn not_exactly_one_expression() {
    let errs = errors(one_table(serde_json::json!([
        {"name": "inj", "using": "true); DROP TABLE users; --"},
        {"name": "two", "command": "UPDATE", "using": "a = 1", "with_check": "a = 1; SELECT 1"},
        {"name": "bad", "using": "a = = 1"},
        {"name": "empty", "using": "   "}
    ])));
    // "a = = 1" cannot leave its parentheses: grammar is PostgreSQL's to judge (it is
    // named in the plan's warnings, and refused by the server when the plan runs).
    // A blank clause is an error too, never "no clause".
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(errs[0].starts_with("INVALID_EXPRESSION|table public.users, policy \"inj\", clause USING: must be exactly one SQL expression, but text follows it at )"), "{errs:?}");
    assert!(errs[1].starts_with("INVALID_EXPRESSION|table public.users, policy \"two\", clause WITH CHECK: must be exactly one SQL expression, but text follows it at ;"), "{errs:?}");
    assert!(errs[2].starts_with("INVALID_EXPRESSION|table public.users, policy \"empty\", clause USING: the expression is empty"), "{errs:?}");
}

#[test]
fn unreadable_grammar_is_a_plan_warning() {
    let desired = pgpolicy::Schema::from_json(
        &one_table(serde_json::json!([{"name": "bad", "using": "a = = 1"}])).to_string(),
    )
    .unwrap();
    let plan = pgpolicy::diff(&pgpolicy::Schema::empty(), &desired, &Default::default()).unwrap();
    assert_eq!(plan.warnings.len(), 1, "{:?}", plan.warnings);
    assert!(
        plan.warnings[0].starts_with("table public.users, policy \"bad\", clause USING: pgpolicy cannot read this expression offline"),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn unknown_command() {
    assert_eq!(
        errors(one_table(serde_json::json!([{"name": "p", "command": "UPSERT", "using": "true"}]))),
        ["UNKNOWN_COMMAND|table public.users, policy \"p\", clause command: unknown command \"UPSERT\" (expected ALL, SELECT, INSERT, UPDATE or DELETE)"]
    );
}

#[test]
fn unknown_role_when_roles_are_managed() {
    let errs = errors(serde_json::json!({
        "tables": [{"name": "users", "policies": [{"name": "p", "roles": ["app_user", "ghost", "PUBLIC"], "using": "true"}]}],
        "roles": [{"name": "app_user"}],
        "grants": [{"table": "users", "role": "phantom", "privileges": ["SELECT"]}]
    }));
    assert_eq!(
        errs,
        [
            "UNKNOWN_ROLE|table public.users, policy \"p\", clause roles: role \"ghost\" is not among the declared roles",
            "PUBLIC_WITH_ROLES|table public.users, policy \"p\", clause roles: PUBLIC already includes every role; list it alone",
            "UNKNOWN_ROLE|table public.users, clause grant: grant to role \"phantom\", which is not among the declared roles",
        ]
    );
    // Without declared roles, roles are not managed and any name is accepted.
    assert!(Schema::from_json(
        &serde_json::json!({"tables": [{"name": "users", "policies": [{"name": "p", "roles": ["ghost"], "using": "true"}]}]}).to_string()
    )
    .is_ok());
}

#[test]
fn unknown_privilege() {
    assert_eq!(
        errors(serde_json::json!({"grants": [{"table": "users", "role": "r", "privileges": ["SELECT", "EXECUTE"]}]})),
        ["UNKNOWN_PRIVILEGE|table public.users, clause grant: unknown table privilege \"EXECUTE\" granted to r"]
    );
}

#[test]
fn grants_on_other_objects_name_them() {
    assert_eq!(
        errors(serde_json::json!({"grants": [
            {"sequence": "s", "role": "r", "privileges": ["EXECUTE"]},
            {"schema": "app", "role": "r", "privileges": ["SELECT"]},
            {"function": "f", "args": ["int); DROP TABLE x; --"], "role": "r", "privileges": ["EXECUTE"]},
            {"table": "t", "columns": ["a"], "role": "r", "privileges": ["DELETE"]},
            {"table": "t", "sequence": "s", "role": "r", "privileges": []},
            {"role": "r", "privileges": ["USAGE"]}
        ]})),
        [
            "UNKNOWN_PRIVILEGE|clause grant: sequence public.s: unknown sequence privilege \"EXECUTE\" granted to r",
            "UNKNOWN_PRIVILEGE|clause grant: schema app: unknown schema privilege \"SELECT\" granted to r",
            "BAD_ARGUMENT_TYPE|clause grant: function public.f: the type \"int); DROP TABLE x; --\" is not a type name (unexpected \")\")",
            "UNKNOWN_PRIVILEGE|table public.t, clause grant: unknown table column privilege \"DELETE\" granted to r",
            "AMBIGUOUS_GRANT|table public.t, clause grant: a grant names more than one of table, sequence and function",
            "GRANT_WITHOUT_OBJECT|clause grant: a grant to r names no table, sequence, function or schema",
        ]
    );
    assert_eq!(
        errors(serde_json::json!({
            "roles": [{"name": "app"}],
            "default_privileges": [
                {"on": "tables", "role": "ghost", "privileges": ["SELECT"]},
                {"on": "types", "role": "app", "privileges": ["USAGE"]},
                {"on": "schemas", "schema": "s", "role": "app", "privileges": ["USAGE"]}
            ]
        })),
        [
            "UNKNOWN_OBJECT_KIND|clause grant: default privileges for app: unknown object kind \"types\" (expected tables, sequences, functions or schemas)",
            "SCHEMA_DEFAULTS_IN_SCHEMA|clause grant: default privileges for app: default privileges on schemas cannot be given IN SCHEMA",
        ]
    );
    assert_eq!(
        errors(serde_json::json!({
            "roles": [{"name": "app"}],
            "default_privileges": [{"on": "tables", "role": "ghost", "privileges": ["SELECT"]}]
        })),
        ["UNKNOWN_ROLE|clause grant: default privileges on tables: grantee \"ghost\" is not among the declared roles"]
    );
}

#[test]
fn sql_source_errors_name_the_place() {
    let err = pgpolicy::sql::read_sql("CREATE POLICY p ON t FOR UPSERT USING (true);").unwrap_err();
    assert_eq!(err.to_string(), "SQL at line 1, column 26: unknown policy command \"UPSERT\" in: CREATE POLICY p ON t FOR UPSERT USING (true)");
    // Clauses in the wrong order (the ModelIR guide prints FOR before AS) are refused, not misread.
    let err = pgpolicy::sql::read_sql(
        "CREATE POLICY p ON t FOR ALL TO app_user AS PERMISSIVE USING (true);",
    )
    .unwrap_err();
    assert!(err.to_string().contains("unexpected \"AS\""), "{err}");
}

#[test]
fn misspelled_fields_name_the_table_and_policy() {
    let err = Schema::from_json(
        &serde_json::json!({"tables": {"users": {"policies": [{"name": "p", "usng": "true"}]}}})
            .to_string(),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("table public.users, policy \"p\": unknown field `usng`, expected one of"),
        "{msg}"
    );
    let err = Schema::from_json(r#"{"tables": 3}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`tables` must be a list of tables or an object mapping names to tables, not 3"
    );
}

#[test]
fn policies_on_a_table_whose_rls_is_declared_off() {
    let decl = serde_json::json!({"tables": [{"schema": "app", "name": "docs",
        "rls": {"enabled": false},
        "policies": [{"name": "own", "using": "owner = current_user"}, {"name": "all", "using": "true"}]}]});
    assert_eq!(
        errors(decl),
        [
            "POLICY_WITH_RLS_OFF|table app.docs, policy \"own\", clause table: row-level security is declared off on this table, so the policy would never apply; declare RLS on or remove the policy",
            "POLICY_WITH_RLS_OFF|table app.docs, policy \"all\", clause table: row-level security is declared off on this table, so the policy would never apply; declare RLS on or remove the policy",
        ]
    );
    // The same from SQL.
    let err = pgpolicy::source::from_sql(
        "CREATE TABLE docs (owner text);\nALTER TABLE docs DISABLE ROW LEVEL SECURITY;\nCREATE POLICY own ON docs USING (owner = current_user);",
    )
    .unwrap_err();
    assert_eq!(err.code(), "POLICY_WITH_RLS_OFF");
    // RLS off without policies, or left as it is (not declared), is fine.
    assert!(
        Schema::from_json(r#"{"tables": [{"name": "docs", "rls": {"enabled": false}}]}"#).is_ok()
    );
    assert!(Schema::from_json(
        r#"{"tables": [{"name": "docs", "rls": {"forced": false}, "policies": [{"name": "p", "using": "true"}]}]}"#
    )
    .is_ok());
}
