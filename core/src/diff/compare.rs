//! Compare: decides what changed for the pairs the match found (RLS flags; for each matched
//! policy, replaced or altered, and which clauses). Expressions are compared offline first
//! (the canonicalizer, each text read by its origin), then by the stronger layer (a
//! [`Resolver`]) for the pairs the offline layer cannot prove equal. Nothing here builds a
//! change (see `emit`).

use std::collections::BTreeSet;

use super::matching::{Matching, PolicyPair};
use super::{ClauseChange, ExprPair, Resolver};
use crate::error::{Clause, Result};
use crate::expr;
use crate::ir::{Policy, Rls, RoleSpec, Schema, Table};

/// What the comparison decided for every pair of the match, in the match's order.
pub(super) struct Comparison {
    /// One per table of [`Matching::tables`].
    pub rls: Vec<RlsDelta>,
    /// One per policy pair of [`Matching::policies`].
    pub policies: Vec<PolicyDelta>,
}

/// A table's RLS flags that change: the new value of each flag that changes.
pub(super) struct RlsDelta {
    pub enabled: Option<bool>,
    pub forced: Option<bool>,
}

/// What changed in one matched policy.
pub(super) enum PolicyDelta {
    /// A change ALTER POLICY cannot make (command, permissiveness, a removed clause): the
    /// policy is dropped and created again, for this reason.
    Replace(String),
    /// Changed in place: renamed, clauses altered, comment changed (any, or none of them).
    Alter {
        renamed: bool,
        clauses: Vec<ClauseChange>,
        comment: bool,
    },
}

/// The comparison of one clause present on both sides.
#[derive(Clone)]
struct Verdict {
    /// Some(true) when proven equal, Some(false) when the stronger layer found them
    /// different, None when nothing could tell (counts as changed).
    equal: Option<bool>,
    cur_canon: Option<String>,
    des_canon: Option<String>,
}

/// The USING and WITH CHECK verdicts of one matched policy: None when the clause is absent
/// on a side, or when the policy is replaced whatever its expressions say.
#[derive(Default)]
struct Verdicts {
    using: Option<Verdict>,
    check: Option<Verdict>,
}

/// Compares everything the match paired. Notes of the stronger layer (why it could not
/// compare a pair) are added to `warnings`.
pub(super) fn compare<'c>(
    matching: &Matching,
    current: &Schema,
    context: &dyn Fn() -> &'c Schema,
    resolver: Option<&mut dyn Resolver>,
    warnings: &mut Vec<String>,
) -> Result<Comparison> {
    let rls = matching
        .tables
        .iter()
        .map(|t| compare_rls(t.cur, t.des))
        .collect();
    let verdicts = compare_expressions(
        &matching.policies,
        current.is_introspected(),
        context,
        &super::search_path_of(current),
        resolver,
        warnings,
    )?;
    let db_user = current.database.as_ref().map(|d| d.current_user.as_str());
    let policies = matching
        .policies
        .iter()
        .zip(&verdicts)
        .map(|(pair, v)| compare_policy(pair, v, db_user))
        .collect();
    Ok(Comparison { rls, policies })
}

/// A flag the declaration leaves unspecified stays as it is; a table the current side lacks
/// starts with both flags off; a table a declaration drops (pruning) is taken back to both
/// off, a change marked as weakening.
fn compare_rls(cur: Option<&Table>, des: Option<&Table>) -> RlsDelta {
    let cur_rls = cur.map(|t| t.rls).unwrap_or_default();
    let des_rls = match des {
        Some(t) => t.rls,
        None => Rls::new(false, false),
    };
    let change =
        |want: Option<bool>, have: Option<bool>| want.filter(|want| have.unwrap_or(false) != *want);
    RlsDelta {
        enabled: change(des_rls.enabled, cur_rls.enabled),
        forced: change(des_rls.forced, cur_rls.forced),
    }
}

