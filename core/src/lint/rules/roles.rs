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

pub(crate) fn policy_on_unknown_role(cx: &mut Cx) {
    // Roles are known when the declaration manages them or a database says which exist.
    if cx.schema.roles.is_empty() && cx.facts.is_none() {
        return;
    }
    let schema = cx.schema;
    for t in &schema.tables {
        for p in &t.policies {
            for spec in &p.roles {
                let RoleSpec::Named(n) = spec else { continue };
                if n.starts_with("pg_") || cx.role(n).is_some() {
                    continue;
                }
                cx.report(
                    "policy_on_unknown_role",
                    At::policy(t, p).role(n),
                    format!(
                        "policy {} on {} is for role {n}, which does not exist",
                        p.name,
                        t.display_name()
                    ),
                );
            }
        }
    }
}
