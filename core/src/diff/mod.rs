//! Diffing two schemas into a plan.
//!
//! The declaration manages what it names. Tables, policies and grants of roles the
//! declaration names are brought to the declared state. What the current side has and the
//! declaration does not name is left alone when the current side is a live database, and
//! removed when it is a declaration too (a previous version of the same file or models),
//! unless [`DiffOptions::prune`] says otherwise. Renames happen only when a policy says
//! `renamed_from`.

pub mod change;
mod compare;
mod emit;
mod matching;
pub mod plan;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub use change::{Change, ClauseChange};
pub use plan::{Plan, PlanDocument, Step};

use crate::error::{Clause, Result};
use crate::expr;
use crate::ir::*;

#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Remove tables' RLS objects and grants that the current side has and the
    /// declaration does not name, and roles when the current side is a declaration too
    /// (roles are cluster-wide: a database's roles are never dropped for not being
    /// declared). Default: true when the current side is a declaration, false when it was
    /// read from a database.
    pub prune: Option<bool>,
}

/// A pair of expressions the offline canonicalizer could not prove equal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExprPair {
    pub table: TableName,
    pub policy: String,
    pub clause: Clause,
    /// The text on the current side (what the database stores, when introspected).
    pub current: String,
    pub desired: String,
}

/// The verdict of a stronger comparison layer for one pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub equal: bool,
    /// Both expressions as PostgreSQL prints them, when the layer computed them.
    pub current_canonical: Option<String>,
    pub desired_canonical: Option<String>,
    /// Why the layer could not compare the pair (it then counts as changed).
    pub note: Option<String>,
}

/// A comparison layer stronger than the offline one (a round trip through PostgreSQL's
/// deparser on the target, or on a scratch database).
pub trait Resolver {
    fn resolve(&mut self, pairs: &[ExprPair], context: &Schema) -> Result<Vec<Resolution>>;
}

/// The search_path under which a schema's expressions are read.
pub fn search_path_of(schema: &Schema) -> Vec<String> {
    let text = schema
        .database
        .as_ref()
        .map(|d| d.search_path.as_str())
        .unwrap_or("public");
    text.split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty() && s != "$user")
        .collect()
}

/// Columns for comparison: the declaration's, completed with the current side's for
/// tables the declaration gives no columns.
fn context_schema(current: &Schema, desired: &Schema) -> Schema {
    let mut ctx = Schema {
        tables: Vec::with_capacity(desired.tables.len()),
        roles: Vec::new(),
        grants: Vec::new(),
        database: current.database.clone(),
        catalog: current.catalog.merged(&desired.catalog),
        index: Default::default(),
    };
    for t in &desired.tables {
        let columns = if t.columns.is_empty() {
            current
                .table(&t.schema, &t.name)
                .map(|c| c.columns.clone())
                .unwrap_or_default()
        } else {
            t.columns.clone()
        };
        ctx.tables.push(Table {
            schema: t.schema.clone(),
            name: t.name.clone(),
            columns,
            rls: t.rls,
            policies: Vec::new(),
        });
    }
    for t in &current.tables {
        if desired.table(&t.schema, &t.name).is_none() {
            ctx.tables.push(Table {
                schema: t.schema.clone(),
                name: t.name.clone(),
                columns: t.columns.clone(),
                rls: t.rls,
                policies: Vec::new(),
            });
        }
    }
    ctx
}

/// Offline diff: expressions the canonicalizer cannot prove equal count as changed.
pub fn diff(current: &Schema, desired: &Schema, opts: &DiffOptions) -> Result<Plan> {
    diff_with(current, desired, opts, None)
}

/// Diff with an optional stronger comparison layer for the pairs the offline layer
/// cannot prove equal: `matching` pairs both sides by name, `compare` decides what
/// changed, `emit` builds the changes; roles and grants follow, then the plan's order.
pub fn diff_with(
    current: &Schema,
    desired: &Schema,
    opts: &DiffOptions,
    resolver: Option<&mut dyn Resolver>,
) -> Result<Plan> {
    crate::validate::validate(desired)?;
    let prune = opts.prune.unwrap_or(!current.is_introspected());
    // Built only when an expression must be canonicalized or compared by the resolver
    // (never for a plan whose expressions all read as written).
    let context = std::cell::OnceCell::new();
    let context = || context.get_or_init(|| context_schema(current, desired));
    let mut warnings: Vec<String> = Vec::new();

    let matching = matching::match_schemas(current, desired, prune);
    let comparison = compare::compare(&matching, current, &context, resolver, &mut warnings)?;
    let mut changes = emit::emit_tables(&matching, comparison);

    diff_roles(current, desired, prune, &mut changes);
    diff_grants(current, desired, prune, &mut changes);
    warnings.extend(unreadable_expressions(&changes));
    let mut plan = Plan::ordered(changes);
    plan.warnings = warnings;
    Ok(plan)
}

