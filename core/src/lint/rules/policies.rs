//! Rules about policies: what a table's policies mean together (per command and role) and
//! what each expression does.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Command, Policy, Privilege, RoleSpec, Table};
use crate::lint::{At, Cx};

const COMMANDS: [Command; 4] = [
    Command::Select,
    Command::Insert,
    Command::Update,
    Command::Delete,
];

/// Whether a policy's command covers `c`.
fn covers(p: &Policy, c: Command) -> bool {
    p.command == c || p.command == Command::All
}

fn is_write(c: Command) -> bool {
    c != Command::Select
}

fn roles_text(p: &Policy) -> String {
    p.roles
        .iter()
        .map(|r| r.as_json().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The role keys a table's policies name (PUBLIC as `None`).
fn role_keys(t: &Table) -> BTreeSet<Option<String>> {
    let mut keys = BTreeSet::new();
    for p in &t.policies {
        for r in &p.roles {
            match r {
                RoleSpec::Public => {
                    keys.insert(None);
                }
                RoleSpec::Named(n) => {
                    keys.insert(Some(n.clone()));
                }
                _ => {}
            }
        }
    }
    keys
}

pub(crate) fn permissive_true_for_write(cx: &mut Cx) {
    let schema = cx.schema;
    for (ti, t) in schema.tables.iter().enumerate() {
        for (pi, p) in t.policies.iter().enumerate() {
            if !p.permissive || !is_write(p.command) && p.command != Command::All {
                continue;
            }
            let using_true = cx.expr(ti, pi, false).is_some_and(|f| f.is_true);
            let check_true = match &p.with_check {
                Some(_) => cx.expr(ti, pi, true).is_some_and(|f| f.is_true),
                None => using_true && p.command != Command::Delete,
            };
            let clause = match (using_true && p.command != Command::Insert, check_true) {
                (true, true) if p.with_check.is_some() => "USING (true) and WITH CHECK (true)",
                (true, _) => "USING (true)",
                (false, true) => "WITH CHECK (true)",
                (false, false) => continue,
            };
            let non_admin: Vec<String> = p
                .roles
                .iter()
                .filter(|r| match r {
                    RoleSpec::Named(n) => !cx.is_admin(n),
                    _ => true,
                })
                .map(|r| r.as_json().to_string())
                .collect();
            if non_admin.is_empty() {
                continue;
            }
            cx.report(
                "permissive_true_for_write",
                At::policy(t, p),
                format!(
                    "policy {} on {} is permissive with {clause} for {}: {} may {} any row",
                    p.name,
                    t.display_name(),
                    p.command,
                    non_admin.join(", "),
                    match p.command {
                        Command::All => "read and write".to_string(),
                        c => c.as_str().to_ascii_lowercase(),
                    }
                ),
            );
        }
    }
}

pub(crate) fn policy_to_public_on_write(cx: &mut Cx) {
    let schema = cx.schema;
    for t in &schema.tables {
        for p in &t.policies {
            if p.permissive
                && (is_write(p.command) || p.command == Command::All)
                && p.roles.contains(&RoleSpec::Public)
            {
                cx.report(
                    "policy_to_public_on_write",
                    At::policy(t, p),
                    format!(
                        "policy {} on {} ({}) applies to PUBLIC: every role with a grant may write through it",
                        p.name,
                        t.display_name(),
                        p.command
                    ),
                );
            }
        }
    }
}

pub(crate) fn multiple_permissive_policies(cx: &mut Cx) {
    let schema = cx.schema;
    for t in &schema.tables {
        if t.policies.iter().filter(|p| p.permissive).count() < 2 {
            continue;
        }
        let keys = role_keys(t);
        for c in COMMANDS {
            // policy set → roles it applies to together
            let mut groups: BTreeMap<Vec<&str>, Vec<String>> = BTreeMap::new();
            for key in &keys {
                let names: Vec<&str> = t
                    .policies
                    .iter()
                    .filter(|p| p.permissive && covers(p, c) && cx.applies(p, key.as_deref()))
                    .map(|p| p.name.as_str())
                    .collect();
                if names.len() > 1 {
                    groups
                        .entry(names)
                        .or_default()
                        .push(key.clone().unwrap_or_else(|| "PUBLIC".into()));
                }
            }
            for (names, roles) in groups {
                cx.report(
                    "multiple_permissive_policies",
                    At::table(t),
                    format!(
                        "{} has {} permissive policies for {c} that apply to {}: {} (each is evaluated, and OR-ed)",
                        t.display_name(),
                        names.len(),
                        roles.join(", "),
                        names.join(", ")
                    ),
                );
            }
        }
    }
}

pub(crate) fn restrictive_only(cx: &mut Cx) {
    let schema = cx.schema;
    for t in &schema.tables {
        let any_permissive = t.policies.iter().any(|p| p.permissive);
        for c in COMMANDS {
            let restrictive: Vec<&Policy> = t
                .policies
                .iter()
                .filter(|p| !p.permissive && covers(p, c))
                .collect();
            if restrictive.is_empty() || t.policies.iter().any(|p| p.permissive && covers(p, c)) {
                continue;
            }
            // A restrictive FOR ALL beside permissive policies for other commands narrows
            // those; only a table with no permissive policy at all, or a restrictive policy
            // for this very command, says this command was meant to be allowed.
            if any_permissive && !restrictive.iter().any(|p| p.command == c) {
                continue;
            }
            let names: Vec<&str> = restrictive.iter().map(|p| p.name.as_str()).collect();
            cx.report(
                "restrictive_only",
                At::table(t),
                format!(
                    "{} has only restrictive policies for {c} ({}): every {c} is denied",
                    t.display_name(),
                    names.join(", ")
                ),
            );
        }
    }
}

pub(crate) fn update_without_select_policy(cx: &mut Cx) {
    let schema = cx.schema;
    for t in &schema.tables {
        for p in &t.policies {
            if !p.permissive || p.command != Command::Update {
                continue;
            }
            let mut missing = Vec::new();
            for r in &p.roles {
                let key = match r {
                    RoleSpec::Public => None,
                    RoleSpec::Named(n) => Some(n.as_str()),
                    _ => continue,
                };
                if key.is_some_and(|k| cx.bypasses(k)) {
                    continue;
                }
                let can_select = t
                    .policies
                    .iter()
                    .any(|q| q.permissive && covers(q, Command::Select) && cx.applies(q, key));
                if !can_select {
                    missing.push(key.unwrap_or("PUBLIC").to_string());
                }
            }
            if !missing.is_empty() {
                cx.report(
                    "update_without_select_policy",
                    At::policy(t, p),
                    format!(
                        "policy {} on {} lets {} UPDATE, but no SELECT policy applies to {}: an UPDATE with a WHERE clause finds no row",
                        p.name,
                        t.display_name(),
                        missing.join(", "),
                        if missing.len() == 1 { "it" } else { "them" }
                    ),
                );
            }
        }
    }
}

/// Functions that return the same value for a whole statement and are worth evaluating
/// once: `current_setting`, Supabase's `auth.*`, and (from a database) STABLE functions
/// called without arguments.
fn once_per_statement(cx: &Cx, call: &crate::lint::expr::Call) -> bool {
    if call.is(Some("pg_catalog"), "current_setting") || call.schema.as_deref() == Some("auth") {
        return true;
    }
    if call.args != 0 {
        return false;
    }
    let candidates = super::functions::resolve(cx, call);
    !candidates.is_empty() && candidates.iter().all(|f| f.volatility == "s")
}

pub(crate) fn per_row_function_call(cx: &mut Cx) {
    let schema = cx.schema;
    for (ti, t) in schema.tables.iter().enumerate() {
        for (pi, p) in t.policies.iter().enumerate() {
            let mut seen: Vec<String> = Vec::new();
            for check in [false, true] {
                let Some(f) = cx.expr(ti, pi, check) else {
                    continue;
                };
                for call in &f.calls {
                    if !call.in_subquery && once_per_statement(cx, call) {
                        let d = call.display();
                        if !seen.contains(&d) {
                            seen.push(d);
                        }
                    }
                }
            }
            if !seen.is_empty() {
                cx.report(
                    "per_row_function_call",
                    At::policy(t, p),
                    format!(
                        "policy {} on {} calls {} for every row; wrap it in (SELECT ...) to evaluate it once",
                        p.name,
                        t.display_name(),
                        seen.join(", ")
                    ),
                );
            }
        }
    }
}

pub(crate) fn current_setting_without_missing_ok(cx: &mut Cx) {
    let schema = cx.schema;
    for (ti, t) in schema.tables.iter().enumerate() {
        for (pi, p) in t.policies.iter().enumerate() {
            let bare = [false, true].iter().any(|&check| {
                cx.expr(ti, pi, check).is_some_and(|f| {
                    f.calls
                        .iter()
                        .any(|c| c.is(Some("pg_catalog"), "current_setting") && c.args == 1)
                })
            });
            if bare {
                cx.report(
                    "current_setting_without_missing_ok",
                    At::policy(t, p),
                    format!(
                        "policy {} on {} calls current_setting without missing_ok: an error before the setting is set, '' after it was set on the same connection",
                        p.name,
                        t.display_name()
                    ),
                );
            }
        }
    }
}

pub(crate) fn unindexed_policy_column(cx: &mut Cx) {
    let Some(facts) = cx.facts else { return };
    let mut leading: std::collections::HashSet<(&str, &str, &str)> =
        std::collections::HashSet::new();
    for i in &facts.indexes {
        if let Some(c) = &i.leading {
            leading.insert((i.schema.as_str(), i.table.as_str(), c.as_str()));
        }
    }
    let schema = cx.schema;
    for (ti, t) in schema.tables.iter().enumerate() {
        if !t.rls.is_enabled() {
            continue;
        }
        // column → the policies that filter on it
        let mut cols: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (pi, p) in t.policies.iter().enumerate() {
            let Some(f) = cx.expr(ti, pi, false) else {
                continue;
            };
            for c in &f.equality_columns {
                if let Some(col) = t.column(c) {
                    cols.entry(col.name.as_str()).or_default().push(&p.name);
                }
            }
        }
        for (col, policies) in cols {
            if leading.contains(&(t.schema.as_str(), t.name.as_str(), col)) {
                continue;
            }
            cx.report(
                "unindexed_policy_column",
                At::table(t),
                format!(
                    "{} has no index leading with {col}, which {} filter{} on",
                    t.display_name(),
                    policies.join(", "),
                    if policies.len() == 1 { "s" } else { "" }
                ),
            );
        }
    }
}

pub(crate) fn policy_column_not_in_table(cx: &mut Cx) {
    let schema = cx.schema;
    for e in crate::expr::columns::unknown_columns(schema) {
        let Some(t) = e.table.as_deref().and_then(|n| {
            let (s, name) = n.split_once('.')?;
            schema.table(s, name)
        }) else {
            continue;
        };
        let Some(p) = e.policy.as_deref().and_then(|n| t.policy(n)) else {
            continue;
        };
        let clause = e.clause.map(|c| c.to_string()).unwrap_or_default();
        cx.report(
            "policy_column_not_in_table",
            At::policy(t, p),
            format!(
                "policy {} on {}, {clause}: {}",
                p.name,
                t.display_name(),
                e.message
            ),
        );
    }
}

pub(crate) fn user_metadata_in_policy(cx: &mut Cx) {
    let schema = cx.schema;
    for (ti, t) in schema.tables.iter().enumerate() {
        for (pi, p) in t.policies.iter().enumerate() {
            let hit = [false, true].iter().any(|&check| {
                cx.expr(ti, pi, check).is_some_and(|f| {
                    f.json_keys.iter().any(|k| k == "user_metadata")
                        || f.identifiers
                            .iter()
                            .any(|i| i == "raw_user_meta_data" || i == "user_metadata")
                })
            });
            if hit {
                cx.report(
                    "user_metadata_in_policy",
                    At::policy(t, p),
                    format!(
                        "policy {} on {} reads user_metadata, which every user can edit for themselves",
                        p.name,
                        t.display_name()
                    ),
                );
            }
        }
    }
}

pub(crate) fn insert_policy_checks_nothing(cx: &mut Cx) {
    let schema = cx.schema;
    for (ti, t) in schema.tables.iter().enumerate() {
        for (pi, p) in t.policies.iter().enumerate() {
            if !p.permissive || !covers(p, Command::Insert) {
                continue;
            }
            // WITH CHECK, or USING for FOR ALL without one.
            let check = p.with_check.is_some();
            if !check && p.command == Command::Insert {
                continue;
            }
            let Some(f) = cx.expr(ti, pi, check) else {
                continue;
            };
            if f.is_true || f.opaque {
                continue; // `true`: permissive_true_for_write says it
            }
            let reads_row = if t.columns.is_empty() {
                !f.identifiers.is_empty()
            } else {
                f.identifiers.iter().any(|i| t.column(i).is_some())
            };
            if reads_row {
                continue;
            }
            if p.roles
                .iter()
                .all(|r| r.name().is_some_and(|n| cx.is_admin(n)))
            {
                continue;
            }
            cx.report(
                "insert_policy_checks_nothing",
                At::policy(t, p),
                format!(
                    "policy {} on {} lets {} insert rows without looking at them: {} reads no column of the new row",
                    p.name,
                    t.display_name(),
                    roles_text(p),
                    if check { "WITH CHECK" } else { "USING (its WITH CHECK)" }
                ),
            );
        }
    }
}

pub(crate) fn grant_without_policy(cx: &mut Cx) {
    let schema = cx.schema;
    for g in &schema.grants {
        let Some(t) = schema.table(&g.schema, &g.table) else {
            continue;
        };
        if !t.rls.is_enabled() || t.policies.is_empty() {
            continue;
        }
        let key = match &g.role {
            RoleSpec::Public => None,
            RoleSpec::Named(n) => Some(n.as_str()),
            _ => continue,
        };
        if let Some(k) = key {
            if cx.bypasses(k) {
                continue;
            }
            let owner = cx.table_facts(t).map(|f| f.owner.as_str());
            if owner == Some(k) && !t.rls.is_forced() {
                continue;
            }
        }
        let dead: Vec<&str> = COMMANDS
            .iter()
            .filter(|c| g.privileges.contains(&privilege(**c)))
            .filter(|c| {
                !t.policies
                    .iter()
                    .any(|p| p.permissive && covers(p, **c) && cx.applies(p, key))
            })
            .map(|c| c.as_str())
            .collect();
        if dead.is_empty() {
            continue;
        }
        let role = key.unwrap_or("PUBLIC");
        cx.report(
            "grant_without_policy",
            At::table(t).role(role),
            format!(
                "{role} is granted {} on {}, but no permissive policy for {} applies to it: {} denied",
                dead.join(", "),
                t.display_name(),
                if dead.len() == 1 { "that command" } else { "those commands" },
                if dead.len() == 1 { "it is" } else { "they are" }
            ),
        );
    }
}

fn privilege(c: Command) -> Privilege {
    match c {
        Command::Select => Privilege::Select,
        Command::Insert => Privilege::Insert,
        Command::Update => Privilege::Update,
        _ => Privilege::Delete,
    }
}
