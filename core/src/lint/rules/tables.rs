//! Rules about tables as a whole: their RLS flags, who is granted them, who owns them, and
//! the views that read them.

use crate::ir::{Privilege, RoleSpec};
use crate::lint::{At, Cx};

pub(crate) fn rls_disabled_with_policies(cx: &mut Cx) {
    let schema = cx.schema;
    for t in &schema.tables {
        if t.policies.is_empty() || t.rls.is_enabled() {
            continue;
        }
        let msg = match t.rls.enabled {
            Some(false) => format!(
                "{} has {} polic{} but row-level security is disabled: none of them applies",
                t.display_name(),
                t.policies.len(),
                if t.policies.len() == 1 { "y" } else { "ies" }
            ),
            _ => format!(
                "{} has {} polic{} but the declaration does not enable row-level security (the table keeps whatever the database has)",
                t.display_name(),
                t.policies.len(),
                if t.policies.len() == 1 { "y" } else { "ies" }
            ),
        };
        cx.report("rls_disabled_with_policies", At::table(t), msg);
    }
}

pub(crate) fn rls_enabled_no_policy(cx: &mut Cx) {
    let schema = cx.schema;
    for t in &schema.tables {
        if t.rls.is_enabled() && t.policies.is_empty() {
            cx.report(
                "rls_enabled_no_policy",
                At::table(t),
                format!(
                    "{} has row-level security enabled and no policy: every role that does not bypass RLS is denied every row",
                    t.display_name()
                ),
            );
        }
    }
}

const DATA: [Privilege; 4] = [
    Privilege::Select,
    Privilege::Insert,
    Privilege::Update,
    Privilege::Delete,
];

pub(crate) fn table_without_rls_granted_to_app_role(cx: &mut Cx) {
    let schema = cx.schema;
    for g in &schema.grants {
        let role = match &g.role {
            RoleSpec::Public => "PUBLIC",
            RoleSpec::Named(n) if cx.app_roles.contains(n) => n.as_str(),
            _ => continue,
        };
        let Some(t) = schema.table(&g.schema, &g.table) else {
            continue;
        };
        if t.rls.is_enabled() {
            continue;
        }
        let privs: Vec<&str> = g
            .privileges
            .iter()
            .filter(|p| DATA.contains(p))
            .map(|p| p.as_str())
            .collect();
        if privs.is_empty() {
            continue;
        }
        let state = match t.rls.enabled {
            Some(false) => "row-level security is off",
            _ => "row-level security is not declared on",
        };
        cx.report(
            "table_without_rls_granted_to_app_role",
            At::table(t).role(role),
            format!(
                "{role} has {} on {}, and {state}: it reads or changes every row",
                privs.join(", "),
                t.display_name()
            ),
        );
    }
}

pub(crate) fn owner_not_forced(cx: &mut Cx) {
    let schema = cx.schema;
    for t in &schema.tables {
        if !t.rls.is_enabled() || t.rls.is_forced() {
            continue;
        }
        let Some(owner) = cx.table_facts(t).map(|f| f.owner.as_str()) else {
            continue;
        };
        if cx.app_roles.contains(owner) {
            cx.report(
                "owner_not_forced",
                At::table(t).role(owner),
                format!(
                    "{} is owned by {owner}, a role the application uses, and FORCE ROW LEVEL SECURITY is off: its policies do not apply to {owner}",
                    t.display_name()
                ),
            );
        }
    }
}

pub(crate) fn view_bypasses_rls(cx: &mut Cx) {
    let Some(facts) = cx.facts else { return };
    for v in &facts.views {
        if v.security_invoker {
            continue;
        }
        let protected: Vec<&crate::lint::facts::ViewBase> =
            v.reads.iter().filter(|b| b.rls).collect();
        if protected.is_empty() {
            continue;
        }
        let names: Vec<String> = protected
            .iter()
            .map(|b| format!("{}.{}", b.schema, b.name))
            .collect();
        let owner = v.owner.as_str();
        let how = if cx.bypasses(owner) {
            format!("its owner {owner} bypasses row-level security: it shows every row")
        } else if protected.iter().any(|b| b.owner == owner && !b.forced) {
            format!("its owner {owner} owns them without FORCE: it shows every row")
        } else {
            format!("the policies applied are its owner {owner}'s, not the querying role's")
        };
        cx.report(
            "view_bypasses_rls",
            At::object(format!("{}.{}", v.schema, v.name)),
            format!(
                "view {}.{} reads {} without security_invoker: {how}",
                v.schema,
                v.name,
                names.join(", ")
            ),
        );
    }
}
