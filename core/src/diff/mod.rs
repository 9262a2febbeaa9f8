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
mod functions;
mod matching;
pub mod plan;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub use change::{Change, ClauseChange, DefaultPrivileges, RecreatedPolicy, RolePrivileges};
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
/// tables the declaration gives no columns; only the tables whose name (folded to lower
/// case) is in `names`, when given.
fn context_schema(
    current: &Schema,
    desired: &Schema,
    names: Option<&std::collections::HashSet<String>>,
) -> Schema {
    let wanted = |t: &Table| names.is_none_or(|n| n.contains(&t.name.to_lowercase()));
    let mut ctx = Schema {
        tables: Vec::with_capacity(desired.tables.len()),
        roles: Vec::new(),
        grants: Vec::new(),
        default_privileges: Vec::new(),
        functions: Vec::new(),
        database: current.database.clone(),
        catalog: current.catalog.merged(&desired.catalog),
        index: Default::default(),
    };
    for t in desired.tables.iter().filter(|t| wanted(t)) {
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
            lint_allow: Vec::new(),
        });
    }
    for t in current.tables.iter().filter(|t| wanted(t)) {
        if desired.table(&t.schema, &t.name).is_none() {
            ctx.tables.push(Table {
                schema: t.schema.clone(),
                name: t.name.clone(),
                columns: t.columns.clone(),
                rls: t.rls,
                policies: Vec::new(),
                lint_allow: Vec::new(),
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
    check_membership_options(current, desired)?;
    let prune = opts.prune.unwrap_or(!current.is_introspected());
    // Built only when an expression must be canonicalized or compared by the resolver
    // (never for a plan whose expressions all read as written).
    let context = std::cell::OnceCell::new();
    let context = |names: Option<&std::collections::HashSet<String>>| {
        context.get_or_init(|| context_schema(current, desired, names))
    };
    let mut warnings: Vec<String> = Vec::new();

    let matching = matching::match_schemas(current, desired, prune);
    let comparison = compare::compare(&matching, current, &context, resolver, &mut warnings)?;
    let mut changes = emit::emit_tables(&matching, comparison);

    diff_roles(current, desired, prune, &mut changes);
    let dropped_functions =
        functions::diff_functions(current, desired, prune, &matching, &mut changes);
    diff_grants(current, desired, prune, &mut changes);
    diff_default_privileges(current, desired, prune, &mut changes);
    changes.extend(dropped_functions);
    warnings.extend(unreadable_expressions(&changes));
    warnings.extend(grant_options_revoked(&changes));
    let mut plan = Plan::ordered(changes);
    plan.warnings = warnings;
    Ok(plan)
}

/// Expressions the plan writes that pgpolicy's parser cannot read: not refused (they are
/// contained, and PostgreSQL's grammar is larger), but named, since nothing offline has
/// checked them.
fn unreadable_expressions(changes: &[Change]) -> Vec<String> {
    let mut out = Vec::new();
    let both = || vec![Clause::Using, Clause::WithCheck];
    let written = changes.iter().flat_map(|c| {
        let v: Vec<(&TableName, &Policy, Vec<Clause>)> = match c {
            Change::CreatePolicy { table, policy } => vec![(table, policy, both())],
            Change::ReplacePolicy { table, to, .. } => vec![(table, to, both())],
            Change::AlterPolicy {
                table, to, clauses, ..
            } => vec![(table, to, clauses.iter().map(|c| c.clause).collect())],
            Change::RecreateFunction { policies, .. } => policies
                .iter()
                .filter_map(|p| Some((&p.table, p.to.as_ref()?, both())))
                .collect(),
            _ => Vec::new(),
        };
        v
    });
    for (table, policy, clauses) in written {
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

/// Revokes of privileges held WITH GRANT OPTION: if the grantee granted them onward,
/// PostgreSQL refuses the REVOKE without CASCADE, and pgpolicy does not cascade (that
/// would take privileges from roles the plan does not name). Named before the plan runs.
fn grant_options_revoked(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Revoke(r) if r.grant_option => Some(format!(
                "{}: {} held these WITH GRANT OPTION; if it granted them onward, PostgreSQL refuses \
                 the REVOKE (pgpolicy does not revoke with CASCADE): revoke those grants first",
                c.describe(),
                r.role.as_json()
            )),
            _ => None,
        })
        .collect()
}

/// Roles, paired by name: created, altered (attributes), memberships granted, revoked and
/// their options changed; dropped only between two declarations when pruning.
fn diff_roles(current: &Schema, desired: &Schema, prune: bool, changes: &mut Vec<Change>) {
    // The first role of each name, as `Schema::role` finds it.
    let mut cur_roles: HashMap<&str, &Role> = HashMap::with_capacity(current.roles.len());
    for r in &current.roles {
        cur_roles.entry(r.name.as_str()).or_insert(r);
    }
    let des_names: HashSet<&str> = desired.roles.iter().map(|r| r.name.as_str()).collect();
    // On a database of PostgreSQL 16 or later, a membership's INHERIT option is what it is
    // (set from the member's attribute when granted, not changed with it later).
    let options_16 = current
        .database
        .as_ref()
        .is_some_and(|d| d.server_version_num >= 160000);
    let revoke = |group: &str, member: &Role| Change::RevokeMembership {
        group: group.to_string(),
        member: member.name.clone(),
        options: member.options_in(group),
    };
    for d in &desired.roles {
        let c = cur_roles.get(d.name.as_str()).copied();
        match c {
            None => changes.push(Change::CreateRole {
                role: d.attributes(),
            }),
            Some(c)
                if (c.login, c.inherit, c.bypassrls) != (d.login, d.inherit, d.bypassrls)
                    || (d.connection_limit.is_some()
                        && d.connection_limit != c.connection_limit) =>
            {
                changes.push(Change::AlterRole {
                    from: c.attributes(),
                    to: d.attributes(),
                })
            }
            Some(_) => {}
        }
        let had: HashSet<&str> = c
            .map(|c| c.member_of.iter().map(String::as_str).collect())
            .unwrap_or_default();
        for g in &d.member_of {
            match c.filter(|_| had.contains(g.as_str())) {
                None => changes.push(Change::GrantMembership {
                    group: g.clone(),
                    member: d.name.clone(),
                    options: d.options_in(g),
                }),
                Some(c) => {
                    if let Some((from, to)) = membership_change(c, d, g, options_16) {
                        changes.push(Change::AlterMembership {
                            group: g.clone(),
                            member: d.name.clone(),
                            from,
                            to,
                        });
                    }
                }
            }
        }
        if let Some(c) = c {
            let wants: HashSet<&str> = d.member_of.iter().map(String::as_str).collect();
            for g in &c.member_of {
                if !wants.contains(g.as_str()) {
                    changes.push(revoke(g, c));
                }
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
                    changes.push(revoke(g, c));
                }
                changes.push(Change::DropRole {
                    role: c.attributes(),
                });
            }
        }
    }
}

/// The options of a membership both sides have, when they differ: (from, to), with each
/// option that changes given on both sides (an absent INHERIT is the member's attribute,
/// an absent SET is true). Without a PostgreSQL 16 database on the current side, options
/// absent on both sides are not compared (before 16 they are the member's attribute).
fn membership_change(
    c: &Role,
    d: &Role,
    group: &str,
    options_16: bool,
) -> Option<(MembershipOptions, MembershipOptions)> {
    let (from, to) = (c.options_in(group), d.options_in(group));
    let pair = |a: Option<bool>, a_default: bool, b: Option<bool>, b_default: bool| {
        if !options_16 && a.is_none() && b.is_none() {
            (None, None)
        } else {
            (Some(a.unwrap_or(a_default)), Some(b.unwrap_or(b_default)))
        }
    };
    let (fi, ti) = pair(from.inherit, c.inherit, to.inherit, d.inherit);
    let (fs, ts) = pair(from.set, true, to.set, true);
    // Only what changes is written.
    let (fi, ti) = if fi == ti { (None, None) } else { (fi, ti) };
    let (fs, ts) = if fs == ts { (None, None) } else { (fs, ts) };
    if from.admin == to.admin && fi.is_none() && fs.is_none() {
        return None;
    }
    Some((
        MembershipOptions {
            admin: from.admin,
            inherit: fi,
            set: fs,
        },
        MembershipOptions {
            admin: to.admin,
            inherit: ti,
            set: ts,
        },
    ))
}

/// Before PostgreSQL 16 a membership has no INHERIT or SET option of its own: declaring
/// one other than the default is an error naming the role, when the database says so.
fn check_membership_options(current: &Schema, desired: &Schema) -> Result<()> {
    let Some(db) = current
        .database
        .as_ref()
        .filter(|d| d.server_version_num < 160000)
    else {
        return Ok(());
    };
    let mut errors = Vec::new();
    for r in &desired.roles {
        for (g, o) in &r.membership_options {
            if o.needs_16() {
                errors.push(crate::error::ValidationError {
                    code: "MEMBERSHIP_OPTION_NEEDS_16",
                    table: None,
                    policy: None,
                    clause: Some(Clause::Role),
                    message: format!(
                        "role {:?}: its membership in {g:?} declares {}, which PostgreSQL {} does not have \
                         (membership INHERIT and SET options need PostgreSQL 16; before, the member's INHERIT attribute decides)",
                        r.name,
                        [("INHERIT", o.inherit), ("SET", o.set)]
                            .iter()
                            .filter_map(|(n, v)| v.map(|v| format!("{n} {}", if v { "TRUE" } else { "FALSE" })))
                            .collect::<Vec<_>>()
                            .join(" and "),
                        db.server_version_num / 10000
                    ),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(crate::error::Error::Validation(errors))
    }
}

/// Privileges one grantee holds on one object (or one column), with their grant option.
#[derive(Default)]
struct Held {
    privileges: BTreeMap<Privilege, bool>,
    /// A table's INSERT carries its owned sequences' USAGE (see [`Grant::sequences`]).
    sequences: bool,
}

/// (object, column, grantee).
type GrantKey = (Object, Option<String>, RoleSpec);

fn held_grants(s: &Schema) -> BTreeMap<GrantKey, Held> {
    let mut m: BTreeMap<GrantKey, Held> = BTreeMap::new();
    for g in &s.grants {
        let object = g.object();
        let columns: Vec<Option<String>> = if g.columns.is_empty() {
            vec![None]
        } else {
            g.columns.iter().cloned().map(Some).collect()
        };
        for c in columns {
            let h = m
                .entry((object.clone(), c, g.role.clone()))
                .or_insert_with(|| Held {
                    privileges: BTreeMap::new(),
                    sequences: true,
                });
            h.sequences &= g.sequences;
            for p in &g.privileges {
                *h.privileges.entry(*p).or_default() |= g.grant_option;
            }
        }
    }
    m
}

/// Grants, paired by (object, column, grantee): privileges granted and revoked, grant
/// options added and removed; a grant the declaration does not name is revoked when
/// pruning, or when both its object and its grantee are the declaration's (PUBLIC's
/// default privileges on schemas and functions stay unless the declaration names PUBLIC
/// there). Column changes with the same privileges are merged into one statement.
fn diff_grants(current: &Schema, desired: &Schema, prune: bool, changes: &mut Vec<Change>) {
    let cur = held_grants(current);
    let des = held_grants(desired);
    // Functions this plan creates: PostgreSQL lets PUBLIC execute a new function, so a
    // declared revoke from PUBLIC is compared with that.
    let existing: HashSet<(&str, &str, &[String])> = current
        .functions
        .iter()
        .map(|f| (f.schema.as_str(), f.name.as_str(), &f.args[..]))
        .collect();
    let created: HashSet<Object> = desired
        .functions
        .iter()
        .filter(|f| !existing.contains(&(f.schema.as_str(), f.name.as_str(), &f.args[..])))
        .map(|f| Object {
            on: ObjectKind::Function,
            name: TableName::new(&f.schema, &f.name),
            args: f.args.clone(),
        })
        .collect();
    let new_function_default = Held {
        privileges: BTreeMap::from([(Privilege::Execute, false)]),
        sequences: true,
    };
    // Grantees the declaration manages: its roles and every grantee it names.
    let mut managed: BTreeSet<&RoleSpec> = BTreeSet::new();
    let role_specs: Vec<RoleSpec> = desired
        .roles
        .iter()
        .map(|r| RoleSpec::Named(r.name.clone()))
        .collect();
    managed.extend(role_specs.iter());
    managed.extend(des.keys().map(|(_, _, r)| r));
    let declared_objects: BTreeSet<Object> = desired
        .tables
        .iter()
        .map(|t| Object {
            on: ObjectKind::Table,
            name: t.qualified(),
            args: Vec::new(),
        })
        .chain(des.keys().map(|(o, _, _)| o.clone()))
        .collect();
    let mut out: Vec<(bool, RolePrivileges)> = Vec::new();
    let mut push = |grant: bool,
                    key: &GrantKey,
                    privileges: Vec<Privilege>,
                    opt: bool,
                    only: bool,
                    seq: bool| {
        if privileges.is_empty() {
            return;
        }
        let (object, column, role) = key;
        out.push((
            grant,
            RolePrivileges {
                table: object.name.clone(),
                on: object.on,
                args: object.args.clone(),
                columns: column.iter().cloned().collect(),
                role: role.clone(),
                privileges,
                grant_option: opt,
                option_only: only,
                sequences: seq,
            },
        ));
    };
    let empty = Held::default();
    let select = |m: &BTreeMap<Privilege, bool>, f: &dyn Fn(Privilege, bool) -> bool| {
        m.iter()
            .filter(|(p, o)| f(**p, **o))
            .map(|(p, _)| *p)
            .collect::<Vec<_>>()
    };
    for (key, want) in &des {
        let fallback = if key.2 == RoleSpec::Public && key.1.is_none() && created.contains(&key.0) {
            &new_function_default
        } else {
            &empty
        };
        let have = cur.get(key).unwrap_or(fallback);
        let (w, h) = (&want.privileges, &have.privileges);
        let seq = want.sequences;
        for opt in [false, true] {
            push(
                true,
                key,
                select(w, &|p, o| o == opt && !h.contains_key(&p)),
                opt,
                false,
                seq,
            );
        }
        push(
            true,
            key,
            select(w, &|p, o| o && h.get(&p) == Some(&false)),
            true,
            true,
            seq,
        );
        push(
            false,
            key,
            select(w, &|p, o| !o && h.get(&p) == Some(&true)),
            true,
            true,
            seq,
        );
        for opt in [false, true] {
            push(
                false,
                key,
                select(h, &|p, o| o == opt && !w.contains_key(&p)),
                opt,
                false,
                seq,
            );
        }
    }
    for (key, have) in &cur {
        if des.contains_key(key) {
            continue;
        }
        let (object, _, role) = key;
        let default_to_public = *role == RoleSpec::Public && !object.on.is_table();
        let in_scope = prune
            || (managed.contains(role) && declared_objects.contains(object) && !default_to_public);
        if in_scope {
            for opt in [false, true] {
                let p = select(&have.privileges, &|_, o| o == opt);
                push(false, key, p, opt, false, have.sequences);
            }
        }
    }
    // Column changes that differ only in their column become one statement.
    let mut merged: Vec<(bool, RolePrivileges)> = Vec::with_capacity(out.len());
    let mut by_shape: HashMap<(bool, RolePrivileges), usize> = HashMap::new();
    for (grant, rp) in out {
        if rp.columns.is_empty() {
            merged.push((grant, rp));
            continue;
        }
        let mut shape = rp.clone();
        shape.columns.clear();
        match by_shape.get(&(grant, shape.clone())) {
            Some(&i) => merged[i].1.columns.extend(rp.columns),
            None => {
                by_shape.insert((grant, shape), merged.len());
                merged.push((grant, rp));
            }
        }
    }
    changes.extend(merged.into_iter().map(|(grant, rp)| {
        if grant {
            Change::Grant(rp)
        } else {
            Change::Revoke(rp)
        }
    }));
}

/// (owner, schema, kind, grantee): the owner as the database names it (a declaration's
/// missing `FOR ROLE` is the role that read the database, when it was read from one).
type DefaultKey = (Option<String>, Option<String>, ObjectKind, RoleSpec);

fn held_defaults(s: &Schema, me: Option<&str>) -> BTreeMap<DefaultKey, BTreeMap<Privilege, bool>> {
    let mut m: BTreeMap<DefaultKey, BTreeMap<Privilege, bool>> = BTreeMap::new();
    for d in &s.default_privileges {
        let owner = d.owner.clone().or_else(|| me.map(str::to_string));
        let h = m
            .entry((owner, d.schema.clone(), d.on, d.role.clone()))
            .or_default();
        for p in &d.privileges {
            *h.entry(*p).or_default() |= d.grant_option;
        }
    }
    m
}

/// Default privileges, paired by (owner, schema, kind, grantee), as grants are. Without
/// an entry of its own, an owner's functions are executable by PUBLIC (PostgreSQL's
/// built-in default), so a declared revoke from PUBLIC is compared with that.
fn diff_default_privileges(
    current: &Schema,
    desired: &Schema,
    prune: bool,
    changes: &mut Vec<Change>,
) {
    if current.default_privileges.is_empty() && desired.default_privileges.is_empty() {
        return;
    }
    let me = current.database.as_ref().map(|d| d.current_user.as_str());
    let cur = held_defaults(current, me);
    let des = held_defaults(desired, me);
    // Owners with a global entry for functions on the current side.
    let global_functions: HashSet<&Option<String>> = cur
        .keys()
        .filter(|(_, s, on, _)| s.is_none() && *on == ObjectKind::Function)
        .map(|(o, _, _, _)| o)
        .collect();
    let builtin = |key: &DefaultKey| -> BTreeMap<Privilege, bool> {
        let (owner, schema, on, role) = key;
        if current.is_introspected()
            && schema.is_none()
            && *on == ObjectKind::Function
            && *role == RoleSpec::Public
            && !global_functions.contains(owner)
        {
            BTreeMap::from([(Privilege::Execute, false)])
        } else {
            BTreeMap::new()
        }
    };
    let managed: BTreeSet<&RoleSpec> = des.keys().map(|k| &k.3).collect();
    let declared_scopes: BTreeSet<(&Option<String>, &Option<String>)> =
        des.keys().map(|k| (&k.0, &k.1)).collect();
    let mut push = |grant: bool,
                    key: &DefaultKey,
                    written_owner: Option<String>,
                    privileges: Vec<Privilege>,
                    opt: bool,
                    only: bool| {
        if privileges.is_empty() {
            return;
        }
        let d = DefaultPrivileges {
            owner: written_owner,
            schema: key.1.clone(),
            on: key.2,
            role: key.3.clone(),
            privileges,
            grant_option: opt,
            option_only: only,
        };
        changes.push(if grant {
            Change::GrantDefault(d)
        } else {
            Change::RevokeDefault(d)
        });
    };
    let select = |m: &BTreeMap<Privilege, bool>, f: &dyn Fn(Privilege, bool) -> bool| {
        m.iter()
            .filter(|(p, o)| f(**p, **o))
            .map(|(p, _)| *p)
            .collect::<Vec<_>>()
    };
    // How a declared key's owner is written: as declared (no FOR ROLE stays none).
    let mut written: HashMap<&DefaultKey, Option<String>> = HashMap::new();
    for d in &desired.default_privileges {
        let owner = d.owner.clone().or_else(|| me.map(str::to_string));
        let key = (owner, d.schema.clone(), d.on, d.role.clone());
        if let Some((k, _)) = des.get_key_value(&key) {
            written.insert(k, d.owner.clone());
        }
    }
    for (key, w) in &des {
        let fallback = builtin(key);
        let h = cur.get(key).unwrap_or(&fallback);
        let owner = written.get(key).cloned().flatten();
        for opt in [false, true] {
            push(
                true,
                key,
                owner.clone(),
                select(w, &|p, o| o == opt && !h.contains_key(&p)),
                opt,
                false,
            );
        }
        push(
            true,
            key,
            owner.clone(),
            select(w, &|p, o| o && h.get(&p) == Some(&false)),
            true,
            true,
        );
        push(
            false,
            key,
            owner.clone(),
            select(w, &|p, o| !o && h.get(&p) == Some(&true)),
            true,
            true,
        );
        for opt in [false, true] {
            push(
                false,
                key,
                owner.clone(),
                select(h, &|p, o| o == opt && !w.contains_key(&p)),
                opt,
                false,
            );
        }
    }
    for (key, h) in &cur {
        if des.contains_key(key) {
            continue;
        }
        let in_scope =
            prune || (managed.contains(&key.3) && declared_scopes.contains(&(&key.0, &key.1)));
        if in_scope {
            for opt in [false, true] {
                push(
                    false,
                    key,
                    key.0.clone(),
                    select(h, &|_, o| o == opt),
                    opt,
                    false,
                );
            }
        }
    }
}
