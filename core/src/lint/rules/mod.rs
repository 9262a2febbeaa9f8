//! The lint rules: one table of ids, severities, explanations and fixes, and one check
//! function per rule, grouped by what they look at: `tables` (RLS flags, grants, owners,
//! views), `roles` (role attributes and the roles policies name), `policies` (what the
//! policies of a table say together and one by one), `functions` (functions policies call
//! and SECURITY DEFINER functions).

mod functions;
mod policies;
mod roles;
mod tables;

use serde::Serialize;

use super::{Cx, Severity};

/// One lint rule. `docs/lints.md` documents each with examples.
#[derive(Serialize)]
pub struct Rule {
    /// Stable: used in `pgpolicy.toml`, in comments that opt out, and in reports.
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    /// Why it matters, in one paragraph.
    pub explanation: &'static str,
    pub fix: &'static str,
    /// Runs only when a database is given (it reads owners, indexes, views, functions
    /// or superusers).
    pub needs_database: bool,
    #[serde(skip)]
    pub(crate) check: fn(&mut Cx),
}

pub(crate) fn rule(id: &str) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("unknown lint rule {id}"))
}

use Severity::{Error, Info, Warning};

pub static RULES: &[Rule] = &[
    Rule {
        id: "rls_disabled_with_policies",
        severity: Error,
        title: "Policies on a table without row-level security",
        explanation: "Policies do nothing until row-level security is enabled on their table: every role with a grant reads and writes every row. This is what happens when policies are written but `ALTER TABLE ... ENABLE ROW LEVEL SECURITY` is forgotten, or RLS is disabled to debug something and never turned back on.",
        fix: "Enable row-level security on the table (`ALTER TABLE ... ENABLE ROW LEVEL SECURITY`, `RowLevelSecurity(enabled=True)`, `rls: { enabled: true }`).",
        needs_database: false,
        check: tables::rls_disabled_with_policies,
    },
    Rule {
        id: "rls_enabled_no_policy",
        severity: Info,
        title: "Row-level security enabled without any policy",
        explanation: "With RLS enabled and no policy, every role that does not bypass RLS sees no row and can change none (deny-all). That may be intended (a table only the owner or an admin role touches) but is more often a policy that was never written or was dropped.",
        fix: "Add the policies the application needs, or mark the table as intentionally closed with `pgpolicy: allow rls_enabled_no_policy` in its COMMENT.",
        needs_database: false,
        check: tables::rls_enabled_no_policy,
    },
    Rule {
        id: "table_without_rls_granted_to_app_role",
        severity: Error,
        title: "Application role granted a table without row-level security",
        explanation: "A role the application uses (or PUBLIC) holds SELECT, INSERT, UPDATE or DELETE on a table whose row-level security is off: every session of that role reads or changes every row of it, whatever the other tables' policies say. In a multi-tenant schema this is the table that leaks across tenants.",
        fix: "Enable row-level security on the table and add its policies, or revoke the grant. If the table really is shared by all (a lookup table), say so with `pgpolicy: allow table_without_rls_granted_to_app_role`.",
        needs_database: false,
        check: tables::table_without_rls_granted_to_app_role,
    },
    Rule {
        id: "owner_not_forced",
        severity: Warning,
        title: "The application runs as the table owner and RLS is not forced",
        explanation: "A table's owner is exempt from its row-level security unless FORCE ROW LEVEL SECURITY is set. When the application connects as the role that owns the tables (often the role migrations ran as), none of the policies apply to it.",
        fix: "Connect as a role that does not own the tables, or `ALTER TABLE ... FORCE ROW LEVEL SECURITY` (`RowLevelSecurity(forced=True)`, `rls: { force: true }`).",
        needs_database: true,
        check: tables::owner_not_forced,
    },
    Rule {
        id: "bypassrls_app_role",
        severity: Error,
        title: "An application role bypasses row-level security",
        explanation: "A role with BYPASSRLS ignores every policy. If the application connects as it or switches to it, tenant isolation is off for those sessions.",
        fix: "`ALTER ROLE ... NOBYPASSRLS`, or, if the role is an administrative one the application never uses, list it in `admin_roles` in `pgpolicy.toml`.",
        needs_database: false,
        check: roles::bypassrls_app_role,
    },
    Rule {
        id: "superuser_app_role",
        severity: Error,
        title: "An application role is a superuser",
        explanation: "Superusers bypass row-level security (and every other permission check). An application that connects as a superuser is not protected by any policy.",
        fix: "Create a role without SUPERUSER for the application and grant it what it needs.",
        needs_database: true,
        check: roles::superuser_app_role,
    },
    Rule {
        id: "permissive_true_for_write",
        severity: Error,
        title: "A permissive policy lets a role write any row",
        explanation: "A permissive INSERT, UPDATE, DELETE or ALL policy whose USING or WITH CHECK is `true` lets its roles change (or create) any row: permissive policies are OR-ed, so this one policy cancels every other permissive policy of the table for those commands.",
        fix: "Write the condition a row must meet (`tenant_id = ...`), narrow the policy to an admin role, or make it RESTRICTIVE if it was meant to narrow.",
        needs_database: false,
        check: policies::permissive_true_for_write,
    },
    Rule {
        id: "policy_to_public_on_write",
        severity: Warning,
        title: "A write policy applies to PUBLIC",
        explanation: "A permissive policy for INSERT, UPDATE, DELETE or ALL without a TO list (or TO PUBLIC) applies to every role, including roles created later for reporting or support. Which roles can write then depends on grants alone.",
        fix: "Name the roles the policy is for (`TO app_user`, `roles=[...]`, `to: [...]`).",
        needs_database: false,
        check: policies::policy_to_public_on_write,
    },
    Rule {
        id: "multiple_permissive_policies",
        severity: Warning,
        title: "Several permissive policies for the same role and command",
        explanation: "PostgreSQL evaluates every permissive policy that applies and ORs them: each one adds work to every row of every query, and the effective rule is the union, which is easy to get wrong when the policies were written separately.",
        fix: "Merge them into one policy per role and command, or make the narrowing ones RESTRICTIVE.",
        needs_database: false,
        check: policies::multiple_permissive_policies,
    },
    Rule {
        id: "restrictive_only",
        severity: Warning,
        title: "Only restrictive policies for a command",
        explanation: "Restrictive policies narrow what permissive policies allow; with no permissive policy for a command, nothing is allowed and the restrictive ones have nothing to narrow. Every such statement is denied, which usually means a permissive policy is missing.",
        fix: "Add a permissive policy for the command (the restrictive one keeps narrowing it), or make the policy PERMISSIVE.",
        needs_database: false,
        check: policies::restrictive_only,
    },
    Rule {
        id: "update_without_select_policy",
        severity: Warning,
        title: "An UPDATE policy without a SELECT policy for the same role",
        explanation: "An UPDATE that reads the table (a WHERE clause, RETURNING, or SET col = col + 1) only sees rows the role's SELECT policies let it see. With an UPDATE policy and no SELECT policy, such updates silently change no row.",
        fix: "Add a SELECT policy for the role (often the same USING as the UPDATE policy), or use FOR ALL.",
        needs_database: false,
        check: policies::update_without_select_policy,
    },
    Rule {
        id: "per_row_function_call",
        severity: Warning,
        title: "A function in a policy is called for every row",
        explanation: "`current_setting(...)`, `auth.uid()`, `auth.jwt()` and other stable functions return the same value for the whole statement, but written bare in a policy they are called once per row scanned. Wrapped in a sub-select, PostgreSQL evaluates them once (an InitPlan) and can use an index: on large tables the difference is orders of magnitude.",
        fix: "Wrap the call in a sub-select: `tenant_id = (SELECT current_setting('app.tenant_id'))::uuid`, `user_id = (SELECT auth.uid())`.",
        needs_database: false,
        check: policies::per_row_function_call,
    },
    Rule {
        id: "current_setting_without_missing_ok",
        severity: Info,
        title: "current_setting without missing_ok",
        explanation: "`current_setting('app.x')` raises an error when the setting was never set in the session, but returns an empty string once any transaction on the connection set it locally. On a pooled connection the same query therefore errors or compares with '' depending on what ran before, and a cast of '' to uuid or integer fails.",
        fix: "Use `current_setting('app.x', true)` (NULL when unset, which matches no row), with `nullif(..., '')` before a cast.",
        needs_database: false,
        check: policies::current_setting_without_missing_ok,
    },
    Rule {
        id: "unindexed_policy_column",
        severity: Warning,
        title: "A column a policy filters on has no index",
        explanation: "A column compared for equality in a policy's USING (`tenant_id = ...`) is a filter on every query of the table. Without an index leading with that column, each query scans the whole table and the policy's cost grows with it.",
        fix: "Create an index leading with the column (`CREATE INDEX ON documents (tenant_id)`, `Index(...)`, `indexes: [...]`).",
        needs_database: true,
        check: policies::unindexed_policy_column,
    },
    Rule {
        id: "security_definer_function_without_search_path",
        severity: Warning,
        title: "A SECURITY DEFINER function without its own search_path",
        explanation: "A SECURITY DEFINER function runs with its owner's rights, and resolves unqualified names through the caller's search_path. A caller who can create objects in a schema on that path can make the function call their operator or function with the owner's rights.",
        fix: "Add `SET search_path = ''` (or `= pg_catalog, pg_temp`) to the function and qualify the names it uses.",
        needs_database: true,
        check: functions::security_definer_function_without_search_path,
    },
    Rule {
        id: "security_definer_function_in_exposed_schema",
        severity: Warning,
        title: "A SECURITY DEFINER function the application can call",
        explanation: "A SECURITY DEFINER function in a schema the application uses, executable by an application role or PUBLIC (functions are executable by PUBLIC by default), runs with its owner's rights, which usually include bypassing row-level security: whatever it returns or changes is not filtered by the caller's policies.",
        fix: "Move it to a schema the application cannot reach, `REVOKE EXECUTE ... FROM PUBLIC` and grant it only where needed, or make it SECURITY INVOKER.",
        needs_database: true,
        check: functions::security_definer_function_in_exposed_schema,
    },
    Rule {
        id: "volatile_function_in_policy",
        severity: Warning,
        title: "A volatile function in a policy",
        explanation: "A VOLATILE function (the default for CREATE FUNCTION, and `random()`, `nextval()`, `clock_timestamp()`) is called for every row, cannot be evaluated once, and prevents the planner from using indexes through the policy. A helper such as `is_member(tenant_id)` declared without STABLE is the usual case.",
        fix: "Declare the function STABLE (or IMMUTABLE) if it only reads, and wrap calls with constant arguments in `(SELECT ...)`.",
        needs_database: false,
        check: functions::volatile_function_in_policy,
    },
    Rule {
        id: "view_bypasses_rls",
        severity: Error,
        title: "A view reads a row-level-security table as its owner",
        explanation: "A view without `security_invoker` reads its tables with its owner's rights: the policies applied are the owner's, not the querying role's, and an owner that owns the tables (without FORCE), is a superuser or has BYPASSRLS sees every row. Anyone who may select from the view reads through it.",
        fix: "`ALTER VIEW ... SET (security_invoker = true)` (PostgreSQL 15 and later), or revoke SELECT on the view from the application roles.",
        needs_database: true,
        check: tables::view_bypasses_rls,
    },
    Rule {
        id: "policy_on_unknown_role",
        severity: Error,
        title: "A policy names a role that does not exist",
        explanation: "A policy for a role that does not exist cannot be created (the migration fails), and a typo in a role name means the policy meant for that role never applies.",
        fix: "Create the role (declare it in the roles of the declaration), or correct the name.",
        needs_database: false,
        check: roles::policy_on_unknown_role,
    },
    Rule {
        id: "policy_column_not_in_table",
        severity: Error,
        title: "A policy reads a column its table does not have",
        explanation: "PostgreSQL refuses to create a policy that reads an unknown column; the migration fails. An unquoted camelCase name (`tenantId`) is folded to lower case and is the usual cause.",
        fix: "Correct the column name, or quote it (`\"tenantId\"`).",
        needs_database: false,
        check: policies::policy_column_not_in_table,
    },
    Rule {
        id: "user_metadata_in_policy",
        severity: Error,
        title: "A policy trusts user-editable metadata",
        explanation: "Supabase's `user_metadata` claim of the JWT (`raw_user_meta_data` in auth.users) is written by the user through the client library. A policy that grants access on it lets any user grant themselves that access.",
        fix: "Use `app_metadata` (set only by the server) or a table the user cannot write.",
        needs_database: false,
        check: policies::user_metadata_in_policy,
    },
    Rule {
        id: "insert_policy_checks_nothing",
        severity: Warning,
        title: "An INSERT policy that checks nothing about the new row",
        explanation: "A permissive policy for INSERT (or ALL) whose WITH CHECK reads no column of the new row (`auth.role() = 'authenticated'`, `current_setting(...) IS NOT NULL`) lets its roles insert rows for any tenant or user: nothing ties the row to the session.",
        fix: "Compare the row's owning column with the session: `WITH CHECK (tenant_id = (SELECT current_setting('app.tenant_id'))::uuid)`.",
        needs_database: false,
        check: policies::insert_policy_checks_nothing,
    },
    Rule {
        id: "grant_without_policy",
        severity: Warning,
        title: "A role is granted a command that no policy lets it use",
        explanation: "On a table with row-level security, a privilege is usable only through a permissive policy for that command and role. A grant with no such policy is dead (every statement is denied or sees no row), which usually means a policy is missing or names another role.",
        fix: "Add a policy for the role and command, or revoke the privilege.",
        needs_database: false,
        check: policies::grant_without_policy,
    },
];

#[cfg(test)]
mod tests {
    use super::RULES;

    #[test]
    fn ids_are_unique_and_documented() {
        let docs =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/lints.md"))
                .expect("docs/lints.md");
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate rule {}", r.id);
            assert!(
                docs.contains(&format!("## `{}`", r.id)),
                "docs/lints.md has no section for {}",
                r.id
            );
        }
    }
}
