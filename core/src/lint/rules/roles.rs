//! Rules about roles: the application's roles' attributes, and the roles policies name.

use crate::ir::RoleSpec;
use crate::lint::{At, Cx};

pub(crate) fn bypassrls_app_role(cx: &mut Cx) {
    let roles: Vec<String> = cx.app_roles.iter().cloned().collect();
    for r in &roles {
        if cx.role(r).is_some_and(|d| d.bypassrls) {
            cx.report(
                "bypassrls_app_role",
                At::default().role(r),
                format!("{r} is used by the application (a policy or a grant names it) and has BYPASSRLS: no policy applies to it"),
            );
        }
    }
}

pub(crate) fn superuser_app_role(cx: &mut Cx) {
    let Some(facts) = cx.facts else { return };
    let roles: Vec<String> = cx.app_roles.iter().cloned().collect();
    for r in &roles {
        if facts.is_superuser(r) {
            cx.report(
                "superuser_app_role",
                At::default().role(r),
                format!(
                    "{r} is used by the application and is a superuser: no policy applies to it"
                ),
            );
        }
    }
}

/// Roles a policy may name that a declaration need not declare: PostgreSQL's bootstrap
/// superuser, and the platforms' own roles (Supabase; the managed services' admin roles).
/// PostgreSQL's predefined `pg_*` roles are known by their prefix.
pub const WELL_KNOWN_ROLES: &[&str] = &[
    "postgres",
    "anon",
    "authenticated",
    "service_role",
    "authenticator",
    "supabase_admin",
    "supabase_auth_admin",
    "supabase_storage_admin",
    "dashboard_user",
    "rds_superuser",
    "cloudsqlsuperuser",
    "azure_pg_admin",
];

pub(crate) fn policy_on_unknown_role(cx: &mut Cx) {
    // From a database (or a declaration laid over one) the roles are the cluster's: exact.
    // Offline, the roles are the declaration's own and the well-known ones: a role the
    // application creates elsewhere is only suspect, reported at `info` with the way to
    // check it exactly.
    let offline = cx.facts.is_none();
    let schema = cx.schema;
    for t in &schema.tables {
        for p in &t.policies {
            for spec in &p.roles {
                let RoleSpec::Named(n) = spec else { continue };
                if n.starts_with("pg_") || cx.role(n).is_some() {
                    continue;
                }
                if offline && WELL_KNOWN_ROLES.contains(&n.as_str()) {
                    continue;
                }
                let (severity, message) = if offline {
                    (
                        Some(crate::lint::Severity::Info),
                        format!(
                            "policy {} on {} is for role {n}, which the declaration does not declare and is not a well-known role; check against the database (--db) to know whether it exists",
                            p.name,
                            t.display_name()
                        ),
                    )
                } else {
                    (
                        None,
                        format!(
                            "policy {} on {} is for role {n}, which does not exist",
                            p.name,
                            t.display_name()
                        ),
                    )
                };
                cx.report_as(
                    "policy_on_unknown_role",
                    severity,
                    At::policy(t, p).role(n),
                    message,
                );
            }
        }
    }
}