/// Expressions the plan writes that pgpolicy's parser cannot read: not refused (they are
/// contained, and PostgreSQL's grammar is larger), but named, since nothing offline has
/// checked them.
fn unreadable_expressions(changes: &[Change]) -> Vec<String> {
    let mut out = Vec::new();
    for c in changes {
        let (table, policy, clauses): (&TableName, &Policy, Vec<Clause>) = match c {
            Change::CreatePolicy { table, policy } => {
                (table, policy, vec![Clause::Using, Clause::WithCheck])
            }
            Change::ReplacePolicy { table, to, .. } => {
                (table, to, vec![Clause::Using, Clause::WithCheck])
            }
            Change::AlterPolicy {
                table, to, clauses, ..
            } => (table, to, clauses.iter().map(|c| c.clause).collect()),
            _ => continue,
        };
        for clause in clauses {
            let text = match clause {
                Clause::Using => &policy.using,
                Clause::WithCheck => &policy.with_check,
                _ => continue,
            };
            if let Some(Err(m)) = text.as_deref().map(expr::grammar) {
                out.push(format!(
                    "table {table}, policy {:?}, clause {clause}: pgpolicy cannot read this expression offline ({m}); \
                     PostgreSQL judges it when the plan runs",
                    policy.name
                ));
            }
        }
    }
    out
}

/// Roles, paired by name: created, altered (attributes), memberships granted and revoked;
/// dropped only between two declarations when pruning.
fn diff_roles(current: &Schema, desired: &Schema, prune: bool, changes: &mut Vec<Change>) {
    // The first role of each name, as `Schema::role` finds it.
    let mut cur_roles: HashMap<&str, &Role> = HashMap::with_capacity(current.roles.len());
    for r in &current.roles {
        cur_roles.entry(r.name.as_str()).or_insert(r);
    }
    let des_names: HashSet<&str> = desired.roles.iter().map(|r| r.name.as_str()).collect();
    let membership = |group: &str, member: &str, grant: bool| {
        let (group, member) = (group.to_string(), member.to_string());
        if grant {
            Change::GrantMembership { group, member }
        } else {
            Change::RevokeMembership { group, member }
        }
    };
    for d in &desired.roles {
        let c = cur_roles.get(d.name.as_str()).copied();
        match c {
            None => changes.push(Change::CreateRole {
                role: Role {
                    member_of: Vec::new(),
                    ..d.clone()
                },
            }),
            Some(c) if (c.login, c.inherit, c.bypassrls) != (d.login, d.inherit, d.bypassrls) => {
                changes.push(Change::AlterRole {
                    from: Role {
                        member_of: Vec::new(),
                        ..c.clone()
                    },
                    to: Role {
                        member_of: Vec::new(),
                        ..d.clone()
                    },
                })
            }
            Some(_) => {}
        }
        let had: &[String] = c.map(|c| &c.member_of[..]).unwrap_or(&[]);
        for g in &d.member_of {
            if !had.contains(g) {
                changes.push(membership(g, &d.name, true));
            }
        }
        for g in had {
            if !d.member_of.contains(g) {
                changes.push(membership(g, &d.name, false));
            }
        }
    }
    // Roles are cluster-wide: they are dropped only between two declarations, never
    // because a database has roles a declaration does not name.
    if prune && !current.is_introspected() {
        for c in &current.roles {
            if !des_names.contains(c.name.as_str()) {
                // Memberships are revoked explicitly so that the reverse restores them.
                for g in &c.member_of {
                    changes.push(membership(g, &c.name, false));
                }
                changes.push(Change::DropRole {
                    role: Role {
                        member_of: Vec::new(),
                        ..c.clone()
                    },
                });
            }
        }
    }
}

/// Grants, paired by (table, grantee): privileges granted and revoked; a grant the
/// declaration does not name is revoked when pruning, or when both its table and its
/// grantee are the declaration's.
fn diff_grants(current: &Schema, desired: &Schema, prune: bool, changes: &mut Vec<Change>) {
    type Key = (TableName, RoleSpec);
    let collect = |s: &Schema| -> BTreeMap<Key, BTreeSet<Privilege>> {
        let mut m: BTreeMap<Key, BTreeSet<Privilege>> = BTreeMap::new();
        for g in &s.grants {
            m.entry((g.table_name(), g.role.clone()))
                .or_default()
                .extend(g.privileges.iter().copied());
        }
        m
    };
    let cur = collect(current);
    let des = collect(desired);
    // Grantees the declaration manages: its roles and every grantee it names.
    let mut managed: BTreeSet<RoleSpec> = desired
        .roles
        .iter()
        .map(|r| RoleSpec::Named(r.name.clone()))
        .collect();
    managed.extend(des.keys().map(|(_, r)| r.clone()));
    let declared_tables: BTreeSet<TableName> = desired
        .tables
        .iter()
        .map(|t| t.qualified())
        .chain(des.keys().map(|(t, _)| t.clone()))
        .collect();
    let empty = BTreeSet::new();
    for (key, want) in &des {
        let have = cur.get(key).unwrap_or(&empty);
        let add: Vec<Privilege> = want.difference(have).copied().collect();
        let remove: Vec<Privilege> = have.difference(want).copied().collect();
        if !add.is_empty() {
            changes.push(Change::Grant {
                table: key.0.clone(),
                role: key.1.clone(),
                privileges: add,
            });
        }
        if !remove.is_empty() {
            changes.push(Change::Revoke {
                table: key.0.clone(),
                role: key.1.clone(),
                privileges: remove,
            });
        }
    }
    for (key, have) in &cur {
        if des.contains_key(key) {
            continue;
        }
        let in_scope = prune || (managed.contains(&key.1) && declared_tables.contains(&key.0));
        if in_scope && !have.is_empty() {
            changes.push(Change::Revoke {
                table: key.0.clone(),
                role: key.1.clone(),
                privileges: have.iter().copied().collect(),
            });
        }
    }
}
