//! Diffing two schemas into a plan.
//!
//! The declaration manages what it names. Tables, policies and grants of roles the
//! declaration names are brought to the declared state. What the current side has and the
//! declaration does not name is left alone when the current side is a live database, and
//! removed when it is a declaration too (a previous version of the same file or models),
//! unless [`DiffOptions::prune`] says otherwise. Renames happen only when a policy says
//! `renamed_from`.

pub mod change;
pub mod plan;

use std::collections::{BTreeMap, BTreeSet};

pub use change::{Change, ClauseChange};
pub use plan::Plan;

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

struct Matched<'a> {
    table: TableName,
    cur: &'a Policy,
    des: &'a Policy,
    renamed: bool,
    /// For USING and WITH CHECK: None when both absent or not comparable here; else the
    /// verdict and canonical texts.
    using: Option<Verdict>,
    check: Option<Verdict>,
}

#[derive(Clone)]
struct Verdict {
    equal: Option<bool>,
    cur_canon: Option<String>,
    des_canon: Option<String>,
}

/// Diff with an optional stronger comparison layer for the pairs the offline layer
/// cannot prove equal.
pub fn diff_with(
    current: &Schema,
    desired: &Schema,
    opts: &DiffOptions,
    resolver: Option<&mut dyn Resolver>,
) -> Result<Plan> {
    crate::validate::validate(desired)?;
    let prune = opts.prune.unwrap_or(!current.is_introspected());
    let ctx_schema = context_schema(current, desired);
    let search_path = search_path_of(current);
    let db_user = current.database.as_ref().map(|d| d.current_user.as_str());
    let mut changes = Vec::new();
    let mut warnings: Vec<String> = Vec::new();

    // Tables the plan touches: every declared table, and current tables when pruning.
    let mut matched: Vec<Matched> = Vec::new();
    let mut table_pairs: Vec<(Option<&Table>, Option<&Table>)> = Vec::new();
    for d in &desired.tables {
        table_pairs.push((current.table(&d.schema, &d.name), Some(d)));
    }
    if prune {
        for c in &current.tables {
            if desired.table(&c.schema, &c.name).is_none() {
                table_pairs.push((Some(c), None));
            }
        }
    }

    for (cur, des) in &table_pairs {
        let name = cur.or(*des).map(|t| t.qualified()).expect("one side");
        // A flag the declaration leaves unspecified stays as it is; a table the current
        // side lacks starts with both flags off; a table a declaration drops (pruning) is
        // taken back to both off, a change marked as weakening.
        let cur_rls = cur.map(|t| t.rls).unwrap_or_default();
        let des_rls = match des {
            Some(t) => t.rls,
            None => Rls::new(false, false),
        };
        if let Some(want) = des_rls.enabled {
            if cur_rls.enabled.unwrap_or(false) != want {
                changes.push(if want {
                    Change::EnableRls {
                        table: name.clone(),
                    }
                } else {
                    Change::DisableRls {
                        table: name.clone(),
                    }
                });
            }
        }
        if let Some(want) = des_rls.forced {
            if cur_rls.forced.unwrap_or(false) != want {
                changes.push(if want {
                    Change::ForceRls {
                        table: name.clone(),
                    }
                } else {
                    Change::NoForceRls {
                        table: name.clone(),
                    }
                });
            }
        }
        let cur_policies: &[Policy] = cur.map(|t| &t.policies[..]).unwrap_or(&[]);
        let des_policies: &[Policy] = des.map(|t| &t.policies[..]).unwrap_or(&[]);
        let mut used: BTreeSet<&str> = BTreeSet::new();
        for dp in des_policies {
            let found = cur_policies
                .iter()
                .find(|p| p.name == dp.name)
                .map(|p| (p, false))
                .or_else(|| {
                    let old = dp.renamed_from.as_deref()?;
                    if des_policies.iter().any(|p| p.name == old) {
                        return None;
                    }
                    cur_policies
                        .iter()
                        .find(|p| p.name == old)
                        .map(|p| (p, true))
                });
            match found {
                Some((cp, renamed)) => {
                    used.insert(&cp.name);
                    matched.push(Matched {
                        table: name.clone(),
                        cur: cp,
                        des: dp,
                        renamed,
                        using: None,
                        check: None,
                    });
                }
                None => changes.push(Change::CreatePolicy {
                    table: name.clone(),
                    policy: strip_rename(dp),
                }),
            }
        }
        for cp in cur_policies {
            if !used.contains(cp.name.as_str()) {
                changes.push(Change::DropPolicy {
                    table: name.clone(),
                    policy: strip_rename(cp),
                });
            }
        }
    }

    // Expressions: offline first, then the stronger layer for what is left.
    let mut pending: Vec<(usize, Clause, ExprPair)> = Vec::new();
    for (i, m) in matched.iter_mut().enumerate() {
        if m.cur.command != m.des.command || m.cur.permissive != m.des.permissive {
            continue; // replaced whatever the expressions say
        }
        let ctx = expr::Context {
            table: &m.table,
            schema: &ctx_schema,
            search_path: &search_path,
        };
        for clause in [Clause::Using, Clause::WithCheck] {
            let (c, d) = match clause {
                Clause::Using => (&m.cur.using, &m.des.using),
                _ => (&m.cur.with_check, &m.des.with_check),
            };
            let verdict = match (c, d) {
                (Some(c), Some(d)) => {
                    if c == d {
                        Some(Verdict {
                            equal: Some(true),
                            cur_canon: None,
                            des_canon: None,
                        })
                    } else {
                        // The origin of each text decides how its parentheses read.
                        let catalog = &ctx_schema.catalog;
                        let cc = if current.is_introspected() {
                            expr::canon::canonicalize_stored(c, &ctx, catalog)
                        } else {
                            expr::canon::canonicalize_declared(c, &ctx, catalog)
                        }
                        .ok();
                        let dc = expr::canon::canonicalize_declared(d, &ctx, catalog).ok();
                        let equal = match (&cc, &dc) {
                            (Some(a), Some(b)) if a == b => Some(true),
                            _ => None,
                        };
                        if equal.is_none() {
                            pending.push((
                                i,
                                clause,
                                ExprPair {
                                    table: m.table.clone(),
                                    policy: m.des.name.clone(),
                                    clause,
                                    current: c.clone(),
                                    desired: d.clone(),
                                },
                            ));
                        }
                        Some(Verdict {
                            equal,
                            cur_canon: cc,
                            des_canon: dc,
                        })
                    }
                }
                _ => None,
            };
            match clause {
                Clause::Using => m.using = verdict,
                _ => m.check = verdict,
            }
        }
    }
    if let (Some(r), false) = (resolver, pending.is_empty()) {
        let pairs: Vec<ExprPair> = pending.iter().map(|(_, _, p)| p.clone()).collect();
        let res = r.resolve(&pairs, &ctx_schema)?;
        for ((i, clause, _), res) in pending.iter().zip(res) {
            if let Some(note) = &res.note {
                warnings.push(note.clone());
            }
            let v = match clause {
                Clause::Using => matched[*i].using.as_mut(),
                _ => matched[*i].check.as_mut(),
            }
            .expect("pending verdict");
            v.equal = Some(res.equal);
            if res.current_canonical.is_some() {
                v.cur_canon = res.current_canonical;
                v.des_canon = res.desired_canonical;
            }
        }
    }

    for m in &matched {
        let (cp, dp) = (m.cur, m.des);
        let table = m.table.clone();
        let removed = |c: &Option<String>, d: &Option<String>| c.is_some() && d.is_none();
        let reason = if cp.command != dp.command {
            Some(format!("command {} -> {}", cp.command, dp.command))
        } else if cp.permissive != dp.permissive {
            Some(
                if dp.permissive {
                    "restrictive -> permissive"
                } else {
                    "permissive -> restrictive"
                }
                .to_string(),
            )
        } else if removed(&cp.using, &dp.using) {
            Some("USING removed".into())
        } else if removed(&cp.with_check, &dp.with_check) {
            Some("WITH CHECK removed".into())
        } else {
            None
        };
        if let Some(reason) = reason {
            changes.push(Change::ReplacePolicy {
                table,
                from: strip_rename(cp),
                to: strip_rename(dp),
                reason,
            });
            continue;
        }
        if m.renamed {
            changes.push(Change::RenamePolicy {
                table: table.clone(),
                from: cp.name.clone(),
                to: dp.name.clone(),
            });
        }
        let mut clauses = Vec::new();
        if !same_roles(&cp.roles, &dp.roles, db_user) {
            clauses.push(ClauseChange {
                clause: Clause::Roles,
                from: Some(crate::sql::quote::roles(&cp.roles)),
                to: Some(crate::sql::quote::roles(&dp.roles)),
                from_canonical: None,
                to_canonical: None,
            });
        }
        for (clause, v, c, d) in [
            (Clause::Using, &m.using, &cp.using, &dp.using),
            (Clause::WithCheck, &m.check, &cp.with_check, &dp.with_check),
        ] {
            let changed = match (c, d, v) {
                (None, None, _) => false,
                (None, Some(_), _) => true,
                (Some(_), Some(_), Some(v)) => v.equal != Some(true),
                _ => false,
            };
            if changed {
                clauses.push(ClauseChange {
                    clause,
                    from: c.clone(),
                    to: d.clone(),
                    from_canonical: v.as_ref().and_then(|v| v.cur_canon.clone()),
                    to_canonical: v.as_ref().and_then(|v| v.des_canon.clone()),
                });
            }
        }
        if !clauses.is_empty() {
            let mut from = strip_rename(cp);
            from.name = dp.name.clone();
            changes.push(Change::AlterPolicy {
                table: table.clone(),
                from,
                to: strip_rename(dp),
                clauses,
            });
        }
        if cp.comment != dp.comment {
            changes.push(Change::CommentOnPolicy {
                table,
                policy: dp.name.clone(),
                from: cp.comment.clone(),
                to: dp.comment.clone(),
            });
        }
    }

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

fn strip_rename(p: &Policy) -> Policy {
    let mut p = p.clone();
    p.renamed_from = None;
    p
}

/// Roles as a set; a declared CURRENT_USER matches the role that read the database.
fn same_roles(cur: &[RoleSpec], des: &[RoleSpec], db_user: Option<&str>) -> bool {
    let norm = |v: &[RoleSpec]| -> BTreeSet<RoleSpec> {
        v.iter()
            .map(|r| match (r, db_user) {
                (RoleSpec::CurrentUser | RoleSpec::CurrentRole, Some(u)) => {
                    RoleSpec::Named(u.to_string())
                }
                _ => r.clone(),
            })
            .collect()
    };
    norm(cur) == norm(des)
}

fn diff_roles(current: &Schema, desired: &Schema, prune: bool, changes: &mut Vec<Change>) {
    let membership = |group: &str, member: &str, grant: bool| {
        let (group, member) = (group.to_string(), member.to_string());
        if grant {
            Change::GrantMembership { group, member }
        } else {
            Change::RevokeMembership { group, member }
        }
    };
    for d in &desired.roles {
        let c = current.role(&d.name);
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
            if desired.role(&c.name).is_none() {
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