/// The expressions of every matched policy that keeps its command and permissiveness:
/// identical texts are equal; otherwise both are canonicalized offline (the current text
/// as PostgreSQL prints it when introspected, as declared otherwise), and the pairs that
/// are not proven equal go to `resolver`, when there is one.
fn compare_expressions<'c>(
    pairs: &[PolicyPair],
    current_introspected: bool,
    context: &dyn Fn() -> &'c Schema,
    search_path: &[String],
    resolver: Option<&mut dyn Resolver>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Verdicts>> {
    let no_database = resolver.is_none();
    let mut verdicts: Vec<Verdicts> = Vec::with_capacity(pairs.len());
    let mut pending: Vec<(usize, Clause, ExprPair)> = Vec::new();
    for (i, m) in pairs.iter().enumerate() {
        let mut v = Verdicts::default();
        if m.cur.command != m.des.command || m.cur.permissive != m.des.permissive {
            verdicts.push(v); // replaced whatever the expressions say
            continue;
        }
        for clause in [Clause::Using, Clause::WithCheck] {
            let (c, d) = match clause {
                Clause::Using => (&m.cur.using, &m.des.using),
                _ => (&m.cur.with_check, &m.des.with_check),
            };
            let (Some(c), Some(d)) = (c, d) else {
                continue;
            };
            let verdict = if c == d {
                Verdict {
                    equal: Some(true),
                    cur_canon: None,
                    des_canon: None,
                }
            } else {
                let context = context();
                let catalog = &context.catalog;
                let ctx = expr::Context {
                    table: &m.table,
                    schema: context,
                    search_path,
                };
                // The origin of each text decides how its parentheses read.
                let cc = if current_introspected {
                    expr::canon::canonicalize_stored(c, &ctx, catalog)
                } else {
                    expr::canon::canonicalize_declared(c, &ctx, catalog)
                };
                let dc = expr::canon::canonicalize_declared(d, &ctx, catalog);
                let equal = match (&cc, &dc) {
                    (Ok(a), Ok(b)) if a == b => Some(true),
                    _ => None,
                };
                if equal.is_none() && no_database {
                    if let Some(note) = unreadable_pair(m, clause, &cc, &dc) {
                        warnings.push(note);
                    }
                }
                let (cc, dc) = (cc.ok(), dc.ok());
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
                Verdict {
                    equal,
                    cur_canon: cc,
                    des_canon: dc,
                }
            };
            match clause {
                Clause::Using => v.using = Some(verdict),
                _ => v.check = Some(verdict),
            }
        }
        verdicts.push(v);
    }
    if let (Some(r), false) = (resolver, pending.is_empty()) {
        let exprs: Vec<ExprPair> = pending.iter().map(|(_, _, p)| p.clone()).collect();
        let res = r.resolve(&exprs, context())?;
        for ((i, clause, _), res) in pending.iter().zip(res) {
            if let Some(note) = &res.note {
                warnings.push(note.clone());
            }
            let v = match clause {
                Clause::Using => verdicts[*i].using.as_mut(),
                _ => verdicts[*i].check.as_mut(),
            }
            .expect("pending verdict");
            v.equal = Some(res.equal);
            if res.current_canonical.is_some() {
                v.cur_canon = res.current_canonical;
                v.des_canon = res.desired_canonical;
            }
        }
    }
    Ok(verdicts)
}

/// A pair that counts as changed only because pgpolicy's parser cannot read one of its
/// texts (grammar PostgreSQL has and the parser lacks), with no database to compare on:
/// said, naming the table, the policy, the clause and the side, so that a plan made
/// without a database never silently rewrites a clause it could not read.
fn unreadable_pair(
    m: &PolicyPair,
    clause: Clause,
    cur: &std::result::Result<String, expr::canon::Undecidable>,
    des: &std::result::Result<String, expr::canon::Undecidable>,
) -> Option<String> {
    let unreadable = |r: &std::result::Result<String, expr::canon::Undecidable>| match r {
        Err(u @ expr::canon::Undecidable::Parse(_)) => Some(u.to_string()),
        _ => None,
    };
    let sides: Vec<String> = [("current", unreadable(cur)), ("declared", unreadable(des))]
        .into_iter()
        .filter_map(|(side, why)| why.map(|w| format!("the {side} expression ({w})")))
        .collect();
    if sides.is_empty() {
        return None;
    }
    Some(format!(
        "table {}, policy {:?}, clause {clause}: pgpolicy's parser cannot read {} and no \
         database was given to compare on; the clause counts as changed (compare with a \
         database connection or a dev database to settle it)",
        m.table,
        m.des.name,
        sides.join(" nor ")
    ))
}

/// Replaced (with the reason) or altered: a renamed policy, roles compared as a set (a
/// declared CURRENT_USER matches the role that read the database), a clause added or
/// not proven equal, a changed comment.
fn compare_policy(m: &PolicyPair, v: &Verdicts, db_user: Option<&str>) -> PolicyDelta {
    let (cp, dp) = (m.cur, m.des);
    if let Some(reason) = replace_reason(cp, dp) {
        return PolicyDelta::Replace(reason);
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
        (Clause::Using, &v.using, &cp.using, &dp.using),
        (Clause::WithCheck, &v.check, &cp.with_check, &dp.with_check),
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
    PolicyDelta::Alter {
        renamed: m.renamed,
        clauses,
        comment: cp.comment != dp.comment,
    }
}

/// Why a policy must be replaced: what ALTER POLICY cannot change.
fn replace_reason(cp: &Policy, dp: &Policy) -> Option<String> {
    let removed = |c: &Option<String>, d: &Option<String>| c.is_some() && d.is_none();
    if cp.command != dp.command {
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
    }
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
